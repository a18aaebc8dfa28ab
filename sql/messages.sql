--
-- Values taken from a token (kid, alg, typ, crit, iss, sub, a role claim)
-- are quoted in error details and in the failure log with double quotes and
-- backslashes escaped and control characters written as \xHH, \uHHHH or
-- \UHHHHHHHH, decided by the code point in every encoding: C0 and C1
-- controls, DEL, line separators and format characters (bidi controls,
-- zero width characters, soft hyphen, tags); also the bytes 0x80-0x9F in
-- single-byte encodings (the LATIN1 database below), where 0x9B is CSI.
-- test/encoding covers the other encodings.
--
\set VERBOSITY default
\set k32 '''0123456789abcdef0123456789abcdef'''
\set jwks '''{"keys":[{"kty":"oct","kid":"k1","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}'''

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION b64url(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION forge(h text, p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT b64url(h) || '.' || b64url(p) || '.' || rtrim(translate(encode(hmac(b64url(h) || '.' || b64url(p), '0123456789abcdef0123456789abcdef', 'sha256'), 'base64'), E'+/\n', '-_'), '=')
$$;
-- The detail of an error, with the characters psql would show raw made
-- visible, so that the expected output holds what the client received.
CREATE FUNCTION detail_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN regexp_replace(d, '[\x01-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]', '<RAW>', 'g');
END $$;

-- kid: CR LF (a forged line), ESC [ (a terminal sequence), BEL; then a
-- quote and a backslash, which must not end the quoted value.
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256","kid":"k\r\nLOG:  forged\u001b[31m\u0007"}', '{}'), :jwks)) AS kid;
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256","kid":"a\"b\\c"}', '{}'), :jwks)) AS kid_quote;
-- alg, typ and crit
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256\r\u001b]0;title\u0007"}', '{}'), :k32)) AS alg;
SELECT detail_of(format('SELECT jwt_verify(%L, %L, typ => %L)',
                        forge('{"alg":"HS256","typ":"JWT\u001b[2J"}', '{}'), :k32, 'at+jwt')) AS typ;
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256","crit":["x\r\u0007"]}', '{}'), :k32)) AS crit;
-- iss and sub, after a valid signature
SELECT detail_of(format('SELECT jwt_verify(%L, %L, issuer => %L)',
                        forge('{"alg":"HS256"}', '{"iss":"evil\r\n\u001b[0m"}'), :k32, 'good')) AS iss;
SELECT detail_of(format('SELECT jwt_verify(%L, %L, subject => %L)',
                        forge('{"alg":"HS256"}', '{"sub":"\u0007x\u007f"}'), :k32, 'alice')) AS sub;
-- aud: the detail names only the expected audience, never the token's
SELECT detail_of(format('SELECT jwt_verify(%L, %L, audience => %L)',
                        forge('{"alg":"HS256"}', '{"aud":["\u001b[31m","x\r"]}'), :k32, 'api')) AS aud;
-- UTF-8: C1 controls (U+009B is CSI), line separators, bidi overrides
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256","kid":"a\u009b31mb\u2028c\u202egnp.exe\u2066d\u200f"}', '{}'), :jwks)) AS kid_unicode;
-- Invisible characters, which make a value look like another: soft
-- hyphen, zero width space, non-joiner and joiner, word joiner, BOM, a tag
-- character (U+E0041, outside the BMP) and the Arabic letter mark.
SELECT detail_of(format('SELECT jwt_verify(%L, %L, subject => %L)',
                        forge('{"alg":"HS256"}', '{"sub":"ad\u00admin\u200b\u200c\u200d\u2060\ufeff\udb40\udc41\u061c"}'), :k32, 'admin')) AS sub_invisible;
-- Clipped to 64 bytes on a character boundary.
SELECT detail_of(format('SELECT jwt_verify(%L, %L, subject => %L)',
                        forge('{"alg":"HS256"}', jsonb_build_object('sub', repeat(E'\u00e9', 40) || E'\r')::text), :k32, 'alice')) AS sub_clipped;
-- A role claim names a role that does not exist.
SELECT detail_of(format('SELECT jwt_authenticate(%L, %L, role_claim => %L)',
                        forge('{"alg":"HS256"}', '{"role":"r\r\u001b[1m"}'), :k32, 'role')) AS role;

-- The failure log line escapes the same way.
SET jwt.log_failures = warning;
SET client_min_messages = warning;
SELECT (jwt_validate(forge('{"alg":"HS256","kid":"k\r\u001b[31m\u0007\u009b\u202e"}', '{"iss":"i\n","sub":"s\u2029\u200b\udb40\udc41"}'), :jwks)).reason;
RESET jwt.log_failures;
RESET client_min_messages;

-- LATIN1: the kid's U+009B becomes the byte 0x9B, CSI on a terminal that
-- reads Latin-1; it is escaped, like the C0 controls.  U+00E9 is shown.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_jwt_latin1;
RESET client_min_messages;
CREATE DATABASE regress_jwt_latin1 ENCODING 'LATIN1' TEMPLATE template0
  LC_COLLATE 'C' LC_CTYPE 'C';
SELECT current_database() AS regress_db \gset
\c regress_jwt_latin1
SET client_encoding = 'UTF8';
\set VERBOSITY default
CREATE EXTENSION jwt;
CREATE EXTENSION pgcrypto;
CREATE FUNCTION b64url(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION forge(h text, p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT b64url(h) || '.' || b64url(p) || '.' || rtrim(translate(encode(hmac(b64url(h) || '.' || b64url(p), '0123456789abcdef0123456789abcdef', 'sha256'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION detail_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN regexp_replace(d, '[\x01-\x1f\x7f-\x9f\u00ad]', '<RAW>', 'g');
END $$;
SELECT detail_of(format('SELECT jwt_verify(%L, %L)',
                        forge('{"alg":"HS256","kid":"\u009b31m\u00e9\u0085\r"}', '{}'),
                        '{"keys":[{"kty":"oct","kid":"k1","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}')) AS kid;
SELECT detail_of(format('SELECT jwt_verify(%L, %L, issuer => %L)',
                        forge('{"alg":"HS256"}', '{"iss":"\u009b2J\u00ff"}'), '0123456789abcdef0123456789abcdef', 'good')) AS iss;
-- The soft hyphen is the byte 0xAD in LATIN1, escaped by its code point.
SELECT detail_of(format('SELECT jwt_verify(%L, %L, subject => %L)',
                        forge('{"alg":"HS256"}', '{"sub":"ad\u00admin"}'), '0123456789abcdef0123456789abcdef', 'admin')) AS sub;
SET jwt.log_failures = warning;
SET client_min_messages = warning;
SELECT (jwt_validate(forge('{"alg":"HS256","kid":"\u009b31m"}', '{"sub":"\u009b\u00e9"}'), repeat('x', 32))).reason;
\c :regress_db
DROP DATABASE regress_jwt_latin1;

DROP FUNCTION detail_of(text);
DROP FUNCTION forge(text, text);
DROP FUNCTION b64url(text);
DROP EXTENSION pgcrypto;
