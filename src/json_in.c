/*-------------------------------------------------------------------------
 *
 * json_in.c
 *		Parse a decoded JOSE header or JWT claims set into jsonb.
 *
 * A small recursive-descent parser for RFC 8259 JSON.  It keeps the values
 * in a flat array allocated once (JNode), sorts each object's members the
 * way jsonb stores them as the object ends, then writes the jsonb binary
 * format in one pass into one allocation (jw_value): byte for byte what
 * jsonb_in makes of the same text, without a JsonbValue tree nor
 * JsonbValueToJsonb.  It exists instead of pg_parse_json + pushJsonbValue
 * (the jsonb_in route) because it does in one pass what tokens need and
 * jsonb_in does not do:
 *
 *	- it reports instead of raising, so a malformed token becomes our
 *	  "malformed" reason and jwt_validate can return it;
 *	- duplicate member names, which jsonb silently collapses to the last
 *	  one, are found while sorting each object and rejected, at every depth
 *	  (RFC 7515 section 4, RFC 7519 section 4);
 *	- nesting is limited by jwt.max_json_depth as it goes, which also
 *	  bounds the recursion;
 *	- strings are checked to be UTF-8 (RFC 7519 section 7.2) while they
 *	  are copied, without a separate pass;
 *	- the members the caller asks for (alg, exp, aud...) are captured on
 *	  the way, so nothing looks them up again.
 * It is also several times cheaper per token than the jsonb_in route,
 * which copies strings one character at a time and sorts every object with
 * qsort.  Strings are not copied unless escapes or a conversion change them,
 * and integers of fewer than 19 digits become numerics without numeric_in.
 *
 * JSON strings cannot hold U+0000 here, as in jsonb.  Numbers become
 * numeric; exponents numeric cannot hold are refused, so numeric_in never
 * raises, and so are exponents that make a number's decimal form more than
 * a few characters longer than its literal, so that turning a document
 * into text costs about its size (number_short).  In a database whose
 * encoding is not UTF-8 (nor SQL_ASCII, where they stay UTF-8), strings
 * are converted to it; a character it cannot represent exactly, or does
 * not tell apart from another, makes the document malformed, and so does
 * any non-ASCII string when the encoding has no conversion from UTF-8
 * (MULE_INTERNAL) (jp_to_server).
 *
 * jwt_json_parse_server reads JSON text in the database encoding (a key
 * argument, or JSON built from jsonb strings) by way of UTF-8, and wipes
 * the converted copy, which may hold a key.  It and jwt_json_parse_key
 * (a key's JSON in UTF-8) also wipe the copies of strings the parser made
 * (unescaped, converted): a secret written with \u escapes is not left
 * in freed memory.
 *
 * Never ereports for bad input.  Allocates in CurrentMemoryContext.
 *
 * src/json_in.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/crypto.h>

#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "base64url.h"
#include "encoding.h"
#include "json_in.h"
#include "json_scan.h"
#include "jwt.h"

/*
 * How many characters longer than as written a number's decimal form may
 * be (number_short).
 */
#define JWT_JSON_NUMBER_SLACK	20

/*
 * A parsed value, in a flat array of them (JsonParser.nodes), in the order
 * of the text.  A container's members are the node numbers
 * kids[first ... first + count) (an object's as key, value pairs, already
 * sorted the way jsonb stores them).
 */
typedef struct JNode
{
	const char *ptr;			/* a string's bytes (not NUL-terminated); a
								 * number's text */
	union
	{
		int64		ival;		/* a number, when isint */
		Numeric		num;		/* a number, otherwise */
		int32		first;		/* a container */
	}			u;
	int32		len;			/* bytes of a string or of a number's text;
								 * members of a container */
	uint8		type;			/* enum jbvType */
	bool		isint;			/* a number: in ival, not num; a boolean:
								 * its value */
} JNode;

typedef struct JsonParser
{
	const char *p;
	const char *start;			/* the text */
	const char *end;
	int			depth;
	int			max_depth;
	bool		convert;		/* database encoding is not UTF-8 nor
								 * SQL_ASCII */
	JwtReason	reason;			/* set on failure */
	const char *failure;		/* what is wrong, for the detail */

	/*
	 * The scratch space, allocated once for the most values text of this
	 * length can hold: nodes; the node numbers of the members of the
	 * containers being parsed (stack); those of finished containers (kids).
	 */
	JNode	   *nodes;
	int32	   *stack;
	int32	   *kids;
	int			nnodes;
	int			maxnodes;
	int			nstack;
	int			nkids;
	Size		size;			/* at least the bytes of the jsonb */

	/*
	 * Parsing a key: the string copies made (unescaped, converted), wiped
	 * and freed at the end, since they may hold its secret members.
	 */
	bool		wipe;
	char	  **copies;
	int		   *copylens;
	int			ncopies;
	int			maxcopies;
} JsonParser;

static int	jp_value(JsonParser *jp);
static void jp_keep_copy(JsonParser *jp, char *copy, int len);
static char *jp_to_server(JsonParser *jp, char *buf, int len);
static bool shared_character(const char *s);

/*
 * The characters of the database encoding that more than one Unicode code
 * point converts to (EUC_JP's 0x8FA2C3 is both U+00A6 and U+FFE4), as their
 * bytes packed by pack_char(), sorted; found once per backend by
 * find_shared_characters().
 */
static uint64 *shared_chars = NULL;
static int	nshared_chars = 0;
static bool shared_chars_known = false;

