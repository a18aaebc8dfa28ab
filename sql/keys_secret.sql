--
-- Public key material is never an HMAC secret, in any serialization that
-- key stores, environment files and configuration systems produce.  Each
-- row forges an HS256 token with the public text as the HMAC secret and
-- presents it with that text as the key, to jwt_verify, jwt_validate and
-- jwt_authenticate, as text and as bytea (without and with "algorithms"),
-- and as jsonb (the text as a JSON string, and as the "k" of an "oct"
-- JWK).  Every call must refuse the key (22023); none may accept.
--
\set VERBOSITY terse
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION ks_b64url(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION ks_forge(secret bytea) RETURNS text
LANGUAGE sql AS $$
	SELECT s || '.' || ks_b64url(hmac(convert_to(s, 'UTF8'), secret, 'sha256'))
	FROM (SELECT ks_b64url(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.' ||
				 ks_b64url(convert_to('{"sub":"mallory"}', 'UTF8')) AS s) AS x
$$;
-- The outcome of one call: accepted, rejected (jwt_validate's valid =
-- false) or the SQLSTATE raised; authentication is undone.
CREATE FUNCTION ks_try(call text, tok text, kt text, kb bytea, kj jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	ok boolean;
	res text;
BEGIN
	BEGIN
		EXECUTE call INTO ok USING tok, kt, kb, kj;
		res := CASE WHEN ok THEN 'accepted' ELSE 'rejected' END;
		RAISE SQLSTATE 'RGKS1';
	EXCEPTION WHEN SQLSTATE 'RGKS1' THEN
		RETURN res;
	END;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
-- The distinct outcomes for one key, as text and bytea ("bare"), with or
-- without algorithms, or as jsonb: a JSON string and an "oct" JWK ("jsonb")
-- or only the JWK ("oct").
CREATE FUNCTION ks_outcomes(secret bytea, form text, algs boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	kt text;
	kj jsonb;
	tok text := ks_forge(secret);
	a text := CASE WHEN algs THEN ', ''{HS256}''' ELSE '' END;
	args text[];
	fn text;
	arg text;
	outs text[] := '{}';
BEGIN
	BEGIN
		kt := convert_from(secret, 'UTF8');
		IF position(E'\\000' IN kt) > 0 THEN kt := NULL; END IF;
	EXCEPTION WHEN OTHERS THEN
		kt := NULL;
	END;
	IF form = 'bare' THEN
		args := ARRAY['$3'];
		IF kt IS NOT NULL THEN args := args || '$2'::text; END IF;
	ELSE
		args := ARRAY['$4'];
		kj := jsonb_build_object('kty', 'oct', 'k', ks_b64url(secret));
		IF kt IS NOT NULL AND form = 'jsonb' THEN
			outs := outs || ks_try(format('SELECT jwt_verify($1, $4%s) IS NOT NULL', a), tok, kt, secret, to_jsonb(kt));
		END IF;
	END IF;
	FOREACH arg IN ARRAY args LOOP
		FOREACH fn IN ARRAY ARRAY['SELECT jwt_verify($1, %s%s) IS NOT NULL',
								  'SELECT (jwt_validate($1, %s%s)).valid',
								  'SELECT jwt_authenticate($1, %s%s) IS NOT NULL'] LOOP
			outs := outs || ks_try(format(fn, arg, a), tok, kt, secret, kj);
		END LOOP;
	END LOOP;
	RETURN (SELECT string_agg(DISTINCT o, ', ' ORDER BY o) FROM unnest(outs) o);
END $$;
-- The message for a key given as bytea, without algorithms.
CREATE FUNCTION ks_message(secret bytea) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM jwt_verify(ks_forge(secret), secret);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLERRM;
END $$;

-- A 2048-bit RSA public key and an Ed25519 public key (test-only).
CREATE TABLE ks_base (name text, pem text);
INSERT INTO ks_base VALUES ('rsa', $$
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjgkRS5gy+P0/K4PVFkbq
AL1SMtsuQpgU9+6pcQ8D0ampHQ//MRCeZlcS/MOeBkCHaNF7rsqSV+BtWNIq3Bsh
fo4grhVALkUH1CCKnIVgiuGoi7IQIvqyO23VoZuWa7SHghYKEnchuGceX4Va4fhV
1y++vYczhRGJm9oE8ysr6JRdlxXvhLm2405So6F2l5qjRgLI2Gt3/eIGbGuU8/v3
74c318UFucmJn/gXSfvnu55CaWsjDv0h8t+IFKDjgtELtEgGNahzQmIVS+ghr1e6
yeB3WyOjk9OY06qp+sCnhJTFQjv0isnUzFrECcoI1FyWfTZiqw8P/mc0+52B8oSJ
0QIDAQAB
-----END PUBLIC KEY-----
$$), ('ed', $$
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAvsAhVzR71LwwQI3hEO74iAfA6wIaQ/FFccprFJbPLKk=
-----END PUBLIC KEY-----
$$);
\set ssh 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCOCRFLmDL4/T8rg9UWRuoAvVIy2y5CmBT37qlxDwPRqakdD/8xEJ5mVxL8w54GQIdo0XuuypJX4G1Y0ircGyF+jiCuFUAuRQfUIIqchWCK4aiLshAi+rI7bdWhm5ZrtIeCFgoSdyG4Zx5fhVrh+FXXL769hzOFEYmb2gTzKyvolF2XFe+EubbjTlKjoXaXmqNGAsjYa3f94gZsa5Tz+/fvhzfXxQW5yYmf+BdJ++e7nkJpayMO/SHy34gUoOOC0Qu0SAY1qHNCYhVL6CGvV7rJ4HdbI6OT05jTqqn6wKeElMVCO/SKydTMWsQJygjUXJZ9NmKrDw/+ZzT7nYHyhInR'
CREATE TABLE ks_key AS
SELECT name, pem, body, decode(body, 'base64') AS der, jwt_public_jwk(pem) AS jwk
FROM (SELECT name, btrim(pem, E'\n') AS pem,
             regexp_replace(pem, '-----[A-Z ]+-----|\n', '', 'g') AS body FROM ks_base) AS x;
CREATE FUNCTION ks_b64url_decode(s text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT decode(translate(s, '-_', '+/') || repeat('=', (4 - length(s) % 4) % 4), 'base64')
$$;
CREATE FUNCTION ks_colons(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT regexp_replace(encode(b, 'hex'), '(..)(?!$)', '\1:', 'g') $$;
-- Each byte as a token: prefix || two hex digits, joined by sep.
CREATE FUNCTION ks_hex_tokens(b bytea, prefix text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg(prefix || encode(substring(b FROM g FOR 1), 'hex'), sep ORDER BY g)
	FROM generate_series(1, length(b)) g
$$;
CREATE FUNCTION ks_dec_tokens(b bytea, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg(get_byte(b, g)::text, sep ORDER BY g) FROM generate_series(0, length(b) - 1) g
$$;
CREATE FUNCTION ks_printable(b bytea, o int, n int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg(CASE WHEN get_byte(b, g) BETWEEN 32 AND 126 THEN chr(get_byte(b, g)) ELSE '.' END, '' ORDER BY g)
	FROM generate_series(o, least(o + n, length(b)) - 1) g
$$;
-- What xxd and hexdump -C print.
CREATE FUNCTION ks_xxd(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg(lpad(to_hex(o), 8, '0') || ': ' ||
		(SELECT string_agg(encode(substring(b FROM o + p + 1 FOR 2), 'hex'), ' ' ORDER BY p)
		 FROM generate_series(0, least(16, length(b) - o) - 1, 2) p) || '  ' || ks_printable(b, o, 16),
		E'\n' ORDER BY o)
	FROM generate_series(0, length(b) - 1, 16) o
$$;
CREATE FUNCTION ks_hexdump(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg(lpad(to_hex(o), 8, '0') || '  ' ||
		(SELECT string_agg(encode(substring(b FROM o + p + 1 FOR 1), 'hex') || CASE WHEN p = 7 THEN ' ' ELSE '' END, ' ' ORDER BY p)
		 FROM generate_series(0, least(16, length(b) - o) - 1) p) || '  |' || ks_printable(b, o, 16) || '|',
		E'\n' ORDER BY o)
	FROM generate_series(0, length(b) - 1, 16) o
$$;
-- openssl -text's hex block: 15 bytes a line, indented by four spaces.
CREATE FUNCTION ks_text_block(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT string_agg('    ' || ks_hex_tokens(substring(b FROM o + 1 FOR 15), '', ':'), E':\n' ORDER BY o)
	FROM generate_series(0, length(b) - 1, 15) o
$$;

CREATE TABLE ks (i serial, name text, secret bytea, structure boolean);
INSERT INTO ks (name, secret, structure)
SELECT v.name, convert_to(v.t, 'UTF8'), v.structure
FROM ks_key r, ks_key e,
LATERAL (VALUES
  ('PEM body, newlines as the two characters \n',
   replace(regexp_replace(r.pem, '-----[A-Z ]+-----\n?', '', 'g'), E'\n', '\n'), true),
  ('PEM body, newlines as \\n (escaped twice)',
   replace(regexp_replace(r.pem, '-----[A-Z ]+-----\n?', '', 'g'), E'\n', '\\n'), true),
  ('PEM body, lines joined by spaces (echo $KEY)',
   replace(regexp_replace(r.pem, '-----[A-Z ]+-----\n?', '', 'g'), E'\n', ' '), true),
  ('PEM body, one line, in an .env line',
   'PUBLIC_KEY=' || r.body, true),
  ('PEM, newlines as \n, in an .env line',
   'PUBLIC_KEY="' || replace(r.pem, E'\n', '\n') || '"', true),
  ('PEM as a JSON string with \u002d for "-"',
   replace(to_json(r.pem)::text, '-', '\u002d'), true),
  ('PEM, URL-encoded',
   replace(replace(replace(replace(replace(r.pem, '-', '%2D'), E'\n', '%0A'), '+', '%2B'), '/', '%2F'), ' ', '%20'), true),
  ('PEM, HTML entities',
   replace(r.pem, '-', '&#45;'), true),
  ('PEM, base64 (a whole file in a variable)',
   encode(convert_to(r.pem, 'UTF8'), 'base64'), true),
  ('public JWK, base64',
   encode(convert_to(r.jwk::text, 'UTF8'), 'base64'), true),
  ('public JWK, base64url on one line',
   ks_b64url(convert_to(r.jwk::text, 'UTF8')), true),
  ('public JWK, in a JSON string',
   to_json(r.jwk::text)::text, true),
  ('public JWK, as a Python dict',
   replace(r.jwk::text, '"', ''''), true),
  ('public JWK, as YAML',
   'kty: RSA' || E'\n' || 'n: ' || (r.jwk->>'n') || E'\n' || 'e: AQAB', true),
  ('OpenSSH public key line',
   :'ssh', true),
  ('SSH wire format, base64',
   split_part(:'ssh', ' ', 2), true),
  ('RFC 4716 SSH2 public key',
   '---- BEGIN SSH2 PUBLIC KEY ----' || E'\n' || split_part(:'ssh', ' ', 2) || E'\n' || '---- END SSH2 PUBLIC KEY ----', true),
  ('DER, hex',
   encode(r.der, 'hex'), true),
  ('DER, hex with colons',
   ks_colons(r.der), true),
  ('DER, base64 of its base64',
   encode(convert_to(encode(r.der, 'base64'), 'UTF8'), 'base64'), true),
  ('DER, as a Python bytes literal',
   'b''' || regexp_replace(encode(r.der, 'hex'), '(..)', '\\x\1', 'g') || '''', true),
  ('DER, base32',
   (SELECT string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
                             (substring(bits FROM g * 5 + 1 FOR 5)::bit(5)::int) + 1, 1), '' ORDER BY g)
    FROM (SELECT string_agg(get_byte(r.der, b)::bit(8)::text, '' ORDER BY b) AS bits
          FROM generate_series(0, length(r.der) - 1) b) AS x,
         generate_series(0, length(r.der) * 8 / 5 - 1) g), true),
  ('DER, base85 (Ascii85)',
   (SELECT string_agg(chr(33 + (v / (85 ^ (4 - d))::bigint % 85)::int), '' ORDER BY w, d)
    FROM (SELECT w, (get_byte(r.der, w * 4)::bigint << 24) | (get_byte(r.der, w * 4 + 1) << 16) |
                     (get_byte(r.der, w * 4 + 2) << 8) | get_byte(r.der, w * 4 + 3) AS v
          FROM generate_series(0, length(r.der) / 4 - 1) w) AS x,
         generate_series(0, 4) d), true),
  ('XML RSAKeyValue (.NET)',
   '<RSAKeyValue><Modulus>' || encode(ks_b64url_decode(r.jwk->>'n'), 'base64') ||
   '</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>', true),
  ('openssl pkey -text output',
   'Public-Key: (2048 bit)' || E'\nModulus:\n    ' || ks_colons('\x00'::bytea || ks_b64url_decode(r.jwk->>'n')) ||
   E'\nExponent: 65537 (0x10001)', true),
  ('Ed25519 PEM body',
   e.body, true),
  ('RSA modulus alone (a JWK "n")',
   r.jwk->>'n', false),
  ('RSA modulus alone, hex with colons',
   ks_colons(ks_b64url_decode(r.jwk->>'n')), false),
  ('a long decimal number, as an RSA modulus written out',
   (SELECT string_agg(lpad(x::text, 1), '') FROM (SELECT (get_byte(ks_b64url_decode(r.jwk->>'n'), g) % 10) AS x
    FROM generate_series(0, 255) g) AS d) || '0123456789', false),
  ('Ed25519 public key alone (a JWK "x")',
   e.jwk->>'x', false),
  ('Ed25519 public key alone, base64',
   encode(substring(e.der FROM 13), 'base64'), false),
  ('Ed25519 public key alone, hex',
   encode(substring(e.der FROM 13), 'hex'), false)
) AS v(name, t, structure)
WHERE r.name = 'rsa' AND e.name = 'ed';
-- bytes that are not text
INSERT INTO ks (name, secret, structure)
SELECT 'PEM in UTF-16LE',
       (SELECT string_agg(set_byte('\x0000'::bytea, 0, get_byte(convert_to(pem, 'UTF8'), g)), ''::bytea ORDER BY g)
        FROM generate_series(0, length(convert_to(pem, 'UTF8')) - 1) g), true
FROM ks_key WHERE name = 'rsa'
UNION ALL
SELECT 'DER behind four other bytes', '\x00010203'::bytea || der, true FROM ks_key WHERE name = 'rsa'
UNION ALL
SELECT 'PEM body, base64 in UTF-16LE',
       (SELECT string_agg(set_byte('\x0000'::bytea, 0, get_byte(convert_to(body, 'UTF8'), g)), ''::bytea ORDER BY g)
        FROM generate_series(0, length(convert_to(body, 'UTF8')) - 1) g), true
FROM ks_key WHERE name = 'rsa';

-- Byte lists, dumps, binary formats and deeper encodings: structure is
-- found in each.  The Ed25519 key's raw 32 bytes and a P-256 point.
INSERT INTO ks (name, secret, structure)
SELECT v.name, convert_to(v.t, 'UTF8'), true
FROM ks_key r, ks_key e,
LATERAL (SELECT substring(e.der FROM 13) AS raw) AS k,
LATERAL (VALUES
  ('DER, .NET BitConverter dash-hex', upper(ks_hex_tokens(e.der, '', '-'))),
  ('DER, a C array', '{ ' || ks_hex_tokens(e.der, '0x', ', ') || ' }'),
  ('DER, a decimal byte list', ks_dec_tokens(e.der, ',')),
  ('DER, quoted-printable', upper(ks_hex_tokens(e.der, '=', ''))),
  ('DER, octal escapes',
   (SELECT string_agg('\' || (get_byte(e.der, g) >> 6)::text || ((get_byte(e.der, g) >> 3) & 7)::text ||
                      (get_byte(e.der, g) & 7)::text, '' ORDER BY g)
    FROM generate_series(0, length(e.der) - 1) g)),
  ('RSA DER, xxd output', ks_xxd(r.der)),
  ('RSA DER, hexdump -C output', ks_hexdump(r.der)),
  ('DER, hex of base64 of hex',
   encode(convert_to(encode(convert_to(encode(e.der, 'hex'), 'UTF8'), 'base64'), 'UTF8'), 'hex')),
  ('OpenPGP Ed25519 public-key packet, Autocrypt keydata',
   'addr=alice@example.org; keydata=' ||
   encode('\x9833046500000016092b06010401da470f01010740'::bytea || k.raw, 'base64')),
  ('COSE_Key OKP, base64url', ks_b64url('\xa4010103272006215820'::bytea || k.raw)),
  ('COSE_Key EC2 P-256, base64url (WebAuthn credentialPublicKey)',
   ks_b64url('\xa50102032620012158207c512de03794cd6b9df85a8cea96144e51abe5b3ac177bbdd10b5316deeab623'
             '2258203ba195b8ad0dc675f8fee05820a1b0edae924458d0d1ff3ccdeaeabd07590977'::bytea))
) AS v(name, t)
WHERE r.name = 'rsa' AND e.name = 'ed';
-- Raw keys in other text forms: they need algorithms.
INSERT INTO ks (name, secret, structure)
SELECT v.name, convert_to(v.t, 'UTF8'), false
FROM ks_key r, ks_key e,
LATERAL (SELECT substring(e.der FROM 13) AS raw, '\x00'::bytea || ks_b64url_decode(r.jwk->>'n') AS n) AS k,
LATERAL (VALUES
  ('RSA modulus, openssl -text hex lines without the header', ks_text_block(k.n)),
  ('Ed25519 key, openssl -text hex lines', 'pub:' || E'\n' || ks_text_block(k.raw)),
  ('Ed25519 key, space-separated hex', ks_hex_tokens(k.raw, '', ' ')),
  ('Ed25519 key, base32', 'XLACCVZUPPKLYMCARXQRB3XYRAD4B2YCDJB7CRLRZJVRJFWPFSUQ===='),
  ('Ed25519 key, base32, lower case, unpadded', 'xlaccvzuppklymcarxqrb3xyrad4b2ycdjb7crlrzjvrjfwpfsuq'),
  ('Ed25519 key, Stellar StrKey', 'GC7MAIKXGR55JPBQICG6CEHO7CEAPQHLAINEH4KFOHFGWFEWZ4WKS3U3'),
  ('Ed25519 key, bech32 (npub)', 'npub1hmqzz4e5002tcvzq3hs3pmhc3qrup6czrfplz3t3ef43f9k09j5su0am96'),
  ('Ed25519 key, bech32 (age)', 'age1hmqzz4e5002tcvzq3hs3pmhc3qrup6czrfplz3t3ef43f9k09j5s2hauqp'),
  ('Ed25519 key, base85', 'zQ7?@G<(#%FhGsr5bpSh2f*tB8bk3#ams5Hmd`Ay'),
  ('Ed25519 key, a JSON array of bytes', '[' || ks_dec_tokens(k.raw, ', ') || ']'),
  ('Ed25519 key, a Python bytes repr',
   $$b'\xbe\xc0!W4{\xd4\xbc0@\x8d\xe1\x10\xee\xf8\x88\x07\xc0\xeb\x02\x1aC\xf1Eq\xcak\x14\x96\xcf,\xa9'$$),
  ('RSA modulus, base64 split by spaces', regexp_replace(encode(k.n, 'base64'), '(....)', '\1 ', 'g')),
  ('Ed25519 key, base64url split by spaces', regexp_replace(e.jwk->>'x', '(........)', '\1 ', 'g')),
  ('Ed25519 PEM, gzip, base64',
   'H4sIAAAAAAACA9PVBQInV3dPP4WAUCcfT2cFb9dIkJgul69zfrlTYKSLt1FYuWOlq2NZsWNGWFWQuaFPeXmgp3GGq7+5SaZjmqNZuWdioL6bW3JyQZGbV1KAj3e2LRfYCFc/F3RTAbr6AJRwAAAA'),
  ('Ed25519 PEM, zlib, base64',
   'eJzT1QUCJ1d3Tz+FgFAnH09nBW/XSJCYLpevc365U2Cki7dRWLljpatjWbFjRlhVkLmhT3l5oKdxhqu/uUmmY5qjWblnYqC+m1tyckGRm1dSgI93ti0X2AhXPxd0UwHnrh88')
) AS v(name, t)
WHERE r.name = 'rsa' AND e.name = 'ed';

-- Key material with structure: refused with and without algorithms, in
-- every form.
SELECT i, name, ks_outcomes(secret, 'bare', false) AS without_algorithms,
       ks_outcomes(secret, 'bare', true) AS with_algorithms,
       ks_outcomes(secret, 'jsonb', false) AS jsonb
FROM ks WHERE structure ORDER BY i;
SELECT i, name, ks_message(secret) AS message FROM ks WHERE structure ORDER BY i;

-- A key without structure (a raw point or modulus) cannot be told from a
-- random secret of the same length: as text or bytea it verifies only
-- with "algorithms", which then says it is an HMAC secret.
SELECT i, name, ks_outcomes(secret, 'bare', false) AS without_algorithms,
       ks_outcomes(secret, 'bare', true) AS with_algorithms,
       ks_message(secret) AS message
FROM ks WHERE NOT structure ORDER BY i;

-- Ordinary secrets still work, without algorithms; a base64 or hex secret
-- of a key's length needs them.
CREATE TABLE ks_ok (i serial, name text, secret bytea);
INSERT INTO ks_ok (name, secret) VALUES
  ('jwt_generate_secret()', jwt_generate_secret()),
  ('jwt_generate_secret(32)', jwt_generate_secret(32)),
  ('32 random bytes', gen_random_bytes(32)),
  ('a passphrase', convert_to('correct horse battery staple, and then some more', 'UTF8')),
  ('a passphrase with hyphens', convert_to('interop-test-secret-HS256-0123456789abcdefghijklmnopqrstuvwxyzABCDEF', 'UTF8')),
  ('jwt_generate_secret() in base64', convert_to(encode(jwt_generate_secret(), 'base64'), 'UTF8')),
  ('jwt_generate_secret() in hex', convert_to(encode(jwt_generate_secret(), 'hex'), 'UTF8')),
  ('jwt_generate_secret(32) in base64', convert_to(encode(jwt_generate_secret(32), 'base64'), 'UTF8')),
  ('jwt_generate_secret(32) in hex', convert_to(encode(jwt_generate_secret(32), 'hex'), 'UTF8')),
  ('"sk-ecdsa-" in a passphrase', convert_to('sk-ecdsa-rotation-2024-q3-primary-signing-secret-do-not-share', 'UTF8')),
  ('"sk-ssh-" in a passphrase', convert_to('sk-ssh-deploy-bot-secret-2024-rotation-key-number-seven', 'UTF8')),
  ('"ssh-rsa" in a passphrase', convert_to('the ssh-rsa host key moved; this passphrase is unrelated to it', 'UTF8')),
  ('"kty=" in a URL', convert_to('https://x.example/?kty=oct&note=an-ordinary-url-used-as-a-secret', 'UTF8')),
  ('"kty:" in a sentence', convert_to('remember: kty: means key type, nothing else in this passphrase', 'UTF8')),
  ('a passphrase with numbers', convert_to('we met at 10 20 30 40 50 60 70 80 90 and then 11 12 13 14 15 went home', 'UTF8'));
SELECT i, name, ks_outcomes(secret, 'bare', false) AS without_algorithms,
       ks_outcomes(secret, 'bare', true) AS with_algorithms,
       ks_outcomes(secret, 'oct', false) AS oct_jwk
FROM ks_ok ORDER BY i;

-- jwt.require_algorithms_for_secrets: any secret given as text or bytea
-- then needs algorithms; an "oct" JWK does not.  Superusers only.
SET jwt.require_algorithms_for_secrets = on;
SELECT i, name, ks_outcomes(secret, 'bare', false) AS without_algorithms,
       ks_outcomes(secret, 'bare', true) AS with_algorithms,
       ks_outcomes(secret, 'oct', false) AS oct_jwk
FROM ks_ok WHERE i IN (1, 4) ORDER BY i;
SELECT jwt_verify(jwt_sign('{}', 'a passphrase of thirty-two bytes or more', 'HS256'),
                  'a passphrase of thirty-two bytes or more');
\echo :LAST_ERROR_SQLSTATE
RESET jwt.require_algorithms_for_secrets;
CREATE ROLE regress_ks_user;
SET SESSION AUTHORIZATION regress_ks_user;
SET jwt.require_algorithms_for_secrets = on;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DROP ROLE regress_ks_user;

DROP TABLE ks, ks_ok, ks_key, ks_base;
DROP FUNCTION ks_outcomes(bytea, text, boolean), ks_try(text, text, text, bytea, jsonb),
              ks_message(bytea), ks_forge(bytea), ks_b64url(bytea), ks_b64url_decode(text),
              ks_colons(bytea), ks_hex_tokens(bytea, text, text), ks_dec_tokens(bytea, text),
              ks_xxd(bytea), ks_hexdump(bytea), ks_printable(bytea, int, int), ks_text_block(bytea);
DROP EXTENSION pgcrypto;

-- JWK members written with \u escapes (every character of "k" and "d"):
-- the same keys as plain ones, as text and as bytea.  The parser's
-- unescaped copies of such members are wiped and freed after the parse.
CREATE FUNCTION ks_escape_all(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(format('\u%s', lpad(to_hex(ascii(c)), 4, '0')), '' ORDER BY n)
    FROM regexp_split_to_table(s, '') WITH ORDINALITY AS t(c, n) $$;
SELECT jwt_generate_key('ES256') AS ec_jwk, jwt_generate_key('HS256') AS oct_jwk \gset
SELECT replace(:'oct_jwk', :'oct_jwk'::jsonb->>'k', ks_escape_all(:'oct_jwk'::jsonb->>'k')) AS oct_esc,
       replace(:'ec_jwk', :'ec_jwk'::jsonb->>'d', ks_escape_all(:'ec_jwk'::jsonb->>'d')) AS ec_esc \gset
SELECT position('\u' IN :'oct_esc') > 0 AS oct_escaped, position('\u' IN :'ec_esc') > 0 AS ec_escaped;
SELECT jwt_sign('{"sub":"s"}', :'oct_esc', 'HS256') = jwt_sign('{"sub":"s"}', :'oct_jwk', 'HS256') AS oct_text_same,
       jwt_sign('{"sub":"s"}', convert_to(:'oct_esc', 'UTF8'), 'HS256') = jwt_sign('{"sub":"s"}', :'oct_jwk', 'HS256') AS oct_bytea_same;
SELECT (jwt_validate(jwt_sign('{"sub":"s"}', :'ec_esc', 'ES256'), jwt_public_jwk(:'ec_jwk'))).valid AS ec_text_signs,
       (jwt_validate(jwt_sign('{"sub":"s"}', convert_to(:'ec_esc', 'UTF8'), 'ES256'), jwt_public_jwk(:'ec_jwk'))).valid AS ec_bytea_signs,
       jwt_public_jwk(:'ec_esc') = jwt_public_jwk(:'ec_jwk') AS same_public;
DROP FUNCTION ks_escape_all(text);
