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

#include "utils/datum.h"
#include "utils/memutils.h"

#include "base64url.h"
#include "crypto.h"
#include "jwt.h"
#include "token_cache.h"
#include "verify.h"

/* A copy of "src" in CurrentMemoryContext. */
static void
header_copy(JoseHeader *dst, const JoseHeader *src)
{
	dst->alg = src->alg;
	dst->typ = src->typ ? pstrdup(src->typ) : NULL;
	dst->kid = src->kid ? pstrdup(src->kid) : NULL;
	dst->json = (Jsonb *) DatumGetPointer(datumCopy(PointerGetDatum(src->json), false, -1));
}

/*
 * Remember "hdr", parsed from "seg", in "memo".  The memo is empty until
 * the copy is whole, so an error raised half-way (out of memory) leaves it
 * empty, never half-filled.
 */
static void
memo_store(JwtHeaderMemo *memo, const char *seg, int seg_len,
		   const JoseHeader *hdr, int depth_limit)
{
	MemoryContext old;

	if (memo->cxt == NULL)
		return;
	memo->seg = NULL;
	MemoryContextReset(memo->cxt);
	old = MemoryContextSwitchTo(memo->cxt);
	header_copy(&memo->hdr, hdr);
	memo->seg_len = seg_len;
	memo->depth_limit = depth_limit;
	memo->seg = pnstrdup(seg, seg_len);
	MemoryContextSwitchTo(old);
}

static bool
memo_matches(const JwtHeaderMemo *memo, const char *seg, int seg_len)
{
	return memo->seg != NULL && memo->seg_len == seg_len &&
		memo->depth_limit == jwt_max_json_depth &&
		memcmp(memo->seg, seg, seg_len) == 0;
}

/*
 * The headers parsed last in this backend, whatever the call site: a call
 * site lives for one query, and a client's tokens share a few header
 * segments (one per key) over many queries.  What parsing a header segment
 * gives depends only on its text, jwt.max_json_depth and the database's
 * encoding, so a header found here is the one parsing would give.  Only
 * headers that parsed are kept, none longer than HEADER_SEG_MAX, in
 * HEADER_SLOTS slots of their own, the most recently used first.
 */
#define HEADER_SLOTS	8
#define HEADER_SEG_MAX	512

static JwtHeaderMemo header_slots[HEADER_SLOTS];

static JwtHeaderMemo *
header_slot_find(const char *seg, int seg_len)
{
	int			i;

	for (i = 0; i < HEADER_SLOTS; i++)
	{
		if (memo_matches(&header_slots[i], seg, seg_len))
		{
			JwtHeaderMemo hit = header_slots[i];

			memmove(&header_slots[1], &header_slots[0], i * sizeof(JwtHeaderMemo));
			header_slots[0] = hit;
			return &header_slots[0];
		}
	}
	return NULL;
}

static void
header_slot_store(const char *seg, int seg_len, const JoseHeader *hdr)
{
	JwtHeaderMemo last;

	if (seg_len > HEADER_SEG_MAX)
		return;
	last = header_slots[HEADER_SLOTS - 1];
	if (last.cxt == NULL)
	{
		static MemoryContext parent = NULL;

		if (parent == NULL)
			parent = AllocSetContextCreate(TopMemoryContext, "jwt header slots",
										   ALLOCSET_SMALL_SIZES);
		last.cxt = AllocSetContextCreate(parent, "jwt header slot",
										 ALLOCSET_SMALL_SIZES);
		last.seg = NULL;
	}
	memmove(&header_slots[1], &header_slots[0],
			(HEADER_SLOTS - 1) * sizeof(JwtHeaderMemo));
	header_slots[0] = last;
	memo_store(&header_slots[0], seg, seg_len, hdr, jwt_max_json_depth);
}

/*
 * Step 2's parse: the header of "segs", from the call site's memo, else
 * from the backend's slots (then copied into the memo, or into
 * CurrentMemoryContext without a memo that can hold it), else parsed (and
 * remembered in both).
 * Sets res->reason, and res->header when it parsed.
 */
static JoseHeader *
header_get(const JwtSegments *segs, JwtHeaderMemo *memo, JoseHeader *parsed,
		   JwtVerifyResult *res)
{
	JwtHeaderMemo *slot;

	if (memo && memo_matches(memo, segs->header, segs->header_len))
		return &memo->hdr;
	slot = header_slot_find(segs->header, segs->header_len);
	if (slot != NULL)
	{
		if (memo)
		{
			memo_store(memo, segs->header, segs->header_len, &slot->hdr,
					   slot->depth_limit);
			if (memo->seg != NULL)
				return &memo->hdr;
		}
		header_copy(parsed, &slot->hdr);
		return parsed;
	}
	res->reason = jose_header_parse(segs->header, segs->header_len, parsed,
									&res->detail);
	res->header = parsed->json;
	if (res->reason != JWT_REASON_NONE)
		return NULL;
	header_slot_store(segs->header, segs->header_len, parsed);
	if (memo)
		memo_store(memo, segs->header, segs->header_len, parsed,
				   jwt_max_json_depth);
	return parsed;
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
	const JwtClaimSet *cached_claims = NULL;
	JwtClaimSet cs;

	/* 1. shape */
	res->reason = jwt_split(token, len, segs, &res->detail);
	if (res->reason != JWT_REASON_NONE)
		return;

	/* 2. header, parsed or as parsed before */
	hdr = header_get(segs, memo, &parsed, res);
	if (hdr == NULL)
		return;
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
								   key, &digest, &cached_claims))
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
	if (cached_claims != NULL)
	{
		/*
		 * The claims as read when this token was verified here before
		 * (token_cache.c): the same text read the same way.  Copied out
		 * first, each value in a chunk of its own as reading makes them;
		 * "aud" is only read by the check.
		 */
		cs = *cached_claims;
		cs.claims = (Jsonb *) DatumGetPointer(datumCopy(PointerGetDatum(cs.claims), false, -1));
		cs.iss = cs.iss ? pstrdup(cs.iss) : NULL;
		cs.sub = cs.sub ? pstrdup(cs.sub) : NULL;
	}
	else
	{
		res->reason = jwt_claims_read(segs->payload, segs->payload_len, &cs,
									  &res->detail);
		if (res->reason != JWT_REASON_NONE)
		{
			/* malformed or over a limit: no claims, iss and sub if read */
			res->iss = cs.iss;
			res->sub = cs.sub;
			return;
		}
		if (cached)				/* found again: worth keeping them */
			jwt_token_cache_store_claims(&digest, key, &cs);
	}
	res->claims = cs.claims;
	res->iss = cs.iss;
	res->sub = cs.sub;
	res->reason = jwt_claims_check(&cs, opts, &res->detail);
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
		JwtClaimSet cs;
		char	   *detail;

		(void) jwt_claims_read(seg.payload, seg.payload_len, &cs, &detail);
		res->iss = cs.iss;
		res->sub = cs.sub;
	}
}
