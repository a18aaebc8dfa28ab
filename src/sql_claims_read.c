/*-------------------------------------------------------------------------
 *
 * sql_claims_read.c
 *		SQL entry points jwt_claims() and jwt_claim(name) from 0.1.2 on
 *		(C symbols jwt_claims_site and jwt_claim_site).
 *
 * Both run once per row in a row-level security policy such as
 * USING (owner_id = jwt_claim('sub')), so each call site (fn_extra) keeps
 * the answer it last computed, as a datum ready to return, with what it was
 * computed under:
 *
 *	- jwt_claims_generation (claims_ctx.h), bumped whenever the claims may
 *	  have changed: established, cleared at commit, abort or PREPARE, undone
 *	  by a subtransaction's abort, or jwt.claims_source changed;
 *	- in request mode, until claims_ctx.c watches request.jwt.claims
 *	  (which bumps the generation on every change of the setting), the
 *	  text it was parsed from: set_config(), SET LOCAL and the rollback of
 *	  either change a placeholder without telling anyone, so its text is
 *	  compared with strcmp on every call (a string the setting no longer
 *	  holds may be freed and its address reused for another value: the
 *	  pointer proves nothing);
 *	- for jwt_claim, the name: a constant (a Const node, the policy case)
 *	  is never read again; any other name is compared, and a site that sees
 *	  a second name stops caching.
 *
 * A site's answer whose generation is jwt_claims_fast_generation holds
 * without another look: the policy's path per row is one comparison.
 *
 * The answer does not depend on the current role, so a role switch needs
 * no check.  A call that finds its answer still valid raises no error and
 * so returns without the error context that keeps the statement out of the
 * log (entry.h); every other call runs under it, in a function of its own
 * (SITE_COMPUTE, never inlined) so that the check's path needs no stack
 * frame.  Values cached in fn_mcxt are never freed before the query ends,
 * since a row may still point to them; one copy is made per change of the
 * claims, up to SITE_MAX_COPIES: a query whose claims change on every row
 * (set_config() in request mode) would otherwise keep a copy per row, so
 * past that a site keeps nothing and answers in the call's memory.  A site
 * lives as long as its expression: a query's execution, but a PL/pgSQL
 * simple expression's for the whole transaction (or block), which then
 * computes every answer after 64 changes of the claims.
 *
 * A call with a constant name, the policy case, is made a call of
 * jwt_claim_const(name) by jwt_claim's planner support function: the same
 * C function, but not declared STRICT, so that the executor calls it
 * without first checking its argument for NULL on every row (a third of
 * what the call cost a row).  jwt_claim itself stays STRICT: a STRICT SQL
 * function that calls it can still be inlined.  Only while the two have
 * the same owner and privileges, so that the executor's check of EXECUTE
 * on jwt_claim_const is the one jwt_claim would have had.
 *
 * 0.1.0's and 0.1.1's declarations name the symbols jwt_claims and
 * jwt_claim, which stay in jwt.so for installs not yet updated: the same
 * functions under their old names.
 *
 * src/sql_claims_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/primnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/planmain.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "claims_ctx.h"
#include "entry.h"
#include "json_out.h"

/* Per call site of jwt_claims() / jwt_claim(name) */
typedef struct ClaimReadSite
{
	uint64		generation;		/* jwt_claims_generation of value; 0: none */
	uint64		const_generation;	/* jwt_claim: generation if name_const */
	char	   *request_text;	/* request mode: the setting's text */
	bool		name_const;		/* jwt_claim: the name is a Const node */
	bool		name_varies;	/* jwt_claim: saw two names; caches nothing */
	char	   *name;			/* jwt_claim: the name value is for */
	int			name_len;
	int			copies;			/* answers kept in fn_mcxt so far */
	bool		isnull;
	Datum		value;			/* in fn_mcxt */
} ClaimReadSite;

