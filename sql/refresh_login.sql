--
-- Sessions: the one-call login, rotation that re-mints the session's
-- claims, session-bound access tokens (jwt.require_session), session
-- lifetimes (absolute, idle, a cap per subject) and new-device answers.
--
-- Tokens are random: the output shows statuses, claims without exp and
-- sid, counts and booleans.  Lifetime edges are tested inside one
-- transaction, where now() is fixed, on rows written by hand.
--
\set VERBOSITY terse
\set key '''a secret of at least 32 bytes for HS256!'''

-- the claims of a token without the ones that change each run
CREATE FUNCTION stable_claims(token text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jwt_verify(token, 'a secret of at least 32 bytes for HS256!',
					  audience => 'api') - 'exp' - 'iat' - 'sid'
$$;

--
-- One call: both tokens, the claims stored with the session
--
SELECT * FROM jwt_refresh_login('alice', :key,
		claims => '{"aud": "api", "iss": "app", "role": "app_user"}',
		user_agent => 'Firefox', client_ip => '192.0.2.1') \gset a_
SELECT stable_claims(:'a_access_token') AS claims,
	   jwt_verify(:'a_access_token', :key, audience => 'api')->>'sid' = :'a_family_id' AS sid_is_family,
	   :'a_access_expires_at'::timestamptz > now() AS access_later,
	   :'a_refresh_expires_at'::timestamptz > now() + interval '29 days' AS refresh_30_days,
	   :'a_new_device' AS new_device;
SELECT access_claims, session_expires_at, idle_timeout FROM refresh_tokens
 WHERE family_id = :'a_family_id';

-- a rotation re-mints the stored claims without the caller repeating them
SELECT status, stable_claims(access_token) AS claims, refresh_token AS a_r1
  FROM jwt_refresh_rotate(:'a_refresh_token', :key) \gset
SELECT :'status' AS status, :'claims' AS claims;
-- a retry within the grace window gets the same successor, and an access
-- token with the stored claims again
SELECT status, stable_claims(access_token) AS claims, refresh_token = :'a_r1' AS same_successor
  FROM jwt_refresh_rotate(:'a_refresh_token', :key);
-- a claim given to one rotation overrides the stored one for that token
SELECT status, stable_claims(access_token) AS claims, refresh_token AS a_r2
  FROM jwt_refresh_rotate(:'a_r1', :key, claims => '{"role": "admin", "x": 1}') \gset
SELECT :'status' AS status, :'claims' AS claims;
-- ... and only for that one; sub and sid cannot be overridden
SELECT status, stable_claims(access_token) AS claims,
	   jwt_verify(access_token, :key, audience => 'api')->>'sid' = :'a_family_id' AS same_sid,
	   refresh_token AS a_r3
  FROM jwt_refresh_rotate(:'a_r2', :key, claims => '{"sub": "mallory", "sid": "00000000-0000-4000-8000-000000000000"}') \gset
SELECT :'status' AS status, :'claims' AS claims, :'same_sid' AS same_sid;

-- the registry signs when key is NULL
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS registry_key;
SELECT jwt_registry_verify(access_token, audience => 'api')->>'role' AS role
  FROM jwt_refresh_login('reg', algorithm => 'ES256', claims => '{"aud": "api", "role": "r"}');

-- arguments
SELECT jwt_refresh_login('', :key);
SELECT jwt_refresh_login(NULL, :key);
SELECT jwt_refresh_login('x', :key, access_expires_in => '0');
SELECT jwt_refresh_login('x', :key, refresh_expires_in => NULL);
SELECT jwt_refresh_login('x', :key, session_lifetime => '-1 second');
SELECT jwt_refresh_login('x', :key, idle_timeout => '0');
SELECT jwt_refresh_login('x', :key, max_sessions => 0);
SELECT jwt_refresh_login('x', :key, claims => '[1]');
SELECT jwt_refresh_login('x', :key, session_lifetime => '300000 years');
SELECT count(*) AS rows_of_x FROM refresh_tokens WHERE subject = 'x';

--
-- Session-bound access tokens
--
SET jwt.require_session = on;
-- a live session authenticates
BEGIN;
SELECT jwt_authenticate(:'a_access_token', :key, audience => 'api')->>'sub' AS sub;
ROLLBACK;
-- a token not minted from a session (no sid) is refused
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub": "alice", "aud": "api"}', :key), :key, audience => 'api');
ROLLBACK;
-- a sid of another subject's session, signed with the right key
SELECT family_id AS b_family FROM jwt_refresh_login('bob', :key) \gset
BEGIN;
SELECT jwt_authenticate(jwt_sign(jsonb_build_object('sub', 'alice', 'aud', 'api', 'sid', :'b_family'), :key),
						:key, audience => 'api');
ROLLBACK;
-- a well-formed sid that names no session
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub": "alice", "aud": "api", "sid": "7f3c1d2e-0000-4000-8000-000000000000"}', :key), :key, audience => 'api');
ROLLBACK;
-- a sid that is not a uuid, or not a string
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub": "alice", "aud": "api", "sid": "not-a-uuid"}', :key), :key, audience => 'api');
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub": "alice", "aud": "api", "sid": 12}', :key), :key, audience => 'api');
ROLLBACK;
-- a forged sid is trusted only after the signature: a token signed with
-- another key fails on its signature, before any session lookup
BEGIN;
SELECT jwt_authenticate(jwt_sign(jsonb_build_object('sub', 'alice', 'aud', 'api', 'sid', :'a_family_id'),
								 'another secret of at least 32 bytes!!'), :key, audience => 'api');
ROLLBACK;

-- logout ends the session's access tokens at once
SELECT jwt_refresh_revoke(:'a_r3') AS logout;
BEGIN;
SELECT jwt_authenticate(:'a_access_token', :key, audience => 'api');
ROLLBACK;
-- without the setting the same token still authenticates (until its exp)
SET jwt.require_session = off;
BEGIN;
SELECT jwt_authenticate(:'a_access_token', :key, audience => 'api')->>'sub' AS sub;
ROLLBACK;
SET jwt.require_session = on;

-- reuse ends them at once too
SELECT refresh_token AS c_r0, access_token AS c_at FROM jwt_refresh_login('carol', :key, claims => '{"aud": "api"}') \gset
SELECT status FROM jwt_refresh_rotate(:'c_r0', :key, grace => '0');
BEGIN;
SELECT jwt_authenticate(:'c_at', :key, audience => 'api')->>'sub' AS sub;
ROLLBACK;
SELECT status FROM jwt_refresh_rotate(:'c_r0', :key, grace => '0');
BEGIN;
SELECT jwt_authenticate(:'c_at', :key, audience => 'api');
ROLLBACK;

-- the registry's authenticate checks the session too
SELECT access_token AS r_at, family_id AS r_family FROM jwt_refresh_login('reg2', algorithm => 'ES256', claims => '{"aud": "api"}') \gset
BEGIN;
SELECT jwt_registry_authenticate(:'r_at', audience => 'api')->>'sub' AS sub;
ROLLBACK;
SELECT jwt_refresh_revoke_family(:'r_family');
BEGIN;
SELECT jwt_registry_authenticate(:'r_at', audience => 'api');
ROLLBACK;
-- jwt_consume is not session-bound (single-use tokens carry no session)
SELECT jwt_consume(jwt_sign('{"sub": "s", "jti": "j1", "exp": 4102444800}', :key), :key)->>'sub' AS consumed;

--
-- Lifetimes, at their edges: rows written by hand in one transaction
--
-- absolute lifetime: the refresh token never outlives the session
SELECT refresh_expires_at AS d_exp, family_id AS d_family
  FROM jwt_refresh_login('dan', :key, refresh_expires_in => '30 days', session_lifetime => '1 hour') \gset
SELECT :'d_exp'::timestamptz = session_expires_at AS capped,
	   session_expires_at = issued_at + interval '1 hour' AS one_hour
  FROM refresh_tokens WHERE family_id = :'d_family';

BEGIN;
-- a session whose end is now() (the transaction's start; ends are judged
-- by the clock at the call, which is later): its token (capped) is
-- expired, the rotation says the session is over
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, session_expires_at, access_claims)
VALUES (jwt_refresh_token_hash('edge-abs-0'), '10000000-0000-4000-8000-000000000001', 0, 'edge',
		now(), now(), '{"aud": "api"}');
