/*-------------------------------------------------------------------------
 *
 * refresh_sessions.c
 *		The refresh token session functions: login (jwt_refresh_issue),
 *		the one-call login (jwt_refresh_login: a session, its access
 *		and refresh tokens, its lifetimes, the cap of live sessions per
 *		subject and the new-device answer), the access token of a
 *		session (jwt_refresh_sign_access, also rotation's), the session
 *		check of
 *		jwt_authenticate (jwt.require_session),
 *		logout (jwt_refresh_revoke, jwt_refresh_revoke_family,
 *		jwt_refresh_revoke_subject and the revocation loop they share,
 *		jwt_refresh_revoke_families), jwt_refresh_purge, and the reads
 *		jwt_refresh_sessions and jwt_refresh_session_active.
 *
 * These were SQL and PL/pgSQL functions that called the extension's own
 * functions by name (@extschema@.jwt_refresh_token_hash(token), ...).  A
 * role that may CREATE in the extension's schema could plant a look-alike
 * there that captured the call (running with the caller's rights and
 * seeing the token) or made it ambiguous.  Here nothing is resolved by
 * name: hashing, new tokens and counters are C calls, and the table is
 * read and written through SPI with its schema-qualified name (the schema
 * of the extension "jwt", from pg_extension), every operator written as
 * OPERATOR(pg_catalog.x), every function as pg_catalog.f, and every
 * parameter with its exact type.
 *
 * Each query is prepared once per backend (SPI_keepplan) and prepared
 * again when the table's qualified name changes (the extension was
 * dropped and created again); the plan cache replans it when the table
 * changes.
 *
 * The session check (jwt_refresh_session_check, once per authenticated
 * request) reads the table through its unique partial index
 * refresh_tokens_one_unused directly, with the active snapshot and no
 * privilege check, as the denylist's lookup does: one index lookup.  It
 * trusts "sid" only in claims whose signature was verified, and only for
 * a session of the token's own "sub".
 *
 * The cap of live sessions per subject serializes the logins of one
 * subject with a transaction-level advisory lock of the extension's own
 * (database, hash of the subject, field4 JWT_SESSION_LOCK: no SQL advisory
 * lock function takes that field), then ends the oldest sessions beyond
 * the cap, reason "session_limit".  In READ COMMITTED the next login waits
 * and then sees the first one's session.
 *
 * Raises 22023 for bad arguments, 22008 for lifetimes that leave the
 * timestamp range, 25006 on a hot standby, the signing errors of jwt_sign,
 * and the trigger's 23514; the session check raises 28000 with reason
 * session_revoked, session_expired or session_unknown.  No token or claim
 * appears in an error; the new-device answer reads only rows of the
 * login's own subject.
 *
 * Memory: per call in CurrentMemoryContext; results are copied out of SPI
 * before SPI_finish.  The kept plans live under CacheMemoryContext.
 *
 * src/refresh_sessions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/varlena.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "api.h"
#include "entry.h"
#include "errors.h"
#include "extension.h"
#include "json_out.h"
#include "jwt.h"
#include "keys.h"
#include "refresh.h"
#include "registry.h"
#include "stats.h"


/* The queries, each prepared once per backend */
typedef enum SessQuery
{
	SQ_REVOKE,					/* the revocation loop's UPDATE */
	SQ_ISSUE,					/* login's INSERT */
	SQ_TOKEN,					/* a token's family and state */
	SQ_TOKEN_LOCK,				/* lock a token's row */
	SQ_OTHER_FAMILIES,			/* a subject's other live families */
	SQ_SUBJECT_FAMILIES,		/* a subject's live families */
	SQ_COUNT_UNREVOKED,			/* families with rows left to revoke */
	SQ_PURGE_ENDED,
	SQ_PURGE_ORPHANS,			/* used rows of a family with no unused one */
	SQ_PURGE_USED,
	SQ_PURGE_KEYS,
	SQ_SESSIONS,
	SQ_SESSION_ACTIVE,
	SQ_LOGIN,					/* jwt_refresh_login's INSERT */
	SQ_LIVE_NEWEST,				/* a subject's live sessions, newest first */
	SQ_KNOWN_DEVICE,			/* a subject's latest session on a device */
	SQ_COUNT
} SessQuery;

/*
 * The text of each query, with "%s" for the table's qualified name (which
 * appears as often as there are %s, three times at most), and its
 * parameter types.
 */
typedef struct SessQueryDef
{
	const char *text;
	int			nargs;
	Oid			argtypes[10];
	bool		by_subject;		/* compares subject (and user_agent) by value */
} SessQueryDef;

/* created_at + idle_timeout of table alias "a", as jwt_refresh_idle_end() */
#define IDLE_END(a) JWT_REFRESH_IDLE_END_SQL(a)

/*
 * The live families of a subject, as the unique partial indexes see them
 * (a row of alias "a": the family's token not used yet)
 */
#define LIVE_FAMILY_OF(a) \
	" " a ".used_at IS NULL AND " a ".generation OPERATOR(pg_catalog.>=) 0" \
	" AND " a ".revoked_at IS NULL"
#define LIVE_FAMILY LIVE_FAMILY_OF("t")

/* ... that are not idle for longer than their idle timeout */
#define NOT_IDLE_OF(a) \
	" AND (" a ".idle_timeout IS NULL OR " IDLE_END(a) \
	" OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp())"
#define NOT_IDLE NOT_IDLE_OF("t")

/*
 * The columns of a token's row that SQ_TOKEN returns: whether it is live,
 * and whether it is a used token within its successor's grace window while
 * its family's newest token is live (a stale token of an ended session is
 * neither)
 */
#define TOKEN_COLUMNS \
	"SELECT t.family_id, t.subject, " \
	"(t.used_at IS NULL AND t.revoked_at IS NULL " \
	" AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" \
	NOT_IDLE ") AS live, " \
	"(t.used_at IS NOT NULL AND t.revoked_at IS NULL AND EXISTS (" \
	" SELECT FROM %s c" \
	" WHERE c.family_id OPERATOR(pg_catalog.=) t.family_id" \
	" AND c.generation OPERATOR(pg_catalog.=) (t.generation OPERATOR(pg_catalog.+) 1)" \
	" AND c.parent_hash OPERATOR(pg_catalog.=) t.token_hash" \
	" AND c.retry_key IS NOT NULL" \
	" AND c.retry_until OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" \
	" AND c.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp())" \
	" AND EXISTS (SELECT FROM %s u" \
	" WHERE u.family_id OPERATOR(pg_catalog.=) t.family_id AND" \
	LIVE_FAMILY_OF("u") \
	" AND u.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" \
	NOT_IDLE_OF("u") ")) AS in_grace " \
	"FROM %s t WHERE t.token_hash OPERATOR(pg_catalog.=) $1"


