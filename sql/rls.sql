--
-- Row-level security keyed on token claims, and the ways a client might
-- try to cheat it.  The API connects as regress_rls_api (no table
-- privileges, NOINHERIT) and runs each request in a transaction of its
-- own: jwt_registry_authenticate with the bearer token switches to the
-- role the token names, and the policies read jwt_claim().
--
\set VERBOSITY terse
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
CREATE ROLE regress_rls_api NOINHERIT;
CREATE ROLE regress_rls_user;
CREATE ROLE regress_rls_admin;
CREATE ROLE regress_rls_other;
GRANT regress_rls_user, regress_rls_admin TO regress_rls_api;
GRANT EXECUTE ON FUNCTION jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	TO regress_rls_api;

CREATE TABLE regress_rls_docs (id int PRIMARY KEY, owner_id text NOT NULL, body text);
CREATE INDEX ON regress_rls_docs (owner_id);
INSERT INTO regress_rls_docs VALUES (1, 'alice', 'a1'), (2, 'alice', 'a2'), (3, 'bob', 'b1');
ALTER TABLE regress_rls_docs ENABLE ROW LEVEL SECURITY;
-- Written plainly: no (SELECT ...) wrapper needed for speed.
CREATE POLICY own_rows ON regress_rls_docs
	USING (owner_id = jwt_claim('sub')) WITH CHECK (owner_id = jwt_claim('sub'));
CREATE POLICY admin_all ON regress_rls_docs
	USING (jwt_claim('role') = 'regress_rls_admin');
GRANT SELECT, INSERT, UPDATE, DELETE ON regress_rls_docs
	TO regress_rls_user, regress_rls_admin, regress_rls_other;
CREATE TABLE regress_rls_notes (id int PRIMARY KEY, owner_id text NOT NULL);
CREATE INDEX ON regress_rls_notes (owner_id);
INSERT INTO regress_rls_notes SELECT i, CASE WHEN i = 7 THEN 'alice' ELSE 'user' || i END FROM generate_series(1, 100) i;
ALTER TABLE regress_rls_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON regress_rls_notes USING (owner_id = jwt_claim('sub'));
GRANT SELECT ON regress_rls_notes TO regress_rls_user;
ANALYZE regress_rls_notes;

SELECT jwt_registry_sign('{"sub":"alice","role":"regress_rls_user","aud":"docs","jti":"a-1"}', expires_in => '5 minutes') AS alice,
       jwt_registry_sign('{"sub":"bob","role":"regress_rls_user","aud":"docs"}', expires_in => '5 minutes') AS bob,
       jwt_registry_sign('{"sub":"root","role":"regress_rls_admin","aud":"docs"}', expires_in => '5 minutes') AS admin,
       jwt_registry_sign('{"sub":"alice","role":"regress_rls_user","aud":"docs"}', expires_in => '-1 minute') AS expired,
       jwt_registry_sign('{"sub":"alice","role":"regress_rls_user","aud":"billing"}', expires_in => '5 minutes') AS billing,
       jwt_registry_sign('{"sub":"alice","role":"regress_rls_user","aud":"docs","jti":"a-stolen"}', expires_in => '5 minutes') AS stolen,
       jwt_registry_sign('{"sub":"alice","role":"regress_rls_other","aud":"docs"}', expires_in => '5 minutes') AS other_role,
       jwt_registry_sign('{"sub":"alice","role":"regress_rls_user","aud":"docs","jti":"link-1"}', expires_in => '5 minutes') AS link \gset
SELECT jwt_revoke('a-stolen', now() + interval '5 minutes', 'reported stolen') AS revoked;
-- A forged, self-signed token with the admin role.
SELECT jwt_sign('{"sub":"root","role":"regress_rls_admin","aud":"docs"}', jwt_generate_key('ES256'), 'ES256') AS forged \gset

SET SESSION AUTHORIZATION regress_rls_api;

-- Requests as they should be.
BEGIN;
SELECT jwt_registry_authenticate(:'alice', audience => 'docs', role_claim => 'role')->>'sub' AS sub;
SELECT current_user, id, owner_id FROM regress_rls_docs ORDER BY id;
INSERT INTO regress_rls_docs VALUES (4, 'alice', 'a3');
UPDATE regress_rls_docs SET body = 'mine' RETURNING id;
DELETE FROM regress_rls_docs WHERE id = 4 RETURNING id;
COMMIT;
BEGIN;
SELECT jwt_registry_authenticate(:'bob', audience => 'docs', role_claim => 'role')->>'sub' AS sub;
SELECT id, owner_id FROM regress_rls_docs ORDER BY id;
-- writing a row for someone else
INSERT INTO regress_rls_docs VALUES (5, 'alice', 'planted');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_registry_authenticate(:'admin', audience => 'docs', role_claim => 'role')->>'sub' AS sub;
SELECT current_user, count(*) AS admin_sees FROM regress_rls_docs;
COMMIT;
-- The planner takes jwt_claim('sub') as a scan-time constant: with an
-- index it is an index condition, evaluated once per scan.
BEGIN;
SELECT jwt_registry_authenticate(:'alice', audience => 'docs', role_claim => 'role') IS NOT NULL AS ok;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM regress_rls_notes;
SELECT id FROM regress_rls_notes;
COMMIT;

