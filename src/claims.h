/*-------------------------------------------------------------------------
 *
 * claims.h
 *		The JWT claims set: parsing it and checking the registered claims
 *		against the caller's options.
 *
 * src/claims.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_CLAIMS_H
#define JWT_CLAIMS_H

#include "utils/jsonb.h"

#include "algs.h"
#include "errors.h"

/* A text option: NULL data when the caller did not give it. */
typedef struct JwtStr
{
	const char *data;
	int			len;
} JwtStr;

typedef struct JwtVerifyOptions
{
	JwtAlgSet	allowed;		/* the allow-list, resolved */
	int			naudiences;		/* 0: no audience given */
	JwtStr	   *audiences;		/* the token must name one of them */
	JwtStr		issuer;
	JwtStr		subject;
	JwtStr		typ;
	int			nrequire;
	char	  **require;
	bool		has_max_age;
	double		max_age;		/* seconds */
	double		leeway;			/* seconds, >= 0 */
	double		now;			/* evaluation time, Unix seconds */
} JwtVerifyOptions;

extern JwtReason jwt_claims_parse(const char *b64, int len,
								  const JwtVerifyOptions *opts,
								  Jsonb **claims, const char **iss,
								  const char **sub, char **detail);
extern JwtReason jwt_check_typ(const char *typ, const JwtVerifyOptions *opts,
							   char **detail);

#endif							/* JWT_CLAIMS_H */
