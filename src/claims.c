/*-------------------------------------------------------------------------
 *
 * claims.c
 *		Parse a JWT claims set and check it (RFC 7519 section 4.1,
 *		RFC 8725 section 3.11).
 *
 * Time claims must be JSON numbers; they are compared in Unix seconds
 * (fractions allowed) with the evaluation time and the leeway:
 *   exp: rejected when now >= exp + leeway;
 *   nbf: rejected when now < nbf - leeway;
 *   iat: rejected when iat > now + leeway (issued in the future), and with
 *        max_age when now - iat > max_age + leeway.
 * "iss" and "sub" are strings compared byte for byte; "aud" is a string or
 * an array of strings, and a token that names an audience is rejected when
 * the caller names none (RFC 7519 section 4.1.3).
 *
 * Reports by return value with a detail sentence; never ereports for bad
 * input.  Allocates in CurrentMemoryContext.
 *
 * src/claims.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "claims.h"
#include "jose_header.h"
#include "json_in.h"
#include "jwt.h"

enum
{
	F_EXP,
	F_NBF,
	F_IAT,
	F_ISS,
	F_SUB,
	F_AUD,
	F_COUNT
};

static bool
str_eq(JwtStr a, const char *b)
{
	return a.len == (int) strlen(b) && memcmp(a.data, b, a.len) == 0;
}

/*
 * A time for an error detail: whole seconds (rounded down), as the time
 * claims are usually written; the evaluation time, which has microseconds,
 * is shown the same way.
 */
static char *
fmt_time(double t)
{
	return psprintf("%.0f", floor(t));
}

/* Read a time claim; false when present but not a finite number. */
static bool
time_claim(JwtJsonField *f, double *out)
{
	if (f->type != JWT_JSON_NUMBER)
		return false;
	*out = f->num;
	return isfinite(*out);
}

/*
 * Compare an expected typ with the header's, case-insensitively and
 * ignoring an "application/" prefix on either (RFC 7515 section 4.1.9).
 */
JwtReason
jwt_check_typ(const char *typ, const JwtVerifyOptions *opts, char **detail)
{
	const char *want = opts->typ.data;
	int			wantlen = opts->typ.len;
	int			havelen;

	if (want == NULL)
		return JWT_REASON_NONE;
	if (typ == NULL)
	{
		*detail = pstrdup("Header parameter \"typ\" is missing");
		return JWT_REASON_TYP_MISMATCH;
	}
	if (wantlen >= 12 && pg_strncasecmp(want, "application/", 12) == 0)
		want += 12, wantlen -= 12;
	havelen = strlen(typ);
	if (havelen >= 12 && pg_strncasecmp(typ, "application/", 12) == 0)
		typ += 12, havelen -= 12;
	if (havelen != wantlen || pg_strncasecmp(typ, want, wantlen) != 0)
	{
		*detail = psprintf("Header parameter \"typ\" is \"%s\", not the expected \"%.*s\"",
						   jwt_clip(typ, 64), wantlen, want);
		return JWT_REASON_TYP_MISMATCH;
	}
	return JWT_REASON_NONE;
}

/*
 * Decode and parse the payload segment into *cs, and check the types of
 * its registered claims.  cs->iss and cs->sub are set as soon as the
 * payload parsed (for the failure log), whatever comes after; cs->claims
 * is the parsed set once it parsed.
 */
