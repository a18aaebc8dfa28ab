/*-------------------------------------------------------------------------
 *
 * key_import.c
 *		Building a key: PEM (PKCS#8, SEC1, PKCS#1, SPKI, X.509) and JWK
 *		(RFC 7517, RFC 8037) in, and the raw HMAC secret.
 *
 * PEM: PKCS#8 and SEC1/PKCS#1 private keys, SPKI and PKCS#1 public keys
 * (through OpenSSL's decoder, never prompting for a pass phrase: encrypted
 * keys are refused) and X.509 certificates (their public key); a body
 * OpenSSL cannot read is named by its PEM type, never shown.
 * JWK: kty "oct", "RSA", "EC" (P-256, P-384, P-521, secp256k1) and "OKP"
 * (Ed25519, Ed448); members "alg", "use", "key_ops" and "kid" are honoured.
 * JWK Set: {"keys": [...]}; members that cannot sign or verify (use "enc",
 * other key types or curves) are skipped, as JOSE libraries do.
 * Secret: refused when it holds key material (key_material.c), or when it
 * is empty or shorter than HS256's hash; it serves the HS algorithms whose
 * hash it is at least as long as (RFC 7518 section 3.2).
 *
 * Raises 22023 for a key that cannot be used, with a message that names
 * what is wrong and never any key material.
 *
 * Memory: called by jwt_key_get with CurrentMemoryContext set to the new
 * cache entry's context, so everything palloc'd here lives with the key.
 * OpenSSL objects that become part of the key are stored in it at once,
 * so that the entry's context, when it is deleted after a failure, frees
 * them (keys.c); temporary OpenSSL objects are freed before anything here
 * can raise.  A member of a set that is skipped is unbuilt here at once.
 *
 * src/key_import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "base64url.h"
#include "crypto.h"
#include "errors.h"
#include "json_in.h"
#include "key_export.h"
#include "key_import.h"
#include "key_material.h"

static int	no_passphrase(char *buf, int size, int rwflag, void *u);
static void key_set_pkey(JwtKey *key, EVP_PKEY *pkey, bool has_private);
static bool pkey_public_ok(EVP_PKEY *pkey);
static void key_from_jwk(JwtKey *key, JsonbContainer *jwk, bool in_set, bool *skip);

/*
 * A JWK member that names something ("kty", "crv", "use", "alg") as an
 * error detail shows it: quoted when it is as short as the names are (at
 * most JWK_NAME_SHOWN bytes: "PBES2-HS512+A256KW" is 18), else only its
 * length, so that a secret pasted into the wrong member (a "d" as "crv")
 * does not reach the client and the server log in part.
 */
#define JWK_NAME_SHOWN 20

static const char *
jwk_name_shown(const char *value)
{
	size_t		len = strlen(value);

	if (len <= JWK_NAME_SHOWN)
		return psprintf("\"%s\"", jwt_clip(value, JWK_NAME_SHOWN));
	return psprintf("a value of %zu bytes (not shown)", len);
}

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static void
bad_key(const char *msg, const char *detail)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", msg),
			 detail ? errdetail("%s", detail) : 0));
}

/*
 * Undo what building a member of a set did, when the set skips it: its
 * OpenSSL key and its secret.  Nothing else of a member holds resources
 * before its first signature.
 */
static void
unbuild(JwtKey *key)
{
	Assert(key->crypto == NULL && key->nmembers == 0);
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
	if (key->secret)
		OPENSSL_cleanse(key->secret, key->secret_len);
}

/*
 * The PS algorithms an RSA-PSS key serves.  A key with PSS parameter
 * restrictions (RFC 4055) allows one hash, one MGF1 hash and a minimum
 * salt length, and OpenSSL refuses a signature context outside them;
 * PSn uses SHA-n for both and a salt as long as the hash (RFC 7518,
 * section 3.5).  OpenSSL leaves out a restriction that is the RFC 8017
 * default, so a restricted key without a hash or an MGF1 hash has SHA-1.
 * Raises 22023 for restrictions that no PS algorithm fits.
 */
