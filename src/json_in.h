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

#include "common/jsonapi.h"
#include "utils/jsonb.h"

#include "errors.h"

/*
 * A top-level member the caller wants to see while the object is parsed.
 * "type" is JSON_TOKEN_END when the member is absent, JSON_TOKEN_OBJECT_START
 * or JSON_TOKEN_ARRAY_START for containers, else the scalar's token type;
 * "str" is the de-escaped string or the number's text.  For arrays, the
 * string elements are collected in "elems" and "elems_ok" says whether
 * every element was a string.
 */
typedef struct JwtJsonField
{
	const char *name;			/* in */
	JsonTokenType type;			/* out */
	char	   *str;
	int			nelems;
	char	  **elems;
	bool		elems_ok;
} JwtJsonField;

extern bool jwt_json_depth_ok(const char *data, int len, int max_depth);
extern JwtReason jwt_json_parse(const char *data, int len, const char *what,
						   JwtJsonField *fields, int nfields,
						   Jsonb **out, char **detail);

#endif							/* JWT_JSON_IN_H */
