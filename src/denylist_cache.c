/*-------------------------------------------------------------------------
 *
 * denylist_cache.c
 *		Per-backend memory of tokens found not to be on the denylist, kept
 *		exact by a generation counter in shared memory.
 *
 * jwt_authenticate checks the denylist on every call: two primary-key
 * lookups (jwt_revoked_tokens by jti, jwt_revoked_subjects by sub), most of
 * whose cost is opening and locking the tables and their indexes and
 * setting up the scans, even when both are empty.  A client reuses its
 * access token for every request of its lifetime, so the same lookups are
 * repeated.  With the library in shared_preload_libraries, a backend
 * remembers "this jti, sub and iat are on no denylist", and answers the
 * next call for the same three values from memory as long as no
 * transaction that wrote the denylist has committed anywhere since.
 *
 * Only that negative answer is remembered: a revoked token is always looked
 * up.  The key is the exact bytes of the jti and sub text and of the iat
 * numeric (the three inputs of the lookups), never a hash alone, so two
 * tokens can share an entry only when the lookups would answer the same.
 *
 * Exactness.  Shared memory holds two counters: "generation", bumped when
 * a transaction that wrote to jwt_revoked_tokens or jwt_revoked_subjects
 * ends, and "writers", the number of such transactions between their
 * pre-commit and their end (the window in which a commit becomes visible
 * to snapshots before the generation moves).  A row-level trigger on both
 * tables (BEFORE INSERT OR UPDATE, ENABLE ALWAYS, so also under
 * session_replication_role = replica) marks the writing transaction before
 * its first row; row-level, because the apply worker of logical
 * replication fires no statement-level trigger.  Its
 * transaction callback adds one to "writers" at pre-commit, and at the
 * end adds one to "generation" and then takes one from "writers".
 * Deletions need no mark: they can only take a token off the denylist.
 * But a lookup sees its own transaction's uncommitted deletions, which a
 * rollback undoes without moving the generation: so an entry is stored
 * only by a transaction that has changed nothing yet (has no transaction
 * id), whose lookups see committed rows only.
 *
 * An entry is stored with the generation read before its lookups, which
 * run with a snapshot taken after reading "writers" as zero; it is used
 * while "writers" reads zero and then "generation" still equals it.  A
 * revocation visible to a snapshot taken before the lookup is found by it;
 * one that became visible later was either in the window when "writers"
 * was read (so nothing is stored), or ends after that, moving the
 * generation past the entry's; and while it is in the window, "writers"
 * is not zero and no entry is used.  So a cached answer is the answer a
 * lookup with a snapshot taken at the moment of the call would give:
 * possibly newer than the statement's snapshot (revocations committed
 * since are seen), never older.
 *
 * The cache is not used (the lookups run with the active snapshot, as
 * without it): when the library is not preloaded; when the current
 * transaction wrote the denylist (its own changes are not in the shared
 * counters until it ends); in parallel mode; in a SERIALIZABLE transaction
 * (its reads must take predicate locks); during recovery (a standby
 * replays revocations without triggers).  PREPARE TRANSACTION of a
 * transaction that wrote the denylist is refused while the counters
 * exist: its commit could happen in another session, unseen by them.  One
 * prepared before the library was preloaded can still be there: every
 * COMMIT PREPARED counts as a writer around its work and then moves the
 * generation (a ProcessUtility hook; it is rare enough), unless refused
 * before touching any prepared transaction (which any role can cause).
 * A revocation made with the trigger disabled or absent (by a table owner
 * or a superuser, e.g. pg_restore --disable-triggers, or into the tables
 * of an extension dropped and created again at 0.1.1) moves nothing.  A
 * backend forgets all its entries whenever denylist.c looks the tables up
 * again (a relcache invalidation of one of them: the trigger disabled or
 * enabled, the tables dropped), which it takes at its next transaction at
 * the latest; a transaction that was open across such a load keeps its
 * entries, so the load must still be followed, once committed, by
 * jwt_denylist_cache_invalidate(), which moves the generation for all.  A
 * crash resets shared memory; an entry never outlives its backend.
 *
 * Bounds.  jwt.denylist_cache_size slots (default 1024, 0 turns the cache
 * off and frees it), direct-mapped by a hash of the key: a new entry
 * replaces the one in its slot.  A key longer than JWT_DENYLIST_KEY_MAX bytes (a
 * jti and sub of more than about 140 bytes together) is not cached.  A
 * slot takes JWT_DENYLIST_KEY_MAX + 16 bytes, so the default holds about 180 kB
 * per backend, allocated on first use in the "jwt denylist cache" context.
 *
 * src/denylist_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/memutils.h"

#include "denylist_cache.h"
#include "entry.h"
#include "errors.h"

int			jwt_denylist_cache_size = 1024;

typedef struct DlcShared
{
	pg_atomic_uint64 generation;	/* starts at 1; 0 marks an empty slot */
	pg_atomic_uint32 writers;	/* writing transactions past pre-commit */
} DlcShared;

