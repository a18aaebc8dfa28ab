/*-------------------------------------------------------------------------
 *
 * claim_path.h
 *		The role claim of jwt_authenticate as a member name or as a path
 *		into the claims (.realm_access.roles[0], ."https://x/role"), the
 *		subset of PostgREST's jwt-role-claim-key that claim_path.c reads.
 *
 * src/claim_path.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_CLAIM_PATH_H
#define JWT_CLAIM_PATH_H

#include "utils/jsonb.h"

/* The longest path, in steps */
#define JWT_CLAIM_PATH_MAX_STEPS	16

typedef struct JwtClaimStep
{
	const char *key;			/* a member name; NULL for an index */
	int			key_len;
	int			index;			/* an array index, when key is NULL */
} JwtClaimStep;

typedef struct JwtClaimPath
{
	int			nsteps;
	JwtClaimStep steps[JWT_CLAIM_PATH_MAX_STEPS];
} JwtClaimPath;

/*
 * Read "spec": a path when it starts with ".", else one member name (as
 * before 0.1.2).  Raises 22023 for a malformed path.
 */
extern void jwt_claim_path_parse(const char *spec, JwtClaimPath *path);

/*
 * Follow "path" in "claims".  False when it leads nowhere (a member that
 * is absent, an index out of range, a step into a value that is not an
 * object or an array); else *out is the value reached.
 */
extern bool jwt_claim_path_find(Jsonb *claims, const JwtClaimPath *path,
								JsonbValue *out);

#endif							/* JWT_CLAIM_PATH_H */
