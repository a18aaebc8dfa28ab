#!/usr/bin/env bash
# test/stats/run.sh: counters, reset, key health and the failure log on a
# server with jwt in shared_preload_libraries.
#
# Starts its own throwaway server (a Unix socket in a temp directory, as the
# postgres OS user when run as root) from the binaries in JWT_PG_BINDIR,
# default `${PG_CONFIG:-pg_config} --bindir`: the installation the
# extension was installed into.  The server is started with
# log_min_error_statement = debug5, so that any log line that does not hide
# its statement would show it, and the log is grepped for the tokens.
#
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

BINDIR="${JWT_PG_BINDIR:-$("${PG_CONFIG:-pg_config}" --bindir)}"
WORK="$(mktemp -d)"
DATA="$WORK/data"
LOG="$WORK/server.log"
PORT="${JWT_STATS_PORT:-5432}"	# only a socket name: the socket is in $WORK

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$WORK" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
stop_server() {
	if [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap stop_server EXIT

failed=0
ok() { echo "ok - stats: $*"; }
not_ok() { echo "not ok - stats: $*"; failed=1; }
check() { # description, command...
	local desc="$1"
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# check that $2 equals $3, showing both when not
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$3" "$2"
	fi
}

if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$WORK"
fi
if ! as_pg "$BINDIR/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1; then
	cat "$WORK/initdb.log"
	not_ok "initdb with $BINDIR"
	exit 1
fi
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $PORT
fsync = off
shared_preload_libraries = 'jwt'
log_min_error_statement = debug5
max_worker_processes = 8
max_parallel_workers = 4
EOF
if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1; then
	tail -n 20 "$LOG" 2>/dev/null | sed 's/^/# /'
	not_ok "start a server with shared_preload_libraries = jwt from $BINDIR"
	exit 1
fi
ok "a server with shared_preload_libraries = jwt started from $BINDIR"

export PGHOST="$WORK" PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
PSQL="$BINDIR/psql"
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

q "CREATE EXTENSION jwt" >/dev/null
K="$(printf 'k%.0s' {1..32})"	# an HS256 secret
check_eq "jwt_stats_info says counting is on" "$(q "SELECT counting FROM jwt_stats_info")" t

# ---------------------------------------------------------------- counters
stats() { q "SELECT string_agg(kind || ':' || coalesce(algorithm, '-') || ':' || coalesce(outcome, '-') || '=' || count, ' ' ORDER BY kind, algorithm NULLS FIRST, outcome NULLS FIRST) FROM jwt_stats"; }

reset_before="$(q "SELECT stats_reset FROM jwt_stats_info")"
q "SELECT jwt_stats_reset()" >/dev/null
check_eq "jwt_stats is empty after jwt_stats_reset()" "$(q "SELECT count(*) FROM jwt_stats")" 0
check "stats_reset moves forward on reset" \
	test "$(q "SELECT stats_reset > '$reset_before' FROM jwt_stats_info")" = t

q "CREATE TABLE toks AS SELECT i, jwt_sign(jsonb_build_object('sub', 'u' || i), '$K') AS tok
     FROM generate_series(1, 1000) i" >/dev/null
q "CREATE TABLE eskey AS SELECT jwt_generate_key('ES256') AS k" >/dev/null
q "SELECT count(jwt_verify(tok, '$K')) FROM toks" >/dev/null
q "SELECT count(*) FROM toks WHERE (jwt_validate(tok, '$K')).valid" >/dev/null
q "SELECT jwt_validate(jwt_sign('{\"exp\": 1}', '$K'), '$K') FROM generate_series(1, 3)" >/dev/null
q "SELECT jwt_validate(tok || 'x', '$K') FROM toks WHERE i <= 2" >/dev/null
q "SELECT jwt_validate('not-a-token', '$K')" >/dev/null
q "SELECT jwt_verify(jwt_sign('{}', k, 'ES256'), k) FROM eskey, generate_series(1, 5)" >/dev/null
# errors raised by jwt_verify are counted too
q "DO \$\$ BEGIN
     PERFORM jwt_verify(jwt_sign('{\"aud\": \"a\"}', '$K'), '$K', audience => 'b');
   EXCEPTION WHEN invalid_authorization_specification THEN NULL; END \$\$" >/dev/null
check_eq "verify and sign counters by algorithm and outcome" "$(stats)" \
	"sign:ES256:-=5 sign:HS256:-=1004 verify:-:malformed=1 verify:ES256:valid=5 verify:HS256:audience_mismatch=1 verify:HS256:bad_signature=2 verify:HS256:expired=3 verify:HS256:valid=2000"

# events of other features, from SQL
q "SELECT jwt_stats_reset()" >/dev/null
q "SELECT jwt_stats_bump('refresh_rotation'), jwt_stats_bump('refresh_rotation'),
          jwt_stats_bump('refresh_reuse'), jwt_stats_bump('revocation'),
          jwt_stats_bump('consumption', 'ES256')" >/dev/null
check_eq "jwt_stats_bump counts each event" "$(stats)" \
	"consumption:ES256:-=1 refresh_reuse:-:-=1 refresh_rotation:-:-=2 revocation:-:-=1"

# the claims feature feeds them: revocations made, revoked tokens refused,
# single-use tokens consumed and replayed
q "SELECT jwt_stats_reset()" >/dev/null
once="$(q "SELECT jwt_sign('{\"jti\": \"once-1\", \"sub\": \"s\"}', '$K', expires_in => '1 hour')")"
q "SELECT jwt_consume('$once', '$K')" >/dev/null
q "SELECT jwt_consume('$once', '$K')" >/dev/null 2>&1 || true
q "SELECT jwt_revoke('gone-1'), jwt_revoke_subject('mallory')" >/dev/null
gone="$(q "SELECT jwt_sign('{\"jti\": \"gone-1\"}', '$K')")"
q "SELECT jwt_authenticate('$gone', '$K')" >/dev/null 2>&1 || true
check_eq "jwt_consume, jwt_revoke and jwt_authenticate feed the event counters" \
	"$(q "SELECT string_agg(kind || ':' || coalesce(outcome, '-') || '=' || count, ' ' ORDER BY kind, outcome NULLS FIRST)
	      FROM jwt_stats WHERE kind NOT IN ('verify', 'sign')")" \
	"consumption:-=1 consumption:consumed=1 revocation:-=2 revocation:revoked=1"

# parallel workers count into the same shared memory
q "SELECT jwt_stats_reset()" >/dev/null
par="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
     SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;"
plan="$("$PSQL" -X -q -At -c "$par EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
     SELECT count(*) FROM toks WHERE (jwt_verify(tok, '$K'))->>'sub' IS NOT NULL")"
launched="$(printf '%s\n' "$plan" | sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p')"
check "a parallel query launched workers (${launched:-0})" test "${launched:-0}" -gt 0
check_eq "verifications in parallel workers are counted" \
	"$(q "SELECT count FROM jwt_stats WHERE kind = 'verify' AND outcome = 'valid'")" 1000

# concurrent backends: no increment is lost
q "SELECT jwt_stats_reset()" >/dev/null
pids=()
for b in 1 2 3 4; do
	q "SELECT count(jwt_verify(tok, '$K')) FROM toks, generate_series(1, 10)" >/dev/null &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check_eq "4 backends x 10000 verifications: every one counted" \
	"$(q "SELECT count FROM jwt_stats WHERE kind = 'verify' AND outcome = 'valid'")" 40000

# ---------------------------------------------------------------- kids and key health
q "SELECT jwt_stats_reset()" >/dev/null
check_eq "the kid table is empty after a reset" "$(q "SELECT count(*) FROM jwt_key_usage()")" 0
q "SELECT jwt_registry_rotate('ES256', retire_after => '1 hour')" >/dev/null
old_tok="$(q "SELECT jwt_registry_sign('{\"sub\": \"old\"}', 'ES256')")"
old_kid="$(q "SELECT kid FROM jwt_keys WHERE status = 'active'")"
q "SELECT jwt_registry_rotate('ES256', retire_after => '1 hour')" >/dev/null
new_kid="$(q "SELECT kid FROM jwt_keys WHERE status = 'active'")"
q "SELECT jwt_registry_verify(jwt_registry_sign('{\"sub\": \"new\"}', 'ES256'))" >/dev/null
check_eq "the active key was last used for signing and verifying" \
	"$(q "SELECT status, last_signed IS NOT NULL, last_verified IS NOT NULL, warning IS NULL, note IS NULL
	      FROM jwt_key_health WHERE kid = '$new_kid'")" "active|t|t|t|t"
check_eq "the verify-only key shows no verification yet and no warning" \
	"$(q "SELECT status, last_verified IS NULL, warning IS NULL FROM jwt_key_health WHERE kid = '$old_kid'")" \
	"verify_only|t|t"
q "UPDATE jwt_keys SET retire_after = now() - interval '1 minute' WHERE kid = '$old_kid'" >/dev/null
check_eq "a verify-only key past retire_after is due for retirement" \
	"$(q "SELECT warning FROM jwt_key_health WHERE kid = '$old_kid'")" \
	"past its retire_after but not retired: run jwt_registry_retire_due()"
q "SELECT jwt_registry_verify('$old_tok')" >/dev/null
check_eq "a verify-only key used after its retire_after is flagged" \
	"$(q "SELECT warning FROM jwt_key_health WHERE kid = '$old_kid'")" \
	"verify-only key still used after its retire_after"
check "last use is recorded to the statement's start time" \
	test "$(q "SELECT bool_and(last_verified <= now() AND last_verified > now() - interval '1 hour') FROM jwt_key_health WHERE last_verified IS NOT NULL")" = t
long_kid="$(printf 'L%.0s' {1..130})"
q "SELECT jwt_registry_add('$K', 'HS256', kid => '$long_kid')" >/dev/null
q "SELECT jwt_registry_sign('{}', 'HS256')" >/dev/null
check_eq "a kid longer than 127 bytes is noted as not tracked" \
	"$(q "SELECT note FROM jwt_key_health WHERE kid = '$long_kid'")" \
	"last use not tracked: kid longer than 127 bytes"

# forged tokens never enter the kid table
# (a header naming kid "forged-kid" on the signature of another token)
forged_reason="$(q "SELECT (jwt_validate(rtrim(translate(encode(convert_to('{\"alg\":\"HS256\",\"kid\":\"forged-kid\"}',
                                                          'UTF8'), 'base64'), '+/', '-_'), '=')
                       || '.' || split_part(tok, '.', 2) || '.' || split_part(tok, '.', 3), '$K')).reason
     FROM toks WHERE i = 1")"
check_eq "a token with a forged header is a bad signature" "$forged_reason" bad_signature
check_eq "a kid whose signature did not verify is not recorded" \
	"$(q "SELECT count(*) FROM jwt_key_usage() WHERE kid = 'forged-kid'")" 0

# only the registry's own signatures count: a token signed and verified
# with the caller's own key, naming a registry kid, is not a use of it
q "SELECT jwt_stats_reset()" >/dev/null
own="an own secret of the caller, 32 bytes or more"
q "SELECT jwt_verify(jwt_sign('{}', '$own', header => jsonb_build_object('kid', '$new_kid')), '$own'),
          jwt_authenticate(jwt_sign('{}', '$own', header => jsonb_build_object('kid', '$new_kid')), '$own',
                           check_revoked => false),
          jwt_consume(jwt_sign(jsonb_build_object('jti', 'own-1'), '$own', expires_in => '1 hour',
                               header => jsonb_build_object('kid', '$new_kid')), '$own', check_revoked => false)" >/dev/null
check_eq "signing and verifying with one's own key under a registry kid is not a use of the kid" \
	"$(q "SELECT count(*) FROM jwt_key_usage()")|$(q "SELECT last_signed IS NULL AND last_verified IS NULL FROM jwt_key_health WHERE kid = '$new_kid'")" \
	"0|t"
q "SELECT jwt_registry_verify(jwt_registry_sign('{}', 'ES256'))" >/dev/null
q "BEGIN; SELECT jwt_registry_authenticate(jwt_registry_sign('{}', 'ES256'), check_revoked => false); COMMIT" >/dev/null
check_eq "the registry's signing and verifying are uses of the kid" \
	"$(q "SELECT last_signed IS NOT NULL AND last_verified IS NOT NULL FROM jwt_key_health WHERE kid = '$new_kid'")" t

# the table is bounded: 1500 registry kids, one of them used all along
q "SELECT jwt_registry_add('$K-hot-key-of-the-churn-test-for-hs512-0123456789', 'HS512', 'hot')" >/dev/null
q "DO \$\$ BEGIN
     FOR i IN 1..1500 LOOP
       PERFORM jwt_registry_add('$K-churn-' || i, 'HS256', 'churn-' || i);
       PERFORM jwt_registry_sign('{}', 'HS256');
       PERFORM jwt_registry_sign('{}', 'HS512');
       DELETE FROM jwt_keys WHERE kid = 'churn-' || (i - 1);
     END LOOP;
   END \$\$" >/dev/null
info="$(q "SELECT kids_tracked <= kids_capacity, kids_evicted > 0 FROM jwt_stats_info")"
check_eq "the kid table stays within its capacity and evicts" "$info" "t|t"
check_eq "a kid in constant use is never evicted" \
	"$(q "SELECT count(*) FROM jwt_key_usage() WHERE kid = 'hot'")" 1
check_eq "the last kid inserted is tracked" \
	"$(q "SELECT count(*) FROM jwt_key_usage() WHERE kid = 'churn-1500'")" 1

# the table is kept per database: another database's kids (in LATIN1
# here) are neither shown nor confused with this one's
"$BINDIR/createdb" -T template0 -E LATIN1 --lc-collate=C --lc-ctype=C jwt_stats_latin1
ql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d jwt_stats_latin1 -c "$1"; }
ql "CREATE EXTENSION jwt" >/dev/null
ql "SET client_encoding = UTF8; SELECT jwt_registry_add('$K-latin1', 'HS256', E'caf\u00e9')" >/dev/null
ql "SELECT jwt_registry_add('$K-latin1-hot-key-of-the-latin1-database-0123456789', 'HS512', 'hot')" >/dev/null
ql "SELECT jwt_registry_verify(jwt_registry_sign('{}', 'HS256')), jwt_registry_sign('{}', 'HS512')" >/dev/null
check_eq "a kid of another database is not shown" \
	"$(q "SELECT count(*) FROM jwt_key_usage() WHERE kid LIKE 'caf%'")" 0
check_eq "a database sees its own kids, in its own encoding" \
	"$(ql "SET client_encoding = UTF8; SELECT string_agg(kid, ',' ORDER BY kid) FROM jwt_key_usage()")" "caf$(printf '\303\251'),hot"
ql "SELECT jwt_stats_reset()" >/dev/null
"$BINDIR/dropdb" jwt_stats_latin1

# ---------------------------------------------------------------- the failure log
secret="a-logging-secret-that-must-never-be-logged-0123456789"
tok_exp="$(q "SELECT jwt_sign('{\"iss\": \"https://id.example\", \"sub\": \"alice\", \"exp\": 1}', '$secret',
                                header => '{\"kid\": \"log-kid\"}')")"
tok_forged="$(q "SELECT jwt_sign(jsonb_build_object('sub', E'eve\nLOG:  forged line'), '$secret',
                                   header => jsonb_build_object('kid', E'bad\nkid'))")"
lines_before="$(wc -l <"$LOG")"
"$PSQL" -X -q -At >/dev/null 2>&1 <<SQL || true
SET jwt.log_failures = log;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SELECT (jwt_validate('$tok_forged', 'another-secret-of-at-least-32-bytes!!')).reason;
SELECT jwt_verify('$tok_exp', '$secret');
SET jwt.log_failures = debug1;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SET jwt.log_failures = off;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SQL
sleep 0.5	# the logging collector is off: lines are written synchronously
newlog="$(tail -n +"$((lines_before + 1))" "$LOG")"
printf '%s\n' "$newlog" | sed 's/^/#   log: /'
count_in_log() { printf '%s\n' "$newlog" | grep -cF -- "$1" || true; }

check_eq "jwt.log_failures = log: one line per rejected token at LOG (2 validate + 1 verify)" \
	"$(count_in_log "LOG:  JSON Web Token rejected")" 3
check "the line names reason, alg, kid, iss and sub" \
	grep -qF 'DETAIL:  alg="HS256" kid="log-kid" iss="https://id.example" sub="alice" signature=valid' <<<"$newlog"
check "a forged token's values are escaped and marked by signature=invalid" \
	grep -qF 'alg="HS256" kid="bad\x0akid" iss=- sub="eve\x0aLOG:  forged line" signature=invalid' <<<"$newlog"
check_eq "no forged log line starts with the injected text" "$(printf '%s\n' "$newlog" | grep -c '^LOG:  forged' || true)" 0
for t in "$tok_exp" "$tok_forged"; do
	IFS=. read -r h p s <<<"$t"
	check_eq "the token's payload segment is not in the log" "$(count_in_log "$p")" 0
	check_eq "the token's signature segment is not in the log" "$(count_in_log "$s")" 0
done
check_eq "the secret is not in the log" "$(count_in_log "$secret")" 0
check_eq "no STATEMENT line, even with log_min_error_statement = debug5" "$(count_in_log "STATEMENT:")" 0
check_eq "no CONTEXT line" "$(count_in_log "CONTEXT:")" 0
check_eq "the ERROR of jwt_verify is logged, without its statement" \
	"$(count_in_log "ERROR:  JSON Web Token has expired")" 1
check_eq "debug1 lines are not written at log_min_messages = warning" \
	"$(printf '%s\n' "$newlog" | grep -c 'DEBUG:' || true)" 0

# inside PL/pgSQL, the context (which may quote a statement) is hidden too
lines_before="$(wc -l <"$LOG")"
"$PSQL" -X -q -At >/dev/null 2>&1 <<SQL || true
SET jwt.log_failures = log;
DO \$\$ BEGIN PERFORM jwt_validate('$tok_exp', '$secret'); END \$\$;
SQL
sleep 0.2
newlog="$(tail -n +"$((lines_before + 1))" "$LOG")"
check_eq "from PL/pgSQL: logged once, with no CONTEXT and no STATEMENT" \
	"$(count_in_log "JSON Web Token rejected")|$(count_in_log "CONTEXT:")|$(count_in_log "STATEMENT:")" "1|0|0"

# Every error the extension raises keeps its statement (which carries the
# tokens and keys) out of the log, not only the rejections of tokens.
mark="never-logged-marker"
hs_secret="$mark-hmac-secret-of-more-than-32-bytes"
role_tok="$(q "SELECT jwt_sign('{\"role\": \"no_such_role_for_logging\"}', '$hs_secret')")"
sub_tok="$(q "SELECT jwt_sign('{\"sub\": \"alice\"}', '$hs_secret')")"
lines_before="$(wc -l <"$LOG")"
"$PSQL" -X -q -At >/dev/null 2>&1 <<SQL || true
SELECT jwt_sign('{}', '$mark-too-short-for-hs512', 'HS512');
SELECT jwt_verify('$sub_tok', E'-----BEGIN PRIVATE KEY-----\n$mark\n-----END PRIVATE KEY-----\n');
SELECT jwt_public_jwk('{"kty": "oct", "k": "$mark"}');
SELECT jwt_decode('$mark.$mark');
SELECT jwt_authenticate('$role_tok', '$hs_secret', role_claim => 'role', check_revoked => false);
BEGIN;
SELECT jwt_authenticate('$sub_tok', '$hs_secret', check_revoked => false) IS NOT NULL;
SELECT jwt_authenticate('$sub_tok', '$hs_secret', check_revoked => false);
ROLLBACK;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', status => 'bogus');
BEGIN;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', 'dup-kid') IS NOT NULL;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', 'dup-kid');
ROLLBACK;
SQL
sleep 0.5
newlog="$(tail -n +"$((lines_before + 1))" "$LOG")"
printf '%s\n' "$newlog" | sed 's/^/#   log: /'
check_eq "eight errors of the extension are logged (short secret, bad PEM, JWK, decode, role, twice; the registry's RAISE and a duplicate kid)" \
	"$(count_in_log "ERROR:")" 8
check_eq "none of them with its statement, the secret, the key or the tokens" \
	"$(count_in_log "STATEMENT:")|$(count_in_log "$mark")|$(count_in_log "${role_tok##*.}")|$(count_in_log "${sub_tok##*.}")" \
	"0|0|0|0"

if grep -qE 'terminated by signal|PANIC|TRAP:' "$LOG"; then
	not_ok "the server log shows no crash"
	tail -n 30 "$LOG" | sed 's/^/# /'
else
	ok "the server log shows no crash"
fi

exit "$failed"