static inline void
jp_skip_ws(JsonParser *jp)
{
	/* tokens have no whitespace between their values, as a rule */
	if (likely(jp->p < jp->end && (unsigned char) *jp->p > ' '))
		return;
	while (jp->p < jp->end &&
		   (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t'))
		jp->p++;
}

static bool
jp_fail(JsonParser *jp, const char *failure)
{
	if (jp->failure == NULL)
	{
		jp->failure = failure;
		jp->reason = JWT_REASON_MALFORMED;
	}
	return false;
}

static bool
read_hex4(JsonParser *jp, const char *s, pg_wchar *out)
{
	int			i;
	pg_wchar	v = 0;

	if (jp->end - s < 4)
		return jp_fail(jp, "has an invalid Unicode escape");
	for (i = 0; i < 4; i++)
	{
		int			h = b64url_hex_value((unsigned char) s[i]);

		if (h < 0)
			return jp_fail(jp, "has an invalid Unicode escape");
		v = (v << 4) | h;
	}
	*out = v;
	return true;
}

/*
 * Parse a string starting at the opening quote.  *out is its value, not
 * NUL-terminated: the text itself for a string without escapes that needs
 * no conversion, else a palloc'd buffer.
 */
static bool
jp_string_slow(JsonParser *jp, const char **out, int *outlen)
{
	const char *s = jp->p + 1;
	const char *q = s;
	bool		plain = true;
	bool		ascii = true;
	char	   *buf;
	char	   *w;

	/* First pass: find the closing quote, and see what needs work. */
	for (;;)
	{
		unsigned char c;

		/* the run of plain ASCII characters, then one table look-up each */
		q = json_skip_plain(q, jp->end, jp->start, true);
		while (q < jp->end && json_byte_class[(unsigned char) *q] == 0)
			q++;
		if (q >= jp->end)
			return jp_fail(jp, "ends early");
		c = (unsigned char) *q;
		if (c == '"')
			break;
		if (c == '\\')
		{
			plain = false;
			q += 2;
			continue;
		}
		if (c < 0x20)
			return jp_fail(jp, "has a control character in a string");
		if (c >= 0x80)
		{
			int			l = pg_utf_mblen((const unsigned char *) q);

			if (l < 2 || l > 4 || jp->end - q < l ||
				!pg_utf8_islegal((const unsigned char *) q, l))
				return jp_fail(jp, "is not valid UTF-8");
			ascii = false;
			q += l;
			continue;
		}
		q++;
	}

	if (plain && (ascii || !jp->convert))
	{
		jp->p = q + 1;
		*out = s;
		*outlen = q - s;
		return true;
	}
	buf = palloc((q - s) + 1);
	if (jp->wipe)
		jp_keep_copy(jp, buf, (q - s) + 1);
	if (plain)
	{
		memcpy(buf, s, q - s);
		w = buf + (q - s);
	}
	else
	{
		const char *r = s;

		w = buf;
		while (r < q)
		{
			if (*r != '\\')
			{
				*w++ = *r++;
				continue;
			}
			r++;
			switch (*r)
			{
				case '"':
				case '\\':
				case '/':
					*w++ = *r;
					break;
				case 'b':
					*w++ = '\b';
					break;
				case 'f':
					*w++ = '\f';
					break;
				case 'n':
					*w++ = '\n';
					break;
				case 'r':
					*w++ = '\r';
					break;
				case 't':
					*w++ = '\t';
					break;
				case 'u':
					{
						pg_wchar	cp;

						if (!read_hex4(jp, r + 1, &cp))
							return false;
						r += 4;
						if (cp >= 0xD800 && cp <= 0xDBFF)
						{
							pg_wchar	lo;

							if (q - r < 7 || r[1] != '\\' || r[2] != 'u' ||
								!read_hex4(jp, r + 3, &lo) ||
								lo < 0xDC00 || lo > 0xDFFF)
								return jp_fail(jp, "has an invalid Unicode escape");
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
							r += 6;
						}
						else if (cp >= 0xDC00 && cp <= 0xDFFF)
							return jp_fail(jp, "has an invalid Unicode escape");
						if (cp == 0)
							return jp_fail(jp, "contains the escape \\u0000");
						if (cp >= 0x80)
							ascii = false;
						unicode_to_utf8(cp, (unsigned char *) w);
						w += pg_utf_mblen((unsigned char *) w);
					}
					break;
				default:
					return jp_fail(jp, "has an invalid string escape");
			}
			r++;
		}
	}
	*w = '\0';
	jp->p = q + 1;

	if (jp->convert && !ascii)
	{
		char	   *conv = jp_to_server(jp, buf, w - buf);

		if (conv == NULL)
			return false;
		if (conv != buf)
		{
			*out = conv;
			*outlen = strlen(conv);
			return true;
		}
	}
	*out = buf;
	*outlen = w - buf;
	return true;
}

/*
 * jp_string, inline for the usual string: plain ASCII, and its closing
 * quote the first byte the 16-byte scan stops at.  Anything else takes
 * jp_string_slow, which scans again from the start.
 */
static pg_attribute_always_inline bool
jp_string(JsonParser *jp, const char **out, int *outlen)
{
	const char *s = jp->p + 1;
	const char *q = json_skip_plain(s, jp->end, jp->start, true);

	if (likely(q < jp->end && *q == '"'))
	{
		jp->p = q + 1;
		*out = s;
		*outlen = q - s;
		return true;
	}
	return jp_string_slow(jp, out, outlen);
}

/*
 * Convert a UTF-8 string to the database encoding, or set a failure and
 * return NULL when the database encoding cannot represent one of its
 * characters, or has no conversion from UTF-8 at all (MULE_INTERNAL):
 * pg_any_to_server would raise then (22P05, or 42883 for the missing
 * conversion), and a token must not make jwt_validate raise (nor get that
 * far before its signature is checked).  jwt_utf8_to_server reports
 * instead of raising, so nothing is caught here.
 *
 * A string the database encoding would not keep apart from another is
 * refused too, so that two tokens with different claims never become the
 * same text in the database: in EUC_JP, "victim\uFFE4" and "victim\u00A6"
 * are both the bytes of 'victim' followed by 0x8FA2C3, and a token for the
 * one would pass subject => the other, or read the other's rows through
 * jwt_claim() in a row-level security policy.  Refused: a string that does
 * not come back the same from the database encoding (U+00A6, which comes
 * back as U+FFE4), and a string holding a character that several code
 * points convert to (U+FFE4 itself; shared_character()).
 */
static char *
jp_to_server(JsonParser *jp, char *buf, int len)
{
	char	   *conv;
	char	   *back;
	bool		same;

	if (!jwt_utf8_to_server(buf, len, &conv))
	{
		jp_fail(jp, "has a character the database encoding cannot represent");
		return NULL;
	}
	if (conv == buf)
		return conv;
	if (jp->wipe)
		jp_keep_copy(jp, conv, strlen(conv) + 1);
	if (!jwt_server_to_utf8(conv, strlen(conv), &back))
		same = false;
	else
	{
		same = strlen(back) == (size_t) len && memcmp(back, buf, len) == 0;
		if (back != conv)
		{
			OPENSSL_cleanse(back, strlen(back));
			pfree(back);
		}
	}
	if (!same)
	{
		jp_fail(jp, "has a character the database encoding would turn into another");
		return NULL;
	}
	if (shared_character(conv))
	{
		jp_fail(jp, "has a character the database encoding does not tell apart from another");
		return NULL;
	}
	return conv;
}

/* A character of the database encoding (1 to 4 bytes) as one number. */
static inline uint64
pack_char(const unsigned char *c, int len)
{
	uint64		key = (uint64) len << 32;
	int			i;

	for (i = 0; i < len; i++)
		key |= (uint64) c[i] << (8 * (3 - i));
	return key;
}

static int
key_order(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Convert every code point of the Basic Multilingual Plane beyond ASCII to
 * the database encoding, one at a time, and keep the non-ASCII characters
 * that two or more of them convert to (where PostgreSQL's conversion maps
 * have such pairs).  About 63,000 calls of the conversion function, once
 * per backend, and only in a database whose encoding is not UTF-8 when a
 * token first holds a non-ASCII string; the result is a few dozen
 * characters at most, kept in TopMemoryContext.
 */
static void
find_shared_characters(void)
{
	int			encoding = GetDatabaseEncoding();
	Oid			proc = FindDefaultConversionProc(PG_UTF8, encoding);
	FmgrInfo	flinfo;
	uint64	   *keys;
	int			nkeys = 0;
	int			nshared = 0;
	uint64	   *shared;
	pg_wchar	cp;
	int			i;

	if (!OidIsValid(proc) || pg_encoding_max_length(encoding) > 4)
	{
		shared_chars_known = true;
		return;
	}
	fmgr_info(proc, &flinfo);
	keys = palloc(sizeof(uint64) * 0x10000);
	for (cp = 0x80; cp <= 0xFFFF; cp++)
	{
		unsigned char src[8];
		unsigned char dst[32];
		int			srclen;
		int			converted;
		int			dstlen;

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		unicode_to_utf8(cp, src);
		srclen = pg_utf_mblen(src);
		src[srclen] = '\0';
		dst[0] = '\0';
		converted = DatumGetInt32(FunctionCall6(&flinfo,
												Int32GetDatum(PG_UTF8),
												Int32GetDatum(encoding),
												CStringGetDatum((char *) src),
												CStringGetDatum((char *) dst),
												Int32GetDatum(srclen),
												BoolGetDatum(true)));
		if (converted != srclen)
			continue;
		dstlen = strlen((char *) dst);
		if (dstlen < 1 || dstlen > 4 || dst[0] < 0x80)
			continue;
		keys[nkeys++] = pack_char(dst, dstlen);
	}
	qsort(keys, nkeys, sizeof(uint64), key_order);
	shared = MemoryContextAlloc(TopMemoryContext, sizeof(uint64) * Max(nkeys, 1));
	for (i = 1; i < nkeys; i++)
	{
		if (keys[i] == keys[i - 1] &&
			(nshared == 0 || shared[nshared - 1] != keys[i]))
			shared[nshared++] = keys[i];
	}
	pfree(keys);
	shared_chars = shared;
	nshared_chars = nshared;
	shared_chars_known = true;
}

/*
 * Does "s" (NUL-terminated, in the database encoding) hold a non-ASCII
 * character that more than one code point converts to?
 */
static bool
shared_character(const char *s)
{
	const unsigned char *c = (const unsigned char *) s;

	if (!shared_chars_known)
		find_shared_characters();
	if (nshared_chars == 0)
		return false;
	while (*c)
	{
		int			l;
		uint64		key;

		if (*c < 0x80)
		{
			c++;
			continue;
		}
		l = pg_mblen((const char *) c);
		key = pack_char(c, Min(l, 4));
		if (bsearch(&key, shared_chars, nshared_chars, sizeof(uint64), key_order))
			return true;
		c += l;
	}
	return false;
}

/*
 * Would numeric_in accept this JSON number without raising?  Its limits
 * are about 131072 digits before the decimal point and 16383 after; keep
 * well inside them (JWT_JSON_MAX_INT_DIGITS, JWT_JSON_MAX_FRAC_DIGITS).
 */
static bool
number_in_range(long intdigits, long fracdigits, long exponent)
{
	return exponent <= JWT_JSON_MAX_INT_DIGITS &&
		exponent >= -JWT_JSON_MAX_INT_DIGITS &&
		intdigits + exponent <= JWT_JSON_MAX_INT_DIGITS &&
		fracdigits - exponent <= JWT_JSON_MAX_FRAC_DIGITS;
}

/*
 * Is the decimal form of this number (numeric_out's, which jsonb's text
 * output, jwt_claim and every comparison as text use) at most
 * JWT_JSON_NUMBER_SLACK characters longer than the number as written?
 * Without an exponent the two are the same length; an exponent may make
 * it far longer: "1e99999" is 7 bytes of a token and 100,001 characters
 * of text, and a token of them cost a thousand times its size in memory
 * and time once shown.  The bound counts every digit numeric_in keeps
 * (leading zeros of "0.001e3" too), so it may refuse a number slightly
 * shorter than it, never accept a longer one.  No claim needs more: a
 * NumericDate written 1.7e9 gains 5 characters, 1e20 gains 17.
 */
static bool
number_short(long literal, bool negative, long intdigits, long fracdigits,
			 long exponent)
{
	long		whole = Max(intdigits + exponent, 1);
	long		scale = Max(fracdigits - exponent, 0);
	long		rendered = (negative ? 1 : 0) + whole + (scale > 0 ? scale + 1 : 0);

	return rendered <= literal + JWT_JSON_NUMBER_SLACK;
}

/* Remember a string copy of "len" bytes, to be wiped (jp->wipe). */
static void
jp_keep_copy(JsonParser *jp, char *copy, int len)
{
	if (jp->ncopies == jp->maxcopies)
	{
		jp->maxcopies = jp->maxcopies ? 2 * jp->maxcopies : 16;
		jp->copies = jp->copies ?
			repalloc(jp->copies, jp->maxcopies * sizeof(char *)) :
			palloc(jp->maxcopies * sizeof(char *));
		jp->copylens = jp->copylens ?
			repalloc(jp->copylens, jp->maxcopies * sizeof(int)) :
			palloc(jp->maxcopies * sizeof(int));
	}
	jp->copies[jp->ncopies] = copy;
	jp->copylens[jp->ncopies] = len;
	jp->ncopies++;
}

/*
 * Wipe and free the string copies, and free the scratch space unless it is
 * the caller's "local" buffer; the jsonb has its own.
 */
static void
jp_finish(JsonParser *jp, char *scratch, const void *local)
{
	int			i;

	for (i = 0; i < jp->ncopies; i++)
	{
		OPENSSL_cleanse(jp->copies[i], jp->copylens[i]);
		pfree(jp->copies[i]);
	}
	if (jp->copies)
	{
		pfree(jp->copies);
		pfree(jp->copylens);
	}
	if (scratch != local)
		pfree(scratch);
}

/* A new node; the scratch space has room for every value (jwt_json_parse). */
static inline int
jp_node(JsonParser *jp, uint8 type)
{
	JNode	   *n;

	if (unlikely(jp->nnodes >= jp->maxnodes))
		elog(ERROR, "JSON parser node space exhausted");	/* cannot happen */
	n = &jp->nodes[jp->nnodes];
	n->type = type;
	n->isint = false;
	return jp->nnodes++;
}

/*
 * Are the 8 bytes at "s" all ASCII digits?  If so, *value is their value.
 * Each byte is a digit when its high nibble is 3 both as it is and plus 6
 * (no byte carries into the next: a digit plus 6 is at most 0x3F); the
 * value is then made by three multiplications, pairs of digits, then
 * fours, then the eight.  Little-endian only: the first digit is the low
 * byte.
 */
static inline bool
eight_digits(const char *s, uint64 *value)
{
#ifndef WORDS_BIGENDIAN
	uint64		v;

	memcpy(&v, s, sizeof(v));
	if ((v & UINT64CONST(0xF0F0F0F0F0F0F0F0)) != UINT64CONST(0x3030303030303030) ||
		((v + UINT64CONST(0x0606060606060606)) & UINT64CONST(0xF0F0F0F0F0F0F0F0)) !=
		UINT64CONST(0x3030303030303030))
		return false;
	v &= UINT64CONST(0x0F0F0F0F0F0F0F0F);
	v = (v * (10 * 256 + 1)) >> 8;
	v = ((v & UINT64CONST(0x00FF00FF00FF00FF)) * (100 * 65536 + 1)) >> 16;
	v = ((v & UINT64CONST(0x0000FFFF0000FFFF)) * (UINT64CONST(10000) * 4294967296 + 1)) >> 32;
	*value = v & UINT64CONST(0xFFFFFFFF);
	return true;
#else
	return false;
#endif
}

static int
jp_number(JsonParser *jp)
{
	const char *s = jp->p;
	const char *q = s;
	long		intdigits = 0;
	long		fracdigits = 0;
	long		exponent = 0;
	bool		simple = true;
	int64		ival = 0;
	int			id;
	JNode	   *n;

	if (q < jp->end && *q == '-')
		q++;
	if (q >= jp->end || !(*q >= '0' && *q <= '9'))
		return jp_fail(jp, "is not valid JSON"), -1;
	if (*q == '0')
		q++, intdigits = 1;
	else
	{
		/* eight digits at a time while ival keeps to 18 of them */
		while (jp->end - q >= 8 && intdigits <= 10)
		{
			uint64		digits;

			if (!eight_digits(q, &digits))
				break;
			ival = ival * 100000000 + (int64) digits;
			q += 8, intdigits += 8;
		}
		while (q < jp->end && *q >= '0' && *q <= '9')
		{
			if (intdigits < 18)
				ival = ival * 10 + (*q - '0');
			q++, intdigits++;
		}
	}
	if (q < jp->end && *q == '.')
	{
		q++;
		simple = false;
		if (q >= jp->end || !(*q >= '0' && *q <= '9'))
			return jp_fail(jp, "is not valid JSON"), -1;
		while (q < jp->end && *q >= '0' && *q <= '9')
			q++, fracdigits++;
	}
	if (q < jp->end && (*q == 'e' || *q == 'E'))
	{
		bool		neg = false;

		q++;
		simple = false;
		if (q < jp->end && (*q == '+' || *q == '-'))
			neg = (*q++ == '-');
		if (q >= jp->end || !(*q >= '0' && *q <= '9'))
			return jp_fail(jp, "is not valid JSON"), -1;
		while (q < jp->end && *q >= '0' && *q <= '9')
		{
			if (exponent <= 1000000)
				exponent = exponent * 10 + (*q - '0');
			q++;
		}
		if (neg)
			exponent = -exponent;
	}
	jp->p = q;

	id = jp_node(jp, jbvNumeric);
	n = &jp->nodes[id];
	n->ptr = s;
	n->len = q - s;
	if (simple && intdigits <= 18)
	{
		/* written by jw_integer: at most 5 digits of base 10000 */
		n->isint = true;
		n->u.ival = *s == '-' ? -ival : ival;
		jp->size += sizeof(JEntry) + 3 + VARHDRSZ + sizeof(uint16) + 5 * sizeof(int16);
	}
	else
	{
		if (!number_in_range(intdigits, fracdigits, exponent))
			return jp_fail(jp, "has a number out of range"), -1;
		if (!number_short(q - s, *s == '-', intdigits, fracdigits, exponent))
			return jp_fail(jp, "has a number whose exponent makes its decimal form much longer than as written"), -1;
		n->u.num =
			DatumGetNumeric(DirectFunctionCall3(numeric_in,
												CStringGetDatum(pnstrdup(s, q - s)),
												ObjectIdGetDatum(InvalidOid),
												Int32GetDatum(-1)));
		jp->size += sizeof(JEntry) + 3 + VARSIZE(n->u.num);
	}
	return id;
}

/*
 * memcmp, by hand for the short names of claims and header parameters,
 * which a call to memcmp costs more than comparing.
 */
static inline int
bytes_cmp(const char *a, const char *b, int len)
{
	int			i;

	if (len > 16)
		return memcmp(a, b, len);
	for (i = 0; i < len; i++)
	{
		if (a[i] != b[i])
			return (unsigned char) a[i] < (unsigned char) b[i] ? -1 : 1;
	}
	return 0;
}

/* jsonb's key order: shorter first, then bytewise. */
static inline int
key_cmp(const JNode *a, const JNode *b)
{
	if (a->len != b->len)
		return a->len > b->len ? 1 : -1;
	return bytes_cmp(a->ptr, b->ptr, a->len);
}

/* a member of an object being parsed: node numbers of its key and value */
typedef struct JPair
{
	int32		key;
	int32		value;
} JPair;

static int
pair_cmp(const void *a, const void *b, void *arg)
{
	const JNode *nodes = (const JNode *) arg;

	return key_cmp(&nodes[((const JPair *) a)->key],
				   &nodes[((const JPair *) b)->key]);
}

static bool
jp_enter(JsonParser *jp)
{
	if (++jp->depth > jp->max_depth)
	{
		if (jp->failure == NULL)
		{
			jp->failure = psprintf("nests deeper than jwt.max_json_depth (%d)",
								   jp->max_depth);
			jp->reason = JWT_REASON_LIMIT_EXCEEDED;
		}
		return false;
	}
	return true;
}

/*
 * A container's members are on the stack from "base": move them to kids.
 */
static void
jp_close(JsonParser *jp, int id, int base)
{
	JNode	   *n = &jp->nodes[id];
	int			count = jp->nstack - base;

	memcpy(jp->kids + jp->nkids, jp->stack + base, sizeof(int32) * count);
	n->u.first = jp->nkids;
	n->len = n->type == jbvObject ? count / 2 : count;
	jp->nkids += count;
	jp->nstack = base;
	/* padding, header, and its entry in its parent */
	jp->size += 3 + sizeof(uint32) + sizeof(JEntry);
	jp->depth--;
}

static int
jp_object(JsonParser *jp)
{
	int			id;
	int			base = jp->nstack;
	int			n;
	int			i;
	JPair	   *pairs;

	if (!jp_enter(jp))
		return -1;
	id = jp_node(jp, jbvObject);
	jp->p++;					/* '{' */
	jp_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '}')
		jp->p++;
	else
	{
		for (;;)
		{
			int			k;
			int			v;

			jp_skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != '"')
				return jp_fail(jp, jp->p >= jp->end ? "ends early" : "is not valid JSON"), -1;
			k = jp_node(jp, jbvString);
			if (!jp_string(jp, &jp->nodes[k].ptr, &jp->nodes[k].len))
				return -1;
			jp->size += sizeof(JEntry) + jp->nodes[k].len;
			jp_skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return jp_fail(jp, jp->p >= jp->end ? "ends early" : "is not valid JSON"), -1;
			jp->p++;
			jp_skip_ws(jp);
			if ((v = jp_value(jp)) < 0)
				return -1;
			jp->stack[jp->nstack++] = k;
			jp->stack[jp->nstack++] = v;
			jp_skip_ws(jp);
			if (jp->p < jp->end && *jp->p == ',')
			{
				jp->p++;
				continue;
			}
			if (jp->p < jp->end && *jp->p == '}')
			{
				jp->p++;
				break;
			}
			return jp_fail(jp, jp->p >= jp->end ? "ends early" : "is not valid JSON"), -1;
		}
	}

	/*
	 * Sort into jsonb order (insertion sort: objects are small), refusing
	 * duplicate names.  Each member inserted is compared with the member it
	 * ends up after, which is a duplicate of it if any member is.
	 */
	pairs = (JPair *) (jp->stack + base);
	n = (jp->nstack - base) / 2;
	if (n > 32)
	{
		qsort_arg(pairs, n, sizeof(JPair), pair_cmp, jp->nodes);
		for (i = 1; i < n; i++)
		{
			if (key_cmp(&jp->nodes[pairs[i - 1].key], &jp->nodes[pairs[i].key]) == 0)
				return jp_fail(jp, "has a duplicate member name"), -1;
		}
	}
	else
	{
		for (i = 1; i < n; i++)
		{
			JPair		tmp = pairs[i];
			const JNode *key = &jp->nodes[tmp.key];
			int			j = i - 1;
			int			c;

			while ((c = key_cmp(&jp->nodes[pairs[j].key], key)) > 0)
			{
				pairs[j + 1] = pairs[j];
				if (--j < 0)
					break;
			}
			if (j >= 0 && c == 0)
				return jp_fail(jp, "has a duplicate member name"), -1;
			pairs[j + 1] = tmp;
		}
	}
	jp_close(jp, id, base);
	return id;
}

static int
jp_array(JsonParser *jp)
{
	int			id;
	int			base = jp->nstack;

	if (!jp_enter(jp))
		return -1;
	id = jp_node(jp, jbvArray);
	jp->p++;					/* '[' */
	jp_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == ']')
		jp->p++;
	else
	{
		for (;;)
		{
			int			v;

			jp_skip_ws(jp);
			if ((v = jp_value(jp)) < 0)
				return -1;
			jp->stack[jp->nstack++] = v;
			jp_skip_ws(jp);
			if (jp->p < jp->end && *jp->p == ',')
			{
				jp->p++;
				continue;
			}
			if (jp->p < jp->end && *jp->p == ']')
			{
				jp->p++;
				break;
			}
			return jp_fail(jp, jp->p >= jp->end ? "ends early" : "is not valid JSON"), -1;
		}
	}
	jp_close(jp, id, base);
	return id;
}

