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
#   - time: each shape (many members, one long string, \u escapes, long
#     arrays, nested objects, a duplicate member found late, huge numbers
#     in exp/nbf/iat through the verification path) at n and 8n (n large
#     enough that fixed costs do not count, up to some 10 MB); the best of
#     five runs at 8n may take at most 32 times the best at n (linear work
#     takes 8, up to twice that once the data outgrows the CPU caches, as
#     for jsonb_in; quadratic work takes 64).
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension,
# as a superuser (jwt.max_token_size is superuser-only). The memory checks
# read /proc/<backend pid>/status, so they need the server on this host.
# Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
set -euo pipefail

MEM_FACTOR=40
TIME_FACTOR=32
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

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
CREATE EXTENSION jwt;
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
else
	echo "# skip: memory checks need /proc/<backend pid>/status of the server"
fi

# --- time ---------------------------------------------------------------------
# shape name -> SQL expression of the payload for size n
declare -A SHAPES=(
	["many members"]="'{' || (SELECT string_agg(format('\"k%s\":%s', i, i), ',') FROM generate_series(1, n) i) || '}'"
	["one long string"]="'{\"s\":\"' || repeat('ab', n * 5) || '\"}'"
	["unicode escapes"]="'{\"s\":\"' || repeat('\\u00e9\\ud83d\\ude00', n / 2) || '\"}'"
	["long array"]="'{\"a\":[' || repeat('1,', n * 2) || '1]}'"
	["nested objects"]="'{\"z\":[' || repeat('{\"x\":{\"y\":[1,{\"q\":1}]}},', n / 4) || '1]}'"
	["late duplicate"]="'{' || (SELECT string_agg(format('\"k%s\":1', i), ',') FROM generate_series(1, n) i) || ',\"k1\":2}'"
	["many big numbers"]="'{\"a\":[' || (SELECT string_agg(repeat('9', 1000), ',') FROM generate_series(1, greatest(n / 100, 1))) || ']}'"
)
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
-- the verification path: numbers in exp/nbf/iat are read as doubles
SELECT repeat('k', 64) AS key \gset
CREATE FUNCTION pg_temp.best_verify(t text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  best float8 := 'infinity';
  t0 timestamptz;
  i int;
BEGIN
  FOR i IN 1 .. 5 LOOP
    t0 := clock_timestamp();
    PERFORM jwt_validate(t, repeat('k', 64));
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN best;
END $$;
SQL
	local name
	for name in "${!SHAPES[@]}"; do
		echo "SELECT '$name', n, round(pg_temp.best(${SHAPES[$name]})::numeric, 1) FROM (VALUES (80000), (640000)) v(n);"
	done
	echo "SELECT 'huge exp/nbf/iat (verify)', n, round(pg_temp.best_verify(t)::numeric, 1) FROM (VALUES (10000, :'huge10000'), (80000, :'huge80000')) v(n, t);"
}
# A token signed with the key of best_verify whose exp, nbf and iat have
# DIGITS digits: numbers no double holds, which jwt_sign refuses to sign
# but an attacker may send (signed here by python3, as PyJWT is installed).
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
if ! out="$({ echo "\\set huge10000 '$(huge_token 10000)'"
	echo "\\set huge80000 '$(huge_token 80000)'"
	timing_sql; } | "${PSQL[@]}" -F '|' 2>&1)"; then
	not_ok "bounds: the timing queries ran"
	printf '%s\n' "$out" | tail -n 10 | sed 's/^/# /'
	exit 1
fi
while IFS='|' read -r name _; do
	t_small="$(awk -F'|' -v n="$name" '$1 == n { print $3; exit }' <<<"$out")"
	t_big="$(awk -F'|' -v n="$name" '$1 == n { v = $3 } END { print v }' <<<"$out")"
	# below a few ms the clock and the noise dominate: compare with 5 ms at least
	verdict="$(awk -v s="$t_small" -v b="$t_big" -v f="$TIME_FACTOR" \
		'BEGIN { base = (s < 2 ? 2 : s); print (b <= f * base) ? "ok" : "bad" }')"
	msg="bounds: $name: 8x the size takes $t_big ms against $t_small ms (at most ${TIME_FACTOR}x)"
	if [ "$verdict" = ok ]; then ok "$msg"; else not_ok "$msg"; fi
done < <(awk -F'|' '!seen[$1]++ { print $1 "|" $2 }' <<<"$out")

exit "$failed"
