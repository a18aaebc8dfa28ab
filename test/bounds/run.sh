#!/usr/bin/env bash
# test/bounds/run.sh: pathological tokens cost time and memory in proportion
# to their size.
#
# With jwt.max_token_size raised to its maximum (16 MB), so that the work
# grows enough to measure:
#   - memory: a fresh backend decodes a ~5 MB claims set made of one small
#     thing repeated ({}, [], {"a":1}, 1, "s", nested containers); its peak
#     resident memory (VmHWM) may grow by at most 40 times the token
#     (a fixed first allocation per container once made "[{},{},...]" cost
#     over 250 times its size: 1.7 GB for 6.7 MB);
#   - rendering: tokens whose header and claims hold numbers in exponent
#     form, decoded and turned into text, within the same bound ("1e99999"
#     is refused: 7 bytes, 100,001 characters as text);
#   - size: a token that would be over 1 GB is refused as one (54000);
#   - work: each shape of token at n and 8n: the instructions executed
#     inside the extension's function, counted by callgrind, may grow by
#     at most 12 times (see "work" below); the wall-clock times are
#     printed, not judged.
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension,
# as a superuser (jwt.max_token_size is superuser-only). The memory checks
# read /proc/<backend pid>/status, so they need the server on this host.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"

MEM_FACTOR=40
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)

