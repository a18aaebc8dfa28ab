/*-------------------------------------------------------------------------
 *
 * api.c
 *		jwt_sign and jwt_verify as C functions taking their options in a
 *		struct (api.h).
 *
 * The SQL entry points of sql_jwt.c only unpack their arguments into
 * JwtSignParams / JwtVerifyParams; the key registry, jwt_authenticate and
 * refresh-token rotation call the same functions directly, so that none
 * of the extension's internal calls resolves a function by name (a role
 * that may CREATE in the extension's schema could otherwise plant a
 * look-alike there).
 *
 * Memory: results in CurrentMemoryContext; the per call site state of
 * verification (resolved arrays, the last parsed header) in a context of
 * its own under the caller's, usually fn_mcxt.
 *
 * src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "api.h"
#include "errors.h"
#include "jwt.h"
#include "key_export.h"
#include "sign.h"
#include "stats.h"

struct JwtVerifySite
{
	MemoryContext cxt;			/* holds everything below */
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
};

JwtVerifySite *
jwt_verify_site_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "jwt verify site",
											  ALLOCSET_SMALL_SIZES);
	JwtVerifySite *site = MemoryContextAllocZero(cxt, sizeof(JwtVerifySite));

	site->cxt = cxt;
	site->memo.cxt = AllocSetContextCreate(cxt, "jwt header memo",
										   ALLOCSET_SMALL_SIZES);
	return site;
}

JwtKey *
jwt_key_from_datum(Datum key, JwtKeyForm form)
{
	return jwt_key_from_datum_memo(key, form, NULL);
}

/* The same, remembering the key in "memo" (a call site's) when not NULL. */
JwtKey *
jwt_key_from_datum_memo(Datum key, JwtKeyForm form, JwtKeyMemo *memo)
{
	const char *bytes;
	int			len;

	if (form == JWT_FORM_JSONB)
	{
		Jsonb	   *jb = DatumGetJsonbP(key);

		bytes = (const char *) jb;
		len = VARSIZE(jb);
	}
	else
	{
		bytea	   *k = DatumGetByteaPP(key);

		bytes = VARDATA_ANY(k);
		len = VARSIZE_ANY_EXHDR(k);
	}
	return memo ? jwt_key_get_memo(memo, bytes, len, form) :
		jwt_key_get(bytes, len, form);
}

/* Seconds in an interval, a month counted as 30 days as elsewhere. */
double
jwt_interval_seconds(Interval *iv)
{
	return (double) iv->time / USECS_PER_SEC +
		((double) iv->day + (double) iv->month * DAYS_PER_MONTH) * SECS_PER_DAY;
}

double
jwt_timestamptz_unix(TimestampTz ts)
{
	return (double) ts / USECS_PER_SEC + (double) JWT_UNIX_EPOCH_OFFSET_SECS;
}

const JwtAlg *
jwt_alg_from_name(const char *name, int len)
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
 * The algorithm to sign with when the caller names none: the one the key
 * serves, when that is unambiguous.  A key bound to one algorithm (a JWK
 * with "alg", an EC key by its curve, an Ed25519 or Ed448 key) signs with
 * it; an HMAC secret with HS256 (what jwt_sign always defaulted to; a JWK
 * "oct" with "alg" with that); an RSA key without "alg" could serve six
 * and a JWK Set several keys: 22023, with a hint.
 */
const JwtAlg *
jwt_sign_default_alg(JwtKey *key)
{
	JwtAlgSet	usable = key->usable;

	if (key->kind == JWT_KEY_SECRET && !(usable != 0 && (usable & (usable - 1)) == 0))
		return jwt_alg_by_id(JWT_ALG_HS256);	/* too short: jwt_sign says so */
	if (key->kind != JWT_KEY_SET && usable != 0 && (usable & (usable - 1)) == 0)
		return jwt_alg_by_id(pg_rightmost_one_pos32(usable));
	jwt_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 key->kind == JWT_KEY_SET ?
			 errmsg("cannot choose the signing algorithm for a JWK Set") :
			 errmsg("cannot choose the signing algorithm for %s", jwt_key_describe(key)),
			 key->kind == JWT_KEY_SET ?
			 errdetail("The algorithm is taken from the key only when the key serves one: a JWK with \"alg\", an EC or EdDSA key, an HMAC secret (HS256).") :
			 errdetail("The key could serve several algorithms and carries no \"alg\"."),
			 errhint("Pass the algorithm argument, for example algorithm => 'RS256'.")));
	return NULL;				/* not reached */
}

/*
 * Deconstruct a one-dimensional text[] argument with no NULL elements.
 */
void
jwt_text_array_elems(ArrayType *arr, const char *argname, Datum **elems, int *n)
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
resolve_algorithms(JwtVerifySite *site, ArrayType *arr)
{
	Datum	   *elems;
	int			n;
	int			i;
	JwtAlgSet	set = 0;

	if (site->algs_raw && site->algs_raw_len == (int) VARSIZE(arr) &&
		memcmp(site->algs_raw, arr, VARSIZE(arr)) == 0)
		return site->algs_named;

	jwt_text_array_elems(arr, "algorithms", &elems, &n);
	if (n == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithms must not be empty"),
				 errhint("Pass NULL to allow the algorithms the key serves.")));
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(elems[i]);

		set |= JWT_ALG_BIT(jwt_alg_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))->id);
	}

	if (site->algs_raw)
		pfree(site->algs_raw);
	site->algs_raw = MemoryContextAlloc(site->cxt, VARSIZE(arr));
	memcpy(site->algs_raw, arr, VARSIZE(arr));
	site->algs_raw_len = VARSIZE(arr);
	site->algs_named = set;
	return set;
}

