/*-------------------------------------------------------------------------
 *
 * keys.c
 *		Turning a key argument into a JwtKey, caching it, choosing the key
 *		of a set, and HMAC.
 *
 * A key argument is recognised before anything else, by its shape alone,
 * after a UTF-8 byte order mark and ASCII whitespace (space, \t, \n, \v,
 * \f, \r): text or bytea that contains "-----BEGIN " anywhere is a PEM key
 * (text before that line is skipped); any jsonb, text that starts with
 * "{", and bytea that starts with "{" and is a JSON object are a JWK or a
 * JWK Set; anything else is an HMAC secret, unless it is a DER-encoded
 * public key, private key or certificate, which is refused.  A secret
 * (raw, or the "k" of an "oct" JWK) that holds a PEM document, a JSON
 * object or a DER key is refused as well.  So a PEM document, a JWK or a
 * public key is never taken as an HMAC secret, and the classic "RS256
 * public key used as HS256 secret" forgery cannot start here.  jwk.c does
 * the parsing.
 *
 * Every key binds the algorithms it may serve ("usable"): a secret of n
 * bytes the HS algorithms whose hash is at most n bytes (RFC 7518 section
 * 3.2), an RSA key RS* and PS*, an EC key the one ES algorithm of its curve,
 * an Ed25519/Ed448 key EdDSA, and a JWK with "alg" only that algorithm.
 *
 * Cache: the last JWT_KEY_CACHE_SIZE keys, most recent first, each in a
 * memory context of its own under "jwt key cache" in TopMemoryContext,
 * with their OpenSSL objects (EVP_PKEY, keyed HMAC and signature
 * contexts), so that a query using one key many times parses it once.  An
 * entry is built under PG_TRY, freed completely if building fails, and
 * linked only once complete.  Eviction wipes the secret and the argument
 * bytes and frees the OpenSSL objects; the copies made while parsing (a
 * JWK parsed from text or bytea, its base64url members, a JWK converted
 * from the database encoding) are wiped as soon as the key is built.  When
 * building fails, the entry's memory is freed without wiping.  Nothing in the cache depends on the
 * transaction, so an error leaves it consistent.  Arguments over
 * jwt.max_key_size are refused before anything else, which bounds what the
 * cache can hold.
 *
 * src/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "base64url.h"
#include "errors.h"
#include "json_in.h"
#include "jwt.h"
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
static EVP_MAC *hmac_mac = NULL;

/*
 * The length of a leading UTF-8 byte order mark and ASCII whitespace, which
 * do not count when the form of a key argument is decided.
 */
static int
skip_bom_space(const char *bytes, int len)
{
	int			i = 0;

	if (len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' ||
					   bytes[i] == '\v' || bytes[i] == '\f' || bytes[i] == '\r'))
		i++;
	return i;
}

/* A PEM document: "-----BEGIN " anywhere, as OpenSSL skips what precedes. */
static bool
has_pem(const char *bytes, int len)
{
	return memmem(bytes, len, "-----BEGIN ", 11) != NULL;
}

/*
 * Whether the bytes (after skip_bom_space) are one JSON object by the
 * syntax alone: duplicate members, the database encoding and the depth
 * limit do not matter here, so that a JWK jwt_json_parse would refuse is
 * refused rather than taken as a secret.  Never ereports for bad input.
 */
static bool
is_json_object(const char *bytes, int len)
{
	int			skip = skip_bom_space(bytes, len);
	JsonLexContext *lex;
	bool		ok;

	if (skip >= len || bytes[skip] != '{')
		return false;

	/*
	 * pg_parse_json recurses, and raises when the stack runs out: nesting
	 * deeper than jwt.max_json_depth counts as a JSON object without being
	 * parsed (what follows refuses it either way).
	 */
	{
		int			depth = 0;
		bool		in_string = false;
		int			i;

		for (i = skip; i < len; i++)
		{
			char		c = bytes[i];

			if (in_string)
			{
				if (c == '\\')
					i++;
				else if (c == '"')
					in_string = false;
			}
			else if (c == '"')
				in_string = true;
			else if (c == '{' || c == '[')
			{
				if (++depth > jwt_max_json_depth)
					return true;
			}
			else if (c == '}' || c == ']')
				depth--;
		}
	}
	lex = makeJsonLexContextCstringLen_compat((char *) bytes + skip,
											  len - skip, PG_UTF8, false);
	ok = pg_parse_json(lex, &nullSemAction) == JSON_SUCCESS;
	freeJsonLexContext_compat(lex);
	return ok;
}

