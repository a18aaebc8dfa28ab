/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the PostgreSQL majors the extension
 *		supports, 15, 16, 17 and 18, in one place.
 *
 * The modules call one spelling: a "_compat" macro where only an argument
 * list changed, a small static inline wrapper where the new API needs more
 * than an argument, or a new-style name defined for the older majors.  Each
 * entry names the major that changed the API.  Where an API exists
 * unchanged in every supported major, the modules use it directly instead
 * of a wrapper here.
 *
 * Include it after postgres.h; errors.h includes it, so every module that
 * raises errors has it.  It includes the headers its wrappers need.
 *
 * src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_COMPAT_H
#define JWT_COMPAT_H

#include "access/genam.h"
#include "common/jsonapi.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "storage/proc.h"
#include "utils/relcache.h"
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#endif

#if PG_VERSION_NUM < 150000
#error "jwt needs PostgreSQL 15 or later"
#endif

/*
 * 18 replaced the pg_attribute_noreturn() that follows a declaration with
 * the pg_noreturn that precedes it.  Before 18, pg_attribute_noreturn()
 * is GCC's __attribute__((noreturn)) (or nothing), which may precede a
 * declaration too.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * 16 makes PGDLLEXPORT mark a symbol visible on ELF platforms, which undoes
 * the Makefile's -fvisibility=hidden for the entry points (src/entry.h);
 * 15 leaves it empty there.
 */
#if PG_VERSION_NUM < 160000 && defined(__GNUC__)
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

/*
 * 16 keeps the GUCs in a hash table, so GetConfigOption() is a hash
 * lookup, and get_guc_variables() took an output argument.  Before 16,
 * claims_ctx.c remembers a setting's slot in the sorted array instead of
 * GetConfigOption's binary search.
 */
#if PG_VERSION_NUM < 160000
#define JWT_GUC_SORTED_ARRAY 1
#endif

/*
 * 16 moved the permission information of a range table entry out of the
 * entry, into a list beside the range table (RTEPermissionInfo), and
 * 18 takes the set of entries that survived initial partition pruning.
 * Sets up "estate" with the one-entry range table "rte", as the logical
 * replication apply worker does (create_edata_for_relation).
 */
static inline void
jwt_exec_init_range_table(EState *estate, RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 180000
	List	   *perminfos = NIL;

	addRTEPermissionInfo(&perminfos, rte);
	ExecInitRangeTable(estate, list_make1(rte), perminfos,
					   bms_make_singleton(1));
#elif PG_VERSION_NUM >= 160000
	List	   *perminfos = NIL;

	addRTEPermissionInfo(&perminfos, rte);
	ExecInitRangeTable(estate, list_make1(rte), perminfos);
#else
	ExecInitRangeTable(estate, list_make1(rte));
#endif
}

/*
 * 16 added the result relations to EvalPlanQualInit (15 has them only in
 * EvalPlanQualInitExt, from 15.4 on).  NIL: none, as in the apply worker.
 */
#if PG_VERSION_NUM >= 160000
#define EvalPlanQualInit_compat(epqstate, parentestate, subplan, auxrowmarks, epqParam) \
	EvalPlanQualInit(epqstate, parentestate, subplan, auxrowmarks, epqParam, NIL)
#else
#define EvalPlanQualInit_compat(epqstate, parentestate, subplan, auxrowmarks, epqParam) \
	EvalPlanQualInit(epqstate, parentestate, subplan, auxrowmarks, epqParam)
#endif

/*
 * 17 made the caller pass the JsonLexContext to fill (NULL: allocate one,
 * which freeJsonLexContext, also new in 17, frees with what it points to).
 */
#if PG_VERSION_NUM >= 170000
#define makeJsonLexContextCstringLen_compat(json, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen(NULL, json, len, encoding, need_escapes)
#define freeJsonLexContext_compat(lex) freeJsonLexContext(lex)
#else
#define makeJsonLexContextCstringLen_compat(json, len, encoding, need_escapes) \
	makeJsonLexContextCstringLen(json, len, encoding, need_escapes)
#define freeJsonLexContext_compat(lex) pfree(lex)
#endif

/*
 * 17 moved a PGPROC's local transaction id into its virtual transaction
 * id (proc->vxid.lxid) and dropped proc->pgprocno for the proc number
 * GetNumberFromPGProc(proc), its index in ProcGlobal->allProcs.
 */
#if PG_VERSION_NUM >= 170000
#define jwt_proc_lxid(proc) ((proc)->vxid.lxid)
#define jwt_proc_number(proc) ((int) GetNumberFromPGProc(proc))
#else
#define jwt_proc_lxid(proc) ((proc)->lxid)
#define jwt_proc_number(proc) ((proc)->pgprocno)
#endif

/*
 * 18 lets callers of RelationGetPrimaryKeyIndex accept a DEFERRABLE
 * primary key; before 18 one never counted.  false keeps that.
 */
#if PG_VERSION_NUM >= 180000
#define RelationGetPrimaryKeyIndex_compat(relation) \
	RelationGetPrimaryKeyIndex(relation, false)
#else
#define RelationGetPrimaryKeyIndex_compat(relation) \
	RelationGetPrimaryKeyIndex(relation)
#endif

/*
 * 18 added index scan instrumentation (for EXPLAIN ANALYZE) to
 * index_beginscan.  NULL: none.
 */
#if PG_VERSION_NUM >= 180000
#define index_beginscan_compat(heapRelation, indexRelation, snapshot, nkeys, norderbys) \
	index_beginscan(heapRelation, indexRelation, snapshot, NULL, nkeys, norderbys)
#else
#define index_beginscan_compat(heapRelation, indexRelation, snapshot, nkeys, norderbys) \
	index_beginscan(heapRelation, indexRelation, snapshot, nkeys, norderbys)
#endif

#endif							/* JWT_COMPAT_H */
