/*-------------------------------------------------------------------------
 *
 * sql_jwt.c
 *		SQL entry points: jwt_sign, jwt_verify, jwt_validate, jwt_decode,
 *		jwt_generate_secret.
 *
 * Argument conventions: the optional arguments default to NULL, which rules
 * out STRICT, so the required ones (token, key, claims) are checked here
 * and a NULL among them yields NULL, as STRICT would.  jwt_sign's
 * algorithm defaults to NULL: the key's (jwt_sign_default_alg).
 *
 * The entry points only unpack their arguments: the work is done by
 * jwt_sign_with and jwt_verify_with (api.c), which the extension's own C
 * callers use directly.
 *
 * Memory: per call in CurrentMemoryContext (a per-tuple context in a
 * set-based query, so nothing accumulates across rows); per call site in a
 * JwtCallCache under fn_mcxt, holding the JwtVerifySite (the resolved
 * "algorithms" and "require" arguments, the last parsed header), the key
 * cache entry of the last key argument (jwt_key_get_memo: a constant key
 * is found again without hashing it) and the result tuple descriptor; per
 * backend, the key cache of keys.c.
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

#include "api.h"
#include "base64url.h"
#include "entry.h"
#include "jose_header.h"
#include "json_in.h"
#include "jwt.h"
#include "key_export.h"
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
	VA_AT,
	VA_AUDIENCES
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
	JwtVerifySite *site;		/* resolved arrays, last parsed header */
	JwtKeyMemo	key;			/* the last key argument's cache entry */
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
		cc->site = jwt_verify_site_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cc;
	}
	return cc;
}

/*
 * The blessed row type of the calling function's result, made once per
 * call site in fn_mcxt and kept in *cached.
 */
TupleDesc
jwt_result_tupdesc(FunctionCallInfo fcinfo, TupleDesc *cached)
{
	if (*cached == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			jwt_elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		*cached = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	return *cached;
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

/*
 * The audiences the token must name one of: "audience" (text, argument
 * argno) or "audiences" (text[], argument aud_argno, the last one), of
 * which at most one may be given.  An empty array or a NULL element is
 * refused.  A declaration without "audiences" (0.1.1's, before ALTER
 * EXTENSION UPDATE; a C caller through fmgr) passes fewer arguments: then
 * only "audience" counts.
 */
static void
audience_args(FunctionCallInfo fcinfo, int argno, int aud_argno,
			  JwtVerifyParams *p)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			n;
	int			i;

	p->naudiences = 0;
	p->audiences = NULL;
	if (!PG_ARGISNULL(argno))
	{
		p->audiences = palloc(sizeof(JwtStr));
		p->audiences[0] = str_arg(fcinfo, argno);
		p->naudiences = 1;
	}
	if (aud_argno >= PG_NARGS() || PG_ARGISNULL(aud_argno))
		return;
	if (p->naudiences > 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience and audiences must not both be given"),
				 errhint("Put every audience the token may be for in audiences.")));
	arr = PG_GETARG_ARRAYTYPE_P(aud_argno);
	jwt_text_array_elems(arr, "audiences", &elems, &n);
	if (n == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audiences must not be an empty array"),
				 errhint("Name the audiences the token may be for, or pass NULL for a token without \"aud\".")));
	p->audiences = palloc(sizeof(JwtStr) * n);
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(elems[i]);

		p->audiences[i].data = VARDATA_ANY(t);
		p->audiences[i].len = VARSIZE_ANY_EXHDR(t);
	}
	p->naudiences = n;
}

/*
 * jwt_verify's optional arguments, from argument "first" (algorithms) on:
 * algorithms, audience, issuer, subject, typ, require, max_age, leeway,
 * and "at" when with_at; "audiences" is argument aud_argno (each
 * function's last).  Also the layout of jwt_registry_verify's.
 */
void
jwt_verify_params_from_args(FunctionCallInfo fcinfo, int first, bool with_at,
							int aud_argno, JwtVerifyParams *p)
{
	memset(p, 0, sizeof(*p));
	if (!PG_ARGISNULL(first))
		p->algorithms = PG_GETARG_ARRAYTYPE_P(first);
	audience_args(fcinfo, first + 1, aud_argno, p);
	p->issuer = str_arg(fcinfo, first + 2);
	p->subject = str_arg(fcinfo, first + 3);
	p->typ = str_arg(fcinfo, first + 4);
	if (!PG_ARGISNULL(first + 5))
		p->require = PG_GETARG_ARRAYTYPE_P(first + 5);
	if (!PG_ARGISNULL(first + 6))
		p->max_age = PG_GETARG_INTERVAL_P(first + 6);
	if (!PG_ARGISNULL(first + 7))
		p->leeway = PG_GETARG_INTERVAL_P(first + 7);
	if (with_at && !PG_ARGISNULL(first + 8))
	{
		p->has_at = true;
		p->at = PG_GETARG_TIMESTAMPTZ(first + 8);
	}
}

