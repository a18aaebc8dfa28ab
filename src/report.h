/*-------------------------------------------------------------------------
 *
 * report.h
 *		jwt_ereport and jwt_elog: how every error and message of the
 *		extension is raised.  A header of its own, below errors.c and
 *		encoding.c, which both raise through it.
 *
 * src/report.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_REPORT_H
#define JWT_REPORT_H

/*
 * Every error and message of the extension is raised through these two.
 * They keep the statement out of the server log (errhidestmt): the
 * statement carries the tokens, secrets and keys it was called with, and
 * log_min_error_statement (default error) would log it with every error.
 */
#define jwt_ereport(elevel, ...) \
	ereport(elevel, __VA_ARGS__, errhidestmt(true))
#define jwt_elog(elevel, ...) \
	ereport(elevel, errmsg_internal(__VA_ARGS__), errhidestmt(true))

#endif							/* JWT_REPORT_H */