/*
 * The end of a purge statement: "WITH d AS (SELECT t.token_hash ... <that>"
 * locks the rows it chose with "lock" (skipping those another transaction
 * holds), and "change" (a DELETE ... USING d or an UPDATE ... FROM d)
 * changes exactly those.
 */
#define PURGE_LOCKED_ROWS(lock, change) \
	lock " OF t SKIP LOCKED)" change \
	" WHERE t.token_hash OPERATOR(pg_catalog.=) d.token_hash"

static const SessQueryDef sess_queries[SQ_COUNT] = {
	[SQ_REVOKE] = {
		"UPDATE %s t SET revoked_at = pg_catalog.now(), revoked_reason = $2"
		" WHERE t.family_id OPERATOR(pg_catalog.=) ANY ($1)"
		" AND t.revoked_at IS NULL",
		2, {UUIDARRAYOID, TEXTOID}
	},
	[SQ_ISSUE] = {
		"INSERT INTO %s (token_hash, family_id, generation, subject,"
		" expires_at, client_ip, user_agent, metadata)"
		" VALUES ($1, $2, 0, $3, $4, $5, $6, $7)",
		7, {BYTEAOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, INETOID, TEXTOID,
		JSONBOID}
	},
	[SQ_TOKEN] = {
		TOKEN_COLUMNS,
		1, {BYTEAOID}
	},
	[SQ_TOKEN_LOCK] = {
		"SELECT FROM %s t WHERE t.token_hash OPERATOR(pg_catalog.=) $1"
		" FOR UPDATE",
		1, {BYTEAOID}
	},
	[SQ_OTHER_FAMILIES] = {
		"SELECT DISTINCT t.family_id FROM %s t"
		" WHERE t.subject OPERATOR(pg_catalog.=) $1"
		" AND t.family_id OPERATOR(pg_catalog.<>) $2 AND" LIVE_FAMILY,
		2, {TEXTOID, UUIDOID},
		true
	},
	[SQ_SUBJECT_FAMILIES] = {
		"SELECT DISTINCT t.family_id FROM %s t"
		" WHERE t.subject OPERATOR(pg_catalog.=) $1 AND" LIVE_FAMILY,
		1, {TEXTOID},
		true
	},
	[SQ_COUNT_UNREVOKED] = {
		"SELECT pg_catalog.count(DISTINCT t.family_id) FROM %s t"
		" WHERE t.family_id OPERATOR(pg_catalog.=) ANY ($1)"
		" AND t.revoked_at IS NULL",
		1, {UUIDARRAYOID}
	},
	/*
	 * The purge's statements lock the rows they change first, skipping
	 * those another transaction holds (a rotation, a reuse or logout
	 * revoking the family): the next purge takes them.  A purge never
	 * waits for a row, so it cannot deadlock with a revocation, which
	 * holds its presented token's row and then locks the family's others.
	 */
	[SQ_PURGE_ENDED] = {
		"WITH d AS (SELECT t.token_hash FROM %s t"
		" WHERE t.family_id OPERATOR(pg_catalog.=) ANY ("
		" SELECT u.family_id FROM %s u WHERE u.used_at IS NULL"
		" AND (u.revoked_at OPERATOR(pg_catalog.<) $1"
		" OR u.expires_at OPERATOR(pg_catalog.<) $1))"
		PURGE_LOCKED_ROWS(" FOR UPDATE", " DELETE FROM %s t USING d"),
		1, {TIMESTAMPTZOID}
	},

	/*
	 * SQ_PURGE_ENDED finds a family through its token not used yet; a purge
	 * that skipped some of an ended family's rows may have deleted that
	 * one.  A used row whose family has none left (every rotation leaves
	 * one: such a family can never rotate again) goes once it was used or
	 * revoked before the same horizon.
	 */
	[SQ_PURGE_ORPHANS] = {
		"WITH d AS (SELECT t.token_hash FROM %s t"
		" WHERE t.used_at IS NOT NULL"
		" AND COALESCE(t.revoked_at, t.used_at) OPERATOR(pg_catalog.<) $1"
		" AND NOT EXISTS (SELECT FROM %s n"
		" WHERE n.family_id OPERATOR(pg_catalog.=) t.family_id"
		" AND n.used_at IS NULL AND n.generation OPERATOR(pg_catalog.>=) 0)"
		PURGE_LOCKED_ROWS(" FOR UPDATE", " DELETE FROM %s t USING d"),
		1, {TIMESTAMPTZOID}
	},
	[SQ_PURGE_USED] = {
		"WITH d AS (SELECT t.token_hash FROM %s t"
		" WHERE t.used_at OPERATOR(pg_catalog.<) $1"
		" AND t.revoked_at IS NULL AND NOT EXISTS ("
		" SELECT FROM %s c"
		" WHERE c.family_id OPERATOR(pg_catalog.=) t.family_id"
		" AND c.generation OPERATOR(pg_catalog.=) (t.generation OPERATOR(pg_catalog.+) 1)"
		" AND c.retry_until OPERATOR(pg_catalog.>) pg_catalog.now())"
		PURGE_LOCKED_ROWS(" FOR UPDATE", " DELETE FROM %s t USING d"),
		1, {TIMESTAMPTZOID}
	},
	[SQ_PURGE_KEYS] = {
		"WITH d AS (SELECT t.token_hash FROM %s t"
		" WHERE t.retry_key IS NOT NULL"
		" AND t.retry_until OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()"
		PURGE_LOCKED_ROWS(" FOR NO KEY UPDATE",
						  " UPDATE %s t SET retry_key = NULL FROM d"),
		0, {InvalidOid}
	},
	[SQ_SESSIONS] = {
		"SELECT t.family_id, t.issued_at, t.created_at, t.expires_at,"
		" t.generation, t.client_ip, t.user_agent, t.metadata FROM %s t"
		" WHERE t.subject OPERATOR(pg_catalog.=) $1 AND" LIVE_FAMILY
		" AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" NOT_IDLE
		" ORDER BY t.created_at DESC, t.family_id",
		1, {TEXTOID},
		true
	},
	[SQ_LOGIN] = {
		"INSERT INTO %s (token_hash, family_id, generation, subject,"
		" expires_at, client_ip, user_agent, metadata, access_claims,"
		" session_expires_at, idle_timeout)"
		" VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10)",
		10, {BYTEAOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, INETOID, TEXTOID,
		JSONBOID, JSONBOID, TIMESTAMPTZOID, INTERVALOID}
	},
	[SQ_LIVE_NEWEST] = {
		"SELECT t.family_id FROM %s t"
		" WHERE t.subject OPERATOR(pg_catalog.=) $1 AND" LIVE_FAMILY
		" AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" NOT_IDLE
		" ORDER BY t.issued_at DESC, t.family_id",
		1, {TEXTOID},
		true
	},
	[SQ_KNOWN_DEVICE] = {
		"SELECT t.family_id FROM %s t"
		" WHERE t.subject OPERATOR(pg_catalog.=) $1"
		" AND t.used_at IS NULL AND t.generation OPERATOR(pg_catalog.>=) 0"
		" AND t.user_agent OPERATOR(pg_catalog.=) $2"
		" ORDER BY t.created_at DESC, t.family_id LIMIT 1",
		2, {TEXTOID, TEXTOID},
		true
	},
	[SQ_SESSION_ACTIVE] = {
		"SELECT FROM %s t WHERE t.family_id OPERATOR(pg_catalog.=) $1 AND"
		LIVE_FAMILY
		" AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()" NOT_IDLE,
		1, {UUIDOID}
	},
};

