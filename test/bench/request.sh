#!/usr/bin/env bash
# test/bench/request.sh: one API request through pgbench, with the claims
# established by the extension, against the same request with the claims
# set by set_config and a constant policy.  A benchmark, not a test: it
# prints transactions per second and ratios and never asserts the targets.
#
# The request (pgbench -M prepared, JWT_BENCH_REQ_SECONDS (5) per run,
# 1 and 2 clients, JWT_BENCH_RUNS (3) rounds, each variant run between two
# runs of the baseline so that load drift hits them alike):
#   BEGIN;
#   SELECT jwt_authenticate(token, ...);      -- or set_config(...) for the baseline
#   SET LOCAL ROLE jwt_req_bench_user;
#   SELECT body FROM docs WHERE id = :id;     -- under an RLS policy
#   COMMIT;
# Variants:
#   baseline   set_config('request.jwt.claims', ..., true), policy
#              owner_id = 'user-42' (a constant)
#   HS256      jwt_authenticate(token, secret, algorithms => '{HS256}',
#              audience => ...), policy owner_id = jwt_claim('sub'); with
#              the denylist cache off (jwt.denylist_cache_size = 0: both
#              lookups on every request) and on (the default)
#   ES256 reg  jwt_registry_authenticate(token, audience => ...), the key
#              in the registry, same policy; with the verified-token cache
#              cold (jwt.token_cache_size = 0) and warm (the default: the
#              client reuses its access token, as clients do)
#   EdDSA reg  the same with an Ed25519 registry key
#   request    PostgREST's request mode: the baseline's set_config, with
#              jwt.claims_source = 'request.jwt.claims' and the policy
#              owner_id = jwt_claim('sub') (no token: PostgREST verified it)
# The denylist is checked in every variant that verifies a token
# (check_revoked defaults to true).
#
# A round runs the baseline, the first variant, the baseline, the second
# variant, ..., the baseline: every variant run sits between two baseline
# runs a few seconds away (the last baseline run of a round opens the
# next).  Two comparisons with the baseline: best against best (the
# baseline's best over the runs that opened the rounds, as many as each
# variant has), and "paired": in every round, a variant's tps over the mean
# of the two baseline runs around it, the median of the rounds, with the
# lowest and highest of them.  The machine's speed drifts during a run (on
# some virtual machines by a fifth within a minute); a variant is compared
# with the baseline of its own seconds.  The ES256 and EdDSA variants run
# with the denylist cache on.
#
# Server CPU per request: when the server runs on this machine and its
# postmaster.pid is readable, each run also measures the CPU time (user and
# system) that the server's backends used, from the postmaster's counters
# of its exited children (/proc/PID/stat: a backend's time is added there
# when pgbench's connection ends and the backend is reaped), divided by
# the transactions pgbench processed.  Unlike a rate, it does not count the
# time a request waits (an idle vCPU waking up, the client's turn): it is
# what a request costs the server.  The table shows the median of the
# runs for each variant, and its change paired as the rates are.
#
# Server: PGHOST/PGPORT from the environment when set (the jwt extension
# must be installable there, and the user a superuser: the benchmark adds
# registry keys of its own and sets jwt.token_cache_size); else
# scripts/lib.sh builds, installs and starts a throwaway server, with jwt
# in shared_preload_libraries (the denylist cache needs it; without it the
# "on" variant equals the "off" one, and the output says so).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

SECS="${JWT_BENCH_REQ_SECONDS:-5}"
RUNS="$BENCH_RUNS"
ROWS="${JWT_BENCH_REQ_ROWS:-100000}"
ROLE=jwt_req_bench_user
KEY="$BENCH_SECRET"

JWT_CLUSTER_CONF="${JWT_CLUSTER_CONF:-}
shared_preload_libraries = 'jwt'"
bench_connect
PGBENCH="pgbench"
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pgbench" ]; then
	PGBENCH="$(pg_config --bindir)/pgbench"
fi
[ -n "${JWT_CLUSTER_BINDIR:-}" ] && [ -x "$JWT_CLUSTER_BINDIR/pgbench" ] && PGBENCH="$JWT_CLUSTER_BINDIR/pgbench"
command -v "$PGBENCH" >/dev/null 2>&1 || bench_die "pgbench not found"
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

WORK="$(mktemp -d)"
cleanup_req() {
	bench_psql <<-SQL >/dev/null 2>&1 || true
		DROP SCHEMA IF EXISTS jwt_req_bench CASCADE;
		DELETE FROM jwt_keys WHERE kid LIKE 'jwt-req-bench-%';
		DROP ROLE IF EXISTS $ROLE;
	SQL
	rm -rf "$WORK"
}
if declare -F jwt_at_exit >/dev/null; then jwt_at_exit cleanup_req; else trap cleanup_req EXIT; fi

