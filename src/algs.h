/*-------------------------------------------------------------------------
 *
 * algs.h
 *		The JOSE signature algorithms: one table that every allow-list and
 *		key binding decision comes from.
 *
 * src/algs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_ALGS_H
#define JWT_ALGS_H

typedef enum JwtAlgFamily
{
	JWT_FAMILY_HMAC,
	JWT_FAMILY_RSA,
	JWT_FAMILY_RSA_PSS,
	JWT_FAMILY_EC,
	JWT_FAMILY_EDDSA
} JwtAlgFamily;

typedef enum JwtAlgId
{
	JWT_ALG_HS256 = 0,
	JWT_ALG_HS384,
	JWT_ALG_HS512,
	JWT_ALG_RS256,
	JWT_ALG_RS384,
	JWT_ALG_RS512,
	JWT_ALG_PS256,
	JWT_ALG_PS384,
	JWT_ALG_PS512,
	JWT_ALG_ES256,
	JWT_ALG_ES384,
	JWT_ALG_ES512,
	JWT_ALG_ES256K,
	JWT_ALG_EDDSA,
	JWT_ALG_COUNT
} JwtAlgId;

typedef struct JwtAlg
{
	const char *name;			/* as in the "alg" header, case-sensitive */
	int			name_len;		/* strlen(name) */
	JwtAlgId	id;
	JwtAlgFamily family;
	const char *digest;			/* OpenSSL digest name, NULL for EdDSA */
	int			hash_len;		/* digest output size in bytes */
	const char *curve;			/* ES*: OpenSSL group name of the curve */
	int			coord_len;		/* ES*: bytes of r and of s in r||s */
} JwtAlg;

/* Bit mask of algorithms */
typedef uint32 JwtAlgSet;

#define JWT_ALG_BIT(id)		((JwtAlgSet) 1 << (id))
#define JWT_ALGS_HMAC		(JWT_ALG_BIT(JWT_ALG_HS256) | \
							 JWT_ALG_BIT(JWT_ALG_HS384) | \
							 JWT_ALG_BIT(JWT_ALG_HS512))
#define JWT_ALGS_RSA_PKCS1	(JWT_ALG_BIT(JWT_ALG_RS256) | \
							 JWT_ALG_BIT(JWT_ALG_RS384) | \
							 JWT_ALG_BIT(JWT_ALG_RS512))
#define JWT_ALGS_RSA_PSS	(JWT_ALG_BIT(JWT_ALG_PS256) | \
							 JWT_ALG_BIT(JWT_ALG_PS384) | \
							 JWT_ALG_BIT(JWT_ALG_PS512))

extern const JwtAlg *jwt_alg_by_name(const char *name, int len);
extern const JwtAlg *jwt_alg_by_id(JwtAlgId id);
extern const JwtAlg *jwt_alg_by_curve(const char *group);
extern void jwt_alg_set_names(JwtAlgSet set, char *buf, int buflen);

#endif							/* JWT_ALGS_H */
