/*-------------------------------------------------------------------------
 *
 * refresh_rotate.c
 *		The rotation engine: jwt_refresh_rotate, the exchange of a refresh
 *		token for its successor and an access token, with the grace-window
 *		retry and reuse detection (which revokes the family).
 *
 * Raises 22023 for bad lifetimes or grace, 22008 for one that leaves the
 * timestamp range, 25006 on a hot standby or in a read-only transaction,
 * 40001 in REPEATABLE READ or SERIALIZABLE when the token changed
 * concurrently, the signing errors of jwt_sign, and the trigger's 23514;
 * a reuse is a WARNING naming the subject (never the token), not an
 * error, so that the revocation commits.
 *
 * Memory: per call in CurrentMemoryContext (a rotation's executor state
 * is freed before it returns; on an error, with the call's context).  The
 * successor's retry key is wiped once stored.
 *
 * src/refresh_rotate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "api.h"
#include "compat.h"
#include "crypto.h"
#include "entry.h"
#include "errors.h"
#include "jwt.h"
#include "keys.h"
#include "refresh.h"
#include "registry.h"
#include "stats.h"

/*
 * ---------------------------------------------------------------------
 * jwt_refresh_rotate(token, key, algorithm, claims, access_expires_in,
 *                    refresh_expires_in, grace, client_ip, user_agent)
 *
 * The exchange of a refresh token for its successor and an access token,
 * in C: it locks the presented token's row like SELECT ... FOR UPDATE
 * (table_tuple_lock, waiting for a concurrent rotation or revocation) and
 * marks it used and inserts its successor through ExecSimpleRelationUpdate
 * and ExecSimpleRelationInsert, so the rows go through the trigger, the
 * constraints and the indexes as with any UPDATE and INSERT, without the
 * cost of planning and starting an executor per statement.  The rarer
 * outcomes (a retry in the grace window, a reuse) use SPI.
 *
 * READ COMMITTED: the row is found with the latest snapshot and locked
 * following its update chain to the newest version, waiting for a
 * concurrent writer (as UPDATE does).  REPEATABLE READ and SERIALIZABLE:
 * the row version the transaction snapshot sees is locked; if a concurrent
 * transaction changed it, 40001.
 *
 * The function is SECURITY DEFINER: it runs as the extension's owner.
 * ---------------------------------------------------------------------
 */


/* Positions of jwt_refresh_rotate's arguments and result columns */
enum
{
	RA_TOKEN,
	RA_KEY,
	RA_ALGORITHM,
	RA_CLAIMS,
	RA_ACCESS_EXPIRES_IN,
	RA_REFRESH_EXPIRES_IN,
	RA_GRACE,
	RA_CLIENT_IP,
	RA_USER_AGENT
};

enum
{
	RO_STATUS,
	RO_REFRESH_TOKEN,
	RO_REFRESH_EXPIRES_AT,
	RO_ACCESS_TOKEN,
	RO_ACCESS_EXPIRES_AT,
	RO_SUBJECT,
	RO_FAMILY_ID,
	RO_NCOLS
};

/* What the table part of a rotation decided */
typedef struct RotateOutcome
{
	const char *status;
	text	   *refresh_token;	/* NULL unless rotated */
	TimestampTz refresh_expires_at;
	Datum		subject;		/* text; (Datum) 0 when unknown */
	Datum		family_id;		/* uuid; (Datum) 0 when unknown */
	Jsonb	   *access_claims;	/* the session's stored claims, or NULL */
	bool		has_session_end;	/* the session has an absolute end: */
	TimestampTz session_end;	/* its session_expires_at */
} RotateOutcome;

/* A column of the presented token's row, in slot "old" */
#define OLDVAL(att) (old->tts_values[(att) - 1])

