#!/usr/bin/env bash
# test/encoding/run.sh: token text in databases that are not UTF-8.
#
# First, claims in a database whose encoding makes two characters one.
#
# In EUC_JP, U+00A6 (broken bar) and U+FFE4 (fullwidth broken bar) both
# convert to the bytes 0x8FA2C3, which convert back to U+FFE4.  A token
# whose "sub" is "victim" + U+FFE4 was a different subject from
# "victim" + U+00A6 to its issuer, but the same text in the database: it
# passed subject => 'victim¦' and, through jwt_claim('sub') in a
# row-level security policy, read the rows of that other subject.  Strings
# of a token that the database encoding does not keep apart from other
# strings are now malformed (either character, raw or as a \u escape, in
# sub, iss, aud, typ, kid and any other claim), while other non-ASCII text
# (Japanese) still works.
#
# Runs against the server in PGHOST/PGPORT/PGUSER (a superuser; the test
# suite sets them) in an EUC_JP database of its own, dropped at the end.
# Tokens are signed by python3 (HS256), as an issuer would.  Prints
# "ok - ..." / "not ok - ..."; exits 1 when a check failed.
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"

DB="jwt_encoding_eucjp_$$"
KEY=0123456789abcdef0123456789abcdef
export PGCLIENTENCODING=UTF8
# the roles are the cluster's: dropped with the database, which holds
# what depends on them
cleanup() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" \
		-c "DROP ROLE IF EXISTS regress_jwt_enc_api" \
		-c "DROP ROLE IF EXISTS regress_jwt_enc_user" 2>/dev/null || true
}
trap cleanup EXIT

# token HEADER_JSON PAYLOAD_JSON: HS256 with KEY, the JSON taken as it is
# (its UTF-8 bytes, \u escapes left to the parser)
token() {
	python3 - "$KEY" "$1" "$2" <<'PY'
import base64, hashlib, hmac, sys
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key, header, payload = (a.encode("utf-8") for a in sys.argv[1:])
signing_input = b64(header) + "." + b64(payload)
print(signing_input + "." + b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()))
PY
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
# qt TOKEN SQL: SQL with the token as :'tok'
qt() { q -v tok="$1" <<<"$2"; }

if ! psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB ENCODING 'EUC_JP' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" ||
	! q -c "CREATE EXTENSION jwt"; then
	not_ok "encoding: created an EUC_JP database with the extension"
	exit 1
fi

# The premise: both characters are the same bytes in EUC_JP.
check_eq "encoding: U+00A6 and U+FFE4 are one character in EUC_JP" \
	"$(q -c "SELECT U&'\00A6' = U&'\FFE4', encode(convert_to(U&'\00A6', 'EUC_JP'), 'hex')")" "t|8fa2c3"

H='{"alg":"HS256"}'
FW=$'\uffe4'   # fullwidth broken bar, what the database gives back
BB=$'\u00a6'   # broken bar

# reason TOKEN [NAMED ARGS]: jwt_validate's reason, "valid" when valid
reason() {
	qt "$1" "SELECT coalesce((jwt_validate(:'tok', '$KEY'${2:-})).reason, 'valid')"
}

for c in FW BB; do
	ch="${!c}"
	name="$([ "$c" = FW ] && echo U+FFE4 || echo U+00A6)"
	check_eq "encoding: sub \"victim$name\" does not pass subject => 'victim¦'" \
		"$(reason "$(token "$H" "{\"sub\":\"victim$ch\"}")" ", subject => 'victim¦'")" malformed
	check_eq "encoding: iss \"issuer$name\" does not pass issuer => 'issuer¦'" \
		"$(reason "$(token "$H" "{\"iss\":\"issuer$ch\"}")" ", issuer => 'issuer¦'")" malformed
	check_eq "encoding: aud [\"api$name\"] does not pass audience => 'api¦'" \
		"$(reason "$(token "$H" "{\"aud\":[\"x\",\"api$ch\"]}")" ", audience => 'api¦'")" malformed
	check_eq "encoding: typ \"jwt$name\" does not pass typ => 'jwt¦'" \
		"$(reason "$(token "{\"alg\":\"HS256\",\"typ\":\"jwt$ch\"}" '{}')" ", typ => 'jwt¦'")" malformed
	check_eq "encoding: any claim holding $name is malformed (its value would reach jwt_claim)" \
		"$(reason "$(token "$H" "{\"tenant\":{\"name\":\"t$ch\"}}")")" malformed
done
check_eq 'the \u escapes of both characters are malformed too' \
	"$(reason "$(token "$H" '{"sub":"victim\uffe4"}')" ", subject => 'victim¦'")|$(reason "$(token "$H" '{"sub":"victim\u00a6"}')" ", subject => 'victim¦'")" \
	"malformed|malformed"
check_eq "encoding: a kid holding U+FFE4 is malformed" \
	"$(reason "$(token "{\"alg\":\"HS256\",\"kid\":\"k$FW\"}" '{}')")" malformed

# The detail says why, without the value.
check_eq "encoding: the error names the rule, 28000" \
	"$(qt "$(token "$H" "{\"sub\":\"victim$FW\"}")" "\\set VERBOSITY default
\\set ON_ERROR_STOP 0
SELECT jwt_verify(:'tok', '$KEY');
\\echo :LAST_ERROR_SQLSTATE" 2>&1 | grep -v '^ERROR')" \
	"DETAIL:  The payload has a character the database encoding does not tell apart from another (reason: malformed).
28000"

