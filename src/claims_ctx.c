/*-------------------------------------------------------------------------
 *
 * claims_ctx.c
 *		The claims in force for the current transaction.
 *
 * Two sources, chosen by the superuser-only setting jwt.claims_source:
 *
 *	"authenticate" (the default): the claims jwt_authenticate established
 *	after verifying a token.  They live here, in backend-private memory that
 *	only this module writes, so no SET or set_config() can forge them.  They
 *	belong to the transaction: cleared at commit, abort and PREPARE, and at
 *	the abort of the subtransaction that established them (the SET LOCAL
 *	ROLE that may have come with them is undone at the same moments).  At
 *	most one set per transaction; the caller enforces that.
 *
 *	"request.jwt.claims": the claims PostgREST verified and put in that
 *	setting.  Parsed once per distinct text: the last text and its
 *	claims are kept, across transactions when the text is small
 *	(REQ_KEEP_MAX).  Once the setting exists in the session, this module
 *	defines it, so as to be told of every change (request_claims_watch).
 *
 * Memory: two small contexts under TopMemoryContext, "jwt claims" (reset
 * at transaction end) and "jwt request claims" (reset when another text is
 * parsed, and at transaction end when the text kept is large).  Callers
 * get pointers that stay valid until jwt_claims_generation changes (or, in
 * request mode, until the setting's text changes) and copy what they keep.
 *
 * src/claims_ctx.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "claims_ctx.h"
#include "errors.h"

int			jwt_claims_source = JWT_CLAIMS_SOURCE_AUTHENTICATE;

const struct config_enum_entry jwt_claims_source_options[] = {
	{"authenticate", JWT_CLAIMS_SOURCE_AUTHENTICATE, false},
	{"request.jwt.claims", JWT_CLAIMS_SOURCE_REQUEST, false},
	{NULL, 0, false}
};

uint64		jwt_claims_generation = 1;
uint64		jwt_claims_fast_generation = 1;

static MemoryContext claims_cxt = NULL;

/* authenticate mode: the established claims and where they belong */
static Jsonb *auth_claims = NULL;
static SubTransactionId auth_subid = InvalidSubTransactionId;
static LocalTransactionId auth_lxid = InvalidLocalTransactionId;

/*
 * request mode: the setting's text last parsed and what it parsed to, in
 * their own context.  Kept across transactions when the text is at most
 * REQ_KEEP_MAX bytes: PostgREST sets the same claims text again for each
 * request of the same client, and parsing it (jsonb_in) cost about 32,000
 * instructions a request.  Only an equal text is answered from them, and
 * jsonb_in gives an equal text the same jsonb in a backend (its database
 * encoding is fixed), so keeping them changes no answer.
 */
#define REQ_KEEP_MAX 8192
static MemoryContext req_cxt = NULL;
static char *req_text = NULL;
static Jsonb *req_claims = NULL;

/*
 * request mode: the value of request.jwt.claims once this module defined
 * the setting (request_claims_watch), and whether it did; once it did,
 * every change of the setting bumps jwt_claims_generation, and its text
 * need not be compared.
 */
static char *request_claims_value = NULL;
static bool jwt_request_claims_watched = false;

/*
 * The claims may have changed, jwt.claims_source being source: a new
 * generation, which jwt_claims_fast_generation follows when the generation
 * alone tells whether an answer holds.
 */
static void
claims_changed(int source)
{
	jwt_claims_generation++;
	jwt_claims_fast_generation =
		(source == JWT_CLAIMS_SOURCE_AUTHENTICATE || jwt_request_claims_watched) ?
		jwt_claims_generation : JWT_CLAIMS_NO_GENERATION;
}

static void
claims_clear(void)
{
	auth_claims = NULL;
	auth_subid = InvalidSubTransactionId;
	auth_lxid = InvalidLocalTransactionId;
	if (claims_cxt)
		MemoryContextReset(claims_cxt);
	if (req_text != NULL && strnlen(req_text, REQ_KEEP_MAX + 1) > REQ_KEEP_MAX)
	{
		MemoryContextReset(req_cxt);
		req_text = NULL;
		req_claims = NULL;
	}
	claims_changed(jwt_claims_source);
}

static void
claims_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			claims_clear();
			break;
		default:
			break;
	}
}

