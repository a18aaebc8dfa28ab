#!/usr/bin/env bash
# test/bench/rls.sh: what claims cost in row-level security policies, and
# what the denylist costs a verification.  A benchmark, not a test: it
# prints figures and ratios and never asserts the targets.
#
# RLS: SELECT count(*) over JWT_BENCH_RLS_ROWS (1000000) rows of which one
# in 1000 is visible, as a role the policy applies to, with the same policy written
# several ways and swapped by ALTER POLICY between runs; each variant's best
# of JWT_BENCH_RUNS (3) rounds, the variants interleaved within a round so
# that load drift hits them alike.  One backend, no parallel workers
# (jwt_claim is PARALLEL RESTRICTED, so it never gets them), no JIT.
#   - seq scan: the policy compared with a constant, then owner_id =
#     jwt_claim('sub') written plainly (target: within 1.05x of the
#     constant), the (SELECT jwt_claim('sub')) wrapper, a cast per row,
#     request mode (PostgREST's request.jwt.claims; target: within 1.1x),
#     and the usual
#     current_setting('request.jwt.claims', true)::jsonb->>'sub' policy;
#   - index scan: the same with an index on owner_id.
# Denylist: jwt_authenticate with and without check_revoked (one
# authentication per subtransaction, JWT_BENCH_AUTH_N (20000) of them; a
# quarter as many ES256 ones, with a public JWK and with the registry, to
# which the benchmark adds a verify-only key of its own for the run), and
# jwt_verify alone vs jwt_verify + jwt_is_revoked per row (JWT_BENCH_N
# (200000) tokens), with 100000 revoked jti and 10000 revoked subjects.
#
# Server: PGHOST/PGPORT from the environment when set (the jwt extension
# must be installable there); else scripts/lib.sh builds, installs and
# starts a throwaway server (see common.sh).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

ROWS="${JWT_BENCH_RLS_ROWS:-1000000}"
RUNS="$BENCH_RUNS"	# JWT_BENCH_RUNS, 3 unless set (common.sh)
AUTH_N="${JWT_BENCH_AUTH_N:-20000}"
TOKENS="$BENCH_N"
KEY="$BENCH_SECRET"
ROLE=jwt_rls_bench_user
VISIBLE=$((ROWS / 1000))	# rows of user-42

bench_connect
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

cleanup_sql() {
	bench_psql <<-SQL >/dev/null 2>&1 || true
		DROP SCHEMA IF EXISTS jwt_rls_bench CASCADE;
		DELETE FROM jwt_keys WHERE kid = 'jwt-rls-bench';
		DELETE FROM jwt_revoked_tokens WHERE jti LIKE 'jwt-rls-bench-%';
		DELETE FROM jwt_revoked_subjects WHERE subject LIKE 'jwt-rls-bench-%';
		DROP ROLE IF EXISTS $ROLE;
	SQL
}
if declare -F jwt_at_exit >/dev/null; then jwt_at_exit cleanup_sql; else trap cleanup_sql EXIT; fi

