/*-------------------------------------------------------------------------
 *
 * hmac.h
 *		HMAC-SHA-2 with the keyed inner and outer states computed once.
 *
 * src/hmac.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_HMAC_H
#define JWT_HMAC_H

#include "algs.h"

typedef struct JwtHmacState JwtHmacState;

extern JwtHmacState *jwt_hmac_state_create(MemoryContext cxt, const JwtAlg *alg,
										   const unsigned char *secret, int len);
extern void jwt_hmac_compute(const JwtHmacState *st, const char *data, size_t len,
							 unsigned char *out, size_t *outlen);
extern void jwt_hmac_state_free(JwtHmacState *st);

#endif							/* JWT_HMAC_H */
