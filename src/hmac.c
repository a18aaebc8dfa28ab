/*-------------------------------------------------------------------------
 *
 * hmac.c
 *		HMAC-SHA-256, -384 and -512 (RFC 2104) with the keyed states
 *		computed once per key and algorithm.
 *
 * HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), K' the key padded
 * to the block size (hashed first when longer).  The hash states after
 * the one block K' ^ ipad and K' ^ opad do not depend on the message: they
 * are made once, kept with the key, and copied per call, so that a call
 * costs the message's compression rounds plus two finals and one more
 * block, with no provider dispatch, no context allocation and no
 * EVP_MD_CTX duplication (what EVP_MAC_init with a NULL key does).  This
 * is the "sha256-prekeyed" variant of test/bench/floor/hs256_floor.c.
 *
 * The low-level SHA256_* / SHA512_* functions are deprecated in OpenSSL 3
 * (they bypass the provider layer) but still built into libcrypto; they
 * are the same compression functions the default provider calls.
 *
 * The states are derived from the secret: they are wiped before being
 * freed (jwt_hmac_state_free, called when the key leaves the key cache),
 * and the stack copies are wiped after each call.  Never ereports: the
 * only allocation is in jwt_hmac_state_create, before anything is keyed.
 *
 * src/hmac.c
 *
 *-------------------------------------------------------------------------
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "hmac.h"

struct JwtHmacState
{
	int			id;				/* JWT_ALG_HS256, _HS384 or _HS512 */
	union
	{
		SHA256_CTX	s256;
		SHA512_CTX	s512;		/* SHA-384 too */
	}			inner, outer;
};

JwtHmacState *
jwt_hmac_state_create(MemoryContext cxt, const JwtAlg *alg,
					  const unsigned char *secret, int len)
{
	JwtHmacState *st = MemoryContextAllocZero(cxt, sizeof(JwtHmacState));
	unsigned char k[SHA512_CBLOCK];
	unsigned char pad[SHA512_CBLOCK];
	int			block = alg->id == JWT_ALG_HS256 ? SHA256_CBLOCK : SHA512_CBLOCK;
	int			i;

	Assert(alg->family == JWT_FAMILY_HMAC);
	st->id = alg->id;
	memset(k, 0, sizeof(k));
	if (len > block)
	{
		if (alg->id == JWT_ALG_HS256)
			SHA256(secret, len, k);
		else if (alg->id == JWT_ALG_HS384)
			SHA384(secret, len, k);
		else
			SHA512(secret, len, k);
	}
	else
		memcpy(k, secret, len);

	for (i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x36;
	if (alg->id == JWT_ALG_HS256)
	{
		SHA256_Init(&st->inner.s256);
		SHA256_Update(&st->inner.s256, pad, block);
	}
	else
	{
		if (alg->id == JWT_ALG_HS384)
			SHA384_Init(&st->inner.s512);
		else
			SHA512_Init(&st->inner.s512);
		SHA512_Update(&st->inner.s512, pad, block);
	}
	for (i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x5c;
	if (alg->id == JWT_ALG_HS256)
	{
		SHA256_Init(&st->outer.s256);
		SHA256_Update(&st->outer.s256, pad, block);
	}
	else
	{
		if (alg->id == JWT_ALG_HS384)
			SHA384_Init(&st->outer.s512);
		else
			SHA512_Init(&st->outer.s512);
		SHA512_Update(&st->outer.s512, pad, block);
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	return st;
}

/* HMAC of "data" into "out" (EVP_MAX_MD_SIZE bytes); *outlen its length. */
void
jwt_hmac_compute(const JwtHmacState *st, const char *data, size_t len,
				 unsigned char *out, size_t *outlen)
{
	unsigned char ih[SHA512_DIGEST_LENGTH];

	if (st->id == JWT_ALG_HS256)
	{
		SHA256_CTX	c = st->inner.s256;

		SHA256_Update(&c, data, len);
		SHA256_Final(ih, &c);
		c = st->outer.s256;
		SHA256_Update(&c, ih, SHA256_DIGEST_LENGTH);
		SHA256_Final(out, &c);
		OPENSSL_cleanse(&c, sizeof(c));
		*outlen = SHA256_DIGEST_LENGTH;
	}
	else
	{
		SHA512_CTX	c = st->inner.s512;
		int			hlen = st->id == JWT_ALG_HS384 ? SHA384_DIGEST_LENGTH : SHA512_DIGEST_LENGTH;

		SHA512_Update(&c, data, len);
		if (st->id == JWT_ALG_HS384)
			SHA384_Final(ih, &c);
		else
			SHA512_Final(ih, &c);
		c = st->outer.s512;
		SHA512_Update(&c, ih, hlen);
		if (st->id == JWT_ALG_HS384)
			SHA384_Final(ih, &c);
		else
			SHA512_Final(ih, &c);
		memcpy(out, ih, hlen);
		OPENSSL_cleanse(&c, sizeof(c));
		*outlen = hlen;
	}
	OPENSSL_cleanse(ih, sizeof(ih));
}

void
jwt_hmac_state_free(JwtHmacState *st)
{
	if (st == NULL)
		return;
	OPENSSL_cleanse(st, sizeof(*st));
	pfree(st);
}
