--
-- Refresh tokens: issue, rotate, retry within the grace window, reuse
-- outside it, expiry, each revoke, purge, sessions, privileges.
--
-- Tokens are random: the output shows statuses, booleans and lengths.
--
\set VERBOSITY terse
\set key '''a secret of at least 32 bytes for HS256!'''

-- Login: a 43-character base64url token (256 bits); the table keeps only
-- its SHA-256.
SELECT * FROM jwt_refresh_issue('alice', '30 days', '192.0.2.1', 'browser A',
                                '{"app":"web"}') \gset a_
SELECT length(:'a_refresh_token') AS len,
       :'a_refresh_token' ~ '^[A-Za-z0-9_-]{43}$' AS base64url,
       :'a_expires_at'::timestamptz = t.created_at + interval '30 days' AS expires_in_30_days
  FROM refresh_tokens t;
SELECT t.subject, t.generation, t.parent_hash IS NULL AS first,
       t.token_hash = sha256(convert_to(:'a_refresh_token', 'UTF8')) AS hash_is_sha256,
       t.token_hash = jwt_refresh_token_hash(:'a_refresh_token') AS helper_agrees,
       t.family_id = :'a_family_id' AS family, t.issued_at = t.created_at AS issued_now,
       t.used_at, t.revoked_at, t.retry_key, t.client_ip, t.user_agent, t.metadata
  FROM refresh_tokens t;
-- No column holds the token itself.
SELECT count(*) AS rows_with_the_token FROM refresh_tokens t
 WHERE t::text LIKE '%' || :'a_refresh_token' || '%';
