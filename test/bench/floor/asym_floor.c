/*
 * asym_floor.c - the irreducible per-token work of RS256, PS256, ES256 and
 * EdDSA (Ed25519) JWS, in plain C with OpenSSL 3 and a key parsed once, as
 * the ceiling any SQL-callable implementation can approach.
 *
 *   verify: find the last '.', base64url-decode the signature (ES256: check
 *           it is 64 bytes and convert JOSE r||s to DER), check it over
 *           header.payload.  No JSON parsing, no claim checks.
 *   sign:   base64url-encode header and (pre-serialized) payload JSON, sign
 *           (ES256: DER -> r||s), base64url-encode the signature.
 *
 * Several ways of driving OpenSSL 3 are timed per operation; the fastest is
 * the floor (its name is printed):
 *   md-ctx-new     EVP_MD_CTX_new + EVP_Digest{Sign,Verify}Init_ex(pkey)
 *                  + one-shot EVP_Digest{Sign,Verify} + free, per token
 *                  (the straightforward way)
 *   md-ctx-reinit  one EVP_MD_CTX set up with the key (and PSS parameters)
 *                  once, re-initialised per token with
 *                  EVP_Digest{Sign,Verify}Init(ctx, NULL, NULL, NULL, NULL)
 *   md-ctx-copy    one EVP_MD_CTX set up once as a template, copied into a
 *                  reused working context per token (EVP_MD_CTX_copy_ex)
 *   prehash        SHA-256 with the low-level functions (see sha256()),
 *                  then EVP_PKEY_{sign,verify} on one EVP_PKEY_CTX
 *                  initialised once (padding, salt length and digest set
 *                  once); not for Ed25519, which signs the message itself
 *   ec-key         ES256 sign only: the deprecated EC_KEY interface,
 *                  ECDSA_do_sign on the hash, r||s read from the ECDSA_SIG
 *                  (no DER, no provider dispatch)
 *
 * Modes:
 *   asym_floor gen ALG KEY.pem FIRST LAST NOW
 *       print tokens FIRST..LAST (one a line) signed with the private key,
 *       claims shaped like the HS256 benchmark (distinct sub and jti)
 *   asym_floor bench DIR NOW OP...
 *       OP is ALG:sign:N or ALG:verify:N; keys are read from DIR/rsa.key,
 *       DIR/rsa.pub, DIR/ec.key, DIR/ec.pub, DIR/ed.key, DIR/ed.pub (PKCS#8
 *       and SPKI PEM), tokens to verify from DIR/ALG.tok (made by gen).
 *       Env JWT_BENCH_RUNS (3): timed runs, best kept, after a warm-up;
 *       the variants are timed in turn, round-robin, so that a noisy
 *       moment hits them alike.
 * ALG: RS256, PS256, ES256, EdDSA.
 *
 * Build: cc -O2 -Wall -o asym_floor asym_floor.c -lcrypto
 * Output of bench (stdout, tab-separated):
 *   floor <variant> "<ALG> <op>" <ops_per_s> <count>
 *   floor best      "<ALG> <op>" <ops_per_s> <count> <fastest variant>
 */
#define _GNU_SOURCE				/* memrchr; the Build line above needs no -D */
#define OPENSSL_SUPPRESS_DEPRECATED 1	/* ec-key: the EC_KEY interface */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#define MAX_SIG 512				/* RSA up to 4096 bits */
#define MAX_TOKEN 2048

typedef enum
{
	K_RSA, K_EC, K_ED
} KeyKind;

typedef struct Alg
{
	const char *name;
	const char *header;			/* header JSON */
	KeyKind		kind;
	int			pss;
	const char *md;				/* NULL: Ed25519 (no separate digest) */
} Alg;

static const Alg algs[] = {
	{"RS256", "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", K_RSA, 0, "SHA256"},
	{"PS256", "{\"alg\":\"PS256\",\"typ\":\"JWT\"}", K_RSA, 1, "SHA256"},
	{"ES256", "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", K_EC, 0, "SHA256"},
	{"EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", K_ED, 0, NULL},
};

