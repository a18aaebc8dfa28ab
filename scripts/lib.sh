# shellcheck shell=bash
# scripts/lib.sh: shared helpers for demo.sh and test.sh (source it, bash).
#
#   jwt_ensure_deps [extra debian packages...]   install what is missing
#   jwt_build_install                            make clean, make, make install
#   jwt_cluster_start / jwt_cluster_stop         throwaway PostgreSQL server
#   jwt_at_exit COMMAND                          run COMMAND when the script ends
#   jwt_pg_config                                print the pg_config to use
#   jwt_as_postgres CMD...                       run CMD as the postgres user
#                                                when we are root
#   jwt_initdb / jwt_server_conf                 a cluster's data directory
#
# The helpers own the EXIT, INT and TERM traps: add your own cleanup with
# jwt_at_exit rather than with trap. One cluster per script.
#
# Environment: PG_CONFIG (default: PostgreSQL 15's pg_config), JWT_CFLAGS
# (compiler flags, default JWT_DEFAULT_CFLAGS), JWT_CLUSTER_CONF (extra
# postgresql.conf lines, e.g. shared_preload_libraries = 'jwt').

JWT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JWT_BASE_PACKAGES=(libssl-dev make gcc)
# Debian's PostgreSQL 15, unless PG_CONFIG names another installation
if [ -z "${PG_CONFIG:-}" ]; then
	JWT_BASE_PACKAGES=(postgresql-15 postgresql-server-dev-15 "${JWT_BASE_PACKAGES[@]}")
fi
JWT_DEFAULT_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare"
JWT_EXIT_HOOKS=()

# PG_CONFIG if set; else PostgreSQL 15's own (Debian's /usr/bin/pg_config
# follows the newest installed server-dev package).
jwt_pg_config() {
	if [ -n "${PG_CONFIG:-}" ]; then
		echo "$PG_CONFIG"
	elif [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
		echo /usr/lib/postgresql/15/bin/pg_config
	else
		echo pg_config
	fi
}

jwt_log() { printf '%s\n' "$*"; }
jwt_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else via passwordless sudo.
jwt_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 125
	fi
}

