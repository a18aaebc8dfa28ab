/*-------------------------------------------------------------------------
 *
 * json_in.c
 *		Parse a decoded JOSE header or JWT claims set into jsonb.
 *
 * This drives core's JSON lexer (pg_parse_json) with our own semantic
 * callbacks, much as jsonb_in does, for three reasons: pg_parse_json
 * returns an error code instead of raising, so that a malformed token maps
 * to our "malformed" reason (and jwt_validate can return it); duplicate
 * member names, which jsonb would silently collapse to the last one, are
 * detected at every depth and rejected (RFC 7515 section 4, RFC 7519
 * section 4); and the members the caller asks for (alg, exp, aud...) are
 * captured on the way, so nothing has to look them up again.
 *
 * The input is first checked to be valid UTF-8 (RFC 7519 section 7.2) and
 * no deeper than jwt.max_json_depth, which also keeps the recursive parser
 * far from the stack limit.  Numbers whose exponent numeric_in could not
 * hold are refused here, so that numeric_in cannot raise.
 *
 * Everything is allocated in CurrentMemoryContext.
 *
 * src/json_in.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "json_in.h"
#include "jwt.h"

typedef struct JsonInState
{
	JsonbParseState *pstate;
	JsonbValue *result;
	int			depth;
	int		   *npairs;			/* keys pushed per open object, by depth */
	const char *failure;		/* set once something is wrong */
	char	   *dup_name;
	JwtJsonField *fields;
	int			nfields;
	JwtJsonField *cur;			/* captured top-level member being read */
} JsonInState;

static void jin_object_start(void *state);
static void jin_object_end(void *state);
static void jin_array_start(void *state);
static void jin_array_end(void *state);
static void jin_field_start(void *state, char *fname, bool isnull);
static void jin_scalar(void *state, char *token, JsonTokenType tokentype);
static bool number_in_range(const char *token);

/*
 * Is the JSON text no deeper than max_depth?  A quick scan that counts
 * brackets outside strings; it runs before the recursive parser does.
 */
