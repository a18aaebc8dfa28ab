--
-- Malformed tokens: every shape rule, in jwt_validate (reason), jwt_verify
-- (28000) and jwt_decode (22P02).
--
\set k32 '''0123456789abcdef0123456789abcdef'''
\set at '''2024-01-01 00:00:00+00'''
\set VERBOSITY default

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION b64url(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION b64url_bytes(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(b, 'base64'), E'+/\n', '-_'), '=')
$$;
-- Sign any header and payload segments (already encoded) with HS256.
CREATE FUNCTION forge_raw(h text, p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT h || '.' || p || '.' || rtrim(translate(encode(hmac(h || '.' || p, '0123456789abcdef0123456789abcdef', 'sha256'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION forge(h text, p text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT forge_raw(b64url(h), b64url(p))
$$;
CREATE FUNCTION why(tok text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(reason, 'valid') FROM jwt_validate(tok, '0123456789abcdef0123456789abcdef', at => '2024-01-01 00:00:00+00')
$$;

\set good 'forge(''{"alg":"HS256","typ":"JWT"}'', ''{"sub":"s","iat":1}'')'
SELECT why(:good) AS control;

-- Segments.
SELECT why('') AS empty, why('abc') AS one, why('a.b') AS two, why('a.b.c.d') AS four,
       why('a.b.c.d.e') AS five_jwe, why('.' || split_part(:good, '.', 2) || '.x') AS empty_header,
       why(split_part(:good, '.', 1) || '..x') AS empty_payload;

-- base64url strictness: padding, the standard alphabet, whitespace,
-- non-canonical trailing bits, a 4n+1 length, non-ASCII.
SELECT why(split_part(:good, '.', 1) || '=.' || split_part(:good, '.', 2) || '.' || split_part(:good, '.', 3)) AS padded,
       why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e3+/')) AS std_alphabet,
       why(' ' || :good) AS leading_space,
       why(:good || E'\n') AS trailing_newline,
       why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e30')) AS canonical,
       why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e31')) AS noncanonical_bits,
       why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e30AA')) AS len_4n_plus_1,
       why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e3é0')) AS non_ascii;
SELECT why(forge_raw('eyJhbGciOiJIUzI1NiJ9', 'e30') || '=') AS sig_padded;
-- Every character next to the alphabet's runs (and a few more), at every
-- position of a payload of 96 characters and of the signature, which are
-- decoded 32 at a time: always malformed (a character taken for another
-- would make the signature a bad one); the unchanged token is valid.
SELECT count(*) AS tries, count(*) FILTER (WHERE why(t) = 'malformed') AS malformed,
       min(why(forge_raw('eyJhbGciOiJIUzI1NiJ9', p))) AS unchanged
  FROM (SELECT b64url('{"sub":"' || repeat('s', 54) || '","iat":1}') AS p) x,
       unnest(ARRAY[',', '.', '/', ':', '@', '[', '^', '`', '{', '+', '=', ' ', E'\x7f', E'\x01', 'é']) c,
       LATERAL (SELECT forge_raw('eyJhbGciOiJIUzI1NiJ9', overlay(p PLACING c FROM i FOR 1)) AS t
                  FROM generate_series(1, length(p)) i
                UNION ALL
                SELECT overlay(forge_raw('eyJhbGciOiJIUzI1NiJ9', p) PLACING c FROM length('eyJhbGciOiJIUzI1NiJ9') + length(p) + 3 + i FOR 1)
                  FROM generate_series(0, 42) i) y;

-- Every ASCII character, and characters whose UTF-8 bytes have every high
-- nibble from 8 to F, at every position of signature segments of 32 to 40,
-- 60 to 68 and 92 to 100 characters (the lengths around 32-character
-- steps, and every length modulo 4): refused exactly when the segment is
-- not canonical base64url (as a plain check of the alphabet, the length
-- and the trailing bits says), else decoded to the bytes decode() gives.
SELECT count(*) AS tries,
       count(*) FILTER (WHERE ok) AS canonical,
       count(*) FILTER (WHERE r = CASE WHEN ok THEN 'bad_signature' ELSE 'malformed' END) AS as_expected,
       count(*) FILTER (WHERE ok AND (jwt_decode('eyJhbGciOiJIUzI1NiJ9.e30.' || seg)).signature =
                                     decode(translate(seg, '-_', '+/') || repeat('=', (4 - n % 4) % 4), 'base64')) AS same_bytes
  FROM (SELECT n, seg, r.reason AS r,
               seg ~ '^[A-Za-z0-9_-]*$' AND n % 4 <> 1 AND
               (n % 4 <> 2 OR right(seg, 1) IN ('A', 'Q', 'g', 'w')) AND
               (n % 4 <> 3 OR strpos('AEIMQUYcgkosw048', right(seg, 1)) > 0) AS ok
          FROM (SELECT n, overlay(s PLACING c FROM p FOR 1) AS seg
                  FROM (SELECT n, left(repeat('eyJzdWIiOiJhbGljZSIsImlhdCI6MX0-_09azAZ', 3), n - 1) ||
                                  CASE n % 4 WHEN 2 THEN 'Q' WHEN 3 THEN 'E' ELSE 'x' END AS s
                          FROM generate_series(32, 100) n
                         WHERE n <= 40 OR n BETWEEN 60 AND 68 OR n >= 92) b,
                       generate_series(1, n) p,
                       (SELECT chr(i) FROM generate_series(1, 127) i
                        UNION ALL SELECT unnest(ARRAY['é', 'ÿ', chr(2047), '€', '😀'])) c(c)) v,
               LATERAL jwt_validate('eyJhbGciOiJIUzI1NiJ9.e30.' || seg, :k32) r) w;

-- Header: a JSON object, no duplicate members, alg a known non-"none" string.
SELECT h AS header, why(forge(h, '{"iat":1}')) AS reason
  FROM (VALUES ('not json'), ('[]'), ('"HS256"'), ('{"alg":"HS256"} x'), ('{"alg":"HS256",}'),
               ('{"alg":"HS256","alg":"HS256"}'), ('{"alg":"HS256","x":{"a":1,"a":2}}'),
               ('{}'), ('{"alg":null}'), ('{"alg":256}'), ('{"alg":"none"}'), ('{"alg":"NONE"}'),
               ('{"alg":"nOnE"}'), ('{"alg":"hs256"}'), ('{"alg":"HS999"}'),
               ('{"alg":"HS256","kid":5}'), ('{"alg":"HS256","crit":["exp"],"exp":1}'),
               ('{"alg":"HS256","crit":[]}'), ('{"alg":"HS256","crit":"b64"}'),
               ('{"alg":"HS256","b64":false,"crit":["b64"]}'),
               ('{"alg":"HS256","kid":"../../etc/passwd"}')) AS v(h);
-- alg "none" with an empty signature, as an attacker would send it.
SELECT why(b64url('{"alg":"none"}') || '.' || b64url('{"sub":"admin"}') || '.') AS unsecured;
SELECT jwt_verify(b64url('{"alg":"none"}') || '.' || b64url('{"sub":"admin"}') || '.', :k32);

-- Payload: a JSON object in UTF-8, no duplicate claims, no \u0000.
SELECT p AS payload, why(forge('{"alg":"HS256"}', p)) AS reason
  FROM (VALUES ('[]'), ('"claims"'), ('42'), ('null'), ('{"sub":"a","sub":"b"}'),
               ('{"a":{"b":[{"c":1,"c":2}]}}'), ('{"s":"\u0000"}'), ('{"s":"\ud800"}'),
               ('{"s":"\ud83d\ude00"}'), ('{"n":1e999999}'), ('{"n":-0.0e-5}'), ('{"s":"a\x"}'), ('')) AS v(p);
SELECT why(forge_raw(b64url('{"alg":"HS256"}'), b64url_bytes('\x7b2273223a22ff227d'))) AS invalid_utf8;
SELECT why(forge_raw(b64url('{"alg":"HS256"}'), b64url_bytes('\x7b2273223a2200227d'))) AS nul_byte;

-- Size and depth limits (54000), checked before any parsing.
SELECT why(repeat('a', 1024 * 1024)) AS one_megabyte;
SELECT jwt_verify(repeat('a', 1024 * 1024), :k32);
SELECT why(forge('{"alg":"HS256"}', '{"a":' || repeat('[', 32) || repeat(']', 32) || '}')) AS depth_33;
SELECT why(forge('{"alg":"HS256"}', '{"a":' || repeat('[', 31) || repeat(']', 31) || '}')) AS depth_32;
SELECT why(forge('{"alg":"HS256"}', '{"a":' || repeat('[', 100000) || repeat(']', 100000) || '}')) AS depth_100001;
SELECT why(forge('{"alg":"HS256","x":' || repeat('{"a":', 40) || '1' || repeat('}', 40) || '}', '{}')) AS header_depth;
SET jwt.max_token_size = 200;
SELECT why(:good) AS under_200, why(forge('{"alg":"HS256"}', '{"pad":"' || repeat('x', 200) || '"}')) AS over_200;
RESET jwt.max_token_size;

-- Numbers whose exponent makes the decimal form much longer than written
-- (1e99999: 7 bytes, 100,001 characters as text) are malformed, in the
-- header and in the payload; up to 20 characters more are accepted.
SELECT n AS number, why(forge('{"alg":"HS256"}', '{"n":' || n || '}')) AS in_payload,
       why(forge('{"alg":"HS256","n":' || n || '}', '{}')) AS in_header
  FROM (VALUES ('1e99999'), ('-1E-16000'), ('1e23'), ('1e24'), ('1E+23'), ('-1e-23'),
               ('1e-24'), ('1.7e9'), ('0.001e-20'), ('12.5e-3'), ('0e99999')) AS v(n);
SELECT jwt_verify(forge('{"alg":"HS256","x":[' || repeat('1e99999,', 100) || '1]}', '{}'), :k32);
SELECT * FROM jwt_decode(forge('{"alg":"HS256"}', '{"n":[1,1e99999]}'));
\echo :LAST_ERROR_SQLSTATE
SELECT header, claims FROM jwt_decode(forge('{"alg":"HS256","n":1e21}', '{"n":-1.5e-10,"m":1E+2}'));

-- The error for a malformed token names the rule, never the token.
SELECT jwt_verify('a.b', :k32);
SELECT jwt_verify(forge('{"alg":"HS256","alg":"HS256"}', '{}'), :k32);
SELECT jwt_verify(forge('{"alg":"HS256"}', '{"sub":"a","sub":"b"}'), :k32);

-- jwt_decode: shows anything well-formed, even alg none; malformed is 22P02.
SELECT * FROM jwt_decode(b64url('{"alg":"none"}') || '.' || b64url('{"sub":"admin"}') || '.');
SELECT * FROM jwt_decode(forge('{"alg":"HS999","crit":["x"]}', '{"exp":"soon"}'));
SELECT * FROM jwt_decode('a.b');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_decode(forge('{"alg":"HS256"}', '[1]'));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_decode(repeat('a', 1024 * 1024));
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_decode(NULL) IS NULL AS strict;

-- Fuzz-ish: random strings and mutated tokens never crash and always
-- give a reason.
SELECT count(*) AS tried, count(*) FILTER (WHERE r IS NOT NULL) AS answered
  FROM (SELECT why(CASE WHEN g % 2 = 0
                        THEN overlay(:good placing chr(32 + (g * 7919) % 95) from 1 + (g * 104729) % length(:good) for 1)
                        ELSE substr(md5(g::text) || '.' || md5((g + 1)::text) || '.' || md5((g + 2)::text), 1, g % 110) END) AS r
          FROM generate_series(1, 2000) g) s;

DROP FUNCTION why(text);
DROP FUNCTION forge(text, text);
DROP FUNCTION forge_raw(text, text);
DROP FUNCTION b64url_bytes(bytea);
DROP FUNCTION b64url(text);
DROP EXTENSION pgcrypto;
