--
-- Operability: counters, key health and the failure log.
--
-- The expected output (stats.out) is that of a server WITHOUT jwt in
-- shared_preload_libraries, where the views say that counting is off;
-- stats_1.out is that of a preloaded server (test/t/002_stats.pl checks the
-- counters in depth there).
--
\set VERBOSITY terse

-- Reset first: refused (55000) when nothing is counted.
SELECT jwt_stats_reset();
\echo :LAST_ERROR_SQLSTATE

SELECT jwt_verify(jwt_sign('{"sub":"alice"}', repeat('k', 32), header => '{"kid":"k1"}'),
                  repeat('k', 32))->>'sub' AS sub;
SELECT (jwt_validate(jwt_sign('{"exp":1}', repeat('k', 32)), repeat('k', 32))).reason;
SELECT (jwt_validate('not.a.token', repeat('k', 32))).reason;

-- The counters: one "counting_off" row when not preloaded.
SELECT * FROM jwt_stats ORDER BY kind, algorithm, outcome;
SELECT counting, stats_reset IS NOT NULL AS has_reset, kids_tracked, kids_capacity
  FROM jwt_stats_info;
SELECT kid, last_signed IS NOT NULL AS signed, last_verified IS NOT NULL AS verified
  FROM jwt_key_usage();

-- Events of other features: true when counted, false when counting is off.
SELECT jwt_stats_bump('refresh_rotation') AS counted;
SELECT jwt_stats_bump('consumption', 'ES256') AS counted;
SELECT jwt_stats_bump(NULL) IS NULL AS null_event;
SELECT jwt_stats_bump('verify');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_stats_bump('no_such_event');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_stats_bump('revocation', 'HS999');
\echo :LAST_ERROR_SQLSTATE

-- Key health over the registry.
SELECT jwt_registry_rotate('HS256', retire_after => '1 hour') IS NOT NULL AS rotated;
SELECT jwt_registry_rotate('HS256', retire_after => '1 hour') IS NOT NULL AS rotated;
SELECT jwt_registry_verify(jwt_registry_sign('{"sub":"bob"}'))->>'sub' AS sub;
-- the verify-only key's planned retirement has passed
UPDATE jwt_keys SET retire_after = now() - interval '1 minute' WHERE status = 'verify_only';
SELECT algorithm, status, age >= interval '0' AS has_age, retire_after IS NOT NULL AS retires,
       last_signed IS NOT NULL AS signed, last_verified IS NOT NULL AS verified, warning, note
  FROM jwt_key_health ORDER BY status, kid;
DELETE FROM jwt_keys;

-- Privileges: reading is for pg_monitor; reset and bump for the owner.
CREATE ROLE regress_jwt_stats_user;
CREATE ROLE regress_jwt_stats_monitor IN ROLE pg_monitor;
SET SESSION AUTHORIZATION regress_jwt_stats_user;
SELECT count(*) FROM jwt_stats;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM jwt_key_health;
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_stats_bump('revocation');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_stats_reset();
\echo :LAST_ERROR_SQLSTATE
SET jwt.log_failures = log;
\echo :LAST_ERROR_SQLSTATE
SET SESSION AUTHORIZATION regress_jwt_stats_monitor;
SELECT count(*) > 0 AS readable FROM jwt_stats;
SELECT count(*) >= 0 AS readable FROM jwt_stats_info;
SELECT count(*) AS keys FROM jwt_key_health;
SELECT jwt_stats_reset();
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DROP ROLE regress_jwt_stats_user;
DROP ROLE regress_jwt_stats_monitor;

-- The failure log: off by default; at WARNING the client sees the line
-- too.  Values are quoted, escaped and clipped; the token never appears.
SHOW jwt.log_failures;
SET jwt.log_failures = fatal;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SET jwt.log_failures = warning;
SELECT (jwt_validate(jwt_sign(jsonb_build_object('iss', 'https://id.example', 'sub', E'a"b\nc',
                                                 'exp', 1), repeat('k', 32),
                              header => '{"kid":"2024-01"}'),
                     repeat('k', 32), at => '2024-01-01')).reason;
-- a forged token: iss and sub are read from the unverified payload
SELECT (jwt_validate(jwt_sign(jsonb_build_object('sub', repeat('x', 100)), repeat('z', 32)),
                     repeat('k', 32))).reason;
SELECT (jwt_validate('e30.e30.', repeat('k', 32))).reason;
-- rejected before the signature: iss and sub still come from the payload
SELECT (jwt_validate(jwt_sign('{"iss":"i1","sub":"s1"}', repeat('k', 48), 'HS384'),
                     repeat('k', 48), algorithms => '{HS256}')).reason;
-- rejected after the signature, before the claims (typ)
SELECT (jwt_validate(jwt_sign('{"iss":"i2","sub":"s2"}', repeat('k', 32)),
                     repeat('k', 32), typ => 'at+jwt')).reason;
-- forged payloads: a claim of the wrong type, iss and sub that are not
-- strings, a payload that is not JSON
SELECT (jwt_validate('eyJhbGciOiJIUzI1NiJ9.' ||
                     rtrim(translate(encode(convert_to(p, 'UTF8'), 'base64'), '+/', '-_'), '=') ||
                     '.c2ln', repeat('k', 32))).reason
  FROM unnest(ARRAY['{"sub":"s3","exp":"soon"}', '{"iss":1,"sub":["s4"]}', 'not json']) AS p;
SELECT jwt_verify(jwt_sign('{"aud":"api"}', repeat('k', 32), 'HS256'), repeat('k', 32),
                  audience => 'web');
\set VERBOSITY terse
RESET jwt.log_failures;
