--
-- role_claim: which roles a token may make the session.  A role is refused
-- when it is, or is a member at any depth (INHERIT or not: SET ROLE follows
-- every grant) of, a superuser, a role with BYPASSRLS, REPLICATION or
-- CREATEROLE, any predefined role (pg_read_all_stats reads other sessions'
-- statements, tokens and secrets in them; pg_database_owner has the
-- database owner for member), the extension's owner, the owner of its
-- schema, or the owner of one of its tables, functions or types; or that
-- holds a grant of the extension's (a privilege on a table, EXECUTE of a
-- function that acts with its owner's rights or on shared state, SET of
-- one of its settings).
-- The session here is a superuser, a member of every role, so only that
-- rule stands between the token and the role.
--
\set VERBOSITY terse
\set key 'a secret for the role tests, 32 bytes or more'
SELECT set_config('regress.key', :'key', false) IS NOT NULL AS key_set;
-- The outcome of a token naming "role": the role switched to (then undone,
-- with the claims, by rolling back the inner block), or the SQLSTATE and
-- the detail of the refusal.
CREATE FUNCTION regress_roles_detail(role text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	d text;
	res text;
BEGIN
	BEGIN
		PERFORM jwt_authenticate(jwt_sign(jsonb_build_object('sub', 's', 'role', role),
										  current_setting('regress.key')),
								 current_setting('regress.key'), role_claim => 'role');
		res := 'accepted as ' || current_user;
		RAISE SQLSTATE 'RGRS1';
	EXCEPTION WHEN SQLSTATE 'RGRS1' THEN
		RETURN res;
	END;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ' ' || d;
END $$;

CREATE ROLE regress_roles_super SUPERUSER;
-- a direct member of a superuser
CREATE ROLE regress_roles_direct;
GRANT regress_roles_super TO regress_roles_direct;
-- a member at depth 3
CREATE ROLE regress_roles_d1;
CREATE ROLE regress_roles_d2;
CREATE ROLE regress_roles_d3;
GRANT regress_roles_super TO regress_roles_d3;
GRANT regress_roles_d3 TO regress_roles_d2;
GRANT regress_roles_d2 TO regress_roles_d1;
-- NOINHERIT: no privileges of the superuser by inheritance, but SET ROLE
-- reaches it
CREATE ROLE regress_roles_noinherit NOINHERIT;
GRANT regress_roles_d3 TO regress_roles_noinherit;
-- a member of a role with BYPASSRLS, and roles with the attributes
CREATE ROLE regress_roles_bypass BYPASSRLS;
CREATE ROLE regress_roles_creator CREATEROLE;
CREATE ROLE regress_roles_bypass_member;
GRANT regress_roles_bypass TO regress_roles_bypass_member;
-- pg_execute_server_program at depth 2, with and without INHERIT
CREATE ROLE regress_roles_prog1;
CREATE ROLE regress_roles_prog2;
GRANT pg_execute_server_program TO regress_roles_prog2;
GRANT regress_roles_prog2 TO regress_roles_prog1;
CREATE ROLE regress_roles_prog_noinherit NOINHERIT;
GRANT regress_roles_prog2 TO regress_roles_prog_noinherit;
-- pg_read_all_data reads jwt_keys
CREATE ROLE regress_roles_readall;
GRANT pg_read_all_data TO regress_roles_readall;
-- pg_read_all_stats (through pg_monitor) and pg_signal_backend
CREATE ROLE regress_roles_monitor;
GRANT pg_monitor TO regress_roles_monitor;
CREATE ROLE regress_roles_signal NOINHERIT;
GRANT pg_signal_backend TO regress_roles_signal;
-- harmless: a member of an ordinary role
CREATE ROLE regress_roles_plain;
CREATE ROLE regress_roles_harmless;
GRANT regress_roles_plain TO regress_roles_harmless;

SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_super', 'regress_roles_direct', 'regress_roles_d1',
                  'regress_roles_noinherit', 'regress_roles_bypass', 'regress_roles_creator',
                  'regress_roles_bypass_member', 'regress_roles_prog1',
                  'regress_roles_prog_noinherit', 'regress_roles_readall',
                  'regress_roles_monitor', 'regress_roles_signal',
                  'regress_roles_harmless', 'regress_roles_plain']) WITH ORDINALITY AS u(r, i)
ORDER BY i;

