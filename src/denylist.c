/*-------------------------------------------------------------------------
 *
 * denylist.c
 *		The denylist and consumed tokens: jwt_is_revoked, jwt_revoke,
 *		jwt_revoke_subject, jwt_consume_jti and jwt_purge_expired, and the
 *		C calls jwt_authenticate and jwt_consume make to the same code.
 *
 * These were PL/pgSQL and SQL functions that called the extension's other
 * functions by name.  A role that may CREATE in the extension's schema
 * could plant a look-alike there (an overload, or the same name with one
 * more defaulted parameter), which made the call ambiguous or ran the
 * look-alike with the caller's rights.  Here nothing is resolved by name
 * but the three tables, in the extension's own schema (pg_extension's
 * extnamespace), where no other role can create a relation of the same
 * name; every operator in query text is written OPERATOR(pg_catalog.x),
 * every constant has its type, and counters are bumped in C.
 *
 * Reading (jwt_is_revoked, once per authenticated request) scans the
 * primary key indexes directly with the active snapshot, as the STABLE
 * PL/pgSQL function did; it checks no privilege, like the SECURITY
 * DEFINER function it replaces.  Writing goes through SPI with plans
 * prepared once per backend (SPI_keepplan), executed as the extension's
 * owner (who owns the SECURITY DEFINER functions these replace), so
 * jwt_consume and jwt_registry_consume can record a jti for a caller that
 * has no access to the table.
 *
 * Per-backend state: the extension's owner, the tables' OIDs and column
 * numbers and the kept plans, in TopMemoryContext.  A relcache callback marks the OIDs
 * stale when one of the tables (or everything) is invalidated; they are
 * looked up again on next use, and the plans are prepared again only when
 * the extension's schema changed (DROP and CREATE EXTENSION elsewhere).
 *
 * Revocations are one INSERT ... ON CONFLICT DO UPDATE each, so that a
 * concurrent jwt_purge_expired deleting an old entry cannot make a
 * revocation disappear (it either waits for the revocation or the
 * revocation inserts anew).  jwt_purge_expired keeps an entry until
 * jwt.max_leeway after its expires_at: verification refuses a larger
 * leeway, so no accepted leeway can bring a purged token back.
 *
 * Errors are raised by PostgreSQL (SPI, locks, a read-only transaction)
 * and for NULL arguments (22004); on error, transaction abort restores the
 * user id this module switched to and releases SPI.
 *
 * src/denylist.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "denylist.h"
#include "denylist_cache.h"
#include "entry.h"
#include "errors.h"
#include "extension.h"
#include "json_out.h"
#include "jwt.h"
#include "stats.h"


/* The tables */
typedef enum DlRel
{
	DL_CONSUMED = 0,			/* jwt_consumed_tokens (jti) */
	DL_TOKENS,					/* jwt_revoked_tokens (jti) */
	DL_SUBJECTS,				/* jwt_revoked_subjects (subject) */
	DL_NRELS
} DlRel;

static const char *const dl_relnames[DL_NRELS] = {
	"jwt_consumed_tokens",
	"jwt_revoked_tokens",
	"jwt_revoked_subjects",
};

/* The column each table's primary key is on */
static const char *const dl_keynames[DL_NRELS] = {"jti", "jti", "subject"};

/* The kept plans */
typedef enum DlPlan
{
	PLAN_CONSUME = 0,
	PLAN_REVOKE,
	PLAN_REVOKE_SUBJECT,
	PLAN_PURGE_CONSUMED,
	PLAN_PURGE_TOKENS,
	PLAN_PURGE_SUBJECTS,
	DL_NPLANS
} DlPlan;

/*
 * Query texts: %s is the quoted schema.  A revocation returns whether it
 * inserted its row: a row the statement inserted has no xmax, while the
 * new version that ON CONFLICT DO UPDATE writes keeps the row lock taken
 * on the old one, so its xmax is the updating transaction.
 */