SELECT status FROM jwt_refresh_rotate('edge-abs-0', :key);
-- before its end it still rotates, and the successor ends with the
-- session
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, session_expires_at)
VALUES (jwt_refresh_token_hash('edge-abs-1'), '10000000-0000-4000-8000-000000000002', 0, 'edge',
		now() + interval '1 hour', now() + interval '1 hour');
SELECT status, refresh_expires_at = now() + interval '1 hour' AS ends_with_session
  FROM jwt_refresh_rotate('edge-abs-1', :key, refresh_expires_in => '1 day');
-- idle: a token idle_timeout old at now() has ended; the family is revoked
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, created_at, issued_at, idle_timeout)
VALUES (jwt_refresh_token_hash('edge-idle-0'), '10000000-0000-4000-8000-000000000003', 0, 'edge',
		now() + interval '1 day', now() - interval '10 minutes', now() - interval '10 minutes', '10 minutes');
SELECT jwt_refresh_session_active('10000000-0000-4000-8000-000000000003') AS active;
SELECT status FROM jwt_refresh_rotate('edge-idle-0', :key);
SELECT revoked_reason FROM refresh_tokens WHERE family_id = '10000000-0000-4000-8000-000000000003';
-- a minute younger, it rotates
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, created_at, issued_at, idle_timeout)
VALUES (jwt_refresh_token_hash('edge-idle-1'), '10000000-0000-4000-8000-000000000004', 0, 'edge',
		now() + interval '1 day', now() - interval '9 minutes',
		now() - interval '10 minutes', '10 minutes');
