--
-- test/example/app.sql: a small todo API on the jwt extension, the worked
-- example of README's "Claims and row-level security" section.
--
-- Users sign up and log in with a password (pgcrypto's crypt()); login
-- returns a 15-minute access token (ES256, from the key registry) and a
-- refresh token; each user sees and changes only their own todos, a token
-- whose "role" claim is todo_admin sees all of them.  test/example/run.sh
-- loads this file into a fresh database and drives it the way an API
-- would: one transaction per request, authenticated by
-- jwt_registry_authenticate with the bearer token; and the PostgREST way.
--
-- Run it as a superuser.  Part 1 sets up extensions, roles and grants;
-- part 2, as the application's owner role, creates the application.
--

-- ===================================================================
-- Part 1 (superuser): extensions, roles, grants, a signing key.
-- ===================================================================
CREATE SCHEMA auth;
CREATE EXTENSION jwt SCHEMA auth;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto SCHEMA extensions;

-- todo_authenticator: the role the API connects as.  It may log in and
-- become the roles tokens name, and holds no privileges of its own
-- (NOINHERIT), so RESET ROLE gains a client nothing.
CREATE ROLE todo_authenticator LOGIN NOINHERIT;
-- The roles a request runs as: todo_anon without a token (sign up, log
-- in, refresh), todo_user and todo_admin as the token's "role" claim says.
CREATE ROLE todo_anon NOLOGIN;
CREATE ROLE todo_user NOLOGIN;
CREATE ROLE todo_admin NOLOGIN;
GRANT todo_anon, todo_user, todo_admin TO todo_authenticator;
-- The PostgREST way: PostgREST connects as its own authenticator, whose
-- sessions read the claims from request.jwt.claims (a superuser setting).
CREATE ROLE todo_pgrst LOGIN NOINHERIT;
GRANT todo_anon, todo_user, todo_admin TO todo_pgrst;
ALTER ROLE todo_pgrst SET jwt.claims_source = 'request.jwt.claims';
-- todo_owner owns the application and its SECURITY DEFINER functions: it
-- may mint tokens with the registry's key and put tokens on the denylist.
CREATE ROLE todo_owner NOLOGIN;

GRANT USAGE ON SCHEMA auth, extensions TO todo_owner;
GRANT EXECUTE ON FUNCTION auth.jwt_registry_sign(jsonb, text, jsonb, interval, interval) TO todo_owner;
GRANT EXECUTE ON FUNCTION auth.jwt_revoke(text, timestamptz, text) TO todo_owner;
GRANT EXECUTE ON FUNCTION auth.jwt_revoke_subject(text, timestamptz, timestamptz, text) TO todo_owner;
GRANT USAGE ON SCHEMA auth TO todo_authenticator, todo_anon, todo_user, todo_admin;
GRANT EXECUTE ON FUNCTION auth.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean)
	TO todo_authenticator;

-- The signing key (rotate it with auth.jwt_registry_rotate('ES256') later).
SELECT auth.jwt_registry_rotate('ES256') IS NOT NULL AS signing_key;

CREATE SCHEMA app AUTHORIZATION todo_owner;
GRANT USAGE ON SCHEMA app TO todo_anon, todo_user, todo_admin;

-- ===================================================================
-- Part 2 (todo_owner): the application.
-- ===================================================================
SET ROLE todo_owner;
-- Functions are not executable by PUBLIC unless granted below (a
-- per-schema default cannot revoke the global one, hence no IN SCHEMA).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE TABLE app.users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email text NOT NULL UNIQUE CHECK (email = lower(email)),
	password_hash text NOT NULL,
	role text NOT NULL DEFAULT 'todo_user' CHECK (role IN ('todo_user', 'todo_admin')),
	active boolean NOT NULL DEFAULT true
);

CREATE TABLE app.todos (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id uuid NOT NULL DEFAULT (auth.jwt_claim('sub')::uuid) REFERENCES app.users ON DELETE CASCADE,
	title text NOT NULL,
	done boolean NOT NULL DEFAULT false
);
CREATE INDEX ON app.todos (owner_id);

-- Each user sees and changes their own rows; the admin role claim sees all.
-- Plain comparisons: jwt_claim() costs a few nanoseconds per row.
ALTER TABLE app.todos ENABLE ROW LEVEL SECURITY;
CREATE POLICY todos_own ON app.todos
	USING (owner_id = auth.jwt_claim('sub')::uuid)
	WITH CHECK (owner_id = auth.jwt_claim('sub')::uuid);
CREATE POLICY todos_admin ON app.todos
	USING (auth.jwt_claim('role') = 'todo_admin')
	WITH CHECK (auth.jwt_claim('role') = 'todo_admin');
GRANT SELECT, INSERT, UPDATE, DELETE ON app.todos TO todo_user, todo_admin;

-- A new access token for a user: 15 minutes, audience todo-api, typed
-- (RFC 9068), with a jti so that it can be revoked.
CREATE FUNCTION app.access_token(u app.users)
RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT auth.jwt_registry_sign(
		jsonb_build_object('sub', u.id, 'role', u.role, 'email', u.email,
						   'aud', 'todo-api', 'jti', gen_random_uuid()),
		'ES256', header => '{"typ": "at+jwt"}', expires_in => '15 minutes')
$$;

