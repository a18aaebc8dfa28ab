#!/usr/bin/env bash
# test/bench/run.sh: sign/verify throughput of the jwt extension through SQL
# (one backend, set-based), next to node's fast-jwt, jsonwebtoken and jose
# (single-threaded) and a C floor doing only the OpenSSL work, with ratios:
#   HS256 sign and verify;
#   RS256, PS256, ES256 and EdDSA (Ed25519), sign and verify, with the key
#   given as PEM text and as a JWK (jsonb).
# A benchmark, not a test: it prints figures and never asserts the targets.
#
# Usage: test/bench/run.sh [--asym | --no-asym] [--quick] [--no-sql] [--no-node] [--no-floor]
#   --asym     only the asymmetric part (JWT_BENCH_ASYM=only does the same)
#   --no-asym  only HS256 (JWT_BENCH_ASYM=0)
#   --quick    a smoke run: N=20000 instead of 200000, asymmetric counts / 10
# Environment:
#   PGHOST/PGPORT (+PGUSER/PGDATABASE)  use that server, which must have the
#       jwt extension installed (CREATE EXTENSION is run when needed); when
#       unset, scripts/lib.sh builds, installs and starts a throwaway server
#   JWT_BENCH_N (200000), JWT_BENCH_RUNS (3: rounds after a warm-up, the best kept),
#   JWT_BENCH_SECRET (text HMAC secret, >= 32 bytes),
#   JWT_BENCH_N_RSA_SIGN (2000), JWT_BENCH_N_RSA_VERIFY (20000),
#   JWT_BENCH_N_EC (20000), JWT_BENCH_N_ED (10000): asymmetric counts
set -euo pipefail

DO_SQL=1 DO_NODE=1 DO_FLOOR=1 QUICK=0
case "${JWT_BENCH_ASYM:-1}" in
	only) DO_HS=0 DO_ASYM=1 ;;
	0 | no) DO_HS=1 DO_ASYM=0 ;;
	*) DO_HS=1 DO_ASYM=1 ;;
esac
for arg in "$@"; do
	case "$arg" in
		--asym) DO_HS=0 DO_ASYM=1 ;;
		--no-asym) DO_HS=1 DO_ASYM=0 ;;
		--quick) QUICK=1 ;;
		--no-sql) DO_SQL=0 ;;
		--no-node) DO_NODE=0 ;;
		--no-floor) DO_FLOOR=0 ;;
		-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done
if [ "$QUICK" = 1 ]; then
	export JWT_BENCH_N="${JWT_BENCH_N:-20000}"
	export JWT_BENCH_N_RSA_SIGN="${JWT_BENCH_N_RSA_SIGN:-200}"
	export JWT_BENCH_N_RSA_VERIFY="${JWT_BENCH_N_RSA_VERIFY:-2000}"
	export JWT_BENCH_N_EC="${JWT_BENCH_N_EC:-2000}"
	export JWT_BENCH_N_ED="${JWT_BENCH_N_ED:-1000}"
fi

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

RESULTS="$(mktemp)"
START=$SECONDS
BENCH_ASYM_DIR=""
cleanup_results() {
	rm -f "$RESULTS" "$RESULTS.sql" "$RESULTS.floor" "$RESULTS.best" "$RESULTS.best.all"
	if [ -n "$BENCH_ASYM_DIR" ]; then rm -rf "$BENCH_ASYM_DIR"; fi
}
trap cleanup_results EXIT
# scripts/lib.sh installs its own EXIT trap; chain ours into it.
bench_at_exit() {
	if declare -F jwt_at_exit >/dev/null; then
		jwt_at_exit cleanup_results
	fi
}

# ---------------------------------------------------------------- SQL
# The rounds of each query in a timing script's output ("op<TAB>label<TAB>
# n<TAB>ms" lines, op "-" for the untimed warm-ups): one line a query,
# "op<TAB>label<TAB>n<TAB>best ms<TAB> every round's ms", in the order of
# the first round.
sql_rounds() {
	awk -F'\t' '$1 != "-" {
			k = $1 FS $2 FS $3
			if (!(k in best)) { order[++nk] = k; best[k] = $4 }
			else if ($4 + 0 < best[k] + 0) best[k] = $4
			rounds[k] = rounds[k] sprintf(" %.1f", $4)
		}
		END { for (i = 1; i <= nk; i++) print order[i] FS best[order[i]] FS rounds[order[i]] }' "$1"
}

