/*-------------------------------------------------------------------------
 *
 * refresh_guard.c
 *		The trigger that enforces the rotation rules on the refresh_tokens
 *		table (jwt_refresh_tokens_guard), and the column lookup and value
 *		comparison the rotation engine shares with it.
 *
 * The trigger (BEFORE INSERT OR UPDATE OR DELETE, FOR EACH ROW) refuses,
 * with 23514 and the offending column:
 *	- UPDATE of token_hash, family_id, generation, parent_hash, subject,
 *	  issued_at or created_at;
 *	- UPDATE of a revoked row's revoked_at or revoked_reason (revoked stays
 *	  revoked);
 *	- UPDATE of a set used_at (used stays used), and setting used_at (a
 *	  rotation) on a revoked or expired row;
 *	- a later expires_at or retry_until than before, or a changed retry_key
 *	  other than wiping it;
 *	- INSERT of an active successor whose parent row exists but is not a
 *	  used, unrevoked token of the same family and subject one generation
 *	  earlier;
 *	- DELETE of an active token (revoke it first).
 * It also checks the shapes that column types cannot express (32-byte
 * hashes, generation 0 exactly without a parent, a reason exactly for a
 * revoked token); these are not CHECK constraints because the executor
 * prepares every CHECK expression anew for each statement, a measurable
 * part of a rotation.  The table's indexes do the rest: one unused token
 * per family, one token per generation of a family.  A missing parent is
 * allowed on INSERT, so that a restore from pg_dump (which copies rows in
 * any order) and purged ancestors work.
 *
 * A NULL in a NOT NULL column is refused first, with 23502 and no row in
 * the detail (PostgreSQL's own error shows the row, retry_key included),
 * and so is one in a column the rotation reads unchecked (token_hash ...
 * expires_at) when the table's owner dropped its constraint.
 * The trigger is enabled ALWAYS for that check alone: under
 * session_replication_role = replica (a logical replication apply worker,
 * or a superuser replaying changes) the rotation rules are not applied,
 * as for an ordinary trigger, but a NULL is still refused without the row.
 *
 * Raises 23514 for a broken rule; 42804 or 42703 for a column its owner
 * changed or dropped (jwt_refresh_cols); elog (XX000) for a misuse as
 * another kind of trigger.  Memory: per
 * row in the trigger's memory context.
 *
 * src/refresh_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "entry.h"
#include "errors.h"
#include "refresh.h"

static void guard_update(Relation rel, const RefreshCols *cols,
						 HeapTuple oldtup, HeapTuple newtup);
static void guard_shape(Relation rel, const RefreshCols *cols,
						HeapTuple tup);
static void guard_insert(Relation rel, const RefreshCols *cols,
						 HeapTuple newtup);
static void guard_delete(Relation rel, const RefreshCols *cols,
						 HeapTuple oldtup);

/*
 * The columns of refresh_tokens the extension reads, by name, with their
 * types; the last three are 0.1.2's, absent from a table not updated yet.
 */
