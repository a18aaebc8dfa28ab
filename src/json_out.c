/*-------------------------------------------------------------------------
 *
 * json_out.c
 *		Compact JSON serialization of jsonb, for JWS headers and payloads.
 *
 * jsonb's own text output puts a space after every ':' and ',', which is
 * valid JSON but not the compact form tokens are expected to carry.  This
 * writer emits no insignificant whitespace.  Members come out in jsonb's
 * storage order (shorter keys first), which is deterministic.
 *
 * Everything is appended to a caller's StringInfo in CurrentMemoryContext.
 *
 * src/json_out.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "errors.h"
#include "json_out.h"
#include "json_scan.h"

static const char hexdig[] = "0123456789abcdef";

/*
 * Append "s" (len bytes, not NUL-terminated) as a JSON string literal,
 * escaping what RFC 8259 requires and nothing else.
 */
void
json_out_string(StringInfo buf, const char *s, int len)
{
	const char *end = s + len;
	const char *run = s;

	enlargeStringInfo(buf, len + 2);
	appendStringInfoCharMacro(buf, '"');
	/* a string with nothing to escape is copied at once, below */
	s = json_skip_plain(s, end, false);
	for (; s < end; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (s > run)
			appendBinaryStringInfo(buf, run, (int) (s - run));
		run = s + 1;
		switch (c)
		{
			case '"':
				appendBinaryStringInfo(buf, "\\\"", 2);
				break;
			case '\\':
				appendBinaryStringInfo(buf, "\\\\", 2);
				break;
			case '\b':
				appendBinaryStringInfo(buf, "\\b", 2);
				break;
			case '\f':
				appendBinaryStringInfo(buf, "\\f", 2);
				break;
			case '\n':
				appendBinaryStringInfo(buf, "\\n", 2);
				break;
			case '\r':
				appendBinaryStringInfo(buf, "\\r", 2);
				break;
			case '\t':
				appendBinaryStringInfo(buf, "\\t", 2);
				break;
			default:
				{
					char		esc[6] = {'\\', 'u', '0', '0',
					hexdig[c >> 4], hexdig[c & 15]};

					appendBinaryStringInfo(buf, esc, 6);
				}
				break;
		}
	}
	if (end > run)
		appendBinaryStringInfo(buf, run, (int) (end - run));
	appendStringInfoCharMacro(buf, '"');
}

/*
 * The bits of numeric's short header, which numeric.c keeps to itself
 * (NUMERIC_SHORT, NUMERIC_SIGN_MASK, NUMERIC_SHORT_SIGN_MASK, ...).
 */
#define JSON_NUMERIC_SHORT		0x8000
#define JSON_NUMERIC_SIGN_MASK	0xC000
#define JSON_NUMERIC_SHORT_SIGN	0x2000
#define JSON_NUMERIC_SHORT_DSCALE_MASK 0x1F80
#define JSON_NUMERIC_SHORT_WEIGHT_SIGN 0x0040
#define JSON_NUMERIC_SHORT_WEIGHT_MASK 0x003F

/*
 * Append an integer-valued numeric as numeric_out writes it, read from
 * numeric's stored form: the short header (sign, display scale, weight)
 * and base-10000 digits.  The stored form is the on-disk format, the same
 * on every PostgreSQL version.  Returns false for anything else (the long
 * header, a display scale, NaN or an infinity), which the caller hands to
 * numeric_out.  NumericDates (exp, iat, nbf) take this way.
 */
static bool
json_out_integer(StringInfo buf, Numeric num)
{
	int			size = VARSIZE_ANY_EXHDR(num);
	uint16		p[1 + 32];		/* the header and up to 32 digits */
	int			ndigits = (size - (int) sizeof(uint16)) / (int) sizeof(int16);
	uint16		head;
	int			weight;
	char		out[8 + 4 * 32 + 1];
	char	   *o = out;
	int			i;

	/* the datum may have a one-byte header: not aligned, so copied */
	if (size < (int) sizeof(uint16) || size > (int) sizeof(p))
		return false;
	memcpy(p, VARDATA_ANY(num), size);
	head = p[0];
	if ((head & JSON_NUMERIC_SIGN_MASK) != JSON_NUMERIC_SHORT ||
		(head & JSON_NUMERIC_SHORT_DSCALE_MASK) != 0)
		return false;
	weight = (head & JSON_NUMERIC_SHORT_WEIGHT_SIGN) ?
		(int) (head | ~JSON_NUMERIC_SHORT_WEIGHT_MASK) :
		(int) (head & JSON_NUMERIC_SHORT_WEIGHT_MASK);
	if (ndigits == 0)
	{
		appendStringInfoCharMacro(buf, '0');
		return true;
	}
	/* an integer has no digit after the decimal point; keep to 32 groups */
	if (weight < ndigits - 1 || weight >= 32)
		return false;
	if (head & JSON_NUMERIC_SHORT_SIGN)
		*o++ = '-';
	for (i = 0; i <= weight; i++)
	{
		int			d = i < ndigits ? (int16) p[1 + i] : 0;

		if (d < 0 || d >= 10000 || (i == 0 && d == 0))
			return false;
		if (i == 0)
		{
			/* the first group without leading zeros */
			if (d >= 1000)
				*o++ = '0' + d / 1000;
			if (d >= 100)
				*o++ = '0' + d / 100 % 10;
			if (d >= 10)
				*o++ = '0' + d / 10 % 10;
			*o++ = '0' + d % 10;
		}
		else
		{
			*o++ = '0' + d / 1000;
			*o++ = '0' + d / 100 % 10;
			*o++ = '0' + d / 10 % 10;
			*o++ = '0' + d % 10;
		}
	}
	appendBinaryStringInfo(buf, out, (int) (o - out));
	return true;
}

