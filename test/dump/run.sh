#!/usr/bin/env bash
# test/dump/run.sh: pg_dump / restore round trip of a database that uses
# the extension. The key registry's rows must survive, so tokens signed
# before the dump verify after the restore, and signing goes on with the
# same active keys.
#
# Runs against the server in PGHOST/PGPORT/PGUSER (scripts/test.sh sets them).
set -euo pipefail

SRC=jwt_dump_src
DST=jwt_dump_dst
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"; dropdb --if-exists "$SRC" 2>/dev/null || true; dropdb --if-exists "$DST" 2>/dev/null || true' EXIT

failed=0
check() { # description, command...
	local desc="$1"
	shift
	if "$@"; then echo "ok - dump: $desc"; else echo "not ok - dump: $desc"; failed=1; fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

dropdb --if-exists "$SRC" 2>/dev/null
dropdb --if-exists "$DST" 2>/dev/null
createdb "$SRC"
q "$SRC" "CREATE SCHEMA auth; CREATE EXTENSION jwt SCHEMA auth" >/dev/null
q "$SRC" "SELECT auth.jwt_registry_rotate('ES256'); SELECT auth.jwt_registry_rotate('ES256', '1 day');
          SELECT auth.jwt_registry_add('a dumped HMAC secret of 32+ bytes!', 'HS256', 'hs');
          SELECT auth.jwt_registry_rotate('EdDSA')" >/dev/null
tok_es="$(q "$SRC" "SELECT auth.jwt_registry_sign('{\"sub\":\"es\"}', 'ES256', expires_in => '1 hour')")"
tok_hs="$(q "$SRC" "SELECT auth.jwt_registry_sign('{\"sub\":\"hs\"}', 'HS256')")"
# The denylist and the consumed single-use ids are configuration too.
q "$SRC" "SELECT auth.jwt_revoke('dumped-jti', now() + interval '1 hour', 'stolen');
          SELECT auth.jwt_revoke_subject('dumped-subject');" >/dev/null
tok_once="$(q "$SRC" "SELECT auth.jwt_registry_sign('{\"jti\":\"dumped-once\"}', 'HS256', expires_in => '1 hour')")"
q "$SRC" "SELECT auth.jwt_registry_consume('$tok_once')" >/dev/null
rows_src="$(q "$SRC" "SELECT string_agg(kid || ':' || status, ',' ORDER BY kid) FROM auth.jwt_keys")"

pg_dump -Fc -f "$WORK/db.dump" "$SRC"
createdb "$DST"
pg_restore -d "$DST" "$WORK/db.dump"
rows_dst="$(q "$DST" "SELECT string_agg(kid || ':' || status, ',' ORDER BY kid) FROM auth.jwt_keys")"

check "the key registry's rows are restored ($(echo "$rows_dst" | tr ',' '\n' | wc -l) keys)" \
	test -n "$rows_dst" -a "$rows_src" = "$rows_dst"
check "an ES256 token signed before the dump verifies after the restore" \
	test "$(q "$DST" "SELECT auth.jwt_registry_verify('$tok_es')->>'sub'")" = es
check "an HS256 token signed before the dump verifies after the restore" \
	test "$(q "$DST" "SELECT auth.jwt_registry_verify('$tok_hs')->>'sub'")" = hs
kid_src="$(q "$SRC" "SELECT kid FROM auth.jwt_keys WHERE algorithm = 'ES256' AND status = 'active'")"
kid_dst="$(q "$DST" "SELECT (auth.jwt_decode(auth.jwt_registry_sign('{}', 'ES256'))).header->>'kid'")"
check "the restored registry signs with the same active key" test "$kid_src" = "$kid_dst"
check "the restored JWKS equals the original" \
	test "$(q "$SRC" "SELECT auth.jwt_jwks()")" = "$(q "$DST" "SELECT auth.jwt_jwks()")"
check "the restored key table is still closed to PUBLIC" \
	test "$(q "$DST" "SELECT has_table_privilege('public', 'auth.jwt_keys', 'SELECT')")" = f
check "revocations survive the restore" \
	test "$(q "$DST" "SELECT auth.jwt_is_revoked('{\"jti\":\"dumped-jti\"}') AND auth.jwt_is_revoked('{\"sub\":\"dumped-subject\"}')")" = t
check "a consumed single-use token stays consumed after the restore" \
	test "$(q "$DST" "SELECT count(*) FROM auth.jwt_consumed_tokens WHERE jti = 'dumped-once'")" = 1
# A plain-text dump too, restored with psql, as most people do it.
pg_dump -f "$WORK/db.sql" "$SRC"
dropdb "$DST"
createdb "$DST"
psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -f "$WORK/db.sql" >/dev/null
check "a plain-text dump restores the registry too" \
	test "$(q "$DST" "SELECT auth.jwt_registry_verify('$tok_es')->>'sub'")" = es

exit "$failed"