static const struct
{
	const char *name;
	size_t		offset;			/* of its AttrNumber in RefreshCols */
	Oid			type;
	bool		optional;
	bool		compared;		/* by value in queries: jwt_check_deterministic */
}			refresh_columns[] = {
#define RCOL(field, type, optional, compared) \
	{#field, offsetof(RefreshCols, field), type, optional, compared}
	RCOL(token_hash, BYTEAOID, false, false),
	RCOL(family_id, UUIDOID, false, false),
	RCOL(generation, INT4OID, false, false),
	RCOL(parent_hash, BYTEAOID, false, false),
	RCOL(subject, TEXTOID, false, true),
	RCOL(issued_at, TIMESTAMPTZOID, false, false),
	RCOL(created_at, TIMESTAMPTZOID, false, false),
	RCOL(expires_at, TIMESTAMPTZOID, false, false),
	RCOL(used_at, TIMESTAMPTZOID, false, false),
	RCOL(revoked_at, TIMESTAMPTZOID, false, false),
	RCOL(revoked_reason, TEXTOID, false, false),
	RCOL(retry_key, BYTEAOID, false, false),
	RCOL(retry_until, TIMESTAMPTZOID, false, false),
	RCOL(client_ip, INETOID, false, false),
	RCOL(user_agent, TEXTOID, false, true),
	RCOL(metadata, JSONBOID, false, false),
	RCOL(access_claims, JSONBOID, true, false),
	RCOL(session_expires_at, TIMESTAMPTZOID, true, false),
	RCOL(idle_timeout, INTERVALOID, true, false),
#undef RCOL
};

/*
 * The collations of the columns compared by value, for the callers that
 * query the table without a row of it at hand (refresh_sessions.c): the
 * table's trigger checks them on every write, but its owner may disable
 * it.
 */
void
jwt_refresh_check_collations(Oid relid)
{
	for (int c = 0; c < lengthof(refresh_columns); c++)
	{
		AttrNumber	attnum;
		Oid			type;
		int32		typmod;
		Oid			collid;

		if (!refresh_columns[c].compared)
			continue;
		attnum = get_attnum(relid, refresh_columns[c].name);
		if (attnum == InvalidAttrNumber)
			continue;			/* the query will say so */
		get_atttypetypmodcoll(relid, attnum, &type, &typmod, &collid);
		jwt_check_deterministic("refresh_tokens", refresh_columns[c].name, collid);
	}
}

/*
 * Find the columns by name, and check their types: the values are read as
 * the types the extension created them with, so a column its owner
 * dropped or changed with ALTER TABLE is refused here rather than misread.
 */
void
jwt_refresh_cols(TupleDesc desc, RefreshCols *cols)
{
	memset(cols, 0, sizeof(*cols));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		for (int c = 0; c < lengthof(refresh_columns); c++)
		{
			if (strcmp(NameStr(att->attname), refresh_columns[c].name) != 0)
				continue;
			if (att->atttypid != refresh_columns[c].type)
				jwt_column_type_error("refresh_tokens", refresh_columns[c].name,
									  att->atttypid, refresh_columns[c].type);
			if (refresh_columns[c].compared)
				jwt_check_deterministic("refresh_tokens", refresh_columns[c].name,
										att->attcollation);
			*(AttrNumber *) ((char *) cols + refresh_columns[c].offset) = att->attnum;
			break;
		}
	}
	for (int c = 0; c < lengthof(refresh_columns); c++)
	{
		if (!refresh_columns[c].optional &&
			*(AttrNumber *) ((char *) cols + refresh_columns[c].offset) == 0)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table refresh_tokens has no column \"%s\"",
							refresh_columns[c].name),
					 errdetail("The table was altered; the extension reads it as it created it.")));
	}
}

/*
 * The same check for the columns of a query's result (an SPI tuple
 * descriptor) that bear a refresh_tokens column's name.
 */
void
jwt_refresh_check_types(TupleDesc desc)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		for (int c = 0; c < lengthof(refresh_columns); c++)
		{
			if (strcmp(NameStr(att->attname), refresh_columns[c].name) == 0 &&
				att->atttypid != refresh_columns[c].type)
				jwt_column_type_error("refresh_tokens", refresh_columns[c].name,
									  att->atttypid, refresh_columns[c].type);
		}
	}
}

/*
 * A row of refresh_tokens without a value the extension cannot do without
 * (a NOT NULL constraint dropped by the table's owner, the trigger
 * disabled): refused with XX001, without the row.  "rel" may be NULL.
 */
void
jwt_refresh_null_error(Relation rel, const char *column, AttrNumber att)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the refresh token's row has a NULL in column \"%s\"", column),
			 errdetail("A row of refresh_tokens was written with its trigger disabled or its NOT NULL constraints dropped."),
			 rel ? errtablecol(rel, att) : 0));
}

/*
 * Binary equality of two values of one column.  Variable-length values are
 * compared by content, since one may be stored with a short header, or
 * compressed, and the other not.
 */
bool
jwt_refresh_value_equal(Datum a, Datum b, Form_pg_attribute attr)
{
	struct varlena *va,
			   *vb;

	if (attr->attlen != -1)
		return datumIsEqual(a, b, attr->attbyval, attr->attlen);
	va = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(a));
	vb = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(b));
	return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
}

/* Whether column "att" has the same value (or is NULL) in both tuples */
static bool
same_value(TupleDesc desc, AttrNumber att, HeapTuple a, HeapTuple b)
{
	Form_pg_attribute attr = TupleDescAttr(desc, att - 1);
	bool		anull,
				bnull;
	Datum		av = heap_getattr(a, att, desc, &anull);
	Datum		bv = heap_getattr(b, att, desc, &bnull);

	if (anull || bnull)
		return anull && bnull;
	return jwt_refresh_value_equal(av, bv, attr);
}

