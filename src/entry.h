/*-------------------------------------------------------------------------
 *
 * entry.h
 *		How the extension's fmgr entry points are defined, and which
 *		symbols of jwt.so other code can see.
 *
 * JWT_FUNCTION(name) { ... } defines the SQL-callable C function "name"
 * (PG_FUNCTION_INFO_V1 included).  The braces hold its body, which reads
 * its arguments through "fcinfo" as usual.  While the body runs, an error
 * context callback marks every error and message raised below it, by the
 * extension or by PostgreSQL itself (date arithmetic, SET ROLE, SPI, out
 * of memory, ...), so that the server log leaves out the statement: its
 * text holds the tokens, secrets and keys the function was called with,
 * and log_min_error_statement (default error) would log it.  The callback
 * costs two stores per call; an error's longjmp restores the context stack
 * (PG_TRY saves it), so nothing needs undoing on the error path.
 *
 * Symbol visibility: only the entry points, _PG_init and the module magic
 * are exported, so that another library loaded into the same backend with
 * functions of the same names (b64url_decode, ...) can neither take the
 * place of ours nor be taken over by them.  The Makefile compiles with
 * -fvisibility=hidden; PostgreSQL 16 and later make PGDLLEXPORT the
 * "default" visibility that undoes it for what must be seen, PostgreSQL 15
 * leaves PGDLLEXPORT empty on ELF platforms, so it is defined here.
 *
 * src/entry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_ENTRY_H
#define JWT_ENTRY_H

#include "fmgr.h"

#include "compat.h"			/* PGDLLEXPORT on 15 */

extern void jwt_hide_statement_callback(void *arg);

static inline Datum
jwt_call_hiding_statement(PGFunction body, FunctionCallInfo fcinfo)
{
	ErrorContextCallback cb;
	Datum		result;

	cb.callback = jwt_hide_statement_callback;
	cb.arg = NULL;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	result = body(fcinfo);
	error_context_stack = cb.previous;
	return result;
}

#define JWT_FUNCTION(name) \
	static Datum name##_body(PG_FUNCTION_ARGS); \
	PG_FUNCTION_INFO_V1(name); \
	extern PGDLLEXPORT Datum name(PG_FUNCTION_ARGS); \
	Datum \
	name(PG_FUNCTION_ARGS) \
	{ \
		return jwt_call_hiding_statement(name##_body, fcinfo); \
	} \
	static Datum \
	name##_body(PG_FUNCTION_ARGS)

#endif							/* JWT_ENTRY_H */
