/*-------------------------------------------------------------------------
 *
 * key_export.c
 *		Writing a key out: its public JWK, its RFC 7638 thumbprint (the
 *		one kid computation), a new key, and its description in messages.
 *
 * The public JWK of an RSA, EC or OKP key has the members RFC 7638 hashes,
 * "use": "sig", the key's "kid" (or its thumbprint) and "alg" when the key
 * serves one algorithm.  Generation: RS and PS algorithms get 2048-bit
 * RSA keys, ES their curve, EdDSA Ed25519, HS a secret of the hash's size,
 * each as a private JWK with its thumbprint as "kid".  A description names
 * the kind and size of a key, never any key material.
 *
 * Raises 22023 for a key that has no public JWK, 39000 when OpenSSL fails.
 * Secrets and private parameters are wiped from every buffer that held
 * them but the result.
 *
 * src/key_export.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "lib/stringinfo.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "base64url.h"
#include "crypto.h"
#include "errors.h"
#include "json_in.h"
#include "json_out.h"
#include "key_export.h"

/*
 * A short description of a key for messages: never any key material.
 */
const char *
jwt_key_describe(JwtKey *key)
{
	switch (key->kind)
	{
		case JWT_KEY_SECRET:
			return psprintf("an HMAC secret of %d bytes", key->secret_len);
		case JWT_KEY_RSA:
			return psprintf("a %d-bit RSA %s key", key->bits,
							key->has_private ? "private" : "public");
		case JWT_KEY_EC:
			return psprintf("an EC %s key", key->has_private ? "private" : "public");
		case JWT_KEY_OKP:
			return psprintf("an %s %s key", key->bits == 456 ? "Ed448" : "Ed25519",
							key->has_private ? "private" : "public");
		case JWT_KEY_SET:
			return psprintf("a JWK Set of %d keys", key->nmembers);
	}
	return "a key";
}

/* Append ,"name":"<base64url of bytes>" */
static void
put_b64(StringInfo buf, const char *name, const unsigned char *bytes, int len)
{
	char	   *enc = palloc(B64URL_ENC_LEN(len) + 1);
	int			n = b64url_encode(bytes, len, enc);

	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	json_out_string(buf, name, strlen(name));
	appendStringInfoChar(buf, ':');
	json_out_string(buf, enc, n);
	pfree(enc);
}

static void
put_str(StringInfo buf, const char *name, const char *value)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	json_out_string(buf, name, strlen(name));
	appendStringInfoChar(buf, ':');
	json_out_string(buf, value, strlen(value));
}

/* A BIGNUM parameter of the key, big-endian, padded to "pad" bytes if > 0. */
static unsigned char *
get_bn(EVP_PKEY *pkey, const char *param, int pad, int *len)
{
	BIGNUM	   *bn = NULL;
	unsigned char *buf = NULL;
	int			n = 0;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) == 1)
	{
		n = pad > 0 ? pad : BN_num_bytes(bn);
		buf = malloc(Max(n, 1));
		if (buf && BN_bn2binpad(bn, buf, n) < 0)
		{
			free(buf);
			buf = NULL;
		}
	}
	BN_clear_free(bn);
	if (buf == NULL)
	{
		ERR_clear_error();
		jwt_elog(ERROR, "could not read key parameter \"%s\"", param);
	}
	*len = n;
	return buf;
}

static void
put_bn(StringInfo buf, const char *name, EVP_PKEY *pkey, const char *param, int pad)
{
	int			len;
	unsigned char *bytes = get_bn(pkey, param, pad, &len);

	/* copy out of malloc'd memory before anything can raise */
	unsigned char *copy = palloc(len);

	memcpy(copy, bytes, len);
	OPENSSL_cleanse(bytes, len);
	free(bytes);
	put_b64(buf, name, copy, len);
	OPENSSL_cleanse(copy, len);
}

/*
 * Write the members of the key's public JWK that RFC 7638 hashes, in its
 * lexicographic order, into buf (which holds "{").
 */
static void
put_public_members(StringInfo buf, JwtKey *key)
{
	switch (key->kind)
	{
		case JWT_KEY_RSA:
			put_bn(buf, "e", key->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
			put_str(buf, "kty", "RSA");
			put_bn(buf, "n", key->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
			break;
		case JWT_KEY_EC:
			{
				const JwtAlg *alg = jwt_alg_by_id(pg_rightmost_one_pos32(key->usable));
				const char *crv = alg->id == JWT_ALG_ES256 ? "P-256" :
				alg->id == JWT_ALG_ES384 ? "P-384" :
				alg->id == JWT_ALG_ES512 ? "P-521" : "secp256k1";

				put_str(buf, "crv", crv);
				put_str(buf, "kty", "EC");
				put_bn(buf, "x", key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, alg->coord_len);
				put_bn(buf, "y", key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, alg->coord_len);
			}
			break;
		case JWT_KEY_OKP:
			{
				unsigned char raw[57];
				size_t		rawlen = sizeof(raw);

				if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen) != 1)
					jwt_openssl_error("could not read the public key");
				put_str(buf, "crv", rawlen == 32 ? "Ed25519" : "Ed448");
				put_str(buf, "kty", "OKP");
				put_b64(buf, "x", raw, rawlen);
			}
			break;
		case JWT_KEY_SECRET:
			put_b64(buf, "k", key->secret, key->secret_len);
			put_str(buf, "kty", "oct");
			break;
		case JWT_KEY_SET:
			Assert(false);
			break;
	}
}

/*
 * The RFC 7638 thumbprint of the members in buf (which holds "{" and
 * them): SHA-256 of the object, base64url.  Wipes buf, which holds a
 * secret's "k" for an "oct" key.
 */
