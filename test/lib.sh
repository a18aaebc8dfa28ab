# shellcheck shell=bash
# test/lib.sh: helpers shared by the test/*/run.sh suites (source it, bash).
#
#   ok MSG / not_ok MSG      print "ok - MSG" / "not ok - MSG" (not_ok sets
#                            failed=1, which a suite returns as its status)
#   jwt_test_pg_config       the pg_config to use: PG_CONFIG, else
#                            PostgreSQL 15's, else the one on PATH
#   as_pg CMD...             run CMD as the postgres user when we are root
#                            (initdb and postgres refuse to run as root)

failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

jwt_test_pg_config() {
	if [ -n "${PG_CONFIG:-}" ]; then
		echo "$PG_CONFIG"
	elif [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
		echo /usr/lib/postgresql/15/bin/pg_config
	else
		echo pg_config
	fi
}

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# jwt_test_server_start DIR [CONF...]: initdb a cluster in DIR/data with the
# binaries of jwt_test_pg_config and start it, reachable only through a Unix
# socket in DIR, with the postgresql.conf lines CONF added; export
# PGHOST/PGPORT/PGUSER/PGDATABASE for it.  Stopped (and DIR removed) by
# jwt_test_server_stop, which the caller's EXIT trap should call.  Returns
# non-zero (after printing the log's tail as "#" lines) when it fails.
# Sets JWT_TEST_BINDIR and JWT_TEST_LOG (the server log).
jwt_test_server_start() {
	local dir="$1" line
	shift
	JWT_TEST_SERVER_DIR="$dir"
	mkdir -p "$dir"
	JWT_TEST_BINDIR="$("$(jwt_test_pg_config)" --bindir)"
	JWT_TEST_LOG="$dir/server.log"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
	if ! (cd "$dir" && as_pg "$JWT_TEST_BINDIR/initdb" -D "$dir/data" -A trust -U postgres \
		-E UTF8 --locale=C) >"$dir/initdb.log" 2>&1; then
		sed 's/^/# /' "$dir/initdb.log" | tail -n 10
		return 1
	fi
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = 5432"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	if ! (cd "$dir" && as_pg "$JWT_TEST_BINDIR/pg_ctl" -D "$dir/data" -l "$JWT_TEST_LOG" -w -t 60 start) >/dev/null 2>&1; then
		tail -n 20 "$JWT_TEST_LOG" 2>/dev/null | sed 's/^/# /'
		return 1
	fi
	export PGHOST="$dir" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

jwt_test_server_stop() {
	[ -n "${JWT_TEST_SERVER_DIR:-}" ] && [ -d "$JWT_TEST_SERVER_DIR" ] || return 0
	if [ -f "$JWT_TEST_SERVER_DIR/data/postmaster.pid" ]; then
		(cd "$JWT_TEST_SERVER_DIR" && as_pg "$JWT_TEST_BINDIR/pg_ctl" -D "$JWT_TEST_SERVER_DIR/data" \
			-m fast -w -t 30 stop) >/dev/null 2>&1 || true
	fi
	rm -rf "$JWT_TEST_SERVER_DIR"
}
