/*-------------------------------------------------------------------------
 *
 * jose_header.c
 *		Splitting a compact JWS and parsing its JOSE header
 *		(RFC 7515 sections 4 and 7.1, RFC 8725 section 3.1).
 *
 * jwt_split checks the token's shape only: size limit, exactly three
 * segments, header and payload not empty.  Each segment is checked to be
 * canonical unpadded base64url when it is decoded, so no byte is looked at
 * twice.  jose_header_parse decodes the header and reads alg, typ, kid and
 * crit: "none" in any casing is refused, an unknown alg is refused, and
 * since this version implements no JWS extension, any "crit" is refused.
 *
 * Both report by returning a JwtReason with a detail sentence (palloc'd in
 * CurrentMemoryContext), and never ereport for bad input.
 *
 * src/jose_header.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "base64url.h"
#include "jose_header.h"
#include "json_in.h"
#include "jwt.h"

static const char *const segment_names[3] = {"header", "payload", "signature"};

/*
 * Ask for the cache lines of a token before the first pass over it: a
 * token read from a table is often in no cache, and memchr would otherwise
 * wait for its lines one after another; asked for at once, their misses
 * overlap.  The first 4 kB at most (a usual token is far shorter).
 */
static inline void
prefetch_token(const char *token, int len)
{
#if defined(__GNUC__) || defined(__clang__)
	const char *end = token + Min(len, 4096);

	for (; token < end; token += 64)
		__builtin_prefetch(token);
#endif
}

/*
 * Split "token" into its three segments and check that each is canonical
 * base64url.
 */
JwtReason
jwt_split(const char *token, int len, JwtSegments *seg, char **detail)
{
	const char *dot1;
	const char *dot2;
	const char *parts[3];
	int			lens[3];
	int			i;

	if (len > jwt_max_token_size)
	{
		*detail = psprintf("The token has %d bytes, more than jwt.max_token_size (%d)",
						   len, jwt_max_token_size);
		return JWT_REASON_LIMIT_EXCEEDED;
	}
	prefetch_token(token, len);
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (dot2 + 1 - token)) != NULL)
	{
		int			ndots = 0;

		for (i = 0; i < len; i++)
			ndots += (token[i] == '.');
		*detail = ndots == 0 ?
			pstrdup("The token has 1 segment, a compact JWS has 3") :
			psprintf("The token has %d segments, a compact JWS has 3",
					 ndots + 1);
		return JWT_REASON_MALFORMED;
	}

	parts[0] = token;
	lens[0] = dot1 - token;
	parts[1] = dot1 + 1;
	lens[1] = dot2 - (dot1 + 1);
	parts[2] = dot2 + 1;
	lens[2] = len - (dot2 + 1 - token);

	for (i = 0; i < 2; i++)
	{
		if (lens[i] == 0)
		{
			*detail = psprintf("The %s segment is empty", segment_names[i]);
			return JWT_REASON_MALFORMED;
		}
	}

	seg->header = parts[0];
	seg->header_len = lens[0];
	seg->payload = parts[1];
	seg->payload_len = lens[1];
	seg->signature = parts[2];
	seg->signature_len = lens[2];
	return JWT_REASON_NONE;
}

/*
 * Decode a segment into a palloc'd, NUL-terminated buffer.  When it is not
 * canonical unpadded base64url, set *detail and return false.
 */
bool
jwt_decode_segment(const char *b64, int len, int segno, char **out,
				   int *outlen, char **detail)
{
	char	   *buf = palloc(B64URL_DEC_LEN(len) + 1);
	int			n = b64url_decode(b64, len, (unsigned char *) buf);

	if (n < 0)
	{
		int			bad = b64url_check(b64, len);

		pfree(buf);
		if (bad >= 0 && bad < len)
			*detail = psprintf("The %s segment has a character outside the base64url alphabet at offset %d",
							   segment_names[segno], bad);
		else
			*detail = psprintf("The %s segment is not canonical unpadded base64url",
							   segment_names[segno]);
		return false;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return true;
}

/*
 * Decode and parse the header segment.
 */
JwtReason
jose_header_parse(const char *b64, int len, JoseHeader *hdr, char **detail)
{
	JwtJsonField f[4] = {{.name = "alg"}, {.name = "typ"}, {.name = "kid"}, {.name = "crit"}};
	char	   *json;
	int			json_len;
	JwtReason	reason;

	memset(hdr, 0, sizeof(*hdr));
	if (!jwt_decode_segment(b64, len, 0, &json, &json_len, detail))
		return JWT_REASON_MALFORMED;
	reason = jwt_json_parse(json, json_len, "header", f, lengthof(f), &hdr->json, detail);
	if (reason != JWT_REASON_NONE)
		return reason;

	/* typ and kid, when present, are strings (RFC 7515 4.1.4, 4.1.9) */
	if (f[1].type != JWT_JSON_ABSENT && f[1].type != JWT_JSON_STRING)
	{
		*detail = pstrdup("Header parameter \"typ\" is not a string");
		return JWT_REASON_MALFORMED;
	}
	hdr->typ = f[1].str;
	if (f[2].type != JWT_JSON_ABSENT && f[2].type != JWT_JSON_STRING)
	{
		*detail = pstrdup("Header parameter \"kid\" is not a string");
		return JWT_REASON_MALFORMED;
	}
	hdr->kid = f[2].str;

	/* alg */
	if (f[0].type == JWT_JSON_ABSENT)
	{
		*detail = pstrdup("Header parameter \"alg\" is missing");
		return JWT_REASON_MALFORMED;
	}
	if (f[0].type != JWT_JSON_STRING)
	{
		*detail = pstrdup("Header parameter \"alg\" is not a string");
		return JWT_REASON_MALFORMED;
	}
	if (pg_strcasecmp(f[0].str, "none") == 0)
	{
		*detail = pstrdup("Algorithm \"none\" (an unsecured JWS) is never accepted");
		return JWT_REASON_ALGORITHM_NOT_ALLOWED;
	}
	hdr->alg = jwt_alg_by_name(f[0].str, strlen(f[0].str));
	if (hdr->alg == NULL)
	{
		*detail = psprintf("Header parameter \"alg\" is \"%s\", an unknown algorithm",
						   jwt_clip(f[0].str, 32));
		return JWT_REASON_ALGORITHM_NOT_ALLOWED;
	}

	/* crit: a non-empty array of names (RFC 7515 4.1.11); we know none */
	if (f[3].type != JWT_JSON_ABSENT)
	{
		if (f[3].type != JWT_JSON_ARRAY || !f[3].elems_ok ||
			f[3].nelems == 0)
		{
			*detail = pstrdup("Header parameter \"crit\" is not a non-empty array of strings");
			return JWT_REASON_MALFORMED;
		}
		*detail = psprintf("Header parameter \"crit\" lists \"%s\", an extension this version does not implement",
						   jwt_clip(f[3].elems[0], 32));
		return JWT_REASON_UNSUPPORTED_CRITICAL_HEADER;
	}
	return JWT_REASON_NONE;
}