static char *
thumbprint_of(StringInfo buf)
{
	unsigned char md[32];
	char		enc[B64URL_ENC_LEN(32) + 1];
	int			n;

	appendStringInfoChar(buf, '}');
	if (!EVP_Digest(buf->data, buf->len, md, NULL, EVP_sha256(), NULL))
		jwt_openssl_error("could not compute the key thumbprint");
	OPENSSL_cleanse(buf->data, buf->len);
	pfree(buf->data);
	n = b64url_encode(md, 32, enc);
	return pnstrdup(enc, n);
}

/* RFC 7638 thumbprint (SHA-256) of a single key, base64url. */
static char *
thumbprint(JwtKey *key)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	put_public_members(&buf, key);
	return thumbprint_of(&buf);
}

/*
 * RFC 7638 thumbprint of an "oct" JWK whose "k" (base64url) is given: the
 * kid of a registry secret.
 */
char *
jwt_oct_thumbprint(const char *k)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	put_str(&buf, "k", k);
	put_str(&buf, "kty", "oct");
	return thumbprint_of(&buf);
}

static Jsonb *
text_to_jsonb(StringInfo buf)
{
	Jsonb	   *jb;
	char	   *detail;

	if (jwt_json_parse_server(buf->data, buf->len, "key", &jb, &detail) != JWT_REASON_NONE)
		jwt_elog(ERROR, "could not build a JWK: %s", detail);
	return jb;
}

/*
 * The public JWK of a single asymmetric key, with its kid (given, or the
 * thumbprint) and its alg when the key serves exactly one algorithm.
 */
Jsonb *
jwt_key_public_jwk(JwtKey *key)
{
	StringInfoData buf;

	if (key->kind == JWT_KEY_SET)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a JWK Set has no single public key")));
	if (key->kind == JWT_KEY_SECRET)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an HMAC secret has no public key"),
				 errdetail("Only RSA, EC and OKP keys have a public part to publish.")));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	put_public_members(&buf, key);
	put_str(&buf, "use", "sig");
	put_str(&buf, "kid", key->kid ? key->kid : thumbprint(key));
	if ((key->usable & (key->usable - 1)) == 0)
		put_str(&buf, "alg", jwt_alg_by_id(pg_rightmost_one_pos32(key->usable))->name);
	appendStringInfoChar(&buf, '}');
	return text_to_jsonb(&buf);
}

/*
 * A new private JWK for "alg", with "kid" (its RFC 7638 thumbprint) and
 * "alg".  RS and PS algorithms get 2048-bit RSA keys, ES their curve,
 * EdDSA Ed25519, HS a secret of the hash's size.
 */
Jsonb *
jwt_key_generate(const JwtAlg *alg)
{
	JwtKey		key;
	StringInfoData buf;
	EVP_PKEY   *volatile pkey = NULL;

	memset(&key, 0, sizeof(key));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');

	if (alg->family == JWT_FAMILY_HMAC)
	{
		unsigned char secret[64];

		if (RAND_bytes(secret, alg->hash_len) != 1)
			jwt_openssl_error("could not generate random bytes");
		key.kind = JWT_KEY_SECRET;
		key.secret = secret;
		key.secret_len = alg->hash_len;
		put_public_members(&buf, &key);
		put_str(&buf, "kid", thumbprint(&key));
		put_str(&buf, "alg", alg->name);
		appendStringInfoChar(&buf, '}');
		OPENSSL_cleanse(secret, sizeof(secret));
		return text_to_jsonb(&buf);
	}

	ERR_clear_error();
	switch (alg->family)
	{
		case JWT_FAMILY_RSA:
		case JWT_FAMILY_RSA_PSS:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
			break;
		case JWT_FAMILY_EC:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg->curve);
			break;
		case JWT_FAMILY_EDDSA:
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
			break;
		default:
			break;
	}
	if (pkey == NULL)
		jwt_openssl_error("could not generate a key");

	PG_TRY();
	{
		/* what put_public_members reads of a key */
		key.kind = alg->family == JWT_FAMILY_EC ? JWT_KEY_EC :
			alg->family == JWT_FAMILY_EDDSA ? JWT_KEY_OKP : JWT_KEY_RSA;
		key.usable = JWT_ALG_BIT(alg->id);
		key.pkey = pkey;
		put_public_members(&buf, &key);
		switch (key.kind)
		{
			case JWT_KEY_RSA:
				put_bn(&buf, "d", pkey, OSSL_PKEY_PARAM_RSA_D, 0);
				put_bn(&buf, "p", pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, 0);
				put_bn(&buf, "q", pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, 0);
				put_bn(&buf, "dp", pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0);
				put_bn(&buf, "dq", pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0);
				put_bn(&buf, "qi", pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
				break;
			case JWT_KEY_EC:
				put_bn(&buf, "d", pkey, OSSL_PKEY_PARAM_PRIV_KEY, alg->coord_len);
				break;
			case JWT_KEY_OKP:
				{
					unsigned char raw[57];
					size_t		rawlen = sizeof(raw);

					if (EVP_PKEY_get_raw_private_key(pkey, raw, &rawlen) != 1)
						jwt_openssl_error("could not read the private key");
					put_b64(&buf, "d", raw, rawlen);
					OPENSSL_cleanse(raw, sizeof(raw));
				}
				break;
			default:
				break;
		}
		put_str(&buf, "kid", thumbprint(&key));
		put_str(&buf, "alg", alg->name);
		appendStringInfoChar(&buf, '}');
	}
	PG_FINALLY();
	{
		EVP_PKEY_free(pkey);
	}
	PG_END_TRY();
	return text_to_jsonb(&buf);
}
