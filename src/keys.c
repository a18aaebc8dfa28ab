/*-------------------------------------------------------------------------
 *
 * keys.c
 *		The life of a key: recognising what a key argument is, the
 *		per-backend key cache, choosing the key of a set, the checks a key
 *		must pass for an algorithm, and freeing.
 *
 * A key argument is recognised before anything else, by its shape alone,
 * after a UTF-8 byte order mark and ASCII whitespace (space, \t, \n, \v,
 * \f, \r): text or bytea that contains "-----BEGIN " anywhere is a PEM key
 * (text before that line is skipped); any jsonb, text that starts with
 * "{", and bytea that starts with "{" and is a JSON object are a JWK or a
 * JWK Set; anything else is an HMAC secret, unless it holds key material
 * in any serialization (key_material.c), which is refused, raw or as the
 * "k" of an "oct" JWK.  A secret given as text or bytea that could be a
 * key without structure (a raw point or modulus in base64 or hex)
 * verifies only with "algorithms", and any such secret does when
 * jwt.require_algorithms_for_secrets is on.  So a PEM document, a JWK or
 * a public key is never taken as an HMAC secret, and the classic "RS256
 * public key used as HS256 secret" forgery cannot start here.
 * key_import.c builds the key.
 *
 * Every key binds the algorithms it may serve ("usable"): a secret of n
 * bytes the HS algorithms whose hash is at most n bytes (RFC 7518 section
 * 3.2), an RSA key RS* and PS*, an EC key the one ES algorithm of its curve,
 * an Ed25519/Ed448 key EdDSA, and a JWK with "alg" only that algorithm.
 *
 * Cache: the last JWT_KEY_CACHE_SIZE keys, most recent first, each in a
 * memory context of its own under "jwt key cache" in TopMemoryContext,
 * with their OpenSSL objects (EVP_PKEY, and crypto.c's keyed HMAC and
 * signature contexts), so that a query using one key many times parses it
 * once.  A reset callback on the entry's context frees the key's OpenSSL
 * objects and wipes its secret and the argument bytes whenever the
 * context goes: on eviction, and when building the entry fails, which
 * deletes it at once; an entry is linked only once complete.  The copies
 * made while parsing (a JWK parsed from text or bytea, its base64url
 * members, a JWK converted from the database encoding) are wiped as soon
 * as the key is built.  Nothing in the cache depends on the transaction,
 * so an error leaves it consistent.  Arguments over jwt.max_key_size are
 * refused before anything else, which bounds what the cache can hold.
 *
 * Raises 54000 for an argument over jwt.max_key_size and 22023 for a key
 * that cannot be used, or cannot serve an algorithm as asked.
 *
 * src/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>

#include "common/hashfn.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "crypto.h"
#include "errors.h"
#include "json_in.h"
#include "jwt.h"
#include "key_export.h"
#include "key_import.h"
#include "key_material.h"
#include "keys.h"

#define JWT_KEY_CACHE_SIZE	16

typedef struct KeyCacheEntry
{
	MemoryContext cxt;
	JwtKey	   *key;
} KeyCacheEntry;

static MemoryContext key_cache_cxt = NULL;
static KeyCacheEntry key_cache[JWT_KEY_CACHE_SIZE];
static int	key_cache_used = 0;
static uint64 key_cache_evictions = 0;	/* see jwt_key_get_memo */

/*
 * Free the OpenSSL objects of a key (and of its members) and wipe its
 * secret and argument bytes.  The memory itself belongs to the cache
 * entry's context.
 */
static void
key_free_contents(JwtKey *key)
{
	int			i;

	for (i = 0; i < key->nmembers; i++)
	{
		if (key->members[i])
			key_free_contents(key->members[i]);
	}
	key->nmembers = 0;
	jwt_crypto_release(key);
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
	if (key->secret)
		OPENSSL_cleanse(key->secret, key->secret_len);
	if (key->bytes)
		OPENSSL_cleanse(key->bytes, key->len);
}

/* The reset callback of a key's context: see "Cache" above. */
static void
key_reset(void *arg)
{
	key_free_contents((JwtKey *) arg);
}

/*
 * A new, empty key in "cxt", which frees its contents when it is reset or
 * deleted.
 */
static JwtKey *
key_new(MemoryContext cxt)
{
	JwtKey	   *key = MemoryContextAllocZero(cxt, sizeof(JwtKey));
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	key->can_sign = key->can_verify = true;
	cb->func = key_reset;
	cb->arg = key;
	MemoryContextRegisterResetCallback(cxt, cb);
	return key;
}

static JwtKey *key_get(const char *bytes, int len, JwtKeyForm form, bool owned);

static void
cache_evict_last(void)
{
	KeyCacheEntry *e = &key_cache[--key_cache_used];

	MemoryContextDelete(e->cxt);
	key_cache_evictions++;
}

