/*-------------------------------------------------------------------------
 *
 * registry.c
 *		The key registry: jwt_registry_keyset, jwt_registry_add,
 *		jwt_registry_rotate, jwt_registry_retire, jwt_registry_retire_due,
 *		jwt_registry_sign, jwt_registry_verify, jwt_registry_validate,
 *		jwt_jwks, jwt_registry_keyset_definer, and the trigger that keeps
 *		the per-backend cache of the keys current.
 *
 * None of this calls another function of the extension by name: signing,
 * verifying and reading keys are C calls (api.h), so that a look-alike a
 * role planted in the extension's schema (jwt_sign(text, text, text), ...)
 * is never resolved in their place, nor makes a call ambiguous.
 *
 * Reading.  jwt_keys is found in the extension's schema (pg_extension's
 * extnamespace) and scanned directly, without privilege checks: the
 * readers are the registry's SECURITY DEFINER functions, the internal
 * jwt_registry_keyset(), and jwt_registry_authenticate/consume, which
 * verify with the keys on the caller's behalf and cannot be SECURITY
 * DEFINER.  The rows that are not retired are kept per backend, with the
 * JWK Sets built from them, in a context under TopMemoryContext, as long
 * as the table's triggers jwt_keys_invalidate (per statement) and
 * jwt_keys_invalidate_rows (per row: logical replication's apply worker
 * fires no statement trigger) are in place and enabled ALWAYS: they send
 * a relcache invalidation for jwt_keys after every INSERT, UPDATE, DELETE
 * or TRUNCATE (pg_cron keeps its job cache so), which empties the cache
 * in every backend once the change commits (each use of the cache looks
 * for invalidations first, so a statement that locks no table sees it
 * too), and in the changing backend at its next command or at a rollback;
 * a cache read by a transaction that may have written the table is also
 * emptied when that transaction, or one of its subtransactions, rolls back
 * or is prepared (registry_cache_tentative).
 * Without them (a database still at 0.1.1, a trigger disabled or
 * dropped) the table is read for each call.  The scan uses the latest
 * snapshot, so that a cache never holds rows older than an invalidation
 * it has seen; an invalidation during the scan leaves the result uncached.
 * The cached signing keys are wiped when the cache goes.
 *
 * Writing (add, rotate, retire) goes through SPI, as the caller (these are
 * not SECURITY DEFINER: they need the caller's privileges on jwt_keys),
 * with the table schema-qualified, every operator and function
 * pg_catalog-qualified and every parameter of its exact type.
 *
 * Errors: those of jwt_sign, jwt_verify and the key reader, raised by the
 * same code; the registry's own as the PL/pgSQL versions raised them.
 * Every entry point keeps its statement out of the server log (entry.h).
 *
 * src/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/hashfn.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "api.h"
#include "base64url.h"
#include "crypto.h"
#include "encoding.h"
#include "entry.h"
#include "errors.h"
#include "extension.h"
#include "json_out.h"
#include "key_export.h"
#include "key_import.h"
#include "registry.h"
#include "token_cache.h"

#define REGISTRY_TABLE		"jwt_keys"
#define REGISTRY_TRIGGER	"jwt_keys_invalidate"
#define REGISTRY_ROW_TRIGGER	"jwt_keys_invalidate_rows"
#define REGISTRY_TRIGGER_FUNCTION	"jwt_keys_invalidate"

/* One key that is not retired */
typedef struct RegistryRow
{
	text	   *kid;
	text	   *algorithm;
	text	   *signing_key;	/* an active key's, once the backend signs
								 * (registry_signing); else NULL */
	Jsonb	   *vkey;			/* verification_key */
	bool		active;
	TimestampTz created_at;
	text	   *issuer;			/* an identity provider's key: NULL for ours */
	Jsonb	   *jwk;			/* row_jwk(), for the key set */
	bool		usable;			/* jwt_key_jwk_usable(jwk) */
} RegistryRow;

/* The registry's keys, and what is built from them */
typedef struct RegistryKeys
{
	MemoryContext cxt;			/* holds all of this */
	int			nrows;
	RegistryRow *rows;			/* in kid order */
	int			nusable;		/* rows that are usable */
	Jsonb	   *keyset;			/* jwt_registry_keyset(): the usable rows */
	JwtKeyMemo	keyset_key;		/* keyset as a key, once verified with */
	Jsonb	   *jwks;			/* jwt_jwks(), NULL until asked for */
} RegistryKeys;

/* The columns read, in this order */
static const struct
{
	const char *name;
	Oid			type;
}			registry_columns[] = {
	{"kid", TEXTOID},
	{"algorithm", TEXTOID},
	{"signing_key", TEXTOID},
	{"verification_key", JSONBOID},
	{"status", TEXTOID},
	{"created_at", TIMESTAMPTZOID},
	{"issuer", TEXTOID},		/* 0.1.2; absent before the update */
};

#define RC_KID			0
#define RC_ALGORITHM	1
#define RC_SIGNING_KEY	2
#define RC_VKEY			3
#define RC_STATUS		4
#define RC_CREATED_AT	5
#define RC_ISSUER		6
#define RC_COUNT		7

static RegistryKeys *registry_cache = NULL;
static Oid	registry_cache_relid = InvalidOid;

/*
 * Whether this backend has signed with the registry: only then are the
 * active keys' private keys read into the cache.  A backend that only
 * verifies (an API's, most of them) never holds one in its memory, where
 * a core dump, a debugger or a bug elsewhere could show it.  (An HMAC
 * key's secret is its verification key: verifying needs it.)
 */
static bool registry_signing = false;
static Oid	registry_loading_relid = InvalidOid;
static uint64 registry_invals = 0;
static bool registry_callback_set = false;

/*
 * The cache was read by a transaction that may have written jwt_keys (it
 * had a transaction id): its rows may be that transaction's own, not yet
 * committed.  The invalidation its triggers queue reaches this backend at
 * its next command, or at a rollback; but a statement that fails after
 * reading the registry (its AFTER triggers not fired yet, or a deferred
 * constraint checked at the COMMIT of an implicit transaction) takes its
 * own queued invalidations with it.  So such a cache goes at a rollback,
 * a subtransaction's rollback and PREPARE (its rows are not committed),
 * and is an ordinary one once the transaction commits.
 */
static bool registry_cache_tentative = false;
static bool registry_xact_callback_set = false;

/* ---------------------------------------------------------------------
 * Reading and caching
 * ---------------------------------------------------------------------
 */

/* Wipe the signing keys of a set of rows and free it. */
static void
registry_free(RegistryKeys *keys)
{
	int			i;

	for (i = 0; i < keys->nrows; i++)
	{
		text	   *sk = keys->rows[i].signing_key;

		if (sk != NULL)
			OPENSSL_cleanse(sk, VARSIZE(sk));
	}
	MemoryContextDelete(keys->cxt);
}

/* Forget the cached rows (their signing keys wiped) */
static void
registry_drop_cache(void)
{
	RegistryKeys *keys = registry_cache;

	if (keys == NULL)
		return;
	registry_cache = NULL;
	registry_cache_relid = InvalidOid;
	registry_free(keys);
}

static void
registry_inval_callback(Datum arg, Oid relid)
{
	if (relid != InvalidOid && relid != registry_cache_relid &&
		relid != registry_loading_relid)
		return;
	registry_invals++;
	/* tokens verified with the old key set (token_cache.c) */
	jwt_token_cache_reset();
	if (relid == InvalidOid || relid == registry_cache_relid)
		registry_drop_cache();
}

static void
registry_drop_tentative(void)
{
	registry_cache_tentative = false;
	registry_inval_callback((Datum) 0, InvalidOid);
}

static void
registry_xact_callback(XactEvent event, void *arg)
{
	if (!registry_cache_tentative)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			registry_cache_tentative = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			registry_drop_tentative();
			break;
		default:
			break;
	}
}

static void
registry_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (registry_cache_tentative && event == SUBXACT_EVENT_ABORT_SUB)
		registry_drop_tentative();
}

/*
 * Whether jwt_keys must have its "issuer" column: from 0.1.2 on.  Before
 * the update a table without it is the 0.1.1 one; after it, a table
 * without it had the column dropped, which would turn an identity
 * provider's keys into the database's own (they would verify every
 * token, with any issuer).
 */
static bool
registry_has_issuer(void)
{
	char	   *v = jwt_extension_version();

	return strcmp(v, "0.1.0") != 0 && strcmp(v, "0.1.1") != 0;
}

static char *
registry_table_name(void)
{
	return jwt_extension_table(REGISTRY_TABLE);
}

