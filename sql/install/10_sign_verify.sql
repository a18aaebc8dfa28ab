-- sql/install/10_sign_verify.sql: signing, verification, decoding
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/sign.sql, verify.sql, claims_time.sql, malformed.sql, errors.sql,
-- json.sql, messages.sql

--
-- Signing.
--
-- VOLATILE: it stamps the statement time into "iat"/"exp"/"nbf", and later
-- algorithms (ES*, PS*) produce randomized signatures.  PARALLEL SAFE: it
-- reads no backend-private state.  Not STRICT, because the optional
-- arguments default to NULL; a NULL claims or key yields NULL, as STRICT
-- would.  A NULL algorithm is the key's: the one a key serves (a JWK with
-- "alg", an EC key by its curve, Ed25519/Ed448 EdDSA), HS256 for an HMAC
-- secret; an RSA key without "alg" or a JWK Set is refused (22023).
--
CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key text,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_text'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key bytea,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_bytea'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key jsonb,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_jsonb'
LANGUAGE C VOLATILE PARALLEL SAFE;

--
-- Verification.
--
-- STABLE, not IMMUTABLE: the result depends on the statement time (exp,
-- nbf, iat, max_age) unless "at" is given, and an IMMUTABLE marking would
-- let the planner fold a call with constant arguments at plan time.
-- A NULL token or key yields NULL.
--
-- The token must name the audience given as "audience" (one text) or at
-- least one of "audiences" (text[], the last parameter; an empty array or
-- a NULL element is refused, and so is giving both, 22023).  Every
-- parameter has an exact type, here and in jwt_authenticate, jwt_consume
-- and the registry's variants: a look-alike that a role creates in the
-- extension's schema with the same types then collides with the real
-- function instead of being preferred to it (as it would be over a
-- polymorphic parameter).
--
CREATE FUNCTION @extschema@.jwt_verify(
	token text,
	key text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_verify_text'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_verify(
	token text,
	key bytea,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_verify_bytea'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_verify(
	token text,
	key jsonb,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_verify_jsonb'
LANGUAGE C STABLE PARALLEL SAFE;

--
-- Non-raising verification, for policies, CHECK constraints and batch jobs.
-- Token problems come back as a reason keyword; bad arguments (an unknown
-- algorithm name, an empty secret, a negative leeway) still raise.
--
CREATE FUNCTION @extschema@.jwt_validate(
	token text,
	key text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL,
	OUT valid boolean,
	OUT reason text,
	OUT header jsonb,
	OUT claims jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_validate_text'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_validate(
	token text,
	key bytea,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL,
	OUT valid boolean,
	OUT reason text,
	OUT header jsonb,
	OUT claims jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_validate_bytea'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_validate(
	token text,
	key jsonb,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL,
	OUT valid boolean,
	OUT reason text,
	OUT header jsonb,
	OUT claims jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_validate_jsonb'
LANGUAGE C STABLE PARALLEL SAFE;

--
-- Decoding without verification, for debugging and for reading "kid".
-- IMMUTABLE STRICT: a pure function of its argument.
--
CREATE FUNCTION @extschema@.jwt_decode(
	token text,
	OUT header jsonb,
	OUT claims jsonb,
	OUT signature bytea)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_decode'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, text, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a text key: HMAC secret, PEM or JWK';
COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, bytea, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a binary secret';
COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, jsonb, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a JWK, or a JWK Set and a header kid';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a text key (HMAC secret, PEM or JWK) and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a JWK or JWK Set and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a binary secret and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a text key without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a JWK or JWK Set without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a binary secret without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_decode(text)
	IS 'decode a compact JWS WITHOUT verifying it';
