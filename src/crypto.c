/*-------------------------------------------------------------------------
 *
 * crypto.c
 *		JWS signatures and MACs (RFC 7518 sections 3.2-3.5, RFC 8037):
 *		HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA in JOSE r||s form and
 *		EdDSA, behind one sign and one verify call, and the formatting of
 *		OpenSSL errors.  The only module that calls OpenSSL's signature
 *		and MAC primitives (as pgcrypto's openssl.c is for pgcrypto).
 *
 * State.  What a key needs for its signatures lives in a JwtCryptoState
 * of its own, made at its first signature and freed by jwt_crypto_release
 * (keys.c calls it when the key leaves the cache): per HS algorithm, the
 * keyed inner and outer hash states of HMAC (see below), and for RS, PS
 * and ES an EVP_PKEY_CTX per algorithm and direction, set up once, so that
 * a call does only the digest and the public key operation.  EdDSA signs the message itself: an
 * EVP_MD_CTX per direction, set up with the key once and reinitialised
 * without it per call (EVP_DigestSign and EVP_DigestVerify).  A context
 * whose operation failed inside OpenSSL is freed and made anew at the
 * next call.  The state is opaque to every other module.
 *
 * HMAC (RFC 2104): HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)), K'
 * the key padded to the block size (hashed first when longer).  The hash
 * states after the one block K' ^ ipad and K' ^ opad do not depend on the
 * message: they are made once per key and algorithm and copied per call,
 * so that a call costs the message's compression rounds plus two finals
 * and one block, with no provider dispatch, no context allocation and no
 * EVP_MD_CTX duplication (the "sha256-prekeyed" variant of
 * test/bench/floor/hs256_floor.c).  The low-level SHA256_* / SHA512_*
 * functions are deprecated in OpenSSL 3 (they bypass the provider layer)
 * but still built into libcrypto; they are the compression functions the
 * default provider calls.  The states are derived from the secret: they
 * are wiped before being freed, and the stack copies after each call.
 *
 * ECDSA: JOSE carries r||s, each zero-padded to the curve's size; OpenSSL
 * wants DER for a verification, converted on the stack; a signature is
 * made through the EC_KEY interface, whose ECDSA_SIG gives r and s without
 * DER (see ec_signer).  A signature whose r or s is zero (the "psychic signature")
 * is refused before OpenSSL sees it.  PSS uses a salt as long as the hash
 * and MGF1 with the same hash, as RFC 7518 section 3.5 requires.  An HMAC
 * is compared in constant time.
 *
 * Nothing here ereports but jwt_crypto_error and jwt_openssl_error: the
 * other functions return false when OpenSSL fails for a reason no input
 * explains, and the caller raises after they returned, so no temporary
 * OpenSSL object can be left behind.  A signature that does not verify is
 * not a failure: *valid is false and the error queue is cleared.  The
 * state is allocated with OpenSSL's allocator, never palloc.
 *
 * src/crypto.c
 *
 *-------------------------------------------------------------------------
 */
/* the low-level SHA-2 functions of the HMAC states (see above) */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "crypto.h"

#define JWT_HMAC_SLOTS	3		/* HS256, HS384, HS512 */

/* HMAC's keyed inner and outer hash states for one HS algorithm */
typedef struct HmacState
{
	int			id;				/* JWT_ALG_HS256, _HS384 or _HS512 */
	union
	{
		SHA256_CTX	s256;
		SHA512_CTX	s512;		/* SHA-384 too */
	}			inner, outer;
} HmacState;

struct JwtCryptoState
{
	HmacState  *hmac[JWT_HMAC_SLOTS];	/* keyed HS states, lazily */
	EVP_PKEY_CTX *vctx[JWT_ALG_COUNT];	/* verify contexts, lazily */
	EVP_PKEY_CTX *sctx[JWT_ALG_COUNT];	/* sign contexts, lazily */
	EVP_MD_CTX *ed_vctx;		/* EdDSA verify, reinitialised per call */
	EVP_MD_CTX *ed_sctx;		/* EdDSA sign, reinitialised per call */
	EC_KEY	   *eckey;			/* ECDSA signing (a reference), lazily */
	bool		eckey_off;		/* the key signs through the provider */
};

