/*-------------------------------------------------------------------------
 *
 * verify.c
 *		The verification pipeline, in the order RFC 8725 asks for:
 *
 *	1. shape: size limit, three canonical base64url segments;
 *	2. header: JSON object, alg known and not "none", alg in the allow-list,
 *	   no unknown "crit"; then the key: the one of a JWK Set that the "kid"
 *	   names, and it must serve the alg;
 *	3. signature, compared in constant time;
 *	4. only then the payload: JSON object, typ, then the claims.
 *
 * Nothing here ereports for a bad token: the outcome is a JwtVerifyResult
 * whose reason and detail the caller raises (jwt_verify) or returns
 * (jwt_validate).  An OpenSSL failure, which no token can cause, is raised
 * as 39000 after the OpenSSL call returned.
 *
 * src/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "utils/memutils.h"

#include "base64url.h"
#include "token_cache.h"
#include "verify.h"

static void
memo_store(JwtHeaderMemo *memo, const char *seg, int seg_len, JoseHeader *hdr)
{
	MemoryContext old;

	if (memo->cxt == NULL)
		return;
	MemoryContextReset(memo->cxt);
	old = MemoryContextSwitchTo(memo->cxt);
	memo->seg = pnstrdup(seg, seg_len);
	memo->hdr.alg = hdr->alg;
	memo->hdr.typ = hdr->typ ? pstrdup(hdr->typ) : NULL;
	memo->hdr.kid = hdr->kid ? pstrdup(hdr->kid) : NULL;
	memo->hdr.json = palloc(VARSIZE(hdr->json));
	memcpy(memo->hdr.json, hdr->json, VARSIZE(hdr->json));
	memo->seg_len = seg_len;
	MemoryContextSwitchTo(old);
}

void
jwt_verify_token(const char *token, int len, JwtKey *key,
				 const JwtVerifyOptions *opts, JwtHeaderMemo *memo,
				 JwtVerifyResult *res)
{
	JwtSegments seg;
	JoseHeader	parsed;
	JoseHeader *hdr;
	const JwtAlg *alg;
	JwtKey	   *picked;
	char	   *sig;
	int			siglen;
	int			expected_len;
	size_t		signing_input_len;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t		maclen = 0;
	bool		valid = false;
	bool		cached = false;
	unsigned char digest[JWT_TOKEN_DIGEST_LEN];

	res->detail = NULL;
	res->header = NULL;
	res->claims = NULL;
	res->alg = NULL;
	res->kid = NULL;
	res->signature_ok = false;

	/* 1. shape */
	res->reason = jwt_split(token, len, &seg, &res->detail);
	if (res->reason != JWT_REASON_NONE)
		return;

	/* 2. header, from the memo when this call site saw it last time */
	if (memo && memo->seg && memo->seg_len == seg.header_len &&
		memcmp(memo->seg, seg.header, seg.header_len) == 0)
		hdr = &memo->hdr;
	else
	{
		res->reason = jose_header_parse(seg.header, seg.header_len, &parsed,
										&res->detail);
		res->header = parsed.json;
		if (res->reason != JWT_REASON_NONE)
			return;
		hdr = &parsed;
		if (memo)
			memo_store(memo, seg.header, seg.header_len, &parsed);
	}
	res->header = hdr->json;
	res->alg = alg = hdr->alg;
	res->kid = hdr->kid;

	if ((opts->allowed & JWT_ALG_BIT(alg->id)) == 0)
	{
		res->reason = JWT_REASON_ALGORITHM_NOT_ALLOWED;
		res->detail = psprintf("Algorithm \"%s\" is not in the allowed set", alg->name);
		return;
	}
	res->reason = jwt_key_pick(key, alg, hdr->kid, false, &picked, &res->detail);
	if (res->reason != JWT_REASON_NONE)
		return;

	/*
	 * A key the caller may not use at all (a short RSA key) raises; but
	 * the token picks the member of a set, and no token may make this
	 * raise, so a short member is a mismatch.
	 */
	if (key->kind == JWT_KEY_SET && picked->kind == JWT_KEY_RSA &&
		picked->bits < jwt_min_rsa_bits)
	{
		res->reason = JWT_REASON_KEY_MISMATCH;
		res->detail = psprintf("The key of the set%s%s%s for algorithm \"%s\" is a %d-bit RSA key; jwt.min_rsa_bits is %d",
							   hdr->kid ? " with kid \"" : "",
							   hdr->kid ? jwt_clip(hdr->kid, 64) : "",
							   hdr->kid ? "\"" : "", alg->name,
							   picked->bits, jwt_min_rsa_bits);
		return;
	}
	key = picked;
	jwt_key_check_alg(key, alg, false);

	/*
	 * 3. signature, unless this key verified this very token before in this
	 * backend (token_cache.c: asymmetric algorithms only; everything else
	 * is checked as usual)
	 */
	if (jwt_token_cache_applies(alg) &&
		jwt_token_cache_lookup(token, len, key, digest))
		cached = valid = true;
	else if (!jwt_decode_segment(seg.signature, seg.signature_len, 2, &sig,
								 &siglen, &res->detail))
	{
		res->reason = JWT_REASON_MALFORMED;
		return;
	}
	signing_input_len = (seg.payload + seg.payload_len) - seg.header;
	if (cached)
		;
	else if (alg->family == JWT_FAMILY_HMAC)
	{
		if (siglen != alg->hash_len)
			valid = false;
		else if (!jwt_key_hmac(key, alg, seg.header, signing_input_len, mac, &maclen))
			jwt_openssl_error("could not compute HMAC");
		else
			valid = (maclen == (size_t) siglen &&
					 CRYPTO_memcmp(mac, sig, siglen) == 0);
		expected_len = alg->hash_len;
	}
	else
	{
		if (!jwt_pkey_verify(key, alg, seg.header, signing_input_len,
							 (unsigned char *) sig, siglen, &valid))
			jwt_openssl_error("could not verify the signature");
		expected_len = jwt_pkey_sig_len(key, alg);
		if (valid && jwt_token_cache_applies(alg))
			jwt_token_cache_store(digest, key);
	}
	if (!valid)
	{
		res->reason = JWT_REASON_BAD_SIGNATURE;
		if (siglen != expected_len)
			res->detail = psprintf("The signature has %d bytes, %s signatures with this key have %d",
								   siglen, alg->name, expected_len);
		else
			res->detail = psprintf("The %s signature does not match the header and payload",
								   alg->name);
		return;
	}
	res->signature_ok = true;

	/* 4. typ and claims */
	res->reason = jwt_check_typ(hdr->typ, opts, &res->detail);
	if (res->reason != JWT_REASON_NONE)
		return;
	res->reason = jwt_claims_parse(seg.payload, seg.payload_len, opts,
								   &res->claims, &res->detail);
	if (res->reason == JWT_REASON_MALFORMED ||
		res->reason == JWT_REASON_LIMIT_EXCEEDED)
		res->claims = NULL;
}
