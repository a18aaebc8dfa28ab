/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *		Per-backend cache of verified signatures: a client that presents
 *		the same ES256, EdDSA, RS256 or PS256 token again (an access token
 *		is normally reused for its whole lifetime) costs hashing the token
 *		and a hash lookup instead of a signature check.
 *
 * What is cached is one fact: "this exact token text has a valid signature
 * under this exact key object".  An entry is a digest of the whole token
 * (the token text itself is never kept) and the serial number of the key
 * that verified it (the member of a JWK Set that the token's kid picked),
 * and, to save reading the payload again, the claims set as read from it
 * (claims.c's JwtClaimSet, when it takes at most JWT_TOKEN_CACHE_CLAIMS_MAX
 * bytes; no signature, so an entry cannot be made back into a token),
 * from the first call that finds the entry on: that call reads the payload
 * as usual and leaves its claims there, so that a token verified once and
 * never again (many distinct tokens going by) costs no copy of them.
 * The digest is the SHA-256 of the whole token.  Its
 * state after the header and payload (the signing input) is kept, and on
 * a miss finished into the SHA-256 of the signing input, which an RS256,
 * PS256 or ES256 signature signs: the check takes it from there instead of
 * hashing the text again.  Every call still
 * runs every other step of verify.c: shape, header, the algorithm
 * allow-list, the choice of the key by kid, jwt.min_rsa_bits, then typ,
 * the claims (exp, nbf, iat and max_age against the evaluation time with
 * the call's leeway, iss, sub, aud, required claims) and, in the callers,
 * the denylist and the session checks.  So a cached token is refused
 * exactly when an uncached one would be: past exp, before nbf, for
 * another audience, denylisted.  The claims kept are what reading the
 * payload would give again: that depends only on the payload's text, the
 * database encoding and jwt.max_json_depth, and they are used only while
 * the setting is the one they were read under; the checks run on them
 * at each call as on claims just read.
 *
 * Key identity.  A key object gets a serial number (never reused in the
 * backend) the first time it verifies a token here.  A token verified with
 * key K is thus never served to a call with key K2, nor after K left the
 * key cache of keys.c and was parsed again, nor after the key registry
 * changed: the registry's key set is then read again and its keys are new
 * objects.  A rotation or retirement also empties the whole cache
 * (registry.c's invalidation callback calls jwt_token_cache_reset), both
 * when the change commits (in every backend that holds the registry's key
 * set; one that does not would read it again, as new objects, before its
 * next registry verification) and when it rolls back (in the changing
 * backend): emptying is always safe, since an entry only saves work.  No transaction state is involved, so a rollback can leave
 * nothing stale in either direction.
 *
 * HMAC tokens are not cached: hashing the token costs as much as checking
 * its MAC.  Only valid signatures are stored: a forged token, or one
 * differing from a cached one in a single byte, has another digest and
 * goes through the full check.
 *
 * Bounds.  At most jwt.token_cache_size entries (default 1024; 0 turns the
 * cache off and frees it), least recently used evicted first.  An entry
 * takes about 100 bytes with dynahash's overhead, in the "jwt token cache"
 * context under TopMemoryContext, and its claims at most 1 kB in "jwt
 * token cache claims" (both visible in pg_backend_memory_contexts).  The
 * claims' context keeps a freed chunk for another chunk of its own
 * power-of-two size, so after claims of every size in turn it can hold
 * about 2.2 kB an entry (sql/token_cache.sql measures it): at the
 * default, at most about 2.4 MB per backend, until the cache is emptied.
 *
 * A hit counts as a verification in jwt_stats like any other (api.c counts
 * every call of jwt_verify_with, whatever its path).
 *
 * src/token_cache.c
 *
 *-------------------------------------------------------------------------
 */
/*
 * SHA256_Init/Update/Final: deprecated in OpenSSL 3, still built in, no
 * per-call fetch (SHA256() itself is EVP_Q_digest there, which fetches the
 * digest on every call)
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "postgres.h"

#include <openssl/sha.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "entry.h"
#include "errors.h"
#include "jwt.h"
#include "token_cache.h"

int			jwt_token_cache_size = 1024;

typedef struct TokenCacheKey
{
	unsigned char digest[JWT_TOKEN_DIGEST_LEN];
	uint64		serial;			/* of the key that verified it */
} TokenCacheKey;

/*
 * The hash of a key: the digest is a SHA-256 already, so its first bytes
 * (and the serial) do; dynahash's default would hash it again.
 */
static uint32
key_hash(const void *key, Size keysize)
{
	const TokenCacheKey *k = (const TokenCacheKey *) key;
	uint32		h;

	Assert(keysize == sizeof(TokenCacheKey));
	memcpy(&h, k->digest, sizeof(h));
	return h ^ (uint32) k->serial ^ (uint32) (k->serial >> 32);
}

typedef struct TokenCacheEntry
{
	TokenCacheKey key;			/* hash key: must be first */
	dlist_node	lru;			/* head: most recently used */
	JwtClaimSet *claims;		/* the payload as read, or NULL */
} TokenCacheEntry;

static HTAB *cache = NULL;		/* in its own context, "jwt token cache" */
static MemoryContext claims_cxt = NULL; /* "jwt token cache claims" */
static dlist_head cache_lru = DLIST_STATIC_INIT(cache_lru);
static int	cache_entries = 0;
static uint64 next_serial = 0;
static uint64 cache_hits = 0;
static uint64 cache_misses = 0;

static uint64
key_serial(JwtKey *key)
{
	if (key->serial == 0)
		key->serial = ++next_serial;
	return key->serial;
}

void
jwt_token_cache_reset(void)
{
	if (cache != NULL)
		hash_destroy(cache);
	cache = NULL;
	if (claims_cxt != NULL)
		MemoryContextDelete(claims_cxt);
	claims_cxt = NULL;
	dlist_init(&cache_lru);
	cache_entries = 0;
}

/* Evict the least recently used entries until at most "max" are left. */
static void
cache_trim(int max)
{
	while (cache_entries > max && !dlist_is_empty(&cache_lru))
	{
		TokenCacheEntry *old = dlist_container(TokenCacheEntry, lru,
											   dlist_tail_node(&cache_lru));

		dlist_delete(&old->lru);
		if (old->claims != NULL)
			pfree(old->claims);
		hash_search(cache, &old->key, HASH_REMOVE, NULL);
		cache_entries--;
	}
}

/*
 * Whether a token signed with "alg" goes through the cache.  Also applies
 * a smaller jwt.token_cache_size (0 frees the cache).
 */
bool
jwt_token_cache_applies(const JwtAlg *alg)
{
	if (jwt_token_cache_size <= 0)
	{
		if (cache != NULL)
			jwt_token_cache_reset();
		return false;
	}
	if (cache_entries > jwt_token_cache_size)
		cache_trim(jwt_token_cache_size);
	return alg->family != JWT_FAMILY_HMAC;
}

/*
 * Is the token, as verified by "key", in the cache?  Always computes its
 * digest (the SHA-256 of the whole text) into d->digest for
 * jwt_token_cache_store; false (and a zeroed digest) when SHA-256 fails.
 * With "keep_input", also keeps the state of that hash after the first
 * "input_len" bytes (the signing input), which jwt_token_cache_input_hash
 * finishes into the signing input's SHA-256 when the signature must be
 * checked: one pass over the text for both.
 */
bool
jwt_token_cache_lookup(const char *token, int len, int input_len,
					   bool keep_input, JwtKey *key, JwtTokenDigest *d,
					   const JwtClaimSet **claims)
{
	TokenCacheKey k;
	TokenCacheEntry *e;
	SHA256_CTX	c;

	Assert(input_len <= len);
	d->has_input = false;
	*claims = NULL;
	if (!SHA256_Init(&c) || !SHA256_Update(&c, token, input_len))
	{
		memset(d->digest, 0, JWT_TOKEN_DIGEST_LEN);
		return false;
	}
	if (keep_input)
	{
		d->input = c;
		d->has_input = true;
	}
	if (!SHA256_Update(&c, token + input_len, len - input_len) ||
		!SHA256_Final(d->digest, &c))
	{
		memset(d->digest, 0, JWT_TOKEN_DIGEST_LEN);
		d->has_input = false;
		return false;
	}
	if (cache == NULL)
	{
		cache_misses++;
		return false;
	}
	memcpy(k.digest, d->digest, JWT_TOKEN_DIGEST_LEN);
	k.serial = key_serial(key);
	e = hash_search(cache, &k, HASH_FIND, NULL);
	if (e == NULL)
	{
		cache_misses++;
		return false;
	}
	dlist_move_head(&cache_lru, &e->lru);
	cache_hits++;
	if (e->claims != NULL && e->claims->depth_limit == jwt_max_json_depth)
		*claims = e->claims;
	return true;
}

/*
 * The SHA-256 of the signing input into "md" (32 bytes), from the state
 * jwt_token_cache_lookup kept; false when it kept none.
 */
bool
jwt_token_cache_input_hash(JwtTokenDigest *d, unsigned char *md)
{
	if (!d->has_input)
		return false;
	d->has_input = false;
	return SHA256_Final(md, &d->input) == 1;
}

/* Remember that "key" verified the token of "d". */
void
jwt_token_cache_store(const JwtTokenDigest *d, JwtKey *key)
{
	const unsigned char *digest = d->digest;
	static const unsigned char zero[JWT_TOKEN_DIGEST_LEN];
	TokenCacheKey k;
	TokenCacheEntry *e;
	bool		found;

	if (jwt_token_cache_size <= 0)
	{
		jwt_token_cache_reset();
		return;
	}
	if (memcmp(digest, zero, JWT_TOKEN_DIGEST_LEN) == 0)
		return;					/* no digest: see jwt_token_cache_lookup */
	if (cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(TokenCacheKey);
		ctl.entrysize = sizeof(TokenCacheEntry);
		ctl.hash = key_hash;
		ctl.hcxt = TopMemoryContext;	/* dynahash makes its own child */
		cache = hash_create("jwt token cache", Min(jwt_token_cache_size, 1024),
							&ctl, HASH_ELEM | HASH_FUNCTION | HASH_CONTEXT);
		dlist_init(&cache_lru);
		cache_entries = 0;
	}
	if (claims_cxt == NULL)
		claims_cxt = AllocSetContextCreate(TopMemoryContext,
										   "jwt token cache claims",
										   ALLOCSET_SMALL_SIZES);

	/* room first, so that the table never holds more than the setting */
	cache_trim(jwt_token_cache_size - 1);

	memcpy(k.digest, digest, JWT_TOKEN_DIGEST_LEN);
	k.serial = key_serial(key);
	e = hash_search(cache, &k, HASH_ENTER, &found);
	if (found)
		dlist_move_head(&cache_lru, &e->lru);
	else
	{
		e->claims = NULL;
		dlist_push_head(&cache_lru, &e->lru);
		cache_entries++;
	}
}

/*
 * Keep a copy of the claims set read from the token of "d", which
 * jwt_token_cache_lookup found without claims usable now, for the calls
 * that find it again; not when it would take more than
 * JWT_TOKEN_CACHE_CLAIMS_MAX bytes, nor when the entry is gone or memory
 * is short (then they read the payload as usual).  Never raises.
 */
void
jwt_token_cache_store_claims(const JwtTokenDigest *d, JwtKey *key,
							 const JwtClaimSet *cs)
{
	TokenCacheKey k;
	TokenCacheEntry *e;
	JwtClaimSet *copy;

	if (cache == NULL || claims_cxt == NULL)
		return;
	memcpy(k.digest, d->digest, JWT_TOKEN_DIGEST_LEN);
	k.serial = key_serial(key);
	e = hash_search(cache, &k, HASH_FIND, NULL);
	if (e == NULL)
		return;
	copy = jwt_claims_copy(cs, claims_cxt, JWT_TOKEN_CACHE_CLAIMS_MAX);
	if (copy == NULL)
		return;
	if (e->claims != NULL)
		pfree(e->claims);
	e->claims = copy;
}

/*
 * jwt_token_cache_info() -> (entries, max_entries, hits, misses) of this
 * backend's cache; hits and misses since the backend started.
 */
JWT_FUNCTION(jwt_token_cache_info)
{
	TupleDesc	td;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		jwt_elog(ERROR, "return type must be a row type");
	td = BlessTupleDesc(td);
	values[0] = Int32GetDatum(cache_entries);
	values[1] = Int32GetDatum(jwt_token_cache_size);
	values[2] = Int64GetDatum((int64) cache_hits);
	values[3] = Int64GetDatum((int64) cache_misses);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