bench_log "setting up $ROWS rows and $TOKENS tokens"
cleanup_sql
bench_psql -v key="$KEY" <<-SQL
	SET client_min_messages = warning;
	CREATE EXTENSION IF NOT EXISTS jwt;
	CREATE SCHEMA jwt_rls_bench;
	CREATE ROLE $ROLE;
	GRANT USAGE ON SCHEMA jwt_rls_bench TO $ROLE;
	-- 1000 owners; 'user-42' owns one row in 1000
	CREATE TABLE jwt_rls_bench.docs AS
		SELECT i AS id, 'user-' || (i % 1000) AS owner_id, i % 1000 AS owner_no,
		       'document ' || i AS body
		  FROM generate_series(1, $ROWS) i;
	VACUUM ANALYZE jwt_rls_bench.docs;
	ALTER TABLE jwt_rls_bench.docs ENABLE ROW LEVEL SECURITY;
	CREATE POLICY p ON jwt_rls_bench.docs USING (true);
	GRANT SELECT ON jwt_rls_bench.docs TO $ROLE;

	-- One execution of q, in ms; q returns a bigint that must equal expect.
	CREATE FUNCTION jwt_rls_bench.once_ms(q text, expect bigint)
	RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE
		t0 timestamptz;
		got bigint;
	BEGIN
		t0 := clock_timestamp();
		EXECUTE q INTO got;
		IF got IS DISTINCT FROM expect THEN
			RAISE EXCEPTION 'benchmark query returned %, expected %: %', got, expect, q;
		END IF;
		RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END
	\$f\$;
	GRANT EXECUTE ON FUNCTION jwt_rls_bench.once_ms(text, bigint) TO $ROLE;

	-- n authentications, each in a subtransaction rolled back so that the
	-- next may authenticate again: microseconds per call.
	CREATE FUNCTION jwt_rls_bench.auth_us(n int, tok text, key text, check_revoked boolean)
	RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE
		t0 timestamptz := clock_timestamp();
	BEGIN
		FOR i IN 1 .. n LOOP
			BEGIN
				PERFORM jwt_authenticate(tok, key, check_revoked => check_revoked);
				RAISE EXCEPTION 'again';
			EXCEPTION WHEN raise_exception THEN
				NULL;
			END;
		END LOOP;
		RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1e6 / n;
	END
	\$f\$;

	-- The same with an ES256 token: its public JWK given, or the registry.
	CREATE FUNCTION jwt_rls_bench.auth_jwk_us(n int, tok text, key jsonb)
	RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE
		t0 timestamptz := clock_timestamp();
	BEGIN
		FOR i IN 1 .. n LOOP
			BEGIN
				PERFORM jwt_authenticate(tok, key, check_revoked => false);
				RAISE EXCEPTION 'again';
			EXCEPTION WHEN raise_exception THEN
				NULL;
			END;
		END LOOP;
		RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1e6 / n;
	END
	\$f\$;
	CREATE FUNCTION jwt_rls_bench.auth_registry_us(n int, tok text, check_revoked boolean)
	RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE
		t0 timestamptz := clock_timestamp();
	BEGIN
		FOR i IN 1 .. n LOOP
			BEGIN
				PERFORM jwt_registry_authenticate(tok, check_revoked => check_revoked);
				RAISE EXCEPTION 'again';
			EXCEPTION WHEN raise_exception THEN
				NULL;
			END;
		END LOOP;
		RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1e6 / n;
	END
	\$f\$;
	-- a verify-only registry key of the benchmark's own (active keys stay)
	SELECT jwt_generate_key('ES256') AS es \gset
	SELECT jwt_registry_add(jwt_public_jwk(:'es'::jsonb)::text, 'ES256', 'jwt-rls-bench', 'verify_only') IS NOT NULL AS added \gset
	CREATE TABLE jwt_rls_bench.es AS
		SELECT jwt_sign('{"sub":"user-42","jti":"bench-es"}', :'es'::jsonb, 'ES256',
		                header => '{"kid":"jwt-rls-bench"}', expires_in => '1 day') AS tok,
		       jwt_public_jwk(:'es'::jsonb) AS jwk;

	-- Tokens for the per-row denylist check, and the denylist.
	CREATE TABLE jwt_rls_bench.toks AS
		SELECT jwt_sign(jsonb_build_object('sub', 'user-' || i, 'jti', 'tok-' || i), :'key',
		                expires_in => '1 hour') AS tok
		  FROM generate_series(1, $TOKENS) i;
	INSERT INTO jwt_revoked_tokens (jti, expires_at)
		SELECT 'jwt-rls-bench-' || i, now() + interval '1 hour' FROM generate_series(1, 100000) i;
	INSERT INTO jwt_revoked_subjects (subject, issued_before, expires_at)
		SELECT 'jwt-rls-bench-' || i, now() - interval '1 day', now() + interval '1 hour'
		  FROM generate_series(1, 10000) i;
	VACUUM ANALYZE jwt_rls_bench.toks, jwt_revoked_tokens, jwt_revoked_subjects;
SQL

TOK="$(echo "SELECT jwt_sign('{\"sub\":\"user-42\",\"uid\":42,\"jti\":\"bench-jti\"}', :'key', expires_in => '1 day')" |
	bench_psql -v key="$KEY")"
# What PostgREST puts in request.jwt.claims: the verified claims, as JSON.
REQUEST_CLAIMS='{"aud":"authenticated","exp":1900000000,"iat":1800000000,"iss":"https://auth.example.com/v1","sub":"user-42","uid":42,"role":"authenticated","email":"user42@example.com","session_id":"4f6b2c1e-0d7a-4b52-9a0e-6f1c2d3e4a5b","app_metadata":{"provider":"email","providers":["email"]},"user_metadata":{}}'

# variant name | claims source | policy expression
VARIANTS=(
	"const|authenticate|owner_id = 'user-42'"
	"claim|authenticate|owner_id = jwt_claim('sub')"
	"wrapped|authenticate|owner_id = (SELECT jwt_claim('sub'))"
	"const_int|authenticate|owner_no = 42"
	"claim_cast|authenticate|owner_no = jwt_claim('uid')::int"
	"request|request.jwt.claims|owner_id = jwt_claim('sub')"
	"current_setting|request.jwt.claims|owner_id = current_setting('request.jwt.claims', true)::jsonb->>'sub'"
)

