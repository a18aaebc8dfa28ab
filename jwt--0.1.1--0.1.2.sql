/* jwt--0.1.1--0.1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.2'" to load this file. \quit

-- refresh token session functions in C
--
-- The session functions were SQL and PL/pgSQL bodies that called the
-- extension's own functions by name (jwt_refresh_token_hash,
-- jwt_refresh_new_token, jwt_refresh_revoke_families, jwt_stats_bump): a
-- role that may CREATE in the extension's schema could plant look-alikes
-- there that captured those calls (with the caller's rights, seeing the
-- refresh token) or made them ambiguous.  They are C now
-- (src/refresh_sessions.c), reaching the table by its schema-qualified
-- name with pg_catalog-qualified operators and exact parameter types, and
-- calling nothing by name.  Same signatures: privileges and comments are
-- kept; markings and settings are restated because CREATE OR REPLACE
-- replaces them.  Besides:
-- - jwt_refresh_revoke(token, everywhere => true) ends the subject's other
--   sessions only for a live token, or one within its grace window; a
--   dead (revoked, used, expired) token ends only its own family;
-- - interval arguments whose sum with now() would leave the timestamp
--   range are refused (22008), naming the argument;
-- - jwt_refresh_purge on a hot standby says so (25006), as the others do.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_revoke_families(families uuid[], reason text)
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_families'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_issue(
	subject text,
	expires_in interval DEFAULT '30 days',
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	metadata jsonb DEFAULT NULL,
	OUT refresh_token text,
	OUT family_id uuid,
	OUT expires_at timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_issue'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_revoke(
	token text,
	reason text DEFAULT NULL,
	everywhere boolean DEFAULT false)
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_revoke_family(family_id uuid, reason text DEFAULT 'revoked')
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_family'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_revoke_subject(subject text, reason text DEFAULT 'logout_all')
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_subject'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_purge(
	reuse_horizon interval DEFAULT '1 hour',
	retain interval DEFAULT '7 days')
RETURNS bigint
AS 'MODULE_PATHNAME', 'jwt_refresh_purge'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_sessions(subject text)
RETURNS TABLE (family_id uuid, issued_at timestamptz, refreshed_at timestamptz,
			   expires_at timestamptz, rotations integer, client_ip inet,
			   user_agent text, metadata jsonb)
AS 'MODULE_PATHNAME', 'jwt_refresh_sessions'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_refresh_session_active(family_id uuid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_refresh_session_active'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
LANGUAGE C VOLATILE PARALLEL UNSAFE
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

-- The denylist and consumed tokens in C
--
-- jwt_is_revoked, jwt_consume_jti, jwt_revoke, jwt_revoke_subject and
-- jwt_purge_expired become C functions (src/denylist.c) with the same
-- signatures: they call none of the extension's functions by name, so a
-- look-alike created in the extension's schema can neither make them fail
-- nor run in their place.  Privileges and comments are kept.
-- jwt_purge_expired now keeps entries jwt.max_leeway past their expiry.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_consume_jti(jti text, expires_at timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_consume_jti'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_revoke(
	jti text,
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_revoke_subject(
	subject text,
	issued_before timestamptz DEFAULT pg_catalog.now(),
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke_subject'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_is_revoked(claims jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_is_revoked'
LANGUAGE C STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_purge_expired()
RETURNS bigint
AS 'MODULE_PATHNAME', 'jwt_purge_expired'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- The verified-token cache (src/token_cache.c)
--
-- Each backend remembers, for up to jwt.token_cache_size tokens, that an
-- ES/EdDSA/RS/PS token's signature verified with a given key (a SHA-256 of
-- the token, never its text); every other check runs on each call.  This
-- function shows the calling backend's cache: for pg_monitor, as
-- jwt_stats_info.  PARALLEL RESTRICTED: a worker has a cache of its own.
--
CREATE FUNCTION @extschema@.jwt_token_cache_info(
	OUT entries integer,
	OUT max_entries integer,
	OUT hits bigint,
	OUT misses bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_token_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION @extschema@.jwt_token_cache_info() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.jwt_token_cache_info() TO pg_monitor;
COMMENT ON FUNCTION @extschema@.jwt_token_cache_info()
	IS 'entries, capacity, hits and misses of this backend''s cache of verified tokens';