/*
 * Whether jwt_keys has its invalidation triggers, enabled whatever
 * session_replication_role says: the statement trigger for every kind of
 * change (TRUNCATE included) and the row trigger for every row inserted,
 * updated or deleted (logical replication's apply worker fires no
 * statement trigger), both unconditional and calling the extension's
 * jwt_keys_invalidate.
 */
static bool
registry_trigger_ok(Relation rel)
{
	TriggerDesc *td;
	bool		statement = false;
	bool		rows = false;
	bool		ok = true;
	int			i;

	/*
	 * A copy (NULL without triggers): the function lookups below can
	 * process an invalidation of jwt_keys, and rebuilding the relation
	 * frees its trigger list.  (The caller does not cache what was read
	 * across an invalidation.)
	 */
	td = CopyTriggerDesc(rel->trigdesc);
	if (td == NULL)
		return false;
	for (i = 0; i < td->numtriggers && ok; i++)
	{
		Trigger    *t = &td->triggers[i];
		bool		is_row;
		char	   *fname;

		if (strcmp(t->tgname, REGISTRY_TRIGGER) == 0)
			is_row = false;
		else if (strcmp(t->tgname, REGISTRY_ROW_TRIGGER) == 0)
			is_row = true;
		else
			continue;
		if (t->tgenabled != TRIGGER_FIRES_ALWAYS ||
			!TRIGGER_FOR_AFTER(t->tgtype) ||
			(TRIGGER_FOR_ROW(t->tgtype) != 0) != is_row ||
			!TRIGGER_FOR_INSERT(t->tgtype) || !TRIGGER_FOR_UPDATE(t->tgtype) ||
			!TRIGGER_FOR_DELETE(t->tgtype) ||
			(!is_row && !TRIGGER_FOR_TRUNCATE(t->tgtype)) ||
			t->tgnattr != 0 || t->tgqual != NULL ||
			get_func_namespace(t->tgfoid) != RelationGetNamespace(rel) ||
			(fname = get_func_name(t->tgfoid)) == NULL ||
			strcmp(fname, REGISTRY_TRIGGER_FUNCTION) != 0)
			ok = false;
		else if (is_row)
			rows = true;
		else
			statement = true;
	}
	FreeTriggerDesc(td);
	return ok && statement && rows;
}

static Oid	sort_collation;

static int
row_kid_cmp(const void *a, const void *b)
{
	const RegistryRow *ra = (const RegistryRow *) a;
	const RegistryRow *rb = (const RegistryRow *) b;

	return varstr_cmp(VARDATA_ANY(ra->kid), VARSIZE_ANY_EXHDR(ra->kid),
					  VARDATA_ANY(rb->kid), VARSIZE_ANY_EXHDR(rb->kid),
					  sort_collation);
}

/* jwt_jwks' order: created_at DESC, kid */
static int
row_jwks_cmp(const void *a, const void *b)
{
	const RegistryRow *ra = *(RegistryRow *const *) a;
	const RegistryRow *rb = *(RegistryRow *const *) b;

	if (ra->created_at != rb->created_at)
		return ra->created_at > rb->created_at ? -1 : 1;
	return row_kid_cmp(ra, rb);
}

static void
push_text_pair(JsonbParseState **ps, const char *key, const char *val,
			   int len)
{
	JsonbValue	k,
				v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = (char *) val;
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/*
 * The members of a JWK that are private key material (RFC 7518 section 6,
 * RFC 8037): never published, and not needed to verify except "k".
 */
static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k"
};

static bool
alg_is_hmac(const text *alg)
{
	return VARSIZE_ANY_EXHDR(alg) >= 2 && memcmp(VARDATA_ANY(alg), "HS", 2) == 0;
}

/*
 * verification_key || {"kid": kid, "alg": algorithm}, without private
 * members unless the key is an HMAC secret: a private JWK written as a
 * verification key verifies as its public part, and the set, which
 * jwt_registry_keyset() shows, carries nothing more.
 */
static Jsonb *
row_jwk(const RegistryRow *row)
{
	JsonbParseState *ps = NULL;
	Jsonb	   *extra;
	Datum		vkey = JsonbPGetDatum(row->vkey);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_text_pair(&ps, "kid", VARDATA_ANY(row->kid), VARSIZE_ANY_EXHDR(row->kid));
	push_text_pair(&ps, "alg", VARDATA_ANY(row->algorithm),
				   VARSIZE_ANY_EXHDR(row->algorithm));
	extra = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	if (!alg_is_hmac(row->algorithm))
	{
		for (int i = 0; i < lengthof(private_members); i++)
		{
			if (JB_ROOT_IS_OBJECT(row->vkey) &&
				getKeyJsonValueFromContainer(&row->vkey->root, private_members[i],
											 strlen(private_members[i]), NULL) != NULL)
				vkey = DirectFunctionCall2(jsonb_delete, vkey,
										   CStringGetTextDatum(private_members[i]));
		}
	}
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, vkey,
											  JsonbPGetDatum(extra)));
}

/*
 * What jwt_key_jwk_usable said of a row's JWK, remembered per backend by
 * the JWK's bytes: two 64-bit hashes and the length, never the bytes (an
 * HMAC secret among them).  Loads that cannot be cached (SERIALIZABLE, a
 * parallel worker: every verification reads the table) do not build every
 * key again, and a key that cannot be used is warned about once per
 * backend rather than at every load.  Bounded: emptied when full.
 */
typedef struct VerdictKey
{
	uint64		h1;
	uint64		h2;
	int32		len;
} VerdictKey;

typedef struct Verdict
{
	VerdictKey	key;
	bool		usable;
} Verdict;

#define VERDICTS_MAX	4096

static HTAB *verdicts = NULL;

static bool
row_usable(RegistryRow *row, int nrows)
{
	VerdictKey	k;
	Verdict    *v;
	char	   *why = NULL;
	bool		usable;

	memset(&k, 0, sizeof(k));
	k.len = VARSIZE(row->jwk);
	k.h1 = hash_bytes_extended((const unsigned char *) row->jwk, k.len, 0);
	k.h2 = hash_bytes_extended((const unsigned char *) row->jwk, k.len,
							   UINT64CONST(0x9E3779B97F4A7C15));
	if (verdicts != NULL &&
		(v = hash_search(verdicts, &k, HASH_FIND, NULL)) != NULL)
		return v->usable;

	usable = jwt_key_jwk_usable(row->jwk, &why);
	if (!usable)
		jwt_ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of jwt_keys cannot be used and is left out",
						jwt_clip(text_to_cstring(row->kid), 64)),
				 errdetail("Its verification key was refused: %s", why),
				 errhint("Retire the key, or replace its verification_key.")));

	/* room for twice the registry's rows, so that no load empties it */
	if (verdicts != NULL &&
		hash_get_num_entries(verdicts) >= Max(VERDICTS_MAX, 2 * (long) nrows))
	{
		hash_destroy(verdicts);
		verdicts = NULL;
	}
	if (verdicts == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(VerdictKey);
		ctl.entrysize = sizeof(Verdict);
		verdicts = hash_create("jwt registry key verdicts", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS);
	}
	v = hash_search(verdicts, &k, HASH_ENTER, NULL);
	v->usable = usable;
	return usable;
}

