--
-- Key registry: edge cases of its functions (NULL arguments, messages,
-- the JWK Sets it builds, kids it derives), which its C functions answer
-- as the SQL and PL/pgSQL ones of 0.1.1 did.
--
\set VERBOSITY terse
DELETE FROM jwt_keys;

-- NULL arguments
SELECT jwt_registry_sign(NULL) IS NULL AS sign_null,
       jwt_registry_verify(NULL) IS NULL AS verify_null,
       jwt_registry_rotate(NULL) IS NULL AS rotate_null,
       jwt_registry_retire(NULL) IS NULL AS retire_null;
SELECT * FROM jwt_registry_validate(NULL);
SELECT jwt_registry_add(NULL, 'HS256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_add('a secret of the edge test, 32 bytes or more', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_add('a secret of the edge test, 32 bytes or more', 'HS256', status => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_add('a secret of the edge test, 32 bytes or more', 'XS256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate('none');
\echo :LAST_ERROR_SQLSTATE

-- An empty registry
SELECT jwt_registry_keyset() AS keyset, jwt_jwks() AS jwks,
       jwt_registry_keyset_definer() = jwt_registry_keyset() AS same;
-- jwt_registry_validate rejects the token (unknown_key) without raising;
-- jwt_registry_verify raises the 55000 of jwt_registry_authenticate and
-- jwt_registry_consume (not the "JWK Set has no signature key" of a JWK
-- Set the caller never passed).
SELECT * FROM jwt_registry_validate('e30.e30.') AS empty_registry;
SELECT * FROM jwt_registry_validate(NULL) AS null_token;
SELECT jwt_registry_verify('e30.e30.');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_authenticate('e30.e30.');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_consume('e30.e30.');
\echo :LAST_ERROR_SQLSTATE

-- Messages and hints
\set VERBOSITY default
SELECT jwt_registry_sign('{}');
SELECT jwt_registry_sign('{}', 'it''s');
SELECT jwt_registry_rotate('HS256') IS NOT NULL AS hs, jwt_registry_rotate('ES256') IS NOT NULL AS es;
SELECT jwt_registry_sign('{}');
SELECT jwt_registry_add(jwt_public_jwk(jwt_generate_key('ES256'))::text, 'ES256');
\set VERBOSITY terse

-- The kid of a secret is the RFC 7638 thumbprint of its "oct" JWK; the
-- JWK holds the secret's UTF-8 bytes in base64url.
DELETE FROM jwt_keys;
SELECT jwt_registry_add(E'\u00e9 a secret of the edge test, 64 bytes or more for HS512, or more still', 'HS512'::text || '') AS k \gset
SELECT kid = :'k' AS kid_returned,
       verification_key = jsonb_build_object('kty', 'oct', 'k',
           rtrim(translate(encode(convert_to(E'\u00e9 a secret of the edge test, 64 bytes or more for HS512, or more still', 'UTF8'), 'base64'), E'+/\n', '-_'), '=')) AS oct_jwk,
       kid = rtrim(translate(encode(sha256(convert_to(format('{"k":"%s","kty":"oct"}', verification_key->>'k'), 'UTF8')), 'base64'), E'+/\n', '-_'), '=') AS thumbprint,
       signing_key = E'\u00e9 a secret of the edge test, 64 bytes or more for HS512, or more still' AS secret_kept
  FROM jwt_keys;
SELECT jwt_registry_add('{"kty":"oct","k":"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk","kid":"from-jwk","alg":"HS256"}', 'HS256') AS jwk_kid;
SELECT kid, verification_key ? 'kid' AS has_kid, verification_key ? 'alg' AS has_alg FROM jwt_keys WHERE kid = 'from-jwk';

-- The JWK Sets: keyset in kid order with every key not retired; JWKS
-- newest first, public keys only, with "use"; a kid or alg left in a
-- verification key by hand is overridden by the row's.
DELETE FROM jwt_keys;
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status, created_at)
SELECT v.kid, 'EdDSA', NULL, jwt_public_jwk(jwt_generate_key('EdDSA')) || '{"kid":"wrong","alg":"ES256"}', 'verify_only', v.t
  FROM (VALUES ('b', timestamptz '2026-01-02'), ('a', '2026-01-01'), ('c', '2026-01-03')) v(kid, t);
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status, retired_at)
SELECT 'r', 'EdDSA', NULL, jwt_public_jwk(jwt_generate_key('EdDSA')), 'retired', now();
SELECT jwt_registry_add('a secret of the edge test, 32 bytes or more', 'HS256', 'h') AS hs;
SELECT array_agg(k->>'kid' ORDER BY n) AS keyset_kids, bool_and(k->>'alg' IN ('EdDSA', 'HS256')) AS algs_bound
  FROM jsonb_array_elements(jwt_registry_keyset()->'keys') WITH ORDINALITY AS e(k, n);