jwt_can_be_root() {
	[ "$(id -u)" -eq 0 ] ||
		{ command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

# Cleanup stack: hooks run in reverse order on EXIT, INT and TERM.
jwt_at_exit() {
	JWT_EXIT_HOOKS+=("$1")
	trap '_jwt_run_exit_hooks' EXIT
	trap '_jwt_run_exit_hooks; trap - EXIT; exit 130' INT
	trap '_jwt_run_exit_hooks; trap - EXIT; exit 143' TERM
}

_jwt_run_exit_hooks() {
	local i
	for ((i = ${#JWT_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${JWT_EXIT_HOOKS[$i]}" || true
	done
	JWT_EXIT_HOOKS=()
}

# For a script of checks: counters of the "ok - " / "not ok - " lines that
# pass and fail print, and WORK, a temporary directory the postgres user
# can read, removed at exit.
jwt_checks_begin() {
	PASSED=0
	FAILED=0
	WORK="$(mktemp -d)"
	# shellcheck disable=SC2016 # expanded when the hook runs
	jwt_at_exit 'rm -rf "$WORK"'
	chmod 755 "$WORK"
}
pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# Install the Debian packages that are missing (base set plus arguments).
jwt_ensure_deps() {
	local pkg missing=() logf
	for pkg in "${JWT_BASE_PACKAGES[@]}" "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$pkg")
		fi
	done
	[ "${#missing[@]}" -eq 0 ] && return 0

	if ! jwt_can_be_root; then
		printf 'error: missing Debian packages: %s\n' "${missing[*]}" >&2
		printf 'Install them as root: apt-get install %s\n' "${missing[*]}" >&2
		exit 1
	fi
	jwt_log "installing: ${missing[*]}"
	logf="$(mktemp)"
	if ! { jwt_as_root apt-get update -qq &&
		jwt_as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$logf" 2>&1; then
		cat "$logf" >&2
		rm -f "$logf"
		printf 'error: could not install: %s\n' "${missing[*]}" >&2
		exit 1
	fi
	rm -f "$logf"
}

# Build with warnings as errors, then install into PG_CONFIG's PostgreSQL.
# Prints the build log on failure and returns non-zero.
jwt_build_install() {
	local cflags="${JWT_CFLAGS-$JWT_DEFAULT_CFLAGS}"
	local pgc logf rc=0
	pgc="$(jwt_pg_config)"
	logf="$(mktemp)"
	# from clean: make would keep objects built with other flags or
	# against another PostgreSQL major (PG_CONFIG)
	(cd "$JWT_ROOT" && make clean PG_CONFIG="$pgc" &&
		make -j2 PG_CONFIG="$pgc" JWT_CFLAGS="$cflags") >"$logf" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		(cd "$JWT_ROOT" && jwt_as_root make install PG_CONFIG="$pgc" JWT_CFLAGS="$cflags") >>"$logf" 2>&1 || rc=$?
		if [ "$rc" -eq 125 ]; then
			echo "make install needs root or passwordless sudo" >>"$logf"
		fi
	fi
	if [ "$rc" -ne 0 ]; then
		cat "$logf" >&2
		rm -f "$logf"
		return 1
	fi
	rm -f "$logf"
}

# Run a command (a PostgreSQL server binary: initdb, pg_ctl and postgres
# refuse to run as root) as the postgres user when we are root.  The current
# directory must be one the postgres user may enter.
jwt_as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# jwt_initdb BINDIR DATADIR [INITDB ARGS...]: initdb a cluster in DATADIR
# (its parent directory must exist; it is given to the postgres user when we
# are root) with the binaries in BINDIR: trust authentication, superuser
# postgres, locale C, encoding UTF8 unless the arguments give another
# (-E ENC).  initdb's output goes to initdb.log next to DATADIR; on failure
# its tail is printed as "#" lines and the status is non-zero.
jwt_initdb() {
	local bindir="$1" data="$2" parent
	shift 2
	parent="$(dirname "$data")"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$parent"; fi
	if ! (cd "$parent" && jwt_as_postgres "$bindir/initdb" -D "$data" -A trust -U postgres \
		-E UTF8 --locale=C "$@") >"$parent/initdb.log" 2>&1; then
		sed 's/^/# /' "$parent/initdb.log" | tail -n 20
		return 1
	fi
}

# jwt_server_conf DATADIR SOCKDIR PORT [LINE...]: a server of DATADIR is
# reachable only through a Unix socket in SOCKDIR (PORT names the socket),
# runs without fsync, and has the postgresql.conf lines LINE.
jwt_server_conf() {
	local data="$1" sockdir="$2" port="$3"
	shift 3
	{
		echo "# added by jwt_server_conf (scripts/lib.sh)"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$sockdir'"
		echo "port = $port"
		echo "fsync = off"
		if [ "$#" -gt 0 ]; then printf '%s\n' "$@"; fi
	} >>"$data/postgresql.conf"
}

# Print a TCP port that nothing listens on.
_jwt_free_port() {
	local port tries=0
	while [ "$tries" -lt 100 ]; do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
		tries=$((tries + 1))
	done
	return 1
}

# Start a throwaway server in a temp dir, reachable only via a Unix socket
# there, and export PGHOST/PGPORT/PGUSER/PGDATABASE (and put its bindir
# first in PATH). It is stopped and removed when the calling script exits.
jwt_cluster_start() {
	local bindir port data
	bindir="$("$(jwt_pg_config)" --bindir)"
	JWT_CLUSTER_DIR="$(mktemp -d)"
	JWT_CLUSTER_BINDIR="$bindir"
	export JWT_CLUSTER_DIR
	jwt_at_exit jwt_cluster_stop
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$JWT_CLUSTER_DIR"
	fi
	data="$JWT_CLUSTER_DIR/data"
	JWT_CLUSTER_LOG="$JWT_CLUSTER_DIR/server.log"

	if ! jwt_initdb "$bindir" "$data" >&2; then
		echo "error: initdb failed" >&2
		return 1
	fi
	port="$(_jwt_free_port)" || { echo "error: no free port" >&2; return 1; }
	if [ -n "${JWT_CLUSTER_CONF:-}" ]; then
		jwt_server_conf "$data" "$JWT_CLUSTER_DIR" "$port" "$JWT_CLUSTER_CONF"
	else
		jwt_server_conf "$data" "$JWT_CLUSTER_DIR" "$port"
	fi

	if ! (cd "$JWT_CLUSTER_DIR" && jwt_as_postgres "$bindir/pg_ctl" -D "$data" -l "$JWT_CLUSTER_LOG" \
		-w -t 60 start) >/dev/null 2>&1; then
		echo "error: the server did not start; log tail:" >&2
		tail -n 30 "$JWT_CLUSTER_LOG" >&2 || true
		return 1
	fi
	export PGHOST="$JWT_CLUSTER_DIR" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
	# The matching psql first, ahead of Debian's version-picking wrapper.
	export PATH="$bindir:$PATH"
}

# Stop the throwaway server and delete its directory (safe to call twice).
jwt_cluster_stop() {
	[ -n "${JWT_CLUSTER_DIR:-}" ] && [ -d "$JWT_CLUSTER_DIR" ] || return 0
	if [ -f "$JWT_CLUSTER_DIR/data/postmaster.pid" ]; then
		(cd "$JWT_CLUSTER_DIR" && jwt_as_postgres "$JWT_CLUSTER_BINDIR/pg_ctl" -D "$JWT_CLUSTER_DIR/data" \
			-m fast -w -t 30 stop) >/dev/null 2>&1 ||
			(cd "$JWT_CLUSTER_DIR" && jwt_as_postgres "$JWT_CLUSTER_BINDIR/pg_ctl" -D "$JWT_CLUSTER_DIR/data" \
				-m immediate -w stop) >/dev/null 2>&1 || true
	fi
	rm -rf "$JWT_CLUSTER_DIR"
	JWT_CLUSTER_DIR=""
}

# Print the server log tail when the server crashed or hit an assertion.
jwt_cluster_crash_report() {
	[ -n "${JWT_CLUSTER_LOG:-}" ] && [ -f "$JWT_CLUSTER_LOG" ] || return 0
	if grep -qE 'terminated by signal|PANIC|TRAP:' "$JWT_CLUSTER_LOG"; then
		echo "--- server log tail (a backend crashed) ---"
		tail -n 40 "$JWT_CLUSTER_LOG"
	fi
}

# jwt_regress_results LOG: one "ok NAME" or "not-ok NAME" line per test that
# pg_regress or pg_isolation_regress reported in LOG, in either format:
#   15:       "test NAME ... ok   12 ms", "     NAME ... FAILED   40 ms"
#             (in a parallel group), "NAME ... failed (ignored)"
#   16 on:    "ok 1         - NAME   12 ms", "not ok 2     + NAME   40 ms"
#             (TAP; "+" marks a test of a parallel group)
jwt_regress_results() {
	sed -nE \
		-e 's/^(test +| +)?([^ ]+) +\.\.\. +ok( .*)?$/ok \2/p' \
		-e 's/^(test +| +)?([^ ]+) +\.\.\. +(FAILED|failed \(ignored\)).*/not-ok \2/p' \
		-e 's/^ok +[0-9]+ +[-+] +([^ ]+).*/ok \1/p' \
		-e 's/^not ok +[0-9]+ +[-+] +([^ ]+).*/not-ok \1/p' \
		"$1"
}

# jwt_regress_tests DIR: the names of the tests "make installcheck" runs in
# DIR (REGRESS and ISOLATION of its Makefile), one per line.
jwt_regress_tests() {
	# shellcheck disable=SC2016 # make expands them
	make -s --no-print-directory -C "$1" -f Makefile \
		-f <(printf 'jwt-print-tests:\n\t@echo $(REGRESS) $(ISOLATION)\n') \
		PG_CONFIG="$(jwt_pg_config)" jwt-print-tests | tr ' ' '\n' | sed '/^$/d'
}

# --- private installations for scripts/asan.sh and scripts/valgrind.sh -------

# jwt_private_install DIR CFLAGS: copy the PostgreSQL installation that
# PG_CONFIG names under DIR (its binaries find their lib and share
# directories relative to themselves), then build the extension from a copy
# of the sources with CFLAGS added and install it there. Nothing outside DIR
# is written. Sets JWT_PRIV_BINDIR (the copy's bindir) and JWT_PRIV_BUILD
# (the build directory, where "make installcheck" runs pg_regress).
jwt_private_install() {
	local dir="$1" cflags="$2" pgc bindir sharedir pgroot
	pgc="$(jwt_pg_config)"
	bindir="$("$pgc" --bindir)"
	sharedir="$("$pgc" --sharedir)"
	pgroot="$(dirname "$bindir")"
	mkdir -p "$dir/pg$(dirname "$pgroot")" "$dir/pg$(dirname "$sharedir")" "$dir/build/src"
	cp -a "$pgroot" "$dir/pg$pgroot"
	[ -d "$dir/pg$sharedir" ] || cp -a "$sharedir" "$dir/pg$sharedir"
	JWT_PRIV_BINDIR="$dir/pg$bindir"
	JWT_PRIV_BUILD="$dir/build"
	# sources only: copied objects would pass for up to date
	cp -r "$JWT_ROOT"/{Makefile,jwt.control,sql,expected} "$JWT_ROOT"/jwt--*.sql "$JWT_PRIV_BUILD/"
	cp "$JWT_ROOT"/src/*.[ch] "$JWT_PRIV_BUILD/src/"
	# the isolation specs, for "make installcheck"
	mkdir -p "$JWT_PRIV_BUILD/test"
	cp -r "$JWT_ROOT"/test/{specs,expected} "$JWT_PRIV_BUILD/test/"
	# an install script built in the source tree is not a source: make it again
	{ make -C "$JWT_PRIV_BUILD" clean PG_CONFIG="$pgc" &&
		make -C "$JWT_PRIV_BUILD" -j2 PG_CONFIG="$pgc" JWT_CFLAGS="$JWT_DEFAULT_CFLAGS $cflags" &&
		make -C "$JWT_PRIV_BUILD" install PG_CONFIG="$pgc" DESTDIR="$dir/pg" with_llvm=no; } \
		>"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; return 1; }
}

# jwt_private_initdb DATADIR: initdb with the private copy, for a server on
# a Unix socket in SOCKDIR (second argument) only, with EXTRA settings
# (third argument, postgresql.conf lines). Sets JWT_PRIV_PORT.
jwt_private_initdb() {
	local data="$1" sockdir="$2" extra="${3:-}"
	jwt_initdb "$JWT_PRIV_BINDIR" "$data" >&2 || return 1
	JWT_PRIV_PORT="$(_jwt_free_port)"
	jwt_server_conf "$data" "$sockdir" "$JWT_PRIV_PORT" "$extra"
}

# jwt_check_suites TAG WORKDIR: against the server PGHOST/PGPORT/PGUSER
# name, run pg_regress (in JWT_PRIV_BUILD), then create the database
# jwt_test and run test/interop (JWT_CHECK_INTEROP=0 skips it) and
# JWT_CHECK_FUZZ_SECONDS (default 20, 0 skips) of test/fuzz/sql_fuzz.sh. Prints "ok - TAG/..." lines and calls
# the caller's pass and fail functions for each.
jwt_check_suites() {
	local tag="$1" work="$2" rc=0 status name
	# TAP_TESTS=: the TAP tests start servers of their own, not the
	# instrumented one (and the build directory has no test/t)
	make -C "$JWT_PRIV_BUILD" installcheck PG_CONFIG="$(jwt_pg_config)" TAP_TESTS= \
		EXTRA_REGRESS_OPTS="--host=$PGHOST --port=$PGPORT --user=$PGUSER" >"$work/regress.log" 2>&1 || rc=$?
	while read -r status name; do
		if [ "$status" = ok ]; then pass "$tag/regress/$name"; else fail "$tag/regress/$name"; fi
	done < <(jwt_regress_results "$work/regress.log")
	if [ "$rc" -ne 0 ]; then
		if [ -f "$JWT_PRIV_BUILD/regression.diffs" ]; then head -n 60 "$JWT_PRIV_BUILD/regression.diffs"; fi
		grep -q '^not-ok ' < <(jwt_regress_results "$work/regress.log") || { tail -n 20 "$work/regress.log"; fail "$tag/regress: make installcheck"; }
	fi
	psql -XAtq -d postgres -c 'CREATE DATABASE jwt_test' && psql -XAtq -d jwt_test -c 'CREATE EXTENSION jwt'
	if [ "${JWT_CHECK_INTEROP:-1}" = 1 ]; then
		PGDATABASE=jwt_test _jwt_check_suite "$tag" "$work" interop "$JWT_ROOT/test/interop" ./run.sh
	fi
	if [ "${JWT_CHECK_FUZZ_SECONDS:-20}" -gt 0 ]; then
		PGDATABASE=jwt_test _jwt_check_suite "$tag" "$work" fuzz-sql "$JWT_ROOT/test/fuzz" \
			./sql_fuzz.sh "${JWT_CHECK_FUZZ_SECONDS:-20}"
	fi
}

_jwt_check_suite() {
	local tag="$1" work="$2" name="$3" dir="$4" rc=0 line
	shift 4
	(cd "$dir" && "$@") >"$work/$name.log" 2>&1 || rc=$?
	while IFS= read -r line; do
		case "$line" in
			"ok - "*) pass "$tag/$name: ${line#ok - }" ;;
			"not ok - "*) fail "$tag/$name: ${line#not ok - }" ;;
		esac
	done <"$work/$name.log"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$work/$name.log"; then
		tail -n 20 "$work/$name.log"
		fail "$tag/$name: run.sh exited with $rc"
	fi
}
