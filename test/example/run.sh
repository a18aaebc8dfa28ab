#!/usr/bin/env bash
# test/example/run.sh: the worked example (app.sql), driven the way an API
# drives a database: every request is a transaction of its own on a
# connection of the API's role, authenticated by jwt_registry_authenticate
# with the request's bearer token (which also switches to the token's
# role, and, with jwt.require_session, refuses a token whose session has
# ended); then the PostgREST way, where the gateway verifies the token
# itself and hands the claims over with SET LOCAL ROLE and
# set_config('request.jwt.claims', ...).
#
# Runs against the server in PGHOST/PGPORT/PGUSER (a superuser; the test
# suite sets them) in a database of its own, jwt_example, and creates the
# example's roles (todo_*); both are dropped at the end.  Needs pgcrypto
# (Debian's postgresql-15 ships it).  Prints "ok - ..." / "not ok - ...";
# exits 1 when a check failed.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/lib.sh
source "$HERE/../lib.sh"
JWT_TEST_PREFIX="example: "
DB=jwt_example
ROLES=(todo_authenticator todo_pgrst todo_anon todo_user todo_admin todo_owner)

# Never touch a database or roles this script did not create.
role_list="$(IFS=,; echo "${ROLES[*]}")"
existing="$(psql -X -q -At -d postgres -c "
	SELECT string_agg(name, ' ') FROM (
		SELECT 'role ' || rolname FROM pg_roles WHERE rolname = ANY ('{$role_list}'::text[])
		UNION ALL
		SELECT 'database ' || datname FROM pg_database WHERE datname = '$DB') AS found(name)")"
if [ -n "$existing" ]; then
	bail "the server already has $existing; drop them, or run against another server"
fi
cleanup() {
	dropdb --if-exists "$DB" >/dev/null 2>&1 || true
	local r
	for r in "${ROLES[@]}"; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT
createdb "$DB"
if ! out="$(psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/app.sql" 2>&1)"; then
	not_ok "app.sql loads"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
ok "app.sql loads"


# psql as ROLE, a script on stdin; errors show as "ERROR:  <message>".
run() {
	local role="$1"
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d "$DB" "$@" 2>&1
}

# A request with a bearer token: authenticate, then SQL, in one transaction.
api() {
	local token="$1" sql="$2"
	run todo_authenticator -v token="$token" <<-SQL
		\\set VERBOSITY terse
		BEGIN;
		SELECT auth.jwt_registry_authenticate(:'token', audience => 'todo-api',
		                                      role_claim => 'role') AS claims \\gset
		$sql
		COMMIT;
	SQL
}

# A request without a token: sign up, log in, refresh (warnings show too).
anon() {
	run todo_authenticator <<-SQL
		\\set VERBOSITY terse
		BEGIN;
		SET LOCAL ROLE todo_anon;
		$1
		COMMIT;
	SQL
}

# A request through PostgREST: claims verified by the gateway, role from them.
pgrst() {
	local claims="$1" role="$2" sql="$3"
	run todo_pgrst -v claims="$claims" <<-SQL
		\\set VERBOSITY terse
		BEGIN;
		SET LOCAL ROLE $role;
		SELECT set_config('request.jwt.claims', :'claims', true) AS claims \\gset
		$sql
		COMMIT;
	SQL
}

super() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# expect DESCRIPTION EXPECTED-OUTPUT COMMAND...
expect() {
	local desc="$1" want="$2" got
	shift 2
	got="$("$@" || true)"
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "#   expected: $want"
		echo "#   got:      $(printf '%s' "$got" | head -n 5 | tr '\n' '|')"
	fi
}

# Sign up.
alice_id="$(anon "SELECT app.signup('alice@example.com', 'correct horse battery');" || true)"
bob_id="$(anon "SELECT app.signup('Bob@Example.com', 'hunter2 hunter2');" || true)"
root_id="$(anon "SELECT app.signup('root@example.com', 'root password');" || true)"
super "UPDATE app.users SET role = 'todo_admin' WHERE id = '$root_id'" || true
if [[ "$alice_id" =~ ^[0-9a-f-]{36}$ && "$bob_id" =~ ^[0-9a-f-]{36}$ ]]; then
	ok "users sign up"
else
	not_ok "users sign up"
fi
expect "passwords are stored as bcrypt hashes" "3" \
	super "SELECT count(*) FROM app.users WHERE password_hash LIKE '\$2a\$08\$%'"

