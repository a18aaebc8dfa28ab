-- sql/install/30_registry.sql: the key registry
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/registry.sql, registry_plants.sql, registry_edges.sql

--
-- Key registry.
--
-- Signing and verification keys that application roles cannot read.  One
-- key per algorithm is "active" (signs); "verify_only" keys still verify,
-- so that a rotation never invalidates tokens already issued; "retired"
-- keys do neither.  Rows are included in pg_dump.  "issuer" is set on the
-- keys imported from an identity provider's JWK Set
-- (jwt_registry_import_jwks): they only verify, and only tokens whose
-- "iss" names that issuer; the CHECK keeps them from ever signing.
--
-- The registry's functions are C (src/registry.c): they reach jwt_keys by
-- its schema-qualified name and call none of the extension's functions by
-- name, so a look-alike created in the extension's schema can neither run
-- in their place nor make a call ambiguous.  search_path is pinned all the
-- same, in case that ever changes.
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
	issuer text CHECK (issuer <> ''),
	CHECK (status <> 'active' OR signing_key IS NOT NULL),
	CHECK ((status = 'retired') = (retired_at IS NOT NULL)),
	CONSTRAINT jwt_keys_imported_verify_only
		CHECK (issuer IS NULL OR (signing_key IS NULL AND status <> 'active'))
);
CREATE UNIQUE INDEX jwt_keys_one_active ON @extschema@.jwt_keys (algorithm)
	WHERE status = 'active';
COMMENT ON TABLE @extschema@.jwt_keys IS 'signing and verification keys of the jwt registry';
COMMENT ON COLUMN @extschema@.jwt_keys.issuer
	IS 'the identity provider (its "iss") a key was imported for by jwt_registry_import_jwks; NULL for the database''s own keys';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.jwt_keys', '');
REVOKE ALL ON @extschema@.jwt_keys FROM PUBLIC;

--
-- Checks what the table's NOT NULL and CHECK constraints check, before
-- they do: PostgreSQL's own error for a row that breaks one shows the row,
-- signing key included, to the client and in the server log; this one
-- names the rule and the kid only.  ENABLE ALWAYS: it fires whatever
-- session_replication_role says (a restore, logical replication).
--
CREATE FUNCTION @extschema@.jwt_keys_check()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_keys_check'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_keys_check() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_keys_check()
	IS 'trigger: check a jwt_keys row without showing its key material in errors (internal)';
CREATE TRIGGER jwt_keys_check
	BEFORE INSERT OR UPDATE ON @extschema@.jwt_keys
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_keys_check();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_check;

--
-- The JWK Set the registry verifies with: every key not retired, each
-- bound to its kid and algorithm.  Internal; not executable by PUBLIC.
--
CREATE FUNCTION @extschema@.jwt_registry_keyset()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_keyset'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

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
AS 'MODULE_PATHNAME', 'jwt_registry_add'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

--
-- Rotate: a new key becomes the algorithm's active key; the previous one
-- verifies until retire_after has passed (set it to the longest lifetime
-- of the tokens it signed).
--
CREATE FUNCTION @extschema@.jwt_registry_rotate(
	algorithm text,
	retire_after interval DEFAULT '1 day')
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_registry_rotate'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

--
-- Retire one key now, or every verify-only key whose time has come
-- (callable from pg_cron).
--
CREATE FUNCTION @extschema@.jwt_registry_retire(kid text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_registry_retire'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_registry_retire_due()
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_registry_retire_due'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

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
AS 'MODULE_PATHNAME', 'jwt_registry_sign'
LANGUAGE C VOLATILE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
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
	at timestamptz DEFAULT NULL,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_verify'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
	audiences text[] DEFAULT NULL,
	OUT valid boolean,
	OUT reason text,
	OUT header jsonb,
	OUT claims jsonb)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_registry_validate'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Replace the keys of an identity provider (an "iss") with the signature
-- keys of its published JWK Set, as verify-only keys bound to that issuer;
-- returns how many it imported.  EXECUTE is granted to nobody, as for
-- jwt_registry_add: the caller also needs INSERT and DELETE on jwt_keys.
--
CREATE FUNCTION @extschema@.jwt_registry_import_jwks(jwks jsonb, issuer text)
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_registry_import_jwks'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

--
-- The public keys of the registry as a JWK Set, for other services and
-- gateways.  HMAC secrets are never published, nor imported keys.
--
CREATE FUNCTION @extschema@.jwt_jwks()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_jwks'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_keyset() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_add(text, text, text, text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_rotate(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_retire(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_retire_due() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_import_jwks(jsonb, text) FROM PUBLIC;

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
COMMENT ON FUNCTION @extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a token against the registry keys by kid, or raise';
COMMENT ON FUNCTION @extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a token against the registry keys by kid without raising';
COMMENT ON FUNCTION @extschema@.jwt_registry_import_jwks(jsonb, text)
	IS 'replace an identity provider''s keys in the registry with the signature keys of its JWK Set (verify-only, bound to its issuer)';
COMMENT ON FUNCTION @extschema@.jwt_jwks()
	IS 'the public keys of the registry as a JWK Set';
