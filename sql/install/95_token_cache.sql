-- sql/install/95_token_cache.sql: the verified-token cache
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/token_cache.sql, test/specs/token_cache.spec

--
-- The verified-token cache (src/token_cache.c)
--
-- Each backend remembers, for up to jwt.token_cache_size tokens, that an
-- ES/EdDSA/RS/PS token's signature verified with a given key (a SHA-256 of
-- the token, never its text); every other check runs on each call.  This
-- function shows the calling backend's cache: for pg_monitor, as
-- jwt_stats_info (99_privileges.sql).  PARALLEL RESTRICTED: a worker has a cache of its own.
--
CREATE FUNCTION @extschema@.jwt_token_cache_info(
	OUT entries integer,
	OUT max_entries integer,
	OUT hits bigint,
	OUT misses bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_token_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION @extschema@.jwt_token_cache_info() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_token_cache_info()
	IS 'entries, capacity, hits and misses of this backend''s cache of verified tokens';