/*
 * What DER-encoded key or certificate the bytes (after skip_bom_space)
 * begin with, or NULL.  Each is an ASN.1 SEQUENCE, so other bytes are not
 * tried.  Never ereports: frees what it parsed and clears the error queue.
 */
static const char *
der_kind(const char *bytes, int len)
{
	int			skip = skip_bom_space(bytes, len);
	const unsigned char *start = (const unsigned char *) bytes + skip;
	const unsigned char *p;
	EVP_PKEY   *pkey = NULL;
	X509	   *cert = NULL;
	const char *kind = NULL;

	len -= skip;
	if (len < 2 || start[0] != 0x30)
		return NULL;
	ERR_set_mark();
	if ((p = start, pkey = d2i_PUBKEY(NULL, &p, len)) != NULL)
		kind = "a DER-encoded public key";
	else if ((p = start, pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len)) != NULL)
		kind = "a DER-encoded RSA public key";
	else if ((p = start, pkey = d2i_AutoPrivateKey(NULL, &p, len)) != NULL)
		kind = "a DER-encoded private key";
	else if ((p = start, cert = d2i_X509(NULL, &p, len)) != NULL)
		kind = "a DER-encoded certificate";
	EVP_PKEY_free(pkey);
	X509_free(cert);
	ERR_pop_to_mark();
	return kind;
}

/*
 * What key the bytes are an encoding of, or NULL: base64 or base64url (a
 * PEM body without its BEGIN and END lines, as some identity providers
 * show a public key; a whole PEM file, as kept in environment variables)
 * or hex of a DER key or certificate, or of a PEM document.  Only text of
 * such characters and white space, long enough for the smallest key, is
 * decoded; the copies are wiped, since the bytes are usually a secret.
 */
