#!/usr/bin/env bash
# test/bench/refresh.sh: the cost of a refresh token rotation, measured with
# pgbench side by side with a bare transaction doing the same UPDATE and
# INSERT on a plain table. A benchmark, not a test: it prints figures and
# the ratio, and asserts nothing.
#
#   rotate   SELECT ... FROM jwt_refresh_rotate(:tok, :key): marks the token
#            used, inserts its successor (trigger, indexes), signs a new
#            HS256 access token; one statement per transaction
#   bare     BEGIN; UPDATE plain ... (mark used); INSERT INTO plain ...
#            (successor); END;  -- plain is CREATE TABLE (LIKE refresh_tokens
#            INCLUDING ALL): the same columns, constraints and indexes, no
#            trigger, no hashing, no signing
#   bare1    the same UPDATE and INSERT in one statement (a CTE), i.e. with
#            the same number of round trips as rotate
#
# Each client rotates its own family. Rounds alternate the order of the
# variants. Reported: the median tps of each variant, and the median over
# the rounds of the cost ratio (bare tps / rotate tps of the same round,
# so that both sides of a ratio ran under the same machine load; the
# target is at most 1.5).
#
# Usage: test/bench/refresh.sh
# Environment:
#   PGHOST/PGPORT (+PGUSER)  use that server (the jwt extension must be
#       installable there; a database jwt_refresh_bench is created and
#       dropped); when unset, scripts/lib.sh builds, installs and starts a
#       throwaway server
#   JWT_BENCH_CLIENTS ("1 8"), JWT_BENCH_SECONDS (3 per run),
#   JWT_BENCH_ROUNDS (5)
set -euo pipefail

CLIENTS="${JWT_BENCH_CLIENTS:-1 8}"
SECS="${JWT_BENCH_SECONDS:-3}"
ROUNDS="${JWT_BENCH_ROUNDS:-5}"
DB=jwt_refresh_bench
KEY=jwt-bench-hs256-secret-0123456789abcdef-0123456789abcdef-0123

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
bench_connect

WORK="$(mktemp -d)"
cleanup() {
	rm -rf "$WORK"
	dropdb --if-exists "$DB" >/dev/null 2>&1 || true
}
if declare -F jwt_at_exit >/dev/null; then
	jwt_at_exit cleanup
else
	trap cleanup EXIT
fi

# pgbench of the server's own installation when we may ask it, else PATH.
bindir="$(bench_psql -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'" 2>/dev/null || true)"
PGBENCH=pgbench
if [ -n "$bindir" ] && [ -x "$bindir/pgbench" ]; then
	PGBENCH="$bindir/pgbench"
fi
command -v "$PGBENCH" >/dev/null || bench_die "pgbench not found"

dropdb --if-exists "$DB" >/dev/null 2>&1 || true
createdb "$DB"
bench_psql -d "$DB" <<-'SQL'
	SET client_min_messages = warning;
	CREATE EXTENSION jwt;
	CREATE TABLE plain (LIKE refresh_tokens INCLUDING ALL);
SQL

# Each client issues its family in its first transaction and keeps the
# current token in the pgbench variable "tok".
cat >"$WORK/rotate.sql" <<-'EOF'
	\if :first
	\set first 0
	SELECT refresh_token AS tok FROM jwt_refresh_issue('bench-' || :client_id, '1 day') \gset
	\endif
	SELECT refresh_token AS tok FROM jwt_refresh_rotate(:tok, :key) \gset
EOF
# Token n of client c is sha256('c<c>-<n>'); the first transaction inserts
# token 0.
cat >"$WORK/bare.sql" <<-'EOF'
	\set n :n + 1
	\if :n = 1
	INSERT INTO plain (token_hash, family_id, generation, subject, expires_at) VALUES (sha256(convert_to('c' || :client_id || '-0', 'UTF8')), md5(:client_id::text)::uuid, 0, 'bench-' || :client_id, now() + interval '1 day');
	\endif
	BEGIN;
	UPDATE plain SET used_at = now() WHERE token_hash = sha256(convert_to('c' || :client_id || '-' || (:n - 1), 'UTF8')) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now();
	INSERT INTO plain (token_hash, family_id, generation, parent_hash, subject, expires_at, retry_key, retry_until) VALUES (sha256(convert_to('c' || :client_id || '-' || :n, 'UTF8')), md5(:client_id::text)::uuid, :n, sha256(convert_to('c' || :client_id || '-' || (:n - 1), 'UTF8')), 'bench-' || :client_id, now() + interval '1 day', sha256(convert_to('k' || :n, 'UTF8')), now() + interval '10 seconds');
	END;
