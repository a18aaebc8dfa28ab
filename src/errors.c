/*-------------------------------------------------------------------------
 *
 * errors.c
 *		The reason table: keyword, message and SQLSTATE of every way a
 *		token can be rejected, and jwt_report() which raises them.
 *
 * Tokens and secrets never reach this file: callers pass a detail sentence
 * that names claims and values, never the token or the key.
 *
 * src/errors.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "entry.h"
#include "errors.h"

typedef struct JwtReasonInfo
{
	const char *keyword;
	const char *message;
	int			sqlstate;
} JwtReasonInfo;

static const JwtReasonInfo reason_table[JWT_REASON_COUNT] = {
	[JWT_REASON_NONE] = {"valid", "JSON Web Token is valid", 0},
	[JWT_REASON_MALFORMED] = {"malformed", "JSON Web Token is malformed",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_BAD_SIGNATURE] = {"bad_signature", "JSON Web Token signature is invalid",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_ALGORITHM_NOT_ALLOWED] = {"algorithm_not_allowed", "JSON Web Token algorithm is not allowed",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_EXPIRED] = {"expired", "JSON Web Token has expired",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_NOT_YET_VALID] = {"not_yet_valid", "JSON Web Token is not yet valid",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_TOO_OLD] = {"too_old", "JSON Web Token is too old",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_AUDIENCE_MISMATCH] = {"audience_mismatch", "JSON Web Token audience does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_ISSUER_MISMATCH] = {"issuer_mismatch", "JSON Web Token issuer does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_SUBJECT_MISMATCH] = {"subject_mismatch", "JSON Web Token subject does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_TYP_MISMATCH] = {"typ_mismatch", "JSON Web Token type does not match",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_MISSING_CLAIM] = {"missing_claim", "JSON Web Token lacks a required claim",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_KEY_MISMATCH] = {"key_mismatch", "JSON Web Token algorithm does not match the key",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_UNKNOWN_KEY] = {"unknown_key", "JSON Web Token names no known key",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_UNSUPPORTED_CRITICAL_HEADER] = {"unsupported_critical_header", "JSON Web Token has an unsupported critical header parameter",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_LIMIT_EXCEEDED] = {"limit_exceeded", "JSON Web Token exceeds a configured limit",
	ERRCODE_PROGRAM_LIMIT_EXCEEDED},
	[JWT_REASON_REVOKED] = {"revoked", "JSON Web Token has been revoked",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
	[JWT_REASON_CONSUMED] = {"consumed", "JSON Web Token has already been used",
	ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION},
};

const char *
jwt_reason_keyword(JwtReason reason)
{
	Assert(reason >= 0 && reason < JWT_REASON_COUNT);
	return reason_table[reason].keyword;
}

void
jwt_report(JwtReason reason, const char *detail, bool as_input_error)
{
	const JwtReasonInfo *info;
	int			sqlstate;

	Assert(reason > JWT_REASON_NONE && reason < JWT_REASON_COUNT);
	info = &reason_table[reason];
	sqlstate = info->sqlstate;
	if (as_input_error && reason == JWT_REASON_MALFORMED)
		sqlstate = ERRCODE_INVALID_TEXT_REPRESENTATION;

	/*
	 * The statement is not logged with the error: its text usually holds
	 * the token (log_min_error_statement), and a rejected token may still
	 * be valid for another audience.  The client gets the error as usual.
	 */
	jwt_ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", info->message),
			 detail ? errdetail("%s (reason: %s).", detail, info->keyword)
			 : errdetail("(reason: %s).", info->keyword),
			 errhidestmt(true)));
}

/*
 * The error context callback of every entry point (entry.h): called for
 * each error and message raised while one runs, whoever raises it, it
 * keeps the statement out of the server log.
 */
void
jwt_hide_statement_callback(void *arg)
{
	errhidestmt(true);
}