/* Resolve "require" into C strings, once per distinct array value. */
static void
resolve_require(JwtVerifySite *site, ArrayType *arr)
{
	Datum	   *elems;
	int			n;
	int			i;
	MemoryContext old;

	if (site->req_raw && site->req_raw_len == (int) VARSIZE(arr) &&
		memcmp(site->req_raw, arr, VARSIZE(arr)) == 0)
		return;

	jwt_text_array_elems(arr, "require", &elems, &n);
	old = MemoryContextSwitchTo(site->cxt);
	site->require = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		site->require[i] = text_to_cstring(DatumGetTextPP(elems[i]));
	site->nrequire = n;
	site->req_raw = palloc(VARSIZE(arr));
	memcpy(site->req_raw, arr, VARSIZE(arr));
	site->req_raw_len = VARSIZE(arr);
	MemoryContextSwitchTo(old);
}

/* Turn jwt_verify's optional arguments into JwtVerifyOptions. */
static void
build_options(JwtVerifySite *site, const JwtVerifyParams *p, JwtKey *key,
			  JwtVerifyOptions *o)
{
	memset(o, 0, sizeof(*o));

	if (p->algorithms == NULL)
	{
		/* a secret that could be a key's text needs "algorithms" (keys.c) */
		jwt_key_check_implicit_algorithms(key);
		o->allowed = key->usable;
	}
	else
	{
		JwtAlgSet	named = resolve_algorithms(site, p->algorithms);
		JwtAlgSet	short_hmac = named & JWT_ALGS_HMAC & ~key->usable;

		/* an HS algorithm the secret is too short for is a caller error */
		if (key->kind == JWT_KEY_SECRET && short_hmac)
			jwt_key_check_alg(key, jwt_alg_by_id(pg_rightmost_one_pos32(short_hmac)), false);
		o->allowed = named;
	}

	o->naudiences = p->naudiences;
	o->audiences = p->audiences;
	o->issuer = p->issuer;
	o->subject = p->subject;
	o->typ = p->typ;

	if (p->require != NULL)
	{
		resolve_require(site, p->require);
		o->nrequire = site->nrequire;
		o->require = site->require;
	}

	if (p->max_age != NULL)
	{
		o->has_max_age = true;
		o->max_age = jwt_interval_seconds(p->max_age);
		if (o->max_age < 0)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_age must not be negative")));
	}
	if (p->leeway != NULL)
	{
		o->leeway = jwt_interval_seconds(p->leeway);
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
	if (p->has_at)
	{
		if (TIMESTAMP_NOT_FINITE(p->at))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("at must be a finite timestamp")));
		o->now = jwt_timestamptz_unix(p->at);
	}
	else
		o->now = jwt_timestamptz_unix(GetCurrentStatementStartTimestamp());
}

void
jwt_verify_with(JwtVerifySite *site, const char *token, int len, JwtKey *key,
				const JwtVerifyParams *params, int stats, JwtVerifyResult *res)
{
	JwtVerifyOptions opts;

	build_options(site, params, key, &opts);
	jwt_verify_token(token, len, key, &opts, &site->memo,
					 (stats & JWT_STATS_COUNT) != 0 && jwt_stats_logs_failures(),
					 res);
	if (stats & JWT_STATS_COUNT)
		jwt_stats_verified(res, (stats & JWT_STATS_KID) != 0);
}

text *
jwt_sign_with(Jsonb *claims, JwtKey *key, const JwtAlg *alg,
			  const JwtSignParams *params, int stats)
{
	JwtSignTimes times;
	text	   *token;

	memset(&times, 0, sizeof(times));
	times.now = jwt_timestamptz_unix(GetCurrentStatementStartTimestamp());
	if (params->expires_in != NULL)
	{
		times.has_expires_in = true;
		times.expires_in = jwt_interval_seconds(params->expires_in);
	}
	if (params->not_before != NULL)
	{
		times.has_not_before = true;
		times.not_before = jwt_interval_seconds(params->not_before);
	}
	token = jwt_sign_token(claims, key, alg, params->header, &times);
	if (stats & JWT_STATS_COUNT)
		jwt_stats_signed(alg, key, params->header,
						 (stats & JWT_STATS_KID) != 0);
	return token;
}

/*
 * "ts" plus or minus "iv", refused with 22008 before the arithmetic when
 * the result could leave the range of timestamptz.  The bound is
 * conservative: a month counts as 31 days and a day as 25 hours (a day in
 * which the clocks go back), so an interval within it cannot overflow in
 * any step of timestamptz_pl_interval (months, then days, then time).
 */
TimestampTz
jwt_time_arg(TimestampTz ts, Interval *iv, int sign, const char *argname)
{
	double		month = (double) iv->month * sign * 31.0 * USECS_PER_DAY;
	double		day = (double) iv->day * sign * (double) (USECS_PER_DAY + USECS_PER_HOUR);
	double		time = (double) iv->time * sign;
	double		forward = Max(month, 0) + Max(day, 0) + Max(time, 0);
	double		backward = Min(month, 0) + Min(day, 0) + Min(time, 0);
	Datum		res;

	if ((double) ts + forward >= (double) END_TIMESTAMP ||
		(double) ts + backward < (double) MIN_TIMESTAMP)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval argument \"%s\" is out of range", argname),
				 errdetail("The current time %s \"%s\" is outside the range of timestamp with time zone.",
						   sign > 0 ? "plus" : "minus", argname)));
	if (sign > 0)
		res = DirectFunctionCall2(timestamptz_pl_interval,
								  TimestampTzGetDatum(ts),
								  IntervalPGetDatum(iv));
	else
		res = DirectFunctionCall2(timestamptz_mi_interval,
								  TimestampTzGetDatum(ts),
								  IntervalPGetDatum(iv));
	return DatumGetTimestampTz(res);
}
