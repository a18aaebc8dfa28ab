/*-------------------------------------------------------------------------
 *
 * encoding.c
 *		Conversions between UTF-8, JOSE's encoding, and the database
 *		encoding that report failure instead of raising.
 *
 * pg_any_to_server and pg_server_to_any raise when a character has no
 * mapping (22P05), and also when the database encoding has no conversion
 * from or to UTF-8 at all (42883, in a MULE_INTERNAL database).  Text from
 * a token must make the token malformed instead, and jwt_validate must not
 * raise, so these call the default conversion functions themselves with
 * noError set: a conversion function then stops at the first character it
 * cannot convert and says how far it got, and nothing has to be caught.
 * The functions are looked up once per backend (the database encoding does
 * not change) and kept in TopMemoryContext.
 *
 * In a UTF-8 database there is nothing to convert; in a SQL_ASCII one,
 * strings from tokens stay UTF-8, as pg_any_to_server leaves them.
 *
 * The first call of each direction looks in the catalogs, so it needs a
 * transaction.  Results are allocated in CurrentMemoryContext.  Raises
 * only for out of memory and catalog errors, never for the text.
 *
 * src/encoding.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "encoding.h"
#include "report.h"

typedef struct JwtConversion
{
	bool		known;			/* looked up */
	bool		exists;			/* the encodings have a default conversion */
	FmgrInfo	flinfo;
} JwtConversion;

static JwtConversion from_utf8;
static JwtConversion to_utf8;

/*
 * The code points of the bytes 0x80-0xFF in a single-byte database
 * encoding, or -1 for a byte that converts to no character; filled on
 * first use.
 */
static int32 byte_code_points[128];
static bool byte_code_points_known = false;

/* Is "s" of "len" bytes ASCII, the same in UTF-8 and every server encoding? */
static bool
all_ascii(const char *s, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		if ((unsigned char) s[i] >= 0x80)
			return false;
	}
	return true;
}

/* Does the database encoding hold strings from tokens as UTF-8? */
static inline bool
server_is_utf8(void)
{
	int			encoding = GetDatabaseEncoding();

	return encoding == PG_UTF8 || encoding == PG_SQL_ASCII;
}

static FmgrInfo *
conversion(JwtConversion *c, int from, int to)
{
	if (!c->known)
	{
		Oid			proc = FindDefaultConversionProc(from, to);

		if (OidIsValid(proc))
		{
			fmgr_info_cxt(proc, &c->flinfo, TopMemoryContext);
			c->exists = true;
		}
		c->known = true;
	}
	return c->exists ? &c->flinfo : NULL;
}

/*
 * Convert "len" bytes at "s" (no NUL among them) with the conversion "c"
 * from "from" to "to" into a new NUL-terminated string.  False when there
 * is no conversion, or when a character does not convert.
 */
static bool
convert(JwtConversion *c, int from, int to, const char *s, int len,
		char **out)
{
	FmgrInfo   *flinfo = conversion(c, from, to);
	char	   *dst;
	int			converted;

	if (flinfo == NULL)
		return false;
	if ((Size) len >= (MaxAllocSize / (Size) MAX_CONVERSION_GROWTH))
		return false;
	dst = palloc((Size) len * MAX_CONVERSION_GROWTH + 1);
	dst[0] = '\0';
	if (len == 0)
	{
		*out = dst;
		return true;
	}
	converted = DatumGetInt32(FunctionCall6(flinfo,
											Int32GetDatum(from),
											Int32GetDatum(to),
											CStringGetDatum(s),
											CStringGetDatum(dst),
											Int32GetDatum(len),
											BoolGetDatum(true)));
	if (converted != len)
	{
		pfree(dst);
		return false;
	}
	*out = dst;
	return true;
}

/*
 * UTF-8 text of "len" bytes (no NUL among them) in the database encoding:
 * *out is a new NUL-terminated string, or "s" itself when it is ASCII or
 * the database is UTF-8 or SQL_ASCII.  False when the database encoding
 * has no conversion from UTF-8 or cannot represent one of the characters.
 */
bool
jwt_utf8_to_server(const char *s, int len, char **out)
{
	if (server_is_utf8() || all_ascii(s, len))
	{
		*out = (char *) s;
		return true;
	}
	return convert(&from_utf8, PG_UTF8, GetDatabaseEncoding(), s, len, out);
}

