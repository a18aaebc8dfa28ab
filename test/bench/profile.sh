#!/usr/bin/env bash
# test/bench/profile.sh: where the per-call time of SQL jwt_verify and
# jwt_sign goes.  Runs the benchmark's queries (see common.sh) in one backend
# under `perf record -g -p <backend pid>` and prints the top symbols (self
# time) and the time per shared object.
#
#   HS256 (default): the main verify and sign queries of run.sh.
#   --asym: the asymmetric queries of run.sh, the key given as PEM text
#   (JWT_PROFILE_KEY=jwk: as a JWK), for the operations named as arguments
#   ("RS256 verify", "ES256 sign", ...; default: all eight).
#
# When perf cannot sample (no perf, or perf_event_open refused), it falls
# back to valgrind --tool=callgrind on a single-user `postgres --single`
# run of the same queries (needs the throwaway server of scripts/lib.sh,
# i.e. PGHOST unset, and fewer tokens: JWT_BENCH_N defaults to 20000 there).
#
# Usage: test/bench/profile.sh [--callgrind] [--asym ["ALG op"...]]
# Environment: as run.sh (PGHOST/PGPORT, JWT_BENCH_N, JWT_BENCH_SECRET,
#   JWT_BENCH_N_RSA_SIGN, ...);
#   JWT_PROFILE_REPEAT (query executions per profile, default 3),
#   JWT_PROFILE_TOP (symbols shown, default 30),
#   JWT_PROFILE_KEY (pem or jwk, for --asym; default pem),
#   JWT_PROFILE_KEEP=dir (keep perf.data / callgrind.out files there)
set -euo pipefail

TOOL=perf
ASYM=0
ASYM_OPS=()
for arg in "$@"; do
	case "$arg" in
		--callgrind) TOOL=callgrind ;;
		--asym) ASYM=1 ;;
		-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
		"RS256 sign" | "RS256 verify" | "PS256 sign" | "PS256 verify" | "ES256 sign" | "ES256 verify" | \
		"EdDSA sign" | "EdDSA verify")
			ASYM=1 ASYM_OPS+=("$arg") ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

USER_N="${JWT_BENCH_N:-}"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