SELECT array_agg(k->>'kid' ORDER BY n) AS jwks_kids, bool_and(k->>'use' = 'sig') AS use_sig
  FROM jsonb_array_elements(jwt_jwks()->'keys') WITH ORDINALITY AS e(k, n);
SELECT jwt_registry_keyset_definer() = jwt_registry_keyset() AS same;

-- jwt_registry_keyset() runs as the caller: EXECUTE is not enough, it
-- needs SELECT on jwt_keys too (jwt_registry_keyset_definer does not).
CREATE ROLE regress_jwt_keyset;
GRANT USAGE ON SCHEMA public TO regress_jwt_keyset;
GRANT EXECUTE ON FUNCTION jwt_registry_keyset() TO regress_jwt_keyset;
SET ROLE regress_jwt_keyset;
SELECT jwt_registry_keyset() IS NOT NULL AS read;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT ON jwt_keys TO regress_jwt_keyset;
SET ROLE regress_jwt_keyset;
SELECT jsonb_array_length(jwt_registry_keyset()->'keys') AS keys_read;
RESET ROLE;
REVOKE ALL ON jwt_keys FROM regress_jwt_keyset;
REVOKE ALL ON FUNCTION jwt_registry_keyset() FROM regress_jwt_keyset;
REVOKE USAGE ON SCHEMA public FROM regress_jwt_keyset;
DROP ROLE regress_jwt_keyset;

