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
