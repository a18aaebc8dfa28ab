-- sql/install/90_sessions.sql: sessions (one-call login, session lifetimes,
-- devices, session-bound access tokens)
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/refresh_login.sql, test/specs/session_logout.spec, test/specs/session_cap.spec, test/example

--
-- A refresh token family is a session.  Its rows now carry:
-- - access_claims: the claims of its access tokens (aud, iss, role, ...),
--   stored at login and re-minted by every rotation, so callers need not
--   pass them again (a rotation's claims argument overrides them per
--   call).  Not secret, but may hold personal data: never logged.
-- - session_expires_at: the absolute end of the session; no rotation
--   extends a token past it (NULL: none).
-- - idle_timeout: a family whose live token is older than this ends
--   (NULL: none).
-- All three are fixed when a family starts and copied to every successor
-- (the trigger refuses changing them).  jwt_refresh_login starts a
-- session and returns both tokens; jwt_refresh_rotate ends a session past
-- its lifetime or idle timeout with status 'session_expired' or
-- 'idle_timeout' (revoking the family with that reason).  With the
-- setting jwt.require_session, jwt_authenticate and
-- jwt_registry_authenticate refuse a token whose "sid" names no live
-- session of its "sub" (reasons session_revoked, session_expired,
-- session_unknown): one lookup in refresh_tokens_one_unused.
--
ALTER TABLE @extschema@.refresh_tokens
	ADD COLUMN access_claims jsonb,
	ADD COLUMN session_expires_at timestamptz,
	ADD COLUMN idle_timeout interval;

CREATE FUNCTION @extschema@.jwt_refresh_login(
	subject text,
	key text DEFAULT NULL,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT '30 days',
	session_lifetime interval DEFAULT NULL,
	idle_timeout interval DEFAULT NULL,
	max_sessions integer DEFAULT NULL,
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	metadata jsonb DEFAULT NULL,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT family_id uuid,
	OUT new_device boolean,
	OUT known_device uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_login_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_login(
	subject text,
	key bytea,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT '30 days',
	session_lifetime interval DEFAULT NULL,
	idle_timeout interval DEFAULT NULL,
	max_sessions integer DEFAULT NULL,
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	metadata jsonb DEFAULT NULL,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT family_id uuid,
	OUT new_device boolean,
	OUT known_device uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_login_bytea'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_login(
	subject text,
	key jsonb,
	algorithm text DEFAULT NULL,
	claims jsonb DEFAULT NULL,
	access_expires_in interval DEFAULT '15 minutes',
	refresh_expires_in interval DEFAULT '30 days',
	session_lifetime interval DEFAULT NULL,
	idle_timeout interval DEFAULT NULL,
	max_sessions integer DEFAULT NULL,
	client_ip inet DEFAULT NULL,
	user_agent text DEFAULT NULL,
	metadata jsonb DEFAULT NULL,
	OUT access_token text,
	OUT access_expires_at timestamptz,
	OUT refresh_token text,
	OUT refresh_expires_at timestamptz,
	OUT family_id uuid,
	OUT new_device boolean,
	OUT known_device uuid)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_refresh_login_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_login(text, text, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_login(text, bytea, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_refresh_login(text, jsonb, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_refresh_login(text, text, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb)
	IS 'log in: start a session and return its access and refresh tokens, signed with a text key or the registry when key is NULL';
COMMENT ON FUNCTION @extschema@.jwt_refresh_login(text, bytea, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb)
	IS 'log in: start a session and return its access and refresh tokens, signed with a binary secret';
COMMENT ON FUNCTION @extschema@.jwt_refresh_login(text, jsonb, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb)
	IS 'log in: start a session and return its access and refresh tokens, signed with a JWK';
