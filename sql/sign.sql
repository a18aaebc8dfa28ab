--
-- jwt_sign: byte-exact compact JWS output.
--
\set k32 '''0123456789abcdef0123456789abcdef'''
\set k64 '''0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'''

-- Claims carrying iat are signed as given; the expected tokens were
-- computed independently (Python hmac + base64).
SELECT jwt_sign('{"sub":"1234567890","name":"John Doe","iat":1516239022}', :k32) AS hs256;
SELECT jwt_sign('{"sub":"1234567890","name":"John Doe","iat":1516239022}', :k32)
     = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE1MTYyMzkwMjIsInN1YiI6IjEyMzQ1Njc4OTAiLCJuYW1lIjoiSm9obiBEb2UifQ.PGkc0-XwLzh4LqcBkOPP6zkuFLixIqjMzLl8F5ZqyOU'
       AS matches_reference;
SELECT jwt_sign('{"sub":"1234567890","name":"John Doe","iat":1516239022}', :k64, 'HS512',
                header => '{"kid":"key-1"}')
     = 'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCIsImtpZCI6ImtleS0xIn0.eyJpYXQiOjE1MTYyMzkwMjIsInN1YiI6IjEyMzQ1Njc4OTAiLCJuYW1lIjoiSm9obiBEb2UifQ.pySthP2Gp0jOhoSU8nY-HEYAyK2h1li2S1dwtf4xAGclc3k0g2dz9fSQfmoRd13JakYpzgHlC8NgyDI1eCzVeg'
       AS hs512_matches_reference;

