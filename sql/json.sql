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

-- Strings of every length up to 40 with one special character (escape,
-- control character, character of two or four bytes) at every position,
-- the string first or last in the document: plain runs are scanned 16
-- bytes at a time, which must neither skip nor misplace one.
SELECT sp, count(*) AS docs,
       count(*) FILTER (WHERE o IS NOT DISTINCT FROM c) AS agree,
       count(*) FILTER (WHERE o IS NULL) AS rejected
  FROM (SELECT sp, ours(d)::text AS o, core(d)::text AS c
          FROM unnest(ARRAY[E'\\"', E'\\\\', E'\\n', E'\\u00e9', 'é', '😀', E'\x01', E'\x1f', E'\x7f', '/']) sp,
               generate_series(0, 40) len, generate_series(0, 40) pos, generate_series(1, 2) layout,
               LATERAL (SELECT CASE layout
                                 WHEN 1 THEN format('{"s":"%s%s%s","pad":"0123456789abcdef0123456789"}', repeat('a', pos), sp, repeat('b', len - pos))
                                 ELSE format('{"pad":1,"s":"%s%s%s"}', repeat('a', pos), sp, repeat('b', len - pos))
                               END AS d) x
         WHERE pos <= len) s
 GROUP BY sp ORDER BY sp COLLATE "C";

-- Integers of 1 to 25 digits (read eight digits at a time while they fit
-- in 18), with a sign or not, followed by a byte just outside the digits or not, last
-- in the document or not: the same numbers as jsonb_in's.
SELECT count(*) AS docs,
       count(*) FILTER (WHERE o IS NOT DISTINCT FROM c) AS agree,
       count(*) FILTER (WHERE o IS NULL) AS rejected
  FROM (SELECT ours(d)::text AS o, core(d)::text AS c
          FROM generate_series(1, 25) l,
               unnest(ARRAY['1234567890123456789012345', '9999999999999999999999999',
                            '1000000000000000000000000', '1090807060504030201009080']) digits,
               unnest(ARRAY['', '-']) sign,
               unnest(ARRAY['}', ',"x":1}', '.5}', 'e2}', '/}', ':}']) tail,
               LATERAL (SELECT '{"n":' || sign || left(digits, l) || tail AS d) x) s;

-- Documents the jsonb writer could get wrong: empty containers, nesting to
-- jwt.max_json_depth, strings longer than 64 kB, containers of more than
-- JB_OFFSET_STRIDE (32) members (where entries hold offsets), integers
-- written as numerics directly, keys that sort differently by length than
-- bytewise, duplicate keys at depth.  Besides equal text, the jsonb must
-- have the size of jsonb_in's (alignment padding, numerics' headers), both
-- stored in a table row the same way (a short varlena header when small;
-- a row whose two documents pass TOAST's threshold together has only the
-- first compressed, so none of them is between 1 and 2 kB).
SET jwt.max_token_size = '1MB';
CREATE TEMP TABLE wdocs (name text, doc text);
INSERT INTO wdocs VALUES
  ('empty containers', '{"a":{},"b":[],"c":[{},[],{"d":[]}],"e":[[[]]]}'),
  ('depth 32', '{"d":' || repeat('[', 31) || '1' || repeat(']', 31) || '}'),
  ('depth 32, objects', '{"d":' || repeat('{"x":', 30) || '{}' || repeat('}', 30) || '}'),
  ('depth 33', '{"d":' || repeat('[', 32) || '1' || repeat(']', 32) || '}'),
  ('string of 70000', '{"s":"' || repeat('x', 70000) || '","t":1}'),
  ('strings of 40000 around a number', '{"a":"' || repeat('a', 40000) || '","b":1.5,"c":"' || repeat('c', 40000) || '"}'),
  ('40 members', (SELECT '{' || string_agg(format('"k%s":%s', g, g), ',') || '}' FROM generate_series(1, 40) g)),
  ('100 members of every type', (SELECT '{' || string_agg(format('"m%s":%s', g,
      CASE g % 6 WHEN 0 THEN g::text WHEN 1 THEN '"' || repeat('v', g) || '"' WHEN 2 THEN 'true'
                 WHEN 3 THEN 'null' WHEN 4 THEN '[' || g || ',"x"]' ELSE '{"n":' || g || '.25}' END), ',') || '}'
    FROM generate_series(1, 100) g)),
  ('array of 70', (SELECT '{"a":[' || string_agg(CASE WHEN g % 2 = 0 THEN g::text ELSE '"' || repeat('s', g) || '"' END, ',') || ']}'
    FROM generate_series(1, 70) g)),
  ('integers', '{"n":[0,-0,1,-1,9999,10000,-10000,10001,99990000,100000000,-100000000,1234,12345678,123456789012345678,-123456789012345678,999999999999999999,-999999999999999999,1000000000000000000,-9223372036854775808,99999999999999999999,-123]}'),
  ('other numbers', '{"n":[1e3,1E3,1.50,-1.50,0.0,-0.0,1e-3,1.0e2,10.0,-0.5,1234567890123456789012345678901234567890]}'),
  ('sort by length, then bytes', '{"b":1,"aa":2,"a":3,"ab":4,"ba":5,"":6,"é":7,"z":8,"zz":9,"\u00e8":10}'),
  ('sort with escapes', '{"\u0062":1,"a\n":2,"a\"":3,"a\\":4,"a/":5}'),
  ('duplicate at depth', '{"a":[{"b":1,"c":{"d":1,"d":2}}]}'),
  ('duplicate by escape', '{"a":1,"\u0061":2}'),
  ('duplicate among 40', (SELECT '{' || string_agg(format('"k%s":%s', g % 39, g), ',') || '}' FROM generate_series(1, 40) g)),
  ('integers of 18 to 20 digits, exponents', '{"n":[1e5,100000,1E+5,100000.0,0e0,-0e0,-0.0e1,0.1e1,5e17,5e18,-5e19,123456789012345678e2,-999999999999999999,9999999999999999999,-99999999999999999999,100000000000000000,-100000000000000000000]}'),
  ('duplicate by escape, not ASCII', '{"é":1,"\u00e9":2}'),
  ('duplicate by surrogate pair', '{"😀":1,"\ud83d\ude00":2}'),
  ('escaped and plain keys', '{"\u00e9\u00e8":1,"éé":2,"\ud83d\ude00":3,"😁":4,"\u00ff":5,"\u0100":6,"~":7}'),
  ('34 keys past 16 bytes, shuffled', (SELECT '{' || string_agg(format('"%s":%s', repeat('k', 15 + g % 4) || g, (g % 3 = 0)::text), ',' ORDER BY (g * 13) % 37) || '}'
    FROM generate_series(1, 34) g));
