--
-- Single-use tokens (jwt_consume) and the denylist (jwt_revoke,
-- jwt_revoke_subject, jwt_is_revoked), purging, and who may do what.
--
\set VERBOSITY terse
\set key 'a secret for the single-use tests, 32+'
SELECT jwt_sign('{"sub":"alice","jti":"once-1","purpose":"reset"}', :'key', expires_in => '1 hour') AS once1,
       jwt_sign('{"sub":"alice","jti":"once-2"}', :'key', expires_in => '1 hour') AS once2,
       jwt_sign('{"sub":"alice"}', :'key', expires_in => '1 hour') AS no_jti,
       jwt_sign('{"sub":"alice","jti":"forever"}', :'key') AS no_exp,
       jwt_sign('{"sub":"alice","jti":"old"}', :'key', expires_in => '-1 second') AS expired \gset

-- Single use: the first presentation returns the claims, the second fails.
SELECT jwt_consume(:'once1', :'key')->>'purpose' AS first;
SELECT jwt_consume(:'once1', :'key');
\echo :LAST_ERROR_SQLSTATE
-- A consumption rolled back did not happen.
BEGIN;
SELECT jwt_consume(:'once2', :'key')->>'jti' AS consumed_then_rolled_back;
ROLLBACK;
SELECT jwt_consume(:'once2', :'key')->>'jti' AS consumed;
-- The id is kept until the token's exp (plus the leeway it was verified with).
SELECT jti, expires_at = to_timestamp(((jwt_decode(:'once1')).claims->>'exp')::float8) AS until_exp
  FROM jwt_consumed_tokens WHERE jti = 'once-1';
SELECT jwt_sign('{"jti":"once-3"}', :'key', expires_in => '1 hour') AS once3 \gset
SELECT jwt_consume(:'once3', :'key', leeway => '30 seconds') IS NOT NULL AS consumed;
SELECT expires_at - to_timestamp(((jwt_decode(:'once3')).claims->>'exp')::float8) AS kept_beyond_exp
  FROM jwt_consumed_tokens WHERE jti = 'once-3';
-- A single-use token needs jti (a string) and exp; expired ones fail as such.
\set VERBOSITY default
SELECT jwt_consume(:'no_jti', :'key');
SELECT jwt_consume(:'no_exp', :'key');
\set VERBOSITY terse
SELECT jwt_consume(:'expired', :'key');
\echo :LAST_ERROR_SQLSTATE
-- The usual checks apply.
SELECT jwt_consume(jwt_sign('{"jti":"t","aud":"mail"}', :'key', expires_in => '1 hour'), :'key');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_consume(jwt_sign('{"jti":"t","aud":"mail"}', :'key', expires_in => '1 hour'), :'key',
                   audience => 'mail', typ => NULL)->>'jti' AS with_audience;
SELECT jwt_consume(jwt_sign('{"jti":"typed"}', :'key', header => '{"typ":"reset+jwt"}', expires_in => '1 hour'),
                   :'key', typ => 'at+jwt');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS consumed_rows FROM jwt_consumed_tokens;

-- With the registry.
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
SELECT jwt_registry_sign('{"jti":"reg-1"}', expires_in => '10 minutes') AS reg1 \gset
SELECT jwt_registry_consume(:'reg1')->>'jti' AS registry_first;
SELECT jwt_registry_consume(:'reg1');
\echo :LAST_ERROR_SQLSTATE

-- Purging: rows whose expires_at passed more than jwt.max_leeway ago go,
-- in one call.
UPDATE jwt_consumed_tokens SET expires_at = now() - current_setting('jwt.max_leeway')::interval - interval '1 second'
 WHERE jti IN ('once-1', 'once-2');
SELECT jwt_purge_expired() AS purged, jwt_purge_expired() AS purged_again;
SELECT string_agg(jti, ', ' ORDER BY jti) AS remaining FROM jwt_consumed_tokens;

-- An exp past the end of timestamptz (about 9.2e12 s ends both it and the
-- int64 microseconds) is consumable like any token jwt_validate accepts:
-- its jti is kept until 'infinity', never purged.  (A leeway of an hour
-- needs jwt.max_leeway raised.)
SET jwt.max_leeway = '1h';
SELECT e, (jwt_validate(jwt_sign(format('{"jti":"far-%s","exp":%s}', e, e)::jsonb, :'key'), :'key')).valid AS valid,
       jwt_consume(jwt_sign(format('{"jti":"far-%s","exp":%s}', e, e)::jsonb, :'key'), :'key', leeway => '1 hour')->>'jti' AS consumed
  FROM (VALUES ('9000000000000'), ('9224000000000'), ('9224318500000'), ('9300000000000'), ('1e13'), ('1e300')) v(e);