static JwtAlgSet
pss_usable(EVP_PKEY *pkey)
{
	char		md[64] = "SHA1";
	char		mgf1[64] = "SHA1";
	size_t		len;
	int			saltlen;
	JwtAlgSet	usable = 0;
	int			id;

	if (!EVP_PKEY_get_int_param(pkey, OSSL_PKEY_PARAM_RSA_PSS_SALTLEN, &saltlen))
	{
		ERR_clear_error();
		return JWT_ALGS_RSA_PSS;	/* unrestricted */
	}
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_RSA_DIGEST,
										md, sizeof(md), &len))
		strlcpy(md, "SHA1", sizeof(md));
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_RSA_MGF1_DIGEST,
										mgf1, sizeof(mgf1), &len))
		strlcpy(mgf1, "SHA1", sizeof(mgf1));
	for (id = JWT_ALG_PS256; id <= JWT_ALG_PS512; id++)
	{
		const JwtAlg *alg = jwt_alg_by_id(id);
		EVP_MD	   *d = EVP_MD_fetch(NULL, alg->digest, NULL);

		if (d != NULL && EVP_MD_is_a(d, md) && EVP_MD_is_a(d, mgf1) &&
			saltlen <= alg->hash_len)
			usable |= JWT_ALG_BIT(id);
		EVP_MD_free(d);
	}
	ERR_clear_error();
	if (usable == 0)
		bad_key("RSA-PSS key restrictions fit no JWS algorithm",
				psprintf("The key allows only hash %s with MGF1 %s and a salt of at least %d bytes; PS256, PS384 and PS512 use SHA-256, SHA-384 or SHA-512 for both and a salt as long as the hash.",
						 md, mgf1, saltlen));
	return usable;
}

/*
 * Whether an RSA public key is degenerate: an even modulus, or a public
 * exponent that is even or below 3 (with e = 1 a "signature" is the
 * padded hash itself, which anyone can write).  OpenSSL reads such keys
 * and verifies with them.
 */
static bool
rsa_degenerate(EVP_PKEY *pkey)
{
	BIGNUM	   *n = NULL;
	BIGNUM	   *e = NULL;
	bool		bad;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
		!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		bad = true;
	else
		bad = !BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return bad;
}

/*
 * The bits of an RSA key's public exponent (65537: 17).  A verification
 * costs a modular exponentiation by it: a 3071-bit exponent makes each one
 * some 70 times slower than 65537.  OpenSSL refuses exponents over 64 bits
 * for moduli over 3072 bits only.
 */
#define JWT_MAX_RSA_E_BITS 64

static int
rsa_exponent_bits(EVP_PKEY *pkey)
{
	BIGNUM	   *e = NULL;
	int			bits;

	bits = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ? BN_num_bits(e) : 0;
	BN_free(e);
	ERR_clear_error();
	return bits;
}

/*
 * Whether an Edwards public key (RFC 8032: y in little-endian order, the
 * top bit of the last byte the sign of x) is a point of small order, one
 * of the curve's torsion points: y is 0, 1 or -1 on both curves, or +-c
 * on Ed25519 (its points of order 8), also written non-canonically (y +
 * p).  A signature made with no private key at all verifies with such a
 * key (with the identity, R = identity and S = 0 for any message).  RFC
 * 8032 does not rule them out; JOSE has no use for them.  An Ed448 key
 * with bits set in its last byte besides the sign is refused too.
 */
static bool
okp_small_order(EVP_PKEY *pkey)
{
	static const char p25519[] = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFED";
	static const char c25519[] = "05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826";
	static const char p448[] = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
	unsigned char raw[57];
	size_t		len = sizeof(raw);
	bool		ed448 = EVP_PKEY_is_a(pkey, "ED448");
	BN_CTX	   *ctx = BN_CTX_new();
	BIGNUM	   *y = NULL;
	BIGNUM	   *p = NULL;
	BIGNUM	   *c = NULL;
	BIGNUM	   *t = BN_new();
	bool		small = true;	/* unreadable: refused too */

	if (ctx && t && EVP_PKEY_get_raw_public_key(pkey, raw, &len) == 1 &&
		len == (ed448 ? 57 : 32))
	{
		raw[len - 1] &= 0x7F;	/* the sign of x */
		/* Ed448's last byte holds nothing else: other bits stay refused */
		if (!(ed448 && raw[len - 1] != 0) &&
			(y = BN_lebin2bn(raw, len, NULL)) != NULL &&
			BN_hex2bn(&p, ed448 ? p448 : p25519) > 0 &&
			BN_hex2bn(&c, c25519) > 0 &&
			BN_mod(y, y, p, ctx) && BN_sub(t, p, BN_value_one()))
		{
			small = BN_is_zero(y) || BN_is_one(y) || BN_cmp(y, t) == 0;
			if (!ed448 && !small && BN_sub(t, p, c))
				small = BN_cmp(y, c) == 0 || BN_cmp(y, t) == 0;
		}
	}
	BN_free(y);
	BN_free(p);
	BN_free(c);
	BN_free(t);
	BN_CTX_free(ctx);
	ERR_clear_error();
	return small;
}

