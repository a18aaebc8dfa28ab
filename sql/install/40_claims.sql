-- sql/install/40_claims.sql: claims in queries and row-level security
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/claims.sql, rls.sql, roles.sql

--
-- Claims in queries and row-level security.
--
-- jwt_authenticate verifies a bearer token and establishes its claims for
-- the current transaction, in backend-private memory that no SET or
-- set_config() reaches; jwt_claims() and jwt_claim(name) read them (or,
-- when a superuser sets jwt.claims_source = 'request.jwt.claims', the
-- claims PostgREST put in that setting).  The denylist it checks is in
-- 50_denylist.sql.
--

--
-- The claims in force for the current transaction, NULL when none; one
-- claim as text (as ->> shows it).  STABLE: constant within a statement,
-- so a policy's comparison value can be an index condition evaluated once
-- per scan.  PARALLEL RESTRICTED: claims established by jwt_authenticate
-- are private to the leader process, parallel workers do not see them.
--
-- jwt_claim(name) with a constant name becomes jwt_claim_const(name) when
-- planned (its support function): the same C function, not declared
-- STRICT, because the executor checks a strict function's arguments for
-- NULL on every call, a third of what jwt_claim('sub') adds to each row a
-- policy reads.  jwt_claim stays STRICT, so that a STRICT SQL function
-- calling it can still be inlined.
--
CREATE FUNCTION @extschema@.jwt_claims()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_claims_site'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.jwt_claim_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'jwt_claim_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_claim_const(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_claim_site'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.jwt_claim(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_claim_site'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SUPPORT @extschema@.jwt_claim_support;

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_authenticate_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- Internal: the registry's verification keys, read as the owner for
-- jwt_registry_authenticate and jwt_registry_consume (C functions that
-- cannot be SECURITY DEFINER: SET ROLE is refused inside one).  The same
-- set as jwt_registry_keyset() (the claims test checks that they agree).
--
CREATE FUNCTION @extschema@.jwt_registry_keyset_definer()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_keyset_definer'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_authenticate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_keyset_definer() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_claims()
	IS 'the claims in force for the current transaction, or NULL';
COMMENT ON FUNCTION @extschema@.jwt_claim(text)
	IS 'one claim of jwt_claims() as text, or NULL';
COMMENT ON FUNCTION @extschema@.jwt_claim_const(text)
	IS 'jwt_claim(name) as planned for a constant name: the same answers';
COMMENT ON FUNCTION @extschema@.jwt_claim_support(internal)
	IS 'planner support for jwt_claim: a constant name makes it jwt_claim_const';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a text key and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a binary secret and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a JWK or JWK Set and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with the registry keys and establish its claims for the transaction, optionally SET LOCAL ROLE';
COMMENT ON FUNCTION @extschema@.jwt_registry_keyset_definer()
	IS 'JWK Set of the registry keys that still verify, read as the owner (internal)';