SELECT jwt_refresh_session_active('10000000-0000-4000-8000-000000000004') AS active;
SELECT status FROM jwt_refresh_rotate('edge-idle-1', :key);
-- the session check sees the same ends
SELECT jwt_authenticate(jwt_sign('{"sub": "edge", "sid": "10000000-0000-4000-8000-000000000002"}', :key), :key)->>'sub' AS sub;
ROLLBACK;
BEGIN;
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, created_at, issued_at, idle_timeout)
VALUES (jwt_refresh_token_hash('edge-idle-2'), '10000000-0000-4000-8000-000000000005', 0, 'edge',
		now() + interval '1 day', now() - interval '10 minutes', now() - interval '10 minutes', '10 minutes');
SELECT jwt_authenticate(jwt_sign('{"sub": "edge", "sid": "10000000-0000-4000-8000-000000000005"}', :key), :key);
ROLLBACK;
BEGIN;
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, session_expires_at)
VALUES (jwt_refresh_token_hash('edge-abs-2'), '10000000-0000-4000-8000-000000000006', 0, 'edge',
		now(), now());
SELECT jwt_authenticate(jwt_sign('{"sub": "edge", "sid": "10000000-0000-4000-8000-000000000006"}', :key), :key);
ROLLBACK;

-- A transaction held open keeps no session or window open: ends are
-- judged by the clock at each call, not by now().  Each end below comes
-- 50 ms after the transaction's start, and is 100 ms past when judged.
CREATE FUNCTION pg_temp.clock_rows() RETURNS void LANGUAGE sql AS $$
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at,
                            session_expires_at, created_at, issued_at, idle_timeout)
VALUES (jwt_refresh_token_hash('clock-abs'), '20000000-0000-4000-8000-000000000001', 0, 'clock',
        now() + interval '50 milliseconds', now() + interval '50 milliseconds', now(), now(), NULL),
       (jwt_refresh_token_hash('clock-idle'), '20000000-0000-4000-8000-000000000002', 0, 'clock',
        now() + interval '1 day', NULL, now() - interval '10 minutes' + interval '50 milliseconds',
        now() - interval '10 minutes', '10 minutes'),
       (jwt_refresh_token_hash('clock-other'), '20000000-0000-4000-8000-000000000003', 0, 'clock',
        now() + interval '1 day', NULL, now(), now(), NULL),
       (jwt_refresh_token_hash('clock-stale'), '20000000-0000-4000-8000-000000000004', 0, 'clock',
        now() + interval '1 day', NULL, now(), now(), NULL) $$;
