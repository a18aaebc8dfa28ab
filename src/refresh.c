/*-------------------------------------------------------------------------
 *
 * refresh.c
 *		Refresh tokens: opaque token text, its hash, the successor
 *		derivation of the grace window, the trigger that enforces the
 *		rotation rules on the refresh_tokens table, and the rotation itself
 *		(jwt_refresh_rotate).
 *
 * Tokens are 32 bytes in unpadded base64url (43 characters).  A first
 * token is 32 bytes from OpenSSL's CSPRNG; a successor is
 * HMAC-SHA256(retry_key, parent token text), where retry_key is 32 fresh
 * CSPRNG bytes stored with the successor for its grace window only, so
 * that a retry presenting the parent again can recompute the same
 * successor without the table ever holding a usable token.  The table
 * stores SHA-256 of the token text.
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
 * Memory: per call in CurrentMemoryContext (a rotation's executor state
 * is freed before it returns; on an error, with the call's context).  No
 * OpenSSL objects outlive a call: the one-shot digest and HMAC functions
 * allocate none that the caller owns, and errors are raised only after
 * they returned.
 *
 * src/refresh.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "api.h"
#include "base64url.h"
#include "entry.h"
#include "errors.h"
#include "jwt.h"
#include "keys.h"
#include "refresh.h"
#include "registry.h"
#include "stats.h"


/* Bytes of a token, of its hash and of a retry key */
#define REFRESH_TOKEN_BYTES 32
#define REFRESH_HASH_BYTES 32

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
} RefreshCols;

static text *refresh_encode(const unsigned char *bytes);
static text *refresh_successor(text *parent, const unsigned char *key);
static void refresh_cols(TupleDesc desc, RefreshCols *cols);
static void guard_update(Relation rel, const RefreshCols *cols,
						 HeapTuple oldtup, HeapTuple newtup);
static void guard_shape(Relation rel, const RefreshCols *cols,
						HeapTuple tup);
static void guard_insert(Relation rel, const RefreshCols *cols,
						 HeapTuple newtup);
static void guard_delete(Relation rel, const RefreshCols *cols,
						 HeapTuple oldtup);

/*
 * 32 bytes as 43 characters of unpadded base64url, in a new text.
 */
static text *
refresh_encode(const unsigned char *bytes)
{
	int			n = B64URL_ENC_LEN(REFRESH_TOKEN_BYTES);
	text	   *res = palloc(VARHDRSZ + n);

	b64url_encode(bytes, REFRESH_TOKEN_BYTES, VARDATA(res));
	SET_VARSIZE(res, VARHDRSZ + n);
	return res;
}

/*
 * A first token of a family, 256 bits from OpenSSL's CSPRNG, in a new
 * text.
 */
text *
jwt_refresh_first_token(void)
{
	unsigned char buf[REFRESH_TOKEN_BYTES];
	text	   *res;

	ERR_clear_error();
	if (RAND_bytes(buf, sizeof(buf)) != 1)
		jwt_openssl_error("could not generate random bytes");
	res = refresh_encode(buf);
	explicit_bzero(buf, sizeof(buf));
	return res;
}

/*
 * jwt_refresh_new_token() -> text: a first token of a family.
 */
JWT_FUNCTION(jwt_refresh_new_token)
{
	PG_RETURN_TEXT_P(jwt_refresh_first_token());
}

/*
 * The token that succeeds "parent": HMAC-SHA256 keyed with the successor's
 * retry key (32 bytes) over the parent's text, in base64url.  Deterministic,
 * so that a retry in the grace window gets the same successor;
 * unpredictable without the retry key.
 */
static text *
refresh_successor(text *parent, const unsigned char *key)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	unsigned char *ok;
	text	   *res;

	ERR_clear_error();
	ok = HMAC(EVP_sha256(), key, REFRESH_TOKEN_BYTES,
			  (const unsigned char *) VARDATA_ANY(parent),
			  VARSIZE_ANY_EXHDR(parent), mac, &maclen);
	if (ok == NULL || maclen != REFRESH_TOKEN_BYTES)
		jwt_openssl_error("could not compute HMAC-SHA256");
	res = refresh_encode(mac);
	explicit_bzero(mac, sizeof(mac));
	return res;
}