static const char *
encoded_key_kind(const char *bytes, int len)
{
	int			skip = skip_bom_space(bytes, len);
	char	   *text;
	char	   *dec;
	int			n = 0;
	int			declen;
	int			i;
	bool		hex = true;
	const char *kind = NULL;

	bytes += skip;
	len -= skip;
	if (len < 60)
		return NULL;
	for (i = 0; i < len; i++)
	{
		char		c = bytes[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			continue;
		hex = false;
		if (!((c >= 'G' && c <= 'Z') || (c >= 'g' && c <= 'z') ||
			  c == '+' || c == '/' || c == '-' || c == '_' || c == '='))
			return NULL;
	}
	/* without white space and padding, base64 as base64url */
	text = palloc(len);
	for (i = 0; i < len; i++)
	{
		char		c = bytes[i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '=')
			text[n++] = (c == '+') ? '-' : (c == '/') ? '_' : c;
	}
	dec = palloc(B64URL_DEC_LEN(n) + 1);
	if (hex && n % 2 == 0)
		declen = (int) hex_decode(text, n, dec);
	else
		declen = b64url_decode(text, n, (unsigned char *) dec);
	if (declen > 0)
	{
		kind = der_kind(dec, declen);
		if (kind == NULL && has_pem(dec, declen))
			kind = "a PEM document";
	}
	OPENSSL_cleanse(text, len);
	OPENSSL_cleanse(dec, B64URL_DEC_LEN(n) + 1);
	pfree(text);
	pfree(dec);
	return kind;
}

static void
cache_evict_last(void)
{
	KeyCacheEntry *e = &key_cache[--key_cache_used];

	jwt_key_free_contents(e->key);
	MemoryContextDelete(e->cxt);
}

/*
 * Set up a raw HMAC secret (also used by jwk.c for "oct" JWKs).
 */
void
jwt_key_init_secret(JwtKey *key, const unsigned char *bytes, int len)
{
	int			i;
	const char *kind;
	const char *hint = NULL;

	/*
	 * A key in another form is never a secret: whoever knows a public key
	 * could sign with it.  jwt_key_get sends PEM and JWK elsewhere; this
	 * catches DER and encodings of keys, and PEM or JSON in the "k" of an
	 * "oct" JWK.
	 */
	if (has_pem((const char *) bytes, len) ||
		memmem(bytes, len, "-----END ", 9) != NULL)
		kind = "a PEM document";
	else if (memmem(bytes, len, "\"kty\"", 5) != NULL ||
			 memmem(bytes, len, "\\\"kty\\\"", 7) != NULL)
		kind = "a JWK";
	else if (is_json_object((const char *) bytes, len))
		kind = "a JSON object";
	else if ((kind = der_kind((const char *) bytes, len)) != NULL)
		hint = "Pass the key as PEM or as a JWK.";
	else if ((kind = encoded_key_kind((const char *) bytes, len)) != NULL)
	{
		kind = psprintf("the base64 or hex of %s", kind);
		hint = "Pass the key as PEM, between -----BEGIN and -----END lines, or as a JWK.";
	}
	if (kind)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key is %s, which is never an HMAC secret", kind),
				 errdetail("Whoever knows a public key could sign tokens with it as an HMAC secret."),
				 hint ? errhint("%s", hint) : 0));

	if (len == 0)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HMAC secret must not be empty")));
	if (len < jwt_alg_by_id(JWT_ALG_HS256)->hash_len)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("HMAC secret is too short"),
				 errdetail("The secret has %d bytes; HS256 needs at least %d (RFC 7518, section 3.2).",
						   len, jwt_alg_by_id(JWT_ALG_HS256)->hash_len),
				 errhint("Use a longer secret, for example one from jwt_generate_secret().")));
	key->kind = JWT_KEY_SECRET;
	key->secret = palloc(len);
	memcpy(key->secret, bytes, len);
	key->secret_len = len;
	key->has_private = true;
	key->usable = 0;
	for (i = JWT_ALG_HS256; i <= JWT_ALG_HS512; i++)
	{
		if (len >= jwt_alg_by_id(i)->hash_len)
			key->usable |= JWT_ALG_BIT(i);
	}
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
jwt_key_get(const char *bytes, int len, JwtKeyForm form)
{
	uint32		hash;
	int			i;
	MemoryContext cxt;
	MemoryContext old;
	JwtKey	   *volatile key = NULL;

	if (len > jwt_max_key_size)
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
		int			skip = skip_bom_space(bytes, len);
		Jsonb	   *jb = NULL;
		char	   *detail = NULL;

		key = palloc0(sizeof(JwtKey));
		key->can_sign = key->can_verify = true;
		if (form == JWT_FORM_JSONB)
			jwt_key_from_jwk_jsonb(key, (Jsonb *) bytes);
		else if (has_pem(bytes, len))
			jwt_key_from_pem(key, bytes, len);
		else if (form == JWT_FORM_TEXT && skip < len && bytes[skip] == '{')
			jwt_key_from_jwk_text(key, bytes + skip, len - skip);
		else if (form == JWT_FORM_BYTEA && is_json_object(bytes, len))
		{
			/* UTF-8, as JOSE has it */
			if (jwt_json_parse(bytes + skip, len - skip, "key", NULL, 0,
							   &jb, &detail) != JWT_REASON_NONE)
				jwt_ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("key is neither a PEM document nor a valid JWK"),
						 errdetail("%s", detail)));
			jwt_key_from_jwk_jsonb(key, jb);
			OPENSSL_cleanse(jb, VARSIZE(jb));	/* its private members */
			pfree(jb);
		}
		else
			jwt_key_init_secret(key, (const unsigned char *) bytes, len);
		key->hash = hash;
		key->form = form;
		key->len = len;
		key->bytes = palloc(len);
		memcpy(key->bytes, bytes, len);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		if (key)
			jwt_key_free_contents(key);
		MemoryContextDelete(cxt);
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
			if (!jwt_pkey_pair_ok(key, alg))
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

/*
 * HMAC "data" with the secret under "alg" (an HS algorithm the key may
 * serve) into "out" (EVP_MAX_MD_SIZE bytes).  Returns false when OpenSSL
 * fails; the caller reports that with jwt_openssl_error().  Never
 * ereports: nothing here may leave an OpenSSL object behind.  The keyed
 * context lives in the key's cache entry and is re-initialised per call
 * (EVP_MAC_init with a NULL key keeps the key).
 */
bool
jwt_key_hmac(JwtKey *key, const JwtAlg *alg,
			 const char *data, size_t len,
			 unsigned char *out, size_t *outlen)
{
	int			slot = alg->id - JWT_ALG_HS256;
	EVP_MAC_CTX *ctx;

	Assert(alg->family == JWT_FAMILY_HMAC && key->kind == JWT_KEY_SECRET);

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
		if (!EVP_MAC_init(ctx, key->secret, key->secret_len, params))
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
