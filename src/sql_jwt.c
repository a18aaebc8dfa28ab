/*-------------------------------------------------------------------------
 *
 * sql_jwt.c
 *		SQL entry points: jwt_sign, jwt_verify, jwt_validate, jwt_decode,
 *		jwt_generate_secret.
 *
 * Argument conventions: the optional arguments default to NULL, which rules
 * out STRICT, so the required ones (token, key, claims, algorithm) are
 * checked here and a NULL among them yields NULL, as STRICT would.
 *
 * Memory: per call in CurrentMemoryContext (a per-tuple context in a
 * set-based query, so nothing accumulates across rows); per call site in a
 * JwtCallCache under fn_mcxt, holding the resolved "algorithms" and
 * "require" arguments, the last parsed header and the result tuple
 * descriptor; per backend, the key cache of keys.c.
 *
 * src/sql_jwt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "errors.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "port/pg_bitutils.h"

#include "base64url.h"
#include "entry.h"
#include "jose_header.h"
#include "json_in.h"
#include "jwt.h"
#include "sign.h"
#include "stats.h"
#include "verify.h"


/* Positions of jwt_verify's and jwt_validate's arguments */
enum
{
	VA_TOKEN,
	VA_KEY,
	VA_ALGORITHMS,
	VA_AUDIENCE,
	VA_ISSUER,
	VA_SUBJECT,
	VA_TYP,
	VA_REQUIRE,
	VA_MAX_AGE,
	VA_LEEWAY,
	VA_AT
};

/* Positions of jwt_sign's arguments */
enum
{
	SA_CLAIMS,
	SA_KEY,
	SA_ALGORITHM,
	SA_HEADER,
	SA_EXPIRES_IN,
	SA_NOT_BEFORE
};

typedef struct JwtCallCache
{
	/* the "algorithms" argument, as given and resolved */
	char	   *algs_raw;
	int			algs_raw_len;
	JwtAlgSet	algs_named;
	/* the "require" argument, as given and resolved */
	char	   *req_raw;
	int			req_raw_len;
	int			nrequire;
	char	  **require;
	/* the last header parsed at this call site */
	JwtHeaderMemo memo;
	/* result row type of jwt_validate / jwt_decode */
	TupleDesc	tupdesc;
} JwtCallCache;

static JwtCallCache *
get_cache(FunctionCallInfo fcinfo)
{
	JwtCallCache *cc = (JwtCallCache *) fcinfo->flinfo->fn_extra;

	if (cc == NULL)
	{
		cc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(JwtCallCache));
		cc->memo.cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
											 "jwt header memo",
											 ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cc;
	}
	return cc;
}

static TupleDesc
get_tupdesc(FunctionCallInfo fcinfo, JwtCallCache *cc)
{
	if (cc->tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			jwt_elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		cc->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	return cc->tupdesc;
}

static JwtKey *
key_from_arg(FunctionCallInfo fcinfo, int argno, JwtKeyForm form)
{
	if (form == JWT_FORM_JSONB)
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(argno);

		return jwt_key_get((const char *) jb, VARSIZE(jb), form);
	}
	else
	{
		bytea	   *k = PG_GETARG_BYTEA_PP(argno);

		return jwt_key_get(VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k), form);
	}
}

/* Seconds in an interval, a month counted as 30 days as elsewhere. */
static double
interval_seconds(Interval *iv)
{
	return (double) iv->time / USECS_PER_SEC +
		((double) iv->day + (double) iv->month * DAYS_PER_MONTH) * SECS_PER_DAY;
}

static double
timestamptz_unix(TimestampTz ts)
{
	return (double) ts / USECS_PER_SEC + (double) JWT_UNIX_EPOCH_OFFSET_SECS;
}

/* Look up an algorithm named by the caller; raise 22023 when unknown. */
static const JwtAlg *
alg_from_name(const char *name, int len)
{
	const JwtAlg *alg;

	if (len == 4 && pg_strncasecmp(name, "none", 4) == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"none\" is never accepted"),
				 errdetail("An unsecured JWS carries no signature (RFC 8725, section 3.1).")));
	alg = jwt_alg_by_name(name, len);
	if (alg == NULL)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%.*s\"", Min(len, 32), name),
				 errhint("Algorithm names are case-sensitive: HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, ES256K, EdDSA.")));
	return alg;
}

/*
 * Deconstruct a one-dimensional text[] argument with no NULL elements.
 */
static void
text_array_elems(ArrayType *arr, const char *argname, Datum **elems, int *n)
{
	bool	   *nulls;
	int			i;

	if (ARR_NDIM(arr) > 1)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", argname)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, elems, &nulls, n);
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain NULL", argname)));
	}
}