EOF
cat >"$WORK/bare1.sql" <<-'EOF'
	\set n :n + 1
	\if :n = 1
	INSERT INTO plain (token_hash, family_id, generation, subject, expires_at) VALUES (sha256(convert_to('c' || :client_id || '-0', 'UTF8')), md5(:client_id::text)::uuid, 0, 'bench-' || :client_id, now() + interval '1 day');
	\endif
	WITH u AS (UPDATE plain SET used_at = now() WHERE token_hash = sha256(convert_to('c' || :client_id || '-' || (:n - 1), 'UTF8')) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now() RETURNING family_id, generation, subject) INSERT INTO plain (token_hash, family_id, generation, parent_hash, subject, expires_at, retry_key, retry_until) SELECT sha256(convert_to('c' || :client_id || '-' || :n, 'UTF8')), u.family_id, u.generation + 1, sha256(convert_to('c' || :client_id || '-' || (:n - 1), 'UTF8')), u.subject, now() + interval '1 day', sha256(convert_to('k' || :n, 'UTF8')), now() + interval '10 seconds' FROM u;
EOF

# tps of one pgbench run of a variant
run_variant() { # variant clients
	local out
	# TRUNCATE also resets the planner's size estimate to "never analyzed";
	# an ANALYZE of the empty tables would make the cached plans seq scans.
	bench_psql -d "$DB" -c 'TRUNCATE refresh_tokens, plain' >/dev/null
	out="$("$PGBENCH" -n -M prepared -c "$2" -j "$2" -T "$SECS" -D first=1 -D n=0 -D key="$KEY" \
		-f "$WORK/$1.sql" "$DB" 2>&1)" || { printf '%s\n' "$out" >&2; bench_die "pgbench $1 failed"; }
	if grep -q 'aborted' <<<"$out"; then
		printf '%s\n' "$out" >&2
		bench_die "pgbench $1: clients aborted"
	fi
	sed -nE 's/^tps = ([0-9.]+) .*/\1/p' <<<"$out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# refresh token rotation vs a bare UPDATE + INSERT (pgbench -M prepared, ${SECS}s runs, median of $ROUNDS rounds)"
for c in $CLIENTS; do
	: >"$WORK/tps"
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) -eq 1 ]; then order="bare rotate bare1"; else order="bare1 rotate bare"; fi
		for v in $order; do
			t="$(run_variant "$v" "$c")"
			echo "$v $t" >>"$WORK/tps"
			bench_log "  clients=$c round $r: $v $t tps"
		done
	done
	rot="$(awk '$1 == "rotate" { print $2 }' "$WORK/tps" | median)"
	bare="$(awk '$1 == "bare" { print $2 }' "$WORK/tps" | median)"
	bare1="$(awk '$1 == "bare1" { print $2 }' "$WORK/tps" | median)"
	# per-round ratios: lines come in threes, one round each
	ratio="$(awk '{ t[$1] = $2 } NR % 3 == 0 { print t["bare"] / t["rotate"] }' "$WORK/tps" | median)"
	ratio1="$(awk '{ t[$1] = $2 } NR % 3 == 0 { print t["bare1"] / t["rotate"] }' "$WORK/tps" | median)"
	awk -v c="$c" -v rot="$rot" -v bare="$bare" -v bare1="$bare1" -v r="$ratio" -v r1="$ratio1" 'BEGIN {
		printf "# clients=%d: rotate %.0f rotations/s, bare %.0f tx/s, bare1 %.0f tx/s\n", c, rot, bare, bare1
		printf "# clients=%d: cost ratio rotate/bare %.2fx, rotate/bare1 %.2fx (target <= 1.5x)\n", c, r, r1
	}'
done
bench_log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
