/*-------------------------------------------------------------------------
 *
 * jwt.c
 *		Module magic and settings of the jwt extension.
 *
 * src/jwt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "jwt.h"
#include "keys.h"

PG_MODULE_MAGIC;

int			jwt_max_token_size = 65536;
int			jwt_max_json_depth = 32;
int			jwt_min_rsa_bits = 2048;
int			jwt_max_key_size = 262144;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("jwt.max_token_size",
							"Largest token, in bytes, that is parsed at all.",
							"Longer tokens are rejected before any decoding or signature work.",
							&jwt_max_token_size,
							65536, 64, 16 * 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jwt.max_json_depth",
							"Deepest nesting of arrays and objects accepted in a token's header or claims.",
							NULL,
							&jwt_max_json_depth,
							32, 1, 1000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jwt.min_rsa_bits",
							"Smallest RSA key, in bits, accepted for verifying.",
							"Signing always needs at least 2048 bits.",
							&jwt_min_rsa_bits,
							2048, 1024, 16384,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	/*
	 * A parsed key stays in the per-backend cache of 16 keys with a copy of
	 * its argument, so a caller could otherwise pin gigabytes in a backend.
	 */
	DefineCustomIntVariable("jwt.max_key_size",
							"Largest key argument, in bytes, that is parsed at all.",
							"Longer secrets, PEM documents, JWKs and JWK Sets are refused before any work.",
							&jwt_max_key_size,
							262144, 1024, 64 * 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("jwt");
}
