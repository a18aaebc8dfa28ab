/*-------------------------------------------------------------------------
 *
 * key_material.h
 *		What key text looks like: the form of a key argument, and key
 *		material in an HMAC secret.
 *
 * src/key_material.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_KEY_MATERIAL_H
#define JWT_KEY_MATERIAL_H

/* A leading UTF-8 byte order mark and ASCII whitespace: their length. */
extern int	jwt_skip_bom_space(const char *bytes, int len);

/* A PEM document: "-----BEGIN " anywhere. */
extern bool jwt_has_pem(const char *bytes, int len);

/* One JSON object by the syntax alone (after jwt_skip_bom_space). */
extern bool jwt_is_json_object(const char *bytes, int len);

/* The key material an HMAC secret holds, in words for a message, or NULL. */
extern const char *jwt_key_material_kind(const unsigned char *bytes, int len);

/* Whether a secret could be the text of a key that has no structure. */
extern bool jwt_secret_maybe_key(const unsigned char *bytes, int len);

#endif							/* JWT_KEY_MATERIAL_H */
