# shellcheck shell=bash
# test/lib.sh: helpers shared by the test/*/run.sh suites (source it, bash).
#
#   ok MSG / not_ok MSG      print "ok - MSG" / "not ok - MSG" (not_ok sets
#                            failed=1, which a suite returns as its status);
#                            JWT_TEST_PREFIX (e.g. "upgrade: ") goes before
#                            MSG, for suites that name themselves that way
#   check_eq MSG GOT WANT    ok MSG when GOT is WANT and not empty, else
#                            not_ok MSG with both as "#" lines
#   skip MSG                 print "# skip: MSG": a check that cannot run
#                            here (neither passes nor fails)
#   bail MSG [DETAIL...]     not_ok MSG, the DETAIL lines as "#" lines, exit 1
#   jwt_test_bindir          the binaries to test (see below)
#   jwt_test_server_start / jwt_test_server_stop
#                            a throwaway server (see below)
#
# It sources scripts/lib.sh, the test command's library, for what both
# need: jwt_pg_config (the pg_config to use), jwt_as_postgres (run a server
# binary as the postgres user when we are root), jwt_initdb and
# jwt_server_conf (a cluster's data directory).

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# shellcheck disable=SC2034 # the suites exit with it
failed=0
JWT_TEST_PREFIX="${JWT_TEST_PREFIX:-}"
ok() { echo "ok - $JWT_TEST_PREFIX$*"; }
not_ok() { echo "not ok - $JWT_TEST_PREFIX$*"; failed=1; }
skip() { echo "# skip: $JWT_TEST_PREFIX$*"; }
bail() {
	local l
	not_ok "$1"
	shift
	for l in "$@"; do echo "# $l"; done
	exit 1
}
check_eq() {
	if [ "$2" = "$3" ] && [ -n "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$3" "$2" | cut -c 1-400
	fi
}

# jwt_test_bindir: the binaries of the installation to test: JWT_PG_BINDIR,
# else jwt_pg_config's bindir.
jwt_test_bindir() {
	if [ -n "${JWT_PG_BINDIR:-}" ]; then
		echo "$JWT_PG_BINDIR"
	else
		"$(jwt_pg_config)" --bindir
	fi
}

# jwt_test_server_start DIR [CONF...]: initdb a cluster in DIR/data with the
# binaries of jwt_test_bindir and start it, reachable only through a Unix
# socket in DIR, with the postgresql.conf lines CONF added; export
# PGHOST/PGPORT/PGUSER/PGDATABASE for it.  Stopped (and DIR removed) by
# jwt_test_server_stop, which the caller's EXIT trap should call.  Returns
# non-zero (after printing the log's tail as "#" lines) when it fails.
# Sets JWT_TEST_BINDIR and JWT_TEST_LOG (the server log).
jwt_test_server_start() {
	local dir="$1"
	shift
	JWT_TEST_SERVER_DIR="$dir"
	mkdir -p "$dir"
	JWT_TEST_BINDIR="$(jwt_test_bindir)"
	JWT_TEST_LOG="$dir/server.log"
	jwt_initdb "$JWT_TEST_BINDIR" "$dir/data" || return 1
	jwt_server_conf "$dir/data" "$dir" 5432 "$@"
	if ! (cd "$dir" && jwt_as_postgres "$JWT_TEST_BINDIR/pg_ctl" -D "$dir/data" -l "$JWT_TEST_LOG" -w -t 60 start) >/dev/null 2>&1; then
		tail -n 20 "$JWT_TEST_LOG" 2>/dev/null | sed 's/^/# /'
		return 1
	fi
	export PGHOST="$dir" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

jwt_test_server_stop() {
	[ -n "${JWT_TEST_SERVER_DIR:-}" ] && [ -d "$JWT_TEST_SERVER_DIR" ] || return 0
	if [ -f "$JWT_TEST_SERVER_DIR/data/postmaster.pid" ]; then
		(cd "$JWT_TEST_SERVER_DIR" && jwt_as_postgres "$JWT_TEST_BINDIR/pg_ctl" -D "$JWT_TEST_SERVER_DIR/data" \
			-m fast -w -t 30 stop) >/dev/null 2>&1 || true
	fi
	rm -rf "$JWT_TEST_SERVER_DIR"
}