# Log in: one call, an access token and a refresh token (and whether the
# device is new).
login() {
	anon "SELECT r->>'access_token', r->>'refresh_token', r->>'new_device' FROM app.login('$1', '$2', ${3:-NULL}) AS r;" | tr '|' ' ' || true
}
read -r at_alice rt_alice new_alice <<<"$(login alice@example.com 'correct horse battery' "'Firefox on a laptop'")"
read -r at_bob rt_bob _ <<<"$(login bob@example.com 'hunter2 hunter2')"
read -r at_root _ _ <<<"$(login root@example.com 'root password')"
expect "login returns an ES256 access token for the API, with sub, role, the session's sid and 15 minutes" \
	"ES256|$alice_id|todo_user|todo-api|t" \
	super "SELECT header->>'alg', claims->>'sub', claims->>'role', claims->>'aud',
	              claims ? 'sid' AND (claims->>'exp')::int - (claims->>'iat')::int = 900
	         FROM auth.jwt_decode('$at_alice')"
expect "the session keeps the claims, its lifetime and idle timeout" \
	"{\"aud\": \"todo-api\", \"role\": \"todo_user\", \"email\": \"alice@example.com\"}|90 days|14 days" \
	super "SELECT access_claims, session_expires_at - issued_at, idle_timeout FROM auth.refresh_tokens
	        WHERE token_hash = auth.jwt_refresh_token_hash('$rt_alice')"
sid_alice="$(super "SELECT claims->>'sid' FROM auth.jwt_decode('$at_alice')" || true)"
if [ "$new_alice" = "true" ]; then
	ok "a first login from a device says it is new"
else
	not_ok "a first login from a device says it is new"
fi
if [[ "$rt_alice" =~ ^[A-Za-z0-9_-]{43}$ ]]; then
	ok "a refresh token is opaque: 256 random bits, URL-safe"
else
	not_ok "a refresh token is opaque: 256 random bits, URL-safe"
fi
expect "login starts a session: the access token's sid is the user's one live refresh token family" "t" \
	super "SELECT (SELECT claims->>'sid' FROM auth.jwt_decode('$at_alice')) = string_agg(family_id::text, ',')
	         FROM auth.jwt_refresh_sessions('$alice_id')"
expect "a wrong password is refused" "ERROR:  invalid email or password" \
	anon "SELECT app.login('alice@example.com', 'wrong');"
expect "an unknown email gets the same answer" "ERROR:  invalid email or password" \
	anon "SELECT app.login('eve@example.com', 'correct horse battery');"

# Todos under RLS.
expect "alice adds two todos" "" \
	api "$at_alice" "INSERT INTO app.todos (title) VALUES ('buy milk'), ('write report');"
expect "bob adds one" "" \
	api "$at_bob" "INSERT INTO app.todos (title) VALUES ('fix bike');"
expect "alice sees her todos only" "buy milk,write report" \
	api "$at_alice" "SELECT string_agg(title, ',' ORDER BY id) FROM app.todos;"
expect "bob sees his todo only" "fix bike" \
	api "$at_bob" "SELECT string_agg(title, ',' ORDER BY id) FROM app.todos;"
expect "the admin role claim sees every todo" "3" \
	api "$at_root" "SELECT count(*) FROM app.todos;"
expect "a request runs as the role the token names" "todo_user|todo_authenticator" \
	api "$at_alice" "SELECT current_user, session_user;"
expect "alice cannot change bob's todo" "0" \
	api "$at_alice" "WITH u AS (UPDATE app.todos SET done = true WHERE title = 'fix bike' RETURNING 1) SELECT count(*) FROM u;"
expect "alice cannot delete bob's todo" "0" \
	api "$at_alice" "WITH d AS (DELETE FROM app.todos WHERE title = 'fix bike' RETURNING 1) SELECT count(*) FROM d;"
expect "alice cannot plant a todo on bob" "ERROR:  new row violates row-level security policy for table \"todos\"" \
	api "$at_alice" "INSERT INTO app.todos (owner_id, title) VALUES ('$bob_id', 'planted');"
expect "alice can finish her own todo" "1" \
	api "$at_alice" "WITH u AS (UPDATE app.todos SET done = true WHERE title = 'buy milk' RETURNING 1) SELECT count(*) FROM u;"

# Cheating.
expect "claims forged with set_config change nothing" "2" \
	api "$at_alice" "SELECT set_config('request.jwt.claims', '{\"sub\":\"$bob_id\",\"role\":\"todo_admin\"}', true) AS f \\gset
	SELECT count(*) FROM app.todos;"