static const struct
{
	int			nargs;
	Oid			argtypes[4];
	const char *query;
}			dl_plan_defs[DL_NPLANS] = {
	[PLAN_CONSUME] = {2, {TEXTOID, TIMESTAMPTZOID},
		"INSERT INTO %s.jwt_consumed_tokens AS c (jti, expires_at)"
		" VALUES ($1, $2) ON CONFLICT DO NOTHING"
	},
	[PLAN_REVOKE] = {3, {TEXTOID, TIMESTAMPTZOID, TEXTOID},
		"INSERT INTO %s.jwt_revoked_tokens AS r (jti, expires_at, reason)"
		" VALUES ($1, $2, $3)"
		" ON CONFLICT (jti) DO UPDATE"
		" SET expires_at = CASE WHEN r.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL"
		" ELSE GREATEST(r.expires_at, excluded.expires_at) END,"
		" reason = COALESCE(excluded.reason, r.reason)"
		" RETURNING r.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid"
	},
	[PLAN_REVOKE_SUBJECT] = {4, {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID},
		"INSERT INTO %s.jwt_revoked_subjects AS s (subject, issued_before, expires_at, reason)"
		" VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (subject) DO UPDATE"
		" SET issued_before = GREATEST(s.issued_before, excluded.issued_before),"
		" expires_at = CASE WHEN s.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL"
		" ELSE GREATEST(s.expires_at, excluded.expires_at) END,"
		" revoked_at = pg_catalog.now(),"
		" reason = COALESCE(excluded.reason, s.reason)"
		" RETURNING s.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid"
	},
	[PLAN_PURGE_CONSUMED] = {1, {TIMESTAMPTZOID},
		"DELETE FROM %s.jwt_consumed_tokens t"
		" WHERE t.expires_at OPERATOR(pg_catalog.<) $1"
	},
	[PLAN_PURGE_TOKENS] = {1, {TIMESTAMPTZOID},
		"DELETE FROM %s.jwt_revoked_tokens t"
		" WHERE t.expires_at OPERATOR(pg_catalog.<) $1"
	},
	[PLAN_PURGE_SUBJECTS] = {1, {TIMESTAMPTZOID},
		"DELETE FROM %s.jwt_revoked_subjects t"
		" WHERE t.expires_at OPERATOR(pg_catalog.<) $1"
	},
};

/* Per backend */
typedef struct DlState
{
	bool		valid;			/* the OIDs below are current */
	Oid			nspid;
	Oid			owner;			/* the extension's */
	Oid			relid[DL_NRELS];
	AttrNumber	keyatt[DL_NRELS];
	Oid			pkey[DL_NRELS];	/* the primary key last looked up with */
	Oid			pkeycoll[DL_NRELS];	/* its collation, deterministic */
	AttrNumber	issued_before_att;	/* of jwt_revoked_subjects */
	bool		cache_ok;		/* both tables have jwt_denylist_changed */
	Oid			plans_nspid;	/* the schema the plans name */
	SPIPlanPtr	plans[DL_NPLANS];
} DlState;

static DlState dl;
static uint64 dl_inval_count = 0;
static bool dl_callback_registered = false;

static void dl_relcache_callback(Datum arg, Oid relid);
static void dl_resolve(void);
static bool dl_trigger_ok(Oid relid, Oid nspid);
static Relation dl_open(DlRel which);
static bool dl_lookup(DlRel which, text *key, Jsonb *claims,
					  Snapshot snapshot);
static bool dl_same_key(Relation rel, HeapTuple tup, AttrNumber att, text *key);
static bool dl_subject_matches(Relation rel, HeapTuple tup, Jsonb *claims);
static uint64 dl_execute(DlPlan which, Datum *args, const char *nulls,
						 bool *result);


/*
 * Some relation changed: forget the OIDs when it may be one of ours.  The
 * count tells dl_resolve that it happened while it was looking.
 */
static void
dl_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < DL_NRELS; i++)
	{
		if (relid == InvalidOid || relid == dl.relid[i])
		{
			dl.valid = false;
			dl_inval_count++;
			return;
		}
	}
}

/*
 * Make dl's OIDs current: the extension's schema and owner, its three
 * tables there (plain tables, as the install script made them) and the
 * columns used.  55000 when the extension is in a state it never leaves
 * by itself.
 */