/*
 * Return the JwtKey for a key argument, from the cache or newly built.
 * For JWT_FORM_JSONB, "bytes" is the whole Jsonb varlena.  Raises 54000
 * for an argument over jwt.max_key_size, 22023 for a key that cannot be
 * used (empty or short secret, malformed PEM or JWK, unsupported key
 * type).  The result stays valid until the next call (it may be evicted
 * after that).
 */
JwtKey *
jwt_key_get_memo(JwtKeyMemo *memo, const char *bytes, int len, JwtKeyForm form)
{
	JwtKey	   *k = memo->key;

	/*
	 * The key this call site found last time, if no key left the cache
	 * since (so it is still allocated) and the argument has the same bytes:
	 * no hashing, no search.  jwt.max_key_size is checked as below.
	 */
	if (k != NULL && memo->evictions == key_cache_evictions &&
		len <= jwt_max_key_size && k->len == len && k->form == form &&
		memcmp(k->bytes, bytes, len) == 0)
		return k;
	k = jwt_key_get(bytes, len, form);
	memo->key = k;
	memo->evictions = key_cache_evictions;
	return k;
}

/*
 * jwt_key_get_memo for bytes that stay the same for as long as the memo
 * lives (their owner keeps both, and drops the memo with the bytes): the
 * key is found again without comparing them.  The bytes are the owner's,
 * not an argument (the key registry's JWK Set, built from its table), so
 * neither jwt.max_key_size nor the limit on the keys of a set applies:
 * a registry with many keys must not stop verifying.  (An argument with
 * the same bytes finds the same key in the cache: parsed already, it
 * costs nothing more, but a set of more keys than an argument may have is
 * refused all the same.)
 */
JwtKey *
jwt_key_get_owned(JwtKeyMemo *memo, const char *bytes, int len, JwtKeyForm form)
{
	if (memo->key != NULL && memo->evictions == key_cache_evictions)
		return memo->key;
	memo->key = key_get(bytes, len, form, true);
	memo->evictions = key_cache_evictions;
	return memo->key;
}

JwtKey *
jwt_key_get(const char *bytes, int len, JwtKeyForm form)
{
	return key_get(bytes, len, form, false);
}

static JwtKey *
key_get(const char *bytes, int len, JwtKeyForm form, bool owned)
{
	uint32		hash;
	int			i;
	MemoryContext cxt;
	MemoryContext old;
	JwtKey	   *volatile key = NULL;

	if (!owned && len > jwt_max_key_size)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("key argument exceeds jwt.max_key_size"),
				 errdetail("The key argument has %d bytes; jwt.max_key_size is %d.",
						   len, jwt_max_key_size)));

	hash = hash_bytes((const unsigned char *) bytes, len);
	for (i = 0; i < key_cache_used; i++)
	{
		JwtKey	   *k = key_cache[i].key;

		if (k->hash == hash && k->len == len && k->form == form &&
			memcmp(k->bytes, bytes, len) == 0)
		{
			/* built by jwt_key_get_owned, found for an argument */
			if (!owned && k->kind == JWT_KEY_SET)
				jwt_key_check_set_size(k->set_size, JWT_MAX_JWKS_KEYS);
			if (i > 0)
			{
				KeyCacheEntry tmp = key_cache[i];

				memmove(&key_cache[1], &key_cache[0], i * sizeof(KeyCacheEntry));
				key_cache[0] = tmp;
			}
			return k;
		}
	}

	if (key_cache_cxt == NULL)
		key_cache_cxt = AllocSetContextCreate(TopMemoryContext, "jwt key cache",
											  ALLOCSET_SMALL_SIZES);
	cxt = AllocSetContextCreate(key_cache_cxt, "jwt key", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			skip = jwt_skip_bom_space(bytes, len);
		Jsonb	   *jb = NULL;
		char	   *detail = NULL;

		key = key_new(cxt);

		if (form == JWT_FORM_JSONB)
			jwt_key_from_jwk_jsonb(key, (Jsonb *) bytes,
								   owned ? 0 : JWT_MAX_JWKS_KEYS);
		else if (jwt_has_pem(bytes, len))
			jwt_key_from_pem(key, bytes, len);
		else if (form == JWT_FORM_TEXT && skip < len && bytes[skip] == '{')
			jwt_key_from_jwk_text(key, bytes + skip, len - skip);
		else if (form == JWT_FORM_BYTEA && jwt_is_json_object(bytes, len))
		{
			/* UTF-8, as JOSE has it */
			if (jwt_json_parse_key(bytes + skip, len - skip,
								   &jb, &detail) != JWT_REASON_NONE)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("key is neither a PEM document nor a valid JWK"),
						 errdetail("%s", detail)));
			jwt_key_from_jwk_parsed(key, jb);
		}
		else
		{
			jwt_key_init_secret(key, (const unsigned char *) bytes, len);
			key->bare_secret = true;
		}
		key->hash = hash;
		key->form = form;
		key->len = len;
		key->bytes = palloc(len);
		memcpy(key->bytes, bytes, len);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);	/* key_reset frees what was built */
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	/* Complete: link it, evicting the least recently used. */
	if (key_cache_used == JWT_KEY_CACHE_SIZE)
		cache_evict_last();
	memmove(&key_cache[1], &key_cache[0], key_cache_used * sizeof(KeyCacheEntry));
	key_cache[0].cxt = cxt;
	key_cache[0].key = key;
	key_cache_used++;
	return key;
}