static int
jp_literal(JsonParser *jp, const char *word, int len, uint8 type, bool value)
{
	int			id;

	if (jp->end - jp->p < len || memcmp(jp->p, word, len) != 0)
		return jp_fail(jp, "is not valid JSON"), -1;
	jp->p += len;
	id = jp_node(jp, type);
	jp->nodes[id].isint = value;	/* a boolean's value */
	jp->size += sizeof(JEntry);
	return id;
}

static int
jp_value(JsonParser *jp)
{
	int			id;

	if (jp->p >= jp->end)
		return jp_fail(jp, "ends early"), -1;
	switch (*jp->p)
	{
		case '{':
			return jp_object(jp);
		case '[':
			return jp_array(jp);
		case '"':
			id = jp_node(jp, jbvString);
			if (!jp_string(jp, &jp->nodes[id].ptr, &jp->nodes[id].len))
				return -1;
			jp->size += sizeof(JEntry) + jp->nodes[id].len;
			return id;
		case 't':
			return jp_literal(jp, "true", 4, jbvBool, true);
		case 'f':
			return jp_literal(jp, "false", 5, jbvBool, false);
		case 'n':
			return jp_literal(jp, "null", 4, jbvNull, false);
		default:
			return jp_number(jp);
	}
}

/*
 * Writing the jsonb binary format (PostgreSQL's jsonb.h), byte for byte
 * what JsonbValueToJsonb makes of the same values (convertToJsonb in
 * jsonb_util.c): a container is its header, the JEntry of every member
 * (of an object, the keys' and then the values'), then the members' data
 * in the same order; every JB_OFFSET_STRIDE'th JEntry holds the end offset
 * of its member's data instead of its length; containers and numerics
 * start on a 4-byte boundary of the datum, their padding counted as their
 * data.
 */
