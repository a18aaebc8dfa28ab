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

-- Volatility, parallel safety and strictness of every function.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt')
 ORDER BY 1::text;

-- Every function has a comment.
SELECT count(*) AS functions, count(obj_description(p.oid, 'pg_proc')) AS commented
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jwt');

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
