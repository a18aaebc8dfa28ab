--
-- Error classes (SQLSTATE), message shape, and that secrets and tokens
-- never appear in messages.
--
\set k32 '''0123456789abcdef0123456789abcdef'''
\set at '''2024-01-01 00:00:00+00'''
\set VERBOSITY terse

-- 28000: a rejected token.
SELECT jwt_verify(jwt_sign('{}', :k32), 'a different secret of 32 bytes!!');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify('garbage', :k32);
\echo :LAST_ERROR_SQLSTATE
-- 54000: over a limit.
SELECT jwt_verify(repeat('x', 70000), :k32);
\echo :LAST_ERROR_SQLSTATE
-- 22023: a bad argument, also from jwt_validate, which raises for those.
SELECT jwt_sign('{}', :k32, 'HS257');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, 'none');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, 'hs256');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', '');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', 'short secret');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, 'HS512');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('[1,2]', :k32);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('"x"', :k32);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{"exp":"tomorrow"}', :k32);
\echo :LAST_ERROR_SQLSTATE
-- a time jwt_verify could not read (it reads a double) is refused too
SELECT jwt_sign('{"nbf":1e400}', :k32);
\echo :LAST_ERROR_SQLSTATE
SELECT (jwt_verify(jwt_sign('{"exp":1e300}', :k32), :k32)->'exp')::numeric = 1e300 AS far_future_signs_and_verifies;
SELECT jwt_sign('{"sub":5}', :k32);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{"aud":[1]}', :k32);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, header => '{"alg":"HS512"}');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, header => '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, header => '{"kid":1}');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_sign('{}', :k32, header => '{"typ":1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, '{HS256,NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, '{HS256,none}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, '{HS256,HS512}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, '{{HS256}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_validate(jwt_sign('{}', :k32), :k32, require => '{NULL}');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_generate_secret(16);
\echo :LAST_ERROR_SQLSTATE
-- 22023 too: an HMAC secret cannot sign RS256.
SELECT jwt_sign('{}', :k32, 'RS256');
\echo :LAST_ERROR_SQLSTATE
-- 0A000: known but unsupported here.
SELECT jwt_sign('{}', :k32, header => '{"crit":["b64"],"b64":false}');
\echo :LAST_ERROR_SQLSTATE

-- A PEM document is never an HMAC secret, whatever its type: a broken one
-- is a bad key, not a secret (see keys.sql for the forgery itself).
SELECT jwt_verify(jwt_sign('{}', :k32), E'-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(jwt_sign('{}', :k32), convert_to(E'  -----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE

-- Full messages: errmsg + errdetail with the reason keyword.
\set VERBOSITY default
SELECT jwt_verify(jwt_sign('{"iat":1}', :k32), 'a different secret of 32 bytes!!', at => :at);
SELECT jwt_sign('{}', 'short secret');
-- A PEM body OpenSSL cannot read: named by its block type, never shown.
SELECT jwt_verify('x.y.z', E'-----BEGIN PUBLIC KEY-----\nc2VjcmV0IGJvZHkgYnl0ZXM=\n-----END PUBLIC KEY-----\n');
SELECT jwt_sign('{}', E'-----BEGIN PRIVATE KEY-----\nc2VjcmV0IGJvZHkgYnl0ZXM=\n-----END PRIVATE KEY-----\n', 'ES256');
SELECT jwt_verify('x.y.z', E'-----BEGIN CERTIFICATE-----\nc2VjcmV0IGJvZHkgYnl0ZXM=\n-----END CERTIFICATE-----\n');
SELECT jwt_verify('x.y.z', E'-----BEGIN RSA\nPUBLIC KEY-----\nc2VjcmV0IGJvZHkgYnl0ZXM=\n-----END RSA PUBLIC KEY-----\n');
-- A BEGIN line without its closing dashes: the name would run on into the
-- body, the key itself; nothing of it is quoted.
SELECT jwt_sign('{}', E'-----BEGIN EC PRIVATE KEY\nMHcCAQEEIIi4mF0M+NTYY/HDHfQymQ23DIgwPC/TwFJlTXzv\n-----END EC PRIVATE KEY-----\n', 'ES256');
SELECT jwt_verify('x.y.z', E'-----BEGIN MARKERC0SECRETVALUE\nabc\n-----END X-----\n');
SELECT jwt_verify('x.y.z', E'-----BEGIN X509 CRL-----\nabc\n-----END X509 CRL-----\n');
SELECT jwt_verify('x.y.z', E'-----BEGIN X9.42 DH PARAMETERS-----\nabc\n-----END X9.42 DH PARAMETERS-----\n');
-- nor base64 on the BEGIN line itself, up to the dashes of an END
SELECT jwt_sign('{}', E'-----BEGIN EC PRIVATE KEY MHcCAQEEIH/fUfqiAcnpaszKLEVxXP-----\n', 'ES256');

-- No secret and no token text in any message, for every failure above and
-- a few more; collected through PL/pgSQL.
CREATE FUNCTION leaks(tok text, key text, algs text[] DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text; d text; h text; s text;
BEGIN
  PERFORM jwt_verify(tok, key, algs);
  RETURN 'no error';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT, s = RETURNED_SQLSTATE;
  IF position(key IN concat(m, d, h)) > 0 THEN RETURN 'LEAKS KEY'; END IF;
  IF length(tok) > 10 AND position(tok IN concat(m, d, h)) > 0 THEN RETURN 'LEAKS TOKEN'; END IF;
  IF length(tok) > 30 AND position(split_part(tok, '.', 3) IN concat(m, d, h)) > 0 AND split_part(tok, '.', 3) <> '' THEN RETURN 'LEAKS SIGNATURE'; END IF;
  RETURN s || ' ' || coalesce(substring(d FROM '\(reason: ([a-z_]+)\)'), m);
END $$;
SELECT leaks(jwt_sign('{"sub":"x"}', :k32), 'a different secret of 32 bytes!!') AS wrong_key,
       leaks(jwt_sign('{"sub":"x"}', :k32), 'short secret') AS short_key,
       leaks(jwt_sign('{"sub":"x"}', :k32, expires_in => '-1 hour'), :k32) AS expired,
       leaks(jwt_sign('{"sub":"x"}', :k32), :k32, '{HS384}') AS not_allowed,
       leaks('not a token at all, with secrets inside', :k32) AS malformed,
       leaks(jwt_sign('{"sub":"x"}', :k32) || 'AAAA', :k32) AS longer_signature,
       leaks(jwt_sign('{"sub":"x"}', :k32), E'-----BEGIN PUBLIC KEY-----\nc2VjcmV0IGJvZHkgYnl0ZXM=\n-----END PUBLIC KEY-----\n') AS bad_pem;

DROP FUNCTION leaks(text, text, text[]);