static void
dl_resolve(void)
{
	if (!dl_callback_registered)
	{
		CacheRegisterRelcacheCallback(dl_relcache_callback, (Datum) 0);
		dl_callback_registered = true;
	}

	while (!dl.valid)
	{
		uint64		seen;
		Oid			nspid;
		Oid			owner = InvalidOid;
		int			i;

		CHECK_FOR_INTERRUPTS();
		seen = dl_inval_count;

		/*
		 * The tables or their trigger changed (or everything was
		 * invalidated): rows may have been written unmarked meanwhile.
		 */
		jwt_denylist_cache_forget();

		nspid = jwt_extension_schema(&owner);
		for (i = 0; i < DL_NRELS; i++)
		{
			Oid			relid = get_relname_relid(dl_relnames[i], nspid);
			AttrNumber	att = InvalidAttrNumber;

			Oid			type = InvalidOid;
			int32		typmod;
			Oid			collid = InvalidOid;

			if (get_rel_relkind(relid) == RELKIND_RELATION &&
				(att = get_attnum(relid, dl_keynames[i])) != InvalidAttrNumber)
				get_atttypetypmodcoll(relid, att, &type, &typmod, &collid);
			if (type != TEXTOID)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("table \"%s\" of the jwt extension is missing or altered",
								dl_relnames[i]),
						 errhint("Reinstall the extension with DROP EXTENSION and CREATE EXTENSION.")));
			/* a jti or subject is one string, byte for byte */
			jwt_check_deterministic(dl_relnames[i], dl_keynames[i], collid);
			dl.relid[i] = relid;
			dl.keyatt[i] = att;
			dl.pkey[i] = InvalidOid;
		}
		dl.issued_before_att = get_attnum(dl.relid[DL_SUBJECTS], "issued_before");
		if (dl.issued_before_att == InvalidAttrNumber ||
			get_atttype(dl.relid[DL_SUBJECTS], dl.issued_before_att) != TIMESTAMPTZOID)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table \"%s\" of the jwt extension is missing or altered",
							dl_relnames[DL_SUBJECTS]),
					 errhint("Reinstall the extension with DROP EXTENSION and CREATE EXTENSION.")));
		dl.cache_ok = dl_trigger_ok(dl.relid[DL_TOKENS], nspid) &&
			dl_trigger_ok(dl.relid[DL_SUBJECTS], nspid);
		dl.nspid = nspid;
		dl.owner = owner;
		/* valid unless an invalidation arrived while looking */
		dl.valid = (seen == dl_inval_count);
	}
}

/*
 * Does the table have the trigger that feeds denylist_cache.c, as the
 * install script made it: jwt_denylist_changed() of the extension's
 * schema, BEFORE INSERT OR UPDATE FOR EACH ROW, no WHEN and no column
 * list, enabled always?  Without it (a database whose extension was
 * not updated to 0.1.2, or a trigger disabled or changed), the cache is
 * not used: writes would not reach it.
 */
static bool
dl_trigger_ok(Oid relid, Oid nspid)
{
	const int16 need = TRIGGER_TYPE_ROW | TRIGGER_TYPE_BEFORE |
		TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE;
	Relation	rel = try_table_open(relid, AccessShareLock);
	TriggerDesc *td;
	bool		ok = false;
	int			i;

	/* dropped while waiting for the lock: dl_resolve looks again */
	if (rel == NULL)
	{
		dl_inval_count++;
		return false;
	}

	/*
	 * A copy: the function lookups below can process an invalidation of the
	 * table, and rebuilding the relation frees its trigger list (the
	 * invalidation also makes dl_resolve look again).
	 */
	td = CopyTriggerDesc(rel->trigdesc);	/* NULL without triggers */
	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		char	   *fname;

		if (strcmp(t->tgname, "jwt_denylist_changed") != 0 ||
			t->tgenabled != TRIGGER_FIRES_ALWAYS ||
			(t->tgtype & (TRIGGER_TYPE_INSTEAD | need)) != need ||
			t->tgqual != NULL || t->tgnattr != 0 ||
			get_func_namespace(t->tgfoid) != nspid)
			continue;
		fname = get_func_name(t->tgfoid);
		ok = fname != NULL && strcmp(fname, "jwt_denylist_changed") == 0;
	}
	FreeTriggerDesc(td);
	table_close(rel, NoLock);
	return ok;
}

/*
 * Open one of the tables with AccessShareLock, held to the end of the
 * transaction as the executor would.  Looks the OIDs up again once when
 * the table went away since they were cached.
 */
