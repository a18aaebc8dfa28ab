/*-------------------------------------------------------------------------
 *
 * errors.h
 *		Reason keywords for rejected tokens and the one place that turns
 *		them into errors.
 *
 * src/errors.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_ERRORS_H
#define JWT_ERRORS_H

#include "compat.h"
#include "access/htup.h"
#include "lib/stringinfo.h"
#include "utils/relcache.h"

#include "report.h"

typedef enum JwtReason
{
	JWT_REASON_NONE = 0,		/* valid */
	JWT_REASON_MALFORMED,
	JWT_REASON_BAD_SIGNATURE,
	JWT_REASON_ALGORITHM_NOT_ALLOWED,
	JWT_REASON_EXPIRED,
	JWT_REASON_NOT_YET_VALID,
	JWT_REASON_TOO_OLD,
	JWT_REASON_AUDIENCE_MISMATCH,
	JWT_REASON_ISSUER_MISMATCH,
	JWT_REASON_SUBJECT_MISMATCH,
	JWT_REASON_TYP_MISMATCH,
	JWT_REASON_MISSING_CLAIM,
	JWT_REASON_KEY_MISMATCH,
	JWT_REASON_UNKNOWN_KEY,
	JWT_REASON_UNSUPPORTED_CRITICAL_HEADER,
	JWT_REASON_LIMIT_EXCEEDED,
	JWT_REASON_REVOKED,			/* on the denylist */
	JWT_REASON_CONSUMED,		/* single-use token presented again */
	JWT_REASON_SESSION_REVOKED, /* its "sid" session was revoked */
	JWT_REASON_SESSION_EXPIRED, /* its session ended (lifetime, idle) */
	JWT_REASON_SESSION_UNKNOWN, /* no session of its "sub" by its "sid" */
	JWT_REASON_COUNT
} JwtReason;

extern const char *jwt_reason_keyword(JwtReason reason);

/*
 * Raise the error for a rejected token.  "detail" is a sentence without the
 * final period; the reason keyword is appended.  When "as_input_error" is
 * true (jwt_decode), a malformed token is reported as 22P02 instead of 28000.
 */
pg_noreturn extern void jwt_report(JwtReason reason, const char *detail,
								   bool as_input_error);

/* The context line a parallel worker adds to errors of our functions. */
#define JWT_WORKER_CONTEXT "function of the jwt extension in a parallel worker"

/* _PG_init: hide the statement of such errors in the leader too. */
extern void jwt_errors_init(void);

/* jwt_authenticate called again in a transaction (55000) */
#define JWT_ALREADY_ESTABLISHED_MSG "JSON Web Token claims are already established for this transaction"
#define JWT_ALREADY_ESTABLISHED_DETAIL "jwt_authenticate establishes claims once per transaction."
#define JWT_ALREADY_ESTABLISHED_HINT "Authenticate each request in a transaction of its own."
extern const char *jwt_clip(const char *s, int maxbytes);
extern bool jwt_append_quoted_value(StringInfo buf, const char *s,
									int maxbytes);
#define JWT_ROW_NOT_SHOWN "The row's values are not shown."
extern void jwt_refuse_nulls(Relation rel, HeapTuple tup, const char *detail);
extern void jwt_check_deterministic(const char *table, const char *column,
									Oid collid);
pg_noreturn extern void jwt_column_type_error(const char *table,
											  const char *column, Oid have,
											  Oid want);

#endif							/* JWT_ERRORS_H */