/* Changes of the claims a call site keeps answers for, in its life */
#define SITE_MAX_COPIES 64

/*
 * Does the site's answer still hold?  Raises nothing: called outside the
 * error context.
 */
static inline bool
site_fresh(const ClaimReadSite *site)
{
	const char *text;

	if (site->generation == jwt_claims_fast_generation)
		return true;
	if (site->generation != jwt_claims_generation)
		return false;
	/* request mode, the setting not watched yet: compare its text */
	text = jwt_request_claims_text();
	if (text == NULL || site->request_text == NULL)
		return text == site->request_text;
	return strcmp(text, site->request_text) == 0;
}

/*
 * The call site's state, made zeroed (no answer yet) in fn_mcxt on the
 * first call, with whether jwt_claim's name is a constant.
 */
static ClaimReadSite *
site_get(FunctionCallInfo fcinfo)
{
	ClaimReadSite *site = (ClaimReadSite *) fcinfo->flinfo->fn_extra;

	if (site == NULL)
	{
		Node	   *arg = NULL;

		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									  sizeof(ClaimReadSite));
		if (fcinfo->nargs > 0 && fcinfo->flinfo->fn_expr != NULL &&
			IsA(fcinfo->flinfo->fn_expr, FuncExpr))
			arg = linitial(((FuncExpr *) fcinfo->flinfo->fn_expr)->args);
		site->name_const = arg != NULL && IsA(arg, Const);
		fcinfo->flinfo->fn_extra = site;
	}
	return site;
}

/* The site's answer, NULL or a datum in fn_mcxt. */
static inline Datum
site_answer(FunctionCallInfo fcinfo, const ClaimReadSite *site)
{
	if (site->isnull)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	return site->value;
}

/*
 * Keep a copy of value (a varlena, or NULL) as the site's answer under the
 * current generation and the setting's text request_text.
 */
static Datum
site_store(FunctionCallInfo fcinfo, ClaimReadSite *site,
		   const struct varlena *value, const char *request_text)
{
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;

	if (site->copies >= SITE_MAX_COPIES)
	{
		/*
		 * The claims keep changing within this query: answer with a copy
		 * in the call's memory (freed with its row), and make the site's
		 * answer stale for good (no generation is 0), so that no later
		 * call returns it.
		 */
		struct varlena *copy;

		site->generation = 0;
		site->const_generation = 0;
		if (value == NULL)
			PG_RETURN_NULL();
		copy = palloc(VARSIZE(value));
		memcpy(copy, value, VARSIZE(value));
		return PointerGetDatum(copy);
	}
	site->copies++;
	site->isnull = (value == NULL);
	if (value)
	{
		struct varlena *copy = MemoryContextAlloc(mcxt, VARSIZE(value));

		memcpy(copy, value, VARSIZE(value));
		site->value = PointerGetDatum(copy);
	}
	if (site->request_text)
		pfree(site->request_text);
	site->request_text = request_text ?
		MemoryContextStrdup(mcxt, request_text) : NULL;
	site->generation = jwt_claims_generation;
	site->const_generation = site->name_const ? site->generation : 0;
	return site_answer(fcinfo, site);
}

/*
 * Define name##_compute(fcinfo): the answer computed by name##_body under
 * the error context that keeps the statement out of the log, the entry
 * point's way when its site's answer does not hold.  Not inlined, so that
 * the entry point's check needs no stack frame; one per body, which it
 * calls directly (and inlines).
 */
