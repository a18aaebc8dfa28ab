/* jwt--0.1.0--0.1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.1'" to load this file. \quit

-- jwt_registry_add: an HMAC key is read by the extension's key reader first,
-- so a malformed "oct" JWK no longer reaches the jsonb cast (whose error
-- context quoted the secret), and a PEM or a JWK of another kind is refused
-- for HS* instead of being stored as a secret; a private key is recognised
-- whatever precedes it (0.1.0 took a private PEM after a newline for a
-- public one).  Same signature: privileges and comment are kept.
--
-- Add a key: a private key (PEM, JWK, or an HMAC secret) that can become
-- active, or a public key (PEM or JWK) that only verifies.  Returns the kid
-- (the given one, or the RFC 7638 thumbprint).  An active key replaces the
-- algorithm's active key, which becomes verify-only.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_add(
	key text,
	algorithm text,
	kid text DEFAULT NULL,
	status text DEFAULT 'active',
	retire_after interval DEFAULT '1 day')
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	vkey jsonb;
	public_only boolean;
	new_kid text;
	-- what the key reader skips before a key: white space, and a byte order
	-- mark (a character only a UTF-8 database has)
	ws CONSTANT text := chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)
		|| CASE WHEN pg_catalog.getdatabaseencoding() = 'UTF8' THEN chr(65279) ELSE '' END;
BEGIN
	IF key IS NULL OR algorithm IS NULL OR status IS NULL THEN
		RAISE EXCEPTION 'key, algorithm and status must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF algorithm LIKE 'HS%' THEN
		-- an HMAC secret (text) or an "oct" JWK: verification needs the secret.
		-- The key reader decides which, and raises for anything else (a PEM,
		-- another kind of JWK, malformed JSON, a secret too short for the
		-- algorithm) without quoting the key; so the cast below cannot fail.
		PERFORM @extschema@.jwt_sign('{}', key, algorithm);
		IF ltrim(key, ws) LIKE '{%' THEN
			vkey := ltrim(key, ws)::jsonb;
		ELSE
			vkey := jsonb_build_object('kty', 'oct', 'k',
				rtrim(translate(encode(convert_to(key, 'UTF8'), 'base64'), E'+/\n', '-_'), '='));
		END IF;
		public_only := false;
		-- check the secret fits the algorithm (raises otherwise)
		PERFORM @extschema@.jwt_sign('{}', vkey, algorithm);
		-- the RFC 7638 thumbprint of an oct key
		new_kid := coalesce(kid, vkey->>'kid',
			rtrim(translate(encode(sha256(convert_to(
				format('{"k":"%s","kty":"oct"}', vkey->>'k'), 'UTF8')), 'base64'), E'+/\n', '-_'), '='));
		vkey := vkey - 'kid' - 'alg';
	ELSE
		vkey := @extschema@.jwt_public_jwk(key);
		-- jwt_public_jwk has read the key, so the cast cannot fail
		public_only := NOT (key ~ '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----'
			OR (ltrim(key, ws) LIKE '{%' AND ltrim(key, ws)::jsonb ? 'd'));
		IF NOT public_only THEN
			-- the private key must sign with this algorithm (raises otherwise)
			PERFORM @extschema@.jwt_sign('{}', key, algorithm);
		END IF;
		-- the key must serve the algorithm (binding it raises otherwise)
		PERFORM @extschema@.jwt_validate('e30.e30.', vkey || jsonb_build_object('alg', algorithm));
		new_kid := coalesce(kid, vkey->>'kid');
		vkey := vkey - 'kid' - 'alg';
	END IF;

	IF status NOT IN ('active', 'verify_only') THEN
		RAISE EXCEPTION 'status must be "active" or "verify_only"'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF public_only AND status = 'active' THEN
		RAISE EXCEPTION 'a public key cannot be the active signing key'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Add it with status => ''verify_only''.';
	END IF;

	-- one rotation at a time
	LOCK TABLE @extschema@.jwt_keys IN SHARE ROW EXCLUSIVE MODE;
	IF status = 'active' THEN
		UPDATE @extschema@.jwt_keys k
		   SET status = 'verify_only',
			   retire_after = now() + jwt_registry_add.retire_after
		 WHERE k.algorithm = jwt_registry_add.algorithm AND k.status = 'active';
	END IF;
	INSERT INTO @extschema@.jwt_keys (kid, algorithm, signing_key, verification_key, status)
	VALUES (new_kid, algorithm, CASE WHEN public_only THEN NULL ELSE key END, vkey,
			jwt_registry_add.status);
	RETURN new_kid;
END
$$;

