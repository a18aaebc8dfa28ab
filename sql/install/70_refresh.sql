-- sql/install/70_refresh.sql: refresh tokens
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/refresh_lifecycle.sql, refresh_triggers.sql, refresh_sessions.sql;
-- test/specs/refresh_rotate.spec, refresh_rotate_rr.spec, refresh_logout.spec

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
-- The functions are C (src/refresh.c, src/refresh_sessions.c): they reach
-- the table by its schema-qualified name with pg_catalog-qualified
-- operators and call none of the extension's functions by name, so a
-- look-alike created in the extension's schema cannot capture a call (and
-- with it a refresh token).  Interval arguments whose sum with now() would
-- leave the timestamp range are refused (22008), naming the argument.
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
-- ENABLE ALWAYS: under session_replication_role = replica it only refuses
-- a NULL in a NOT NULL column, whose error from PostgreSQL would show the
-- row, retry_key included, in the server log.
ALTER TABLE @extschema@.refresh_tokens ENABLE ALWAYS TRIGGER refresh_tokens_guard;

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
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_families'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

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
AS 'MODULE_PATHNAME', 'jwt_refresh_issue'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
-- anyway, by presenting it again.  "everywhere" reaches the subject's other
-- families only from a live token, or one within its grace window; a dead
-- (revoked, used, expired) token ends only its own family.  SECURITY
-- DEFINER; EXECUTE is granted to nobody by default.
--
CREATE FUNCTION @extschema@.jwt_refresh_revoke(
	token text,
	reason text DEFAULT NULL,
	everywhere boolean DEFAULT false)
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_revoke_family(family_id uuid, reason text DEFAULT 'revoked')
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_family'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_revoke_subject(subject text, reason text DEFAULT 'logout_all')
RETURNS integer
AS 'MODULE_PATHNAME', 'jwt_refresh_revoke_subject'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

--
-- Keep the table small (callable from pg_cron).  Deletes the used tokens
-- of live families that were used more than reuse_horizon ago (once their
-- successor's grace window is over; a purged token presented again is just
-- 'invalid', not a detected reuse), and every row of families that ended
-- (revoked, or their last token expired) more than "retain" ago; wipes the
-- retry keys whose grace window is over.  Returns the rows deleted.  On a
-- hot standby it says so (25006), as the other writers do.
--
CREATE FUNCTION @extschema@.jwt_refresh_purge(
	reuse_horizon interval DEFAULT '1 hour',
	retain interval DEFAULT '7 days')
RETURNS bigint
AS 'MODULE_PATHNAME', 'jwt_refresh_purge'
LANGUAGE C VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

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
AS 'MODULE_PATHNAME', 'jwt_refresh_sessions'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.jwt_refresh_session_active(family_id uuid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_refresh_session_active'
LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

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