/*
 * Classify a parsed EVP_PKEY and fill in kind, bits, signature size and
 * the algorithms it serves.  The key takes ownership of pkey.
 */
static void
key_set_pkey(JwtKey *key, EVP_PKEY *pkey, bool has_private)
{
	key->pkey = pkey;
	key->has_private = has_private;
	key->bits = EVP_PKEY_get_bits(pkey);
	key->sig_len = EVP_PKEY_get_size(pkey);

	if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS"))
	{
		key->kind = JWT_KEY_RSA;
		key->usable = EVP_PKEY_is_a(pkey, "RSA-PSS") ? pss_usable(pkey) :
			JWT_ALGS_RSA_PKCS1 | JWT_ALGS_RSA_PSS;
		/* longer keys would only ever give "bad signature" */
		if (key->bits > JWT_MAX_RSA_BITS)
			bad_key("RSA key is too long",
					psprintf("The key has %d bits; OpenSSL verifies with at most %d.",
							 key->bits, JWT_MAX_RSA_BITS));
		/*
		 * Not OpenSSL's public key check, whose primality test of the
		 * modulus costs milliseconds on every key cache miss.
		 */
		if (rsa_degenerate(pkey))
			bad_key("RSA key is degenerate",
					"Its modulus is even, or its public exponent is even or 1: anyone could write signatures it accepts.");
		if (rsa_exponent_bits(pkey) > JWT_MAX_RSA_E_BITS)
			bad_key("RSA public exponent is too large",
					psprintf("It has %d bits; at most %d are taken, as OpenSSL takes for moduli over 3072 bits (every verification raises the signature to it).",
							 rsa_exponent_bits(pkey), JWT_MAX_RSA_E_BITS));
	}
	else if (EVP_PKEY_is_a(pkey, "EC"))
	{
		char		group[64];
		size_t		glen = 0;
		const JwtAlg *alg;

		key->kind = JWT_KEY_EC;
		/* the point at infinity, which a PEM key may be, verifies forgeries */
		if (!pkey_public_ok(pkey))
			bad_key("EC key is not a valid public key",
					"Its point is at infinity or not on the curve: anyone could write signatures it accepts.");
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
											group, sizeof(group), &glen))
			group[0] = '\0';
		alg = jwt_alg_by_curve(group);
		if (alg == NULL)
			bad_key("unsupported elliptic curve",
					psprintf("The key's curve is \"%s\"; JWS uses P-256, P-384, P-521 and secp256k1.",
							 group[0] ? group : "unknown"));
		key->usable = JWT_ALG_BIT(alg->id);
		key->sig_len = 2 * alg->coord_len;
	}
	else if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448"))
	{
		key->kind = JWT_KEY_OKP;
		key->usable = JWT_ALG_BIT(JWT_ALG_EDDSA);
		if (okp_small_order(pkey))
			bad_key("EdDSA key is a point of small order",
					"Anyone could write signatures it accepts.");
	}
	else
		bad_key("unsupported key type",
				psprintf("The key is of type \"%s\"; JWS signs with RSA, EC, Ed25519 and Ed448 keys.",
						 EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown"));
}

/*
 * A PEM document: the first block decides.  Whatever precedes its
 * "-----BEGIN " is skipped: a byte order mark, "Bag Attributes" lines, the
 * output of "openssl x509 -text", or a \v on the BEGIN line itself.
 */
void
jwt_key_from_pem(JwtKey *key, const char *pem, int len)
{
	const char *begin = NULL;
	char		label[64];
	int			i;
	EVP_PKEY   *pkey = NULL;
	bool		has_private;

	for (i = 0; i + 11 <= len; i++)
	{
		if (memcmp(pem + i, "-----BEGIN ", 11) == 0)
		{
			begin = pem + i + 11;
			break;
		}
	}
	Assert(begin != NULL);
	/* OpenSSL skips lines before the BEGIN line, but not text on it */
	len -= (begin - 11) - pem;
	pem = begin - 11;

	/*
	 * The block's name: capital letters, digits, spaces and dots, as every
	 * name in use ("EC PRIVATE KEY", "X9.42 DH PARAMETERS"; base64 has no
	 * dot), up to the "-----" that ends the line.  Nothing else is read as
	 * the name: a BEGIN line without its closing dashes would otherwise run
	 * on into the base64 body, the key itself, which the messages below
	 * quote.
	 */
	for (i = 0; begin + i < pem + len &&
		 ((begin[i] >= 'A' && begin[i] <= 'Z') ||
		  (begin[i] >= '0' && begin[i] <= '9') ||
		  begin[i] == ' ' || begin[i] == '.') &&
		 i < (int) sizeof(label) - 1; i++)
		label[i] = begin[i];
	label[i] = '\0';
	if (i == 0 || (pem + len) - (begin + i) < 5 || memcmp(begin + i, "-----", 5) != 0)
		bad_key("key is not a valid PEM document",
				"Its -----BEGIN line does not end with the block's name and five dashes.");

	if (strstr(label, "ENCRYPTED") != NULL ||
		memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL)
		bad_key("encrypted private keys are not supported",
				"Decrypt the key first; a key argument never carries a pass phrase.");
	has_private = (strstr(label, "PRIVATE KEY") != NULL);

	ERR_clear_error();
	if (strcmp(label, "CERTIFICATE") == 0)
	{
		BIO		   *bio = BIO_new_mem_buf(pem, len);
		X509	   *cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;

		if (cert)
			pkey = X509_get_pubkey(cert);
		X509_free(cert);
		BIO_free(bio);
	}
	else if (strstr(label, "KEY") != NULL)
	{
		OSSL_DECODER_CTX *dctx;
		const unsigned char *data = (const unsigned char *) pem;
		size_t		datalen = len;

		dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL,
											 has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
											 NULL, NULL);
		if (dctx == NULL ||
			!OSSL_DECODER_CTX_set_pem_password_cb(dctx, no_passphrase, NULL) ||
			!OSSL_DECODER_from_data(dctx, &data, &datalen))
		{
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		OSSL_DECODER_CTX_free(dctx);
	}
	else
		bad_key("unsupported PEM document",
				psprintf("The document is a \"%s\"; a key is a PUBLIC KEY, a PRIVATE KEY or a CERTIFICATE.",
						 jwt_clip(label, 64)));

	/*
	 * OpenSSL's reason ("unsupported", "ASN1 lib") says nothing to the
	 * caller: name the block and what its body should have been.
	 */
	if (pkey == NULL)
	{
		ERR_clear_error();
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key is not a valid PEM document"),
				 errdetail("The body of its \"%s\" block is not %s that OpenSSL can read.",
						   jwt_clip(label, 64),
						   strcmp(label, "CERTIFICATE") == 0 ? "an X.509 certificate" :
						   has_private ? "a private key" : "a public key"),
				 errhint("Pass the whole key, base64 lines and all, between its -----BEGIN and -----END lines.")));
	}
	key_set_pkey(key, pkey, has_private);
}

