/*-------------------------------------------------------------------------
 *
 * verify.h
 *		Verifying a compact JWS: the whole pipeline from token text to
 *		claims or a reason.
 *
 * src/verify.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_VERIFY_H
#define JWT_VERIFY_H

#include "claims.h"
#include "jose_header.h"
#include "keys.h"

/*
 * The last successfully parsed header of a call site.  Tokens from one
 * issuer share their header segment, so it is parsed once per query.
 */
typedef struct JwtHeaderMemo
{
	MemoryContext cxt;			/* where seg and hdr live */
	char	   *seg;			/* NULL: empty */
	int			seg_len;
	int			depth_limit;	/* jwt.max_json_depth when it was parsed */
	JoseHeader	hdr;
} JwtHeaderMemo;

typedef struct JwtVerifyResult
{
	JwtReason	reason;
	char	   *detail;			/* NULL when valid */
	Jsonb	   *header;			/* NULL when the header did not parse */
	Jsonb	   *claims;			/* set only once the signature verified */
	const JwtAlg *alg;			/* the header's alg, once the header parsed */
	const char *kid;			/* the header's kid, if any (not a copy) */

	/*
	 * The payload's "iss" and "sub" when strings, for the failure log
	 * only: once the claims parsed, and for a token rejected before then
	 * when read_rejected asked for them (unverified: see signature_ok).
	 */
	const char *iss;
	const char *sub;
	bool		signature_ok;	/* the signature verified */
} JwtVerifyResult;

/*
 * Verify "token" with "key".  read_rejected: also read iss and sub of a
 * token rejected before its payload was parsed (for jwt.log_failures).
 */
extern void jwt_verify_token(const char *token, int len, JwtKey *key,
							 const JwtVerifyOptions *opts, JwtHeaderMemo *memo,
							 bool read_rejected, JwtVerifyResult *res);

#endif							/* JWT_VERIFY_H */
