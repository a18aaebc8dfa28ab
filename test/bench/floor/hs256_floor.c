/*
 * hs256_floor.c - the irreducible per-token work of HS256, in plain C with
 * OpenSSL 3, as the ceiling any SQL-callable implementation can approach.
 *
 *   verify: find the last '.', base64url-decode the 43-char signature, HMAC-SHA256
 *           the signing input with a key set up once, constant-time compare.
 *           No JSON parsing, no claim checks.
 *   sign:   base64url-encode header and (pre-serialized) payload JSON, HMAC the
 *           signing input, base64url-encode the MAC.  No JSON building.
 *
 * Several ways of driving HMAC are timed; the fastest is the floor:
 *   sha256-prekeyed  low-level SHA256_CTX with the ipad/opad blocks hashed once
 *                    and the two contexts copied per token (what HMAC does
 *                    internally, minus the dispatch)
 *   hmac-ctx-reinit  HMAC_CTX keyed once, HMAC_Init_ex(ctx, NULL, 0, NULL, NULL)
 *   evp-mac-reinit   EVP_MAC_CTX keyed once, EVP_MAC_init(ctx, NULL, 0, NULL)
 *   evp-mac-rekey    EVP_MAC_init(ctx, key, keylen, NULL) per token (no key
 *                    caching, the MAC algorithm fetched once)
 *   evp-q-mac        EVP_Q_mac() one-shot per token (fetches the algorithm
 *                    every time: the slow path to avoid)
 *
 * Build: cc -O2 -Wall -o hs256_floor hs256_floor.c -lcrypto
 * Usage: hs256_floor [count]   (env JWT_BENCH_SECRET, JWT_BENCH_RUNS)
 * Output (stdout, tab-separated): floor <variant> <sign|verify> <ops_per_s> <count>
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1	/* SHA256_*, HMAC_CTX: deprecated in 3.0, still the fastest */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#define MAC_LEN 32
#define SIG_B64_LEN 43			/* base64url of 32 bytes, unpadded */

static const char *secret;
static size_t secret_len;
static long n_tokens;
static int n_runs = 3;

static char **payloads;			/* pre-serialized claims JSON */
static size_t *payload_lens;
static char **tokens;			/* reference tokens for verify */
static size_t *token_lens;
static char *sign_out;			/* scratch output for sign */

