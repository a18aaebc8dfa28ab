/*-------------------------------------------------------------------------
 *
 * stats.h
 *		Operability: counters of verifications, signings and the events of
 *		other features, last use of each kid, and the failure log.
 *
 * Counting needs the library in shared_preload_libraries; without it every
 * function here is a no-op that costs one branch (the failure log still
 * works).  Other features count their events with one call:
 *
 *		jwt_stats_count(JWT_STAT_REFRESH_ROTATION, NULL, JWT_REASON_NONE);
 *
 * or, from SQL and PL/pgSQL, with @extschema@.jwt_stats_bump('event').
 *
 * src/stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_STATS_H
#define JWT_STATS_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "algs.h"
#include "errors.h"
#include "keys.h"
#include "verify.h"

/*
 * What is counted.  A new kind needs a name in stats.c's kind_names (the
 * name is the "kind" column of the jwt_stats view and the event argument of
 * jwt_stats_bump) and a line in docs/reference.md.
 */
typedef enum JwtStatKind
{
	JWT_STAT_VERIFY = 0,		/* by algorithm and outcome (reason) */
	JWT_STAT_SIGN,				/* by algorithm */
	JWT_STAT_REFRESH_ROTATION,	/* a refresh token was rotated */
	JWT_STAT_REFRESH_REUSE,		/* reuse of a rotated refresh token detected */
	JWT_STAT_REVOCATION,		/* a token or token family was revoked */
	JWT_STAT_CONSUMPTION,		/* a single-use jti was consumed */
	JWT_STAT_KIND_COUNT
} JwtStatKind;

/* Index of "no algorithm" in the counter array */
#define JWT_STATS_NO_ALG	JWT_ALG_COUNT

/* Kids longer than this many bytes are not tracked. */
#define JWT_STATS_KID_MAXLEN	127

/* jwt.log_failures: 0 (off) or an elevel */
extern int	jwt_log_failures;

/* _PG_init: the jwt.log_failures setting */
extern void jwt_stats_init(void);

/* Shared memory, when the library is preloaded (jwt.c's hooks) */
extern void jwt_stats_shmem_request(void);
extern void jwt_stats_shmem_startup(void);

/*
 * Count one event: "alg" may be NULL, "reason" is JWT_REASON_NONE unless
 * the event has an outcome.  Lock-free; a no-op when counting is off.
 */
extern void jwt_stats_count(JwtStatKind kind, const JwtAlg *alg,
							JwtReason reason);

/*
 * The verify and sign paths (api.c): count, log a failure, and when
 * "track_kid" record the kid's last use.  The failure log prints what the
 * result carries (alg, kid, iss, sub) and never reads the token.
 */
extern void jwt_stats_verified(const JwtVerifyResult *res, bool track_kid);

/* Whether a failure would be logged: the verifier then reads iss and sub. */
extern bool jwt_stats_logs_failures(void);
extern void jwt_stats_signed(const JwtAlg *alg, const JwtKey *key,
							 Jsonb *header, bool track_kid);

/* Reading and resetting, for sql_stats.c */
extern bool jwt_stats_enabled(void);
extern const char *jwt_stat_kind_name(JwtStatKind kind);
extern int	jwt_stat_kind_by_name(const char *name);
extern uint64 jwt_stats_read(JwtStatKind kind, int alg, JwtReason reason);
extern TimestampTz jwt_stats_reset_time(void);
extern uint64 jwt_stats_kids_evicted(void);
extern int	jwt_stats_kid_capacity(void);
extern bool jwt_stats_kid_get(int slot, char *kid,
							  TimestampTz *last_signed,
							  TimestampTz *last_verified);
extern void jwt_stats_clear(void);

#endif							/* JWT_STATS_H */
