/*-------------------------------------------------------------------------
 *
 * sql_claims.c
 *		SQL entry points for claims in queries and row-level security:
 *		jwt_claims, jwt_claim, jwt_authenticate, jwt_registry_authenticate,
 *		jwt_consume, jwt_registry_consume.
 *
 * jwt_claims() and jwt_claim(name) run once per row in a policy, so their
 * answer is cached per call site (fn_extra) under jwt_claims_generation:
 * the fast path is a counter comparison (plus, in request mode, reading
 * the setting and comparing its text).  Values cached in fn_mcxt are never
 * freed before the query ends, since a row may still point to them; one
 * copy is made per change of the claims, which is at most a few per query.
 *
 * jwt_authenticate and jwt_consume verify through the jwt_verify entry
 * points of sql_jwt.c (same checks, same errors), each call site holding
 * its own FmgrInfo for them so that their per-call-site caches work.  The
 * registry's keys are reached through the extension's SECURITY DEFINER
 * PL/pgSQL function jwt_registry_keyset_definer, found in the schema of the
 * calling function and called through fmgr, which switches to its owner
 * (EXECUTE is checked by the executor, not by fmgr, so the internal one
 * can stay closed to PUBLIC).  The denylist and the consumed ids are
 * reached by direct calls to denylist.c, which never looks up a function.
 *
 * src/sql_claims.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/catalog.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "claims_ctx.h"
#include "denylist.h"
#include "entry.h"
#include "errors.h"
#include "jwt.h"
#include "stats.h"


/* The jwt_verify entry points of sql_jwt.c */
extern PGDLLEXPORT Datum jwt_verify_text(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jwt_verify_bytea(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum jwt_verify_jsonb(PG_FUNCTION_ARGS);

/*
 * jwt_verify's arguments: token, key, algorithms, audience, issuer,
 * subject, typ, require, max_age, leeway, at.  jwt_authenticate and
 * jwt_consume take the same up to leeway (never "at": authentication is
 * always about now), then their own; the registry variants have no key.
 */
#define VERIFY_NARGS		11
#define VERIFY_SHARED		10	/* token .. leeway */
#define ARG_LEEWAY			9	/* in the key variants */

typedef enum ClaimsOp
{
	OP_AUTHENTICATE,
	OP_CONSUME
} ClaimsOp;

/* Per call site of jwt_claims / jwt_claim */
typedef struct ClaimsSiteCache
{
	uint64		generation;
	char	   *request_text;	/* request mode: the setting it came from */
	bool		name_stable;	/* jwt_claim: the name is a constant */
	char	   *name;
	int			name_len;
	bool		isnull;
	Datum		value;			/* in fn_mcxt */
} ClaimsSiteCache;

/* Per call site of jwt_authenticate / jwt_consume */
typedef struct AuthSite
{
	FmgrInfo	verify;			/* jwt_verify_*, its fn_extra its own */
	FmgrInfo	keyset;			/* jwt_registry_keyset_definer() */
	FmgrInfo	is_revoked;		/* jwt_is_revoked(jsonb) */
	FmgrInfo	consume;		/* jwt_consume_jti(text, timestamptz) */
} AuthSite;

/* ---------------------------------------------------------------------
 * jwt_claims() and jwt_claim(name)
 * ---------------------------------------------------------------------
 */

static ClaimsSiteCache *
site_cache(FunctionCallInfo fcinfo)
{
	ClaimsSiteCache *sc = (ClaimsSiteCache *) fcinfo->flinfo->fn_extra;

	if (sc == NULL)
	{
		sc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClaimsSiteCache));
		sc->name_stable = fcinfo->nargs > 0 &&
			get_fn_expr_arg_stable(fcinfo->flinfo, 0);
		fcinfo->flinfo->fn_extra = sc;
	}
	return sc;
}

/*
 * Does what the site cached still hold?  In authenticate mode the
 * generation says it all; in request mode the setting may have been
 * changed by set_config() since, so its text is compared too.
 */
static inline bool
site_valid(ClaimsSiteCache *sc)
{
	const char *text;

	if (sc->generation != jwt_claims_generation)
		return false;
	if (jwt_claims_source == JWT_CLAIMS_SOURCE_AUTHENTICATE)
		return true;
	text = jwt_request_claims_text();
	if (text == NULL || sc->request_text == NULL)
		return text == sc->request_text;
	return strcmp(text, sc->request_text) == 0;
}