/* A timestamptz column; *isnull says whether it is NULL */
static TimestampTz
get_ts(TupleDesc desc, AttrNumber att, HeapTuple tup, bool *isnull)
{
	Datum		d = heap_getattr(tup, att, desc, isnull);

	return *isnull ? 0 : DatumGetTimestampTz(d);
}

static bool
is_null(TupleDesc desc, AttrNumber att, HeapTuple tup)
{
	bool		isnull;

	(void) heap_getattr(tup, att, desc, &isnull);
	return isnull;
}

/*
 * Raise 23514 for a broken rotation rule, naming the table and column.
 */
static void
guard_error(Relation rel, AttrNumber att, const char *msg,
			const char *detail, const char *hint)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("%s", msg),
			 errdetail("%s", detail),
			 hint ? errhint("%s", hint) : 0,
			 errtablecol(rel, att)));
}

static bool refresh_clock_pinned = false;
static TimestampTz refresh_clock;

TimestampTz
jwt_refresh_now(void)
{
	return refresh_clock_pinned ? refresh_clock : GetCurrentTimestamp();
}

void
jwt_refresh_clock_pin(void)
{
	refresh_clock = GetCurrentTimestamp();
	refresh_clock_pinned = true;
}

RefreshClock
jwt_refresh_clock_save(void)
{
	RefreshClock saved;

	saved.pinned = refresh_clock_pinned;
	saved.at = refresh_clock;
	return saved;
}

void
jwt_refresh_clock_restore(RefreshClock saved)
{
	refresh_clock_pinned = saved.pinned;
	refresh_clock = saved.at;
}

/*
 * created_at + idle_timeout, in UTC: the session's idle end does not move
 * with the caller's TimeZone (a day or a month added across a change of
 * daylight saving time would).  The SQL of refresh_sessions.c computes it
 * the same way.
 */
TimestampTz
jwt_refresh_idle_end(Datum created_at, Datum idle_timeout)
{
	return DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
												 created_at, idle_timeout));
}

/*
 * Whether the session of a token ended at "now": at or past its
 * session_expires_at, or its token (created_at: the last rotation or the
 * login) at least idle_timeout old.  NULL when not, else the status
 * keyword of the rotation, which is also the family's revocation reason.
 */
const char *
jwt_refresh_session_ended(const RefreshCols *cols, Datum *values,
						  bool *nulls, TimestampTz now)
{
	if (cols->session_expires_at && !nulls[cols->session_expires_at - 1] &&
		DatumGetTimestampTz(values[cols->session_expires_at - 1]) <= now)
		return "session_expired";
	if (cols->idle_timeout && !nulls[cols->idle_timeout - 1])
	{
		TimestampTz idle_end = jwt_refresh_idle_end(values[cols->created_at - 1],
													values[cols->idle_timeout - 1]);

		if (idle_end <= now)
			return "idle_timeout";
	}
	return NULL;
}

