/*-------------------------------------------------------------------------
 *
 * denylist.h
 *		The denylist and consumed tokens: jwt_revoked_tokens,
 *		jwt_revoked_subjects and jwt_consumed_tokens.
 *
 * The functions here reach the tables of the extension's own schema by
 * OID, never by looking up one of the extension's SQL functions by name,
 * so that nothing a role creates in that schema can take their place.
 * They may be called by any caller: they act as the owner of the tables
 * where a table is written, and read without a privilege check.
 *
 * src/denylist.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_DENYLIST_H
#define JWT_DENYLIST_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

/* What jwt_denylist_consume found */
typedef enum JwtConsumeStatus
{
	JWT_CONSUME_OK = 0,			/* recorded now */
	JWT_CONSUME_CONSUMED,		/* recorded before */
	JWT_CONSUME_EXPIRED			/* recorded, but expires_at passed meanwhile */
} JwtConsumeStatus;

/*
 * Are verified claims on the denylist: their "jti" revoked, or their "sub"
 * revoked for tokens issued before a time?  Reads with the active snapshot,
 * or, when the library is preloaded, as of now through denylist_cache.c.
 */
extern bool jwt_denylist_is_revoked(Jsonb *claims);

/*
 * Record a single-use token's jti until expires_at (jti is "len" bytes,
 * not necessarily NUL-terminated).  Of two sessions recording the same
 * jti at once, the second waits for the first transaction to end.
 */
extern JwtConsumeStatus jwt_denylist_consume(const char *jti, int len,
											 TimestampTz expires_at);

#endif							/* JWT_DENYLIST_H */