/* Remember the setting text the site's value came from. */
static void
site_store_source(FunctionCallInfo fcinfo, ClaimsSiteCache *sc,
				  const char *request_text)
{
	if (sc->request_text)
		pfree(sc->request_text);
	sc->request_text = request_text ?
		MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, request_text) : NULL;
	sc->generation = jwt_claims_generation;
}

/*
 * jwt_claims() -> jsonb: the claims in force for the current transaction,
 * NULL when there are none.
 */
JWT_FUNCTION(jwt_claims)
{
	ClaimsSiteCache *sc = (ClaimsSiteCache *) fcinfo->flinfo->fn_extra;
	const char *request_text;
	Jsonb	   *claims;

	if (likely(sc != NULL) && site_valid(sc))
	{
		if (sc->isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(sc->value);
	}

	sc = site_cache(fcinfo);
	claims = jwt_claims_current(&request_text);
	sc->isnull = (claims == NULL);
	if (claims)
	{
		Jsonb	   *copy = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(claims));

		memcpy(copy, claims, VARSIZE(claims));
		sc->value = JsonbPGetDatum(copy);
	}
	site_store_source(fcinfo, sc, request_text);
	if (sc->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(sc->value);
}

/*
 * One claim as text, the way ->> shows it: a string without quotes, a
 * number or boolean as written, an object or array as JSON text, NULL for
 * JSON null and for a missing claim.  Allocates in CurrentMemoryContext.
 */
static text *
claim_as_text(Jsonb *claims, const char *name, int len)
{
	JsonbValue	v;

	if (claims == NULL || !JB_ROOT_IS_OBJECT(claims) ||
		getKeyJsonValueFromContainer(&claims->root, name, len, &v) == NULL)
		return NULL;
	switch (v.type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return cstring_to_text_with_len(v.val.string.val, v.val.string.len);
		case jbvNumeric:
			return cstring_to_text(DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric))));
		case jbvBool:
			return cstring_to_text(v.val.boolean ? "true" : "false");
		case jbvBinary:
			return cstring_to_text(JsonbToCString(NULL, v.val.binary.data,
												  v.val.binary.len));
		default:
			jwt_elog(ERROR, "unexpected jsonb value type %d", (int) v.type);
	}
	return NULL;				/* keep compiler quiet */
}

/*
 * jwt_claim(name) -> text: one claim of jwt_claims().  STRICT.
 *
 * The hot path of a policy such as USING (owner_id = jwt_claim('sub')):
 * with a constant name the answer is cached per call site, so a row costs
 * a counter comparison and a short memcmp.
 */
JWT_FUNCTION(jwt_claim)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	const char *name_data = VARDATA_ANY(name);
	int			name_len = VARSIZE_ANY_EXHDR(name);
	ClaimsSiteCache *sc = (ClaimsSiteCache *) fcinfo->flinfo->fn_extra;
	const char *request_text;
	text	   *result;

	if (likely(sc != NULL) && sc->name != NULL && sc->name_len == name_len &&
		site_valid(sc) && memcmp(sc->name, name_data, name_len) == 0)
	{
		if (sc->isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(sc->value);
	}

	sc = site_cache(fcinfo);
	result = claim_as_text(jwt_claims_current(&request_text), name_data, name_len);
	/*
	 * A name that is a parameter can still change between calls (PL/pgSQL
	 * reuses simple expressions): stop caching at a site that saw two.
	 */
	if (sc->name != NULL &&
		(sc->name_len != name_len || memcmp(sc->name, name_data, name_len) != 0))
		sc->name_stable = false;
	if (!sc->name_stable)
	{
		/* a name that varies by row: nothing to cache */
		if (result == NULL)
			PG_RETURN_NULL();
		PG_RETURN_TEXT_P(result);
	}

	if (sc->name == NULL)
	{
		sc->name = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, name_len + 1);
		memcpy(sc->name, name_data, name_len);
		sc->name[name_len] = '\0';
		sc->name_len = name_len;
	}
	sc->isnull = (result == NULL);
	if (result)
	{
		text	   *copy = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE(result));

		memcpy(copy, result, VARSIZE(result));
		sc->value = PointerGetDatum(copy);
	}
	site_store_source(fcinfo, sc, request_text);
	if (sc->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(sc->value);
}

/* ---------------------------------------------------------------------
 * jwt_authenticate, jwt_consume and their registry variants
 * ---------------------------------------------------------------------
 */

/* Seconds in an interval, a month counted as 30 days (as jwt_verify does). */
static double
interval_seconds(Interval *iv)
{
	return (double) iv->time / USECS_PER_SEC +
		((double) iv->day + (double) iv->month * DAYS_PER_MONTH) * SECS_PER_DAY;
}

