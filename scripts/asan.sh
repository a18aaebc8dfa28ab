#!/usr/bin/env bash
# scripts/asan.sh: the pg_regress and interop suites (and a short SQL
# mutation fuzzing run) against the extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer.  Ends with "N passed, N failed"; exits 1 when
# anything failed or any sanitizer report was written.
#
#   bash scripts/asan.sh          # about 2 minutes
#
# Nothing is installed into the system: the script copies the PostgreSQL
# installation that PG_CONFIG names into a temporary directory (its
# binaries find their lib and share directories relative to themselves),
# builds the extension there with gcc -fsanitize=address,undefined, and
# starts a throwaway server from that copy with the sanitizer runtimes
# preloaded (LD_PRELOAD; the server binary itself is not instrumented, so
# only the extension's memory accesses are checked, with every malloc of
# the process, OpenSSL's included, under ASan's allocator).  Sanitizer
# reports go to files, which the script prints.
#
# Environment: PG_CONFIG, JWT_ASAN_FUZZ_SECONDS (default 20; 0 skips it).
# Needs the packages of scripts/test.sh plus gcc's sanitizer runtimes
# (libasan8, libubsan1: dependencies of gcc-12).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

WORK="$(mktemp -d)"
# shellcheck disable=SC2016 # expanded when the hook runs
jwt_at_exit 'rm -rf "$WORK"'
chmod 755 "$WORK"

jwt_ensure_deps python3-jwt python3-jwcrypto libasan8 libubsan1
pgc="$(jwt_pg_config)"
bindir="$("$pgc" --bindir)"
sharedir="$("$pgc" --sharedir)"
pgroot="$(dirname "$bindir")"

# 1. A private copy of the PostgreSQL installation.
prefix="$WORK/pg"
mkdir -p "$prefix$(dirname "$pgroot")" "$prefix$(dirname "$sharedir")"
cp -a "$pgroot" "$prefix$pgroot"
[ -d "$prefix$sharedir" ] || cp -a "$sharedir" "$prefix$sharedir"
pbin="$prefix$bindir"

# 2. The extension built with the sanitizers, installed into the copy.
build="$WORK/build"
mkdir -p "$build"
mkdir -p "$build/src"
cp -r Makefile jwt.control jwt--*.sql sql expected "$build/"
cp src/*.c src/*.h "$build/src/"
sanflags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if ! { make -C "$build" -j2 PG_CONFIG="$pgc" JWT_CFLAGS="$JWT_DEFAULT_CFLAGS $sanflags" &&
	make -C "$build" install PG_CONFIG="$pgc" DESTDIR="$prefix" with_llvm=no; } >"$WORK/build.log" 2>&1; then
	tail -n 30 "$WORK/build.log"
	fail "asan: build with $sanflags"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi
pass "asan: build with $sanflags"
gcc -shared -fPIC -o "$WORK/asan_stub.so" scripts/asan_stub.c

# 3. A throwaway server from the copy, the runtimes preloaded.
mkdir -p "$WORK/reports"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$WORK"; fi
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data="$WORK/data"
run_pg "$pbin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log"; jwt_die "initdb failed"; }
port="$(_jwt_free_port)"
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $port
fsync = off
EOF
preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $WORK/asan_stub.so"
# detect_leaks=0: the server keeps its memory until exit by design; leaks
# are the business of test/memory, test/soak and scripts/valgrind.sh.
asan_opts="detect_leaks=0:allocator_may_return_null=1:log_path=$WORK/reports/asan"
ubsan_opts="print_stacktrace=1:log_path=$WORK/reports/ubsan"
stop_server() {
	run_pg "$pbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}
jwt_at_exit stop_server
if ! run_pg env LD_PRELOAD="$preload" ASAN_OPTIONS="$asan_opts" UBSAN_OPTIONS="$ubsan_opts" \
	"$pbin/pg_ctl" -D "$data" -l "$WORK/server.log" -w -t 120 start >/dev/null; then
	tail -n 30 "$WORK/server.log"
	jwt_die "the server did not start"
fi
export PGHOST="$WORK" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
if psql -XAtq -c "LOAD 'jwt'" && grep -q libasan "/proc/$(head -n 1 "$data/postmaster.pid")/maps"; then
	pass "asan: the server runs with the ASan runtime and loads the instrumented jwt.so"
else
	fail "asan: the server runs with the ASan runtime and loads the instrumented jwt.so"
fi

# 4. pg_regress.
rc=0
make -C "$build" installcheck PG_CONFIG="$pgc" \
	EXTRA_REGRESS_OPTS="--host=$PGHOST --port=$PGPORT --user=$PGUSER" >"$WORK/regress.log" 2>&1 || rc=$?
while read -r status name; do
	if [ "$status" = ok ]; then pass "asan/regress/$name"; else fail "asan/regress/$name"; fi
done < <(sed -nE 's/^(test +| +)?([^ ]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\3 \2/p' "$WORK/regress.log")
if [ "$rc" -ne 0 ]; then
	[ -f "$build/regression.diffs" ] && head -n 60 "$build/regression.diffs"
	grep -q 'ok\|FAILED' "$WORK/regress.log" || { tail -n 20 "$WORK/regress.log"; fail "asan/regress: make installcheck"; }
fi

# 5. The interop suite, and a short SQL mutation fuzzing run.
psql -XAtq -c 'CREATE DATABASE jwt_test' && psql -XAtq -d jwt_test -c 'CREATE EXTENSION jwt'
export PGDATABASE=jwt_test
suite() {
	local name="$1" dir="$2" rc=0
	shift 2
	(cd "$dir" && "$@") >"$WORK/$name.log" 2>&1 || rc=$?
	grep -E '^(ok|not ok)' "$WORK/$name.log" | sed -E "s/^(ok|not ok) - /\1 - asan\/$name: /" || true
	PASSED=$((PASSED + $(grep -c '^ok' "$WORK/$name.log" || true)))
	FAILED=$((FAILED + $(grep -c '^not ok' "$WORK/$name.log" || true)))
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$WORK/$name.log"; then
		tail -n 20 "$WORK/$name.log"
		fail "asan/$name: run.sh exited with $rc"
	fi
}
suite interop test/interop ./run.sh
if [ "${JWT_ASAN_FUZZ_SECONDS:-20}" -gt 0 ]; then
	suite fuzz-sql test/fuzz ./sql_fuzz.sh "${JWT_ASAN_FUZZ_SECONDS:-20}"
fi

# 6. Sanitizer reports and crashes.
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
