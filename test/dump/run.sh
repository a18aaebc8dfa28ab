#!/usr/bin/env bash
# test/dump/run.sh: pg_dump / restore round trip of a database that uses
# the extension. The key registry's rows must survive, so tokens signed
# before the dump verify after the restore, and signing goes on with the
# same active keys. The refresh tokens' rows must survive too, so every
# family goes on working: live tokens rotate, a retry within a grace window
# gets the same successor, used tokens are reuses, revoked ones stay revoked.
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
# Refresh token families: alice rotated three times (the last rotation with
# a one-hour grace window), bob rotated once, carol logged out. CLUSTER puts
# the rows in hash order, so that the dump lists successors before their
# parents as often as not.
KEY='a secret of at least 32 bytes for HS256!'
rot() { q "$SRC" "SELECT refresh_token FROM auth.jwt_refresh_rotate('$1', '$KEY', grace => '$2')"; }
a0="$(q "$SRC" "SELECT refresh_token FROM auth.jwt_refresh_issue('alice', '30 days', '192.0.2.1', 'phone')")"
a1="$(rot "$a0" 0)"
a2="$(rot "$a1" 0)"
a3="$(rot "$a2" '1 hour')"
b0="$(q "$SRC" "SELECT refresh_token FROM auth.jwt_refresh_issue('bob', '30 days')")"
b1="$(rot "$b0" 0)"
c0="$(q "$SRC" "SELECT refresh_token FROM auth.jwt_refresh_issue('carol', '30 days')")"
q "$SRC" "SELECT auth.jwt_refresh_revoke('$c0')" >/dev/null
q "$SRC" "CLUSTER auth.refresh_tokens USING refresh_tokens_pkey" >/dev/null
refresh_rows="SELECT string_agg(concat_ws(':', encode(token_hash, 'hex'), family_id, generation,
                  encode(parent_hash, 'hex'), subject, issued_at, created_at, expires_at, used_at,
                  revoked_at, revoked_reason, encode(retry_key, 'hex'), retry_until, client_ip,
                  user_agent, metadata), ',' ORDER BY token_hash) FROM auth.refresh_tokens"
refresh_src="$(q "$SRC" "$refresh_rows")"
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
check "the refresh tokens' rows are restored ($(q "$DST" "SELECT count(*) FROM auth.refresh_tokens") rows)" \
	test -n "$refresh_src" -a "$refresh_src" = "$(q "$DST" "$refresh_rows")"
check "the restored refresh token table is still closed to PUBLIC and guarded" \
	test "$(q "$DST" "SELECT has_table_privilege('public', 'auth.refresh_tokens', 'SELECT')
	           || ',' || count(*) FROM pg_trigger WHERE tgrelid = 'auth.refresh_tokens'::regclass")" = "false,1"
rot_dst() { q "$1" "SELECT status || ':' || coalesce(refresh_token, '') FROM auth.jwt_refresh_rotate('$2', '$KEY')" 2>/dev/null; }
check "a retry within the grace window gets the same successor after the restore" \
	test "$(rot_dst "$DST" "$a2")" = "rotated:$a3"
check "alice's live token rotates after the restore" \
	test "$(rot_dst "$DST" "$a3" | cut -d: -f1)" = rotated
check "bob's live token rotates after the restore" \
	test "$(rot_dst "$DST" "$b1" | cut -d: -f1)" = rotated
check "carol's revoked token stays revoked" test "$(rot_dst "$DST" "$c0")" = "revoked:"
check "a used token outside its grace window is a reuse and revokes its family" \
	test "$(rot_dst "$DST" "$a1"),$(q "$DST" "SELECT count(*) FILTER (WHERE revoked_at IS NULL) FROM auth.refresh_tokens WHERE subject = 'alice'")" = "reused:,0"
# A plain-text dump too, restored with psql, as most people do it.
pg_dump -f "$WORK/db.sql" "$SRC"
dropdb "$DST"
createdb "$DST"
psql -X -q -v ON_ERROR_STOP=1 -d "$DST" -f "$WORK/db.sql" >/dev/null
check "a plain-text dump restores the registry too" \
	test "$(q "$DST" "SELECT auth.jwt_registry_verify('$tok_es')->>'sub'")" = es
check "a plain-text dump restores the refresh tokens too" \
	test "$(q "$DST" "$refresh_rows")" = "$refresh_src" -a "$(rot_dst "$DST" "$b1" | cut -d: -f1)" = rotated

exit "$failed"
