--
-- jwt_sign without an algorithm: the key's, when the key serves one.
--
\set VERBOSITY default
\set k32 '0123456789abcdef0123456789abcdef'
SELECT jwt_generate_key('ES256') AS es256, jwt_generate_key('ES384') AS es384,
       jwt_generate_key('ES512') AS es512, jwt_generate_key('ES256K') AS es256k,
       jwt_generate_key('EdDSA') AS eddsa, jwt_generate_key('RS256') AS rs256 \gset
CREATE TEMP TABLE keys (name text, key jsonb);
INSERT INTO keys VALUES
  ('ES256 JWK with alg', :'es256'), ('P-256 without alg', (:'es256')::jsonb - 'alg'),
  ('P-384 without alg', (:'es384')::jsonb - 'alg'), ('P-521 without alg', (:'es512')::jsonb - 'alg'),
  ('secp256k1 without alg', (:'es256k')::jsonb - 'alg'), ('Ed25519 without alg', (:'eddsa')::jsonb - 'alg'),
  ('RSA JWK with alg RS256', :'rs256'), ('RSA JWK with alg PS384', (:'rs256')::jsonb || '{"alg":"PS384"}'),
  ('oct JWK without alg', '{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}'),
  ('oct JWK with alg HS384', '{"kty":"oct","alg":"HS384","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"}');
-- each signs with its algorithm, and verifies with its public key
SELECT name, (jwt_decode(t)).header->>'alg' AS alg,
       (jwt_validate(t, CASE WHEN key->>'kty' = 'oct' THEN key ELSE jwt_public_jwk(key) END)).valid AS verifies
  FROM keys, LATERAL jwt_sign('{"sub":"s"}', key) AS t ORDER BY name COLLATE "C";
-- the same with the algorithm argument NULL, and in jwt_refresh_rotate
SELECT (jwt_decode(jwt_sign('{}', (:'es384')::jsonb - 'alg', NULL))).header->>'alg' AS null_alg;
SELECT refresh_token AS rt FROM jwt_refresh_issue('sign-alg') \gset
SELECT (jwt_decode(access_token)).header->>'alg' AS rotate_alg
  FROM jwt_refresh_rotate(:'rt', (:'es384')::jsonb - 'alg');
TRUNCATE refresh_tokens;
-- HMAC secrets as text and bytea: HS256, as always (a 64-byte one too)
SELECT (jwt_decode(jwt_sign('{}', :'k32'))).header->>'alg' AS text_secret,
       (jwt_decode(jwt_sign('{}', convert_to(:'k32', 'UTF8')))).header->>'alg' AS bytea_secret,
       (jwt_decode(jwt_sign('{}', repeat('s', 64)))).header->>'alg' AS long_secret;
-- ... and a short one is refused as before
SELECT jwt_sign('{}', 'short');
-- an explicit algorithm still decides, and must fit the key
SELECT (jwt_decode(jwt_sign('{}', :'rs256', 'RS256'))).header->>'alg' AS explicit;
SELECT jwt_sign('{}', :'es256', 'HS256');
SELECT jwt_sign('{}', :'es256', 'ES384');
-- ambiguous: an RSA key without "alg" (six algorithms), a JWK Set
SELECT jwt_sign('{}', (:'rs256')::jsonb - 'alg');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', jsonb_build_object('keys', jsonb_build_array(:'es256'::jsonb)), header => jsonb_build_object('kid', (:'es256')::jsonb->>'kid'));
\echo :LAST_ERROR_SQLSTATE
-- a public key cannot sign, whatever the algorithm
SELECT jwt_sign('{}', jwt_public_jwk(:'es256'::jsonb));
-- the error never shows key material
SELECT jwt_sign('{}', (:'rs256')::jsonb - 'alg' || '{"kid":"k-rsa"}');
-- the declared default (the upgrade script re-creates it so)
SELECT pg_get_function_arguments(p.oid) ~ 'algorithm text DEFAULT NULL' AS default_null, count(*)
  FROM pg_proc p WHERE p.proname = 'jwt_sign' GROUP BY 1;
