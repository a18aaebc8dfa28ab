#!/usr/bin/env bash
# test/refresh_log/run.sh: the errors of the refresh token functions keep
# their statement, and so the tokens, secrets and subjects in it, out of
# the server log; the errors the extension raises itself (interval
# arguments out of range) and the ones PostgreSQL raises inside its
# functions (a write in a read-only transaction) alike.
#
# Starts its own throwaway server (test/lib.sh: a Unix socket in a temp
# directory, as the postgres OS user when run as root) from the binaries
# in JWT_PG_BINDIR, default PG_CONFIG's, with
# log_min_error_statement = debug5, so that any error that does not hide
# its statement would log it; then greps the log for a marker that every
# statement carries.
#
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

cd "$(dirname "$0")"
# shellcheck source=test/lib.sh
source ../lib.sh

WORK="$(mktemp -d)"
trap 'jwt_test_server_stop; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
if ! jwt_test_server_start "$WORK/server" "log_min_error_statement = debug5"; then
	not_ok "refresh_log: start a server from $(jwt_test_bindir)"
	exit 1
fi
LOG="$JWT_TEST_LOG"
PSQL="$JWT_TEST_BINDIR/psql"
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

q "CREATE EXTENSION jwt" >/dev/null
mark="refresh-log-marker-never-logged"
secret="$mark-an-hmac-secret-of-more-than-32-bytes"
tok="$(q "SELECT refresh_token FROM jwt_refresh_issue('$mark-subject', '1 day')")"
fam="$(q "SELECT family_id FROM refresh_tokens")"

lines_before="$(wc -l <"$LOG")"
"$PSQL" -X -q -At >/dev/null 2>&1 <<SQL || true
-- raised by the extension: interval arguments out of range
SELECT * FROM jwt_refresh_rotate('$tok', '$secret', access_expires_in => '100000000 years') /* $mark */;
SELECT * FROM jwt_refresh_rotate('$tok', '$secret', refresh_expires_in => '100000000 years') /* $mark */;
SELECT * FROM jwt_refresh_rotate('$tok', '$secret', grace => '100000000 years') /* $mark */;
SELECT * FROM jwt_refresh_issue('$mark-subject', '100000000 years', user_agent => '$mark');
SELECT jwt_refresh_purge(reuse_horizon => '100000000 years') /* $mark */;
SELECT jwt_refresh_purge(retain => '100000000 years') /* $mark */;
-- raised by PostgreSQL inside the functions: writes in a read-only
-- transaction (the executor through SPI, and PreventCommandIfReadOnly)
BEGIN READ ONLY;
SELECT * FROM jwt_refresh_rotate('$tok', '$secret') /* $mark */;
ROLLBACK;
BEGIN READ ONLY;
SELECT * FROM jwt_refresh_issue('$mark-subject', '1 day', user_agent => '$mark');
ROLLBACK;
BEGIN READ ONLY;
SELECT jwt_refresh_revoke('$tok', '$mark-reason');
ROLLBACK;
BEGIN READ ONLY;
SELECT jwt_refresh_revoke('$tok', '$mark-reason', everywhere => true);
ROLLBACK;
BEGIN READ ONLY;
SELECT jwt_refresh_revoke_family('$fam', '$mark-reason');
ROLLBACK;
BEGIN READ ONLY;
SELECT jwt_refresh_revoke_subject('$mark-subject', '$mark-reason');
ROLLBACK;
SQL
sleep 0.5	# the logging collector is off: lines are written synchronously
newlog="$(tail -n +"$((lines_before + 1))" "$LOG")"
printf '%s\n' "$newlog" | sed 's/^/#   log: /'
count_in_log() { printf '%s\n' "$newlog" | grep -cF -- "$1" || true; }

check_eq "refresh_log: six out-of-range interval arguments are logged as 22008 errors naming the argument" \
	"$(count_in_log 'ERROR:  interval argument "')" 6
check_eq "refresh_log: six writes in read-only transactions are logged as errors" \
	"$(count_in_log "in a read-only transaction")" 6
check_eq "refresh_log: twelve errors in all" "$(count_in_log "ERROR:")" 12
check_eq "refresh_log: no STATEMENT line, even with log_min_error_statement = debug5" "$(count_in_log "STATEMENT:")" 0
check_eq "refresh_log: neither the marker (secret, subject, reason, comment) nor the token is in the log" \
	"$(count_in_log "$mark")|$(count_in_log "$tok")" "0|0"
check_eq "refresh_log: the token is still live" \
	"$(q "SELECT used_at IS NULL AND revoked_at IS NULL FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$tok')")" t

if grep -qE 'terminated by signal|PANIC|TRAP:' "$LOG"; then
	not_ok "refresh_log: the server log shows no crash"
	tail -n 30 "$LOG" | sed 's/^/# /'
else
	ok "refresh_log: the server log shows no crash"
fi

exit "$failed"
