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

-- The registry's keys are cached per backend; these triggers empty every
-- backend's cache when jwt_keys changes (once the change commits): one per
-- statement (TRUNCATE has no rows) and one per row, since logical
-- replication's apply worker fires row triggers only.  ENABLE ALWAYS:
-- they fire whatever session_replication_role says (a restore, logical
-- replication).  Without both the cache is not used.
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
CREATE TRIGGER jwt_keys_invalidate_rows
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.jwt_keys
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_keys_invalidate();
ALTER TABLE @extschema@.jwt_keys ENABLE ALWAYS TRIGGER jwt_keys_invalidate_rows;

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

-- Sessions: session-bound access tokens, one-call login, session
-- lifetimes, new-device warnings
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

-- jwt_sign: the algorithm from the key
--
-- algorithm defaults to NULL instead of 'HS256': a key that serves one
-- algorithm signs with it (a JWK with "alg", an EC key by its curve,
-- Ed25519/Ed448 EdDSA), an HMAC secret with HS256 as before, an RSA key
-- without "alg" or a JWK Set is refused (22023, the hint names the
-- argument).  A NULL algorithm now means the same (it gave NULL).  Same
-- signatures: privileges and comments are kept; the markings are 0.1.0's.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key text,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_text'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key bytea,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_bytea'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.jwt_sign(
	claims jsonb,
	key jsonb,
	algorithm text DEFAULT NULL,
	header jsonb DEFAULT NULL,
	expires_in interval DEFAULT NULL,
	not_before interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_sign_jsonb'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- audiences: a list of audiences
--
-- jwt_verify, jwt_validate, jwt_authenticate, jwt_consume and their
-- registry variants take a new last argument, audiences text[], of which
-- the token must name at least one (as jose, jsonwebtoken and fast-jwt
-- allow).  audience (one text) keeps its position and type; giving both
-- is refused (22023), as are an empty array and a NULL element.  The
-- types stay exact on purpose: a function of the extension is then the
-- exact match of every call, so a look-alike that a role may create in the
-- extension's schema with the same argument types collides with it
-- ("already exists") instead of being preferred to it, as it would be over
-- a polymorphic or otherwise wider parameter.  Being last, audiences
-- leaves positional calls as they were.
--
-- A new parameter is a new function, so each is created anew and the old
-- one dropped.  Privileges granted on the old one (EXECUTE on
-- jwt_authenticate to the API's role, ...) are carried over by copying its
-- ACL after the REVOKE that records the extension's own (so pg_dump still
-- tells the two apart), with the roles' shared dependencies, by
-- jwt_copy_function_privileges (C, declared here and dropped at the end of
-- the script); comments are restated.  Objects that depend on
-- the old functions (views, functions with SQL-standard bodies calling
-- them) make the DROP, and so the update, fail: drop them first and create
-- them again after.  Markings are those of the functions replaced.
--
CREATE FUNCTION @extschema@.jwt_copy_function_privileges(regprocedure, regprocedure)
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_copy_function_privileges'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

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
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a binary secret and establish its claims for the transaction, optionally SET LOCAL ROLE';
DROP FUNCTION @extschema@.jwt_authenticate(text, bytea, text[], text, text, text, text, text[], interval, interval, text, boolean);

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
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a JWK or JWK Set and establish its claims for the transaction, optionally SET LOCAL ROLE';
DROP FUNCTION @extschema@.jwt_authenticate(text, jsonb, text[], text, text, text, text, text[], interval, interval, text, boolean);

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
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with a text key and establish its claims for the transaction, optionally SET LOCAL ROLE';
DROP FUNCTION @extschema@.jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean);

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_bytea'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a binary secret and consume its jti';
DROP FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean);

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_jsonb'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a JWK or JWK Set and consume its jti';
DROP FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean);

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_consume_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a text key and consume its jti';
DROP FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean);

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
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM PUBLIC;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	IS 'verify a bearer token with the registry keys and establish its claims for the transaction, optionally SET LOCAL ROLE';
DROP FUNCTION @extschema@.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean);

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_consume'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean)'::pg_catalog.regprocedure,
	'@extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with the registry keys and consume its jti';
