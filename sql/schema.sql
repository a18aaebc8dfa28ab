--
-- Installation: schema placement, function markings, settings.
--
-- The extension can live in any schema, and every function finds its
-- siblings through @extschema@.
DROP EXTENSION jwt;
CREATE SCHEMA auth;
CREATE EXTENSION jwt SCHEMA auth;
SELECT extname, extversion, extnamespace::regnamespace, extrelocatable
  FROM pg_extension WHERE extname = 'jwt';
SELECT auth.jwt_verify(auth.jwt_sign('{"sub":"s"}', repeat('k', 32)), repeat('k', 32))->>'sub' AS sub;
-- The registry works from another schema, with nothing on the search_path.
SET search_path = pg_catalog;
SELECT auth.jwt_registry_rotate('EdDSA') IS NOT NULL AS rotated;
SELECT auth.jwt_registry_verify(auth.jwt_registry_sign('{"sub":"s"}'))->>'sub' AS registry_sub;
SELECT jsonb_array_length(auth.jwt_jwks()->'keys') AS published;
RESET search_path;
-- Tables of the extension, and their privileges.
SELECT c.oid::regclass AS relation, c.relkind, has_table_privilege('public', c.oid, 'SELECT') AS public_select
  FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt') AND d.deptype = 'e'
 ORDER BY 1;

-- Volatility, parallel safety, strictness, SECURITY DEFINER and whether
-- PUBLIC may execute, for every function.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict,
       p.prosecdef, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
 ORDER BY 1;

-- Every function has a comment.
SELECT count(*) AS functions, count(obj_description(p.oid, 'pg_proc')) AS commented
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt');

-- No parameter is polymorphic (anyelement, anycompatible, ...): each
-- function stays the exact match of its calls, beside which a look-alike
-- of the same types cannot be created (sql/audiences.sql).  internal, the
-- planner support function's, is a pseudo-type no SQL call can pass.
SELECT p.oid::regprocedure AS polymorphic, t::regtype AS type
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass,
       unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) t
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
   AND (SELECT typtype FROM pg_type WHERE oid = t) = 'p'
   AND t <> 'internal'::regtype;

DROP EXTENSION jwt;
DROP SCHEMA auth;
CREATE EXTENSION jwt;

-- Settings, reserved under the jwt. prefix.
SHOW jwt.max_token_size;
SHOW jwt.max_json_depth;
SET jwt.no_such_setting = 1;
CREATE ROLE regress_jwt_user;
SET SESSION AUTHORIZATION regress_jwt_user;
SET jwt.max_token_size = 100;
RESET SESSION AUTHORIZATION;
DROP ROLE regress_jwt_user;
