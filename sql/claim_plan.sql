--
-- jwt_claim as planned: a call with a constant name becomes a call of
-- jwt_claim_const (its planner support function), the same function
-- without STRICT, so that each row of a policy skips the executor's NULL
-- check of the argument.  Neither the answers, nor the inlining of a STRICT
-- SQL function that calls jwt_claim, nor who may call it, nor what its SET
-- clause does may change; a look-alike of jwt_claim_const in another
-- schema must never run.
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
-- A STRICT SQL wrapper, as policies often use, and a non-STRICT one.
CREATE FUNCTION regress_cp_claim(n text) RETURNS text
	LANGUAGE sql STABLE STRICT AS 'SELECT jwt_claim(n)';
CREATE FUNCTION regress_cp_claim_lax(n text) RETURNS text
	LANGUAGE sql STABLE AS 'SELECT jwt_claim(n)';
REVOKE EXECUTE ON FUNCTION regress_cp_claim(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION regress_cp_claim(text) TO regress_cp_reader;

-- PUBLIC's EXECUTE granted by hand on jwt_claim alone (as it had it by
-- default): the same privileges, the ACLs differ in form only.
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO PUBLIC;

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

-- Privileges: the planner calls jwt_claim_const only while it has
-- jwt_claim's owner and privileges, so that the executor's check of
-- EXECUTE is the one jwt_claim would have had.
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM PUBLIC;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SET ROLE regress_cp_reader;
SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM regress_cp WHERE owner = regress_cp_claim('sub');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a grant on jwt_claim alone: jwt_claim stays, and answers
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO regress_cp_reader;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SET ROLE regress_cp_reader;
SELECT count(*) FROM regress_cp WHERE owner = jwt_claim('sub');
RESET ROLE;
-- the same on both, granted in the other order: jwt_claim_const again
REVOKE EXECUTE ON FUNCTION jwt_claim_const(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jwt_claim_const(text) TO regress_cp_reader;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
-- A plan made while the reader might, after a REVOKE on jwt_claim alone:
-- a cached plan depends on the functions of its query and of its plan, in
-- which jwt_claim is not when it came from an inlined SQL function (its
-- body) and became jwt_claim_const, so the planner records jwt_claim too:
-- the plan is made again, with jwt_claim, and refused.
SET ROLE regress_cp_reader;
PREPARE regress_cp_q AS SELECT count(*) FROM regress_cp WHERE owner = regress_cp_claim('sub');
EXECUTE regress_cp_q;
EXPLAIN (COSTS OFF) EXECUTE regress_cp_q;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM regress_cp_reader;
SET ROLE regress_cp_reader;
EXECUTE regress_cp_q;
\echo :LAST_ERROR_SQLSTATE
DEALLOCATE regress_cp_q;
RESET ROLE;
-- The same within one transaction, where PL/pgSQL keeps a simple
-- expression's state: the REVOKE is seen at the next call.
CREATE FUNCTION regress_cp_plpgsql() RETURNS text LANGUAGE plpgsql STABLE
	AS $$ BEGIN RETURN regress_cp_claim('sub'); END $$;
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO regress_cp_reader;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SET LOCAL ROLE regress_cp_reader;
SELECT regress_cp_plpgsql() AS sub;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM regress_cp_reader;
SET LOCAL ROLE regress_cp_reader;
SELECT regress_cp_plpgsql() AS sub;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- A cursor opened by a role that may, fetched by one that may not: the
-- privilege is checked when the cursor's plan starts, as for any function.
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO regress_cp_reader;
CREATE ROLE regress_cp_other;
GRANT regress_cp_other TO regress_cp_reader;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SET LOCAL ROLE regress_cp_reader;
DECLARE regress_cp_c CURSOR FOR SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
SET LOCAL ROLE regress_cp_other;
FETCH ALL FROM regress_cp_c;
ROLLBACK;
DROP ROLE regress_cp_other;
-- Back to PUBLIC on both, the same grants made in another order: the
-- ACLs differ in form only, which keeps the call.
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO PUBLIC;
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM regress_cp_reader;
GRANT EXECUTE ON FUNCTION jwt_claim(text) TO regress_cp_reader;
GRANT EXECUTE ON FUNCTION jwt_claim_const(text) TO PUBLIC;
SELECT a::text = b::text AS same_order,
       ARRAY(SELECT x::text FROM unnest(a) x ORDER BY 1) =
       ARRAY(SELECT x::text FROM unnest(b) x ORDER BY 1) AS same_items
  FROM (SELECT (SELECT proacl FROM pg_proc WHERE oid = (:'ext' || '.jwt_claim(text)')::regprocedure) AS a,
               (SELECT proacl FROM pg_proc WHERE oid = (:'ext' || '.jwt_claim_const(text)')::regprocedure) AS b) acls;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
REVOKE EXECUTE ON FUNCTION jwt_claim(text) FROM regress_cp_reader;
REVOKE EXECUTE ON FUNCTION jwt_claim_const(text) FROM regress_cp_reader;
-- A SET clause on jwt_claim (or SECURITY DEFINER) would be lost by the
-- call of jwt_claim_const: jwt_claim stays, and its setting applies.
ALTER FUNCTION jwt_claim(text) SET jwt.claims_source = 'request.jwt.claims';
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"u7"}', true) IS NOT NULL AS set;
SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
ROLLBACK;
ALTER FUNCTION jwt_claim(text) RESET ALL;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
ALTER FUNCTION jwt_claim_const(text) SECURITY DEFINER;
EXPLAIN (COSTS OFF) SELECT id FROM regress_cp WHERE owner = jwt_claim('sub');
ALTER FUNCTION jwt_claim_const(text) SECURITY INVOKER;
-- Outside a plan (a CHECK constraint, a column default) the call stays:
-- nothing there would depend on jwt_claim.
CREATE TABLE regress_cp_checked (owner text DEFAULT jwt_claim('sub'),
	CHECK (owner IS DISTINCT FROM jwt_claim('role')));
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
INSERT INTO regress_cp_checked DEFAULT VALUES RETURNING owner;
ROLLBACK;
DROP TABLE regress_cp_checked;

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
DROP FUNCTION regress_cp_claim(text), regress_cp_claim_lax(text), regress_cp_plpgsql();
DROP ROLE regress_cp_reader, regress_cp_planter;
