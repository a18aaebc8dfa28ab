--
-- jwt_verify / jwt_validate: signatures, allow-lists and claim checks.
--
\set k32 '''0123456789abcdef0123456789abcdef'''
\set k64 '''0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'''
\set p64 '''a passphrase of sixty-four bytes, which serves HS512, HS384, HS2'''
\set other '''another secret, also 32 bytes ok'''
\set at '''2024-01-01 00:00:00+00'''

-- RFC 7515 Appendix A.1: the HS256 example verifies with its key and
-- yields its exact payload (evaluated before its exp).
\set a1 '''eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'''
\set a1key 'decode(translate(''AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow=='', ''-_'', ''+/''), ''base64'')'
SELECT jwt_verify(:a1, :a1key, at => '2011-03-22 18:40:00+00');
SELECT jwt_verify(:a1, :a1key, at => '2011-03-22 18:40:00+00')
     = '{"iss":"joe","exp":1300819380,"http://example.com/is_root":true}' AS exact_payload;
-- ... and is expired today.
SELECT valid, reason FROM jwt_validate(:a1, :a1key);

-- Round trip, and the wrong secret.
SELECT jwt_verify(jwt_sign('{"sub":"alice","role":"admin"}', :k32), :k32) - 'iat' AS claims;
SELECT jwt_verify(jwt_sign('{"sub":"alice"}', :k32), :other);
SELECT valid, reason, header, claims FROM jwt_validate(jwt_sign('{"sub":"alice"}', :k32), :other);
SELECT valid, reason, header, claims - 'iat' AS claims FROM jwt_validate(jwt_sign('{"sub":"alice"}', :k32), :k32);

-- A changed character in any segment is refused.
SELECT i AS segment, reason
  FROM (SELECT jwt_sign('{"sub":"alice","iat":1}', :k32) AS t) s,
       LATERAL (VALUES (1), (2), (3)) AS v(i),
       LATERAL jwt_validate(
         array_to_string(
           (SELECT array_agg(CASE WHEN n = i THEN overlay(p placing
                     CASE substr(p, 2, 1) WHEN 'A' THEN 'B' ELSE 'A' END from 2 for 1) ELSE p END
                     ORDER BY n)
              FROM unnest(string_to_array(t, '.')) WITH ORDINALITY AS u(p, n)), '.'),
         :k32, at => :at)
 ORDER BY 1;

-- Allow-lists.  With algorithms NULL the key decides: a 32-byte secret
-- serves HS256 only, a 64-byte one all three.
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1}', :k64, 'HS512'), :k32, at => :at);
SELECT valid FROM jwt_validate(jwt_sign('{"iat":1}', :p64, 'HS512'), :p64, at => :at);
-- k64 is 64 hex digits, which could be a 32-byte public key (Ed25519), so
-- it does not choose: algorithms must say it is an HMAC secret.
SELECT valid FROM jwt_validate(jwt_sign('{"iat":1}', :k64, 'HS512'), :k64, at => :at);
\echo :LAST_ERROR_SQLSTATE
SELECT valid FROM jwt_validate(jwt_sign('{"iat":1}', :k64, 'HS512'), :k64, '{HS512}', at => :at);
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1}', :k64, 'HS384'), :k64, '{HS256,HS512}', at => :at);
SELECT valid FROM jwt_validate(jwt_sign('{"iat":1}', :k64, 'HS384'), :k64, '{HS384}', at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1}', :k64, 'HS384'), :k64, ARRAY['HS256'], at => :at);

