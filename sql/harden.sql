--
-- Regression tests for bugs found by fuzzing and the hardening checks
-- (test/fuzz, test/soak, test/differential).
--
\set VERBOSITY terse

-- A private key whose parts belong to different keys is refused when it
-- first signs, instead of signing tokens that its public half never
-- verifies (found by test/fuzz: one changed character in the modulus of a
-- PEM key).
SELECT jwt_generate_key('ES256') AS ec_a, jwt_generate_key('ES256') AS ec_b,
       jwt_generate_key('RS256') AS rsa_a, jwt_generate_key('RS256') AS rsa_b,
       jwt_generate_key('EdDSA') AS ed_a, jwt_generate_key('EdDSA') AS ed_b \gset
SELECT jwt_sign('{}', :'ec_a'::jsonb || jsonb_build_object('d', :'ec_b'::jsonb->'d'), 'ES256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :'rsa_a'::jsonb || jsonb_build_object('n', :'rsa_b'::jsonb->'n'), 'RS256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', (:'rsa_a'::jsonb || jsonb_build_object('d', :'rsa_b'::jsonb->'d')) - '{p,q,dp,dq,qi}'::text[], 'RS256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_public_jwk((:'ed_a'::jsonb || jsonb_build_object('d', :'ed_b'::jsonb->'d'))::text);
\echo :LAST_ERROR_SQLSTATE
-- in a JWK Set too
SELECT jwt_sign('{}', jsonb_build_object('keys', jsonb_build_array(
	jwt_public_jwk(:'ec_b'::jsonb), :'ec_a'::jsonb || jsonb_build_object('d', :'ec_b'::jsonb->'d'))),
	'ES256', header => jsonb_build_object('kid', :'ec_a'::jsonb->>'kid'));
\echo :LAST_ERROR_SQLSTATE
-- verifying uses the public part only, and is not slowed by the check
SELECT valid FROM jwt_validate(jwt_sign('{}', :'ec_a'::jsonb, 'ES256'),
	:'ec_a'::jsonb || jsonb_build_object('d', :'ec_b'::jsonb->'d'));
-- the keys themselves are fine
SELECT (jwt_validate(jwt_sign('{}', k, k->>'alg'), jwt_public_jwk(k))).valid
  FROM (VALUES (:'ec_a'::jsonb), (:'rsa_b'::jsonb), (:'ed_a'::jsonb)) v(k);

-- An RSA key over 16384 bits, which OpenSSL verifies nothing with, is
-- refused instead of calling every signature bad.
SELECT '{"kty":"RSA","e":"AQAB","n":"' ||
       rtrim(translate(encode('\x80'::bytea || decode(repeat('ab', 2048), 'hex') || '\x01'::bytea,
                              'base64'), E'+/\n', '-_'), '=') || '"}' AS rsa16400 \gset
SELECT valid, reason FROM jwt_validate('eyJhbGciOiJSUzI1NiJ9.e30.AAAA', :'rsa16400');
\echo :LAST_ERROR_SQLSTATE

-- Key arguments are bounded by jwt.max_key_size: longer ones are refused
-- before any work, in every form (a parsed key is cached with a copy of
-- its argument, so unbounded ones could pin any amount of memory).
SHOW jwt.max_key_size;
SELECT valid, reason FROM jwt_validate('a.b.c', repeat('k', 262144));
SELECT valid FROM jwt_validate('a.b.c', repeat('k', 262145));
\echo :LAST_ERROR_SQLSTATE
SELECT valid FROM jwt_validate('a.b.c', jsonb_build_object('keys', jsonb_build_array(
	jwt_public_jwk(:'ec_a'::jsonb) || jsonb_build_object('x5c', jsonb_build_array(repeat('A', 300000))))));
\echo :LAST_ERROR_SQLSTATE
SET jwt.max_key_size = '1kB';
SELECT jwt_public_jwk(:'ec_a'::jsonb || jsonb_build_object('pad', repeat('x', 1000)));
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', decode(repeat('ab', 1025), 'hex'));
\echo :LAST_ERROR_SQLSTATE
RESET jwt.max_key_size;
-- A call site remembers its last key (jwt_key_get_memo) but still applies
-- the limit on every call: lowered by the first row, it refuses the second.
SELECT jwt_sign('{"sub":"m"}', repeat('k', 2000), 'HS256') AS memo_tok \gset
SELECT (jwt_validate(:'memo_tok', repeat('k', 2000), algorithms => '{HS256}')).valid,
       set_config('jwt.max_key_size', '1kB', false) AS lowered
  FROM generate_series(1, 2);
\echo :LAST_ERROR_SQLSTATE
RESET jwt.max_key_size;
SELECT (jwt_validate(:'memo_tok', repeat('k', 2000), algorithms => '{HS256}')).valid AS memo_valid
  FROM generate_series(1, 2);

-- In a database whose encoding is not UTF-8, a token with a character that
-- encoding cannot represent is malformed: jwt_validate returns that reason
-- instead of raising 22P05 from the conversion (which it did before even
-- checking the signature, for a character in the header).
\set regress_db :DBNAME
CREATE DATABASE jwt_regress_latin1 TEMPLATE template0 ENCODING 'LATIN1'
	LC_COLLATE 'C' LC_CTYPE 'C';
\c jwt_regress_latin1
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE EXTENSION jwt;
\set VERBOSITY terse
SELECT repeat('k', 32) AS k \gset
-- the header's kid is "€" (not in LATIN1); bad signature, unchecked
SELECT valid, reason, header FROM jwt_validate('eyJhbGciOiJIUzI1NiIsImtpZCI6IuKCrCJ9.e30.AAAA', :'k');
-- signed claims {"iat":1,"sub":"€uro"}, and {"iat":1,"sub":"café"}
SELECT valid, reason, claims FROM jwt_validate('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjEsInN1YiI6IuKCrHVybyJ9.5wNQ8fOlXj6hixNoFJYZ7AvFsQpYKqlkxfgwwK9i9iw', :'k');
SELECT jwt_verify('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjEsInN1YiI6IuKCrHVybyJ9.5wNQ8fOlXj6hixNoFJYZ7AvFsQpYKqlkxfgwwK9i9iw', :'k');
\echo :LAST_ERROR_SQLSTATE
SELECT claims FROM jwt_decode('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjEsInN1YiI6IuKCrHVybyJ9.5wNQ8fOlXj6hixNoFJYZ7AvFsQpYKqlkxfgwwK9i9iw');
\echo :LAST_ERROR_SQLSTATE
SELECT valid, reason, claims FROM jwt_validate('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjEsInN1YiI6ImNhZsOpIn0.gbozt73uSyLcMlqJEI_OLcOeOCyPq2Qqs6vKIfafKb0', :'k');
-- A JWK given as text, or whose public JWK is built, holds non-ASCII text
-- in the database encoding: "kid" of "café" (it was refused as not UTF-8,
-- or jwt_public_jwk failed with XX000 "could not build a JWK"; found by
-- test/fuzz in a LATIN1 cluster).
SELECT jwt_public_jwk('{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"café"}'::text)->>'kid' AS from_text,
       jwt_public_jwk('{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"café"}'::jsonb)->>'kid' AS from_jsonb;
SELECT jwt_sign('{"iat":1}', '{"kty":"oct","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s","kid":"café"}', 'HS256') AS t;
SELECT header, (jwt_validate(t, '{"kty":"oct","k":"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s","kid":"café"}')).valid
  FROM jwt_decode('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImNhZsOpIn0.eyJpYXQiOjF9.oOng0KVljhkNjveqMQhCXIo5_5Pltng_pw_kgZxrhk8'),
       (SELECT 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImNhZsOpIn0.eyJpYXQiOjF9.oOng0KVljhkNjveqMQhCXIo5_5Pltng_pw_kgZxrhk8'::text AS t) s;
-- An HMAC secret beyond ASCII in the key registry: its verification key
-- holds the secret's bytes in the database encoding, the bytes signing
-- takes (it held their UTF-8 form, and the registry refused every token it
-- signed with the key: bad_signature).
SELECT jwt_registry_add('sécret-sécret-sécret-sécret-sécret-0123', 'HS256', kid => 'latin1') AS kid;
SELECT valid, reason FROM jwt_registry_validate(jwt_registry_sign('{"sub":"a"}', 'HS256'));
SELECT valid, reason FROM jwt_validate(jwt_registry_sign('{"sub":"a"}', 'HS256'),
                                       'sécret-sécret-sécret-sécret-sécret-0123');
\c :regress_db
DROP DATABASE jwt_regress_latin1;
