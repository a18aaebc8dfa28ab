#!/usr/bin/env bash
# test/bench/run.sh: HS256 sign/verify throughput of the jwt extension through
# SQL (one backend, set-based), next to node's fast-jwt, jsonwebtoken and jose
# (single-threaded) and a C floor doing only the OpenSSL work, with ratios.
# A benchmark, not a test: it prints figures and never asserts the targets.
#
# Usage: test/bench/run.sh [--quick] [--no-sql] [--no-node] [--no-floor]
#   --quick    N=20000 instead of 200000 (a smoke run)
# Environment:
#   PGHOST/PGPORT (+PGUSER/PGDATABASE)  use that server, which must have the
#       jwt extension installed (CREATE EXTENSION is run when needed); when
#       unset, scripts/lib.sh builds, installs and starts a throwaway server
#   JWT_BENCH_N (200000), JWT_BENCH_RUNS (3, best kept after a warm-up),
#   JWT_BENCH_SECRET (text HMAC secret, >= 32 bytes)
set -euo pipefail

DO_SQL=1 DO_NODE=1 DO_FLOOR=1
for arg in "$@"; do
	case "$arg" in
		--quick) export JWT_BENCH_N="${JWT_BENCH_N:-20000}" ;;
		--no-sql) DO_SQL=0 ;;
		--no-node) DO_NODE=0 ;;
		--no-floor) DO_FLOOR=0 ;;
		-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

RESULTS="$(mktemp)"
START=$SECONDS
cleanup_results() { rm -f "$RESULTS" "$RESULTS.sql"; }
trap cleanup_results EXIT
# scripts/lib.sh installs its own EXIT trap; chain ours into it.
bench_at_exit() {
	if declare -F jwt_at_exit >/dev/null; then
		jwt_at_exit cleanup_results
	fi
}

# ---------------------------------------------------------------- SQL
run_sql() {
	local now op label query ms script
	bench_connect
	bench_at_exit
	bench_log "== SQL: creating $BENCH_N pre-signed tokens"
	bench_sql_setup
	now="$BENCH_NOW"
	# One psql session, so every query runs in the same backend.
	script="SET max_parallel_workers_per_gather = 0; SET jit = off;"$'\n'
	while IFS=$'\t' read -r op label query; do
		script+="SELECT $(bench_quote "$op"), $(bench_quote "$label"), jwt_bench.best_ms(\$bq\$$query\$bq\$, $BENCH_RUNS, $BENCH_N);"$'\n'
	done < <(bench_queries "$now")
	bench_log "== SQL: timing $(bench_queries "$now" | wc -l) queries (warm-up + best of $BENCH_RUNS each)"
	printf '%s' "$script" | bench_psql -F $'\t' >"$RESULTS.sql" ||
		bench_die "a SQL benchmark query failed"
	while IFS=$'\t' read -r op label ms; do
		printf 'sql\t%s\t%s\t%s\t%s\n' "$label" "$op" \
			"$(awk -v n="$BENCH_N" -v ms="$ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')" "$BENCH_N" >>"$RESULTS"
		bench_log "$(printf '  sql %-45s %9.1f ms' "$label:" "$ms")"
	done <"$RESULTS.sql"

	# Interop sanity: a token signed through SQL verifies in node (fast-jwt).
	if [ "$DO_NODE" = 1 ] && [ -d "$BENCH_DIR/node_modules/fast-jwt" ]; then
		local tok
		tok="$(bench_psql -c 'SELECT tok FROM jwt_bench.toks WHERE i = 1')"
		if ! (cd "$BENCH_DIR" && TOK="$tok" node -e '
			const { createVerifier } = require("fast-jwt");
			const p = createVerifier({ key: process.env.JWT_BENCH_SECRET })(process.env.TOK);
			if (p.sub !== "user-1" || p.role !== "authenticated") process.exit(1);'); then
			bench_log "WARNING: fast-jwt did not accept a token signed by jwt_sign"
		fi
	fi
	bench_psql -c 'SET client_min_messages = warning' -c 'DROP SCHEMA jwt_bench CASCADE' >/dev/null
}

# ---------------------------------------------------------------- node
node_install() {
	local mod
	for mod in fast-jwt jsonwebtoken jose; do
		[ -f "$BENCH_DIR/node_modules/$mod/package.json" ] || break
		mod=""
	done
	if [ -n "$mod" ] || [ "$BENCH_DIR/package.json" -nt "$BENCH_DIR/node_modules" ]; then
		bench_log "== node: npm install (test/bench/node_modules)"
		(cd "$BENCH_DIR" && npm install --no-audit --no-fund --no-package-lock --silent)
		touch "$BENCH_DIR/node_modules"
	fi
}

run_node() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		bench_log "WARNING: node/npm not found: skipping the node libraries"
		return 0
	fi
	bench_log "== node $(node --version): fast-jwt, jsonwebtoken, jose, node:crypto"
	(cd "$BENCH_DIR" && node node_bench.mjs "$BENCH_N") >>"$RESULTS"
}