REPEAT="${JWT_PROFILE_REPEAT:-3}"
TOP="${JWT_PROFILE_TOP:-30}"
WORK="$(mktemp -d)"
chmod 755 "$WORK"
BENCH_ASYM_DIR=""
cleanup_work() {
	if [ -n "$BENCH_ASYM_DIR" ]; then rm -rf "$BENCH_ASYM_DIR"; fi
	if [ -n "${JWT_PROFILE_KEEP:-}" ]; then
		mkdir -p "$JWT_PROFILE_KEEP"
		cp -p "$WORK"/*.data "$WORK"/callgrind.out.* "$JWT_PROFILE_KEEP"/ 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup_work EXIT

# Pick a perf event that can be sampled: hardware cycles when the machine
# exposes counters, else the cpu-clock software timer (VMs often have no PMU).
perf_event() {
	local ev
	command -v perf >/dev/null 2>&1 || return 1
	for ev in cycles cpu-clock; do
		if perf record -q -e "$ev" -o "$WORK/probe.data" -- true >/dev/null 2>&1 &&
			! perf stat -e "$ev" -- true 2>&1 | grep -q 'not supported'; then
			rm -f "$WORK/probe.data"
			echo "$ev"
			return 0
		fi
	done
	return 1
}

# What is profiled: PROFILES (names, in order), QUERY[name], COUNT[name],
# TITLE[name].
declare -a PROFILES=()
declare -A QUERY=() COUNT=() TITLE=()
collect_queries() {
	local op label n query probe want
	if [ "$ASYM" = 0 ]; then
		for op in verify sign; do
			query="$(bench_queries "$BENCH_NOW" | awk -F'\t' -v op="$op" '$1 == op { print $3; exit }')"
			PROFILES+=("$op") QUERY[$op]="$query" COUNT[$op]="$BENCH_N"
		done
		TITLE[verify]="VERIFY: SELECT count(jwt_verify(tok, key, audience => ...)) FROM toks"
		TITLE[sign]="SIGN: SELECT count(jwt_sign(jsonb_build_object(...), key)) FROM generate_series"
		return 0
	fi
	want="PEM text"
	[ "${JWT_PROFILE_KEY:-pem}" = jwk ] && want="JWK jsonb"
	[ "${#ASYM_OPS[@]}" -gt 0 ] || mapfile -t ASYM_OPS < <(bench_asym_ops | awk -F: '{ print $1 " " $2 }')
	while IFS=$'\t' read -r op label n query probe; do
		[[ "$label" == *"$want"* ]] || continue
		[[ " ${ASYM_OPS[*]/%/|} " == *" $op|"* ]] || continue
		bench_psql -c "$probe" >/dev/null || bench_die "$op, $label: not supported by this build"
		PROFILES+=("$op") QUERY[$op]="$query" COUNT[$op]="$n"
		TITLE[$op]="$op: SELECT count($label) FROM ${query##* FROM }"
	done < <(bench_asym_queries)
	[ "${#PROFILES[@]}" -gt 0 ] || bench_die "nothing to profile"
}

# Repeat a query $REPEAT times in SQL (one statement, one backend).
repeated_sql() {
	local q="$1" n="$2"
	printf "SELECT jwt_bench.best_ms(\$bq\$%s\$bq\$, %s, %s);" "$q" "$REPEAT" "$n"
}

perf_top() {
	local data="$1" title="$2"
	# head closes the pipe early: no pipefail in these report pipelines.
	set +o pipefail
	echo
	echo "=== $title"
	echo "--- top $TOP symbols by self time (perf report --no-children) ---"
	perf report -i "$data" --stdio --no-children -g none -F overhead,dso,sym \
		--percent-limit 0.3 2>/dev/null | grep -vE '^(#|$)' | head -n "$TOP"
	echo "--- by shared object ---"
	perf report -i "$data" --stdio --no-children -g none -F overhead,dso \
		--percent-limit 0.5 2>/dev/null | grep -vE '^(#|$)' | head -n 12
	echo "--- jwt.so functions, self + callees (perf report --children) ---"
	perf report -i "$data" --stdio --children -g none --sort dso,sym \
		--percent-limit 1 2>/dev/null | grep -E '^# Children|jwt\.so' | head -n 25
	set -o pipefail
}

profile_perf() {
	local ev="$1" pid op q n f perf_pid line
	bench_log "perf event: $ev"
	# One psql session as a coprocess, so we know and keep its backend.
	coproc PSQL { bench_psql 2>&1; }
	# no verified-token cache: each profiled pass verifies the same tokens
	printf 'SET max_parallel_workers_per_gather = 0; SET jit = off; SET jwt.token_cache_size = 0;\nSELECT pg_backend_pid();\n' >&"${PSQL[1]}"
	read -r -t 30 pid <&"${PSQL[0]}" || bench_die "no answer from psql"
	[[ "$pid" =~ ^[0-9]+$ ]] || bench_die "unexpected psql output: $pid"
	bench_log "backend pid $pid"
	# Warm up the backend (plans, caches, key cache, shared buffers) before sampling.
	for op in "${PROFILES[@]}"; do
		printf '%s;\n' "${QUERY[$op]}" >&"${PSQL[1]}"
		read -r -t 300 line <&"${PSQL[0]}" || bench_die "warm-up $op timed out"
	done
	for op in "${PROFILES[@]}"; do
		q="${QUERY[$op]}" n="${COUNT[$op]}" f="${op// /_}"
		perf record -q -e "$ev" -g -p "$pid" -o "$WORK/$f.data" >"$WORK/$f.perf.log" 2>&1 &
		perf_pid=$!
		sleep 0.5
		printf '%s\n' "$(repeated_sql "$q" "$n")" >&"${PSQL[1]}"
		read -r -t 600 line <&"${PSQL[0]}" || bench_die "$op query timed out"
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		bench_log "$op: $REPEAT x $n calls, best $line ms per $n"
		[[ "$line" =~ ^[0-9.]+$ ]] || { cat "$WORK/$f.perf.log" >&2; bench_die "$op query failed: $line"; }
		[ -s "$WORK/$f.data" ] || { cat "$WORK/$f.perf.log" >&2; bench_die "perf wrote no data"; }
		OPS_LINE[$op]="$(awk -v n="$n" -v ms="$line" 'BEGIN { printf "%.0f ops/s, %.2f us/call", n / (ms / 1000), ms * 1000 / n }')"
	done
	printf '\\q\n' >&"${PSQL[1]}"
	wait "$PSQL_PID" 2>/dev/null || true
	for op in "${PROFILES[@]}"; do
		perf_top "$WORK/${op// /_}.data" "${TITLE[$op]} [${OPS_LINE[$op]}]"
	done
}

profile_callgrind() {
	local op q f data bindir
	command -v valgrind >/dev/null 2>&1 || bench_die "neither perf nor valgrind can profile here"
	[ -n "${JWT_CLUSTER_DIR:-}" ] ||
		bench_die "the callgrind fallback needs the throwaway server of scripts/lib.sh (unset PGHOST)"
	data="$JWT_CLUSTER_DIR/data"
	bindir="$JWT_CLUSTER_BINDIR"
	jwt_cluster_stop_server() {
		(cd "$JWT_CLUSTER_DIR" && jwt_as_postgres "$bindir/pg_ctl" -D "$data" -m fast -w stop) >/dev/null
	}
	jwt_cluster_stop_server
	for op in "${PROFILES[@]}"; do
		q="${QUERY[$op]}" f="${op// /_}"
		bench_log "callgrind: $op (${COUNT[$op]} calls, once)"
		# The query itself: wrapped in SELECT count(*) FROM (...), the planner
		# would drop the unused STABLE jwt_verify call.
		printf 'SET max_parallel_workers_per_gather = 0;\nSET jit = off;\nSET jwt.token_cache_size = 0;\n%s;\n' "$q" >"$WORK/$f.sql"
		chmod 644 "$WORK/$f.sql"
		chown postgres "$WORK" 2>/dev/null || true
		(cd "$JWT_CLUSTER_DIR" && jwt_as_postgres valgrind --tool=callgrind --toggle-collect=standard_ExecutorRun \
			--callgrind-out-file="$WORK/callgrind.out.$f" \
			"$bindir/postgres" --single -j -D "$data" "${PGDATABASE:-postgres}") \
			<"$WORK/$f.sql" >"$WORK/$f.log" 2>&1 || { tail -n 20 "$WORK/$f.log" >&2; bench_die "callgrind run failed"; }
		grep -q "count = \"${COUNT[$op]}\"" "$WORK/$f.log" ||
			{ tail -n 20 "$WORK/$f.log" >&2; bench_die "the $op query gave no result under callgrind"; }
		echo
		echo "=== ${op^^}: top $TOP functions by self instructions (callgrind, inside the executor only) ==="
		set +o pipefail
		callgrind_annotate "$WORK/callgrind.out.$f" 2>/dev/null |
			sed -n '/^ *Ir/,$p' | grep -v '^-' | head -n "$((TOP + 4))"
		set -o pipefail
	done
}

declare -A OPS_LINE=()
if [ "$TOOL" = perf ] && EV="$(perf_event)"; then
	:
else
	[ "$TOOL" = perf ] && bench_log "perf cannot sample here: falling back to callgrind"
	TOOL=callgrind
	if [ -z "$USER_N" ]; then
		BENCH_N=20000
		export JWT_BENCH_N="$BENCH_N"
	fi
	# callgrind runs ~50x slower: a tenth of the asymmetric counts unless set
	[ -n "${JWT_BENCH_N_RSA_SIGN:-}" ] || BENCH_N_RSA_SIGN=$((BENCH_N_RSA_SIGN / 10))
	[ -n "${JWT_BENCH_N_RSA_VERIFY:-}" ] || BENCH_N_RSA_VERIFY=$((BENCH_N_RSA_VERIFY / 10))
	[ -n "${JWT_BENCH_N_EC:-}" ] || BENCH_N_EC=$((BENCH_N_EC / 10))
	[ -n "${JWT_BENCH_N_ED:-}" ] || BENCH_N_ED=$((BENCH_N_ED / 10))
fi

bench_connect
if [ "$TOOL" = callgrind ] && [ -z "${JWT_CLUSTER_DIR:-}" ]; then
	bench_die "the callgrind fallback needs the throwaway server of scripts/lib.sh (unset PGHOST)"
fi
declare -F jwt_at_exit >/dev/null && jwt_at_exit cleanup_work
if [ "$ASYM" = 1 ]; then
	bench_asym_prepare
	bench_sql_base
	bench_asym_sql_setup
else
	bench_log "creating $BENCH_N pre-signed tokens"
	bench_sql_setup
fi
collect_queries

if [ "$TOOL" = perf ]; then
	profile_perf "$EV"
	bench_psql -c 'SET client_min_messages = warning' -c 'DROP SCHEMA jwt_bench CASCADE' >/dev/null
else
	profile_callgrind
fi