bench_log "setting up $ROWS rows, registry keys and tokens"
cleanup_req
WORK="$(mktemp -d)"
bench_psql -v key="$KEY" <<-SQL >/dev/null
	SET client_min_messages = warning;
	CREATE EXTENSION IF NOT EXISTS jwt;
	CREATE SCHEMA jwt_req_bench;
	CREATE ROLE $ROLE;
	GRANT USAGE ON SCHEMA jwt_req_bench TO $ROLE;
	CREATE TABLE jwt_req_bench.docs_const (id int PRIMARY KEY, owner_id text NOT NULL, body text);
	CREATE TABLE jwt_req_bench.docs_jwt (LIKE jwt_req_bench.docs_const INCLUDING ALL);
	INSERT INTO jwt_req_bench.docs_const SELECT i, 'user-' || (i % 1000), 'document ' || i FROM generate_series(1, $ROWS) i;
	INSERT INTO jwt_req_bench.docs_jwt SELECT * FROM jwt_req_bench.docs_const;
	ALTER TABLE jwt_req_bench.docs_const ENABLE ROW LEVEL SECURITY;
	ALTER TABLE jwt_req_bench.docs_jwt ENABLE ROW LEVEL SECURITY;
	CREATE POLICY p ON jwt_req_bench.docs_const USING (owner_id = 'user-42');
	CREATE POLICY p ON jwt_req_bench.docs_jwt USING (owner_id = jwt_claim('sub'));
	GRANT SELECT ON jwt_req_bench.docs_const, jwt_req_bench.docs_jwt TO $ROLE;
	VACUUM ANALYZE jwt_req_bench.docs_const, jwt_req_bench.docs_jwt;
	-- verify-only registry keys of the benchmark's own; tokens are signed
	-- with their private halves, kept here for the run
	CREATE TABLE jwt_req_bench.keys AS
		SELECT 'ES256' AS alg, 'jwt-req-bench-es' AS kid, jwt_generate_key('ES256') AS priv
		UNION ALL
		SELECT 'EdDSA', 'jwt-req-bench-ed', jwt_generate_key('EdDSA');
	SELECT count(jwt_registry_add(jwt_public_jwk(priv)::text, alg, kid, 'verify_only')) AS added
	  FROM jwt_req_bench.keys;
SQL
CLAIMS="{\"sub\":\"user-42\",\"aud\":\"jwt-bench-api\",\"role\":\"$ROLE\",\"jti\":\"req-1\"}"
mint() { # algorithm or HS256
	if [ "$1" = HS256 ]; then
		echo "SELECT jwt_sign(:'c'::jsonb, :'key', 'HS256', expires_in => interval '1 day');" |
			bench_psql -v key="$KEY" -v c="$CLAIMS"
	else
		echo "SELECT jwt_sign(:'c'::jsonb, priv, alg, header => jsonb_build_object('kid', kid), expires_in => interval '1 day') FROM jwt_req_bench.keys WHERE alg = '$1';" |
			bench_psql -v c="$CLAIMS"
	fi
}
TOK_HS="$(mint HS256)"
TOK_ES="$(mint ES256)"
TOK_ED="$(mint EdDSA)"
[ -n "$TOK_HS" ] && [ -n "$TOK_ES" ] && [ -n "$TOK_ED" ] || bench_die "could not make the tokens"

# One pgbench script per variant; ids of user-42's rows: 42, 1042, ...
script() { # name, authentication statement, table
	cat >"$WORK/$1.sql" <<-SQL
		\\set n random(0, $((ROWS / 1000 - 1)))
		BEGIN;
		$2;
		SET LOCAL ROLE $ROLE;
		SELECT body FROM jwt_req_bench.$3 WHERE id = :n * 1000 + 42;
		COMMIT;
	SQL
}
script baseline "SELECT set_config('request.jwt.claims', '$CLAIMS', true)" docs_const
script hs256 "SELECT jwt_authenticate('$TOK_HS', '$KEY', algorithms => '{HS256}', audience => 'jwt-bench-api')" docs_jwt
script es256 "SELECT jwt_registry_authenticate('$TOK_ES', audience => 'jwt-bench-api')" docs_jwt
script eddsa "SELECT jwt_registry_authenticate('$TOK_ED', audience => 'jwt-bench-api')" docs_jwt
script request "SELECT set_config('request.jwt.claims', '$CLAIMS', true)" docs_jwt
chmod -R a+rX "$WORK"