static bool
interval_positive(Interval *iv)
{
	Interval	zero;

	memset(&zero, 0, sizeof(zero));
	return DatumGetInt32(DirectFunctionCall2(interval_cmp,
											 IntervalPGetDatum(iv),
											 IntervalPGetDatum(&zero))) > 0;
}

static bool
interval_negative(Interval *iv)
{
	Interval	zero;

	memset(&zero, 0, sizeof(zero));
	return DatumGetInt32(DirectFunctionCall2(interval_cmp,
											 IntervalPGetDatum(iv),
											 IntervalPGetDatum(&zero))) < 0;
}

static TimestampTz
ts_plus(TimestampTz ts, Interval *iv)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
												   TimestampTzGetDatum(ts),
												   IntervalPGetDatum(iv)));
}

/* Whether the token in "slot" is live: neither used, revoked nor expired */
static bool
refresh_live(const RefreshCols *cols, TupleTableSlot *slot)
{
	slot_getallattrs(slot);
	return slot->tts_isnull[cols->used_at - 1] &&
		slot->tts_isnull[cols->revoked_at - 1] &&
		DatumGetTimestampTz(slot->tts_values[cols->expires_at - 1]) >
		jwt_refresh_now();
}

/*
 * Find the row of token hash "hash" and lock it FOR UPDATE; leave the
 * locked version in "slot".  Returns false when there is no such row.
 *
 * The row is looked up with an MVCC snapshot: the latest one in READ
 * COMMITTED, then locked following its update chain to the newest version
 * (waiting for a concurrent writer), as UPDATE and SELECT ... FOR UPDATE
 * do there.  (A dirty-snapshot scan, as logical replication's apply uses,
 * can miss the row: the index page's entries are read before the heap, so
 * a rotation that commits in between hides the old version while the scan
 * never sees the new version's entry.)  In REPEATABLE READ and SERIALIZABLE,
 * the version the transaction snapshot sees is locked as it is; if a
 * concurrent transaction changed it, 40001.
 */
static bool
rotate_find_and_lock(Relation rel, Oid pkindex, Datum hash,
					 TupleTableSlot *slot)
{
	Relation	idxrel = index_open(pkindex, RowExclusiveLock);
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	Snapshot	snap;
	ScanKeyData skey;
	IndexScanDesc scan;
	bool		found;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_BYTEAEQ, hash);
retry:
	snap = RegisterSnapshot(xact_snapshot ? GetTransactionSnapshot() :
							GetLatestSnapshot());
	scan = index_beginscan_compat(rel, idxrel, snap, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
	{
		TM_FailureData tmfd;
		TM_Result	res;

		ExecMaterializeSlot(slot);
		PushActiveSnapshot(snap);
		res = table_tuple_lock(rel, &slot->tts_tid, snap, slot,
							   GetCurrentCommandId(false), LockTupleExclusive,
							   LockWaitBlock,
							   xact_snapshot ? 0 :
							   TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							   &tmfd);
		PopActiveSnapshot();
		switch (res)
		{
			case TM_Ok:
				/* a local copy: the caller's new rows point into it */
				ExecMaterializeSlot(slot);
				break;
			case TM_Updated:
			case TM_Deleted:
				if (xact_snapshot)
					jwt_ereport(ERROR,
							(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
							 errmsg("refresh token was rotated or revoked concurrently"),
							 errdetail("Another transaction changed the token after this transaction's snapshot was taken."),
							 errhint("The transaction might succeed if retried.")));
				if (res == TM_Deleted)
				{
					found = false;	/* purged meanwhile */
					break;
				}
				/* not expected when following the update chain; look again */
				index_endscan(scan);
				UnregisterSnapshot(snap);
				goto retry;
			case TM_SelfModified:
				jwt_ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("refresh token was already changed by this command")));
				break;
			default:
				jwt_elog(ERROR, "unexpected table_tuple_lock status: %u", res);
				break;
		}
	}
	index_endscan(scan);
	UnregisterSnapshot(snap);
	index_close(idxrel, NoLock);
	return found;
}

