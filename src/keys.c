/*-------------------------------------------------------------------------
 *
 * keys.c
 *		Turning a key argument into a JwtKey, and caching it.
 *
 * A key argument is recognised before anything else: text that is a PEM
 * document or a JSON object (a JWK) is never taken as an HMAC secret, and
 * neither is a bytea holding a PEM document, so that the classic
 * "public key used as HMAC secret" forgery cannot start here.  This
 * version implements HMAC secrets only; PEM and JWK keys are refused with
 * feature_not_supported.
 *
 * The key's kind and size bind the algorithms it may serve: a secret of n
 * bytes serves the HS algorithms whose hash is at most n bytes long
 * (RFC 7518 section 3.2: the key must be at least as long as the hash).
 *
 * Cache: the last JWT_KEY_CACHE_SIZE keys, most recent first, live in a
 * memory context under TopMemoryContext, with their keyed OpenSSL HMAC
 * contexts, so that a query verifying many tokens with one key sets the key
 * up once.  An entry is linked only once fully built; eviction wipes the
 * secret and frees the OpenSSL objects.  Nothing in the cache depends on
 * the transaction, so an error leaves it consistent.
 *
 * src/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "keys.h"

#define JWT_KEY_CACHE_SIZE	16

static MemoryContext key_cxt = NULL;
static JwtKey *key_cache[JWT_KEY_CACHE_SIZE];
static int	key_cache_used = 0;
static EVP_MAC *hmac_mac = NULL;

static void key_free(JwtKey *key);
static bool looks_like_pem(const char *bytes, int len);

static bool
looks_like_pem(const char *bytes, int len)
{
	int			i = 0;

	while (i < len && (bytes[i] == ' ' || bytes[i] == '\t' ||
					   bytes[i] == '\n' || bytes[i] == '\r'))
		i++;
	return len - i >= 11 && memcmp(bytes + i, "-----BEGIN ", 11) == 0;
}

static void
key_free(JwtKey *key)
{
	int			i;

	for (i = 0; i < lengthof(key->hmac); i++)
		EVP_MAC_CTX_free(key->hmac[i]);
	OPENSSL_cleanse(key->bytes, key->len);
	pfree(key->bytes);
	pfree(key);
}

/*
 * Return the JwtKey for a key argument, from the cache or newly built.
 * Raises 22023 for an empty or too short secret and 0A000 for key kinds
 * this version does not implement.  The result stays valid until the next
 * call (it may be evicted after that).
 */
JwtKey *
jwt_key_get(const char *bytes, int len, bool is_text)
{
	uint32		hash;
	int			i;
	JwtKey	   *key;

	hash = hash_bytes((const unsigned char *) bytes, len);
	for (i = 0; i < key_cache_used; i++)
	{
		key = key_cache[i];
		if (key->hash == hash && key->len == len && key->is_text == is_text &&
			memcmp(key->bytes, bytes, len) == 0)
		{
			if (i > 0)
			{
				memmove(&key_cache[1], &key_cache[0], i * sizeof(JwtKey *));
				key_cache[0] = key;
			}
			return key;
		}
	}

	/* Not cached: recognise the key. */
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HMAC secret must not be empty")));
	if (looks_like_pem(bytes, len))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("PEM keys are not supported by this version of jwt"),
				 errdetail("The key is a PEM document, and a PEM document is never used as an HMAC secret.")));
	if (is_text)
	{
		int			j = 0;

		while (j < len && (bytes[j] == ' ' || bytes[j] == '\t' ||
						   bytes[j] == '\n' || bytes[j] == '\r'))
			j++;
		if (j < len && bytes[j] == '{')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("JWK keys are not supported by this version of jwt"),
					 errdetail("The key is a JSON object (a JWK), and a JWK is never used as an HMAC secret.")));
	}
	if (len < jwt_alg_by_id(JWT_ALG_HS256)->hash_len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HMAC secret is too short"),
				 errdetail("The secret has %d bytes; HS256 needs at least %d (RFC 7518, section 3.2).",
						   len, jwt_alg_by_id(JWT_ALG_HS256)->hash_len),
				 errhint("Use a longer secret, for example one from jwt_generate_secret().")));

	if (key_cxt == NULL)
		key_cxt = AllocSetContextCreate(TopMemoryContext, "jwt key cache",
										ALLOCSET_SMALL_SIZES);

	/* Build the entry completely before linking it. */
	key = MemoryContextAllocZero(key_cxt, sizeof(JwtKey));
	key->kind = JWT_KEY_SECRET;
	key->hash = hash;
	key->is_text = is_text;
	key->len = len;
	key->bytes = MemoryContextAlloc(key_cxt, len);
	memcpy(key->bytes, bytes, len);
	key->usable = 0;
	for (i = JWT_ALG_HS256; i <= JWT_ALG_HS512; i++)
	{
		if (len >= jwt_alg_by_id(i)->hash_len)
			key->usable |= JWT_ALG_BIT(i);
	}

	if (key_cache_used == JWT_KEY_CACHE_SIZE)
		key_free(key_cache[--key_cache_used]);
	memmove(&key_cache[1], &key_cache[0], key_cache_used * sizeof(JwtKey *));
	key_cache[0] = key;
	key_cache_used++;
	return key;
}

/*
 * Raise 22023 when the key cannot serve "alg" (used where the caller names
 * the algorithm: signing, and the algorithms allow-list).
 */
void
jwt_key_check_alg(JwtKey *key, const JwtAlg *alg)
{
	if (!alg->supported)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" is not supported by this version of jwt",
						alg->name)));
	if (alg->family != JWT_FAMILY_HMAC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key does not fit algorithm \"%s\"", alg->name),
				 errdetail("The key is an HMAC secret, which serves only HS256, HS384 and HS512.")));
	if ((key->usable & JWT_ALG_BIT(alg->id)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HMAC secret is too short for \"%s\"", alg->name),
				 errdetail("The secret has %d bytes; %s needs at least %d (RFC 7518, section 3.2).",
						   key->len, alg->name, alg->hash_len),
				 errhint("Use a longer secret, for example one from jwt_generate_secret().")));
}

/*
 * HMAC "data" with the key under "alg" (an HS algorithm the key may serve)
 * into "out" (EVP_MAX_MD_SIZE bytes).  Returns false when OpenSSL fails;
 * the caller reports that with jwt_openssl_error().  Never ereports: nothing here may leave an
 * OpenSSL object behind.
 */
bool
jwt_key_hmac(JwtKey *key, const JwtAlg *alg,
			 const char *data, size_t len,
			 unsigned char *out, size_t *outlen)
{
	int			slot = alg->id - JWT_ALG_HS256;
	EVP_MAC_CTX *ctx;

	Assert(alg->family == JWT_FAMILY_HMAC);

	if (hmac_mac == NULL)
	{
		hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (hmac_mac == NULL)
			return false;
	}

	ctx = key->hmac[slot];
	if (ctx == NULL)
	{
		OSSL_PARAM	params[2];

		ctx = EVP_MAC_CTX_new(hmac_mac);
		if (ctx == NULL)
			return false;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
													 (char *) alg->digest, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_init(ctx, key->bytes, key->len, params))
		{
			EVP_MAC_CTX_free(ctx);
			return false;
		}
		key->hmac[slot] = ctx;
	}
	else if (!EVP_MAC_init(ctx, NULL, 0, NULL))
		return false;

	if (!EVP_MAC_update(ctx, (const unsigned char *) data, len))
		return false;
	return EVP_MAC_final(ctx, out, outlen, EVP_MAX_MD_SIZE) == 1;
}