/* Resolve "algorithms" into a set, once per distinct array value. */
static JwtAlgSet
resolve_algorithms(JwtCallCache *cc, FunctionCallInfo fcinfo, ArrayType *arr)
{
	Datum	   *elems;
	int			n;
	int			i;
	JwtAlgSet	set = 0;

	if (cc->algs_raw && cc->algs_raw_len == (int) VARSIZE(arr) &&
		memcmp(cc->algs_raw, arr, VARSIZE(arr)) == 0)
		return cc->algs_named;

	text_array_elems(arr, "algorithms", &elems, &n);
	if (n == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithms must not be empty"),
				 errhint("Pass NULL to allow the algorithms the key serves.")));
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(elems[i]);

		set |= JWT_ALG_BIT(alg_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))->id);
	}

	if (cc->algs_raw)
		pfree(cc->algs_raw);
	cc->algs_raw = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(arr));
	memcpy(cc->algs_raw, arr, VARSIZE(arr));
	cc->algs_raw_len = VARSIZE(arr);
	cc->algs_named = set;
	return set;
}

/* Resolve "require" into C strings, once per distinct array value. */
static void
resolve_require(JwtCallCache *cc, FunctionCallInfo fcinfo, ArrayType *arr)
{
	Datum	   *elems;
	int			n;
	int			i;
	MemoryContext old;

	if (cc->req_raw && cc->req_raw_len == (int) VARSIZE(arr) &&
		memcmp(cc->req_raw, arr, VARSIZE(arr)) == 0)
		return;

	text_array_elems(arr, "require", &elems, &n);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cc->require = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		cc->require[i] = text_to_cstring(DatumGetTextPP(elems[i]));
	cc->nrequire = n;
	cc->req_raw = palloc(VARSIZE(arr));
	memcpy(cc->req_raw, arr, VARSIZE(arr));
	cc->req_raw_len = VARSIZE(arr);
	MemoryContextSwitchTo(old);
}

static JwtStr
str_arg(FunctionCallInfo fcinfo, int argno)
{
	JwtStr		s = {NULL, 0};

	if (!PG_ARGISNULL(argno))
	{
		text	   *t = PG_GETARG_TEXT_PP(argno);

		s.data = VARDATA_ANY(t);
		s.len = VARSIZE_ANY_EXHDR(t);
	}
	return s;
}

/* Turn jwt_verify's optional arguments into JwtVerifyOptions. */
static void
build_options(FunctionCallInfo fcinfo, JwtCallCache *cc, JwtKey *key,
			  JwtVerifyOptions *o)
{
	memset(o, 0, sizeof(*o));

	if (PG_ARGISNULL(VA_ALGORITHMS))
		o->allowed = key->usable;
	else
	{
		JwtAlgSet	named = resolve_algorithms(cc, fcinfo,
											   PG_GETARG_ARRAYTYPE_P(VA_ALGORITHMS));
		JwtAlgSet	short_hmac = named & JWT_ALGS_HMAC & ~key->usable;

		/* an HS algorithm the secret is too short for is a caller error */
		if (key->kind == JWT_KEY_SECRET && short_hmac)
			jwt_key_check_alg(key, jwt_alg_by_id(pg_rightmost_one_pos32(short_hmac)), false);
		o->allowed = named;
	}

	o->audience = str_arg(fcinfo, VA_AUDIENCE);
	o->issuer = str_arg(fcinfo, VA_ISSUER);
	o->subject = str_arg(fcinfo, VA_SUBJECT);
	o->typ = str_arg(fcinfo, VA_TYP);

	if (!PG_ARGISNULL(VA_REQUIRE))
	{
		resolve_require(cc, fcinfo, PG_GETARG_ARRAYTYPE_P(VA_REQUIRE));
		o->nrequire = cc->nrequire;
		o->require = cc->require;
	}

	if (!PG_ARGISNULL(VA_MAX_AGE))
	{
		o->has_max_age = true;
		o->max_age = interval_seconds(PG_GETARG_INTERVAL_P(VA_MAX_AGE));
		if (o->max_age < 0)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_age must not be negative")));
	}
	if (!PG_ARGISNULL(VA_LEEWAY))
	{
		o->leeway = interval_seconds(PG_GETARG_INTERVAL_P(VA_LEEWAY));
		if (o->leeway < 0)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("leeway must not be negative")));
		if (o->leeway > jwt_max_leeway)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("leeway exceeds jwt.max_leeway"),
					 errdetail("The leeway is %g s, jwt.max_leeway is %d s.",
							   o->leeway, jwt_max_leeway),
					 errhint("Use a smaller leeway, or have a superuser raise jwt.max_leeway.")));
	}
	if (!PG_ARGISNULL(VA_AT))
	{
		TimestampTz at = PG_GETARG_TIMESTAMPTZ(VA_AT);

		if (TIMESTAMP_NOT_FINITE(at))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("at must be a finite timestamp")));
		o->now = timestamptz_unix(at);
	}
	else
		o->now = timestamptz_unix(GetCurrentStatementStartTimestamp());
}