/* The kept plans, and the qualified table name they were prepared for */
static SPIPlanPtr sess_plans[SQ_COUNT];
static char *sess_plans_table = NULL;

/* Positions of jwt_refresh_issue's arguments and result columns */
enum
{
	IA_SUBJECT,
	IA_EXPIRES_IN,
	IA_CLIENT_IP,
	IA_USER_AGENT,
	IA_METADATA
};

enum
{
	IO_REFRESH_TOKEN,
	IO_FAMILY_ID,
	IO_EXPIRES_AT,
	IO_NCOLS
};

#define SESSIONS_NCOLS 8

static char *sess_table_name(void);
static const char *sess_table(FunctionCallInfo fcinfo);
static SPIPlanPtr sess_plan(const char *table, SessQuery q);
static void sess_not_on_standby(const char *what);
static ArrayType *sess_families_array(Datum *families, int n);
static Datum *sess_families(const char *table, SessQuery q, Datum *args,
							 int *n);

/*
 * The schema-qualified, quoted name of the refresh_tokens table, in the
 * current memory context.
 */
static char *
sess_table_name(void)
{
	return jwt_extension_table("refresh_tokens");
}

/*
 * The table's name for a call of an entry point: looked up once per call
 * site and query, and kept in fn_extra (a policy may call
 * jwt_refresh_session_active for each row); looked up anew when "fcinfo"
 * is NULL.
 */
static const char *
sess_table(FunctionCallInfo fcinfo)
{
	FmgrInfo   *flinfo = fcinfo ? fcinfo->flinfo : NULL;
	char	   *table;

	if (flinfo && flinfo->fn_extra)
		return (const char *) flinfo->fn_extra;
	table = sess_table_name();
	if (flinfo)
		flinfo->fn_extra = MemoryContextStrdup(flinfo->fn_mcxt, table);
	return table;
}

/*
 * The kept plan of query "q", prepared for table "table".  Must be called
 * between SPI_connect and SPI_finish.
 */
static SPIPlanPtr
sess_plan(const char *table, SessQuery q)
{
	const SessQueryDef *def = &sess_queries[q];
	SPIPlanPtr	plan;
	char	   *text;

	if (sess_plans_table == NULL || strcmp(sess_plans_table, table) != 0)
	{
		/* another table (or the first call): drop every kept plan */
		for (int i = 0; i < SQ_COUNT; i++)
		{
			if (sess_plans[i])
				SPI_freeplan(sess_plans[i]);
			sess_plans[i] = NULL;
		}
		if (sess_plans_table)
			pfree(sess_plans_table);
		sess_plans_table = NULL;
		sess_plans_table = MemoryContextStrdup(TopMemoryContext, table);
	}
	if (sess_plans[q])
		return sess_plans[q];

	/* the table name fills every %s (three at most) */
	text = psprintf(def->text, table, table, table);
	plan = SPI_prepare(text, def->nargs, (Oid *) def->argtypes);
	if (plan == NULL)
		jwt_elog(ERROR, "SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		jwt_elog(ERROR, "SPI_keepplan failed");
	sess_plans[q] = plan;
	return plan;
}

/* Run a kept plan; "expect" is the SPI result code it must return */
static void
sess_run(const char *table, SessQuery q, Datum *args, const char *nulls,
		 bool read_only, long count, int expect)
{
	int			ret;

	if (sess_queries[q].by_subject)
	{
		List	   *name = textToQualifiedNameList(cstring_to_text(table));

		/* locked as the plan will lock it: no ALTER between check and use */
		jwt_refresh_check_collations(RangeVarGetRelid(makeRangeVarFromNameList(name),
													  AccessShareLock, false));
	}
	ret = SPI_execute_plan(sess_plan(table, q), args, nulls, read_only, count);

	if (ret != expect)
		jwt_elog(ERROR, "SPI_execute_plan failed: %s",
				 SPI_result_code_string(ret));
	/* the table's owner may have changed a column's type */
	if (SPI_tuptable)
		jwt_refresh_check_types(SPI_tuptable->tupdesc);
}

/*
 * Column "col" (from 1) of row "row" of the last query's result, which the
 * caller cannot do without: XX001 when NULL (its NOT NULL constraint
 * dropped by the table's owner).
 */
static Datum
sess_value(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row],
								  SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		jwt_refresh_null_error(NULL, SPI_fname(SPI_tuptable->tupdesc, col), 0);
	return d;
}

/*
 * 25006 on a hot standby, for the functions that write; "what" is one of
 * the SESS_* messages below.
 */
#define SESS_ISSUED		gettext_noop("refresh tokens cannot be issued on a hot standby")
#define SESS_REVOKED	gettext_noop("refresh tokens cannot be revoked on a hot standby")
#define SESS_PURGED		gettext_noop("refresh tokens cannot be purged on a hot standby")

static void
sess_not_on_standby(const char *what)
{
	if (RecoveryInProgress())
		jwt_ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s", _(what)),
				 errdetail("The server is in recovery and read-only."),
				 errhint("Run it on the primary server.")));
}

static ArrayType *
sess_families_array(Datum *families, int n)
{
	return construct_array(families, n, UUIDOID, UUID_LEN, false,
						   TYPALIGN_CHAR);
}

/*
 * Run query "q" (one uuid column) and return its family ids in an array
 * allocated in the memory context that was current at SPI_connect, and
 * their number in *n.  Must be called between SPI_connect and SPI_finish.
 */
