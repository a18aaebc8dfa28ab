-- Make RS/PS/ES/EdDSA tokens with jwt_sign for the libraries to verify.
-- psql variables: claims (claims.json text); keys_file (the keys written by
-- "node node_check.mjs keys") and cases_file (asym_cases.json), read here.
-- Prints one line: a JSON array of {label, case, alg, form, key, kid,
-- expires_in, token} (form is how the private key was passed, see
-- asym_cases.json; kid is the kid the header must have, null for none), or
-- {..., token: null, error: "..."} where jwt_sign raised; then per ECDSA case
-- {label: "jwt_sign batch", ..., claims, tokens: [...], error}.

\set keys `cat :'keys_file'`
\set cases `cat :'cases_file'`

-- A private key argument {"type": "text"|"bytea"|"jsonb", "value": ...}.
CREATE FUNCTION pg_temp.private_key_arg(keys jsonb, name text, form text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $f$
	SELECT CASE form
		WHEN 'jwks' THEN jsonb_build_object('type', 'jsonb', 'value', keys->'private_jwks')
		ELSE keys->'keys'->name->'arg'->form
	END
$f$;

CREATE FUNCTION pg_temp.try_sign(claims jsonb, key jsonb, alg text, header jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	st text; msg text; det text;
	exp interval := interval '3600 seconds';
BEGIN
	IF key IS NULL THEN
		RETURN jsonb_build_object('token', NULL, 'error', 'no such key form in the key file');
	ELSIF key->>'type' = 'jsonb' THEN
		RETURN jsonb_build_object('token', jwt_sign(claims, key->'value', alg, header, expires_in => exp));
	ELSIF key->>'type' = 'bytea' THEN
		RETURN jsonb_build_object('token',
			jwt_sign(claims, convert_to(key->>'value', 'UTF8'), alg, header, expires_in => exp));
	END IF;
	RETURN jsonb_build_object('token', jwt_sign(claims, key->>'value', alg, header, expires_in => exp));
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_build_object('token', NULL, 'error', format('jwt_sign raised %s: %s %s', st, msg, det));
END
$f$;

-- One array: a token per case and sign form, then per ECDSA case a batch of
-- tokens (label "jwt_sign batch", tokens: [...]) to catch r or s written
-- without its leading zero bytes, which a single signature rarely shows.
WITH single AS (
SELECT jsonb_agg(jsonb_build_object('label', 'jwt_sign', 'case', c->>'id', 'alg', c->>'alg', 'form', f.form,
                                    'key', c->>'key', 'kid', h.kid, 'expires_in', 3600)
                 || pg_temp.try_sign(:'claims'::jsonb,
                                     pg_temp.private_key_arg(:'keys'::jsonb, c->>'key', f.form),
                                     c->>'alg', h.header)
                 ORDER BY c.o, f.o) AS a
FROM jsonb_array_elements((:'cases'::jsonb)->'cases') WITH ORDINALITY AS c(c, o)
CROSS JOIN LATERAL jsonb_array_elements_text(c->'sign_forms') WITH ORDINALITY AS f(form, o)
-- With a JWK Set the header's kid picks the key.  kid is the one the token's
-- header must carry: that one, the JWK's own kid, none for a PEM key.
CROSS JOIN LATERAL (SELECT CASE WHEN f.form = 'jwks'
                                THEN jsonb_build_object('kid', (:'keys'::jsonb)->'keys'->(c->>'key')->>'kid')
                           END,
                           CASE WHEN f.form IN ('jwks', 'jwk', 'jwk_text')
                                THEN (:'keys'::jsonb)->'keys'->(c->>'key')->>'kid'
                           END) AS h(header, kid)
),
batch AS (
SELECT coalesce(jsonb_agg(b ORDER BY o), '[]') AS a
FROM (
	SELECT c.o, jsonb_build_object('label', 'jwt_sign batch', 'case', c->>'id', 'alg', c->>'alg', 'form', 'pem',
	                               'key', c->>'key', 'claims', jsonb_build_object('sub', 'batch'), -- plus "i": 1..n
	                               'expires_in', 3600,
	                               'tokens', jsonb_agg(r->'token' ORDER BY i), 'error', min(r->>'error')) AS b
	FROM jsonb_array_elements((:'cases'::jsonb)->'cases') WITH ORDINALITY AS c(c, o)
	CROSS JOIN generate_series(1, ((:'cases'::jsonb)->'ecdsa_edges'->'sign_batch'->>(c->>'alg'))::int) AS i
	-- (claims differ per token, so that each row really signs)
	CROSS JOIN LATERAL pg_temp.try_sign(jsonb_build_object('sub', 'batch', 'i', i),
	                                    pg_temp.private_key_arg(:'keys'::jsonb, c->>'key', 'pem'),
	                                    c->>'alg', NULL) AS r
	WHERE c->>'alg' LIKE 'ES%'
	GROUP BY c.o, c.c
) AS x
)
SELECT single.a || batch.a FROM single, batch;
