--
-- jwt_registry_import_jwks: an identity provider's published JWK Set in the
-- registry, verify-only and bound to its issuer.
--
\set VERBOSITY default
\set idp 'https://idp.example/'
\set other 'https://other.example/'
-- The provider's private keys (which it keeps) and its published set:
-- an RSA key with "alg", an EC key without, an encryption key (skipped).
SELECT jwt_generate_key('RS256') || '{"kid":"idp-rsa"}' AS idp_rsa,
       jwt_generate_key('ES256') - 'alg' || '{"kid":"idp-ec"}' AS idp_ec,
       jwt_generate_key('RS256') || '{"kid":"idp-enc"}' AS idp_enc,
       jwt_generate_key('ES256') || '{"kid":"other-ec"}' AS other_ec \gset
SELECT jsonb_build_object('keys', jsonb_build_array(
         jwt_public_jwk(:'idp_rsa'::jsonb) || '{"x5t":"ignored"}',
         jwt_public_jwk(:'idp_ec'::jsonb) - 'alg',
         jwt_public_jwk(:'idp_enc'::jsonb) - 'alg' || '{"use":"enc","alg":"RSA-OAEP"}')) AS jwks,
       jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'other_ec'::jsonb))) AS other_jwks \gset
CREATE TEMP TABLE before AS SELECT * FROM jwt_keys;

-- Import: two signature keys, the encryption key skipped.
SELECT jwt_registry_import_jwks(:'jwks', :'idp') AS imported;
SELECT kid, algorithm, status, signing_key IS NULL AS no_signing_key, issuer,
       verification_key ? 'd' AS has_d, verification_key ? 'kid' AS has_kid
  FROM jwt_keys ORDER BY kid;

-- The provider's tokens verify, picked by kid, with its issuer.
SELECT jwt_sign(jsonb_build_object('iss', :'idp', 'sub', 'u1', 'aud', 'api'), :'idp_rsa', header => '{"kid":"idp-rsa"}') AS t_rsa,
       jwt_sign(jsonb_build_object('iss', :'idp', 'sub', 'u2'), :'idp_ec', header => '{"kid":"idp-ec"}') AS t_ec \gset
SELECT jwt_registry_verify(:'t_rsa', audience => 'api', issuer => :'idp')->>'sub' AS rsa,
       jwt_registry_verify(:'t_ec')->>'sub' AS ec;
BEGIN;
SELECT jwt_registry_authenticate(:'t_rsa', audience => 'api', issuer => :'idp')->>'sub' AS authenticated;
ROLLBACK;

-- Bound to the issuer: a token the key verifies but that names another
-- issuer, or none, is issuer_mismatch, even when the caller checks no iss.
SELECT (jwt_registry_validate(jwt_sign(jsonb_build_object('iss', 'https://us.example/', 'sub', 'x'), :'idp_ec',
                                        header => '{"kid":"idp-ec"}'))).reason AS other_iss,
       (jwt_registry_validate(jwt_sign('{"sub":"x"}', :'idp_ec', header => '{"kid":"idp-ec"}'))).reason AS no_iss;
SELECT jwt_registry_verify(jwt_sign('{"sub":"x","iss":"https://us.example/"}', :'idp_ec', header => '{"kid":"idp-ec"}'));
BEGIN;
SELECT jwt_registry_authenticate(jwt_sign('{"sub":"x"}', :'idp_ec', header => '{"kid":"idp-ec"}'));
ROLLBACK;
-- ... also without a kid, when the key is the only one of its algorithm
SELECT (jwt_registry_validate(jwt_sign('{"sub":"x"}', :'idp_ec', 'ES256'))).reason AS no_kid_no_iss,
       (jwt_registry_validate(jwt_sign(jsonb_build_object('iss', :'idp', 'sub', 'x'), :'idp_ec', 'ES256'))).valid AS no_kid_right_iss;

-- Verify-only: never used to sign, never published as ours.
SELECT jwt_registry_sign('{}', 'RS256');
SELECT jwt_jwks() AS published;
\set VERBOSITY terse
UPDATE jwt_keys SET status = 'active', signing_key = 'x' WHERE kid = 'idp-rsa';
UPDATE jwt_keys SET signing_key = 'x' WHERE kid = 'idp-rsa';
\set VERBOSITY default

-- A second import replaces the issuer's keys (a rotation at the provider).
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_ec'::jsonb) - 'alg')), :'idp') AS reimported;
SELECT kid, issuer FROM jwt_keys ORDER BY kid;
SELECT (jwt_registry_validate(:'t_rsa', audience => 'api')).reason AS rotated_out;
-- Another issuer's keys sit beside them.
SELECT jwt_registry_import_jwks(:'other_jwks', :'other') AS other_imported;
SELECT kid, issuer FROM jwt_keys ORDER BY kid;

-- Refused, and the registry left as it was: private material (the message
-- names the member, never its value), a secret, no kid, a kid twice, a
-- kid of another issuer or of one of ours, a set with no signature key, a
-- malformed set, NULLs.
CREATE TEMP TABLE snapshot AS SELECT * FROM jwt_keys;
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(:'idp_rsa'::jsonb)), :'idp');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_rsa'::jsonb) || '{"p":"c2VjcmV0"}')), :'idp');
SELECT jwt_registry_import_jwks('{"keys":[{"kty":"oct","kid":"hs","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}', :'idp');
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_rsa'::jsonb) - 'kid')), :'idp');
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_rsa'::jsonb),
                                                                             jwt_public_jwk(:'idp_ec'::jsonb) || '{"kid":"idp-rsa"}')), :'idp');