/* fetched once per backend, for the contexts' signature and MGF1 digests */
static EVP_MD *digests[3];		/* SHA-256/384/512 */

static const EVP_MD *
alg_md(const JwtAlg *alg)
{
	int			i = alg->hash_len == 32 ? 0 : alg->hash_len == 48 ? 1 : 2;

	if (digests[i] == NULL)
		digests[i] = EVP_MD_fetch(NULL, alg->digest, NULL);
	return digests[i];
}

/*
 * The hash of the signing input that an RSA or ECDSA signature signs, with
 * the one-shot SHA-2 functions on a context on the stack: EVP_Digest
 * allocates, initializes and frees an EVP_MD_CTX on every call, 1,000 to
 * 3,000 instructions beyond the hashing itself.
 */
static bool
prehash(const JwtAlg *alg, const char *data, size_t len,
		unsigned char *md, unsigned int *mdlen)
{
	switch (alg->hash_len)
	{
		case SHA256_DIGEST_LENGTH:
			{
				SHA256_CTX	c;

				if (!SHA256_Init(&c) || !SHA256_Update(&c, data, len) ||
					!SHA256_Final(md, &c))
					return false;
				break;
			}
		case SHA384_DIGEST_LENGTH:
			{
				SHA512_CTX	c;

				if (!SHA384_Init(&c) || !SHA384_Update(&c, data, len) ||
					!SHA384_Final(md, &c))
					return false;
				break;
			}
		case SHA512_DIGEST_LENGTH:
			{
				SHA512_CTX	c;

				if (!SHA512_Init(&c) || !SHA512_Update(&c, data, len) ||
					!SHA512_Final(md, &c))
					return false;
				break;
			}
		default:
			return EVP_Digest(data, len, md, mdlen, alg_md(alg), NULL) == 1;
	}
	*mdlen = alg->hash_len;
	return true;
}

static JwtCryptoState *
state_of(JwtKey *key)
{
	if (key->crypto == NULL)
		key->crypto = OPENSSL_zalloc(sizeof(JwtCryptoState));
	return key->crypto;
}

void
jwt_crypto_release(JwtKey *key)
{
	JwtCryptoState *st = key->crypto;
	int			i;

	if (st == NULL)
		return;
	for (i = 0; i < JWT_HMAC_SLOTS; i++)
		if (st->hmac[i])
			OPENSSL_clear_free(st->hmac[i], sizeof(HmacState));
	for (i = 0; i < JWT_ALG_COUNT; i++)
	{
		EVP_PKEY_CTX_free(st->vctx[i]);
		EVP_PKEY_CTX_free(st->sctx[i]);
	}
	EVP_MD_CTX_free(st->ed_vctx);
	EVP_MD_CTX_free(st->ed_sctx);
	EC_KEY_free(st->eckey);
	OPENSSL_free(st);
	key->crypto = NULL;
}

int
jwt_crypto_sig_len(const JwtKey *key, const JwtAlg *alg)
{
	if (alg->family == JWT_FAMILY_HMAC)
		return alg->hash_len;
	if (alg->family == JWT_FAMILY_EC)
		return 2 * alg->coord_len;
	return key->sig_len;
}

/* ---------------------------------------------------------------- HMAC */

/*
 * The keyed states of "secret" under "alg"; NULL when out of memory.
 */