SELECT jti, expires_at FROM jwt_consumed_tokens WHERE jti LIKE 'far-%' ORDER BY expires_at, jti;
SELECT jwt_purge_expired() AS purged_none;
RESET jwt.max_leeway;
DELETE FROM jwt_consumed_tokens WHERE jti LIKE 'far-%';

-- The denylist, by jti.
SELECT jwt_sign('{"sub":"bob","jti":"acc-1"}', :'key', expires_in => '15 minutes') AS acc1,
       jwt_sign('{"sub":"bob","jti":"acc-2"}', :'key', expires_in => '15 minutes') AS acc2 \gset
SELECT jwt_is_revoked(jwt_verify(:'acc1', :'key')) AS before_revoke;
SELECT jwt_revoke('acc-1', to_timestamp(((jwt_decode(:'acc1')).claims->>'exp')::float8), 'stolen') AS revoked,
       jwt_revoke('acc-1') AS again;
SELECT jti, expires_at IS NULL AS kept_until_deleted, reason FROM jwt_revoked_tokens;
SELECT jwt_is_revoked(jwt_verify(:'acc1', :'key')) AS acc1_revoked,
       jwt_is_revoked(jwt_verify(:'acc2', :'key')) AS acc2_revoked;
-- jwt_verify itself does not look (it is a pure check); authenticate does,
-- unless told not to.
SELECT jwt_verify(:'acc1', :'key')->>'jti' AS verify_does_not_look;
\set VERBOSITY default
BEGIN;
SELECT jwt_authenticate(:'acc1', :'key');
ROLLBACK;
\set VERBOSITY terse
BEGIN;
SELECT jwt_authenticate(:'acc1', :'key', check_revoked => false)->>'jti' AS when_told_not_to;
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'acc2', :'key')->>'jti' AS other_token;
ROLLBACK;
-- A revoked single-use token cannot be consumed either.
SELECT jwt_sign('{"sub":"bob","jti":"once-r"}', :'key', expires_in => '1 hour') AS oncer \gset
SELECT jwt_revoke('once-r') AS revoked;
SELECT jwt_consume(:'oncer', :'key');
\echo :LAST_ERROR_SQLSTATE

-- The denylist, by subject: every token issued before a time.
SELECT jwt_sign('{"sub":"carol","iat":1700000000}', :'key', expires_in => '1 hour') AS c_old,
       jwt_sign('{"sub":"carol","iat":1700000100}', :'key', expires_in => '1 hour') AS c_same_second,
       jwt_sign('{"sub":"carol","iat":1700000101}', :'key', expires_in => '1 hour') AS c_new,
       jwt_sign('{"sub":"dave","iat":1700000000}', :'key', expires_in => '1 hour') AS d_old \gset
SELECT jwt_revoke_subject('carol', to_timestamp(1700000100.5), reason => 'fired') AS revoked;
SELECT jwt_is_revoked(jwt_verify(:'c_old', :'key')) AS old,
       jwt_is_revoked(jwt_verify(:'c_same_second', :'key')) AS same_second,
       jwt_is_revoked(jwt_verify(:'c_new', :'key')) AS issued_after,
       jwt_is_revoked('{"sub":"carol"}') AS without_iat,
       jwt_is_revoked(jwt_verify(:'d_old', :'key')) AS other_subject;
-- Revoking again moves the time forward, never back.
SELECT jwt_revoke_subject('carol', to_timestamp(1600000000)) AS new_entry;
SELECT subject, issued_before = to_timestamp(1700000100.5) AS unchanged, reason FROM jwt_revoked_subjects;
SELECT jwt_revoke_subject('carol', to_timestamp(1700000200), expires_at => now() + interval '1 day') AS new_entry;
SELECT jwt_is_revoked(jwt_verify(:'c_new', :'key')) AS now_revoked,
       (SELECT expires_at IS NULL FROM jwt_revoked_subjects) AS kept_until_deleted;
-- A whole-second issued_before (1700000200): a token whose iat is that
-- second was issued at it or after it.
SELECT jwt_is_revoked('{"sub":"carol","iat":1700000199}') AS second_before,
       jwt_is_revoked('{"sub":"carol","iat":1700000200}') AS that_second;
