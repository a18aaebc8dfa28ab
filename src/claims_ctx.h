/*-------------------------------------------------------------------------
 *
 * claims_ctx.h
 *		The claims in force for the current transaction: those established
 *		by jwt_authenticate (backend-private, cleared at transaction end),
 *		or those PostgREST hands over in the request.jwt.claims setting.
 *
 * src/claims_ctx.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_CLAIMS_CTX_H
#define JWT_CLAIMS_CTX_H

#include "utils/guc.h"
#include "utils/jsonb.h"

/* Where jwt_claims() takes the claims from (setting jwt.claims_source). */
typedef enum JwtClaimsSource
{
	JWT_CLAIMS_SOURCE_AUTHENTICATE,
	JWT_CLAIMS_SOURCE_REQUEST
} JwtClaimsSource;

/*
 * The variables below are read on every row of a policy: declared hidden,
 * as -fvisibility=hidden defines them, they are read directly rather than
 * through the global offset table.
 */
#ifdef __GNUC__
#define JWT_CLAIMS_HIDDEN __attribute__((visibility("hidden")))
#else
#define JWT_CLAIMS_HIDDEN
#endif

/* GUC (jwt.c) */
extern JWT_CLAIMS_HIDDEN int jwt_claims_source;
extern const struct config_enum_entry jwt_claims_source_options[];
extern void jwt_claims_source_assign(int newval, void *extra);

/*
 * Bumped whenever the claims of this backend may have changed: established,
 * cleared at transaction or subtransaction end, or a change of
 * jwt.claims_source.  A call site that cached a value under the current
 * generation may return it without looking again (in authenticate mode,
 * and in request mode once the setting is watched; before that the
 * setting's text must also be compared).
 */
extern JWT_CLAIMS_HIDDEN uint64 jwt_claims_generation;

/*
 * jwt_claims_generation when that alone tells whether an answer cached
 * under it holds (authenticate mode, or request mode once the setting is
 * watched), else JWT_CLAIMS_NO_GENERATION, which no call site stores: the
 * one comparison of a policy's jwt_claim() per row.
 */
extern JWT_CLAIMS_HIDDEN uint64 jwt_claims_fast_generation;
#define JWT_CLAIMS_NO_GENERATION PG_UINT64_MAX

/* The name of the setting PostgREST puts the verified claims in. */
#define JWT_REQUEST_CLAIMS_SETTING "request.jwt.claims"

extern void jwt_claims_ctx_init(void);
extern bool jwt_claims_established(void);
extern void jwt_claims_establish(Jsonb *claims);
extern Jsonb *jwt_claims_current(const char **request_text);
extern const char *jwt_request_claims_text(void);

#endif							/* JWT_CLAIMS_CTX_H */