/*
 * Is the character of "len" bytes at "s" (in the database encoding) one
 * that a terminal, a log viewer or an editor may act on instead of
 * showing?  The C0 controls and DEL in every encoding; in single-byte
 * encodings also the bytes 0x80-0x9F, which a terminal reading Latin-1
 * takes for the C1 controls (0x9B is CSI, like ESC [); in UTF-8 (and in
 * SQL_ASCII, whose strings from tokens are UTF-8) the C1 controls
 * U+0080-U+009F, the line and paragraph separators U+2028 and U+2029 and
 * the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069), which reorder what a reader sees.  Sets
 * *cp to the code point to print for a UTF-8 character, or to -1 for a
 * byte.  "encoding" is the one the characters are split by (UTF-8 for
 * SQL_ASCII).
 */
static bool
needs_escape(const unsigned char *s, int len, int encoding, long *cp)
{
	*cp = -1;
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7f ||
			(s[0] >= 0x80 && s[0] <= 0x9f &&
			 pg_encoding_max_length(encoding) == 1);
	if (encoding == PG_UTF8 && len <= 3 && pg_utf8_islegal(s, len))
	{
		pg_wchar	c = utf8_to_unicode(s);

		if ((c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e ||
			c == 0x200f || c == 0x2028 || c == 0x2029 ||
			(c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		{
			*cp = c;
			return true;
		}
	}
	return false;
}

/*
 * Append "s", a value taken from a token (or from a claim, a key, a role
 * name that a token chose), to "buf" for quoting in a message or the log:
 * at most "maxbytes" of its bytes, cut on a character boundary (the result
 * says whether it was cut, for the caller to add "..."); double quotes and
 * backslashes preceded by a backslash; the characters of needs_escape()
 * written as \xHH (a byte) or \uHHHH (a code point), so that a value can
 * neither end its quotes, nor forge a log line, nor send a terminal escape
 * sequence to whoever reads the message.
 * "s" is in the database encoding; a byte sequence that is not a whole
 * character of it is escaped byte by byte.
 */
bool
jwt_append_quoted_value(StringInfo buf, const char *s, int maxbytes)
{
	int			encoding = GetDatabaseEncoding();
	/* characters as they are split: SQL_ASCII strings from tokens are UTF-8 */
	int			chars = encoding == PG_SQL_ASCII ? PG_UTF8 : encoding;
	int			len = strlen(s);
	int			clip = len;
	int			i = 0;

	if (len > maxbytes)
		clip = pg_mbcliplen(s, len, maxbytes);
	while (i < clip)
	{
		const unsigned char *c = (const unsigned char *) s + i;
		int			l = *c < 0x80 ? 1 : pg_encoding_mblen(chars, (const char *) c);
		long		cp;

		if (l < 1 || l > clip - i ||
			pg_encoding_verifymbchar(chars, (const char *) c, l) != l)
			l = 1;
		if (*c == '"' || *c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *c);
		}
		else if (needs_escape(c, l, chars, &cp))
		{
			if (cp >= 0)
				appendStringInfo(buf, "\\u%04lX", cp);
			else
				appendStringInfo(buf, "\\x%02x", *c);
		}
		else if (l == 1 && *c >= 0x80 && pg_encoding_max_length(chars) > 1)
			appendStringInfo(buf, "\\x%02x", *c);	/* not a character */
		else
			appendBinaryStringInfo(buf, (const char *) c, l);
		i += l;
	}
	return clip < len;
}

/*
 * jwt_append_quoted_value() into a new string, for an error detail:
 * "Claim \"sub\" is \"%s\"" with jwt_clip(sub, 64).
 */
const char *
jwt_clip(const char *s, int maxbytes)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (jwt_append_quoted_value(&buf, s, maxbytes))
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * Raise 39000 for an OpenSSL call that failed where no input can make it
 * fail.  The OpenSSL reason goes in the detail; the error queue is emptied
 * first, so that the next call starts clean (hot paths do not clear it
 * before each call: the last error is always the one that just happened).
 */
void
jwt_openssl_error(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	char	   *reason = pstrdup(r ? r : "no reason given");

	ERR_clear_error();
	jwt_ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
			 errmsg("%s", what),
			 errdetail("OpenSSL: %s.", reason)));
}
