/*-------------------------------------------------------------------------
 *
 * sign.h
 *		Producing a compact JWS.
 *
 * src/sign.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_SIGN_H
#define JWT_SIGN_H

#include "utils/jsonb.h"

#include "keys.h"

typedef struct JwtSignTimes
{
	double		now;			/* Unix seconds */
	bool		has_expires_in;
	double		expires_in;		/* seconds */
	bool		has_not_before;
	double		not_before;		/* seconds */
} JwtSignTimes;

extern text *jwt_sign_token(Jsonb *claims, JwtKey *key, const JwtAlg *alg,
							Jsonb *header, const JwtSignTimes *times);

#endif							/* JWT_SIGN_H */