-- The verdict on documents stored in a table: equal means the same text
-- and the same stored size (the jsonb writer must produce jsonb_in's
-- bytes; sizes compare only once both are stored).
CREATE FUNCTION verdict(o jsonb, c jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN o IS NULL AND c IS NULL THEN 'both reject'
              WHEN o IS NULL THEN 'token parser rejects'
              WHEN c IS NULL THEN 'ONLY TOKEN PARSER ACCEPTS'
              WHEN o::text = c::text AND pg_column_size(o) = pg_column_size(c) THEN 'equal'
              ELSE 'DIFFERENT' END
$$;

CREATE TEMP TABLE wres AS SELECT name, ours(doc) AS o, core(doc) AS c FROM wdocs;
SELECT name, verdict(o, c) FROM wres;

-- The parser's scratch space is sized from the text's length and
-- jwt.max_json_depth: the densest documents, complete and cut short, at
-- the deepest nesting allowed.
SET jwt.max_json_depth = 1000;
CREATE TEMP TABLE sdocs (name text, doc text);
INSERT INTO sdocs VALUES
  ('depth 1000, a member at each level', '{"a":' || repeat('[1,', 999) || '1' || repeat(']', 999) || '}'),
  ('depth 1001', '{"a":' || repeat('[1,', 1000) || '1' || repeat(']', 1000) || '}'),
  ('depth 1000, cut short, then dense', '{"a":' || repeat('[1,', 999) || repeat('1,', 50000)),
  ('depth 1000 of objects, cut short', repeat('{"":[1,', 500) || repeat('1,', 50000)),
  ('depth 1000, bare', '{"a":' || repeat('[', 999) || repeat(']', 999) || '}'),
  ('depth 1000, bare, cut short', '{"a":' || repeat('[', 999) || '1'),
  ('a one-digit number every two bytes', '{"a":[' || repeat('1,', 200000) || '1]}'),
  ('an empty array every three bytes', '{"a":[' || repeat('[],', 100000) || '[]]}'),
  ('an object of an empty object every nine bytes', '{"a":[' || repeat('{"a":{}},', 40000) || '{}]}');
CREATE TEMP TABLE sres AS SELECT name, ours(doc) AS o, core(doc) AS c FROM sdocs;
SELECT name, verdict(o, c) FROM sres;
RESET jwt.max_json_depth;
RESET jwt.max_token_size;

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