# ---------------------------------------------------------------- C floor
run_floor() {
	local src="$BENCH_DIR/floor/hs256_floor.c" bin="$BENCH_DIR/floor/hs256_floor"
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		bench_log "== floor: cc -O2 ... -lcrypto"
		cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$bin" "$src" -lcrypto
	fi
	bench_log "== floor: C, $(openssl version 2>/dev/null || echo OpenSSL)"
	"$bin" "$BENCH_N" >>"$RESULTS"
}

# ---------------------------------------------------------------- report
report() {
	awk -F'\t' -v n="$BENCH_N" -v runs="$BENCH_RUNS" '
	function us(o) { return o > 0 ? 1e6 / o : 0 }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-" }
	{
		src[NR] = $1; impl[NR] = $2; op[NR] = $3; ops[NR] = $4; cnt[NR] = $5
		key = $1 "|" $2 "|" $3; val[key] = $4
	}
	END {
		sqlmain["sign"] = "jwt_sign(jsonb_build_object(...), key)"
		sqlmain["verify"] = "jwt_verify(tok, key, audience => ...)"
		sqlbase["sign"] = "baseline: jsonb_build_object(...) only"
		sqlbase["verify"] = "baseline: length(tok)"
		split("sign verify", opsl, " ")
		printf "\nHS256, one backend / one thread each, best of %d after a warm-up; %d distinct tokens\n", runs, n
		for (k = 1; k <= 2; k++) {
			o = opsl[k]
			main = val["sql|" sqlmain[o] "|" o]
			printf "\n%-6s %-52s %12s %9s %10s\n", toupper(o), "implementation", "ops/s", "us/op", "SQL/this"
			for (pass = 1; pass <= 3; pass++)
				for (i = 1; i <= NR; i++) {
					if (op[i] != o) continue
					if (pass == 1 && src[i] != "sql") continue
					if (pass == 2 && src[i] != "node") continue
					if (pass == 3 && src[i] != "floor") continue
					label = (src[i] == "sql" ? "SQL   " : src[i] == "node" ? "node  " : "C     ") impl[i]
					if (src[i] == "floor") label = label (impl[i] == "best" ? " (= the floor)" : "")
					printf "       %-52s %12d %9.2f %10s\n", label, ops[i], us(ops[i]),
						((src[i] == "sql" && impl[i] == sqlmain[o]) ? "" : ratio(main, ops[i]))
				}
		}
		printf "\nRATIOS (SQL ops/s over theirs)        sign        verify\n"
		split("fast-jwt jsonwebtoken jose", libs, " ")
		for (j = 1; j <= 3; j++) {
			s = ""; v = ""
			for (key in val) {
				split(key, p, "|")
				if (p[1] == "node" && p[2] ~ ("^" libs[j] "@[0-9.]+$")) {
					if (p[3] == "sign") s = ratio(val["sql|" sqlmain["sign"] "|sign"], val[key])
					if (p[3] == "verify") v = ratio(val["sql|" sqlmain["verify"] "|verify"], val[key])
					name = p[2]
				}
			}
			if (s != "" || v != "")
				printf "  SQL / %-30s %10s %13s\n", name, s, v
		}
		fs = val["floor|best|sign"]; fv = val["floor|best|verify"]
		ss = val["sql|" sqlmain["sign"] "|sign"]; sv = val["sql|" sqlmain["verify"] "|verify"]
		bs = val["sql|" sqlbase["sign"] "|sign"]; bv = val["sql|" sqlbase["verify"] "|verify"]
		if (fs > 0 && ss > 0)
			printf "  SQL as a fraction of the C floor %13.1f%% %12.1f%%\n", 100 * ss / fs, ((fv > 0 && sv > 0) ? 100 * sv / fv : 0)
		if (ss > 0 && bs > 0 && sv > 0 && bv > 0) {
			ns = us(ss) - us(bs); nv = us(sv) - us(bv)
			printf "\nSQL per-call cost net of the baseline query: sign %.2f us (%.0f/s), verify %.2f us (%.0f/s)\n",
				ns, (ns > 0 ? 1e6 / ns : 0), nv, (nv > 0 ? 1e6 / nv : 0)
			if (fs > 0 && fv > 0)
				printf "  net, as a fraction of the C floor: sign %.1f%%, verify %.1f%%\n",
					(ns > 0 ? 100 * us(fs) / ns : 0), (nv > 0 ? 100 * us(fv) / nv : 0)
		}
		for (j = 1; j <= 2; j++) {
			o = opsl[j]; m = val["sql|" sqlmain[o] "|" o]; f = 0
			for (key in val) {
				split(key, p, "|")
				if (p[1] == "node" && p[3] == o && p[2] ~ /^fast-jwt@[0-9.]+$/) f = val[key]
			}
			if (m > 0 && f > 0)
				printf "target: SQL %s >= 2x fast-jwt: %s (%.2fx)\n", o, ((m >= 2 * f) ? "met" : "NOT met"), m / f
		}
	}' "$RESULTS"
}

bench_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
if [ "$DO_NODE" = 1 ] && command -v npm >/dev/null 2>&1; then
	node_install || { bench_log "WARNING: npm install failed: skipping the node libraries"; DO_NODE=0; }
fi
[ "$DO_SQL" = 1 ] && run_sql
[ "$DO_FLOOR" = 1 ] && run_floor
[ "$DO_NODE" = 1 ] && run_node
bench_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - START)) s"
report
