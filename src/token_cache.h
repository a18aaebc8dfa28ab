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

#include "algs.h"
#include "keys.h"

#define JWT_TOKEN_DIGEST_LEN	32

extern int	jwt_token_cache_size;	/* GUC jwt.token_cache_size */

extern bool jwt_token_cache_applies(const JwtAlg *alg);
extern bool jwt_token_cache_lookup(const unsigned char *md, unsigned int mdlen,
								   const char *sig, int siglen, JwtKey *key,
								   unsigned char *digest);
extern void jwt_token_cache_store(const unsigned char *digest, JwtKey *key);
extern void jwt_token_cache_reset(void);

#endif							/* JWT_TOKEN_CACHE_H */