static AuthSite *
auth_site(FunctionCallInfo fcinfo, PGFunction verify)
{
	AuthSite   *site = (AuthSite *) fcinfo->flinfo->fn_extra;

	if (site == NULL)
	{
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AuthSite));
		site->verify.fn_addr = verify;
		site->verify.fn_oid = InvalidOid;
		site->verify.fn_nargs = VERIFY_NARGS;
		site->verify.fn_strict = false;
		site->verify.fn_retset = false;
		site->verify.fn_stats = TRACK_FUNC_OFF;
		site->verify.fn_mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = site;
	}
	return site;
}

/*
 * Set up *finfo for one of the extension's SQL functions, found in the
 * schema of the function being called, once per call site.
 */
static void
ext_func(FunctionCallInfo fcinfo, FmgrInfo *finfo, const char *name,
		 int nargs, const Oid *argtypes)
{
	Oid			self = fcinfo->flinfo->fn_oid;
	Oid			fn;
	char	   *nspname;

	if (finfo->fn_addr != NULL)
		return;
	if (!OidIsValid(self) || (nspname = get_namespace_name(get_func_namespace(self))) == NULL)
		jwt_elog(ERROR, "cannot find the schema of the jwt extension");
	fn = LookupFuncName(list_make2(makeString(nspname), makeString(pstrdup(name))),
						nargs, argtypes, false);
	fmgr_info_cxt(fn, finfo, fcinfo->flinfo->fn_mcxt);
}

/* The registry's keys as a JWK Set; 55000 when it has none. */
static Jsonb *
registry_keyset(FunctionCallInfo fcinfo, AuthSite *site)
{
	Jsonb	   *ks;
	JsonbValue	v;

	ext_func(fcinfo, &site->keyset, "jwt_registry_keyset_definer", 0, NULL);
	ks = DatumGetJsonbP(FunctionCall0Coll(&site->keyset, InvalidOid));
	if (getKeyJsonValueFromContainer(&ks->root, "keys", 4, &v) == NULL ||
		v.type != jbvBinary || JsonContainerSize(v.val.binary.data) == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the key registry has no key to verify with"),
				 errhint("Create one with jwt_registry_rotate('ES256').")));
	return ks;
}

/*
 * Verify the token as jwt_verify would, raising its errors, and return the
 * claims.  "registry" variants verify with the registry's keys.
 */
static Jsonb *
verify_claims(FunctionCallInfo fcinfo, AuthSite *site, bool registry)
{
	LOCAL_FCINFO(vfc, VERIFY_NARGS);
	int			i;
	Datum		result;

	InitFunctionCallInfoData(*vfc, &site->verify, VERIFY_NARGS,
							 PG_GET_COLLATION(), NULL, NULL);
	vfc->args[0] = fcinfo->args[0];
	if (registry)
	{
		vfc->args[1].value = JsonbPGetDatum(registry_keyset(fcinfo, site));
		vfc->args[1].isnull = false;
		for (i = 2; i < VERIFY_SHARED; i++)
			vfc->args[i] = fcinfo->args[i - 1];
	}
	else
	{
		for (i = 1; i < VERIFY_SHARED; i++)
			vfc->args[i] = fcinfo->args[i];
	}
	vfc->args[VERIFY_NARGS - 1].value = (Datum) 0;	/* at: now */
	vfc->args[VERIFY_NARGS - 1].isnull = true;

	result = FunctionCallInvoke(vfc);
	if (vfc->isnull)
		jwt_elog(ERROR, "jwt_verify returned NULL");
	return DatumGetJsonbP(result);
}

