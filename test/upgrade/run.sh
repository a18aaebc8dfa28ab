#!/usr/bin/env bash
# test/upgrade/run.sh: ALTER EXTENSION jwt UPDATE from every shipped version.
#
# For each version older than jwt.control's default_version: a database is
# created with CREATE EXTENSION jwt VERSION '<old>' and used (registry keys,
# a signed token, a refresh token), then updated.  After the update the
# version is the default one, the data still works (the token verifies, the
# refresh token rotates) and what the update fixed is fixed; in databases of
# three encodings.  That the extension's objects and their definitions are
# those of a fresh install is the pg_regress test "upgrade" (sql/upgrade.sql).
#
# Runs against the server in PGHOST/PGPORT/PGUSER (a superuser; the test
# suite sets them) in databases of its own, dropped at the end.  Prints
# "ok - ..." / "not ok - ..."; exits 1 when a check failed.
set -euo pipefail

OLD=jwt_upgrade_old
NEW=jwt_upgrade_new
cleanup() {
	dropdb --if-exists "$OLD" 2>/dev/null || true
	dropdb --if-exists "$NEW" 2>/dev/null || true
}
trap cleanup EXIT

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"
JWT_TEST_PREFIX="upgrade: "
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

cleanup
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS regress_upgrade_api" -c "CREATE ROLE regress_upgrade_api" >/dev/null
trap 'cleanup; psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_upgrade_api" >/dev/null 2>&1 || true' EXIT
createdb "$NEW"
q "$NEW" "CREATE EXTENSION jwt" >/dev/null
default="$(q "$NEW" "SELECT extversion FROM pg_extension WHERE extname = 'jwt'")"
olds="$(q "$NEW" "SELECT source FROM pg_extension_update_paths('jwt')
                   WHERE target = '$default' AND path IS NOT NULL ORDER BY source")"
if [ -z "$olds" ]; then
	not_ok "an update path to $default from an older version (pg_extension_update_paths)"
fi

