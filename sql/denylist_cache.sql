--
-- The denylist cache without shared_preload_libraries: inactive, the
-- lookups run as before; the trigger that feeds it is in place.  The cache
-- itself is tested on a preloaded server by test/t/005_denylist_cache.pl.
-- (expected/denylist_cache_1.out: this file run on a preloaded server.)
--
SELECT entries, max_entries, hits, misses, active FROM jwt_denylist_cache_info();

-- one trigger per denylist table: BEFORE INSERT OR UPDATE, per row (the
-- apply worker of logical replication fires no statement-level trigger),
-- enabled always (also under session_replication_role = replica)
SELECT tgrelid::regclass, tgname, tgenabled,
	   (tgtype & 1) = 0 AS per_statement, (tgtype & 2) <> 0 AS before,
	   (tgtype & 4) <> 0 AS on_insert, (tgtype & 8) <> 0 AS on_delete,
	   (tgtype & 16) <> 0 AS on_update, (tgtype & 32) <> 0 AS on_truncate,
	   tgfoid::regprocedure
  FROM pg_trigger
 WHERE tgrelid IN ('jwt_revoked_tokens'::regclass, 'jwt_revoked_subjects'::regclass,
				   'jwt_consumed_tokens'::regclass)
 ORDER BY tgrelid::regclass::text;

-- not callable but as a trigger, and not by others at all
SELECT jwt_denylist_changed();
CREATE ROLE regress_dlc_user;
SELECT has_function_privilege('regress_dlc_user', 'jwt_denylist_changed()', 'EXECUTE') AS trig,
	   has_function_privilege('regress_dlc_user', 'jwt_denylist_cache_invalidate()', 'EXECUTE') AS inval,
	   has_function_privilege('regress_dlc_user', 'jwt_denylist_cache_info()', 'EXECUTE') AS info,
	   has_function_privilege('pg_monitor', 'jwt_denylist_cache_info()', 'EXECUTE') AS monitor;
-- attached by hand as a statement-level, AFTER or DELETE trigger, it refuses
CREATE TABLE dlc_t (x int);
CREATE TRIGGER dlc_stmt BEFORE INSERT ON dlc_t FOR EACH STATEMENT EXECUTE FUNCTION jwt_denylist_changed();
INSERT INTO dlc_t VALUES (1);
DROP TRIGGER dlc_stmt ON dlc_t;
CREATE TRIGGER dlc_after AFTER INSERT ON dlc_t FOR EACH ROW EXECUTE FUNCTION jwt_denylist_changed();
INSERT INTO dlc_t VALUES (1);
DROP TRIGGER dlc_after ON dlc_t;
CREATE TRIGGER dlc_delete BEFORE DELETE ON dlc_t FOR EACH ROW EXECUTE FUNCTION jwt_denylist_changed();
INSERT INTO dlc_t VALUES (1);
DELETE FROM dlc_t;
-- as a BEFORE row trigger, it lets rows through unchanged
DROP TRIGGER dlc_delete ON dlc_t;
CREATE TRIGGER dlc_row BEFORE INSERT OR UPDATE ON dlc_t FOR EACH ROW EXECUTE FUNCTION jwt_denylist_changed();
INSERT INTO dlc_t VALUES (2);
UPDATE dlc_t SET x = x + 10;
SELECT x FROM dlc_t ORDER BY x;
DROP TABLE dlc_t;

-- the setting is for superusers
SET ROLE regress_dlc_user;
SET jwt.denylist_cache_size = 0;
RESET ROLE;

-- without the cache nothing changes: a revocation in the transaction is
-- seen at once, and gone with its rollback; invalidation is harmless
BEGIN;
SELECT jwt_is_revoked('{"jti":"dlc-1","sub":"dlc-s"}');
SELECT jwt_revoke('dlc-1');
SELECT jwt_is_revoked('{"jti":"dlc-1","sub":"dlc-s"}');
ROLLBACK;
SELECT jwt_is_revoked('{"jti":"dlc-1","sub":"dlc-s"}');
SELECT jwt_denylist_cache_invalidate();
SELECT entries, hits, misses, active FROM jwt_denylist_cache_info();

DROP ROLE regress_dlc_user;