# Log a sql_rounds line.
sql_log_rounds() { # op label n best rounds
	bench_log "$(printf '  sql %-13s %-45s %9.1f ms / %s  (rounds:%s)' "$1" "$2:" "$4" "$3" "$5")"
}

# Time the queries of a script in one psql session, i.e. one backend, and
# append the results.  The script's lines are "SELECT op, label, n,
# once_ms(...)", one per query and round, and "SELECT '-', ..." for the
# untimed warm-ups; the best round of each query is kept.
sql_time() {
	local op label n best rounds
	printf 'SET max_parallel_workers_per_gather = 0; SET jit = off;\n%s' "$1" |
		bench_psql -F $'\t' >"$RESULTS.sql" || bench_die "a SQL benchmark query failed"
	while IFS=$'\t' read -r op label n best rounds; do
		printf 'sql\t%s\t%s\t%s\t%s\n' "$label" "$op" \
			"$(awk -v n="$n" -v ms="$best" 'BEGIN { printf "%.0f", n / (ms / 1000) }')" "$n" >>"$RESULTS"
		sql_log_rounds "$op" "$label" "$n" "$best" "$rounds"
	done < <(sql_rounds "$RESULTS.sql")
}

# Two backends on two cores: the main HS256 verify query in one backend
# alone, then in two at once (each over all the tokens), JWT_BENCH_RUNS
# rounds after a warm-up, alternating, the best of each kept.  Two backends
# share nothing on this path (the counters of a preloaded library are per
# backend slot), so the pair should do close to twice the work of one.
# Each backend runs the query twice and the second run is timed: the first
# run of a new backend also maps every page of the token table in shared
# buffers into the backend's memory (a page fault each), which a pooled
# connection has long done.
run_scaling() {
	local q r a a1 b one="" two="" run once
	q="$(bench_queries "$BENCH_NOW" | awk -F'\t' '$1 == "verify" { print $3; exit }')"
	run="SELECT jwt_bench.once_ms(\$bq\$$q\$bq\$, $BENCH_N);"
	once="SET max_parallel_workers_per_gather = 0; SET jit = off; $run $run"
	bench_log "== SQL: HS256 verify in one backend, then two at once ($BENCH_RUNS rounds after a warm-up)"
	bench_psql <<<"$once" >/dev/null
	for ((r = 0; r < BENCH_RUNS; r++)); do
		a1="$(bench_psql <<<"$once" | tail -n 1)"
		one="$(awk -v n="$BENCH_N" -v a="$a1" -v o="$one" 'BEGIN { x = n / (a / 1000); print (o == "" || x > o) ? x : o }')"
		bench_psql <<<"$once" >"$RESULTS.two1" &
		bench_psql <<<"$once" >"$RESULTS.two2"
		wait $!
		a="$(tail -n 1 "$RESULTS.two1")" b="$(tail -n 1 "$RESULTS.two2")"
		two="$(awk -v n="$BENCH_N" -v a="$a" -v b="$b" -v o="$two" 'BEGIN { x = n / (a / 1000) + n / (b / 1000); print (o == "" || x > o) ? x : o }')"
		bench_log "$(printf '  round %d: one backend %.1f ms; two backends %.1f and %.1f ms' "$((r + 1))" "$a1" "$a" "$b")"
	done
	rm -f "$RESULTS.two1" "$RESULTS.two2"
	printf 'sql\tscaling: one backend\tverify2\t%.0f\t%s\n' "$one" "$BENCH_N" >>"$RESULTS"
	printf 'sql\tscaling: two backends at once, total\tverify2\t%.0f\t%s\n' "$two" "$BENCH_N" >>"$RESULTS"
}