static bool
guard_session_ended(TupleDesc desc, const RefreshCols *cols, HeapTuple tup,
					TimestampTz now)
{
	Datum	   *values = palloc(desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(desc->natts * sizeof(bool));

	heap_deform_tuple(tup, desc, values, nulls);
	return jwt_refresh_session_ended(cols, values, nulls, now) != NULL;
}

/*
 * UPDATE: identity columns never change; revoked and used are final;
 * used_at is set only on a live token; expiries only come forward.
 */
static void
guard_update(Relation rel, const RefreshCols *cols, HeapTuple oldtup,
			 HeapTuple newtup)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const AttrNumber fixed[] = {cols->token_hash, cols->family_id,
		cols->generation, cols->parent_hash, cols->subject,
		cols->issued_at, cols->created_at, cols->access_claims,
	cols->session_expires_at, cols->idle_timeout};
	TimestampTz now = jwt_refresh_now();
	TimestampTz oldts,
				newts;
	bool		oldnull,
				newnull;

	for (int i = 0; i < lengthof(fixed); i++)
	{
		if (fixed[i] == 0)
			continue;			/* a session column of a table not upgraded */
		if (!same_value(desc, fixed[i], oldtup, newtup))
			guard_error(rel, fixed[i],
						"refresh token identity cannot change",
						psprintf("Column \"%s\" of a refresh token is fixed when the token is issued.",
								 NameStr(TupleDescAttr(desc, fixed[i] - 1)->attname)),
						NULL);
	}

	/* revoked stays revoked, with its time and reason */
	if (!is_null(desc, cols->revoked_at, oldtup))
	{
		if (!same_value(desc, cols->revoked_at, oldtup, newtup))
			guard_error(rel, cols->revoked_at,
						"a revoked refresh token cannot be restored",
						"Column \"revoked_at\" of a revoked token never changes.",
						NULL);
		if (!same_value(desc, cols->revoked_reason, oldtup, newtup))
			guard_error(rel, cols->revoked_reason,
						"a revoked refresh token cannot be restored",
						"Column \"revoked_reason\" of a revoked token never changes.",
						NULL);
	}

	if (is_null(desc, cols->revoked_at, newtup) !=
		is_null(desc, cols->revoked_reason, newtup))
		guard_error(rel, cols->revoked_reason,
					"a revoked refresh token needs a reason",
					"Columns \"revoked_at\" and \"revoked_reason\" are both set or both NULL.",
					NULL);

	/* expiries only come forward */
	oldts = get_ts(desc, cols->expires_at, oldtup, &oldnull);
	newts = get_ts(desc, cols->expires_at, newtup, &newnull);
	if (newnull || newts > oldts)
		guard_error(rel, cols->expires_at,
					"the expiry of a refresh token cannot be extended",
					"Column \"expires_at\" may only be set to an earlier time.",
					NULL);
	oldts = get_ts(desc, cols->retry_until, oldtup, &oldnull);
	newts = get_ts(desc, cols->retry_until, newtup, &newnull);
	if (!newnull && (oldnull || newts > oldts))
		guard_error(rel, cols->retry_until,
					"the grace window of a refresh token cannot be extended",
					"Column \"retry_until\" may only be set to an earlier time or NULL.",
					NULL);
	if (!is_null(desc, cols->retry_key, newtup) &&
		!same_value(desc, cols->retry_key, oldtup, newtup))
		guard_error(rel, cols->retry_key,
					"the retry key of a refresh token cannot be replaced",
					"Column \"retry_key\" may only be set to NULL.",
					NULL);

	/* used stays used; a rotation (setting used_at) needs a live token */
	oldts = get_ts(desc, cols->used_at, oldtup, &oldnull);
	if (!oldnull)
	{
		if (!same_value(desc, cols->used_at, oldtup, newtup))
			guard_error(rel, cols->used_at,
						"a used refresh token cannot rotate again",
						"Column \"used_at\" of a used token never changes.",
						NULL);
	}
	else if (!is_null(desc, cols->used_at, newtup))
	{
		if (!is_null(desc, cols->revoked_at, oldtup))
			guard_error(rel, cols->used_at,
						"a revoked refresh token cannot rotate",
						"Column \"used_at\" cannot be set on a revoked token.",
						NULL);
		newts = get_ts(desc, cols->expires_at, newtup, &newnull);
		if (newts <= now)
			guard_error(rel, cols->used_at,
						"an expired refresh token cannot rotate",
						"Column \"used_at\" cannot be set on a token at or past its \"expires_at\".",
						NULL);
		if (guard_session_ended(desc, cols, oldtup, now))
			guard_error(rel, cols->used_at,
						"a refresh token of an ended session cannot rotate",
						"The session is at or past its \"session_expires_at\", or its token is older than its \"idle_timeout\".",
						NULL);
	}
}

/*
 * Shapes the table's column types cannot express, checked on INSERT (an
 * UPDATE cannot change them, see guard_update): 32-byte hashes and retry
 * key, generation 0 exactly for a first token (no parent), and a reason
 * exactly for a revoked token.
 */