/*
 * The row of jwt_validate: valid, reason, header, claims.  A NULL "res"
 * gives the row of NULLs.
 */
Datum
jwt_validate_row(TupleDesc td, const JwtVerifyResult *res)
{
	Datum		values[4];
	bool		nulls[4] = {true, true, true, true};

	if (res != NULL)
	{
		values[0] = BoolGetDatum(res->reason == JWT_REASON_NONE);
		nulls[0] = false;
		if (res->reason != JWT_REASON_NONE)
		{
			values[1] = CStringGetTextDatum(jwt_reason_keyword(res->reason));
			nulls[1] = false;
		}
		if (res->header)
		{
			values[2] = JsonbPGetDatum(res->header);
			nulls[2] = false;
		}
		if (res->claims)
		{
			values[3] = JsonbPGetDatum(res->claims);
			nulls[3] = false;
		}
	}
	return HeapTupleGetDatum(heap_form_tuple(td, values, nulls));
}

static void
verify_common(FunctionCallInfo fcinfo, JwtKeyForm form, JwtVerifyResult *res)
{
	JwtCallCache *cc = get_cache(fcinfo);
	text	   *token = PG_GETARG_TEXT_PP(VA_TOKEN);
	JwtKey	   *key = jwt_key_from_datum_memo(PG_GETARG_DATUM(VA_KEY), form, &cc->key);
	JwtVerifyParams params;

	jwt_verify_params_from_args(fcinfo, VA_ALGORITHMS, true, VA_AUDIENCES, &params);
	jwt_verify_with(cc->site, VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
					key, &params, JWT_STATS_COUNT, res);
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
	TupleDesc	td;

	if (PG_ARGISNULL(VA_TOKEN) || PG_ARGISNULL(VA_KEY))
		PG_RETURN_NULL();
	td = jwt_result_tupdesc(fcinfo, &get_cache(fcinfo)->tupdesc);
	verify_common(fcinfo, form, &res);
	PG_RETURN_DATUM(jwt_validate_row(td, &res));
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
	JwtSignParams params;

	if (PG_ARGISNULL(SA_CLAIMS) || PG_ARGISNULL(SA_KEY))
		PG_RETURN_NULL();

	claims = PG_GETARG_JSONB_P(SA_CLAIMS);
	key = jwt_key_from_datum_memo(PG_GETARG_DATUM(SA_KEY), form, &get_cache(fcinfo)->key);
	if (PG_ARGISNULL(SA_ALGORITHM))
		alg = jwt_sign_default_alg(key);
	else
	{
		algname = PG_GETARG_TEXT_PP(SA_ALGORITHM);
		alg = jwt_alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));
	}

	params.header = PG_ARGISNULL(SA_HEADER) ? NULL : PG_GETARG_JSONB_P(SA_HEADER);
	params.expires_in = PG_ARGISNULL(SA_EXPIRES_IN) ? NULL :
		PG_GETARG_INTERVAL_P(SA_EXPIRES_IN);
	params.not_before = PG_ARGISNULL(SA_NOT_BEFORE) ? NULL :
		PG_GETARG_INTERVAL_P(SA_NOT_BEFORE);
	PG_RETURN_TEXT_P(jwt_sign_with(claims, key, alg, &params,
								   JWT_STATS_COUNT));
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
	TupleDesc	td = jwt_result_tupdesc(fcinfo, &get_cache(fcinfo)->tupdesc);

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
	const JwtAlg *alg = jwt_alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));

	PG_RETURN_JSONB_P(jwt_key_generate(alg));
}

/*
 * jwt_public_jwk(key) -> the public JWK of a PEM or JWK key
 */
JWT_FUNCTION(jwt_public_jwk_text)
{
	PG_RETURN_JSONB_P(jwt_key_public_jwk(jwt_key_from_datum(PG_GETARG_DATUM(0), JWT_FORM_TEXT)));
}

JWT_FUNCTION(jwt_public_jwk_jsonb)
{
	PG_RETURN_JSONB_P(jwt_key_public_jwk(jwt_key_from_datum(PG_GETARG_DATUM(0), JWT_FORM_JSONB)));
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
