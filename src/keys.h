/*-------------------------------------------------------------------------
 *
 * keys.h
 *		The life of a key: recognising what the caller passed, the bounded
 *		per-backend key cache, choosing the key of a set and binding it to
 *		the algorithms it may serve.
 *
 * src/keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEYS_H
#define JWT_KEYS_H

#include "utils/jsonb.h"

#include "errors.h"
#include "key_type.h"

/* GUCs (jwt.c) */
extern int	jwt_min_rsa_bits;
extern bool jwt_require_algorithms_for_secrets;

extern JwtKey *jwt_key_get(const char *bytes, int len, JwtKeyForm form);

/* A call site's last key (jwt_key_get_memo), zeroed to start. */
typedef struct JwtKeyMemo
{
	JwtKey	   *key;
	uint64		evictions;		/* the key cache's evictions at the time */
} JwtKeyMemo;

extern JwtKey *jwt_key_get_memo(JwtKeyMemo *memo, const char *bytes, int len,
								JwtKeyForm form);
extern JwtKey *jwt_key_get_owned(JwtKeyMemo *memo, const char *bytes, int len,
								 JwtKeyForm form);
extern bool jwt_key_jwk_usable(Jsonb *jwk, char **why);
extern Jsonb *jwt_key_jwk_public(Jsonb *jwk, int min_rsa_bits);
extern void jwt_key_check_implicit_algorithms(JwtKey *key);
extern void jwt_key_check_alg(JwtKey *key, const JwtAlg *alg, bool for_signing);
extern JwtReason jwt_key_pick(JwtKey *key, const JwtAlg *alg, const char *kid,
							  bool for_signing, JwtKey **out, char **detail);

#endif							/* JWT_KEYS_H */
