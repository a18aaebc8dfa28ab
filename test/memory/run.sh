#!/usr/bin/env bash
# test/memory/run.sh: backend memory stays flat across many verifications.
#
# In one psql session (one backend): warm up with JWT_MEM_WARMUP calls,
# measure, make JWT_MEM_CALLS more calls, measure again. The calls cover
# the hot path (one token, one key), signing and verifying with 32 rotating
# keys and "kid" values (key cache evictions, header memo changes),
# jwt_validate on tampered and expired tokens (error paths, text keys), and
# jwt_verify errors raised and caught in a PL/pgSQL loop. Passes when the
# memory contexts grew by less than 64 kB and the resident set by less
# than 1 MB.
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

WARMUP="${JWT_MEM_WARMUP:-100000}"
CALLS="${JWT_MEM_CALLS:-1000000}"
CTX_LIMIT=65536    # bytes
RSS_LIMIT_KB=1024  # kB

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export JWT_MEM_DIR="$tmp"

# Calls per kind out of n: 60% hot-path verify, 10% rows of sign + verify
# with rotating keys (20% of the calls), 10% tampered, 10% expired; and
# n/100 raised-and-caught errors (each one a subtransaction).
hot() { echo $(($1 * 6 / 10)); }
rot() { echo $(($1 / 10)); }
bad() { echo $(($1 / 10)); }
raised() { echo $(($1 / 100)); }

# Functions are called in the target list, once per row: a function in
# FROM with constant arguments would run once and be rescanned.
workload() {
	local n="$1"
	cat <<SQL
SELECT count(jwt_verify(:'tok', :'key'::bytea)) AS n_hot
  FROM (SELECT generate_series(1, $(hot "$n"))) g \\gset
SELECT count(jwt_verify(jwt_sign(jsonb_build_object('n', i), k[1 + i % 32],
                                 header => jsonb_build_object('kid', (i % 50)::text)),
                        k[1 + i % 32],
                        algorithms => '{HS256}')) AS n_rotated
  FROM (SELECT generate_series(1, $(rot "$n")) AS i, :'keys'::bytea[] AS k) g \\gset
SELECT count(*) FILTER (WHERE (jwt_validate(:'tampered', :'key'::bytea)).reason = 'bad_signature')
       AS n_tampered
  FROM (SELECT generate_series(1, $(bad "$n"))) g \\gset
SELECT count(*) FILTER (WHERE (jwt_validate(:'expired', :'tkey')).reason = 'expired')
       AS n_expired
  FROM (SELECT generate_series(1, $(bad "$n"))) g \\gset
DO \$\$
DECLARE
	tampered text := current_setting('jwt_mem.tampered');
	expired  text := current_setting('jwt_mem.expired');
	key      bytea := current_setting('jwt_mem.key')::bytea;
	tkey     text := current_setting('jwt_mem.tkey');
	i        int;
BEGIN
	FOR i IN 1 .. $(raised "$n") LOOP
		BEGIN
			IF i % 2 = 0 THEN
				PERFORM jwt_verify(tampered, key);
			ELSE
				PERFORM jwt_verify(expired, tkey);
			END IF;
			RAISE EXCEPTION 'a bad token was accepted';
		EXCEPTION WHEN invalid_authorization_specification THEN
			NULL;
		END;
	END LOOP;
END
\$\$;
SQL
}

# Memory contexts (SQL) and VmRSS/RssAnon (read from /proc by psql's shell).
measure() {
	local tag="$1"
	cat <<SQL
SELECT sum(total_bytes) AS ctx_$tag FROM pg_backend_memory_contexts \\gset
\\! grep -E '^(VmRSS|RssAnon):' "/proc/\$JWT_MEM_PID/status" >"\$JWT_MEM_DIR/rss_$tag" 2>/dev/null || true
SQL
}

script() {
	cat <<'SQL'
\set ON_ERROR_STOP 1
SELECT jwt_generate_secret(64) AS key,
       encode(jwt_generate_secret(64), 'hex') AS tkey \gset
SELECT array_agg(jwt_generate_secret(64))::text AS keys
  FROM generate_series(1, 32) \gset
SELECT jwt_sign('{"sub": "memory"}', :'key'::bytea) AS tok \gset
SELECT jwt_sign('{"sub": "memory"}', :'tkey',
                expires_in => '-1 minute') AS expired \gset
SELECT split_part(:'tok', '.', 1) || '.' ||
       split_part(jwt_sign('{"sub": "root"}', :'key'::bytea), '.', 2) || '.' ||
       split_part(:'tok', '.', 3) AS tampered \gset
-- for the DO block, which cannot see psql variables
SELECT set_config('jwt_mem.tampered', :'tampered', false),
       set_config('jwt_mem.expired', :'expired', false),
       set_config('jwt_mem.key', :'key', false),
       set_config('jwt_mem.tkey', :'tkey', false) \gset
SELECT pg_backend_pid() AS pid \gset
\setenv JWT_MEM_PID :pid
SQL
	workload "$WARMUP"
	# Twice: the first run warms up the measuring queries themselves.
	measure before
	measure before
	workload "$CALLS"
	measure after
	cat <<'SQL'
\echo 'ctx_before' :ctx_before
\echo 'ctx_after' :ctx_after
\echo 'hot' :n_hot
\echo 'rotated' :n_rotated
\echo 'tampered' :n_tampered
\echo 'expired' :n_expired
SQL
}

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"

start=$SECONDS
if ! out="$(script | psql -X -q -At 2>&1)"; then
	not_ok "memory: the workload ran without errors"
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	exit 1
fi
elapsed=$((SECONDS - start))

value() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }
ctx_before="$(value ctx_before)"
ctx_after="$(value ctx_after)"
echo "# $CALLS calls after $WARMUP warm-up calls in ${elapsed}s (last batch):" \
	"$(value hot) hot-path verifies, $(value rotated) sign+verify with rotating keys," \
	"$(value tampered) bad_signature, $(value expired) expired, $(raised "$CALLS") errors caught"

if [ "$(value hot)" = "$(hot "$CALLS")" ] && [ "$(value rotated)" = "$(rot "$CALLS")" ] &&
	[ "$(value tampered)" = "$(bad "$CALLS")" ] && [ "$(value expired)" = "$(bad "$CALLS")" ]; then
	ok "memory: every call in the loop gave the expected result"
else
	not_ok "memory: every call in the loop gave the expected result"
fi

ctx_growth=$((ctx_after - ctx_before))
echo "# memory contexts: $ctx_before -> $ctx_after bytes (growth $ctx_growth)"
if [ "$ctx_growth" -lt "$CTX_LIMIT" ]; then
	ok "memory: memory contexts grew by less than 64 kB"
else
	not_ok "memory: memory contexts grew by less than 64 kB"
fi

rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "$tmp/rss_$2" 2>/dev/null; }
rss_before="$(rss_kb VmRSS before)"
rss_after="$(rss_kb VmRSS after)"
if [ -n "$rss_before" ] && [ -n "$rss_after" ]; then
	rss_growth=$((rss_after - rss_before))
	echo "# VmRSS: $rss_before -> $rss_after kB (growth $rss_growth);" \
		"RssAnon: $(rss_kb RssAnon before) -> $(rss_kb RssAnon after) kB"
	if [ "$rss_growth" -lt "$RSS_LIMIT_KB" ]; then
		ok "memory: resident set grew by less than 1 MB"
	else
		not_ok "memory: resident set grew by less than 1 MB"
	fi
else
	echo "# RSS check skipped: /proc/<backend pid>/status is not readable here"
fi

exit "$failed"