/* {"keys": [elems...]} */
static Jsonb *
jwk_set(Jsonb **elems, int n)
{
	JsonbParseState *ps = NULL;
	JsonbValue	k;
	int			i;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "keys";
	k.val.string.len = 4;
	pushJsonbValue(&ps, WJB_KEY, &k);
	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		JsonbValue	v;

		v.type = jbvBinary;
		v.val.binary.data = &elems[i]->root;
		v.val.binary.len = VARSIZE(elems[i]) - VARHDRSZ;
		pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

static bool
text_is(text *t, const char *s)
{
	int			len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/*
 * Read the rows of jwt_keys that are not retired into a new context under
 * CurrentMemoryContext, with the JWK Sets built from them.  *cacheable
 * says whether the invalidation trigger is in place.
 */
static RegistryKeys *
registry_load(Oid relid, bool *cacheable)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "jwt key registry",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old;
	RegistryKeys *keys;
	Relation	rel;
	TupleDesc	td;
	int			att[RC_COUNT];
	Snapshot	snap;
	TableScanDesc scan;
	HeapTuple	tup;
	int			cap = 8;
	int			i,
				j;
	Jsonb	  **elems;

	rel = table_open(relid, AccessShareLock);
	td = RelationGetDescr(rel);
	*cacheable = registry_trigger_ok(rel);
	for (i = 0; i < RC_COUNT; i++)
	{
		att[i] = -1;
		for (j = 0; j < td->natts; j++)
		{
			Form_pg_attribute a = TupleDescAttr(td, j);

			if (a->attisdropped ||
				strcmp(NameStr(a->attname), registry_columns[i].name) != 0)
				continue;
			if (a->atttypid != registry_columns[i].type)
				jwt_column_type_error(REGISTRY_TABLE, registry_columns[i].name,
									  a->atttypid, registry_columns[i].type);
			att[i] = j;
		}
		if (att[i] < 0 && (i != RC_ISSUER || registry_has_issuer()))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table jwt_keys has no column \"%s\"",
							registry_columns[i].name),
					 errdetail("The table was altered; the extension reads it as it created it.")));
	}
	sort_collation = TupleDescAttr(td, att[RC_KID])->attcollation;

	old = MemoryContextSwitchTo(cxt);
	keys = palloc0(sizeof(RegistryKeys));
	keys->cxt = cxt;
	keys->rows = palloc(sizeof(RegistryRow) * cap);

	/*
	 * The latest snapshot, not the transaction's: the rows may be cached
	 * beyond this transaction.  A parallel worker cannot take one, and a
	 * SERIALIZABLE transaction reads with its own (a scan takes predicate
	 * locks): they use the active snapshot and cache nothing.
	 */
	if (IsInParallelMode() || IsolationIsSerializable())
	{
		snap = RegisterSnapshot(GetActiveSnapshot());
		*cacheable = false;
	}
	else
		snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Datum		values[RC_COUNT];
		bool		nulls[RC_COUNT];
		RegistryRow *row;

		for (i = 0; i < RC_COUNT; i++)
		{
			values[i] = (Datum) 0;
			nulls[i] = true;
			if (att[i] >= 0)
				values[i] = heap_getattr(tup, att[i] + 1, td, &nulls[i]);
		}
		if (nulls[RC_KID] || nulls[RC_ALGORITHM] || nulls[RC_VKEY] ||
			nulls[RC_STATUS] || nulls[RC_CREATED_AT])
			continue;			/* NOT NULL columns */
		if (text_is(DatumGetTextPP(values[RC_STATUS]), "retired"))
			continue;
		if (keys->nrows == cap)
		{
			cap *= 2;
			keys->rows = repalloc(keys->rows, sizeof(RegistryRow) * cap);
		}
		row = &keys->rows[keys->nrows++];
		row->kid = DatumGetTextPCopy(values[RC_KID]);
		row->algorithm = DatumGetTextPCopy(values[RC_ALGORITHM]);
		row->vkey = DatumGetJsonbPCopy(values[RC_VKEY]);
		row->active = text_is(DatumGetTextPP(values[RC_STATUS]), "active");
		/* signing takes an active key's only, and only when it signs */
		row->signing_key = nulls[RC_SIGNING_KEY] || !row->active ||
			!registry_signing ? NULL :
			DatumGetTextPCopy(values[RC_SIGNING_KEY]);
		row->created_at = DatumGetTimestampTz(values[RC_CREATED_AT]);
		row->issuer = nulls[RC_ISSUER] ? NULL : DatumGetTextPCopy(values[RC_ISSUER]);
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);

	/*
	 * jwt_registry_keyset(): every usable key, in kid order.  A key that
	 * cannot be used (a row its owner wrote by hand, a key type or curve
	 * this build cannot read) is left out with a warning that names its
	 * kid and what is wrong: one such row must not stop the others from
	 * verifying, as a JWK Set's reader skips what it cannot use (RFC 7517,
	 * section 5).
	 */
	qsort(keys->rows, keys->nrows, sizeof(RegistryRow), row_kid_cmp);
	elems = palloc(sizeof(Jsonb *) * Max(keys->nrows, 1));
	for (i = 0; i < keys->nrows; i++)
	{
		RegistryRow *row = &keys->rows[i];

		CHECK_FOR_INTERRUPTS();
		row->jwk = row_jwk(row);
		row->usable = row_usable(row, keys->nrows);
		if (row->usable)
			elems[keys->nusable++] = row->jwk;
	}
	keys->keyset = jwk_set(elems, keys->nusable);


	MemoryContextSwitchTo(old);
	return keys;
}

/*
 * The registry's keys: the cached ones, or freshly read (and cached when
 * the trigger allows).  Give them back with registry_release().
 */
static RegistryKeys *
registry_keys(void)
{
	RegistryKeys *keys;
	Oid			relid;
	uint64		invals;
	bool		cacheable;

	/*
	 * A change another backend committed since this one last took a lock:
	 * a statement that reads no table (a verification with a token given
	 * as a literal, inside a transaction block) would otherwise keep using
	 * keys retired before it started.  Cheap when nothing is queued.
	 */
	if (registry_cache != NULL)
		AcceptInvalidationMessages();
	if (registry_cache != NULL)
		return registry_cache;
	if (!registry_callback_set)
	{
		CacheRegisterRelcacheCallback(registry_inval_callback, (Datum) 0);
		registry_callback_set = true;
	}
	relid = get_relname_relid(REGISTRY_TABLE, jwt_extension_schema(NULL));
	if (!OidIsValid(relid))
		jwt_elog(ERROR, "the key registry's table jwt_keys is missing");

	registry_loading_relid = relid;
	invals = registry_invals;
	PG_TRY();
	{
		keys = registry_load(relid, &cacheable);
	}
	PG_FINALLY();
	{
		registry_loading_relid = InvalidOid;
	}
	PG_END_TRY();

	/*
	 * Cache the rows unless an invalidation of the table arrived while they
	 * were read: they may be older than the change it announced.
	 */
	if (cacheable && invals == registry_invals)
	{
		if (!registry_xact_callback_set)
		{
			RegisterXactCallback(registry_xact_callback, NULL);
			RegisterSubXactCallback(registry_subxact_callback, NULL);
			registry_xact_callback_set = true;
		}
		MemoryContextSetParent(keys->cxt, TopMemoryContext);
		registry_cache = keys;
		registry_cache_relid = relid;
		registry_cache_tentative =
			TransactionIdIsValid(GetTopTransactionIdIfAny());
	}
	return keys;
}

static void
registry_release(RegistryKeys *keys)
{
	if (keys != registry_cache)
		registry_free(keys);
}

static Jsonb *
jsonb_copy(Jsonb *jb)
{
	Jsonb	   *copy = palloc(VARSIZE(jb));

	memcpy(copy, jb, VARSIZE(jb));
	return copy;
}

Jsonb *
jwt_registry_keyset_get(void)
{
	RegistryKeys *keys = registry_keys();
	Jsonb	   *ks = jsonb_copy(keys->keyset);

	registry_release(keys);
	return ks;
}

/* ---------------------------------------------------------------------
 * Signing and verifying
 * ---------------------------------------------------------------------
 */

/* {} */
static Jsonb *
empty_object(void)
{
	JsonbParseState *ps = NULL;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
}

/*
 * Before the backend's first signature with the registry: the cached rows
 * were read without their signing keys, so they are read again with them.
 */
static void
registry_want_signing_keys(void)
{
	if (registry_signing)
		return;
	registry_signing = true;
	registry_cache_tentative = false;
	registry_drop_cache();
}