static Datum *
sess_families(const char *table, SessQuery q, Datum *args, int *n)
{
	Datum	   *out;

	sess_run(table, q, args, NULL, false, 0, SPI_OK_SELECT);
	if (SPI_processed >= (uint64) (MaxAllocSize / sizeof(Datum)) - 1)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many sessions to revoke at once")));
	*n = (int) SPI_processed;
	/* one more, for the caller's own family */
	out = SPI_palloc((*n + 1) * sizeof(Datum));
	for (int i = 0; i < *n; i++)
		out[i] = SPI_datumTransfer(sess_value(i, 1), false, UUID_LEN);
	return out;
}

static int
sess_interval_sign(Interval *iv)
{
	Interval	zero;

	memset(&zero, 0, sizeof(zero));
	return DatumGetInt32(DirectFunctionCall2(interval_cmp,
											 IntervalPGetDatum(iv),
											 IntervalPGetDatum(&zero)));
}

/*
 * Revoke every unrevoked row of some families.  Repeats until a statement
 * finds nothing left: in READ COMMITTED, a rotation that held a family's
 * token while the first UPDATE waited commits a successor that
 * statement's snapshot cannot see, and the next statement (with a new
 * snapshot) revokes it.  A NULL reason reaches the table's trigger, which
 * refuses it for a row it would revoke (23514).
 */
int64
jwt_refresh_revoke_families_internal(ArrayType *families, text *reason)
{
	const char *table;
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	int64		total = 0;

	sess_not_on_standby(SESS_REVOKED);
	if (families == NULL)
		return 0;
	table = sess_table(NULL);
	args[0] = PointerGetDatum(families);
	args[1] = PointerGetDatum(reason);
	if (reason == NULL)
		nulls[1] = 'n';
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		sess_run(table, SQ_REVOKE, args, nulls, false, 0, SPI_OK_UPDATE);
		if (SPI_processed == 0)
			break;
		total += SPI_processed;
	}
	SPI_finish();
	if (total > 0)
		jwt_stats_count(JWT_STAT_REVOCATION, NULL, JWT_REASON_NONE);
	return total;
}

/*
 * jwt_refresh_revoke_families(families uuid[], reason text) -> integer:
 * the rows revoked.  Internal (EXECUTE granted to nobody).
 */
JWT_FUNCTION(jwt_refresh_revoke_families)
{
	int64		n;

	n = jwt_refresh_revoke_families_internal(PG_ARGISNULL(0) ? NULL :
											 PG_GETARG_ARRAYTYPE_P(0),
											 PG_ARGISNULL(1) ? NULL :
											 PG_GETARG_TEXT_PP(1));
	PG_RETURN_INT32((int32) Min(n, PG_INT32_MAX));
}

/*
 * jwt_refresh_issue(subject, expires_in, client_ip, user_agent, metadata)
 *		-> (refresh_token text, family_id uuid, expires_at timestamptz)
 *
 * Login: a new family for "subject", its first token (handed to the
 * caller; the table keeps its hash) and expiry.  22023 for an empty or
 * NULL subject or a lifetime that is NULL or not positive, 22008 for one
 * that leaves the timestamp range, 25006 on a hot standby.
 */
JWT_FUNCTION(jwt_refresh_issue)
{
	const char *table = sess_table(fcinfo);
	TupleDesc	resdesc;
	Datum		values[IO_NCOLS];
	bool		nulls[IO_NCOLS];
	Datum		args[7];
	char		argnulls[7];
	text	   *token;
	pg_uuid_t  *family;
	TimestampTz expires_at;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "jwt_refresh_issue: return type must be a row type");
	resdesc = BlessTupleDesc(resdesc);

	sess_not_on_standby(SESS_ISSUED);
	if (PG_ARGISNULL(IA_SUBJECT) ||
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(IA_SUBJECT)) == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subject must not be NULL or empty")));
	if (PG_ARGISNULL(IA_EXPIRES_IN))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_in must not be NULL")));
	if (sess_interval_sign(PG_GETARG_INTERVAL_P(IA_EXPIRES_IN)) <= 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("refresh token lifetime must be positive")));
	expires_at = jwt_time_arg(GetCurrentTransactionStartTimestamp(),
									  PG_GETARG_INTERVAL_P(IA_EXPIRES_IN),
									  1, "expires_in");

	token = jwt_refresh_first_token();
	family = palloc(sizeof(pg_uuid_t));
	if (!pg_strong_random(family->data, UUID_LEN))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	/* version 4 (random), variant RFC 4122, as gen_random_uuid() */
	family->data[6] = (family->data[6] & 0x0f) | 0x40;
	family->data[8] = (family->data[8] & 0x3f) | 0x80;

	args[0] = PointerGetDatum(jwt_refresh_hash(token));
	args[1] = UUIDPGetDatum(family);
	args[2] = PG_GETARG_DATUM(IA_SUBJECT);
	args[3] = TimestampTzGetDatum(expires_at);
	memset(argnulls, ' ', sizeof(argnulls));
	for (i = IA_CLIENT_IP; i <= IA_METADATA; i++)
	{
		args[i + 2] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		if (PG_ARGISNULL(i))
			argnulls[i + 2] = 'n';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	sess_run(table, SQ_ISSUE, args, argnulls, false, 0, SPI_OK_INSERT);
	SPI_finish();

	memset(nulls, false, sizeof(nulls));
	values[IO_REFRESH_TOKEN] = PointerGetDatum(token);
	values[IO_FAMILY_ID] = UUIDPGetDatum(family);
	values[IO_EXPIRES_AT] = TimestampTzGetDatum(expires_at);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(resdesc, values,
													  nulls)));
}

/*
 * jwt_refresh_revoke(token text, reason text, everywhere boolean) -> integer
 *
 * Logout: revoke the token's family (any token of it, used ones included:
 * its holder could revoke the family anyway by presenting it again).  With
 * "everywhere", every other live family of the token's subject too, but
 * only when the token is live (unused, unrevoked, unexpired) or within its
 * grace window (used, with its successor still retrievable by a retry: a
 * client that lost the response of its last refresh); a dead token ends
 * only its own family, with the reason of a plain logout.  The token's row
 * is locked (FOR UPDATE) for that decision, so a concurrent rotation or
 * revocation is waited for.  Returns the number of families that had rows
 * left to revoke; 0 for an unknown token.  25006 on a hot standby.
 */