/* A string member of a JWK, or NULL. */
static char *
jwk_str(JsonbContainer *jwk, const char *name, bool required)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(jwk, name, strlen(name), &v) == NULL)
	{
		if (required)
			bad_key("JWK lacks a required member",
					psprintf("Member \"%s\" is missing.", name));
		return NULL;
	}
	if (v.type != jbvString)
		bad_key("JWK member is not a string",
				psprintf("Member \"%s\" must be a string.", name));
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* A base64url member of a JWK, decoded; NULL when absent and optional. */
static unsigned char *
jwk_bytes(JsonbContainer *jwk, const char *name, bool required, int *outlen)
{
	char	   *s = jwk_str(jwk, name, required);
	unsigned char *buf;
	int			n;

	if (s == NULL)
		return NULL;
	buf = palloc(B64URL_DEC_LEN(strlen(s)) + 1);
	n = b64url_decode(s, strlen(s), buf);
	OPENSSL_cleanse(s, strlen(s));	/* "d", "p", "k"...: a secret */
	pfree(s);
	if (n <= 0)
		bad_key("JWK member is not base64url",
				psprintf("Member \"%s\" must be non-empty unpadded base64url.", name));
	*outlen = n;
	return buf;
}

static void
jwk_wipe(unsigned char *buf, int len)
{
	if (buf)
		OPENSSL_cleanse(buf, len);
}