-- -------------------------------------------------------------------
-- Refresh tokens: STAND-IN.
--
-- The extension's refresh-token feature (opaque tokens stored hashed,
-- rotation, reuse detection, family revocation) is being built; until it
-- lands, these three functions and their table stand in for it, with the
-- same shape: issue a token for a new session, rotate a token (single use)
-- into a new one of the same session, revoke a session.  To switch, replace
-- the bodies of app.refresh_issue, app.refresh_rotate and
-- app.refresh_revoke_session with calls to the extension's functions and
-- drop app.refresh_tokens_standin; login, refresh and logout stay as they are.
-- -------------------------------------------------------------------
CREATE TABLE app.refresh_tokens_standin (
	token_hash bytea PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES app.users ON DELETE CASCADE,
	session_id uuid NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	revoked_at timestamptz
);

-- A new opaque refresh token (256 random bits, URL-safe); only its hash is kept.
CREATE FUNCTION app.refresh_issue(user_id uuid, session_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	token text := rtrim(translate(encode(extensions.gen_random_bytes(32), 'base64'), '+/', '-_'), '=');
BEGIN
	INSERT INTO app.refresh_tokens_standin (token_hash, user_id, session_id, expires_at)
	VALUES (sha256(convert_to(token, 'UTF8')), refresh_issue.user_id, refresh_issue.session_id,
			now() + interval '30 days');
	RETURN token;
END
$$;

-- Use a refresh token once: its user and session, or no row.
CREATE FUNCTION app.refresh_rotate(token text, OUT user_id uuid, OUT session_id uuid)
RETURNS SETOF record
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE app.refresh_tokens_standin r
	   SET used_at = now()
	 WHERE r.token_hash = sha256(convert_to(token, 'UTF8'))
	   AND r.used_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now()
	RETURNING r.user_id, r.session_id
$$;

-- End the session a refresh token belongs to, if it is the caller's.
CREATE FUNCTION app.refresh_revoke_session(token text, user_id uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE app.refresh_tokens_standin r
	   SET revoked_at = now()
	 WHERE r.session_id = (SELECT s.session_id FROM app.refresh_tokens_standin s
							WHERE s.token_hash = sha256(convert_to(token, 'UTF8'))
							  AND s.user_id = refresh_revoke_session.user_id)
	   AND r.revoked_at IS NULL
$$;
-- ------------------------- end of stand-in -------------------------

-- Sign up: a user with a bcrypt password hash.
CREATE FUNCTION app.signup(email text, password text)
RETURNS uuid
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO app.users (email, password_hash)
	VALUES (lower(email), extensions.crypt(password, extensions.gen_salt('bf', 8)))
	RETURNING id
$$;

-- Log in: an access token and a refresh token.  The same error, after the
-- same work, for an unknown email and a wrong password.
CREATE FUNCTION app.login(email text, password text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	u app.users;
BEGIN
	SELECT * INTO u FROM app.users WHERE app.users.email = lower(login.email) AND active;
	IF u.id IS NULL THEN
		PERFORM extensions.crypt(password, extensions.gen_salt('bf', 8));
	ELSIF u.password_hash = extensions.crypt(password, u.password_hash) THEN
		RETURN jsonb_build_object(
			'token_type', 'Bearer',
			'access_token', app.access_token(u),
			'expires_in', 900,
			'refresh_token', app.refresh_issue(u.id, gen_random_uuid()));
	END IF;
	RAISE EXCEPTION 'invalid email or password' USING ERRCODE = 'invalid_password';
END
$$;

-- Refresh: a refresh token (used up) for a new pair.
CREATE FUNCTION app.refresh(refresh_token text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	u app.users;
BEGIN
	SELECT * INTO r FROM app.refresh_rotate(refresh_token);
	IF r.user_id IS NOT NULL THEN
		SELECT * INTO u FROM app.users WHERE id = r.user_id AND active;
	END IF;
	IF u.id IS NULL THEN
		RAISE EXCEPTION 'invalid refresh token' USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	RETURN jsonb_build_object(
		'token_type', 'Bearer',
		'access_token', app.access_token(u),
		'expires_in', 900,
		'refresh_token', app.refresh_issue(u.id, r.session_id));
END
$$;

-- Log out (an authenticated request): the access token goes on the
-- denylist until it expires, the refresh token's session ends.
CREATE FUNCTION app.logout(refresh_token text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF auth.jwt_claims() IS NULL THEN
		RAISE EXCEPTION 'not authenticated' USING ERRCODE = 'insufficient_privilege';
	END IF;
	PERFORM auth.jwt_revoke(auth.jwt_claim('jti'), to_timestamp(auth.jwt_claim('exp')::float8), 'logout');
	IF refresh_token IS NOT NULL THEN
		PERFORM app.refresh_revoke_session(refresh_token, auth.jwt_claim('sub')::uuid);
	END IF;
END
$$;

-- Deactivate a user (admins): no more logins or refreshes, and every
-- access token already issued to them stops working now.
CREATE FUNCTION app.deactivate_user(user_id uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF auth.jwt_claim('role') IS DISTINCT FROM 'todo_admin' THEN
		RAISE EXCEPTION 'only an admin may deactivate users' USING ERRCODE = 'insufficient_privilege';
	END IF;
	UPDATE app.users SET active = false WHERE id = deactivate_user.user_id;
	UPDATE app.refresh_tokens_standin SET revoked_at = now()
	 WHERE app.refresh_tokens_standin.user_id = deactivate_user.user_id AND revoked_at IS NULL;
	PERFORM auth.jwt_revoke_subject(user_id::text, now(), now() + interval '15 minutes', 'deactivated');
END
$$;

GRANT EXECUTE ON FUNCTION app.signup(text, text), app.login(text, text), app.refresh(text) TO todo_anon;
GRANT EXECUTE ON FUNCTION app.logout(text) TO todo_user, todo_admin;
GRANT EXECUTE ON FUNCTION app.deactivate_user(uuid) TO todo_admin;

RESET ROLE;
