#!/usr/bin/env bash
# test/fuzz/run.sh: fuzz the code that parses and verifies tokens and keys.
#
#   test/fuzz/run.sh                       smoke run, part of the test suite (< 60 s)
#   test/fuzz/run.sh --long [SECONDS]      every target for SECONDS (default 1800),
#                                          the corpus kept in build/corpus/
#   test/fuzz/run.sh --repro TARGET FILE   run one input (a crash artifact) again
#
# Part 1, coverage-guided (libFuzzer, with AddressSanitizer and UBSan; see
# fuzz_backend.c and build.sh):
#   b64url                build/fuzz_b64url, src/base64url.c alone;
#   json token signed key the in-backend targets: build/jwt_fuzz.so loaded by
#                         a single-user backend (postgres --single) of a
#                         throwaway cluster, the ASan runtime preloaded.
# Each starts from its seed corpus (corpus/<target>/, made by make_seeds.sh)
# and the key ring keys.json (test-only keys). A crash, a sanitizer report, a
# failed check, a leak or an input slower than the timeout stops the target
# with "not ok"; the input is saved in build/crashes/ with the command that
# reproduces it.
#
# Part 2, mutation fuzzing through SQL (when PGHOST/PGPORT/PGUSER/PGDATABASE
# name a database with the extension, as in scripts/test.sh): batches of
# mutated tokens and keys (seeds: tokens signed with every algorithm, keys as
# PEM, JWK, JWK Set and secret) through jwt_validate, jwt_verify and
# jwt_decode of the installed, uninstrumented extension; after each batch
# the same backend must still answer (a backend crash ends every session).
#
# Environment: JWT_FUZZ_SECONDS (per in-backend target, smoke default 7),
# JWT_FUZZ_ENCODING (of the fuzzing cluster, default UTF8; LATIN1 fuzzes the
# conversion of token strings to a database encoding that lacks characters),
# JWT_FUZZ_TARGETS (default "b64url json token signed key"),
# JWT_FUZZ_SQL_SECONDS (default 8; 0 skips part 2), JWT_FUZZ_JOBS (targets run
# at a time, default 2), CLANG, PG_CONFIG.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=smoke
seconds="${JWT_FUZZ_SECONDS:-7}"
case "${1:-}" in
	--long)
		mode=long
		seconds="${2:-1800}"
		;;
	--repro)
		mode=repro
		repro_target="${2:?--repro TARGET FILE}"
		repro_file="$(cd "$(dirname "${3:?--repro TARGET FILE}")" && pwd)/$(basename "$3")"
		;;
	"") ;;
	*)
		echo "usage: $0 [--long [SECONDS] | --repro TARGET FILE]" >&2
		exit 2
		;;
esac
targets="${JWT_FUZZ_TARGETS:-b64url json token signed key}"
sql_seconds="${JWT_FUZZ_SQL_SECONDS:-8}"
[ "$mode" = long ] && sql_seconds="${JWT_FUZZ_SQL_SECONDS:-$((seconds / 4))}"
jobs="${JWT_FUZZ_JOBS:-2}"
# shellcheck source=test/lib.sh
source "$here/../lib.sh"
PG_CONFIG="$(jwt_pg_config)"
export PG_CONFIG
bindir="$(jwt_test_bindir)"
CLANG="${CLANG:-clang-14}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# --- build ------------------------------------------------------------------
if ! buildlog="$("$here/build.sh" 2>&1)"; then
	not_ok "fuzz: build the libFuzzer targets (clang-14, libclang-rt-14-dev)"
	printf '%s\n' "$buildlog" | grep -v warning | tail -n 20 | sed 's/^/# /'
	exit 1
fi
cp "$here/build/jwt_fuzz.so" "$here/build/fuzz_b64url" "$here/keys.json" "$here/jwt.dict" "$tmp/"
cp -r "$here/corpus" "$tmp/seeds"
gcc -shared -fPIC -o "$tmp/asan_stub.so" "$here/../../scripts/asan_stub.c"
# The server's own allocations that live until exit are not the extension's.
printf 'leak:save_ps_display_args\n' >"$tmp/lsan.supp"
asan_rt="$("$CLANG" -print-runtime-dir)/libclang_rt.asan-x86_64.so"
asan_env=(LD_PRELOAD="$asan_rt $tmp/asan_stub.so"
	ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:abort_on_error=0"
	LSAN_OPTIONS="suppressions=$tmp/lsan.supp"
	UBSAN_OPTIONS="print_stacktrace=1")