secret="an HMAC secret of the upgrade test, 32+ bytes"
# The extension's SQL must work in every database encoding, not only the
# cluster's: a fresh install and an updated one, in each.
createdb_enc() { # name, encoding
	createdb -T template0 -E "$2" --lc-collate=C --lc-ctype=C "$1"
}
for enc in UTF8 LATIN1 SQL_ASCII; do
	dropdb --if-exists "$NEW" 2>/dev/null
	createdb_enc "$NEW" "$enc"
	q "$NEW" "CREATE EXTENSION jwt" >/dev/null
	check_eq "$enc: a fresh install rotates, adds and signs with the registry" \
		"$(q "$NEW" "SELECT jwt_registry_rotate('ES256') IS NOT NULL;
		             SELECT jwt_registry_add(E'\\n $secret', 'HS256', 'hs');
		             SELECT jwt_registry_verify(jwt_registry_sign('{\"sub\": \"bob\"}', 'HS256'))->>'sub'" 2>&1 |
			tr '\n' ' ')" "t hs bob "
	for old in $olds; do
		dropdb --if-exists "$OLD" 2>/dev/null
		createdb_enc "$OLD" "$enc"
		q "$OLD" "CREATE EXTENSION jwt VERSION '$old'" >/dev/null
		tok="$(q "$OLD" "SELECT jwt_registry_rotate('ES256') IS NULL;
		                 SELECT jwt_registry_add('$secret', 'HS256', 'hs') IS NULL;
		                 SELECT jwt_registry_sign('{\"sub\": \"alice\"}', 'ES256', expires_in => '1 hour')" | tail -n 1)"
		rt="$(q "$OLD" "SELECT refresh_token FROM jwt_refresh_issue('alice')")"
		# the new library behind the declarations of $old (audiences, the
		# last argument of 0.1.2, is not passed): audience is read as text
		check_eq "$enc, $old: before the update, audience reaches the new library as text" \
			"$(q "$OLD" "SELECT jwt_verify(jwt_sign('{\"aud\": \"api\"}', '$secret'), '$secret', audience => 'api')->>'aud';
			             SELECT (jwt_validate(jwt_sign('{\"aud\": \"api\"}', '$secret'), '$secret', audience => 'web')).reason;
			             SELECT (jwt_registry_validate('$tok', audience => 'web')).reason" | tr '\n' ' ')" \
			"api audience_mismatch audience_mismatch "
		# the new library behind the C symbols of $old's jwt_claims() and
		# jwt_claim(name): claims established, changed between rows, a name
		# that varies by row
		check_eq "$enc, $old: before the update, jwt_claims() and jwt_claim() read the claims in force" \
			"$(q "$OLD" "SELECT jwt_authenticate(jwt_sign('{\"sub\": \"dave\"}', '$secret'), '$secret') IS NOT NULL;
			             SELECT jwt_claim('sub') || ' ' || (jwt_claims()->>'sub');
			             SELECT coalesce(jwt_claim(n), '-') FROM unnest(ARRAY['sub', 'nope', 'sub']) n;
			             SET LOCAL jwt.claims_source = 'request.jwt.claims';
			             SELECT set_config('request.jwt.claims', format('{\"sub\": \"r%s\"}', i % 2), true) IS NOT NULL,
			                    jwt_claim('sub'), jwt_claims()->>'sub'
			               FROM generate_series(1, 3) i" | tr '\n' ' ')" \
			"t dave dave dave - dave t|r1|r1 t|r0|r0 t|r1|r1 "
		# a privilege granted on a function the update re-creates (0.1.2:
		# audiences text[] is added) is carried over
		q "$OLD" "GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean) TO regress_upgrade_api" >/dev/null
		q "$OLD" "ALTER EXTENSION jwt UPDATE" >/dev/null
		check_eq "$enc, $old: EXECUTE granted on jwt_authenticate before the update is kept, PUBLIC still has none" \
			"$(q "$OLD" "SELECT has_function_privilege('regress_upgrade_api', p.oid, 'EXECUTE') || ' ' || has_function_privilege('public', p.oid, 'EXECUTE')
			               FROM pg_proc p WHERE p.oid = 'jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])'::regprocedure")" "true false"
		check_eq "$enc, $old: every function with audience text has audiences text[], none is left without" \
			"$(q "$OLD" "SELECT count(*) FILTER (WHERE pg_get_function_arguments(oid) !~ 'audiences text\\[\\]') || ' ' || count(*)
			               FROM pg_proc WHERE proname ~ '^jwt_' AND pg_get_function_arguments(oid) ~ 'audience text'")" "0 16"
		q "$OLD" "REVOKE EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[]) FROM regress_upgrade_api" >/dev/null
		check_eq "$enc, $old: the update reaches $default" \
			"$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'jwt'")" "$default"
		check_eq "$enc, $old: a token signed before the update verifies after it" \
			"$(q "$OLD" "SELECT jwt_registry_verify('$tok')->>'sub'")" alice
		check_eq "$enc, $old: a refresh token issued before the update rotates after it" \
			"$(q "$OLD" "SELECT status FROM jwt_refresh_rotate('$rt', algorithm => 'ES256')")" rotated
		check_eq "$enc, $old: after the update, the registry rotates and signs" \
			"$(q "$OLD" "SELECT jwt_registry_rotate('ES256') IS NOT NULL;
			             SELECT jwt_registry_verify(jwt_registry_sign('{\"sub\": \"carol\"}', 'ES256'))->>'sub'" 2>&1 |
				tr '\n' ' ')" "t carol "
		# 0.1.1: jwt_registry_add reads an HMAC key with the key reader first,
		# so a malformed "oct" JWK is not quoted by a jsonb error context.
		out="$(q "$OLD" "SELECT jwt_registry_add('{\"kty\":\"oct\",\"k\":\"dXBncmFkZWQtc2VjcmV0LXF1b3RlZC1ub3doZXJl\",}', 'HS256')" 2>&1 || true)"
		if grep -q 'ERROR:  key is neither a PEM document nor a valid JWK' <<<"$out" &&
			! grep -q 'dXBncmFkZWQtc2VjcmV0' <<<"$out"; then
			ok "$enc, $old: after the update, a malformed oct JWK is refused without quoting it"
		else
			not_ok "$enc, $old: after the update, a malformed oct JWK is refused without quoting it"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	done
done

exit "$failed"
