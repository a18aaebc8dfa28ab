-- Verify RS/PS/ES/EdDSA tokens made by JWT libraries with jwt_verify /
-- jwt_validate, and reject the forgeries.  Prints TAP-like lines.
--
-- psql variables (file names, read here with \set and cat):
--   keys_file   the keys written by "node node_check.mjs keys"
--   cases_file  asym_cases.json
--   node_file   output of "node node_check.mjs sign-asym"
--   py_file     output of "py_check.py sign-asym"
--
-- Token kinds (see node_check.mjs / py_check.py):
--   good       signed by the case's key, header kid = that key's kid
--   wrong_key  signed by another key of the same type, same kid
--   unknown_kid  signed by the case's key, with a kid no key in the JWK Set has
--   confusion  HS token whose HMAC secret is the text of a public key; key_arg
--              is that text, handed to jwt_verify as the key
--   edge       ECDSA tokens (in "tokens") whose r or s starts with a zero byte
--   skip       the library cannot make this algorithm (a "# skip:" line)

\set keys `cat :'keys_file'`
\set cases `cat :'cases_file'`
\set node_tokens `cat :'node_file'`
\set py_tokens `cat :'py_file'`

-- A key argument {"type": "text"|"bytea"|"jsonb", "value": ...}, from the
-- public forms listed in asym_cases.json.
CREATE FUNCTION pg_temp.public_key_arg(keys jsonb, name text, form text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $f$
	SELECT CASE form
		WHEN 'jwks' THEN jsonb_build_object('type', 'jsonb', 'value', keys->'jwks')
		WHEN 'jwk' THEN keys->'keys'->name->'arg'->'public_jwk'
		WHEN 'jwk_text' THEN keys->'keys'->name->'arg'->'public_jwk_text'
		ELSE keys->'keys'->name->'arg'->form
	END
$f$;

CREATE FUNCTION pg_temp.form_name(form text)
RETURNS text LANGUAGE sql IMMUTABLE AS $f$
	SELECT CASE form
		WHEN 'spki' THEN 'SPKI PEM text'
		WHEN 'spki_bytea' THEN 'SPKI PEM bytea'
		WHEN 'pkcs1_pub' THEN 'PKCS#1 RSA PUBLIC KEY PEM text'
		WHEN 'jwk' THEN 'public JWK jsonb'
		WHEN 'jwk_text' THEN 'public JWK text'
		WHEN 'jwks' THEN 'JWK Set jsonb, by kid'
		WHEN 'secret' THEN 'HMAC secret bytea'
		WHEN 'cert' THEN 'X.509 CERTIFICATE PEM text'
		ELSE form
	END
$f$;

-- Run jwt_verify and catch its error, so one bad token cannot end the run.
CREATE FUNCTION pg_temp.try_verify(tok text, key jsonb, algs text[])
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	st text; msg text; det text;
BEGIN
	IF key IS NULL THEN
		RETURN jsonb_build_object('error', 'no such key form in the key file');
	ELSIF key->>'type' = 'jsonb' THEN
		RETURN jsonb_build_object('claims', jwt_verify(tok, key->'value', algs));
	ELSIF key->>'type' = 'bytea' THEN
		RETURN jsonb_build_object('claims', jwt_verify(tok, convert_to(key->>'value', 'UTF8'), algs));
	END IF;
	RETURN jsonb_build_object('claims', jwt_verify(tok, key->>'value', algs));
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_build_object('sqlstate', st, 'message', msg, 'detail', det);
END
$f$;

-- jwt_validate should never raise for a bad token; catch it anyway.
CREATE FUNCTION pg_temp.try_validate(tok text, key jsonb, algs text[])
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	r jsonb; st text; msg text; det text;
BEGIN
	IF key IS NULL THEN
		RETURN jsonb_build_object('error', 'no such key form in the key file');
	ELSIF key->>'type' = 'jsonb' THEN
		SELECT to_jsonb(v) INTO r FROM jwt_validate(tok, key->'value', algs) AS v;
	ELSIF key->>'type' = 'bytea' THEN
		SELECT to_jsonb(v) INTO r FROM jwt_validate(tok, convert_to(key->>'value', 'UTF8'), algs) AS v;
	ELSE
		SELECT to_jsonb(v) INTO r FROM jwt_validate(tok, key->>'value', algs) AS v;
	END IF;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_build_object('raised', st, 'message', msg, 'detail', det);
END
$f$;

WITH tok AS (
	SELECT n, t->>'lib' AS lib, t->>'case' AS case_id, t->>'alg' AS alg, t->>'kind' AS kind,
	       t->>'key' AS key, t->>'kid' AS kid, t->>'token' AS token, t->'claims' AS claims,
	       t->>'skip' AS skip, t->>'error' AS error, coalesce((t->>'negatives')::boolean, false) AS negatives,
	       t->'key_arg' AS key_arg, t->>'what' AS what, t->>'control' AS control, t->'tokens' AS tokens
	FROM jsonb_array_elements(:'node_tokens'::jsonb || :'py_tokens'::jsonb) WITH ORDINALITY AS a(t, n)
),
cases AS (
	SELECT o AS case_n, c->>'id' AS id, c->>'key' AS key, c->'verify_forms' AS verify_forms, c->'mismatch' AS mismatch
	FROM jsonb_array_elements((:'cases'::jsonb)->'cases') WITH ORDINALITY AS a(c, o)
),
good AS (
	SELECT tok.*, cases.key AS case_key, cases.verify_forms, cases.mismatch
	FROM tok JOIN cases ON cases.id = tok.case_id
	WHERE kind = 'good' AND token IS NOT NULL
),
checks AS (
	-- Library-signed tokens verify under every public form of the key, and
	-- the claims come back unchanged.  The JWK Set holds every test key; the
	-- token's kid picks one.
	SELECT n, 10 + f.o AS k,
	       format('%s: jwt_verify(key %s, %s) accepts %s token and claims match', case_id,
	              pg_temp.form_name(f.form),
	              CASE WHEN f.form = 'jwk' THEN 'algorithms {' || alg || '}' ELSE 'default algorithms' END, lib) AS descr,
	       r->'claims' = claims AS ok,
	       format(E'got %s\nexpected %s\ntoken %s', r, claims, token) AS diag
	FROM good
	CROSS JOIN LATERAL jsonb_array_elements_text(verify_forms) WITH ORDINALITY AS f(form, o)
	CROSS JOIN LATERAL pg_temp.try_verify(token, pg_temp.public_key_arg(:'keys'::jsonb, key, f.form),
	                                      CASE WHEN f.form = 'jwk' THEN ARRAY[alg] END) AS r
	WHERE f.form <> 'jwks'
	UNION ALL
	SELECT n, 10 + f.o,
	       format('%s: jwt_validate(key %s) reports %s token valid, header alg/kid and claims match', case_id,
	              pg_temp.form_name(f.form), lib),
	       (r->>'valid')::boolean AND r->>'reason' IS NULL AND r->'header'->>'alg' = alg
	           AND r->'header'->>'kid' = kid AND r->'claims' = claims,
	       format(E'got %s\nexpected claims %s\ntoken %s', r, claims, token)
	FROM good
	CROSS JOIN LATERAL jsonb_array_elements_text(verify_forms) WITH ORDINALITY AS f(form, o)
	CROSS JOIN LATERAL pg_temp.try_validate(token, pg_temp.public_key_arg(:'keys'::jsonb, key, f.form), NULL) AS r
	WHERE f.form = 'jwks'
	UNION ALL
	-- Negative: signed by another key of the same type (kid of the good key).
	SELECT n, 30,
	       format('%s: jwt_verify(key SPKI PEM text) rejects %s token signed by another %s key (28000, bad_signature)',
	              case_id, lib, cases.key),
	       r->>'sqlstate' = '28000' AND r->>'detail' LIKE '%(reason: bad\_signature).',
	       format(E'got %s\ntoken %s', r, token)
	FROM tok JOIN cases ON cases.id = tok.case_id
	CROSS JOIN LATERAL pg_temp.try_verify(token, pg_temp.public_key_arg(:'keys'::jsonb, cases.key, 'spki'), ARRAY[alg]) AS r
	WHERE kind = 'wrong_key' AND token IS NOT NULL
	UNION ALL
	SELECT n, 31,
	       format('%s: jwt_validate(key JWK Set, by kid) reason is bad_signature for %s token signed by another %s key',
	              case_id, lib, cases.key),
	       r->>'valid' = 'false' AND r->>'reason' = 'bad_signature' AND r->>'claims' IS NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok JOIN cases ON cases.id = tok.case_id
	CROSS JOIN LATERAL pg_temp.try_validate(token, pg_temp.public_key_arg(:'keys'::jsonb, cases.key, 'jwks'), NULL) AS r
	WHERE kind = 'wrong_key' AND token IS NOT NULL
	UNION ALL
	-- Negative: a kid that no member of the JWK Set has.
	SELECT n, 32,
	       format('%s: jwt_validate(key JWK Set, by kid) reason is unknown_key for %s token with a kid not in the set',
	              case_id, lib),
	       r->>'valid' = 'false' AND r->>'reason' = 'unknown_key' AND r->>'claims' IS NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok
	CROSS JOIN LATERAL pg_temp.try_validate(token, pg_temp.public_key_arg(:'keys'::jsonb, NULL, 'jwks'), NULL) AS r
	WHERE kind = 'unknown_kid' AND token IS NOT NULL
	UNION ALL
	-- Negative: a key of another type (or curve) must not verify the token,
	-- whether the algorithms come from the key or are given.
	SELECT n, 40 + 2 * m.o + a.o,
	       format('%s: jwt_validate(%s key %s, %s) rejects %s token (%s)', case_id, m.m->>'key',
	              pg_temp.form_name(m.m->>'form'),
	              CASE WHEN a.algs IS NULL THEN 'default algorithms' ELSE 'algorithms {' || alg || '}' END, lib,
	              array_to_string(accept, ' or ')),
	       r->>'valid' = 'false' AND r->>'reason' = ANY (accept) AND r->>'claims' IS NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM good
	CROSS JOIN LATERAL jsonb_array_elements(mismatch) WITH ORDINALITY AS m(m, o)
	CROSS JOIN LATERAL (SELECT coalesce((SELECT array_agg(x) FROM jsonb_array_elements_text(m.m->'accept') AS x),
	                                    ARRAY['key_mismatch', 'algorithm_not_allowed'])) AS acc(accept)
	CROSS JOIN LATERAL (VALUES (0, NULL::text[]), (1, ARRAY[alg])) AS a(o, algs)
	CROSS JOIN LATERAL pg_temp.try_validate(token,
	                                        pg_temp.public_key_arg(:'keys'::jsonb, m.m->>'key', m.m->>'form'),
	                                        a.algs) AS r
	WHERE negatives
	UNION ALL
	-- Negative: the algorithm confusion forgery.  First the control: the
	-- token is a correct HMAC under that text, checked by another library.
	SELECT n, 50,
	       format('confusion: %s token with %s is a correct HMAC (control: another library accepts it)',
	              alg, what),
	       control = 'ok', format(E'control: %s\ntoken %s', control, token)
	FROM tok WHERE kind = 'confusion'
	UNION ALL
	SELECT n, 51,
	       format('confusion: jwt_verify(that key, default algorithms) rejects %s %s token with %s (28000, %s)',
	              lib, alg, what, array_to_string(accept, ' or ')),
	       r->>'sqlstate' = '28000'
	           AND substring(r->>'detail' FROM '\(reason: ([a-z_]+)\)\.$') = ANY (accept),
	       format(E'got %s\ntoken %s', r, token)
	FROM tok
	CROSS JOIN LATERAL (SELECT CASE WHEN key_arg = '"jwks"' THEN ARRAY['algorithm_not_allowed', 'key_mismatch', 'unknown_key']
	                                ELSE ARRAY['algorithm_not_allowed', 'key_mismatch'] END) AS acc(accept)
	CROSS JOIN LATERAL pg_temp.try_verify(token,
	    CASE WHEN key_arg = '"jwks"' THEN pg_temp.public_key_arg(:'keys'::jsonb, NULL, 'jwks') ELSE key_arg END, NULL) AS r
	WHERE kind = 'confusion'
	UNION ALL
	SELECT n, 52,
	       format('confusion: jwt_validate(that key, algorithms {%s}) rejects %s token with %s (%s)',
	              alg, lib, what, array_to_string(accept, ' or ')),
	       r->>'valid' = 'false' AND r->>'reason' = ANY (accept) AND r->>'claims' IS NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok
	CROSS JOIN LATERAL (SELECT CASE WHEN key_arg = '"jwks"' THEN ARRAY['algorithm_not_allowed', 'key_mismatch', 'unknown_key']
	                                ELSE ARRAY['algorithm_not_allowed', 'key_mismatch'] END) AS acc(accept)
	CROSS JOIN LATERAL pg_temp.try_validate(token,
	    CASE WHEN key_arg = '"jwks"' THEN pg_temp.public_key_arg(:'keys'::jsonb, NULL, 'jwks') ELSE key_arg END,
	    ARRAY[alg]) AS r
	WHERE kind = 'confusion'
	UNION ALL
	-- ECDSA signatures whose r or s starts with a zero byte (the libraries
	-- left-pad them to the fixed width).
	SELECT n, 60,
	       format('%s: jwt_verify(key SPKI PEM text) accepts %s %s tokens with a leading zero byte in r or s, claims match',
	              case_id, e.total, lib),
	       e.total > 0 AND e.good = e.total,
	       format(E'%s of %s verified\nfirst failure %s', e.good, e.total, e.first_bad)
	FROM tok
	CROSS JOIN LATERAL (
		SELECT count(*) AS total, count(*) FILTER (WHERE v.r->'claims' = tok.claims) AS good,
		       min(format(E'%s\ntoken %s', v.r, x)) FILTER (WHERE v.r->'claims' IS DISTINCT FROM tok.claims) AS first_bad
		FROM jsonb_array_elements_text(tok.tokens) AS x
		CROSS JOIN LATERAL pg_temp.try_verify(x, pg_temp.public_key_arg(:'keys'::jsonb, tok.key, 'spki'), NULL) AS v(r)
	) AS e
	WHERE kind = 'edge'
	UNION ALL
	-- A library that failed where it should work.
	SELECT n, 1,
	       format('%s: %s makes a %s token for jwt_verify', case_id, lib, kind),
	       false, error
	FROM tok WHERE token IS NULL AND kind NOT IN ('skip', 'edge')
),
lines AS (
	SELECT n, k, CASE
		WHEN coalesce(ok, false) THEN 'ok - ' || descr
		ELSE 'not ok - ' || descr || E'\n# ' || replace(coalesce(diag, '(no result)'), E'\n', E'\n# ')
	END AS line
	FROM checks
	UNION ALL
	SELECT n, 0, format('# skip: %s: %s cannot sign: %s', case_id, lib, replace(skip, E'\n', ' '))
	FROM tok WHERE kind = 'skip'
	UNION ALL
	-- Every algorithm is signed by at least one library.
	SELECT 1000000 + case_n, 0,
	       CASE WHEN count(good.n) > 0 THEN 'ok' ELSE 'not ok' END
	       || format(' - %s: jwt_verify checked tokens from at least one library (%s)', cases.id,
	                 coalesce(string_agg(DISTINCT good.lib, ', '), 'none'))
	FROM cases LEFT JOIN good ON good.case_id = cases.id
	GROUP BY case_n, cases.id
)
SELECT line FROM lines ORDER BY n, k;
