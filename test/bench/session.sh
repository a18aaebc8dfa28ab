#!/usr/bin/env bash
# test/bench/session.sh: what the session check (jwt.require_session) adds
# to an authentication.  A benchmark, not a test: it prints figures and the
# ratio, and asserts nothing.
#
# One backend; JWT_BENCH_AUTH_N (20000) authentications per measurement,
# each in a subtransaction rolled back so that the next may authenticate
# again, timed server-side with clock_timestamp(); best of JWT_BENCH_RUNS
# (3) rounds, the variants interleaved within a round:
#   off       jwt_authenticate(tok, key, check_revoked => false) with
#             jwt.require_session off
#   on        the same with jwt.require_session on: one lookup of the
#             token's "sid" in refresh_tokens_one_unused
#   denylist  for comparison, off with check_revoked => true (the denylist's
#             lookups of "jti" and "sub", each in an empty table)
#   registry  jwt_registry_authenticate of an ES256 token, off and on
# The table holds JWT_BENCH_SESSIONS (100000) sessions of 1000 subjects,
# each rotated once (two rows per family), so the lookup is in an index of
# realistic size.  The budget is one index lookup per authentication.
#
# Server: PGHOST/PGPORT from the environment when set (the jwt extension
# must be installable there; a database jwt_session_bench is created and
# dropped); else scripts/lib.sh builds, installs and starts a throwaway
# server (see common.sh).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

RUNS="$BENCH_RUNS"
AUTH_N="${JWT_BENCH_AUTH_N:-20000}"
SESSIONS="${JWT_BENCH_SESSIONS:-100000}"
KEY="$BENCH_SECRET"
DB=jwt_session_bench

bench_connect
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1 || true; }
if declare -F jwt_at_exit >/dev/null; then jwt_at_exit cleanup; else trap cleanup EXIT; fi
cleanup
createdb "$DB"

bench_log "setting up $SESSIONS sessions"
OUT="$(bench_psql -d "$DB" -F '|' -v key="$KEY" <<-SQL
	SET client_min_messages = warning;
	CREATE EXTENSION jwt;
	SELECT count(*) FROM (
		SELECT (jwt_refresh_rotate(l.refresh_token, :'key')).status
		  FROM generate_series(1, $SESSIONS) i,
		       LATERAL jwt_refresh_login('user-' || (i % 1000), :'key') l) s \gset
	VACUUM ANALYZE refresh_tokens;
	SELECT jwt_registry_rotate('ES256') IS NOT NULL AS es_key \gset
	SELECT access_token AS hs FROM jwt_refresh_login('user-42', :'key') \gset
	SELECT access_token AS es FROM jwt_refresh_login('user-42', algorithm => 'ES256') \gset

	CREATE FUNCTION pg_temp.auth_us(n int, tok text, key text, sess boolean, deny boolean DEFAULT false)
	RETURNS float8 LANGUAGE plpgsql AS \$f\$
	DECLARE t0 timestamptz;
	BEGIN
		PERFORM set_config('jwt.require_session', sess::text, false);
		t0 := clock_timestamp();
		FOR i IN 1 .. n LOOP
			BEGIN
				IF key IS NULL THEN
					PERFORM jwt_registry_authenticate(tok, check_revoked => deny);
				ELSE
					PERFORM jwt_authenticate(tok, key, check_revoked => deny);
				END IF;
				RAISE EXCEPTION 'again';
			EXCEPTION WHEN raise_exception THEN
				NULL;
			END;
		END LOOP;
		RETURN extract(epoch FROM clock_timestamp() - t0)::float8 * 1e6 / n;
	END \$f\$;
	-- warm-up, then best of $RUNS
	SELECT pg_temp.auth_us($AUTH_N / 4, :'hs', :'key', true) AS warm \gset
	SELECT min(off), min(onn), min(roff), min(ron), min(deny) FROM (
		SELECT pg_temp.auth_us($AUTH_N, :'hs', :'key', false) AS off,
		       pg_temp.auth_us($AUTH_N, :'hs', :'key', true) AS onn,
		       pg_temp.auth_us($AUTH_N, :'hs', :'key', false, true) AS deny,
		       pg_temp.auth_us($AUTH_N / 4, :'es', NULL, false) AS roff,
		       pg_temp.auth_us($AUTH_N / 4, :'es', NULL, true) AS ron
		  FROM generate_series(1, $RUNS)) s;
	EXPLAIN (COSTS OFF) SELECT 1 FROM refresh_tokens
	 WHERE family_id = '00000000-0000-4000-8000-000000000000' AND used_at IS NULL AND generation >= 0;
SQL
)"
read -r off on roff ron deny < <(printf '%s\n' "$OUT" | sed -n 1p | tr '|' ' ')
echo
echo "Session check ($SESSIONS sessions, 2 rows each; $AUTH_N HS256 / $((AUTH_N / 4)) ES256 authentications, best of $RUNS):"
awk -v off="$off" -v on="$on" -v roff="$roff" -v ron="$ron" -v deny="$deny" 'BEGIN {
	printf "  %-66s %8.2f us\n", "jwt_authenticate(tok, key), jwt.require_session off", off
	printf "  %-66s %8.2f us  +%.2f us  %.2fx\n", "jwt_authenticate(tok, key), jwt.require_session on", on, on - off, on / off
	printf "  %-66s %8.2f us  +%.2f us  %.2fx\n", "for comparison: off, check_revoked => true (the denylist)", deny, deny - off, deny / off
	printf "  %-66s %8.2f us\n", "ES256: jwt_registry_authenticate(tok), off", roff
	printf "  %-66s %8.2f us  +%.2f us  %.2fx\n", "ES256: jwt_registry_authenticate(tok), on", ron, ron - roff, ron / roff }'
echo "  the lookup's index (the same predicate as the check's scan):"
printf '%s\n' "$OUT" | sed -n '2,$p' | sed 's/^/    /'
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