# Other non-ASCII text, which EUC_JP keeps apart, still works.
check_eq "encoding: a Japanese subject verifies and matches" \
	"$(reason "$(token "$H" '{"sub":"日本語の名前","iss":"発行者"}')" ", subject => '日本語の名前', issuer => '発行者'")" valid
check_eq "encoding: jwt_verify returns it unchanged" \
	"$(qt "$(token "$H" '{"sub":"日本語の名前"}')" "SELECT jwt_verify(:'tok', '$KEY')->>'sub'")" "日本語の名前"

# Row-level security keyed on jwt_claim('sub'): the rows of 'victim¦' are
# not readable with a token for "victim" + U+FFE4 (nor U+00A6).
q <<SQL >/dev/null
CREATE ROLE regress_jwt_enc_api NOINHERIT;
CREATE ROLE regress_jwt_enc_user;
GRANT regress_jwt_enc_user TO regress_jwt_enc_api;
CREATE TABLE docs (owner_id text NOT NULL, body text);
INSERT INTO docs VALUES ('victim¦', 'secret of the victim'), ('日本語の名前', 'ok');
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON docs USING (owner_id = jwt_claim('sub'));
GRANT SELECT ON docs TO regress_jwt_enc_user;
GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	TO regress_jwt_enc_api;
SQL
# rows TOKEN: "auth SQLSTATE" of jwt_authenticate, then "rows ..." of what
# the token's transaction reads when it was authenticated
rows() {
	qt "$1" "SET SESSION AUTHORIZATION regress_jwt_enc_api;
\\set ON_ERROR_STOP 0
BEGIN;
SELECT jwt_authenticate(:'tok', '$KEY', role_claim => 'role') IS NOT NULL AS authenticated \\gset
\\echo auth :LAST_ERROR_SQLSTATE
SELECT 'rows ' || coalesce(string_agg(body, ','), 'none') FROM docs;
ROLLBACK;" 2>/dev/null | grep -E '^(auth|rows) ' | paste -sd ' '
}
check_eq "encoding: RLS: a token for \"victim\" + U+FFE4 reads nothing (28000)" \
	"$(rows "$(token "$H" "{\"sub\":\"victim$FW\",\"role\":\"regress_jwt_enc_user\"}")")" "auth 28000"
check_eq "encoding: RLS: a token for \"victim\" + U+00A6 reads nothing (28000)" \
	"$(rows "$(token "$H" "{\"sub\":\"victim$BB\",\"role\":\"regress_jwt_enc_user\"}")")" "auth 28000"
check_eq "encoding: RLS: a Japanese subject reads its own row" \
	"$(rows "$(token "$H" '{"sub":"日本語の名前","role":"regress_jwt_enc_user"}')")" "auth 00000 rows ok"

# The last 15 bytes of a string are scanned with the 16 bytes ending there
# (the parsed text's, or the jsonb container's when signing), and a short
# string is copied as 16 bytes: strings converted to EUC_JP are copies and
# must take the exact path.  A special character at every position near
# the end of the payload, of the last member name and of a string signed:
# the same claims as jsonb_in's, the same payload as to_json's.
check_eq "encoding: strings near the end of the payload read as jsonb_in reads them" \
	"$(q <<-'SQL'
		SELECT count(*) || '|' || count(*) FILTER (WHERE o IS NOT DISTINCT FROM c)
		  FROM (SELECT (jwt_decode(tok)).claims::text AS o, d::jsonb::text AS c
		          FROM (SELECT d, 'eyJhbGciOiJub25lIn0.' || rtrim(translate(encode(convert_to(d, 'UTF8'), 'base64'), E'+/\n', '-_'), '=') || '.' AS tok
		                  FROM unnest(ARRAY[E'\\"', E'\\\\', E'\\n', E'\\u00e9', 'é', '日', '/']) sp,
		                       generate_series(0, 24) len, generate_series(0, 24) pos, generate_series(1, 3) layout,
		                       LATERAL (SELECT CASE layout
		                                  WHEN 1 THEN format('{"s":"%s%s%s"}', repeat('a', pos), sp, repeat('b', len - pos))
		                                  WHEN 2 THEN format('{"pad":"0123456789abcdef","s%s":"%s%s%s"}', sp, repeat('a', pos), sp, repeat('b', len - pos))
		                                  ELSE format('{"%s%s%s":1}', repeat('k', pos), sp, repeat('b', len - pos)) END AS d) x
		                 WHERE pos <= len) y) z;
	SQL
	)" "6825|6825"
check_eq "encoding: strings near their end signed as to_json writes them" \
	"$(q <<-'SQL'
		SELECT count(*) || '|' || count(*) FILTER (WHERE convert_from(decode(translate(p, '-_', '+/') || repeat('=', (4 - length(p) % 4) % 4), 'base64'), 'UTF8') =
		                                          '{"s":' || to_json(str)::text || ',"iat":1}')
		  FROM (SELECT str, split_part(jwt_sign(jsonb_build_object('s', str, 'iat', 1), repeat('k', 32)), '.', 2) AS p
		          FROM unnest(ARRAY['"', '\', E'\n', E'\x01', 'é', '日', '/']) sp, generate_series(0, 40) len, generate_series(0, 40) pos,
		               LATERAL (SELECT repeat('a', pos) || sp || repeat('b', len - pos) AS str) x
		         WHERE pos <= len) y;
	SQL
	)" "6027|6027"

# Then every other server encoding, each in a database of its own
# (legacy.py): characters to escape in messages are escaped by their code
# point or make the token malformed; text an encoding cannot take (all
# non-ASCII text in MULE_INTERNAL) is malformed, never another error.
python3 "$(dirname "$0")/legacy.py" || failed=1

exit "$failed"
