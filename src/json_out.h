/*-------------------------------------------------------------------------
 *
 * json_out.h
 *		Compact JSON writer for jsonb values.
 *
 * src/json_out.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_JSON_OUT_H
#define JWT_JSON_OUT_H

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

extern void json_out_string(StringInfo buf, const char *s, int len);
extern void json_out_value(StringInfo buf, JsonbValue *v);
extern void json_out_container(StringInfo buf, JsonbContainer *container);
/* What json_out_members shows the caller of each member it wrote. */
typedef void (*JsonOutMemberHook) (void *arg, const char *name, int namelen,
								   JsonbValue *value, const char *text,
								   int textlen);
extern bool json_out_members(StringInfo buf, JsonbContainer *object,
							 const char *const *skip, int nskip, bool first,
							 JsonOutMemberHook hook, void *arg);
extern text *json_out_member_text(Jsonb *object, const char *name, int len);

#endif							/* JWT_JSON_OUT_H */