static Relation
dl_open(DlRel which)
{
	Relation	rel;

	/*
	 * Locking the table accepts the invalidations of a change committed
	 * meanwhile (an ALTER of a key column's collation): resolved again
	 * then, so that the lookup's scan key matches the index it scans.
	 */
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		dl_resolve();
		rel = try_table_open(dl.relid[which], AccessShareLock);
		if (rel == NULL)
		{
			dl.valid = false;
			continue;
		}
		if (dl.valid)
			return rel;
		table_close(rel, NoLock);
	}
}

/*
 * Is there a row of "which" whose key equals "key" in "snapshot"?  For
 * jwt_revoked_subjects, one that also covers the token's "iat"
 * (dl_subject_matches).
 */
static bool
dl_lookup(DlRel which, text *key, Jsonb *claims, Snapshot snapshot)
{
	Relation	rel = dl_open(which);
	Oid			pkey = RelationGetPrimaryKeyIndex_compat(rel);
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(pkey))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" of the jwt extension has no primary key",
						dl_relnames[which]),
				 errhint("Reinstall the extension with DROP EXTENSION and CREATE EXTENSION.")));

	/*
	 * The key must carry the index's collation: the scan descends the
	 * index in that order, and ScanKeyInit's "C" would miss rows of any
	 * other (systable_beginscan does not change it).  The index's own, not
	 * the column's: a primary key added USING INDEX may have another.  It
	 * must be deterministic, as the column's (dl_resolve), so that an
	 * equal key is the same string; compared again all the same.  A new
	 * index comes with an invalidation of the table, which resets
	 * dl.pkey.
	 */
	if (pkey != dl.pkey[which])
	{
		Relation	irel = index_open(pkey, AccessShareLock);
		Oid			collid = irel->rd_indcollation[0];

		index_close(irel, NoLock);
		jwt_check_deterministic(dl_relnames[which], dl_keynames[which], collid);
		dl.pkeycoll[which] = collid;
		dl.pkey[which] = pkey;
	}
	ScanKeyEntryInitialize(&skey, 0, dl.keyatt[which], BTEqualStrategyNumber,
						   InvalidOid, dl.pkeycoll[which], F_TEXTEQ,
						   PointerGetDatum(key));
	scan = systable_beginscan(rel, pkey, true, snapshot, 1, &skey);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup) && dl_same_key(rel, tup, dl.keyatt[which], key))
		found = (which != DL_SUBJECTS || dl_subject_matches(rel, tup, claims));
	systable_endscan(scan);
	table_close(rel, NoLock);
	return found;
}

/* Does the row's key column hold exactly "key"? */
static bool
dl_same_key(Relation rel, HeapTuple tup, AttrNumber att, text *key)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);
	text	   *have;

	if (isnull)
		return false;
	have = DatumGetTextPP(d);
	return VARSIZE_ANY_EXHDR(have) == VARSIZE_ANY_EXHDR(key) &&
		memcmp(VARDATA_ANY(have), VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) == 0;
}

/*
 * Does a jwt_revoked_subjects row cover the token?  Yes when its "iat" is
 * not a number, or is before issued_before; compared as float8 the way
 * the SQL function did ((claims->>'iat')::float8 < extract(epoch FROM
 * issued_before)), both through numeric_float8.
 */
static bool
dl_subject_matches(Relation rel, HeapTuple tup, Jsonb *claims)
{
	JsonbValue	v;
	bool		isnull;
	Datum		before;
	double		iat;
	double		before_secs;

	if (getKeyJsonValueFromContainer(&claims->root, "iat", 3, &v) == NULL ||
		v.type != jbvNumeric)
		return true;
	before = heap_getattr(tup, dl.issued_before_att, RelationGetDescr(rel), &isnull);
	if (isnull)
		return false;
	iat = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											 NumericGetDatum(v.val.numeric)));
	before_secs = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													 DirectFunctionCall2(extract_timestamptz,
																		 CStringGetTextDatum("epoch"),
																		 before)));
	return iat < before_secs;
}

/* Both lookups: the token's jti, then its sub (either may be NULL) */
static bool
dl_lookups(text *jti, text *sub, Jsonb *claims, Snapshot snapshot)
{
	return (jti != NULL && dl_lookup(DL_TOKENS, jti, claims, snapshot)) ||
		(sub != NULL && dl_lookup(DL_SUBJECTS, sub, claims, snapshot));
}

