/*-------------------------------------------------------------------------
 *
 * pkey.c
 *		Asymmetric JWS signatures (RFC 7518 sections 3.3-3.5, RFC 8037):
 *		RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA in JOSE r||s form, EdDSA.
 *
 * RS, PS and ES sign and verify a digest of the signing input with an
 * EVP_PKEY_CTX that is set up once per key and algorithm and kept in the
 * key's cache entry, so that a call does only the digest and the public
 * key operation.  EdDSA signs the message itself (EVP_DigestSign/Verify on
 * a context reinitialised per call).
 *
 * ECDSA: JOSE carries r||s, each zero-padded to the curve's size; OpenSSL
 * wants DER.  A signature whose r or s is zero (the "psychic signature")
 * is refused before OpenSSL sees it.  PSS uses a salt as long as the hash
 * and MGF1 with the same hash, as RFC 7518 section 3.5 requires.
 *
 * Nothing here ereports: functions return false when OpenSSL fails for a
 * reason no input explains, and the caller raises after they returned, so
 * no temporary OpenSSL object can be left behind.  A signature that does
 * not verify is not a failure: *valid is false and the error queue is
 * cleared.
 *
 * src/pkey.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "keys.h"

/* SHA-256/384/512 fetched once per backend */
static EVP_MD *digests[3];

static const EVP_MD *
alg_md(const JwtAlg *alg)
{
	int			i = alg->hash_len == 32 ? 0 : alg->hash_len == 48 ? 1 : 2;

	if (digests[i] == NULL)
		digests[i] = EVP_MD_fetch(NULL, alg->digest, NULL);
	return digests[i];
}

/* Expected signature size in bytes for the key under alg. */
int
jwt_pkey_sig_len(JwtKey *key, const JwtAlg *alg)
{
	if (alg->family == JWT_FAMILY_EC)
		return 2 * alg->coord_len;
	return key->sig_len;
}

/* Set up a sign or verify context for the key under alg. */
static EVP_PKEY_CTX *
pctx_for(JwtKey *key, const JwtAlg *alg, bool sign)
{
	EVP_PKEY_CTX **slot = sign ? &key->sctx[alg->id] : &key->vctx[alg->id];
	EVP_PKEY_CTX *ctx = *slot;
	const EVP_MD *md;
	bool		ok;

	if (ctx)
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

static bool
all_zero(const unsigned char *p, int n)
{
	unsigned char acc = 0;
	int			i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/*
 * Verify "sig" over "data".  Returns false only when OpenSSL fails for a
 * reason the input does not explain; *valid says whether it verified.
 */
bool
jwt_pkey_verify(JwtKey *key, const JwtAlg *alg,
				const char *data, size_t len,
				const unsigned char *sig, size_t siglen,
				bool *valid)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_PKEY_CTX *ctx;
	int			rc;

	*valid = false;
	if ((int) siglen != jwt_pkey_sig_len(key, alg))
		return true;

	if (alg->family == JWT_FAMILY_EDDSA)
	{
		if (key->mdctx == NULL && (key->mdctx = EVP_MD_CTX_new()) == NULL)
			return false;
		if (EVP_DigestVerifyInit_ex(key->mdctx, NULL, NULL, NULL, NULL, key->pkey, NULL) != 1)
			return false;
		rc = EVP_DigestVerify(key->mdctx, sig, siglen, (const unsigned char *) data, len);
		*valid = (rc == 1);
		if (!*valid)
			ERR_clear_error();
		return true;
	}

	if (EVP_Digest(data, len, md, &mdlen, alg_md(alg), NULL) != 1)
		return false;
	ctx = pctx_for(key, alg, false);
	if (ctx == NULL)
		return false;

	if (alg->family == JWT_FAMILY_EC)
	{
		int			n = alg->coord_len;
		unsigned char der[2 * 66 + 16];
		unsigned char *p = der;
		int			derlen;
		ECDSA_SIG  *es;
		BIGNUM	   *r,
				   *s;

		/* r = 0 or s = 0 is never a valid signature (psychic signatures) */
		if (all_zero(sig, n) || all_zero(sig + n, n))
			return true;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, n, NULL);
		s = BN_bin2bn(sig + n, n, NULL);
		if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
		{
			ECDSA_SIG_free(es);
			BN_free(r);
			BN_free(s);
			return false;
		}
		derlen = i2d_ECDSA_SIG(es, NULL);
		if (derlen <= 0 || derlen > (int) sizeof(der))
		{
			ECDSA_SIG_free(es);
			return false;
		}
		derlen = i2d_ECDSA_SIG(es, &p);
		ECDSA_SIG_free(es);
		rc = EVP_PKEY_verify(ctx, der, derlen, md, mdlen);
	}
	else
		rc = EVP_PKEY_verify(ctx, sig, siglen, md, mdlen);

	*valid = (rc == 1);
	if (!*valid)
		ERR_clear_error();
	return true;
}