BEGIN;
SELECT pg_temp.clock_rows();
SELECT pg_sleep(0.15);
SELECT jwt_refresh_session_active('20000000-0000-4000-8000-000000000001') AS abs_active,
       jwt_refresh_session_active('20000000-0000-4000-8000-000000000002') AS idle_active,
       jwt_refresh_session_active('20000000-0000-4000-8000-000000000003') AS other_active;
SELECT family_id FROM jwt_refresh_sessions('clock') ORDER BY family_id;
SELECT jwt_authenticate(jwt_sign('{"sub": "clock", "sid": "20000000-0000-4000-8000-000000000001"}', :key), :key);
ROLLBACK;
-- neither ended session rotates
BEGIN;
SELECT pg_temp.clock_rows();
SELECT pg_sleep(0.15);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('clock-abs', :key);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('clock-idle', :key);
ROLLBACK;
-- a token of a session ended by its idle timeout is dead, and so is a
-- stale token whose successor's grace window ended during the
-- transaction: logging out everywhere with either ends its own family
-- only (as a stale copy's does)
BEGIN;
SELECT pg_temp.clock_rows();
SELECT status FROM jwt_refresh_rotate('clock-stale', :key, grace => '50 milliseconds');
SELECT pg_sleep(0.15);
SELECT jwt_refresh_revoke('clock-idle', everywhere => true) AS families;
SELECT jwt_refresh_revoke('clock-stale', everywhere => true) AS families;
SELECT jwt_refresh_session_active('20000000-0000-4000-8000-000000000003') AS other_active;
ROLLBACK;
-- and rotating the stale token again is a reuse
BEGIN;
SELECT pg_temp.clock_rows();
SELECT status FROM jwt_refresh_rotate('clock-stale', :key, grace => '50 milliseconds');
SELECT pg_sleep(0.15);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('clock-stale', :key);
ROLLBACK;

-- A grace window longer than the idle timeout: a retry of the rotated
-- token after the session went idle is told so (and gets nothing; the
-- next rotation of the newest token ends the family), and that token is
-- dead for logging out everywhere.
BEGIN;
SELECT refresh_token AS g_t0, family_id AS g_f1
  FROM jwt_refresh_login('grace', :key, idle_timeout => '100 milliseconds') \gset
SELECT family_id AS g_f2 FROM jwt_refresh_login('grace', :key) \gset
SELECT refresh_token AS g_t1 FROM jwt_refresh_rotate(:'g_t0', :key, grace => '1 hour') \gset
SELECT pg_sleep(0.2);
SAVEPOINT s;
SELECT jwt_refresh_revoke(:'g_t0', everywhere => true) AS families;
SELECT jwt_refresh_session_active(:'g_f2') AS other_active;
ROLLBACK TO s;
SELECT status, refresh_token IS NULL AS no_successor, access_token IS NULL AS no_access
  FROM jwt_refresh_rotate(:'g_t0', :key);
SELECT jwt_refresh_session_active(:'g_f1') AS active;
SELECT status FROM jwt_refresh_rotate(:'g_t1', :key);
SELECT DISTINCT revoked_reason FROM refresh_tokens WHERE family_id = :'g_f1';
ROLLBACK;

-- ... but the session's idle clock is its newest token's.  A family of
-- three written as rotations would write it (successor = base64url(
-- HMAC-SHA256(retry_key, parent token))): P used, its successor C used an
-- hour later, and C's successor G, the newest; C's grace window still
-- open.  A retry of P gets C again while G is live, however old C is; once
-- G has gone idle, or expired, or was revoked, the retry is told so (the
-- idle session is ended), and P logs out of its own family only.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION pg_temp.successor(parent text, key bytea) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(hmac(convert_to(parent, 'UTF8'), key, 'sha256'), 'base64'),
	                       E'+/\n', '-_'), '=') $$;