-- The extension's owner and the owner of its tables, when they are not
-- superusers (here by editing the catalog, as an installation by a
-- non-superuser would leave it).
CREATE ROLE regress_roles_extowner;
CREATE ROLE regress_roles_extowner_member;
GRANT regress_roles_extowner TO regress_roles_extowner_member;
CREATE ROLE regress_roles_tabowner;
CREATE ROLE regress_roles_tabowner_member;
CREATE ROLE regress_roles_tabowner_deep NOINHERIT;
GRANT regress_roles_tabowner TO regress_roles_tabowner_member;
GRANT regress_roles_tabowner_member TO regress_roles_tabowner_deep;
SELECT extowner AS old_extowner FROM pg_extension WHERE extname = 'jwt' \gset
BEGIN;
UPDATE pg_extension SET extowner = 'regress_roles_extowner'::regrole WHERE extname = 'jwt';
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_extowner', 'regress_roles_extowner_member',
                  'regress_roles_harmless']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;
SELECT extowner = :old_extowner AS extowner_restored FROM pg_extension WHERE extname = 'jwt';
BEGIN;
ALTER TABLE jwt_keys OWNER TO regress_roles_tabowner;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_tabowner', 'regress_roles_tabowner_member',
                  'regress_roles_tabowner_deep', 'regress_roles_harmless']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;

-- The owner of the extension's schema can rename it and put objects of its
-- own under the old name, which the extension's SECURITY DEFINER functions
-- would use with their owner's rights: it and its members are refused.  In
-- PostgreSQL 15 "public" belongs to pg_database_owner, so the database
-- owner is refused too (here made a plain role inside a rolled-back
-- transaction).
CREATE ROLE regress_roles_nspowner;
CREATE ROLE regress_roles_nspowner_member NOINHERIT;
GRANT regress_roles_nspowner TO regress_roles_nspowner_member;
CREATE ROLE regress_roles_dbowner;
SELECT n.nspname AS extschema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'jwt' \gset
BEGIN;
ALTER SCHEMA :"extschema" OWNER TO regress_roles_nspowner;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_nspowner', 'regress_roles_nspowner_member',
                  'regress_roles_harmless']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;
SELECT current_database() AS dbname \gset
BEGIN;
ALTER SCHEMA :"extschema" OWNER TO pg_database_owner;
ALTER DATABASE :"dbname" OWNER TO regress_roles_dbowner;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_dbowner', 'regress_roles_harmless']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;

-- Grants of the extension's: a privilege on one of its tables (a column's
-- too: SELECT of jwt_keys.signing_key reads the keys), or EXECUTE of one of
-- its functions that PUBLIC may not execute and that act with the owner's
-- rights (jwt_registry_sign mints any token) or change shared state
-- (jwt_stats_reset erases the counts), held by the role or a role it is a
-- member of at any depth, INHERIT or not.  jwt_refresh_revoke, which acts
-- only for the holder of its token, and the functions that run with the
-- caller's privileges (jwt_authenticate, jwt_stats) are no reason; nor is
-- a grant to PUBLIC, which every role holds.
CREATE ROLE regress_roles_keyreader;
GRANT SELECT ON jwt_keys TO regress_roles_keyreader;
CREATE ROLE regress_roles_colgrant;
GRANT SELECT (signing_key) ON jwt_keys TO regress_roles_colgrant;
CREATE ROLE regress_roles_colreader NOINHERIT;
GRANT regress_roles_colgrant TO regress_roles_colreader;
CREATE ROLE regress_roles_signer;
GRANT EXECUTE ON FUNCTION jwt_registry_sign(jsonb, text, jsonb, interval, interval) TO regress_roles_signer;
CREATE ROLE regress_roles_signer_mid;
CREATE ROLE regress_roles_signer_deep NOINHERIT;
GRANT regress_roles_signer TO regress_roles_signer_mid;
GRANT regress_roles_signer_mid TO regress_roles_signer_deep;
CREATE ROLE regress_roles_logout;
GRANT EXECUTE ON FUNCTION jwt_refresh_revoke(text, text, boolean) TO regress_roles_logout;
CREATE ROLE regress_roles_authn;
GRANT EXECUTE ON FUNCTION
    jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
  TO regress_roles_authn;
CREATE ROLE regress_roles_resetter;
GRANT EXECUTE ON FUNCTION jwt_stats_reset() TO regress_roles_resetter;
CREATE ROLE regress_roles_statsreader;
GRANT EXECUTE ON FUNCTION jwt_stats() TO regress_roles_statsreader;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_keyreader', 'regress_roles_colreader', 'regress_roles_signer',
                  'regress_roles_signer_deep', 'regress_roles_resetter', 'regress_roles_logout',
                  'regress_roles_authn', 'regress_roles_statsreader',
                  'regress_roles_harmless']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