/*
 * The reverse of jwt_utf8_to_server: text in the database encoding as
 * UTF-8, "s" itself when it is ASCII or the database is UTF-8 or
 * SQL_ASCII.  (pg_server_to_any raises 42883 in a MULE_INTERNAL database
 * even for ASCII.)
 */
bool
jwt_server_to_utf8(const char *s, int len, char **out)
{
	if (server_is_utf8() || all_ascii(s, len))
	{
		*out = (char *) s;
		return true;
	}
	return convert(&to_utf8, GetDatabaseEncoding(), PG_UTF8, s, len, out);
}

/*
 * jwt_server_to_utf8 for text the caller passed (claims to sign, a key),
 * raising 22023 naming "what" when it cannot be converted.
 */
char *
jwt_server_to_utf8_or_error(const char *s, int len, const char *what)
{
	char	   *out;

	if (!jwt_server_to_utf8(s, len, &out))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not convert %s to UTF-8", what),
				 errdetail("The database encoding %s has no UTF-8 form for one of its characters.",
						   GetDatabaseEncodingName())));
	return out;
}

/*
 * Text to sign ("what": header, claims) that jwt_server_to_utf8
 * passed through as it is, in a SQL_ASCII database: its bytes go into the
 * token, which must be UTF-8 (RFC 7515 section 5.1; the extension's own
 * verification refuses one that is not).  22021 when they are not.
 */
void
jwt_check_sql_ascii_utf8(const char *s, int len, const char *what)
{
	if (GetDatabaseEncoding() == PG_SQL_ASCII && !all_ascii(s, len) &&
		!pg_verify_mbstr(PG_UTF8, s, len, true))
		jwt_ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("the token's %s would not be valid UTF-8", what),
				 errdetail("In a SQL_ASCII database text is taken as UTF-8, the encoding of JOSE (RFC 7515, section 5.1).")));
}

/* The code point of one UTF-8 character of "len" bytes, or false. */
static bool
utf8_code_point(const unsigned char *s, int len, pg_wchar *cp)
{
	if (len < 1 || len > 4 || pg_utf_mblen(s) != len ||
		!pg_utf8_islegal(s, len))
		return false;
	*cp = utf8_to_unicode(s);
	return true;
}

/*
 * Set *cp to the Unicode code point of the one character of the database
 * encoding (UTF-8 in a SQL_ASCII database) of "len" bytes at "s"; false
 * when it is not one whole character, or converts to no code point or to
 * several, or the encoding has no conversion to UTF-8 (MULE_INTERNAL).
 * Single-byte encodings are read from a table of their 128 upper bytes.
 */
bool
jwt_server_char_code_point(const unsigned char *s, int len, pg_wchar *cp)
{
	int			encoding = GetDatabaseEncoding();
	char	   *utf8;
	bool		ok;

	if (len == 1 && s[0] < 0x80)
	{
		*cp = s[0];
		return true;
	}
	if (server_is_utf8())
		return utf8_code_point(s, len, cp);
	if (pg_encoding_max_length(encoding) == 1)
	{
		if (len != 1)
			return false;
		if (!byte_code_points_known)
		{
			int			b;

			for (b = 0x80; b <= 0xff; b++)
			{
				unsigned char c = (unsigned char) b;
				pg_wchar	u;

				byte_code_points[b - 0x80] = -1;
				if (convert(&to_utf8, encoding, PG_UTF8, (const char *) &c, 1,
							&utf8))
				{
					if (utf8_code_point((unsigned char *) utf8,
										strlen(utf8), &u))
						byte_code_points[b - 0x80] = (int32) u;
					pfree(utf8);
				}
			}
			byte_code_points_known = true;
		}
		if (byte_code_points[s[0] - 0x80] < 0)
			return false;
		*cp = (pg_wchar) byte_code_points[s[0] - 0x80];
		return true;
	}
	if (pg_encoding_verifymbchar(encoding, (const char *) s, len) != len ||
		!convert(&to_utf8, encoding, PG_UTF8, (const char *) s, len, &utf8))
		return false;
	ok = utf8_code_point((unsigned char *) utf8, strlen(utf8), cp);
	pfree(utf8);
	return ok;
}
