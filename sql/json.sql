--
-- The token JSON parser against jsonb_in: for every document both accept,
-- the claims are equal; documents jsonb_in rejects are rejected too, and
-- the parser additionally rejects duplicate members and non-objects.
--
CREATE FUNCTION b64url(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION ours(doc text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  RETURN (jwt_decode(b64url('{"alg":"HS256"}') || '.' || b64url(doc) || '.')).claims;
EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN
  RETURN NULL;
END $$;
CREATE FUNCTION core(doc text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  RETURN doc::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

CREATE TEMP TABLE docs (doc text);
INSERT INTO docs VALUES
  ('{}'), ('{"a":1}'), ('  {"a" : 1 , "b":[ ] }  '), (E'\t{ "a":\n1} '),
  ('{"n":[0,-0,1.5,-1.5e10,1E+2,1e-2,123456789012345678,1234567890123456789,0.1]}'),
  ('{"n":99999999999999999999999999.000000000001}'), ('{"n":-9223372036854775808}'),
  ('{"s":"\"\\\/\b\f\n\r\t"}'), ('{"s":"\u00e9\u4e2d\ud83d\ude00"}'), ('{"s":"héllo ✓ 😀"}'),
  ('{"s":"\u0041\u00410"}'), ('{"t":true,"f":false,"z":null}'),
  ('{"o":{"p":{"q":[1,[2,[3,{"r":"s"}]]]}}}'), ('{"bb":1,"a":2,"ccc":3,"b":4,"aa":5}'),
  ('{"":""}'), ('{"k":[]}'), ('{"k":{}}'),
  -- rejected by both
  ('{'), ('{"a"}'), ('{"a":}'), ('{"a":1,}'), ('{,}'), ('{"a":01}'), ('{"a":1.}'), ('{"a":.5}'),
  ('{"a":-}'), ('{"a":1e}'), ('{"a":+1}'), ('{"a":tru}'), ('{"a":nul}'), ('{"a":"\x"}'),
  ('{"a":"\u12"}'), ('{"a":"\ud800"}'), ('{"a":"\udc00"}'), ('{"a":"\u0000"}'), (E'{"a":"\x01"}'),
  ('{"a":[1,]}'), ('{"a":[,1]}'), ('{"a":1} {}'), ('{"a":NaN}'), ('{"a":Infinity}'),
  ('{a:1}'), ($${'a':1}$$), ('{"a":1}}'), ('{"a":[}'),
  -- accepted by jsonb_in, rejected by the token parser
  ('{"a":1,"a":2}'), ('{"o":{"x":1,"x":1}}'), ('[]'), ('[{"a":1}]'), ('"s"'), ('1'), ('null'), ('');

SELECT doc,
       CASE WHEN o IS NULL AND c IS NULL THEN 'both reject'
            WHEN o IS NULL THEN 'token parser rejects'
            WHEN c IS NULL THEN 'ONLY TOKEN PARSER ACCEPTS'
            WHEN o::text = c::text THEN 'equal'
            ELSE 'DIFFERENT' END AS verdict
  FROM (SELECT doc, ours(doc) AS o, core(doc) AS c FROM docs) s;

-- Generated documents: random nesting of objects, arrays, strings with
-- escapes and numbers; both parsers must agree on every one.
SELECT count(*) AS docs, count(*) FILTER (WHERE ours(d)::text = core(d)::text) AS equal
  FROM (SELECT jsonb_build_object(
                 'k' || g, g * 1.5,
                 'arr', jsonb_build_array(g, -g, g::text || E'\n\u00e9"', jsonb_build_object('x' || (g % 7), g % 3 = 0)),
                 'nested', jsonb_build_object('deep', jsonb_build_array(jsonb_build_array(g * 1e-7)))
               )::text AS d
          FROM generate_series(1, 500) g) s;

DROP FUNCTION core(text);
DROP FUNCTION ours(text);
DROP FUNCTION b64url(text);

-- Numbers in a signed payload are written as numeric_out writes them
-- (integers without numeric_out: every magnitude, sign, zero groups).
SELECT setseed(0.42);
CREATE TEMP TABLE regress_nums AS
  SELECT DISTINCT v FROM (
    SELECT (s * (10::numeric ^ k + d))::numeric AS v
      FROM generate_series(0, 140) k, (VALUES (-1), (0), (1), (7)) d(d), (VALUES (1), (-1)) s(s)
    UNION ALL SELECT unnest('{0, -0, 1.50, 0.001, 1e-5, 1.0, -1.0, 10000, 100000000, 123456789012345678901234567890, 1e100, -1e127, 9999, 10001, 0.5e4, 12.5e3}'::numeric[])
    UNION ALL SELECT (random() * 10::numeric ^ (random() * 40)::int)::numeric(60,0) * (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END)
      FROM generate_series(1, 3000)
  ) q;
SELECT count(*) > 3000 AS many,
       count(*) FILTER (WHERE split_part(convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'),
                                           (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8'), ',"iat"', 1)
                          <> '{"n":' || v::text) AS written_otherwise
  FROM (SELECT v, jwt_sign(jsonb_build_object('n', v), 'secret-0123456789-0123456789-0123456789-ABCDEFGH') AS t
          FROM regress_nums) s;
DROP TABLE regress_nums;
