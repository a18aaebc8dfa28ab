/* jwt--0.1.0--0.1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.1'" to load this file. \quit

--
-- jwt_raise: an error whose statement the server log leaves out, for the
-- PL/pgSQL functions that take keys.
--
CREATE FUNCTION @extschema@.jwt_raise(
	sqlstate text,
	message text,
	detail text DEFAULT NULL,
	hint text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_raise'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jwt_raise(text, text, text, text)
	IS 'raise an error whose statement is kept out of the server log (for functions that take keys)';

--
-- jwt_registry_add:
-- - an HMAC key is read by the extension's key reader first, so a
--   malformed "oct" JWK is no longer quoted by a jsonb error context, and a
--   PEM or a JWK of another kind is refused for HS* instead of being
--   stored as a secret;
-- - whether the key is a JWK is decided as the key reader decides it (a
--   byte order mark at the start, then ASCII white space), in any database
--   encoding, and a private key is recognised whatever precedes it (0.1.0
--   took a private PEM after a newline for a public one);
-- - every error it raises goes through jwt_raise, so that no statement
--   holding a key reaches the server log.
-- Same signature: privileges and comment are kept.
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
	kb bytea;				-- the key's bytes, as the key reader sees them
	jwk text;				-- the key as JSON text, when it is a JWK
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	BEGIN
		IF key IS NULL OR algorithm IS NULL OR status IS NULL THEN
			RAISE EXCEPTION 'key, algorithm and status must not be NULL'
				USING ERRCODE = 'null_value_not_allowed';
		END IF;
		IF status NOT IN ('active', 'verify_only') THEN
			RAISE EXCEPTION 'status must be "active" or "verify_only"'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		-- a JWK when, after a byte order mark and ASCII white space, it
		-- starts with "{" (what the key reader of jwt_sign does with text)
		kb := convert_to(key, pg_catalog.getdatabaseencoding());
		IF substring(kb FROM 1 FOR 3) = '\xefbbbf'::bytea THEN
			kb := substring(kb FROM 4);
		END IF;
		kb := ltrim(kb, '\x20090a0b0c0d'::bytea);
		IF length(kb) > 0 AND get_byte(kb, 0) = 123 THEN
			jwk := convert_from(kb, pg_catalog.getdatabaseencoding());
		END IF;

		IF algorithm LIKE 'HS%' THEN
			-- an HMAC secret (text) or an "oct" JWK: verification needs the
			-- secret.  The key reader decides which, and raises for anything
			-- else (a PEM, another kind of JWK, malformed JSON, a secret too
			-- short for the algorithm); so the cast below cannot fail.
			PERFORM @extschema@.jwt_sign('{}', key, algorithm);
			IF jwk IS NOT NULL THEN
				vkey := jwk::jsonb;
			ELSE
				vkey := jsonb_build_object('kty', 'oct', 'k',
					rtrim(translate(encode(convert_to(key, 'UTF8'), 'base64'), E'+/\n', '-_'), '='));
			END IF;
			public_only := false;
			-- the RFC 7638 thumbprint of an oct key
			new_kid := coalesce(kid, vkey->>'kid',
				rtrim(translate(encode(sha256(convert_to(
					format('{"k":"%s","kty":"oct"}', vkey->>'k'), 'UTF8')), 'base64'), E'+/\n', '-_'), '='));
			vkey := vkey - 'kid' - 'alg';
		ELSE
			vkey := @extschema@.jwt_public_jwk(key);
			-- jwt_public_jwk has read the key, so the cast cannot fail
			public_only := NOT (key ~ '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----'
				OR (jwk IS NOT NULL AND jwk::jsonb ? 'd'));
			IF NOT public_only THEN
				-- the private key must sign with this algorithm (raises otherwise)
				PERFORM @extschema@.jwt_sign('{}', key, algorithm);
			END IF;
			-- the key must serve the algorithm (binding it raises otherwise)
			PERFORM @extschema@.jwt_validate('e30.e30.', vkey || jsonb_build_object('alg', algorithm));
			new_kid := coalesce(kid, vkey->>'kid');
			vkey := vkey - 'kid' - 'alg';
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
	EXCEPTION WHEN OTHERS THEN
		-- raised again with the statement (which holds the key) left out of
		-- the server log
		GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
			e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
		PERFORM @extschema@.jwt_raise(e_state, e_message, nullif(e_detail, ''), nullif(e_hint, ''));
	END;
	RETURN new_kid;
END
$$;