/*
 * The presented token is live and locked in "old": mark it used and insert
 * its successor.
 */
static void
rotate_live(Relation rel, const RefreshCols *cols, TupleTableSlot *old,
			text *token, Interval *grace, Interval *refresh_expires_in,
			NullableDatum client_ip, NullableDatum user_agent,
			RotateOutcome *out)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TimestampTz now = jwt_refresh_now();
	EState	   *estate;
	RangeTblEntry *rte;
	ResultRelInfo *rri;
	EPQState	epq;
	TupleTableSlot *upd;
	TupleTableSlot *ins;
	unsigned char key[REFRESH_TOKEN_BYTES];
	bytea	   *keyval;
	text	   *succ;
	Datum		succhash;
	Interval   *lifetime;
	bool		isnull;
	TimestampTz retry_until;

	slot_getallattrs(old);

	/* the successor: HMAC-SHA256 of the token under a fresh retry key */
	ERR_clear_error();
	if (RAND_bytes(key, sizeof(key)) != 1)
		jwt_openssl_error("could not generate random bytes");
	succ = jwt_refresh_successor(token, key);
	keyval = palloc(VARHDRSZ + sizeof(key));
	SET_VARSIZE(keyval, VARHDRSZ + sizeof(key));
	memcpy(VARDATA(keyval), key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	succhash = PointerGetDatum(jwt_refresh_hash(succ));

	/* by default, the lifetime of the token it replaces */
	if (refresh_expires_in)
		lifetime = refresh_expires_in;
	else
		lifetime = DatumGetIntervalP(DirectFunctionCall2(timestamp_mi,
														 OLDVAL(cols->expires_at),
														 OLDVAL(cols->created_at)));

	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	jwt_exec_init_range_table(estate, rte);
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	estate->es_snapshot = GetTransactionSnapshot();
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	EvalPlanQualInit_compat(&epq, estate, NULL, NIL, -1);
	AfterTriggerBeginQuery();

	/* the token: used now; its own retry key goes once its window ended */
	upd = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(upd);
	memcpy(upd->tts_values, old->tts_values, desc->natts * sizeof(Datum));
	memcpy(upd->tts_isnull, old->tts_isnull, desc->natts * sizeof(bool));
	upd->tts_values[cols->used_at - 1] = TimestampTzGetDatum(now);
	upd->tts_isnull[cols->used_at - 1] = false;
	isnull = old->tts_isnull[cols->retry_until - 1];
	retry_until = isnull ? 0 : DatumGetTimestampTz(OLDVAL(cols->retry_until));
	if (isnull || retry_until <= now)
	{
		upd->tts_values[cols->retry_key - 1] = (Datum) 0;
		upd->tts_isnull[cols->retry_key - 1] = true;
	}
	ExecStoreVirtualTuple(upd);
	ExecSimpleRelationUpdate(rri, estate, &epq, old, upd);

	/* its successor, within the session's lifetime */
	out->refresh_expires_at = ts_plus(now, lifetime);
	if (cols->session_expires_at &&
		!old->tts_isnull[cols->session_expires_at - 1] &&
		DatumGetTimestampTz(OLDVAL(cols->session_expires_at)) <
		out->refresh_expires_at)
		out->refresh_expires_at =
			DatumGetTimestampTz(OLDVAL(cols->session_expires_at));
	ins = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(ins);
	for (int i = 0; i < desc->natts; i++)
	{
		ins->tts_values[i] = (Datum) 0;
		ins->tts_isnull[i] = true;
	}
#define SETCOL(att, val) \
	do { \
		ins->tts_values[(att) - 1] = (val); \
		ins->tts_isnull[(att) - 1] = false; \
	} while (0)
#define COPYCOL(att) \
	do { \
		ins->tts_values[(att) - 1] = old->tts_values[(att) - 1]; \
		ins->tts_isnull[(att) - 1] = old->tts_isnull[(att) - 1]; \
	} while (0)
	SETCOL(cols->token_hash, succhash);
	COPYCOL(cols->family_id);
	SETCOL(cols->generation,
		   Int32GetDatum(DatumGetInt32(OLDVAL(cols->generation)) + 1));
	SETCOL(cols->parent_hash, OLDVAL(cols->token_hash));
	COPYCOL(cols->subject);
	COPYCOL(cols->issued_at);
	SETCOL(cols->created_at, TimestampTzGetDatum(now));
	SETCOL(cols->expires_at, TimestampTzGetDatum(out->refresh_expires_at));
	SETCOL(cols->retry_key, PointerGetDatum(keyval));
	SETCOL(cols->retry_until, TimestampTzGetDatum(ts_plus(now, grace)));
	if (!client_ip.isnull)
		SETCOL(cols->client_ip, client_ip.value);
	else
		COPYCOL(cols->client_ip);
	if (!user_agent.isnull)
		SETCOL(cols->user_agent, user_agent.value);
	else
		COPYCOL(cols->user_agent);
	COPYCOL(cols->metadata);
	if (cols->access_claims)
	{
		COPYCOL(cols->access_claims);
		COPYCOL(cols->session_expires_at);
		COPYCOL(cols->idle_timeout);
	}
#undef SETCOL
#undef COPYCOL
	ExecStoreVirtualTuple(ins);
	ExecSimpleRelationInsert(rri, estate, ins);

	out->status = "rotated";
	jwt_stats_count(JWT_STAT_REFRESH_ROTATION, NULL, JWT_REASON_NONE);
	out->refresh_token = succ;
	out->subject = datumCopy(OLDVAL(cols->subject), false, -1);
	out->family_id = datumCopy(OLDVAL(cols->family_id), false, UUID_LEN);

	AfterTriggerEndQuery(estate);
	ExecCloseResultRelations(estate);	/* those an owner's AFTER trigger opened */
	EvalPlanQualEnd(&epq);
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	explicit_bzero(VARDATA(keyval), REFRESH_TOKEN_BYTES);

	/* later statements and calls of this transaction see the rotation */
	CommandCounterIncrement();
}