# One round: every variant once; prints "phase|variant|ms" lines.
round_sql() {
	local phase="$1" v name source policy
	for v in "${VARIANTS[@]}"; do
		IFS='|' read -r name source policy <<<"$v"
		if [ "$phase" = index ] && [ "$name" = current_setting ]; then
			continue
		fi
		cat <<-SQL
			ALTER POLICY p ON jwt_rls_bench.docs USING ($policy);
			SET jwt.claims_source = '$source';
			BEGIN;
		SQL
		if [ "$source" = authenticate ]; then
			echo "SELECT jwt_authenticate(:'tok', :'key', check_revoked => false) IS NOT NULL AS a \\gset"
		else
			echo "SELECT set_config('request.jwt.claims', :'claims', true) IS NOT NULL AS a \\gset"
		fi
		cat <<-SQL
			SET LOCAL ROLE $ROLE;
			SELECT '$phase', '$name', jwt_rls_bench.once_ms('SELECT count(*) FROM jwt_rls_bench.docs', $VISIBLE);
			COMMIT;
		SQL
	done
}

rls_sql() {
	local r
	echo "SET max_parallel_workers_per_gather = 0;"
	echo "SET jit = off;"
	for phase in seq index; do
		if [ "$phase" = index ]; then
			echo "CREATE INDEX ON jwt_rls_bench.docs (owner_id); CREATE INDEX ON jwt_rls_bench.docs (owner_no);"
			echo "ANALYZE jwt_rls_bench.docs;"
		fi
		# a warm-up round, then the measured ones
		round_sql "warmup-$phase"
		for ((r = 1; r <= RUNS; r++)); do
			round_sql "$phase"
		done
	done
}