-- A token claiming an asymmetric algorithm never verifies with an HMAC
-- secret, even when the caller allows that algorithm (algorithm confusion).
-- The forged token below is HS256-signed over a header saying RS256.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION b64url(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION forge(header text, payload text, key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT si || '.' || rtrim(translate(encode(hmac(si, key, 'sha256'), 'base64'), E'+/\n', '-_'), '=')
    FROM (SELECT b64url(header) || '.' || b64url(payload) AS si) s
$$;
-- forge() reproduces jwt_sign exactly, so it is a faithful forger:
SELECT forge('{"alg":"HS256","typ":"JWT"}', '{"iat":1}', :k32) = jwt_sign('{"iat":1}', :k32) AS forge_ok;
SELECT reason FROM jwt_validate(forge('{"alg":"RS256"}', '{"sub":"mallory"}', :k32), :k32, at => :at);
SELECT reason FROM jwt_validate(forge('{"alg":"RS256"}', '{"sub":"mallory"}', :k32), :k32, '{RS256,HS256}', at => :at);
SELECT jwt_verify(forge('{"alg":"ES256"}', '{"sub":"mallory"}', :k32), :k32, '{ES256}', at => :at);

-- typ (RFC 8725 explicit typing): case-insensitive, "application/" ignored.
SELECT t AS header_typ, want, reason
  FROM (VALUES ('{"alg":"HS256","typ":"at+jwt"}', 'at+jwt'),
               ('{"alg":"HS256","typ":"AT+JWT"}', 'at+jwt'),
               ('{"alg":"HS256","typ":"application/at+jwt"}', 'at+jwt'),
               ('{"alg":"HS256","typ":"at+jwt"}', 'application/AT+JWT'),
               ('{"alg":"HS256","typ":"JWT"}', 'at+jwt'),
               ('{"alg":"HS256"}', 'at+jwt'),
               ('{"alg":"HS256","typ":"JWT"}', NULL)) AS v(t, want),
       LATERAL jwt_validate(forge(t, '{"iat":1}', :k32), :k32, typ => want, at => :at);
SELECT reason FROM jwt_validate(forge('{"alg":"HS256","typ":7}', '{"iat":1}', :k32), :k32, at => :at);
SELECT jwt_verify(forge('{"alg":"HS256","typ":"JWT"}', '{"iat":1}', :k32), :k32, typ => 'at+jwt', at => :at);

-- aud: a string or an array; a token with an audience needs one given.
SELECT aud, want, reason
  FROM (VALUES ('"api"', 'api'), ('["web","api"]', 'api'), ('["web"]', 'api'),
               ('[]', 'api'), ('"api"', 'API'), (NULL, 'api'), ('"api"', NULL),
               ('[1]', 'api'), ('{"a":1}', 'api')) AS v(aud, want),
       LATERAL jwt_validate(jwt_sign(CASE WHEN aud IS NULL THEN '{"iat":1}'
                                          ELSE format('{"iat":1,"aud":%s}', aud)::jsonb END, :k32),
                            :k32, audience => want, at => :at)
 WHERE aud IS NULL OR aud NOT IN ('[1]', '{"a":1}');
SELECT reason FROM jwt_validate(forge('{"alg":"HS256"}', '{"aud":[1]}', :k32), :k32, audience => 'api', at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1,"aud":"api"}', :k32), :k32, at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1,"aud":"api"}', :k32), :k32, audience => 'web', at => :at);

-- iss and sub: exact.
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1,"iss":"https://id.example"}', :k32), :k32, issuer => 'https://id.example', at => :at);
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1,"iss":"https://id.example"}', :k32), :k32, issuer => 'https://id.example/', at => :at);
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1}', :k32), :k32, issuer => 'https://id.example', at => :at);
SELECT reason FROM jwt_validate(forge('{"alg":"HS256"}', '{"iss":["a"]}', :k32), :k32, at => :at);
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1,"sub":"42"}', :k32), :k32, subject => '42', at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1,"sub":"42"}', :k32), :k32, subject => '43', at => :at);
SELECT reason FROM jwt_validate(forge('{"alg":"HS256"}', '{"sub":42}', :k32), :k32, at => :at);

-- require: listed claims must be present.
SELECT reason FROM jwt_validate(jwt_sign('{"iat":1,"jti":"x","sub":"s"}', :k32), :k32, require => '{jti,sub}', at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1,"sub":"s"}', :k32), :k32, require => '{sub,jti}', at => :at);

-- NULL token or key gives NULL.
SELECT jwt_verify(NULL, :k32) IS NULL AS null_token, jwt_verify('x.y.z', NULL::text) IS NULL AS null_key,
       jwt_validate(NULL, :k32) IS NULL AS validate_null;

-- Many rows, one call site: the header memo and key cache give the same
-- answers as fresh calls.
SELECT count(*) FILTER (WHERE valid) AS valid, count(*) FILTER (WHERE reason = 'bad_signature') AS bad
  FROM generate_series(1, 1000) g,
       LATERAL jwt_validate(jwt_sign(jsonb_build_object('n', g, 'iat', 1), :k32, header => jsonb_build_object('kid', 'k' || g % 3)),
                            CASE WHEN g % 10 = 0 THEN :other ELSE :k32 END, at => :at);

