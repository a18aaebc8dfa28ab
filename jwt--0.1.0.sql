/* jwt--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION jwt" to load this file. \quit

--
-- Signing.
--
-- VOLATILE: it stamps the statement time into "iat"/"exp"/"nbf", and later
-- algorithms (ES*, PS*) produce randomized signatures.  PARALLEL SAFE: it
-- reads no backend-private state.  Not STRICT, because the optional
-- arguments default to NULL; a NULL claims, key or algorithm yields NULL,
-- as STRICT would.
--
CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key text,
	algorithm text DEFAULT 'HS256',
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_text'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key bytea,
	algorithm text DEFAULT 'HS256',
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_bytea'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key jsonb,
	algorithm text DEFAULT 'HS256',
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
	at timestamptz DEFAULT NULL)
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
	at timestamptz DEFAULT NULL)
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
	at timestamptz DEFAULT NULL)
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

COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, text, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a text key: HMAC secret, PEM or JWK';
COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, bytea, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a binary secret';
COMMENT ON FUNCTION @extschema@.jwt_sign(jsonb, jsonb, text, jsonb, interval, interval)
	IS 'sign claims as a compact JWS with a JWK, or a JWK Set and a header kid';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a text key (HMAC secret, PEM or JWK) and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a JWK or JWK Set and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a binary secret and return its claims, or raise';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a text key without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a JWK or JWK Set without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a compact JWS with a binary secret without raising: valid, reason, header, claims';
COMMENT ON FUNCTION @extschema@.jwt_decode(text)
	IS 'decode a compact JWS WITHOUT verifying it';
COMMENT ON FUNCTION @extschema@.jwt_generate_secret(integer)
	IS 'random HMAC secret from a CSPRNG';
COMMENT ON FUNCTION @extschema@.jwt_generate_key(text)
	IS 'new private JWK for an algorithm, with kid and alg';
COMMENT ON FUNCTION @extschema@.jwt_public_jwk(text)
	IS 'public JWK of a PEM or JWK key';
COMMENT ON FUNCTION @extschema@.jwt_public_jwk(jsonb)
	IS 'public JWK of a JWK';

--
-- Key registry.
--
-- Signing and verification keys that application roles cannot read.  One
-- key per algorithm is "active" (signs); "verify_only" keys still verify,
-- so that a rotation never invalidates tokens already issued; "retired"
-- keys do neither.  Rows are included in pg_dump.
--
CREATE TABLE @extschema@.jwt_keys (
	kid text PRIMARY KEY CHECK (kid <> ''),
	algorithm text NOT NULL CHECK (algorithm IN ('HS256', 'HS384', 'HS512',
		'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
		'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA')),
	signing_key text,
	verification_key jsonb NOT NULL,
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'verify_only', 'retired')),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	retire_after timestamptz,
	retired_at timestamptz,
	CHECK (status <> 'active' OR signing_key IS NOT NULL),
	CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE UNIQUE INDEX jwt_keys_one_active ON @extschema@.jwt_keys (algorithm)
	WHERE status = 'active';
COMMENT ON TABLE @extschema@.jwt_keys IS 'signing and verification keys of the jwt registry';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_keys', '');
REVOKE ALL ON @extschema@.jwt_keys FROM PUBLIC;

--
-- The JWK Set the registry verifies with: every key not retired, each
-- bound to its kid and algorithm.  Internal; not executable by PUBLIC.
--
CREATE FUNCTION @extschema@.jwt_registry_keyset()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('keys', coalesce(jsonb_agg(
			k.verification_key || jsonb_build_object('kid', k.kid, 'alg', k.algorithm)
			ORDER BY k.kid), '[]'::jsonb))
	  FROM @extschema@.jwt_keys k
	 WHERE k.status <> 'retired'
$$;

--
-- Add a key: a private key (PEM, JWK, or an HMAC secret) that can become
-- active, or a public key (PEM or JWK) that only verifies.  Returns the kid
-- (the given one, or the RFC 7638 thumbprint).  An active key replaces the
-- algorithm's active key, which becomes verify-only.
--
CREATE FUNCTION @extschema@.jwt_registry_add(
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
BEGIN
	IF key IS NULL OR algorithm IS NULL OR status IS NULL THEN
		RAISE EXCEPTION 'key, algorithm and status must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF algorithm LIKE 'HS%' THEN
		-- an HMAC secret (text) or an "oct" JWK: verification needs the secret
		IF ltrim(key) LIKE '{%' THEN
			vkey := key::jsonb;
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
		public_only := NOT (ltrim(key) LIKE '-----BEGIN%PRIVATE KEY%'
			OR (ltrim(key) LIKE '{%' AND key::jsonb ? 'd'));
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

--
-- Rotate: a new key becomes the algorithm's active key; the previous one
-- verifies until retire_after has passed (set it to the longest lifetime
-- of the tokens it signed).
--
CREATE FUNCTION @extschema@.jwt_registry_rotate(
	algorithm text,
	retire_after interval DEFAULT '1 day')
RETURNS text
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.jwt_registry_add(jwk::text, algorithm, jwk->>'kid', 'active', retire_after)
	  FROM @extschema@.jwt_generate_key(algorithm) AS jwk
$$;

--
-- Retire one key now, or every verify-only key whose time has come
-- (callable from pg_cron).
--
CREATE FUNCTION @extschema@.jwt_registry_retire(kid text)
RETURNS boolean
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH r AS (
		UPDATE @extschema@.jwt_keys k
		   SET status = 'retired', retired_at = now()
		 WHERE k.kid = jwt_registry_retire.kid AND k.status <> 'retired'
		RETURNING 1)
	SELECT count(*) > 0 FROM r
$$;

CREATE FUNCTION @extschema@.jwt_registry_retire_due()
RETURNS integer
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH r AS (
		UPDATE @extschema@.jwt_keys k
		   SET status = 'retired', retired_at = now()
		 WHERE k.status = 'verify_only' AND k.retire_after <= now()
		RETURNING 1)
	SELECT count(*)::integer FROM r
$$;

--
-- Sign with the active key of an algorithm (the only active key when
-- algorithm is NULL); its kid goes into the header.  SECURITY DEFINER so
-- that callers need no access to the keys; EXECUTE is granted to nobody by
-- default, since whoever may call it can mint tokens.
--
CREATE FUNCTION @extschema@.jwt_registry_sign(
	claims jsonb,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k record;
	n integer;
BEGIN
	IF claims IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT count(*) INTO n FROM @extschema@.jwt_keys j
	 WHERE j.status = 'active'
	   AND (jwt_registry_sign.algorithm IS NULL OR j.algorithm = jwt_registry_sign.algorithm);
	IF n = 0 THEN
		RAISE EXCEPTION 'no active key in the registry%',
			CASE WHEN algorithm IS NULL THEN '' ELSE format(' for algorithm "%s"', algorithm) END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Create one with jwt_registry_rotate(%L).', coalesce(algorithm, 'ES256'));
	ELSIF n > 1 THEN
		RAISE EXCEPTION 'the registry has % active keys', n
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass the algorithm to choose one.';
	END IF;
	SELECT j.kid, j.algorithm, j.signing_key INTO k FROM @extschema@.jwt_keys j
	 WHERE j.status = 'active'
	   AND (jwt_registry_sign.algorithm IS NULL OR j.algorithm = jwt_registry_sign.algorithm);
	RETURN @extschema@.jwt_sign(claims, k.signing_key, k.algorithm,
		coalesce(header, '{}'::jsonb) || jsonb_build_object('kid', k.kid),
		expires_in, not_before);
END
$$;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_sign(jsonb, text, jsonb, interval, interval) FROM PUBLIC;

--
-- Verify against every key not retired, chosen by the token's kid.
-- SECURITY DEFINER: callers need no access to the keys.  Executable by
-- PUBLIC: it reveals only whether a token is valid.
--
CREATE FUNCTION @extschema@.jwt_registry_verify(
	token text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.jwt_verify(token, @extschema@.jwt_registry_keyset(), algorithms,
		audience, issuer, subject, typ, require, max_age, leeway, at)
$$;

CREATE FUNCTION @extschema@.jwt_registry_validate(
	token text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	at timestamptz DEFAULT NULL,
	OUT valid boolean,
	OUT reason text,
	OUT header jsonb,
	OUT claims jsonb)
RETURNS record
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM @extschema@.jwt_validate(token, @extschema@.jwt_registry_keyset(), algorithms,
		audience, issuer, subject, typ, require, max_age, leeway, at)
$$;

--
-- The public keys of the registry as a JWK Set, for other services and
-- gateways.  HMAC secrets are never published.
--
CREATE FUNCTION @extschema@.jwt_jwks()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('keys', coalesce(jsonb_agg(
			k.verification_key || jsonb_build_object('kid', k.kid, 'alg', k.algorithm, 'use', 'sig')
			ORDER BY k.created_at DESC, k.kid), '[]'::jsonb))
	  FROM @extschema@.jwt_keys k
	 WHERE k.status <> 'retired' AND k.algorithm NOT LIKE 'HS%'
$$;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_keyset() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_add(text, text, text, text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_rotate(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_retire(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_retire_due() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_registry_keyset()
	IS 'JWK Set of the registry keys that still verify (internal)';
COMMENT ON FUNCTION @extschema@.jwt_registry_add(text, text, text, text, interval)
	IS 'add a key to the registry; an active key demotes the previous one to verify-only';
COMMENT ON FUNCTION @extschema@.jwt_registry_rotate(text, interval)
	IS 'generate a new active key for an algorithm; the previous one verifies until retire_after';
COMMENT ON FUNCTION @extschema@.jwt_registry_retire(text)
	IS 'retire a registry key now';
COMMENT ON FUNCTION @extschema@.jwt_registry_retire_due()
	IS 'retire the verify-only keys whose retire_after has passed';
COMMENT ON FUNCTION @extschema@.jwt_registry_sign(jsonb, text, jsonb, interval, interval)
	IS 'sign claims with the active registry key of an algorithm';
COMMENT ON FUNCTION @extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a token against the registry keys by kid, or raise';
COMMENT ON FUNCTION @extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz)
	IS 'verify a token against the registry keys by kid without raising';
COMMENT ON FUNCTION @extschema@.jwt_jwks()
	IS 'the public keys of the registry as a JWK Set';

--
-- Claims in queries and row-level security; single-use and revocable
-- tokens.
--
-- jwt_authenticate verifies a bearer token and establishes its claims for
-- the current transaction, in backend-private memory that no SET or
-- set_config() reaches; jwt_claims() and jwt_claim(name) read them (or,
-- when a superuser sets jwt.claims_source = 'request.jwt.claims', the
-- claims PostgREST put in that setting).  Single-use tokens are recorded
-- in jwt_consumed_tokens until their exp; the denylist is
-- jwt_revoked_tokens (by jti) and jwt_revoked_subjects (every token of a
-- subject issued before a time).
--

-- Consumed single-use token ids, each kept until the token's own exp.
CREATE TABLE @extschema@.jwt_consumed_tokens (
	jti text PRIMARY KEY,
	expires_at timestamptz NOT NULL,
	consumed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX jwt_consumed_tokens_expires_at ON @extschema@.jwt_consumed_tokens (expires_at);
COMMENT ON TABLE @extschema@.jwt_consumed_tokens IS 'jti of single-use tokens already presented, kept until their exp';

-- Revoked token ids; expires_at NULL keeps a row until it is deleted.
CREATE TABLE @extschema@.jwt_revoked_tokens (
	jti text PRIMARY KEY,
	expires_at timestamptz,
	revoked_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	reason text
);
COMMENT ON TABLE @extschema@.jwt_revoked_tokens IS 'denylist: tokens revoked by jti';

-- Revoked subjects: every token of the subject issued before issued_before.
CREATE TABLE @extschema@.jwt_revoked_subjects (
	subject text PRIMARY KEY,
	issued_before timestamptz NOT NULL,
	expires_at timestamptz,
	revoked_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	reason text
);
COMMENT ON TABLE @extschema@.jwt_revoked_subjects IS 'denylist: every token of a subject issued before a time';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_consumed_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_revoked_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_revoked_subjects', '');
REVOKE ALL ON @extschema@.jwt_consumed_tokens FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_revoked_tokens FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_revoked_subjects FROM PUBLIC;

--
-- The claims in force for the current transaction, NULL when none; one
-- claim as text (as ->> shows it).  STABLE: constant within a statement,
-- so a policy's comparison value can be an index condition evaluated once
-- per scan.  PARALLEL RESTRICTED: claims established by jwt_authenticate
-- are private to the leader process, parallel workers do not see them.
--
CREATE FUNCTION @extschema@.jwt_claims()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_claims'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.jwt_claim(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_claim'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

--
-- Verify a bearer token and establish its claims for the current
-- transaction; with role_claim, SET LOCAL ROLE to the role that claim
-- names, where the session user may become it.  The same checks as
-- jwt_verify (never an "at": authentication is about now), the denylist
-- unless check_revoked is false.  Once per transaction.
--
-- VOLATILE PARALLEL UNSAFE: it changes backend state.  EXECUTE is granted
-- to nobody: whoever may call it chooses the key and the checks, so grant
-- it to the role your API connects as (not to the roles it switches to).
--
CREATE FUNCTION @extschema@.jwt_authenticate(
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
	role_claim text DEFAULT NULL,
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_authenticate_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.jwt_authenticate(
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
	role_claim text DEFAULT NULL,
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_authenticate_bytea'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.jwt_authenticate(
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
	role_claim text DEFAULT NULL,
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_authenticate_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- Internal: the registry's verification keys, read as the owner for
-- jwt_registry_authenticate and jwt_registry_consume (C functions that
-- cannot be SECURITY DEFINER: SET ROLE is refused inside one).  The same
-- set as jwt_registry_keyset() (the claims test checks that they agree),
-- in PL/pgSQL, whose plan is kept across transactions: these run once per
-- request, and planning SQL functions in each transaction tripled the
-- overhead of the registry.
--
CREATE FUNCTION @extschema@.jwt_registry_keyset_definer()
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN (SELECT jsonb_build_object('keys', coalesce(jsonb_agg(
					k.verification_key || jsonb_build_object('kid', k.kid, 'alg', k.algorithm)
					ORDER BY k.kid), '[]'::jsonb))
			  FROM @extschema@.jwt_keys k
			 WHERE k.status <> 'retired');
END
$$;

-- The same with the registry's keys, picked by the token's kid.
CREATE FUNCTION @extschema@.jwt_registry_authenticate(
	token text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	role_claim text DEFAULT NULL,
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_authenticate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- Internal: record a single-use token's jti until expires_at.  Returns
-- 'ok', 'consumed' (presented before: of two concurrent inserts one waits
-- for the other and then finds the row), or 'expired' (the clock passed
-- expires_at by the time the row was in: checked after the insert, so a
-- purge that removed the expired row cannot let the token in again).
--
CREATE FUNCTION @extschema@.jwt_consume_jti(jti text, expires_at timestamptz)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO @extschema@.jwt_consumed_tokens AS c (jti, expires_at)
	VALUES (jwt_consume_jti.jti, jwt_consume_jti.expires_at)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN 'consumed';
	END IF;
	IF clock_timestamp() >= jwt_consume_jti.expires_at THEN
		RETURN 'expired';
	END IF;
	RETURN 'ok';
END
$$;

--
-- Verify a single-use token and consume its jti, atomically: a second
-- presentation fails with reason "consumed", also when two sessions
-- present it at the same moment.  The token needs "jti" and "exp".
-- VOLATILE PARALLEL UNSAFE: it writes.  The key variants are granted to
-- nobody (a caller with its own key could fill the table); the registry
-- variant to PUBLIC: only registry-signed tokens get in.
--
CREATE FUNCTION @extschema@.jwt_consume(
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
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.jwt_consume(
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
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_bytea'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.jwt_consume(
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
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.jwt_registry_consume(
	token text,
	algorithms text[] DEFAULT NULL,
	audience text DEFAULT NULL,
	issuer text DEFAULT NULL,
	subject text DEFAULT NULL,
	typ text DEFAULT NULL,
	require text[] DEFAULT NULL,
	max_age interval DEFAULT NULL,
	leeway interval DEFAULT '0',
	check_revoked boolean DEFAULT true)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_consume'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- The denylist.  jwt_revoke: one token by jti, kept until expires_at (set
-- it to the token's exp; NULL keeps it until deleted).  jwt_revoke_subject:
-- every token of a subject whose iat is before issued_before (iat has
-- whole seconds, so a token issued in the same second as issued_before
-- counts as before it; a token without iat counts as before any time).
-- Both return true when the entry is new.  SECURITY DEFINER, granted to
-- nobody: grant them to the roles that may revoke (the owner of your
-- logout function).
--
CREATE FUNCTION @extschema@.jwt_revoke(
	jti text,
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF jti IS NULL THEN
		RAISE EXCEPTION 'jti must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM @extschema@.jwt_stats_bump('revocation');
	INSERT INTO @extschema@.jwt_revoked_tokens AS r (jti, expires_at, reason)
	VALUES (jwt_revoke.jti, jwt_revoke.expires_at, jwt_revoke.reason)
	ON CONFLICT DO NOTHING;
	IF FOUND THEN
		RETURN true;
	END IF;
	-- already revoked: keep it at least as long as either revocation asks
	UPDATE @extschema@.jwt_revoked_tokens r
	   SET expires_at = CASE WHEN r.expires_at IS NULL OR jwt_revoke.expires_at IS NULL THEN NULL
							 ELSE greatest(r.expires_at, jwt_revoke.expires_at) END,
		   reason = coalesce(jwt_revoke.reason, r.reason)
	 WHERE r.jti = jwt_revoke.jti;
	RETURN false;
END
$$;

CREATE FUNCTION @extschema@.jwt_revoke_subject(
	subject text,
	issued_before timestamptz DEFAULT pg_catalog.now(),
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF subject IS NULL OR issued_before IS NULL THEN
		RAISE EXCEPTION 'subject and issued_before must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM @extschema@.jwt_stats_bump('revocation');
	INSERT INTO @extschema@.jwt_revoked_subjects AS s (subject, issued_before, expires_at, reason)
	VALUES (jwt_revoke_subject.subject, jwt_revoke_subject.issued_before,
			jwt_revoke_subject.expires_at, jwt_revoke_subject.reason)
	ON CONFLICT DO NOTHING;
	IF FOUND THEN
		RETURN true;
	END IF;
	UPDATE @extschema@.jwt_revoked_subjects s
	   SET issued_before = greatest(s.issued_before, jwt_revoke_subject.issued_before),
		   expires_at = CASE WHEN s.expires_at IS NULL OR jwt_revoke_subject.expires_at IS NULL THEN NULL
							 ELSE greatest(s.expires_at, jwt_revoke_subject.expires_at) END,
		   revoked_at = now(),
		   reason = coalesce(jwt_revoke_subject.reason, s.reason)
	 WHERE s.subject = jwt_revoke_subject.subject;
	RETURN false;
END
$$;

--
-- Is a token, given by its verified claims, on the denylist?  Two primary
-- key lookups.  SECURITY DEFINER, executable by PUBLIC: it reveals only
-- whether a token is revoked.  STABLE PARALLEL SAFE: it only reads.
-- PL/pgSQL rather than SQL: its plans are kept across transactions, where
-- a SQL function is planned again in each (jwt_authenticate calls it once
-- per transaction; see test/bench/rls.sh).
--
CREATE FUNCTION @extschema@.jwt_is_revoked(claims jsonb)
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN EXISTS (SELECT 1 FROM @extschema@.jwt_revoked_tokens r
					WHERE r.jti = claims->>'jti')
		OR EXISTS (SELECT 1 FROM @extschema@.jwt_revoked_subjects s
					WHERE s.subject = claims->>'sub'
					  AND (jsonb_typeof(claims->'iat') IS DISTINCT FROM 'number'
						   OR (claims->>'iat')::float8 < extract(epoch FROM s.issued_before)));
END
$$;

--
-- Delete consumed ids and denylist entries whose expires_at has passed;
-- returns how many rows went.  One call, for pg_cron.  SECURITY DEFINER,
-- granted to nobody.
--
CREATE FUNCTION @extschema@.jwt_purge_expired()
RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH c AS (DELETE FROM @extschema@.jwt_consumed_tokens t WHERE t.expires_at < now() RETURNING 1),
		 r AS (DELETE FROM @extschema@.jwt_revoked_tokens t WHERE t.expires_at < now() RETURNING 1),
		 s AS (DELETE FROM @extschema@.jwt_revoked_subjects t WHERE t.expires_at < now() RETURNING 1)
	SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM r) + (SELECT count(*) FROM s)
$$;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_keyset_definer() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume_jti(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_revoke(text, timestamptz, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_revoke_subject(text, timestamptz, timestamptz, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_purge_expired() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_claims()
	IS 'the claims in force for the current transaction, or NULL';
COMMENT ON FUNCTION @extschema@.jwt_claim(text)
	IS 'one claim of jwt_claims() as text, or NULL';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean)
	IS 'verify a bearer token with a text key and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean)
	IS 'verify a bearer token with a binary secret and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean)
	IS 'verify a bearer token with a JWK or JWK Set and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean)
	IS 'verify a bearer token with the registry keys and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_registry_keyset_definer()
	IS 'JWK Set of the registry keys that still verify, read as the owner (internal)';
COMMENT ON FUNCTION @extschema@.jwt_consume_jti(text, timestamptz)
	IS 'record a single-use token id until it expires (internal)';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean)
	IS 'verify a single-use token with a text key and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean)
	IS 'verify a single-use token with a binary secret and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean)
	IS 'verify a single-use token with a JWK or JWK Set and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean)
	IS 'verify a single-use token with the registry keys and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_revoke(text, timestamptz, text)
	IS 'put a token on the denylist by jti, until expires_at';
COMMENT ON FUNCTION @extschema@.jwt_revoke_subject(text, timestamptz, timestamptz, text)
	IS 'put every token of a subject issued before a time on the denylist';
COMMENT ON FUNCTION @extschema@.jwt_is_revoked(jsonb)
	IS 'whether verified claims are on the denylist';
COMMENT ON FUNCTION @extschema@.jwt_purge_expired()
	IS 'delete consumed token ids and denylist entries past their expiry';
-- Operability: counters, key health and the failure log (issue 7).
--
-- Counting needs "jwt" in shared_preload_libraries (shared memory, like
-- pg_stat_statements).  Without it the views say so instead of failing:
-- jwt_stats has one row of kind 'counting_off', jwt_stats_info says
-- counting = false, and jwt_key_health notes that last use is not
-- tracked.  The functions are VOLATILE (the counters move under them) and
-- PARALLEL SAFE (shared memory is the same in a worker).  Reading is for
-- pg_monitor, as with pg_buffercache; resetting and bumping are for the
-- owner, who may grant them.
--
CREATE FUNCTION @extschema@.jwt_stats(
	OUT kind text,
	OUT algorithm text,
	OUT outcome text,
	OUT count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'jwt_stats'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_stats_info(
	OUT counting boolean,
	OUT stats_reset timestamptz,
	OUT kids_tracked integer,
	OUT kids_capacity integer,
	OUT kids_evicted bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_stats_info'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_stats_reset'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- For the other features' SQL and PL/pgSQL: count one event.  Not STRICT:
-- algorithm defaults to NULL; a NULL event yields NULL.
CREATE FUNCTION @extschema@.jwt_stats_bump(
	event text,
	algorithm text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_stats_bump'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_key_usage(
	OUT kid text,
	OUT last_signed timestamptz,
	OUT last_verified timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'jwt_key_usage'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE VIEW @extschema@.jwt_stats AS
	SELECT * FROM @extschema@.jwt_stats();

CREATE VIEW @extschema@.jwt_stats_info AS
	SELECT * FROM @extschema@.jwt_stats_info();

--
-- Per registry key: status, age, last use, and what needs attention.
-- Reads jwt_keys with the view owner's rights, but shows no key material.
--
CREATE VIEW @extschema@.jwt_key_health AS
	SELECT k.kid, k.algorithm, k.status, k.created_at,
		   date_trunc('second', pg_catalog.now() - k.created_at) AS age,
		   k.retire_after, k.retired_at, u.last_signed, u.last_verified,
		   CASE
			 WHEN k.status = 'verify_only' AND u.last_verified >= k.retire_after
			   THEN 'verify-only key still used after its retire_after'
			 WHEN k.status = 'verify_only' AND k.retire_after <= pg_catalog.now()
			   THEN 'past its retire_after but not retired: run jwt_registry_retire_due()'
		   END AS warning,
		   CASE
			 WHEN NOT i.counting
			   THEN 'last use not tracked: jwt is not in shared_preload_libraries'
			 WHEN pg_catalog.octet_length(k.kid) > 127
			   THEN 'last use not tracked: kid longer than 127 bytes'
		   END AS note
	  FROM @extschema@.jwt_keys k
	 CROSS JOIN @extschema@.jwt_stats_info() i
	  LEFT JOIN @extschema@.jwt_key_usage() u ON u.kid = k.kid;

REVOKE ALL ON FUNCTION @extschema@.jwt_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_info() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_bump(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_key_usage() FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_stats FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_stats_info FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_key_health FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_stats() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_stats_info() TO pg_monitor;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_key_usage() TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_stats TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_stats_info TO pg_monitor;
GRANT SELECT ON @extschema@.jwt_key_health TO pg_monitor;

COMMENT ON FUNCTION @extschema@.jwt_stats()
	IS 'counters of verifications, signings and token events (needs shared_preload_libraries)';
COMMENT ON FUNCTION @extschema@.jwt_stats_info()
	IS 'whether counting is on, when the counters were reset, and the kid table';
COMMENT ON FUNCTION @extschema@.jwt_stats_reset()
	IS 'zero the jwt counters and forget the last use of every kid';
COMMENT ON FUNCTION @extschema@.jwt_stats_bump(text, text)
	IS 'count one refresh_rotation, refresh_reuse, revocation or consumption event';
COMMENT ON FUNCTION @extschema@.jwt_key_usage()
	IS 'last time each kid signed and passed a signature check, since the last reset';
COMMENT ON VIEW @extschema@.jwt_stats
	IS 'counters of verifications by algorithm and outcome, signings and token events';
COMMENT ON VIEW @extschema@.jwt_stats_info
	IS 'state of the jwt counters';
COMMENT ON VIEW @extschema@.jwt_key_health
	IS 'registry keys with their age, last use and warnings';

--
-- Refresh tokens: server-side refresh tokens with rotation, reuse
-- detection and family revocation.
--
-- A login starts a family; each refresh exchanges the family's one live
-- token for its successor, which is derived from the presented token and
-- a per-rotation retry key (HMAC-SHA256), so that a retry within the grace
-- window gets the same successor although the table stores only SHA-256
-- hashes of tokens.  Presenting a used token outside the grace window
-- revokes the whole family.  Rows are included in pg_dump.
--
CREATE TABLE @extschema@.refresh_tokens (
	token_hash bytea PRIMARY KEY,		-- SHA-256 of the token text
	family_id uuid NOT NULL,			-- one family per login (session)
	generation integer NOT NULL,		-- 0 for the login's token, parent's + 1
	parent_hash bytea,					-- token_hash of the parent; NULL for generation 0
	subject text NOT NULL,
	issued_at timestamptz NOT NULL DEFAULT pg_catalog.now(),	-- the family's login time
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expires_at timestamptz NOT NULL,
	used_at timestamptz,				-- when it rotated
	revoked_at timestamptz,
	revoked_reason text,
	retry_key bytea,					-- derives this token from its parent, until retry_until
	retry_until timestamptz,			-- end of the parent's grace window
	client_ip inet,
	user_agent text,
	metadata jsonb,
	UNIQUE (family_id, generation)
);
-- The trigger below checks what CHECK constraints would (32-byte hashes
-- and retry key, generation 0 exactly without a parent, a reason exactly
-- for a revoked token): cheaper per statement.
-- At most one unused token per family: two sessions can never both hold a
-- live successor, and a revoked family (whose unused token stays, revoked)
-- never gets a new one.  The sessions of a subject are found through its
-- unused tokens.  "generation >= 0" is always true (the trigger refuses
-- negative generations); it keeps the planner from choosing these small
-- partial indexes for queries that do not ask for it, such as the lookup
-- of a token by hash, for which it would scan the whole index.
CREATE UNIQUE INDEX refresh_tokens_one_unused ON @extschema@.refresh_tokens (family_id)
	WHERE used_at IS NULL AND generation >= 0;
CREATE INDEX refresh_tokens_subject ON @extschema@.refresh_tokens (subject)
	WHERE used_at IS NULL AND generation >= 0;
COMMENT ON TABLE @extschema@.refresh_tokens IS 'refresh tokens (SHA-256 hashes only), one family per login';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_tokens', '');
REVOKE ALL ON @extschema@.refresh_tokens FROM PUBLIC;

--
-- The rotation rules, as a trigger, so that hand-written DML cannot break
-- them either (23514): identity columns never change, revoked and used are
-- final, only a live token rotates, expiries only come forward, an active
-- token is revoked rather than deleted.
--
CREATE FUNCTION @extschema@.jwt_refresh_tokens_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_refresh_tokens_guard'
LANGUAGE C;

CREATE TRIGGER refresh_tokens_guard
	BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.refresh_tokens
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_refresh_tokens_guard();

--
-- Token text helpers.  jwt_refresh_token_hash is IMMUTABLE STRICT (a pure
-- function: SHA-256 of the text) and PUBLIC, so that applications can find
-- a token's row.  jwt_refresh_new_token is random (VOLATILE) and internal.
--
CREATE FUNCTION @extschema@.jwt_refresh_token_hash(token text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'jwt_refresh_token_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_refresh_new_token()
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_refresh_new_token'
LANGUAGE C VOLATILE PARALLEL SAFE;

--
-- Revoke every row of some families that is not revoked yet.  Repeats
-- until a statement finds nothing left: in READ COMMITTED, a rotation that
-- held a family's token while the first UPDATE waited commits a successor
-- that statement's snapshot cannot see, and the next statement revokes it.
-- Internal.
--
CREATE FUNCTION @extschema@.jwt_refresh_revoke_families(families uuid[], reason text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
	total integer := 0;
BEGIN
	IF pg_is_in_recovery() THEN
		RAISE EXCEPTION 'refresh tokens cannot be revoked on a hot standby'
			USING ERRCODE = 'read_only_sql_transaction',
				  DETAIL = 'The server is in recovery and read-only.',
				  HINT = 'Run it on the primary server.';
	END IF;
	LOOP
		UPDATE @extschema@.refresh_tokens t
		   SET revoked_at = now(), revoked_reason = reason
		 WHERE t.family_id = ANY (families) AND t.revoked_at IS NULL;
		GET DIAGNOSTICS n = ROW_COUNT;
		EXIT WHEN n = 0;
		total := total + n;
	END LOOP;
	IF total > 0 THEN
		PERFORM @extschema@.jwt_stats_bump('revocation');
	END IF;
	RETURN total;
END
$$;

--
-- Login: start a family for a subject.  Returns the token to hand to the
-- client (the table keeps only its hash), the family id and the expiry.
-- SECURITY DEFINER (callers need no table access); EXECUTE is granted to
-- nobody by default.
--
CREATE FUNCTION @extschema@.jwt_refresh_issue(
	subject text,
	expires_in interval DEFAULT '30 days',
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	metadata jsonb DEFAULT NULL,
	OUT refresh_token text,
	OUT family_id uuid,
	OUT expires_at timestamptz)
RETURNS record
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_is_in_recovery() THEN
		RAISE EXCEPTION 'refresh tokens cannot be issued on a hot standby'
			USING ERRCODE = 'read_only_sql_transaction',
				  DETAIL = 'The server is in recovery and read-only.',
				  HINT = 'Run it on the primary server.';
	END IF;
	IF subject IS NULL OR subject = '' THEN
		RAISE EXCEPTION 'subject must not be NULL or empty'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF expires_in IS NULL OR expires_in <= interval '0' THEN
		RAISE EXCEPTION 'refresh token lifetime must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	refresh_token := @extschema@.jwt_refresh_new_token();
	family_id := gen_random_uuid();
	expires_at := now() + expires_in;
	INSERT INTO @extschema@.refresh_tokens
		(token_hash, family_id, generation, subject, expires_at, client_ip, user_agent, metadata)
	VALUES (@extschema@.jwt_refresh_token_hash(refresh_token), family_id, 0, subject,
			expires_at, client_ip, user_agent, metadata);
END
$$;

--
-- Refresh: exchange a refresh token for its successor and a new access
-- token in one call.
--
-- status is 'rotated' (refresh_token is the successor: a new one, or the
-- same one again for a retry within the grace window of the first
-- exchange), 'reused' (a used token outside its grace window: the family
-- is now revoked and a WARNING says so), 'revoked', 'expired' or 'invalid'
-- (no such token).  Only 'rotated' returns tokens; subject and family_id
-- are returned for every status but 'invalid'.  A reuse is reported by
-- status and WARNING, never by an ERROR, so that the caller's transaction
-- commits the revocation.
--
-- The access token carries the caller's claims plus "sub" (the family's
-- subject), "sid" (the family id) and "exp"; it is signed with "key"
-- (HS256 unless "algorithm" says otherwise), or with the registry's active
-- key (of "algorithm", or the only one) when key is NULL.
--
-- Concurrency: the presented token's row is locked first (FOR UPDATE), so
-- a second presentation waits.  In READ COMMITTED it then finds the token
-- used and gets the same successor (within the grace window) or revokes
-- the family.  In REPEATABLE READ and SERIALIZABLE it fails with 40001.
--
-- In C (src/refresh.c): the row work goes through the table's trigger,
-- constraints and indexes like any UPDATE and INSERT, without planning
-- and starting an executor per statement.  SECURITY DEFINER (callers need
-- no table or registry access); EXECUTE is granted to nobody by default.
-- VOLATILE PARALLEL UNSAFE: it writes.
--
CREATE FUNCTION @extschema@.jwt_refresh_rotate(
	token text,
	key text DEFAULT NULL,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT NULL,
	grace interval DEFAULT '10 seconds',
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	OUT status text,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT subject text,
	OUT family_id uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_rotate_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- The same with a binary HMAC secret, or a JWK or JWK Set, as the key (a
-- NULL key signs with the registry here too).
CREATE FUNCTION @extschema@.jwt_refresh_rotate(
	token text,
	key bytea,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT NULL,
	grace interval DEFAULT '10 seconds',
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	OUT status text,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT subject text,
	OUT family_id uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_rotate_bytea'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_rotate(
	token text,
	key jsonb,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT NULL,
	grace interval DEFAULT '10 seconds',
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	OUT status text,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT subject text,
	OUT family_id uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_rotate_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Logout: revoke the family of a token, or with "everywhere" every live
-- family of the token's subject (returns how many families were
-- revoked); one family by id (the "sid" claim of its access tokens); every
-- live family of a subject (returns how many).  Any token of a family, used
-- ones included, can log it out: its holder could revoke the family
-- anyway, by presenting it again.  SECURITY DEFINER; EXECUTE is granted to
-- nobody by default.
--
CREATE FUNCTION @extschema@.jwt_refresh_revoke(
	token text,
	reason text DEFAULT NULL,
	everywhere boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	families uuid[];
	n integer;
BEGIN
	SELECT r.family_id, r.subject INTO t FROM @extschema@.refresh_tokens r
	 WHERE r.token_hash = @extschema@.jwt_refresh_token_hash(token);
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	families := ARRAY[t.family_id];
	IF everywhere THEN
		SELECT families || coalesce(array_agg(r.family_id), '{}') INTO families
		  FROM @extschema@.refresh_tokens r
		 WHERE r.subject = t.subject AND r.family_id <> t.family_id
		   AND r.used_at IS NULL AND r.generation >= 0 AND r.revoked_at IS NULL;
	END IF;
	-- count the families that had something left to revoke
	SELECT count(DISTINCT r.family_id) INTO n FROM @extschema@.refresh_tokens r
	 WHERE r.family_id = ANY (families) AND r.revoked_at IS NULL;
	PERFORM @extschema@.jwt_refresh_revoke_families(families,
		coalesce(reason, CASE WHEN everywhere THEN 'logout_all' ELSE 'logout' END));
	RETURN n;
END
$$;

CREATE FUNCTION @extschema@.jwt_refresh_revoke_family(family_id uuid, reason text DEFAULT 'revoked')
RETURNS boolean
LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.jwt_refresh_revoke_families(ARRAY[family_id], coalesce(reason, 'revoked')) > 0
$$;

CREATE FUNCTION @extschema@.jwt_refresh_revoke_subject(subject text, reason text DEFAULT 'logout_all')
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	families uuid[];
BEGIN
	SELECT coalesce(array_agg(DISTINCT t.family_id), '{}') INTO families
	  FROM @extschema@.refresh_tokens t
	 WHERE t.subject = jwt_refresh_revoke_subject.subject
	   AND t.used_at IS NULL AND t.generation >= 0 AND t.revoked_at IS NULL;
	PERFORM @extschema@.jwt_refresh_revoke_families(families, coalesce(reason, 'logout_all'));
	RETURN cardinality(families);
END
$$;

--
-- Keep the table small (callable from pg_cron).  Deletes the used tokens
-- of live families that were used more than reuse_horizon ago (once their
-- successor's grace window is over; a purged token presented again is just
-- 'invalid', not a detected reuse), and every row of families that ended
-- (revoked, or their last token expired) more than "retain" ago; wipes the
-- retry keys whose grace window is over.  Returns the rows deleted.
--
CREATE FUNCTION @extschema@.jwt_refresh_purge(
	reuse_horizon interval DEFAULT '1 hour',
	retain interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
	total bigint := 0;
BEGIN
	IF reuse_horizon IS NULL OR reuse_horizon < interval '0' OR retain IS NULL OR retain < interval '0' THEN
		RAISE EXCEPTION 'reuse_horizon and retain must not be NULL or negative'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	DELETE FROM @extschema@.refresh_tokens t
	 WHERE t.family_id IN (
		SELECT u.family_id FROM @extschema@.refresh_tokens u
		 WHERE u.used_at IS NULL
		   AND (u.revoked_at < now() - retain OR u.expires_at < now() - retain));
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;
	DELETE FROM @extschema@.refresh_tokens t
	 WHERE t.used_at < now() - reuse_horizon AND t.revoked_at IS NULL
	   AND NOT EXISTS (
		SELECT FROM @extschema@.refresh_tokens c
		 WHERE c.family_id = t.family_id AND c.generation = t.generation + 1
		   AND c.retry_until > now());
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;
	UPDATE @extschema@.refresh_tokens t SET retry_key = NULL
	 WHERE t.retry_key IS NOT NULL AND t.retry_until <= now();
	RETURN total;
END
$$;

--
-- Reads, which also work on a hot standby.  jwt_refresh_sessions lists a
-- subject's live sessions ("your sessions"): SECURITY DEFINER, EXECUTE
-- granted to nobody by default.  jwt_refresh_session_active says whether a
-- family (an access token's "sid") is still live, for policies that want
-- a logout to take effect before the access token expires: PUBLIC.
--
CREATE FUNCTION @extschema@.jwt_refresh_sessions(subject text)
RETURNS TABLE (family_id uuid, issued_at timestamptz, refreshed_at timestamptz,
			   expires_at timestamptz, rotations integer, client_ip inet,
			   user_agent text, metadata jsonb)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t.family_id, t.issued_at, t.created_at, t.expires_at, t.generation,
		   t.client_ip, t.user_agent, t.metadata
	  FROM @extschema@.refresh_tokens t
	 WHERE t.subject = jwt_refresh_sessions.subject
	   AND t.used_at IS NULL AND t.generation >= 0 AND t.revoked_at IS NULL AND t.expires_at > now()
	 ORDER BY t.created_at DESC, t.family_id
$$;

CREATE FUNCTION @extschema@.jwt_refresh_session_active(family_id uuid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (
		SELECT FROM @extschema@.refresh_tokens t
		 WHERE t.family_id = jwt_refresh_session_active.family_id
		   AND t.used_at IS NULL AND t.generation >= 0 AND t.revoked_at IS NULL AND t.expires_at > now())
$$;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_tokens_guard() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_new_token() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_revoke_families(uuid[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_issue(text, interval, inet, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_rotate(text, text, text, jsonb, interval, interval, interval, inet, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_rotate(text, bytea, text, jsonb, interval, interval, interval, inet, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_rotate(text, jsonb, text, jsonb, interval, interval, interval, inet, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_revoke(text, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_revoke_family(uuid, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_revoke_subject(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_purge(interval, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_sessions(text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_refresh_tokens_guard()
	IS 'trigger enforcing the rotation rules of refresh_tokens';
COMMENT ON FUNCTION @extschema@.jwt_refresh_token_hash(text)
	IS 'SHA-256 of a refresh token, as refresh_tokens.token_hash stores it';
COMMENT ON FUNCTION @extschema@.jwt_refresh_new_token()
	IS 'new random refresh token: 256 bits, base64url (internal)';
COMMENT ON FUNCTION @extschema@.jwt_refresh_revoke_families(uuid[], text)
	IS 'revoke every row of some refresh token families (internal)';
COMMENT ON FUNCTION @extschema@.jwt_refresh_issue(text, interval, inet, text, jsonb)
	IS 'log in: start a refresh token family for a subject';
COMMENT ON FUNCTION @extschema@.jwt_refresh_rotate(text, text, text, jsonb, interval, interval, interval, inet, text)
	IS 'refresh: new refresh token and an access token signed with a text key, or the registry when key is NULL';
COMMENT ON FUNCTION @extschema@.jwt_refresh_rotate(text, bytea, text, jsonb, interval, interval, interval, inet, text)
	IS 'refresh: new refresh token and an access token signed with a binary secret';
COMMENT ON FUNCTION @extschema@.jwt_refresh_rotate(text, jsonb, text, jsonb, interval, interval, interval, inet, text)
	IS 'refresh: new refresh token and an access token signed with a JWK';
COMMENT ON FUNCTION @extschema@.jwt_refresh_revoke(text, text, boolean)
	IS 'log out: revoke the family of a refresh token, or every session of its subject';
COMMENT ON FUNCTION @extschema@.jwt_refresh_revoke_family(uuid, text)
	IS 'revoke a refresh token family by id';
COMMENT ON FUNCTION @extschema@.jwt_refresh_revoke_subject(text, text)
	IS 'log out everywhere: revoke every live refresh token family of a subject';
COMMENT ON FUNCTION @extschema@.jwt_refresh_purge(interval, interval)
	IS 'delete used refresh tokens past the reuse horizon and families ended long ago';
COMMENT ON FUNCTION @extschema@.jwt_refresh_sessions(text)
	IS 'live refresh token families (sessions) of a subject';
COMMENT ON FUNCTION @extschema@.jwt_refresh_session_active(uuid)
	IS 'whether a refresh token family (an access token''s sid) is live';