JWT_FUNCTION(jwt_refresh_revoke)
{
	const char *table = sess_table(fcinfo);
	bool		everywhere = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext spicxt;
	Datum		args[2];
	Datum		family;
	Datum		subject;
	bool		may_end_others;
	bool		isnull;
	Datum	   *families;
	int			nfamilies = 0;
	ArrayType  *arr;
	text	   *reason;
	int64		n;
	HeapTuple	row;
	TupleDesc	desc;

	sess_not_on_standby(SESS_REVOKED);
	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	args[0] = PointerGetDatum(jwt_refresh_hash(PG_GETARG_TEXT_PP(0)));

	/*
	 * For "everywhere", lock the token's row first, waiting for a
	 * concurrent rotation or revocation of it; the next statement, with a
	 * new snapshot in READ COMMITTED, then sees the row as that left it,
	 * and the successor a rotation inserted.
	 */
	if (everywhere)
		sess_run(table, SQ_TOKEN_LOCK, args, NULL, false, 1, SPI_OK_SELECT);
	sess_run(table, SQ_TOKEN, args, NULL, false, 1, SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		SPI_finish();
		PG_RETURN_INT32(0);
	}
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	family = SPI_datumTransfer(sess_value(0, 1), false, UUID_LEN);
	subject = SPI_datumTransfer(sess_value(0, 2), false, -1);
	may_end_others = everywhere &&
		(DatumGetBool(SPI_getbinval(row, desc, 3, &isnull)) ||
		 DatumGetBool(SPI_getbinval(row, desc, 4, &isnull)));

	if (may_end_others)
	{
		/* the subject's other live families, then the token's own */
		args[0] = subject;
		args[1] = family;
		families = sess_families(table, SQ_OTHER_FAMILIES, args, &nfamilies);
	}
	else
		families = SPI_palloc(sizeof(Datum));
	families[nfamilies++] = family;
	spicxt = MemoryContextSwitchTo(outer);
	arr = sess_families_array(families, nfamilies);
	MemoryContextSwitchTo(spicxt);

	/* count the families that have something left to revoke */
	args[0] = PointerGetDatum(arr);
	sess_run(table, SQ_COUNT_UNREVOKED, args, NULL, false, 1, SPI_OK_SELECT);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	if (!PG_ARGISNULL(1))
		reason = PG_GETARG_TEXT_PP(1);
	else
		reason = cstring_to_text(may_end_others ? "logout_all" : "logout");
	jwt_refresh_revoke_families_internal(arr, reason);
	PG_RETURN_INT32((int32) n);
}

/*
 * jwt_refresh_revoke_family(family_id uuid, reason text) -> boolean:
 * whether the family had rows left to revoke.  25006 on a hot standby.
 */
JWT_FUNCTION(jwt_refresh_revoke_family)
{
	Datum		family;
	text	   *reason;
	ArrayType  *arr;

	if (PG_ARGISNULL(0))
	{
		sess_not_on_standby(SESS_REVOKED);
		PG_RETURN_BOOL(false);
	}
	family = PG_GETARG_DATUM(0);
	reason = PG_ARGISNULL(1) ? cstring_to_text("revoked") :
		PG_GETARG_TEXT_PP(1);
	arr = sess_families_array(&family, 1);
	PG_RETURN_BOOL(jwt_refresh_revoke_families_internal(arr, reason) > 0);
}

/*
 * jwt_refresh_revoke_subject(subject text, reason text) -> integer: revoke
 * every live family of a subject; returns how many.  25006 on a hot
 * standby.
 */
JWT_FUNCTION(jwt_refresh_revoke_subject)
{
	const char *table = sess_table(fcinfo);
	Datum	   *families = NULL;
	int			n = 0;
	text	   *reason;

	sess_not_on_standby(SESS_REVOKED);
	if (!PG_ARGISNULL(0))
	{
		Datum		args[1] = {PG_GETARG_DATUM(0)};

		if (SPI_connect() != SPI_OK_CONNECT)
			jwt_elog(ERROR, "SPI_connect failed");
		families = sess_families(table, SQ_SUBJECT_FAMILIES, args, &n);
		SPI_finish();
	}
	reason = PG_ARGISNULL(1) ? cstring_to_text("logout_all") :
		PG_GETARG_TEXT_PP(1);
	jwt_refresh_revoke_families_internal(sess_families_array(families, n),
										 reason);
	PG_RETURN_INT32(n);
}

/*
 * jwt_refresh_purge(reuse_horizon interval, retain interval) -> bigint
 *
 * Deletes the used tokens of live families used more than reuse_horizon
 * ago (once their successor's grace window is over), and every row of
 * families that ended more than "retain" ago; wipes the retry keys whose
 * grace window is over.  Returns the rows deleted.  Runs as its caller
 * (the table's owner, by default).  22023 for a NULL or negative
 * interval, 22008 for one reaching before the timestamp range, 25006 on a
 * hot standby.
 */