typedef struct DlcSlot
{
	uint64		generation;		/* 0: empty */
	uint32		hash;
	uint16		len;
	char		key[JWT_DENYLIST_KEY_MAX];
} DlcSlot;

static DlcShared *dlc_shared = NULL;

static MemoryContext dlc_context = NULL;
static DlcSlot *dlc_slots = NULL;
static int	dlc_nslots = 0;
static int	dlc_entries = 0;
static uint64 dlc_hits = 0;
static uint64 dlc_misses = 0;

/* The current transaction wrote the denylist / counted itself a writer */
static bool xact_wrote = false;
static bool xact_counted = false;
static bool xact_callback_registered = false;

/* ------------------------------------------------------------ shared memory */

Size
jwt_denylist_cache_shmem_size(void)
{
	return MAXALIGN(sizeof(DlcShared));
}

/* Called with AddinShmemInitLock held */
void
jwt_denylist_cache_shmem_startup(void)
{
	bool		found;

	dlc_shared = ShmemInitStruct("jwt denylist generation", sizeof(DlcShared),
								 &found);
	if (!found)
	{
		pg_atomic_init_u64(&dlc_shared->generation, 1);
		pg_atomic_init_u32(&dlc_shared->writers, 0);
	}
}

/* ------------------------------------------------------------------ writers */

static ProcessUtility_hook_type prev_process_utility = NULL;
static bool hook_counted = false;	/* COMMIT PREPARED counted as a writer */
static bool hook_exit_registered = false;

/*
 * The end of COMMIT PREPARED's window (also at exit after a FATAL in it):
 * the generation moves unless "refused" says nothing was made visible.
 */
static void
dlc_hook_writer_end(int code, Datum refused)
{
	if (!hook_counted)
		return;
	hook_counted = false;
	if (!DatumGetBool(refused))
		pg_atomic_fetch_add_u64(&dlc_shared->generation, 1);
	pg_atomic_fetch_sub_u32(&dlc_shared->writers, 1);
}

/*
 * Errors of COMMIT PREPARED raised before it touches the prepared
 * transaction: no such transaction (42704), not its owner (42501), of
 * another database (0A000), busy (55000), in a transaction block (25001).
 * Any role may cause them; they leave every entry valid.
 */
static bool
dlc_commit_prepared_refused(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_UNDEFINED_OBJECT ||
		sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE ||
		sqlerrcode == ERRCODE_FEATURE_NOT_SUPPORTED ||
		sqlerrcode == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE ||
		sqlerrcode == ERRCODE_ACTIVE_SQL_TRANSACTION;
}

/*
 * COMMIT PREPARED makes another transaction's rows visible, in the middle
 * of its work: it is a writer from before to after, whatever the prepared
 * transaction wrote (one prepared before the library was preloaded may
 * have revoked).
 */
