/*-------------------------------------------------------------------------
 *
 * json_in.h
 *		Strict JSON-object-to-jsonb parsing for JOSE headers and claims.
 *
 * src/json_in.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_JSON_IN_H
#define JWT_JSON_IN_H

#include "utils/jsonb.h"

#include "errors.h"

/*
 * The numbers a token may hold: at most this many digits before the
 * decimal point and after it, once the exponent is applied (jsonb holds up
 * to 131072 and 16383).  The parser refuses others as malformed, and
 * json_out.c writes no others, so that jwt_sign makes no token that
 * jwt_verify cannot read.
 */
#define JWT_JSON_MAX_INT_DIGITS		100000
#define JWT_JSON_MAX_FRAC_DIGITS	16000

typedef enum JwtJsonType
{
	JWT_JSON_ABSENT = 0,
	JWT_JSON_STRING,
	JWT_JSON_NUMBER,
	JWT_JSON_BOOL,
	JWT_JSON_NULL,
	JWT_JSON_OBJECT,
	JWT_JSON_ARRAY
} JwtJsonType;

/*
 * A top-level member the caller wants to see while the object is parsed.
 * For a string, "str" is its NUL-terminated value; for a number, "num" is
 * its value as a double; for an array, "elems" holds its string elements
 * and "elems_ok" says whether every element was a string.
 */
typedef struct JwtJsonField
{
	const char *name;			/* in */
	JwtJsonType type;			/* out */
	char	   *str;
	double		num;
	int			nelems;
	char	  **elems;
	bool		elems_ok;
} JwtJsonField;

extern JwtReason jwt_json_parse(const char *data, int len, const char *what,
								JwtJsonField *fields, int nfields,
								Jsonb **out, char **detail);
extern JwtReason jwt_json_parse_key(const char *data, int len, Jsonb **out,
									char **detail);
extern JwtReason jwt_json_parse_server(const char *json, int len,
									   const char *what, Jsonb **out,
									   char **detail);

#endif							/* JWT_JSON_IN_H */
