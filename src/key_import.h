/*-------------------------------------------------------------------------
 *
 * key_import.h
 *		Building a key from PEM, a JWK or JWK Set, or a raw HMAC secret.
 *
 * Each fills in a zeroed JwtKey (can_sign and can_verify set) allocated
 * in the memory context the key will live in, and raises 22023 for a key
 * that cannot be used.
 *
 * src/key_import.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEY_IMPORT_H
#define JWT_KEY_IMPORT_H

#include "utils/jsonb.h"

#include "key_type.h"

extern void jwt_key_from_pem(JwtKey *key, const char *pem, int len);
extern void jwt_key_from_jwk_text(JwtKey *key, const char *json, int len);
extern void jwt_key_from_jwk_jsonb(JwtKey *key, Jsonb *jwk, int max_members);
extern void jwt_key_check_set_size(int n, int max);
extern bool jwt_key_try_member(JwtKey *key, JsonbContainer *jwk, bool *skip,
							   char **why);
extern void jwt_key_from_jwk_parsed(JwtKey *key, Jsonb *jb);
extern void jwt_key_init_secret(JwtKey *key, const unsigned char *bytes, int len);

#endif							/* JWT_KEY_IMPORT_H */