# SQL: server, tables, the HS256 timings; the asymmetric queries are only
# probed here and collected into ASYM_SQL[op] ("label<TAB>N<TAB>query"
# lines), timed by run_asym.
declare -A ASYM_SQL=()
run_sql() {
	local now="$BENCH_NOW" op label query n probe err script="" nq=0 tok expr rest table r
	bench_connect
	bench_at_exit
	if [ "$DO_HS" = 1 ]; then
		bench_log "== SQL: creating $BENCH_N pre-signed HS256 tokens"
		bench_sql_setup
		# Every query once (warm-up), then JWT_BENCH_RUNS rounds of all of
		# them, the best round of each kept: a query's runs are spread over
		# the whole phase, so that a slow spell of the machine (seconds long
		# on a shared VM) does not spoil every run of one query.
		local -a hs_queries=()
		while IFS=$'\t' read -r op label query; do
			hs_queries+=("SELECT $(bench_quote "$op"), $(bench_quote "$label"), $BENCH_N, jwt_bench.once_ms(\$bq\$$query\$bq\$, $BENCH_N);")
			script+="SELECT '-', '', 0, jwt_bench.once_ms(\$bq\$$query\$bq\$, $BENCH_N);"$'\n'
			nq=$((nq + 1))
		done < <(bench_queries "$now")
		for ((r = 0; r < BENCH_RUNS; r++)); do
			script+="$(printf '%s\n' "${hs_queries[@]}")"$'\n'
		done
		bench_log "== SQL: timing $nq HS256 queries (warm-up + best of $BENCH_RUNS interleaved rounds)"
		sql_time "$script"
		run_scaling
		# Interop sanity: a token signed through SQL verifies in node (fast-jwt).
		if [ "$DO_NODE" = 1 ] && [ -d "$BENCH_DIR/node_modules/fast-jwt" ]; then
			tok="$(bench_psql -c 'SELECT tok FROM jwt_bench.toks WHERE i = 1')"
			if ! (cd "$BENCH_DIR" && TOK="$tok" node -e '
				const { createVerifier } = require("fast-jwt");
				const p = createVerifier({ key: process.env.JWT_BENCH_SECRET })(process.env.TOK);
				if (p.sub !== "user-1" || p.role !== "authenticated") process.exit(1);'); then
				bench_log "WARNING: fast-jwt did not accept a token signed by jwt_sign"
			fi
		fi
	else
		bench_sql_base
	fi
	[ "$DO_ASYM" = 1 ] || return 0

	bench_log "== SQL: loading the asymmetric tokens and claims"
	bench_asym_sql_setup
	# Only what this build of the extension supports: each call is tried once
	# on one row first.
	while IFS=$'\t' read -r op label n query probe; do
		if ! err="$(bench_psql -c "$probe" 2>&1 >/dev/null)"; then
			bench_log "  sql $op, $label: skipped, not supported here: $(printf '%s' "$err" | head -n 1)"
			continue
		fi
		ASYM_SQL[$op]+="$label"$'\t'"$n"$'\t'"$query"$'\n'
		# Interop sanity: a token jwt_sign made verifies in node:crypto and jose.
		if [ "${op#* }" = sign ] && [[ "$label" != baseline* ]] &&
			[ "$DO_NODE" = 1 ] && [ -d "$BENCH_DIR/node_modules/jose" ]; then
			rest="${query#SELECT count(}"
			expr="${rest%) FROM *}"
			table="${rest##*) FROM }"
			tok="$(bench_psql -c "SELECT $expr FROM $table LIMIT 1")"
			if ! (cd "$BENCH_DIR" && node node_asym.mjs check "$BENCH_ASYM_DIR" "${op% *}" "$tok"); then
				bench_log "WARNING: node did not accept a ${op% *} token signed by jwt_sign ($label)"
			fi
		fi
	done < <(bench_asym_queries)
}

# Asymmetric SQL and C floor, interleaved.  One psql session (one backend)
# warms every query up (plan, key cache), then runs JWT_BENCH_RUNS rounds;
# a round goes through the operations, and for each runs one pass of every C
# floor variant (through psql's \!) and then one execution of each of its SQL
# queries.  Each timed pass, C or SQL, comes right after an untimed warm-up
# on a twentieth of its tokens (at least 50): the floor makes one in its
# process before each variant's pass, and a SQL query gets the same on the
# first rows of its table (otherwise the query that follows the floor's
# process would start with cold caches, and the one after it warm).  The
# best of the rounds is kept for each.  The machine's speed
# drifts and other jobs come and go (a shared VM): the floor and SQL of an
# operation are timed seconds apart, and each operation's rounds are spread
# over the whole phase, so that a busy spell rarely spoils every round.
run_asym() {
	local spec op label n query r script="" line warm rest expr table best rounds
	local -a ops=()
	local floor="$BENCH_DIR/floor/asym_floor"	# built by bench_asym_prepare
	local -A floor_cmd=()
	bench_log "== asymmetric: C floor ($(openssl version 2>/dev/null | cut -d' ' -f1-2)) and SQL, interleaved (warm-up + best of $BENCH_RUNS rounds)"
	for spec in $(bench_asym_ops); do
		op="${spec%%:*} $(cut -d: -f2 <<<"$spec")"
		ops+=("$op")
		# the floor times each variant over all the tokens, one pass each,
		# as the SQL queries; floor_choose picks the floor after the rounds
		floor_cmd[$op]="JWT_BENCH_RUNS=1 '$floor' bench '$BENCH_ASYM_DIR' $BENCH_NOW $spec >>'$RESULTS' 2>>'$RESULTS.floor'"
	done
	: >"$RESULTS.floor"
	if [ "$DO_SQL" = 0 ]; then
		: >"$RESULTS.sql"
		for ((r = 0; r < BENCH_RUNS; r++)); do
			for op in "${ops[@]}"; do
				sh -c "${floor_cmd[$op]}" || { cat "$RESULTS.floor" >&2; bench_die "floor/asym_floor failed"; }
			done
		done
	else
		# Every round verifies the same tokens again: the verified-token
		# cache (jwt.token_cache_size) would serve them after the first, and
		# the floor has no such cache.  request.sh measures the cache.
		script="SET max_parallel_workers_per_gather = 0; SET jit = off; SET jwt.token_cache_size = 0;"$'\n'
		for op in "${ops[@]}"; do
			while IFS=$'\t' read -r label n query; do
				[ -n "$label" ] || continue
				script+="SELECT '-', '', 0, jwt_bench.once_ms(\$bq\$$query\$bq\$, $n);"$'\n'
			done <<<"${ASYM_SQL[$op]:-}"
		done
		for ((r = 0; r < BENCH_RUNS; r++)); do
			for op in "${ops[@]}"; do
				[ "$DO_FLOOR" = 1 ] && script+="\\! ${floor_cmd[$op]}"$'\n'
				while IFS=$'\t' read -r label n query; do
					[ -n "$label" ] || continue
					warm=$((n / 20 > 50 ? n / 20 : (n < 50 ? n : 50)))
					rest="${query#SELECT count(}"
					expr="${rest%) FROM *}"
					table="${query##*) FROM }"
					script+="SELECT '-', '', 0, jwt_bench.once_ms(\$bq\$SELECT count($expr) FROM (SELECT * FROM $table LIMIT $warm) w\$bq\$, $warm);"$'\n'
					script+="SELECT $(bench_quote "$op"), $(bench_quote "$label"), $n, jwt_bench.once_ms(\$bq\$$query\$bq\$, $n);"$'\n'
				done <<<"${ASYM_SQL[$op]:-}"
			done
		done
		printf '%s' "$script" | bench_psql -F $'\t' >"$RESULTS.sql" ||
			bench_die "a SQL benchmark query failed"
		# One result line per query and round; report() keeps the best.
		awk -F'\t' '$1 != "-" { printf "sql\t%s\t%s\t%.0f\t%s\n", $2, $1, $3 / ($4 / 1000), $3 }' \
			"$RESULTS.sql" >>"$RESULTS"
	fi
	if grep -q '^asym_floor:' "$RESULTS.floor"; then
		cat "$RESULTS.floor" >&2
		bench_die "floor/asym_floor failed"
	fi
	floor_choose
	floor_paired
	# Per operation: SQL best and every round, the floor's best.
	if [ -s "$RESULTS.sql" ]; then
		while IFS=$'\t' read -r op label n best rounds; do
			sql_log_rounds "$op" "$label" "$n" "$best" "$rounds"
		done < <(sql_rounds "$RESULTS.sql")
	fi
	while IFS= read -r line; do
		bench_log "$line"
	done < <(awk -F'\t' '
		$1 == "floor" && $2 == "best" && $3 ~ / / {
			if (!($3 in fb)) { fb[$3] = 0; fo[++nf] = $3 }
			if ($4 + 0 > fb[$3]) { fb[$3] = $4 + 0; fv[$3] = $6 }
		}
		END {
			for (i = 1; i <= nf; i++)
				printf "  C   %-13s floor %d ops/s (%s)\n", fo[i], fb[fo[i]], fv[fo[i]]
		}' "$RESULTS" 2>/dev/null)
}

# The floor of each asymmetric operation, from every variant's pass of every
# round ("floor<TAB>variant<TAB>ALG op<TAB>ops/s<TAB>N" lines).  The fastest
# variant is the one with the highest median over the rounds, and the floor
# is its best round: the same estimator as the SQL rows (best of
# JWT_BENCH_RUNS passes over the same count).  Taking the single fastest
# pass of any variant instead would be the best of variants x rounds passes
# against SQL's best of rounds: the more samples of a noisy figure, the
# higher their maximum, and ES256 sign's variants are within the noise of
# each other.  That figure is kept too ("floor any"), and reported.
floor_choose() {
	awk -F'\t' '
		$1 == "floor" && $2 != "best" && $2 != "any" && $3 ~ / (sign|verify)$/ {
			k = $3 SUBSEP $2
			if (!(k in cnt)) { nv[$3]++; var[$3, nv[$3]] = $2; if (!($3 in seen)) { seen[$3] = 1; ops[++no] = $3 } }
			v[k, ++cnt[k]] = $4 + 0; n[$3] = $5
		}
		END {
			for (i = 1; i <= no; i++) {
				o = ops[i]; bm = -1; any = 0
				for (j = 1; j <= nv[o]; j++) {
					k = o SUBSEP var[o, j]; c = cnt[k]
					for (a = 1; a <= c; a++) s[a] = v[k, a]
					for (a = 2; a <= c; a++)	# insertion sort, ascending
						for (b = a; b > 1 && s[b - 1] > s[b]; b--) { t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
					med = (c % 2) ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
					rs = ""
					for (a = 1; a <= c; a++) rs = rs sprintf(" %.0f", v[k, a])
					printf "  C   %-13s %-14s median %7.0f ops/s, best %7.0f (rounds:%s)\n", o, var[o, j], med, s[c], rs > "/dev/stderr"
					if (med > bm) { bm = med; bv = var[o, j]; bb = s[c] }
					if (s[c] > any) { any = s[c]; av = var[o, j] }
				}
				printf "floor\tbest\t%s\t%.0f\t%s\t%s\n", o, bb, n[o], bv
				printf "floor\tany\t%s\t%.0f\t%s\t%s\n", o, any, n[o], av
			}
		}' "$RESULTS" >"$RESULTS.best"
	# asym_floor's own "best" line of each pass goes: it is the fastest
	# variant of that pass alone
	awk -F'\t' '!($1 == "floor" && $2 == "best" && $3 ~ / (sign|verify)$/)' "$RESULTS" >>"$RESULTS.best.all"
	cat "$RESULTS.best" >>"$RESULTS.best.all"
	mv "$RESULTS.best.all" "$RESULTS"
	rm -f "$RESULTS.best"
}

# The rounds paired: in each round, an operation's SQL query (PEM and JWK
# key) over the pass of the floor's chosen variant in the same round, run
# seconds before it; the median of the rounds, with the lowest and highest
# ("paired<TAB>PEM|JWK<TAB>ALG op<TAB>median %<TAB>lowest<TAB>highest<TAB>
# rounds" lines).  A best of rounds compares the fastest moment of each
# side; on a machine whose speed changes for seconds at a time, the two
# bests may come from different speeds, and the paired ratio does not
# depend on that.
floor_paired() {
	[ "$DO_SQL" = 1 ] && [ "$DO_FLOOR" = 1 ] || return 0
	awk -F'\t' '
		FILENAME == ARGV[1] {
			if ($1 == "floor" && $2 == "best" && $3 ~ / (sign|verify)$/) chosen[$3] = $6
			else if ($1 == "floor" && $2 != "any" && $3 ~ / (sign|verify)$/) f[$3, $2, ++fc[$3, $2]] = $4 + 0
			next
		}
		$1 != "-" && ($2 ~ /PEM text/ || $2 ~ /JWK jsonb/) && $4 > 0 {
			form = ($2 ~ /PEM text/) ? "PEM" : "JWK"
			k = $1 SUBSEP form
			if (!(k in sc)) keys[++nk] = k
			s[k, ++sc[k]] = $3 / ($4 / 1000)
		}
		END {
			for (i = 1; i <= nk; i++) {
				split(keys[i], p, SUBSEP); o = p[1]; c = 0
				if (!(o in chosen)) continue
				for (r = 1; r <= sc[keys[i]]; r++)
					if ((o, chosen[o], r) in f && f[o, chosen[o], r] > 0)
						q[++c] = 100 * s[keys[i], r] / f[o, chosen[o], r]
				if (c == 0) continue
				for (a = 2; a <= c; a++)
					for (b = a; b > 1 && q[b - 1] > q[b]; b--) { t = q[b]; q[b] = q[b - 1]; q[b - 1] = t }
				med = (c % 2) ? q[(c + 1) / 2] : (q[c / 2] + q[c / 2 + 1]) / 2
				printf "paired\t%s\t%s\t%.1f\t%.1f\t%.1f\t%d\n", p[2], o, med, q[1], q[c], c
			}
		}' "$RESULTS" "$RESULTS.sql" >>"$RESULTS"
}

sql_finish() {
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
	if [ "$DO_HS" = 1 ]; then
		bench_log "== node $(node --version): HS256, fast-jwt, jsonwebtoken, jose, node:crypto"
		(cd "$BENCH_DIR" && node node_bench.mjs "$BENCH_N") >>"$RESULTS"
	fi
	if [ "$DO_ASYM" = 1 ]; then
		bench_log "== node $(node --version) (OpenSSL $(node -p process.versions.openssl)): asymmetric"
		# shellcheck disable=SC2046 # one argument per operation
		(cd "$BENCH_DIR" && node node_asym.mjs bench "$BENCH_ASYM_DIR" "$BENCH_NOW" $(bench_asym_ops)) >>"$RESULTS"
	fi
}

# ---------------------------------------------------------------- C floor
run_floor() {
	local src="$BENCH_DIR/floor/hs256_floor.c" bin="$BENCH_DIR/floor/hs256_floor"
	if [ "$DO_HS" = 1 ]; then
		if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
			bench_log "== floor: cc -O2 ... -lcrypto"
			cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$bin" "$src" -lcrypto
		fi
		bench_log "== floor: C, HS256, $(openssl version 2>/dev/null || echo OpenSSL)"
		"$bin" "$BENCH_N" >>"$RESULTS"
	fi
	# (the asymmetric floor runs in run_asym)
}

# ---------------------------------------------------------------- report
report_hs256() {
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
		sqltable = "jwt_sign(claims, key), claims from a table"
		sqlbase["verify"] = "baseline: count(tok)"
		split("sign verify", opsl, " ")
		printf "\nHS256, one backend / one thread each, best of %d interleaved rounds after a warm-up; %d distinct tokens\n", runs, n
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
		s1 = val["sql|scaling: one backend|verify2"]; s2 = val["sql|scaling: two backends at once, total|verify2"]
		if (s1 > 0 && s2 > 0)
			printf "\nSCALING: HS256 verify, one backend %d ops/s, two backends at once %d ops/s in total: %.2fx (target >= 1.8x)\n", s1, s2, s2 / s1
		if (ss > 0 && sv > 0) {
			printf "target: SQL HS256 verify >= 1000000/s: %s (%.0f/s)\n", (sv >= 1e6 ? "met" : "NOT met"), sv
			printf "target: SQL HS256 sign, claims from a table, >= 1000000/s: %s (%.0f/s)\n",
				(val["sql|" sqltable "|sign"] >= 1e6 ? "met" : "NOT met"), val["sql|" sqltable "|sign"]
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

report_asym() {
	awk -F'\t' -v runs="$BENCH_RUNS" '
	function us(o) { return o > 0 ? 1e6 / o : 0 }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-" }
	function pct(a, b) { return (a > 0 && b > 0) ? sprintf("%.1f%%", 100 * a / b) : "-" }
	$1 == "paired" { pmed[$3, $2] = $4; plo[$3, $2] = $5; phi[$3, $2] = $6; prn[$3, $2] = $7; next }
	$3 ~ / (sign|verify)$/ {
		o = $3
		if (!(o in seen)) { seen[o] = 1 }
		nr++; src[nr] = $1; impl[nr] = $2; op[nr] = o; ops[nr] = $4; cnt[nr] = $5; extra[nr] = $6
		if ($1 == "sql" && $2 ~ /PEM text/) pem[o] = $4
		if ($1 == "sql" && $2 ~ /JWK jsonb/) jwk[o] = $4
		if ($1 == "sql" && $2 ~ /^baseline/) base[o] = $4
		if ($1 == "floor" && $2 == "best") { floor[o] = $4; floorv[o] = $6 }
		if ($1 == "floor" && $2 == "any") { fany[o] = $4; fanyv[o] = $6 }
		if ($1 == "node" && $2 != "node:crypto" && $4 > nodebest[o]) { nodebest[o] = $4; nodelib[o] = $2 }
		if (cnt[nr] > n[o]) n[o] = cnt[nr]
	}
	END {
		norder = split("RS256 sign|RS256 verify|PS256 sign|PS256 verify|ES256 sign|ES256 verify|EdDSA sign|EdDSA verify", order, "|")
		printf "\nASYMMETRIC (RSA 2048, P-256, Ed25519; keys made at run time), one backend / one thread each;\nSQL and C floor: best of %d interleaved rounds after a warm-up, node: best of %d runs\n", runs, runs
		for (k = 1; k <= norder; k++) {
			o = order[k]
			if (!(o in seen)) continue
			main = (pem[o] > 0) ? pem[o] : jwk[o]
			printf "\n%-13s %-50s %10s %9s %10s\n", o, "(" n[o] (o ~ /sign$/ ? " claims sets)" : " distinct tokens)"), "ops/s", "us/op", "SQL/this"
			for (pass = 1; pass <= 3; pass++)
				for (i = 1; i <= nr; i++) {
					if (op[i] != o) continue
					if (pass == 1 && src[i] != "sql") continue
					if (pass == 2 && src[i] != "node") continue
					if (pass == 3 && src[i] != "floor") continue
					label = (src[i] == "sql" ? "SQL   " : src[i] == "node" ? "node  " : "C     ") impl[i]
					if (src[i] == "floor" && impl[i] == "best") label = "C     floor = " extra[i] " (highest median, its best round)"
					if (src[i] == "floor" && impl[i] == "any") label = "C     fastest pass of any variant (" extra[i] ")"
					printf "       %-58s %10d %9.2f %10s\n", label, ops[i], us(ops[i]),
						((src[i] == "sql" && ops[i] == main && impl[i] !~ /^baseline/) ? "" : ratio(main, ops[i]))
				}
		}
		printf "\nASYMMETRIC SUMMARY, ops/s; SQL as %% of the C floor (target: every row >= 95%%)\n"
		printf "%-13s %8s %8s %8s %-14s %8s %8s %7s %9s %-20s %9s\n", "", "SQL PEM", "SQL JWK", "C floor", "(variant)",
			"PEM/C", "JWK/C", "target", "node best", "(library)", "SQL/node"
		for (k = 1; k <= norder; k++) {
			o = order[k]
			if (!(o in seen)) continue
			t = 95
			best = (pem[o] > jwk[o]) ? pem[o] : jwk[o]
			worst = (pem[o] > 0 && jwk[o] > 0) ? ((pem[o] < jwk[o]) ? pem[o] : jwk[o]) : best
			met = (best > 0 && floor[o] > 0) ? ((100 * worst / floor[o] >= t) ? "met" : "NOT met") : "-"
			printf "%-13s %8s %8s %8s %-14s %8s %8s %7s %9s %-20s %9s\n", o,
				(pem[o] > 0 ? pem[o] : "-"), (jwk[o] > 0 ? jwk[o] : "-"), (floor[o] > 0 ? floor[o] : "-"),
				(floorv[o] != "" ? "(" floorv[o] ")" : ""), pct(pem[o], floor[o]), pct(jwk[o], floor[o]),
				">=" t "% " met, (nodebest[o] > 0 ? nodebest[o] : "-"), nodelib[o], ratio(best, nodebest[o])
		}
		printf "(SQL/node: the better of the two SQL key forms over the fastest node JWT library, node:crypto excluded;\n"
		printf " a target is met when both key forms reach it; C floor: the variant with the highest median over the\n"
		printf " rounds, its best round, as SQL is its best round)\n"
		for (k = 1; k <= norder; k++) {
			o = order[k]
			if (!(o in seen) || !((o, "PEM") in pmed || (o, "JWK") in pmed)) continue
			if (!phdr++) printf "Paired by round: SQL over the floor variant'"'"'s pass of the same round, median (lowest .. highest) [rounds]:\n"
			line = ""
			for (f = 1; f <= 2; f++) {
				form = (f == 1) ? "PEM" : "JWK"
				if ((o, form) in pmed)
					line = line sprintf("   %s %5.1f%% (%5.1f .. %5.1f) [%d]", form, pmed[o, form], plo[o, form], phi[o, form], prn[o, form])
				else
					line = line sprintf("   %s -", form)
			}
			printf "  %-13s%s\n", o, line
		}
		for (k = 1; k <= norder; k++) {
			o = order[k]
			if (!(o in seen) || fany[o] <= 0) continue
			if (!anyhdr++) printf "Against the fastest single pass of any floor variant (the best of variants x rounds passes), PEM / JWK:\n"
			printf "  %-13s %8d (%s)  %s / %s\n", o, fany[o], fanyv[o], pct(pem[o], fany[o]), pct(jwk[o], fany[o])
		}
		for (k = 1; k <= norder; k++) {
			o = order[k]
			if (!(o in seen) || base[o] <= 0 || floor[o] <= 0) continue
			line = ""
			if (pem[o] > 0) line = line sprintf("  PEM %.2f us = %.1f%%", us(pem[o]) - us(base[o]), 100 * us(floor[o]) / (us(pem[o]) - us(base[o])))
			if (jwk[o] > 0) line = line sprintf("  JWK %.2f us = %.1f%%", us(jwk[o]) - us(base[o]), 100 * us(floor[o]) / (us(jwk[o]) - us(base[o])))
			if (line != "") {
				if (!hdr++) printf "\nSQL per-call cost net of the baseline query, and the C floor as %% of it:\n"
				printf "  %-13s C floor %.2f us%s\n", o, us(floor[o]), line
			}
		}
	}' "$RESULTS"
}

report() {
	# Repeated measurements (the interleaved asymmetric rounds): keep the
	# best line of each source/implementation/operation, in first-seen order.
	awk -F'\t' '{
		k = $1 FS $2 FS $3
		if (!(k in best)) { keys[++n] = k; best[k] = -1 }
		if ($4 + 0 > best[k]) { best[k] = $4 + 0; line[k] = $0 }
	} END { for (i = 1; i <= n; i++) print line[keys[i]] }' "$RESULTS" >"$RESULTS.best"
	mv "$RESULTS.best" "$RESULTS"
	[ "$DO_HS" = 1 ] && report_hs256
	[ "$DO_ASYM" = 1 ] && report_asym
	return 0
}

bench_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
if [ "$DO_NODE" = 1 ] && command -v npm >/dev/null 2>&1; then
	node_install || { bench_log "WARNING: npm install failed: skipping the node libraries"; DO_NODE=0; }
fi
phase() {
	local t0=$SECONDS
	"$@"
	bench_log "   ($1: $((SECONDS - t0)) s)"
}
[ "$DO_ASYM" = 1 ] && phase bench_asym_prepare
[ "$DO_SQL" = 1 ] && phase run_sql
[ "$DO_FLOOR" = 1 ] && [ "$DO_HS" = 1 ] && phase run_floor
[ "$DO_ASYM" = 1 ] && { [ "$DO_SQL" = 1 ] || [ "$DO_FLOOR" = 1 ]; } && phase run_asym
[ "$DO_SQL" = 1 ] && sql_finish
[ "$DO_NODE" = 1 ] && phase run_node
bench_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - START)) s"
report
