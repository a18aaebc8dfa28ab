/*-------------------------------------------------------------------------
 *
 * registry.h
 *		The key registry: the jwt_keys table read and changed from C, and
 *		a per-backend cache of its keys.
 *
 * src/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_REGISTRY_H
#define JWT_REGISTRY_H

#include "utils/jsonb.h"

#include "api.h"

/*
 * The JWK Set the registry verifies with (every key not retired, each with
 * its kid and alg), as jwt_registry_keyset() returns it; a copy in
 * CurrentMemoryContext.  Reads the table without privilege checks: the
 * callers are the registry's entry points and jwt_registry_authenticate /
 * jwt_registry_consume, which verify with it on the caller's behalf.
 */
extern Jsonb *jwt_registry_keyset_get(void);

/*
 * That JWK Set as the key to verify with: NULL when it holds no key.  An
 * empty registry is refused with jwt_registry_no_key_error() (55000).
 */
extern JwtKey *jwt_registry_verify_key(void);
pg_noreturn extern void jwt_registry_no_key_error(void);

/*
 * After verifying with the registry's keys: a token verified by a key
 * imported for an issuer (jwt_registry_import_jwks) must name that issuer
 * in "iss", else "res" becomes issuer_mismatch.
 */
extern void jwt_registry_check_issuer(JwtVerifyResult *res);

/*
 * jwt_registry_sign: "claims" signed with the active key of "algorithm"
 * (NULL: the only active key), its kid in the header.  Raises 55000 when
 * there is no such key, 22023 when algorithm is NULL and there are several.
 */
extern text *jwt_registry_sign_with(Jsonb *claims, text *algorithm,
									const JwtSignParams *params);

#endif							/* JWT_REGISTRY_H */