text *
jwt_registry_sign_with(Jsonb *claims, text *algorithm,
					   const JwtSignParams *params)
{
	RegistryKeys *keys;
	RegistryRow *pick = NULL;
	int			n = 0;
	int			i;
	text	   *kid = NULL;
	text	   *algname = NULL;
	text	   *sk = NULL;
	bool		usable = true;
	JsonbParseState *ps = NULL;
	Jsonb	   *kid_header;
	JwtSignParams p;
	JwtKey	   *key;
	const JwtAlg *alg;
	text	   *token;

	registry_want_signing_keys();
	keys = registry_keys();
	for (i = 0; i < keys->nrows; i++)
	{
		RegistryRow *row = &keys->rows[i];

		if (!row->active)
			continue;
		if (algorithm != NULL &&
			(VARSIZE_ANY_EXHDR(row->algorithm) != VARSIZE_ANY_EXHDR(algorithm) ||
			 memcmp(VARDATA_ANY(row->algorithm), VARDATA_ANY(algorithm),
					VARSIZE_ANY_EXHDR(algorithm)) != 0))
			continue;
		n++;
		pick = row;
	}
	if (n == 1 && pick->signing_key != NULL)
	{
		kid = DatumGetTextPCopy(PointerGetDatum(pick->kid));
		algname = DatumGetTextPCopy(PointerGetDatum(pick->algorithm));
		sk = DatumGetTextPCopy(PointerGetDatum(pick->signing_key));
		usable = pick->usable;
	}
	registry_release(keys);

	if (n == 0)
	{
		char	   *alg_s = algorithm ? text_to_cstring(algorithm) : NULL;

		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no active key in the registry%s",
						alg_s ? psprintf(" for algorithm \"%s\"", alg_s) : ""),
				 errhint("Create one with jwt_registry_rotate(%s).",
						 quote_literal_cstr(alg_s ? alg_s : "ES256"))));
	}
	if (n > 1)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the registry has %d active keys", n),
				 errhint("Pass the algorithm to choose one.")));
	if (sk == NULL)				/* the table's CHECK rules this out */
		jwt_elog(ERROR, "the active registry key has no signing key");
	if (!usable)				/* no token nobody could verify */
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the active registry key \"%s\" cannot be used: its verification key was refused",
						jwt_clip(text_to_cstring(kid), 64)),
				 errhint("Rotate to a new key with jwt_registry_rotate(%s).",
						 quote_literal_cstr(text_to_cstring(algname)))));

	/* coalesce(header, '{}') || {"kid": kid}, as jwt_sign then reads it */
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_text_pair(&ps, "kid", VARDATA_ANY(kid), VARSIZE_ANY_EXHDR(kid));
	kid_header = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
	p = *params;
	p.header = params->header ? params->header : empty_object();
	p.header = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
												  JsonbPGetDatum(p.header),
												  JsonbPGetDatum(kid_header)));

	key = jwt_key_get(VARDATA_ANY(sk), VARSIZE_ANY_EXHDR(sk), JWT_FORM_TEXT);
	alg = jwt_alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));
	token = jwt_sign_with(claims, key, alg, &p, JWT_STATS_COUNT | JWT_STATS_KID);
	OPENSSL_cleanse(sk, VARSIZE(sk));
	return token;
}

/* Positions of jwt_registry_verify's and jwt_registry_validate's arguments */
#define RV_TOKEN		0
#define RV_ALGORITHMS	1
#define RV_AUDIENCES	10	/* after "at" */

typedef struct RegistryVerifyCache
{
	JwtVerifySite *site;
	TupleDesc	tupdesc;
} RegistryVerifyCache;

static RegistryVerifyCache *
verify_cache(FunctionCallInfo fcinfo)
{
	RegistryVerifyCache *vc = (RegistryVerifyCache *) fcinfo->flinfo->fn_extra;

	if (vc == NULL)
	{
		vc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									sizeof(RegistryVerifyCache));
		vc->site = jwt_verify_site_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = vc;
	}
	return vc;
}

/*
 * The key to verify with, the registry's JWK Set, or NULL when the
 * registry has no key that is not retired (a JWK Set without keys is no key
 * at all).  The cached rows remember it: a verification neither copies nor
 * hashes the set.
 */
JwtKey *
jwt_registry_verify_key(void)
{
	RegistryKeys *keys = registry_keys();
	JwtKey	   *key = NULL;

	if (keys->nusable > 0)
		key = jwt_key_get_owned(&keys->keyset_key, (const char *) keys->keyset,
								VARSIZE(keys->keyset), JWT_FORM_JSONB);
	registry_release(keys);
	return key;
}

void
jwt_registry_no_key_error(void)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the key registry has no key to verify with"),
			 errhint("Create one with jwt_registry_rotate('ES256').")));
}

/*
 * A key imported for an identity provider verifies only that provider's
 * tokens: when the key that verified "res" (the one its kid names, or
 * without a kid the only one of its algorithm, as the key picker chose it)
 * belongs to an issuer, the token's "iss" must be that issuer, else the
 * token is rejected as issuer_mismatch.  Otherwise one provider's tokens
 * (any of its users can get one) would pass for another's, or for ours,
 * wherever the caller does not check "issuer".  Cost: one pass over the
 * cached keys after a signature verified.
 *
 * The keys are read again here, and may have changed since the token was
 * verified (an import that replaced the issuer's keys committed in
 * between, its invalidation arriving while the verifying keys were read):
 * a key that is no longer in the registry cannot say its issuer, nor can
 * the first of several keys of the algorithm of a token without a kid (one
 * added since), so the token is rejected as unknown_key rather than let
 * through unbound.
 */
void
jwt_registry_check_issuer(JwtVerifyResult *res)
{
	RegistryKeys *keys;
	RegistryRow *row = NULL;
	text	   *issuer = NULL;
	int			nrows = 0;
	int			i;

	if (res->reason != JWT_REASON_NONE || res->claims == NULL || res->alg == NULL)
		return;
	keys = registry_keys();
	for (i = 0; i < keys->nrows; i++)
	{
		RegistryRow *r = &keys->rows[i];

		if (!r->usable)
			continue;			/* not in the set that verified */
		if (res->kid != NULL ? text_is(r->kid, res->kid) :
			text_is(r->algorithm, res->alg->name))
		{
			if (row == NULL)
				row = r;
			nrows++;
		}
	}
	if (row != NULL && row->issuer != NULL)
		issuer = DatumGetTextPCopy(PointerGetDatum(row->issuer));
	registry_release(keys);

	if (nrows != 1)
	{
		res->reason = JWT_REASON_UNKNOWN_KEY;
		res->detail = pstrdup("The key that verified the token is no longer the registry's one key for it");
		return;
	}

	if (issuer != NULL)
	{
		JsonbValue	v;

		if (getKeyJsonValueFromContainer(&res->claims->root, "iss", 3, &v) == NULL ||
			v.type != jbvString ||
			v.val.string.len != VARSIZE_ANY_EXHDR(issuer) ||
			memcmp(v.val.string.val, VARDATA_ANY(issuer), v.val.string.len) != 0)
		{
			res->reason = JWT_REASON_ISSUER_MISMATCH;
			res->detail = psprintf("The key that verified the token was imported for issuer \"%s\", which claim \"iss\" does not name",
								   jwt_clip(text_to_cstring(issuer), 64));
		}
	}
}

/*
 * Verify with the registry's keys.  An empty registry raises 55000 when
 * "raise" (jwt_registry_verify, as jwt_registry_authenticate and
 * jwt_registry_consume do); otherwise (jwt_registry_validate) the token is
 * rejected as unknown_key.
 */
static void
registry_verify(FunctionCallInfo fcinfo, RegistryVerifyCache *vc, bool raise,
				JwtVerifyResult *res)
{
	text	   *token = PG_GETARG_TEXT_PP(RV_TOKEN);
	JwtKey	   *key = jwt_registry_verify_key();
	JwtVerifyParams params;

	jwt_verify_params_from_args(fcinfo, RV_ALGORITHMS, true, RV_AUDIENCES, &params);
	if (key == NULL)
	{
		if (raise)
			jwt_registry_no_key_error();
		memset(res, 0, sizeof(*res));
		res->reason = JWT_REASON_UNKNOWN_KEY;
		res->detail = pstrdup("The key registry has no key to verify with");
		return;
	}
	jwt_verify_with(vc->site, VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
					key, &params, JWT_STATS_COUNT | JWT_STATS_KID, res);
	jwt_registry_check_issuer(res);
}

/*
 * jwt_registry_verify(token, algorithms, audience, issuer, subject, typ,
 * require, max_age, leeway, at, audiences) -> jsonb: jwt_verify with the
 * registry's keys; NULL for a NULL token.
 */
JWT_FUNCTION(jwt_registry_verify)
{
	JwtVerifyResult res;

	if (PG_ARGISNULL(RV_TOKEN))
		PG_RETURN_NULL();
	registry_verify(fcinfo, verify_cache(fcinfo), true, &res);
	if (res.reason != JWT_REASON_NONE)
		jwt_report(res.reason, res.detail, false);
	PG_RETURN_JSONB_P(res.claims);
}

/*
 * jwt_registry_validate(...) -> (valid, reason, header, claims): the same
 * without raising for a rejected token; all NULL for a NULL token.
 */
JWT_FUNCTION(jwt_registry_validate)
{
	RegistryVerifyCache *vc = verify_cache(fcinfo);
	JwtVerifyResult res;

	(void) jwt_result_tupdesc(fcinfo, &vc->tupdesc);
	if (PG_ARGISNULL(RV_TOKEN))
		PG_RETURN_DATUM(jwt_validate_row(vc->tupdesc, NULL));
	registry_verify(fcinfo, vc, false, &res);
	PG_RETURN_DATUM(jwt_validate_row(vc->tupdesc, &res));
}

/*
 * jwt_registry_sign(claims, algorithm, header, expires_in, not_before):
 * NULL for NULL claims.
 */