JwtReason
jwt_claims_read(const char *b64, int len, JwtClaimSet *cs, char **detail)
{
	JwtJsonField f[F_COUNT] = {
		[F_EXP] = {.name = "exp"},
		[F_NBF] = {.name = "nbf"},
		[F_IAT] = {.name = "iat"},
		[F_ISS] = {.name = "iss"},
		[F_SUB] = {.name = "sub"},
		[F_AUD] = {.name = "aud"},
	};
	char	   *json;
	int			json_len;
	JwtReason	reason;

	/* field by field: exp, nbf and iat are set only when present */
	cs->claims = NULL;
	cs->depth_limit = jwt_max_json_depth;
	cs->has_exp = cs->has_nbf = cs->has_iat = cs->has_aud = false;
	cs->iss = cs->sub = cs->aud_string = NULL;
	cs->naud = 0;
	cs->aud = NULL;
	if (!jwt_decode_segment(b64, len, 1, &json, &json_len, detail))
		return JWT_REASON_MALFORMED;
	reason = jwt_json_parse(json, json_len, "payload", f, F_COUNT, &cs->claims, detail);
	if (reason != JWT_REASON_NONE)
		return reason;
	if (f[F_ISS].type == JWT_JSON_STRING)
		cs->iss = f[F_ISS].str;
	if (f[F_SUB].type == JWT_JSON_STRING)
		cs->sub = f[F_SUB].str;

	/* Types of the registered claims. */
	cs->has_exp = f[F_EXP].type != JWT_JSON_ABSENT;
	if (cs->has_exp && !time_claim(&f[F_EXP], &cs->exp))
	{
		*detail = f[F_EXP].type == JWT_JSON_NUMBER ?
			pstrdup("Claim \"exp\" is a number out of range") :
			pstrdup("Claim \"exp\" is not a number");
		return JWT_REASON_MALFORMED;
	}
	cs->has_nbf = f[F_NBF].type != JWT_JSON_ABSENT;
	if (cs->has_nbf && !time_claim(&f[F_NBF], &cs->nbf))
	{
		*detail = f[F_NBF].type == JWT_JSON_NUMBER ?
			pstrdup("Claim \"nbf\" is a number out of range") :
			pstrdup("Claim \"nbf\" is not a number");
		return JWT_REASON_MALFORMED;
	}
	cs->has_iat = f[F_IAT].type != JWT_JSON_ABSENT;
	if (cs->has_iat && !time_claim(&f[F_IAT], &cs->iat))
	{
		*detail = f[F_IAT].type == JWT_JSON_NUMBER ?
			pstrdup("Claim \"iat\" is a number out of range") :
			pstrdup("Claim \"iat\" is not a number");
		return JWT_REASON_MALFORMED;
	}
	if (f[F_ISS].type != JWT_JSON_ABSENT && f[F_ISS].type != JWT_JSON_STRING)
	{
		*detail = pstrdup("Claim \"iss\" is not a string");
		return JWT_REASON_MALFORMED;
	}
	if (f[F_SUB].type != JWT_JSON_ABSENT && f[F_SUB].type != JWT_JSON_STRING)
	{
		*detail = pstrdup("Claim \"sub\" is not a string");
		return JWT_REASON_MALFORMED;
	}
	if (f[F_AUD].type == JWT_JSON_STRING)
	{
		cs->has_aud = true;
		cs->aud_string = f[F_AUD].str;
	}
	else if (f[F_AUD].type == JWT_JSON_ARRAY && f[F_AUD].elems_ok)
	{
		cs->has_aud = true;
		cs->naud = f[F_AUD].nelems;
		cs->aud = f[F_AUD].elems;
	}
	else if (f[F_AUD].type != JWT_JSON_ABSENT)
	{
		*detail = pstrdup("Claim \"aud\" is neither a string nor an array of strings");
		return JWT_REASON_MALFORMED;
	}
	return JWT_REASON_NONE;
}

/*
 * Check a claims set that jwt_claims_read read without error against the
 * caller's options: time, issuer, subject, audience, required claims.
 */
