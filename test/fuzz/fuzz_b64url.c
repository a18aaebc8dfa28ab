/*-------------------------------------------------------------------------
 *
 * fuzz_b64url.c
 *		libFuzzer target for src/base64url.c, which is pure C and links
 *		alone (no server, no palloc).
 *
 * Properties checked for every input:
 *	- b64url_decode succeeds exactly when b64url_check finds nothing wrong;
 *	- what decodes re-encodes to the very same text (canonical: one
 *	  encoding per byte string, so no signature malleability), and has
 *	  B64URL_EXACT_LEN bytes, within B64URL_DEC_LEN;
 *	- any bytes encode to B64URL_ENC_LEN characters that decode back to
 *	  them, the characters a six-bits-at-a-time reference encoder writes
 *	  (independent of the table-driven and AVX2 code under test).
 * ASan and UBSan catch reads or writes outside the exactly sized buffers.
 *
 * test/fuzz/fuzz_b64url.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>

#include "base64url.h"

/* plain stdio: this binary does not link libpgport */
#undef fprintf

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* base64url, unpadded, six bits at a time: the reference */
static int
reference_encode(const uint8_t *src, int len, char *dst)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t	bits = 0;
	int			nbits = 0;
	int			n = 0;
	int			i;

	for (i = 0; i < len; i++)
	{
		bits = (bits << 8) | src[i];
		nbits += 8;
		while (nbits >= 6)
		{
			dst[n++] = alphabet[(bits >> (nbits - 6)) & 63];
			nbits -= 6;
		}
	}
	if (nbits > 0)
		dst[n++] = alphabet[(bits << (6 - nbits)) & 63];
	return n;
}

static void
check(bool ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_b64url: CHECK FAILED: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			len = (int) size;
	unsigned char *dec;
	char	   *enc;
	int			n;
	int			bad;

	if (size > 1 << 20)
		return 0;

	/* the input as base64url text: exactly sized heap buffers */
	dec = malloc(B64URL_DEC_LEN(len));
	n = b64url_decode((const char *) data, len, dec);
	bad = b64url_check((const char *) data, len);
	check((n >= 0) == (bad < 0), "decode and check disagree");
	check(bad >= -1 && bad <= len, "check returned an offset out of range");
	if (n >= 0)
	{
		check(n == (int) B64URL_EXACT_LEN(len), "decoded length is not B64URL_EXACT_LEN");
		check(n <= (int) B64URL_DEC_LEN(len), "decoded length exceeds B64URL_DEC_LEN");
		enc = malloc(B64URL_ENC_LEN(n) + 1);
		check(b64url_encode(dec, n, enc) == len, "re-encoded length differs");
		check(memcmp(enc, data, len) == 0, "re-encoding differs: not canonical");
		free(enc);
	}
	free(dec);

	/* the input as bytes */
	enc = malloc(B64URL_ENC_LEN(len) + 1);
	n = b64url_encode(data, len, enc);
	check(n == (int) B64URL_ENC_LEN(len), "encoded length is not B64URL_ENC_LEN");
	{
		char	   *ref = malloc(B64URL_ENC_LEN(len) + 1);

		check(reference_encode(data, len, ref) == n && memcmp(ref, enc, n) == 0,
			  "encoding differs from the reference encoder");
		free(ref);
	}
	check(b64url_check(enc, n) == -1, "an encoding fails the check");
	dec = malloc(B64URL_DEC_LEN(n));
	check(b64url_decode(enc, n, dec) == len, "round trip changed the length");
	check(len == 0 || memcmp(dec, data, len) == 0, "round trip changed the bytes");
	free(dec);
	free(enc);
	return 0;
}