/*
 * Append one value: a scalar, or a container as jbvBinary.
 */
void
json_out_value(StringInfo buf, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendBinaryStringInfo(buf, "null", 4);
			break;
		case jbvBool:
			if (v->val.boolean)
				appendBinaryStringInfo(buf, "true", 4);
			else
				appendBinaryStringInfo(buf, "false", 5);
			break;
		case jbvString:
			json_out_string(buf, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			if (!json_out_integer(buf, v->val.numeric))
				appendStringInfoString(buf,
									   DatumGetCString(DirectFunctionCall1(numeric_out,
																		   NumericGetDatum(v->val.numeric))));
			break;
		case jbvBinary:
			json_out_container(buf, v->val.binary.data);
			break;
		default:
			jwt_elog(ERROR, "unexpected jsonb value type: %d", (int) v->type);
	}
}

/*
 * Append a whole jsonb container (object, array or raw scalar) compactly.
 */
void
json_out_container(StringInfo buf, JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		first = true;
	bool		raw = false;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				/* a raw scalar comes wrapped in a pseudo array */
				if (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar)
				{
					raw = true;
					break;
				}
				if (!first)
					appendStringInfoCharMacro(buf, ',');
				appendStringInfoCharMacro(buf, tok == WJB_BEGIN_OBJECT ? '{' : '[');
				first = true;
				break;
			case WJB_END_OBJECT:
				appendStringInfoCharMacro(buf, '}');
				first = false;
				break;
			case WJB_END_ARRAY:
				if (raw)
					break;
				appendStringInfoCharMacro(buf, ']');
				first = false;
				break;
			case WJB_KEY:
				if (!first)
					appendStringInfoCharMacro(buf, ',');
				json_out_string(buf, v.val.string.val, v.val.string.len);
				appendStringInfoCharMacro(buf, ':');
				first = true;	/* the value follows without a comma */
				break;
			case WJB_VALUE:
				json_out_value(buf, &v);
				first = false;
				break;
			case WJB_ELEM:
				if (!first)
					appendStringInfoCharMacro(buf, ',');
				json_out_value(buf, &v);
				first = false;
				break;
			default:
				jwt_elog(ERROR, "unexpected jsonb iterator token: %d", (int) tok);
		}
	}
}

/*
 * Append the top-level members of "object" as `"k":v` pairs separated by
 * commas, without braces, leaving out the keys in "skip".  "first" says
 * whether nothing precedes them inside the braces; the updated state is
 * returned so that the caller can add members before and after.  "hook",
 * when not NULL, sees each member written (its value written from
 * buf->data + start) and may raise.
 */
bool
json_out_members(StringInfo buf, JsonbContainer *object,
				 const char *const *skip, int nskip, bool first,
				 JsonOutMemberHook hook, void *arg)
{
	JsonbIterator *it = JsonbIteratorInit(object);
	JsonbValue	v;
	JsonbValue	key = {0};
	JsonbIteratorToken tok;
	bool		skipping = false;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			int			i;

			skipping = false;
			for (i = 0; i < nskip; i++)
			{
				if (v.val.string.len == (int) strlen(skip[i]) &&
					memcmp(v.val.string.val, skip[i], v.val.string.len) == 0)
				{
					skipping = true;
					break;
				}
			}
			if (skipping)
				continue;
			if (!first)
				appendStringInfoCharMacro(buf, ',');
			json_out_string(buf, v.val.string.val, v.val.string.len);
			appendStringInfoCharMacro(buf, ':');
			first = false;
			key = v;
		}
		else if (tok == WJB_VALUE && !skipping)
		{
			int			start = buf->len;

			json_out_value(buf, &v);
			if (hook)
				hook(arg, key.val.string.val, key.val.string.len, &v,
					 buf->data + start, buf->len - start);
		}
	}
	return first;
}

/*
 * One member of a jsonb object as text, the way ->> shows it: a string without quotes, a
 * number or boolean as written, an object or array as JSON text, NULL for
 * JSON null, a missing member or a value that is not an object.  Allocates in CurrentMemoryContext.
 */
text *
json_out_member_text(Jsonb *claims, const char *name, int len)
{
	JsonbValue	v;

	if (claims == NULL || !JB_ROOT_IS_OBJECT(claims) ||
		getKeyJsonValueFromContainer(&claims->root, name, len, &v) == NULL)
		return NULL;
	switch (v.type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return cstring_to_text_with_len(v.val.string.val, v.val.string.len);
		case jbvNumeric:
			return cstring_to_text(DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric))));
		case jbvBool:
			return cstring_to_text(v.val.boolean ? "true" : "false");
		case jbvBinary:
			return cstring_to_text(JsonbToCString(NULL, v.val.binary.data,
												  v.val.binary.len));
		default:
			jwt_elog(ERROR, "unexpected jsonb value type %d", (int) v.type);
	}
	return NULL;				/* keep compiler quiet */
}