typedef struct JsonWriter
{
	char	   *buf;			/* 16 bytes longer than needed (jw_string) */
	Size		pos;
	const JNode *nodes;
	const int32 *kids;
	const char *start;			/* the parsed text */
	const char *end;
} JsonWriter;

static JEntry jw_value(JsonWriter *jw, const JNode *n);

static inline int
jw_pad(JsonWriter *jw)
{
	int			pad = INTALIGN(jw->pos) - jw->pos;

	memset(jw->buf + jw->pos, 0, pad);
	jw->pos += pad;
	return pad;
}

/*
 * The numeric of an integer of fewer than 19 digits, as numeric_in and
 * int64_to_numeric make it: the short format, base-10000 digits without
 * trailing zero ones, dscale 0; zero has no digits and is positive.
 */
static int
jw_integer(JsonWriter *jw, int64 v)
{
	uint64		u = v < 0 ? -(uint64) v : (uint64) v;
	int16		groups[5];
	int			ngroups = 0;
	int			zeros = 0;
	int			ndigits;
	int			len;
	uint16		header;
	char	   *p = jw->buf + jw->pos;
	int			i;

	while (u > 0)
	{
		groups[ngroups++] = (int16) (u % 10000);
		u /= 10000;
	}
	while (zeros < ngroups && groups[zeros] == 0)
		zeros++;
	ndigits = ngroups - zeros;
	header = 0x8000;			/* NUMERIC_SHORT */
	if (ndigits > 0)
	{
		if (v < 0)
			header |= 0x2000;	/* NUMERIC_SHORT_SIGN_MASK */
		header |= (ngroups - 1) & 0x003F;	/* the weight, >= 0 */
	}
	len = VARHDRSZ + sizeof(uint16) + ndigits * sizeof(int16);
	SET_VARSIZE(p, len);
	memcpy(p + VARHDRSZ, &header, sizeof(uint16));
	for (i = 0; i < ndigits; i++)
		memcpy(p + VARHDRSZ + sizeof(uint16) + i * sizeof(int16),
			   &groups[ngroups - 1 - i], sizeof(int16));
	jw->pos += len;
	return len;
}