expect "a request without a valid token is refused" "ERROR:  JSON Web Token is malformed" \
	api "not.a.token" "SELECT count(*) FROM app.todos;"
expect "a self-signed token is refused" "ERROR:  JSON Web Token names no known key" \
	api "$(super "SELECT auth.jwt_sign('{\"sub\":\"$bob_id\",\"role\":\"todo_admin\",\"aud\":\"todo-api\"}', auth.jwt_generate_key('ES256'), 'ES256', '{\"typ\":\"at+jwt\"}')")" \
	"SELECT count(*) FROM app.todos;"
expect "an expired token is refused" "ERROR:  JSON Web Token has expired" \
	api "$(super "SELECT auth.jwt_registry_sign('{\"sub\":\"$alice_id\",\"role\":\"todo_user\",\"aud\":\"todo-api\"}', 'ES256', '{\"typ\":\"at+jwt\"}', expires_in => '-1 minute')")" \
	"SELECT count(*) FROM app.todos;"
expect "a token for another audience is refused" "ERROR:  JSON Web Token audience does not match" \
	api "$(super "SELECT auth.jwt_registry_sign('{\"sub\":\"$alice_id\",\"role\":\"todo_user\",\"aud\":\"billing\"}', 'ES256', '{\"typ\":\"at+jwt\"}', expires_in => '1 minute')")" \
	"SELECT count(*) FROM app.todos;"
expect "a token naming a role the API may not become is refused" "ERROR:  JSON Web Token names a role the session may not assume" \
	api "$(super "SELECT auth.jwt_registry_sign('{\"sub\":\"$alice_id\",\"sid\":\"$sid_alice\",\"role\":\"todo_owner\",\"aud\":\"todo-api\"}', 'ES256', expires_in => '1 minute')")" \
	"SELECT count(*) FROM app.todos;"
expect "the functions that mint tokens are not for clients" "ERROR:  permission denied for function jwt_refresh_login" \
	anon "SELECT auth.jwt_refresh_login('$bob_id');"
expect "nor for a signed-in user, for another subject" "ERROR:  permission denied for function jwt_refresh_login" \
	api "$at_alice" "SELECT auth.jwt_refresh_login('$bob_id');"
expect "a token the registry signed outside a session is refused" "ERROR:  JSON Web Token names no live session" \
	api "$(super "SELECT auth.jwt_registry_sign('{\"sub\":\"$alice_id\",\"role\":\"todo_user\",\"aud\":\"todo-api\"}', 'ES256', expires_in => '1 minute')")" \
	"SELECT count(*) FROM app.todos;"
expect "so is one naming another user's session" "ERROR:  JSON Web Token names no live session" \
	api "$(super "SELECT auth.jwt_registry_sign('{\"sub\":\"$bob_id\",\"sid\":\"$sid_alice\",\"role\":\"todo_user\",\"aud\":\"todo-api\"}', 'ES256', expires_in => '1 minute')")" \
	"SELECT count(*) FROM app.todos;"
expect "nor is starting a refresh token session" "ERROR:  permission denied for function jwt_refresh_issue" \
	api "$at_alice" "SELECT auth.jwt_refresh_issue('$bob_id');"
expect "nor is rotating one other than through app.refresh" "ERROR:  permission denied for function jwt_refresh_rotate" \
	anon "SELECT status FROM auth.jwt_refresh_rotate('$rt_bob');"
expect "nor is the refresh token table" "ERROR:  permission denied for table refresh_tokens" \
	api "$at_alice" "SELECT count(*) FROM auth.refresh_tokens;"
expect "the application's owner holds EXECUTE on just the extension functions it calls" \
	"auth.jwt_refresh_login(text,text,text,jsonb,interval,interval,interval,interval,integer,inet,text,jsonb)
auth.jwt_refresh_revoke_family(uuid,text)
auth.jwt_refresh_revoke_subject(text,text)
auth.jwt_refresh_rotate(text,text,text,jsonb,interval,interval,interval,inet,text)
auth.jwt_refresh_sessions(text)
auth.jwt_revoke_subject(text,timestamp with time zone,timestamp with time zone,text)" \
	super "SELECT p.oid::regprocedure FROM pg_proc p, aclexplode(p.proacl) a
	        WHERE p.pronamespace = 'auth'::regnamespace AND a.grantee = 'todo_owner'::regrole
	          AND a.privilege_type = 'EXECUTE' ORDER BY p.oid::regprocedure::text"