static void
guard_shape(Relation rel, const RefreshCols *cols, HeapTuple tup)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const AttrNumber hashes[] = {cols->token_hash, cols->parent_hash,
	cols->retry_key};
	bool		isnull;
	int32		gen;

	for (int i = 0; i < lengthof(hashes); i++)
	{
		Datum		v = heap_getattr(tup, hashes[i], desc, &isnull);

		if (!isnull &&
			VARSIZE_ANY_EXHDR(DatumGetPointer(v)) != REFRESH_HASH_BYTES)
			guard_error(rel, hashes[i],
						"refresh token column has a wrong length",
						psprintf("Column \"%s\" must be %d bytes long.",
								 NameStr(TupleDescAttr(desc, hashes[i] - 1)->attname),
								 REFRESH_HASH_BYTES),
						NULL);
	}
	gen = DatumGetInt32(heap_getattr(tup, cols->generation, desc, &isnull));
	if (isnull || gen < 0 ||
		(gen == 0) != is_null(desc, cols->parent_hash, tup))
		guard_error(rel, cols->generation,
					"refresh token generation does not match its parent",
					"A first token has generation 0 and no \"parent_hash\"; a successor has both a higher generation and a \"parent_hash\".",
					NULL);
	if (is_null(desc, cols->revoked_at, tup) !=
		is_null(desc, cols->revoked_reason, tup))
		guard_error(rel, cols->revoked_reason,
					"a revoked refresh token needs a reason",
					"Columns \"revoked_at\" and \"revoked_reason\" are both set or both NULL.",
					NULL);
	if (cols->session_expires_at)
	{
		bool		enull;
		TimestampTz send = get_ts(desc, cols->session_expires_at, tup,
								  &isnull);
		TimestampTz exp = get_ts(desc, cols->expires_at, tup, &enull);

		if (!isnull && !enull && exp > send)
			guard_error(rel, cols->expires_at,
						"a refresh token cannot outlive its session",
						"Column \"expires_at\" must not be later than \"session_expires_at\".",
						NULL);
	}
	if (cols->access_claims && !is_null(desc, cols->access_claims, tup) &&
		!JB_ROOT_IS_OBJECT(DatumGetJsonbP(heap_getattr(tup, cols->access_claims,
													   desc, &isnull))))
		guard_error(rel, cols->access_claims,
					"the access claims of a session must be a JSON object",
					"Column \"access_claims\" is NULL or a JSON object.",
					NULL);
	if (cols->idle_timeout && !is_null(desc, cols->idle_timeout, tup))
	{
		Interval   *idle = DatumGetIntervalP(heap_getattr(tup, cols->idle_timeout,
														 desc, &isnull));

		if (idle->month < 0 || idle->day < 0 || idle->time < 0 ||
			(idle->month == 0 && idle->day == 0 && idle->time == 0))
			guard_error(rel, cols->idle_timeout,
						"the idle timeout of a session must be positive",
						"Column \"idle_timeout\" is NULL or a positive interval.",
						NULL);
	}
}

/*
 * INSERT of an active successor: its parent, when present, must be the
 * used, unrevoked token one generation earlier in the same family and of
 * the same subject.  The parent is read through the primary key with
 * SnapshotSelf, which sees the parent's update by this transaction even
 * from the same statement (a rotation marks the parent used and inserts
 * the successor in one statement: an UPDATE in a WITH clause, whose
 * effects the statement's own snapshot does not see).
 */
static void
guard_insert(Relation rel, const RefreshCols *cols, HeapTuple newtup)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Datum		parent;
	bool		isnull;
	Oid			pkindex;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	p;
	const AttrNumber session[] = {cols->access_claims,
	cols->session_expires_at, cols->idle_timeout};

	guard_shape(rel, cols, newtup);
	if (!is_null(desc, cols->used_at, newtup) ||
		!is_null(desc, cols->revoked_at, newtup))
		return;					/* inert: a restored used or revoked row */
	parent = heap_getattr(newtup, cols->parent_hash, desc, &isnull);
	if (isnull)
		return;					/* the first token of a family */

	pkindex = RelationGetPrimaryKeyIndex_compat(rel);
	if (!OidIsValid(pkindex))
		jwt_elog(ERROR, "jwt_refresh_tokens_guard: the table has no primary key");
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_BYTEAEQ, parent);
	scan = systable_beginscan(rel, pkindex, true, SnapshotSelf, 1, &key);
	p = systable_getnext(scan);
	if (HeapTupleIsValid(p))
	{
		bool		pnull;
		bool		ok;
		int32		pgen,
					ngen;

		pgen = DatumGetInt32(heap_getattr(p, cols->generation, desc, &pnull));
		ngen = DatumGetInt32(heap_getattr(newtup, cols->generation, desc,
										  &isnull));
		ok = same_value(desc, cols->family_id, p, newtup) &&
			same_value(desc, cols->subject, p, newtup) &&
			pgen + 1 == ngen;
		for (int i = 0; ok && i < lengthof(session); i++)
			ok = session[i] == 0 || same_value(desc, session[i], p, newtup);
		if (!ok)
			guard_error(rel, cols->parent_hash,
						"a refresh token must succeed its parent",
						"Its parent token belongs to another family or subject, is not one generation earlier, or has other session claims or limits.",
						NULL);
		if (!is_null(desc, cols->revoked_at, p))
			guard_error(rel, cols->parent_hash,
						"a revoked refresh token cannot rotate",
						"Its parent token is revoked.",
						NULL);
		if (is_null(desc, cols->used_at, p))
			guard_error(rel, cols->parent_hash,
						"a refresh token must succeed its parent",
						"Its parent token has not been used; set its \"used_at\" first.",
						NULL);
	}
	systable_endscan(scan);
}