CREATE FUNCTION pg_temp.family(g_created interval, g_expires interval, g_revoked boolean)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, issued_at,
	                            created_at, expires_at, used_at, retry_key, retry_until, idle_timeout,
	                            revoked_at, revoked_reason)
	SELECT jwt_refresh_token_hash(tok), '30000000-0000-4000-8000-000000000001', gen,
	       CASE WHEN gen > 0 THEN jwt_refresh_token_hash(parent) END, 'idle',
	       now() - interval '2 hours', created, now() + CASE WHEN gen = 2 THEN g_expires ELSE interval '1 day' END,
	       used, key, CASE WHEN gen > 0 THEN now() + interval '1 day' END, '10 minutes',
	       CASE WHEN gen = 2 AND g_revoked THEN now() END, CASE WHEN gen = 2 AND g_revoked THEN 'logout' END
	  FROM (VALUES (0, 'idle-p', NULL, now() - interval '2 hours', now() - interval '1 hour', NULL::bytea),
	               (1, pg_temp.successor('idle-p', decode(repeat('01', 32), 'hex')), 'idle-p',
	                now() - interval '1 hour', now() - g_created, decode(repeat('01', 32), 'hex')),
	               (2, pg_temp.successor(pg_temp.successor('idle-p', decode(repeat('01', 32), 'hex')),
	                                     decode(repeat('02', 32), 'hex')),
	                pg_temp.successor('idle-p', decode(repeat('01', 32), 'hex')),
	                now() - g_created, NULL, decode(repeat('02', 32), 'hex')))
	       AS r(gen, tok, parent, created, used, key) $$;
SELECT pg_temp.successor('idle-p', decode(repeat('01', 32), 'hex')) AS i_c \gset
-- G made now: live
BEGIN;
SELECT pg_temp.family('0', '1 day', false);
SELECT jwt_refresh_session_active('30000000-0000-4000-8000-000000000001') AS active;
SELECT status, refresh_token = :'i_c' AS same_successor FROM jwt_refresh_rotate('idle-p', :key);
ROLLBACK;
-- G idle for 20 minutes: P logs out of its own family only, and its retry
-- is told the session is over
BEGIN;
SELECT pg_temp.family('20 minutes', '1 day', false);
SELECT family_id AS i_other FROM jwt_refresh_login('idle', :key) \gset
SELECT jwt_refresh_session_active('30000000-0000-4000-8000-000000000001') AS active;
SAVEPOINT s;
SELECT jwt_refresh_revoke('idle-p', everywhere => true) AS families;
ROLLBACK TO s;
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('idle-p', :key);
ROLLBACK;
-- G expired, or revoked by hand
BEGIN;
SELECT pg_temp.family('0', '-1 second', false);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('idle-p', :key);
ROLLBACK;
BEGIN;
SELECT pg_temp.family('0', '1 day', true);
SELECT status, refresh_token IS NULL AS no_successor FROM jwt_refresh_rotate('idle-p', :key);
ROLLBACK;
DROP EXTENSION pgcrypto;

-- A rotation reads the clock once: tokens that expire or go idle within
-- microseconds of the call get a status (expired, or idle_timeout with
-- the family revoked), never the guard trigger's error, which read the
-- clock again later (before, about one call in fifty near the end).
CREATE FUNCTION pg_temp.clock_edges(idle boolean) RETURNS TABLE (status text, n bigint)
LANGUAGE plpgsql AS $$
DECLARE
	tok text;
	st text;
	sts text[] := '{}';
BEGIN
	FOR d IN 0..400 BY 2 LOOP
		FOR rep IN 1..5 LOOP
			tok := format('edge-%s-%s-%s', d, rep, idle);
			INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at,
			                            created_at, issued_at, idle_timeout)
			VALUES (jwt_refresh_token_hash(tok), gen_random_uuid(), 0, 'edges',
			        CASE WHEN idle THEN now() + interval '1 day'
			             ELSE clock_timestamp() + make_interval(secs => d / 1e6) END,
			        CASE WHEN idle THEN clock_timestamp() - interval '1 minute' + make_interval(secs => d / 1e6)
			             ELSE now() END,
			        now() - interval '1 minute',
			        CASE WHEN idle THEN interval '1 minute' END);
			BEGIN
				SELECT r.status INTO st FROM jwt_refresh_rotate(tok, 'k-secret-0123456789abcdef0123456789') r;
			EXCEPTION WHEN check_violation THEN
				st := 'error ' || SQLSTATE;
			END;
			sts := sts || st;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT CASE WHEN u LIKE 'error%' THEN u ELSE 'a status' END, count(*)
		FROM unnest(sts) u GROUP BY 1 ORDER BY 1;
END $$;
BEGIN;
SELECT * FROM pg_temp.clock_edges(false);
SELECT * FROM pg_temp.clock_edges(true);
ROLLBACK;