static void
verify_common(FunctionCallInfo fcinfo, JwtKeyForm form, JwtVerifyResult *res)
{
	JwtCallCache *cc = get_cache(fcinfo);
	text	   *token = PG_GETARG_TEXT_PP(VA_TOKEN);
	JwtKey	   *key = key_from_arg(fcinfo, VA_KEY, form);
	JwtVerifyOptions opts;

	build_options(fcinfo, cc, key, &opts);
	jwt_verify_token(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), key,
					 &opts, &cc->memo, res);
	jwt_stats_verified(res, VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
}

static Datum
verify_raise(FunctionCallInfo fcinfo, JwtKeyForm form)
{
	JwtVerifyResult res;

	if (PG_ARGISNULL(VA_TOKEN) || PG_ARGISNULL(VA_KEY))
		PG_RETURN_NULL();
	verify_common(fcinfo, form, &res);
	if (res.reason != JWT_REASON_NONE)
		jwt_report(res.reason, res.detail, false);
	PG_RETURN_JSONB_P(res.claims);
}

static Datum
validate_row(FunctionCallInfo fcinfo, JwtKeyForm form)
{
	JwtVerifyResult res;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	TupleDesc	td;

	if (PG_ARGISNULL(VA_TOKEN) || PG_ARGISNULL(VA_KEY))
		PG_RETURN_NULL();
	td = get_tupdesc(fcinfo, get_cache(fcinfo));
	verify_common(fcinfo, form, &res);

	values[0] = BoolGetDatum(res.reason == JWT_REASON_NONE);
	if (res.reason == JWT_REASON_NONE)
		nulls[1] = true;
	else
		values[1] = CStringGetTextDatum(jwt_reason_keyword(res.reason));
	if (res.header)
		values[2] = JsonbPGetDatum(res.header);
	else
		nulls[2] = true;
	if (res.claims)
		values[3] = JsonbPGetDatum(res.claims);
	else
		nulls[3] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

JWT_FUNCTION(jwt_verify_text)
{
	return verify_raise(fcinfo, JWT_FORM_TEXT);
}

JWT_FUNCTION(jwt_verify_bytea)
{
	return verify_raise(fcinfo, JWT_FORM_BYTEA);
}

JWT_FUNCTION(jwt_verify_jsonb)
{
	return verify_raise(fcinfo, JWT_FORM_JSONB);
}

JWT_FUNCTION(jwt_validate_text)
{
	return validate_row(fcinfo, JWT_FORM_TEXT);
}

JWT_FUNCTION(jwt_validate_bytea)
{
	return validate_row(fcinfo, JWT_FORM_BYTEA);
}

JWT_FUNCTION(jwt_validate_jsonb)
{
	return validate_row(fcinfo, JWT_FORM_JSONB);
}

static Datum
sign_common(FunctionCallInfo fcinfo, JwtKeyForm form)
{
	Jsonb	   *claims;
	JwtKey	   *key;
	text	   *algname;
	const JwtAlg *alg;
	JwtSignTimes times;
	Jsonb	   *header;
	text	   *token;

	if (PG_ARGISNULL(SA_CLAIMS) || PG_ARGISNULL(SA_KEY) || PG_ARGISNULL(SA_ALGORITHM))
		PG_RETURN_NULL();

	claims = PG_GETARG_JSONB_P(SA_CLAIMS);
	key = key_from_arg(fcinfo, SA_KEY, form);
	algname = PG_GETARG_TEXT_PP(SA_ALGORITHM);
	alg = alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));

	memset(&times, 0, sizeof(times));
	times.now = timestamptz_unix(GetCurrentStatementStartTimestamp());
	if (!PG_ARGISNULL(SA_EXPIRES_IN))
	{
		times.has_expires_in = true;
		times.expires_in = interval_seconds(PG_GETARG_INTERVAL_P(SA_EXPIRES_IN));
	}
	if (!PG_ARGISNULL(SA_NOT_BEFORE))
	{
		times.has_not_before = true;
		times.not_before = interval_seconds(PG_GETARG_INTERVAL_P(SA_NOT_BEFORE));
	}

	header = PG_ARGISNULL(SA_HEADER) ? NULL : PG_GETARG_JSONB_P(SA_HEADER);
	token = jwt_sign_token(claims, key, alg, header, &times);
	jwt_stats_signed(alg, key, header);
	PG_RETURN_TEXT_P(token);
}

JWT_FUNCTION(jwt_sign_text)
{
	return sign_common(fcinfo, JWT_FORM_TEXT);
}

