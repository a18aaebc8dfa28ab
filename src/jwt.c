/*-------------------------------------------------------------------------
 *
 * jwt.c
 *		Module magic, settings and shared memory of the jwt extension.
 *
 * With the library in shared_preload_libraries, shared memory holds the
 * counters of stats.c and the denylist generation of denylist_cache.c;
 * without, neither exists and both modules do without.
 *
 * src/jwt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"

#include "claims_ctx.h"
#include "denylist_cache.h"
#include "entry.h"
#include "errors.h"
#include "jwt.h"
#include "keys.h"
#include "refresh.h"
#include "stats.h"
#include "token_cache.h"

PG_MODULE_MAGIC;

int			jwt_max_token_size = 65536;
int			jwt_max_json_depth = 32;
int			jwt_min_rsa_bits = 2048;
int			jwt_max_key_size = 262144;
bool		jwt_require_algorithms_for_secrets = false;
int			jwt_max_leeway = 300;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

extern PGDLLEXPORT void _PG_init(void);

static void
jwt_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	jwt_stats_shmem_request();
	RequestAddinShmemSpace(jwt_denylist_cache_shmem_size());
}

static void
jwt_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	jwt_stats_shmem_startup();
	jwt_denylist_cache_shmem_startup();
	LWLockRelease(AddinShmemInitLock);
}

void
_PG_init(void)
{
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = jwt_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = jwt_shmem_startup;
		jwt_denylist_cache_preload();
	}

	/* jwt.log_failures */
	jwt_stats_init();
	jwt_errors_init();

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

	/* claims in queries and policies (claims_ctx.c) */
	DefineCustomEnumVariable("jwt.claims_source",
							 "Where jwt_claims() takes the claims of the current transaction from.",
							 "\"authenticate\": those jwt_authenticate established, which no SET can forge; "
							 "\"request.jwt.claims\": that setting, as PostgREST fills it.",
							 &jwt_claims_source,
							 JWT_CLAIMS_SOURCE_AUTHENTICATE,
							 jwt_claims_source_options,
							 PGC_SUSET,
							 0,
							 NULL, jwt_claims_source_assign, NULL);
	jwt_claims_ctx_init();

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

	/* keys.c: jwt_key_check_implicit_algorithms */
	DefineCustomBoolVariable("jwt.require_algorithms_for_secrets",
							 "Requires \"algorithms\" to verify with an HMAC secret given as text or bytea.",
							 "Without it, a secret that could be the text of a key needs \"algorithms\", any other chooses HS* by its length.",
							 &jwt_require_algorithms_for_secrets,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/*
	 * Leeway is the caller's to choose (jwt_registry_consume is PUBLIC), and
	 * jwt_purge_expired keeps denylist entries and consumed ids this long
	 * past their expiry: a larger leeway could bring a purged token back.
	 * Five minutes, the usual allowance for clock skew.
	 */
	DefineCustomIntVariable("jwt.max_leeway",
							"Largest leeway that verification accepts.",
							"A larger leeway is refused; jwt_purge_expired keeps entries this long past their expiry.",
							&jwt_max_leeway,
							300, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/* refresh_sessions.c: the session check of jwt_authenticate */
	DefineCustomBoolVariable("jwt.require_session",
							 "Makes jwt_authenticate and jwt_registry_authenticate refuse a token whose \"sid\" names no live session.",
							 "The session is a refresh token family of the token's \"sub\": unrevoked, unexpired, within its lifetime and idle timeout.",
							 &jwt_require_session,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/* token_cache.c */
	DefineCustomIntVariable("jwt.token_cache_size",
							"Most verified ES, EdDSA, RS and PS tokens each backend remembers.",
							"A token seen again with the same key skips its signature check; every other check still runs. 0 turns the cache off.",
							&jwt_token_cache_size,
							1024, 0, 1000000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	/* denylist_cache.c */
	DefineCustomIntVariable("jwt.denylist_cache_size",
							"Most tokens found on no denylist each backend remembers, when jwt is preloaded.",
							"A token seen again skips the denylist lookups until any transaction that wrote the denylist commits. 0 turns the cache off.",
							&jwt_denylist_cache_size,
							1024, 0, 65536,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("jwt");
}