static const char b64u_enc[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static signed char b64u_dec[256];

static void
die(const char *msg)
{
	fprintf(stderr, "hs256_floor: %s\n", msg);
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

/* ---------------- MAC back-ends ---------------- */

typedef struct Mac
{
	const char *name;
	void		(*setup) (struct Mac *m);
	void		(*mac) (struct Mac *m, const char *in, size_t len, unsigned char *out);
	void		(*teardown) (struct Mac *m);
	SHA256_CTX	inner, outer;
	HMAC_CTX   *hctx;
	EVP_MAC    *emac;
	EVP_MAC_CTX *ectx;
} Mac;

static void
nop_teardown(Mac *m)
{
	(void) m;
}

/* sha256-prekeyed */
static void
pre_setup(Mac *m)
{
	unsigned char k[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];

	if (secret_len > SHA256_CBLOCK)
		SHA256((const unsigned char *) secret, secret_len, k);
	else
		memcpy(k, secret, secret_len);
	for (int i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&m->inner);
	SHA256_Update(&m->inner, pad, sizeof pad);
	for (int i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&m->outer);
	SHA256_Update(&m->outer, pad, sizeof pad);
}

static void
pre_mac(Mac *m, const char *in, size_t len, unsigned char *out)
{
	SHA256_CTX	c = m->inner;
	unsigned char ih[MAC_LEN];

	SHA256_Update(&c, in, len);
	SHA256_Final(ih, &c);
	c = m->outer;
	SHA256_Update(&c, ih, sizeof ih);
	SHA256_Final(out, &c);
}

/* hmac-ctx-reinit */
static void
hctx_setup(Mac *m)
{
	m->hctx = HMAC_CTX_new();
	if (!m->hctx || !HMAC_Init_ex(m->hctx, secret, (int) secret_len, EVP_sha256(), NULL))
		die("HMAC_Init_ex");
}

static void
hctx_mac(Mac *m, const char *in, size_t len, unsigned char *out)
{
	unsigned int olen;

	if (!HMAC_Init_ex(m->hctx, NULL, 0, NULL, NULL) ||
		!HMAC_Update(m->hctx, (const unsigned char *) in, len) ||
		!HMAC_Final(m->hctx, out, &olen))
		die("HMAC");
}

static void
hctx_teardown(Mac *m)
{
	HMAC_CTX_free(m->hctx);
}

/* evp-mac-reinit / evp-mac-rekey */
static void
emac_setup(Mac *m)
{
	OSSL_PARAM	params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	m->emac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m->emac || !(m->ectx = EVP_MAC_CTX_new(m->emac)))
		die("EVP_MAC_fetch");
	if (!EVP_MAC_init(m->ectx, (const unsigned char *) secret, secret_len, params))
		die("EVP_MAC_init");
}

static void
emac_reinit_mac(Mac *m, const char *in, size_t len, unsigned char *out)
{
	size_t		olen;

	if (!EVP_MAC_init(m->ectx, NULL, 0, NULL) ||
		!EVP_MAC_update(m->ectx, (const unsigned char *) in, len) ||
		!EVP_MAC_final(m->ectx, out, &olen, MAC_LEN))
		die("EVP_MAC");
}

static void
emac_rekey_mac(Mac *m, const char *in, size_t len, unsigned char *out)
{
	size_t		olen;

	if (!EVP_MAC_init(m->ectx, (const unsigned char *) secret, secret_len, NULL) ||
		!EVP_MAC_update(m->ectx, (const unsigned char *) in, len) ||
		!EVP_MAC_final(m->ectx, out, &olen, MAC_LEN))
		die("EVP_MAC");
}

static void
emac_teardown(Mac *m)
{
	EVP_MAC_CTX_free(m->ectx);
	EVP_MAC_free(m->emac);
}

/* evp-q-mac */
static void
q_mac(Mac *m, const char *in, size_t len, unsigned char *out)
{
	size_t		olen;

	(void) m;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, secret_len,
				   (const unsigned char *) in, len, out, MAC_LEN, &olen))
		die("EVP_Q_mac");
}

static Mac macs[] = {
	{.name = "sha256-prekeyed", .setup = pre_setup, .mac = pre_mac, .teardown = nop_teardown},
	{.name = "hmac-ctx-reinit", .setup = hctx_setup, .mac = hctx_mac, .teardown = hctx_teardown},
	{.name = "evp-mac-reinit", .setup = emac_setup, .mac = emac_reinit_mac, .teardown = emac_teardown},
	{.name = "evp-mac-rekey", .setup = emac_setup, .mac = emac_rekey_mac, .teardown = emac_teardown},
	{.name = "evp-q-mac", .setup = NULL, .mac = q_mac, .teardown = nop_teardown},
};

/* ---------------- the two operations ---------------- */

static const char header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Sign token i into out; returns its length. */
static size_t
sign_one(Mac *m, long i, char *out)
{
	unsigned char mac[MAC_LEN];
	size_t		len;

	len = b64u_encode(out, (const unsigned char *) header_json, sizeof header_json - 1);
	out[len++] = '.';
	len += b64u_encode(out + len, (const unsigned char *) payloads[i], payload_lens[i]);
	m->mac(m, out, len, mac);
	out[len++] = '.';
	len += b64u_encode(out + len, mac, MAC_LEN);
	out[len] = '\0';
	return len;
}

static int
verify_one(Mac *m, const char *tok, size_t len)
{
	const char *dot = memrchr(tok, '.', len);
	unsigned char sig[MAC_LEN + 3], mac[MAC_LEN];
	size_t		in_len, sig_len;

	if (!dot)
		return 0;
	in_len = dot - tok;
	sig_len = len - in_len - 1;
	if (sig_len != SIG_B64_LEN || b64u_decode(sig, dot + 1, sig_len) != MAC_LEN)
		return 0;
	m->mac(m, tok, in_len, mac);
	return CRYPTO_memcmp(sig, mac, MAC_LEN) == 0;
}

static long
run_sign(Mac *m, long n)
{
	long		ok = 0;

	for (long i = 0; i < n; i++)
		ok += sign_one(m, i, sign_out) > 0;
	return ok;
}

