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

/*
 * A claims set as read from a payload segment: the whole set, and its
 * registered claims with their types checked.  What jwt_claims_read makes
 * of a payload depends only on its text, jwt.max_json_depth (kept in
 * depth_limit) and the database encoding, never on a caller's options, so
 * that token_cache.c may keep a copy for the next call with the same token.
 */
typedef struct JwtClaimSet
{
	Jsonb	   *claims;
	int			depth_limit;	/* jwt.max_json_depth when it was read */
	bool		has_exp;
	bool		has_nbf;
	bool		has_iat;
	double		exp;			/* finite when present */
	double		nbf;
	double		iat;
	const char *iss;			/* NULL when absent */
	const char *sub;
	bool		has_aud;
	const char *aud_string;		/* "aud" when a string, else NULL */
	int			naud;			/* "aud" when an array of strings */
	char	  **aud;
} JwtClaimSet;

extern JwtReason jwt_claims_read(const char *b64, int len, JwtClaimSet *cs,
								 char **detail);
extern JwtReason jwt_claims_check(const JwtClaimSet *cs,
								  const JwtVerifyOptions *opts, char **detail);
extern JwtClaimSet *jwt_claims_copy(const JwtClaimSet *cs, MemoryContext cxt,
									Size max_size);
extern JwtReason jwt_check_typ(const char *typ, const JwtVerifyOptions *opts,
							   char **detail);

#endif							/* JWT_CLAIMS_H */