JWT_FUNCTION(jwt_refresh_purge)
{
	const char *table = sess_table(fcinfo);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Datum		args[1];
	int64		total = 0;
	TimestampTz used_before;
	TimestampTz ended_before;

	if (PG_ARGISNULL(0) || sess_interval_sign(PG_GETARG_INTERVAL_P(0)) < 0 ||
		PG_ARGISNULL(1) || sess_interval_sign(PG_GETARG_INTERVAL_P(1)) < 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reuse_horizon and retain must not be NULL or negative")));
	used_before = jwt_time_arg(now, PG_GETARG_INTERVAL_P(0), -1,
									   "reuse_horizon");
	ended_before = jwt_time_arg(now, PG_GETARG_INTERVAL_P(1), -1,
										"retain");
	sess_not_on_standby(SESS_PURGED);

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	args[0] = TimestampTzGetDatum(ended_before);
	sess_run(table, SQ_PURGE_ENDED, args, NULL, false, 0, SPI_OK_DELETE);
	total += SPI_processed;
	sess_run(table, SQ_PURGE_ORPHANS, args, NULL, false, 0, SPI_OK_DELETE);
	total += SPI_processed;
	args[0] = TimestampTzGetDatum(used_before);
	sess_run(table, SQ_PURGE_USED, args, NULL, false, 0, SPI_OK_DELETE);
	total += SPI_processed;
	sess_run(table, SQ_PURGE_KEYS, NULL, NULL, false, 0, SPI_OK_UPDATE);
	SPI_finish();
	PG_RETURN_INT64(total);
}

/*
 * jwt_refresh_sessions(subject text) -> SETOF (family_id, issued_at,
 *		refreshed_at, expires_at, rotations, client_ip, user_agent, metadata)
 *
 * The live sessions of a subject, newest first.  Works on a hot standby.
 */
JWT_FUNCTION(jwt_refresh_sessions)
{
	const char *table = sess_table(fcinfo);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		args[1];

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (rsinfo->setDesc->natts != SESSIONS_NCOLS)
		jwt_elog(ERROR, "jwt_refresh_sessions: wrong number of result columns");
	args[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	sess_run(table, SQ_SESSIONS, args, NULL, true, 0, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[SESSIONS_NCOLS];
		bool		nulls[SESSIONS_NCOLS];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
						  values, nulls);
		/* the tuplestore copies the row into its own memory */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * jwt_refresh_session_active(family_id uuid) -> boolean: whether the family
 * (an access token's "sid") has a live token.  false for NULL.  Works on a
 * hot standby.
 */
JWT_FUNCTION(jwt_refresh_session_active)
{
	const char *table = sess_table(fcinfo);
	Datum		args[1];
	bool		active;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	args[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	sess_run(table, SQ_SESSION_ACTIVE, args, NULL, true, 1, SPI_OK_SELECT);
	active = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(active);
}

/* The field4 of the advisory lock tag that serializes a subject's logins */
#define JWT_SESSION_LOCK 0x4A57

bool		jwt_require_session = false;

/* Positions of jwt_refresh_login's arguments and result columns */
enum
{
	LA_SUBJECT,
	LA_KEY,
	LA_ALGORITHM,
	LA_CLAIMS,
	LA_ACCESS_EXPIRES_IN,
	LA_REFRESH_EXPIRES_IN,
	LA_SESSION_LIFETIME,
	LA_IDLE_TIMEOUT,
	LA_MAX_SESSIONS,
	LA_CLIENT_IP,
	LA_USER_AGENT,
	LA_METADATA
};

enum
{
	LO_ACCESS_TOKEN,
	LO_ACCESS_EXPIRES_AT,
	LO_REFRESH_TOKEN,
	LO_REFRESH_EXPIRES_AT,
	LO_FAMILY_ID,
	LO_NEW_DEVICE,
	LO_KNOWN_DEVICE,
	LO_NCOLS
};

/* An optional interval argument: NULL, or positive (22023 otherwise) */
static Interval *
login_interval(FunctionCallInfo fcinfo, int arg, bool required,
			   const char *name)
{
	if (PG_ARGISNULL(arg))
	{
		if (required)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be NULL", name)));
		return NULL;
	}
	if (sess_interval_sign(PG_GETARG_INTERVAL_P(arg)) <= 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", name)));
	return PG_GETARG_INTERVAL_P(arg);
}

/*
 * Serialize the logins of "subject" until the transaction ends, and end
 * its oldest live sessions so that, with the one about to start, at most
 * "max" are live.
 */
static void
login_enforce_cap(const char *table, Datum subject, int32 max)
{
	text	   *sub = DatumGetTextPP(subject);
	uint64		h = hash_bytes_extended((const unsigned char *) VARDATA_ANY(sub),
										VARSIZE_ANY_EXHDR(sub), 0);
	LOCKTAG		tag;
	Datum	   *families;
	int			n;
	MemoryContext outer = CurrentMemoryContext;
	ArrayType  *arr = NULL;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h,
						 JWT_SESSION_LOCK);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	families = sess_families(table, SQ_LIVE_NEWEST, &subject, &n);
	if (n >= max)
	{
		MemoryContext spicxt = MemoryContextSwitchTo(outer);

		/* the newest max - 1 stay */
		arr = sess_families_array(families + (max - 1), n - (max - 1));
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	if (arr)
		jwt_refresh_revoke_families_internal(arr,
											 cstring_to_text("session_limit"));
}

/*
 * An access token of a session: the stored claims, the caller's over them,
 * plus "sub", "sid" and "exp", signed with the key argument (by jwt_sign's
 * C function, so that keys and algorithms behave exactly as there) or,
 * when it is NULL, by the key registry's (a C call: no function is looked
 * up by name).  Used by rotation and login.
 */
text *
jwt_refresh_sign_access(NullableDatum keyarg, int form, text *algorithm,
						Jsonb *stored, Jsonb *claims, Interval *access,
						const TimestampTz *session_end,
						Datum subject, Datum family,
						TimestampTz *access_expires_at)
{
	TimestampTz exp_ts;
	int64		exp;
	JsonbParseState *ps = NULL;
	JsonbValue	k,
				v;
	Jsonb	   *ours;
	Datum		all;
	text	   *tok;
	JwtSignParams params;
	char	   *sid;

	/* exp: whole seconds, from the statement's start as jwt_sign's iat */
	exp_ts = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													  TimestampTzGetDatum(GetCurrentStatementStartTimestamp()),
													  IntervalPGetDatum(access)));
	if (session_end && *session_end < exp_ts)
		exp_ts = *session_end;	/* whole seconds, down, below */
	{
		int64		frac = exp_ts % USECS_PER_SEC;

		if (frac < 0)
			frac += USECS_PER_SEC;
		exp_ts -= frac;
	}
	exp = exp_ts / USECS_PER_SEC + JWT_UNIX_EPOCH_OFFSET_SECS;
	*access_expires_at = exp_ts;

	sid = DatumGetCString(DirectFunctionCall1(uuid_out, family));
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "sub";
	k.val.string.len = 3;
	pushJsonbValue(&ps, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = TextDatumGetCString(subject);
	v.val.string.len = strlen(v.val.string.val);
	pushJsonbValue(&ps, WJB_VALUE, &v);
	k.val.string.val = "sid";
	pushJsonbValue(&ps, WJB_KEY, &k);
	v.val.string.val = sid;
	v.val.string.len = strlen(sid);
	pushJsonbValue(&ps, WJB_VALUE, &v);
	k.val.string.val = "exp";
	pushJsonbValue(&ps, WJB_KEY, &k);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(exp);
	pushJsonbValue(&ps, WJB_VALUE, &v);
	ours = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	all = JsonbPGetDatum(ours);
	if (claims)
		all = DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(claims), all);
	if (stored)
	{
		/* stored, then the caller's over it, then ours over both */
		Datum		base = JsonbPGetDatum(stored);

		if (claims)
			base = DirectFunctionCall2(jsonb_concat, base,
									   JsonbPGetDatum(claims));
		all = DirectFunctionCall2(jsonb_concat, base, JsonbPGetDatum(ours));
	}

	memset(&params, 0, sizeof(params));
	if (keyarg.isnull)
		tok = jwt_registry_sign_with(DatumGetJsonbP(all), algorithm, &params);
	else
	{
		/* jwt_sign(claims, key, algorithm): the key is read first */
		JwtKey	   *key = jwt_key_from_datum(keyarg.value, (JwtKeyForm) form);
		text	   *algname = algorithm;
		const JwtAlg *alg = algname == NULL ? jwt_sign_default_alg(key) :
			jwt_alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));

		tok = jwt_sign_with(DatumGetJsonbP(all), key, alg, &params,
							JWT_STATS_COUNT);
	}
	return tok;
}

/*
 * jwt_refresh_login(subject, key, algorithm, claims, access_expires_in,
 *		refresh_expires_in, session_lifetime, idle_timeout, max_sessions,
 *		client_ip, user_agent, metadata)
 *		-> (access_token, access_expires_at, refresh_token,
 *			refresh_expires_at, family_id, new_device, known_device)
 *
 * Login in one call: a new session (family) of "subject" whose rows keep
 * "claims" (the access token's claims: aud, iss, role, ...), its absolute
 * end (now + session_lifetime) and idle timeout; its first refresh token;
 * an access token with "claims", "sub", "sid" and "exp", signed as
 * jwt_refresh_rotate signs.  With max_sessions, the subject's oldest live
 * sessions beyond it end.  new_device: whether the subject had no session
 * (live or ended, still in the table) with this user_agent, and
 * known_device the latest such session; both NULL without a user_agent.
 */
static Datum
refresh_login(FunctionCallInfo fcinfo, JwtKeyForm form)
{
	const char *table = sess_table(fcinfo);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TupleDesc	resdesc;
	Datum		values[LO_NCOLS];
	bool		nulls[LO_NCOLS];
	Datum		args[10];
	char		argnulls[10];
	Interval   *access;
	Interval   *refresh;
	Interval   *lifetime;
	Interval   *idle;
	Jsonb	   *claims = NULL;
	TimestampTz expires_at;
	TimestampTz session_end = 0;
	text	   *token;
	pg_uuid_t  *family;
	NullableDatum key;
	TimestampTz access_expires_at;
	MemoryContext outer = CurrentMemoryContext;

	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "jwt_refresh_login: return type must be a row type");
	resdesc = BlessTupleDesc(resdesc);

	sess_not_on_standby(SESS_ISSUED);
	PreventCommandIfReadOnly("jwt_refresh_login()");
	if (PG_ARGISNULL(LA_SUBJECT) ||
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(LA_SUBJECT)) == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subject must not be NULL or empty")));
	access = login_interval(fcinfo, LA_ACCESS_EXPIRES_IN, true,
							"access_expires_in");
	refresh = login_interval(fcinfo, LA_REFRESH_EXPIRES_IN, true,
							 "refresh_expires_in");
	lifetime = login_interval(fcinfo, LA_SESSION_LIFETIME, false,
							  "session_lifetime");
	idle = login_interval(fcinfo, LA_IDLE_TIMEOUT, false, "idle_timeout");
	if (!PG_ARGISNULL(LA_MAX_SESSIONS) && PG_GETARG_INT32(LA_MAX_SESSIONS) < 1)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_sessions must be at least 1")));
	if (!PG_ARGISNULL(LA_CLAIMS))
	{
		claims = PG_GETARG_JSONB_P(LA_CLAIMS);
		if (!JB_ROOT_IS_OBJECT(claims) || JB_ROOT_IS_SCALAR(claims))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("claims must be a JSON object")));
	}
	(void) jwt_time_arg(GetCurrentStatementStartTimestamp(), access, 1,
						"access_expires_in");
	expires_at = jwt_time_arg(now, refresh, 1, "refresh_expires_in");
	if (lifetime)
	{
		session_end = jwt_time_arg(now, lifetime, 1, "session_lifetime");
		if (session_end < expires_at)
			expires_at = session_end;
	}
	if (idle)
		(void) jwt_time_arg(now, idle, 1, "idle_timeout");

	if (!PG_ARGISNULL(LA_MAX_SESSIONS))
		login_enforce_cap(table, PG_GETARG_DATUM(LA_SUBJECT),
						  PG_GETARG_INT32(LA_MAX_SESSIONS));

	token = jwt_refresh_first_token();
	family = palloc(sizeof(pg_uuid_t));
	if (!pg_strong_random(family->data, UUID_LEN))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	/* version 4 (random), variant RFC 4122, as gen_random_uuid() */
	family->data[6] = (family->data[6] & 0x0f) | 0x40;
	family->data[8] = (family->data[8] & 0x3f) | 0x80;

	memset(nulls, true, sizeof(nulls));
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");

	/* a device this subject used before, among its own sessions only */
	if (!PG_ARGISNULL(LA_USER_AGENT))
	{
		args[0] = PG_GETARG_DATUM(LA_SUBJECT);
		args[1] = PG_GETARG_DATUM(LA_USER_AGENT);
		sess_run(table, SQ_KNOWN_DEVICE, args, NULL, false, 1, SPI_OK_SELECT);
		values[LO_NEW_DEVICE] = BoolGetDatum(SPI_processed == 0);
		nulls[LO_NEW_DEVICE] = false;
		if (SPI_processed > 0)
		{
			Datum		family = sess_value(0, 1);
			MemoryContext spicxt = MemoryContextSwitchTo(outer);

			values[LO_KNOWN_DEVICE] = datumCopy(family, false, UUID_LEN);
			MemoryContextSwitchTo(spicxt);
			nulls[LO_KNOWN_DEVICE] = false;
		}
	}

	memset(argnulls, ' ', sizeof(argnulls));
	args[0] = PointerGetDatum(jwt_refresh_hash(token));
	args[1] = UUIDPGetDatum(family);
	args[2] = PG_GETARG_DATUM(LA_SUBJECT);
	args[3] = TimestampTzGetDatum(expires_at);
	args[4] = PG_ARGISNULL(LA_CLIENT_IP) ? (Datum) 0 : PG_GETARG_DATUM(LA_CLIENT_IP);
	argnulls[4] = PG_ARGISNULL(LA_CLIENT_IP) ? 'n' : ' ';
	args[5] = PG_ARGISNULL(LA_USER_AGENT) ? (Datum) 0 : PG_GETARG_DATUM(LA_USER_AGENT);
	argnulls[5] = PG_ARGISNULL(LA_USER_AGENT) ? 'n' : ' ';
	args[6] = PG_ARGISNULL(LA_METADATA) ? (Datum) 0 : PG_GETARG_DATUM(LA_METADATA);
	argnulls[6] = PG_ARGISNULL(LA_METADATA) ? 'n' : ' ';
	args[7] = claims ? JsonbPGetDatum(claims) : (Datum) 0;
	argnulls[7] = claims ? ' ' : 'n';
	args[8] = TimestampTzGetDatum(session_end);
	argnulls[8] = lifetime ? ' ' : 'n';
	args[9] = idle ? IntervalPGetDatum(idle) : (Datum) 0;
	argnulls[9] = idle ? ' ' : 'n';
	sess_run(table, SQ_LOGIN, args, argnulls, false, 0, SPI_OK_INSERT);
	SPI_finish();

	key.isnull = PG_ARGISNULL(LA_KEY);
	key.value = key.isnull ? (Datum) 0 : PG_GETARG_DATUM(LA_KEY);
	values[LO_ACCESS_TOKEN] =
		PointerGetDatum(jwt_refresh_sign_access(key, form,
												PG_ARGISNULL(LA_ALGORITHM) ? NULL :
												PG_GETARG_TEXT_PP(LA_ALGORITHM),
												claims, NULL, access,
												lifetime ? &session_end : NULL,
												PG_GETARG_DATUM(LA_SUBJECT),
												UUIDPGetDatum(family),
												&access_expires_at));
	nulls[LO_ACCESS_TOKEN] = false;
	values[LO_ACCESS_EXPIRES_AT] = TimestampTzGetDatum(access_expires_at);
	nulls[LO_ACCESS_EXPIRES_AT] = false;
	values[LO_REFRESH_TOKEN] = PointerGetDatum(token);
	nulls[LO_REFRESH_TOKEN] = false;
	values[LO_REFRESH_EXPIRES_AT] = TimestampTzGetDatum(expires_at);
	nulls[LO_REFRESH_EXPIRES_AT] = false;
	values[LO_FAMILY_ID] = UUIDPGetDatum(family);
	nulls[LO_FAMILY_ID] = false;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(resdesc, values,
													  nulls)));
}