DROP FUNCTION @extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a token against the registry keys by kid without raising';
DROP FUNCTION @extschema@.jwt_registry_validate(text, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a token against the registry keys by kid, or raise';
DROP FUNCTION @extschema@.jwt_registry_verify(text, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a binary secret without raising: valid, reason, header, claims';
DROP FUNCTION @extschema@.jwt_validate(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a JWK or JWK Set without raising: valid, reason, header, claims';
DROP FUNCTION @extschema@.jwt_validate(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a text key without raising: valid, reason, header, claims';
DROP FUNCTION @extschema@.jwt_validate(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a binary secret and return its claims, or raise';
DROP FUNCTION @extschema@.jwt_verify(text, bytea, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a JWK or JWK Set and return its claims, or raise';
DROP FUNCTION @extschema@.jwt_verify(text, jsonb, text[], text, text, text, text, text[], interval, interval, timestamptz);

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
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz)'::pg_catalog.regprocedure,
	'@extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])'::pg_catalog.regprocedure);
COMMENT ON FUNCTION @extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz, text[])
	IS 'verify a compact JWS with a text key (HMAC secret, PEM or JWK) and return its claims, or raise';
DROP FUNCTION @extschema@.jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz);

-- The keys of external identity providers
--
-- jwt_registry_import_jwks(jwks, issuer) replaces the keys of "issuer" in
-- the registry with the signature keys of its published JWK Set, as
-- verify-only keys bound to that issuer: a token they verify must carry
-- that "iss" (issuer_mismatch otherwise), they never sign, and jwt_jwks()
-- does not publish them.  The issuer column is NULL for the database's
-- own keys; the CHECK keeps an imported key from ever being a signing
-- key.  The table stays in pg_dump's data (pg_extension_config_dump of
-- 0.1.0 covers the new column).  EXECUTE is revoked from PUBLIC, as for
-- jwt_registry_add: the caller also needs INSERT and DELETE on jwt_keys.
--
ALTER TABLE @extschema@.jwt_keys ADD COLUMN issuer text CHECK (issuer <> '');
ALTER TABLE @extschema@.jwt_keys ADD CONSTRAINT jwt_keys_imported_verify_only
	CHECK (issuer IS NULL OR (signing_key IS NULL AND status <> 'active'));
COMMENT ON COLUMN @extschema@.jwt_keys.issuer
	IS 'the identity provider (its "iss") a key was imported for by jwt_registry_import_jwks; NULL for the database''s own keys';

CREATE FUNCTION @extschema@.jwt_registry_import_jwks(jwks jsonb, issuer text)
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_registry_import_jwks'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_registry_import_jwks(jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_registry_import_jwks(jsonb, text)
	IS 'replace an identity provider''s keys in the registry with the signature keys of its JWK Set (verify-only, bound to its issuer)';

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
COMMENT ON FUNCTION @extschema@.jwt_token_cache_info()
	IS 'entries, capacity, hits and misses of this backend''s cache of verified tokens';

-- jwt_claims() and jwt_claim(name) per call site (src/sql_claims_read.c)
--
-- Same functions, new C symbols: each call site keeps its answer ready to
-- return while the claims stay the same (a counter, plus the text of
-- request.jwt.claims in request mode), and a constant claim name is not
-- read again, so a row of a policy such as owner_id = jwt_claim('sub')
-- costs little more than a comparison with a constant.  Same signatures,
-- so privileges, comments and dependent policies are kept; the markings
-- are those of 0.1.1 (CREATE OR REPLACE restates them).  jwt_claim gets a
-- planner support function, which makes a call with a constant name a
-- call of jwt_claim_const (new): the same function without STRICT, which
-- spares each row of a policy the executor's check of its argument.  The
-- symbols jwt_claims and jwt_claim stay in jwt.so for 0.1.1.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_claims()
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

CREATE OR REPLACE FUNCTION @extschema@.jwt_claim(name text)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_claim_site'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SUPPORT @extschema@.jwt_claim_support;

COMMENT ON FUNCTION @extschema@.jwt_claim_const(text)
	IS 'jwt_claim(name) as planned for a constant name: the same answers';
COMMENT ON FUNCTION @extschema@.jwt_claim_support(internal)
	IS 'planner support for jwt_claim: a constant name makes it jwt_claim_const';
-- The planner makes that call only while both functions have the same
-- owner and privileges: grants given on jwt_claim go to jwt_claim_const
-- too.
SELECT @extschema@.jwt_copy_function_privileges(
	'@extschema@.jwt_claim(text)'::pg_catalog.regprocedure,
	'@extschema@.jwt_claim_const(text)'::pg_catalog.regprocedure);

-- The denylist cache (sql/install/55_denylist_cache.sql)
--
-- With jwt in shared_preload_libraries, each backend remembers, for up to
-- jwt.denylist_cache_size tokens, that a jti, sub and iat are on no
-- denylist, until a transaction that wrote the denylist commits anywhere
-- (src/denylist_cache.c).  This trigger tells the shared generation
-- counter about every such transaction: BEFORE ... FOR EACH ROW, so the
-- transaction is marked before its first row, also by the apply worker of
-- logical replication (which fires no statement-level trigger), and ENABLE
-- ALWAYS, so it fires under session_replication_role = replica (as that
-- worker runs).  Deletions need no mark.  Without preloading the trigger
-- only sets a flag.
--
CREATE FUNCTION @extschema@.jwt_denylist_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'jwt_denylist_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_changed()
	IS 'trigger: marks a transaction that writes the denylist, for the denylist cache';

CREATE TRIGGER jwt_denylist_changed
	BEFORE INSERT OR UPDATE ON @extschema@.jwt_revoked_tokens
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_denylist_changed();
ALTER TABLE @extschema@.jwt_revoked_tokens ENABLE ALWAYS TRIGGER jwt_denylist_changed;
CREATE TRIGGER jwt_denylist_changed
	BEFORE INSERT OR UPDATE ON @extschema@.jwt_revoked_subjects
	FOR EACH ROW EXECUTE FUNCTION @extschema@.jwt_denylist_changed();
ALTER TABLE @extschema@.jwt_revoked_subjects ENABLE ALWAYS TRIGGER jwt_denylist_changed;

--
-- This backend's cache: entries, capacity, hits, misses, and whether the
-- cache can work at all (the library preloaded).  For pg_monitor, as
-- jwt_token_cache_info.  PARALLEL RESTRICTED: a worker has no cache.
--
CREATE FUNCTION @extschema@.jwt_denylist_cache_info(
	OUT entries integer,
	OUT max_entries integer,
	OUT hits bigint,
	OUT misses bigint,
	OUT active boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_denylist_cache_info'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_cache_info() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_cache_info()
	IS 'entries, capacity, hits and misses of this backend''s denylist cache';

--
-- After writing the denylist with the trigger disabled (pg_restore
-- --disable-triggers, ALTER TABLE ... DISABLE TRIGGER), and once that
-- transaction committed: makes every backend's entries stale.  Granted to
-- nobody (superusers and the extension's owner).
--
CREATE FUNCTION @extschema@.jwt_denylist_cache_invalidate()
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_denylist_cache_invalidate'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION @extschema@.jwt_denylist_cache_invalidate() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.jwt_denylist_cache_invalidate()
	IS 'make every backend''s denylist cache stale, after the denylist was written with its trigger disabled';

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

-- ENABLE ALWAYS: under session_replication_role = replica it only refuses
-- a NULL in a NOT NULL column, whose error from PostgreSQL would show the
-- row, retry_key included, in the server log.
ALTER TABLE @extschema@.refresh_tokens ENABLE ALWAYS TRIGGER refresh_tokens_guard;

DROP FUNCTION @extschema@.jwt_copy_function_privileges(regprocedure, regprocedure);