/* A string claim, or NULL when absent; "malformed" when of another type. */
static char *
string_claim(Jsonb *claims, const char *name)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(&claims->root, name, strlen(name), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
		jwt_report(JWT_REASON_MALFORMED,
				   psprintf("Claim \"%s\" is not a string", jwt_clip(name, 64)), false);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static void
check_not_revoked(FunctionCallInfo fcinfo, AuthSite *site, Jsonb *claims)
{
	if (jwt_denylist_is_revoked(claims))
	{
		jwt_stats_count(JWT_STAT_REVOCATION, NULL, JWT_REASON_REVOKED);
		jwt_report(JWT_REASON_REVOKED,
				   "The token is on the denylist, by its \"jti\" or by its subject and issue time",
				   false);
	}
}

/*
 * Why a token may not make a session "role", or NULL.  Refused: superusers;
 * predefined roles (pg_execute_server_program and the like, all below
 * FirstNormalObjectId and named pg_*); roles with BYPASSRLS, REPLICATION
 * or CREATEROLE (which in PostgreSQL 15 can grant itself any predefined
 * role); and roles that have the privileges of the predefined roles that
 * reach the server's files or programs, by inheritance.
 */
static char *
role_refusal(Oid roleid, const char *role)
{
	static const struct
	{
		Oid			oid;
		const char *name;
	}			server_roles[] = {
		{ROLE_PG_EXECUTE_SERVER_PROGRAM, "pg_execute_server_program"},
		{ROLE_PG_READ_SERVER_FILES, "pg_read_server_files"},
		{ROLE_PG_WRITE_SERVER_FILES, "pg_write_server_files"},
	};
	HeapTuple	tup;
	Form_pg_authid form;
	const char *attr = NULL;
	int			i;

	if (superuser_arg(roleid))
		return psprintf("Role \"%s\" is a superuser, which a token never makes a session.", role);
	if (roleid < FirstNormalObjectId || IsReservedName(role))
		return psprintf("Role \"%s\" is a predefined role, which a token never makes a session.", role);
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tup))
		return psprintf("Role \"%s\" does not exist.", role);
	form = (Form_pg_authid) GETSTRUCT(tup);
	if (form->rolbypassrls)
		attr = "BYPASSRLS";
	else if (form->rolreplication)
		attr = "REPLICATION";
	else if (form->rolcreaterole)
		attr = "CREATEROLE";
	ReleaseSysCache(tup);
	if (attr)
		return psprintf("Role \"%s\" has %s, which a token never gives a session.", role, attr);
	for (i = 0; i < lengthof(server_roles); i++)
	{
		if (has_privs_of_role(roleid, server_roles[i].oid))
			return psprintf("Role \"%s\" has the privileges of %s, which a token never gives a session.",
							role, server_roles[i].name);
	}
	return NULL;
}

/*
 * SET LOCAL ROLE to the role named by a claim, where the session user may
 * become it (as SET ROLE requires) and role_refusal() has nothing against
 * it.  42501 otherwise.
 */
static void
assume_role(Jsonb *claims, const char *claim)
{
	char	   *role = string_claim(claims, claim);
	Oid			roleid = InvalidOid;
	const char *why = NULL;

	if (role == NULL)
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   psprintf("Claim \"%s\" names the role to assume but is missing",
							jwt_clip(claim, 64)), false);
	if (strlen(role) < NAMEDATALEN)
		roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		why = psprintf("Role \"%s\" does not exist.", jwt_clip(role, 64));
	else
	{
		/* membership first: the detail tells nothing of other roles */
		if (!is_member_of_role(GetSessionUserId(), roleid))
			why = psprintf("Session user \"%s\" is not a member of role \"%s\".",
						   GetUserNameFromId(GetSessionUserId(), false), role);
		else
			why = role_refusal(roleid, role);
	}
	if (why)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("JSON Web Token names a role the session may not assume"),
				 errdetail("%s Claim \"%s\" names it.", why, jwt_clip(claim, 64))));

	(void) set_config_option("role", role,
							 superuser() ? PGC_SUSET : PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * A NumericDate (seconds since 1970, finite or not) as a timestamptz:
 * 'infinity' at or past the end of timestamptz (year 294276, some 9.2e12
 * seconds, where the microseconds also leave int64), '-infinity' before
 * its start.  Converting such a double to int64 would be undefined.
 */
static TimestampTz
unix_to_timestamptz(double t)
{
	double		usecs = (t - JWT_UNIX_EPOCH_OFFSET_SECS) * USECS_PER_SEC;

	if (isnan(usecs) || usecs >= (double) END_TIMESTAMP)
		return DT_NOEND;
	if (usecs < (double) MIN_TIMESTAMP)
		return DT_NOBEGIN;
	return (TimestampTz) usecs;
}

/*
 * Record the token's jti as used, until its exp (plus the leeway, as long
 * as the token verifies).  The row is inserted with ON CONFLICT DO NOTHING,
 * so of two sessions presenting the token at once one waits for the other
 * and then finds it consumed.
 */
static void
consume_jti(FunctionCallInfo fcinfo, AuthSite *site, Jsonb *claims,
			double leeway)
{
	char	   *jti = string_claim(claims, "jti");
	JsonbValue	v;
	double		exp;
	TimestampTz expires_at;
	JwtConsumeStatus status;

	if (jti == NULL)
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   "Claim \"jti\" is missing, and a single-use token needs it", false);
	if (getKeyJsonValueFromContainer(&claims->root, "exp", 3, &v) == NULL)
		jwt_report(JWT_REASON_MISSING_CLAIM,
				   "Claim \"exp\" is missing, and a single-use token needs it", false);
	/* jwt_verify checked that "exp" is a finite number and in the future */
	exp = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											 NumericGetDatum(v.val.numeric)));
	expires_at = unix_to_timestamptz(exp + leeway);

	status = jwt_denylist_consume(jti, strlen(jti), expires_at);
	jwt_stats_count(JWT_STAT_CONSUMPTION, NULL,
					status == JWT_CONSUME_CONSUMED ? JWT_REASON_CONSUMED : JWT_REASON_NONE);
	if (status == JWT_CONSUME_CONSUMED)
		jwt_report(JWT_REASON_CONSUMED,
				   "Its \"jti\" was consumed by an earlier presentation", false);
	if (status == JWT_CONSUME_EXPIRED)
		jwt_report(JWT_REASON_EXPIRED,
				   "Claim \"exp\" passed while the token was being consumed", false);
}

