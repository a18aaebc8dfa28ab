--
-- Refresh token sessions: logout everywhere, interval arguments out of
-- range, and look-alikes planted in the extension's schema.
--
-- Tokens are random: the output shows statuses, counts and booleans.
--
\set VERBOSITY terse
\set key '''a secret of at least 32 bytes for HS256!'''

-- Logout everywhere needs a live token.  Each case logs in three sessions
-- of one subject and presents a token of the first one.
CREATE FUNCTION sessions_of(s text) RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM jwt_refresh_sessions(s) $$;

-- a live token ends every session
SELECT refresh_token AS l1 FROM jwt_refresh_issue('lee', '1 day') \gset
SELECT count(*) FROM (SELECT jwt_refresh_issue('lee', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'l1', everywhere => true) AS families, sessions_of('lee') AS left;
SELECT DISTINCT revoked_reason FROM refresh_tokens WHERE subject = 'lee';

-- a revoked token ends nothing more, however often it is presented
SELECT refresh_token AS m1 FROM jwt_refresh_issue('max', '1 day') \gset
SELECT jwt_refresh_revoke(:'m1') AS logout;
SELECT count(*) FROM (SELECT jwt_refresh_issue('max', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'m1', everywhere => true) AS families,
       jwt_refresh_revoke(:'m1', everywhere => true) AS again, sessions_of('max') AS left;

-- a used token outside its grace window ends only its own family, as a
-- plain logout
SELECT refresh_token AS n1 FROM jwt_refresh_issue('ned', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'n1', :key, grace => '0');
SELECT count(*) FROM (SELECT jwt_refresh_issue('ned', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'n1', everywhere => true) AS families, sessions_of('ned') AS left;
SELECT revoked_reason, count(*) FROM refresh_tokens WHERE subject = 'ned' GROUP BY 1 ORDER BY 1;

-- an expired token: the same
SELECT refresh_token AS o1 FROM jwt_refresh_issue('ola', '1 day') \gset
UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
 WHERE token_hash = jwt_refresh_token_hash(:'o1');
SELECT count(*) FROM (SELECT jwt_refresh_issue('ola', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'o1', everywhere => true) AS families, sessions_of('ola') AS left;
SELECT revoked_reason, count(*) FROM refresh_tokens WHERE subject = 'ola' GROUP BY 1 ORDER BY 1;

-- a used token within its grace window is as good as its successor, which
-- a retry would get: it ends every session (a client that lost the
-- response of its last refresh can still log out everywhere)
SELECT refresh_token AS p1 FROM jwt_refresh_issue('pia', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'p1', :key, grace => '1 hour');
SELECT count(*) FROM (SELECT jwt_refresh_issue('pia', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'p1', everywhere => true) AS families, sessions_of('pia') AS left;
-- once the window has closed (the same family, rotated with a window
-- that is over for this transaction): only its own family
SELECT refresh_token AS q1 FROM jwt_refresh_issue('quinn', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'q1', :key, grace => '1 hour');
UPDATE refresh_tokens SET retry_until = now() - interval '1 second'
 WHERE subject = 'quinn' AND generation = 1;
SELECT count(*) FROM (SELECT jwt_refresh_issue('quinn', '1 day') FROM generate_series(1, 2)) s;
SELECT jwt_refresh_revoke(:'q1', everywhere => true) AS families, sessions_of('quinn') AS left;
-- without "everywhere", any token logs out its own family, as before
SELECT refresh_token AS r1 FROM jwt_refresh_issue('rae', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'r1', :key, grace => '0');
SELECT jwt_refresh_revoke(:'r1') AS families;
SELECT DISTINCT revoked_reason FROM refresh_tokens WHERE subject = 'rae';
-- unknown and NULL tokens end nothing
SELECT jwt_refresh_revoke('no-such-token', everywhere => true) AS unknown,
       jwt_refresh_revoke(NULL, everywhere => true) AS null_token;

-- Interval arguments whose sum with now() leaves the timestamp range are
-- refused before use (22008, naming the argument), not by the date
-- arithmetic halfway through; the token stays live.
SELECT refresh_token AS big FROM jwt_refresh_issue('vic', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'big', :key, access_expires_in => '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'big', :key, refresh_expires_in => '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'big', :key, grace => '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'big', :key, grace => '2147483647 days');
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM jwt_refresh_rotate(:'big', :key, grace => '9223372036854775807 microseconds');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_issue('vic', '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_refresh_purge(reuse_horizon => '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_refresh_purge(retain => '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT used_at IS NULL AND revoked_at IS NULL AS still_live FROM refresh_tokens
 WHERE token_hash = jwt_refresh_token_hash(:'big');
-- long but representable lifetimes still work
SELECT status, access_expires_at > now() + interval '999 years' AS access_1000_years,
       refresh_expires_at > now() + interval '9999 years' AS refresh_10000_years
  FROM jwt_refresh_rotate(:'big', :key, access_expires_in => '1000 years',
                          refresh_expires_in => '10000 years', grace => '10000 years');
SELECT expires_at > now() + interval '199999 years' AS issued_200000_years
  FROM jwt_refresh_issue('vic', '200000 years');
SELECT jwt_refresh_purge(reuse_horizon => '4000 years', retain => '4000 years') >= 0 AS purged;

-- Look-alikes: a role that may CREATE in the extension's schema plants
-- functions named like the ones the session functions used to call, each
-- a better or an equally good match for those calls.  The session
-- functions, run by a superuser, must neither call them nor fail.
TRUNCATE refresh_tokens;
SELECT refresh_token AS s1, family_id AS s1_family FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT refresh_token AS s2 FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT refresh_token AS s3, family_id AS s3_family FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT refresh_token AS s4 FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT refresh_token AS s5 FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT status FROM jwt_refresh_rotate(:'s1', :key, grace => '0');
CREATE TABLE planted_calls (fn text);
GRANT INSERT ON planted_calls TO PUBLIC;
CREATE ROLE regress_refresh_planter;
GRANT CREATE ON SCHEMA public TO regress_refresh_planter;
SET SESSION AUTHORIZATION regress_refresh_planter;
CREATE FUNCTION public.jwt_refresh_token_hash(token text, n integer DEFAULT 0) RETURNS bytea
LANGUAGE sql AS $$ INSERT INTO planted_calls VALUES ('token_hash ' || token) RETURNING NULL::bytea $$;
CREATE FUNCTION public.jwt_refresh_new_token(n integer DEFAULT 0) RETURNS text
LANGUAGE sql AS $$ INSERT INTO planted_calls VALUES ('new_token') RETURNING 'planted' $$;
CREATE FUNCTION public.jwt_refresh_revoke_families(families uuid[], reason text, n integer DEFAULT 0) RETURNS integer
LANGUAGE sql AS $$ INSERT INTO planted_calls VALUES ('revoke_families') RETURNING 0 $$;
CREATE FUNCTION public.jwt_stats_bump(event text) RETURNS boolean
LANGUAGE sql AS $$ INSERT INTO planted_calls VALUES ('stats_bump') RETURNING true $$;
RESET SESSION AUTHORIZATION;
-- login
SELECT length(refresh_token) AS len, expires_at > now() AS expires_later
  FROM jwt_refresh_issue('sam', '1 day');
SELECT jwt_refresh_session_active(:'s1_family') AS s1_active, sessions_of('sam') AS sessions;
-- reuse: the family is revoked
SELECT status FROM jwt_refresh_rotate(:'s1', :key);
SELECT jwt_refresh_session_active(:'s1_family') AS s1_active;
-- logout, by token, family, everywhere and subject
SELECT jwt_refresh_revoke(:'s2') AS logout;
SELECT jwt_refresh_revoke_family(:'s3_family') AS by_family;
SELECT jwt_refresh_revoke(:'s4', everywhere => true) AS everywhere;
SELECT refresh_token AS s6 FROM jwt_refresh_issue('sam', '1 day') \gset
SELECT jwt_refresh_revoke_subject('sam') AS by_subject, sessions_of('sam') AS left;
SELECT revoked_reason, count(*) FROM refresh_tokens GROUP BY 1 ORDER BY 1;
SELECT jwt_refresh_purge('0', '0') AS purged;
SELECT count(*) AS planted_calls FROM planted_calls;
DROP FUNCTION public.jwt_refresh_token_hash(text, integer), public.jwt_refresh_new_token(integer),
    public.jwt_refresh_revoke_families(uuid[], text, integer), public.jwt_stats_bump(text);
REVOKE CREATE ON SCHEMA public FROM regress_refresh_planter;
DROP ROLE regress_refresh_planter;
DROP TABLE planted_calls;
DROP FUNCTION sessions_of(text);
TRUNCATE refresh_tokens;