#define SITE_COMPUTE(name) \
	static pg_noinline Datum \
	name##_compute(FunctionCallInfo fcinfo) \
	{ \
		return jwt_call_hiding_statement(name##_body, fcinfo); \
	}

/* ---------------------------------------------------------------------
 * jwt_claims() -> jsonb: the claims in force, NULL when there are none.
 * ---------------------------------------------------------------------
 */
static Datum
jwt_claims_site_body(PG_FUNCTION_ARGS)
{
	ClaimReadSite *site = site_get(fcinfo);
	const char *request_text;
	Jsonb	   *claims = jwt_claims_current(&request_text);

	return site_store(fcinfo, site, (struct varlena *) claims, request_text);
}

SITE_COMPUTE(jwt_claims_site)

PG_FUNCTION_INFO_V1(jwt_claims_site);
extern PGDLLEXPORT Datum jwt_claims_site(PG_FUNCTION_ARGS);

Datum
jwt_claims_site(PG_FUNCTION_ARGS)
{
	ClaimReadSite *site = (ClaimReadSite *) fcinfo->flinfo->fn_extra;

	if (likely(site != NULL) && site_fresh(site))
		return site_answer(fcinfo, site);
	return jwt_claims_site_compute(fcinfo);
}

/* ---------------------------------------------------------------------
 * jwt_claim(name) -> text: one claim of jwt_claims(), as text.  Declared
 * STRICT; also jwt_claim_const(name), which is not, and so gives NULL for a
 * NULL name itself.
 * ---------------------------------------------------------------------
 */
static Datum
jwt_claim_site_body(PG_FUNCTION_ARGS)
{
	ClaimReadSite *site;
	text	   *name;
	const char *name_data;
	int			name_len;
	bool		same_name;
	const char *request_text;
	text	   *result;

	site = site_get(fcinfo);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* never cached: the site stays as it was */
	name = PG_GETARG_TEXT_PP(0);
	name_data = VARDATA_ANY(name);
	name_len = VARSIZE_ANY_EXHDR(name);
	same_name = site->name != NULL && site->name_len == name_len &&
		memcmp(site->name, name_data, name_len) == 0;
	if (same_name && !site->name_varies && site_fresh(site))
		return site_answer(fcinfo, site);

	result = json_out_member_text(jwt_claims_current(&request_text),
								  name_data, name_len);
	if (site->name != NULL && !same_name)
		site->name_varies = true;
	if (site->name_varies)
	{
		/* a name that varies by call: nothing to cache */
		if (result == NULL)
			PG_RETURN_NULL();
		PG_RETURN_TEXT_P(result);
	}
	if (site->name == NULL)
	{
		site->name = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, name_len + 1);
		memcpy(site->name, name_data, name_len);
		site->name[name_len] = '\0';
		site->name_len = name_len;
	}
	return site_store(fcinfo, site, (struct varlena *) result, request_text);
}

SITE_COMPUTE(jwt_claim_site)

PG_FUNCTION_INFO_V1(jwt_claim_site);
extern PGDLLEXPORT Datum jwt_claim_site(PG_FUNCTION_ARGS);

Datum
jwt_claim_site(PG_FUNCTION_ARGS)
{
	ClaimReadSite *site = (ClaimReadSite *) fcinfo->flinfo->fn_extra;

	/*
	 * The policy case: a constant name, nothing to read but the generation
	 * (and a tail call otherwise, so that this path saves no registers).
	 * Request mode before the setting is watched (no fast generation) goes
	 * the slow way, whose body still returns the cached answer after
	 * comparing the text.
	 */
	if (likely(site != NULL) &&
		site->const_generation == jwt_claims_fast_generation)
		return site_answer(fcinfo, site);
	return jwt_claim_site_compute(fcinfo);
}

/* ---------------------------------------------------------------------
 * The symbols of 0.1.0's and 0.1.1's declarations.
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(jwt_claims);
extern PGDLLEXPORT Datum jwt_claims(PG_FUNCTION_ARGS);

Datum
jwt_claims(PG_FUNCTION_ARGS)
{
	return jwt_claims_site(fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_claim);
extern PGDLLEXPORT Datum jwt_claim(PG_FUNCTION_ARGS);

Datum
jwt_claim(PG_FUNCTION_ARGS)
{
	return jwt_claim_site(fcinfo);
}

/* ---------------------------------------------------------------------
 * jwt_claim_support(internal) -> internal: jwt_claim's planner support.
 * ---------------------------------------------------------------------
 */

