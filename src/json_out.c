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
#include "json_in.h"
#include "json_out.h"
#include "json_scan.h"

static const char hexdig[] = "0123456789abcdef";

static void json_out_string_in(StringInfo buf, const char *s, int len,
							   const char *start);

/*
 * Append "s" (len bytes, not NUL-terminated) as a JSON string literal,
 * escaping what RFC 8259 requires and nothing else.
 */
void
json_out_string(StringInfo buf, const char *s, int len)
{
	json_out_string_in(buf, s, len, NULL);
}

/*
 * json_out_string for a string that may be read from "start" on (the
 * jsonb container holding it, or NULL): its bytes are then looked at 16 at
 * a time up to its last one (json_skip_plain).
 */
static void
json_out_string_in(StringInfo buf, const char *s, int len, const char *start)
{
	const char *end = s + len;
	const char *run = s;
	const char *p;

	if (buf->maxlen - buf->len <= len + 2)
		enlargeStringInfo(buf, len + 2);
	/* the first byte to escape: 16 at a time, then one at a time */
	p = json_skip_plain(s, end, start, false);
	while (p < end && !(json_byte_class[(unsigned char) *p] & JSON_BYTE_ESCAPE))
		p++;
	if (p == end)
	{
		/* nothing to escape, the usual case: written in place */
		char	   *w = buf->data + buf->len;

		w[0] = '"';
		memcpy(w + 1, s, len);
		w[len + 1] = '"';
		w[len + 2] = '\0';
		buf->len += len + 2;
		return;
	}
	appendStringInfoCharMacro(buf, '"');
	for (s = p; s < end; s++)
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
 * Append a numeric as numeric_out writes it (digits and a point, no
 * exponent), refusing one with more digits before or after the point than
 * a token may hold (json_in.h): jsonb holds longer ones, and a token that
 * carried one would be malformed to jwt_verify.
 */
static void
json_out_numeric(StringInfo buf, Numeric num)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
														NumericGetDatum(num)));
	size_t		len = strlen(s);
	const char *point = memchr(s, '.', len);
	size_t		intdigits = (point ? (size_t) (point - s) : len) - (s[0] == '-');
	size_t		fracdigits = point ? len - (size_t) (point - s) - 1 : 0;

	if (intdigits > JWT_JSON_MAX_INT_DIGITS || fracdigits > JWT_JSON_MAX_FRAC_DIGITS)
		jwt_ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a number is too long for a JSON Web Token"),
				 errdetail("A token's numbers have at most %d digits before the decimal point and %d after it; this one has %zu and %zu.",
						   JWT_JSON_MAX_INT_DIGITS, JWT_JSON_MAX_FRAC_DIGITS,
						   intdigits, fracdigits)));
	appendBinaryStringInfo(buf, s, (int) len);
	pfree(s);
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
				json_out_numeric(buf, v->val.numeric);
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
 * The value of a container's entry "entry", whose bytes are those of the
 * container's data (at "base") from offset "start" to "end", as
 * JsonbIteratorNext returns a value when it skips nested containers
 * (fillJsonbValue in jsonb_util.c): a string points into the data, a
 * numeric or a container starts at the next 4-byte boundary of its bytes,
 * a container is a jbvBinary.
 */
static void
entry_value(JEntry entry, const char *base, uint32 start, uint32 end,
			JsonbValue *v)
{
	if (JBE_ISSTRING(entry))
	{
		v->type = jbvString;
		v->val.string.val = unconstify(char *, base + start);
		v->val.string.len = end - start;
	}
	else if (JBE_ISNUMERIC(entry))
	{
		v->type = jbvNumeric;
		v->val.numeric = (Numeric) unconstify(char *, base + INTALIGN(start));
	}
	else if (JBE_ISBOOL_TRUE(entry) || JBE_ISBOOL_FALSE(entry))
	{
		v->type = jbvBool;
		v->val.boolean = JBE_ISBOOL_TRUE(entry);
	}
	else if (JBE_ISNULL(entry))
		v->type = jbvNull;
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = (JsonbContainer *) unconstify(char *, base + INTALIGN(start));
		v->val.binary.len = end - INTALIGN(start);
	}
}

/* The end offset of an entry that starts at "start". */
static inline uint32
entry_end(JEntry entry, uint32 start)
{
	return JBE_HAS_OFF(entry) ? JBE_OFFLENFLD(entry) : start + JBE_OFFLENFLD(entry);
}

/*
 * Append the top-level members of "object" as `"k":v` pairs separated by
 * commas, without braces, leaving out the keys in "skip".  "first" says
 * whether nothing precedes them inside the braces; the updated state is
 * returned so that the caller can add members before and after.  "hook",
 * when not NULL, sees each member written (its value written from
 * buf->data + start) and may raise.
 *
 * The object's entries are read in place, in jsonb's on-disk format (the
 * same on every PostgreSQL version): the key entries, then the value
 * entries, then their data, each entry holding its length or, every
 * JB_OFFSET_STRIDE'th, its end offset.  Two cursors walk the keys' and the
 * values' offsets.  This spares a JsonbIterator, which copies each member
 * into a JsonbValue through a switch of states.
 */
bool
json_out_members(StringInfo buf, JsonbContainer *object,
				 const char *const *skip, int nskip, bool first,
				 JsonOutMemberHook hook, void *arg)
{
	uint32		count;
	const char *base;
	uint32		kend = 0;
	uint32		vend;
	uint32		i;

	if (!JsonContainerIsObject(object))
		jwt_elog(ERROR, "json_out_members: not an object");
	count = JsonContainerSize(object);
	base = (const char *) &object->children[count * 2];
	vend = count > 0 ? getJsonbOffset(object, count) : 0;
	for (i = 0; i < count; i++)
	{
		JEntry		kentry = object->children[i];
		JEntry		ventry = object->children[count + i];
		uint32		kstart = kend;
		uint32		vstart = vend;
		const char *name;
		int			namelen;
		JsonbValue	v;
		int			start;
		int			j;
		bool		skipping = false;

		kend = entry_end(kentry, kstart);
		vend = entry_end(ventry, vstart);
		name = base + kstart;
		namelen = kend - kstart;
		for (j = 0; j < nskip; j++)
		{
			if (namelen == (int) strlen(skip[j]) &&
				memcmp(name, skip[j], namelen) == 0)
			{
				skipping = true;
				break;
			}
		}
		if (skipping)
			continue;
		if (!first)
			appendStringInfoCharMacro(buf, ',');
		json_out_string_in(buf, name, namelen, (const char *) object);
		appendStringInfoCharMacro(buf, ':');
		first = false;
		entry_value(ventry, base, vstart, vend, &v);
		start = buf->len;
		/*
		 * A string, the usual value, is written here, where the container
		 * is known and the call inlined (json_out_value, which the
		 * containers' iterator uses too, made it 180 instructions more per
		 * signed HS256 token).
		 */
		if (v.type == jbvString)
			json_out_string_in(buf, v.val.string.val, v.val.string.len,
							   (const char *) object);
		else
			json_out_value(buf, &v);
		if (hook)
			hook(arg, name, namelen, &v, buf->data + start, buf->len - start);
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