/*
 * The body of all eight entry points.
 *
 * Key variants: token, key, algorithms .. leeway, then for authenticate
 * role_claim, check_revoked; for consume check_revoked.  Registry
 * variants: the same without key.
 */
static Datum
claims_op(FunctionCallInfo fcinfo, ClaimsOp op, PGFunction verify, bool registry)
{
	int			shift = registry ? 1 : 0;
	int			arg_leeway = ARG_LEEWAY - shift;
	int			arg_role = VERIFY_SHARED - shift;
	int			arg_check = (op == OP_AUTHENTICATE ? arg_role + 1 : arg_role);
	AuthSite   *site;
	Jsonb	   *claims;
	double		leeway = 0;

	if (op == OP_AUTHENTICATE)
	{
		if (jwt_claims_source != JWT_CLAIMS_SOURCE_AUTHENTICATE)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("jwt_authenticate is not used when jwt.claims_source is \"%s\"",
							JWT_REQUEST_CLAIMS_SETTING),
					 errdetail("In this mode jwt_claims() reads the claims from the setting \"%s\".",
							   JWT_REQUEST_CLAIMS_SETTING),
					 errhint("Set jwt.claims_source to \"authenticate\" to establish claims with jwt_authenticate.")));
		if (jwt_claims_established())
			jwt_ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("JSON Web Token claims are already established for this transaction"),
					 errdetail("jwt_authenticate establishes claims once per transaction."),
					 errhint("Authenticate each request in a transaction of its own.")));
	}
	if (PG_ARGISNULL(0))
		jwt_report(JWT_REASON_MALFORMED, "No token was given", false);
	if (!registry && PG_ARGISNULL(1))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key must not be NULL")));
	if (!PG_ARGISNULL(arg_leeway))
		leeway = interval_seconds(PG_GETARG_INTERVAL_P(arg_leeway));

	site = auth_site(fcinfo, verify);
	claims = verify_claims(fcinfo, site, registry);

	if (PG_ARGISNULL(arg_check) || PG_GETARG_BOOL(arg_check))
		check_not_revoked(fcinfo, site, claims);

	if (op == OP_CONSUME)
	{
		consume_jti(fcinfo, site, claims, leeway);
		PG_RETURN_JSONB_P(claims);
	}

	if (!PG_ARGISNULL(arg_role))
		assume_role(claims, text_to_cstring(PG_GETARG_TEXT_PP(arg_role)));
	jwt_claims_establish(claims);
	PG_RETURN_JSONB_P(claims);
}

JWT_FUNCTION(jwt_authenticate_text)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, jwt_verify_text, false);
}

JWT_FUNCTION(jwt_authenticate_bytea)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, jwt_verify_bytea, false);
}

JWT_FUNCTION(jwt_authenticate_jsonb)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, jwt_verify_jsonb, false);
}

JWT_FUNCTION(jwt_registry_authenticate)
{
	return claims_op(fcinfo, OP_AUTHENTICATE, jwt_verify_jsonb, true);
}

JWT_FUNCTION(jwt_consume_text)
{
	return claims_op(fcinfo, OP_CONSUME, jwt_verify_text, false);
}

JWT_FUNCTION(jwt_consume_bytea)
{
	return claims_op(fcinfo, OP_CONSUME, jwt_verify_bytea, false);
}

JWT_FUNCTION(jwt_consume_jsonb)
{
	return claims_op(fcinfo, OP_CONSUME, jwt_verify_jsonb, false);
}

JWT_FUNCTION(jwt_registry_consume)
{
	return claims_op(fcinfo, OP_CONSUME, jwt_verify_jsonb, true);
}
