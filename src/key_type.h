/*-------------------------------------------------------------------------
 *
 * key_type.h
 *		JwtKey: the one representation of a key that every key module
 *		reads and writes.  Types and limits only; the life of a key (the
 *		cache, freeing) is keys.c's, building one key_import.c's, writing
 *		one out key_export.c's, and its signatures crypto.c's.
 *
 * src/key_type.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEY_TYPE_H
#define JWT_KEY_TYPE_H

#include <openssl/evp.h>

#include "algs.h"

typedef enum JwtKeyKind
{
	JWT_KEY_SECRET,				/* HMAC shared secret (raw or JWK "oct") */
	JWT_KEY_RSA,
	JWT_KEY_EC,
	JWT_KEY_OKP,				/* Ed25519 / Ed448 */
	JWT_KEY_SET					/* JWK Set: see members */
} JwtKeyKind;

/* How the key argument came in; part of the cache identity. */
typedef enum JwtKeyForm
{
	JWT_FORM_TEXT,
	JWT_FORM_BYTEA,
	JWT_FORM_JSONB
} JwtKeyForm;

/*
 * The largest RSA key: OpenSSL verifies nothing longer
 * (OPENSSL_RSA_MAX_MODULUS_BITS), and the largest signature it makes.
 */
#define JWT_MAX_RSA_BITS	16384
#define JWT_MAX_SIG_LEN		(JWT_MAX_RSA_BITS / 8)

/* The most keys a JWK Set passed as an argument may have */
#define JWT_MAX_JWKS_KEYS	256

/* crypto.c's per-key OpenSSL state (keyed MACs, signature contexts) */
typedef struct JwtCryptoState JwtCryptoState;

typedef struct JwtKey JwtKey;

struct JwtKey
{
	JwtKeyKind	kind;
	JwtAlgSet	usable;			/* algorithms this key may serve */
	bool		has_private;	/* can sign */
	bool		pair_checked;	/* private key passed jwt_crypto_pair_ok */

	/* JWK metadata (NULL / false when absent) */
	char	   *kid;
	bool		can_sign;		/* "use"/"key_ops" allow signing */
	bool		can_verify;		/* "use"/"key_ops" allow verifying */

	/* JWT_KEY_SECRET */
	int			secret_len;
	unsigned char *secret;
	bool		bare_secret;	/* given as text or bytea, not as a JWK */
	bool		secret_maybe_key;	/* could be key text: see key_material.c */

	/* JWT_KEY_RSA, _EC, _OKP */
	EVP_PKEY   *pkey;
	int			bits;
	int			sig_len;		/* signature size in bytes (RSA, OKP) */

	/* every single key: crypto.c's state, made at the first signature */
	JwtCryptoState *crypto;

	/* JWT_KEY_SET */
	int			nmembers;
	JwtKey	  **members;
	int			set_size;		/* members of its "keys", skipped ones too */

	/* identity in the verified-token cache (token_cache.c), 0 until used */
	uint64		serial;

	/* cache identity (top-level keys only) */
	uint32		hash;
	JwtKeyForm	form;
	int			len;
	unsigned char *bytes;		/* the argument's bytes, wiped on eviction */
};

#endif							/* JWT_KEY_TYPE_H */