mkdir -p "$tmp/art" "$tmp/corpus"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$tmp"

# A cluster for the single-user backends: the C functions of the extension,
# declared on the instrumented library, and the driver.
so="$tmp/jwt_fuzz.so"
setup_sql() {
	local f v="text[],text,text,text,text,text[],interval,interval,timestamptz,text[]"
	for f in text bytea jsonb; do
		echo "CREATE FUNCTION jwt_validate(text, $f, $v, OUT valid boolean, OUT reason text, OUT header jsonb, OUT claims jsonb) RETURNS record AS '$so', 'jwt_validate_$f' LANGUAGE C STABLE;"
		echo "CREATE FUNCTION jwt_verify(text, $f, $v) RETURNS jsonb AS '$so', 'jwt_verify_$f' LANGUAGE C STABLE;"
		echo "CREATE FUNCTION jwt_sign(jsonb, $f, text, jsonb, interval, interval) RETURNS text AS '$so', 'jwt_sign_$f' LANGUAGE C VOLATILE;"
	done
	echo "CREATE FUNCTION jwt_decode(text, OUT header jsonb, OUT claims jsonb, OUT signature bytea) RETURNS record AS '$so', 'jwt_decode' LANGUAGE C IMMUTABLE STRICT;"
	echo "CREATE FUNCTION jwt_public_jwk(text) RETURNS jsonb AS '$so', 'jwt_public_jwk_text' LANGUAGE C IMMUTABLE STRICT;"
	echo "CREATE FUNCTION jwt_public_jwk(jsonb) RETURNS jsonb AS '$so', 'jwt_public_jwk_jsonb' LANGUAGE C IMMUTABLE STRICT;"
	echo "CREATE FUNCTION jwt_fuzz(text, jsonb, text[]) RETURNS int AS '$so', 'jwt_fuzz' LANGUAGE C STRICT;"
}
if [[ " $targets " =~ \ (json|token|signed|key)\  ]] || [ "$mode" = repro ]; then
	if ! jwt_initdb "$bindir" "$tmp/data0" -E "${JWT_FUZZ_ENCODING:-UTF8}"; then
		bail "fuzz: initdb of the fuzzing cluster"
	fi
	setup_sql | jwt_as_postgres env "${asan_env[@]}" ASAN_OPTIONS=detect_leaks=0 "$bindir/postgres" --single -D "$tmp/data0" -F -c log_min_messages=warning postgres >"$tmp/setup.log" 2>&1
	if grep -q ERROR "$tmp/setup.log"; then
		not_ok "fuzz: declare the functions in the fuzzing cluster"
		grep ERROR "$tmp/setup.log" | head -n 5 | sed 's/^/# /'
		exit 1
	fi
fi

# libFuzzer options per target
max_len() {
	case "$1" in
		key) echo 16384 ;;
		*) echo 4096 ;;
	esac
}

# run_target TARGET SECONDS [INPUT]: fuzz one target (or run one input);
# output in $tmp/TARGET.log, status in $tmp/TARGET.rc.
run_target() {
	local t="$1" secs="$2" input="${3:-}" data="$tmp/data-$1" args rc=0
	local -a flags=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=4096
		-max_len="$(max_len "$t")" -dict="$tmp/jwt.dict" -artifact_prefix="$tmp/art/$t-"
		-print_final_stats=1)
	if [ -n "$input" ]; then
		flags=(-timeout=60 "$input")
	else
		mkdir -p "$tmp/corpus/$t"
		flags+=("$tmp/corpus/$t" "$tmp/seeds/$t")
	fi
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$tmp/corpus"
	if [ "$t" = b64url ]; then
		# ASan is linked into this binary: no preload
		env UBSAN_OPTIONS=print_stacktrace=1 "$tmp/fuzz_b64url" "${flags[@]}" >"$tmp/$t.log" 2>&1 || rc=$?
		echo "$rc" >"$tmp/$t.rc"
		return
	fi
	cp -a "$tmp/data0" "$data"
	args="$(printf "'%s'," "${flags[@]}")"
	echo "SELECT jwt_fuzz('$t', pg_read_file('$tmp/keys.json')::jsonb, ARRAY[${args%,}]);" |
		jwt_as_postgres env "${asan_env[@]}" "$bindir/postgres" --single -D "$data" -F \
			-c log_min_messages=warning postgres >"$tmp/$t.log" 2>&1 || rc=$?
	rm -rf "$data"
	echo "$rc" >"$tmp/$t.rc"
}