static HmacState *
hmac_state_new(const JwtAlg *alg, const unsigned char *secret, int len)
{
	HmacState  *st = OPENSSL_zalloc(sizeof(HmacState));
	unsigned char k[SHA512_CBLOCK];
	unsigned char pad[SHA512_CBLOCK];
	int			block = alg->id == JWT_ALG_HS256 ? SHA256_CBLOCK : SHA512_CBLOCK;
	int			i;

	if (st == NULL)
		return NULL;
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

/*
 * HMAC "data" with the secret under "alg" (an HS algorithm the key may
 * serve) into "out" (EVP_MAX_MD_SIZE bytes).
 */
static bool
hmac(JwtKey *key, const JwtAlg *alg, const char *data, size_t len,
	 unsigned char *out, size_t *outlen)
{
	int			slot = alg->id - JWT_ALG_HS256;
	JwtCryptoState *cs;
	HmacState  *st;
	unsigned char ih[SHA512_DIGEST_LENGTH];

	Assert(alg->family == JWT_FAMILY_HMAC && key->kind == JWT_KEY_SECRET);

	if ((cs = state_of(key)) == NULL)
		return false;
	if (cs->hmac[slot] == NULL &&
		(cs->hmac[slot] = hmac_state_new(alg, key->secret, key->secret_len)) == NULL)
		return false;
	st = cs->hmac[slot];

	if (st->id == JWT_ALG_HS256)
	{
		SHA256_CTX	c = st->inner.s256;

		SHA256_Update(&c, data, len);
		SHA256_Final(ih, &c);
		c = st->outer.s256;
		SHA256_Update(&c, ih, SHA256_DIGEST_LENGTH);
		SHA256_Final(out, &c);
		explicit_bzero(&c, sizeof(c));
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
		explicit_bzero(&c, sizeof(c));
		*outlen = hlen;
	}
	explicit_bzero(ih, sizeof(ih));
	return true;
}

bool
jwt_crypto_hmac_sha256(const unsigned char *key, int keylen,
					   const char *data, size_t len, unsigned char *out)
{
	unsigned int outlen = 0;

	return HMAC(EVP_sha256(), key, keylen, (const unsigned char *) data, len,
				out, &outlen) != NULL && outlen == 32;
}

/* ---------------------------------------------------------------- RS, PS, ES */

/* Set up a sign or verify context for the key under alg. */
static EVP_PKEY_CTX *
pctx_for(JwtKey *key, const JwtAlg *alg, bool sign)
{
	JwtCryptoState *st = state_of(key);
	EVP_PKEY_CTX **slot;
	EVP_PKEY_CTX *ctx;
	const EVP_MD *md;
	bool		ok;

	if (st == NULL)
		return NULL;
	slot = sign ? &st->sctx[alg->id] : &st->vctx[alg->id];
	if ((ctx = *slot) != NULL)
		return ctx;
	md = alg_md(alg);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	ok = md != NULL && ctx != NULL &&
		(sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) == 1 &&
		EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
	if (ok && alg->family == JWT_FAMILY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
	if (ok && alg->family == JWT_FAMILY_RSA_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
			EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1;
	if (!ok)
	{
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	*slot = ctx;
	return ctx;
}

/* Drop a context after an OpenSSL failure: the next call makes a new one. */
static void
pctx_discard(JwtKey *key, const JwtAlg *alg, bool sign)
{
	JwtCryptoState *st = key->crypto;
	EVP_PKEY_CTX **slot = sign ? &st->sctx[alg->id] : &st->vctx[alg->id];

	EVP_PKEY_CTX_free(*slot);
	*slot = NULL;
}

/*
 * The EdDSA context of the key for one direction, ready for a one-shot
 * EVP_DigestSign or EVP_DigestVerify, or NULL.  Set up with the key at
 * the first call; later calls reinitialise it without a key, which keeps
 * its EVP_PKEY_CTX and fetched signature implementation (a context given
 * the key again is rebuilt from scratch).  A context that fails to
 * reinitialise is discarded, so that the next call starts afresh.
 */
static EVP_MD_CTX *
ed_ctx_for(JwtKey *key, bool sign)
{
	JwtCryptoState *st = state_of(key);
	EVP_MD_CTX **slot;
	int			rc;

	if (st == NULL)
		return NULL;
	slot = sign ? &st->ed_sctx : &st->ed_vctx;
	if (*slot != NULL)
	{
		rc = sign ?
			EVP_DigestSignInit_ex(*slot, NULL, NULL, NULL, NULL, NULL, NULL) :
			EVP_DigestVerifyInit_ex(*slot, NULL, NULL, NULL, NULL, NULL, NULL);
		if (rc == 1)
			return *slot;
		EVP_MD_CTX_free(*slot);
		*slot = NULL;
	}
	if ((*slot = EVP_MD_CTX_new()) == NULL)
		return NULL;
	rc = sign ?
		EVP_DigestSignInit_ex(*slot, NULL, NULL, NULL, NULL, key->pkey, NULL) :
		EVP_DigestVerifyInit_ex(*slot, NULL, NULL, NULL, NULL, key->pkey, NULL);
	if (rc != 1)
	{
		EVP_MD_CTX_free(*slot);
		*slot = NULL;
	}
	return *slot;
}

/* Drop a context after an OpenSSL failure: the next call makes a new one. */
static void
ed_ctx_discard(JwtKey *key, bool sign)
{
	JwtCryptoState *st = key->crypto;
	EVP_MD_CTX **slot = sign ? &st->ed_sctx : &st->ed_vctx;

	EVP_MD_CTX_free(*slot);
	*slot = NULL;
}

/*
 * ECDSA signatures: JOSE's r||s (each n bytes) and the DER SEQUENCE of two
 * INTEGERs OpenSSL reads and writes, converted in place on the stack.
 * n is at most 66 (P-521), so an INTEGER is at most 2 + 67 bytes and the
 * SEQUENCE at most 3 + 2 * 69.
 */
#define JWT_ECDSA_DER_MAX	(3 + 2 * (2 + 67))

/* one INTEGER of the unsigned big-endian v[0..n-1]; returns its length */
static int
der_int(unsigned char *out, const unsigned char *v, int n)
{
	int			i = 0;
	int			pad;
	int			len;

	while (i < n - 1 && v[i] == 0)
		i++;
	pad = (v[i] & 0x80) != 0;
	len = n - i + pad;
	out[0] = 0x02;
	out[1] = (unsigned char) len;
	out[2] = 0;
	memcpy(out + 2 + pad, v + i, n - i);
	return 2 + len;
}

/* DER of r||s into der (JWT_ECDSA_DER_MAX bytes); returns its length */
static int
ecdsa_rs_to_der(const unsigned char *sig, int n, unsigned char *der)
{
	unsigned char body[2 * (2 + 67)];
	int			blen;
	int			h;

	blen = der_int(body, sig, n);
	blen += der_int(body + blen, sig + n, n);
	der[0] = 0x30;
	if (blen < 0x80)
	{
		der[1] = (unsigned char) blen;
		h = 2;
	}
	else
	{
		der[1] = 0x81;
		der[2] = (unsigned char) blen;
		h = 3;
	}
	memcpy(der + h, body, blen);
	return h + blen;
}

/*
 * Read one INTEGER of a DER signature at *p (before end) into out[0..n-1],
 * left-padded with zeros; false when it is not a non-negative INTEGER of
 * at most n significant bytes.
 */
static bool
der_read_int(const unsigned char **p, const unsigned char *end,
			 unsigned char *out, int n)
{
	const unsigned char *q = *p;
	int			len;

	if (end - q < 2 || q[0] != 0x02 || q[1] >= 0x80)
		return false;
	len = q[1];
	q += 2;
	if (len == 0 || end - q < len || (q[0] & 0x80))
		return false;
	*p = q + len;
	while (len > 0 && q[0] == 0)
	{
		q++;
		len--;
	}
	if (len > n)
		return false;
	memset(out, 0, n - len);
	memcpy(out + n - len, q, len);
	return true;
}

/* r||s (2n bytes into out) of the DER signature der[0..len-1] */
static bool
ecdsa_der_to_rs(const unsigned char *der, size_t len, unsigned char *out, int n)
{
	const unsigned char *p = der;
	const unsigned char *end = der + len;
	size_t		slen;

	if (len < 2 || p[0] != 0x30)
		return false;
	if (p[1] < 0x80)
	{
		slen = p[1];
		p += 2;
	}
	else if (p[1] == 0x81 && len >= 3)
	{
		slen = p[2];
		p += 3;
	}
	else
		return false;
	if (slen != (size_t) (end - p))
		return false;
	return der_read_int(&p, end, out, n) &&
		der_read_int(&p, end, out + n, n) &&
		p == end;
}

static bool
all_zero(const unsigned char *p, int n)
{
	unsigned char acc = 0;
	int			i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static bool
pkey_verify(JwtKey *key, const JwtAlg *alg, const char *data, size_t len,
			const unsigned char *given_md,
			const unsigned char *sig, size_t siglen, bool *valid)
{
	unsigned char own_md[EVP_MAX_MD_SIZE];
	const unsigned char *md = given_md;
	unsigned int mdlen = alg->hash_len;
	EVP_PKEY_CTX *ctx;
	int			rc;

	if (alg->family == JWT_FAMILY_EDDSA)
	{
		EVP_MD_CTX *mdctx = ed_ctx_for(key, false);

		if (mdctx == NULL)
			return false;
		rc = EVP_DigestVerify(mdctx, sig, siglen, (const unsigned char *) data, len);
		*valid = (rc == 1);
		if (!*valid)
			ERR_clear_error();
		return true;
	}

	ctx = pctx_for(key, alg, false);
	if (ctx == NULL)
		return false;
	if (md == NULL)
	{
		if (!prehash(alg, data, len, own_md, &mdlen))
			return false;
		md = own_md;
	}

	if (alg->family == JWT_FAMILY_EC)
	{
		int			n = alg->coord_len;
		unsigned char der[JWT_ECDSA_DER_MAX];

		Assert(n <= 66 && (int) siglen == 2 * n);
		/* r = 0 or s = 0 is never a valid signature (psychic signatures) */
		if (all_zero(sig, n) || all_zero(sig + n, n))
			return true;
		rc = EVP_PKEY_verify(ctx, der, ecdsa_rs_to_der(sig, n, der), md, mdlen);
	}
	else
		rc = EVP_PKEY_verify(ctx, sig, siglen, md, mdlen);

	*valid = (rc == 1);
	if (!*valid)
		ERR_clear_error();
	return true;
}

/*
 * ECDSA signatures through the EC_KEY interface (deprecated in OpenSSL 3,
 * built into libcrypto): ECDSA_do_sign on the hash gives r and s as
 * numbers, where EVP_PKEY_sign goes through the provider's dispatch and
 * encodes them as DER, which the caller then decodes (about 3% of an
 * ES256 signature).  The nonce is made as the provider's path makes it
 * (the same function): from the private key, the hash and fresh random
 * bytes (BN_generate_dsa_nonce), so that a random generator whose state
 * was duplicated (a VM snapshot run twice) still gives two messages two
 * nonces.  Only for keys of OpenSSL's default provider whose EC_KEY uses
 * OpenSSL's own implementation (no ENGINE): other keys (a FIPS
 * provider's) sign through the provider.  The EC_KEY is the key's legacy
 * form, which OpenSSL keeps with the EVP_PKEY and wipes with it.
 *
 * ec_signer gives the key in that form, or NULL when it signs through the
 * provider, decided at its first signature.
 */
static EC_KEY *
ec_signer(JwtKey *key)
{
	JwtCryptoState *st = key->crypto;
	const OSSL_PROVIDER *prov;
	EC_KEY	   *eckey;

	if (st->eckey != NULL || st->eckey_off)
		return st->eckey;
	st->eckey_off = true;
	prov = EVP_PKEY_get0_provider(key->pkey);
	if (prov == NULL || strcmp(OSSL_PROVIDER_get0_name(prov), "default") != 0)
		return NULL;
	if ((eckey = EVP_PKEY_get1_EC_KEY(key->pkey)) == NULL)
	{
		ERR_clear_error();
		return NULL;
	}
	if (EC_KEY_get_method(eckey) != EC_KEY_OpenSSL())
	{
		EC_KEY_free(eckey);
		return NULL;
	}
	st->eckey = eckey;
	st->eckey_off = false;
	return eckey;
}

/*
 * Sign the hash md with the key's EC_KEY into out (r||s, n bytes each).
 * False when the key signs through the provider or OpenSSL fails: the
 * caller signs the usual way.
 */
static bool
ec_sign(JwtKey *key, const unsigned char *md, unsigned int mdlen,
		unsigned char *out, int n)
{
	EC_KEY	   *eckey = ec_signer(key);
	ECDSA_SIG  *sig;
	const BIGNUM *r;
	const BIGNUM *s;
	bool		ok;

	if (eckey == NULL)
		return false;
	if ((sig = ECDSA_do_sign(md, mdlen, eckey)) == NULL)
	{
		ERR_clear_error();
		return false;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, out, n) == n && BN_bn2binpad(s, out + n, n) == n;
	ECDSA_SIG_free(sig);
	return ok;
}

static bool
pkey_sign(JwtKey *key, const JwtAlg *alg, const char *data, size_t len,
		  unsigned char *out, size_t *outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_PKEY_CTX *ctx;

	if (alg->family == JWT_FAMILY_EDDSA)
	{
		EVP_MD_CTX *mdctx = ed_ctx_for(key, true);

		*outlen = key->sig_len;
		if (mdctx == NULL)
			return false;
		if (EVP_DigestSign(mdctx, out, outlen, (const unsigned char *) data, len) != 1)
		{
			ed_ctx_discard(key, true);
			return false;
		}
		return true;
	}

	ctx = pctx_for(key, alg, true);
	if (ctx == NULL)
		return false;
	if (!prehash(alg, data, len, md, &mdlen))
		return false;

	if (alg->family == JWT_FAMILY_EC)
	{
		int			n = alg->coord_len;
		unsigned char der[JWT_ECDSA_DER_MAX];
		size_t		derlen = sizeof(der);

		Assert(n <= 66);
		if (ec_sign(key, md, mdlen, out, n))
		{
			*outlen = 2 * n;
			return true;
		}
		if (EVP_PKEY_sign(ctx, der, &derlen, md, mdlen) != 1 ||
			!ecdsa_der_to_rs(der, derlen, out, n))
		{
			pctx_discard(key, alg, true);
			return false;
		}
		*outlen = 2 * n;
		return true;
	}

	*outlen = key->sig_len;
	if (EVP_PKEY_sign(ctx, out, outlen, md, mdlen) != 1)
	{
		pctx_discard(key, alg, true);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- the calls */

bool
jwt_crypto_sign(JwtKey *key, const JwtAlg *alg, const char *data, size_t len,
				unsigned char *out, size_t *outlen)
{
	size_t		siglen = jwt_crypto_sig_len(key, alg);

	if (alg->family == JWT_FAMILY_HMAC)
	{
		/* out has room for siglen bytes; HMAC writes EVP_MAX_MD_SIZE at most */
		unsigned char mac[EVP_MAX_MD_SIZE];

		*outlen = 0;
		if (!hmac(key, alg, data, len, mac, outlen) || *outlen != siglen)
			return false;
		memcpy(out, mac, siglen);
		return true;
	}
	*outlen = siglen;
	return pkey_sign(key, alg, data, len, out, outlen) && *outlen <= siglen;
}

/*
 * Are the computed MAC and the token's signature (len bytes: 32, 48 or 64)
 * the same, in time that does not depend on where they differ: every word
 * is read and their differences are or-ed together, with no branch on the
 * data.  The empty asm keeps the compiler from turning the loop into an
 * early exit.  CRYPTO_memcmp does the same a byte at a time, through a
 * call: about 230 instructions for HS256's 32 bytes, against about 20 here.
 */
static inline bool
mac_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
	uint64		diff = 0;
	size_t		i;

	for (i = 0; i + sizeof(uint64) <= len; i += sizeof(uint64))
	{
		uint64		x;
		uint64		y;

		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		diff |= x ^ y;
#if defined(__GNUC__) || defined(__clang__)
		__asm__ __volatile__("":"+r"(diff));
#endif
	}
	for (; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bool
jwt_crypto_verify(JwtKey *key, const JwtAlg *alg, const char *data, size_t len,
				  const unsigned char *md,
				  const unsigned char *sig, size_t siglen, bool *valid)
{
	*valid = false;
	if ((int) siglen != jwt_crypto_sig_len(key, alg))
		return true;
	if (alg->family == JWT_FAMILY_HMAC)
	{
		unsigned char mac[EVP_MAX_MD_SIZE];
		size_t		maclen = 0;

		if (!hmac(key, alg, data, len, mac, &maclen))
			return false;
		*valid = (maclen == siglen && mac_equal(mac, sig, siglen));
		return true;
	}
	return pkey_verify(key, alg, data, len, md, sig, siglen, valid);
}

void
jwt_crypto_error(const JwtAlg *alg, bool signing)
{
	if (alg->family == JWT_FAMILY_HMAC)
		jwt_openssl_error("could not compute HMAC");
	jwt_openssl_error(signing ? "could not sign" : "could not verify the signature");
}

/*
 * Does the private key make signatures that its public half verifies?  A
 * corrupted or mixed-up key (an RSA modulus, or an EC "d", that belongs to
 * another key) signs tokens that nobody can verify.  Signs a fixed message
 * under alg and verifies it; false when it does not verify or OpenSSL
 * fails.  The caller runs it once per key, before its first signature.
 */
bool
jwt_crypto_pair_ok(JwtKey *key, const JwtAlg *alg)
{
	static const char msg[] = "jwt key pair check";
	unsigned char sig[JWT_MAX_SIG_LEN];
	size_t		siglen = sizeof(sig);
	bool		valid = false;

	Assert(alg->family != JWT_FAMILY_HMAC);
	if (jwt_crypto_sig_len(key, alg) > (int) sizeof(sig))
		return false;
	ERR_clear_error();
	if (!pkey_sign(key, alg, msg, sizeof(msg) - 1, sig, &siglen) ||
		!pkey_verify(key, alg, msg, sizeof(msg) - 1, NULL, sig, siglen, &valid))
		valid = false;
	ERR_clear_error();
	return valid;
}

/* ---------------------------------------------------------------- errors */

/*
 * The reason of the last OpenSSL error, as "OpenSSL: <reason>." for a
 * detail.  Empties the error queue, so that the next call starts clean
 * (hot paths do not clear it before each call: the last error is always
 * the one that just happened).
 */
char *
jwt_openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	char	   *s = psprintf("OpenSSL: %s.", r ? r : "no reason given");

	ERR_clear_error();
	return s;
}

/*
 * Raise 39000 for an OpenSSL call that failed where no input can make it
 * fail, with the OpenSSL reason in the detail.
 */
void
jwt_openssl_error(const char *what)
{
	char	   *reason = jwt_openssl_reason();

	jwt_ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
			 errmsg("%s", what),
			 errdetail("%s", reason)));
}