-- An access token does not outlive its session: with a 10-minute session
-- and 15-minute access tokens, it expires with the session (in whole
-- seconds, rounded down), from the login and from a rotation.
BEGIN;
SELECT refresh_token AS s_t, access_token AS s_a, access_expires_at AS s_ae, family_id AS s_f
  FROM jwt_refresh_login('short', :key, session_lifetime => '10 minutes') \gset
SELECT date_trunc('second', session_expires_at) AS s_end
  FROM refresh_tokens WHERE family_id = :'s_f' \gset
SELECT :'s_ae'::timestamptz = :'s_end'::timestamptz AS login_capped,
       ((jwt_decode(:'s_a')).claims->>'exp')::bigint = extract(epoch FROM :'s_end'::timestamptz) AS login_exp;
SELECT access_expires_at = :'s_end'::timestamptz AS rotation_capped,
       ((jwt_decode(access_token)).claims->>'exp')::bigint = extract(epoch FROM :'s_end'::timestamptz) AS rotation_exp
  FROM jwt_refresh_rotate(:'s_t', :key);
-- a session without an end: 15 minutes
SELECT access_expires_at - date_trunc('second', statement_timestamp()) AS lifetime
  FROM jwt_refresh_login('long', :key);
ROLLBACK;

-- The owner's triggers on refresh_tokens: an AFTER trigger leaves no
-- relation open (a rotation warned "relcache reference leak"), and a
-- rotation run inside another's BEFORE trigger gives the outer one its
-- clock reading back: the outer token, live when its row was locked,
-- rotates though it expires while the trigger runs (it got the guard's
-- 23514 when the inner call had unpinned the clock).
CREATE TABLE rt_audit (op text);
CREATE FUNCTION rt_audit_trg() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
	INSERT INTO rt_audit VALUES (TG_OP);
	RETURN NULL;
END $$;
CREATE FUNCTION rt_nest_trg() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
	PERFORM jwt_refresh_rotate('no-such-token', 'k-secret-0123456789abcdef0123456789');
	PERFORM pg_sleep(1.2);
	RETURN NEW;
END $$;
CREATE TRIGGER zz_rt_audit AFTER INSERT OR UPDATE ON refresh_tokens
	FOR EACH ROW EXECUTE FUNCTION rt_audit_trg();
CREATE TRIGGER a_rt_nest BEFORE UPDATE ON refresh_tokens FOR EACH ROW
	WHEN (OLD.used_at IS NULL AND NEW.used_at IS NOT NULL AND NEW.subject = 'nest')
	EXECUTE FUNCTION rt_nest_trg();
BEGIN;
SELECT refresh_token AS a_t FROM jwt_refresh_issue('audit', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'a_t', :key);
SELECT op, count(*) FROM rt_audit GROUP BY op ORDER BY op;
ROLLBACK;
BEGIN;
SELECT refresh_token AS n_t FROM jwt_refresh_issue('nest', '1 second') \gset
SELECT status FROM jwt_refresh_rotate(:'n_t', :key);
ROLLBACK;
DROP TRIGGER zz_rt_audit ON refresh_tokens;
DROP TRIGGER a_rt_nest ON refresh_tokens;
DROP FUNCTION rt_audit_trg(), rt_nest_trg();
DROP TABLE rt_audit;

-- the trigger: session columns are fixed, a token cannot outlive its
-- session, an ended session cannot rotate by hand either
SELECT refresh_token AS e_r0, family_id AS e_family
  FROM jwt_refresh_login('eve', :key, claims => '{"role": "user"}', session_lifetime => '1 day', idle_timeout => '1 hour') \gset
UPDATE refresh_tokens SET access_claims = '{"role": "admin"}' WHERE family_id = :'e_family';
UPDATE refresh_tokens SET session_expires_at = session_expires_at + interval '1 day' WHERE family_id = :'e_family';
UPDATE refresh_tokens SET idle_timeout = NULL WHERE family_id = :'e_family';
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, session_expires_at)
VALUES (jwt_refresh_token_hash('outlives'), gen_random_uuid(), 0, 'eve', now() + interval '2 days', now() + interval '1 day');
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, idle_timeout)
VALUES (jwt_refresh_token_hash('neg-idle'), gen_random_uuid(), 0, 'eve', now() + interval '2 days', '-1 hour');
BEGIN;
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, created_at, issued_at, idle_timeout)
VALUES (jwt_refresh_token_hash('idle-by-hand'), gen_random_uuid(), 0, 'eve',
		now() + interval '1 day', now() - interval '2 hours', now() - interval '2 hours', '1 hour');