bool
jwt_json_depth_ok(const char *data, int len, int max_depth)
{
	int			depth = 0;
	bool		in_string = false;
	int			i;

	for (i = 0; i < len; i++)
	{
		char		c = data[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
		{
			if (++depth > max_depth)
				return false;
		}
		else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

static void
jin_container_start(JsonInState *st, JsonbIteratorToken tok, JsonTokenType type)
{
	st->depth++;
	if (st->depth == 1 && type != JSON_TOKEN_OBJECT_START)
		st->failure = "is not a JSON object";
	if (st->failure)
		return;
	if (st->cur)
	{
		if (st->depth == 2)
			st->cur->type = type;
		else if (st->depth == 3 && st->cur->type == JSON_TOKEN_ARRAY_START)
			st->cur->elems_ok = false;
	}
	st->npairs[st->depth] = 0;
	(void) pushJsonbValue(&st->pstate, tok, NULL);
}

static void
jin_object_start(void *state)
{
	jin_container_start((JsonInState *) state, WJB_BEGIN_OBJECT,
						JSON_TOKEN_OBJECT_START);
}

static void
jin_array_start(void *state)
{
	jin_container_start((JsonInState *) state, WJB_BEGIN_ARRAY,
						JSON_TOKEN_ARRAY_START);
}

static void
jin_object_end(void *state)
{
	JsonInState *st = (JsonInState *) state;
	JsonbValue *res;

	if (!st->failure)
	{
		res = pushJsonbValue(&st->pstate, WJB_END_OBJECT, NULL);
		/* jsonb keeps one of each key: fewer pairs means a duplicate */
		if (res->val.object.nPairs != st->npairs[st->depth])
			st->failure = "has a duplicate member name";
		if (st->depth == 1)
			st->result = res;
	}
	st->depth--;
}

static void
jin_array_end(void *state)
{
	JsonInState *st = (JsonInState *) state;

	if (!st->failure)
		(void) pushJsonbValue(&st->pstate, WJB_END_ARRAY, NULL);
	st->depth--;
}

static void
jin_field_start(void *state, char *fname, bool isnull)
{
	JsonInState *st = (JsonInState *) state;
	JsonbValue	v;
	int			i;

	if (st->failure)
		return;
	if (st->depth == 1)
	{
		st->cur = NULL;
		for (i = 0; i < st->nfields; i++)
		{
			if (strcmp(fname, st->fields[i].name) == 0)
			{
				st->cur = &st->fields[i];
				break;
			}
		}
	}
	st->npairs[st->depth]++;
	v.type = jbvString;
	v.val.string.len = strlen(fname);
	v.val.string.val = fname;
	(void) pushJsonbValue(&st->pstate, WJB_KEY, &v);
}

static void
jin_scalar(void *state, char *token, JsonTokenType tokentype)
{
	JsonInState *st = (JsonInState *) state;
	JsonbValue	v;

	if (st->depth == 0)
		st->failure = "is not a JSON object";
	if (st->failure)
		return;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			v.type = jbvString;
			v.val.string.len = strlen(token);
			v.val.string.val = token;
			break;
		case JSON_TOKEN_NUMBER:
			if (!number_in_range(token))
			{
				st->failure = "has a number out of range";
				return;
			}
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(token),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			v.type = jbvBool;
			v.val.boolean = (tokentype == JSON_TOKEN_TRUE);
			break;
		default:
			v.type = jbvNull;
			break;
	}

	if (st->cur)
	{
		if (st->depth == 1)
		{
			st->cur->type = tokentype;
			st->cur->str = token;
		}
		else if (st->depth == 2 && st->cur->type == JSON_TOKEN_ARRAY_START)
		{
			if (tokentype != JSON_TOKEN_STRING)
				st->cur->elems_ok = false;
			else
			{
				if (st->cur->elems == NULL)
					st->cur->elems = palloc(sizeof(char *) * 4);
				else if (st->cur->nelems >= 4 &&
						 (st->cur->nelems & (st->cur->nelems - 1)) == 0)
					st->cur->elems = repalloc(st->cur->elems,
											  sizeof(char *) * st->cur->nelems * 2);
				st->cur->elems[st->cur->nelems++] = token;
			}
		}
	}

	(void) pushJsonbValue(&st->pstate,
						  st->pstate->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE,
						  &v);
}

/*
 * Would numeric_in accept this JSON number without raising?  Its limits
 * are about 131072 digits before the decimal point and 16383 after; keep
 * well inside them.
 */
static bool
number_in_range(const char *token)
{
	const char *p = token;
	long		intdigits = 0;
	long		fracdigits = 0;
	long		exponent = 0;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, intdigits++;
	if (*p == '.')
	{
		p++;
		while (*p >= '0' && *p <= '9')
			p++, fracdigits++;
	}
	if (*p == 'e' || *p == 'E')
	{
		p++;
		errno = 0;
		exponent = strtol(p, NULL, 10);
		if (errno != 0 || exponent > 100000 || exponent < -100000)
			return false;
	}
	if (intdigits + exponent > 100000)
		return false;
	if (fracdigits - exponent > 16000)
		return false;
	return true;
}

static const char *
json_error_text(JsonParseErrorType err)
{
	switch (err)
	{
		case JSON_UNICODE_CODE_POINT_ZERO:
			return "contains the escape \\u0000";
		case JSON_UNICODE_ESCAPE_FORMAT:
		case JSON_UNICODE_HIGH_SURROGATE:
		case JSON_UNICODE_LOW_SURROGATE:
		case JSON_UNICODE_HIGH_ESCAPE:
			return "has an invalid Unicode escape";
		case JSON_ESCAPING_INVALID:
		case JSON_ESCAPING_REQUIRED:
			return "has an invalid string escape";
		case JSON_EXPECTED_END:
			return "has data after the JSON value";
		case JSON_EXPECTED_MORE:
			return "ends early";
		default:
			return "is not valid JSON";
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
JwtReason
jwt_json_parse(const char *data, int len, const char *what,
			   JwtJsonField *fields, int nfields,
			   Jsonb **out, char **detail)
{
	JsonInState st;
	JsonSemAction sem;
	JsonLexContext *lex;
	JsonParseErrorType err;
	char	   *text = (char *) data;
	int			i;

	for (i = 0; i < nfields; i++)
	{
		fields[i].type = JSON_TOKEN_END;
		fields[i].str = NULL;
		fields[i].nelems = 0;
		fields[i].elems = NULL;
		fields[i].elems_ok = true;
	}

	if (!pg_verify_mbstr(PG_UTF8, data, len, true))
	{
		*detail = psprintf("The %s is not valid UTF-8", what);
		return JWT_REASON_MALFORMED;
	}
	if (!jwt_json_depth_ok(data, len, jwt_max_json_depth))
	{
		*detail = psprintf("The %s nests deeper than jwt.max_json_depth (%d)",
						   what, jwt_max_json_depth);
		return JWT_REASON_LIMIT_EXCEEDED;
	}
	if (GetDatabaseEncoding() != PG_UTF8)
		text = pg_any_to_server(data, len, PG_UTF8);

	memset(&st, 0, sizeof(st));
	st.npairs = palloc((jwt_max_json_depth + 2) * sizeof(int));
	st.fields = fields;
	st.nfields = nfields;

	memset(&sem, 0, sizeof(sem));
	sem.semstate = &st;
	sem.object_start = jin_object_start;
	sem.object_end = jin_object_end;
	sem.array_start = jin_array_start;
	sem.array_end = jin_array_end;
	sem.object_field_start = jin_field_start;
	sem.scalar = jin_scalar;

	lex = makeJsonLexContextCstringLen(text, text == data ? len : strlen(text),
									   GetDatabaseEncoding(),
									   true);
	err = pg_parse_json(lex, &sem);
	if (err != JSON_SUCCESS)
	{
		*detail = psprintf("The %s %s", what, json_error_text(err));
		return JWT_REASON_MALFORMED;
	}
	if (st.failure)
	{
		*detail = psprintf("The %s %s", what, st.failure);
		return JWT_REASON_MALFORMED;
	}
	Assert(st.result != NULL);
	if (out)
		*out = JsonbValueToJsonb(st.result);
	return JWT_REASON_NONE;
}
