/*-------------------------------------------------------------------------
 *
 * key_export.h
 *		Writing a key out: public JWK, RFC 7638 thumbprint, generation,
 *		and a description for messages.
 *
 * src/key_export.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEY_EXPORT_H
#define JWT_KEY_EXPORT_H

#include "utils/jsonb.h"

#include "key_type.h"

extern Jsonb *jwt_key_public_jwk(JwtKey *key);
extern Jsonb *jwt_key_generate(const JwtAlg *alg);
extern char *jwt_oct_thumbprint(const char *k);
extern const char *jwt_key_describe(JwtKey *key);

#endif							/* JWT_KEY_EXPORT_H */
