-- sql/install/55_denylist_cache.sql: the denylist cache
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/denylist_cache.sql, test/t/005_denylist_cache.pl

--
-- With jwt in shared_preload_libraries, each backend remembers, for up to
-- jwt.denylist_cache_size tokens, that a jti, sub and iat are on no
-- denylist, until a transaction that wrote the denylist commits anywhere
-- (src/denylist_cache.c).  This trigger tells the shared generation
-- counter about every such transaction: BEFORE ... FOR EACH ROW, so the
-- transaction is marked before its first row, also by the apply worker of
-- logical replication (which fires no statement-level trigger), and ENABLE
-- ALWAYS, so it fires under session_replication_role = replica (as that
-- worker runs).  Deletions need no mark.  Without preloading the trigger
-- only sets a flag.
--
CREATE FUNCTION @extschema@.jwt_denylist_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_denylist_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_changed()
	IS 'trigger: marks a transaction that writes the denylist, for the denylist cache';

CREATE TRIGGER jwt_denylist_changed
	BEFORE INSERT OR UPDATE ON @extschema@.jwt_revoked_tokens
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_denylist_changed();
ALTER TABLE @extschema@.jwt_revoked_tokens ENABLE ALWAYS TRIGGER jwt_denylist_changed;
CREATE TRIGGER jwt_denylist_changed
	BEFORE INSERT OR UPDATE ON @extschema@.jwt_revoked_subjects
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_denylist_changed();
ALTER TABLE @extschema@.jwt_revoked_subjects ENABLE ALWAYS TRIGGER jwt_denylist_changed;

--
-- This backend's cache: entries, capacity, hits, misses, and whether the
-- cache can work at all (the library preloaded).  For pg_monitor, as
-- jwt_token_cache_info (99_privileges.sql).  PARALLEL RESTRICTED: a worker has no cache.
--
CREATE FUNCTION @extschema@.jwt_denylist_cache_info(
	OUT entries integer,
	OUT max_entries integer,
	OUT hits bigint,
	OUT misses bigint,
	OUT active boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_denylist_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_cache_info() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_cache_info()
	IS 'entries, capacity, hits and misses of this backend''s denylist cache';

--
-- After writing the denylist with the trigger disabled (pg_restore
-- --disable-triggers, ALTER TABLE ... DISABLE TRIGGER), and once that
-- transaction committed: makes every backend's entries stale.  Granted to
-- nobody (superusers and the extension's owner).
--
CREATE FUNCTION @extschema@.jwt_denylist_cache_invalidate()
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_denylist_cache_invalidate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_cache_invalidate() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_cache_invalidate()
	IS 'make every backend''s denylist cache stale, after the denylist was written with its trigger disabled';