/*
 * Sign "data" into "out", which has room for jwt_pkey_sig_len() bytes.
 */
bool
jwt_pkey_sign(JwtKey *key, const JwtAlg *alg,
			  const char *data, size_t len,
			  unsigned char *out, size_t *outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_PKEY_CTX *ctx;

	if (alg->family == JWT_FAMILY_EDDSA)
	{
		*outlen = key->sig_len;
		if (key->mdctx == NULL && (key->mdctx = EVP_MD_CTX_new()) == NULL)
			return false;
		return EVP_DigestSignInit_ex(key->mdctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1 &&
			EVP_DigestSign(key->mdctx, out, outlen, (const unsigned char *) data, len) == 1;
	}

	if (EVP_Digest(data, len, md, &mdlen, alg_md(alg), NULL) != 1)
		return false;
	ctx = pctx_for(key, alg, true);
	if (ctx == NULL)
		return false;

	if (alg->family == JWT_FAMILY_EC)
	{
		int			n = alg->coord_len;
		unsigned char der[2 * 66 + 16];
		size_t		derlen = sizeof(der);
		const unsigned char *p = der;
		ECDSA_SIG  *es;
		const BIGNUM *r,
				   *s;
		bool		ok;

		if (EVP_PKEY_sign(ctx, der, &derlen, md, mdlen) != 1)
			return false;
		es = d2i_ECDSA_SIG(NULL, &p, derlen);
		if (es == NULL)
			return false;
		ECDSA_SIG_get0(es, &r, &s);
		ok = BN_bn2binpad(r, out, n) == n && BN_bn2binpad(s, out + n, n) == n;
		ECDSA_SIG_free(es);
		*outlen = 2 * n;
		return ok;
	}

	*outlen = key->sig_len;
	return EVP_PKEY_sign(ctx, out, outlen, md, mdlen) == 1;
}

/*
 * Does the private key make signatures that its public half verifies?  A
 * corrupted or mixed-up key (an RSA modulus, or an EC "d", that belongs to
 * another key) signs tokens that nobody can verify.  Signs a fixed message
 * under alg and verifies it; false when it does not verify or OpenSSL
 * fails.  The caller runs it once per key, before its first signature.
 */
bool
jwt_pkey_pair_ok(JwtKey *key, const JwtAlg *alg)
{
	static const char msg[] = "jwt key pair check";
	unsigned char sig[JWT_MAX_SIG_LEN];
	size_t		siglen = sizeof(sig);
	bool		valid = false;

	if (jwt_pkey_sig_len(key, alg) > (int) sizeof(sig))
		return false;
	ERR_clear_error();
	if (!jwt_pkey_sign(key, alg, msg, sizeof(msg) - 1, sig, &siglen) ||
		!jwt_pkey_verify(key, alg, msg, sizeof(msg) - 1, sig, siglen, &valid))
		valid = false;
	ERR_clear_error();
	return valid;
}