/*
 * The key of denylist_cache.c for the lookups' inputs: the jti and sub
 * text, and iat's numeric as stored (dl_subject_matches treats an iat that
 * is no number as an absent one).  False when too long to cache.
 */
static bool
dl_cache_key(JwtDenylistKey *k, text *jti, text *sub, Jsonb *claims)
{
	JsonbValue	v;
	const char *iat = NULL;
	int			iat_len = 0;

	if (sub != NULL &&
		getKeyJsonValueFromContainer(&claims->root, "iat", 3, &v) != NULL &&
		v.type == jbvNumeric)
	{
		iat = (const char *) v.val.numeric;
		iat_len = VARSIZE_ANY(v.val.numeric);
	}
	k->len = 0;
	return jwt_denylist_key_add(k, jti ? VARDATA_ANY(jti) : NULL,
								jti ? VARSIZE_ANY_EXHDR(jti) : 0) &&
		jwt_denylist_key_add(k, sub ? VARDATA_ANY(sub) : NULL,
							 sub ? VARSIZE_ANY_EXHDR(sub) : 0) &&
		jwt_denylist_key_add(k, iat, iat_len);
}

/*
 * With the active snapshot; or, through the cache, as of now: a remembered
 * answer, or lookups with a new snapshot whose negative answer is
 * remembered (denylist_cache.c says why that is exact).
 */
bool
jwt_denylist_is_revoked(Jsonb *claims)
{
	text	   *jti;
	text	   *sub;
	JwtDenylistKey k;
	uint64		generation;
	Snapshot	snapshot;
	bool		revoked;
	bool		cached = false;

	if (!JB_ROOT_IS_OBJECT(claims))
		return false;
	jti = json_out_member_text(claims, "jti", 3);
	sub = json_out_member_text(claims, "sub", 3);
	if (jti == NULL && sub == NULL)
		return false;

	if (jwt_denylist_cache_usable())
	{
		dl_resolve();
		cached = dl.cache_ok && dl_cache_key(&k, jti, sub, claims);
	}
	if (!cached)
		return dl_lookups(jti, sub, claims,
						  ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot());

	if (jwt_denylist_cache_lookup(&k, &generation))
		return false;
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	revoked = dl_lookups(jti, sub, claims, snapshot);
	UnregisterSnapshot(snapshot);
	if (!revoked)
		jwt_denylist_cache_store(&k, generation);
	return revoked;
}

/*
 * Run one kept plan as the extension's owner; returns the rows processed.
 * With "result", the plan returns one boolean column, stored there from
 * the first row (false when there is none).
 *
 * As a SECURITY DEFINER function of the extension would, with search_path
 * set to pg_catalog, pg_temp while it runs: jwt_consume() and
 * jwt_registry_consume() are any role's to call, and the triggers the
 * owner adds to these tables run as the owner, a superuser, so a name
 * they leave unqualified (now(), ||) must not find a caller's function
 * or operator first.  The error paths undo both changes with the
 * (sub)transaction's abort.
 */
static uint64
dl_execute(DlPlan which, Datum *args, const char *nulls, bool *result)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			rc;
	uint64		processed;

	dl_resolve();

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");

	/* the schema changed: the plans name the old one */
	if (dl.plans_nspid != dl.nspid)
	{
		int			i;

		for (i = 0; i < DL_NPLANS; i++)
		{
			if (dl.plans[i] != NULL)
				SPI_freeplan(dl.plans[i]);
			dl.plans[i] = NULL;
		}
		dl.plans_nspid = dl.nspid;
	}

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(dl.owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);

	if (dl.plans[which] == NULL)
	{
		char	   *nspname = get_namespace_name(dl.nspid);
		char	   *query;
		SPIPlanPtr	plan;

		if (nspname == NULL)
			jwt_elog(ERROR, "cannot find the schema of the jwt extension");
		query = psprintf(dl_plan_defs[which].query, quote_identifier(nspname));
		plan = SPI_prepare(query, dl_plan_defs[which].nargs,
						   (Oid *) dl_plan_defs[which].argtypes);
		if (plan == NULL)
			jwt_elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			jwt_elog(ERROR, "SPI_keepplan failed");
		dl.plans[which] = plan;
	}

	rc = SPI_execute_plan(dl.plans[which], args, nulls, false, 0);
	AtEOXact_GUC(true, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (rc < 0)
		jwt_elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));

	processed = SPI_processed;
	if (result)
	{
		*result = false;
		if (processed > 0 && SPI_tuptable != NULL)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull);

			*result = !isnull && DatumGetBool(d);
		}
	}
	SPI_finish();
	return processed;
}

