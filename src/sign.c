/*-------------------------------------------------------------------------
 *
 * sign.c
 *		Build and sign a compact JWS (RFC 7515 section 7.1).
 *
 * The header is {"alg":...,"typ":"JWT"} followed by the signing JWK's
 * "kid" (unless the caller's header names one) and the caller's extra
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
#include "utils/builtins.h"

#include "base64url.h"
#include "crypto.h"
#include "encoding.h"
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

static void
claim_type_error(const char *name, const char *what)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("claim \"%s\" must be %s", name, what),
			 errdetail("RFC 7519, section 4.1, defines the type of \"%s\".", name)));
}

/*
 * Whether a number as json_out_value wrote it (numeric_out: digits, no
 * exponent, ending the NUL-terminated buffer) is a finite double, as
 * jwt_verify reads a time claim.  Only one of 309 or more integer digits
 * can overflow, so the common case costs a scan of its digits.
 */
static bool
finite_as_double(const char *num, int len)
{
	int			digits = 0;
	int			i = (len > 0 && num[0] == '-') ? 1 : 0;

	while (i < len && num[i] >= '0' && num[i] <= '9')
	{
		i++;
		digits++;
	}
	return digits < 309 || isfinite(strtod(num, NULL));
}

typedef struct ClaimsSeen
{
	bool		has_iat;
	bool		has_exp;
	bool		has_nbf;
} ClaimsSeen;

/*
 * Check a registered claim's type as json_out_members writes it (RFC 7519
 * section 4.1: exp, nbf and iat numbers; iss, sub and jti strings; aud a
 * string or an array of strings), so that jwt_sign never makes a token
 * that jwt_verify would call malformed, and note iat, exp and nbf.
 */
static void
check_claim(void *arg, const char *name, int namelen, JsonbValue *v,
			const char *text, int textlen)
{
	static const char *const names[] = {"exp", "nbf", "iat", "iss", "sub", "jti", "aud"};
	static const char kinds[] = "nnnsssa";	/* 'n'umber, 's'tring, 'a'ud */
	ClaimsSeen *seen = (ClaimsSeen *) arg;
	const char *pending;
	char		kind;
	uint32		packed;
	int			i;

	if (namelen != 3)
		return;
	/* the three bytes as one number, compared with each name's */
#define PACK3(a, b, c) ((uint32) (a) << 16 | (uint32) (b) << 8 | (uint32) (c))
	packed = PACK3((unsigned char) name[0], (unsigned char) name[1],
				   (unsigned char) name[2]);
	switch (packed)
	{
		case PACK3('e', 'x', 'p'):
			i = 0;
			break;
		case PACK3('n', 'b', 'f'):
			i = 1;
			break;
		case PACK3('i', 'a', 't'):
			i = 2;
			break;
		case PACK3('i', 's', 's'):
			i = 3;
			break;
		case PACK3('s', 'u', 'b'):
			i = 4;
			break;
		case PACK3('j', 't', 'i'):
			i = 5;
			break;
		case PACK3('a', 'u', 'd'):
			i = 6;
			break;
		default:
			return;
	}
#undef PACK3
	pending = names[i];
	kind = kinds[i];
	seen->has_exp |= (i == 0);
	seen->has_nbf |= (i == 1);
	seen->has_iat |= (i == 2);
	if (kind == 'n' && v->type != jbvNumeric)
		claim_type_error(pending, "a number");
	if (kind == 's' && v->type != jbvString)
		claim_type_error(pending, "a string");
	if (kind == 'a' && v->type != jbvString && !is_string_array(v))
		claim_type_error(pending, "a string or an array of strings");
	if (kind == 'n' && !finite_as_double(text, textlen))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claim \"%s\" is out of range", pending),
				 errdetail("A NumericDate must be a finite number of seconds (at most about 1.8e308).")));
}

/*
 * Write the members of "claims" into "buf" (without braces) in one pass,
 * checking the registered claims' types on the way (check_claim).
 * Reports which of iat, exp and nbf were present.
 */
static void
write_claims(StringInfo buf, Jsonb *claims, bool *has_iat, bool *has_exp,
			 bool *has_nbf)
{
	ClaimsSeen	seen = {false, false, false};

	if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claims must be a JSON object")));
	(void) json_out_members(buf, &claims->root, NULL, 0, true, check_claim, &seen);
	*has_iat = seen.has_iat;
	*has_exp = seen.has_exp;
	*has_nbf = seen.has_nbf;
}

/* Check the caller's extra header members. */
static void
check_header(Jsonb *header, const JwtAlg *alg)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(header) || JB_ROOT_IS_SCALAR(header))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header must be a JSON object")));
	v = get_member(header, "alg", &buf);
	if (v && (v->type != jbvString ||
			  v->val.string.len != (int) strlen(alg->name) ||
			  memcmp(v->val.string.val, alg->name, v->val.string.len) != 0))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"alg\" does not match the algorithm \"%s\"",
						alg->name),
				 errhint("Leave \"alg\" out of the header; it is set from the algorithm argument.")));
	if (get_member(header, "crit", &buf))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("header member \"crit\" is not supported"),
				 errdetail("This version implements no JWS extension that \"crit\" could name.")));
	if (get_member(header, "b64", &buf))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("header member \"b64\" is not supported"),
				 errdetail("\"b64\" is only meaningful when \"crit\" lists it (RFC 7797, section 6), and this version implements neither.")));
	v = get_member(header, "typ", &buf);
	if (v && v->type != jbvString && v->type != jbvNull)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"typ\" must be a string, or null to leave it out")));
	v = get_member(header, "kid", &buf);
	if (v && v->type != jbvString)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("header member \"kid\" must be a string")));
}