UPDATE refresh_tokens SET used_at = now() WHERE token_hash = jwt_refresh_token_hash('idle-by-hand');
ROLLBACK;
-- a successor with other claims than its parent's
BEGIN;
UPDATE refresh_tokens SET used_at = now() WHERE token_hash = jwt_refresh_token_hash(:'e_r0');
INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at, session_expires_at, idle_timeout, access_claims)
SELECT jwt_refresh_token_hash('successor-by-hand'), family_id, 1, token_hash, subject, expires_at, session_expires_at, idle_timeout,
	   '{"role": "admin"}'
  FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash(:'e_r0');
ROLLBACK;

--
-- A cap of live sessions per subject: the oldest end
--
-- (one transaction each: the oldest is the earliest login time)
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 2);
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 2);
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 2);
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 2);
SELECT count(*) AS live FROM jwt_refresh_sessions('fay');
SELECT revoked_reason, count(*) FROM refresh_tokens WHERE subject = 'fay' GROUP BY 1 ORDER BY 1;
-- the newest two stay
SELECT bool_and(revoked_at IS NULL) AS newest_live FROM (
	SELECT revoked_at FROM refresh_tokens WHERE subject = 'fay' ORDER BY issued_at DESC, created_at DESC LIMIT 2) s;
-- other subjects' sessions are not counted nor ended
SELECT count(*) AS gus_live FROM (SELECT jwt_refresh_login('gus', :key) FROM generate_series(1, 3)) s;
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 1);
SELECT count(*) AS fay_live FROM jwt_refresh_sessions('fay');
SELECT count(*) AS gus_live FROM jwt_refresh_sessions('gus');

--
-- New devices: from the subject's own sessions only
--
SELECT new_device, known_device IS NULL AS no_match FROM jwt_refresh_login('hal', :key, user_agent => 'Phone');
SELECT family_id AS h_family FROM refresh_tokens WHERE subject = 'hal' \gset
SELECT new_device, known_device = :'h_family' AS matches_first FROM jwt_refresh_login('hal', :key, user_agent => 'Phone');
SELECT new_device FROM jwt_refresh_login('hal', :key, user_agent => 'Laptop');
-- another subject on the same device is new, and sees no session of hal
SELECT new_device, known_device IS NULL AS no_match FROM jwt_refresh_login('ivy', :key, user_agent => 'Phone');
-- no user agent: no answer
SELECT new_device IS NULL AS unknown, known_device IS NULL AS no_match FROM jwt_refresh_login('hal', :key);
-- "your devices"
SELECT user_agent, count(*) FROM jwt_refresh_sessions('hal') GROUP BY 1 ORDER BY 1;

--
-- Nothing half-created: a failed or rolled-back login leaves no row
--
SELECT count(*) AS before FROM refresh_tokens \gset
SELECT jwt_refresh_login('jay', :key, algorithm => 'none');
SELECT jwt_refresh_login('jay', 'short', algorithm => 'HS256', max_sessions => 1);
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM jwt_refresh_login('jay', :key);
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM jwt_refresh_login('fay', :key, max_sessions => 1);
ROLLBACK;
SELECT count(*) - :before AS new_rows FROM refresh_tokens;
SELECT count(*) AS fay_live FROM jwt_refresh_sessions('fay');

--
-- Privileges: login is granted to nobody; an unprivileged role cannot log
-- in any subject, nor change the setting
--
CREATE ROLE regress_login_nobody;
SET ROLE regress_login_nobody;
SELECT jwt_refresh_login('alice', 'a secret of at least 32 bytes for HS256!');
SET jwt.require_session = off;
RESET ROLE;
DROP ROLE regress_login_nobody;

RESET jwt.require_session;
DROP FUNCTION stable_claims(text);
TRUNCATE refresh_tokens;
DELETE FROM jwt_keys;
DELETE FROM jwt_consumed_tokens WHERE jti = 'j1';
