--
-- Key registry: rotation without logging anyone out, retirement, JWKS
-- publication, and who may do what.
--
\set VERBOSITY terse

-- No active key yet: signing says how to make one.
SELECT jwt_registry_sign('{"sub":"a"}', 'ES256');
\echo :LAST_ERROR_SQLSTATE

-- Rotation: tokens signed before a rotation keep verifying while their key
-- is verify-only; new tokens carry the new kid.
SELECT jwt_registry_rotate('ES256', retire_after => '2 hours') AS k1 \gset
SELECT jwt_registry_sign('{"sub":"alice"}', 'ES256', expires_in => '1 hour') AS t1 \gset
SELECT (jwt_decode(:'t1')).header->>'kid' = :'k1' AS t1_has_k1,
       jwt_registry_verify(:'t1')->>'sub' AS t1_sub;
SELECT jwt_registry_rotate('ES256', retire_after => '2 hours') AS k2 \gset
SELECT jwt_registry_sign('{"sub":"bob"}', 'ES256') AS t2 \gset
SELECT (jwt_decode(:'t2')).header->>'kid' = :'k2' AS t2_has_k2,
       (jwt_registry_validate(:'t1')).valid AS t1_still_valid,
       (jwt_registry_validate(:'t2')).valid AS t2_valid;
-- The cached registry keeps its keys parsed as one key set; twenty other
-- keys push that out of the key cache, and the next verification reads the
-- set again (not the freed memory of the set, which other keys now reuse).
SELECT count(jwt_verify(jwt_sign('{"sub":"x"}', s, 'HS256'), s, algorithms => '{HS256}')) AS other_keys
  FROM (SELECT 'evicting-secret-' || i || '-0123456789abcdefghijklmnopqrstuvwxyz' AS s
          FROM generate_series(1, 20) i) k;
SELECT jwt_registry_verify(:'t1')->>'sub' AS t1_sub_again,
       jwt_registry_verify(:'t2')->>'sub' AS t2_sub_again;
SELECT kid = :'k1' AS is_k1, algorithm, status,
       retire_after BETWEEN now() + interval '119 minutes' AND now() + interval '121 minutes' AS retires_in_2h,
       signing_key IS NOT NULL AS can_sign, verification_key ? 'd' AS leaks_private
  FROM jwt_keys ORDER BY created_at, kid = :'k2';

-- Retiring: by hand, or when due (a job for pg_cron).
SELECT jwt_registry_retire_due() AS retired_now;
UPDATE jwt_keys SET retire_after = now() - interval '1 second' WHERE kid = :'k1';
SELECT jwt_registry_retire_due() AS retired_due;
SELECT (jwt_registry_validate(:'t1')).reason AS t1_after_retire,
       (jwt_registry_validate(:'t2')).valid AS t2_valid;
SELECT jwt_registry_retire(:'k2') AS retired, jwt_registry_retire(:'k2') AS again;
SELECT jwt_registry_sign('{}', 'ES256');
\echo :LAST_ERROR_SQLSTATE

-- Several algorithms; without an algorithm the one active key is used.
DELETE FROM jwt_keys;
SELECT jwt_registry_rotate('EdDSA') IS NOT NULL AS eddsa;
SELECT (jwt_decode(jwt_registry_sign('{}'))).header->>'alg' AS only_active;
SELECT jwt_registry_add('an HMAC secret of at least 32 bytes!', 'HS256', kid => 'hs-1') AS hs_kid;
SELECT jwt_registry_sign('{}');
SELECT (jwt_registry_validate(jwt_registry_sign('{"sub":"x"}', 'HS256'))).valid AS hs256,
       (jwt_registry_validate(jwt_registry_sign('{"sub":"x"}', 'EdDSA'))).valid AS eddsa;
-- The HMAC secret is the same key as the raw text: tokens agree.
SELECT jwt_verify(jwt_registry_sign('{"sub":"x"}', 'HS256'), 'an HMAC secret of at least 32 bytes!')->>'sub' AS sub;

-- Importing keys: a private PEM or JWK can be active; a public one only
-- verifies; a key that does not fit its algorithm is refused.
SELECT jwt_generate_key('ES384') AS es384 \gset
SELECT jwt_registry_add(:'es384', 'ES384') = :'es384'::jsonb->>'kid' AS kid_from_jwk;
SELECT jwt_registry_add(jwt_public_jwk(jwt_generate_key('RS256'))::text, 'RS256');
SELECT jwt_registry_add(jwt_public_jwk(jwt_generate_key('RS256'))::text, 'RS256', status => 'verify_only') IS NOT NULL AS public_verify_only;
SELECT jwt_registry_add(:'es384', 'ES256');
SELECT jwt_registry_add('short', 'HS256');
SELECT jwt_registry_add(:'es384', 'ES384', status => 'retired');
-- A token from another service's key, imported verify-only, verifies.
SELECT jwt_generate_key('PS256') AS other \gset
SELECT jwt_registry_add(jwt_public_jwk(:'other'::jsonb)::text, 'PS256', kid => 'partner', status => 'verify_only') AS partner;
SELECT jwt_registry_verify(jwt_sign('{"sub":"p"}', :'other'::jsonb, 'PS256', '{"kid":"partner"}'))->>'sub' AS partner_sub;

