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
	JwtAlgId	id;
	JwtAlgFamily family;
	const char *digest;			/* OpenSSL digest name, NULL for EdDSA */
	int			hash_len;		/* digest output size in bytes */
	bool		supported;		/* implemented by this version */
} JwtAlg;

/* Bit mask of algorithms */
typedef uint32 JwtAlgSet;

#define JWT_ALG_BIT(id)		((JwtAlgSet) 1 << (id))
#define JWT_ALGS_HMAC		(JWT_ALG_BIT(JWT_ALG_HS256) | \
							 JWT_ALG_BIT(JWT_ALG_HS384) | \
							 JWT_ALG_BIT(JWT_ALG_HS512))

extern const JwtAlg *jwt_alg_by_name(const char *name, int len);
extern const JwtAlg *jwt_alg_by_id(JwtAlgId id);

#endif							/* JWT_ALGS_H */