SELECT jwt_registry_import_jwks(:'other_jwks', :'idp');
\echo :LAST_ERROR_SQLSTATE
-- At most 256 keys, as in a JWK Set passed as a key (a provider publishes
-- a handful; the set is read whole before anything is written).
SELECT jwt_registry_import_jwks(jsonb_build_object('keys',
	(SELECT jsonb_agg(jwt_public_jwk(:'idp_ec'::jsonb) || jsonb_build_object('kid', 'many-' || i))
	   FROM generate_series(1, 257) i)), :'idp');
SELECT jwt_registry_add(jwt_generate_key('ES256')::text, 'ES256', 'own-es') AS own_kid \gset
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_ec'::jsonb) || jsonb_build_object('kid', :'own_kid'))), :'idp');
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_enc'::jsonb) || '{"use":"enc"}')), :'idp');
SELECT jwt_registry_import_jwks('{"keys":[]}', :'idp');
SELECT jwt_registry_import_jwks('[]', :'idp');
SELECT jwt_registry_import_jwks('{"keys":["x"]}', :'idp');
SELECT jwt_registry_import_jwks('{"keys":[{"kty":"EC","kid":"bad","crv":"P-256","x":"AAAA","y":"AAAA"}]}', :'idp');
SELECT jwt_registry_import_jwks(NULL, :'idp');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_import_jwks(:'jwks', '');
-- a key the reader takes but the registry does not (a 1024-bit RSA key)
SELECT jwt_registry_import_jwks(jsonb_build_object('keys', jsonb_build_array(jwt_public_jwk(:'idp_ec'::jsonb),
                                                   '{"kty":"RSA","kid":"short","n":"1w6R9oXRrDD6vihCSyIkp-sQASxZPqFMsiUforiErrSnJN5SbaDRJslDeoe4QHUMCB_mG9fxl6tXhyoQ52gryn5jDyxbWonhrB9xl8JHNiihnVfHTxcIL1v7I5V3_56opXBBmbXhVyvX9p_eVUmhPw-K8V-rUSdXT6V-tYiNHbc","e":"AQAB"}'::jsonb)), :'idp');
SELECT count(*) AS changed FROM (
  (SELECT kid, issuer, algorithm, verification_key FROM snapshot
   EXCEPT SELECT kid, issuer, algorithm, verification_key FROM jwt_keys WHERE kid <> :'own_kid')
  UNION ALL
  (SELECT kid, issuer, algorithm, verification_key FROM jwt_keys WHERE kid <> :'own_kid'
   EXCEPT SELECT kid, issuer, algorithm, verification_key FROM snapshot)) d;
-- a savepoint rolled back undoes an import
BEGIN;
SAVEPOINT s;
SELECT jwt_registry_import_jwks(:'jwks', :'idp') AS in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS idp_keys FROM jwt_keys WHERE issuer = :'idp';
COMMIT;

-- Who may import: not PUBLIC; an unprivileged role is refused before
-- anything is read.
CREATE ROLE regress_jwks_nobody;
SET ROLE regress_jwks_nobody;
SELECT jwt_registry_import_jwks(:'jwks', :'idp');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- with EXECUTE but no rights on jwt_keys: refused by the table
GRANT EXECUTE ON FUNCTION jwt_registry_import_jwks(jsonb, text) TO regress_jwks_nobody;
SET ROLE regress_jwks_nobody;
SELECT jwt_registry_import_jwks(:'jwks', :'idp');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION jwt_registry_import_jwks(jsonb, text) FROM regress_jwks_nobody;
DROP ROLE regress_jwks_nobody;

-- Look-alikes planted in the extension's schema (jwt_public_jwk,
-- jwt_registry_add, now()) are not called: the import is C and names
-- nothing.
CREATE ROLE regress_jwks_planter;
GRANT CREATE ON SCHEMA public TO regress_jwks_planter;
SET ROLE regress_jwks_planter;
CREATE SEQUENCE jwks_plant_calls;
CREATE FUNCTION jwt_public_jwk(key jsonb, x int DEFAULT 0) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT nextval('jwks_plant_calls'); SELECT '{}'::jsonb $$;
CREATE FUNCTION jwt_registry_add(key text, algorithm text) RETURNS text LANGUAGE sql
  AS $$ SELECT nextval('jwks_plant_calls'); SELECT 'x' $$;
CREATE FUNCTION now() RETURNS timestamptz LANGUAGE sql
  AS $$ SELECT nextval('jwks_plant_calls'); SELECT 'epoch'::timestamptz $$;
RESET ROLE;
SELECT jwt_registry_import_jwks(:'jwks', :'idp') AS imported_with_plants;
SELECT last_value AS plant_calls, is_called FROM jwks_plant_calls;
DROP FUNCTION jwt_public_jwk(jsonb, int), jwt_registry_add(text, text), public.now();
DROP SEQUENCE jwks_plant_calls;
REVOKE CREATE ON SCHEMA public FROM regress_jwks_planter;
DROP ROLE regress_jwks_planter;

DELETE FROM jwt_keys;