static const char *kind_file[] = {"rsa", "ec", "ed"};

static int	n_runs = 3;
static long now_epoch;

static const char b64u_enc[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static signed char b64u_dec[256];

static void
die(const char *msg)
{
	fprintf(stderr, "asym_floor: %s\n", msg);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
b64u_encode(char *dst, const unsigned char *src, size_t len)
{
	char	   *d = dst;
	size_t		i = 0;

	for (; i + 3 <= len; i += 3)
	{
		unsigned	v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];

		d[0] = b64u_enc[v >> 18];
		d[1] = b64u_enc[(v >> 12) & 63];
		d[2] = b64u_enc[(v >> 6) & 63];
		d[3] = b64u_enc[v & 63];
		d += 4;
	}
	if (len - i == 1)
	{
		unsigned	v = src[i] << 16;

		*d++ = b64u_enc[v >> 18];
		*d++ = b64u_enc[(v >> 12) & 63];
	}
	else if (len - i == 2)
	{
		unsigned	v = (src[i] << 16) | (src[i + 1] << 8);

		*d++ = b64u_enc[v >> 18];
		*d++ = b64u_enc[(v >> 12) & 63];
		*d++ = b64u_enc[(v >> 6) & 63];
	}
	return d - dst;
}

/* Decode unpadded base64url; returns decoded length or -1. */
static long
b64u_decode(unsigned char *dst, const char *src, size_t len)
{
	unsigned char *d = dst;
	size_t		i = 0;

	if (len % 4 == 1)
		return -1;
	for (; i + 4 <= len; i += 4)
	{
		int			a = b64u_dec[(unsigned char) src[i]],
					b = b64u_dec[(unsigned char) src[i + 1]],
					c = b64u_dec[(unsigned char) src[i + 2]],
					e = b64u_dec[(unsigned char) src[i + 3]];

		if ((a | b | c | e) < 0)
			return -1;
		*d++ = (a << 2) | (b >> 4);
		*d++ = (b << 4) | (c >> 2);
		*d++ = (c << 6) | e;
	}
	if (len - i >= 2)
	{
		int			a = b64u_dec[(unsigned char) src[i]],
					b = b64u_dec[(unsigned char) src[i + 1]];

		if ((a | b) < 0)
			return -1;
		*d++ = (a << 2) | (b >> 4);
		if (len - i == 3)
		{
			int			c = b64u_dec[(unsigned char) src[i + 2]];

			if (c < 0)
				return -1;
			*d++ = (b << 4) | (c >> 2);
		}
	}
	return d - dst;
}

/* ---------------- ECDSA signature form: JOSE r||s <-> DER ---------------- */

/* One DER INTEGER of a 32-byte big-endian unsigned value. */
static size_t
der_uint(unsigned char *out, const unsigned char *v, size_t vlen)
{
	size_t		skip = 0,
				n;

	while (skip < vlen - 1 && v[skip] == 0)
		skip++;
	n = vlen - skip;
	out[0] = 0x02;
	if (v[skip] & 0x80)
	{
		out[1] = (unsigned char) (n + 1);
		out[2] = 0;
		memcpy(out + 3, v + skip, n);
		return n + 3;
	}
	out[1] = (unsigned char) n;
	memcpy(out + 2, v + skip, n);
	return n + 2;
}

/* r||s (2 x 32 bytes) -> DER ECDSA-Sig-Value; returns its length. */
static size_t
rs_to_der(unsigned char *der, const unsigned char *rs)
{
	size_t		len = 2;

	len += der_uint(der + len, rs, 32);
	len += der_uint(der + len, rs + 32, 32);
	der[0] = 0x30;
	der[1] = (unsigned char) (len - 2);	/* at most 70: short form */
	return len;
}

/* DER INTEGER at *p -> 32 bytes left-padded; returns 0 on bad input. */
static int
der_take_uint(const unsigned char **p, const unsigned char *end, unsigned char *out)
{
	const unsigned char *q = *p;
	size_t		n;

	if (end - q < 2 || q[0] != 0x02 || (n = q[1]) > (size_t) (end - q - 2) || n == 0)
		return 0;
	q += 2;
	while (n > 32 && *q == 0)
		q++, n--;
	if (n > 32)
		return 0;
	memset(out, 0, 32 - n);
	memcpy(out + 32 - n, q, n);
	*p = q + n;
	return 1;
}

static int
der_to_rs(unsigned char *rs, const unsigned char *der, size_t len)
{
	const unsigned char *p = der + 2,
			   *end = der + len;

	if (len < 8 || der[0] != 0x30 || der[1] != len - 2)
		return 0;
	return der_take_uint(&p, end, rs) && der_take_uint(&p, end, rs + 32) && p == end;
}

/* ---------------- back-ends ---------------- */

typedef struct Impl
{
	const Alg  *alg;
	EVP_PKEY   *pkey;
	EVP_MD	   *md;				/* fetched once (prehash) */
	EVP_MD_CTX *mctx;			/* reinit: the context; copy: the template */
	EVP_MD_CTX *work;			/* copy: the working context */
	EVP_PKEY_CTX *pctx;			/* prehash */
	EC_KEY	   *ec;				/* ec-key */
	int			sign;
} Impl;

typedef struct Variant
{
	const char *name;
	int			(*setup) (Impl *im);	/* 0: not applicable */
	/* verify: 1 = valid; sign: signature length (0 = error) */
	int			(*verify) (Impl *im, const unsigned char *msg, size_t len,
						   const unsigned char *sig, size_t siglen);
	size_t		(*sign) (Impl *im, const unsigned char *msg, size_t len, unsigned char *sig);
	int			raw_rs;			/* sign gives ECDSA's r||s, not DER */
} Variant;

static int
set_pss(EVP_PKEY_CTX *pc, const Alg *a)
{
	if (a->kind != K_RSA)
		return 1;
	if (EVP_PKEY_CTX_set_rsa_padding(pc, a->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0)
		return 0;
	if (a->pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0)
		return 0;
	return 1;
}

static int
md_init(Impl *im, EVP_MD_CTX *c)
{
	EVP_PKEY_CTX *pc = NULL;
	int			ok;

	ok = im->sign
		? EVP_DigestSignInit_ex(c, &pc, im->alg->md, NULL, NULL, im->pkey, NULL)
		: EVP_DigestVerifyInit_ex(c, &pc, im->alg->md, NULL, NULL, im->pkey, NULL);
	return ok > 0 && set_pss(pc, im->alg);
}

static int
do_verify(EVP_MD_CTX *c, const unsigned char *msg, size_t len,
		  const unsigned char *sig, size_t siglen)
{
	return EVP_DigestVerify(c, sig, siglen, msg, len) == 1;
}

static size_t
do_sign(EVP_MD_CTX *c, const unsigned char *msg, size_t len, unsigned char *sig)
{
	size_t		siglen = MAX_SIG;

	return EVP_DigestSign(c, sig, &siglen, msg, len) == 1 ? siglen : 0;
}

/* md-ctx-new */
static int
new_setup(Impl *im)
{
	(void) im;
	return 1;
}

static int
new_verify(Impl *im, const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int			ok = c && md_init(im, c) && do_verify(c, msg, len, sig, siglen);

	EVP_MD_CTX_free(c);
	return ok;
}

static size_t
new_sign(Impl *im, const unsigned char *msg, size_t len, unsigned char *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t		n = (c && md_init(im, c)) ? do_sign(c, msg, len, sig) : 0;

	EVP_MD_CTX_free(c);
	return n;
}

/* md-ctx-reinit */
static int
reinit_setup(Impl *im)
{
	return (im->mctx = EVP_MD_CTX_new()) != NULL && md_init(im, im->mctx);
}

static int
reinit_verify(Impl *im, const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *pc = NULL;

	/* a re-initialised context is back to PKCS#1 v1.5 padding */
	return EVP_DigestVerifyInit(im->mctx, &pc, NULL, NULL, NULL) == 1 &&
		(!im->alg->pss || set_pss(pc, im->alg)) &&
		do_verify(im->mctx, msg, len, sig, siglen);
}

static size_t
reinit_sign(Impl *im, const unsigned char *msg, size_t len, unsigned char *sig)
{
	EVP_PKEY_CTX *pc = NULL;

	return (EVP_DigestSignInit(im->mctx, &pc, NULL, NULL, NULL) == 1 &&
			(!im->alg->pss || set_pss(pc, im->alg))) ?
		do_sign(im->mctx, msg, len, sig) : 0;
}

/* md-ctx-copy */
static int
copy_setup(Impl *im)
{
	return (im->mctx = EVP_MD_CTX_new()) != NULL &&
		(im->work = EVP_MD_CTX_new()) != NULL &&
		md_init(im, im->mctx);
}

static int
copy_verify(Impl *im, const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen)
{
	return EVP_MD_CTX_copy_ex(im->work, im->mctx) == 1 &&
		do_verify(im->work, msg, len, sig, siglen);
}

static size_t
copy_sign(Impl *im, const unsigned char *msg, size_t len, unsigned char *sig)
{
	return EVP_MD_CTX_copy_ex(im->work, im->mctx) == 1 ? do_sign(im->work, msg, len, sig) : 0;
}

/*
 * SHA-256 of msg, the fastest way measured here: the low-level functions
 * on a context on the stack (about 205 ns for a 290-byte signing input,
 * against 262 ns for EVP_Digest with the digest fetched once and 470 ns
 * for the one-shot SHA256(), which fetches it on every call in OpenSSL
 * 3.0); the extension hashes so too.  Every algorithm here signs SHA-256.
 */
static unsigned int
sha256(const unsigned char *msg, size_t len, unsigned char *dgst)
{
	SHA256_CTX	c;

	SHA256_Init(&c);
	SHA256_Update(&c, msg, len);
	SHA256_Final(dgst, &c);
	return SHA256_DIGEST_LENGTH;
}

/* prehash */
static int
pre_setup(Impl *im)
{
	if (im->alg->md == NULL)
		return 0;				/* Ed25519: no prehash form */
	if (!(im->md = EVP_MD_fetch(NULL, im->alg->md, NULL)) ||
		!(im->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, im->pkey, NULL)) ||
		(im->sign ? EVP_PKEY_sign_init(im->pctx) : EVP_PKEY_verify_init(im->pctx)) <= 0 ||
		!set_pss(im->pctx, im->alg) ||
		EVP_PKEY_CTX_set_signature_md(im->pctx, im->md) <= 0)
		die("prehash setup");
	return 1;
}

static int
pre_verify(Impl *im, const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen = sha256(msg, len, dgst);

	return EVP_PKEY_verify(im->pctx, sig, siglen, dgst, dlen) == 1;
}

static size_t
pre_sign(Impl *im, const unsigned char *msg, size_t len, unsigned char *sig)
{
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen = sha256(msg, len, dgst);
	size_t		siglen = MAX_SIG;

	return EVP_PKEY_sign(im->pctx, sig, &siglen, dgst, dlen) == 1 ? siglen : 0;
}

/*
 * ec-key: ES256 sign through the deprecated EC_KEY interface, SHA-256
 * with the low-level functions, ECDSA_do_sign, and r||s taken from the
 * ECDSA_SIG (no DER either way, no provider dispatch).  Its nonce is
 * made as the provider's (from the key, the hash and random bytes).  Not
 * a variant: nonces made ahead in batches (ECDSA_sign_setup, then
 * ECDSA_do_sign_ex), about 4% faster here, which cannot depend on the
 * message and so lose that hedge (a random generator duplicated with a VM
 * snapshot would sign two messages with one nonce): no signer should.
 */
static int
ec_setup(Impl *im)
{
	static const unsigned char dg[32] = {1};
	ECDSA_SIG  *s;

	if (im->alg->kind != K_EC || !im->sign)
		return 0;
	if (!(im->ec = EVP_PKEY_get1_EC_KEY(im->pkey)) ||
		!(s = ECDSA_do_sign(dg, sizeof dg, im->ec)) ||
		ECDSA_do_verify(dg, sizeof dg, s, im->ec) != 1)
		die("ec-key setup");
	ECDSA_SIG_free(s);
	return 1;
}

static size_t
ec_rs(ECDSA_SIG *s, unsigned char *sig)
{
	const BIGNUM *r,
			   *ss;
	size_t		n = 0;

	if (s == NULL)
		return 0;
	ECDSA_SIG_get0(s, &r, &ss);
	if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(ss, sig + 32, 32) == 32)
		n = 64;
	ECDSA_SIG_free(s);
	return n;
}

