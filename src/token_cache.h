/*-------------------------------------------------------------------------
 *
 * token_cache.h
 *		The per-backend cache of verified signatures (token_cache.c).
 *
 * src/token_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_TOKEN_CACHE_H
#define JWT_TOKEN_CACHE_H

#include <openssl/sha.h>

#include "algs.h"
#include "claims.h"
#include "keys.h"

#define JWT_TOKEN_DIGEST_LEN	32

/* The most a cached claims set may take (jwt_claims_copy's size) */
#define JWT_TOKEN_CACHE_CLAIMS_MAX	1024

extern int	jwt_token_cache_size;	/* GUC jwt.token_cache_size */

extern bool jwt_token_cache_applies(const JwtAlg *alg);

/*
 * A token's digest (the SHA-256 of its text) and, when asked for, the
 * state of that hash after the signing input: finished, it is the SHA-256
 * of the signing input, which RS256, PS256 and ES256 signatures sign.
 */
typedef struct JwtTokenDigest
{
	unsigned char digest[JWT_TOKEN_DIGEST_LEN];
	bool		has_input;
	SHA256_CTX	input;
} JwtTokenDigest;

extern bool jwt_token_cache_lookup(const char *token, int len, int input_len,
								   bool keep_input, JwtKey *key,
								   JwtTokenDigest *d,
								   const JwtClaimSet **claims);
extern bool jwt_token_cache_input_hash(JwtTokenDigest *d, unsigned char *md);
extern void jwt_token_cache_store(const JwtTokenDigest *d, JwtKey *key);
extern void jwt_token_cache_store_claims(const JwtTokenDigest *d, JwtKey *key,
										 const JwtClaimSet *cs);
extern void jwt_token_cache_reset(void);

#endif							/* JWT_TOKEN_CACHE_H */