-- SET of the extension's settings: jwt.claims_source set by the session
-- would let it write its own claims after the token's.
CREATE ROLE regress_roles_setter;
GRANT SET ON PARAMETER jwt.claims_source TO regress_roles_setter;
CREATE ROLE regress_roles_setter_member NOINHERIT;
GRANT regress_roles_setter TO regress_roles_setter_member;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_setter', 'regress_roles_setter_member']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
REVOKE SET ON PARAMETER jwt.claims_source FROM regress_roles_setter;
SELECT regress_roles_detail('regress_roles_setter') AS setter_revoked;
-- A function that runs with the caller's privileges, kept from PUBLIC and
-- granted to an API role, is no reason.
BEGIN;
REVOKE EXECUTE ON FUNCTION jwt_claims() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jwt_claims() TO regress_roles_plain;
SELECT regress_roles_detail('regress_roles_plain') AS claims_reader;
ROLLBACK;
-- The owner of one of the extension's functions can replace its body,
-- which a superuser then runs: refused, as the owner of a table is.
BEGIN;
ALTER FUNCTION jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
  OWNER TO regress_roles_harmless;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_harmless', 'regress_roles_plain']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;
-- So is the owner of a type of the extension (one of its own, not a
-- table's row type).
BEGIN;
CREATE TYPE regress_roles_enum AS ENUM ('a');
ALTER TYPE regress_roles_enum OWNER TO regress_roles_harmless;
ALTER EXTENSION jwt ADD TYPE regress_roles_enum;
SELECT r, regress_roles_detail(r)
FROM unnest(ARRAY['regress_roles_harmless', 'regress_roles_plain']) WITH ORDINALITY AS u(r, i)
ORDER BY i;
ROLLBACK;
BEGIN;
GRANT SELECT (kid) ON jwt_keys TO PUBLIC;
GRANT EXECUTE ON FUNCTION jwt_registry_sign(jsonb, text, jsonb, interval, interval) TO PUBLIC;
SELECT regress_roles_detail('regress_roles_harmless') AS public_grants;
ROLLBACK;
-- Verdicts are remembered per backend until a catalog they read changes:
-- a grant made after a role was accepted refuses it at once, a revoke
-- accepts it again, and a grant rolled back leaves nothing behind.
SELECT regress_roles_detail('regress_roles_logout') AS before_grant;
GRANT SELECT (kid) ON jwt_keys TO regress_roles_logout;
SELECT regress_roles_detail('regress_roles_logout') AS after_grant;
REVOKE ALL ON jwt_keys FROM regress_roles_logout;
SELECT regress_roles_detail('regress_roles_logout') AS after_revoke;
BEGIN;
GRANT regress_roles_signer TO regress_roles_logout;
SELECT regress_roles_detail('regress_roles_logout') AS member_in_transaction;
SAVEPOINT s;
REVOKE regress_roles_signer FROM regress_roles_logout;
SELECT regress_roles_detail('regress_roles_logout') AS revoked_in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT regress_roles_detail('regress_roles_logout') AS savepoint_rolled_back;
ROLLBACK;
SELECT regress_roles_detail('regress_roles_logout') AS transaction_rolled_back;
REVOKE ALL ON jwt_keys FROM regress_roles_keyreader, regress_roles_colgrant;
REVOKE ALL ON FUNCTION jwt_registry_sign(jsonb, text, jsonb, interval, interval) FROM regress_roles_signer;
REVOKE ALL ON FUNCTION jwt_refresh_revoke(text, text, boolean) FROM regress_roles_logout;
REVOKE ALL ON FUNCTION jwt_stats_reset() FROM regress_roles_resetter;
REVOKE ALL ON FUNCTION jwt_stats() FROM regress_roles_statsreader;
REVOKE ALL ON FUNCTION
    jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
  FROM regress_roles_authn;

-- Nothing was established by the refusals; the harmless role really is
-- switched to.
SELECT current_user = session_user AS role_unchanged, jwt_claims() IS NULL AS no_claims;
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"h","role":"regress_roles_harmless"}', :'key'), :'key',
                        role_claim => 'role')->>'sub' AS sub, current_user;
ROLLBACK;

DROP FUNCTION regress_roles_detail(text);
DROP ROLE regress_roles_super, regress_roles_direct, regress_roles_d1, regress_roles_d2,
          regress_roles_d3, regress_roles_noinherit, regress_roles_bypass, regress_roles_creator,
          regress_roles_bypass_member, regress_roles_prog1, regress_roles_prog2,
          regress_roles_prog_noinherit, regress_roles_readall, regress_roles_plain,
          regress_roles_harmless, regress_roles_extowner, regress_roles_extowner_member,
          regress_roles_tabowner, regress_roles_tabowner_member, regress_roles_tabowner_deep,
          regress_roles_monitor, regress_roles_signal, regress_roles_nspowner,
          regress_roles_nspowner_member, regress_roles_dbowner, regress_roles_keyreader,
          regress_roles_colgrant, regress_roles_colreader, regress_roles_signer,
          regress_roles_signer_mid, regress_roles_signer_deep, regress_roles_logout,
          regress_roles_authn, regress_roles_resetter, regress_roles_statsreader,
          regress_roles_setter, regress_roles_setter_member;
