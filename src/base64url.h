/*-------------------------------------------------------------------------
 *
 * base64url.h
 *		Unpadded base64url (RFC 4648 section 5) as JWS uses it.
 *
 * src/base64url.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_BASE64URL_H
#define JWT_BASE64URL_H

/* Encoded length of "len" bytes, without padding. */
#define B64URL_ENC_LEN(len)	(((len) / 3) * 4 + (((len) % 3) ? ((len) % 3) + 1 : 0))

/* Upper bound of the decoded length of "len" characters. */
#define B64URL_DEC_LEN(len)	(((len) / 4) * 3 + 2)

/* Decoded length of "len" characters of valid unpadded base64url. */
#define B64URL_EXACT_LEN(len)	(((len) / 4) * 3 + ((len) % 4 == 3 ? 2 : (len) % 4 == 2 ? 1 : 0))

/* The value of one hexadecimal digit, or -1. */
static inline int
b64url_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

extern int	b64url_encode(const unsigned char *src, int len, char *dst);
extern int	b64url_decode(const char *src, int len, unsigned char *dst);
extern int	b64url_check(const char *src, int len);

#endif							/* JWT_BASE64URL_H */