/*
 * The jwt_claim_const a jwt_claim becomes (InvalidOid: none), for the
 * jwt_claim claim_const_for, until pg_proc changes; claim_const_changes
 * counts the changes of pg_proc this backend was told of.
 */
static Oid	claim_const_for = InvalidOid;
static Oid	claim_const_oid = InvalidOid;
static uint64 claim_const_changes = 0;
static bool claim_const_watched = false;

static void
claim_const_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	claim_const_for = InvalidOid;
	claim_const_oid = InvalidOid;
	claim_const_changes++;
}

/*
 * Is the pg_proc row tup a C function text(text), STABLE and PARALLEL
 * RESTRICTED, neither SECURITY DEFINER nor with a SET clause (a call of
 * the other function would drop them), with the symbol jwt_claim_site
 * (or, old_symbol_too, 0.1.1's jwt_claim)?  Only a superuser can make a C
 * function, so one that passes runs the extension's code, whoever made it.
 */
static bool
claim_proc_is(HeapTuple tup, bool old_symbol_too)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
	Datum		src;
	bool		isnull;
	char	   *symbol;
	bool		result;

	if (proc->prolang != ClanguageId || proc->prokind != PROKIND_FUNCTION ||
		proc->proretset || proc->prorettype != TEXTOID ||
		proc->pronargs != 1 || proc->proargtypes.values[0] != TEXTOID ||
		proc->provolatile != PROVOLATILE_STABLE ||
		proc->proparallel != PROPARALLEL_RESTRICTED ||
		proc->prosecdef ||
		!heap_attisnull(tup, Anum_pg_proc_proconfig, NULL))
		return false;
	src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
	if (isnull)
		return false;
	symbol = TextDatumGetCString(src);
	result = strcmp(symbol, "jwt_claim_site") == 0 ||
		(old_symbol_too && strcmp(symbol, "jwt_claim") == 0);
	pfree(symbol);
	return result;
}

/* The function text(text) named name in schema nsp, or InvalidOid */
static Oid
claim_proc_named(const char *name, Oid nsp)
{
	Oid			argtype = TEXTOID;

	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum(name),
						   PointerGetDatum(buildoidvector(&argtype, 1)),
						   ObjectIdGetDatum(nsp));
}

/* The ACL of the pg_proc row tup, its owner's default when it has none */
static Acl *
claim_proc_acl(HeapTuple tup)
{
	Datum		acl;
	bool		isnull;

	acl = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proacl, &isnull);
	if (isnull)
		return acldefault(OBJECT_FUNCTION,
						  ((Form_pg_proc) GETSTRUCT(tup))->proowner);
	return DatumGetAclP(acl);
}

/*
 * Do the pg_proc rows a and b have the same owner and the same privileges,
 * whatever the order of their ACL items or a default left implicit?  An
 * ACL has at most one item per grantee and grantor.
 */
static bool
claim_same_privileges(HeapTuple a, HeapTuple b)
{
	Acl		   *acl_a;
	Acl		   *acl_b;
	AclItem    *items_a;
	AclItem    *items_b;
	int			i,
				j;

	if (((Form_pg_proc) GETSTRUCT(a))->proowner !=
		((Form_pg_proc) GETSTRUCT(b))->proowner)
		return false;
	acl_a = claim_proc_acl(a);
	acl_b = claim_proc_acl(b);
	if (ACL_NUM(acl_a) != ACL_NUM(acl_b))
		return false;
	items_a = ACL_DAT(acl_a);
	items_b = ACL_DAT(acl_b);
	for (i = 0; i < ACL_NUM(acl_a); i++)
	{
		for (j = 0; j < ACL_NUM(acl_b); j++)
			if (items_a[i].ai_grantee == items_b[j].ai_grantee &&
				items_a[i].ai_grantor == items_b[j].ai_grantor &&
				items_a[i].ai_privs == items_b[j].ai_privs)
				break;
		if (j == ACL_NUM(acl_b))
			return false;
	}
	return true;
}