/*
 * DELETE: an active token (neither used, revoked nor expired) is revoked
 * first, so that a session never disappears without a record.
 */
static void
guard_delete(Relation rel, const RefreshCols *cols, HeapTuple oldtup)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool		isnull;
	TimestampTz exp;

	if (!is_null(desc, cols->used_at, oldtup) ||
		!is_null(desc, cols->revoked_at, oldtup))
		return;
	exp = get_ts(desc, cols->expires_at, oldtup, &isnull);
	if (!isnull && exp <= jwt_refresh_now())
		return;
	guard_error(rel, cols->revoked_at,
				"an active refresh token cannot be deleted",
				"The token is neither used, revoked nor expired.",
				"Revoke its family first, with jwt_refresh_revoke_family().");
}

/* See refresh.h */
const char *
jwt_refresh_required(const RefreshCols *cols, int i, AttrNumber *att)
{
	const AttrNumber atts[] = {cols->token_hash, cols->family_id,
		cols->generation, cols->subject, cols->issued_at, cols->created_at,
	cols->expires_at};
	static const char *const names[] = {"token_hash", "family_id",
		"generation", "subject", "issued_at", "created_at",
	"expires_at"};

	if (i >= lengthof(atts))
		return NULL;
	*att = atts[i];
	return names[i];
}

/*
 * A NULL in a NOT NULL column, or in one of the columns the rotation
 * cannot do without (jwt_refresh_required), refused without the row.
 */
static void
guard_nulls(Relation rel, const RefreshCols *cols, HeapTuple tup)
{
	const char *name;
	AttrNumber	att;

	jwt_refuse_nulls(rel, tup, JWT_ROW_NOT_SHOWN);
	for (int i = 0; (name = jwt_refresh_required(cols, i, &att)) != NULL; i++)
	{
		if (heap_attisnull(tup, att, RelationGetDescr(rel)))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("column \"%s\" of refresh_tokens must not be null", name),
					 errdetail("%s", JWT_ROW_NOT_SHOWN),
					 errtablecol(rel, att)));
	}
}

/*
 * The rotation rules of refresh_tokens, as a BEFORE ROW trigger.
 */
JWT_FUNCTION(jwt_refresh_tokens_guard)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	RefreshCols cols;
	TriggerEvent ev;

	if (!CALLED_AS_TRIGGER(fcinfo))
		jwt_elog(ERROR, "jwt_refresh_tokens_guard: not called by trigger manager");
	ev = trigdata->tg_event;
	if (!TRIGGER_FIRED_BEFORE(ev) || !TRIGGER_FIRED_FOR_ROW(ev))
		jwt_elog(ERROR, "jwt_refresh_tokens_guard: must be fired before, for each row");

	jwt_refresh_cols(RelationGetDescr(trigdata->tg_relation), &cols);
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
	{
		/* replaying changes checked where they were made: NULLs only */
		if (TRIGGER_FIRED_BY_UPDATE(ev))
		{
			guard_nulls(trigdata->tg_relation, &cols, trigdata->tg_newtuple);
			return PointerGetDatum(trigdata->tg_newtuple);
		}
		if (TRIGGER_FIRED_BY_INSERT(ev))
			guard_nulls(trigdata->tg_relation, &cols, trigdata->tg_trigtuple);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		guard_nulls(trigdata->tg_relation, &cols, trigdata->tg_newtuple);
		guard_update(trigdata->tg_relation, &cols, trigdata->tg_trigtuple,
					 trigdata->tg_newtuple);
		return PointerGetDatum(trigdata->tg_newtuple);
	}
	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		guard_nulls(trigdata->tg_relation, &cols, trigdata->tg_trigtuple);
		guard_insert(trigdata->tg_relation, &cols, trigdata->tg_trigtuple);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		guard_delete(trigdata->tg_relation, &cols, trigdata->tg_trigtuple);
		return PointerGetDatum(trigdata->tg_trigtuple);
	}
	jwt_elog(ERROR, "jwt_refresh_tokens_guard: unexpected event");
	return (Datum) 0;			/* keep compiler quiet */
}