-- Header and payload are compact JSON (no whitespace), base64url without padding.
CREATE FUNCTION seg(tok text, n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_from(decode(rpad(translate(split_part(tok, '.', n), '-_', '+/'),
                                  (length(split_part(tok, '.', n)) + 3) / 4 * 4, '='),
                             'base64'), 'UTF8')
$$;
SELECT seg(t, 1) AS header, seg(t, 2) AS payload, t ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' AS base64url
  FROM jwt_sign('{"s":"h\u00e9 \"q\"\n","n":1.50,"a":[1,"x",{"y":null,"z":false}],"iat":1}', :k32,
                header => '{"kid":"k1","cty":"x"}') AS t;

-- A character to escape (or one of several bytes) at every position of
-- strings of every length up to 40, the plain characters being scanned 16
-- at a time: written exactly as to_json writes them.
SELECT to_json(sp)::text AS ch, count(*) AS strings,
       count(*) FILTER (WHERE seg(jwt_sign(jsonb_build_object('s', str, 'iat', 1), :k32), 2) =
                              '{"s":' || to_json(str)::text || ',"iat":1}') AS exact
  FROM unnest(ARRAY['"', '\', E'\n', E'\x01', E'\x1f', E'\x7f', 'é', '😀', '/']) sp,
       generate_series(0, 40) len, generate_series(0, 40) pos,
       LATERAL (SELECT repeat('a', pos) || sp || repeat('b', len - pos) AS str) x
 WHERE pos <= len
 GROUP BY sp ORDER BY sp COLLATE "C";

-- Objects of 0 to 140 members of every kind (strings, integers, decimals,
-- nested objects and arrays, booleans, nulls; keys of several lengths),
-- read from jsonb's stored form in place, past the entries that hold an
-- offset (every 32nd): the payload is jsonb's own text, compacted.
SELECT count(*) AS objects,
       count(*) FILTER (WHERE seg(jwt_sign(c, :k32), 2) =
                              replace(replace(c::text, ', ', ','), '": ', '":')) AS exact
  FROM (SELECT (SELECT coalesce(jsonb_object_agg('k' || i || repeat('x', i % 7),
                  CASE i % 7 WHEN 0 THEN to_jsonb(i) WHEN 1 THEN to_jsonb(repeat('s', i))
                                 WHEN 2 THEN to_jsonb(i * 1.5)
                                 WHEN 3 THEN jsonb_build_object('a', i, 'b', jsonb_build_array(1, 'x', null))
                                 WHEN 4 THEN 'true'::jsonb WHEN 5 THEN 'null'::jsonb
                                 ELSE to_jsonb(-i::numeric * 10000000000) END), '{}') || '{"iat":1}'
                  FROM generate_series(1, n) i) AS c
          FROM generate_series(0, 140) n) o;

-- The registered claims' types are checked by their exact names: each of
-- the seven with a value of the wrong type is refused, names that differ
-- from one in a byte, in case or in length are claims like any other.
CREATE FUNCTION pg_temp.sign_error(c jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM jwt_sign(c, repeat('k', 32));
	RETURN 'signed';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT name, pg_temp.sign_error(jsonb_build_object(name, v::jsonb)) AS result
  FROM (VALUES ('exp', '"x"'), ('nbf', '"x"'), ('iat', '"x"'), ('iss', '1'), ('sub', '1'),
               ('jti', '1'), ('aud', '1'), ('aud', '["a", 1]'),
               ('ex', '"x"'), ('expx', '"x"'), ('EXP', '"x"'), ('axp', '"x"'), ('exq', '"x"'),
               ('ibt', '"x"'), ('sua', '1'), ('jtj', '1'), ('bud', '1')) AS t(name, v);

-- The header's members are read in place too: 70 of them (past entries
-- holding an offset), "alg" and "typ" among them written first, an empty
-- name and names to escape.  And claims with such names, a long string,
-- empty containers and numerics after strings of odd lengths.
SELECT seg(t1, 1) = '{"alg":"HS256","typ":"at+jwt",' ||
                    substr(replace(replace((h - 'alg' - 'typ')::text, ', ', ','), '": ', '":'), 2) AS header_exact,
       seg(t2, 2) = replace(replace(c::text, ', ', ','), '": ', '":') AS claims_exact
  FROM (SELECT (SELECT jsonb_object_agg('h' || i, CASE i % 5 WHEN 0 THEN to_jsonb(repeat('v', i))
                                                             WHEN 1 THEN to_jsonb(i * 1.25)
                                                             WHEN 2 THEN jsonb_build_array(i, 'a')
                                                             WHEN 3 THEN jsonb_build_object('n', i)
                                                             ELSE 'false' END)
                  FROM generate_series(1, 70) i)
               || '{"alg":"HS256","typ":"at+jwt","":"e","q\"\\":"x","z":"","\n\u0001":[]}' AS h,
               jsonb_build_object('', '', '"', 1, E'\\', '[]'::jsonb, E'k\n', '{}'::jsonb, 'long', repeat('x', 30001),
                                  'o', 'odd', 'n', 12345.678, 'iat', 1, 'zz', jsonb_build_object('a', 'b', 'c', 0.5)) AS c) x,
       LATERAL (SELECT jwt_sign('{"iat":1}', :k32, header => h) AS t1, jwt_sign(c, :k32) AS t2) y;

-- Signature lengths per algorithm.
SELECT alg, length(split_part(jwt_sign('{"iat":1}', :k64, alg), '.', 3)) AS sig_chars
  FROM unnest(ARRAY['HS256', 'HS384', 'HS512']) AS alg;

-- iat is stamped with the statement time unless present; exp and nbf follow
-- the intervals.
SELECT (c->>'iat')::numeric = floor(extract(epoch FROM statement_timestamp())) AS iat_is_now,
       (c->>'exp')::numeric - (c->>'iat')::numeric AS exp_minus_iat,
       (c->>'nbf')::numeric - (c->>'iat')::numeric AS nbf_minus_iat
  FROM (SELECT claims AS c FROM jwt_decode(jwt_sign('{"sub":"a"}', :k32,
          expires_in => '1 hour', not_before => '-30 seconds'))) s;
SELECT claims FROM jwt_decode(jwt_sign('{"sub":"a","iat":42}', :k32));

-- typ: default JWT, replaced by the header's, left out when null.
SELECT header FROM jwt_decode(jwt_sign('{}', :k32));
SELECT header FROM jwt_decode(jwt_sign('{}', :k32, header => '{"typ":"at+jwt"}'));
SELECT header FROM jwt_decode(jwt_sign('{}', :k32, header => '{"typ":null}'));
SELECT header FROM jwt_decode(jwt_sign('{}', :k32, 'HS256', '{"alg":"HS256"}'));

-- The bytea overload signs with the raw bytes: the same secret as text
-- gives the same token.
SELECT jwt_sign('{"iat":1}', convert_to(:k32, 'UTF8')) = jwt_sign('{"iat":1}', :k32) AS bytea_same;
SELECT jwt_verify(jwt_sign('{"iat":1}', '\x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff'::bytea),
                  '\x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff'::bytea) AS binary_secret;

-- A NULL claims or key gives NULL, as STRICT would; a NULL algorithm is
-- the key's (HS256 for a secret: sign_alg.sql).
SELECT jwt_sign(NULL, :k32) IS NULL AS null_claims,
       jwt_sign('{}', NULL::text) IS NULL AS null_key,
       (jwt_decode(jwt_sign('{}', :k32, NULL))).header->>'alg' AS null_alg;

-- Secrets from the CSPRNG.
SELECT length(jwt_generate_secret()) AS default_len, length(jwt_generate_secret(48)) AS len48,
       jwt_generate_secret() <> jwt_generate_secret() AS differ;

-- A header with both "typ" and "kid" keeps each (the typ was once
-- overwritten by the kid).
SELECT (jwt_decode(jwt_sign('{}', repeat('k', 32), header => '{"typ":"at+jwt","kid":"k1"}'))).header;

-- Numbers: jsonb holds more digits than a token may (100000 before the
-- decimal point, 16000 after it, as jwt_verify reads them); jwt_sign
-- refuses a longer number anywhere in the claims or the header, instead
-- of making a token that jwt_verify calls malformed.  At the limits the
-- token verifies and gives the number back.
SET jwt.max_token_size = '1MB';
SELECT jwt_verify(jwt_sign(jsonb_build_object('a', 1e-16000), :k32), :k32, algorithms => '{HS256}') -> 'a'
       = to_jsonb(1e-16000) AS fraction_at_limit,
       jwt_verify(jwt_sign(jsonb_build_object('a', -1e99999), :k32), :k32, algorithms => '{HS256}') -> 'a'
       = to_jsonb(-1e99999) AS integer_at_limit;
RESET jwt.max_token_size;
SELECT jwt_sign(jsonb_build_object('a', 1e-16001), :k32);
SELECT jwt_sign(jsonb_build_object('a', 1e100000), :k32);
SELECT jwt_sign(jsonb_build_object('a', jsonb_build_array(1, jsonb_build_object('b', -12.5e-16000))), :k32);
SELECT jwt_sign('{}', :k32, header => jsonb_build_object('x', 1e-16001));

DROP FUNCTION seg(text, int);