static long
run_verify(Mac *m, long n)
{
	long		ok = 0;

	for (long i = 0; i < n; i++)
		ok += verify_one(m, tokens[i], token_lens[i]);
	return ok;
}

static double
measure(Mac *m, long (*fn) (Mac *, long), long n, const char *what)
{
	double		best = 1e30;

	if (fn(m, n < 20000 ? n : 20000) != (n < 20000 ? n : 20000))	/* warm-up */
		die(what);
	for (int r = 0; r < n_runs; r++)
	{
		double		t0 = now_s(),
					t;
		long		ok = fn(m, n);

		t = now_s() - t0;
		if (ok != n)
		{
			fprintf(stderr, "hs256_floor: %s %s: %ld of %ld ok\n", m->name, what, ok, n);
			exit(1);
		}
		if (t < best)
			best = t;
	}
	return n / best;
}

int
main(int argc, char **argv)
{
	const char *e;
	long		now = (long) time(NULL);
	Mac			ref = macs[0];
	double		best_sign = 0,
				best_verify = 0;

	n_tokens = argc > 1 ? atol(argv[1]) : 200000;
	if ((e = getenv("JWT_BENCH_N")) && argc <= 1)
		n_tokens = atol(e);
	if ((e = getenv("JWT_BENCH_RUNS")))
		n_runs = atoi(e);
	secret = getenv("JWT_BENCH_SECRET");
	if (!secret)
		secret = "jwt-bench-hs256-secret-0123456789abcdef-0123456789abcdef-0123";
	secret_len = strlen(secret);
	if (n_tokens <= 0 || n_runs <= 0 || secret_len < 32)
		die("bad count, runs or secret (>= 32 bytes)");

	memset(b64u_dec, -1, sizeof b64u_dec);
	for (int i = 0; i < 64; i++)
		b64u_dec[(unsigned char) b64u_enc[i]] = i;

	/* Claims shaped like the SQL and node runs: distinct sub and jti. */
	payloads = malloc(n_tokens * sizeof *payloads);
	payload_lens = malloc(n_tokens * sizeof *payload_lens);
	tokens = malloc(n_tokens * sizeof *tokens);
	token_lens = malloc(n_tokens * sizeof *token_lens);
	sign_out = malloc(1024);
	if (!payloads || !payload_lens || !tokens || !token_lens || !sign_out)
		die("out of memory");
	ref.setup(&ref);
	for (long i = 0; i < n_tokens; i++)
	{
		char		buf[512];
		int			len = snprintf(buf, sizeof buf,
								   "{\"sub\":\"user-%ld\",\"jti\":\"%032lx\",\"iat\":%ld,\"exp\":%ld,"
								   "\"iss\":\"jwt-bench-issuer\",\"aud\":\"jwt-bench-api\",\"role\":\"authenticated\"}",
								   i + 1, (unsigned long) (i + 1), now, now + 86400);

		payloads[i] = strdup(buf);
		payload_lens[i] = len;
		token_lens[i] = sign_one(&ref, i, sign_out);
		tokens[i] = strdup(sign_out);
		if (!payloads[i] || !tokens[i])
			die("out of memory");
	}

	for (size_t v = 0; v < sizeof macs / sizeof macs[0]; v++)
	{
		Mac		   *m = &macs[v];
		long		n = n_tokens;
		double		s,
					vr;

		/* the slow one-shot path needs fewer iterations to be measured */
		if (m->setup == NULL)
			n = n_tokens / 10 > 1000 ? n_tokens / 10 : (n_tokens < 1000 ? n_tokens : 1000);
		if (m->setup)
			m->setup(m);
		s = measure(m, run_sign, n, "sign");
		vr = measure(m, run_verify, n, "verify");
		m->teardown(m);
		printf("floor\t%s\tsign\t%.0f\t%ld\n", m->name, s, n);
		printf("floor\t%s\tverify\t%.0f\t%ld\n", m->name, vr, n);
		fflush(stdout);
		if (s > best_sign)
			best_sign = s;
		if (vr > best_verify)
			best_verify = vr;
	}
	printf("floor\tbest\tsign\t%.0f\t%ld\n", best_sign, n_tokens);
	printf("floor\tbest\tverify\t%.0f\t%ld\n", best_verify, n_tokens);
	return 0;
}
