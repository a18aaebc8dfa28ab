/*-------------------------------------------------------------------------
 *
 * denylist_cache.h
 *		Per-backend memory of tokens found on no denylist, exact through
 *		a generation counter in shared memory (denylist_cache.c).
 *
 * src/denylist_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_DENYLIST_CACHE_H
#define JWT_DENYLIST_CACHE_H

/* Longest key cached: the jti, sub and iat of a token with their lengths */
#define JWT_DENYLIST_KEY_MAX	160

typedef struct JwtDenylistKey
{
	int			len;
	char		bytes[JWT_DENYLIST_KEY_MAX];
} JwtDenylistKey;

extern int	jwt_denylist_cache_size;	/* GUC jwt.denylist_cache_size */

/* Shared memory, when the library is preloaded (jwt.c's hooks) */
extern Size jwt_denylist_cache_shmem_size(void);
extern void jwt_denylist_cache_shmem_startup(void);
/* Its ProcessUtility hook (COMMIT PREPARED), installed by _PG_init */
extern void jwt_denylist_cache_preload(void);

/*
 * Whether this call may use the cache: preloaded, jwt.denylist_cache_size
 * above 0, and none of the cases the lookups must run with the active
 * snapshot (see denylist_cache.c).
 */
extern bool jwt_denylist_cache_usable(void);

/* Drop every entry of this backend (the denylist tables changed) */
extern void jwt_denylist_cache_forget(void);

/* Build a key part by part; false when it grows too long to cache */
extern bool jwt_denylist_key_add(JwtDenylistKey *k, const char *data, int len);

/*
 * True: the key is on no denylist.  False: *generation is to be passed to
 * jwt_denylist_cache_store when lookups run with a snapshot taken after
 * this call find nothing (0: do not store).
 */
extern bool jwt_denylist_cache_lookup(const JwtDenylistKey *k,
									  uint64 *generation);
extern void jwt_denylist_cache_store(const JwtDenylistKey *k,
									 uint64 generation);

#endif							/* JWT_DENYLIST_CACHE_H */
