/*-------------------------------------------------------------------------
 *
 * refresh.h
 *		What the refresh token modules share: token text and hashes
 *		(refresh.c), family revocation and checked interval arithmetic
 *		(refresh_sessions.c).
 *
 * None of these resolves a function by name: the extension's own code is
 * called directly, and the table is reached through its schema-qualified
 * name with every operator and function pg_catalog-qualified, so that a
 * look-alike planted in the extension's schema is never called.
 *
 * src/refresh.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_REFRESH_H
#define JWT_REFRESH_H

#include "datatype/timestamp.h"
#include "utils/array.h"

/* refresh.c */

/* A first token of a family: 256 bits from OpenSSL's CSPRNG, base64url */
extern text *jwt_refresh_first_token(void);

/* SHA-256 of a token's text, as refresh_tokens.token_hash stores it */
extern bytea *jwt_refresh_hash(text *token);

/* refresh_sessions.c */

/*
 * Revoke every row of the families in "families" (uuid[]) that is not
 * revoked yet, with reason "reason" (text); repeats until a statement
 * finds nothing left.  Counts one revocation event when it revoked rows.
 * Raises 25006 on a hot standby.  Returns the rows revoked.
 */
extern int64 jwt_refresh_revoke_families_internal(ArrayType *families,
												  text *reason);

#endif							/* JWT_REFRESH_H */
