#!/usr/bin/env bash
# test/bench/stats.sh: what counting costs.  HS256 jwt_verify throughput
# (one backend, set-based, as in run.sh) on two throwaway servers started
# side by side from the same binaries: one without jwt in
# shared_preload_libraries (nothing counted) and one with it (every call
# adds to a shared atomic counter; with a kid in the header it also
# records the kid's last use).  The servers are timed in alternation, round
# after round, so that both see the same machine; best and median per
# server, and the overhead of counting in percent.
# A benchmark, not a test: it prints figures and never asserts the targets.
#
# Usage: test/bench/stats.sh [--quick]
#   --quick    N=20000 and 3 rounds (a smoke run)
# Environment:
#   JWT_PG_BINDIR   binaries of the installation the extension is installed
#                   in (default: `${PG_CONFIG:-pg_config} --bindir`)
#   JWT_BENCH_N (200000), JWT_BENCH_ROUNDS (7), JWT_BENCH_SECRET
set -euo pipefail

for arg in "$@"; do
	case "$arg" in
		--quick) export JWT_BENCH_N="${JWT_BENCH_N:-20000}" JWT_BENCH_ROUNDS="${JWT_BENCH_ROUNDS:-3}" ;;
		-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

BINDIR="${JWT_PG_BINDIR:-$("${PG_CONFIG:-pg_config}" --bindir)}"
ROUNDS="${JWT_BENCH_ROUNDS:-7}"
WORK="$(mktemp -d)"
export PATH="$BINDIR:$PATH"
unset PGHOST PGPORT PGDATABASE
export PGUSER=postgres

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$WORK" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
cleanup() {
	local s
	for s in off on; do
		if [ -f "$WORK/$s/data/postmaster.pid" ]; then
			as_pg "$BINDIR/pg_ctl" -D "$WORK/$s/data" -m fast -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"

# start_server NAME PRELOAD: a server whose socket is in $WORK/NAME
start_server() {
	local dir="$WORK/$1"
	as_pg mkdir "$dir"
	as_pg "$BINDIR/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null 2>&1 ||
		bench_die "initdb failed ($BINDIR)"
	as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		port = 5432
		fsync = off
		shared_buffers = 256MB
		max_parallel_workers_per_gather = 0
		jit = off
		shared_preload_libraries = '$2'
	EOF
	as_pg "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		bench_die "could not start the server '$1'"
}

on() { PGHOST="$WORK/$1" PGPORT=5432 "${@:2}"; }

bench_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores); $BINDIR"
start_server off ''
start_server on jwt
key="$(bench_quote "$BENCH_SECRET")"
for s in off on; do
	bench_log "== server '$s': $BENCH_N tokens, and $BENCH_N with a kid"
	PGHOST="$WORK/$s" PGPORT=5432 bench_sql_setup
	on "$s" bench_psql -c "SET max_parallel_workers_per_gather = 0" -c "
		CREATE UNLOGGED TABLE jwt_bench.toks_kid AS
			SELECT i, jwt_sign($(bench_claims_sql "$BENCH_NOW"), $key, header => '{\"kid\": \"bench-key-1\"}') AS tok
			FROM generate_series(1, $BENCH_N) i" -c "VACUUM ANALYZE jwt_bench.toks_kid"
	# wall and CPU ms of one execution of q after a warm-up one; the CPU
	# time is the backend's own (/proc/self/schedstat, in ns), which other
	# load on the machine disturbs far less than the wall time
	on "$s" bench_psql <<-'SQL'
		CREATE FUNCTION jwt_bench.cost(q text, expect bigint, OUT wall_ms float8, OUT cpu_ms float8)
		LANGUAGE plpgsql AS $f$
		DECLARE
			t0 timestamptz;
			c0 float8;
			got bigint;
		BEGIN
			EXECUTE q INTO got;
			IF got IS DISTINCT FROM expect THEN
				RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
			END IF;
			c0 := split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8;
			t0 := clock_timestamp();
			EXECUTE q INTO got;
			wall_ms := extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
			cpu_ms := (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8 - c0) / 1e6;
		END
		$f$;
	SQL
done
check="$(on on bench_psql -c "SELECT counting FROM jwt_stats_info")"
[ "$check" = t ] || bench_die "the preloaded server does not count"
[ "$(on off bench_psql -c "SELECT counting FROM jwt_stats_info")" = f ] ||
	bench_die "the plain server counts"

aud="'jwt-bench-api'"
labels=("HS256 jwt_verify(tok, key, audience => ...)"
	"HS256 jwt_verify, a kid in the header")
queries=("SELECT count(jwt_verify(tok, $key, audience => $aud)) FROM jwt_bench.toks"
	"SELECT count(jwt_verify(tok, $key, audience => $aud)) FROM jwt_bench.toks_kid")

# "wall_ms<TAB>cpu_ms" of one execution after a warm-up one, in a fresh session
time_once() {
	on "$1" bench_psql -F $'\t' -c "SET jit = off" \
		-c "SELECT * FROM jwt_bench.cost(\$bq\$$2\$bq\$, $BENCH_N)"
}

RES="$WORK/results"
: >"$RES"
for ((r = 1; r <= ROUNDS; r++)); do
	for qi in "${!queries[@]}"; do
		# alternate which server goes first
		if ((r % 2)); then order="off on"; else order="on off"; fi
		for s in $order; do
			printf '%s\t%s\t%s\n' "$qi" "$s" "$(time_once "$s" "${queries[$qi]}")" >>"$RES"
		done
	done
	bench_log "  round $r/$ROUNDS done"
done
on on bench_psql -c "SELECT 'counted on the preloaded server: ' || string_agg(kind || ' ' || algorithm || ' ' || coalesce(outcome, '') || ' = ' || count, ', ') FROM jwt_stats" >&2
on on bench_psql -c "SELECT 'kids tracked: ' || string_agg(kid, ', ') FROM jwt_key_usage()" >&2
bench_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

report() { # column of $RES (3: wall, 4: CPU), title
	printf '\n%s\n' "$2"
	printf '%-42s %13s %13s %13s %13s %8s %8s\n' "query" "off best/s" "on best/s" "off median/s" \
		"on median/s" "best" "median"
	for qi in "${!queries[@]}"; do
		awk -F'\t' -v qi="$qi" -v col="$1" -v n="$BENCH_N" -v label="${labels[$qi]}" '
		function median(a, k,   i, j, t) {
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}
		$1 == qi && $2 == "off" { off[++no] = $col }
		$1 == qi && $2 == "on" { on[++nn] = $col }
		END {
			bo = off[1]; bn = on[1]
			for (i = 1; i <= no; i++) if (off[i] < bo) bo = off[i]
			for (i = 1; i <= nn; i++) if (on[i] < bn) bn = on[i]
			mo = median(off, no); mn = median(on, nn)
			printf "%-42s %13.0f %13.0f %13.0f %13.0f %7.1f%% %7.1f%%\n", label,
				n / (bo / 1000), n / (bn / 1000), n / (mo / 1000), n / (mn / 1000),
				100 * (bn - bo) / bo, 100 * (mn - mo) / mo
		}' "$RES"
	done
}

printf '\nCost of counting: HS256, %d tokens per run, %d rounds alternating the server without\n' "$BENCH_N" "$ROUNDS"
printf 'jwt in shared_preload_libraries (off) and the one with it (on); ops/s, and the\n'
printf 'extra time per call with counting on (negative values are noise)\n'
report 4 "by the backend's CPU time (the figure to trust on a busy machine)"
report 3 "by wall time"
