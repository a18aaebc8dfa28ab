--
-- role_claim as a path into the claims, as PostgREST's jwt-role-claim-key:
-- .name, ."quoted name" and [index] steps.  A role_claim without a
-- leading dot is one member name, as before.
--
\set VERBOSITY default
\set key 'a secret for the role path tests, 32+ bytes'
CREATE ROLE regress_path_reader;
CREATE ROLE regress_path_api NOINHERIT;
GRANT regress_path_reader TO regress_path_api;
GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	TO regress_path_api;
SELECT jwt_sign(jsonb_build_object(
         'sub', 'p',
         'realm_access', jsonb_build_object('roles', jsonb_build_array('regress_path_reader', 'offline_access')),
         'https://example.com/role', 'regress_path_reader',
         'a.b', jsonb_build_object('c', 'regress_path_reader'),
         'q"\', 'regress_path_reader',
         'cognito:groups', jsonb_build_array('regress_path_reader'),
         'role', 'regress_path_reader',
         'n', 7, 'o', jsonb_build_object('x', 1), 'arr', jsonb_build_array(1, jsonb_build_array('regress_path_reader')),
         'https://example.com/obj', jsonb_build_object('role', jsonb_build_object('x', 'y')),
         'nul', NULL, 'flag', true), :'key') AS tok \gset
SET SESSION AUTHORIZATION regress_path_api;
-- Each call in a subtransaction rolled back, which undoes the role switch
-- and the claims: the outcome and the error's detail.
CREATE FUNCTION pg_temp.try(path text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d text;
BEGIN
  PERFORM jwt_authenticate(current_setting('regress.tok'), current_setting('regress.key'), role_claim => path);
  RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'role ' || current_user;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  IF sqlstate = 'P0001' THEN
    RETURN sqlerrm;
  END IF;
  RETURN sqlstate || ': ' || d;
END $$;
SELECT set_config('regress.tok', :'tok', false) IS NOT NULL AS tok_set,
       set_config('regress.key', :'key', false) IS NOT NULL AS key_set;
-- Paths that lead to the role.
SELECT path, pg_temp.try(path) AS result FROM (VALUES
  ('role'),                          -- a plain name, as before
  ('.role'),                         -- the same as a path
  ('.realm_access.roles[0]'),        -- Keycloak
  ('."https://example.com/role"'),   -- Auth0, a quoted name with dots
  ('https://example.com/role'),      -- a plain name may hold dots and slashes
  ('."a.b".c'),                      -- a quoted name with a dot, then a name
  ('."q\"\\"'),                      -- escapes in a quoted name
  ('."cognito:groups"[0]'),          -- Cognito
  ('.arr[1][0]'),                    -- nested arrays
  ('.realm_access.roles[1]')         -- a role that does not exist: 42501
) AS v(path);
-- A token cannot reach a role the session may not assume through a path
-- either (role_refusal: superusers, predefined roles, ...).
SELECT pg_temp.try('.x[0]') AS superuser_by_path
  FROM (SELECT set_config('regress.tok', jwt_sign('{"x":["postgres"]}', :'key'), false)) s;
SELECT set_config('regress.tok', :'tok', false) IS NOT NULL AS tok_reset;
-- Paths that lead nowhere: missing_claim (28000).
SELECT path, pg_temp.try(path) AS result FROM (VALUES
  ('.realm_access.roles[2]'),        -- index out of range
  ('.realm_access.roles[999999999]'),
  ('.realm_access.missing'),
  ('.role.x'),                       -- a step into a string
  ('.role[0]'),                      -- an index into a string
  ('.realm_access[0]'),              -- an index into an object
  ('.realm_access.roles.x'),         -- a name into an array
  ('.nul.x'),
  ('realm_access.roles[0]')          -- no leading dot: a member of that name
) AS v(path);
-- Paths that reach a value that is not a string: malformed (28000), never
-- a role named by the text of an object, number or boolean.
SELECT path, pg_temp.try(path) AS result FROM (VALUES
  ('.realm_access'), ('.realm_access.roles'), ('.n'), ('.o'), ('.nul'), ('.flag'),
  ('."https://example.com/obj".role'), ('.arr[0]')
) AS v(path);
-- Malformed paths: 22023, before the token is looked at.
SELECT path, pg_temp.try(path) AS result FROM (VALUES
  ('.'), ('..role'), ('.role.'), ('.role..x'), ('.[0]x'), ('.a[]'), ('.a[-1]'), ('.a[01]'),
  ('.a[1'), ('.a[x]'), ('.a[ 0]'), ('.a[1234567890]'), ('."unclosed'), ('."bad\n"'),
  ('."trailing\'), ('.a b'), ('.a]'), ('.a[?(@ == "x")]'), ('.a"b"'),
  ('.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q')
) AS v(path);
-- the error names the path (clipped) but never the token
SELECT jwt_authenticate(:'tok', :'key', role_claim => '.realm_access[x]');
RESET SESSION AUTHORIZATION;
DROP OWNED BY regress_path_api;
DROP ROLE regress_path_api, regress_path_reader;
