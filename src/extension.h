/*-------------------------------------------------------------------------
 *
 * extension.h
 *		The extension's own catalog entry: its schema and its owner.
 *
 * src/extension.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_EXTENSION_H
#define JWT_EXTENSION_H

/*
 * The schema of extension "jwt" (raises when it is not installed); its
 * owner in *owner when owner is not NULL.
 */
extern Oid	jwt_extension_schema(Oid *owner);

/*
 * The quoted, schema-qualified name of the extension's table "relname",
 * for query text, in the current memory context.
 */
extern char *jwt_extension_table(const char *relname);
extern char *jwt_extension_version(void);

#endif							/* JWT_EXTENSION_H */