JwtReason
jwt_claims_check(const JwtClaimSet *cs, const JwtVerifyOptions *opts,
				 char **detail)
{
	double		now = opts->now;
	double		leeway = opts->leeway;
	int			i;

	/* Time. */
	if (cs->has_exp && now >= cs->exp + leeway)
	{
		*detail = psprintf("Claim \"exp\" is %s, at or before the evaluation time %s%s",
						   fmt_time(cs->exp), fmt_time(now),
						   leeway > 0 ? psprintf(" less the leeway of %g s", leeway) : "");
		return JWT_REASON_EXPIRED;
	}
	if (cs->has_nbf && now < cs->nbf - leeway)
	{
		*detail = psprintf("Claim \"nbf\" is %s, after the evaluation time %s%s",
						   fmt_time(cs->nbf), fmt_time(now),
						   leeway > 0 ? psprintf(" plus the leeway of %g s", leeway) : "");
		return JWT_REASON_NOT_YET_VALID;
	}
	if (cs->has_iat && cs->iat > now + leeway)
	{
		*detail = psprintf("Claim \"iat\" is %s, after the evaluation time %s%s",
						   fmt_time(cs->iat), fmt_time(now),
						   leeway > 0 ? psprintf(" plus the leeway of %g s", leeway) : "");
		return JWT_REASON_NOT_YET_VALID;
	}
	if (opts->has_max_age)
	{
		if (!cs->has_iat)
		{
			*detail = pstrdup("Claim \"iat\" is missing, and max_age needs it");
			return JWT_REASON_MISSING_CLAIM;
		}
		if (now - cs->iat > opts->max_age + leeway)
		{
			*detail = psprintf("Claim \"iat\" is %s, more than %g s before the evaluation time %s",
							   fmt_time(cs->iat), opts->max_age + leeway, fmt_time(now));
			return JWT_REASON_TOO_OLD;
		}
	}

	/* Issuer, subject, audience. */
	if (opts->issuer.data)
	{
		if (cs->iss == NULL)
		{
			*detail = pstrdup("Claim \"iss\" is missing");
			return JWT_REASON_ISSUER_MISMATCH;
		}
		if (!str_eq(opts->issuer, cs->iss))
		{
			*detail = psprintf("Claim \"iss\" is \"%s\", not the expected issuer",
							   jwt_clip(cs->iss, 64));
			return JWT_REASON_ISSUER_MISMATCH;
		}
	}
	if (opts->subject.data)
	{
		if (cs->sub == NULL)
		{
			*detail = pstrdup("Claim \"sub\" is missing");
			return JWT_REASON_SUBJECT_MISMATCH;
		}
		if (!str_eq(opts->subject, cs->sub))
		{
			*detail = psprintf("Claim \"sub\" is \"%s\", not the expected subject",
							   jwt_clip(cs->sub, 64));
			return JWT_REASON_SUBJECT_MISMATCH;
		}
	}
	if (opts->naudiences > 0)
	{
		bool		found = false;
		int			j;

		if (!cs->has_aud)
		{
			*detail = pstrdup("Claim \"aud\" is missing");
			return JWT_REASON_AUDIENCE_MISMATCH;
		}
		/* one of the expected audiences among the token's */
		for (j = 0; j < opts->naudiences && !found; j++)
		{
			if (cs->aud_string)
				found = str_eq(opts->audiences[j], cs->aud_string);
			else
			{
				for (i = 0; i < cs->naud && !found; i++)
					found = str_eq(opts->audiences[j], cs->aud[i]);
			}
		}
		if (!found)
		{
			if (opts->naudiences == 1)
				*detail = psprintf("Claim \"aud\" does not contain the expected audience \"%.*s\"",
								   opts->audiences[0].len, opts->audiences[0].data);
			else
				*detail = psprintf("Claim \"aud\" contains none of the %d expected audiences",
								   opts->naudiences);
			return JWT_REASON_AUDIENCE_MISMATCH;
		}
	}
	else if (cs->has_aud)
	{
		*detail = pstrdup("Claim \"aud\" is present but no audience was given to check it against");
		return JWT_REASON_AUDIENCE_MISMATCH;
	}

	/* Required claims. */
	for (i = 0; i < opts->nrequire; i++)
	{
		JsonbValue	v;
		const char *name = opts->require[i];

		if (getKeyJsonValueFromContainer(&cs->claims->root, name, strlen(name), &v) == NULL)
		{
			*detail = psprintf("Claim \"%s\" is required but missing", name);
			return JWT_REASON_MISSING_CLAIM;
		}
	}
	return JWT_REASON_NONE;
}

/* Append the string "s" (when not NULL) at *p; its copy, or NULL. */
static const char *
copy_str(const char *s, char **p)
{
	char	   *d = *p;
	size_t		n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p += n;
	return d;
}

/*
 * A copy of a claims set that jwt_claims_read read without error, in one
 * chunk of "cxt" (one pfree frees it).  NULL, without raising, when it
 * would take more than "max_size" bytes or memory is short.
 */
JwtClaimSet *
jwt_claims_copy(const JwtClaimSet *cs, MemoryContext cxt, Size max_size)
{
	Size		head = MAXALIGN(sizeof(JwtClaimSet));
	Size		jsonb = MAXALIGN(VARSIZE(cs->claims));
	Size		ptrs = MAXALIGN(sizeof(char *) * (Size) cs->naud);
	Size		size;
	JwtClaimSet *copy;
	char	   *p;
	int			i;

	Assert(cs->claims != NULL);
	size = head + jsonb + ptrs;
	if (cs->iss)
		size += strlen(cs->iss) + 1;
	if (cs->sub)
		size += strlen(cs->sub) + 1;
	if (cs->aud_string)
		size += strlen(cs->aud_string) + 1;
	for (i = 0; i < cs->naud; i++)
		size += strlen(cs->aud[i]) + 1;
	if (size > max_size)
		return NULL;
	p = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_NO_OOM);
	if (p == NULL)
		return NULL;

	copy = (JwtClaimSet *) p;
	*copy = *cs;
	p += head;
	copy->claims = (Jsonb *) p;
	memcpy(p, cs->claims, VARSIZE(cs->claims));
	p += jsonb;
	copy->aud = cs->naud > 0 ? (char **) p : NULL;
	p += ptrs;
	copy->iss = copy_str(cs->iss, &p);
	copy->sub = copy_str(cs->sub, &p);
	copy->aud_string = copy_str(cs->aud_string, &p);
	for (i = 0; i < cs->naud; i++)
		copy->aud[i] = (char *) copy_str(cs->aud[i], &p);
	return copy;
}
