#!/usr/bin/env bash
# test/bench/stats.sh: what counting costs.  HS256 jwt_verify throughput
# (one backend, set-based, as in run.sh) on two throwaway servers started
# side by side from the same binaries: "off" without jwt in
# shared_preload_libraries (nothing counted) and "on" with it (every call
# adds to a shared atomic counter; with a kid in the header it also
# records the kid's last use).
#
# One session on "off" drives both: it times a query on itself, then the
# same query on "on" through dblink (or the other way round, alternating),
# pair after pair, so that each pair sees the same machine.  Times are the
# executing backend's CPU time (/proc/self/schedstat), which other load
# disturbs far less than wall time.  The overhead is the median over pairs
# of on/off - 1, with its interquartile range as the noise.
#
# Two servers differ by a few percent whatever they run (memory placement),
# which hides an effect this small; so, when perf can sample, the script
# also profiles the preloaded server's backend and reports the share of
# jwt_verify's own time spent in the counting code (jwt_stats_verified and
# what it calls): a direct measure of the overhead.
# A benchmark, not a test: it prints figures and never asserts the targets.
#
# Usage: test/bench/stats.sh [--quick]
#   --quick    N=10000 and 6 pairs (a smoke run)
# Environment:
#   JWT_PG_BINDIR   binaries of the installation the extension is installed
#                   in (default: `${PG_CONFIG:-pg_config} --bindir`); its
#                   contrib must have dblink
#   JWT_BENCH_N (50000 tokens per run), JWT_BENCH_PAIRS (40),
#   JWT_BENCH_SECRET
set -euo pipefail

for arg in "$@"; do
	case "$arg" in
		--quick) export JWT_BENCH_N="${JWT_BENCH_N:-10000}" JWT_BENCH_PAIRS="${JWT_BENCH_PAIRS:-6}" ;;
		-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

export JWT_BENCH_N="${JWT_BENCH_N:-50000}"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

BINDIR="${JWT_PG_BINDIR:-$("${PG_CONFIG:-pg_config}" --bindir)}"
PAIRS="${JWT_BENCH_PAIRS:-40}"
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
	# wall and CPU ms of one execution of q: the CPU time is the backend's
	# own (/proc/self/schedstat, in ns)
	on "$s" bench_psql <<-'SQL'
		CREATE FUNCTION jwt_bench.cost(q text, expect bigint, OUT wall_ms float8, OUT cpu_ms float8)
		LANGUAGE plpgsql AS $f$
		DECLARE
			t0 timestamptz;
			c0 float8;
			got bigint;
		BEGIN
			c0 := split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8;
			t0 := clock_timestamp();
			EXECUTE q INTO got;
			wall_ms := extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
			cpu_ms := (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8 - c0) / 1e6;
			IF got IS DISTINCT FROM expect THEN
				RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
			END IF;
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

on off bench_psql -c "CREATE EXTENSION IF NOT EXISTS dblink" >/dev/null 2>&1 ||
	bench_die "dblink is not installed in $BINDIR's PostgreSQL (contrib)"

bench_log "== timing: $PAIRS pairs per query, $BENCH_N tokens per run"
# The driver: one session on "off", one dblink session on "on".
# shellcheck disable=SC2016 # $$ quoting is SQL
on off bench_psql -F $'\t' >"$WORK/samples" <<SQL
SET jit = off;
SELECT dblink_connect('on', 'host=$WORK/on port=5432 dbname=postgres user=postgres') \g /dev/null
SELECT dblink_exec('on', 'SET jit = off') \g /dev/null
CREATE TEMP TABLE q (qi int, sql text);
INSERT INTO q VALUES $(for qi in "${!queries[@]}"; do
	printf "%s(%d, %s)" "$([ "$qi" -gt 0 ] && echo ', ')" "$qi" "$(bench_quote "${queries[$qi]}")"
done);
CREATE TEMP TABLE samples (qi int, pair int, server text, wall_ms float8, cpu_ms float8);
DO \$d\$
DECLARE
	r record;
	p int;
	s text;
	w float8;
	c float8;
BEGIN
	-- warm-up: every query twice on both
	FOR r IN SELECT * FROM q LOOP
		FOR p IN 1..2 LOOP
			PERFORM * FROM jwt_bench.cost(r.sql, $BENCH_N);
			PERFORM * FROM dblink('on', format('SELECT * FROM jwt_bench.cost(%L, %s)', r.sql, $BENCH_N))
				AS t(wall_ms float8, cpu_ms float8);
		END LOOP;
	END LOOP;
	FOR p IN 1..$PAIRS LOOP
		FOR r IN SELECT * FROM q ORDER BY qi LOOP
			FOREACH s IN ARRAY CASE WHEN p % 2 = 1 THEN ARRAY['off', 'on'] ELSE ARRAY['on', 'off'] END LOOP
				IF s = 'off' THEN
					SELECT * INTO w, c FROM jwt_bench.cost(r.sql, $BENCH_N);
				ELSE
					SELECT * INTO w, c FROM dblink('on', format('SELECT * FROM jwt_bench.cost(%L, %s)', r.sql, $BENCH_N))
						AS t(wall_ms float8, cpu_ms float8);
				END IF;
				INSERT INTO samples VALUES (r.qi, p, s, w, c);
			END LOOP;
		END LOOP;
	END LOOP;
