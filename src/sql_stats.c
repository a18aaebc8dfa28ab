/*-------------------------------------------------------------------------
 *
 * sql_stats.c
 *		SQL entry points of the operability feature: jwt_stats(),
 *		jwt_stats_info(), jwt_stats_reset(), jwt_stats_bump() and
 *		jwt_key_usage(), behind the views jwt_stats, jwt_stats_info and
 *		jwt_key_health.
 *
 * Without the library in shared_preload_libraries nothing is counted, and
 * these functions say so instead of failing: jwt_stats() returns a single
 * row whose kind is "counting_off", jwt_stats_info() says counting =
 * false, jwt_key_usage() returns no rows and jwt_stats_bump() returns
 * false.  Only jwt_stats_reset() raises (55000), as pg_stat_statements_reset
 * does: a reset that cannot happen should not look as if it did.
 *
 * src/sql_stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "errors.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "entry.h"
#include "stats.h"


#define COUNTING_OFF_KIND	"counting_off"
#define COUNTING_OFF_TEXT	"jwt is not in shared_preload_libraries"

/*
 * jwt_stats() -> SETOF (kind text, algorithm text, outcome text, count bigint)
 *
 * One row per counter that is not zero.  algorithm is NULL when the token's
 * header gave none (a malformed token) and for events counted without one;
 * outcome is "valid" or the reason keyword for verify, NULL for the others
 * unless an event was counted with a reason.
 */
JWT_FUNCTION(jwt_stats)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[4];
	bool		nulls[4];
	int			kind;
	int			alg;
	int			reason;

	InitMaterializedSRF(fcinfo, 0);

	if (!jwt_stats_enabled())
	{
		memset(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum(COUNTING_OFF_KIND);
		nulls[0] = false;
		values[2] = CStringGetTextDatum(COUNTING_OFF_TEXT);
		nulls[2] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return (Datum) 0;
	}

	for (kind = 0; kind < JWT_STAT_KIND_COUNT; kind++)
		for (alg = 0; alg <= JWT_STATS_NO_ALG; alg++)
			for (reason = 0; reason < JWT_REASON_COUNT; reason++)
			{
				uint64		n = jwt_stats_read(kind, alg, reason);

				if (n == 0)
					continue;
				memset(nulls, false, sizeof(nulls));
				values[0] = CStringGetTextDatum(jwt_stat_kind_name(kind));
				if (alg == JWT_STATS_NO_ALG)
					nulls[1] = true;
				else
					values[1] = CStringGetTextDatum(jwt_alg_by_id(alg)->name);
				if (kind == JWT_STAT_VERIFY || reason != JWT_REASON_NONE)
					values[2] = CStringGetTextDatum(jwt_reason_keyword(reason));
				else
					nulls[2] = true;
				values[3] = Int64GetDatum((int64) n);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
									 values, nulls);
			}
	return (Datum) 0;
}

/*
 * jwt_stats_info() -> (counting boolean, stats_reset timestamptz,
 *						kids_tracked integer, kids_capacity integer,
 *						kids_evicted bigint)
 */
JWT_FUNCTION(jwt_stats_info)
{
	TupleDesc	td;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);

	values[0] = BoolGetDatum(jwt_stats_enabled());
	if (jwt_stats_enabled())
	{
		char		kid[JWT_STATS_KID_MAXLEN + 1];
		TimestampTz ls;
		TimestampTz lv;
		int			tracked = 0;
		int			i;

		for (i = 0; i < jwt_stats_kid_capacity(); i++)
			if (jwt_stats_kid_get(i, kid, &ls, &lv))
				tracked++;
		values[1] = TimestampTzGetDatum(jwt_stats_reset_time());
		values[2] = Int32GetDatum(tracked);
		values[3] = Int32GetDatum(jwt_stats_kid_capacity());
		values[4] = Int64GetDatum((int64) jwt_stats_kids_evicted());
	}
	else
		nulls[1] = nulls[2] = nulls[3] = nulls[4] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * jwt_stats_reset() -> void: zero the counters and forget the kids.
 */
JWT_FUNCTION(jwt_stats_reset)
{
	if (!jwt_stats_enabled())
		jwt_ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("jwt statistics are not being collected"),
				 errdetail("The jwt library is not in shared_preload_libraries."),
				 errhint("Add jwt to shared_preload_libraries and restart the server.")));
	jwt_stats_clear();
	PG_RETURN_VOID();
}

/*
 * jwt_stats_bump(event text, algorithm text DEFAULT NULL) -> boolean
 *
 * Count one event of another feature from SQL or PL/pgSQL: true when
 * counted, false when counting is off; NULL for a NULL event.  "verify" and
 * "sign" are counted by the extension itself and refused here, as are
 * unknown events and algorithms (22023).
 */
JWT_FUNCTION(jwt_stats_bump)
{
	char	   *event;
	int			kind;
	const JwtAlg *alg = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	event = text_to_cstring(PG_GETARG_TEXT_PP(0));
	kind = jwt_stat_kind_by_name(event);
	if (kind < 0 || kind == JWT_STAT_VERIFY || kind == JWT_STAT_SIGN)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown jwt statistics event \"%s\"", event),
				 errhint("The events are refresh_rotation, refresh_reuse, revocation and consumption.")));
	if (!PG_ARGISNULL(1))
	{
		text	   *name = PG_GETARG_TEXT_PP(1);

		alg = jwt_alg_by_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
		if (alg == NULL)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown algorithm \"%.*s\"",
							(int) Min(VARSIZE_ANY_EXHDR(name), 32),
							VARDATA_ANY(name))));
	}
	jwt_stats_count(kind, alg, JWT_REASON_NONE);
	PG_RETURN_BOOL(jwt_stats_enabled());
}

/*
 * jwt_key_usage() -> SETOF (kid text, last_signed timestamptz,
 *							 last_verified timestamptz)
 *
 * The kids used since the last reset; no rows when counting is off.
 */
JWT_FUNCTION(jwt_key_usage)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (!jwt_stats_enabled())
		return (Datum) 0;

	for (i = 0; i < jwt_stats_kid_capacity(); i++)
	{
		char		kid[JWT_STATS_KID_MAXLEN + 1];
		TimestampTz ls;
		TimestampTz lv;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (!jwt_stats_kid_get(i, kid, &ls, &lv))
			continue;
		values[0] = CStringGetTextDatum(kid);
		if (ls != 0)
			values[1] = TimestampTzGetDatum(ls);
		else
			nulls[1] = true;
		if (lv != 0)
			values[2] = TimestampTzGetDatum(lv);
		else
			nulls[2] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