/* Append ,"name":t with t in whole seconds. */
static void
append_numeric_date(StringInfo buf, const char *name, double t)
{
	char		num[MAXINT8LEN + 1];
	int			len;

	if (!(fabs(t) < 1e15))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("claim \"%s\" is out of range", name)));
	len = pg_lltoa((int64) floor(t), num);
	appendStringInfoCharMacro(buf, ',');
	appendStringInfoCharMacro(buf, '"');
	appendBinaryStringInfo(buf, name, 3);
	appendBinaryStringInfo(buf, "\":", 2);
	appendBinaryStringInfo(buf, num, len);
}

text *
jwt_sign_token(Jsonb *claims, JwtKey *key, const JwtAlg *alg,
			   Jsonb *header, const JwtSignTimes *times)
{
	static const char *const header_skip[] = {"alg", "typ"};
	StringInfoData hjson;
	StringInfoData pjson;
	JsonbValue	buf;
	JsonbValue	typ_buf;
	JsonbValue *typ = NULL;
	bool		has_iat,
				has_exp,
				has_nbf;
	int			hlen,
				plen,
				slen;
	text	   *result;
	char	   *p;
	int			siglen;
	unsigned char sigbuf[512];
	unsigned char *sig;
	size_t		actual = 0;
	const char *kid = NULL;
	JwtKey	   *use;
	char	   *detail;

	if (header)
	{
		check_header(header, alg);
		typ = get_member(header, "typ", &typ_buf);
		if (get_member(header, "kid", &buf))
			kid = pnstrdup(buf.val.string.val, buf.val.string.len);
	}

	/* the key: itself, or the member of a set that the header's kid names */
	if (key->kind == JWT_KEY_SET)
	{
		if (kid == NULL)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("signing with a JWK Set needs a \"kid\" in the header"),
					 errhint("Pass header => '{\"kid\": \"...\"}' to choose the key.")));
		if (jwt_key_pick(key, alg, kid, true, &use, &detail) != JWT_REASON_NONE)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no key of the JWK Set can sign with \"%s\"", alg->name),
					 errdetail("%s.", detail)));
		key = use;
	}
	jwt_key_check_alg(key, alg, true);

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
	if (kid == NULL && key->kid != NULL)
	{
		appendStringInfoString(&hjson, ",\"kid\":");
		json_out_string(&hjson, key->kid, strlen(key->kid));
	}
	if (header)
		(void) json_out_members(&hjson, &header->root, header_skip,
								lengthof(header_skip), false, NULL, NULL);
	appendStringInfoCharMacro(&hjson, '}');

	/* payload JSON */
	initStringInfo(&pjson);
	appendStringInfoCharMacro(&pjson, '{');
	write_claims(&pjson, claims, &has_iat, &has_exp, &has_nbf);
	if (has_exp && times->has_expires_in)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_in cannot be used with claims that already carry \"exp\"")));
	if (has_nbf && times->has_not_before)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not_before cannot be used with claims that already carry \"nbf\"")));
	if (!has_iat)
		append_numeric_date(&pjson, "iat", times->now);
	if (times->has_expires_in)
		append_numeric_date(&pjson, "exp", times->now + times->expires_in);
	if (times->has_not_before)
		append_numeric_date(&pjson, "nbf", times->now + times->not_before);
	/* the first member may have been an added one: drop its comma */
	if (pjson.len > 1 && pjson.data[1] == ',')
	{
		memmove(pjson.data + 1, pjson.data + 2, pjson.len - 2);
		pjson.len--;
	}
	appendStringInfoCharMacro(&pjson, '}');

	/* JOSE is UTF-8 (RFC 7515 section 5.1); jsonb text is in the server's */
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		char	   *conv;

		conv = jwt_server_to_utf8_or_error(hjson.data, hjson.len, "the header");
		if (conv != hjson.data)
		{
			hjson.data = conv;
			hjson.len = strlen(conv);
		}
		conv = jwt_server_to_utf8_or_error(pjson.data, pjson.len, "the claims");
		if (conv != pjson.data)
		{
			pjson.data = conv;
			pjson.len = strlen(conv);
		}
		jwt_check_sql_ascii_utf8(hjson.data, hjson.len, "header");
		jwt_check_sql_ascii_utf8(pjson.data, pjson.len, "claims");
	}

	/* a token of at most 1 GB, as any value: the sum is taken in 64 bits */
	siglen = jwt_crypto_sig_len(key, alg);
	if ((uint64) B64URL_ENC_LEN((uint64) hjson.len) + B64URL_ENC_LEN((uint64) pjson.len) +
		B64URL_ENC_LEN((uint64) siglen) + VARHDRSZ + 2 > MaxAllocSize)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("JSON Web Token would be larger than 1 GB"),
				 errdetail("Its header and claims take %lld bytes as JSON.",
						   (long long) hjson.len + pjson.len)));

	/* header.payload.signature, encoded in place */
	hlen = B64URL_ENC_LEN(hjson.len);
	plen = B64URL_ENC_LEN(pjson.len);
	slen = B64URL_ENC_LEN(siglen);
	result = (text *) palloc(VARHDRSZ + hlen + 1 + plen + 1 + slen);
	p = VARDATA(result);
	p += b64url_encode((unsigned char *) hjson.data, hjson.len, p);
	*p++ = '.';
	p += b64url_encode((unsigned char *) pjson.data, pjson.len, p);

	sig = siglen <= (int) sizeof(sigbuf) ? sigbuf : palloc(siglen);
	if (!jwt_crypto_sign(key, alg, VARDATA(result), p - VARDATA(result), sig, &actual))
		jwt_crypto_error(alg, true);
	*p++ = '.';
	p += b64url_encode(sig, (int) actual, p);
	SET_VARSIZE(result, p - (char *) result);

	return result;
}
