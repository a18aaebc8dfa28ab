/*-------------------------------------------------------------------------
 *
 * stats.c
 *		Operability: counters in shared memory, the last use of each kid,
 *		and the jwt.log_failures log line.
 *
 * Counters.  With the library in shared_preload_libraries, a fixed array of
 * pg_atomic_uint64 indexed by (kind, algorithm, reason) lives in shared
 * memory, in JWT_STATS_SHARDS copies: a backend adds to the copy of its
 * PGPROC slot, so that backends verifying at full speed on many cores do
 * not all hammer one cache line, and readers sum the copies.  The hot path
 * is one pg_atomic_fetch_add_u64, no lock.  Without preloading, stats_shared
 * stays NULL and every counting call returns after one branch.
 *
 * Kids.  A small open-addressing table (JWT_STATS_KID_SLOTS slots, probe
 * window JWT_STATS_KID_PROBES) keeps, per database and kid, the last time
 * the key registry signed a token with that kid and verified one with it
 * (jwt_sign and jwt_verify with a caller's own key never count: any role
 * could then fake or flood a registry kid's last use).  Each database sees
 * only its own kids, so one database cannot read another's, and a kid is
 * shown in the encoding it was recorded in.  Lookups are lock-free:
 * a slot's kid is only written under the LWLock, between two increments of
 * its changecount (odd while being written), and a reader that sees the
 * count change, or any odd count, takes the locked path instead.  A kid is
 * inserted under the lock; when its window is full, the slot used least
 * recently is taken over (evicted).  Only kids of tokens whose signature
 * verified with a registry key, and kids the registry signed with, ever
 * enter the table, so forged tokens and made-up kids cannot fill it.  Times are the statement's start time, and
 * a slot's time is only written when it moves forward (once per statement
 * and backend); each backend remembers the slot of its last kid, so the
 * common case (one kid per issuer) skips even the hash and the lookup.
 *
 * The failure log.  jwt.log_failures = off | debug5..debug1 | log | info |
 * notice | warning.  The line names the reason, alg, kid, iss, sub and
 * whether the signature had been checked, all as the verification result
 * carries them (verify.c reads iss and sub of a token rejected before its
 * claims were parsed when jwt_stats_logs_failures says a line will be
 * written): nothing here parses a token.  Values are clipped and escaped
 * (a kid with a newline cannot forge a log line).  It never contains the
 * token, a segment of it, or a key, and it is emitted with errhidestmt and
 * errhidecontext, since the statement text and a PL/pgSQL context may hold
 * the token.
 *
 * Nothing here ereports on the counting path.  Memory: the failure log
 * allocates in CurrentMemoryContext.
 *
 * src/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "errors.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "stats.h"

#define JWT_STATS_SHARDS		16	/* power of two */
#define JWT_STATS_KID_SLOTS		1024	/* power of two */
#define JWT_STATS_KID_PROBES	8
#define JWT_LOG_CLIP			64	/* bytes of a value in the log */

#define KID_SLOT(n)	(&stats_shared->kids[(n) & (JWT_STATS_KID_SLOTS - 1)])

typedef struct JwtStatsKid
{
	pg_atomic_uint32 changecount;	/* odd while kid is being rewritten */
	uint32		hash;			/* of the database and the kid */
	Oid			dboid;			/* the database whose registry has the kid */
	int			kid_len;		/* 0: empty slot */
	char		kid[JWT_STATS_KID_MAXLEN + 1];
	pg_atomic_uint64 last_signed;	/* TimestampTz, 0 = not since reset */
	pg_atomic_uint64 last_verified;
} JwtStatsKid;

typedef pg_atomic_uint64 JwtStatsCounters[JWT_STAT_KIND_COUNT]
[JWT_ALG_COUNT + 1][JWT_REASON_COUNT];

typedef struct JwtStatsShared
{
	LWLock	   *lock;			/* kid insertion and eviction, reset */
	pg_atomic_uint64 reset_time;	/* TimestampTz */
	pg_atomic_uint64 kids_evicted;
	JwtStatsCounters counters[JWT_STATS_SHARDS];
	JwtStatsKid kids[JWT_STATS_KID_SLOTS];
} JwtStatsShared;