JWT_FUNCTION(jwt_refresh_login_text)
{
	return refresh_login(fcinfo, JWT_FORM_TEXT);
}

JWT_FUNCTION(jwt_refresh_login_bytea)
{
	return refresh_login(fcinfo, JWT_FORM_BYTEA);
}

JWT_FUNCTION(jwt_refresh_login_jsonb)
{
	return refresh_login(fcinfo, JWT_FORM_JSONB);
}

/* Whether "s" is a uuid in its canonical text form (8-4-4-4-12 hex) */
static bool
sid_is_uuid(const char *s, int len)
{
	if (len != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
		}
		else if (!isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/*
 * The session check's table, index and columns, per backend; forgotten by
 * a relcache invalidation of the table (or of everything), which DROP and
 * CREATE EXTENSION, ALTER EXTENSION ... SET SCHEMA and ALTER TABLE cause.
 */
static struct
{
	bool		valid;
	Oid			relid;
	Oid			indexid;
	RefreshCols cols;
}			sc_cache;
static bool sc_callback_registered = false;

static void
sc_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == sc_cache.relid)
		sc_cache.valid = false;
}

/*
 * The session check (see refresh.h).  The session is the family's unused
 * token, found through refresh_tokens_one_unused: live when unrevoked,
 * unexpired, within its session lifetime and idle timeout, and of the
 * token's "sub".
 */