JWT_FUNCTION(jwt_registry_sign)
{
	JwtSignParams params;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	params.header = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	params.expires_in = PG_ARGISNULL(3) ? NULL : PG_GETARG_INTERVAL_P(3);
	params.not_before = PG_ARGISNULL(4) ? NULL : PG_GETARG_INTERVAL_P(4);
	PG_RETURN_TEXT_P(jwt_registry_sign_with(PG_GETARG_JSONB_P(0),
											PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
											&params));
}

/*
 * jwt_registry_keyset() -> jsonb: the JWK Set the registry verifies with.
 * Not SECURITY DEFINER: as in 0.1.1, the caller needs SELECT on jwt_keys
 * besides EXECUTE.
 */
JWT_FUNCTION(jwt_registry_keyset)
{
	Oid			relid = get_relname_relid(REGISTRY_TABLE, jwt_extension_schema(NULL));

	if (OidIsValid(relid) &&
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, REGISTRY_TABLE);
	PG_RETURN_JSONB_P(jwt_registry_keyset_get());
}

/* jwt_registry_keyset_definer(): the same (SECURITY DEFINER in 0.1.1) */
JWT_FUNCTION(jwt_registry_keyset_definer)
{
	PG_RETURN_JSONB_P(jwt_registry_keyset_get());
}

/*
 * jwt_jwks(): no HMAC secret, newest first; no identity provider's key
 * either: whoever trusts our JWKS would accept that provider's tokens as
 * ours.  No key that cannot be used or does not allow verifying, and no
 * RSA key shorter than signing allows (2048 bits: relying parties may
 * accept less).  Each key is
 * written from the key as the key reader built it (jwt_key_jwk_public):
 * its public members, "use", "kid" and "alg", nothing else a row holds.
 * Built when first asked for, in the keys' context.
 */
static Jsonb *
registry_jwks(RegistryKeys *keys)
{
	MemoryContext cxt;
	MemoryContext old;
	RegistryRow **pub;
	Jsonb	  **elems;
	Jsonb	   *jwks;
	int			npub = 0;
	int			n = 0;

	if (keys->jwks != NULL)
		return keys->jwks;
	/* the keys built on the way go with a context of their own */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "jwt jwks",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	pub = palloc(sizeof(RegistryRow *) * Max(keys->nrows, 1));
	elems = palloc(sizeof(Jsonb *) * Max(keys->nrows, 1));
	for (int i = 0; i < keys->nrows; i++)
	{
		if (keys->rows[i].usable && !alg_is_hmac(keys->rows[i].algorithm) &&
			keys->rows[i].issuer == NULL)
			pub[npub++] = &keys->rows[i];
	}
	qsort(pub, npub, sizeof(RegistryRow *), row_jwks_cmp);
	for (int i = 0; i < npub; i++)
	{
		Jsonb	   *jwk;

		CHECK_FOR_INTERRUPTS();
		jwk = jwt_key_jwk_public(pub[i]->jwk, 2048);
		if (jwk != NULL)
			elems[n++] = jwk;
	}
	jwks = jwk_set(elems, n);
	MemoryContextSwitchTo(old);
	keys->jwks = MemoryContextAlloc(keys->cxt, VARSIZE(jwks));
	memcpy(keys->jwks, jwks, VARSIZE(jwks));
	MemoryContextDelete(cxt);
	return keys->jwks;
}

/* jwt_jwks() -> jsonb: the public keys, newest first */
JWT_FUNCTION(jwt_jwks)
{
	RegistryKeys *keys = registry_keys();
	Jsonb	   *jwks = jsonb_copy(registry_jwks(keys));

	registry_release(keys);
	PG_RETURN_JSONB_P(jwks);
}

/* ---------------------------------------------------------------------
 * Adding, rotating, retiring
 * ---------------------------------------------------------------------
 */

static Jsonb *
jsonb_minus(Jsonb *obj, const char *name)
{
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(obj),
											  CStringGetTextDatum(name)));
}

/* jwt_sign('{}', key, algorithm): raises when the key cannot sign with it */
static void
registry_sign_check(text *keytext, text *algorithm)
{
	JwtKey	   *key = jwt_key_get(VARDATA_ANY(keytext), VARSIZE_ANY_EXHDR(keytext),
								  JWT_FORM_TEXT);
	const JwtAlg *alg = jwt_alg_from_name(VARDATA_ANY(algorithm),
										  VARSIZE_ANY_EXHDR(algorithm));
	JwtSignParams params;

	memset(&params, 0, sizeof(params));
	(void) jwt_sign_with(empty_object(), key, alg, &params, JWT_STATS_NONE);
}

/* Whether the text holds "-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----" */
static bool
has_private_pem(const char *s, int len)
{
	static const char begin[] = "-----BEGIN ";
	static const char tail[] = "PRIVATE KEY-----";
	int			bl = sizeof(begin) - 1;
	int			tl = sizeof(tail) - 1;
	int			i;

	for (i = 0; i + bl <= len; i++)
	{
		int			j;

		if (memcmp(s + i, begin, bl) != 0)
			continue;
		for (j = i + bl;; j++)
		{
			if (j + tl <= len && memcmp(s + j, tail, tl) == 0)
				return true;
			if (j >= len ||
				!((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9') ||
				  s[j] == ' '))
				break;
		}
	}
	return false;
}

/*
 * Unpadded base64url of an HMAC secret given as text: its bytes as they
 * are, in the database encoding, the bytes jwt_sign (and so the registry's
 * signing) takes from the same text.  (In UTF-8, the bytes of another
 * encoding's non-ASCII characters would be another secret: the registry
 * could not verify its own tokens.)
 */
static char *
b64url_secret(const char *s, int len)
{
	char	   *out = palloc(B64URL_ENC_LEN(len) + 1);
	int			n = b64url_encode((const unsigned char *) s, len, out);

	out[n] = '\0';
	return out;
}

/* The RFC 7638 thumbprint of an "oct" key whose "k" is given */
static text *
oct_thumbprint(text *k)
{
	char	   *member = k ? text_to_cstring(k) : pstrdup("");
	char	   *kid = jwt_oct_thumbprint(member);

	OPENSSL_cleanse(member, strlen(member));
	return cstring_to_text(kid);
}

/*
 * Refuse a retire_after that is negative (22023) or that now() plus it
 * would take past the end of timestamptz (22008), before any work.
 */
static void
check_retire_after(Interval *retire_after)
{
	Interval	zero;

	memset(&zero, 0, sizeof(zero));
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp,
										  IntervalPGetDatum(retire_after),
										  IntervalPGetDatum(&zero))) < 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retire_after must not be negative")));
	(void) jwt_time_arg(GetCurrentTransactionStartTimestamp(), retire_after, 1,
						"retire_after");
}

/*
 * jwt_registry_add's work (its current body was the PL/pgSQL one of
 * jwt--0.1.0--0.1.1.sql): check the key, derive the verification key and
 * kid, then demote the algorithm's active key and insert the new one.
 */
