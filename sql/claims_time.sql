--
-- Time claims: exp, nbf, iat, max_age and leeway, evaluated at a fixed
-- instant (at => ...), 2024-01-01 00:00:00 UTC = 1704067200.
--
\set k32 '''0123456789abcdef0123456789abcdef'''
\set at '''2024-01-01 00:00:00+00'''

CREATE FUNCTION chk(claims jsonb, leeway interval DEFAULT '0', max_age interval DEFAULT NULL)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(reason, 'valid')
    FROM jwt_validate(jwt_sign(claims, '0123456789abcdef0123456789abcdef'), '0123456789abcdef0123456789abcdef',
                      leeway => leeway, max_age => max_age, at => '2024-01-01 00:00:00+00')
$$;

-- exp: rejected when now >= exp + leeway.
SELECT chk('{"iat":1704067000,"exp":1704067201}') AS exp_plus_1,
       chk('{"iat":1704067000,"exp":1704067200}') AS exp_equal,
       chk('{"iat":1704067000,"exp":1704067199}') AS exp_minus_1,
       chk('{"iat":1704067000,"exp":1704067199}', '1 second') AS exp_minus_1_leeway_1,
       chk('{"iat":1704067000,"exp":1704067199.5}', '1 second') AS fractional,
       chk('{"iat":1704067000,"exp":1704067140}', '1 minute') AS exp_minus_60_leeway_60;

-- nbf: rejected when now < nbf - leeway.
SELECT chk('{"iat":1704067000,"nbf":1704067200}') AS nbf_equal,
       chk('{"iat":1704067000,"nbf":1704067201}') AS nbf_plus_1,
       chk('{"iat":1704067000,"nbf":1704067201}', '1 second') AS nbf_plus_1_leeway_1,
       chk('{"iat":1704067000,"nbf":1704067202}', '1 second') AS nbf_plus_2_leeway_1;

-- iat: issued in the future is not yet valid; max_age bounds the age.
SELECT chk('{"iat":1704067201}') AS iat_future,
       chk('{"iat":1704067201}', '5 seconds') AS iat_future_leeway,
       chk('{"iat":1704063600}', max_age => '1 hour') AS age_equal,
       chk('{"iat":1704063599}', max_age => '1 hour') AS age_over,
       chk('{"iat":1704063599}', '1 second', '1 hour') AS age_over_leeway;

-- max_age with a token lacking iat (forged: jwt_sign always adds one).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION forge(payload text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT si || '.' || rtrim(translate(encode(hmac(si, '0123456789abcdef0123456789abcdef', 'sha256'), 'base64'), E'+/\n', '-_'), '=')
    FROM (SELECT 'eyJhbGciOiJIUzI1NiJ9.' || rtrim(translate(encode(convert_to(payload, 'UTF8'), 'base64'), E'+/\n', '-_'), '=') AS si) s
$$;
SELECT reason FROM jwt_validate(forge('{"sub":"x"}'), :k32, max_age => '1 hour', at => :at);
SELECT valid FROM jwt_validate(forge('{"sub":"x"}'), :k32, at => :at);

-- Time claims must be numbers.
SELECT p AS payload, reason
  FROM (VALUES ('{"exp":"1704067300"}'), ('{"nbf":true}'), ('{"iat":null}'),
               ('{"exp":[1]}'), ('{"exp":1e400}'), ('{"exp":2e9}'), ('{"exp":-1}')) AS v(p),
       LATERAL jwt_validate(forge(p), :k32, at => :at);
-- A time claim too large for a double is a number, out of range.
SELECT jwt_verify(forge('{"exp":1' || repeat('0', 400) || '}'), :k32, at => :at);

-- The error text names the claim and the times.
SELECT jwt_verify(jwt_sign('{"iat":1704067000,"exp":1704067100}', :k32), :k32, at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1704067000,"nbf":1704067300}', :k32), :k32, leeway => '10 seconds', at => :at);
SELECT jwt_verify(jwt_sign('{"iat":1704000000}', :k32), :k32, max_age => '1 hour', at => :at);

-- Without "at", the statement time is used: a token signed to expire a
-- minute ago is expired, one expiring in an hour is valid.
SELECT reason FROM jwt_validate(jwt_sign('{}', :k32, expires_in => '-1 minute'), :k32);
SELECT valid FROM jwt_validate(jwt_sign('{}', :k32, expires_in => '1 hour'), :k32);
SELECT reason FROM jwt_validate(jwt_sign('{}', :k32, not_before => '1 minute'), :k32);
SELECT valid FROM jwt_validate(jwt_sign('{}', :k32, not_before => '1 minute'), :k32, leeway => '2 minutes');

-- Bad time arguments.
SELECT jwt_verify(jwt_sign('{}', :k32), :k32, leeway => '-1 second');
SELECT jwt_verify(jwt_sign('{}', :k32), :k32, leeway => '5 minutes 1 second');
SELECT valid FROM jwt_validate(jwt_sign('{}', :k32), :k32, leeway => '1 hour');
SELECT jwt_verify(jwt_sign('{}', :k32), :k32, max_age => '-1 second');
SELECT jwt_verify(jwt_sign('{}', :k32), :k32, at => 'infinity');
SELECT jwt_sign('{"exp":1}', :k32, expires_in => '1 hour');
SELECT jwt_sign('{"nbf":1}', :k32, not_before => '1 hour');
SELECT jwt_sign('{}', :k32, expires_in => '100000000 years');

DROP FUNCTION forge(text);
DROP FUNCTION chk(jsonb, interval, interval);
DROP EXTENSION pgcrypto;