/* Build an EVP_PKEY from OSSL_PARAMs, or return NULL. */
static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
	EVP_PKEY   *pkey = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

	if (params == NULL || ctx == NULL ||
		EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
	{
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static bool
pkey_public_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool		ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *
jwk_rsa(JsonbContainer *jwk, bool *has_private)
{
	static const char *const priv_names[] = {"d", "p", "q", "dp", "dq", "qi"};
	static const char *const priv_params[] = {
		OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
	unsigned char *n_bytes,
			   *e_bytes;
	unsigned char *priv[6] = {NULL};
	int			n_len,
				e_len;
	int			priv_len[6] = {0};
	int			npriv = 0;
	int			i;
	OSSL_PARAM_BLD *bld;
	BIGNUM	   *bns[8] = {NULL};
	EVP_PKEY   *pkey = NULL;
	bool		ok;

	n_bytes = jwk_bytes(jwk, "n", true, &n_len);
	e_bytes = jwk_bytes(jwk, "e", true, &e_len);
	for (i = 0; i < 6; i++)
	{
		priv[i] = jwk_bytes(jwk, priv_names[i], false, &priv_len[i]);
		npriv += (priv[i] != NULL);
	}
	if (npriv != 0 && priv[0] == NULL)
		bad_key("RSA JWK has private factors but no \"d\"", NULL);
	if (npriv != 0 && npriv != 1 && npriv != 6)
		bad_key("RSA JWK has some of \"p\", \"q\", \"dp\", \"dq\", \"qi\" but not all", NULL);
	*has_private = (npriv > 0);

	/* No ereport from here until the OpenSSL objects are freed. */
	bld = OSSL_PARAM_BLD_new();
	bns[0] = BN_bin2bn(n_bytes, n_len, NULL);
	bns[1] = BN_bin2bn(e_bytes, e_len, NULL);
	ok = bld && bns[0] && bns[1] &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bns[0]) &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bns[1]);
	for (i = 0; ok && i < 6; i++)
	{
		if (priv[i] == NULL)
			continue;
		bns[2 + i] = BN_bin2bn(priv[i], priv_len[i], NULL);
		ok = bns[2 + i] && OSSL_PARAM_BLD_push_BN(bld, priv_params[i], bns[2 + i]);
	}
	if (ok)
		pkey = pkey_fromdata("RSA", bld, *has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	for (i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 6; i++)
		jwk_wipe(priv[i], priv_len[i]);

	if (pkey == NULL)
		bad_key("could not build the RSA key from the JWK", jwt_openssl_reason());
	return pkey;
}

static EVP_PKEY *
jwk_ec(JsonbContainer *jwk, bool *has_private)
{
	static const char *const crvs[][2] = {
		{"P-256", "prime256v1"}, {"P-384", "secp384r1"},
		{"P-521", "secp521r1"}, {"secp256k1", "secp256k1"}
	};
	char	   *crv = jwk_str(jwk, "crv", true);
	const char *group = NULL;
	const JwtAlg *alg;
	unsigned char *x,
			   *y,
			   *d;
	int			x_len,
				y_len,
				d_len = 0;
	unsigned char *pub;
	OSSL_PARAM_BLD *bld;
	BIGNUM	   *priv = NULL;
	EVP_PKEY   *pkey = NULL;
	bool		ok;
	int			i;

	for (i = 0; i < lengthof(crvs); i++)
	{
		if (strcmp(crv, crvs[i][0]) == 0)
			group = crvs[i][1];
	}
	if (group == NULL)
		bad_key("unsupported elliptic curve",
				psprintf("The JWK's \"crv\" is %s; JWS uses P-256, P-384, P-521 and secp256k1.",
						 jwk_name_shown(crv)));
	alg = jwt_alg_by_curve(group);
	x = jwk_bytes(jwk, "x", true, &x_len);
	y = jwk_bytes(jwk, "y", true, &y_len);
	d = jwk_bytes(jwk, "d", false, &d_len);
	if (x_len != alg->coord_len || y_len != alg->coord_len ||
		(d && d_len != alg->coord_len))
		bad_key("EC JWK coordinates have the wrong length",
				psprintf("On %s, \"x\", \"y\" and \"d\" have %d bytes.", crv, alg->coord_len));
	*has_private = (d != NULL);

	pub = palloc(1 + 2 * alg->coord_len);
	pub[0] = 0x04;				/* uncompressed point */
	memcpy(pub + 1, x, x_len);
	memcpy(pub + 1 + x_len, y, y_len);

	/* No ereport from here until the OpenSSL objects are freed. */
	bld = OSSL_PARAM_BLD_new();
	ok = bld &&
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * alg->coord_len);
	if (ok && d)
	{
		priv = BN_bin2bn(d, d_len, NULL);
		ok = priv && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
	}
	if (ok)
		pkey = pkey_fromdata("EC", bld, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
	if (pkey && !pkey_public_ok(pkey))
	{
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	BN_clear_free(priv);
	OSSL_PARAM_BLD_free(bld);
	jwk_wipe(d, d_len);

	if (pkey == NULL)
		bad_key("could not build the EC key from the JWK",
				"The point is not on the curve, or the private key does not fit it.");
	return pkey;
}

static EVP_PKEY *
jwk_okp(JsonbContainer *jwk, bool *has_private)
{
	char	   *crv = jwk_str(jwk, "crv", true);
	const char *type;
	int			klen;
	unsigned char *x,
			   *d;
	int			x_len,
				d_len = 0;
	EVP_PKEY   *pkey;
	bool		ok = true;

	if (strcmp(crv, "Ed25519") == 0)
		type = "ED25519", klen = 32;
	else if (strcmp(crv, "Ed448") == 0)
		type = "ED448", klen = 57;
	else
		bad_key("unsupported OKP curve",
				psprintf("The JWK's \"crv\" is %s; EdDSA uses Ed25519 and Ed448.",
						 jwk_name_shown(crv)));
	x = jwk_bytes(jwk, "x", true, &x_len);
	d = jwk_bytes(jwk, "d", false, &d_len);
	if (x_len != klen || (d && d_len != klen))
		bad_key("OKP JWK members have the wrong length",
				psprintf("On %s, \"x\" and \"d\" have %d bytes.", crv, klen));
	*has_private = (d != NULL);

	/* No ereport from here until the OpenSSL objects are freed. */
	if (d)
	{
		unsigned char derived[57];
		size_t		dlen = sizeof(derived);

		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, type, NULL, d, d_len);
		/* the private key must belong to the public one given */
		ok = pkey && EVP_PKEY_get_raw_public_key(pkey, derived, &dlen) == 1 &&
			dlen == (size_t) x_len && CRYPTO_memcmp(derived, x, x_len) == 0;
	}
	else
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, x, x_len);
	jwk_wipe(d, d_len);
	if (!ok)
	{
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		bad_key("OKP JWK private key does not match its public key", NULL);
	}
	if (pkey == NULL)
		bad_key("could not build the OKP key from the JWK", jwt_openssl_reason());
	return pkey;
}

/* An "oct" JWK's secret; "k" is wiped when the secret is refused too */
static void
jwk_oct(JwtKey *key, JsonbContainer *jwk)
{
	int			klen;
	unsigned char *k = jwk_bytes(jwk, "k", true, &klen);

	PG_TRY();
	{
		jwt_key_init_secret(key, k, klen);
	}
	PG_FINALLY();
	{
		jwk_wipe(k, klen);
	}
	PG_END_TRY();
}

/*
 * One JWK.  In a set (in_set), a key that cannot take part in signatures
 * sets *skip instead of raising.
 */
static void
key_from_jwk(JwtKey *key, JsonbContainer *jwk, bool in_set, bool *skip)
{
	char	   *kty;
	char	   *alg_name;
	char	   *use;
	JsonbValue	v;
	EVP_PKEY   *pkey = NULL;
	bool		has_private = false;

	*skip = false;
	if (!JsonContainerIsObject(jwk))
		bad_key("JWK is not a JSON object", NULL);
	kty = jwk_str(jwk, "kty", true);
	key->kid = jwk_str(jwk, "kid", false);
	use = jwk_str(jwk, "use", false);
	alg_name = jwk_str(jwk, "alg", false);

	if (use && strcmp(use, "sig") != 0)
	{
		if (in_set)
		{
			*skip = true;
			return;
		}
		bad_key("JWK is not a signature key",
				psprintf("Its \"use\" is %s, not \"sig\".", jwk_name_shown(use)));
	}
	if (getKeyJsonValueFromContainer(jwk, "key_ops", 7, &v) != NULL)
	{
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;

		if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
			bad_key("JWK member \"key_ops\" is not an array", NULL);
		key->can_sign = key->can_verify = false;
		it = JsonbIteratorInit(v.val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM || e.type != jbvString)
				continue;
			if (e.val.string.len == 4 && memcmp(e.val.string.val, "sign", 4) == 0)
				key->can_sign = true;
			if (e.val.string.len == 6 && memcmp(e.val.string.val, "verify", 6) == 0)
				key->can_verify = true;
		}
	}

	if (strcmp(kty, "oct") == 0)
	{
		jwk_oct(key, jwk);
	}
	else if (strcmp(kty, "RSA") == 0)
		pkey = jwk_rsa(jwk, &has_private);
	else if (strcmp(kty, "EC") == 0)
	{
		char	   *crv = jwk_str(jwk, "crv", true);

		if (in_set && strcmp(crv, "P-256") != 0 && strcmp(crv, "P-384") != 0 &&
			strcmp(crv, "P-521") != 0 && strcmp(crv, "secp256k1") != 0)
		{
			*skip = true;
			return;
		}
		pkey = jwk_ec(jwk, &has_private);
	}
	else if (strcmp(kty, "OKP") == 0)
	{
		char	   *crv = jwk_str(jwk, "crv", true);

		if (in_set && strcmp(crv, "Ed25519") != 0 && strcmp(crv, "Ed448") != 0)
		{
			*skip = true;		/* X25519/X448 are for key agreement */
			return;
		}
		pkey = jwk_okp(jwk, &has_private);
	}
	else
	{
		if (in_set)
		{
			*skip = true;
			return;
		}
		bad_key("unsupported JWK key type",
				psprintf("Its \"kty\" is %s; JWS uses oct, RSA, EC and OKP.",
						 jwk_name_shown(kty)));
	}
	if (pkey)
		key_set_pkey(key, pkey, has_private);

	if (alg_name)
	{
		const JwtAlg *alg = jwt_alg_by_name(alg_name, strlen(alg_name));

		if (alg == NULL || (key->usable & JWT_ALG_BIT(alg->id)) == 0)
		{
			if (in_set)
			{
				*skip = true;
				return;
			}
			bad_key("JWK \"alg\" does not fit the key",
					psprintf("Its \"alg\" is %s and the key is %s.",
							 jwk_name_shown(alg_name), jwt_key_describe(key)));
		}
		key->usable = JWT_ALG_BIT(alg->id);
	}
}

