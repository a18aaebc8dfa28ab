#!/usr/bin/env bash
# test/standby/run.sh: the extension on a hot standby.
#
# Starts its own primary and a streaming standby (pg_basebackup -R) on
# Unix sockets in a temporary directory, from the binaries of the server
# in PGHOST (its pg_config view's BINDIR; PG_CONFIG or pg_config on PATH
# when that cannot be read), which must have the extension installed.  On
# the standby, verification and reads work, and rotating, issuing or
# revoking a refresh token fails with 25006 and a hint to run it on the
# primary; the primary's rotations replicate.
#
# As root, the servers run as the postgres OS user (PostgreSQL refuses to
# run as root), as scripts/lib.sh does.
set -euo pipefail

failed=0
check() { # description, command...
	local desc="$1"
	shift
	if "$@"; then echo "ok - standby: $desc"; else echo "not ok - standby: $desc"; failed=1; fi
}

bindir="$(psql -X -At -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'" 2>/dev/null || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	bindir="$("${PG_CONFIG:-pg_config}" --bindir)"
fi
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_basebackup" ]; then
	echo "not ok - standby: no initdb and pg_basebackup in $bindir"
	exit 1
fi

WORK="$(mktemp -d)"
PRIMARY="$WORK/primary"
STANDBY="$WORK/standby"
as_server() { # run a server binary, as postgres when we are root
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$WORK" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
cleanup() {
	local d
	for d in "$STANDBY" "$PRIMARY"; do
		if [ -f "$d/postmaster.pid" ]; then
			as_server "$bindir/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$WORK"
fi

# Two ports nothing listens on (they only name the socket files here).
port_p=$((20000 + RANDOM % 20000))
port_s=$((port_p + 1))
P() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$port_p" -U postgres -d postgres "$@"; }
S() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$port_s" -U postgres -d postgres "$@"; }
# stderr of a statement expected to fail, with its SQLSTATE
S_err() { "$bindir/psql" -X -q -At -v VERBOSITY=verbose -h "$WORK" -p "$port_s" -U postgres -d postgres -c "$1" 2>&1 >/dev/null || true; }

as_server "$bindir/initdb" -D "$PRIMARY" -A trust -U postgres -E UTF8 --locale=C -N >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log"; echo "not ok - standby: initdb failed"; exit 1; }
cat >>"$PRIMARY/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $port_p
fsync = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
EOF
as_server "$bindir/pg_ctl" -D "$PRIMARY" -l "$WORK/primary.log" -w -t 60 start >/dev/null ||
	{ tail -n 20 "$WORK/primary.log"; echo "not ok - standby: the primary did not start"; exit 1; }

# On the primary: a registry key, a login, one rotation.
KEY='a secret of at least 32 bytes for HS256!'
P -c "CREATE EXTENSION jwt" -c "SELECT jwt_registry_rotate('ES256')" >/dev/null
IFS='|' read -r t0 family < <(P -c "SELECT refresh_token, family_id FROM jwt_refresh_issue('alice', '1 day', '192.0.2.1', 'phone')")
IFS='|' read -r st t1 access < <(P -c "SELECT status, refresh_token, access_token FROM jwt_refresh_rotate('$t0', '$KEY')")
check "a rotation on the primary" test "$st" = rotated
registry_token="$(P -c "SELECT jwt_registry_sign('{\"sub\":\"alice\"}', 'ES256', expires_in => '1 hour')")"

# The standby.
as_server "$bindir/pg_basebackup" -D "$STANDBY" -R -X stream -c fast -h "$WORK" -p "$port_p" -U postgres \
	>"$WORK/basebackup.log" 2>&1 ||
	{ cat "$WORK/basebackup.log"; echo "not ok - standby: pg_basebackup failed"; exit 1; }
echo "port = $port_s" >>"$STANDBY/postgresql.conf"
as_server "$bindir/pg_ctl" -D "$STANDBY" -l "$WORK/standby.log" -w -t 60 start >/dev/null ||
	{ tail -n 20 "$WORK/standby.log"; echo "not ok - standby: the standby did not start"; exit 1; }

# Wait until the standby has replayed everything the primary wrote.
replayed() {
	local lsn i
	lsn="$(P -c "SELECT pg_current_wal_lsn()")"
	for i in $(seq 1 100); do
		if [ "$(S -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# The WAL receiver may still be starting when pg_ctl start returns.
streaming() {
	local i
	for i in $(seq 1 100); do
		if [ "$(S -c "SELECT pg_is_in_recovery() AND status = 'streaming' FROM pg_stat_wal_receiver")" = t ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

check "the standby streams from the primary and is in recovery" streaming
check "the standby has replayed the primary's writes" replayed
check "the refresh tokens replicated (2 rows, 1 live)" \
	test "$(S -c "SELECT count(*) || ',' || count(*) FILTER (WHERE used_at IS NULL) FROM refresh_tokens")" = "2,1"
check "jwt_verify works on the standby (the access token of the rotation)" \
	test "$(S -c "SELECT jwt_verify('$access', '$KEY')->>'sid'")" = "$family"
check "jwt_registry_verify works on the standby" \
	test "$(S -c "SELECT jwt_registry_verify('$registry_token')->>'sub'")" = alice
check "reads work on the standby: sessions and session_active" \
	test "$(S -c "SELECT client_ip || ' ' || user_agent || ' ' || jwt_refresh_session_active(family_id) FROM jwt_refresh_sessions('alice')")" = "192.0.2.1/32 phone true"

err="$(S_err "SELECT * FROM jwt_refresh_rotate('$t1', '$KEY')")"
check "a rotation on the standby fails with 25006" grep -q "ERROR:  25006: refresh tokens cannot be rotated on a hot standby" <<<"$err"
check "... with a hint to run it on the primary" grep -q "HINT:  Run the rotation on the primary server." <<<"$err"
check "issuing on the standby fails with 25006" \
	grep -q "ERROR:  25006: refresh tokens cannot be issued on a hot standby" <<<"$(S_err "SELECT * FROM jwt_refresh_issue('bob')")"
check "revoking on the standby fails with 25006" \
	grep -q "ERROR:  25006: refresh tokens cannot be revoked on a hot standby" <<<"$(S_err "SELECT jwt_refresh_revoke('$t1')")"
check "the refused rotation left the token live" \
	test "$(S -c "SELECT used_at IS NULL FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$t1')")" = t

# The same token rotates on the primary, and the standby follows.
IFS='|' read -r st t2 access2 < <(P -c "SELECT status, refresh_token, access_token FROM jwt_refresh_rotate('$t1', '$KEY')")
check "the token rotates on the primary" test "$st" = rotated
check "the standby replays the rotation" replayed
check "the standby sees the used token and its successor" \
	test "$(S -c "SELECT string_agg(generation || ':' || (used_at IS NOT NULL), ',' ORDER BY generation) FROM refresh_tokens")" = "0:true,1:true,2:false"
check "the standby holds the new token's hash and verifies the new access token" \
	test "$(S -c "SELECT count(*) FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$t2') AND used_at IS NULL")/$(S -c "SELECT jwt_verify('$access2', '$KEY')->>'sub'")" = 1/alice

exit "$failed"
