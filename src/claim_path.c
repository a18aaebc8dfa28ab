/*-------------------------------------------------------------------------
 *
 * claim_path.c
 *		The role claim as a path into the claims.
 *
 * jwt_authenticate's role_claim names a top-level member ("role"), as it
 * always did, or, when it starts with ".", is a path in the subset of
 * PostgREST's jwt-role-claim-key (a JSPath) that identity providers need:
 *
 *	path  := step { step }
 *	step  := "." name | "." quoted | "[" index "]"
 *	name  := one or more of A-Z a-z 0-9 _ $ @
 *	quoted:= '"' { any character but '"' and '\', or '\"', or '\\' } '"'
 *	index := "0" | a digit 1-9 followed by at most 8 digits
 *
 * so .realm_access.roles[0] (Keycloak), ."https://example.com/role"
 * (Auth0's namespaced claims), ."cognito:groups"[0] (Cognito) and
 * .app_metadata.role (Supabase).  PostgREST's filters ([?(@ == "x")]) and
 * negative indexes are not supported.  Anything else is refused with
 * 22023 before the token is looked at, saying where the path goes wrong.
 * At most JWT_CLAIM_PATH_MAX_STEPS steps.
 *
 * The cost per request is the parse (a few bytes) and one member lookup
 * per step in the already parsed claims.
 *
 * src/claim_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "claim_path.h"
#include "errors.h"

static pg_noreturn void
bad_path(const char *spec, int pos, const char *why)
{
	jwt_ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("role_claim \"%s\" is not a valid claim path", jwt_clip(spec, 64)),
			 errdetail("At byte %d: %s.", pos + 1, why),
			 errhint("A path is a sequence of .name, .\"quoted name\" and [index] steps, as in .realm_access.roles[0]; a role_claim without a leading dot names a member.")));
}

static bool
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || c == '@';
}

void
jwt_claim_path_parse(const char *spec, JwtClaimPath *path)
{
	int			len = strlen(spec);
	int			i = 0;

	path->nsteps = 0;
	if (len == 0 || spec[0] != '.')
	{
		/* a member name, whatever it holds */
		path->nsteps = 1;
		path->steps[0].key = spec;
		path->steps[0].key_len = len;
		return;
	}
	while (i < len)
	{
		JwtClaimStep *st;

		if (path->nsteps == JWT_CLAIM_PATH_MAX_STEPS)
			bad_path(spec, i, psprintf("more than %d steps", JWT_CLAIM_PATH_MAX_STEPS));
		st = &path->steps[path->nsteps];
		if (spec[i] == '.')
		{
			i++;
			if (i < len && spec[i] == '"')
			{
				StringInfoData key;

				initStringInfo(&key);
				i++;
				for (;;)
				{
					if (i >= len)
						bad_path(spec, i, "the quoted name is not closed");
					if (spec[i] == '"')
						break;
					if (spec[i] == '\\')
					{
						if (i + 1 >= len || (spec[i + 1] != '"' && spec[i + 1] != '\\'))
							bad_path(spec, i, "only \\\" and \\\\ are escapes in a quoted name");
						i++;
					}
					appendStringInfoChar(&key, spec[i]);
					i++;
				}
				i++;			/* the closing quote */
				st->key = key.data;
				st->key_len = key.len;
			}
			else
			{
				int			start = i;

				while (i < len && name_char((unsigned char) spec[i]))
					i++;
				if (i == start)
					bad_path(spec, start, "a \".\" must be followed by a name or a quoted name");
				st->key = spec + start;
				st->key_len = i - start;
			}
		}
		else if (spec[i] == '[')
		{
			int			start = ++i;
			int			value = 0;

			while (i < len && spec[i] >= '0' && spec[i] <= '9')
			{
				if (i - start == 9)
					bad_path(spec, start, "the index has more than 9 digits");
				value = value * 10 + (spec[i] - '0');
				i++;
			}
			if (i == start && i < len && spec[i] == '?')
				bad_path(spec, start, "filter expressions ([?(...)]) are not supported");
			if (i == start)
				bad_path(spec, start, "an index is a non-negative integer");
			if (spec[start] == '0' && i - start > 1)
				bad_path(spec, start, "an index has no leading zeros");
			if (i >= len || spec[i] != ']')
				bad_path(spec, i, "the index is not closed by \"]\"");
			i++;
			st->key = NULL;
			st->key_len = 0;
			st->index = value;
		}
		else
			bad_path(spec, i, "a step starts with \".\" or \"[\"");
		path->nsteps++;
	}
}

bool
jwt_claim_path_find(Jsonb *claims, const JwtClaimPath *path, JsonbValue *out)
{
	JsonbContainer *cur = &claims->root;
	int			i;

	for (i = 0; i < path->nsteps; i++)
	{
		const JwtClaimStep *st = &path->steps[i];
		JsonbValue *v;

		if (st->key != NULL)
		{
			if (!JsonContainerIsObject(cur) ||
				getKeyJsonValueFromContainer(cur, st->key, st->key_len, out) == NULL)
				return false;
		}
		else
		{
			if (!JsonContainerIsArray(cur) || JsonContainerIsScalar(cur) ||
				st->index >= (int) JsonContainerSize(cur))
				return false;
			v = getIthJsonbValueFromContainer(cur, st->index);
			if (v == NULL)
				return false;
			*out = *v;
		}
		if (i + 1 < path->nsteps)
		{
			if (out->type != jbvBinary)
				return false;
			cur = out->val.binary.data;
		}
	}
	return true;
}
