#!/usr/bin/env bash
# test/bench/profile.sh: where the per-call time of SQL jwt_verify and
# jwt_sign goes.  Runs the benchmark's verify and sign queries (see
# common.sh) in one backend under `perf record -g -p <backend pid>` and
# prints the top symbols (self time) and the time per shared object.
#
# When perf cannot sample (no perf, or perf_event_open refused), it falls
# back to valgrind --tool=callgrind on a single-user `postgres --single`
# run of the same queries (needs the throwaway server of scripts/lib.sh,
# i.e. PGHOST unset, and fewer tokens: JWT_BENCH_N defaults to 20000 there).
#
# Usage: test/bench/profile.sh [--callgrind]
# Environment: as run.sh (PGHOST/PGPORT, JWT_BENCH_N, JWT_BENCH_SECRET);
#   JWT_PROFILE_REPEAT (query executions per profile, default 3),
#   JWT_PROFILE_TOP (symbols shown, default 30),
#   JWT_PROFILE_KEEP=dir (keep perf.data / callgrind.out files there)
set -euo pipefail

TOOL=perf
for arg in "$@"; do
	case "$arg" in
		--callgrind) TOOL=callgrind ;;
		-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
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
cleanup_work() {
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

# The main verify and sign queries, by op.
query_for() {
	bench_queries "$BENCH_NOW" | awk -F'\t' -v op="$1" '$1 == op { print $3; exit }'
}

# Repeat a query $REPEAT times in SQL (one statement, one backend).
repeated_sql() {
	local q="$1"
	printf "SELECT jwt_bench.best_ms(\$bq\$%s\$bq\$, %s, %s);" "$q" "$REPEAT" "$BENCH_N"
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
	local ev="$1" pid op q perf_pid line
	bench_log "perf event: $ev"
	# One psql session as a coprocess, so we know and keep its backend.
	coproc PSQL { bench_psql 2>&1; }
	printf 'SET max_parallel_workers_per_gather = 0; SET jit = off;\nSELECT pg_backend_pid();\n' >&"${PSQL[1]}"
	read -r -t 30 pid <&"${PSQL[0]}" || bench_die "no answer from psql"
	[[ "$pid" =~ ^[0-9]+$ ]] || bench_die "unexpected psql output: $pid"
	bench_log "backend pid $pid"
	# Warm up the backend (plans, caches, shared buffers) before sampling.
	for op in verify sign; do
		printf '%s;\n' "$(query_for "$op")" >&"${PSQL[1]}"
		read -r -t 300 line <&"${PSQL[0]}" || bench_die "warm-up $op timed out"
	done
	for op in verify sign; do
		q="$(query_for "$op")"
		perf record -q -e "$ev" -g -p "$pid" -o "$WORK/$op.data" >"$WORK/$op.perf.log" 2>&1 &
		perf_pid=$!
		sleep 0.5
		printf '%s\n' "$(repeated_sql "$q")" >&"${PSQL[1]}"
		read -r -t 600 line <&"${PSQL[0]}" || bench_die "$op query timed out"
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		bench_log "$op: $REPEAT x $BENCH_N calls, best $line ms per $BENCH_N"
		[[ "$line" =~ ^[0-9.]+$ ]] || { cat "$WORK/$op.perf.log" >&2; bench_die "$op query failed: $line"; }
		[ -s "$WORK/$op.data" ] || { cat "$WORK/$op.perf.log" >&2; bench_die "perf wrote no data"; }
		OPS_LINE[$op]="$(awk -v n="$BENCH_N" -v ms="$line" 'BEGIN { printf "%.0f ops/s, %.2f us/call", n / (ms / 1000), ms * 1000 / n }')"
	done
	printf '\\q\n' >&"${PSQL[1]}"
	wait "$PSQL_PID" 2>/dev/null || true
	perf_top "$WORK/verify.data" "VERIFY: SELECT count(jwt_verify(tok, key, audience => ...)) FROM toks [${OPS_LINE[verify]}]"
	perf_top "$WORK/sign.data" "SIGN: SELECT count(jwt_sign(jsonb_build_object(...), key)) FROM generate_series [${OPS_LINE[sign]}]"
}

profile_callgrind() {
	local op q data bindir
	command -v valgrind >/dev/null 2>&1 || bench_die "neither perf nor valgrind can profile here"
	[ -n "${JWT_CLUSTER_DIR:-}" ] ||
		bench_die "the callgrind fallback needs the throwaway server of scripts/lib.sh (unset PGHOST)"
	data="$JWT_CLUSTER_DIR/data"
	bindir="$JWT_CLUSTER_BINDIR"
	jwt_cluster_stop_server() {
		_jwt_pg_run "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	}
	jwt_cluster_stop_server
	for op in verify sign; do
		q="$(query_for "$op")"
		bench_log "callgrind: $op ($BENCH_N calls, once)"
		# The query itself: wrapped in SELECT count(*) FROM (...), the planner
		# would drop the unused STABLE jwt_verify call.
		printf 'SET max_parallel_workers_per_gather = 0;\nSET jit = off;\n%s;\n' "$q" >"$WORK/$op.sql"
		chmod 644 "$WORK/$op.sql"
		chown postgres "$WORK" 2>/dev/null || true
		_jwt_pg_run valgrind --tool=callgrind --toggle-collect=standard_ExecutorRun \
			--callgrind-out-file="$WORK/callgrind.out.$op" \
			"$bindir/postgres" --single -j -D "$data" "${PGDATABASE:-postgres}" \
			<"$WORK/$op.sql" >"$WORK/$op.log" 2>&1 || { tail -n 20 "$WORK/$op.log" >&2; bench_die "callgrind run failed"; }
		grep -q "count = \"$BENCH_N\"" "$WORK/$op.log" ||
			{ tail -n 20 "$WORK/$op.log" >&2; bench_die "the $op query gave no result under callgrind"; }
		echo
		echo "=== ${op^^}: top $TOP functions by self instructions (callgrind, inside the executor only) ==="
		set +o pipefail
		callgrind_annotate "$WORK/callgrind.out.$op" 2>/dev/null |
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
fi

bench_connect
if [ "$TOOL" = callgrind ] && [ -z "${JWT_CLUSTER_DIR:-}" ]; then
	bench_die "the callgrind fallback needs the throwaway server of scripts/lib.sh (unset PGHOST)"
fi
declare -F jwt_at_exit >/dev/null && jwt_at_exit cleanup_work
bench_log "creating $BENCH_N pre-signed tokens"
bench_sql_setup

if [ "$TOOL" = perf ]; then
	profile_perf "$EV"
	bench_psql -c 'SET client_min_messages = warning' -c 'DROP SCHEMA jwt_bench CASCADE' >/dev/null
else
	profile_callgrind
fi
