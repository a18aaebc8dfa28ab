#!/usr/bin/env bash
# test/refresh_load/run.sh: refresh token rotations under load, then an
# invariant check.
#
# pgbench runs JWT_LOAD_CLIENTS (8) clients for JWT_LOAD_SECONDS (20)
# seconds on three scripts at once:
#   shared    rotate the current token of one of 4 families that every
#             client hammers (stale presentations race and take the
#             grace-window path)
#   separate  rotate the current token of the client's own family
#   thief     present an old token of a shared family again (a replayed
#             stolen token: a reuse, which revokes the family; its clients
#             then log in again)
# Each transaction logs what it presented and what it got in the same
# transaction as the rotation.  Afterwards the check proves that every
# family is a single chain, that at most one token per family is live and
# none in a revoked family, that every successor created was handed out
# (none lost) and that no token got two different successors (none
# duplicated).  Then a purge with a zero reuse horizon shows the rows a
# live session keeps.
#
# Runs against the server in PGHOST/PGPORT/PGUSER (scripts/test.sh sets
# them) in its own database, which it drops at the end.
set -euo pipefail

DB=jwt_refresh_load
CLIENTS="${JWT_LOAD_CLIENTS:-8}"
SECS="${JWT_LOAD_SECONDS:-20}"
SHARED=4
KEY='a secret of at least 32 bytes for HS256!'
WORK="$(mktemp -d)"
# JWT_LOAD_KEEP=1 keeps the database for a look afterwards.
trap 'rm -rf "$WORK"; [ -n "${JWT_LOAD_KEEP:-}" ] || dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"
check() { # description, command...
	local desc="$1"
	shift
	if "$@"; then ok "refresh_load: $desc"; else not_ok "refresh_load: $desc"; fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# pgbench of the server's own installation when we may ask it, else PATH.
bindir="$(psql -X -At -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'" 2>/dev/null || true)"
PGBENCH=pgbench
if [ -n "$bindir" ] && [ -x "$bindir/pgbench" ]; then
	PGBENCH="$bindir/pgbench"
fi