-- Cheat 1: no token, claims forged with set_config in authenticate mode.
BEGIN;
SET LOCAL ROLE regress_rls_user;
SELECT set_config('request.jwt.claims', '{"sub":"alice","role":"regress_rls_admin"}', true) IS NOT NULL AS forged;
SET LOCAL request.jwt.claims = '{"sub":"bob"}';
SELECT count(*) AS rows_seen FROM regress_rls_docs;
ROLLBACK;
-- ... or after authenticating as bob, to become the admin or alice.
BEGIN;
SELECT jwt_registry_authenticate(:'bob', audience => 'docs', role_claim => 'role') IS NOT NULL AS ok;
SELECT set_config('request.jwt.claims', '{"sub":"alice","role":"regress_rls_admin"}', true) IS NOT NULL AS forged;
SELECT string_agg(owner_id, ',') AS rows_seen FROM regress_rls_docs;
-- nor can the client re-authenticate: its role may not, and the
-- transaction already has claims
SELECT jwt_registry_authenticate(:'alice', audience => 'docs');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_registry_authenticate(:'bob', audience => 'docs', role_claim => 'role') IS NOT NULL AS ok;
RESET ROLE;
SELECT jwt_registry_authenticate(:'alice', audience => 'docs');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- going back to the API's own role gains nothing: it has no privileges
BEGIN;
SELECT jwt_registry_authenticate(:'bob', audience => 'docs', role_claim => 'role') IS NOT NULL AS ok;
RESET ROLE;
SELECT count(*) FROM regress_rls_docs;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Cheat 2: an expired token.
BEGIN;
SELECT jwt_registry_authenticate(:'expired', audience => 'docs', role_claim => 'role');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM regress_rls_docs;
ROLLBACK;

-- Cheat 3: a token for another audience.
BEGIN;
SELECT jwt_registry_authenticate(:'billing', audience => 'docs', role_claim => 'role');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Cheat 4: a revoked token (its jti is on the denylist).
BEGIN;
SELECT jwt_registry_authenticate(:'stolen', audience => 'docs', role_claim => 'role');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Cheat 5: a single-use link presented twice.
BEGIN;
SELECT jwt_registry_consume(:'link', audience => 'docs')->>'jti' AS consumed;
SELECT jwt_registry_authenticate(:'link', audience => 'docs', role_claim => 'role') IS NOT NULL AS ok;
SELECT count(*) AS rows_seen FROM regress_rls_docs;
COMMIT;
BEGIN;
SELECT jwt_registry_consume(:'link', audience => 'docs');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_authenticate(:'link', audience => 'docs', role_claim => 'role');
ROLLBACK;

-- Cheat 6: a role claim naming a role the session may not become.
BEGIN;
SELECT jwt_registry_authenticate(:'other_role', audience => 'docs', role_claim => 'role');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT current_user AS still_api;

-- Cheat 7: a self-signed token.
BEGIN;
SELECT jwt_registry_authenticate(:'forged', audience => 'docs', role_claim => 'role');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- After every refused request, a query under the user role sees nothing.
BEGIN;
SET LOCAL ROLE regress_rls_user;
SELECT count(*) AS rows_without_claims FROM regress_rls_docs;
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- The same policies behind PostgREST: the superuser chose request mode
-- (here for the session; in a deployment with ALTER ROLE ... SET), PostgREST
-- verified the token, switches role and hands the claims over.
SET jwt.claims_source = 'request.jwt.claims';
SET SESSION AUTHORIZATION regress_rls_api;
BEGIN;
SET LOCAL ROLE regress_rls_user;
SELECT set_config('request.jwt.claims', '{"sub":"alice","role":"regress_rls_user"}', true) IS NOT NULL AS claims_set;
SELECT string_agg(owner_id, ',' ORDER BY id) AS rows_seen FROM regress_rls_docs;
COMMIT;
BEGIN;
SET LOCAL ROLE regress_rls_user;
SELECT count(*) AS without_claims FROM regress_rls_docs;
ROLLBACK;
RESET SESSION AUTHORIZATION;
RESET jwt.claims_source;

DROP TABLE regress_rls_docs, regress_rls_notes;
REVOKE EXECUTE ON FUNCTION jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	FROM regress_rls_api;
DROP ROLE regress_rls_api, regress_rls_user, regress_rls_admin, regress_rls_other;
DELETE FROM jwt_keys;
DELETE FROM jwt_revoked_tokens;
DELETE FROM jwt_consumed_tokens;