/*
 * SHA-256 of a token's text, in a new bytea: the only form in which the
 * table keeps a token.
 */
bytea *
jwt_refresh_hash(text *token)
{
	bytea	   *res = palloc(VARHDRSZ + REFRESH_HASH_BYTES);
	unsigned int len = 0;

	ERR_clear_error();
	if (EVP_Digest(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
				   (unsigned char *) VARDATA(res), &len, EVP_sha256(),
				   NULL) != 1 || len != REFRESH_HASH_BYTES)
		jwt_openssl_error("could not compute SHA-256");
	SET_VARSIZE(res, VARHDRSZ + REFRESH_HASH_BYTES);
	return res;
}

/*
 * jwt_refresh_token_hash(token text) -> bytea: SHA-256 of the token's text.
 */
JWT_FUNCTION(jwt_refresh_token_hash)
{
	PG_RETURN_BYTEA_P(jwt_refresh_hash(PG_GETARG_TEXT_PP(0)));
}

/*
 * Find the columns by name.  A missing column is a table that is not
 * ours: elog, since no user action leads there.
 */
static void
refresh_cols(TupleDesc desc, RefreshCols *cols)
{
	memset(cols, 0, sizeof(*cols));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		AttrNumber	n = att->attnum;

		if (att->attisdropped)
			continue;
		if (strcmp(name, "token_hash") == 0)
			cols->token_hash = n;
		else if (strcmp(name, "family_id") == 0)
			cols->family_id = n;
		else if (strcmp(name, "generation") == 0)
			cols->generation = n;
		else if (strcmp(name, "parent_hash") == 0)
			cols->parent_hash = n;
		else if (strcmp(name, "subject") == 0)
			cols->subject = n;
		else if (strcmp(name, "issued_at") == 0)
			cols->issued_at = n;
		else if (strcmp(name, "created_at") == 0)
			cols->created_at = n;
		else if (strcmp(name, "expires_at") == 0)
			cols->expires_at = n;
		else if (strcmp(name, "used_at") == 0)
			cols->used_at = n;
		else if (strcmp(name, "revoked_at") == 0)
			cols->revoked_at = n;
		else if (strcmp(name, "revoked_reason") == 0)
			cols->revoked_reason = n;
		else if (strcmp(name, "retry_key") == 0)
			cols->retry_key = n;
		else if (strcmp(name, "retry_until") == 0)
			cols->retry_until = n;
		else if (strcmp(name, "client_ip") == 0)
			cols->client_ip = n;
		else if (strcmp(name, "user_agent") == 0)
			cols->user_agent = n;
		else if (strcmp(name, "metadata") == 0)
			cols->metadata = n;
	}
	if (!cols->token_hash || !cols->family_id || !cols->generation ||
		!cols->parent_hash || !cols->subject || !cols->issued_at ||
		!cols->created_at || !cols->expires_at || !cols->used_at ||
		!cols->revoked_at || !cols->revoked_reason || !cols->retry_key ||
		!cols->retry_until || !cols->client_ip || !cols->user_agent ||
		!cols->metadata)
		jwt_elog(ERROR, "jwt_refresh_tokens_guard: the table lacks a refresh_tokens column");
}

/*
 * Binary equality of two values of one column.  Variable-length values are
 * compared by content, since one may be stored with a short header, or
 * compressed, and the other not.
 */