static size_t
ec_sign(Impl *im, const unsigned char *msg, size_t len, unsigned char *sig)
{
	unsigned char dgst[SHA256_DIGEST_LENGTH];

	sha256(msg, len, dgst);
	return ec_rs(ECDSA_do_sign(dgst, sizeof dgst, im->ec), sig);
}

static const Variant variants[] = {
	{"md-ctx-new", new_setup, new_verify, new_sign, 0},
	{"md-ctx-reinit", reinit_setup, reinit_verify, reinit_sign, 0},
	{"md-ctx-copy", copy_setup, copy_verify, copy_sign, 0},
	{"prehash", pre_setup, pre_verify, pre_sign, 0},
	{"ec-key", ec_setup, NULL, ec_sign, 1},
};

static void
impl_free(Impl *im)
{
	EVP_MD_CTX_free(im->mctx);
	EVP_MD_CTX_free(im->work);
	EVP_PKEY_CTX_free(im->pctx);
	EVP_MD_free(im->md);
	EC_KEY_free(im->ec);
	im->ec = NULL;
	im->mctx = im->work = NULL;
	im->pctx = NULL;
	im->md = NULL;
}

/* ---------------- the two operations ---------------- */

static size_t
make_payload(char *buf, size_t size, long i)
{
	return snprintf(buf, size,
					"{\"sub\":\"user-%ld\",\"jti\":\"%032lx\",\"iat\":%ld,\"exp\":%ld,"
					"\"iss\":\"jwt-bench-issuer\",\"aud\":\"jwt-bench-api\",\"role\":\"authenticated\"}",
					i, (unsigned long) i, now_epoch, now_epoch + 86400);
}