/*
 * One JWK as a member of a set its owner built would take it (the key
 * registry's): *skip is set for a key that cannot take part in signatures
 * (use "enc", another key type or curve, an "alg" it does not fit), and
 * false is returned, with the message in *why, for a key that cannot be
 * built (22023: the messages name no key material).  Other errors (out of
 * memory, a cancel) are raised.  A "keys" member is one more unknown
 * member here, never a set.  The caller frees what the key holds either
 * way.
 *
 * The error is caught without a subtransaction: building a key takes no
 * lock, pin or other resource that an abort would release, only memory
 * and OpenSSL objects, which the key holds or which are freed before
 * anything raises.  errfinish() zeroes the interrupt holdoff counts before
 * the jump, so they are put back.
 */
bool
jwt_key_try_member(JwtKey *key, JsonbContainer *jwk, bool *skip, char **why)
{
	MemoryContext old = CurrentMemoryContext;
	uint32		holdoff = InterruptHoldoffCount;
	uint32		cancel_holdoff = QueryCancelHoldoffCount;
	volatile bool ok = true;

	*skip = false;
	*why = NULL;
	PG_TRY();
	{
		key_from_jwk(key, jwk, true, skip);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(old);
		if (geterrcode() != ERRCODE_INVALID_PARAMETER_VALUE)
			PG_RE_THROW();
		edata = CopyErrorData();
		FlushErrorState();
		InterruptHoldoffCount = holdoff;
		QueryCancelHoldoffCount = cancel_holdoff;
		*why = edata->message;
		ok = false;
	}
	PG_END_TRY();
	ERR_clear_error();
	return ok;
}