# Check each once: one row, no error.
for v in baseline hs256 es256 eddsa request; do
	PGOPTIONS="$([ "$v" = request ] && echo "-c jwt.claims_source=request.jwt.claims")" \
		"$PGBENCH" -n -M prepared -t 1 -f "$WORK/$v.sql" >"$WORK/check.log" 2>&1 ||
		{ cat "$WORK/check.log" >&2; bench_die "the $v request failed"; }
done

DL_ACTIVE="$(echo "SELECT CASE WHEN active THEN 'yes' ELSE 'no (jwt is not in shared_preload_libraries)' END FROM jwt_denylist_cache_info();" | bench_psql)"
bench_log "denylist cache active: $DL_ACTIVE"

# VARIANT label, script, PGOPTIONS
VARIANTS=(
	"baseline|baseline|"
	"hs256_nodl|hs256|-c jwt.denylist_cache_size=0"
	"hs256|hs256|"
	"es256_cold|es256|-c jwt.token_cache_size=0"
	"es256_warm|es256|"
	"eddsa_cold|eddsa|-c jwt.token_cache_size=0"
	"eddsa_warm|eddsa|"
	"request|request|-c jwt.claims_source=request.jwt.claims"
)
# The postmaster, when its CPU counters can be read here (see the header).
PM_PID=""
PM_DIR="$(echo "SHOW data_directory;" | bench_psql 2>/dev/null || true)"
if [ -n "$PM_DIR" ] && [ -r "$PM_DIR/postmaster.pid" ]; then
	PM_PID="$(head -n 1 "$PM_DIR/postmaster.pid")"
	[ -r "/proc/$PM_PID/stat" ] || PM_PID=""
fi
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
# utime + stime + cutime + cstime of the postmaster, in clock ticks (the
# command name, field 2, has no spaces: "(postgres)")
server_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM_PID/stat"; }
# Wait (up to 10 s) until the postmaster has no child but those of "$1"
# (its own processes before the run): every backend of the run reaped.
wait_reaped() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(pgrep -P "$PM_PID" | sort | tr '\n' ' ')" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

declare -A BEST=() TPS=() CPU=() BEFORE=()
NB=0 # baseline runs so far, for the current number of clients
run_one() { # label script options clients key
	local out tps tx before t0 t1
	if [ -n "$PM_PID" ]; then
		before="$(pgrep -P "$PM_PID" | sort | tr '\n' ' ')"
		t0="$(server_ticks)"
	fi
	out="$(PGOPTIONS="$3" "$PGBENCH" -n -M prepared -c "$4" -j "$4" -T "$SECS" -f "$WORK/$2.sql" 2>&1)"
	tps="$(awk '/^tps = / { print int($3); exit }' <<<"$out")"
	tx="$(awk -F': ' '/^number of transactions actually processed/ { print $2 + 0; exit }' <<<"$out")"
	[ -n "$tps" ] || bench_die "pgbench gave no tps for $1"
	TPS[$1/$4/$5]="$tps"
	if [ -n "$PM_PID" ] && wait_reaped "$before" && [ "${tx:-0}" -gt 0 ]; then
		t1="$(server_ticks)"
		CPU[$1/$4/$5]="$(awk -v t="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$tx" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
		bench_log "  $1, $4 client(s): $tps tps, server CPU ${CPU[$1/$4/$5]} us a request"
	else
		bench_log "  $1, $4 client(s): $tps tps"
	fi
}
best_of() { # label clients key
	if [ -z "${BEST[$1/$2]:-}" ] || [ "${TPS[$1/$2/$3]}" -gt "${BEST[$1/$2]}" ]; then
		BEST[$1/$2]="${TPS[$1/$2/$3]}"
	fi
}
for clients in 1 2; do
	bench_log "== $clients client(s): $RUNS rounds, each variant between two baseline runs, $SECS s each"
	NB=0
	for ((r = 1; r <= RUNS; r++)); do
		first=1
		for v in "${VARIANTS[@]}"; do
			IFS='|' read -r label sc opts <<<"$v"
			[ "$label" = baseline ] && continue
			if [ "$first" = 1 ]; then
				# the round's opening baseline run: the previous round's
				# closing one, or a new one at the start
				if [ "$NB" -eq 0 ]; then
					run_one baseline baseline "" "$clients" "$NB"
					NB=$((NB + 1))
				fi
				best_of baseline "$clients" "$((NB - 1))"
				first=0
			fi
			BEFORE[$label/$clients/$r]="$((NB - 1))"
			run_one "$label" "$sc" "$opts" "$clients" "$r"
			best_of "$label" "$clients" "$r"
			run_one baseline baseline "" "$clients" "$NB"
			NB=$((NB + 1))
		done
	done
done

