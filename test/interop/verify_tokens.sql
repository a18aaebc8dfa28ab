-- Verify tokens made by a JWT library with jwt_verify / jwt_validate.
-- psql variables: tokens (JSON array from node_check.mjs or py_check.py
-- "sign"), secrets (secrets.json).  Prints TAP-like lines.
--
-- Token kinds: "good" (signed with secrets[alg]), "wrong_key" (signed with
-- secrets.wrong, verified with secrets[alg]), "none" (alg "none", unsigned).

-- Run jwt_verify and catch its error, so one bad token cannot end the run.
CREATE FUNCTION pg_temp.try_verify(tok text, key text, keyb bytea, algs text[])
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	st text; msg text; det text;
BEGIN
	IF keyb IS NOT NULL THEN
		RETURN jsonb_build_object('claims', jwt_verify(tok, keyb, algs));
	END IF;
	RETURN jsonb_build_object('claims', jwt_verify(tok, key, algs));
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_build_object('sqlstate', st, 'message', msg, 'detail', det);
END
$f$;

-- jwt_validate should never raise for a bad token; catch it anyway.
CREATE FUNCTION pg_temp.try_validate(tok text, key text, algs text[])
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	r jsonb; st text; msg text;
BEGIN
	SELECT to_jsonb(v) INTO r FROM jwt_validate(tok, key, algs) AS v;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN jsonb_build_object('raised', st, 'message', msg);
END
$f$;

WITH tok AS (
	SELECT n, t->>'lib' AS lib, t->>'alg' AS alg, t->>'kind' AS kind, t->>'token' AS token,
	       t->'claims' AS claims, t->>'skip' AS skip,
	       (:'secrets'::jsonb)->>(CASE WHEN t->>'alg' = 'none' THEN 'HS256' ELSE t->>'alg' END) AS secret
	FROM jsonb_array_elements(:'tokens'::jsonb) WITH ORDINALITY AS a(t, n)
),
checks AS (
	-- Library-signed tokens verify, and the claims come back unchanged.
	SELECT n, 1 AS k,
	       format('%s: jwt_verify(token, text key, algorithms) accepts %s token and claims match', alg, lib) AS descr,
	       r->'claims' = claims AS ok, NULL AS skip,
	       format(E'got %s\nexpected %s\ntoken %s', r, claims, token) AS diag
	FROM tok, LATERAL pg_temp.try_verify(token, secret, NULL, ARRAY[alg]) AS r
	WHERE kind = 'good'
	UNION ALL
	SELECT n, 2,
	       format('%s: jwt_validate reports %s token valid with header alg %s', alg, lib, alg),
	       (r->>'valid')::boolean AND r->>'reason' IS NULL AND r->'header'->>'alg' = alg
	           AND r->'claims' = claims, NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok, LATERAL pg_temp.try_validate(token, secret, ARRAY[alg]) AS r
	WHERE kind = 'good'
	UNION ALL
	-- The bytea-key overload and the default algorithm list, once per library.
	SELECT n, 3,
	       format('%s: jwt_verify(token, bytea key) accepts %s token and claims match', alg, lib),
	       r->'claims' = claims, NULL,
	       format(E'got %s\nexpected %s\ntoken %s', r, claims, token)
	FROM tok, LATERAL pg_temp.try_verify(token, NULL, convert_to(secret, 'UTF8'), ARRAY[alg]) AS r
	WHERE kind = 'good' AND alg = 'HS256'
	UNION ALL
	SELECT n, 4,
	       format('%s: jwt_verify(token, key) with default algorithms accepts %s token', alg, lib),
	       r->'claims' = claims, NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok, LATERAL pg_temp.try_verify(token, secret, NULL, NULL) AS r
	WHERE kind = 'good' AND alg = 'HS256'
	UNION ALL
	-- Negative: signed with another secret.
	SELECT n, 5,
	       format('%s: jwt_verify rejects %s token signed with another secret (28000, bad_signature)', alg, lib),
	       r->>'sqlstate' = '28000' AND r->>'detail' LIKE '%(reason: bad\_signature).', NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok, LATERAL pg_temp.try_verify(token, secret, NULL, ARRAY[alg]) AS r
	WHERE kind = 'wrong_key'
	UNION ALL
	SELECT n, 6,
	       format('%s: jwt_validate reason is bad_signature for %s token signed with another secret', alg, lib),
	       r->>'valid' = 'false' AND r->>'reason' = 'bad_signature', NULL,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok, LATERAL pg_temp.try_validate(token, secret, ARRAY[alg]) AS r
	WHERE kind = 'wrong_key'
	UNION ALL
	-- Negative: unsecured ("alg":"none") tokens, where the library made one.
	SELECT n, 7 + o,
	       format('none: jwt_validate(%s) reason is algorithm_not_allowed for %s unsecured token',
	              CASE WHEN algs IS NULL THEN 'default algorithms' ELSE 'algorithms ' || algs::text END, lib),
	       r->>'valid' = 'false' AND r->>'reason' = 'algorithm_not_allowed', skip,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok
	CROSS JOIN LATERAL (VALUES (0, NULL::text[]), (1, ARRAY['HS256', 'HS384', 'HS512'])) AS a(o, algs)
	LEFT JOIN LATERAL pg_temp.try_validate(token, secret, algs) AS r ON token IS NOT NULL
	WHERE kind = 'none'
	UNION ALL
	SELECT n, 9,
	       format('none: jwt_verify rejects %s unsecured token (28000, algorithm_not_allowed)', lib),
	       r->>'sqlstate' = '28000' AND r->>'detail' LIKE '%(reason: algorithm\_not\_allowed).', skip,
	       format(E'got %s\ntoken %s', r, token)
	FROM tok
	LEFT JOIN LATERAL pg_temp.try_verify(token, secret, NULL, NULL) AS r ON token IS NOT NULL
	WHERE kind = 'none'
)
SELECT CASE
	WHEN skip IS NOT NULL THEN 'ok - ' || descr || ' # SKIP library refused: ' || replace(skip, E'\n', ' ')
	WHEN coalesce(ok, false) THEN 'ok - ' || descr
	ELSE 'not ok - ' || descr || E'\n# ' || replace(coalesce(diag, '(no result)'), E'\n', E'\n# ')
END
FROM checks
ORDER BY n, k;