/* Raise 22023 for a JWK Set of "n" keys when at most "max" are taken */
void
jwt_key_check_set_size(int n, int max)
{
	if (n > max)
		bad_key("JWK Set has too many keys",
				psprintf("It has %d keys; at most %d are taken.", n, max));
}

/*
 * A JWK or a JWK Set as jsonb.  A set with more than "max_members" keys
 * is refused (0: any number, for a set its owner built, as the key
 * registry's, whose members that cannot be built are left out as those
 * that cannot sign are: the registry checked them already, but a GUC
 * such as jwt.max_json_depth may have changed since).
 */
void
jwt_key_from_jwk_jsonb(JwtKey *key, Jsonb *jb, int max_members)
{
	JsonbValue	v;
	bool		skip;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		bad_key("JWK is not a JSON object", NULL);

	if (getKeyJsonValueFromContainer(&jb->root, "keys", 4, &v) == NULL)
	{
		key_from_jwk(key, &jb->root, false, &skip);
		return;
	}

	/* a JWK Set */
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		bad_key("JWK Set member \"keys\" is not an array", NULL);
	else
	{
		JsonbIterator *it = JsonbIteratorInit(v.val.binary.data);
		JsonbValue	e;
		JsonbIteratorToken tok;
		int			n = JsonContainerSize(v.val.binary.data);

		if (max_members > 0)
			jwt_key_check_set_size(n, max_members);
		key->kind = JWT_KEY_SET;
		key->set_size = n;
		key->members = palloc0(sizeof(JwtKey *) * Max(n, 1));
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			JwtKey	   *m;

			if (tok != WJB_ELEM)
				continue;
			if (e.type != jbvBinary)
				bad_key("JWK Set member is not a JSON object", NULL);
			m = palloc0(sizeof(JwtKey));
			m->can_sign = m->can_verify = true;
			/* link first, so that a failure frees what it built */
			key->members[key->nmembers++] = m;
			if (max_members > 0)
				key_from_jwk(m, e.val.binary.data, true, &skip);
			else
			{
				char	   *why;

				/* the owner's set: a member that fails is left out */
				if (!jwt_key_try_member(m, e.val.binary.data, &skip, &why))
					skip = true;
			}
			if (skip)
			{
				unbuild(m);
				key->nmembers--;
				continue;
			}
			key->usable |= m->usable;
			key->has_private |= m->has_private;
		}
		if (key->nmembers == 0)
			bad_key("JWK Set has no signature key", NULL);
	}
}