int			jwt_log_failures = 0;

static JwtStatsShared *stats_shared = NULL;

static const char *const kind_names[JWT_STAT_KIND_COUNT] = {
	[JWT_STAT_VERIFY] = "verify",
	[JWT_STAT_SIGN] = "sign",
	[JWT_STAT_REFRESH_ROTATION] = "refresh_rotation",
	[JWT_STAT_REFRESH_REUSE] = "refresh_reuse",
	[JWT_STAT_REVOCATION] = "revocation",
	[JWT_STAT_CONSUMPTION] = "consumption",
};

static const struct config_enum_entry log_failures_options[] = {
	{"off", 0, false},
	{"debug5", DEBUG5, false},
	{"debug4", DEBUG4, false},
	{"debug3", DEBUG3, false},
	{"debug2", DEBUG2, false},
	{"debug1", DEBUG1, false},
	{"debug", DEBUG2, true},
	{"log", LOG, false},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{"warning", WARNING, false},
	{NULL, 0, false}
};

static void kid_touch(const char *kid, bool for_signing);
static void log_failure(const JwtVerifyResult *res);

/* Called first thing in _PG_init: the jwt.log_failures setting */
void
jwt_stats_init(void)
{
	DefineCustomEnumVariable("jwt.log_failures",
							 "Logs each rejected token at this level, with its reason, alg, kid, iss and sub.",
							 "The token itself, the statement and keys are never logged.",
							 &jwt_log_failures,
							 0, log_failures_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/* jwt.c's shmem_request_hook, when the library is preloaded */
void
jwt_stats_shmem_request(void)
{
	RequestAddinShmemSpace(sizeof(JwtStatsShared));
	RequestNamedLWLockTranche("jwt", 1);
}

/* jwt.c's shmem_startup_hook, with AddinShmemInitLock held */
void
jwt_stats_shmem_startup(void)
{
	bool		found;

	stats_shared = ShmemInitStruct("jwt stats", sizeof(JwtStatsShared), &found);
	if (!found)
	{
		pg_atomic_uint64 *c = &stats_shared->counters[0][0][0][0];
		int			n = sizeof(stats_shared->counters) / sizeof(*c);
		int			i;

		stats_shared->lock = &(GetNamedLWLockTranche("jwt"))->lock;
		pg_atomic_init_u64(&stats_shared->reset_time,
						   (uint64) GetCurrentTimestamp());
		pg_atomic_init_u64(&stats_shared->kids_evicted, 0);
		for (i = 0; i < n; i++)
			pg_atomic_init_u64(&c[i], 0);
		for (i = 0; i < JWT_STATS_KID_SLOTS; i++)
		{
			JwtStatsKid *s = &stats_shared->kids[i];

			pg_atomic_init_u32(&s->changecount, 0);
			s->hash = 0;
			s->kid_len = 0;
			s->kid[0] = '\0';
			pg_atomic_init_u64(&s->last_signed, 0);
			pg_atomic_init_u64(&s->last_verified, 0);
		}
	}
}

/* ---------------------------------------------------------------- counting */

/*
 * This backend's copy of the counters, by its PGPROC slot; found once (a
 * backend keeps its slot), so that a count touches the counter's line and
 * no other: after a signature, MyProc and the PGPROC are seldom in cache.
 */
static JwtStatsCounters *my_shard = NULL;

static pg_noinline JwtStatsCounters *
my_shard_find(void)
{
	if (MyProc == NULL)
		return &stats_shared->counters[0];
	my_shard = &stats_shared->counters[jwt_proc_number(MyProc) & (JWT_STATS_SHARDS - 1)];
	return my_shard;
}

/* A counter in the copy of this backend's PGPROC slot */
static inline pg_atomic_uint64 *
my_counter(JwtStatKind kind, const JwtAlg *alg, JwtReason reason)
{
	JwtStatsCounters *shard = likely(my_shard != NULL) ? my_shard : my_shard_find();
	int			algno = alg ? alg->id : JWT_STATS_NO_ALG;

	Assert(kind >= 0 && kind < JWT_STAT_KIND_COUNT);
	Assert(reason >= 0 && reason < JWT_REASON_COUNT);
	Assert(MyProc == NULL ||
		   shard == &stats_shared->counters[jwt_proc_number(MyProc) & (JWT_STATS_SHARDS - 1)]);
	return &(*shard)[kind][algno][reason];
}

void
jwt_stats_count(JwtStatKind kind, const JwtAlg *alg, JwtReason reason)
{
	if (stats_shared == NULL)
		return;
	pg_atomic_fetch_add_u64(my_counter(kind, alg, reason), 1);
}

void
jwt_stats_verified(const JwtVerifyResult *res, bool track_kid)
{
	if (stats_shared != NULL)
	{
		pg_atomic_fetch_add_u64(my_counter(JWT_STAT_VERIFY, res->alg,
										   res->reason), 1);
		if (track_kid && res->signature_ok && res->kid != NULL)
			kid_touch(res->kid, false);
	}
	if (res->reason != JWT_REASON_NONE && jwt_log_failures != 0)
		log_failure(res);
}

bool
jwt_stats_logs_failures(void)
{
	return jwt_log_failures != 0 && message_level_is_interesting(jwt_log_failures);
}

void
jwt_stats_signed(const JwtAlg *alg, const JwtKey *key, Jsonb *header,
				 bool track_kid)
{
	const char *kid = NULL;

	if (stats_shared == NULL)
		return;
	pg_atomic_fetch_add_u64(my_counter(JWT_STAT_SIGN, alg, JWT_REASON_NONE), 1);
	if (!track_kid)
		return;

	/* the token's kid: the header's, or else the JWK's (as sign.c does) */
	if (header != NULL)
	{
		JsonbValue	buf;
		JsonbValue *v = getKeyJsonValueFromContainer(&header->root, "kid", 3, &buf);

		if (v != NULL && v->type == jbvString)
			kid = pnstrdup(v->val.string.val, v->val.string.len);
	}
	if (kid == NULL && key->kind != JWT_KEY_SET)
		kid = key->kid;
	if (kid != NULL)
		kid_touch(kid, true);
}

/* ---------------------------------------------------------------- kids */

static inline void
ts_advance(pg_atomic_uint64 *v, TimestampTz ts)
{
	uint64		old = pg_atomic_read_u64(v);

	while ((int64) old < ts)
	{
		if (pg_atomic_compare_exchange_u64(v, &old, (uint64) ts))
			break;
	}
}

static inline TimestampTz
slot_last_use(JwtStatsKid *s)
{
	return Max((int64) pg_atomic_read_u64(&s->last_signed),
			   (int64) pg_atomic_read_u64(&s->last_verified));
}

/*
 * Lock-free lookup; NULL when not found or a slot was changing.  *count is
 * the slot's changecount at which it held this kid.
 */
static JwtStatsKid *
kid_find(const char *kid, int len, uint32 h, uint32 *count)
{
	int			i;

	for (i = 0; i < JWT_STATS_KID_PROBES; i++)
	{
		JwtStatsKid *s = KID_SLOT(h + i);
		uint32		c = pg_atomic_read_u32(&s->changecount);
		int			slen;
		bool		match;

		if (c & 1)
			return NULL;
		pg_read_barrier();
		slen = s->kid_len;
		match = (slen == len && s->hash == h && s->dboid == MyDatabaseId &&
				 memcmp(s->kid, kid, len) == 0);
		pg_read_barrier();
		if (pg_atomic_read_u32(&s->changecount) != c)
			return NULL;
		if (match)
		{
			*count = c;
			return s;
		}
		if (slen == 0)
			return NULL;		/* end of the chain */
	}
	return NULL;
}

/* Find or insert under the lock: an empty slot, else the least recent. */
static JwtStatsKid *
kid_insert(const char *kid, int len, uint32 h, uint32 *count)
{
	JwtStatsKid *victim = NULL;
	int			i;

	LWLockAcquire(stats_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < JWT_STATS_KID_PROBES; i++)
	{
		JwtStatsKid *s = KID_SLOT(h + i);

		if (s->kid_len == len && s->hash == h && s->dboid == MyDatabaseId &&
			memcmp(s->kid, kid, len) == 0)
		{
			*count = pg_atomic_read_u32(&s->changecount);
			LWLockRelease(stats_shared->lock);
			return s;
		}
		if (s->kid_len == 0)
		{
			victim = s;
			break;
		}
		if (victim == NULL || slot_last_use(s) < slot_last_use(victim))
			victim = s;
	}
	if (victim->kid_len != 0)
		pg_atomic_fetch_add_u64(&stats_shared->kids_evicted, 1);

	pg_atomic_fetch_add_u32(&victim->changecount, 1);	/* full barrier */
	victim->hash = h;
	victim->dboid = MyDatabaseId;
	victim->kid_len = len;
	memcpy(victim->kid, kid, len);
	victim->kid[len] = '\0';
	pg_atomic_write_u64(&victim->last_signed, 0);
	pg_atomic_write_u64(&victim->last_verified, 0);
	*count = pg_atomic_add_fetch_u32(&victim->changecount, 1);
	LWLockRelease(stats_shared->lock);
	return victim;
}

/*
 * Record a use of "kid" at the statement's start time.  A backend keeps the
 * slot of the last kid it recorded, valid while the slot's changecount is
 * unchanged (no eviction or reset since), and the times it wrote there: the
 * usual case, one kid per issuer, costs a memcmp and no shared write until
 * the next statement.
 */
static struct
{
	JwtStatsKid *slot;			/* NULL: nothing cached */
	uint32		changecount;
	int			len;
	char		kid[JWT_STATS_KID_MAXLEN + 1];
	TimestampTz written[2];		/* [for_signing] */
}			last_kid;

static void
kid_touch(const char *kid, bool for_signing)
{
	int			len = strlen(kid);
	TimestampTz now = GetCurrentStatementStartTimestamp();
	uint32		h;
	uint32		count;
	JwtStatsKid *s;

	if (len == 0 || len > JWT_STATS_KID_MAXLEN)
		return;
	s = last_kid.slot;
	if (s != NULL && last_kid.len == len &&
		memcmp(last_kid.kid, kid, len) == 0 &&
		pg_atomic_read_u32(&s->changecount) == last_kid.changecount)
	{
		if (last_kid.written[for_signing] == now)
			return;
	}
	else
	{
		h = hash_combine(hash_bytes((const unsigned char *) kid, len),
						 murmurhash32((uint32) MyDatabaseId));
		s = kid_find(kid, len, h, &count);
		if (s == NULL)
			s = kid_insert(kid, len, h, &count);
		last_kid.slot = s;
		last_kid.changecount = count;
		last_kid.len = len;
		memcpy(last_kid.kid, kid, len);
		last_kid.written[0] = last_kid.written[1] = 0;
	}
	ts_advance(for_signing ? &s->last_signed : &s->last_verified, now);
	last_kid.written[for_signing] = now;
}

/* ---------------------------------------------------------------- reading */

bool
jwt_stats_enabled(void)
{
	return stats_shared != NULL;
}

const char *
jwt_stat_kind_name(JwtStatKind kind)
{
	Assert(kind >= 0 && kind < JWT_STAT_KIND_COUNT);
	return kind_names[kind];
}

/* The kind of a name, or -1. */
int
jwt_stat_kind_by_name(const char *name)
{
	int			k;

	for (k = 0; k < JWT_STAT_KIND_COUNT; k++)
	{
		if (strcmp(kind_names[k], name) == 0)
			return k;
	}
	return -1;
}

uint64
jwt_stats_read(JwtStatKind kind, int alg, JwtReason reason)
{
	uint64		sum = 0;
	int			i;

	Assert(stats_shared != NULL);
	for (i = 0; i < JWT_STATS_SHARDS; i++)
	{
		pg_atomic_uint64 *c = &stats_shared->counters[i][kind][alg][reason];

		sum += pg_atomic_read_u64(c);
	}
	return sum;
}

TimestampTz
jwt_stats_reset_time(void)
{
	return (TimestampTz) pg_atomic_read_u64(&stats_shared->reset_time);
}

uint64
jwt_stats_kids_evicted(void)
{
	return pg_atomic_read_u64(&stats_shared->kids_evicted);
}

int
jwt_stats_kid_capacity(void)
{
	return JWT_STATS_KID_SLOTS;
}

/*
 * Copy slot "i" into kid (JWT_STATS_KID_MAXLEN + 1 bytes) and the times;
 * false for an empty slot, one of another database, or one not used since
 * the last reset.  Takes the lock in shared mode, so no slot changes while
 * it is read.
 */
bool
jwt_stats_kid_get(int i, char *kid, TimestampTz *last_signed,
				  TimestampTz *last_verified)
{
	JwtStatsKid *s = &stats_shared->kids[i];
	bool		found = false;

	LWLockAcquire(stats_shared->lock, LW_SHARED);
	if (s->kid_len > 0 && s->dboid == MyDatabaseId)
	{
		memcpy(kid, s->kid, s->kid_len + 1);
		*last_signed = (TimestampTz) pg_atomic_read_u64(&s->last_signed);
		*last_verified = (TimestampTz) pg_atomic_read_u64(&s->last_verified);
		found = (*last_signed != 0 || *last_verified != 0);
	}
	LWLockRelease(stats_shared->lock);
	return found;
}

/*
 * Zero every counter and forget every kid.  Increments that race with the
 * reset may survive it or be lost, as in pg_stat_statements.
 */
void
jwt_stats_clear(void)
{
	pg_atomic_uint64 *c = &stats_shared->counters[0][0][0][0];
	int			n = sizeof(stats_shared->counters) / sizeof(*c);
	int			i;

	LWLockAcquire(stats_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
		pg_atomic_write_u64(&c[i], 0);
	for (i = 0; i < JWT_STATS_KID_SLOTS; i++)
	{
		JwtStatsKid *s = &stats_shared->kids[i];

		if (s->kid_len == 0)
			continue;
		pg_atomic_fetch_add_u32(&s->changecount, 1);
		s->kid_len = 0;
		s->hash = 0;
		s->dboid = InvalidOid;
		s->kid[0] = '\0';
		pg_atomic_write_u64(&s->last_signed, 0);
		pg_atomic_write_u64(&s->last_verified, 0);
		pg_atomic_fetch_add_u32(&s->changecount, 1);
	}
	pg_atomic_write_u64(&stats_shared->kids_evicted, 0);
	pg_atomic_write_u64(&stats_shared->reset_time,
						(uint64) GetCurrentTimestamp());
	LWLockRelease(stats_shared->lock);
}

/* ---------------------------------------------------------------- the log */

/*
 * Append " key=value": "-" when absent, else the value in double quotes,
 * clipped and escaped as in error details (jwt_append_quoted_value).
 */
static void
log_value(StringInfo buf, const char *key, const char *val)
{
	bool		clipped;

	appendStringInfo(buf, "%s%s=", buf->len > 0 ? " " : "", key);
	if (val == NULL)
	{
		appendStringInfoChar(buf, '-');
		return;
	}
	appendStringInfoChar(buf, '"');
	clipped = jwt_append_quoted_value(buf, val, JWT_LOG_CLIP);
	appendStringInfoChar(buf, '"');
	if (clipped)
		appendStringInfoString(buf, "...");
}

static void
log_failure(const JwtVerifyResult *res)
{
	StringInfoData buf;
	const char *signature;

	if (!message_level_is_interesting(jwt_log_failures))
		return;

	if (res->signature_ok)
		signature = "valid";
	else if (res->reason == JWT_REASON_BAD_SIGNATURE)
		signature = "invalid";
	else
		signature = "unchecked";

	initStringInfo(&buf);
	log_value(&buf, "alg", res->alg ? res->alg->name : NULL);
	log_value(&buf, "kid", res->kid);
	log_value(&buf, "iss", res->iss);
	log_value(&buf, "sub", res->sub);
	appendStringInfo(&buf, " signature=%s", signature);

	jwt_ereport(jwt_log_failures,
			(errmsg("JSON Web Token rejected (reason: %s)",
					jwt_reason_keyword(res->reason)),
			 errdetail("%s", buf.data),
			 errhidestmt(true),
			 errhidecontext(true)));
	pfree(buf.data);
}