-- retire_after of a demoted key: now() + the interval (NULL: never due)
DELETE FROM jwt_keys;
SELECT jwt_registry_rotate('ES256', '3 days') IS NOT NULL AS first;
-- a NULL or negative retire_after is refused, one that would take now()
-- past the end of timestamptz too (before any work); a NULL algorithm
-- gives NULL
SELECT jwt_registry_rotate('ES256', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate('ES256', '-1 second');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate('ES256', '100000000 years');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_add(k::text, 'ES256', retire_after => '-1 day') FROM jwt_generate_key('ES256') k;
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate(NULL, '1 day') IS NULL AS null_algorithm;
SELECT count(*) AS keys_unchanged FROM jwt_keys;
SELECT jwt_registry_add(k::text, 'ES256', retire_after => NULL) IS NOT NULL AS added FROM jwt_generate_key('ES256') k;
SELECT status, retire_after IS NULL AS no_retire_after FROM jwt_keys ORDER BY created_at, status;

-- In SERIALIZABLE and REPEATABLE READ transactions, a rotation is used at
-- once by the same transaction.
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT jwt_registry_rotate('ES256') AS ser_kid \gset
SELECT (jwt_decode(jwt_registry_sign('{}', 'ES256'))).header->>'kid' = :'ser_kid' AS serializable_new_kid,
       (jwt_registry_validate(jwt_registry_sign('{}', 'ES256'))).valid AS serializable_valid;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT jwt_registry_rotate('ES256') AS rr_kid \gset
SELECT (jwt_decode(jwt_registry_sign('{}', 'ES256'))).header->>'kid' = :'rr_kid' AS repeatable_read_new_kid,
       (jwt_registry_validate(jwt_registry_sign('{}', 'ES256'))).valid AS repeatable_read_valid;
COMMIT;

-- In a parallel worker the registry is read with the worker's snapshot.
SELECT jwt_registry_sign('{"sub":"par"}', 'ES256') AS par_tok \gset
CREATE TABLE par_tokens AS SELECT :'par_tok'::text AS t FROM generate_series(1, 10);
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- debug_parallel_query, named force_parallel_mode before PostgreSQL 16
SELECT set_config(name, 'on', false) AS forced FROM pg_settings
WHERE name IN ('debug_parallel_query', 'force_parallel_mode');
SELECT count(*) FILTER (WHERE (jwt_registry_validate(t)).valid) AS valid_in_workers,
       count(*) FILTER (WHERE jwt_registry_verify(t)->>'sub' = 'par') AS verified_in_workers
  FROM par_tokens;
SELECT set_config(name, 'off', false) AS unforced FROM pg_settings
WHERE name IN ('debug_parallel_query', 'force_parallel_mode');
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE par_tokens;
DELETE FROM jwt_keys;

-- The cached keys keep their key set parsed (jwt_key_get_owned): that
-- parsed set must follow a change rolled back to a savepoint, survive
-- other keys churning the key cache within one statement; jwt.max_key_size
-- bounds key arguments, not the registry's own set, so lowering it does not
-- stop the registry from verifying (the set passed as an argument is
-- refused).
SELECT jwt_registry_add('memo-secret-one-0123456789abcdefghijklmnopqrstuvwxyz', 'HS256', 'memo1') AS memo1;
SELECT jwt_sign('{"sub":"one"}', 'memo-secret-one-0123456789abcdefghijklmnopqrstuvwxyz', 'HS256', '{"kid":"memo1"}') AS memo_t1 \gset
SELECT jwt_sign('{"sub":"two"}', 'memo-secret-two-0123456789abcdefghijklmnopqrstuvwxyz', 'HS256', '{"kid":"memo2"}') AS memo_t2 \gset
BEGIN;
SELECT (jwt_registry_validate(:'memo_t1')).valid AS t1_valid;
SAVEPOINT s;
DELETE FROM jwt_keys WHERE kid = 'memo1';
SELECT (jwt_registry_validate(:'memo_t1')).reason AS t1_deleted;
ROLLBACK TO s;
SELECT (jwt_registry_validate(:'memo_t1')).valid AS t1_valid_again;
SAVEPOINT s2;
SELECT jwt_registry_add('memo-secret-two-0123456789abcdefghijklmnopqrstuvwxyz', 'HS256', 'memo2') AS memo2;
SELECT (jwt_registry_validate(:'memo_t2')).valid AS t2_valid;
SELECT 1 / 0 AS fails;
ROLLBACK TO s2;
SELECT (jwt_registry_validate(:'memo_t2')).reason AS t2_rolled_back,
       (jwt_registry_validate(:'memo_t1')).valid AS t1_still_valid;
COMMIT;
-- a registry verification between two keys that each push one out
SELECT count(*) FILTER (WHERE (jwt_registry_validate(:'memo_t1')).valid) AS t1_valid_each_row,
       count(*) FILTER (WHERE (jwt_registry_validate(:'memo_t2')).valid) AS t2_valid_rows,
       count(jwt_verify(jwt_sign('{"sub":"x"}', s, 'HS256'), s, algorithms => '{HS256}')) AS other_keys
  FROM (SELECT 'memo-churn-' || i || '-0123456789abcdefghijklmnopqrstuvwxyz' AS s
          FROM generate_series(1, 40) i) k;
SELECT count(jwt_registry_rotate('ES384')) AS rotations FROM generate_series(1, 8);
SELECT pg_column_size(jwt_registry_keyset()) > 1024 AS set_over_1kb,
       (jwt_registry_validate(:'memo_t1')).valid AS t1_valid_big_set;
SET jwt.max_key_size = 1024;
SELECT (jwt_registry_validate(:'memo_t1')).valid AS t1_over_max_key_size;
SELECT (jwt_validate(:'memo_t1', jwt_registry_keyset())).valid AS t1_set_as_argument;
RESET jwt.max_key_size;
SELECT (jwt_registry_validate(:'memo_t1')).valid AS t1_valid_after_reset;
DELETE FROM jwt_keys;

-- Writing jwt_keys by hand: a row that breaks a rule of the table is
-- refused naming the rule and the kid, never showing the row.
-- PostgreSQL's own error for a CHECK or NOT NULL violation would show it
-- ("Failing row contains (...)"), signing key included, to the client and
-- in the server log.
\set VERBOSITY default
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status)
VALUES ('by-hand', 'ES256', '{"kty":"EC","d":"PRIVATE-SCALAR-NEVER-SHOWN"}', '{"kty":"EC"}', 'verify_only');
-- retired without retired_at (the usual slip)
UPDATE jwt_keys SET status = 'retired' WHERE kid = 'by-hand';
-- active without a signing key, and the reverse
UPDATE jwt_keys SET status = 'active', signing_key = NULL WHERE kid = 'by-hand';
UPDATE jwt_keys SET retired_at = now() WHERE kid = 'by-hand';
-- every other rule of the table
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES (NULL, 'ES256', 'PRIVATE-KEY-NEVER-SHOWN', '{}');
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES ('', 'ES256', 'PRIVATE-KEY-NEVER-SHOWN', '{}');
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES ('k-none', 'none', 'PRIVATE-KEY-NEVER-SHOWN', '{}');
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES ('k-null-vkey', 'HS256', 'PRIVATE-KEY-NEVER-SHOWN', NULL);
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status)
VALUES ('k-status', 'HS256', 'PRIVATE-KEY-NEVER-SHOWN', '{}', 'paused');
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status, issuer)
VALUES ('k-issuer', 'ES256', 'PRIVATE-KEY-NEVER-SHOWN', '{}', 'verify_only', 'https://idp.example');
INSERT INTO jwt_keys (kid, algorithm, verification_key, status, issuer)
VALUES ('k-empty-issuer', 'ES256', '{}', 'verify_only', '');
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, created_at)
VALUES ('k-no-created', 'HS256', 'PRIVATE-KEY-NEVER-SHOWN', '{}', NULL);
-- every NOT NULL column, found by its attnotnull, with the error's fields
-- naming the table and the column, as PostgreSQL's own error does
DO $$
DECLARE
	col text;
	st text;
	tbl text;
	errcol text;
	detail text;