static void
dlc_process_utility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	bool		commit_prepared = dlc_shared != NULL &&
		IsA(stmt, TransactionStmt) &&
		((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED;
	ProcessUtility_hook_type next = prev_process_utility ?
		prev_process_utility : standard_ProcessUtility;

	if (!commit_prepared)
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		return;
	}
	if (!hook_exit_registered)
	{
		before_shmem_exit(dlc_hook_writer_end, (Datum) 0);
		hook_exit_registered = true;
	}
	pg_atomic_fetch_add_u32(&dlc_shared->writers, 1);
	hook_counted = true;	/* before_shmem_exit: refused = false */
	PG_TRY();
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
	}
	PG_CATCH();
	{
		dlc_hook_writer_end(0, BoolGetDatum(dlc_commit_prepared_refused(geterrcode())));
		PG_RE_THROW();
	}
	PG_END_TRY();
	dlc_hook_writer_end(0, BoolGetDatum(false));
}

void
jwt_denylist_cache_preload(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = dlc_process_utility;
}

static void
dlc_xact_callback(XactEvent event, void *arg)
{
	if (!xact_wrote)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			if (dlc_shared != NULL && !xact_counted)
			{
				pg_atomic_fetch_add_u32(&dlc_shared->writers, 1);
				xact_counted = true;
			}
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (dlc_shared != NULL)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that changed the jwt denylist"),
						 errdetail("jwt is in shared_preload_libraries: other sessions remember tokens found not revoked, and a prepared transaction's commit would not reach them.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/*
			 * The generation first, then leave the window.  Also when the
			 * transaction was not counted at pre-commit: a write made after
			 * it (another module's pre-commit callback) must still move
			 * the generation, if late.
			 */
			if (dlc_shared != NULL)
				pg_atomic_fetch_add_u64(&dlc_shared->generation, 1);
			if (xact_counted)
				pg_atomic_fetch_sub_u32(&dlc_shared->writers, 1);
			xact_wrote = false;
			xact_counted = false;
			break;
	}
}

/*
 * jwt_denylist_changed() -> trigger: BEFORE INSERT OR UPDATE FOR EACH ROW
 * on jwt_revoked_tokens and jwt_revoked_subjects; returns the row as is.
 */
JWT_FUNCTION(jwt_denylist_changed)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("jwt_denylist_changed() must be called as a BEFORE INSERT OR UPDATE row-level trigger")));
	if (!xact_callback_registered)
	{
		RegisterXactCallback(dlc_xact_callback, NULL);
		xact_callback_registered = true;
	}
	xact_wrote = true;
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
						   trigdata->tg_newtuple : trigdata->tg_trigtuple);
}

/* -------------------------------------------------------------------- cache */

/*
 * Drop the slots (and with them every entry): the setting changed, or
 * denylist.c looks its tables up again (they, or their trigger, changed).
 */
void
jwt_denylist_cache_forget(void)
{
	if (dlc_context != NULL)
		MemoryContextDelete(dlc_context);
	dlc_context = NULL;
	dlc_slots = NULL;
	dlc_nslots = 0;
	dlc_entries = 0;
}

bool
jwt_denylist_cache_usable(void)
{
	if (dlc_shared == NULL)
		return false;
	if (jwt_denylist_cache_size <= 0)
	{
		if (dlc_slots != NULL)
			jwt_denylist_cache_forget();
		return false;
	}
	return !xact_wrote && !IsInParallelMode() && !IsolationIsSerializable() &&
		!RecoveryInProgress();
}

/*
 * Append one part of a key: its length (0xFFFF: absent, data NULL) and its
 * bytes.  False when the key would be too long to cache.
 */
bool
jwt_denylist_key_add(JwtDenylistKey *k, const char *data, int len)
{
	uint16		n;

	if (data == NULL)
		len = 0;
	if (len < 0 || len >= 0xFFFF ||
		k->len + (int) sizeof(n) + len > JWT_DENYLIST_KEY_MAX)
		return false;
	n = data == NULL ? 0xFFFF : (uint16) len;
	memcpy(k->bytes + k->len, &n, sizeof(n));
	if (len > 0)
		memcpy(k->bytes + k->len + sizeof(n), data, len);
	k->len += sizeof(n) + len;
	return true;
}