END
\$d\$;
-- per query: median ops/s each way, and the median and quartiles of the
-- paired overhead on/off - 1, by CPU time and by wall time
SELECT qi,
       round($BENCH_N / (percentile_cont(0.5) WITHIN GROUP (ORDER BY f.cpu_ms) / 1000)) AS off_ops,
       round($BENCH_N / (percentile_cont(0.5) WITHIN GROUP (ORDER BY n.cpu_ms) / 1000)) AS on_ops,
       round((100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY n.cpu_ms / f.cpu_ms - 1))::numeric, 1),
       round((100 * percentile_cont(0.25) WITHIN GROUP (ORDER BY n.cpu_ms / f.cpu_ms - 1))::numeric, 1),
       round((100 * percentile_cont(0.75) WITHIN GROUP (ORDER BY n.cpu_ms / f.cpu_ms - 1))::numeric, 1),
       round((100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY n.wall_ms / f.wall_ms - 1))::numeric, 1),
       round((100 * percentile_cont(0.25) WITHIN GROUP (ORDER BY n.wall_ms / f.wall_ms - 1))::numeric, 1),
       round((100 * percentile_cont(0.75) WITHIN GROUP (ORDER BY n.wall_ms / f.wall_ms - 1))::numeric, 1)
  FROM samples f JOIN samples n USING (qi, pair)
 WHERE f.server = 'off' AND n.server = 'on'
 GROUP BY qi ORDER BY qi;
SQL
on on bench_psql -c "SELECT 'counted on the preloaded server: ' || string_agg(kind || ' ' || algorithm || ' ' || coalesce(outcome, '') || ' = ' || count, ', ') FROM jwt_stats" >&2
on on bench_psql -c "SELECT 'kids tracked: ' || string_agg(kid, ', ') FROM jwt_key_usage()" >&2
bench_log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

printf '\nCost of counting: HS256, %d tokens per run, %d pairs of runs (off, on) per query.\n' "$BENCH_N" "$PAIRS"
printf 'ops/s: median by CPU time; overhead: median of on/off - 1 over the pairs [quartiles];\n'
printf 'two servers differ by a few percent whatever they run: see the profile below\n\n'
printf '%-42s %11s %11s %26s %26s\n' "query" "off ops/s" "on ops/s" "overhead by CPU time" "overhead by wall time"
on_ops_by_q=()
while IFS=$'\t' read -r qi off_ops on_ops cm cq1 cq3 wm wq1 wq3; do
	on_ops_by_q[$qi]="$on_ops"
	printf '%-42s %11s %11s %26s %26s\n' "${labels[$qi]}" "$off_ops" "$on_ops" \
		"$cm% [$cq1%, $cq3%]" "$wm% [$wq1%, $wq3%]"
done <"$WORK/samples"

# ---------------------------------------------------------------- profile
if ! command -v perf >/dev/null 2>&1 || ! perf record -q -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
	printf '\n(perf cannot sample here: no profile of the counting code)\n'
	exit 0
fi
printf '\nShare of jwt_verify'"'"'s time in the counting code (perf, cpu-clock, preloaded server):\n'
for qi in "${!queries[@]}"; do
	reps=$(( 4 * ${on_ops_by_q[$qi]:-500000} / BENCH_N + 1 ))
	on on "$BINDIR/psql" -X -q -c "SET application_name = 'jwt_bench_profile'" -c "SET jit = off" \
		-c "SELECT sum(q.count) FROM generate_series(1, $reps) r, LATERAL (${queries[$qi]} WHERE r > 0) q" >/dev/null &
	qpid=$!
	pid=""
	for _ in $(seq 50); do
		pid="$(on on bench_psql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'jwt_bench_profile' AND state = 'active'")"
		[ -n "$pid" ] && break
		sleep 0.1
	done
	if [ -z "$pid" ]; then
		wait "$qpid" || true
		continue
	fi
	sleep 0.3
	perf record -q -g -e cpu-clock -F 2000 -p "$pid" -o "$WORK/perf.data" -- sleep 2 >"$WORK/perf.log" 2>&1 || cat "$WORK/perf.log" >&2
	wait "$qpid" || true
	perf report -i "$WORK/perf.data" --children --sort symbol --stdio 2>/dev/null |
		awk -v label="${labels[$qi]}" '
		$1 ~ /%$/ && $4 == "jwt_verify_text" { v = $1 + 0 }
		$1 ~ /%$/ && $4 == "jwt_stats_verified" { c = $1 + 0 }
		END {
			if (v > 0)
				printf "%-42s %5.1f%% of the query, %5.2f%% of it in counting: overhead %.1f%%\n",
					label, v, c, 100 * c / v
		}'
done