int
jwt_refresh_session_check(Jsonb *claims)
{
	text	   *sid;
	text	   *sub;
	Relation	rel;
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;
	JwtReason	reason = JWT_REASON_SESSION_UNKNOWN;
	Datum		uuid;

	if (!JB_ROOT_IS_OBJECT(claims))
		return JWT_REASON_SESSION_UNKNOWN;
	sid = json_out_member_text(claims, "sid", 3);
	sub = json_out_member_text(claims, "sub", 3);
	if (sid == NULL || sub == NULL ||
		!sid_is_uuid(VARDATA_ANY(sid), VARSIZE_ANY_EXHDR(sid)))
		return JWT_REASON_SESSION_UNKNOWN;
	uuid = DirectFunctionCall1(uuid_in, CStringGetDatum(text_to_cstring(sid)));

	if (!sc_callback_registered)
	{
		CacheRegisterRelcacheCallback(sc_relcache_callback, (Datum) 0);
		sc_callback_registered = true;
	}
	if (!sc_cache.valid)
	{
		Oid			nsp = jwt_extension_schema(NULL);

		sc_cache.relid = get_relname_relid("refresh_tokens", nsp);
		sc_cache.indexid = get_relname_relid("refresh_tokens_one_unused", nsp);
		if (!OidIsValid(sc_cache.relid) || !OidIsValid(sc_cache.indexid))
			jwt_elog(ERROR, "jwt_authenticate: table refresh_tokens or its index refresh_tokens_one_unused not found");
	}
	rel = table_open(sc_cache.relid, AccessShareLock);
	if (!sc_cache.valid)
	{
		jwt_refresh_cols(RelationGetDescr(rel), &sc_cache.cols);
		sc_cache.valid = true;	/* an invalidation from here on clears it */
	}
	ScanKeyInit(&skey, sc_cache.cols.family_id, BTEqualStrategyNumber,
				F_UUID_EQ, uuid);
	scan = systable_beginscan(rel, sc_cache.indexid, true, GetActiveSnapshot(),
							  1, &skey);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		const RefreshCols *cols = &sc_cache.cols;
		TupleDesc	desc = RelationGetDescr(rel);
		Datum	   *values = palloc(desc->natts * sizeof(Datum));
		bool	   *nulls = palloc(desc->natts * sizeof(bool));
		TimestampTz now = GetCurrentTimestamp();	/* never a rotation's pin */
		text	   *owner;

		heap_deform_tuple(tup, desc, values, nulls);
		if (nulls[cols->subject - 1])
			jwt_refresh_null_error(rel, "subject", cols->subject);
		if (nulls[cols->expires_at - 1])
			jwt_refresh_null_error(rel, "expires_at", cols->expires_at);
		owner = DatumGetTextPP(values[cols->subject - 1]);
		if (VARSIZE_ANY_EXHDR(owner) != VARSIZE_ANY_EXHDR(sub) ||
			memcmp(VARDATA_ANY(owner), VARDATA_ANY(sub),
				   VARSIZE_ANY_EXHDR(sub)) != 0)
			reason = JWT_REASON_SESSION_UNKNOWN;	/* another subject's */
		else if (!nulls[cols->revoked_at - 1])
			reason = JWT_REASON_SESSION_REVOKED;
		else if (DatumGetTimestampTz(values[cols->expires_at - 1]) <= now ||
				 jwt_refresh_session_ended(cols, values, nulls, now))
			reason = JWT_REASON_SESSION_EXPIRED;
		else
			reason = JWT_REASON_NONE;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return reason;
}