BEGIN
	FOREACH col IN ARRAY ARRAY['algorithm', 'verification_key', 'status', 'created_at'] LOOP
		BEGIN
			EXECUTE format('UPDATE jwt_keys SET %I = NULL WHERE kid = %L', col, 'by-hand');
			RAISE NOTICE '%: written', col;
		EXCEPTION WHEN not_null_violation THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, tbl = TABLE_NAME,
				errcol = COLUMN_NAME, detail = PG_EXCEPTION_DETAIL;
			RAISE NOTICE '% % %.% (detail quotes the key: %)', col, st, tbl, errcol,
				position('PRIVATE' IN detail) > 0;
		END;
	END LOOP;
END
$$;
-- a table whose owner dropped the NOT NULL constraints: the trigger still
-- refuses a NULL in a column the registry needs (it read the NULL
-- algorithm or status as text and crashed the backend)
BEGIN;
ALTER TABLE jwt_keys ALTER algorithm DROP NOT NULL, ALTER status DROP NOT NULL,
	ALTER verification_key DROP NOT NULL, ALTER created_at DROP NOT NULL;
SAVEPOINT s;
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status)
VALUES ('k-no-alg', NULL, 'PRIVATE-KEY-NEVER-SHOWN', '{}', 'verify_only');
ROLLBACK TO s;
UPDATE jwt_keys SET status = NULL WHERE kid = 'by-hand';
ROLLBACK TO s;
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status)
VALUES ('k-no-vkey', 'HS256', 'PRIVATE-KEY-NEVER-SHOWN', NULL, 'verify_only');
ROLLBACK TO s;
SELECT count(*) AS written FROM jwt_keys WHERE kid LIKE 'k-no-%' OR status IS NULL;
ROLLBACK;
-- a column whose type the owner changed (the view jwt_key_health keeps
-- most from changing): refused (42804) where it was read as text (an
-- integer issuer crashed the backend on the next write)
BEGIN;
ALTER TABLE jwt_keys DROP CONSTRAINT jwt_keys_issuer_check;
ALTER TABLE jwt_keys ALTER issuer TYPE integer USING NULL;
SAVEPOINT s;
UPDATE jwt_keys SET issuer = 3 WHERE kid = 'by-hand';
ROLLBACK TO s;
SELECT jwt_jwks();
ROLLBACK TO s;
ALTER TABLE jwt_keys ALTER issuer TYPE text USING NULL,
	ALTER verification_key TYPE text USING verification_key::text;
SELECT jwt_jwks();
ROLLBACK;
-- with session_replication_role = replica too (ENABLE ALWAYS)
SET session_replication_role = replica;
UPDATE jwt_keys SET status = 'retired' WHERE kid = 'by-hand';
RESET session_replication_role;
-- a row that keeps the rules is written as before
UPDATE jwt_keys SET status = 'retired', retired_at = now(), signing_key = NULL WHERE kid = 'by-hand';
SELECT kid, status, signing_key IS NULL AS key_wiped FROM jwt_keys;
\set VERBOSITY terse
DELETE FROM jwt_keys;

