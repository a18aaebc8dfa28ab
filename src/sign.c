/*-------------------------------------------------------------------------
 *
 * sign.c
 *		Build and sign a compact JWS (RFC 7515 section 7.1).
 *
 * The header is {"alg":...,"typ":"JWT"} followed by the caller's extra
 * members; the payload is the caller's claims plus "iat" (unless present)
 * and "exp"/"nbf" from the intervals.  Both are written as compact JSON,
 * base64url-encoded straight into the result text, and the MAC is computed
 * over that text in place.
 *
 * The claims and header are checked first, so that this function never
 * produces a token that jwt_verify would call malformed: registered claims
 * must have their registered types, and a header may not override "alg" or
 * ask for "crit" extensions.  Bad arguments raise 22023.
 *
 * src/sign.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"

#include "base64url.h"
#include "errors.h"
#include "json_out.h"
#include "sign.h"

static JsonbValue *
get_member(Jsonb *obj, const char *name, JsonbValue *buf)
{
	return getKeyJsonValueFromContainer(&obj->root, name, strlen(name), buf);
}

static bool
is_string_array(JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		return false;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM && e.type != jbvString)
			return false;
	}
	return true;
}

/*
 * Check the registered claims' types (RFC 7519 section 4.1) and that the
 * intervals do not collide with claims already present.
 */
void
jwt_check_claims_for_sign(Jsonb *claims, const JwtSignTimes *times)
{
	static const char *const numeric_claims[] = {"exp", "nbf", "iat"};
	static const char *const string_claims[] = {"iss", "sub", "jti"};
	JsonbValue	buf;
	JsonbValue *v;
	int			i;

	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claims must be a JSON object")));

	for (i = 0; i < lengthof(numeric_claims); i++)
	{
		v = get_member(claims, numeric_claims[i], &buf);
		if (v && v->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("claim \"%s\" must be a number", numeric_claims[i]),
					 errdetail("RFC 7519 defines \"%s\" as a NumericDate, seconds since 1970-01-01 UTC.",
							   numeric_claims[i])));
	}
	for (i = 0; i < lengthof(string_claims); i++)
	{
		v = get_member(claims, string_claims[i], &buf);
		if (v && v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("claim \"%s\" must be a string", string_claims[i])));
	}
	v = get_member(claims, "aud", &buf);
	if (v && v->type != jbvString && !is_string_array(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claim \"aud\" must be a string or an array of strings")));

	if (times->has_expires_in && get_member(claims, "exp", &buf))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_in cannot be used with claims that already carry \"exp\"")));
	if (times->has_not_before && get_member(claims, "nbf", &buf))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not_before cannot be used with claims that already carry \"nbf\"")));
}

/* Check the caller's extra header members. */
static void
check_header(Jsonb *header, const JwtAlg *alg)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(header) || JB_ROOT_IS_SCALAR(header))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header must be a JSON object")));
	v = get_member(header, "alg", &buf);
	if (v && (v->type != jbvString ||
			  v->val.string.len != (int) strlen(alg->name) ||
			  memcmp(v->val.string.val, alg->name, v->val.string.len) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"alg\" does not match the algorithm \"%s\"",
						alg->name),
				 errhint("Leave \"alg\" out of the header; it is set from the algorithm argument.")));
	if (get_member(header, "crit", &buf) || get_member(header, "b64", &buf))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("header members \"crit\" and \"b64\" are not supported"),
				 errdetail("This version implements no JWS extension that \"crit\" could name.")));
	v = get_member(header, "typ", &buf);
	if (v && v->type != jbvString && v->type != jbvNull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"typ\" must be a string, or null to leave it out")));
	v = get_member(header, "kid", &buf);
	if (v && v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"kid\" must be a string")));
}

static void
append_numeric_date(StringInfo buf, const char *name, double t, bool first)
{
	if (!(fabs(t) < 1e15))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claim \"%s\" is out of range", name)));
	appendStringInfo(buf, "%s\"%s\":" INT64_FORMAT, first ? "" : ",",
					 name, (int64) floor(t));
}

text *
jwt_sign_token(Jsonb *claims, JwtKey *key, const JwtAlg *alg,
			   Jsonb *header, const JwtSignTimes *times)
{
	static const char *const header_skip[] = {"alg", "typ"};
	StringInfoData hjson;
	StringInfoData pjson;
	JsonbValue	buf;
	JsonbValue *typ = NULL;
	bool		first;
	int			hlen,
				plen,
				slen;
	text	   *result;
	char	   *p;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t		maclen = 0;

	jwt_check_claims_for_sign(claims, times);
	if (header)
	{
		check_header(header, alg);
		typ = get_member(header, "typ", &buf);
	}

	/* header JSON */
	initStringInfo(&hjson);
	appendStringInfoString(&hjson, "{\"alg\":");
	json_out_string(&hjson, alg->name, strlen(alg->name));
	if (typ == NULL)
		appendStringInfoString(&hjson, ",\"typ\":\"JWT\"");
	else if (typ->type == jbvString)
	{
		appendStringInfoString(&hjson, ",\"typ\":");
		json_out_string(&hjson, typ->val.string.val, typ->val.string.len);
	}
	if (header)
		(void) json_out_members(&hjson, &header->root, header_skip,
								lengthof(header_skip), false);
	appendStringInfoCharMacro(&hjson, '}');

	/* payload JSON */
	initStringInfo(&pjson);
	appendStringInfoCharMacro(&pjson, '{');
	first = json_out_members(&pjson, &claims->root, NULL, 0, true);
	if (!get_member(claims, "iat", &buf))
	{
		append_numeric_date(&pjson, "iat", times->now, first);
		first = false;
	}
	if (times->has_expires_in)
	{
		append_numeric_date(&pjson, "exp", times->now + times->expires_in, first);
		first = false;
	}
	if (times->has_not_before)
	{
		append_numeric_date(&pjson, "nbf", times->now + times->not_before, first);
		first = false;
	}
	appendStringInfoCharMacro(&pjson, '}');

	/* JOSE is UTF-8 (RFC 7515 section 5.1); jsonb text is in the server's */
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		hjson.data = pg_server_to_any(hjson.data, hjson.len, PG_UTF8);
		hjson.len = strlen(hjson.data);
		pjson.data = pg_server_to_any(pjson.data, pjson.len, PG_UTF8);
		pjson.len = strlen(pjson.data);
	}

	/* header.payload.signature, encoded in place */
	hlen = B64URL_ENC_LEN(hjson.len);
	plen = B64URL_ENC_LEN(pjson.len);
	slen = B64URL_ENC_LEN(alg->hash_len);
	result = (text *) palloc(VARHDRSZ + hlen + 1 + plen + 1 + slen);
	SET_VARSIZE(result, VARHDRSZ + hlen + 1 + plen + 1 + slen);
	p = VARDATA(result);
	p += b64url_encode((unsigned char *) hjson.data, hjson.len, p);
	*p++ = '.';
	p += b64url_encode((unsigned char *) pjson.data, pjson.len, p);

	if (!jwt_key_hmac(key, alg, VARDATA(result), p - VARDATA(result), mac, &maclen) ||
		maclen != (size_t) alg->hash_len)
		jwt_openssl_error("could not compute HMAC");
	*p++ = '.';
	p += b64url_encode(mac, (int) maclen, p);
	Assert(p == VARDATA(result) + hlen + 1 + plen + 1 + slen);

	return result;
}