# The paired change against the baseline, in percent (see the header):
# "median (lowest .. highest)" of the rounds' ratios.  $1: TPS or CPU.
paired() { # array label clients
	local -n m="$1"
	local r b list=""
	for ((r = 1; r <= RUNS; r++)); do
		b="${BEFORE[$2/$3/$r]}"
		# "x" for a run without a figure (its server CPU not measured)
		list+="${m[$2/$3/$r]:-x} ${m[baseline/$3/$b]:-x} ${m[baseline/$3/$((b + 1))]:-x} "
	done
	awk -v l="$list" 'BEGIN {
		n = split(l, f, " ")
		for (i = 1; i + 2 <= n; i += 3) {
			if (f[i] == "x" || f[i + 1] == "x" || f[i + 2] == "x" || f[i + 1] + f[i + 2] <= 0) continue
			q[++k] = f[i] / ((f[i + 1] + f[i + 2]) / 2)
		}
		if (k == 0) { print ""; exit }
		for (i = 2; i <= k; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		med = k % 2 ? q[(k + 1) / 2] : (q[k / 2] + q[k / 2 + 1]) / 2
		printf "%+.1f%% (%+.1f .. %+.1f)", (med - 1) * 100, (q[1] - 1) * 100, (q[k] - 1) * 100 }'
}

echo
echo "One API request (BEGIN; authenticate; SET LOCAL ROLE; one row by primary key under RLS; COMMIT),"
echo "pgbench -M prepared, $SECS s per run, best of $RUNS; denylist checked; paired: median (lowest .. highest) of $RUNS rounds"
printf '  %-46s %8s %8s %8s %8s  %-27s %-27s\n' "variant" "1 client" "2 clnts" "best, 1" "best, 2" "paired, 1 client" "paired, 2 clients"
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r label sc opts <<<"$v"
	case "$label" in
		baseline) name="baseline: set_config claims, constant policy" ;;
		hs256_nodl) name="HS256, key passed in, denylist cache off" ;;
		hs256) name="HS256, key passed in, denylist cache on" ;;
		es256_cold) name="ES256 registry, token cache cold (off)" ;;
		es256_warm) name="ES256 registry, token cache warm" ;;
		eddsa_cold) name="EdDSA registry, token cache cold (off)" ;;
		eddsa_warm) name="EdDSA registry, token cache warm" ;;
		request) name="request mode: set_config, jwt_claim policy" ;;
	esac
	p1="" p2=""
	[ "$label" != baseline ] && p1="$(paired TPS "$label" 1)" p2="$(paired TPS "$label" 2)"
	awk -v n="$name" -v a="${BEST[$label/1]}" -v b="${BEST[$label/2]}" \
		-v ba="${BEST[baseline/1]}" -v bb="${BEST[baseline/2]}" -v p1="$p1" -v p2="$p2" 'BEGIN {
		printf "  %-46s %8d %8d %+7.1f%% %+7.1f%%  %-27s %-27s\n", n, a, b, (a / ba - 1) * 100, (b / bb - 1) * 100, p1, p2 }'
done
echo "  (policy owner_id = jwt_claim('sub') in every variant but the baseline; denylist cache active: $DL_ACTIVE)"
echo

# Server CPU per request: the median of the runs (see the header).
cpu_median() { # label clients
	local k list=""
	for k in "${!CPU[@]}"; do
		case "$k" in "$1/$2/"*) list+="${CPU[$k]} " ;; esac
	done
	awk -v l="$list" 'BEGIN {
		m = split(l, q, " ")
		if (m == 0) { print ""; exit }
		for (i = 2; i <= m; i++) for (j = i; j > 1 && q[j - 1] + 0 > q[j] + 0; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
		printf "%.1f", m % 2 ? q[(m + 1) / 2] : (q[m / 2] + q[m / 2 + 1]) / 2 }'
}
if [ -n "$PM_PID" ]; then
	echo "Server CPU per request (user + system time of the backends over the transactions): median of the runs;"
	echo "change paired as above (the lower the better)"
	printf '  %-46s %10s %10s  %-27s %-27s\n' "variant" "1 client" "2 clients" "paired, 1 client" "paired, 2 clients"
	for v in "${VARIANTS[@]}"; do
		IFS='|' read -r label sc opts <<<"$v"
		a="$(cpu_median "$label" 1)" b="$(cpu_median "$label" 2)" p1="" p2=""
		if [ -z "$a" ] || [ -z "$b" ]; then
			printf '  %-46s %10s\n' "$label" "(not measured)"
			continue
		fi
		[ "$label" != baseline ] && p1="$(paired CPU "$label" 1)" p2="$(paired CPU "$label" 2)"
		printf '  %-46s %7s us %7s us  %-27s %-27s\n' "$label" "$a" "$b" "$p1" "$p2"
	done
	echo
else
	echo "(server CPU per request not measured: the server's postmaster.pid is not readable here)"
	echo
fi
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