/*
 * Write a string's bytes.  One of 16 bytes or fewer, in the text with 16
 * bytes to read from it, is copied as 16 bytes, without a call: those
 * after it are written over by what follows (every byte up to the end is
 * written), or are past the end, in the buffer's 16 spare bytes.
 */
static inline void
jw_string(JsonWriter *jw, const JNode *n)
{
	if (n->len <= 16 && n->ptr >= jw->start && jw->end - n->ptr >= 16)
		memcpy(jw->buf + jw->pos, n->ptr, 16);
	else
		memcpy(jw->buf + jw->pos, n->ptr, n->len);
	jw->pos += n->len;
}

/* Write a container's members kids[from ... from + count) and their entries. */
static inline void
jw_members(JsonWriter *jw, JEntry *entries, int index, Size datastart,
		   int from, int step, int count)
{
	int			i;

	for (i = 0; i < count; i++, index++)
	{
		const JNode *c = &jw->nodes[jw->kids[from + i * step]];
		JEntry		meta;

		if (c->type == jbvString)
		{
			jw_string(jw, c);
			meta = c->len;
		}
		else
			meta = jw_value(jw, c);
		if ((index % JB_OFFSET_STRIDE) == 0)
			meta = (meta & JENTRY_TYPEMASK) | (jw->pos - datastart) | JENTRY_HAS_OFF;
		entries[index] = meta;
	}
}

