-- sql/install/80_registry_cache.sql: the per-backend cache of registry keys
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: test/specs/registry_cache.spec

--
-- The registry's keys are cached per backend; these triggers empty every
-- backend's cache when jwt_keys changes (once the change commits): one per
-- statement (TRUNCATE has no rows) and one per row, since logical
-- replication's apply worker fires row triggers only.  ENABLE ALWAYS:
-- they fire whatever session_replication_role says (a restore, logical
-- replication).  Without both the cache is not used.
--
CREATE FUNCTION @extschema@.jwt_keys_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_keys_invalidate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_keys_invalidate() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_keys_invalidate()
	IS 'trigger: empty the per-backend caches of the registry keys when jwt_keys changes (internal)';
CREATE TRIGGER jwt_keys_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.jwt_keys
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.jwt_keys_invalidate();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate;
CREATE TRIGGER jwt_keys_invalidate_rows
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.jwt_keys
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_keys_invalidate();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate_rows;