expect "a refresh token is not an access token" "ERROR:  JSON Web Token is malformed" \
	api "$rt_alice" "SELECT count(*) FROM app.todos;"
expect "without a token there is no access to todos" "ERROR:  permission denied for table todos" \
	anon "SELECT count(*) FROM app.todos;"
expect "RESET ROLE inside a request gains nothing" "ERROR:  permission denied for schema app at character 22" \
	api "$at_alice" "RESET ROLE; SELECT count(*) FROM app.todos;"

# Refresh: rotation, retries, reuse detection.
refresh() {
	anon "SELECT r->>'access_token', r->>'refresh_token' FROM app.refresh($1) AS r;" | tr '|' ' ' || true
}
# (asking for a grace window of an hour, which no client gets)
read -r at_alice2 rt_alice2 <<<"$(refresh "'$rt_alice', grace => '1 hour'")"
expect "a refresh gives a working access token" "2" \
	api "$at_alice2" "SELECT count(*) FROM app.todos;"
expect "of the same session, with the claims it keeps (none passed again)" "t" \
	super "SELECT a.claims->>'sid' = b.claims->>'sid' AND a.claims - 'exp' - 'iat' = b.claims - 'exp' - 'iat'
	         FROM auth.jwt_decode('$at_alice') a, auth.jwt_decode('$at_alice2') b"
if [[ "$rt_alice2" =~ ^[A-Za-z0-9_-]{43}$ && "$rt_alice2" != "$rt_alice" ]]; then
	ok "a refresh rotates the refresh token: a new one"
else
	not_ok "a refresh rotates the refresh token: a new one"
fi
expect "a client asking for a grace window over 10 seconds gets 10 seconds" "t" \
	super "SELECT retry_until - created_at = interval '10 seconds' FROM auth.refresh_tokens
	        WHERE token_hash = auth.jwt_refresh_token_hash('$rt_alice2')"
expect "a retry of the rotated token within the grace window gets the same successor" "${rt_alice2:-(none)}" \
	anon "SELECT r->>'refresh_token' FROM app.refresh('$rt_alice') AS r;"
expect "an access token is not a refresh token" "invalid" \
	anon "SELECT app.refresh('$at_alice')->>'error';"
# A second session of alice's (her phone), whose client asks for strict
# single use: no grace window.
read -r at_phone rt_phone new_phone <<<"$(login alice@example.com 'correct horse battery' "'Safari on a phone'")"
read -r at_phone2 rt_phone2 <<<"$(refresh "'$rt_phone', grace => '0'")"
if [ "$new_phone" = "true" ]; then
	ok "a login from another device says it is new"
else
	not_ok "a login from another device says it is new"
fi
expect "your devices: alice's two sessions, newest first, this one marked" \
	"Safari on a phone|t
Firefox on a laptop|f" \
	api "$at_phone2" "SELECT user_agent, this_one FROM app.my_devices();"
expect "bob's devices do not show alice's" "0" \
	api "$at_bob" "SELECT count(*) FROM app.my_devices() WHERE user_agent IS NOT NULL;"
if [[ "$rt_phone2" =~ ^[A-Za-z0-9_-]{43}$ && "$rt_phone2" != "$rt_phone" ]]; then
	ok "a refresh without a grace window rotates too"
else
	not_ok "a refresh without a grace window rotates too"
fi
expect "a rotated token presented again outside its grace window is a reuse, with a WARNING" \
	"WARNING:  refresh token reuse detected
reused" \
	anon "SELECT app.refresh('$rt_phone')->>'error';"
expect "a reuse revokes the session: its newest token stops working too" "revoked" \
	anon "SELECT app.refresh('$rt_phone2')->>'error';"
expect "and its access tokens at once" "ERROR:  JSON Web Token session has been revoked" \
	api "$at_phone2" "SELECT count(*) FROM app.todos;"
expect "and only that session: alice's first one is still live" "t" \
	super "SELECT string_agg(family_id::text, ',') = (SELECT claims->>'sid' FROM auth.jwt_decode('$at_alice2'))
	         FROM auth.jwt_refresh_sessions('$alice_id')"

# Logout ends the session.
expect "logout" "" \
	api "$at_alice2" "SELECT app.logout();"