-- HMAC against pgcrypto, for secrets shorter than, equal to and longer
-- than the hash's block (64 bytes for SHA-256, 128 for SHA-384 and
-- SHA-512: a longer secret is hashed first, RFC 2104), each algorithm in
-- turn with the same secret (one key object, its keyed state per
-- algorithm): signing matches, the forged token verifies, and the secret
-- with its last byte changed does not verify it.
CREATE FUNCTION forge_bytea(alg text, payload text, key bytea, h text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT si || '.' || rtrim(translate(encode(hmac(convert_to(si, 'UTF8'), key, h), 'base64'), E'+/\n', '-_'), '=')
    FROM (SELECT b64url(format('{"alg":"%s","typ":"JWT"}', alg)) || '.' || b64url(payload) AS si) s
$$;
SELECT a.alg,
       count(*) AS secrets,
       bool_and(jwt_sign('{"iat":1}', k.key, a.alg) = forge_bytea(a.alg, '{"iat":1}', k.key, a.h)) AS sign_matches,
       bool_and((jwt_validate(forge_bytea(a.alg, '{"iat":1}', k.key, a.h), k.key, ARRAY[a.alg], at => :at)).valid) AS verifies,
       bool_and((jwt_validate(forge_bytea(a.alg, '{"iat":1}', k.key, a.h),
                              overlay(k.key placing '\x00'::bytea from length(k.key)), ARRAY[a.alg], at => :at)).reason
                = 'bad_signature') AS other_secret_refused
  FROM (VALUES (32), (48), (63), (64), (65), (127), (128), (129), (200), (1000)) AS l(len),
       LATERAL (SELECT substring(decode(repeat(md5('hmac secret ' || l.len), 63), 'hex') FROM 1 FOR l.len - 1)
                       || '\x01'::bytea AS key) k,
       (VALUES ('HS256', 'sha256', 32), ('HS384', 'sha384', 48), ('HS512', 'sha512', 64)) AS a(alg, h, min_len)
 WHERE length(k.key) >= a.min_len
 GROUP BY a.alg ORDER BY a.alg;

-- Members whose names begin like a registered claim's, or that it begins
-- with, are not taken for it: no "exp" here, so the token has not expired,
-- no "aud" nor "iss", and "sub" is the member of that exact name.
SELECT (jwt_validate(jwt_sign('{"iat":1,"expire":1,"ex":1,"e":1,"":1,"audience":"a","au":"a","issuer":"i"}', :k32),
                     :k32, at => :at)).valid AS not_expired,
       (jwt_validate(jwt_sign('{"iat":1,"audience":"a","au":"a"}', :k32), :k32, audience => 'a', at => :at)).reason AS no_aud,
       (jwt_validate(jwt_sign('{"iat":1,"issuer":"i","is":"i"}', :k32), :k32, issuer => 'i', at => :at)).reason AS no_iss,
       (jwt_validate(jwt_sign('{"iat":1,"subject":"x","su":"y","sub":"z","subs":"w"}', :k32), :k32, subject => 'z', at => :at)).valid AS sub_exact;

-- The MAC is compared a word at a time: a signature with one bit changed,
-- at every bit of every byte (the first, the last, the ones across word
-- boundaries), is refused, for each length of MAC; the signature as signed
-- verifies.
SELECT a.alg, length(s.mac) AS mac_bytes,
       (jwt_validate(s.si || '.' || s.sig, :k64, ARRAY[a.alg], at => :at)).valid AS as_signed,
       count(*) AS flipped,
       count(*) FILTER (WHERE (jwt_validate(s.si || '.' ||
                                            rtrim(translate(encode(set_bit(s.mac, b, 1 - get_bit(s.mac, b)), 'base64'),
                                                            E'+/\n', '-_'), '='),
                                            :k64, ARRAY[a.alg], at => :at)).reason = 'bad_signature') AS refused
  FROM (VALUES ('HS256', 'sha256'), ('HS384', 'sha384'), ('HS512', 'sha512')) AS a(alg, h),
       LATERAL (SELECT si, hmac(si, :k64, a.h) AS mac,
                       rtrim(translate(encode(hmac(si, :k64, a.h), 'base64'), E'+/\n', '-_'), '=') AS sig
                  FROM (SELECT b64url(format('{"alg":"%s"}', a.alg)) || '.' || b64url('{"iat":1}') AS si) x) s,
       generate_series(0, 8 * length(s.mac) - 1) b
 GROUP BY a.alg, s.mac, s.si, s.sig ORDER BY a.alg;
-- Members are matched by their names as unescaped: "\u0065xp" is "exp"
-- (the token has expired), an escaped "sub", "aud" or "iss" is checked
-- against the expected value, an escaped "crit" is refused.  Names that
-- share a first byte with a registered one (or its low six bits: "%xp",
-- "%at"), or that begin with one (15 to 21 bytes long), are not taken.
SELECT n, h AS header, p AS payload, r.reason
  FROM (VALUES (1, '{"alg":"HS256"}', '{"\u0065xp":1}', NULL, NULL, NULL),
               (2, '{"alg":"HS256"}', '{"e\u0078\u0070":1,"iat":1}', NULL, NULL, NULL),
               (3, '{"alg":"HS256"}', '{"n\u0062f":4102444800}', NULL, NULL, NULL),
               (4, '{"alg":"HS256"}', '{"s\u0075b":"mallory"}', 'alice', NULL, NULL),
               (5, '{"alg":"HS256"}', '{"\u0061ud":["x","y"]}', NULL, 'api', NULL),
               (6, '{"alg":"HS256"}', '{"\u0061\u0075\u0064":"api"}', NULL, 'api', NULL),
               (7, '{"alg":"HS256"}', '{"is\u0073":"evil"}', NULL, NULL, 'good'),
               (8, '{"\u0061lg":"HS256","\u0063rit":["exp"],"exp":1}', '{"iat":1}', NULL, NULL, NULL),
               (9, '{"alg":"HS256"}', '{"exp":1,"\u0065xp":2}', NULL, NULL, NULL),
               (10, '{"alg":"HS256"}', '{"%xp":1,"%at":4102444800,"Exp":1,"eXp":1,"ex\u0070x":1}', NULL, NULL, NULL),
               (11, '{"alg":"HS256"}', '{"exp0123456789ab":1,"exp0123456789abc":1,"expexpexpexpexpexpexp":1}', NULL, NULL, NULL),
               (12, '{"alg":"HS256"}', '{"subjectsubjects":"x"}', 'x', NULL, NULL),
               (13, '{"alg":"HS256"}', '{"sub0123456789abcdef":"y","su":"y","s":"y"}', 'y', NULL, NULL),
               (14, '{"alg":"HS256"}', '{"audaudaudaudaudaud":"x"}', NULL, 'x', NULL),
               (15, '{"alg":"HS256","algorithm_of_the_token":"none","cri":["exp"]}', '{"iat":1}', NULL, NULL, NULL))
         AS v(n, h, p, sub, aud, iss),
       LATERAL jwt_validate(forge(h, p, :k32), :k32, at => :at, subject => sub, audience => aud, issuer => iss) r
 ORDER BY n;

-- The MAC's length is checked before its bytes: the signature cut short
-- by any number of bytes (a prefix of the right MAC), or one byte longer,
-- is refused for each HMAC algorithm.
SELECT a.alg, count(*) AS tries,
       count(*) FILTER (WHERE (jwt_validate(s.si || '.' || rtrim(translate(encode(m, 'base64'), E'+/\n', '-_'), '='),
                                            :k64, ARRAY[a.alg], at => :at)).reason = 'bad_signature') AS refused
  FROM (VALUES ('HS256', 'sha256'), ('HS384', 'sha384'), ('HS512', 'sha512')) AS a(alg, h),
       LATERAL (SELECT si, hmac(si, :k64, a.h) AS mac
                  FROM (SELECT b64url(format('{"alg":"%s"}', a.alg)) || '.' || b64url('{"iat":1}') AS si) x) s,
       LATERAL (SELECT substr(s.mac, 1, k) AS m FROM generate_series(1, length(s.mac) - 1) k
                UNION ALL SELECT s.mac || '\x00'::bytea
                UNION ALL SELECT s.mac || s.mac) t
 GROUP BY a.alg ORDER BY a.alg;

DROP FUNCTION forge_bytea(text, text, bytea, text);
DROP FUNCTION forge(text, text, text);
DROP FUNCTION b64url(text);
DROP EXTENSION pgcrypto;