-- The trigger's function serves the extension's jwt_keys only, as a
-- trigger only, and only its owner may attach it anywhere.
CREATE TABLE not_the_registry (kid text, algorithm text);
CREATE TRIGGER t BEFORE INSERT ON not_the_registry FOR EACH ROW EXECUTE FUNCTION jwt_keys_check();
INSERT INTO not_the_registry VALUES ('a', 'b');
DROP TABLE not_the_registry;
SELECT jwt_keys_check();
CREATE ROLE regress_jwt_keys_planter;
GRANT USAGE, CREATE ON SCHEMA public TO regress_jwt_keys_planter;
SET ROLE regress_jwt_keys_planter;
CREATE TABLE planted (kid text);
CREATE TRIGGER t BEFORE INSERT ON planted FOR EACH ROW EXECUTE FUNCTION jwt_keys_check();
DROP TABLE planted;
RESET ROLE;
REVOKE ALL ON SCHEMA public FROM regress_jwt_keys_planter;
DROP ROLE regress_jwt_keys_planter;

-- A key the registry cannot use (a row written by hand, past
-- jwt_registry_add's checks) is left out of the set it verifies with,
-- with a warning that names its kid and never its key; the other keys
-- verify as before (one such row made every registry verification fail).
-- A verification_key with a "keys" member is one more unusable JWK, never
-- a set of other keys.  jwt_registry_keyset() and jwt_jwks() leave them
-- out, and an active key among them does not sign.
\set VERBOSITY default
DELETE FROM jwt_keys;
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
CREATE TEMP TABLE good_tok AS SELECT jwt_registry_sign('{"sub":"good"}') AS tok;
CREATE TEMP TABLE evil AS SELECT jwt_generate_key('ES256') AS priv;
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
SELECT v.kid, v.alg, v.vkey::jsonb, 'verify_only'
  FROM (VALUES ('u-no-n', 'RS256', '{"kty":"RSA","e":"AQAB"}'),
               ('u-bad-point', 'ES256', '{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}'),
               ('u-oct-for-es', 'ES256', '{"kty":"oct","k":"U0VDUkVULU5FVkVSLVNIT1dOLTAxMjM0NTY3ODlhYmNkZWZnaGlq"}'),
               ('u-no-kty', 'ES256', '{"x":"MARKER-NEVER-SHOWN"}'),
               ('u-x25519', 'EdDSA', '{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}')) v(kid, alg, vkey)
UNION ALL
SELECT 'u-set', 'ES256', jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(priv) || '{"kid":"u-set"}')), 'verify_only'
  FROM evil;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM good_tok;
\set VERBOSITY terse
SELECT (jwt_registry_validate(jwt_sign('{"sub":"evil"}', priv, 'ES256', '{"kid":"u-set"}'))).reason AS with_set_kid,
       (jwt_registry_validate(jwt_sign('{"sub":"evil"}', priv, 'ES256'))).reason AS without_kid
  FROM evil;
SELECT jsonb_array_length(jwt_registry_keyset()->'keys') AS keyset_keys,
       jwt_registry_keyset()::text ~ '"u-' AS keyset_has_unusable,
       jsonb_array_length(jwt_jwks()->'keys') AS jwks_keys,
       jwt_jwks()::text ~ '"u-' AS jwks_has_unusable;
-- an active key that cannot verify does not sign: no token nobody could check
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status)
SELECT 'u-active', 'ES384', jwt_generate_key('ES384'), '{"kty":"EC","crv":"P-384"}', 'active';
SELECT jwt_registry_sign('{"sub":"x"}', 'ES384');
-- retired, or given a usable key, a row is no longer reported
UPDATE jwt_keys SET status = 'retired', retired_at = now() WHERE kid LIKE 'u-%' AND kid <> 'u-active';
UPDATE jwt_keys SET verification_key = jwt_public_jwk(signing_key) WHERE kid = 'u-active';
SELECT jwt_registry_verify(jwt_registry_sign('{"sub":"es384"}', 'ES384'))->>'sub' AS sub;
DELETE FROM jwt_keys WHERE kid LIKE 'u-%';
-- Each key is warned about once per backend, not at every load: a load
-- that cannot be cached (SERIALIZABLE: every verification reads the
-- table) remembers what was found of each key by its bytes.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
VALUES ('u-again', 'ES256', '{"kty":"EC","crv":"P-256"}', 'verify_only');
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FILTER (WHERE (jwt_registry_validate(tok)).valid) AS valid
  FROM good_tok, generate_series(1, 3);