JWT_FUNCTION(jwt_sign_bytea)
{
	return sign_common(fcinfo, JWT_FORM_BYTEA);
}

JWT_FUNCTION(jwt_sign_jsonb)
{
	return sign_common(fcinfo, JWT_FORM_JSONB);
}

/*
 * jwt_decode(token) -> (header jsonb, claims jsonb, signature bytea)
 *
 * Decodes without verifying anything.  Any "alg" is shown, "none" included,
 * but the segments must still be canonical base64url JSON objects without
 * duplicate members: malformed input raises 22P02.
 */
JWT_FUNCTION(jwt_decode)
{
	text	   *token = PG_GETARG_TEXT_PP(0);
	JwtSegments seg;
	char	   *detail = NULL;
	JwtReason	reason;
	char	   *json;
	int			json_len;
	Jsonb	   *header;
	Jsonb	   *claims;
	bytea	   *sig;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	TupleDesc	td = get_tupdesc(fcinfo, get_cache(fcinfo));

	reason = jwt_split(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), &seg, &detail);
	if (reason != JWT_REASON_NONE)
		jwt_report(reason, detail, true);

	if (!jwt_decode_segment(seg.header, seg.header_len, 0, &json, &json_len, &detail))
		jwt_report(JWT_REASON_MALFORMED, detail, true);
	reason = jwt_json_parse(json, json_len, "header", NULL, 0, &header, &detail);
	if (reason != JWT_REASON_NONE)
		jwt_report(reason, detail, true);
	if (!jwt_decode_segment(seg.payload, seg.payload_len, 1, &json, &json_len, &detail))
		jwt_report(JWT_REASON_MALFORMED, detail, true);
	reason = jwt_json_parse(json, json_len, "payload", NULL, 0, &claims, &detail);
	if (reason != JWT_REASON_NONE)
		jwt_report(reason, detail, true);
	if (!jwt_decode_segment(seg.signature, seg.signature_len, 2, &json, &json_len, &detail))
		jwt_report(JWT_REASON_MALFORMED, detail, true);
	sig = palloc(VARHDRSZ + json_len);
	SET_VARSIZE(sig, VARHDRSZ + json_len);
	memcpy(VARDATA(sig), json, json_len);

	values[0] = JsonbPGetDatum(header);
	values[1] = JsonbPGetDatum(claims);
	values[2] = PointerGetDatum(sig);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * jwt_generate_secret(bytes) -> bytea from OpenSSL's CSPRNG
 */
JWT_FUNCTION(jwt_generate_secret)
{
	int32		n = PG_GETARG_INT32(0);
	bytea	   *res;

	if (n < 32 || n > 1024)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("secret length must be between 32 and 1024 bytes"),
				 errdetail("HS256 needs at least 32 bytes, HS384 48 and HS512 64.")));
	res = palloc(VARHDRSZ + n);
	SET_VARSIZE(res, VARHDRSZ + n);
	ERR_clear_error();
	if (RAND_bytes((unsigned char *) VARDATA(res), n) != 1)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("could not generate random bytes")));
	PG_RETURN_BYTEA_P(res);
}

/*
 * jwt_generate_key(algorithm) -> a new private JWK
 */
JWT_FUNCTION(jwt_generate_key)
{
	text	   *algname = PG_GETARG_TEXT_PP(0);
	const JwtAlg *alg = alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));

	PG_RETURN_JSONB_P(jwt_key_generate(alg));
}

/*
 * jwt_public_jwk(key) -> the public JWK of a PEM or JWK key
 */
JWT_FUNCTION(jwt_public_jwk_text)
{
	PG_RETURN_JSONB_P(jwt_key_public_jwk(key_from_arg(fcinfo, 0, JWT_FORM_TEXT)));
}

JWT_FUNCTION(jwt_public_jwk_jsonb)
{
	PG_RETURN_JSONB_P(jwt_key_public_jwk(key_from_arg(fcinfo, 0, JWT_FORM_JSONB)));
}

/*
 * jwt_raise(sqlstate, message, detail, hint): raise an error whose
 * statement the server log leaves out, for the extension's PL/pgSQL
 * functions that take keys (a RAISE there, or an error it catches, would
 * be logged with the statement and so with the key).  The message, detail
 * and hint are the caller's, which must not quote a key.
 */
JWT_FUNCTION(jwt_raise)
{
	char	   *state = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *message = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *detail = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *hint = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	int			code = ERRCODE_RAISE_EXCEPTION;

	if (state && strlen(state) == 5 &&
		strspn(state, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5 &&
		strncmp(state, "00", 2) != 0)
		code = MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]);
	jwt_ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", message ? message : "error raised by jwt_raise"),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
	PG_RETURN_VOID();
}