/*
 * The presented token is live and locked in "old", but its session ended
 * (absolute lifetime or idle timeout, "why"): revoke the family with that
 * reason and return it as the status.  Returns, never raises, so that the
 * caller's transaction commits the revocation.
 */
static void
rotate_session_ended(const RefreshCols *cols, TupleTableSlot *old,
					 const char *why, RotateOutcome *out)
{
	out->subject = datumCopy(OLDVAL(cols->subject), false, -1);
	out->family_id = datumCopy(OLDVAL(cols->family_id), false, UUID_LEN);
	jwt_refresh_revoke_families_internal(construct_array(&out->family_id, 1,
														 UUIDOID, UUID_LEN,
														 false,
														 TYPALIGN_CHAR),
										 cstring_to_text(why));
	out->status = why;
}

/*
 * Whether the family of a retry still has a live session, judged on its
 * newest token, the one not used yet (a successor that has rotated in turn
 * is not what ages: its own successor is).  NULL when live, else the
 * status to answer: idle_timeout or session_expired, revoked, or expired
 * (also when no token of the family is left unused).
 *
 * Read as it stands, without a lock, and the retry ends nothing on it (the
 * next rotation of the newest token ends the family): the retry holds the
 * presented token's row, and waiting for the newest token's, or revoking
 * the family's rows, while holding it deadlocked with a logout (everywhere)
 * presented with another of the family's tokens, which holds that one and
 * revokes the family.  A rotation of the newest token that has not
 * committed is read as before it: a retry at the very moment the session
 * goes idle may be told idle_timeout while that rotation keeps it alive.
 */
