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
 * A value taken from a token, clipped to at most "maxbytes" bytes on a
 * character boundary, for quoting in an error detail.  Values from tokens
 * are not secret, but they are attacker-chosen and may be long.
 */
const char *
jwt_clip(const char *s, int maxbytes)
{
	int			len = strlen(s);
	int			clip;

	if (len <= maxbytes)
		return s;
	clip = pg_mbcliplen(s, len, maxbytes);
	return psprintf("%.*s...", clip, s);
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
