-- Make tokens with jwt_sign for the libraries to verify.
-- psql variables: claims (claims.json), secrets (secrets.json).
-- Prints one line: a JSON array of {label, alg, secret, expires_in, token}
-- ("secret" names the entry of secrets.json that signed the token), or
-- {..., token: null, error: "..."} where jwt_sign raised.

CREATE FUNCTION pg_temp.try_sign(claims jsonb, secret text, alg text, use_bytea boolean)
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
	st text; msg text; det text;
BEGIN
	IF use_bytea THEN
		RETURN jsonb_build_object('token',
			jwt_sign(claims, convert_to(secret, 'UTF8'), alg, expires_in => interval '3600 seconds'));
	END IF;
	RETURN jsonb_build_object('token',
		jwt_sign(claims, secret, alg, expires_in => interval '3600 seconds'));
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
	RETURN jsonb_build_object('token', NULL, 'error', format('jwt_sign raised %s: %s %s', st, msg, det));
END
$f$;

SELECT jsonb_agg(jsonb_build_object('label', label, 'alg', alg, 'secret', alg, 'expires_in', 3600)
                 || pg_temp.try_sign(:'claims'::jsonb, (:'secrets'::jsonb)->>alg, alg, use_bytea)
                 ORDER BY ord)
FROM (VALUES (1, 'jwt_sign',           'HS256', false),
             (2, 'jwt_sign',           'HS384', false),
             (3, 'jwt_sign',           'HS512', false),
             (4, 'jwt_sign bytea-key', 'HS256', true)) AS v(ord, label, alg, use_bytea);
