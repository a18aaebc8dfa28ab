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

/* a name and its length */
#define NAME(s) s, sizeof(s) - 1

static const JwtAlg alg_table[JWT_ALG_COUNT] = {
	{NAME("HS256"), JWT_ALG_HS256, JWT_FAMILY_HMAC, "SHA256", 32, NULL, 0},
	{NAME("HS384"), JWT_ALG_HS384, JWT_FAMILY_HMAC, "SHA384", 48, NULL, 0},
	{NAME("HS512"), JWT_ALG_HS512, JWT_FAMILY_HMAC, "SHA512", 64, NULL, 0},
	{NAME("RS256"), JWT_ALG_RS256, JWT_FAMILY_RSA, "SHA256", 32, NULL, 0},
	{NAME("RS384"), JWT_ALG_RS384, JWT_FAMILY_RSA, "SHA384", 48, NULL, 0},
	{NAME("RS512"), JWT_ALG_RS512, JWT_FAMILY_RSA, "SHA512", 64, NULL, 0},
	{NAME("PS256"), JWT_ALG_PS256, JWT_FAMILY_RSA_PSS, "SHA256", 32, NULL, 0},
	{NAME("PS384"), JWT_ALG_PS384, JWT_FAMILY_RSA_PSS, "SHA384", 48, NULL, 0},
	{NAME("PS512"), JWT_ALG_PS512, JWT_FAMILY_RSA_PSS, "SHA512", 64, NULL, 0},
	{NAME("ES256"), JWT_ALG_ES256, JWT_FAMILY_EC, "SHA256", 32, "prime256v1", 32},
	{NAME("ES384"), JWT_ALG_ES384, JWT_FAMILY_EC, "SHA384", 48, "secp384r1", 48},
	{NAME("ES512"), JWT_ALG_ES512, JWT_FAMILY_EC, "SHA512", 64, "secp521r1", 66},
	{NAME("ES256K"), JWT_ALG_ES256K, JWT_FAMILY_EC, "SHA256", 32, "secp256k1", 32},
	{NAME("EdDSA"), JWT_ALG_EDDSA, JWT_FAMILY_EDDSA, NULL, 0, NULL, 0},
};

#undef NAME

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
		const JwtAlg *a = &alg_table[i];

		/* most names share their length; the last byte tells most apart */
		if (a->name_len == len && a->name[len - 1] == name[len - 1] &&
			memcmp(a->name, name, len) == 0)
			return a;
	}
	return NULL;
}

const JwtAlg *
jwt_alg_by_id(JwtAlgId id)
{
	Assert(id >= 0 && id < JWT_ALG_COUNT);
	return &alg_table[id];
}

/*
 * The ES algorithm of an EC key's curve (OpenSSL group name), or NULL.
 */
const JwtAlg *
jwt_alg_by_curve(const char *group)
{
	int			i;

	for (i = JWT_ALG_ES256; i <= JWT_ALG_ES256K; i++)
	{
		if (strcmp(alg_table[i].curve, group) == 0)
			return &alg_table[i];
	}
	return NULL;
}

/*
 * Write the names of a set, comma-separated, into buf.
 */
void
jwt_alg_set_names(JwtAlgSet set, char *buf, int buflen)
{
	int			i;
	int			used = 0;

	buf[0] = '\0';
	for (i = 0; i < JWT_ALG_COUNT && used < buflen; i++)
	{
		if (set & JWT_ALG_BIT(i))
			used += snprintf(buf + used, buflen - used, "%s%s",
							 used ? ", " : "", alg_table[i].name);
	}
}