COMMIT;
-- A key found usable when the registry was read, refused when its set is
-- parsed (jwt.max_json_depth changed in between: the "k" of this HMAC key
-- is JSON text under the default depth), is left out there too, instead of
-- failing every registry verification.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
SELECT 'u-deep', 'HS256', jsonb_build_object('kty', 'oct', 'k',
	rtrim(translate(encode(convert_to(repeat('{', 40) || repeat('a', 10), 'UTF8'), 'base64'), '+/', '-_'), '=')),
	'verify_only';
SET jwt.max_json_depth = 50;
SELECT jwt_jwks() IS NOT NULL AS read_without_warning;
RESET jwt.max_json_depth;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM good_tok;
-- An RSA key shorter than signing allows (1024 bits) is not published
-- (relying parties may accept it); the registry itself refuses it by
-- jwt.min_rsa_bits.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
VALUES ('u-weak', 'RS256', '{"kty":"RSA","n":"1w6R9oXRrDD6vihCSyIkp-sQASxZPqFMsiUforiErrSnJN5SbaDRJslDeoe4QHUMCB_mG9fxl6tXhyoQ52gryn5jDyxbWonhrB9xl8JHNiihnVfHTxcIL1v7I5V3_56opXBBmbXhVyvX9p_eVUmhPw-K8V-rUSdXT6V-tYiNHbc","e":"AQAB"}', 'verify_only');
SELECT jwt_jwks()::text ~ 'u-weak' AS weak_published,
       jwt_registry_keyset()::text ~ 'u-weak' AS weak_in_keyset;
-- A key whose "key_ops" rule verifying out is not published either: who
-- trusts our JWKS would verify with it.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
SELECT 'u-sign-only', 'ES256', (jwt_public_jwk(jwt_generate_key('ES256')) - 'kid' - 'use') || '{"key_ops":["sign"]}', 'verify_only';
SELECT jwt_jwks()::text ~ 'u-sign-only' AS sign_only_published;
DELETE FROM jwt_keys WHERE kid LIKE 'u-%';