static text *
registry_add(text *key, text *algorithm, text *kid, text *status,
			 Interval *retire_after)
{
	const char *kb;
	int			kl;
	char	   *jwk = NULL;		/* the key as JSON text, when a JWK */
	Jsonb	   *vkey;
	bool		public_only;
	text	   *new_kid;
	bool		active;
	char	   *table;
	int			ret;

	if (key == NULL || algorithm == NULL || status == NULL)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("key, algorithm and status must not be NULL")));
	active = text_is(status, "active");
	if (!active && !text_is(status, "verify_only"))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("status must be \"active\" or \"verify_only\"")));
	if (retire_after != NULL)
		check_retire_after(retire_after);

	/*
	 * A JWK when, after a byte order mark and ASCII white space, it starts
	 * with "{" (what the key reader of jwt_sign does with text).
	 */
	kb = VARDATA_ANY(key);
	kl = VARSIZE_ANY_EXHDR(key);
	if (kl >= 3 && memcmp(kb, "\xef\xbb\xbf", 3) == 0)
	{
		kb += 3;
		kl -= 3;
	}
	while (kl > 0 && (*kb == ' ' || *kb == '\t' || *kb == '\n' ||
					  *kb == '\v' || *kb == '\f' || *kb == '\r'))
	{
		kb++;
		kl--;
	}
	if (kl > 0 && *kb == '{')
		jwk = pnstrdup(kb, kl);

	if (VARSIZE_ANY_EXHDR(algorithm) >= 2 &&
		memcmp(VARDATA_ANY(algorithm), "HS", 2) == 0)
	{
		/*
		 * An HMAC secret (text) or an "oct" JWK: verification needs the
		 * secret.  The key reader decides which, and raises for anything
		 * else (a PEM, another kind of JWK, malformed JSON, a secret too
		 * short for the algorithm); so the JSON below is valid.
		 */
		text	   *from_jwk;

		registry_sign_check(key, algorithm);
		if (jwk != NULL)
			vkey = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(jwk)));
		else
		{
			JsonbParseState *ps = NULL;
			char	   *k = b64url_secret(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));

			pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
			push_text_pair(&ps, "kty", "oct", 3);
			push_text_pair(&ps, "k", k, strlen(k));
			vkey = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
			OPENSSL_cleanse(k, strlen(k));
		}
		public_only = false;
		new_kid = kid;
		if (new_kid == NULL)
			new_kid = json_out_member_text(vkey, "kid", 3);
		if (new_kid == NULL)
		{
			from_jwk = json_out_member_text(vkey, "k", 1);
			new_kid = oct_thumbprint(from_jwk);
			if (from_jwk)
				OPENSSL_cleanse(from_jwk, VARSIZE(from_jwk));
		}
	}
	else
	{
		JwtKey	   *jk = jwt_key_get(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key),
									 JWT_FORM_TEXT);
		JsonbParseState *ps = NULL;
		Jsonb	   *alg_member;
		Jsonb	   *bound;
		JwtVerifyParams params;
		JwtVerifyResult res;

		vkey = jwt_key_public_jwk(jk);
		/* the key reader has read the key, so the JSON is valid */
		public_only = !has_private_pem(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
		if (public_only && jwk != NULL)
		{
			Datum		parsed = DirectFunctionCall1(jsonb_in, CStringGetDatum(jwk));

			public_only = !DatumGetBool(DirectFunctionCall2(jsonb_exists, parsed,
															CStringGetTextDatum("d")));
			OPENSSL_cleanse(DatumGetPointer(parsed), VARSIZE(DatumGetPointer(parsed)));
		}
		/* the private key must sign with this algorithm (raises otherwise) */
		if (!public_only)
			registry_sign_check(key, algorithm);

		/*
		 * The key must serve the algorithm: binding it raises otherwise (as
		 * jwt_validate('e30.e30.', vkey || {"alg": algorithm}) did).
		 */
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		push_text_pair(&ps, "alg", VARDATA_ANY(algorithm), VARSIZE_ANY_EXHDR(algorithm));
		alg_member = JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL));
		bound = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
												   JsonbPGetDatum(vkey),
												   JsonbPGetDatum(alg_member)));
		memset(&params, 0, sizeof(params));
		jwt_verify_with(jwt_verify_site_create(CurrentMemoryContext),
						"e30.e30.", 8,
						jwt_key_get((const char *) bound, VARSIZE(bound), JWT_FORM_JSONB),
						&params, JWT_STATS_NONE, &res);
		new_kid = kid ? kid : json_out_member_text(vkey, "kid", 3);
	}
	vkey = jsonb_minus(jsonb_minus(vkey, "kid"), "alg");
	if (jwk != NULL)
		OPENSSL_cleanse(jwk, strlen(jwk));

	if (public_only && active)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a public key cannot be the active signing key"),
				 errhint("Add it with status => 'verify_only'.")));

	table = registry_table_name();
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	/* one rotation at a time */
	ret = SPI_execute(psprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", table),
					  false, 0);
	if (ret != SPI_OK_UTILITY)
		jwt_elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	if (active)
	{
		Oid			types[2] = {INTERVALOID, TEXTOID};
		Datum		values[2];
		char		nulls[3] = "  ";

		values[0] = IntervalPGetDatum(retire_after);
		if (retire_after == NULL)
			nulls[0] = 'n';
		values[1] = PointerGetDatum(algorithm);
		ret = SPI_execute_with_args(psprintf("UPDATE %s k"
											 " SET status = 'verify_only'::pg_catalog.text,"
											 " retire_after = pg_catalog.now() OPERATOR(pg_catalog.+) $1"
											 " WHERE k.algorithm OPERATOR(pg_catalog.=) $2"
											 " AND k.status OPERATOR(pg_catalog.=) 'active'::pg_catalog.text",
											 table),
									2, types, values, nulls, false, 0);
		if (ret != SPI_OK_UPDATE)
			jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	}
	{
		Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID};
		Datum		values[5];
		char		nulls[6] = "     ";
		SPIPlanPtr	plan;

		values[0] = PointerGetDatum(new_kid);
		if (new_kid == NULL)
			nulls[0] = 'n';
		values[1] = PointerGetDatum(algorithm);
		values[2] = PointerGetDatum(key);
		if (public_only)
			nulls[2] = 'n';
		values[3] = JsonbPGetDatum(vkey);
		values[4] = PointerGetDatum(status);

		/*
		 * A generic plan: the key stays a parameter ($3, $4) in the plan,
		 * where a one-shot or custom plan would hold it as a constant for
		 * EXPLAIN VERBOSE to print (auto_explain with log_verbose and
		 * log_nested_statements, debug_print_plan).
		 */
		plan = SPI_prepare_cursor(psprintf("INSERT INTO %s"
										   " (kid, algorithm, signing_key, verification_key, status)"
										   " VALUES ($1, $2, $3, $4, $5)",
										   table),
								  5, types, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			jwt_elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
		ret = SPI_execute_plan(plan, values, nulls, false, 0);
		if (ret != SPI_OK_INSERT)
			jwt_elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	}
	SPI_finish();
	return new_kid;
}

/*
 * jwt_registry_add(key, algorithm, kid, status, retire_after) -> text:
 * the kid of the added key.
 */
JWT_FUNCTION(jwt_registry_add)
{
	PG_RETURN_TEXT_P(registry_add(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0),
								  PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1),
								  PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
								  PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3),
								  PG_ARGISNULL(4) ? NULL : PG_GETARG_INTERVAL_P(4)));
}

/*
 * jwt_registry_rotate(algorithm, retire_after) -> text: a new key of the
 * algorithm becomes its active key.  NULL for a NULL algorithm; a NULL or
 * negative retire_after is refused (22023), as jwt_registry_add refuses a
 * negative one.
 */
JWT_FUNCTION(jwt_registry_rotate)
{
	text	   *algorithm;
	const JwtAlg *alg;
	Jsonb	   *jwk;
	char	   *jwk_text;
	text	   *key;
	text	   *kid;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retire_after must not be NULL"),
				 errhint("Give the longest lifetime of the tokens the current key signed.")));
	check_retire_after(PG_GETARG_INTERVAL_P(1));
	algorithm = PG_GETARG_TEXT_PP(0);
	alg = jwt_alg_from_name(VARDATA_ANY(algorithm), VARSIZE_ANY_EXHDR(algorithm));
	jwk = jwt_key_generate(alg);
	jwk_text = JsonbToCString(NULL, &jwk->root, VARSIZE(jwk));
	key = cstring_to_text(jwk_text);

	OPENSSL_cleanse(jwk_text, strlen(jwk_text));
	kid = registry_add(key, algorithm, json_out_member_text(jwk, "kid", 3),
					   cstring_to_text("active"), PG_GETARG_INTERVAL_P(1));
	OPENSSL_cleanse(VARDATA(key), VARSIZE(key) - VARHDRSZ);
	OPENSSL_cleanse(jwk, VARSIZE(jwk));
	PG_RETURN_TEXT_P(kid);
}

/* UPDATE jwt_keys ... SET status = 'retired' WHERE <cond>; rows changed */
static uint64
registry_retire_where(const char *cond, int nargs, Oid *types, Datum *values)
{
	int			ret;
	uint64		n;

	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(psprintf("UPDATE %s k"
										 " SET status = 'retired'::pg_catalog.text,"
										 " retired_at = pg_catalog.now()"
										 " WHERE %s",
										 registry_table_name(), cond),
								nargs, types, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	n = SPI_processed;
	SPI_finish();
	return n;
}

/* jwt_registry_retire(kid) -> boolean: retired now.  STRICT. */
JWT_FUNCTION(jwt_registry_retire)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = PG_GETARG_DATUM(0);
	PG_RETURN_BOOL(registry_retire_where("k.kid OPERATOR(pg_catalog.=) $1"
										 " AND k.status OPERATOR(pg_catalog.<>) 'retired'::pg_catalog.text",
										 1, types, values) > 0);
}

/* jwt_registry_retire_due() -> integer: verify-only keys retired */
JWT_FUNCTION(jwt_registry_retire_due)
{
	PG_RETURN_INT32((int32) registry_retire_where("k.status OPERATOR(pg_catalog.=) 'verify_only'::pg_catalog.text"
												  " AND k.retire_after OPERATOR(pg_catalog.<=) pg_catalog.now()",
												  0, NULL, NULL));
}