/*
 * Build one JWK as a member of a set would take it (jwt_key_try_member),
 * in a context of its own that is deleted at once.  Returns whether it
 * can take part in signatures, with the reason in *why when not; an RSA
 * when "public" is not NULL, the public JWK of a usable asymmetric key
 * that allows verifying and is no RSA key under "min_rsa_bits", written
 * from the key built (jwt_key_public_jwk), else NULL.
 */
static bool
key_check(Jsonb *jwk, char **why, int min_rsa_bits, Jsonb **public)
{
	MemoryContext old = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(old, "jwt key check",
											  ALLOCSET_SMALL_SIZES);
	JwtKey	   *key = key_new(cxt);
	bool		skip;
	volatile bool ok = false;
	char	   *reason;

	*why = NULL;
	if (public)
		*public = NULL;
	PG_TRY();
	{
		/* built in its own context, as jwt_key_get builds a key */
		MemoryContextSwitchTo(cxt);
		ok = jwt_key_try_member(key, &jwk->root, &skip, &reason);
		MemoryContextSwitchTo(old);
		if (!ok)
			*why = pstrdup(reason);
		else if (skip)
		{
			*why = pstrdup("it is not a signature key of a type, curve and algorithm JWS uses");
			ok = false;
		}
		else if (public && key->kind != JWT_KEY_SECRET && key->can_verify &&
				 (key->kind != JWT_KEY_RSA || key->bits >= min_rsa_bits))
			*public = jwt_key_public_jwk(key);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);	/* key_reset frees what was built */
	}
	PG_END_TRY();
	return ok;
}

/*
 * Whether one JWK can take part in a JWK Set's signatures: false, with
 * the reason in *why, when a set would skip it or could not be built with
 * it.  The key registry asks
 * this of each of its keys, so that one key that cannot be used leaves
 * the others working.
 */
bool
jwt_key_jwk_usable(Jsonb *jwk, char **why)
{
	return key_check(jwk, why, 0, NULL);
}

/*
 * The public JWK of one JWK as the key reader builds it: its public
 * members, "use": "sig", its "kid" and its "alg" (jwt_key_public_jwk),
 * nothing else it holds; NULL when it cannot be used, is a secret, does
 * not allow verifying ("key_ops", "use"), or is an RSA key under
 * "min_rsa_bits".
 */
Jsonb *
jwt_key_jwk_public(Jsonb *jwk, int min_rsa_bits)
{
	char	   *why;
	Jsonb	   *public;

	(void) key_check(jwk, &why, min_rsa_bits, &public);
	return public;
}

/*
 * Raise 22023 when "key" may not choose the algorithms itself, as it does
 * when a verifier passes no "algorithms": a secret given as text or bytea
 * that could be the text of a key (jwt_secret_maybe_key), or any such secret
 * when jwt.require_algorithms_for_secrets is on.  A JWK "oct" says what it
 * is and is not concerned.
 */
void
jwt_key_check_implicit_algorithms(JwtKey *key)
{
	if (key->kind != JWT_KEY_SECRET || !key->bare_secret)
		return;
	if (jwt_require_algorithms_for_secrets)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithms must be given with an HMAC secret"),
				 errdetail("jwt.require_algorithms_for_secrets is on."),
				 errhint("Pass algorithms => '{HS256}' (or the HS algorithms the secret serves).")));
	if (key->secret_maybe_key)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithms must be given with an HMAC secret that could be the text of a key"),
				 errdetail("The secret holds text that could encode a public key, an EC point or an RSA modulus, or compressed data; "
						   "whoever knows a public key could sign tokens with it as an HMAC secret."),
				 errhint("Pass algorithms => '{HS256}' if it is an HMAC secret, or pass a public key as PEM or as a JWK.")));
}

/*
 * Raise 22023 when a single key cannot serve "alg" as the caller asked
 * (signing, or an HMAC allow-list), 0A000 never: every JOSE signature
 * algorithm is implemented.
 */