bench_log "RLS: $RUNS rounds of ${#VARIANTS[@]} variants, seq scan then index scan"
RESULTS="$(rls_sql | bench_psql -F '|' -v key="$KEY" -v tok="$TOK" -v claims="$REQUEST_CLAIMS")"
best() { # phase variant
	printf '%s\n' "$RESULTS" | awk -F'|' -v p="$1" -v v="$2" '$1 == p && $2 == v { if (b == "" || $3 < b) b = $3 } END { printf "%.2f", b }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The median over rounds of the variant's time over the constant's in the
# same round (the k-th time of each is from round k): drift between rounds
# cancels out.
paired() { # phase variant constant-variant
	printf '%s\n' "$RESULTS" | awk -F'|' -v p="$1" -v v="$2" -v c="$3" '
		$1 == p && $2 == v { a[++na] = $3 }
		$1 == p && $2 == c { b[++nb] = $3 }
		END {
			for (i = 1; i <= na && i <= nb; i++) q[++m] = a[i] / b[i]
			for (i = 2; i <= m; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
			printf "%.2f", m % 2 ? q[(m + 1) / 2] : (q[m / 2] + q[m / 2 + 1]) / 2 }'
}

echo
echo "RLS: SELECT count(*) over $ROWS rows, $VISIBLE visible, as a role the policy applies to"
echo "(best of $RUNS; no parallel workers, no JIT)"
for phase in seq index; do
	c="$(best "$phase" const)"
	ci="$(best "$phase" const_int)"
	echo
	if [ "$phase" = seq ]; then echo "seq scan (no index on owner_id):"; else echo "index scan (index on owner_id and owner_no):"; fi
	printf '  %-70s %9s ms\n' "USING (owner_id = 'user-42')" "$c"
	printf '  %-70s %9s ms  %5sx the constant, paired %sx  (target <= 1.05)\n' "USING (owner_id = jwt_claim('sub'))" "$(best "$phase" claim)" "$(ratio "$(best "$phase" claim)" "$c")" "$(paired "$phase" claim const)"
	printf '  %-70s %9s ms  %5sx\n' "USING (owner_id = (SELECT jwt_claim('sub')))" "$(best "$phase" wrapped)" "$(ratio "$(best "$phase" wrapped)" "$c")"
	printf '  %-70s %9s ms  %5sx the constant, paired %sx  (target <= 1.10)\n' "request mode: USING (owner_id = jwt_claim('sub'))" "$(best "$phase" request)" "$(ratio "$(best "$phase" request)" "$c")" "$(paired "$phase" request const)"
	if [ "$phase" = seq ]; then
		printf '  %-70s %9s ms  %5sx\n' "USING (owner_id = current_setting('request.jwt.claims', true)::jsonb->>'sub')" "$(best "$phase" current_setting)" "$(ratio "$(best "$phase" current_setting)" "$c")"
	fi
	printf '  %-70s %9s ms\n' "USING (owner_no = 42)" "$ci"
	printf '  %-70s %9s ms  %5sx\n' "USING (owner_no = jwt_claim('uid')::int), a cast per row" "$(best "$phase" claim_cast)" "$(ratio "$(best "$phase" claim_cast)" "$ci")"
done

bench_log "denylist: $AUTH_N authentications each way, $TOKENS tokens per row"
DENY="$(bench_psql -F '|' -v key="$KEY" -v tok="$TOK" <<-SQL
	SET max_parallel_workers_per_gather = 0;
	SET jit = off;
	SELECT jwt_rls_bench.auth_us($AUTH_N, :'tok', :'key', false);
	SELECT jwt_rls_bench.auth_us($AUTH_N, :'tok', :'key', true);
	SELECT min(us_off), min(us_on) FROM (
		SELECT jwt_rls_bench.auth_us($AUTH_N, :'tok', :'key', false) AS us_off,
		       jwt_rls_bench.auth_us($AUTH_N, :'tok', :'key', true) AS us_on
		  FROM generate_series(1, $RUNS)) s;
	SELECT min(jwk), min(reg_off), min(reg_on) FROM (
		SELECT jwt_rls_bench.auth_jwk_us($AUTH_N / 4, tok, jwk) AS jwk,
		       jwt_rls_bench.auth_registry_us($AUTH_N / 4, tok, false) AS reg_off,
		       jwt_rls_bench.auth_registry_us($AUTH_N / 4, tok, true) AS reg_on
		  FROM jwt_rls_bench.es, generate_series(1, $RUNS)) s;
	CREATE FUNCTION pg_temp.best_ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE t0 timestamptz; best float8 := 'Infinity'; got bigint;
	BEGIN
		EXECUTE q INTO got;
		FOR r IN 1 .. runs LOOP
			t0 := clock_timestamp();
			EXECUTE q INTO got;
			IF got <> $TOKENS THEN RAISE EXCEPTION 'got %', got; END IF;
			best := least(best, extract(epoch FROM clock_timestamp() - t0)::float8 * 1000);
		END LOOP;
		RETURN best;
	END \$f\$;
	SELECT pg_temp.best_ms(format('SELECT count(jwt_verify(tok, %L)) FROM jwt_rls_bench.toks', :'key'), $RUNS),
	       pg_temp.best_ms(format('SELECT count(*) FILTER (WHERE NOT jwt_is_revoked(c)) FROM (SELECT jwt_verify(tok, %L) AS c FROM jwt_rls_bench.toks) s', :'key'), $RUNS);
SQL
)"
read -r auth_off auth_on < <(printf '%s\n' "$DENY" | sed -n 3p | tr '|' ' ')
read -r es_jwk es_reg_off es_reg_on < <(printf '%s\n' "$DENY" | sed -n 4p | tr '|' ' ')
read -r row_off row_on < <(printf '%s\n' "$DENY" | sed -n 5p | tr '|' ' ')
echo
echo "Denylist (100000 revoked jti, 10000 revoked subjects; best of $RUNS):"
awk -v off="$auth_off" -v on="$auth_on" 'BEGIN {
	printf "  %-70s %9.1f us\n", "jwt_authenticate(tok, key, check_revoked => false), per call", off
	printf "  %-70s %9.1f us  +%.1f us\n", "jwt_authenticate(tok, key) (check_revoked => true, the default)", on, on - off }'
awk -v jwk="$es_jwk" -v off="$es_reg_off" -v on="$es_reg_on" 'BEGIN {
	printf "  %-70s %9.1f us\n", "ES256: jwt_authenticate(tok, public JWK, check_revoked => false)", jwk
	printf "  %-70s %9.1f us  +%.1f us for the registry\n", "ES256: jwt_registry_authenticate(tok, check_revoked => false)", off, off - jwk
	printf "  %-70s %9.1f us  +%.1f us for the denylist\n", "ES256: jwt_registry_authenticate(tok) (check_revoked => true)", on, on - off }'
awk -v off="$row_off" -v on="$row_on" -v n="$TOKENS" 'BEGIN {
	printf "  %-70s %9.1f ms  %.2f us/row\n", "count(jwt_verify(tok, key)) over " n " tokens", off, off * 1000 / n
	printf "  %-70s %9.1f ms  %.2f us/row, +%.2f us/row\n", "... plus NOT jwt_is_revoked(claims) per row", on, on * 1000 / n, (on - off) * 1000 / n }'
echo
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