/*
 * jwt_keys_invalidate(): AFTER ... FOR EACH STATEMENT and FOR EACH ROW
 * trigger on jwt_keys; every backend's cache of the registry's keys is
 * emptied once the change commits.  The relcache invalidation is queued
 * once per transaction however many rows fire it (inval.c keeps no
 * duplicates).
 */
JWT_FUNCTION(jwt_keys_invalidate)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		jwt_elog(ERROR, "jwt_keys_invalidate: not called by trigger manager");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/*
 * jwt_keys_check(): BEFORE INSERT OR UPDATE row trigger on jwt_keys, which
 * checks what the table's NOT NULL and CHECK constraints check, before
 * they do.  A row that breaks one of those is shown by PostgreSQL in the
 * error's detail ("Failing row contains (...)"), to the client and in the
 * server log, signing key included (its first 64 bytes hold the whole
 * private scalar of an ES256 or EdDSA key).  These errors name the rule
 * (a NULL gets PostgreSQL's message, through jwt_refuse_nulls) and the
 * kid, which is public (every token carries it), and no other value; the
 * statement, which may quote the key, is kept out of the log (entry.h).  The constraints stay, for a row that a BEFORE trigger of
 * the owner's own, fired after this one, changes.
 */
static Datum
keys_check_column(HeapTuple tup, TupleDesc desc, const char *name,
				  Oid type, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);
	Oid			have;

	*isnull = true;
	if (attnum <= 0 && strcmp(name, "issuer") == 0 && !registry_has_issuer())
		return (Datum) 0;		/* "issuer" before the update to 0.1.2 */
	if (attnum <= 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table jwt_keys has no column \"%s\"", name),
				 errdetail("The table was altered; the extension reads it as it created it.")));
	/* a value read as "type": a column its owner changed is refused */
	have = TupleDescAttr(desc, attnum - 1)->atttypid;
	if (OidIsValid(type) && have != type)
		jwt_column_type_error(REGISTRY_TABLE, name, have, type);
	return heap_getattr(tup, attnum, desc, isnull);
}

pg_noreturn static void
keys_check_fail(Relation rel, int sqlstate, const char *detail, const char *msg)
{
	jwt_ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", msg),
			 errdetail_internal("%s", detail),
			 errtable(rel)));
}

JWT_FUNCTION(jwt_keys_check)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	static const char *const not_null[] = {"algorithm", "verification_key",
	"status", "created_at"};
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		isnull;
	Datum		d;
	char	   *kid;
	const char *detail;
	char	   *status;
	bool		has_signing_key;
	bool		has_retired_at;
	text	   *issuer = NULL;
	text	   *alg;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		jwt_elog(ERROR, "jwt_keys_check: not called as a BEFORE INSERT OR UPDATE row trigger");
	rel = trigdata->tg_relation;
	if (RelationGetRelid(rel) != get_relname_relid(REGISTRY_TABLE, jwt_extension_schema(NULL)))
		jwt_elog(ERROR, "jwt_keys_check: fired for a table other than the extension's jwt_keys");
	desc = RelationGetDescr(rel);
	tup = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	d = keys_check_column(tup, desc, "kid", TEXTOID, &isnull);
	if (isnull)
	{
		jwt_refuse_nulls(rel, tup, JWT_ROW_NOT_SHOWN);
		keys_check_fail(rel, ERRCODE_NOT_NULL_VIOLATION, JWT_ROW_NOT_SHOWN,
						"a key of jwt_keys needs a kid");
	}
	kid = TextDatumGetCString(d);
	detail = psprintf("Key \"%s\" of table \"%s\"; the row's other values are not shown.",
					  jwt_clip(kid, 64), RelationGetRelationName(rel));
	jwt_refuse_nulls(rel, tup, detail);

	/*
	 * The same columns by name, for a table whose owner dropped one of
	 * their NOT NULL constraints: the rules below read two of them, and the
	 * registry skips a row that lacks any.
	 */
	for (int i = 0; i < lengthof(not_null); i++)
	{
		(void) keys_check_column(tup, desc, not_null[i], InvalidOid, &isnull);
		if (isnull)
			keys_check_fail(rel, ERRCODE_NOT_NULL_VIOLATION, detail,
							psprintf("column \"%s\" of jwt_keys must not be null", not_null[i]));
	}
	if (kid[0] == '\0')
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, JWT_ROW_NOT_SHOWN,
						"the kid of a key of jwt_keys must not be empty");
	alg = DatumGetTextPP(keys_check_column(tup, desc, "algorithm", TEXTOID, &isnull));
	if (jwt_alg_by_name(VARDATA_ANY(alg), VARSIZE_ANY_EXHDR(alg)) == NULL)
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"the algorithm of a key of jwt_keys must be a JOSE signature algorithm (\"HS256\" ... \"EdDSA\")");
	status = TextDatumGetCString(keys_check_column(tup, desc, "status", TEXTOID, &isnull));
	if (strcmp(status, "active") != 0 && strcmp(status, "verify_only") != 0 &&
		strcmp(status, "retired") != 0)
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"the status of a key of jwt_keys must be \"active\", \"verify_only\" or \"retired\"");
	(void) keys_check_column(tup, desc, "signing_key", InvalidOid, &isnull);
	has_signing_key = !isnull;
	(void) keys_check_column(tup, desc, "retired_at", InvalidOid, &isnull);
	has_retired_at = !isnull;
	d = keys_check_column(tup, desc, "issuer", TEXTOID, &isnull);
	if (!isnull)
		issuer = DatumGetTextPP(d);

	if (issuer != NULL && VARSIZE_ANY_EXHDR(issuer) == 0)
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"the issuer of a key of jwt_keys must not be empty");
	if (strcmp(status, "active") == 0 && !has_signing_key)
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"an active key of jwt_keys needs a signing key");
	if ((strcmp(status, "retired") == 0) != has_retired_at)
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"a key of jwt_keys has retired_at if and only if its status is \"retired\"");
	if (issuer != NULL && (has_signing_key || strcmp(status, "active") == 0))
		keys_check_fail(rel, ERRCODE_CHECK_VIOLATION, detail,
						"a key of jwt_keys imported for an issuer neither signs nor is active");
	return PointerGetDatum(tup);
}

/* ---------------------------------------------------------------------
 * Importing an identity provider's JWK Set
 * ---------------------------------------------------------------------
 */

/* A string member of a JWK, or NULL; 22023 when present but not a string */
static char *
jwk_string_member(JsonbContainer *jwk, const char *name, int index)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(jwk, name, strlen(name), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key %d of the JWK Set has a \"%s\" that is not a string", index + 1, name),
				 errdetail("Nothing was imported.")));
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* Does the JWK's "key_ops", when present, allow verifying? */
static bool
jwk_ops_verify(JsonbContainer *jwk)
{
	JsonbValue	v;
	JsonbValue	op;
	int			i;
	int			n;

	if (getKeyJsonValueFromContainer(jwk, "key_ops", 7, &v) == NULL)
		return true;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		return false;
	n = JsonContainerSize(v.val.binary.data);
	for (i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(v.val.binary.data, i);

		op = *e;
		if (op.type == jbvString && op.val.string.len == 6 &&
			memcmp(op.val.string.val, "verify", 6) == 0)
			return true;
	}
	return false;
}

typedef struct ImportedKey
{
	char	   *kid;
	const char *alg;
	Jsonb	   *vkey;
} ImportedKey;

/*
 * jwt_registry_import_jwks(jwks, issuer) -> integer: replace the keys of
 * "issuer" with the signature keys of the JWK Set "jwks" (an identity
 * provider's published set), verify-only, and return how many there are.
 *
 * Refused (22023), with nothing changed: a set that is not {"keys": [...]},
 * a key that is not an object, carries private or secret material ("d",
 * "p", "q", "dp", "dq", "qi", "oth", or "k": the message names the member,
 * never its value), has no "kid", a kid twice in the set or held by a key
 * of another issuer or by one of ours, a key the reader refuses, an RSA key
 * under jwt.min_rsa_bits, and a set with no signature key at all (so that a
 * refresh job that fetched an error page cannot empty the issuer's keys).
 * Skipped: keys for encryption ("use" other than "sig", "key_ops" without
 * "verify", a JWE "alg" such as RSA-OAEP).  A key's algorithm is its "alg",
 * else the one its curve or type serves, else RS256 for an RSA key (what
 * OpenID Connect providers sign with when they do not say).
 *
 * As the caller, through SPI, like jwt_registry_add: EXECUTE is revoked
 * from PUBLIC, and the caller needs INSERT and DELETE on jwt_keys.  One
 * statement: an error leaves the registry as it was.
 */
