/*-------------------------------------------------------------------------
 *
 * keys.h
 *		Keys: recognising what the caller passed, binding it to the
 *		algorithms it may serve, and the bounded per-backend key cache.
 *
 * src/keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEYS_H
#define JWT_KEYS_H

#include <openssl/evp.h>

#include "utils/jsonb.h"

#include "algs.h"
#include "errors.h"

typedef enum JwtKeyKind
{
	JWT_KEY_SECRET,				/* HMAC shared secret (raw or JWK "oct") */
	JWT_KEY_RSA,
	JWT_KEY_EC,
	JWT_KEY_OKP,				/* Ed25519 / Ed448 */
	JWT_KEY_SET					/* JWK Set: see members */
} JwtKeyKind;

/* How the key argument came in; part of the cache identity. */
typedef enum JwtKeyForm
{
	JWT_FORM_TEXT,
	JWT_FORM_BYTEA,
	JWT_FORM_JSONB
} JwtKeyForm;

/*
 * The largest RSA key: OpenSSL verifies nothing longer
 * (OPENSSL_RSA_MAX_MODULUS_BITS), and the largest signature it makes.
 */
#define JWT_MAX_RSA_BITS	16384
#define JWT_MAX_SIG_LEN		(JWT_MAX_RSA_BITS / 8)

typedef struct JwtKey JwtKey;

struct JwtKey
{
	JwtKeyKind	kind;
	JwtAlgSet	usable;			/* algorithms this key may serve */
	bool		has_private;	/* can sign */
	bool		pair_checked;	/* private key passed jwt_pkey_pair_ok */

	/* JWK metadata (NULL / false when absent) */
	char	   *kid;
	bool		can_sign;		/* "use"/"key_ops" allow signing */
	bool		can_verify;		/* "use"/"key_ops" allow verifying */

	/* JWT_KEY_SECRET */
	int			secret_len;
	unsigned char *secret;
	struct JwtHmacState *hmac[3];	/* keyed HS256/384/512 states (hmac.c), lazily */
	bool		bare_secret;	/* given as text or bytea, not as a JWK */
	bool		secret_maybe_key;	/* could be key text: see keys.c */

	/* JWT_KEY_RSA, _EC, _OKP */
	EVP_PKEY   *pkey;
	int			bits;
	int			sig_len;		/* signature size in bytes (RSA, OKP) */
	EVP_PKEY_CTX *vctx[JWT_ALG_COUNT];	/* verify contexts, lazily */
	EVP_PKEY_CTX *sctx[JWT_ALG_COUNT];	/* sign contexts, lazily */
	EVP_MD_CTX *mdctx;			/* EdDSA, reinitialised per call */

	/* JWT_KEY_SET */
	int			nmembers;
	JwtKey	  **members;

	/* identity in the verified-token cache (token_cache.c), 0 until used */
	uint64		serial;

	/* cache identity (top-level keys only) */
	uint32		hash;
	JwtKeyForm	form;
	int			len;
	unsigned char *bytes;		/* the argument's bytes, wiped on eviction */
};

/* GUCs (jwt.c) */
extern int	jwt_min_rsa_bits;
extern bool jwt_require_algorithms_for_secrets;

extern JwtKey *jwt_key_get(const char *bytes, int len, JwtKeyForm form);

/* A call site's last key (jwt_key_get_memo), zeroed to start. */
typedef struct JwtKeyMemo
{
	JwtKey	   *key;
	uint64		evictions;		/* the key cache's evictions at the time */
} JwtKeyMemo;

extern JwtKey *jwt_key_get_memo(JwtKeyMemo *memo, const char *bytes, int len,
								JwtKeyForm form);
extern void jwt_key_check_implicit_algorithms(JwtKey *key);
extern void jwt_key_check_alg(JwtKey *key, const JwtAlg *alg, bool for_signing);
extern JwtReason jwt_key_pick(JwtKey *key, const JwtAlg *alg, const char *kid,
							  bool for_signing, JwtKey **out, char **detail);
extern void jwt_key_init_secret(JwtKey *key, const unsigned char *bytes, int len);
extern bool jwt_key_hmac(JwtKey *key, const JwtAlg *alg,
						 const char *data, size_t len,
						 unsigned char *out, size_t *outlen);
extern const char *jwt_key_describe(JwtKey *key);

/* jwk.c: building keys */
extern void jwt_key_from_pem(JwtKey *key, const char *pem, int len);
extern void jwt_key_from_jwk_text(JwtKey *key, const char *json, int len);
extern void jwt_key_from_jwk_jsonb(JwtKey *key, Jsonb *jwk);
extern void jwt_key_free_contents(JwtKey *key);
extern Jsonb *jwt_key_public_jwk(JwtKey *key);
extern Jsonb *jwt_key_generate(const JwtAlg *alg);

/* pkey.c: asymmetric signatures */
extern int	jwt_pkey_sig_len(JwtKey *key, const JwtAlg *alg);
extern bool jwt_pkey_verify(JwtKey *key, const JwtAlg *alg,
							const char *data, size_t len,
							const unsigned char *sig, size_t siglen,
							bool *valid);
extern bool jwt_pkey_sign(JwtKey *key, const JwtAlg *alg,
						  const char *data, size_t len,
						  unsigned char *out, size_t *outlen);
extern bool jwt_pkey_pair_ok(JwtKey *key, const JwtAlg *alg);

#endif							/* JWT_KEYS_H */
