--
-- test/example/app.sql: a small todo API on the jwt extension, the worked
-- example of README's "Claims and row-level security" section.
--
-- Users sign up and log in with a password (pgcrypto's crypt()); login
-- returns a 15-minute access token (ES256, from the key registry) and a
-- refresh token in one call (jwt_refresh_login starts a session that
-- keeps the access token's claims, jwt_refresh_rotate re-mints them and
-- detects reuse, jwt_refresh_revoke_* end sessions).  Access tokens are
-- bound to their session (jwt.require_session): logout and reuse end them
-- at once, with no extra term in any policy.  Sessions last 90 days at
-- most, end after 14 idle days, and a user has at most 5; login says
-- when a device is new, and users list their devices.  Each user sees
-- and changes only their own todos, a token whose "role" claim is
-- todo_admin sees all of them.  test/example/run.sh
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
-- Its requests accept only access tokens of a live session (a superuser
-- setting, so that no request can turn it off).
ALTER ROLE todo_authenticator SET jwt.require_session = on;
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
-- may start, rotate, list and end sessions (which mint tokens with the
-- registry's key) and put a subject on the denylist.  The extension grants
-- these functions to nobody; todo_owner gets exactly the ones it calls
-- (jwt_refresh_login and jwt_refresh_rotate with a text key, NULL here:
-- the registry's).
CREATE ROLE todo_owner NOLOGIN;

GRANT USAGE ON SCHEMA auth, extensions TO todo_owner;
GRANT EXECUTE ON FUNCTION
	auth.jwt_revoke_subject(text, timestamptz, timestamptz, text),
	auth.jwt_refresh_login(text, text, text, jsonb, interval, interval, interval, interval, integer, inet, text, jsonb),
	auth.jwt_refresh_rotate(text, text, text, jsonb, interval, interval, interval, inet, text),
	auth.jwt_refresh_revoke_family(uuid, text),
	auth.jwt_refresh_revoke_subject(text, text),
	auth.jwt_refresh_sessions(text)
  TO todo_owner;
GRANT USAGE ON SCHEMA auth TO todo_authenticator, todo_anon, todo_user, todo_admin;
GRANT EXECUTE ON FUNCTION auth.jwt_registry_authenticate(text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
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

-- Log in: one call starts a session (a refresh token family, 30 days from
-- its last refresh, 90 days at most, ended after 14 idle days; the user's
-- oldest ends beyond 5) that keeps the access token's claims, and returns
-- a 15-minute access token (with "sub" and the session's "sid"), a refresh
-- token, and whether the user agent is new for this user.  The same
-- error, after the same work, for an unknown email and a wrong password.
CREATE FUNCTION app.login(email text, password text, user_agent text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	u app.users;
	s record;
BEGIN
	SELECT * INTO u FROM app.users WHERE app.users.email = lower(login.email) AND active;
	IF u.id IS NULL THEN
		PERFORM extensions.crypt(password, extensions.gen_salt('bf', 8));
	ELSIF u.password_hash = extensions.crypt(password, u.password_hash) THEN
		SELECT * INTO s FROM auth.jwt_refresh_login(u.id::text, algorithm => 'ES256',
			claims => jsonb_build_object('role', u.role, 'email', u.email, 'aud', 'todo-api'),
			access_expires_in => '15 minutes', refresh_expires_in => '30 days',
			session_lifetime => '90 days', idle_timeout => '14 days', max_sessions => 5,
			user_agent => login.user_agent);
		RETURN jsonb_build_object(
			'token_type', 'Bearer',
			'access_token', s.access_token,
			'expires_in', 900,
			'refresh_token', s.refresh_token,
			'new_device', s.new_device);
	END IF;
	RAISE EXCEPTION 'invalid email or password' USING ERRCODE = 'invalid_password';
END
$$;

-- Refresh: a refresh token for a new pair.  jwt_refresh_rotate exchanges
-- it for its successor; a retry within the grace window (a lost response,
-- two tabs) gets the same successor again, a used token presented after it
-- is a reuse and revokes the whole session.  A client that never retries
-- may ask for no grace window (strict single use); none gets more than 10
-- seconds: as long as the window lasts, a used token (a stolen copy too)
-- still gets the successor.
--
-- The access token is jwt_refresh_rotate's: the claims the session keeps
-- since login, re-minted without passing them again.
--
-- A refused token is an answer, never an error: an error would roll back
-- the revocation that a reused token has just caused.
CREATE FUNCTION app.refresh(refresh_token text, grace interval DEFAULT '10 seconds')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	u app.users;
	status text;
BEGIN
	SELECT * INTO r FROM auth.jwt_refresh_rotate(refresh.refresh_token, algorithm => 'ES256',
		grace => least(coalesce(refresh.grace, interval '10 seconds'), interval '10 seconds'));
	status := r.status;
	IF status = 'rotated' THEN
		SELECT * INTO u FROM app.users WHERE id = r.subject::uuid AND active;
		IF u.id IS NULL THEN
			-- deactivated or deleted other than by app.deactivate_user
			PERFORM auth.jwt_refresh_revoke_family(r.family_id, 'deactivated');
			status := 'revoked';
		END IF;
	END IF;
	IF status <> 'rotated' THEN
		-- 'reused': the session is revoked now and a WARNING was logged;
		-- 'revoked', 'expired', 'session_expired', 'idle_timeout', 'invalid':
		-- the client has to log in again.
		PERFORM set_config('response.status', '401', true);	-- PostgREST
		RETURN jsonb_build_object('error', status);
	END IF;
	RETURN jsonb_build_object(
		'token_type', 'Bearer',
		'access_token', r.access_token,
		'expires_in', 900,
		'refresh_token', r.refresh_token);
END
$$;

-- Log out (an authenticated request): its session ends, so neither its
-- refresh tokens nor its access tokens (session-bound) work any more.
CREATE FUNCTION app.logout()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF auth.jwt_claims() IS NULL THEN
		RAISE EXCEPTION 'not authenticated' USING ERRCODE = 'insufficient_privilege';
	END IF;
	PERFORM auth.jwt_refresh_revoke_family(auth.jwt_claim('sid')::uuid, 'logout');
END
$$;

-- "Your devices" (an authenticated request): the user's live sessions,
-- newest first, with the user agent and address each last refreshed from.
CREATE FUNCTION app.my_devices()
RETURNS TABLE (session uuid, user_agent text, client_ip inet, signed_in timestamptz, this_one boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.family_id, s.user_agent, s.client_ip, s.issued_at,
		   s.family_id::text = auth.jwt_claim('sid')
	  FROM auth.jwt_refresh_sessions(auth.jwt_claim('sub')) s
$$;

-- Deactivate a user (admins): no more logins or refreshes (every session
-- ends), and every access token already issued to them stops working now.
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
	PERFORM auth.jwt_refresh_revoke_subject(user_id::text, 'deactivated');
	PERFORM auth.jwt_revoke_subject(user_id::text, now(), now() + interval '15 minutes', 'deactivated');
END
$$;

GRANT EXECUTE ON FUNCTION app.signup(text, text), app.login(text, text, text), app.refresh(text, interval) TO todo_anon;
GRANT EXECUTE ON FUNCTION app.logout(), app.my_devices() TO todo_user, todo_admin;
GRANT EXECUTE ON FUNCTION app.deactivate_user(uuid) TO todo_admin;

RESET ROLE;
