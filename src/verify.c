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
 * For the failure log, a token rejected after its header parsed but before
 * step 4 has its payload read once, only for "iss" and "sub", and only
 * when the caller asks (read_rejected); nothing else sees them.
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

#include "utils/memutils.h"

#include "base64url.h"
#include "crypto.h"
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

/*
 * The pipeline; sets *payload_read once it parsed the payload (or tried
 * to), and leaves the segments of a token that split in *segs.
 */
static void
verify_pipeline(const char *token, int len, JwtKey *key,
				const JwtVerifyOptions *opts, JwtHeaderMemo *memo,
				JwtVerifyResult *res, JwtSegments *segs, bool *payload_read)
{
	JoseHeader	parsed;
	JoseHeader *hdr;
	const JwtAlg *alg;
	JwtKey	   *picked;
	char	   *sig = NULL;
	int			siglen = 0;
	size_t		signing_input_len;
	bool		valid = false;
	bool		cached = false;
	JwtTokenDigest digest;
	bool		use_cache = false;


	/* 1. shape */
	res->reason = jwt_split(token, len, segs, &res->detail);
	if (res->reason != JWT_REASON_NONE)
		return;

	/* 2. header, from the memo when this call site saw it last time */
	if (memo && memo->seg && memo->seg_len == segs->header_len &&
		memcmp(memo->seg, segs->header, segs->header_len) == 0)
		hdr = &memo->hdr;
	else
	{
		res->reason = jose_header_parse(segs->header, segs->header_len, &parsed,
										&res->detail);
		res->header = parsed.json;
		if (res->reason != JWT_REASON_NONE)
			return;
		hdr = &parsed;
		if (memo)
			memo_store(memo, segs->header, segs->header_len, &parsed);
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
	signing_input_len = (segs->payload + segs->payload_len) - segs->header;
	if (jwt_token_cache_applies(alg))
	{
		/*
		 * The token's digest; on the way, the hash of the signing input when
		 * the check below signs its SHA-256
		 */
		use_cache = true;
		if (jwt_token_cache_lookup(token, len, (int) signing_input_len,
								   alg->family != JWT_FAMILY_EDDSA &&
								   alg->hash_len == SHA256_DIGEST_LENGTH,
								   key, &digest))
			cached = valid = true;
	}
	if (!cached &&
		!jwt_decode_segment(segs->signature, segs->signature_len, 2, &sig,
							&siglen, &res->detail))
	{
		res->reason = JWT_REASON_MALFORMED;
		return;
	}
	if (!cached)
	{
		unsigned char md[SHA256_DIGEST_LENGTH];
		bool		have_md = use_cache && jwt_token_cache_input_hash(&digest, md);

		if (!jwt_crypto_verify(key, alg, segs->header, signing_input_len,
							   have_md ? md : NULL,
							   (unsigned char *) sig, siglen, &valid))
			jwt_crypto_error(alg, false);
		if (valid && use_cache)
			jwt_token_cache_store(&digest, key);
	}
	if (!valid)
	{
		int			expected_len = jwt_crypto_sig_len(key, alg);

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
	*payload_read = true;
	res->reason = jwt_claims_parse(segs->payload, segs->payload_len, opts,
								   &res->claims, &res->iss, &res->sub,
								   &res->detail);
	if (res->reason == JWT_REASON_MALFORMED ||
		res->reason == JWT_REASON_LIMIT_EXCEEDED)
		res->claims = NULL;
}

void
jwt_verify_token(const char *token, int len, JwtKey *key,
				 const JwtVerifyOptions *opts, JwtHeaderMemo *memo,
				 bool read_rejected, JwtVerifyResult *res)
{
	JwtSegments seg;
	bool		payload_read = false;

	res->detail = NULL;
	res->header = NULL;
	res->claims = NULL;
	res->alg = NULL;
	res->kid = NULL;
	res->iss = NULL;
	res->sub = NULL;
	res->signature_ok = false;

	verify_pipeline(token, len, key, opts, memo, res, &seg, &payload_read);

	/*
	 * A token rejected once its header parsed but before its payload was:
	 * iss and sub for the failure log, read from a payload whose signature
	 * did not verify (or was not checked).  Best effort; the reason and
	 * detail stay the rejection's.
	 */
	if (read_rejected && !payload_read && res->reason != JWT_REASON_NONE &&
		res->header != NULL && res->reason != JWT_REASON_LIMIT_EXCEEDED)
	{
		Jsonb	   *claims;
		char	   *detail;

		(void) jwt_claims_parse(seg.payload, seg.payload_len, opts,
								&claims, &res->iss, &res->sub, &detail);
	}
}