/*
 * The OID of jwt_claim_const(text) in the schema of the jwt_claim whose OID
 * is claim, if both are what they should be and have the same owner and
 * privileges (so that whoever may call one may call the other), else
 * InvalidOid.
 */
static Oid
claim_const_find(Oid claim)
{
	HeapTuple	claim_tup;
	HeapTuple	const_tup;
	Oid			const_oid;
	Oid			result = InvalidOid;

	claim_tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(claim));
	if (!HeapTupleIsValid(claim_tup))
		return InvalidOid;
	if (!claim_proc_is(claim_tup, true))
	{
		ReleaseSysCache(claim_tup);
		return InvalidOid;
	}
	const_oid = claim_proc_named("jwt_claim_const",
								 ((Form_pg_proc) GETSTRUCT(claim_tup))->pronamespace);
	const_tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(const_oid));
	if (HeapTupleIsValid(const_tup))
	{
		if (claim_proc_is(const_tup, false) &&
			!((Form_pg_proc) GETSTRUCT(const_tup))->proisstrict &&
			claim_same_privileges(claim_tup, const_tup))
			result = const_oid;
		ReleaseSysCache(const_tup);
	}
	ReleaseSysCache(claim_tup);
	return result;
}

/*
 * claim_const_find, remembered.  A lookup that misses the catalog cache
 * reads pg_proc and so takes in the changes other sessions committed,
 * which may leave a row read before it stale: the answer is kept only if
 * no change came in while it was made, else it is made again.
 */
static Oid
claim_const_lookup(Oid claim)
{
	uint64		changes;
	Oid			result;

	if (claim == claim_const_for && OidIsValid(claim))
		return claim_const_oid;
	if (!claim_const_watched)
	{
		CacheRegisterSyscacheCallback(PROCOID, claim_const_forget, (Datum) 0);
		claim_const_watched = true;
	}
	do
	{
		changes = claim_const_changes;
		result = claim_const_find(claim);
	} while (changes != claim_const_changes);
	claim_const_for = claim;
	claim_const_oid = result;
	return result;
}

PG_FUNCTION_INFO_V1(jwt_claim_support);
extern PGDLLEXPORT Datum jwt_claim_support(PG_FUNCTION_ARGS);

/*
 * SupportRequestSimplify: jwt_claim(name) with a constant name that is not
 * NULL (a NULL one the planner already made NULL) becomes
 * jwt_claim_const(name), when that function is there, in a plan (not in an
 * expression simplified outside the planner), which is made to depend on
 * jwt_claim as well: a cached plan may come from a query that names only
 * an inlined SQL function calling jwt_claim, and must be made again when
 * jwt_claim's privileges or markings change (then without the call of
 * jwt_claim_const, while the two differ).
 */
Datum
jwt_claim_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *call;
	FuncExpr   *result;
	Node	   *arg;
	Oid			target;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	call = req->fcall;
	if (list_length(call->args) != 1)
		PG_RETURN_POINTER(NULL);
	arg = linitial(call->args);
	if (!IsA(arg, Const) || ((Const *) arg)->constisnull ||
		req->root == NULL || req->root->glob == NULL)
		PG_RETURN_POINTER(NULL);
	target = claim_const_lookup(call->funcid);
	if (!OidIsValid(target))
		PG_RETURN_POINTER(NULL);
	record_plan_function_dependency(req->root, call->funcid);
	result = makeFuncExpr(target, call->funcresulttype, call->args,
						  call->funccollid, call->inputcollid,
						  call->funcformat);
	result->location = call->location;
	PG_RETURN_POINTER(result);
}