static const char *
retry_family_state(const char *relname, const RefreshCols *cols,
				   Datum family)
{
	Oid			argtypes[2] = {UUIDOID, TIMESTAMPTZOID};
	Datum		args[2];
	char	   *query;
	int			ret;
	bool		isnull;
	Datum		state;
	char	   *s;

	query = psprintf("SELECT CASE WHEN u.revoked_at IS NOT NULL THEN 'revoked'"
					 "%s"
					 " WHEN u.expires_at OPERATOR(pg_catalog.<=) $2 THEN 'expired' END"
					 " FROM %s u WHERE u.family_id OPERATOR(pg_catalog.=) $1"
					 " AND u.used_at IS NULL"
					 " AND u.generation OPERATOR(pg_catalog.>=) 0",
					 cols->idle_timeout && cols->session_expires_at ?
					 " WHEN u.session_expires_at OPERATOR(pg_catalog.<=) $2"
					 " THEN 'session_expired'"
					 " WHEN" JWT_REFRESH_IDLE_END_SQL("u")
					 " OPERATOR(pg_catalog.<=) $2 THEN 'idle_timeout'" : "",
					 relname);
	args[0] = family;
	args[1] = TimestampTzGetDatum(jwt_refresh_now());
	ret = SPI_execute_with_args(query, 2, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return "expired";		/* nothing of the family is unused */
	state = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	if (isnull)
		return NULL;
	s = TextDatumGetCString(state);
	return strcmp(s, "revoked") == 0 ? "revoked" :
		strcmp(s, "session_expired") == 0 ? "session_expired" :
		strcmp(s, "idle_timeout") == 0 ? "idle_timeout" : "expired";
}

/*
 * The presented token is not live (or unknown); it is locked in "old" when
 * "found".  Decide: a retry within the grace window gets the successor
 * again; a used token outside it is a reuse, which revokes its family;
 * otherwise it is revoked, expired or invalid.  Uses SPI, with a new
 * snapshot, so that it sees a successor that a rotation committed while
 * this one waited for the row.
 */
static void
rotate_not_live(Relation rel, const RefreshCols *cols, TupleTableSlot *old,
				bool found, text *token, RotateOutcome *out)
{
	Oid			nsp = RelationGetNamespace(rel);
	char	   *relname;
	char	   *query;
	Oid			argtypes[3] = {UUIDOID, INT4OID, TIMESTAMPTZOID};
	Datum		args[3];
	int			ret;
	MemoryContext outer = CurrentMemoryContext;

	if (!found)
	{
		out->status = "invalid";
		return;
	}
	slot_getallattrs(old);
	out->subject = datumCopy(OLDVAL(cols->subject), false, -1);
	out->family_id = datumCopy(OLDVAL(cols->family_id), false, UUID_LEN);
	if (!old->tts_isnull[cols->revoked_at - 1])
	{
		out->status = "revoked";
		return;
	}
	if (old->tts_isnull[cols->used_at - 1])
	{
		/* its expiry is the session's end: the session is over */
		out->status = jwt_refresh_session_ended(cols, old->tts_values,
												old->tts_isnull,
												jwt_refresh_now());
		if (out->status == NULL)
			out->status = "expired";
		return;
	}

	/* used: a retry within its successor's grace window? */
	relname = quote_qualified_identifier(get_namespace_name(nsp),
										 RelationGetRelationName(rel));
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	/* the successor, within its window */
	query = psprintf("SELECT token_hash, retry_key, expires_at FROM %s "
					 "WHERE family_id OPERATOR(pg_catalog.=) $1 "
					 "AND generation OPERATOR(pg_catalog.=) $2 "
					 "AND retry_key IS NOT NULL "
					 "AND retry_until OPERATOR(pg_catalog.>) $3",
					 relname);
	args[0] = out->family_id;
	args[1] = Int32GetDatum(DatumGetInt32(OLDVAL(cols->generation)) + 1);
	args[2] = TimestampTzGetDatum(jwt_refresh_now());
	ret = SPI_execute_with_args(query, 3, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		bool		isnull;
		HeapTuple	child = SPI_tuptable->vals[0];
		TupleDesc	cdesc = SPI_tuptable->tupdesc;
		bytea	   *key = DatumGetByteaPP(SPI_getbinval(child, cdesc, 2,
														&isnull));
		Datum		childhash = SPI_getbinval(child, cdesc, 1, &isnull);
		text	   *succ;
		Datum		succhash;
		MemoryContext spicxt;

		/* the successor outlives SPI_finish */
		if (VARSIZE_ANY_EXHDR(key) != REFRESH_TOKEN_BYTES)
			jwt_elog(ERROR, "jwt_refresh_rotate: retry key of wrong length");
		spicxt = MemoryContextSwitchTo(outer);
		succ = jwt_refresh_successor(token,
								 (const unsigned char *) VARDATA_ANY(key));
		MemoryContextSwitchTo(spicxt);
		succhash = PointerGetDatum(jwt_refresh_hash(succ));
		if (jwt_refresh_value_equal(succhash, childhash,
						TupleDescAttr(RelationGetDescr(rel),
									  cols->token_hash - 1)))
		{
			TimestampTz child_expires_at =
				DatumGetTimestampTz(SPI_getbinval(child, cdesc, 3, &isnull));
			const char *state = retry_family_state(relname, cols,
												   out->family_id);

			if (state != NULL)
			{
				SPI_finish();
				out->status = state;	/* no tokens; the family is left as it is */
				return;
			}
			if (child_expires_at > jwt_refresh_now())
			{
				out->status = "rotated";
				jwt_stats_count(JWT_STAT_REFRESH_ROTATION, NULL, JWT_REASON_NONE);
				out->refresh_token = succ;
				out->refresh_expires_at = child_expires_at;
				SPI_finish();
				return;
			}
			/* the successor expired: as any used token after its window */
		}
	}

	/*
	 * Reuse: the token was copied (stolen, or its client lost a response).
	 * The family is compromised either way.  Return, never raise, so that
	 * the caller's transaction commits the revocation.
	 */
	SPI_finish();
	jwt_refresh_revoke_families_internal(construct_array(&out->family_id, 1,
														 UUIDOID, UUID_LEN,
														 false,
														 TYPALIGN_CHAR),
										 cstring_to_text("reuse"));
	jwt_ereport(WARNING,
			(errmsg("refresh token reuse detected"),
			 errdetail("A used token of subject \"%s\" was presented again after its grace window; its family is revoked.",
					   jwt_clip(TextDatumGetCString(out->subject), 64)),
			 errhint("The session must sign in again.")));
	out->status = "reused";
	jwt_stats_count(JWT_STAT_REFRESH_REUSE, NULL, JWT_REASON_NONE);
}

/*
 * The rotation of "token": find and lock its row, and decide, with the
 * clock read once when the row is locked (refresh_rotate unpins it).
 */
static void
rotate_token(FunctionCallInfo fcinfo, text *token, Interval *grace,
			 Interval *refresh_expires_in, NullableDatum client_ip,
			 NullableDatum user_agent, RotateOutcome *rot)
{
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid = get_relname_relid("refresh_tokens", nsp);
	Relation	rel;
	RefreshCols cols;
	TupleTableSlot *slot;
	Oid			pkindex;
	Datum		hash;
	bool		found;
	const char *ended;

	if (!OidIsValid(relid))
		jwt_elog(ERROR, "jwt_refresh_rotate: table refresh_tokens not found");
	rel = table_open(relid, RowExclusiveLock);
	jwt_refresh_cols(RelationGetDescr(rel), &cols);
	pkindex = RelationGetPrimaryKeyIndex_compat(rel);
	if (!OidIsValid(pkindex))
		jwt_elog(ERROR, "jwt_refresh_rotate: refresh_tokens has no primary key");
	hash = PointerGetDatum(jwt_refresh_hash(token));
	slot = table_slot_create(rel, NULL);
	found = rotate_find_and_lock(rel, pkindex, hash, slot);
	/* after any wait for the row's lock: judged as the row now stands */
	jwt_refresh_clock_pin();
	if (found)
	{
		const char *name;
		AttrNumber	att;

		slot_getallattrs(slot);
		for (int i = 0; (name = jwt_refresh_required(&cols, i, &att)) != NULL; i++)
		{
			if (slot->tts_isnull[att - 1])
				jwt_refresh_null_error(rel, name, att);
		}
	}
	if (found && cols.access_claims)
	{
		if (!slot->tts_isnull[cols.access_claims - 1])
			rot->access_claims = DatumGetJsonbPCopy(slot->tts_values[cols.access_claims - 1]);
		if (cols.session_expires_at &&
			!slot->tts_isnull[cols.session_expires_at - 1])
		{
			rot->has_session_end = true;
			rot->session_end = DatumGetTimestampTz(slot->tts_values[cols.session_expires_at - 1]);
		}
	}
	if (found && refresh_live(&cols, slot) &&
		(ended = jwt_refresh_session_ended(&cols, slot->tts_values,
										   slot->tts_isnull,
										   jwt_refresh_now())) != NULL)
		rotate_session_ended(&cols, slot, ended, rot);
	else if (found && refresh_live(&cols, slot))
		rotate_live(rel, &cols, slot, token, grace, refresh_expires_in,
					client_ip, user_agent, rot);
	else
		rotate_not_live(rel, &cols, slot, found, token, rot);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
}

/* rotate_token, and the clock as it was before, whatever happens */
static void
rotate_token_unpinning(FunctionCallInfo fcinfo, text *token, Interval *grace,
					   Interval *refresh_expires_in, NullableDatum client_ip,
					   NullableDatum user_agent, RotateOutcome *rot)
{
	RefreshClock saved = jwt_refresh_clock_save();

	PG_TRY();
	{
		rotate_token(fcinfo, token, grace, refresh_expires_in, client_ip,
					 user_agent, rot);
	}
	PG_CATCH();
	{
		jwt_refresh_clock_restore(saved);
		PG_RE_THROW();
	}
	PG_END_TRY();
	jwt_refresh_clock_restore(saved);
}

static Datum
refresh_rotate(FunctionCallInfo fcinfo, JwtKeyForm form)
{
	TupleDesc	resdesc;
	Datum		values[RO_NCOLS];
	bool		nulls[RO_NCOLS];
	RotateOutcome rot;
	Interval   *grace;
	Interval   *refresh_expires_in = NULL;
	NullableDatum client_ip;
	NullableDatum user_agent;

	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "jwt_refresh_rotate: return type must be a row type");
	resdesc = BlessTupleDesc(resdesc);

	if (RecoveryInProgress())
		jwt_ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("refresh tokens cannot be rotated on a hot standby"),
				 errdetail("The server is in recovery and read-only."),
				 errhint("Run the rotation on the primary server.")));
	/* the executor's checks, which the direct table access bypasses */
	PreventCommandIfReadOnly("jwt_refresh_rotate()");
	PreventCommandIfParallelMode("jwt_refresh_rotate()");
	if (PG_ARGISNULL(RA_GRACE) ||
		interval_negative(PG_GETARG_INTERVAL_P(RA_GRACE)))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("grace window must not be NULL or negative")));
	grace = PG_GETARG_INTERVAL_P(RA_GRACE);
	if (!PG_ARGISNULL(RA_REFRESH_EXPIRES_IN))
		refresh_expires_in = PG_GETARG_INTERVAL_P(RA_REFRESH_EXPIRES_IN);
	if (PG_ARGISNULL(RA_ACCESS_EXPIRES_IN))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("access_expires_in must not be NULL")));
	if ((refresh_expires_in && !interval_positive(refresh_expires_in)) ||
		!interval_positive(PG_GETARG_INTERVAL_P(RA_ACCESS_EXPIRES_IN)))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("token lifetimes must be positive")));
	/* refuse what would overflow, before any table work */
	(void) jwt_time_arg(GetCurrentStatementStartTimestamp(),
								PG_GETARG_INTERVAL_P(RA_ACCESS_EXPIRES_IN),
								1, "access_expires_in");
	if (refresh_expires_in)
		(void) jwt_time_arg(GetCurrentTransactionStartTimestamp(),
									refresh_expires_in, 1,
									"refresh_expires_in");
	(void) jwt_time_arg(GetCurrentTransactionStartTimestamp(),
								grace, 1, "grace");
	client_ip.isnull = PG_ARGISNULL(RA_CLIENT_IP);
	client_ip.value = PG_GETARG_DATUM(RA_CLIENT_IP);
	user_agent.isnull = PG_ARGISNULL(RA_USER_AGENT);
	user_agent.value = PG_GETARG_DATUM(RA_USER_AGENT);

	memset(&rot, 0, sizeof(rot));
	if (PG_ARGISNULL(RA_TOKEN))
		rot.status = "invalid";
	else
	{
		text	   *token = PG_GETARG_TEXT_PP(RA_TOKEN);

		rotate_token_unpinning(fcinfo, token, grace, refresh_expires_in,
							   client_ip, user_agent, &rot);
	}

	memset(nulls, true, sizeof(nulls));
	values[RO_STATUS] = CStringGetTextDatum(rot.status);
	nulls[RO_STATUS] = false;
	if (rot.subject)
	{
		values[RO_SUBJECT] = rot.subject;
		nulls[RO_SUBJECT] = false;
		values[RO_FAMILY_ID] = rot.family_id;
		nulls[RO_FAMILY_ID] = false;
	}
	if (rot.refresh_token)
	{
		TimestampTz access_expires_at;
		NullableDatum key;

		values[RO_REFRESH_TOKEN] = PointerGetDatum(rot.refresh_token);
		nulls[RO_REFRESH_TOKEN] = false;
		values[RO_REFRESH_EXPIRES_AT] =
			TimestampTzGetDatum(rot.refresh_expires_at);
		nulls[RO_REFRESH_EXPIRES_AT] = false;

		key.isnull = PG_ARGISNULL(RA_KEY);
		key.value = key.isnull ? (Datum) 0 : PG_GETARG_DATUM(RA_KEY);
		values[RO_ACCESS_TOKEN] =
			PointerGetDatum(jwt_refresh_sign_access(key, form,
													PG_ARGISNULL(RA_ALGORITHM) ? NULL :
													PG_GETARG_TEXT_PP(RA_ALGORITHM),
													rot.access_claims,
													PG_ARGISNULL(RA_CLAIMS) ? NULL :
													PG_GETARG_JSONB_P(RA_CLAIMS),
													PG_GETARG_INTERVAL_P(RA_ACCESS_EXPIRES_IN),
													rot.has_session_end ? &rot.session_end : NULL,
													rot.subject, rot.family_id,
													&access_expires_at));
		nulls[RO_ACCESS_TOKEN] = false;
		values[RO_ACCESS_EXPIRES_AT] = TimestampTzGetDatum(access_expires_at);
		nulls[RO_ACCESS_EXPIRES_AT] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(resdesc, values,
													  nulls)));
}

JWT_FUNCTION(jwt_refresh_rotate_text)
{
	return refresh_rotate(fcinfo, JWT_FORM_TEXT);
}

JWT_FUNCTION(jwt_refresh_rotate_bytea)
{
	return refresh_rotate(fcinfo, JWT_FORM_BYTEA);
}

JWT_FUNCTION(jwt_refresh_rotate_jsonb)
{
	return refresh_rotate(fcinfo, JWT_FORM_JSONB);
}