BEGIN;
SELECT jwt_authenticate(:'c_new', :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_revoke(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_revoke_subject(NULL);
\echo :LAST_ERROR_SQLSTATE

-- Purging the denylist: entries whose expires_at passed more than
-- jwt.max_leeway ago.
SELECT jwt_revoke('short-lived', now() - interval '6 minutes') AS revoked;
SELECT jwt_revoke_subject('erin', expires_at => now() - interval '6 minutes') AS revoked;
SELECT jwt_purge_expired() AS purged;
SELECT (SELECT string_agg(jti, ', ' ORDER BY jti) FROM jwt_revoked_tokens) AS tokens,
       (SELECT string_agg(subject, ', ' ORDER BY subject) FROM jwt_revoked_subjects) AS subjects;

-- Leeway cannot bring a purged token back.  A token that expired 30
-- seconds ago, consumed while it was valid (its id kept until its exp),
-- and another revoked until its exp: both entries stay through a purge
-- while a leeway of jwt.max_leeway (default 5 minutes) could still accept
-- the tokens, and a larger leeway is refused.
SHOW jwt.max_leeway;
SELECT extract(epoch FROM now())::bigint - 30 AS late_exp \gset
SELECT jwt_sign(format('{"sub":"frank","jti":"late-1","exp":%s}', :late_exp)::jsonb, :'key') AS late1,
       jwt_sign(format('{"sub":"frank","jti":"late-2","exp":%s}', :late_exp)::jsonb, :'key') AS late2 \gset
INSERT INTO jwt_consumed_tokens (jti, expires_at) VALUES ('late-1', to_timestamp(:late_exp));
SELECT jwt_revoke('late-2', to_timestamp(:late_exp)) AS revoked;
SELECT jwt_purge_expired() AS purged_none;
SELECT jwt_consume(:'late1', :'key', leeway => '1 minute');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT jwt_authenticate(:'late2', :'key', leeway => '1 minute');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_consume(:'late1', :'key', leeway => '5 minutes 1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_consume(:'late1', leeway => '1 day');
\echo :LAST_ERROR_SQLSTATE
-- With a smaller jwt.max_leeway the entries go sooner, and the leeway
-- that would have accepted the tokens is refused.
SET jwt.max_leeway = '10s';
SELECT jwt_purge_expired() AS purged_late;
SELECT jwt_consume(:'late1', :'key', leeway => '1 minute');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT jwt_authenticate(:'late2', :'key', leeway => '1 minute');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_consume(:'late1', :'key', leeway => '10 seconds');
\echo :LAST_ERROR_SQLSTATE
RESET jwt.max_leeway;

-- A denylist table whose owner changed a column's type: refused (55000),
-- where the lookups read issued_before as a timestamptz and the key as
-- text whatever their types.
BEGIN;
ALTER TABLE jwt_revoked_subjects ALTER issued_before TYPE date;
SELECT jwt_is_revoked('{"sub":"x","iat":1}');
ROLLBACK;
BEGIN;
ALTER TABLE jwt_revoked_tokens ALTER jti TYPE varchar;
SELECT jwt_is_revoked('{"jti":"x"}');
ROLLBACK;
SELECT jwt_is_revoked('{"sub":"x","jti":"x","iat":1}') AS as_created;
-- Privileges: PUBLIC may check the denylist and consume registry tokens;
-- revoking, purging and consuming with a caller's own key must be granted.
CREATE ROLE regress_revoke_app;
SET SESSION AUTHORIZATION regress_revoke_app;
SELECT jwt_is_revoked(jwt_verify(:'acc1', :'key')) AS public_can_check;
SELECT jwt_revoke('x');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_revoke_subject('x');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_purge_expired();
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_consume(:'once1', :'key');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_consume_jti('x', now());
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM jwt_consumed_tokens;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM jwt_revoked_tokens;
\echo :LAST_ERROR_SQLSTATE
SET jwt.max_leeway = '1d';
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT jwt_registry_sign('{"jti":"for-app"}', expires_in => '1 minute') AS for_app \gset
SET SESSION AUTHORIZATION regress_revoke_app;
SELECT jwt_registry_consume(:'for_app')->>'jti' AS public_consumes_registry_token;
SELECT jwt_registry_consume(:'for_app');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DROP ROLE regress_revoke_app;

DELETE FROM jwt_consumed_tokens;
DELETE FROM jwt_revoked_tokens;
DELETE FROM jwt_revoked_subjects;
DELETE FROM jwt_keys;
