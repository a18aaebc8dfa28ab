#!/usr/bin/env bash
# scripts/valgrind.sh: the pg_regress and interop suites (and a short SQL
# mutation fuzzing run) with every backend under valgrind's memcheck.
# Ends with "N passed, N failed"; exits 1 when anything failed or memcheck
# reported an error or a definite leak in the extension.
#
#   bash scripts/valgrind.sh      # 10 to 20 minutes: memcheck is slow
#
# The extension (built normally, -O2 -g) is installed into a private copy
# of the PostgreSQL installation (jwt_private_install in lib.sh); the
# postmaster of a throwaway server from that copy runs under valgrind, and
# so does every process it forks.  Each process writes its own log.
#
# What is checked: Debian's server is not built with USE_VALGRIND, so
# memcheck cannot see palloc chunks inside their blocks; it does see
# invalid reads and writes of malloc'd memory (OpenSSL's objects), the
# stack, and uses of uninitialised values, and, at each backend's exit,
# blocks nothing points to any more.  The server's own reports are not
# ours to judge, so a report counts when a frame of its stack (or of its
# allocation stack) is in the extension: errors of any kind, and leaks
# "definitely lost" (an OpenSSL object dropped on an error path would be
# one: the key cache holds the others, which stay reachable).
# scripts/valgrind.supp silences known reports of the server's own.
#
# Environment: PG_CONFIG, JWT_CHECK_FUZZ_SECONDS (default 60: memcheck
# runs about 30 times slower), JWT_VALGRIND_KEEP=1 keeps the logs in
# ./valgrind-logs/.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

jwt_checks_begin

jwt_ensure_deps python3-jwt python3-jwcrypto valgrind
if ! jwt_private_install "$WORK" ""; then
	fail "valgrind: build"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi
pass "valgrind: build and install into a private copy of PostgreSQL"
mkdir -p "$WORK/vg"
cp scripts/valgrind.supp "$WORK/"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$WORK"; fi

# Fewer processes under valgrind: no autovacuum, parallel workers or JIT.
data="$WORK/data"
jwt_private_initdb "$data" "$WORK" "autovacuum = off
max_parallel_workers_per_gather = 0
jit = off
max_connections = 20" || jwt_die "initdb failed"
jwt_as_postgres valgrind --quiet --trace-children=yes --num-callers=40 \
	--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--suppressions="$WORK/valgrind.supp" --gen-suppressions=all \
	--log-file="$WORK/vg/%p.log" \
	"$JWT_PRIV_BINDIR/postgres" -D "$data" >"$WORK/server.log" 2>&1 &
pm=$!
stop_server() {
	jwt_as_postgres "$JWT_PRIV_BINDIR/pg_ctl" -D "$data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
	wait "$pm" 2>/dev/null || true
}
jwt_at_exit stop_server
export PGHOST="$WORK" PGPORT="$JWT_PRIV_PORT" PGUSER=postgres PGDATABASE=postgres
for _ in $(seq 1 120); do
	if "$JWT_PRIV_BINDIR/pg_isready" -q; then break; fi
	sleep 1
done
if psql -XAtq -c "LOAD 'jwt'" >/dev/null; then
	pass "valgrind: the server runs under memcheck"
else
	tail -n 30 "$WORK/server.log"
	fail "valgrind: the server runs under memcheck"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi

JWT_CHECK_FUZZ_SECONDS="${JWT_CHECK_FUZZ_SECONDS:-60}" jwt_check_suites valgrind "$WORK"

# Every process exits (and reports its leaks) before the logs are read.
stop_server

# Split the logs into reports ("==pid== " lines up to a blank one) and keep
# those with a frame in the extension.
# (every src/*.c: a list written out here missed the files added later)
# The extension's ProcessUtility hook (jwt_copy_utility) is on the stack of
# every utility statement, PostgreSQL's own reports included (a SET's GUC
# string, CREATE DATABASE's relmap write): its frame counts only when the
# frame it called is not standard_ProcessUtility, the statement it passes on.
srcs=(src/*.c)
srcs=("${srcs[@]#src/}")
ours="jwt\\.so|\\(($(IFS='|'; echo "${srcs[*]%.c}"))\\.c:"
awk -v ours="$ours" '
	FNR == 1 { flush() }
	/^==[0-9]+== *$/ { flush(); next }
	/^==[0-9]+== / { passed = ($0 ~ /jwt_copy_utility \(/ && prev ~ /standard_ProcessUtility/); buf = buf $0 "\n"; if ($0 ~ ours && !passed) mine = 1; if ($0 ~ /(Invalid|uninitialised|Conditional jump|definitely lost|Mismatched|overlap|Syscall param)/) kind = 1; prev = $0; next }
	{ flush() }
	function flush() { if (buf != "" && mine && kind) { print buf; n++ } buf = ""; mine = 0; kind = 0 }
	END { flush(); exit n > 0 }
' "$WORK"/vg/*.log >"$WORK/ours.txt" && status=0 || status=$?
nlogs="$(find "$WORK/vg" -name '*.log' | wc -l)"
nerrors="$(cat "$WORK"/vg/*.log | grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination overlap|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' || true)"
echo "# memcheck: $nlogs processes, $nerrors reports in all (the server's own included), $(grep -c '^==' "$WORK/ours.txt" || true) lines of them with a frame in the extension"
if [ "$status" -eq 0 ]; then
	pass "valgrind: no memcheck error or definite leak with a frame in the extension"
else
	fail "valgrind: no memcheck error or definite leak with a frame in the extension"
	head -n 150 "$WORK/ours.txt"
fi
if grep -qE 'terminated by signal|PANIC' "$WORK/server.log"; then
	fail "valgrind: no backend crashed"
	grep -E 'terminated by signal|PANIC' "$WORK/server.log" | head -n 10
else
	pass "valgrind: no backend crashed"
fi
if [ "${JWT_VALGRIND_KEEP:-}" = 1 ]; then
	rm -rf valgrind-logs
	cp -r "$WORK/vg" valgrind-logs
	echo "# logs kept in valgrind-logs/"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
