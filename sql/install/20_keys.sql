-- sql/install/20_keys.sql: secrets, key pairs, public JWKs
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/keys.sql, keys_secret.sql, keys_rfc.sql, harden.sql

--
-- A random HMAC secret from OpenSSL's CSPRNG.  VOLATILE like
-- gen_random_bytes().
--
CREATE FUNCTION @extschema@.jwt_generate_secret(bytes integer DEFAULT 64)
RETURNS bytea
AS 'MODULE_PATHNAME', 'jwt_generate_secret'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

--
-- Keys.  jwt_generate_key is VOLATILE (random); jwt_public_jwk IMMUTABLE
-- STRICT: a pure function of the key.
--
CREATE FUNCTION @extschema@.jwt_generate_key(algorithm text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_generate_key'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_public_jwk(key text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_public_jwk_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_public_jwk(key jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_public_jwk_jsonb'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.jwt_generate_secret(integer)
	IS 'random HMAC secret from a CSPRNG';
COMMENT ON FUNCTION @extschema@.jwt_generate_key(text)
	IS 'new private JWK for an algorithm, with kid and alg';
COMMENT ON FUNCTION @extschema@.jwt_public_jwk(text)
	IS 'public JWK of a PEM or JWK key';
COMMENT ON FUNCTION @extschema@.jwt_public_jwk(jsonb)
	IS 'public JWK of a JWK';
