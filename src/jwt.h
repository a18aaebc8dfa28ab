/*-------------------------------------------------------------------------
 *
 * jwt.h
 *		Shared declarations of the jwt extension: settings and the
 *		verification options and result that the modules pass around.
 *
 * src/jwt.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_JWT_H
#define JWT_JWT_H

#include "datatype/timestamp.h"

/* GUC variables (jwt.c) */
extern int	jwt_max_token_size;
extern int	jwt_max_json_depth;
extern int	jwt_max_key_size;
extern int	jwt_max_leeway;		/* seconds */

/* Seconds between the Unix epoch and the PostgreSQL epoch (2000-01-01). */
#define JWT_UNIX_EPOCH_OFFSET_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

#endif							/* JWT_JWT_H */
