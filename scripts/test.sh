#!/usr/bin/env bash
# scripts/test.sh: build with warnings as errors, start a throwaway server,
# run pg_regress, the isolation specs, the TAP tests in test/t and every
# test/*/run.sh suite, then print
# "N passed, N failed" as the last line. Exits 1 when anything failed.
#
# Environment: PG_CONFIG, JWT_CFLAGS, JWT_CLUSTER_CONF (see scripts/lib.sh),
# JWT_SUITE_TIMEOUT (seconds per suite, default 1200).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

jwt_checks_begin

summary() {
	if [ "$FAILED" -gt 0 ]; then
		jwt_cluster_crash_report
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# Debian packages; node and npm only when they are not already on PATH.
setup_deps() {
	# clang-14 and its runtimes (libFuzzer, ASan) build test/fuzz; valgrind
	# counts instructions for test/bounds; libipc-run-perl runs the TAP tests
	local extra=(python3-jwt python3-jwcrypto openssl clang-14 libclang-rt-14-dev valgrind libipc-run-perl)
	command -v node >/dev/null 2>&1 || extra+=(nodejs)
	command -v npm >/dev/null 2>&1 || extra+=(npm)
	(jwt_ensure_deps "${extra[@]}")
}

# pg_regress and the isolation specs through PGXS; one line per test.  Each
# test of the Makefile's REGRESS and ISOLATION lists must report a result.
# The TAP tests run apart (run_tap), as the postgres user when we are root.
run_regress() {
	local log="$WORK/regress.log" results="$WORK/regress.results" rc=0
	local n_ok n_fail n_tests diffs status name
	local opts="--host=$PGHOST --port=$PGPORT --user=$PGUSER ${EXTRA_REGRESS_OPTS:-}"
	rm -f regression.diffs regression.out output_iso/regression.diffs
	make installcheck PG_CONFIG="$(jwt_pg_config)" TAP_TESTS= \
		EXTRA_REGRESS_OPTS="$opts" >"$log" 2>&1 || rc=$?
	# either pg_regress output format (15's "test NAME ... ok", 16's TAP)
	jwt_regress_results "$log" >"$results"
	while read -r status name; do
		case "$status" in
			ok) echo "ok - regress/$name" ;;
			*) echo "not ok - regress/$name" ;;
		esac
	done <"$results"
	n_ok="$(grep -c '^ok ' "$results" || true)"
	n_fail="$(grep -c '^not-ok ' "$results" || true)"
	PASSED=$((PASSED + n_ok))
	FAILED=$((FAILED + n_fail))
	n_tests="$(jwt_regress_tests . | wc -l)"
	if [ "$((n_ok + n_fail))" -ne "$n_tests" ]; then
		fail "regress: $((n_ok + n_fail)) results in pg_regress's output for $n_tests tests"
		tail -n 30 "$log"
	elif [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		fail "regress: make installcheck exited with $rc"
		tail -n 30 "$log"
	fi
	if [ "$rc" -ne 0 ]; then
		for diffs in regression.diffs output_iso/regression.diffs; do
			if [ -f "$diffs" ]; then
				echo "--- $diffs ---"
				cat "$diffs"
			fi
		done
	fi
}