static inline DlcSlot *
dlc_slot(const JwtDenylistKey *k, uint32 *hash)
{
	*hash = hash_bytes((const unsigned char *) k->bytes, k->len);
	return &dlc_slots[*hash % (uint32) dlc_nslots];
}

/*
 * Is the key known to be on no denylist?  Otherwise *generation is what a
 * store after a lookup must give jwt_denylist_cache_store, or 0 when no
 * store is allowed (a writer is in its window).  After a nonzero
 * *generation the caller takes a new snapshot for its lookups.
 */
bool
jwt_denylist_cache_lookup(const JwtDenylistKey *k, uint64 *generation)
{
	uint32		writers;
	uint64		gen;

	*generation = 0;
	writers = pg_atomic_read_u32(&dlc_shared->writers);
	pg_read_barrier();
	gen = pg_atomic_read_u64(&dlc_shared->generation);

	if (writers == 0 && dlc_slots != NULL)
	{
		uint32		hash;
		DlcSlot    *s = dlc_slot(k, &hash);

		if (s->generation == gen && s->hash == hash && s->len == k->len &&
			memcmp(s->key, k->bytes, k->len) == 0)
		{
			dlc_hits++;
			return true;
		}
	}
	dlc_misses++;

	/*
	 * For a store: the generation before "writers" reads zero, in a
	 * transaction that changed nothing (its own deletions would be seen).
	 */
	pg_read_barrier();
	if (pg_atomic_read_u32(&dlc_shared->writers) == 0 &&
		!TransactionIdIsValid(GetTopTransactionIdIfAny()))
		*generation = gen;
	/* the lookups' snapshot is taken after these reads */
	pg_memory_barrier();
	return false;
}

/* Remember that the lookups found nothing for the key. */
void
jwt_denylist_cache_store(const JwtDenylistKey *k, uint64 generation)
{
	uint32		hash;
	DlcSlot    *s;

	if (generation == 0 || jwt_denylist_cache_size <= 0)
		return;
	if (dlc_slots != NULL && dlc_nslots != jwt_denylist_cache_size)
		jwt_denylist_cache_forget();
	if (dlc_slots == NULL)
	{
		dlc_context = AllocSetContextCreate(TopMemoryContext,
											"jwt denylist cache",
											ALLOCSET_SMALL_SIZES);
		dlc_slots = MemoryContextAllocHuge(dlc_context,
										   sizeof(DlcSlot) * (Size) jwt_denylist_cache_size);
		memset(dlc_slots, 0, sizeof(DlcSlot) * (Size) jwt_denylist_cache_size);
		dlc_nslots = jwt_denylist_cache_size;
	}
	s = dlc_slot(k, &hash);
	if (s->generation == 0)
		dlc_entries++;
	s->generation = generation;
	s->hash = hash;
	s->len = k->len;
	memcpy(s->key, k->bytes, k->len);
}

/* ------------------------------------------------------------- SQL entries */

/*
 * jwt_denylist_cache_info() -> (entries, max_entries, hits, misses,
 * active) of this backend's cache; hits and misses since it started.
 * Entries counts slots ever filled, including ones a newer generation made
 * stale.
 */
JWT_FUNCTION(jwt_denylist_cache_info)
{
	TupleDesc	td;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	values[0] = Int32GetDatum(dlc_entries);
	values[1] = Int32GetDatum(jwt_denylist_cache_size);
	values[2] = Int64GetDatum((int64) dlc_hits);
	values[3] = Int64GetDatum((int64) dlc_misses);
	values[4] = BoolGetDatum(dlc_shared != NULL);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * jwt_denylist_cache_invalidate() -> void: make every backend's entries
 * stale, for a denylist written with the trigger disabled (call it after
 * that transaction committed).  Superuser or the extension's owner: it
 * only costs the others their cache.
 */
JWT_FUNCTION(jwt_denylist_cache_invalidate)
{
	if (dlc_shared != NULL)
		pg_atomic_fetch_add_u64(&dlc_shared->generation, 1);
	jwt_denylist_cache_forget();
	PG_RETURN_VOID();
}
