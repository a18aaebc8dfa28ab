/*-------------------------------------------------------------------------
 *
 * refresh_token.c
 *		Refresh token crypto: the opaque token text, its successor and its
 *		hash (jwt_refresh_new_token, jwt_refresh_token_hash, and the C
 *		calls of the other refresh modules).
 *
 * Tokens are 32 bytes in unpadded base64url (43 characters).  A first
 * token is 32 bytes from OpenSSL's CSPRNG; a successor is
 * HMAC-SHA256(retry_key, parent token text), where retry_key is 32 fresh
 * CSPRNG bytes stored with the successor, so that a retry presenting the
 * parent again within the grace window can recompute the same successor
 * without the table holding the token itself.  The key stays until the
 * successor rotates or jwt_refresh_purge() wipes it, its window being over
 * (README, "How a retry gets the same successor"): until then the parent's
 * text and a copy of the table give the successor.  The table stores
 * SHA-256 of the token text.
 *
 * Raises only when OpenSSL fails (jwt_openssl_error, XX000); no token
 * text appears in an error.  Memory: results in CurrentMemoryContext;
 * intermediate secrets are wiped.  No OpenSSL objects outlive a call: the
 * one-shot digest and HMAC functions allocate none that the caller owns.
 *
 * src/refresh_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base64url.h"
#include "crypto.h"
#include "entry.h"
#include "errors.h"
#include "refresh.h"


/*
 * 32 bytes as 43 characters of unpadded base64url, in a new text.
 */
static text *
refresh_encode(const unsigned char *bytes)
{
	int			n = B64URL_ENC_LEN(REFRESH_TOKEN_BYTES);
	text	   *res = palloc(VARHDRSZ + n);

	b64url_encode(bytes, REFRESH_TOKEN_BYTES, VARDATA(res));
	SET_VARSIZE(res, VARHDRSZ + n);
	return res;
}

/*
 * A first token of a family, 256 bits from OpenSSL's CSPRNG, in a new
 * text.
 */
text *
jwt_refresh_first_token(void)
{
	unsigned char buf[REFRESH_TOKEN_BYTES];
	text	   *res;

	ERR_clear_error();
	if (RAND_bytes(buf, sizeof(buf)) != 1)
		jwt_openssl_error("could not generate random bytes");
	res = refresh_encode(buf);
	explicit_bzero(buf, sizeof(buf));
	return res;
}

/*
 * jwt_refresh_new_token() -> text: a first token of a family.
 */
JWT_FUNCTION(jwt_refresh_new_token)
{
	PG_RETURN_TEXT_P(jwt_refresh_first_token());
}

/*
 * The token that succeeds "parent": HMAC-SHA256 keyed with the successor's
 * retry key (32 bytes) over the parent's text, in base64url.  Deterministic,
 * so that a retry in the grace window gets the same successor;
 * unpredictable without the retry key.
 */
text *
jwt_refresh_successor(text *parent, const unsigned char *key)
{
	unsigned char mac[REFRESH_TOKEN_BYTES];
	text	   *res;

	StaticAssertStmt(REFRESH_TOKEN_BYTES == 32, "HMAC-SHA256 gives 32 bytes");
	ERR_clear_error();
	if (!jwt_crypto_hmac_sha256(key, REFRESH_TOKEN_BYTES, VARDATA_ANY(parent),
								VARSIZE_ANY_EXHDR(parent), mac))
		jwt_openssl_error("could not compute HMAC-SHA256");
	res = refresh_encode(mac);
	explicit_bzero(mac, sizeof(mac));
	return res;
}

/*
 * SHA-256 of a token's text, in a new bytea: the only form in which the
 * table keeps a token.
 */
bytea *
jwt_refresh_hash(text *token)
{
	bytea	   *res = palloc(VARHDRSZ + REFRESH_HASH_BYTES);
	unsigned int len = 0;

	ERR_clear_error();
	if (EVP_Digest(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
				   (unsigned char *) VARDATA(res), &len, EVP_sha256(),
				   NULL) != 1 || len != REFRESH_HASH_BYTES)
		jwt_openssl_error("could not compute SHA-256");
	SET_VARSIZE(res, VARHDRSZ + REFRESH_HASH_BYTES);
	return res;
}

/*
 * jwt_refresh_token_hash(token text) -> bytea: SHA-256 of the token's text.
 */
JWT_FUNCTION(jwt_refresh_token_hash)
{
	PG_RETURN_BYTEA_P(jwt_refresh_hash(PG_GETARG_TEXT_PP(0)));
}