# The TAP tests (test/t/*.pl) through PGXS's installcheck, run by prove;
# each starts servers of its own.  PostgreSQL::Test::Cluster runs initdb as
# the invoking user, which PostgreSQL refuses for root, so as root they run
# as the postgres user, from a build directory it owns (the sources only
# need to be readable).  Prints prove's "ok N - ..." / "not ok N - ..." as
# "ok - tap/FILE: ...", counts them, and also counts a script that failed
# without a "not ok" line (it died, or its plan was wrong).  On failure,
# prints the scripts' diagnostics and the tail of their logs.
run_tap() {
	local dir="$WORK/tap" out="$WORK/tap.out" err="$WORK/tap.err" rc=0 n_ok n_fail
	local file name wstat failed_n regress_log
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		set -- runuser -u postgres --
	else
		set --
	fi
	# REGRESS= and ISOLATION=: only the TAP part of installcheck
	(cd "$dir" && "$@" make -f "$JWT_ROOT/Makefile" installcheck REGRESS= ISOLATION= \
		PG_CONFIG="$(jwt_pg_config)" PROVE_FLAGS=-v) </dev/null >"$out" 2>"$err" || rc=$?
	awk '
		/^test\/t\/[^ ]+\.pl \.\./ { file = $1; sub(/^test\/t\//, "", file); sub(/\.pl$/, "", file); next }
		/^(not )?ok [0-9]+/ {
			status = ($1 == "not") ? "not ok" : "ok"
			line = $0
			sub(/^(not )?ok [0-9]+( - )?/, "", line)
			print status " - tap/" file ": " line
		}' "$out"
	n_ok="$(grep -cE '^ok [0-9]+' "$out" || true)"
	n_fail="$(grep -cE '^not ok [0-9]+' "$out" || true)"
	PASSED=$((PASSED + n_ok))
	FAILED=$((FAILED + n_fail))
	# prove's summary names every script that failed, "not ok" or not:
	# "test/t/NAME.pl (Wstat: 256 (exited 1) Tests: 5 Failed: 1)"
	while read -r file wstat failed_n; do
		name="$(basename "$file" .pl)"
		if [ "$failed_n" -eq 0 ]; then
			fail "tap/$name: the script failed (wait status $wstat; see its log below)"
		fi
	done < <(sed -nE 's/^(test\/t\/[^ ]+\.pl) +\(Wstat: ([0-9]+).* Failed: ([0-9]+)\)$/\1 \2 \3/p' "$out")
	if [ "$rc" -ne 0 ] && ! grep -q '^Result: FAIL' "$out"; then
		fail "tap: make installcheck exited with $rc"
		tail -n 30 "$out"
	fi
	if [ "$rc" -ne 0 ]; then
		sed -n '/^Test Summary Report/,$p' "$out"
		if [ -s "$err" ]; then
			echo "--- diagnostics of the TAP tests ---"
			tail -n 80 "$err"
		fi
		for regress_log in "$dir"/tmp_check/log/regress_log_*; do
			[ -f "$regress_log" ] || continue
			name="${regress_log##*/regress_log_}"
			if grep -qE "^test/t/$name\.pl +\(Wstat" "$out"; then
				echo "--- tail of $name's log ---"
				tail -n 40 "$regress_log"
			fi
		done
	fi
}

# One suite, run from its own directory (the repo root holds jwt.so, which
# Python would import as the "jwt" module). Streams its "ok", "not ok" and
# "#" lines, counts them, and shows its other output when it fails.
run_suite() {
	local script="$1" dir name log rc=0 n_ok n_fail
	dir="$(dirname "$script")"
	name="$(basename "$dir")"
	log="$WORK/suite-$name.log"
	echo "== $name =="
	if [ -x "$script" ]; then
		set -- ./run.sh
	else
		echo "# $script is not executable; running it with bash"
		set -- bash run.sh
	fi
	set +e
	(cd "$dir" && timeout "${JWT_SUITE_TIMEOUT:-1200}" "$@") </dev/null 2>&1 |
		tee "$log" | grep --line-buffered -E '^(not ok|ok)([ -]|$)|^#'
	rc="${PIPESTATUS[0]}"
	set -e
	n_ok="$(grep -cE '^ok([ -]|$)' "$log" || true)"
	n_fail="$(grep -cE '^not ok([ -]|$)' "$log" || true)"
	PASSED=$((PASSED + n_ok))
	FAILED=$((FAILED + n_fail))
	if [ "$rc" -ne 0 ]; then
		if [ "$n_fail" -eq 0 ]; then
			if [ "$rc" -eq 124 ]; then
				echo "# timed out after ${JWT_SUITE_TIMEOUT:-1200}s"
			fi
			fail "$name: run.sh exited with $rc"
		fi
		if grep -qvE '^(not ok|ok)([ -]|$)|^#' "$log"; then
			echo "--- other output of $script (last 40 lines) ---"
			grep -vE '^(not ok|ok)([ -]|$)|^#' "$log" | tail -n 40
		fi
	fi
}

main() {
	local out
	echo "== setup =="
	if ! setup_deps; then
		fail "install dependencies"
		summary
		return
	fi
	if jwt_build_install; then
		pass "build and install (${JWT_CFLAGS-$JWT_DEFAULT_CFLAGS})"
	else
		fail "build and install"
		summary
		return
	fi
	if out="$(make -s check-version PG_CONFIG="$(jwt_pg_config)" 2>&1)"; then
		pass "$out"
	else
		fail "the version in jwt.control, META.json, CHANGELOG.md, the upgrade scripts and .gitignore: $out"
	fi
	if ! jwt_cluster_start; then
		fail "start a throwaway server"
		summary
		return
	fi
	if ! { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE jwt_test' &&
		psql -X -q -v ON_ERROR_STOP=1 -d jwt_test -c 'CREATE EXTENSION jwt'; }; then
		fail "create database jwt_test with the extension"
	fi

	echo "== regress =="
	run_regress

	echo "== tap =="
	run_tap

	export PGDATABASE=jwt_test JWT_ROOT
	local script
	while IFS= read -r script; do
		[ "$(basename "$(dirname "$script")")" = bench ] && continue
		run_suite "$script"
	done < <(find test -mindepth 2 -maxdepth 2 -name run.sh 2>/dev/null | LC_ALL=C sort)

	summary
}

main