# Report one target: "Done N runs" and exit status 0, or the crash.
report_target() {
	local t="$1" rc runs secs art dest
	rc="$(cat "$tmp/$t.rc")"
	runs="$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' "$tmp/$t.log" | tail -n 1)"
	secs="$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p' "$tmp/$t.log" | tail -n 1)"
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		TOTAL_RUNS=$((TOTAL_RUNS + runs))
		ok "fuzz/$t: $runs inputs in ${secs}s, no crash, leak or failed check" \
			"(coverage $(grep -oE 'cov: [0-9]+' "$tmp/$t.log" | tail -n 1 | cut -d' ' -f2 || true) edges)"
		return
	fi
	not_ok "fuzz/$t: no crash, leak or failed check (exit status $rc)"
	grep -E 'CHECK FAILED|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error|SUMMARY|deadly signal|timeout|out-of-memory|^    #[0-9] ' \
		"$tmp/$t.log" | head -n 30 | sed 's/^/# /' || true
	mkdir -p "$here/build/crashes"
	for art in "$tmp/art/$t-"*; do
		[ -f "$art" ] || continue
		dest="$here/build/crashes/$(basename "$art")"
		cp "$art" "$dest"
		echo "# input saved: $dest"
		echo "# reproduce:   test/fuzz/run.sh --repro $t $dest"
	done
	echo "# full log: the last lines follow"
	tail -n 15 "$tmp/$t.log" | sed 's/^/# /'
}

if [ "$mode" = repro ]; then
	cp "$repro_file" "$tmp/art/input"
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$tmp/art"
	run_target "$repro_target" 0 "$tmp/art/input"
	cat "$tmp/$repro_target.log"
	exit "$(cat "$tmp/$repro_target.rc")"
fi

# --- part 1: libFuzzer ------------------------------------------------------
if [ "$mode" = long ]; then
	for t in $targets; do
		if [ -d "$here/build/corpus/$t" ]; then
			mkdir -p "$tmp/corpus/$t"
			cp -r "$here/build/corpus/$t/." "$tmp/corpus/$t/"
		fi
	done
fi
TOTAL_RUNS=0
pending=()
for t in $targets; do
	if [ "$t" = b64url ]; then
		run_target b64url "$(((seconds + 2) / 3))" &
	else
		run_target "$t" "$seconds" &
	fi
	pending+=("$t")
	if [ "${#pending[@]}" -ge "$jobs" ]; then
		wait
		for p in "${pending[@]}"; do report_target "$p"; done
		pending=()
	fi
done
wait
for p in "${pending[@]}"; do report_target "$p"; done
echo "# libFuzzer: $TOTAL_RUNS inputs executed in total"
if [ "$mode" = long ]; then
	mkdir -p "$here/build/corpus"
	cp -r "$tmp/corpus/." "$here/build/corpus/"
	echo "# corpus kept in $here/build/corpus"
fi

# --- part 2: mutation fuzzing through SQL -------------------------------------
if [ "$sql_seconds" -gt 0 ]; then
	if [ -z "${PGHOST:-}" ] || ! psql -XAtq -c "SELECT 1 FROM pg_extension WHERE extname = 'jwt'" 2>/dev/null | grep -q 1; then
		skip "fuzz/sql needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension"
	else
		"$here/sql_fuzz.sh" "$sql_seconds" || failed=1
	fi
fi

exit "$failed"