/* Sign payload into out as a compact JWS; returns its length, 0 on error. */
static size_t
sign_one(const Variant *v, Impl *im, const char *payload, size_t plen, char *out)
{
	unsigned char sig[MAX_SIG],
				rs[64];
	size_t		len,
				siglen;

	len = b64u_encode(out, (const unsigned char *) im->alg->header, strlen(im->alg->header));
	out[len++] = '.';
	len += b64u_encode(out + len, (const unsigned char *) payload, plen);
	if ((siglen = v->sign(im, (const unsigned char *) out, len, sig)) == 0)
		return 0;
	out[len++] = '.';
	if (im->alg->kind == K_EC && v->raw_rs)
		len += b64u_encode(out + len, sig, siglen);
	else if (im->alg->kind == K_EC)
	{
		if (!der_to_rs(rs, sig, siglen))
			return 0;
		len += b64u_encode(out + len, rs, 64);
	}
	else
		len += b64u_encode(out + len, sig, siglen);
	out[len] = '\0';
	return len;
}

static int
verify_one(const Variant *v, Impl *im, const char *tok, size_t len)
{
	const char *dot = memrchr(tok, '.', len);
	unsigned char sig[MAX_SIG + 3],
				der[80];
	size_t		in_len,
				sig_b64;
	long		siglen;

	if (!dot)
		return 0;
	in_len = dot - tok;
	sig_b64 = len - in_len - 1;
	if (sig_b64 > (MAX_SIG * 4 + 2) / 3 ||
		(siglen = b64u_decode(sig, dot + 1, sig_b64)) < 0)
		return 0;
	if (im->alg->kind == K_EC)
	{
		if (siglen != 64)
			return 0;
		return v->verify(im, (const unsigned char *) tok, in_len, der, rs_to_der(der, sig));
	}
	return v->verify(im, (const unsigned char *) tok, in_len, sig, siglen);
}