JwtConsumeStatus
jwt_denylist_consume(const char *jti, int len, TimestampTz expires_at)
{
	Datum		args[2];

	args[0] = PointerGetDatum(cstring_to_text_with_len(jti, len));
	args[1] = TimestampTzGetDatum(expires_at);
	if (dl_execute(PLAN_CONSUME, args, NULL, NULL) == 0)
		return JWT_CONSUME_CONSUMED;
	/*
	 * Checked after the insert, with the clock: a purge that removed an
	 * expired row cannot let the token in again.
	 */
	if (GetCurrentTimestamp() >= expires_at)
		return JWT_CONSUME_EXPIRED;
	return JWT_CONSUME_OK;
}

/* ---------------------------------------------------------------------
 * SQL entry points
 * ---------------------------------------------------------------------
 */

/*
 * jwt_is_revoked(claims jsonb) -> boolean.  STRICT.
 */
JWT_FUNCTION(jwt_is_revoked)
{
	PG_RETURN_BOOL(jwt_denylist_is_revoked(PG_GETARG_JSONB_P(0)));
}

/*
 * jwt_consume_jti(jti text, expires_at timestamptz) -> text: 'ok',
 * 'consumed' or 'expired'.  STRICT.  Internal.
 */
JWT_FUNCTION(jwt_consume_jti)
{
	text	   *jti = PG_GETARG_TEXT_PP(0);
	static const char *const status[] = {
		[JWT_CONSUME_OK] = "ok",
		[JWT_CONSUME_CONSUMED] = "consumed",
		[JWT_CONSUME_EXPIRED] = "expired",
	};

	PG_RETURN_TEXT_P(cstring_to_text(status[jwt_denylist_consume(VARDATA_ANY(jti),
																 VARSIZE_ANY_EXHDR(jti),
																 PG_GETARG_TIMESTAMPTZ(1))]));
}

/*
 * jwt_revoke(jti text, expires_at timestamptz, reason text) -> boolean:
 * true when the entry is new.  22004 for a NULL jti.
 */
JWT_FUNCTION(jwt_revoke)
{
	Datum		args[3];
	char		nulls[3];
	bool		inserted;
	int			i;

	if (PG_ARGISNULL(0))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("jti must not be NULL")));
	jwt_stats_count(JWT_STAT_REVOCATION, NULL, JWT_REASON_NONE);
	for (i = 0; i < 3; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	dl_execute(PLAN_REVOKE, args, nulls, &inserted);
	PG_RETURN_BOOL(inserted);
}

/*
 * jwt_revoke_subject(subject text, issued_before timestamptz, expires_at
 * timestamptz, reason text) -> boolean: true when the entry is new.  22004
 * for a NULL subject or issued_before.
 */
JWT_FUNCTION(jwt_revoke_subject)
{
	Datum		args[4];
	char		nulls[4];
	bool		inserted;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("subject and issued_before must not be NULL")));
	jwt_stats_count(JWT_STAT_REVOCATION, NULL, JWT_REASON_NONE);
	for (i = 0; i < 4; i++)
	{
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	dl_execute(PLAN_REVOKE_SUBJECT, args, nulls, &inserted);
	PG_RETURN_BOOL(inserted);
}

/*
 * jwt_purge_expired() -> bigint: delete consumed ids and denylist entries
 * whose expires_at is more than jwt.max_leeway before now(); returns how
 * many rows went.
 */
JWT_FUNCTION(jwt_purge_expired)
{
	TimestampTz cutoff;
	Datum		arg;
	uint64		total = 0;

	cutoff = GetCurrentTransactionStartTimestamp() -
		(TimestampTz) jwt_max_leeway * USECS_PER_SEC;
	arg = TimestampTzGetDatum(cutoff);
	total += dl_execute(PLAN_PURGE_CONSUMED, &arg, NULL, NULL);
	total += dl_execute(PLAN_PURGE_TOKENS, &arg, NULL, NULL);
	total += dl_execute(PLAN_PURGE_SUBJECTS, &arg, NULL, NULL);
	PG_RETURN_INT64((int64) total);
}
