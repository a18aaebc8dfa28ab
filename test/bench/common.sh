# shellcheck shell=bash disable=SC2119,SC2120
# (SC2119/SC2120: helpers that take optional arguments)
# test/bench/common.sh: shared by run.sh and profile.sh (source it).
#
# bench_connect      use PGHOST/PGPORT from the environment when set, else
#                    build, install and start a throwaway server through
#                    scripts/lib.sh (stopped when the calling script exits)
# bench_sql_setup    schema jwt_bench: N pre-signed distinct tokens (toks),
#                    their claims as jsonb (claims) and the timing function
#                    jwt_bench.best_ms(query, runs, expected count)
# bench_queries      prints "op<TAB>label<TAB>query" for every measured query
#
# Environment: JWT_BENCH_N (default 200000), JWT_BENCH_RUNS (default 3),
# JWT_BENCH_SECRET (text secret, >= 32 bytes).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
BENCH_N="${JWT_BENCH_N:-200000}"
BENCH_RUNS="${JWT_BENCH_RUNS:-3}"
BENCH_SECRET="${JWT_BENCH_SECRET:-jwt-bench-hs256-secret-0123456789abcdef-0123456789abcdef-0123}"
export JWT_BENCH_N="$BENCH_N" JWT_BENCH_RUNS="$BENCH_RUNS" JWT_BENCH_SECRET="$BENCH_SECRET"

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# psql for scripts: no psqlrc, stop on error, unaligned tuples only.
bench_psql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

bench_connect() {
	if [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ]; then
		bench_log "using the server at PGHOST=${PGHOST:-<default>} PGPORT=${PGPORT:-<default>}"
		return 0
	fi
	[ -f "$BENCH_ROOT/scripts/lib.sh" ] ||
		bench_die "set PGHOST/PGPORT to a server with the jwt extension installed (scripts/lib.sh is missing)"
	# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
	source "$BENCH_ROOT/scripts/lib.sh"
	jwt_ensure_deps
	bench_log "building and installing the extension (make, make install)"
	jwt_build_install || bench_die "build failed"
	# Room for the token table in shared_buffers; one backend, no parallel
	# workers, no JIT (set again per session below).
	JWT_CLUSTER_CONF="${JWT_CLUSTER_CONF:-}
shared_buffers = 256MB
max_parallel_workers_per_gather = 0
jit = off"
	jwt_cluster_start || bench_die "could not start a throwaway server"
	bench_log "throwaway server at $PGHOST port $PGPORT"
}

# SQL literal of a string.
bench_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# Claims of row i, the same shape as node_bench.mjs and floor/hs256_floor.c.
bench_claims_sql() {
	local now="$1"
	printf '%s' "jsonb_build_object('sub', 'user-' || i, 'jti', lpad(to_hex(i), 32, '0'), 'iat', $now, 'exp', $now + 86400, 'iss', 'jwt-bench-issuer', 'aud', 'jwt-bench-api', 'role', 'authenticated')"
}

bench_sql_setup() {
	local now key
	now="$(date +%s)"
	key="$(bench_quote "$BENCH_SECRET")"
	BENCH_NOW="$now"	# used by the sourcing scripts
	export BENCH_NOW
	bench_psql <<-SQL
		SET client_min_messages = warning;
		DO \$\$
		BEGIN
			IF to_regproc('jwt_verify') IS NULL
			   AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'jwt') THEN
				CREATE EXTENSION jwt;
			END IF;
		END
		\$\$;
		DROP SCHEMA IF EXISTS jwt_bench CASCADE;
		CREATE SCHEMA jwt_bench;
		SET max_parallel_workers_per_gather = 0;
		SET jit = off;
		CREATE UNLOGGED TABLE jwt_bench.toks AS
			SELECT i, jwt_sign($(bench_claims_sql "$now"), $key) AS tok
			FROM generate_series(1, $BENCH_N) i;
		-- The same claims, pre-built, to time jwt_sign without jsonb_build_object.
		CREATE UNLOGGED TABLE jwt_bench.claims AS
			SELECT i, $(bench_claims_sql "$now") AS claims
			FROM generate_series(1, $BENCH_N) i;
		VACUUM ANALYZE jwt_bench.toks, jwt_bench.claims;

		-- Best wall time in ms of q over runs executions, after one warm-up
		-- execution; q must return one bigint, which must equal expect.
		CREATE FUNCTION jwt_bench.best_ms(q text, runs int, expect bigint)
		RETURNS float8 LANGUAGE plpgsql AS \$f\$
		DECLARE
			t0 timestamptz;
			best float8 := 'Infinity';
			got bigint;
		BEGIN
			EXECUTE q INTO got;
			IF got IS DISTINCT FROM expect THEN
				RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
			END IF;
			FOR r IN 1..runs LOOP
				t0 := clock_timestamp();
				EXECUTE q INTO got;
				best := least(best, extract(epoch FROM clock_timestamp() - t0)::float8 * 1000);
			END LOOP;
			RETURN best;
		END
		\$f\$;
	SQL
}

# op<TAB>label<TAB>query; every query returns one bigint equal to BENCH_N.
bench_queries() {
	local now="$1" key claims n="$BENCH_N" aud="'jwt-bench-api'"
	key="$(bench_quote "$BENCH_SECRET")"
	claims="$(bench_claims_sql "$now")"
	printf 'sign\tjwt_sign(jsonb_build_object(...), key)\tSELECT count(jwt_sign(%s, %s)) FROM generate_series(1, %s) i\n' "$claims" "$key" "$n"
	printf 'sign\tbaseline: jsonb_build_object(...) only\tSELECT count(%s) FROM generate_series(1, %s) i\n' "$claims" "$n"
	printf 'sign\tjwt_sign(claims, key), claims from a table\tSELECT count(jwt_sign(claims, %s)) FROM jwt_bench.claims\n' "$key"
	printf 'sign\tbaseline: count(claims) from that table\tSELECT count(claims) FROM jwt_bench.claims\n'
	printf 'sign\tjwt_sign(..., expires_in => 1 day)\tSELECT count(jwt_sign(%s - '"'exp'"', %s, expires_in => interval '"'1 day'"')) FROM generate_series(1, %s) i\n' "$claims" "$key" "$n"
	# The tokens carry "aud", which jwt_verify rejects unless an audience is
	# given, so the audience is checked here and in node_bench.mjs alike.
	printf 'verify\tjwt_verify(tok, key, audience => ...)\tSELECT count(jwt_verify(tok, %s, audience => %s)) FROM jwt_bench.toks\n' "$key" "$aud"
	printf 'verify\tbaseline: length(tok)\tSELECT count(length(tok)) FROM jwt_bench.toks\n'
	printf 'verify\tjwt_verify + issuer and algorithms checks\tSELECT count(jwt_verify(tok, %s, algorithms => %s, audience => %s, issuer => %s)) FROM jwt_bench.toks\n' "$key" "'{HS256}'" "$aud" "'jwt-bench-issuer'"
	printf 'verify\tjwt_validate(tok, key, audience => ...)\tSELECT count(*) FILTER (WHERE (jwt_validate(tok, %s, audience => %s)).valid) FROM jwt_bench.toks\n' "$key" "$aud"
	printf 'verify\tjwt_decode(tok), no HMAC\tSELECT count((jwt_decode(tok)).claims) FROM jwt_bench.toks\n'
}