-- A private JWK written as a verification key verifies as its public
-- part; jwt_jwks() never publishes its private members, nor does
-- jwt_registry_keyset() carry them (RFC 8037's example Ed25519 key), and
-- jwt_jwks() writes each key from the key as read: its public members,
-- use, kid and alg, nothing else (not even an x5c or x5u, whose values
-- nothing checks).
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
VALUES ('p-ed', 'EdDSA', '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","backup":{"priv":"MARKER-NEVER-PUBLISHED"},"x5t":"thumb","x5c":{"d":"MARKER-IN-X5C"},"x5u":"MARKER-IN-X5U"}', 'verify_only');
SELECT k ? 'd' AS published_d, k->>'x' = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' AS published_x,
       jwt_registry_keyset()::text LIKE '%nWGxne%' AS keyset_d,
       jwt_jwks()::text LIKE '%MARKER%' AS published_marker,
       (SELECT array_agg(m ORDER BY m) FROM jsonb_object_keys(k) m) AS members
  FROM jsonb_array_elements(jwt_jwks()->'keys') k WHERE k->>'kid' = 'p-ed';
SELECT jwt_registry_verify(jwt_sign('{"sub":"ed"}',
         '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
         'EdDSA', '{"kid":"p-ed"}'))->>'sub' AS sub;
DELETE FROM jwt_keys WHERE kid = 'p-ed';

-- More keys than a JWK Set argument may have (256), and a set larger than
-- jwt.max_key_size: the registry's own set is not an argument, and keeps
-- verifying (it stopped every verification); passed as an argument, the
-- same set is refused.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
SELECT 'many-' || i, 'ES256', jwt_public_jwk(jwt_generate_key('ES256')), 'verify_only'
  FROM generate_series(1, 300) i;
SET jwt.max_key_size = 4096;
SELECT jsonb_array_length(jwt_registry_keyset()->'keys') AS keys,
       pg_column_size(jwt_registry_keyset()) > 4096 AS over_max_key_size;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM good_tok;
RESET jwt.max_key_size;
SELECT (jwt_validate(tok, jwt_registry_keyset())).valid AS as_argument FROM good_tok;
DELETE FROM jwt_keys WHERE kid LIKE 'many-%';

-- The column "issuer" dropped after the update to 0.1.2: refused, rather
-- than read as a 0.1.1 table, which would make an identity provider's
-- keys the database's own.
BEGIN;
ALTER TABLE jwt_keys DROP COLUMN issuer CASCADE;
SAVEPOINT s;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM good_tok;
ROLLBACK TO s;
INSERT INTO jwt_keys (kid, algorithm, verification_key, status)
SELECT 'no-issuer', 'ES256', jwt_public_jwk(priv), 'verify_only' FROM evil;
ROLLBACK;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM good_tok;
DROP TABLE good_tok, evil;
DELETE FROM jwt_keys;

-- Rows of jwt_keys and refresh_tokens in errors PostgreSQL raises: COPY's
-- context line quotes the line it loads (a restore into a database that
-- has the key already: the kid and the algorithm leave room for the start
-- of the private key), a NOT NULL or CHECK violation the row; the client
-- gets both.  The context becomes "COPY <table>", the row is dropped.
-- (The triggers are disabled as a data-only restore may do; with them,
-- the CHECK and NOT NULL errors are the triggers' own.)
\set VERBOSITY default
SELECT jwt_registry_add('a secret of the copy test, 32 bytes or more', 'HS256', kid => 'copy-dup') AS kid;
ALTER TABLE jwt_keys DISABLE TRIGGER USER;
COPY jwt_keys (kid, algorithm, signing_key, verification_key) FROM stdin;
copy-dup	ES256	-----BEGIN PRIVATE KEY-----MIGHAgEAMBMGByqGSM49-not-a-real-key	{}
\.
COPY jwt_keys (kid, algorithm, signing_key, verification_key) FROM stdin (FORMAT csv);
copy-dup,ES256,"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49-not-a-real-key",{}
\.
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES ('copy-null', 'ES256', 'MIGHAgEAMBMGByqGSM49-not-a-real-key', NULL);
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
VALUES ('copy-check', 'XX256', 'MIGHAgEAMBMGByqGSM49-not-a-real-key', '{}');
ALTER TABLE jwt_keys ENABLE TRIGGER USER;
COPY refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key) FROM stdin;
\\x00	00000000-0000-0000-0000-000000000000	0	alice	infinity	\\x5365637265742d72657472792d6b6579	extra
\.
-- a header that does not match quotes the line's first field, which can
-- be a key: the message is reworded (the error code stays)
COPY jwt_keys (signing_key, kid, algorithm, verification_key) FROM stdin WITH (FORMAT csv, HEADER match);
MIGHAgEAMBMGByqGSM49-not-a-real-key,k9,HS256,{}
\.
-- an error before COPY reads a line keeps PostgreSQL's words
COPY jwt_keys FROM '/nonexistent/jwt_keys.copy' (FORMAT nonsense);
COPY jwt_keys (kid, no_such_column) FROM '/nonexistent/jwt_keys.copy';
-- a PL/pgSQL handler reading the context gets the rewritten one
DO $$
DECLARE ctx text;
BEGIN
	EXECUTE 'COPY jwt_keys (kid, algorithm, signing_key, verification_key) FROM PROGRAM '
		|| quote_literal('printf ''copy-dup\tES256\tMIGHAgEAMBMGByqGSM49-not-a-real-key\t{}\n''');
EXCEPTION WHEN unique_violation THEN
	GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
	RAISE NOTICE 'caught, context: %', ctx;
END $$;
-- an error whose context names the table elsewhere (a PL/pgSQL statement,
-- quoted) is left as PostgreSQL wrote it
CREATE FUNCTION copy_user_fn(v text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	SELECT count(*) INTO n FROM refresh_tokens WHERE family_id = v::uuid;
	RETURN n;
END $$;
SELECT copy_user_fn('not-a-uuid');
DROP FUNCTION copy_user_fn(text);
-- an unrelated table keeps COPY's context
CREATE TEMP TABLE copy_other (a int);
COPY copy_other FROM stdin;
not a number
\.
DROP TABLE copy_other;
DELETE FROM jwt_keys;
\set VERBOSITY terse