static bool
value_equal(Datum a, Datum b, Form_pg_attribute attr)
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
	return value_equal(av, bv, attr);
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
	cols->issued_at, cols->created_at};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz oldts,
				newts;
	bool		oldnull,
				newnull;

	for (int i = 0; i < lengthof(fixed); i++)
	{
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
		if (!ok)
			guard_error(rel, cols->parent_hash,
						"a refresh token must succeed its parent",
						"Its parent token belongs to another family or subject, or is not one generation earlier.",
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
	if (!isnull && exp <= GetCurrentTransactionStartTimestamp())
		return;
	guard_error(rel, cols->revoked_at,
				"an active refresh token cannot be deleted",
				"The token is neither used, revoked nor expired.",
				"Revoke its family first, with jwt_refresh_revoke_family().");
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

	refresh_cols(RelationGetDescr(trigdata->tg_relation), &cols);
	if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		guard_update(trigdata->tg_relation, &cols, trigdata->tg_trigtuple,
					 trigdata->tg_newtuple);
		return PointerGetDatum(trigdata->tg_newtuple);
	}
	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
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
		GetCurrentTransactionStartTimestamp();
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
	TimestampTz now = GetCurrentTransactionStartTimestamp();
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
	succ = refresh_successor(token, key);
	keyval = palloc(VARHDRSZ + sizeof(key));
	SET_VARSIZE(keyval, VARHDRSZ + sizeof(key));
	memcpy(VARDATA(keyval), key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	succhash = DirectFunctionCall1(jwt_refresh_token_hash,
								   PointerGetDatum(succ));

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

	/* its successor */
	out->refresh_expires_at = ts_plus(now, lifetime);
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
	EvalPlanQualEnd(&epq);
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	explicit_bzero(VARDATA(keyval), REFRESH_TOKEN_BYTES);

	/* later statements and calls of this transaction see the rotation */
	CommandCounterIncrement();
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
	Oid			argtypes[2] = {UUIDOID, INT4OID};
	Datum		args[2];
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
		out->status = "expired";
		return;
	}

	/* used: a retry within its successor's grace window? */
	relname = quote_qualified_identifier(get_namespace_name(nsp),
										 RelationGetRelationName(rel));
	if (SPI_connect() != SPI_OK_CONNECT)
		jwt_elog(ERROR, "SPI_connect failed");
	query = psprintf("SELECT token_hash, retry_key, expires_at FROM %s "
					 "WHERE family_id OPERATOR(pg_catalog.=) $1 "
					 "AND generation OPERATOR(pg_catalog.=) $2 "
					 "AND retry_key IS NOT NULL "
					 "AND retry_until OPERATOR(pg_catalog.>) pg_catalog.now() "
					 "AND expires_at OPERATOR(pg_catalog.>) pg_catalog.now()",
					 relname);
	args[0] = out->family_id;
	args[1] = Int32GetDatum(DatumGetInt32(OLDVAL(cols->generation)) + 1);
	ret = SPI_execute_with_args(query, 2, argtypes, args, NULL, false, 1);
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
		succ = refresh_successor(token,
								 (const unsigned char *) VARDATA_ANY(key));
		MemoryContextSwitchTo(spicxt);
		succhash = DirectFunctionCall1(jwt_refresh_token_hash,
									   PointerGetDatum(succ));
		if (value_equal(succhash, childhash,
						TupleDescAttr(RelationGetDescr(rel),
									  cols->token_hash - 1)))
		{
			out->status = "rotated";
			jwt_stats_count(JWT_STAT_REFRESH_ROTATION, NULL, JWT_REASON_NONE);
			out->refresh_token = succ;
			out->refresh_expires_at =
				DatumGetTimestampTz(SPI_getbinval(child, cdesc, 3, &isnull));
			SPI_finish();
			return;
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
 * The access token of a rotation: the caller's claims plus "sub", "sid"
 * and "exp", signed with the key argument (by jwt_sign's C function, so
 * that keys and algorithms behave exactly as there) or, when it is NULL,
 * by the key registry's (a C call: no function is looked up by name).
 */
static text *
rotate_sign(FunctionCallInfo fcinfo, JwtKeyForm form, RotateOutcome *rot,
			TimestampTz *access_expires_at)
{
	Interval   *access = PG_GETARG_INTERVAL_P(RA_ACCESS_EXPIRES_IN);
	TimestampTz exp_ts;
	int64		exp;
	JsonbParseState *ps = NULL;
	JsonbValue	k,
				v;
	Jsonb	   *ours;
	Datum		claims;
	text	   *tok;
	JwtSignParams params;
	char	   *sid;

	/* exp: whole seconds, from the statement's start as jwt_sign's iat */
	exp_ts = ts_plus(GetCurrentStatementStartTimestamp(), access);
	{
		int64		frac = exp_ts % USECS_PER_SEC;

		if (frac < 0)
			frac += USECS_PER_SEC;
		exp_ts -= frac;
	}
	exp = exp_ts / USECS_PER_SEC + JWT_UNIX_EPOCH_OFFSET_SECS;
	*access_expires_at = exp_ts;

	sid = DatumGetCString(DirectFunctionCall1(uuid_out, rot->family_id));
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "sub";
	k.val.string.len = 3;
	pushJsonbValue(&ps, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = TextDatumGetCString(rot->subject);
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
	if (PG_ARGISNULL(RA_CLAIMS))
		claims = JsonbPGetDatum(ours);
	else
		claims = DirectFunctionCall2(jsonb_concat, PG_GETARG_DATUM(RA_CLAIMS),
									 JsonbPGetDatum(ours));

	memset(&params, 0, sizeof(params));
	if (PG_ARGISNULL(RA_KEY))
		tok = jwt_registry_sign_with(DatumGetJsonbP(claims),
									 PG_ARGISNULL(RA_ALGORITHM) ? NULL :
									 PG_GETARG_TEXT_PP(RA_ALGORITHM),
									 &params);
	else
	{
		/* jwt_sign(claims, key, algorithm): the key is read first */
		JwtKey	   *key = jwt_key_from_datum(PG_GETARG_DATUM(RA_KEY), form);
		text	   *algname = PG_ARGISNULL(RA_ALGORITHM) ? NULL :
			PG_GETARG_TEXT_PP(RA_ALGORITHM);
		const JwtAlg *alg = algname == NULL ? jwt_sign_default_alg(key) :
			jwt_alg_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname));

		tok = jwt_sign_with(DatumGetJsonbP(claims), key, alg, &params,
							JWT_STATS_COUNT);
	}
	return tok;
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
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
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
		Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
		Oid			relid = get_relname_relid("refresh_tokens", nsp);
		Relation	rel;
		RefreshCols cols;
		TupleTableSlot *slot;
		Oid			pkindex;
		Datum		hash;
		bool		found;

		if (!OidIsValid(relid))
			jwt_elog(ERROR, "jwt_refresh_rotate: table refresh_tokens not found");
		rel = table_open(relid, RowExclusiveLock);
		refresh_cols(RelationGetDescr(rel), &cols);
		pkindex = RelationGetPrimaryKeyIndex_compat(rel);
		if (!OidIsValid(pkindex))
			jwt_elog(ERROR, "jwt_refresh_rotate: refresh_tokens has no primary key");
		hash = DirectFunctionCall1(jwt_refresh_token_hash,
								   PointerGetDatum(token));
		slot = table_slot_create(rel, NULL);
		found = rotate_find_and_lock(rel, pkindex, hash, slot);
		if (found && refresh_live(&cols, slot))
			rotate_live(rel, &cols, slot, token, grace, refresh_expires_in,
						client_ip, user_agent, &rot);
		else
			rotate_not_live(rel, &cols, slot, found, token, &rot);
		ExecDropSingleTupleTableSlot(slot);
		table_close(rel, NoLock);
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

		values[RO_REFRESH_TOKEN] = PointerGetDatum(rot.refresh_token);
		nulls[RO_REFRESH_TOKEN] = false;
		values[RO_REFRESH_EXPIRES_AT] =
			TimestampTzGetDatum(rot.refresh_expires_at);
		nulls[RO_REFRESH_EXPIRES_AT] = false;
		values[RO_ACCESS_TOKEN] =
			PointerGetDatum(rotate_sign(fcinfo, form, &rot,
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