JWT_FUNCTION(jwt_registry_import_jwks)
{
	Jsonb	   *jwks;
	text	   *issuer;
	JsonbValue	keys_v;
	JsonbContainer *arr;
	int			n;
	int			i;
	int			j;
	ImportedKey *imported;
	int			nimported = 0;
	char	   *table;
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("jwks and issuer must not be NULL")));
	jwks = PG_GETARG_JSONB_P(0);
	issuer = PG_GETARG_TEXT_PP(1);
	if (VARSIZE_ANY_EXHDR(issuer) == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("issuer must not be empty"),
				 errhint("Pass the \"iss\" its tokens carry, for example 'https://example.eu.auth0.com/'.")));
	PreventCommandIfReadOnly("jwt_registry_import_jwks()");
	PreventCommandIfParallelMode("jwt_registry_import_jwks()");
	if (!JB_ROOT_IS_OBJECT(jwks) ||
		getKeyJsonValueFromContainer(&jwks->root, "keys", 4, &keys_v) == NULL ||
		keys_v.type != jbvBinary || !JsonContainerIsArray(keys_v.val.binary.data))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("jwks must be a JWK Set: a JSON object with a \"keys\" array"),
				 errhint("Pass the document the provider publishes at its jwks_uri.")));
	arr = keys_v.val.binary.data;
	n = JsonContainerSize(arr);
	/* as for a JWK Set passed as a key: a provider publishes a handful */
	jwt_key_check_set_size(n, JWT_MAX_JWKS_KEYS);
	imported = palloc(sizeof(ImportedKey) * Max(n, 1));

	for (i = 0; i < n; i++)
	{
		JsonbValue	ev = *getIthJsonbValueFromContainer(arr, i);
		JsonbContainer *jwk;
		Jsonb	   *jb;
		char	   *kid;
		char	   *use;
		char	   *alg_name;
		const JwtAlg *alg = NULL;
		JwtKey	   *key;
		int			m;

		CHECK_FOR_INTERRUPTS();
		if (ev.type != jbvBinary || !JsonContainerIsObject(ev.val.binary.data))
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key %d of the JWK Set is not a JSON object", i + 1),
					 errdetail("Nothing was imported.")));
		jwk = ev.val.binary.data;

		/* private or secret material: refuse the whole set, quoting none */
		for (m = 0; m < lengthof(private_members); m++)
		{
			JsonbValue	pv;

			if (getKeyJsonValueFromContainer(jwk, private_members[m],
											 strlen(private_members[m]), &pv) != NULL)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the JWK Set carries private key material"),
						 errdetail("Key %d has the member \"%s\"; an identity provider publishes public keys only.  Nothing was imported.",
								   i + 1, private_members[m]),
						 errhint("Import the provider's published JWK Set; add keys of your own with jwt_registry_add().")));
		}

		/* keys for encryption are skipped */
		use = jwk_string_member(jwk, "use", i);
		if ((use != NULL && strcmp(use, "sig") != 0) || !jwk_ops_verify(jwk))
			continue;
		alg_name = jwk_string_member(jwk, "alg", i);
		if (alg_name != NULL)
		{
			alg = jwt_alg_by_name(alg_name, strlen(alg_name));
			if (alg == NULL || alg->family == JWT_FAMILY_HMAC)
				continue;		/* RSA-OAEP, ECDH-ES, ...: not for signatures */
		}

		kid = jwk_string_member(jwk, "kid", i);
		if (kid == NULL || kid[0] == '\0')
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key %d of the JWK Set has no \"kid\"", i + 1),
					 errdetail("The registry picks an imported key by the kid of the token.  Nothing was imported.")));
		for (j = 0; j < nimported; j++)
		{
			if (strcmp(imported[j].kid, kid) == 0)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("kid \"%s\" appears twice in the JWK Set", jwt_clip(kid, 64)),
						 errdetail("Nothing was imported.")));
		}

		/* read the key as verification would (raises for a bad one) */
		jb = JsonbValueToJsonb(&ev);
		key = jwt_key_get((const char *) jb, VARSIZE(jb), JWT_FORM_JSONB);
		if (key->kind == JWT_KEY_SECRET || key->kind == JWT_KEY_SET || key->has_private)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key %d of the JWK Set is not a public key", i + 1),
					 errdetail("Nothing was imported.")));
		if (key->kind == JWT_KEY_RSA && key->bits < jwt_min_rsa_bits)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key %d of the JWK Set is a %d-bit RSA key, under jwt.min_rsa_bits (%d)",
							i + 1, key->bits, jwt_min_rsa_bits),
					 errdetail("Nothing was imported.")));
		if (alg == NULL)
		{
			JwtAlgSet	u = key->usable;

			if (u != 0 && (u & (u - 1)) == 0)
				alg = jwt_alg_by_id(pg_rightmost_one_pos32(u));
			else if (key->kind == JWT_KEY_RSA && (u & JWT_ALG_BIT(JWT_ALG_RS256)))
				alg = jwt_alg_by_id(JWT_ALG_RS256);
			else
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("key %d of the JWK Set says no \"alg\" and serves several", i + 1),
						 errdetail("Nothing was imported.")));
		}
		if ((key->usable & JWT_ALG_BIT(alg->id)) == 0)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key %d of the JWK Set does not serve its algorithm \"%s\"", i + 1, alg->name),
					 errdetail("It is %s.  Nothing was imported.", jwt_key_describe(key))));

		imported[nimported].kid = kid;
		imported[nimported].alg = alg->name;
		imported[nimported].vkey = jsonb_minus(jsonb_minus(jsonb_minus(jwt_key_public_jwk(key), "kid"),
														   "alg"), "use");
		nimported++;
	}
	if (nimported == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the JWK Set has no signature key to import"),
				 errdetail("The keys of issuer \"%s\" are left as they were.",
						   jwt_clip(text_to_cstring(issuer), 64))));

	table = registry_table_name();
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	/* one change of the registry at a time, as jwt_registry_add */
	ret = SPI_execute(psprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", table),
					  false, 0);
	if (ret != SPI_OK_UTILITY)
		jwt_elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));

	/*
	 * A kid held by a key of another issuer, or by one of ours.  Not read
	 * only, so that in READ COMMITTED the query sees what committed while
	 * the lock was awaited (the primary key would refuse it anyway, less
	 * clearly).
	 */
	for (j = 0; j < nimported; j++)
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		values[2];

		values[0] = CStringGetTextDatum(imported[j].kid);
		values[1] = PointerGetDatum(issuer);
		ret = SPI_execute_with_args(psprintf("SELECT k.issuer FROM %s k"
											 " WHERE k.kid OPERATOR(pg_catalog.=) $1"
											 " AND k.issuer IS DISTINCT FROM $2",
											 table),
									2, types, values, NULL, false, 1);
		if (ret != SPI_OK_SELECT)
			jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
		if (SPI_processed > 0)
		{
			bool		isnull;

			(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			jwt_ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("kid \"%s\" is already in the registry, %s",
							jwt_clip(imported[j].kid, 64),
							isnull ? "for a key of this database" : "for another issuer"),
					 errdetail("A kid names one key of the registry.  Nothing was imported.")));
		}
	}

	{
		Oid			types[1] = {TEXTOID};
		Datum		values[1];

		values[0] = PointerGetDatum(issuer);
		ret = SPI_execute_with_args(psprintf("DELETE FROM %s k WHERE k.issuer OPERATOR(pg_catalog.=) $1",
											 table),
									1, types, values, NULL, false, 0);
		if (ret != SPI_OK_DELETE)
			jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	}
	for (j = 0; j < nimported; j++)
	{
		Oid			types[4] = {TEXTOID, TEXTOID, JSONBOID, TEXTOID};
		Datum		values[4];

		values[0] = CStringGetTextDatum(imported[j].kid);
		values[1] = CStringGetTextDatum(imported[j].alg);
		values[2] = JsonbPGetDatum(imported[j].vkey);
		values[3] = PointerGetDatum(issuer);
		ret = SPI_execute_with_args(psprintf("INSERT INTO %s"
											 " (kid, algorithm, signing_key, verification_key, status, issuer)"
											 " VALUES ($1, $2, NULL, $3, 'verify_only'::pg_catalog.text, $4)",
											 table),
									4, types, values, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			jwt_elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	}
	SPI_finish();
	PG_RETURN_INT32(nimported);
}
