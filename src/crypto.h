/*-------------------------------------------------------------------------
 *
 * crypto.h
 *		Signatures and MACs: the one module that calls OpenSSL's
 *		signature and MAC primitives, for every JWS algorithm, and the
 *		one formatter of OpenSSL errors.
 *
 * src/crypto.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_CRYPTO_H
#define JWT_CRYPTO_H

#include "errors.h"
#include "key_type.h"

/* The signature size in bytes of "key" under "alg" (HMAC: the hash's). */
extern int	jwt_crypto_sig_len(const JwtKey *key, const JwtAlg *alg);

/*
 * Sign "data" into "out" (jwt_crypto_sig_len() bytes).  False when OpenSSL
 * fails, which no input explains: the caller raises jwt_crypto_error().
 */
extern bool jwt_crypto_sign(JwtKey *key, const JwtAlg *alg,
							const char *data, size_t len,
							unsigned char *out, size_t *outlen);

/*
 * Verify "sig" over "data"; *valid says whether it verified (a signature
 * of the wrong length never does).  "md", when not NULL, is the hash of
 * "data" that an RSA, RSA-PSS or ECDSA signature signs (the algorithm's
 * SHA-2), computed already.  False only when OpenSSL fails.
 */
extern bool jwt_crypto_verify(JwtKey *key, const JwtAlg *alg,
							  const char *data, size_t len,
							  const unsigned char *md,
							  const unsigned char *sig, size_t siglen,
							  bool *valid);


/* Raise 39000 after jwt_crypto_sign or jwt_crypto_verify returned false. */
pg_noreturn extern void jwt_crypto_error(const JwtAlg *alg, bool signing);

/* Does an asymmetric private key sign what its public half verifies? */
extern bool jwt_crypto_pair_ok(JwtKey *key, const JwtAlg *alg);

/* Free the key's OpenSSL state (made lazily by the calls above). */
extern void jwt_crypto_release(JwtKey *key);

/* HMAC-SHA256 with a key of its own, for refresh tokens; 32 bytes out. */
extern bool jwt_crypto_hmac_sha256(const unsigned char *key, int keylen,
								   const char *data, size_t len,
								   unsigned char *out);

/* "OpenSSL: <reason>." for a detail; empties the error queue. */
extern char *jwt_openssl_reason(void);

/* Raise 39000 for an OpenSSL call that no input can make fail. */
pg_noreturn extern void jwt_openssl_error(const char *what);

#endif							/* JWT_CRYPTO_H */