static JEntry
jw_container(JsonWriter *jw, const JNode *n)
{
	Size		base = jw->pos;
	bool		object = n->type == jbvObject;
	int			count = object ? n->len * 2 : n->len;
	JEntry	   *entries;
	Size		datastart;

	jw_pad(jw);
	*(uint32 *) (jw->buf + jw->pos) = n->len | (object ? JB_FOBJECT : JB_FARRAY);
	jw->pos += sizeof(uint32);
	entries = (JEntry *) (jw->buf + jw->pos);
	jw->pos += sizeof(JEntry) * count;
	datastart = jw->pos;
	if (object)
	{
		/* kids are key, value pairs: the keys first, then the values */
		jw_members(jw, entries, 0, datastart, n->u.first, 2, n->len);
		jw_members(jw, entries, n->len, datastart, n->u.first + 1, 2, n->len);
	}
	else
		jw_members(jw, entries, 0, datastart, n->u.first, 1, n->len);
	return JENTRY_ISCONTAINER | (jw->pos - base);
}

static JEntry
jw_value(JsonWriter *jw, const JNode *n)
{
	switch (n->type)
	{
		case jbvString:
			jw_string(jw, n);
			return n->len;
		case jbvNumeric:
			{
				int			pad = jw_pad(jw);
				int			len;

				if (n->isint)
					len = jw_integer(jw, n->u.ival);
				else
				{
					len = VARSIZE(n->u.num);
					memcpy(jw->buf + jw->pos, n->u.num, len);
					jw->pos += len;
				}
				return JENTRY_ISNUMERIC | (pad + len);
			}
		case jbvBool:
			return n->isint ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
		case jbvNull:
			return JENTRY_ISNULL;
		default:
			return jw_container(jw, n);
	}
}

