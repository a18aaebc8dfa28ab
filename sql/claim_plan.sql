--
-- jwt_claim as planned: a call with a constant name becomes a call of
-- jwt_claim_const (its planner support function), the same function
-- without STRICT, so that each row of a policy skips the executor's NULL
-- check of the argument.  Neither the answers, nor the inlining of a STRICT
-- SQL function that calls jwt_claim, nor who may call it may change; a
-- look-alike of jwt_claim_const in another schema must never run.
--
\set VERBOSITY terse
\set key 'a secret for the claim_plan tests, 32+'
SELECT n.nspname AS ext FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'jwt' \gset
SELECT jwt_sign('{"sub":"u42","n":7}', :'key', expires_in => '1 hour') AS tok \gset
CREATE TABLE regress_cp (id int, owner text);
INSERT INTO regress_cp SELECT i, 'u' || i FROM generate_series(1, 200) i;
CREATE INDEX ON regress_cp (owner);
ANALYZE regress_cp;
CREATE ROLE regress_cp_reader;
GRANT SELECT ON regress_cp TO regress_cp_reader;
GRANT EXECUTE ON FUNCTION regress_cp_claim(text) TO regress_cp_reader;
-- A STRICT SQL wrapper, as policies often use, and a non-STRICT one.
CREATE FUNCTION regress_cp_claim(n text) RETURNS text
	LANGUAGE sql STABLE STRICT AS 'SELECT jwt_claim(n)';
CREATE FUNCTION regress_cp_claim_lax(n text) RETURNS text
	LANGUAGE sql STABLE AS 'SELECT jwt_claim(n)';

-- Markings: jwt_claim is STRICT with a support function; jwt_claim_const
-- is not STRICT; both STABLE, PARALLEL RESTRICTED.
SELECT p.proname, p.proisstrict, p.provolatile, p.proparallel,
       p.prosupport::regproc::text AS support
  FROM pg_proc p
 WHERE p.oid IN ((:'ext' || '.jwt_claim(text)')::regprocedure,
                 (:'ext' || '.jwt_claim_const(text)')::regprocedure)
 ORDER BY 1;

-- Planned: a constant name makes jwt_claim_const, directly or through
-- either wrapper (the STRICT one still inlined); a name from a column or
-- a NULL constant (STRICT: the planner makes it NULL) does not.
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = regress_cp_claim('sub');
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = regress_cp_claim_lax('sub');
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE jwt_claim(owner) IS NULL;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim(NULL);

-- The answers are the same, a NULL name included.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SELECT id FROM regress_cp WHERE owner = regress_cp_claim('sub');
SELECT jwt_claim('n') AS n, jwt_claim_const('n') AS n_const,
       jwt_claim_const(NULL) IS NULL AS null_name, jwt_claim_const('nope') IS NULL AS absent;
SELECT k, jwt_claim_const(k) FROM unnest(ARRAY[NULL, 'sub', NULL, 'n', 'sub']) WITH ORDINALITY AS u(k, i) ORDER BY i;
COMMIT;

-- Privileges: jwt_claim_const answers only whoever may execute jwt_claim.
-- While the two functions' privileges differ the planner keeps jwt_claim.
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM PUBLIC;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SET ROLE regress_cp_reader;
SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_claim_const('sub');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a grant on jwt_claim alone: jwt_claim stays, and answers
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO regress_cp_reader;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SET ROLE regress_cp_reader;
SELECT count(*) FROM regress_cp WHERE owner = jwt_claim('sub');
SELECT jwt_claim_const('sub') IS NULL AS answered;
RESET ROLE;
-- the same on both: jwt_claim_const again
REVOKE EXECUTE ON FUNCTION jwt_claim_const(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jwt_claim_const(text) TO regress_cp_reader;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
-- A plan made while the reader might, kept after a REVOKE on jwt_claim
-- alone: a cached plan depends on the functions of its query and of its
-- plan, but jwt_claim is in neither when it came from an inlined SQL
-- function (its body) and became jwt_claim_const.  Refused all the same.
SET ROLE regress_cp_reader;
PREPARE regress_cp_q AS SELECT count(*) FROM regress_cp WHERE owner = regress_cp_claim('sub');
EXECUTE regress_cp_q;
EXPLAIN (COSTS OFF) EXECUTE regress_cp_q;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM regress_cp_reader;
SET ROLE regress_cp_reader;
EXPLAIN (COSTS OFF) EXECUTE regress_cp_q;
EXECUTE regress_cp_q;
\echo :LAST_ERROR_SQLSTATE
DEALLOCATE regress_cp_q;
RESET ROLE;
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION jwt_claim_const(text) TO PUBLIC;
REVOKE EXECUTE ON FUNCTION jwt_claim_const(text) FROM regress_cp_reader;
SELECT (SELECT proacl FROM pg_proc WHERE oid = (:'ext' || '.jwt_claim(text)')::regprocedure)::text =
       (SELECT proacl FROM pg_proc WHERE oid = (:'ext' || '.jwt_claim_const(text)')::regprocedure)::text
       AS same_acl_again;

-- A look-alike jwt_claim_const(text) of a role's own schema, first on the
-- search_path, never runs: the planner names the extension's by OID.
CREATE TABLE regress_cp_ran (who text);
GRANT INSERT ON regress_cp_ran TO PUBLIC;
CREATE ROLE regress_cp_planter;
CREATE SCHEMA regress_cp_planter AUTHORIZATION regress_cp_planter;
GRANT SELECT ON regress_cp TO regress_cp_planter;
SET ROLE regress_cp_planter;
CREATE FUNCTION regress_cp_planter.jwt_claim_const(name text) RETURNS text
	LANGUAGE sql VOLATILE
	AS $$ INSERT INTO public.regress_cp_ran VALUES (current_user) RETURNING 'u1' $$;
SET search_path = regress_cp_planter, public, :"ext";
BEGIN;
SELECT jwt_claim('sub') IS NULL AS no_claims_so_null;
SELECT count(*) FROM regress_cp WHERE owner = jwt_claim('sub');
COMMIT;
RESET search_path;
RESET ROLE;
SELECT count(*) AS look_alike_ran FROM regress_cp_ran;

DROP SCHEMA regress_cp_planter CASCADE;
DROP TABLE regress_cp, regress_cp_ran;
DROP FUNCTION regress_cp_claim(text), regress_cp_claim_lax(text);
DROP ROLE regress_cp_reader, regress_cp_planter;
