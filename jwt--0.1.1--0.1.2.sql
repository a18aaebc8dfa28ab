/* jwt--0.1.1--0.1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.2'" to load this file. \quit

-- the key registry in C
--
-- The registry's functions are C functions of the key registry (registry.c)
-- instead of SQL and PL/pgSQL bodies that called jwt_sign, jwt_validate,
-- jwt_public_jwk, jwt_generate_key and one another by name: a role that
-- may CREATE in the extension's schema could plant a look-alike there
-- (jwt_sign(text, text, text), ...) that PostgreSQL preferred, or that made
-- the call ambiguous, and that ran as the caller with the key in hand.
-- Same signatures, so privileges and comments are kept; the markings are
-- those of 0.1.1.  search_path is still pinned: the C code qualifies every
-- name it uses, the setting keeps it so if that ever changes.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_keyset()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_keyset'
LANGUAGE C STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_add(
	key text,
	algorithm text,
	kid text DEFAULT NULL,
	status text DEFAULT 'active',
	retire_after interval DEFAULT '1 day')
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_registry_add'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_rotate(
	algorithm text,
	retire_after interval DEFAULT '1 day')
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_registry_rotate'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_retire(kid text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_registry_retire'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_retire_due()
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_registry_retire_due'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_sign(
	claims jsonb,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_registry_sign'
LANGUAGE C VOLATILE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_verify(
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
AS 'MODULE_PATHNAME', 'jwt_registry_verify'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_validate(
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
AS 'MODULE_PATHNAME', 'jwt_registry_validate'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_jwks()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_jwks'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_registry_keyset_definer()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_keyset_definer'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- The registry's keys are cached per backend; this trigger empties every
-- backend's cache when jwt_keys changes (once the change commits).
-- ENABLE ALWAYS: it fires whatever session_replication_role says (a
-- restore, logical replication).  Without it the cache is not used.
CREATE FUNCTION @extschema@.jwt_keys_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_keys_invalidate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_keys_invalidate() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_keys_invalidate()
	IS 'trigger: empty the per-backend caches of the registry keys when jwt_keys changes (internal)';
CREATE TRIGGER jwt_keys_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.jwt_keys
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.jwt_keys_invalidate();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate;

-- jwt_raise served the PL/pgSQL registry functions, which are C now; an
-- error raised inside any of the extension's C functions keeps its
-- statement out of the log.  Its C symbol stays in jwt.so for 0.1.1.
DROP FUNCTION @extschema@.jwt_raise(text, text, text, text);