/*
 * A copy of a captured string, NUL-terminated, from the captured strings'
 * allocation (*arena).
 */
static char *
capture_string(const JNode *v, char **arena)
{
	char	   *copy = *arena;

	memcpy(copy, v->ptr, v->len);
	copy[v->len] = '\0';
	*arena += v->len + 1;
	return copy;
}

/* The bytes capture() copies of a value: its strings, each with its NUL. */
static Size
capture_bytes(const JsonParser *jp, const JNode *v)
{
	Size		bytes = 0;
	int			i;

	if (v->type == jbvString)
		return v->len + 1;
	if (v->type == jbvArray)
	{
		for (i = 0; i < v->len; i++)
		{
			const JNode *e = &jp->nodes[jp->kids[v->u.first + i]];

			if (e->type == jbvString)
				bytes += e->len + 1;
		}
	}
	return bytes;
}

/*
 * Fill a captured field from its parsed value; its strings are copied to
 * *arena, which capture_bytes() sized.
 */
static void
capture(JsonParser *jp, JwtJsonField *f, const JNode *v, char **arena)
{
	int			i;

	switch (v->type)
	{
		case jbvString:
			f->type = JWT_JSON_STRING;
			f->str = capture_string(v, arena);
			break;
		case jbvNumeric:
			f->type = JWT_JSON_NUMBER;
			if (v->isint)
			{
				/*
				 * An integer of fewer than 19 digits, the usual NumericDate:
				 * converted exactly up to 2^53, correctly rounded beyond, as
				 * strtod does; "-0" stays negative, as strtod has it.
				 */
				f->num = (v->u.ival == 0 && v->ptr[0] == '-') ? -0.0 : (double) v->u.ival;
			}
			else
			{
				/*
				 * Anything else is copied (the input need not end in NUL)
				 * for strtod, or read from the numeric when longer.
				 */
				char		tmp[64];

				if (v->len >= (int) sizeof(tmp) - 1)
					f->num = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
																NumericGetDatum(v->u.num)));
				else
				{
					memcpy(tmp, v->ptr, v->len);
					tmp[v->len] = '\0';
					f->num = strtod(tmp, NULL);
				}
			}
			break;
		case jbvBool:
			f->type = JWT_JSON_BOOL;
			break;
		case jbvNull:
			f->type = JWT_JSON_NULL;
			break;
		case jbvObject:
			f->type = JWT_JSON_OBJECT;
			break;
		case jbvArray:
			f->type = JWT_JSON_ARRAY;
			f->nelems = 0;
			f->elems = palloc(sizeof(char *) * Max(v->len, 1));
			for (i = 0; i < v->len; i++)
			{
				const JNode *e = &jp->nodes[jp->kids[v->u.first + i]];

				if (e->type != jbvString)
					f->elems_ok = false;
				else
					f->elems[f->nelems++] = capture_string(e, arena);
			}
			break;
		default:
			break;
	}
}

/*
 * Parse "len" bytes of JSON text that must be one object.  On success, the
 * jsonb is stored in *out (when out is not NULL), the requested fields are
 * filled in and JWT_REASON_NONE is returned.  On failure, *detail gets a
 * sentence (without final period) about "what", and the reason is
 * JWT_REASON_LIMIT_EXCEEDED for nesting beyond jwt.max_json_depth,
 * JWT_REASON_MALFORMED otherwise.
 */