expect "after logout the access token is refused at once" "ERROR:  JSON Web Token session has been revoked" \
	api "$at_alice2" "SELECT count(*) FROM app.todos;"
expect "after logout the session's refresh token is refused: revoked, HTTP 401 the PostgREST way" "revoked|401" \
	anon "SELECT app.refresh('$rt_alice2')->>'error' AS error \\gset
	SELECT :'error', current_setting('response.status', true);"
expect "alice has no live session left" "0" \
	super "SELECT count(*) FROM auth.jwt_refresh_sessions('$alice_id')"
expect "and so is every earlier access token of the session" "ERROR:  JSON Web Token session has been revoked" \
	api "$at_alice" "SELECT count(*) FROM app.todos;"
read -r at_alice3 _ new_alice3 <<<"$(login alice@example.com 'correct horse battery' "'Firefox on a laptop'")"
if [ "$new_alice3" = "false" ]; then
	ok "signing in again from a known device is not new"
else
	not_ok "signing in again from a known device is not new"
fi

# Deactivating a user revokes every token already issued to them.
read -r _ rt_bob_laptop _ <<<"$(login bob@example.com 'hunter2 hunter2')"
expect "a user may not deactivate users" "ERROR:  permission denied for function deactivate_user" \
	api "$at_alice3" "SELECT app.deactivate_user('$bob_id');"
expect "bob's token works before deactivation" "1" \
	api "$at_bob" "SELECT count(*) FROM app.todos;"
expect "bob has two live sessions before deactivation" "2" \
	super "SELECT count(*) FROM auth.jwt_refresh_sessions('$bob_id')"
expect "the admin deactivates bob" "" \
	api "$at_root" "SELECT app.deactivate_user('$bob_id');"
expect "bob's access token is refused at once" "ERROR:  JSON Web Token has been revoked" \
	api "$at_bob" "SELECT count(*) FROM app.todos;"
expect "bob can no longer log in" "ERROR:  invalid email or password" \
	anon "SELECT app.login('bob@example.com', 'hunter2 hunter2');"
expect "every session of bob's has ended" "0" \
	super "SELECT count(*) FROM auth.jwt_refresh_sessions('$bob_id')"
expect "bob's refresh token is dead" "revoked" \
	anon "SELECT app.refresh('$rt_bob')->>'error';"
expect "and so is his other session's" "revoked" \
	anon "SELECT app.refresh('$rt_bob_laptop')->>'error';"
# A user made inactive other than by app.deactivate_user cannot refresh
# either: the rotation finds no active user and ends the session.
carol_id="$(anon "SELECT app.signup('carol@example.com', 'carol password');" || true)"
read -r _ rt_carol _ <<<"$(login carol@example.com 'carol password')"
super "UPDATE app.users SET active = false WHERE id = '$carol_id'" || true
expect "a user made inactive by hand cannot refresh" "revoked" \
	anon "SELECT app.refresh('$rt_carol')->>'error';"
expect "and the session is ended, not just refused" "0" \
	super "SELECT count(*) FROM auth.jwt_refresh_sessions('$carol_id')"

# The PostgREST way: the gateway verifies the token with the published
# JWKS, then SET LOCAL ROLE and set_config('request.jwt.claims', ...).
jwks="$(super "SELECT auth.jwt_jwks()" || true)"
gateway_claims() {
	super "SELECT auth.jwt_verify('$1', '$jwks'::jsonb, audience => 'todo-api')"
}
claims_alice="$(gateway_claims "$at_alice3" || true)"
claims_root="$(gateway_claims "$at_root" || true)"
expect "PostgREST way: alice sees her todos only" "buy milk,write report" \
	pgrst "$claims_alice" todo_user "SELECT string_agg(title, ',' ORDER BY id) FROM app.todos;"
expect "PostgREST way: the admin sees every todo" "3" \
	pgrst "$claims_root" todo_admin "SELECT count(*) FROM app.todos;"
expect "PostgREST way: writes are checked by the same policies" "ERROR:  new row violates row-level security policy for table \"todos\"" \
	pgrst "$claims_alice" todo_user "INSERT INTO app.todos (owner_id, title) VALUES ('$bob_id', 'planted');"
expect "PostgREST way: no claims, no rows" "0" \
	pgrst "" todo_user "SELECT count(*) FROM app.todos;"
expect "PostgREST way: the authenticator's sessions read request.jwt.claims" "request.jwt.claims" \
	run todo_pgrst -c "SHOW jwt.claims_source"

exit "$failed"