/*
 * Claims established in a subtransaction move to its parent when it
 * commits and vanish when it aborts, as SET LOCAL does.
 */
static void
claims_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (auth_claims == NULL || auth_subid != mySubid)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		auth_subid = parentSubid;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		pfree(auth_claims);
		auth_claims = NULL;
		auth_subid = InvalidSubTransactionId;
		auth_lxid = InvalidLocalTransactionId;
		claims_changed(jwt_claims_source);
	}
}

void
jwt_claims_source_assign(int newval, void *extra)
{
	/* called before jwt_claims_source takes newval */
	claims_changed(newval);
}

/*
 * ALTER ROLE/DATABASE ... SET and a function's SET clause validate a value
 * to store with source PGC_S_TEST.  PostgreSQL lets only a superuser or a
 * role granted SET on the parameter store a placeholder's value (it cannot
 * know what the setting will turn out to be); the defined setting keeps
 * that rule, so that what a role may store does not depend on whether the
 * session called jwt_claim() before.
 */
static bool
request_claims_check(char **newval, void **extra, GucSource source)
{
	if (source != PGC_S_TEST || superuser() ||
		pg_parameter_aclcheck(JWT_REQUEST_CLAIMS_SETTING, GetUserId(),
							  ACL_SET) == ACLCHECK_OK)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("permission denied to set parameter \"%s\"",
					 JWT_REQUEST_CLAIMS_SETTING);
	return false;
}

/*
 * Every change of request.jwt.claims, once watched: set_config(), SET,
 * RESET, and their undoing at the end of a transaction or subtransaction
 * or of a function with a SET clause all call the assign hook.
 */
static void
request_claims_assign(const char *newval, void *extra)
{
	claims_changed(jwt_claims_source);
}

/*
 * The record of request.jwt.claims, or NULL while it does not exist.
 *
 * Until this module watches the setting (request_claims_watch: not while
 * it does not exist, nor in parallel mode), request mode reads its text
 * once per row of a policy, and GetConfigOption costs a binary search with
 * case-insensitive name comparisons (about as much as the rest of a row).
 * On PostgreSQL 15 the record is remembered with its slot in the GUC array
 * instead, and trusted while the slot still holds it under this name:
 * records are never freed except a placeholder that a library's definition
 * replaces, and that replacement changes the slot; the name is compared
 * too, because the freed placeholder's memory can be reused by a record of
 * another setting that a later insertion moves into the same slot before
 * this module looks again.  While the setting does not exist,
 * the array's length is remembered: it can only appear by growing the
 * array.
 */
#ifdef JWT_GUC_SORTED_ARRAY
static struct config_generic *request_claims_rec = NULL;
static int	request_claims_rec_slot = -1;
static int	request_claims_absent_at_n = -1;

/* Look the record up among the n settings vars; remember what was found. */
static pg_noinline struct config_generic *
request_claims_search(struct config_generic **vars, int n)
{
	int			i;

	request_claims_rec = NULL;
	for (i = 0; i < n; i++)
	{
		if (pg_strcasecmp(vars[i]->name, JWT_REQUEST_CLAIMS_SETTING) == 0)
		{
			request_claims_rec = vars[i];
			request_claims_rec_slot = i;
			request_claims_absent_at_n = -1;
			return request_claims_rec;
		}
	}
	request_claims_absent_at_n = n;
	return NULL;
}

static inline struct config_generic *
request_claims_record(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	if (likely(request_claims_rec != NULL) && request_claims_rec_slot < n &&
		vars[request_claims_rec_slot] == request_claims_rec &&
		pg_strcasecmp(request_claims_rec->name, JWT_REQUEST_CLAIMS_SETTING) == 0)
		return request_claims_rec;
	if (n == request_claims_absent_at_n)
		return NULL;
	return request_claims_search(vars, n);
}
#else
static struct config_generic *
request_claims_record(void)
{
	return find_option(JWT_REQUEST_CLAIMS_SETTING, false, true, ERROR);
}
#endif

