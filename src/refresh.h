/*-------------------------------------------------------------------------
 *
 * refresh.h
 *		What the refresh token modules share: token text, successors and
 *		hashes (refresh_token.c), the table's columns and value comparison
 *		(refresh_guard.c, which also holds the trigger), and family
 *		revocation (refresh_sessions.c).  The rotation engine
 *		(refresh_rotate.c) uses all three and exports nothing but its SQL
 *		entry points.
 *
 * None of these resolves a function by name: the extension's own code is
 * called directly, and the table is reached through its schema-qualified
 * name with every operator and function pg_catalog-qualified, so that a
 * look-alike planted in the extension's schema is never called.
 *
 * src/refresh.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_REFRESH_H
#define JWT_REFRESH_H

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#include "compat.h"
#include "utils/timestamp.h"

/*
 * The time at which a refresh token's life, its grace window and its
 * session are judged: the clock at the call, not the transaction's start
 * (now()), so that a transaction held open keeps no window open past its
 * end (a stale copy of a token would otherwise keep fetching the
 * successors that its grace window returns).  A rotation reads the clock
 * once (jwt_refresh_clock_pin): its checks, its writes and the guard
 * trigger that fires on them judge at the same instant.  A rotation run
 * inside another's trigger saves and restores the outer one's reading.
 */
typedef struct RefreshClock
{
	bool		pinned;
	TimestampTz at;
} RefreshClock;

extern TimestampTz jwt_refresh_now(void);
extern void jwt_refresh_clock_pin(void);
extern RefreshClock jwt_refresh_clock_save(void);
extern void jwt_refresh_clock_restore(RefreshClock saved);
extern TimestampTz jwt_refresh_idle_end(Datum created_at, Datum idle_timeout);

/*
 * The same in SQL, for a row of table alias "a": created_at + idle_timeout
 * in UTC, not in the caller's TimeZone
 */
#define JWT_REFRESH_IDLE_END_SQL(a) \
	" pg_catalog.timezone('UTC'::pg_catalog.text, pg_catalog.timezone('UTC'::pg_catalog.text, " \
	a ".created_at) OPERATOR(pg_catalog.+) " a ".idle_timeout)"

/* Bytes of a token, of its hash and of a retry key */
#define REFRESH_TOKEN_BYTES 32
#define REFRESH_HASH_BYTES 32

/* refresh_token.c */

/* A first token of a family: 256 bits from OpenSSL's CSPRNG, base64url */
extern text *jwt_refresh_first_token(void);

/*
 * The token that succeeds "parent": HMAC-SHA256 under the successor's
 * retry key "key" (REFRESH_TOKEN_BYTES), base64url.
 */
extern text *jwt_refresh_successor(text *parent, const unsigned char *key);

/* SHA-256 of a token's text, as refresh_tokens.token_hash stores it */
extern bytea *jwt_refresh_hash(text *token);

/* refresh_guard.c */

/* Attribute numbers of the refresh_tokens columns, found by name */
typedef struct RefreshCols
{
	AttrNumber	token_hash;
	AttrNumber	family_id;
	AttrNumber	generation;
	AttrNumber	parent_hash;
	AttrNumber	subject;
	AttrNumber	issued_at;
	AttrNumber	created_at;
	AttrNumber	expires_at;
	AttrNumber	used_at;
	AttrNumber	revoked_at;
	AttrNumber	revoked_reason;
	AttrNumber	retry_key;
	AttrNumber	retry_until;
	AttrNumber	client_ip;
	AttrNumber	user_agent;
	AttrNumber	metadata;
	/* 0.1.2's session columns; 0 on a table not upgraded yet */
	AttrNumber	access_claims;
	AttrNumber	session_expires_at;
	AttrNumber	idle_timeout;
} RefreshCols;

/*
 * Find the columns of refresh_tokens by name; raise 42703 when one is
 * missing, 42804 when one is not of the type the extension created.
 */
extern void jwt_refresh_cols(TupleDesc desc, RefreshCols *cols);

/* 42804 for a column of a query's result named as one of refresh_tokens
 * and not of its type */
extern void jwt_refresh_check_types(TupleDesc desc);
extern void jwt_refresh_check_collations(Oid relid);

/*
 * Raise XX001 (data_corrupted) for a row with a NULL in "column", which
 * the extension cannot do without; without the row.  "rel" may be NULL.
 */
pg_noreturn extern void jwt_refresh_null_error(Relation rel,
											   const char *column,
											   AttrNumber att);

/*
 * The i-th (from 0) of the columns a row of refresh_tokens cannot lack
 * (token_hash ... expires_at): its name, and its number in *att; NULL past
 * the last.  By name: the table's owner may have dropped a NOT NULL
 * constraint, and the rotation reads these values unchecked.
 */
extern const char *jwt_refresh_required(const RefreshCols *cols, int i,
										AttrNumber *att);

/* Binary equality of two non-NULL values of one column */
extern bool jwt_refresh_value_equal(Datum a, Datum b, Form_pg_attribute attr);

/*
 * Whether the session of the token in "values"/"nulls" (a row of
 * refresh_tokens) ended by its absolute lifetime or idle timeout at "now":
 * NULL when not, else "session_expired" or "idle_timeout".
 */
extern const char *jwt_refresh_session_ended(const RefreshCols *cols,
											 Datum *values, bool *nulls,
											 TimestampTz now);

/* refresh_rotate.c */

/*
 * An access token of session "family" (uuid) of "subject" (text): the
 * session's stored claims "stored", overridden by "claims" (either may be
 * NULL), plus "sub", "sid" and "exp" (now + "access", whole seconds, in
 * *expires_at; never past "session_end" when that is not NULL: an access
 * token does not outlive its session), signed with "key" in form "form"
 * and "algorithm" (the key's when NULL, as jwt_sign), or by the key
 * registry when key is NULL.  refresh_sessions.c; used by login and by
 * rotation.
 */
extern text *jwt_refresh_sign_access(NullableDatum key, int form,
									 text *algorithm, Jsonb *stored,
									 Jsonb *claims, Interval *access,
									 const TimestampTz *session_end,
									 Datum subject, Datum family,
									 TimestampTz *expires_at);

/* refresh_sessions.c */

/*
 * The session check of jwt_authenticate (jwt.require_session): the reason
 * to refuse verified claims whose "sid" names no live session of their
 * "sub", or JWT_REASON_NONE.  One index lookup, with the active snapshot;
 * no privilege check (as the denylist's lookup).
 */
extern int	jwt_refresh_session_check(Jsonb *claims);

/* jwt.require_session: jwt_authenticate runs the session check */
extern bool jwt_require_session;

/*
 * Revoke every row of the families in "families" (uuid[]) that is not
 * revoked yet, with reason "reason" (text); repeats until a statement
 * finds nothing left.  Counts one revocation event when it revoked rows.
 * Raises 25006 on a hot standby.  Returns the rows revoked.
 */
extern int64 jwt_refresh_revoke_families_internal(ArrayType *families,
												  text *reason);

#endif							/* JWT_REFRESH_H */
