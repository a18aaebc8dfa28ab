#!/usr/bin/env bash
# scripts/asan.sh: the pg_regress and interop suites (and a short SQL
# mutation fuzzing run) against the extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer.  Ends with "N passed, N failed"; exits 1 when
# anything failed or any sanitizer report was written.
#
#   bash scripts/asan.sh          # about a minute
#
# Nothing is installed into the system: the extension is built with
# gcc -fsanitize=address,undefined into a private copy of the PostgreSQL
# installation (jwt_private_install in lib.sh), and a throwaway server is
# started from that copy with the sanitizer runtimes preloaded (LD_PRELOAD).
# The server itself is not instrumented: ASan checks the extension's own
# accesses to the stack, globals and malloc'd memory (OpenSSL's objects
# included, every malloc of the process being ASan's), and palloc'd memory
# only at the end of an allocation block.  Sanitizer reports go to files
# that the script prints.
#
# Environment: PG_CONFIG, JWT_CHECK_FUZZ_SECONDS (default 20; 0 skips the
# fuzzing run).  Needs the packages of scripts/test.sh plus gcc's sanitizer
# runtimes (libasan8, libubsan1).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

jwt_checks_begin

jwt_ensure_deps python3-jwt python3-jwcrypto libasan8 libubsan1
sanflags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if ! jwt_private_install "$WORK" "$sanflags"; then
	fail "asan: build with $sanflags"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi
pass "asan: build with $sanflags"
gcc -shared -fPIC -o "$WORK/asan_stub.so" scripts/asan_stub.c
mkdir -p "$WORK/reports"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$WORK"; fi

# A throwaway server from the copy, the runtimes preloaded.  detect_leaks=0:
# a server keeps its memory until exit by design; leaks are the business of
# test/memory, test/soak and scripts/valgrind.sh.
data="$WORK/data"
jwt_private_initdb "$data" "$WORK" "jit = off" || jwt_die "initdb failed"
stop_server() {
	jwt_as_postgres "$JWT_PRIV_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}
jwt_at_exit stop_server
if ! jwt_as_postgres env \
	LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $WORK/asan_stub.so" \
	ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:log_path=$WORK/reports/asan" \
	UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/reports/ubsan" \
	"$JWT_PRIV_BINDIR/pg_ctl" -D "$data" -l "$WORK/server.log" -w -t 120 start >/dev/null; then
	tail -n 30 "$WORK/server.log"
	jwt_die "the server did not start"
fi
export PGHOST="$WORK" PGPORT="$JWT_PRIV_PORT" PGUSER=postgres PGDATABASE=postgres
backend="$(psql -XAtq -c "LOAD 'jwt'; SELECT pg_backend_pid()" 2>/dev/null || true)"
if [ -n "$backend" ] && grep -q libasan "/proc/$(head -n 1 "$data/postmaster.pid")/maps" &&
	grep -q __asan_report < <(nm -D "$("$JWT_PRIV_BINDIR/pg_config" --pkglibdir)/jwt.so"); then
	pass "asan: the server runs with the ASan runtime and loads the instrumented jwt.so"
else
	fail "asan: the server runs with the ASan runtime and loads the instrumented jwt.so"
fi

jwt_check_suites asan "$WORK"

# Sanitizer reports and crashes.
stop_server
reports=("$WORK"/reports/*)
if [ -e "${reports[0]}" ]; then
	fail "asan: no AddressSanitizer or UBSan report"
	for r in "${reports[@]}"; do
		echo "--- $(basename "$r") ---"
		head -n 60 "$r"
	done
else
	pass "asan: no AddressSanitizer or UBSan report"
fi
if grep -qE 'terminated by signal|was terminated|PANIC|runtime error|AddressSanitizer' "$WORK/server.log"; then
	fail "asan: no backend crashed"
	grep -E 'terminated by signal|was terminated|PANIC|runtime error|AddressSanitizer' "$WORK/server.log" | head -n 20
else
	pass "asan: no backend crashed"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