static JwtReason
json_parse(const char *data, int len, const char *what,
		   JwtJsonField *fields, int nfields,
		   Jsonb **out, char **detail, bool wipe)
{
	JsonParser	jp;
	int			root;
	const JNode *found[16];
	Size		strbytes = 0;
	char	   *arena = NULL;
	uint64		firsts = 0;		/* the fields' first bytes, modulo 64 */
	int			maxnodes;
	Size		scratch_size;
	char	   *scratch;
	int64		local[1024];	/* scratch space of up to 8 kB */
	const JNode *r;
	int			i,
				j;

	Assert(nfields <= lengthof(found));
	for (i = 0; i < nfields; i++)
	{
		fields[i].type = JWT_JSON_ABSENT;
		fields[i].str = NULL;
		fields[i].num = 0;
		fields[i].nelems = 0;
		fields[i].elems = NULL;
		fields[i].elems_ok = true;
	}

	memset(&jp, 0, sizeof(jp));
	jp.wipe = wipe;
	jp.p = data;
	jp.start = data;
	jp.end = data + len;
	jp.max_depth = jwt_max_json_depth;
	jp.convert = (GetDatabaseEncoding() != PG_UTF8 &&
				  GetDatabaseEncoding() != PG_SQL_ASCII);

	/*
	 * A complete value of n bytes holds at most (n + 1) / 2 values (itself
	 * included: a scalar takes a byte, and every further member of a
	 * container a comma or colon and a byte at least, a key two), and the
	 * text read so far, when it fails, at most one more per container still
	 * open (its bracket and its first member), of which there are
	 * jwt.max_json_depth at most; twice that is left.  Each value is one
	 * node, at most one entry in kids and one on the stack.  The pages of a
	 * large allocation that are never reached are never touched; a key
	 * (jwt.max_key_size, 64 MB at most) may need more than MaxAllocSize.
	 * A token's payload usually needs less than 8 kB: on the stack, which
	 * spares the caller's memory context (often reset for every row) a
	 * block of its own for every call.
	 */
	maxnodes = len / 2 + 2 * jp.max_depth + 4;
	scratch_size = (Size) maxnodes * (sizeof(JNode) + 2 * sizeof(int32));
	if (scratch_size <= sizeof(local))
		scratch = (char *) local;
	else
		scratch = palloc_extended(scratch_size, MCXT_ALLOC_HUGE);
	jp.nodes = (JNode *) scratch;
	jp.stack = (int32 *) (scratch + (Size) maxnodes * sizeof(JNode));
	jp.kids = jp.stack + maxnodes;
	jp.maxnodes = maxnodes;
	jp.size = VARHDRSZ;

	jp_skip_ws(&jp);
	if (jp.p >= jp.end || *jp.p != '{')
	{
		/* say "not an object" only for JSON that is something else */
		if (jp.p < jp.end && jp_value(&jp) >= 0)
		{
			jp_skip_ws(&jp);
			jp.failure = jp.p == jp.end ? "is not a JSON object" : "is not valid JSON";
		}
		else if (jp.failure == NULL || jp.reason != JWT_REASON_LIMIT_EXCEEDED)
			jp.failure = jp.p >= jp.end && len == 0 ? "is empty" : "is not valid JSON";
		*detail = psprintf("The %s %s", what, jp.failure);
		jp_finish(&jp, scratch, local);
		return jp.reason == JWT_REASON_LIMIT_EXCEEDED ? jp.reason : JWT_REASON_MALFORMED;
	}
	root = jp_object(&jp);
	if (root >= 0)
	{
		jp_skip_ws(&jp);
		if (jp.p != jp.end)
			jp_fail(&jp, "has data after the JSON value");
		else if (jp.size > JENTRY_OFFLENMASK)
		{
			/*
			 * More than jsonb can hold (jp.size is an upper bound): not
			 * reached by a token (jwt.max_token_size is 16 MB at most),
			 * only by a large key
			 */
			jp.failure = "is too large for jsonb";
			jp.reason = JWT_REASON_LIMIT_EXCEEDED;
		}
	}
	if (jp.failure)
	{
		*detail = psprintf("The %s %s", what, jp.failure);
		jp_finish(&jp, scratch, local);
		return jp.reason;
	}

	/*
	 * The members asked for, by name; then their strings, copied into one
	 * allocation.  Field names are short (16 bytes at most), and a member
	 * name holds no NUL (no U+0000 here): bytes_cmp stops at the first
	 * difference, at the field name's NUL at the latest, and when the
	 * member name's bytes match, that NUL right after them says the lengths
	 * are the same too.
	 */
	r = &jp.nodes[root];
	for (j = 0; j < nfields; j++)
	{
		found[j] = NULL;
		firsts |= UINT64CONST(1) << (fields[j].name[0] & 63);
	}
	for (i = 0; i < r->len && nfields > 0; i++)
	{
		const JNode *key = &jp.nodes[jp.kids[r->u.first + 2 * i]];

		/* most members are not asked for: their first byte says so */
		if (key->len == 0 || !(firsts & (UINT64CONST(1) << (key->ptr[0] & 63))))
			continue;
		for (j = 0; j < nfields; j++)
		{
			if (key->len <= 16 &&
				bytes_cmp(key->ptr, fields[j].name, key->len) == 0 &&
				fields[j].name[key->len] == '\0')
			{
				found[j] = &jp.nodes[jp.kids[r->u.first + 2 * i + 1]];
				strbytes += capture_bytes(&jp, found[j]);
				break;
			}
		}
	}
	if (strbytes > 0)
		arena = palloc(strbytes);
	for (j = 0; j < nfields; j++)
	{
		if (found[j] != NULL)
			capture(&jp, &fields[j], found[j], &arena);
	}

	if (out)
	{
		JsonWriter	jw;

		jw.buf = palloc(jp.size + 16);
		jw.pos = VARHDRSZ;
		jw.start = data;
		jw.end = data + len;
		jw.nodes = jp.nodes;
		jw.kids = jp.kids;
		jw_value(&jw, r);
		Assert(jw.pos <= jp.size);
		SET_VARSIZE(jw.buf, jw.pos);
		*out = (Jsonb *) jw.buf;
	}
	jp_finish(&jp, scratch, local);
	return JWT_REASON_NONE;
}

JwtReason
jwt_json_parse(const char *data, int len, const char *what,
			   JwtJsonField *fields, int nfields,
			   Jsonb **out, char **detail)
{
	return json_parse(data, len, what, fields, nfields, out, detail, false);
}

/*
 * A key's JSON (UTF-8): as jwt_json_parse, and the copies of strings the
 * parser made (unescaped, converted) are wiped, as they may be secrets.
 */
JwtReason
jwt_json_parse_key(const char *data, int len, Jsonb **out, char **detail)
{
	return json_parse(data, len, "key", NULL, 0, out, detail, true);
}

/*
 * Parse JSON text in the database encoding with jwt_json_parse, which
 * reads UTF-8, JOSE's encoding, and converts strings to the database
 * encoding.  In a database that is not UTF-8, a "kid" of "café" would
 * otherwise not be valid UTF-8.  The converted copy is wiped: the text is
 * usually a key.
 */
JwtReason
jwt_json_parse_server(const char *json, int len, const char *what,
					  Jsonb **out, char **detail)
{
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		/*
		 * In a SQL_ASCII database (or for pure ASCII) this returns "json"
		 * itself, a datum's data that need not end in NUL: only a new,
		 * converted buffer has its length found by strlen.
		 */
		char	   *conv;

		if (!jwt_server_to_utf8(json, len, &conv))
		{
			*detail = psprintf("The %s has a character the database encoding %s has no UTF-8 form for",
							   what, GetDatabaseEncodingName());
			return JWT_REASON_MALFORMED;
		}
		if (conv != json)
		{
			JwtReason	r;
			int			convlen = strlen(conv);

			r = json_parse(conv, convlen, what, NULL, 0, out, detail, true);
			OPENSSL_cleanse(conv, convlen);
			pfree(conv);
			return r;
		}
	}
	return json_parse(json, len, what, NULL, 0, out, detail, true);
}