/*
 * Would defining the setting now carry the placeholder's values over
 * unchanged?  PostgreSQL re-applies the current value and those stacked by
 * open transactions, savepoints and function SET clauses one by one, from
 * the bottom of the stack up (define_custom_variable), and a value applied
 * from a lower-priority source than the one below it is ignored.  Every
 * value SET, SET LOCAL, set_config() or a SET clause gives comes from the
 * session (PGC_S_SESSION, the highest); RESET and SET ... TO DEFAULT give
 * the reset value and its source, such as the default's.  So after SET and
 * then, in a transaction, RESET, the definition would bring the SET value
 * back.  While any value above the bottom of the stack (whose value is the
 * session's, applied first) is not the session's, the setting is not
 * watched yet, and its text is compared; the next call after the stack
 * unwinds watches it.
 */
static bool
request_claims_carry_over(struct config_generic *rec)
{
	GucStack   *stack;

	if (rec == NULL || rec->vartype != PGC_STRING)
		return false;
	if (rec->stack == NULL)
		return true;
	if (rec->source != PGC_S_SESSION)
		return false;
	for (stack = rec->stack; stack->prev != NULL; stack = stack->prev)
		if (stack->source != PGC_S_SESSION)
			return false;
	return true;
}

/*
 * In request mode, a policy's jwt_claim() runs once per row and must notice
 * any change of request.jwt.claims between two rows.  PostgreSQL tells
 * nobody when a placeholder (a setting no library defined) changes, and
 * comparing its text on every call costs as much as the rest of a row; a
 * defined setting has an assign hook.  So once the setting exists as a
 * placeholder, that is, once something in this session set it, this module
 * defines it, with no default and hidden as a placeholder is: what
 * current_setting(), SHOW, SET LOCAL and RESET do with it stays the same
 * (an existing setting that was never given a value shows as an empty
 * string either way), the placeholder's values, those stacked by SET LOCAL
 * in open (sub)transactions included, carry over, and from then on a call
 * site compares a counter instead of the text.  Who may store a value in a
 * role's or database's settings or a function's SET clause stays the same
 * too (request_claims_check); removing one with ALTER ROLE/DATABASE ...
 * RESET calls no hook, and is then left to whoever may alter the role or
 * database.  A library that defines the setting later fails to load
 * ("attempt to redefine parameter").  Not while the setting does
 * not exist (current_setting(name, true) would show an empty string
 * instead of NULL), nor when a library defined it, nor in parallel mode,
 * where a setting cannot be given its value, nor while a stacked value
 * would not carry over (request_claims_carry_over).
 */
static void
request_claims_watch(void)
{
	int			flags;

	if (jwt_request_claims_watched || IsInParallelMode() || IsParallelWorker())
		return;
	flags = GetConfigOptionFlags(JWT_REQUEST_CLAIMS_SETTING, true);
	if ((flags & GUC_CUSTOM_PLACEHOLDER) == 0 ||
		!request_claims_carry_over(request_claims_record()))
		return;
	DefineCustomStringVariable(JWT_REQUEST_CLAIMS_SETTING,
							   "Claims of the current request, as JSON.",
							   NULL,
							   &request_claims_value,
							   NULL,
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   request_claims_check, request_claims_assign, NULL);
	jwt_request_claims_watched = true;
	claims_changed(jwt_claims_source);
}

/* Called once from _PG_init. */
void
jwt_claims_ctx_init(void)
{
	RegisterXactCallback(claims_xact_callback, NULL);
	RegisterSubXactCallback(claims_subxact_callback, NULL);
}

static MemoryContext
get_claims_cxt(void)
{
	if (claims_cxt == NULL)
		claims_cxt = AllocSetContextCreate(TopMemoryContext, "jwt claims",
										   ALLOCSET_SMALL_SIZES);
	return claims_cxt;
}

/*
 * The text of the request.jwt.claims setting, NULL when it has none; on
 * PostgreSQL 15 read from its remembered record (request_claims_record).
 */
static const char *
request_claims_lookup(void)
{
#ifdef JWT_GUC_SORTED_ARRAY
	struct config_generic *rec = request_claims_record();

	if (likely(rec != NULL) && rec->vartype == PGC_STRING)
		return *((struct config_string *) rec)->variable;
	if (rec == NULL)
		return NULL;
#endif
	return GetConfigOption(JWT_REQUEST_CLAIMS_SETTING, true, false);
}

/* The same, read from this module's variable once it watches the setting. */
const char *
jwt_request_claims_text(void)
{
	if (jwt_request_claims_watched)
		return request_claims_value;
	return request_claims_lookup();
}

