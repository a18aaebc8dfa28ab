--
-- Default privileges.  CREATE EXTENSION and ALTER EXTENSION UPDATE run as
-- the role that installs, and PostgreSQL applies that role's ALTER DEFAULT
-- PRIVILEGES (for every schema, or for the extension's) to each table,
-- view, sequence and function they make: a setup that grants every new
-- table or function to its API roles would hand them jwt_keys, the
-- refresh tokens and the signing functions.  This takes back every
-- privilege those defaults gave on the extension's objects (PUBLIC's
-- EXECUTE on functions, PostgreSQL's own default, is left as the script
-- and the defaults left it: a default that takes it from PUBLIC leaves
-- the functions meant for everyone to be granted); the grants to
-- pg_monitor come after it, so that a default
-- naming pg_monitor does not take them back.  The install script and
-- every update script end with this file (Makefile), an update for the
-- objects of the versions before too (granting pg_monitor its own again).
--
CREATE FUNCTION @extschema@.jwt_revoke_default_privileges()
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_revoke_default_privileges'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
SELECT @extschema@.jwt_revoke_default_privileges();
DROP FUNCTION @extschema@.jwt_revoke_default_privileges();

GRANT EXECUTE ON FUNCTION @extschema@.jwt_denylist_cache_info() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_stats() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_stats_info() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_key_usage() TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_stats TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_stats_info TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_key_health TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_token_cache_info() TO pg_monitor;