void
jwt_key_check_alg(JwtKey *key, const JwtAlg *alg, bool for_signing)
{
	if (key->kind == JWT_KEY_SET)
		return;					/* checked per member by jwt_key_pick */
	if ((key->usable & JWT_ALG_BIT(alg->id)) == 0)
	{
		if (key->kind == JWT_KEY_SECRET && alg->family == JWT_FAMILY_HMAC)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("HMAC secret is too short for \"%s\"", alg->name),
					 errdetail("The secret has %d bytes; %s needs at least %d (RFC 7518, section 3.2).",
							   key->secret_len, alg->name, alg->hash_len),
					 errhint("Use a longer secret, for example one from jwt_generate_secret().")));
		else
		{
			char		names[128];

			jwt_alg_set_names(key->usable, names, sizeof(names));
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key does not fit algorithm \"%s\"", alg->name),
					 errdetail("The key is %s, which serves %s.", jwt_key_describe(key), names),
					 key->kind == JWT_KEY_SECRET ? 0 :
					 errhint("Pass the algorithm explicitly, for example algorithm => '%s'.",
							 jwt_alg_by_id(pg_rightmost_one_pos32(key->usable))->name)));
		}
	}
	if (for_signing)
	{
		if (!key->has_private)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a public key cannot sign"),
					 errdetail("The key is %s.", jwt_key_describe(key))));
		if (!key->can_sign)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the JWK does not allow signing"),
					 errdetail("Its \"use\" or \"key_ops\" member rules signing out.")));
		if (key->kind == JWT_KEY_RSA && key->bits < 2048)
			jwt_ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("RSA key is too short to sign"),
					 errdetail("The key has %d bits; signing needs at least 2048.", key->bits)));
		/* once per key, before its first signature */
		if (key->kind != JWT_KEY_SECRET && !key->pair_checked)
		{
			if (!jwt_crypto_pair_ok(key, alg))
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("private key does not match its public key"),
						 errdetail("A test signature with %s did not verify with the key's own public part; the key is corrupted or assembled from different keys.",
								   alg->name)));
			key->pair_checked = true;
		}
	}
	else if (key->kind == JWT_KEY_RSA && key->bits < jwt_min_rsa_bits)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("RSA key is too short"),
				 errdetail("The key has %d bits; jwt.min_rsa_bits is %d.",
						   key->bits, jwt_min_rsa_bits)));
}

/*
 * Choose the key that serves "alg" for a token with "kid" (may be NULL):
 * the key itself, or the one member of a set that matches.  Returns
 * JWT_REASON_NONE and sets *out, or a reason with a detail.
 */
JwtReason
jwt_key_pick(JwtKey *key, const JwtAlg *alg, const char *kid, bool for_signing,
			 JwtKey **out, char **detail)
{
	JwtKey	   *found = NULL;
	int			nfound = 0;
	bool		kid_seen = false;
	int			i;

	if (key->kind != JWT_KEY_SET)
	{
		if ((key->usable & JWT_ALG_BIT(alg->id)) == 0 ||
			(!for_signing && !key->can_verify))
		{
			*detail = psprintf("Algorithm \"%s\" cannot be verified with %s",
							   alg->name, jwt_key_describe(key));
			return JWT_REASON_KEY_MISMATCH;
		}
		*out = key;
		return JWT_REASON_NONE;
	}

	for (i = 0; i < key->nmembers; i++)
	{
		JwtKey	   *m = key->members[i];

		if (kid != NULL && (m->kid == NULL || strcmp(m->kid, kid) != 0))
			continue;
		kid_seen = true;
		if ((m->usable & JWT_ALG_BIT(alg->id)) == 0)
			continue;
		if (for_signing ? !(m->can_sign && m->has_private) : !m->can_verify)
			continue;
		found = m;
		nfound++;
	}
	if (nfound == 1)
	{
		*out = found;
		return JWT_REASON_NONE;
	}
	if (nfound > 1)
	{
		*detail = psprintf("%d keys of the set match %s%s%s and algorithm \"%s\"",
						   nfound, kid ? "kid \"" : "no kid", kid ? jwt_clip(kid, 64) : "",
						   kid ? "\"" : "", alg->name);
		return JWT_REASON_KEY_MISMATCH;
	}
	if (kid != NULL && !kid_seen)
	{
		*detail = psprintf("No key of the set has kid \"%s\"", jwt_clip(kid, 64));
		return JWT_REASON_UNKNOWN_KEY;
	}
	*detail = psprintf("No key of the set%s%s%s serves algorithm \"%s\"",
					   kid ? " with kid \"" : "", kid ? jwt_clip(kid, 64) : "",
					   kid ? "\"" : "", alg->name);
	return kid ? JWT_REASON_KEY_MISMATCH : JWT_REASON_UNKNOWN_KEY;
}