/*
 * A JWK or JWK Set as JSON text.
 */
void
jwt_key_from_jwk_text(JwtKey *key, const char *json, int len)
{
	Jsonb	   *jb;
	char	   *detail;

	if (jwt_json_parse_server(json, len, "key", &jb, &detail) != JWT_REASON_NONE)
		bad_key("key is neither a PEM document nor a valid JWK", detail);
	jwt_key_from_jwk_parsed(key, jb);
}

/*
 * A JWK or JWK Set the caller parsed into "jb", which is wiped and freed:
 * the key holds nothing of it, and it has the private members unescaped
 * (a secret written with \u escapes has that form nowhere else).  Wiped
 * also when the key is refused.
 */
void
jwt_key_from_jwk_parsed(JwtKey *key, Jsonb *jb)
{
	PG_TRY();
	{
		jwt_key_from_jwk_jsonb(key, jb, JWT_MAX_JWKS_KEYS);
	}
	PG_CATCH();
	{
		OPENSSL_cleanse(jb, VARSIZE(jb));
		PG_RE_THROW();
	}
	PG_END_TRY();
	OPENSSL_cleanse(jb, VARSIZE(jb));
	pfree(jb);
}

/*
 * Set up a raw HMAC secret (a bare secret, or the "k" of an "oct" JWK).
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
	 * catches every other form of key text (jwt_key_material_kind), and PEM or
	 * JSON in the "k" of an "oct" JWK.
	 */
	kind = jwt_key_material_kind(bytes, len);
	if (kind && strncmp(kind, "a DER-encoded", 13) == 0)
		hint = "Pass the key as PEM or as a JWK.";
	else if (kind && strncmp(kind, "the base64 or hex of", 20) == 0)
		hint = "Pass the key as PEM, between -----BEGIN and -----END lines, or as a JWK.";
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
	key->secret_maybe_key = jwt_secret_maybe_key(bytes, len);
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
