-- sql/install/50_denylist.sql: single-use tokens and the denylist
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/revoke.sql, denylist_lookalikes.sql; test/specs/consume.spec,
-- revoke_purge.spec

--
-- Single-use and revocable tokens.
--
-- Single-use tokens are recorded in jwt_consumed_tokens until their exp;
-- the denylist is jwt_revoked_tokens (by jti) and jwt_revoked_subjects
-- (every token of a subject issued before a time).  The functions are C
-- (src/denylist.c): they call none of the extension's functions by name,
-- so a look-alike created in the extension's schema can neither make them
-- fail nor run in their place.
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
-- Internal: record a single-use token's jti until expires_at.  Returns
-- 'ok', 'consumed' (presented before: of two concurrent inserts one waits
-- for the other and then finds the row), or 'expired' (the clock passed
-- expires_at by the time the row was in: checked after the insert, so a
-- purge that removed the expired row cannot let the token in again).
--
CREATE FUNCTION @extschema@.jwt_consume_jti(jti text, expires_at timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_consume_jti'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
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
	check_revoked boolean DEFAULT true,
	audiences text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'jwt_registry_consume'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

--
-- The denylist.  jwt_revoke: one token by jti, kept until expires_at (set
-- it to the token's exp; NULL keeps it until deleted).  jwt_revoke_subject:
-- every token of a subject whose iat is before issued_before (iat has
-- whole seconds, so a token issued in the same second as issued_before
-- counts as before it when issued_before has a fraction of a second, and
-- as after it when it is a whole second; a token without iat counts as
-- before any time).
-- Both return true when the entry is new.  SECURITY DEFINER, granted to
-- nobody: grant them to the roles that may revoke (the owner of your
-- logout function).
--
CREATE FUNCTION @extschema@.jwt_revoke(
	jti text,
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_revoke_subject(
	subject text,
	issued_before timestamptz DEFAULT pg_catalog.now(),
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke_subject'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Is a token, given by its verified claims, on the denylist?  Two primary
-- key lookups.  SECURITY DEFINER, executable by PUBLIC: it reveals only
-- whether a token is revoked.  STABLE PARALLEL SAFE: it only reads.
--
CREATE FUNCTION @extschema@.jwt_is_revoked(claims jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_is_revoked'
LANGUAGE C STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Delete consumed ids and denylist entries whose expires_at has passed by
-- more than jwt.max_leeway; returns how many rows went.  One call, for
-- pg_cron.  SECURITY DEFINER, granted to nobody.
--
CREATE FUNCTION @extschema@.jwt_purge_expired()
RETURNS bigint
AS 'MODULE_PATHNAME', 'jwt_purge_expired'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume_jti(text, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_revoke(text, timestamptz, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_revoke_subject(text, timestamptz, timestamptz, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.jwt_purge_expired() FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_consume_jti(text, timestamptz)
	IS 'record a single-use token id until it expires (internal)';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, text, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a text key and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, bytea, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a binary secret and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_consume(text, jsonb, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with a JWK or JWK Set and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_registry_consume(text, text[], text, text, text, text, text[], interval, interval, boolean, text[])
	IS 'verify a single-use token with the registry keys and consume its jti';
COMMENT ON FUNCTION @extschema@.jwt_revoke(text, timestamptz, text)
	IS 'put a token on the denylist by jti, until expires_at';
COMMENT ON FUNCTION @extschema@.jwt_revoke_subject(text, timestamptz, timestamptz, text)
	IS 'put every token of a subject issued before a time on the denylist';
COMMENT ON FUNCTION @extschema@.jwt_is_revoked(jsonb)
	IS 'whether verified claims are on the denylist';
COMMENT ON FUNCTION @extschema@.jwt_purge_expired()
	IS 'delete consumed token ids and denylist entries past their expiry';
