--
-- The denylist in a database whose collation does not sort in byte order.
-- Its lookups scan the tables' primary keys, which are sorted in their
-- columns' collation: a scan key in "C" order missed most revoked jtis
-- and subjects there, and revoked tokens were accepted.  A column given a
-- nondeterministic collation is refused (0A000): "ALICE" would stand for
-- "alice".  ICU provides both; a server built without it skips the test
-- (denylist_collation_1.out).
--
\set VERBOSITY terse
DO $$
BEGIN
	CREATE COLLATION regress_jwt_en (provider = icu, locale = 'en-US');
	CREATE COLLATION regress_jwt_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXCEPTION WHEN feature_not_supported THEN
	NULL;						-- "ICU is not supported in this build"
END
$$;
SELECT count(*) = 2 AS has_icu FROM pg_collation
 WHERE collname IN ('regress_jwt_en', 'regress_jwt_ci') \gset
\if :has_icu
SELECT current_database() AS regress_db \gset
CREATE TEMP TABLE words (w text);
INSERT INTO words VALUES ('Zulu'), ('alpha'), ('Bravo'), ('charlie'), ('Delta'),
	('echo'), ('Foxtrot'), ('golf'), ('Hotel'), ('india'), ('_under'), ('0zero'), ('ünicode');

-- A column with a deterministic collation other than "C" (en-US sorts
-- "alpha" < "Bravo", "C" the other way round): every row is found.
BEGIN;
ALTER TABLE jwt_revoked_tokens ALTER jti TYPE text COLLATE regress_jwt_en;
ALTER TABLE jwt_revoked_subjects ALTER subject TYPE text COLLATE regress_jwt_en;
SELECT count(jwt_revoke(w, now() + interval '1 hour')) AS revoked,
       count(jwt_revoke_subject('sub-' || w, now() + interval '1 minute')) AS revoked_subjects FROM words;
SELECT count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('jti', w))) AS jti_seen,
       count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('sub', 'sub-' || w, 'iat', 1))) AS sub_seen,
       count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('jti', upper(w)))) AS other_case_seen,
       count(*) AS words
  FROM words;
ROLLBACK;

-- A nondeterministic collation: refused by every lookup and write.
BEGIN;
ALTER TABLE jwt_revoked_tokens ALTER jti TYPE text COLLATE regress_jwt_ci;
SAVEPOINT s;
SELECT jwt_is_revoked('{"jti":"x"}');
ROLLBACK TO s;
SELECT jwt_revoke('x');
ROLLBACK TO s;
ALTER TABLE jwt_revoked_tokens ALTER jti TYPE text COLLATE "C";
ALTER TABLE jwt_revoked_subjects ALTER subject TYPE text COLLATE regress_jwt_ci;
SELECT jwt_is_revoked('{"sub":"x"}');
ROLLBACK TO s;
ALTER TABLE jwt_revoked_tokens ALTER jti TYPE text COLLATE "C";
ALTER TABLE jwt_consumed_tokens ALTER jti TYPE text COLLATE regress_jwt_ci;
SELECT jwt_consume_jti('XyZ', now() + interval '1 hour');
ROLLBACK;

-- A database whose default collation is ICU en-US, as many are: jwt_revoke
-- and jwt_revoke_subject take effect, and jwt_authenticate refuses the
-- revoked tokens.
CREATE DATABASE regress_jwt_en_db TEMPLATE template0 LOCALE_PROVIDER icu
	ICU_LOCALE 'en-US' LOCALE 'C.UTF-8';
\c regress_jwt_en_db
SET client_min_messages = warning;
CREATE EXTENSION jwt;
RESET client_min_messages;
CREATE TEMP TABLE words (w text);
INSERT INTO words VALUES ('Zulu'), ('alpha'), ('Bravo'), ('charlie'), ('Delta'),
	('echo'), ('Foxtrot'), ('golf'), ('Hotel'), ('india'), ('_under'), ('0zero'), ('ünicode');
SELECT count(jwt_revoke(w, now() + interval '1 hour')) AS revoked,
       count(jwt_revoke_subject('sub-' || w, now() + interval '1 minute')) AS revoked_subjects FROM words;
SELECT count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('jti', w))) AS jti_seen,
       count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('sub', 'sub-' || w, 'iat', 1))) AS sub_seen,
       count(*) AS words
  FROM words;
\set key '''a secret of at least 32 bytes for HS256!'''
SELECT count(*) FILTER (WHERE r.reason = 'revoked') AS refused, count(*) AS tokens
  FROM words,
       LATERAL (SELECT jwt_sign(jsonb_build_object('sub', 'u', 'jti', w), :key) AS t) s,
       LATERAL (SELECT CASE WHEN jwt_is_revoked(jwt_verify(t, :key, algorithms => '{HS256}'))
                            THEN 'revoked' ELSE 'accepted' END AS reason) r;
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"u","jti":"Zulu"}', :key), :key, algorithms => '{HS256}')->>'jti' AS jti;
ROLLBACK;
\c :regress_db
DROP DATABASE regress_jwt_en_db;
DROP COLLATION regress_jwt_en;
DROP COLLATION regress_jwt_ci;
\else
SELECT 'skipped: no ICU' AS denylist_collation;
\endif