dropdb --if-exists "$DB" >/dev/null 2>&1 || true
createdb "$DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v shared="$SHARED" -v clients="$CLIENTS" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION jwt;
CREATE SCHEMA jwt_load;
-- The current token of each slot: 1..shared are shared by all clients,
-- 100 + n belongs to client n.  Raw tokens live here, in the harness only.
CREATE TABLE jwt_load.cur (slot int PRIMARY KEY, token text NOT NULL, family uuid NOT NULL, gen int NOT NULL);
CREATE TABLE jwt_load.log (
	id bigserial PRIMARY KEY,
	slot int NOT NULL,
	family uuid,
	presented text NOT NULL,
	presented_hash bytea NOT NULL,
	status text NOT NULL,
	new_token text,
	new_hash bytea,
	at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE jwt_load.logins (slot int, family uuid, at timestamptz DEFAULT clock_timestamp());

CREATE FUNCTION jwt_load.login(p_slot int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	n record;
BEGIN
	SELECT * INTO n FROM jwt_refresh_issue('load-' || p_slot, '1 day');
	INSERT INTO jwt_load.cur VALUES (p_slot, n.refresh_token, n.family_id, 0)
	ON CONFLICT (slot) DO UPDATE SET token = excluded.token, family = excluded.family, gen = 0;
	INSERT INTO jwt_load.logins VALUES (p_slot, n.family_id);
END $$;

-- One refresh of a slot's current token, read without a lock, so that
-- clients of a shared slot race.  A dead family (revoked by a thief) is
-- replaced by a new login, unless another client did that already.
CREATE FUNCTION jwt_load.step(p_slot int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	c record;
	r record;
BEGIN
	SELECT * INTO c FROM jwt_load.cur WHERE slot = p_slot;
	SELECT * INTO r FROM jwt_refresh_rotate(c.token, 'a secret of at least 32 bytes for HS256!', grace => '2 seconds');
	INSERT INTO jwt_load.log (slot, family, presented, presented_hash, status, new_token, new_hash)
	VALUES (p_slot, c.family, c.token, jwt_refresh_token_hash(c.token), r.status,
			r.refresh_token, jwt_refresh_token_hash(r.refresh_token));
	IF r.status = 'rotated' THEN
		UPDATE jwt_load.cur SET token = r.refresh_token, gen = c.gen + 1
		 WHERE slot = p_slot AND family = c.family AND gen < c.gen + 1;
	ELSIF r.status IN ('reused', 'revoked') THEN
		PERFORM FROM jwt_load.cur WHERE slot = p_slot AND family = c.family FOR UPDATE;
		IF FOUND THEN
			PERFORM jwt_load.login(p_slot);
		END IF;
	END IF;
	RETURN r.status;
END $$;

-- A replayed token: one handed out for a shared slot at least 3 seconds
-- ago (past its grace window).
CREATE FUNCTION jwt_load.thief() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	o record;
	r record;
BEGIN
	SELECT * INTO o FROM jwt_load.log l
	 WHERE l.id >= (SELECT floor(random() * max(id))::bigint FROM jwt_load.log)
	   AND l.status = 'rotated' AND l.slot BETWEEN 1 AND 99
	 ORDER BY l.id LIMIT 1;
	IF NOT FOUND OR o.at > clock_timestamp() - interval '3 seconds' THEN
		RETURN 'skipped';
	END IF;
	SELECT * INTO r FROM jwt_refresh_rotate(o.new_token, 'a secret of at least 32 bytes for HS256!', grace => '2 seconds');
	INSERT INTO jwt_load.log (slot, family, presented, presented_hash, status, new_token, new_hash)
	VALUES (0, o.family, o.new_token, o.new_hash, r.status, r.refresh_token,
			jwt_refresh_token_hash(r.refresh_token));
	RETURN r.status;
END $$;

SELECT count(jwt_load.login(s)) AS shared_logins FROM generate_series(1, :shared) s \gset
SELECT count(jwt_load.login(100 + c)) AS own_logins FROM generate_series(0, :clients - 1) c \gset
SQL

cat >"$WORK/shared.sql" <<EOF
\set slot random(1, $SHARED)
SELECT jwt_load.step(:slot);
EOF
cat >"$WORK/separate.sql" <<'EOF'
SELECT jwt_load.step(100 + :client_id);
EOF
cat >"$WORK/thief.sql" <<'EOF'
SELECT jwt_load.thief();
EOF

# WARNINGs of detected reuses go to the server log, not to our output.
start=$(date +%s%N)
if ! PGOPTIONS='-c client_min_messages=error' "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" \
	-f "$WORK/shared.sql@20" -f "$WORK/separate.sql@20" -f "$WORK/thief.sql@1" "$DB" >"$WORK/pgbench.out" 2>&1; then
	cat "$WORK/pgbench.out"
	bail "refresh_load: pgbench failed"
fi
elapsed="$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
check "pgbench ran $CLIENTS clients for ${SECS}s without errors" \
	grep -q "number of failed transactions: 0" "$WORK/pgbench.out"
grep -qE "aborted|error" "$WORK/pgbench.out" && { grep -E "aborted|error" "$WORK/pgbench.out" | head; failed=1; }

# Figures
stats="$(q "SELECT count(*) FILTER (WHERE status = 'rotated'),
                   count(DISTINCT new_hash) FILTER (WHERE status = 'rotated'),
                   count(*) FILTER (WHERE status = 'reused'),
                   count(*) FILTER (WHERE status = 'revoked'),
                   count(*) FILTER (WHERE status = 'expired'),
                   count(*) FILTER (WHERE status = 'invalid'),
                   count(DISTINCT new_hash) FILTER (WHERE status = 'rotated' AND slot BETWEEN 1 AND 99),
                   count(DISTINCT new_hash) FILTER (WHERE status = 'rotated' AND slot >= 100)
              FROM jwt_load.log")"
IFS='|' read -r rotated successors reused revoked expired invalid shared_succ separate_succ <<<"$stats"
retries=$((rotated - successors))
echo "# $CLIENTS clients, ${SECS}s: $successors rotations ($shared_succ on $SHARED shared families, $separate_succ on $CLIENTS separate ones), $retries grace-window retries, $reused reuses detected, $revoked presentations of revoked tokens"
awk -v n="$successors" -v t="$elapsed" 'BEGIN { printf "# rotations/s: %.0f (new successors committed per second, all clients)\n", n / t }'
sed -nE 's/^(tps = [0-9.]+).*/# pgbench \1 (every transaction: rotations, retries, reuses)/p' "$WORK/pgbench.out"

# Invariants
check "every family is a single chain (generations 0..n, each the child of the one before, one subject)" \
	test "$(q "SELECT count(*) FROM (
	             SELECT t.family_id FROM refresh_tokens t
	               LEFT JOIN refresh_tokens p ON p.token_hash = t.parent_hash
	              GROUP BY t.family_id
	             HAVING min(t.generation) <> 0 OR max(t.generation) <> count(*) - 1
	                 OR count(DISTINCT t.subject) <> 1
	                 OR count(*) FILTER (WHERE t.generation > 0 AND (p.token_hash IS NULL
	                        OR p.family_id <> t.family_id OR p.generation <> t.generation - 1
	                        OR p.used_at IS NULL)) > 0) bad")" = 0
check "at most one live token per family, and none in a revoked family" \
	test "$(q "SELECT count(*) FROM (
	             SELECT family_id FROM refresh_tokens GROUP BY family_id
	             HAVING count(*) FILTER (WHERE used_at IS NULL AND revoked_at IS NULL) > 1
	                 OR (bool_or(revoked_at IS NOT NULL)
	                     AND count(*) FILTER (WHERE used_at IS NULL AND revoked_at IS NULL) > 0)) bad")" = 0
check "every live family's current token is one its client holds" \
	test "$(q "SELECT count(*) FROM refresh_tokens t
	            WHERE t.used_at IS NULL AND t.revoked_at IS NULL
	              AND t.family_id IN (SELECT family FROM jwt_load.cur)
	              AND t.token_hash NOT IN (SELECT jwt_refresh_token_hash(token) FROM jwt_load.cur)")" = 0
check "no rotation lost: every successor in the table was handed out" \
	test "$(q "SELECT count(*) FROM refresh_tokens t WHERE t.generation > 0
	              AND NOT EXISTS (SELECT FROM jwt_load.log l
	                               WHERE l.status = 'rotated' AND l.new_hash = t.token_hash
	                                 AND l.presented_hash = t.parent_hash)")" = 0
check "no rotation duplicated: one successor per presented token, and it is that token's child" \
	test "$(q "SELECT count(*) FROM (
	             SELECT l.presented_hash FROM jwt_load.log l
	               LEFT JOIN refresh_tokens t ON t.token_hash = l.new_hash
	              WHERE l.status = 'rotated'
	              GROUP BY l.presented_hash
	             HAVING count(DISTINCT l.new_hash) <> 1
	                 OR bool_or(t.parent_hash IS DISTINCT FROM l.presented_hash)) bad")" = 0
check "successors handed out ($successors) = successor rows in the table" \
	test "$(q "SELECT count(*) FROM refresh_tokens WHERE generation > 0")" = "$successors"
check "every detected reuse revoked its whole family" \
	test "$(q "SELECT count(*) FROM refresh_tokens t
	            WHERE t.revoked_at IS NULL
	              AND t.family_id IN (SELECT family FROM jwt_load.log WHERE status = 'reused')")" = 0
check "no presented token was unknown or expired ($invalid, $expired)" test "$((invalid + expired))" = 0
check "the load did rotate shared and separate families" \
	test "$shared_succ" -gt 0 -a "$separate_succ" -gt 0 -a "$retries" -ge 0

# The table stays small: past the grace window, a purge with a zero reuse
# horizon leaves each live session its one unused token.
sleep 2.5
before="$(q "SELECT count(*) FROM refresh_tokens")"
live="$(q "SELECT count(*) FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL")"
purged="$(q "SELECT jwt_refresh_purge(reuse_horizon => '0', retain => '0')")"
after="$(q "SELECT count(*) FROM refresh_tokens")"
echo "# purge(reuse_horizon => 0, retain => 0): $before rows -> $after rows for $live live sessions ($purged deleted)"
check "after a purge, each live session keeps exactly one row" \
	test "$after" = "$live" -a "$(q "SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL OR revoked_at IS NOT NULL")" = 0
check "every client's current token still rotates after the purge" \
	test "$(q "SELECT count(*) FILTER (WHERE r.status = 'rotated') || '/' || count(*)
	             FROM jwt_load.cur c, jwt_refresh_rotate(c.token, '$KEY') r
	            WHERE c.family IN (SELECT family_id FROM refresh_tokens)")" = "$live/$live"

exit "$failed"