-- Unknown and missing kids.
SELECT (jwt_registry_validate(jwt_sign('{}', :'other'::jsonb, 'PS256', '{"kid":"nope"}'))).reason AS unknown_kid,
       (jwt_registry_validate(jwt_sign('{}', jwt_generate_key('ES512'), 'ES512', '{"kid":"x"}'))).reason AS unknown_alg;

-- JWKS: public parts only, never HMAC secrets, never retired keys.
SELECT count(*) AS published,
       count(*) FILTER (WHERE k ? 'd' OR k ? 'k' OR k ? 'p') AS with_private_parts,
       count(*) FILTER (WHERE k->>'alg' LIKE 'HS%') AS hmac,
       bool_and(k ?& ARRAY['kid', 'alg', 'use', 'kty']) AS complete
  FROM jsonb_array_elements(jwt_jwks()->'keys') AS k;
SELECT (jwt_validate(jwt_registry_sign('{}', 'EdDSA'), jwt_jwks())).valid AS jwks_verifies_registry_tokens;

-- Only one active key per algorithm, even by hand.
INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key)
SELECT 'dup', 'EdDSA', k::text, jwt_public_jwk(k) FROM jwt_generate_key('EdDSA') k;
\echo :LAST_ERROR_SQLSTATE

-- Privileges: an application role cannot read keys or mint tokens, but
-- can verify and read the JWKS; signing can be granted.
CREATE ROLE regress_jwt_app;
GRANT USAGE ON SCHEMA public TO regress_jwt_app;
SET ROLE regress_jwt_app;
SELECT count(*) FROM jwt_keys;
SELECT jwt_registry_sign('{"sub":"mallory","role":"admin"}', 'EdDSA');
SELECT jwt_registry_rotate('EdDSA');
SELECT jwt_registry_keyset();
SELECT jsonb_array_length(jwt_jwks()->'keys') > 0 AS app_reads_jwks;
RESET ROLE;
SELECT jwt_registry_sign('{"sub":"alice"}', 'EdDSA') AS app_token \gset
SET ROLE regress_jwt_app;
SELECT jwt_registry_verify(:'app_token')->>'sub' AS app_verifies;
RESET ROLE;
GRANT EXECUTE ON FUNCTION jwt_registry_sign(jsonb, text, jsonb, interval, interval) TO regress_jwt_app;
SET ROLE regress_jwt_app;
SELECT (jwt_registry_validate(jwt_registry_sign('{"sub":"svc"}', 'EdDSA'))).valid AS granted_signing;
RESET ROLE;
REVOKE ALL ON FUNCTION jwt_registry_sign(jsonb, text, jsonb, interval, interval) FROM regress_jwt_app;
REVOKE USAGE ON SCHEMA public FROM regress_jwt_app;
DROP ROLE regress_jwt_app;

-- The key table's rows are part of pg_dump (extension configuration).
SELECT extconfig::regclass[] AS dumped_tables, extcondition FROM pg_extension WHERE extname = 'jwt';


-- For an HMAC algorithm the key reader reads the key first: a malformed
-- "oct" JWK is the extension's error, quoting nothing of the secret (0.1.0
-- cast it to jsonb, whose error context quoted it), and a public key (JWK
-- or PEM) is refused instead of being stored as a secret.
\set VERBOSITY default
SELECT jwt_registry_add('{"kty":"oct","k":"cmVnaXN0cnktc2VjcmV0LXF1b3RlZC1pbi1ubyBtZXNzYWdl",}', 'HS256');
SELECT jwt_registry_add(jwt_public_jwk(k)::text, 'HS256') FROM jwt_generate_key('ES256') k;
SELECT jwt_registry_add(E'-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n', 'HS256');
\set VERBOSITY terse
-- A private key is recognised whatever white space precedes it (0.1.0 took
-- a JWK or PEM after a newline for a public key, and refused it as active).
SELECT jwt_registry_add(E'\n\t' || k::text, 'ES256', kid => 'after-a-newline') IS NOT NULL AS added
  FROM jwt_generate_key('ES256') k;
SELECT status, signing_key IS NOT NULL AS can_sign FROM jwt_keys WHERE kid = 'after-a-newline';
SELECT (jwt_registry_validate(jwt_registry_sign('{"sub":"nl"}', 'ES256'))).valid AS signs_and_verifies;

DELETE FROM jwt_keys;
