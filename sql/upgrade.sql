--
-- Install script and upgrade path agree.
--
-- The install script of the default version (jwt--<version>.sql, built from
-- sql/install/*.sql) and every upgrade path to it (jwt--0.1.0.sql plus the
-- jwt--A--B.sql scripts) must leave the same objects.  Each way is taken in
-- turn and a description of every object the extension owns is kept; the
-- descriptions must not differ.  At the end the extension is installed
-- fresh, as --load-extension left it, for the tests that follow.
--

-- Every member of the extension (pg_depend deptype 'e'), described without
-- OIDs: a function by its definition, markings, settings, owner, ACL,
-- initial privileges and comment; a relation by its kind, options, owner,
-- ACL, initial privileges, comment and pg_dump registration, and its
-- columns, constraints, indexes, triggers, policies and rules (a view by
-- its query); any other member by its identity and comment.  Owners are
-- given as "the extension's owner" or not.
CREATE TEMP VIEW jwt_objects (kind, object, detail) AS
WITH ext AS (
	SELECT e.oid, e.extowner, e.extconfig, e.extcondition
	  FROM pg_extension e WHERE e.extname = 'jwt'),
members AS (
	SELECT d.classid, d.objid
	  FROM pg_depend d, ext
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
	   AND d.deptype = 'e'),
rels AS (
	SELECT c.* FROM pg_class c JOIN members m
	    ON m.classid = 'pg_class'::regclass AND m.objid = c.oid),
init AS (
	SELECT i.classoid, i.objoid, i.objsubid, format('%s:%s', i.privtype, i.initprivs) AS privs
	  FROM pg_init_privs i)
SELECT 'function', p.oid::regprocedure::text,
	   concat_ws(E'\n', pg_get_functiondef(p.oid),
		   format('language=%s kind=%s volatile=%s strict=%s parallel=%s secdef=%s leakproof=%s cost=%s rows=%s',
			   l.lanname, p.prokind, p.provolatile, p.proisstrict, p.proparallel,
			   p.prosecdef, p.proleakproof, p.procost, p.prorows),
		   'config=' || coalesce(p.proconfig::text, '-'),
		   'owner_is_extowner=' || (p.proowner = ext.extowner),
		   'acl=' || coalesce(p.proacl::text, '-'),
		   'initprivs=' || coalesce(i.privs, '-'),
		   'comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '-'))
  FROM members m
  JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  JOIN pg_language l ON l.oid = p.prolang
  CROSS JOIN ext
  LEFT JOIN init i ON i.classoid = 'pg_proc'::regclass AND i.objoid = p.oid AND i.objsubid = 0
UNION ALL
SELECT 'relation', c.oid::regclass::text,
	   concat_ws(E'\n',
		   format('relkind=%s persistence=%s rowsecurity=%s forcerowsecurity=%s replident=%s options=%s',
			   c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
			   c.relreplident, coalesce(c.reloptions::text, '-')),
		   'owner_is_extowner=' || (c.relowner = ext.extowner),
		   'acl=' || coalesce(c.relacl::text, '-'),
		   'initprivs=' || coalesce(i.privs, '-'),
		   'comment=' || coalesce(obj_description(c.oid, 'pg_class'), '-'),
		   'view=' || coalesce(pg_get_viewdef(c.oid), '-'))
  FROM rels c
  CROSS JOIN ext
  LEFT JOIN init i ON i.classoid = 'pg_class'::regclass AND i.objoid = c.oid AND i.objsubid = 0
UNION ALL
SELECT 'column', c.oid::regclass::text || '.' || quote_ident(a.attname),
	   concat_ws(' ', '#' || a.attnum, format_type(a.atttypid, a.atttypmod),
		   CASE WHEN a.attnotnull THEN 'not null' END,
		   'default=' || pg_get_expr(ad.adbin, ad.adrelid),
		   'identity=' || nullif(a.attidentity::text, ''),
		   'generated=' || nullif(a.attgenerated::text, ''),
		   'collation=' || nullif(a.attcollation, 0)::regcollation::text,
		   'acl=' || a.attacl::text,
		   'initprivs=' || i.privs,
		   'comment=' || col_description(c.oid, a.attnum))
  FROM rels c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
  LEFT JOIN init i ON i.classoid = 'pg_class'::regclass AND i.objoid = c.oid AND i.objsubid = a.attnum
UNION ALL
SELECT 'constraint', c.oid::regclass::text || ' ' || quote_ident(k.conname),
	   concat_ws(' ', k.contype::text, pg_get_constraintdef(k.oid),
		   'deferrable=' || k.condeferrable, 'deferred=' || k.condeferred,
		   'validated=' || k.convalidated,
		   'comment=' || obj_description(k.oid, 'pg_constraint'))
  FROM rels c JOIN pg_constraint k ON k.conrelid = c.oid
 WHERE k.contype <> 'n'	-- 18's NOT NULL constraints: the columns say "not null"
UNION ALL
SELECT 'index', x.indexrelid::regclass::text,
	   concat_ws(' ', pg_get_indexdef(x.indexrelid),
		   'primary=' || x.indisprimary, 'unique=' || x.indisunique,
		   'comment=' || obj_description(x.indexrelid, 'pg_class'))
  FROM rels c JOIN pg_index x ON x.indrelid = c.oid
UNION ALL
SELECT 'trigger', c.oid::regclass::text || ' ' || quote_ident(t.tgname),
	   concat_ws(' ', pg_get_triggerdef(t.oid), 'enabled=' || t.tgenabled::text,
		   'comment=' || obj_description(t.oid, 'pg_trigger'))
  FROM rels c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'policy', c.oid::regclass::text || ' ' || quote_ident(po.polname),
	   concat_ws(' ', po.polcmd::text, po.polpermissive, po.polroles::regrole[]::text,
		   'using=' || pg_get_expr(po.polqual, po.polrelid),
		   'check=' || pg_get_expr(po.polwithcheck, po.polrelid))
  FROM rels c JOIN pg_policy po ON po.polrelid = c.oid
UNION ALL
SELECT 'rule', c.oid::regclass::text || ' ' || quote_ident(r.rulename),
	   concat_ws(' ', r.ev_type::text, r.ev_enabled::text, r.is_instead, pg_get_ruledef(r.oid))
  FROM rels c JOIN pg_rewrite r ON r.ev_class = c.oid AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'config dump', cfg.rel::regclass::text, coalesce(cfg.cond, '-')
  FROM ext, unnest(ext.extconfig, ext.extcondition) AS cfg(rel, cond)
UNION ALL
SELECT o.type, o.identity,
	   'comment=' || coalesce(obj_description(m.objid, m.classid::regclass::name), '-')
  FROM members m, pg_identify_object(m.classid, m.objid, 0) o
 WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_class'::regclass)
   -- a table's row type and its array type (members of their own in 18)
   AND NOT EXISTS (SELECT FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
					WHERE m.classid = 'pg_type'::regclass AND t.oid = m.objid
					  AND (t.typrelid <> 0 OR e.typrelid <> 0));

CREATE TEMP TABLE jwt_snapshot (way text, kind text, object text, detail text);

-- The versions an upgrade path leads from to the default version; each one
-- is taken below.
SELECT source FROM pg_extension_update_paths('jwt')
 WHERE target = (SELECT default_version FROM pg_available_extensions WHERE name = 'jwt')
   AND path IS NOT NULL
 ORDER BY source;

-- Every way below runs as a role whose default privileges grant each new
-- table, sequence and function to other roles, as hosting setups do for
-- their API roles (for the extension's schema and for all schemas; to a
-- role, to PUBLIC, to pg_monitor).  None of it may reach an object of the
-- extension: jwt_defaults_seen lists what did.  The grants the scripts
-- make themselves (EXECUTE to PUBLIC on the functions for everyone, the
-- monitoring functions and views to pg_monitor) stay as they are.
CREATE ROLE regress_default_api;
CREATE ROLE regress_default_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO regress_default_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO regress_default_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO regress_default_api WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO regress_default_reader, PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO pg_monitor;
CREATE TEMP VIEW jwt_defaults_seen (object, grantee, privilege) AS
WITH members AS (
	SELECT d.classid, d.objid FROM pg_depend d
	 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')),
acls AS (
	SELECT c.oid::regclass::text AS object, c.relacl AS acl, false AS is_function
	  FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	SELECT p.oid::regprocedure::text, p.proacl, true
	  FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid)
SELECT a.object, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END,
	   x.privilege_type
  FROM acls a CROSS JOIN LATERAL aclexplode(a.acl) x
 WHERE pg_get_userbyid(x.grantee) IN ('regress_default_api', 'regress_default_reader')
	OR (x.grantee = 0 AND NOT a.is_function)
	OR (pg_get_userbyid(x.grantee) = 'pg_monitor'
		AND a.object NOT IN ('jwt_stats()', 'jwt_stats_info()', 'jwt_key_usage()',
							 'jwt_denylist_cache_info()', 'jwt_token_cache_info()',
							 'jwt_stats', 'jwt_stats_info', 'jwt_key_health'));

-- 0.1.0, then the upgrade scripts.  0.1.0 and 0.1.1 left what the default
-- privileges gave; the update takes it back.
DROP EXTENSION jwt;
CREATE EXTENSION jwt VERSION '0.1.0';
SELECT count(DISTINCT grantee) AS grantees_at_0_1_0, count(*) > 100 AS many_privileges
  FROM jwt_defaults_seen;
ALTER EXTENSION jwt UPDATE;
TABLE jwt_defaults_seen;
SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'jwt') AS at_default
  FROM pg_extension WHERE extname = 'jwt';
INSERT INTO jwt_snapshot SELECT 'from 0.1.0', * FROM jwt_objects;

-- 0.1.1 (0.1.0 and its upgrade to 0.1.1), then the upgrade scripts.
-- A privilege granted on a function that the update replaces is carried
-- over to the new one, with the role's dependency: the role cannot be
-- dropped while it holds it (a copy of the ACL alone let DROP ROLE leave
-- its OID in it).
-- So is a grant with grant option that an administrator made on top of
-- what a default privilege gave (EXECUTE on every function), and the
-- grant its holder made in turn; what the default gave alone is taken
-- back.
CREATE ROLE regress_upgrade_grantee;
CREATE ROLE regress_upgrade_chain;
CREATE ROLE regress_upgrade_orphan;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO regress_upgrade_grantee;
DROP EXTENSION jwt;
CREATE EXTENSION jwt VERSION '0.1.1';
SELECT extversion FROM pg_extension WHERE extname = 'jwt';
GRANT EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean)
  TO regress_upgrade_grantee WITH GRANT OPTION;
SET ROLE regress_upgrade_grantee;
GRANT EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean)
  TO regress_upgrade_chain;
-- and a grant made with the grant option a default privilege gave, which
-- goes with it (as REVOKE ... CASCADE takes it)
SET ROLE regress_default_api;
GRANT EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean)
  TO regress_upgrade_orphan;
RESET ROLE;
ALTER EXTENSION jwt UPDATE;
SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'jwt') AS at_default
  FROM pg_extension WHERE extname = 'jwt';
TABLE jwt_defaults_seen;
SELECT x.grantee::regrole AS grantee,
	   CASE WHEN x.grantor = p.proowner THEN 'the owner' ELSE x.grantor::regrole::text END AS grantor,
	   x.is_grantable
  FROM pg_proc p, aclexplode(p.proacl) x
 WHERE p.oid = 'jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[])'::regprocedure
   AND x.grantee <> p.proowner ORDER BY 1;
SELECT count(*) AS other_functions_of_the_default_grantee
  FROM pg_proc p, aclexplode(p.proacl) x
 WHERE p.proname LIKE 'jwt%' AND p.proname <> 'jwt_consume'
   AND x.grantee = 'regress_upgrade_grantee'::regrole;
DROP ROLE regress_upgrade_orphan;
DROP ROLE regress_upgrade_chain;
REVOKE EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[])
  FROM regress_upgrade_grantee CASCADE;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM regress_upgrade_grantee;
DROP ROLE regress_upgrade_chain, regress_upgrade_grantee;
INSERT INTO jwt_snapshot SELECT 'from 0.1.1', * FROM jwt_objects;

-- The install script of the default version.
DROP EXTENSION jwt;
CREATE EXTENSION jwt;
TABLE jwt_defaults_seen;
SELECT p.oid::regprocedure AS monitoring_function FROM pg_proc p
 WHERE has_function_privilege('pg_monitor', p.oid, 'EXECUTE') AND p.proname LIKE 'jwt%'
   AND NOT has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY 1;
INSERT INTO jwt_snapshot SELECT 'fresh', * FROM jwt_objects;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM regress_default_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM regress_default_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM regress_default_api;
ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM regress_default_reader, PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM pg_monitor;
SELECT count(*) AS default_acls_left FROM pg_default_acl;
DROP VIEW jwt_defaults_seen;
DROP ROLE regress_default_api, regress_default_reader;

-- What was described, so that an empty difference means something.
SELECT kind, count(*) FILTER (WHERE way = 'fresh') AS fresh,
	   count(*) FILTER (WHERE way = 'from 0.1.0') AS from_0_1_0,
	   count(*) FILTER (WHERE way = 'from 0.1.1') AS from_0_1_1
  FROM jwt_snapshot GROUP BY kind ORDER BY kind;

-- No function of the extension is in PL/pgSQL (the install script has none,
-- or a function would be).
SELECT l.lanname, count(*) AS functions
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
 GROUP BY l.lanname ORDER BY l.lanname;

-- The differences between each upgraded installation and the fresh one:
-- none.
WITH ways(way) AS (VALUES ('from 0.1.0'), ('from 0.1.1')),
fresh AS (SELECT kind, object, detail FROM jwt_snapshot WHERE way = 'fresh')
(SELECT s.way, 'only after the upgrade' AS side, s.kind, s.object, s.detail
   FROM jwt_snapshot s JOIN ways w USING (way)
 EXCEPT ALL
 SELECT w.way, 'only after the upgrade', f.kind, f.object, f.detail FROM ways w, fresh f)
UNION ALL
(SELECT w.way, 'only in a fresh install', f.kind, f.object, f.detail FROM ways w, fresh f
 EXCEPT ALL
 SELECT s.way, 'only in a fresh install', s.kind, s.object, s.detail
   FROM jwt_snapshot s JOIN ways w USING (way))
ORDER BY way, kind, object, side;

DROP TABLE jwt_snapshot;
DROP VIEW jwt_objects;