helpers() {
	cat <<'SQL'
SET jwt.max_token_size = '16MB';
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.b64(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=') $$;
CREATE FUNCTION pg_temp.tok(payload text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT pg_temp.b64('{"alg":"HS256"}') || '.' || pg_temp.b64(payload) || '.' $$;
SQL
}

# --- key text in a SQL_ASCII database -----------------------------------------
# There no conversion to UTF-8 takes place, so the parser gets the key
# argument itself, which does not end in NUL: its length must be the
# argument's, never found by strlen (that read past the datum and, at
# some lengths, found "data after the JSON value").
ascii_db="jwt_bounds_ascii_$$"
ascii_sql() {
	cat <<'SQL'
CREATE EXTENSION IF NOT EXISTS jwt;
CREATE FUNCTION pg_temp.kty(k text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN jwt_public_jwk(k)->>'kty';
EXCEPTION WHEN others THEN
  RETURN SQLERRM;
END $$;
SELECT '{"x":"85Wo2A0TJSPo_ddRw9xEmwZVUdJN-2zPLcmqzVtqcFo","y":"bO7Ke5Kzw3xQLIY4L7dWVYgB33OJBY--LM_ISCsL2_c","crv":"P-256","kty":"EC"}' AS jwk \gset
SELECT coalesce(string_agg(format('%s: %s', n, kty), '; ' ORDER BY n), 'none')
  FROM (SELECT n, pg_temp.kty(lpad(:'jwk', n, ' ')) AS kty
          FROM generate_series(length(:'jwk'), 1100) n) s
 WHERE kty IS DISTINCT FROM 'EC';
SQL
}
if "${PSQL[@]}" -c "CREATE DATABASE $ascii_db ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"; then
	if out="$(ascii_sql | "${PSQL[@]}" -d "$ascii_db" 2>&1)" && [ "$out" = none ]; then
		ok "bounds: in a SQL_ASCII database, jwt_public_jwk reads a JWK padded to any length"
	else
		not_ok "bounds: in a SQL_ASCII database, jwt_public_jwk reads a JWK padded to any length"
		printf '%s\n' "$out" | tail -n 5 | cut -c 1-300 | sed 's/^/# /'
	fi
	"${PSQL[@]}" -c "DROP DATABASE $ascii_db"
else
	not_ok "bounds: created a SQL_ASCII database"
fi

# A token over 1 GB (claims of 140,000,000 control characters, each
# written as \u0001: 840 MB of JSON, 1.12 GB as base64url) is refused as
# one, 54000, not by palloc with an internal error (XX000).
if out="$("${PSQL[@]}" -v VERBOSITY=verbose -c "SELECT length(jwt_sign(jsonb_build_object('a', repeat(chr(1), 140000000)), repeat('k', 32)))" 2>&1)"; then
	not_ok "bounds: a token over 1 GB is refused (54000)"
	printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
elif grep -q "ERROR:  54000: JSON Web Token would be larger than 1 GB" <<<"$out"; then
	ok "bounds: a token over 1 GB is refused (54000)"
else
	not_ok "bounds: a token over 1 GB is refused (54000)"
	printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
fi

# --- memory -------------------------------------------------------------------
mem_shape() { # mem_shape SHAPE: prints "tokenbytes growthkB" for a fresh backend
	local shape="$1"
	{
		helpers
		cat <<SQL
SELECT pg_backend_pid() AS pid \\gset
\\setenv JWT_BOUNDS_PID :pid
SELECT pg_temp.tok('{"z":[' || repeat(:'shape' || ',', 5000000 / (length(:'shape') + 1)) || '1]}') AS tok \\gset
\\! awk '\$1 == "VmHWM:" { print "before", \$2 }' "/proc/\$JWT_BOUNDS_PID/status"
SELECT 'len', length(:'tok'), (jwt_decode(:'tok')).signature IS NOT NULL;
\\! awk '\$1 == "VmHWM:" { print "after", \$2 }' "/proc/\$JWT_BOUNDS_PID/status"
SQL
	} | "${PSQL[@]}" -F ' ' -v shape="$shape"
}

# mem_render SHAPE SIZE: a fresh backend decodes a token of about SIZE bytes
# whose header and claims both hold SHAPE repeated, and turns them into text;
# prints "len tokenbytes malformed|rendered", "before kB" and "after kB".
mem_render() {
	local shape="$1" size="$2"
	{
		helpers
		cat <<SQL
CREATE FUNCTION pg_temp.render(t text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM length(d.header::text) + length(d.claims::text) FROM jwt_decode(t) d;
  RETURN 'rendered';
EXCEPTION WHEN invalid_text_representation THEN
  RETURN 'malformed';
END \$\$;
SELECT pg_temp.render(pg_temp.tok('{"x":[1e23]}')) AS warm_up \\gset
SELECT pg_backend_pid() AS pid \\gset
\\setenv JWT_BOUNDS_PID :pid
SELECT pg_temp.b64('{"alg":"HS256","x":[' || repeat(:'shape', :size / 3 / length(:'shape')) || '1]}')
       || '.' || pg_temp.b64('{"x":[' || repeat(:'shape', :size / 3 / length(:'shape')) || '1]}') || '.' AS tok \\gset
\\! awk '\$1 == "VmHWM:" { print "before", \$2 }' "/proc/\$JWT_BOUNDS_PID/status"
SELECT 'len', length(:'tok'), pg_temp.render(:'tok');
\\! awk '\$1 == "VmHWM:" { print "after", \$2 }' "/proc/\$JWT_BOUNDS_PID/status"
SQL
	} | "${PSQL[@]}" -F ' ' -v shape="$shape" -v size="$size"
}

# Asked within one session: the backend of a session that has ended may be
# gone by the time its /proc entry is looked at.
proc_readable() {
	printf '%s\n' 'SELECT pg_backend_pid() AS pid \gset' '\setenv JWT_BOUNDS_PID :pid' \
		'\! test -r "/proc/$JWT_BOUNDS_PID/status" && echo readable' |
		"${PSQL[@]}" 2>/dev/null | grep -qx readable
}
if proc_readable; then
	for shape in '{}' '[]' '{"a":1}' '1' '"s"' '[[1]]' '{"a":{"b":[1,2]}}'; do
		out="$(mem_shape "$shape")"
		len="$(awk '$1 == "len" { print $2 }' <<<"$out")"
		before="$(awk '$1 == "before" { print $2 }' <<<"$out")"
		after="$(awk '$1 == "after" { print $2 }' <<<"$out")"
		if [ -z "$len" ] || [ -z "$before" ] || [ -z "$after" ]; then
			not_ok "bounds: memory of a claims set of $shape repeated (no measurement)"
			printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /'
			continue
		fi
		growth=$((after - before))
		limit=$((len * MEM_FACTOR / 1024))
		msg="bounds: decoding a $((len / 1024)) kB token of $shape repeated raises the backend's peak memory by $growth kB (at most ${MEM_FACTOR}x: $limit kB)"
		if [ "$growth" -le "$limit" ]; then ok "$msg"; else not_ok "$msg"; fi
	done

	# Numbers in exponent form, in the header and the claims, turned into
	# text: "1e99999" is 7 bytes of a token and 100,001 characters of text
	# (a 63 kB token of them took 1.7 GB).  Refused as malformed now; the
	# longest forms still accepted ("1e23", 24 characters) are rendered at
	# a few times their size.  The peak memory of decoding and rendering
	# may grow by at most MEM_FACTOR times the token, and 1 MB (the small
	# token's subtransaction and error).
	for case in '1e99999,-1E-16000,|8000|malformed' '1e23,-1e-23,|2000000|rendered'; do
		IFS='|' read -r shape size want <<<"$case"
		out="$(mem_render "$shape" "$size")"
		len="$(awk '$1 == "len" { print $2 }' <<<"$out")"
		got="$(awk '$1 == "len" { print $3 }' <<<"$out")"
		before="$(awk '$1 == "before" { print $2 }' <<<"$out")"
		after="$(awk '$1 == "after" { print $2 }' <<<"$out")"
		if [ -z "$len" ] || [ -z "$before" ] || [ -z "$after" ]; then
			not_ok "bounds: memory of rendering $shape repeated as text (no measurement)"
			printf '%s\n' "$out" | tail -n 5 | cut -c 1-300 | sed 's/^/# /'
			continue
		fi
		growth=$((after - before))
		limit=$((len * MEM_FACTOR / 1024 + 1024))
		msg="bounds: a $((len / 1024)) kB token of $shape repeated in header and claims is $got; decoding it and rendering its header and claims as text raises the backend's peak memory by $growth kB (at most ${MEM_FACTOR}x and 1 MB: $limit kB)"
		if [ "$got" = "$want" ] && [ "$growth" -le "$limit" ]; then ok "$msg"; else not_ok "$msg"; fi
	done
else
	echo "# skip: memory checks need /proc/<backend pid>/status of the server"
fi

# --- work ---------------------------------------------------------------------
# Each shape (many members, one long string, \u escapes, long arrays, nested
# objects, a duplicate member found late, big numbers, numbers in exponent
# form (the longest decimal forms accepted, and exponents refused), huge
# numbers in exp/nbf/iat through the verification path) at n and 8n: the
# instructions executed inside jwt_decode (jwt_validate_text, jwt_validate for the
# verification path), counted by callgrind in a single-user backend of a
# throwaway cluster, may grow by at most WORK_FACTOR (linear work takes 8,
# n log n some 10, quadratic 64).
#
# An instruction count does not depend on the machine's load.  Wall-clock
# time does, and on a virtual machine it also counts page faults: once n is
# large, each call takes its memory (as jsonb_in does) in blocks beyond
# glibc's largest mmap threshold, which are mapped afresh and zero-filled
# page by page on every call, at some 14 us a page on the machines this
# suite runs on.  The 8n runs then took 50 to 125 times as long as the n
# runs for linear work, so the times are printed as "#" lines only.
WORK_FACTOR=12
declare -A SHAPES=(
	["many members"]="'{' || (SELECT string_agg(format('\"k%s\":%s', i, i), ',') FROM generate_series(1, n) i) || '}'"
	["one long string"]="'{\"s\":\"' || repeat('ab', n * 5) || '\"}'"
	["unicode escapes"]="'{\"s\":\"' || repeat('\\u00e9\\ud83d\\ude00', n / 2) || '\"}'"
	["long array"]="'{\"a\":[' || repeat('1,', n * 2) || '1]}'"
	["nested objects"]="'{\"z\":[' || repeat('{\"x\":{\"y\":[1,{\"q\":1}]}},', n / 4) || '1]}'"
	["late duplicate"]="'{' || (SELECT string_agg(format('\"k%s\":1', i), ',') FROM generate_series(1, n) i) || ',\"k1\":2}'"
	["many big numbers"]="'{\"a\":[' || (SELECT string_agg(repeat('9', 1000), ',') FROM generate_series(1, greatest(n / 100, 1))) || ']}'"
	["numbers in exponent form"]="'{\"a\":[' || repeat('1e23,-1E-23,1.5e9,', n / 8) || '1]}'"
	["huge exponents"]="'{\"a\":[' || repeat('1e99999,-1E-99999,', n / 8) || '1]}'"
)
SHAPE_NAMES=("many members" "one long string" "unicode escapes" "long array"
	"nested objects" "late duplicate" "many big numbers"
	"numbers in exponent form" "huge exponents")
SIZES=(10000 80000)

# A token signed with the key of the verification path whose exp, nbf and
# iat have DIGITS digits: numbers no double holds, which jwt_sign refuses
# to sign but an attacker may send (signed here by python3).
huge_token() {
	python3 - "$1" <<'PY'
import base64, hashlib, hmac, sys
n = int(sys.argv[1])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
signing_input = b64(b'{"alg":"HS256"}') + "." + b64(
    ('{"exp":%s,"nbf":1.%s,"iat":-%s}' % ("9" * n, "0" * min(n, 15000), "1" * n)).encode())
print(signing_input + "." + b64(hmac.new(b"k" * 64, signing_input.encode(), hashlib.sha256).digest()))
PY
}

# Statements for the single-user backend, one a line: setup_sql, then
# decode_sql or validate_sql, whose calls are measured in order.
setup_sql() {
	cat <<'SQL'
CREATE EXTENSION IF NOT EXISTS jwt;
CREATE OR REPLACE FUNCTION b64(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT rtrim(translate(encode(convert_to(t, 'UTF8'), 'base64'), E'+/\n', '-_'), '=') $$;
CREATE OR REPLACE FUNCTION tok(payload text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT b64('{"alg":"HS256"}') || '.' || b64(payload) || '.' $$;
SET jwt.max_token_size = '16MB';
SQL
}
decode_sql() {
	local name n
	for name in "${SHAPE_NAMES[@]}"; do
		for n in "${SIZES[@]}"; do
			echo "SELECT jwt_decode(t) IS NOT NULL FROM (SELECT tok(${SHAPES[$name]}) AS t FROM (SELECT $n AS n) v) s;"
		done
	done
}
validate_sql() {
	local n
	for n in "${SIZES[@]}"; do
		echo "SELECT jwt_validate('$(huge_token "$((n / 8))")', repeat('k', 64)) IS NOT NULL;"
	done
}

# count_calls FUNCTION SQL: run SQL in a single-user backend under callgrind,
# collecting only inside the C function FUNCTION; print the instructions of
# each call of it, in order.  --dump-before: a call's count lands in the
# file dumped before the next call (the last one's at exit), whether the
# call returned or raised (the late duplicate raises).  cg.out.1 holds what
# ran before the first call, where nothing is collected.  One function per
# run: callgrind collected nothing with two --toggle-collect options.
count_calls() {
	local func="$1" sql="$2" f
	rm -f "$work"/cg.out*
	{ setup_sql; printf '%s\n' "$sql"; } >"$work/in.sql"
	jwt_as_postgres valgrind --tool=callgrind --toggle-collect="$func" --dump-before="$func" \
		--callgrind-out-file="$work/cg.out" \
		"$bindir/postgres" --single -D "$work/data" -F -c log_min_messages=warning \
		postgres <"$work/in.sql" >"$work/single-$func.log" 2>&1 || true
	if grep -E 'ERROR|FATAL' "$work/single-$func.log" | grep -qv "is malformed"; then
		grep -E 'ERROR|FATAL' "$work/single-$func.log" | head -n 5 | cut -c 1-300 | sed 's/^/# /' >&2
	fi
	for f in $(cd "$work" && ls cg.out.* | sort -t . -k 3 -n | tail -n +2) cg.out; do
		awk '$1 == "totals:" { print $2 }' "$work/$f"
	done
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
bindir="$(jwt_test_bindir)"
if ! command -v valgrind >/dev/null; then
	not_ok "bounds: valgrind is installed (it counts the instructions)"
elif ! jwt_initdb "$bindir" "$work/data"; then
	not_ok "bounds: initdb of the cluster that counts instructions"
else
	mapfile -t counts < <(count_calls jwt_decode "$(decode_sql)"; count_calls jwt_validate_text "$(validate_sql)")
	names=("${SHAPE_NAMES[@]}" "huge exp/nbf/iat (verify)")
	if [ "${#counts[@]}" -ne $((${#names[@]} * 2)) ]; then
		not_ok "bounds: one instruction count per call measured (${#counts[@]} for $((${#names[@]} * 2)) calls)"
	fi
	for ((k = 0; k < ${#names[@]}; k++)); do
		name="${names[$k]}"
		small="${counts[$((2 * k))]:-}" big="${counts[$((2 * k + 1))]:-}"
		if [ -z "$small" ] || [ -z "$big" ] || [ "$small" -le 0 ]; then
			not_ok "bounds: $name: instructions counted (none found)"
			continue
		fi
		ratio="$(awk -v s="$small" -v b="$big" 'BEGIN { printf "%.2f", b / s }')"
		msg="bounds: $name: 8x the size executes ${ratio}x the instructions ($big against $small; at most ${WORK_FACTOR}x)"
		if awk -v r="$ratio" -v f="$WORK_FACTOR" 'BEGIN { exit !(r <= f) }'; then ok "$msg"; else not_ok "$msg"; fi
	done
fi

# --- time, printed only -------------------------------------------------------
timing_sql() {
	helpers
	cat <<'SQL'
CREATE FUNCTION pg_temp.best(payload text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t text := pg_temp.tok(payload);
  best float8 := 'infinity';
  t0 timestamptz;
  i int;
BEGIN
  FOR i IN 1 .. 5 LOOP
    t0 := clock_timestamp();
    BEGIN
      PERFORM jwt_decode(t);
    EXCEPTION WHEN invalid_text_representation THEN
      NULL;                     -- the late duplicate
    END;
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN best;
END $$;
SQL
	local name
	for name in "${SHAPE_NAMES[@]}"; do
		echo "SELECT '$name', n, round(pg_temp.best(${SHAPES[$name]})::numeric, 1) FROM (VALUES (80000), (640000)) v(n);"
	done
}
if out="$(timing_sql | "${PSQL[@]}" -F '|' 2>&1)"; then
	while IFS='|' read -r name _; do
		t_small="$(awk -F'|' -v n="$name" '$1 == n { print $3; exit }' <<<"$out")"
		t_big="$(awk -F'|' -v n="$name" '$1 == n { v = $3 } END { print v }' <<<"$out")"
		echo "# bounds, time: $name: best of five at 8x the size $t_big ms against $t_small ms"
	done < <(awk -F'|' '!seen[$1]++ { print $1 "|" $2 }' <<<"$out")
else
	not_ok "bounds: the timing queries ran"
	printf '%s\n' "$out" | tail -n 10 | sed 's/^/# /'
fi

exit "$failed"