static const Alg *
find_alg(const char *name)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	fprintf(stderr, "asym_floor: unknown algorithm %s\n", name);
	exit(2);
}

static EVP_PKEY *
load_key(const char *path, int private)
{
	FILE	   *f = fopen(path, "r");
	EVP_PKEY   *k;

	if (!f)
	{
		perror(path);
		exit(1);
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		die(path);
	return k;
}

/* ---------------- gen ---------------- */

static int
cmd_gen(int argc, char **argv)
{
	Impl		im = {0};
	long		first,
				last;
	char		payload[512],
				tok[MAX_TOKEN];

	if (argc != 7)
		die("usage: asym_floor gen ALG KEY.pem FIRST LAST NOW");
	im.alg = find_alg(argv[2]);
	im.pkey = load_key(argv[3], 1);
	im.sign = 1;
	first = atol(argv[4]);
	last = atol(argv[5]);
	now_epoch = atol(argv[6]);
	for (long i = first; i <= last; i++)
	{
		size_t		plen = make_payload(payload, sizeof payload, i);
		size_t		len = sign_one(&variants[0], &im, payload, plen, tok);

		if (len == 0)
			die("signing failed");
		tok[len++] = '\n';
		if (fwrite(tok, 1, len, stdout) != len)
			die("write error");
	}
	EVP_PKEY_free(im.pkey);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---------------- bench ---------------- */

typedef struct Work
{
	long		n;
	char	  **tokens;			/* verify */
	size_t	   *token_lens;
	char	  **payloads;		/* sign */
	size_t	   *payload_lens;
	char	   *out;
} Work;

static long
run(const Variant *v, Impl *im, Work *w, long n)
{
	long		ok = 0;

	if (im->sign)
		for (long i = 0; i < n; i++)
			ok += sign_one(v, im, w->payloads[i], w->payload_lens[i], w->out) > 0;
	else
		for (long i = 0; i < n; i++)
			ok += verify_one(v, im, w->tokens[i], w->token_lens[i]);
	return ok;
}

static void
read_tokens(Work *w, const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[MAX_TOKEN];
	long		i = 0;

	if (!f)
	{
		perror(path);
		exit(1);
	}
	w->tokens = malloc(w->n * sizeof *w->tokens);
	w->token_lens = malloc(w->n * sizeof *w->token_lens);
	if (!w->tokens || !w->token_lens)
		die("out of memory");
	while (i < w->n && fgets(line, sizeof line, f))
	{
		size_t		len = strcspn(line, "\r\n");

		line[len] = '\0';
		if (!(w->tokens[i] = strdup(line)))
			die("out of memory");
		w->token_lens[i++] = len;
	}
	fclose(f);
	if (i < w->n)
	{
		fprintf(stderr, "asym_floor: %s has %ld tokens, %ld wanted\n", path, i, w->n);
		exit(1);
	}
}

/* Sanity: each verify variant rejects a token with a flipped signature bit. */
static void
check_rejects(const Variant *v, Impl *im, const char *tok, size_t len)
{
	char		bad[MAX_TOKEN];
	char	   *p;

	memcpy(bad, tok, len + 1);
	p = strrchr(bad, '.') + 5;
	*p = (*p == 'A') ? 'B' : 'A';
	if (verify_one(v, im, bad, len))
	{
		fprintf(stderr, "asym_floor: %s %s accepted a corrupted signature\n", v->name, im->alg->name);
		exit(1);
	}
	ERR_clear_error();
}

static void
bench_op(const char *dir, const char *spec)
{
	char		alg_name[16],
				op[16],
				path[4096];
	long		n;
	const Alg  *alg;
	Impl		im = {0};
	Work		w = {0};
	double		best = 0;
	const char *best_name = "";

	if (sscanf(spec, "%15[^:]:%15[^:]:%ld", alg_name, op, &n) != 3 || n <= 0 ||
		(strcmp(op, "sign") != 0 && strcmp(op, "verify") != 0))
	{
		fprintf(stderr, "asym_floor: bad operation %s (ALG:sign:N or ALG:verify:N)\n", spec);
		exit(2);
	}
	alg = find_alg(alg_name);
	im.alg = alg;
	im.sign = strcmp(op, "sign") == 0;
	snprintf(path, sizeof path, "%s/%s.%s", dir, kind_file[alg->kind], im.sign ? "key" : "pub");
	im.pkey = load_key(path, im.sign);
	w.n = n;
	if (!(w.out = malloc(MAX_TOKEN)))
		die("out of memory");
	if (im.sign)
	{
		char		buf[512];

		w.payloads = malloc(n * sizeof *w.payloads);
		w.payload_lens = malloc(n * sizeof *w.payload_lens);
		if (!w.payloads || !w.payload_lens)
			die("out of memory");
		for (long i = 0; i < n; i++)
		{
			w.payload_lens[i] = make_payload(buf, sizeof buf, i + 1);
			if (!(w.payloads[i] = strdup(buf)))
				die("out of memory");
		}
	}
	else
	{
		snprintf(path, sizeof path, "%s/%s.tok", dir, alg->name);
		read_tokens(&w, path);
	}

	/*
	 * Every applicable variant is set up (and checked) first, then timed
	 * round-robin: a warm-up pass each, then n_runs rounds of one timed pass
	 * each, so that a noisy moment hits all variants alike.  Best per variant.
	 */
	{
		enum
		{
		NV = sizeof variants / sizeof variants[0]};
		Impl		imps[NV];
		int			used[NV];
		double		best_t[NV];
		long		warm = n / 20 > 50 ? n / 20 : (n < 50 ? n : 50);
		char		what[64];

		snprintf(what, sizeof what, "%s %s", alg->name, op);
		for (int k = 0; k < NV; k++)
		{
			imps[k] = im;
			best_t[k] = 1e30;
			if (!(used[k] = variants[k].setup(&imps[k])))
				impl_free(&imps[k]);
			else if (!im.sign)
				check_rejects(&variants[k], &imps[k], w.tokens[0], w.token_lens[0]);
		}
		for (int r = -1; r < n_runs; r++)
			for (int k = 0; k < NV; k++)
			{
				long		m = r < 0 ? warm : n,
							ok;
				double		t0,
							t;

				if (!used[k])
					continue;
				t0 = now_s();
				ok = run(&variants[k], &imps[k], &w, m);
				t = now_s() - t0;
				if (ok != m)
				{
					fprintf(stderr, "asym_floor: %s %s: %ld of %ld ok\n", variants[k].name, what, ok, m);
					exit(1);
				}
				if (r >= 0 && t < best_t[k])
					best_t[k] = t;
			}
		for (int k = 0; k < NV; k++)
		{
			double		ops;

			if (!used[k])
				continue;
			impl_free(&imps[k]);
			ops = n / best_t[k];
			printf("floor\t%s\t%s\t%.0f\t%ld\n", variants[k].name, what, ops, n);
			fprintf(stderr, "  C %-14s %-13s %9.0f ops/s\n", variants[k].name, what, ops);
			if (ops > best)
			{
				best = ops;
				best_name = variants[k].name;
			}
		}
		fflush(stdout);
	}
	printf("floor\tbest\t%s %s\t%.0f\t%ld\t%s\n", alg->name, op, best, n, best_name);
	fflush(stdout);
	EVP_PKEY_free(im.pkey);
	/* the work buffers are left to process exit */
}

int
main(int argc, char **argv)
{
	const char *e;

	memset(b64u_dec, -1, sizeof b64u_dec);
	for (int i = 0; i < 64; i++)
		b64u_dec[(unsigned char) b64u_enc[i]] = i;
	if ((e = getenv("JWT_BENCH_RUNS")) && (n_runs = atoi(e)) <= 0)
		die("bad JWT_BENCH_RUNS");

	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "bench") == 0)
	{
		now_epoch = atol(argv[3]);
		for (int i = 4; i < argc; i++)
			bench_op(argv[2], argv[i]);
		return 0;
	}
	fprintf(stderr, "usage: asym_floor gen ALG KEY.pem FIRST LAST NOW\n"
			"       asym_floor bench DIR NOW ALG:sign|verify:N...\n");
	return 2;
}
