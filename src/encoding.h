/*-------------------------------------------------------------------------
 *
 * encoding.h
 *		Conversions between UTF-8, JOSE's encoding, and the database
 *		encoding that report failure instead of raising.
 *
 * src/encoding.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_ENCODING_H
#define JWT_ENCODING_H

#include "mb/pg_wchar.h"

extern bool jwt_utf8_to_server(const char *s, int len, char **out);
extern bool jwt_server_to_utf8(const char *s, int len, char **out);
extern char *jwt_server_to_utf8_or_error(const char *s, int len,
										 const char *what);
extern void jwt_check_sql_ascii_utf8(const char *s, int len, const char *what);
extern bool jwt_server_char_code_point(const unsigned char *s, int len,
									   pg_wchar *cp);

#endif							/* JWT_ENCODING_H */