/* True when jwt_authenticate already established claims in this transaction. */
bool
jwt_claims_established(void)
{
	return auth_claims != NULL && auth_lxid == jwt_proc_lxid(MyProc);
}

/*
 * Make verified claims the claims of the current transaction (and of the
 * current subtransaction, should it abort).  The caller has checked that
 * none are established yet.
 */
void
jwt_claims_establish(Jsonb *claims)
{
	Jsonb	   *copy;

	Assert(!jwt_claims_established());
	copy = MemoryContextAlloc(get_claims_cxt(), VARSIZE(claims));
	memcpy(copy, claims, VARSIZE(claims));
	if (auth_claims)
		pfree(auth_claims);
	auth_claims = copy;
	auth_subid = GetCurrentSubTransactionId();
	auth_lxid = jwt_proc_lxid(MyProc);
	claims_changed(jwt_claims_source);
}

/*
 * Error context of the setting's parse: jsonb_in's detail of a text that
 * is not JSON quotes the offending part of it ("Token ... is invalid"),
 * which may be anything a client put there, a token included.  The client
 * gets it; the server log gets this instead (the context line, which
 * quotes the text too, is kept out of the log by the entry point's
 * callback).
 */
static void
request_claims_parse_callback(void *arg)
{
	if (ERRCODE_TO_CATEGORY(geterrcode()) == ERRCODE_DATA_EXCEPTION)
		errdetail_log("The text of setting \"%s\" is not shown in the server log.",
					  JWT_REQUEST_CLAIMS_SETTING);
}

/*
 * The claims in force, or NULL.  In request mode, *request_text is set to
 * the setting's current text (NULL when unset), which callers compare to
 * know whether what they cached still holds.
 */
Jsonb *
jwt_claims_current(const char **request_text)
{
	const char *text;
	Jsonb	   *parsed;
	char	   *text_copy;
	Jsonb	   *claims_copy = NULL;
	ErrorContextCallback parse_errcontext;

	*request_text = NULL;
	if (jwt_claims_source == JWT_CLAIMS_SOURCE_AUTHENTICATE)
	{
		if (IsParallelWorker())
			jwt_ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("JSON Web Token claims are not available in a parallel worker"),
					 errdetail("Claims established by jwt_authenticate are private to the leader process."),
					 errhint("Mark functions that call jwt_claims() or jwt_claim() PARALLEL RESTRICTED.")));
		if (auth_claims && auth_lxid == jwt_proc_lxid(MyProc))
			return auth_claims;
		return NULL;
	}

	request_claims_watch();
	text = jwt_request_claims_text();
	*request_text = text;
	if (text == NULL || text[0] == '\0')
		return NULL;
	if (req_text && strcmp(req_text, text) == 0)
		return req_claims;

	/* parse first, so that an error leaves the cache as it was */
	parse_errcontext.callback = request_claims_parse_callback;
	parse_errcontext.arg = NULL;
	parse_errcontext.previous = error_context_stack;
	error_context_stack = &parse_errcontext;
	parsed = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	error_context_stack = parse_errcontext.previous;
	if (!JB_ROOT_IS_OBJECT(parsed))
	{
		JsonbValue	v;

		if (JsonbExtractScalar(&parsed->root, &v) && v.type == jbvNull)
			parsed = NULL;		/* JSON null: no claims */
		else
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting \"%s\" is not a JSON object", JWT_REQUEST_CLAIMS_SETTING),
					 errdetail("With jwt.claims_source = \"request.jwt.claims\" the claims are read from this setting.")));
	}

	if (req_cxt == NULL)
		req_cxt = AllocSetContextCreate(TopMemoryContext, "jwt request claims",
										ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(req_cxt);
	req_text = NULL;
	req_claims = NULL;

	/*
	 * Both copies are made before either is kept: were the second one to
	 * fail, the text kept without its claims would give an equal text no
	 * claims in every later transaction.
	 */
	text_copy = MemoryContextStrdup(req_cxt, text);
	if (parsed)
	{
		claims_copy = MemoryContextAlloc(req_cxt, VARSIZE(parsed));
		memcpy(claims_copy, parsed, VARSIZE(parsed));
	}
	req_claims = claims_copy;
	req_text = text_copy;
	return req_claims;
}
