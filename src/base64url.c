/*-------------------------------------------------------------------------
 *
 * base64url.c
 *		Unpadded base64url encoding and strict decoding.
 *
 * Pure functions: they write into buffers the caller sized with
 * B64URL_ENC_LEN / B64URL_DEC_LEN, report by return value and never
 * ereport or palloc, so they can be used anywhere (and fuzzed outside the
 * server).
 *
 * Decoding is strict: only the 64 characters of the URL-safe alphabet, no
 * padding, no whitespace, no length of the form 4n+1, and the unused low
 * bits of the last character must be zero, so that every byte string has
 * exactly one encoding (no signature malleability).
 *
 * src/base64url.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "base64url.h"

static const char enc_table[64] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, -1 otherwise */
static const signed char dec_table[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Encode "len" bytes into "dst", which has room for B64URL_ENC_LEN(len)
 * characters.  No terminator is written.  Returns the number of characters.
 */
int
b64url_encode(const unsigned char *src, int len, char *dst)
{
	char	   *p = dst;
	int			i = 0;

	for (; i + 3 <= len; i += 3)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8) | src[i + 2];

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p[2] = enc_table[(v >> 6) & 63];
		p[3] = enc_table[v & 63];
		p += 4;
	}
	if (len - i == 1)
	{
		uint32		v = (uint32) src[i] << 16;

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p += 2;
	}
	else if (len - i == 2)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8);

		p[0] = enc_table[(v >> 18) & 63];
		p[1] = enc_table[(v >> 12) & 63];
		p[2] = enc_table[(v >> 6) & 63];
		p += 3;
	}
	return (int) (p - dst);
}

/*
 * Check that "src" is canonical unpadded base64url.  Returns -1 when it is,
 * else the 0-based offset of the first offending character (or "len" when
 * the length or the trailing bits are wrong).
 */
int
b64url_check(const char *src, int len)
{
	int			i;
	int			rem = len % 4;

	for (i = 0; i < len; i++)
	{
		if (dec_table[(unsigned char) src[i]] < 0)
			return i;
	}
	if (rem == 1)
		return len;
	if (rem == 2 && (dec_table[(unsigned char) src[len - 1]] & 0x0F) != 0)
		return len;
	if (rem == 3 && (dec_table[(unsigned char) src[len - 1]] & 0x03) != 0)
		return len;
	return -1;
}

/*
 * Decode "len" characters into "dst", which has room for
 * B64URL_DEC_LEN(len) bytes.  Returns the number of bytes, or -1 when the
 * input is not canonical unpadded base64url.
 */
int
b64url_decode(const char *src, int len, unsigned char *dst)
{
	unsigned char *p = dst;
	int			i = 0;
	int			rem = len % 4;

	if (rem == 1)
		return -1;

	for (; i + 4 <= len; i += 4)
	{
		int			a = dec_table[(unsigned char) src[i]];
		int			b = dec_table[(unsigned char) src[i + 1]];
		int			c = dec_table[(unsigned char) src[i + 2]];
		int			d = dec_table[(unsigned char) src[i + 3]];
		uint32		v;

		if ((a | b | c | d) < 0)
			return -1;
		v = ((uint32) a << 18) | ((uint32) b << 12) | ((uint32) c << 6) | (uint32) d;
		p[0] = (unsigned char) (v >> 16);
		p[1] = (unsigned char) (v >> 8);
		p[2] = (unsigned char) v;
		p += 3;
	}
	if (rem == 2)
	{
		int			a = dec_table[(unsigned char) src[i]];
		int			b = dec_table[(unsigned char) src[i + 1]];

		if ((a | b) < 0 || (b & 0x0F) != 0)
			return -1;
		*p++ = (unsigned char) ((a << 2) | (b >> 4));
	}
	else if (rem == 3)
	{
		int			a = dec_table[(unsigned char) src[i]];
		int			b = dec_table[(unsigned char) src[i + 1]];
		int			c = dec_table[(unsigned char) src[i + 2]];

		if ((a | b | c) < 0 || (c & 0x03) != 0)
			return -1;
		*p++ = (unsigned char) ((a << 2) | (b >> 4));
		*p++ = (unsigned char) (((b & 0x0F) << 4) | (c >> 2));
	}
	return (int) (p - dst);
}