SELECT * FROM jwt_refresh_issue('', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_issue('alice', '0');
\echo :LAST_ERROR_SQLSTATE

-- Refresh: the successor and an access token, in one call.
SELECT * FROM jwt_refresh_rotate(:'a_refresh_token', :key, grace => '1 hour',
                                 claims => '{"role":"reader","sub":"mallory","sid":"x"}') \gset r1_
SELECT :'r1_status' AS status, length(:'r1_refresh_token') AS len,
       :'r1_refresh_token' <> :'a_refresh_token' AS new_token,
       :'r1_subject' AS subject, :'r1_family_id' = :'a_family_id' AS same_family,
       :'r1_refresh_expires_at'::timestamptz = t.created_at + interval '30 days' AS sliding_30_days,
       :'r1_access_expires_at'::timestamptz
           BETWEEN t.created_at + interval '14 minutes' AND t.created_at + interval '16 minutes' AS access_15_minutes
  FROM refresh_tokens t WHERE t.generation = 1;
-- The access token: the caller's claims, with sub and sid of the family.
SELECT c->>'sub' AS sub, c->>'sid' = :'r1_family_id' AS sid_is_family, c->>'role' AS role,
       to_timestamp((c->>'exp')::bigint) = :'r1_access_expires_at'::timestamptz AS exp_matches,
       (jwt_decode(:'r1_access_token')).header->>'alg' AS alg
  FROM jwt_verify(:'r1_access_token', :key) AS c;
SELECT t.generation, t.used_at IS NOT NULL AS used,
       t.parent_hash = jwt_refresh_token_hash(:'a_refresh_token') AS child_of_first,
       t.retry_key IS NOT NULL AS has_retry_key,
       t.retry_until = t.created_at + interval '1 hour' AS grace_1_hour,
       t.client_ip, t.user_agent, t.metadata, t.issued_at <= t.created_at AS issued_first
  FROM refresh_tokens t ORDER BY t.generation;

-- A retry of the same token within the grace window (two tabs, a lost
-- response) gets the same successor and a new access token.
SELECT status, refresh_token = :'r1_refresh_token' AS same_successor,
       refresh_expires_at = :'r1_refresh_expires_at' AS same_expiry,
       jwt_verify(access_token, :key)->>'sub' AS sub
  FROM jwt_refresh_rotate(:'a_refresh_token', :key);
SELECT count(*) AS rows, count(*) FILTER (WHERE used_at IS NULL) AS unused FROM refresh_tokens;

-- The successor rotates in turn, from a new address; the next one keeps
-- the lifetime it is given.
SELECT * FROM jwt_refresh_rotate(:'r1_refresh_token', :key, grace => '0',
                                 refresh_expires_in => '7 days', client_ip => '198.51.100.7') \gset r2_
SELECT :'r2_status' AS status,
       :'r2_refresh_expires_at'::timestamptz = t.created_at + interval '7 days' AS expires_in_7_days
  FROM refresh_tokens t WHERE t.generation = 2;
SELECT t.generation, t.client_ip, t.user_agent FROM refresh_tokens t ORDER BY t.generation;

-- Reuse: r1 was used, and its successor's grace window (0) is over.  The
-- whole family is revoked, by a WARNING and a status rather than an
-- error, so that the revocation commits.
SELECT status, refresh_token, access_token, subject, family_id = :'a_family_id' AS family
  FROM jwt_refresh_rotate(:'r1_refresh_token', :key);
SELECT t.generation, t.revoked_reason, t.used_at IS NOT NULL AS used FROM refresh_tokens t ORDER BY t.generation;
-- The thief and the user both lose the session.
SELECT status FROM jwt_refresh_rotate(:'r2_refresh_token', :key);
SELECT status FROM jwt_refresh_rotate(:'a_refresh_token', :key);

-- The grace window is measured with the clock at the call, not with
-- now(), the transaction's start: a transaction held open keeps no window
-- open.  A retry in the same transaction after its window has ended is a
-- reuse, which revokes the family.  (The rest of this file rotates with
-- short windows, so that its output does not depend on how fast it runs.)
BEGIN;
SELECT * FROM jwt_refresh_issue('bob0', '1 day') \gset b0_
SELECT refresh_token AS b01 FROM jwt_refresh_rotate(:'b0_refresh_token', :key, grace => '1 millisecond') \gset
SELECT pg_sleep(0.01);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate(:'b0_refresh_token', :key);
COMMIT;
SELECT jwt_refresh_session_active(:'b0_family_id') AS bob0_active;
SELECT * FROM jwt_refresh_issue('bob', '1 day') \gset b_
SELECT refresh_token AS b1 FROM jwt_refresh_rotate(:'b_refresh_token', :key, grace => '1 microsecond') \gset

-- Twice in one statement: the second call sees the first one's rotation.
SELECT refresh_token AS tw FROM jwt_refresh_issue('tess', '1 day') \gset
SELECT count(*) AS calls, count(DISTINCT r.refresh_token) AS successors,
       string_agg(DISTINCT r.status, ',') AS statuses
  FROM (VALUES (1), (2)) v(i),
       LATERAL jwt_refresh_rotate(:'tw', :key, grace => '1 hour') r;
-- Not in a read-only transaction.
BEGIN READ ONLY;
SELECT status FROM jwt_refresh_rotate(:'tw', :key);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Expiry: an expired token does not rotate and revokes nothing.
SELECT * FROM jwt_refresh_issue('carol', '1 day') \gset c_
UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
 WHERE token_hash = jwt_refresh_token_hash(:'c_refresh_token');
SELECT status, refresh_token, subject FROM jwt_refresh_rotate(:'c_refresh_token', :key);
SELECT revoked_at IS NULL AS not_revoked FROM refresh_tokens
 WHERE token_hash = jwt_refresh_token_hash(:'c_refresh_token');

-- Unknown tokens.
SELECT status, subject, family_id FROM jwt_refresh_rotate('no-such-token', :key);
SELECT status FROM jwt_refresh_rotate(NULL, :key);
SELECT status FROM jwt_refresh_rotate(repeat('A', 43), :key);

-- Bad arguments.
SELECT status FROM jwt_refresh_rotate(:'b1', :key, grace => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'b1', :key, grace => '-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'b1', :key, access_expires_in => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'b1', :key, refresh_expires_in => '-1 day');
\echo :LAST_ERROR_SQLSTATE

-- Keys: bytea secrets and JWKs, the registry when key is NULL.  A failed
-- signature rolls the whole rotation back: the token stays live.
SELECT status, refresh_token AS b2, jwt_verify(access_token, :key::bytea)->>'sub' AS sub
  FROM jwt_refresh_rotate(:'b1', convert_to(:key, 'UTF8'), grace => '0') \gset k1_
SELECT :'k1_status' AS status, :'k1_sub' AS sub;
SELECT status, refresh_token AS b3, jwt_verify(access_token, :key)->>'sub' AS sub
  FROM jwt_refresh_rotate(:'k1_b2', '{"kty":"oct","k":"YSBzZWNyZXQgb2YgYXQgbGVhc3QgMzIgYnl0ZXMgZm9yIEhTMjU2IQ"}'::jsonb,
                          grace => '0') \gset k2_
SELECT :'k2_status' AS status, :'k2_sub' AS sub;
SELECT * FROM jwt_refresh_rotate(:'k2_b3', NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_rotate(:'k2_b3', 'too short');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS registry_key;
SELECT status, refresh_token AS b4, (jwt_decode(access_token)).header->>'alg' AS alg,
       jwt_registry_verify(access_token)->>'sub' AS sub
  FROM jwt_refresh_rotate(:'k2_b3', grace => '0') \gset k3_
SELECT :'k3_status' AS status, :'k3_alg' AS alg, :'k3_sub' AS sub;
DELETE FROM jwt_keys;

-- Sessions of a subject, and logout.
SELECT * FROM jwt_refresh_issue('dave', '1 day', '203.0.113.5', 'phone') \gset d1_
SELECT * FROM jwt_refresh_issue('dave', '2 days', '203.0.113.6', 'laptop') \gset d2_
SELECT * FROM jwt_refresh_issue('dave', '3 days', NULL, 'tablet') \gset d3_
SELECT family_id = :'d1_family_id' AS d1, rotations,
       client_ip, user_agent, expires_at - issued_at AS lifetime, refreshed_at = issued_at AS not_refreshed
  FROM jwt_refresh_sessions('dave') ORDER BY client_ip NULLS LAST;
SELECT jwt_refresh_session_active(:'d1_family_id') AS d1_active;
-- logout: the token's family
SELECT jwt_refresh_revoke(:'d1_refresh_token') AS families,
       jwt_refresh_revoke(:'d1_refresh_token') AS again,
       jwt_refresh_revoke('no-such-token') AS unknown;
SELECT status FROM jwt_refresh_rotate(:'d1_refresh_token', :key);
SELECT jwt_refresh_session_active(:'d1_family_id') AS d1_active;
-- by family id (an access token's "sid")
SELECT jwt_refresh_revoke_family(:'d2_family_id', 'admin') AS revoked,
       jwt_refresh_revoke_family(:'d2_family_id') AS again;
SELECT revoked_reason FROM refresh_tokens WHERE family_id = :'d2_family_id';
-- everywhere, by a token of one of the sessions
SELECT * FROM jwt_refresh_issue('dave', '1 day') \gset d4_
SELECT * FROM jwt_refresh_issue('dave', '1 day') \gset d5_
SELECT jwt_refresh_revoke(:'d5_refresh_token', everywhere => true) AS families;
SELECT count(*) AS dave_sessions FROM jwt_refresh_sessions('dave');
-- everywhere, by subject
SELECT * FROM jwt_refresh_issue('dave', '1 day') \gset d6_
SELECT * FROM jwt_refresh_issue('dave', '1 day') \gset d7_
SELECT jwt_refresh_revoke_subject('dave') AS families, jwt_refresh_revoke_subject('dave') AS again;
SELECT count(*) AS dave_sessions FROM jwt_refresh_sessions('dave');
SELECT revoked_reason, count(*) FROM refresh_tokens WHERE subject = 'dave'
 GROUP BY 1 ORDER BY 1;

-- Purge.  Rows now: alice's revoked family, bob's live chain of five,
-- carol's expired token, dave's seven revoked families, tess's live chain
-- of two.
SELECT subject, count(*) AS rows, count(*) FILTER (WHERE used_at IS NULL) AS unused,
       count(*) FILTER (WHERE retry_key IS NOT NULL) AS retry_keys
  FROM refresh_tokens GROUP BY subject ORDER BY subject;
-- Nothing is old enough with the defaults (1 hour, 7 days) but the retry
-- keys of finished grace windows.
SELECT jwt_refresh_purge() AS purged;
SELECT subject, count(*) AS rows, count(*) FILTER (WHERE retry_key IS NOT NULL) AS retry_keys
  FROM refresh_tokens GROUP BY subject ORDER BY subject;
-- A zero horizon keeps only what a live session needs: its unused token,
-- and the one before while a retry may still present it (tess's grace
-- window is an hour).
SELECT jwt_refresh_purge(reuse_horizon => '0', retain => '0') AS purged;
SELECT subject, generation, used_at IS NULL AS unused FROM refresh_tokens ORDER BY subject, generation;
-- bob's session goes on; his purged token is now unknown, not a reuse.
SELECT status FROM jwt_refresh_rotate(:'b1', :key);
SELECT status FROM jwt_refresh_rotate(:'k3_b4', :key);
SELECT jwt_refresh_purge('-1 hour');
\echo :LAST_ERROR_SQLSTATE

-- Privileges: the table is closed; issuing, rotating and revoking need
-- EXECUTE, which nobody has by default; the SECURITY DEFINER functions
-- then work without table access.
CREATE ROLE regress_refresh_app;
SET SESSION AUTHORIZATION regress_refresh_app;
SELECT count(*) FROM refresh_tokens;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_issue('erin');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_refresh_session_active(:'b_family_id') AS public_session_check;
RESET SESSION AUTHORIZATION;
GRANT EXECUTE ON FUNCTION jwt_refresh_issue(text, interval, inet, text, jsonb),
    jwt_refresh_rotate(text, text, text, jsonb, interval, interval, interval, inet, text),
    jwt_refresh_revoke(text, text, boolean) TO regress_refresh_app;
SET SESSION AUTHORIZATION regress_refresh_app;
SELECT refresh_token AS e FROM jwt_refresh_issue('erin') \gset
SELECT status, subject FROM jwt_refresh_rotate(:'e', :key) \gset e_
SELECT :'e_status' AS status, :'e_subject' AS subject;
SELECT jwt_refresh_revoke_subject('erin');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DROP OWNED BY regress_refresh_app;
DROP ROLE regress_refresh_app;

-- In another schema, with nothing on the search_path.
DROP EXTENSION jwt;
CREATE SCHEMA auth;
CREATE EXTENSION jwt SCHEMA auth;
SET search_path = pg_catalog;
SELECT refresh_token AS z FROM auth.jwt_refresh_issue('zoe') \gset
SELECT status, auth.jwt_verify(access_token, 'a secret of at least 32 bytes for HS256!')->>'sub' AS sub
  FROM auth.jwt_refresh_rotate(:'z', 'a secret of at least 32 bytes for HS256!');
SELECT status FROM auth.jwt_refresh_rotate(:'z', 'a secret of at least 32 bytes for HS256!', grace => '0');
RESET search_path;
DROP EXTENSION jwt;
DROP SCHEMA auth;
CREATE EXTENSION jwt;
