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

#include "algs.h"

typedef enum JwtKeyKind
{
	JWT_KEY_SECRET				/* HMAC shared secret */
} JwtKeyKind;

typedef struct JwtKey
{
	JwtKeyKind	kind;
	uint32		hash;			/* of the bytes, for the cache */
	bool		is_text;		/* came in as text (else bytea) */
	int			len;
	unsigned char *bytes;		/* the secret, wiped on eviction */
	JwtAlgSet	usable;			/* algorithms this key may serve */
	EVP_MAC_CTX *hmac[3];		/* keyed HS256/384/512 contexts, lazily */
} JwtKey;

extern JwtKey *jwt_key_get(const char *bytes, int len, bool is_text);
extern void jwt_key_check_alg(JwtKey *key, const JwtAlg *alg);
extern bool jwt_key_hmac(JwtKey *key, const JwtAlg *alg,
						 const char *data, size_t len,
						 unsigned char *out, size_t *outlen);

#endif							/* JWT_KEYS_H */
