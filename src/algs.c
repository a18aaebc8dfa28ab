/*-------------------------------------------------------------------------
 *
 * algs.c
 *		The algorithm table (RFC 7518 section 3, RFC 8037, RFC 8812).
 *
 * Pure data and lookups; never ereports.
 *
 * src/algs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "algs.h"

static const JwtAlg alg_table[JWT_ALG_COUNT] = {
	{"HS256", JWT_ALG_HS256, JWT_FAMILY_HMAC, "SHA256", 32, true},
	{"HS384", JWT_ALG_HS384, JWT_FAMILY_HMAC, "SHA384", 48, true},
	{"HS512", JWT_ALG_HS512, JWT_FAMILY_HMAC, "SHA512", 64, true},
	{"RS256", JWT_ALG_RS256, JWT_FAMILY_RSA, "SHA256", 32, false},
	{"RS384", JWT_ALG_RS384, JWT_FAMILY_RSA, "SHA384", 48, false},
	{"RS512", JWT_ALG_RS512, JWT_FAMILY_RSA, "SHA512", 64, false},
	{"PS256", JWT_ALG_PS256, JWT_FAMILY_RSA_PSS, "SHA256", 32, false},
	{"PS384", JWT_ALG_PS384, JWT_FAMILY_RSA_PSS, "SHA384", 48, false},
	{"PS512", JWT_ALG_PS512, JWT_FAMILY_RSA_PSS, "SHA512", 64, false},
	{"ES256", JWT_ALG_ES256, JWT_FAMILY_EC, "SHA256", 32, false},
	{"ES384", JWT_ALG_ES384, JWT_FAMILY_EC, "SHA384", 48, false},
	{"ES512", JWT_ALG_ES512, JWT_FAMILY_EC, "SHA512", 64, false},
	{"ES256K", JWT_ALG_ES256K, JWT_FAMILY_EC, "SHA256", 32, false},
	{"EdDSA", JWT_ALG_EDDSA, JWT_FAMILY_EDDSA, NULL, 0, false},
};

/*
 * Look an algorithm up by its exact JOSE name ("len" bytes, not necessarily
 * NUL-terminated).  Returns NULL for an unknown name, "none" included.
 */
const JwtAlg *
jwt_alg_by_name(const char *name, int len)
{
	int			i;

	for (i = 0; i < JWT_ALG_COUNT; i++)
	{
		if ((int) strlen(alg_table[i].name) == len &&
			memcmp(alg_table[i].name, name, len) == 0)
			return &alg_table[i];
	}
	return NULL;
}

const JwtAlg *
jwt_alg_by_id(JwtAlgId id)
{
	Assert(id >= 0 && id < JWT_ALG_COUNT);
	return &alg_table[id];
}
