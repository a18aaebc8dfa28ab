/*-------------------------------------------------------------------------
 *
 * api.h
 *		Signing and verifying from C: jwt_sign and jwt_verify with their
 *		optional arguments in a struct, for the SQL entry points of
 *		sql_jwt.c and for the extension's own callers (the key registry,
 *		jwt_authenticate, refresh-token rotation), which never go through
 *		fmgr or name lookups to reach them.
 *
 * src/api.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_API_H
#define JWT_API_H

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "claims.h"
#include "keys.h"
#include "verify.h"

/*
 * What jwt_stats records of a signature or a verification: the event
 * counters, and the kid's last use (jwt_key_usage, jwt_key_health).
 */
#define JWT_STATS_NONE		0
#define JWT_STATS_COUNT		0x01	/* count the event, log a failure */
#define JWT_STATS_KID		0x02	/* record the kid's last use: the
										 * registry's paths only */

/* jwt_sign's optional arguments; NULL where the caller passed NULL */
typedef struct JwtSignParams
{
	Jsonb	   *header;
	Interval   *expires_in;
	Interval   *not_before;
} JwtSignParams;

/* jwt_verify's optional arguments; NULL where the caller passed NULL */
typedef struct JwtVerifyParams
{
	ArrayType  *algorithms;		/* NULL: the algorithms the key serves */
	int			naudiences;		/* "audience" or "audiences", 0 if NULL */
	JwtStr	   *audiences;
	JwtStr		issuer;
	JwtStr		subject;
	JwtStr		typ;
	ArrayType  *require;
	Interval   *max_age;
	Interval   *leeway;
	bool		has_at;			/* else the statement's start time */
	TimestampTz at;
} JwtVerifyParams;

/*
 * Per call site state of verification: the resolved "algorithms" and
 * "require" arrays and the last parsed header, in a context of its own.
 */
typedef struct JwtVerifySite JwtVerifySite;

extern JwtVerifySite *jwt_verify_site_create(MemoryContext parent);

/* Key arguments of the three SQL forms (text, bytea, jsonb) */
extern JwtKey *jwt_key_from_datum(Datum key, JwtKeyForm form);
extern JwtKey *jwt_key_from_datum_memo(Datum key, JwtKeyForm form,
									   JwtKeyMemo *memo);

/* An algorithm named by a caller; 22023 when unknown or "none" */
extern const JwtAlg *jwt_alg_from_name(const char *name, int len);

/*
 * The algorithm jwt_sign uses when none is given: the key's, when it
 * serves one (HS256 for an HMAC secret); 22023 otherwise.
 */
extern const JwtAlg *jwt_sign_default_alg(JwtKey *key);

/* A one-dimensional text[] argument without NULLs (22023 otherwise) */
extern void jwt_text_array_elems(ArrayType *arr, const char *argname,
								 Datum **elems, int *n);

extern double jwt_interval_seconds(Interval *iv);
extern double jwt_timestamptz_unix(TimestampTz ts);

/*
 * jwt_sign: the compact JWS of "claims" signed by "key" with "alg", times
 * from the statement's start.  Raises as jwt_sign does.
 */
extern text *jwt_sign_with(Jsonb *claims, JwtKey *key, const JwtAlg *alg,
						   const JwtSignParams *params, int stats);

/*
 * jwt_verify / jwt_validate: fills *res; raises for bad arguments as
 * jwt_verify does, never for a rejected token.
 */
extern void jwt_verify_with(JwtVerifySite *site, const char *token, int len,
							JwtKey *key, const JwtVerifyParams *params,
							int stats, JwtVerifyResult *res);

/*
 * For SQL entry points (sql_jwt.c): jwt_verify's optional arguments from
 * argument "first" (algorithms) on, "at" last when with_at, "audiences"
 * at aud_argno (absent when the call has fewer arguments); the row of
 * jwt_validate for "res" (all NULL when res is NULL).
 */
extern void jwt_verify_params_from_args(FunctionCallInfo fcinfo, int first,
										bool with_at, int aud_argno,
										JwtVerifyParams *p);
extern Datum jwt_validate_row(TupleDesc td, const JwtVerifyResult *res);
extern TupleDesc jwt_result_tupdesc(FunctionCallInfo fcinfo, TupleDesc *cached);

/*
 * "ts" plus (sign = 1) or minus (sign = -1) the interval argument "iv",
 * named "argname" in the error: 22008 when the result could leave the
 * range of timestamptz, raised before any arithmetic that would fail.
 */
extern TimestampTz jwt_time_arg(TimestampTz ts, Interval *iv, int sign,
								const char *argname);

#endif							/* JWT_API_H */
