#!/usr/bin/env bash
# test/soak/run.sh: one backend makes over a million mixed calls and its
# memory stays flat.
#
# The mix, in one psql session (one backend), per round of N calls
# (JWT_SOAK_CALLS, default 1,000,000); a warm-up round of the same size
# first (JWT_SOAK_WARMUP), so that the measured round allocates no larger
# peak than the warm-up did and what glibc keeps of a peak is not taken for
# a leak:
#   - verification with every algorithm (HS256/384/512, RS256/384/512,
#     PS256/384/512, ES256/384/512, ES256K, EdDSA with Ed25519 and Ed448),
#     keys as secret (bytea, text), PEM, JWK (text, jsonb) and JWK Set; most
#     calls are HS (cheap), each asymmetric algorithm gets a share that its
#     cost allows (ES384 is some 50 times slower than HS256);
#   - valid, tampered, expired, wrong-audience, alg "none", "crit",
#     truncated and garbage tokens, through jwt_validate and jwt_decode;
#   - uncached keys: 60 keys (HMAC secrets, RSA, P-256 and Ed25519 public
#     JWKs) in turn, so that every call misses the 16-entry key cache,
#     parses its key and evicts another;
#   - signing: HS with many claims, ES256, EdDSA, and a few RS and PS (RSA
#     signing is slow);
#   - errors raised and caught (a subtransaction each), among them errors
#     raised in the middle of a verification after good calls: a 1024-bit
#     RSA key (refused after the header was parsed and the key chosen), a
#     JWK Set with a private member that fails its pair check (OpenSSL
#     objects built, then freed), a malformed PEM key, an unknown name in
#     "algorithms" (after the key was cached), a public key asked to sign,
#     claims of the wrong type (after the header was written), and tokens
#     jwt_verify rejects;
#   - statements cancelled by statement_timeout in the middle of verifying
#     with cached and with uncached keys.
# Memory is measured after the warm-up round and after the measured round,
# each of which ends with the same 16 keys, so that the key cache holds the
# same entries:
# the memory contexts (pg_backend_memory_contexts) must grow by less than
# 64 kB and the resident set (RssAnon, which includes OpenSSL's malloc'd
# objects) by less than 1 MB.
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension,
# and openssl (for the 1024-bit RSA key). Prints "ok - ..." / "not ok - ..."
# lines; exits 1 when a check failed. A longer soak:
#   JWT_SOAK_CALLS=10000000 test/soak/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CALLS="${JWT_SOAK_CALLS:-1000000}"
CTX_LIMIT=65536     # bytes
RSS_LIMIT_KB=1024   # kB

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export JWT_SOAK_DIR="$tmp"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null |
	openssl pkey -pubout >"$tmp/rsa1024.pem"

# Calls per kind in a round of n calls (the rest of n is made of the
# kinds with fixed shares below).
share() { echo $(($1 * $2 / 1000)); }   # share N PERMILLE

# The tables and functions of the session.
setup() {
	cat <<'SQL'
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
-- the ring of test keys (PEM, JWK, JWK Set, secret) from test/fuzz
CREATE TEMP TABLE ring AS
SELECT e->>'name' AS name, e->>'form' AS form,
       CASE e->>'form' WHEN 'jsonb' THEN (e->'key')::text ELSE e->>'key' END AS k_text,
       CASE e->>'form' WHEN 'bytea' THEN decode(e->>'key', 'hex') END AS k_bytea,
       CASE e->>'form' WHEN 'jsonb' THEN e->'key' END AS k_jsonb
  FROM jsonb_array_elements((:'keys')::jsonb->'ring') e;

-- Tokens of every algorithm, and the key forms that verify them: kind says
-- which argument type the verification key has.
CREATE TEMP TABLE toks (alg text, tok text, kind text, vk_text text, vk_bytea bytea,
                        vk_jsonb jsonb, want text);
CREATE FUNCTION pg_temp.priv(n text) RETURNS text LANGUAGE sql AS
  $$ SELECT k_text FROM ring WHERE name = n $$;
INSERT INTO toks
SELECT a, CASE WHEN a LIKE 'HS%' THEN jwt_sign(c, (SELECT k_bytea FROM ring WHERE name = 'hs'), a, h)
               ELSE jwt_sign(c, pg_temp.priv(signer), a, h) END,
       NULL, NULL, NULL, NULL, w
  FROM (VALUES ('HS256', 'hs'), ('HS384', 'hs'), ('HS512', 'hs'),
               ('RS256', 'rsa'), ('RS384', 'rsa'), ('RS512', 'rsa'),
               ('PS256', 'rsa'), ('PS384', 'rsa'), ('PS512', 'rsa'),
               ('ES256', 'p256'), ('ES384', 'p384'), ('ES512', 'p521'),
               ('ES256K', 'k256'), ('EdDSA', 'ed25519'), ('EdDSA', 'ed448')) s(a, signer),
       (VALUES ('{"sub":"alice","aud":"api","exp":1900000000}'::jsonb, NULL::jsonb, NULL::text),
               ('{"sub":"bob","aud":"api","exp":1700000000}', '{"kid":"rsa"}', 'expired'),
               ('{"sub":"carol","aud":"other","nbf":1800000000,"role":{"x":[1,2,3]}}', '{"typ":"at+jwt"}', 'audience_mismatch')) t(c, h, w);
-- verification keys: secret as bytea and text, public PEM, public JWK as
-- text and jsonb, and the JWK Set for the RSA tokens that carry its kid
UPDATE toks SET kind = 'bytea', vk_bytea = (SELECT k_bytea FROM ring WHERE name = 'hs') WHERE alg = 'HS256';
UPDATE toks SET kind = 'jsonb', vk_jsonb = jsonb_build_object('kty', 'oct', 'k',
         rtrim(translate(encode((SELECT k_bytea FROM ring WHERE name = 'hs'), 'base64'), E'+/\n', '-_'), '='))
 WHERE alg IN ('HS384', 'HS512');
UPDATE toks SET kind = 'text', vk_text = convert_from((SELECT k_bytea FROM ring WHERE name = 'rsa_pub'), 'UTF8')
 WHERE alg IN ('RS256', 'PS384');
UPDATE toks SET kind = 'jsonb', vk_jsonb = (SELECT k_jsonb FROM ring WHERE name = 'set')
 WHERE alg IN ('RS384', 'RS512', 'PS256', 'PS512') AND tok LIKE '%.%' AND (jwt_decode(tok)).header ? 'kid';
UPDATE toks SET kind = 'jsonb', vk_jsonb = jwt_public_jwk(pg_temp.priv('rsa'))
 WHERE alg IN ('RS384', 'RS512', 'PS256', 'PS512') AND kind IS NULL;
UPDATE toks SET kind = 'text', vk_text = jwt_public_jwk(pg_temp.priv(
         CASE alg WHEN 'ES256' THEN 'p256' WHEN 'ES384' THEN 'p384' WHEN 'ES512' THEN 'p521'
                  WHEN 'ES256K' THEN 'k256' END))::text
 WHERE alg LIKE 'ES%';
UPDATE toks SET kind = 'jsonb', vk_jsonb = jwt_public_jwk(pg_temp.priv(
         CASE WHEN (jwt_decode(tok)).signature::text ~ '^.{130}$' THEN 'ed25519' ELSE 'ed448' END))
 WHERE alg = 'EdDSA';
-- tampered copies (the first character of the signature changed)
INSERT INTO toks
SELECT alg, split_part(tok, '.', 1) || '.' || split_part(tok, '.', 2) || '.' ||
       CASE WHEN left(split_part(tok, '.', 3), 1) = 'A' THEN 'B' ELSE 'A' END || substr(split_part(tok, '.', 3), 2),
       kind, vk_text, vk_bytea, vk_jsonb, 'bad_signature'
  FROM toks WHERE want IS NULL;
ALTER TABLE toks ADD COLUMN slow boolean;
UPDATE toks SET slow = alg IN ('ES384', 'ES512', 'ES256K') OR (alg = 'EdDSA' AND length(split_part(tok, '.', 3)) > 100);

-- Verify one row; the reason, or NULL when valid.
CREATE FUNCTION pg_temp.check(t toks) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE t.kind
           WHEN 'bytea' THEN (jwt_validate(t.tok, t.vk_bytea, audience => 'api', at => '2030-01-01')).reason
           WHEN 'jsonb' THEN (jwt_validate(t.tok, t.vk_jsonb, audience => 'api', at => '2030-01-01')).reason
           ELSE (jwt_validate(t.tok, t.vk_text, audience => 'api', at => '2030-01-01')).reason END
$$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM toks t WHERE pg_temp.check(t) IS DISTINCT FROM t.want) THEN
    RAISE EXCEPTION 'a seed token does not give its expected reason: %',
      (SELECT string_agg(alg || ' ' || coalesce(want, 'valid') || ' -> ' || coalesce(pg_temp.check(t), 'valid'), ', ')
         FROM toks t WHERE pg_temp.check(t) IS DISTINCT FROM t.want);
  END IF;
END $$;

-- invalid token shapes, each with its reason
CREATE TEMP TABLE bad (tok text, want text);
INSERT INTO bad
SELECT tok, want FROM (VALUES
  ('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'algorithm_not_allowed'),
  ('eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.AAAA', 'unsupported_critical_header'),
  ('a.b', 'malformed'), ('....', 'malformed'), ('', 'malformed'),
  ('eyJhbGciOiJIUzI1NiJ9.e30=.AA=', 'malformed'),
  (repeat('x', 70000), 'limit_exceeded'),
  ('eyJhbGciOiJIUzI1NiJ9.' || repeat('W', 200) || '.' || repeat('A', 43), 'bad_signature')) v(tok, want)
UNION ALL
SELECT left(tok, length(tok) - 10), 'malformed' FROM toks WHERE alg = 'HS256' AND want IS NULL
UNION ALL
SELECT tok, want FROM toks WHERE alg = 'HS256' AND want IS NOT NULL;

-- 60 keys in turn: every call misses the cache of 16
CREATE TEMP TABLE rot (i int, key text, tok text);
INSERT INTO rot
SELECT i, s, jwt_sign(jsonb_build_object('i', i), s)
  FROM (SELECT i, encode(sha512(int4send(i)), 'hex') AS s FROM generate_series(0, 39) i) g;
INSERT INTO rot
SELECT 40 + i, jwt_public_jwk(k)::text, jwt_sign(jsonb_build_object('i', i), k, k->>'alg')
  FROM (SELECT i, jwt_generate_key(CASE i % 3 WHEN 0 THEN 'ES256' WHEN 1 THEN 'EdDSA' ELSE 'RS256' END) AS k
          FROM generate_series(0, 19) i) g;

-- keys that make a verification raise in its middle
SELECT jwt_generate_key('ES256') AS ec_a, jwt_generate_key('ES256') AS ec_b \gset
SELECT jwt_sign('{"sub":"x"}', (SELECT k_text FROM ring WHERE name = 'rsa'), 'RS256') AS rs_tok \gset
SELECT set_config('soak.rsa1024', :'rsa1024', false), set_config('soak.rs_tok', :'rs_tok', false),
       set_config('soak.badset', jsonb_build_object('keys', jsonb_build_array(
         jwt_public_jwk(:'ec_b'::jsonb), :'ec_a'::jsonb || jsonb_build_object('d', :'ec_b'::jsonb->'d')))::text, false),
       set_config('soak.pub', jwt_public_jwk(:'ec_a'::jsonb)::text, false),
       set_config('soak.hs', (SELECT k_text FROM ring WHERE name = 'oct'), false) \gset

CREATE FUNCTION pg_temp.errors(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  rsa1024 text := current_setting('soak.rsa1024');
  rs_tok text := current_setting('soak.rs_tok');
  badset jsonb := current_setting('soak.badset')::jsonb;
  pub text := current_setting('soak.pub');
  hs text := current_setting('soak.hs');
  hs_tok text := jwt_sign('{"sub":"ok"}', hs, 'HS512');
  expired text := jwt_sign('{"sub":"old"}', hs, 'HS512', expires_in => '-1 hour');
  caught bigint := 0;
  i int;
BEGIN
  FOR i IN 1 .. n LOOP
    -- a good call first, then one that raises
    PERFORM jwt_verify(hs_tok, hs);
    BEGIN
      CASE i % 7
        WHEN 0 THEN PERFORM jwt_verify(rs_tok, rsa1024);
        WHEN 1 THEN PERFORM jwt_verify(hs_tok, badset);
        WHEN 2 THEN PERFORM jwt_verify(hs_tok, E'-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' || i || E'\n-----END PUBLIC KEY-----\n');
        WHEN 3 THEN PERFORM jwt_verify(hs_tok, hs, algorithms => ARRAY['HS256', 'XS' || i % 5]);
        WHEN 4 THEN PERFORM jwt_sign('{}', pub, 'ES256');
        WHEN 5 THEN PERFORM jwt_sign(jsonb_build_object('exp', 'soon', 'i', i), hs, 'HS512');
        ELSE PERFORM jwt_verify(expired, hs);
      END CASE;
      RAISE EXCEPTION 'no error raised (case %)', i % 7;
    EXCEPTION WHEN invalid_parameter_value OR invalid_authorization_specification THEN
      caught := caught + 1;
    END;
  END LOOP;
  RETURN caught;
END $$;
-- loops until statement_timeout cancels it
CREATE FUNCTION pg_temp.spin(uncached boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  n int := (SELECT count(*) FROM toks);
  ts toks[] := ARRAY(SELECT t FROM toks t);
  rs rot[] := ARRAY(SELECT r FROM rot r ORDER BY i);
  i int := 0;
BEGIN
  LOOP
    i := i + 1;
    IF uncached THEN
      PERFORM jwt_validate(rs[1 + i % 60].tok, rs[1 + i % 60].key);
    ELSE
      PERFORM pg_temp.check(ts[1 + i % n]);
    END IF;
  END LOOP;
END $$;
SELECT pg_backend_pid() AS pid \gset
\setenv JWT_SOAK_PID :pid
SQL
}

# One round of n calls. Functions are called in the target list, once per
# row; counts go to psql variables NAME_TAG.
round() {
	local n="$1" tag="$2"
	local hot hs bad asym slow rot sign ssig rsig err dec cancels
	hot=$(share "$n" 630)   # HS256, cached key
	hs=$(share "$n" 100)    # HS384/512 with an oct JWK
	bad=$(share "$n" 120)   # invalid shapes
	asym=$(share "$n" 20)   # RS, PS, ES256, Ed25519
	slow=$(( n * 16 / 10000 ))  # ES384, ES512, ES256K, Ed448: 0.16%
	rot=$(share "$n" 60)    # uncached keys
	sign=$(share "$n" 40)   # HS signing
	ssig=$(share "$n" 2)    # ES256 and EdDSA signing, each
	rsig=$(share "$n" 0)    # RS and PS signing, each
	[ "$rsig" -gt 0 ] || rsig=$(( n / 20000 + 1 ))
	err=$(share "$n" 20)    # raised and caught (two calls each)
	dec=$(share "$n" 30)    # jwt_decode
	cancels=$(( n / 50000 + 2 ))
	cat <<SQL
SELECT count(*) FILTER (WHERE jwt_verify(t.tok, t.vk_bytea, audience => 'api', at => '2030-01-01') IS NOT NULL) AS hot_$tag
  FROM (SELECT * FROM toks WHERE alg = 'HS256' AND want IS NULL) t, generate_series(1, $hot) \\gset
SELECT count(*) FILTER (WHERE pg_temp.check(t) IS NOT DISTINCT FROM t.want) AS hs_$tag, count(*) AS hs_n_$tag
  FROM toks t, generate_series(1, $hs / 8) WHERE t.alg IN ('HS384', 'HS512') \\gset
SELECT count(*) FILTER (WHERE (jwt_validate(b.tok, (SELECT vk_bytea FROM toks WHERE alg = 'HS256' LIMIT 1),
                                            audience => 'api', at => '2030-01-01')).reason = b.want) AS bad_$tag,
       count(*) AS bad_n_$tag
  FROM bad b, generate_series(1, $bad / 12) \\gset
SELECT count(*) FILTER (WHERE pg_temp.check(t) IS NOT DISTINCT FROM t.want) AS asym_$tag, count(*) AS asym_n_$tag
  FROM toks t, generate_series(1, $asym / (SELECT count(*) FROM toks WHERE alg NOT LIKE 'HS%' AND NOT slow)::int)
 WHERE t.alg NOT LIKE 'HS%' AND NOT t.slow \\gset
SELECT count(*) FILTER (WHERE pg_temp.check(t) IS NOT DISTINCT FROM t.want) AS slow_$tag, count(*) AS slow_n_$tag
  FROM toks t, generate_series(1, $slow / (SELECT count(*) FROM toks WHERE slow)::int) WHERE t.slow \\gset
SELECT count(*) FILTER (WHERE (jwt_validate(r.tok, r.key)).valid) AS rot_$tag, count(*) AS rot_n_$tag
  FROM generate_series(0, $rot - 1) g JOIN rot r ON r.i = g % 60 \\gset
SELECT count(jwt_verify(jwt_sign(jsonb_build_object('sub', 'u' || i, 'n', i, 'roles', jsonb_build_array('a', i)),
                                 (SELECT vk_bytea FROM toks WHERE alg = 'HS256' LIMIT 1), 'HS512', expires_in => '1 hour'),
                        (SELECT vk_bytea FROM toks WHERE alg = 'HS256' LIMIT 1))) AS sign_$tag
  FROM generate_series(1, $sign / 2) i \\gset
SELECT count(jwt_sign(jsonb_build_object('i', i), (SELECT k_jsonb FROM ring WHERE name = 'p256'), 'ES256')) +
       count(jwt_sign(jsonb_build_object('i', i), (SELECT k_jsonb FROM ring WHERE name = 'ed25519'), 'EdDSA')) AS ssig_$tag
  FROM generate_series(1, $ssig) i \\gset
SELECT count(jwt_sign(jsonb_build_object('i', i), (SELECT k_text FROM ring WHERE name = 'rsa'), 'RS384')) +
       count(jwt_sign(jsonb_build_object('i', i), (SELECT k_text FROM ring WHERE name = 'rsa'), 'PS512')) AS rsig_$tag
  FROM generate_series(1, $rsig) i \\gset
SELECT pg_temp.errors($err / 2) AS err_$tag \\gset
SELECT count((jwt_decode(t.tok)).claims) AS dec_$tag FROM toks t, generate_series(1, $dec / 60) \\gset
SQL
	# cancelled statements: cached keys, then uncached ones
	echo "\\set ON_ERROR_STOP 0"
	echo "SET statement_timeout = '40ms';"
	for ((c = 0; c < cancels; c++)); do
		if ((c % 2 == 0)); then
			echo "SELECT pg_temp.spin(false);"
		else
			echo "SELECT pg_temp.spin(true);"
		fi
		echo "\\echo 'cancel_$tag' :SQLSTATE"
	done
	echo "RESET statement_timeout;"
	echo "\\set ON_ERROR_STOP 1"
	# the same 16 keys last: the key cache holds the same entries (whose
	# sizes differ from key to key) when memory is measured
	echo "SELECT count((jwt_validate(tok, key)).valid) FROM (SELECT * FROM rot WHERE i < 16 ORDER BY i) r \\gset"
	# expected counts, for the report
	cat <<SQL
\\set exp_hot_$tag $((hot * 3 / 3))
\\set exp_sign_$tag $((sign / 2))
\\set exp_ssig_$tag $((ssig * 2))
\\set exp_rsig_$tag $((rsig * 2))
\\set exp_err_$tag $((err / 2))
\\set exp_rot_$tag $rot
SQL
}

measure() {
	cat <<SQL
SELECT sum(total_bytes) AS ctx_$1 FROM pg_backend_memory_contexts \\gset
\\! grep -E '^(VmRSS|RssAnon):' "/proc/\$JWT_SOAK_PID/status" >"\$JWT_SOAK_DIR/rss_$1" 2>/dev/null || true
SQL
}

script() {
	setup
	round "${JWT_SOAK_WARMUP:-$CALLS}" w
	measure before
	measure before
	round "$CALLS" m
	measure after
	local v
	for v in ctx_before ctx_after hot_m hs_m hs_n_m bad_m bad_n_m asym_m asym_n_m slow_m slow_n_m rot_m rot_n_m \
		sign_m ssig_m rsig_m err_m dec_m exp_sign_m exp_ssig_m exp_rsig_m exp_err_m exp_rot_m; do
		echo "\\echo '$v' :$v"
	done
}

# shellcheck source=test/lib.sh
source "$(dirname "$0")/../lib.sh"

keys_file="${JWT_ROOT:-$here/../..}/test/fuzz/keys.json"
start=$SECONDS
if ! out="$(script | psql -X -q -At -v keys="$(cat "$keys_file")" -v rsa1024="$(cat "$tmp/rsa1024.pem")" 2>&1)"; then
	not_ok "soak: the workload ran without errors"
	printf '%s\n' "$out" | grep -v 'canceling statement' | tail -n 20 | sed 's/^/# /'
	exit 1
fi
elapsed=$((SECONDS - start))
value() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }' | tail -n 1; }

hot=$(value hot_m)
calls=$((hot + $(value hs_n_m) + $(value bad_n_m) + $(value asym_n_m) + $(value slow_n_m) + $(value rot_n_m) +
	2 * $(value sign_m) + $(value ssig_m) + $(value rsig_m) + 2 * $(value err_m) + $(value dec_m)))
cancelled="$(printf '%s\n' "$out" | grep -c '^cancel_m 57014$' || true)"
ncancel="$(printf '%s\n' "$out" | grep -c '^cancel_m ' || true)"
echo "# measured round: $calls calls in one backend, after a warm-up round of ${JWT_SOAK_WARMUP:-$CALLS} calls; ${elapsed}s in all:"
echo "#   $hot HS256 hot path, $(value hs_n_m) HS384/512 (oct JWK), $(value bad_n_m) invalid shapes,"
echo "#   $(value asym_n_m) RS/PS/ES256/Ed25519 and $(value slow_n_m) ES384/ES512/ES256K/Ed448 verifications (valid, expired,"
echo "#   wrong audience, tampered), $(value rot_n_m) with 60 keys in turn (a cache miss each), $(value sign_m) HS sign+verify,"
echo "#   $(value ssig_m) ES256/EdDSA and $(value rsig_m) RS/PS signatures, $(value err_m) errors raised and caught after"
echo "#   a good call each, $(value dec_m) decodes, $cancelled statements cancelled mid-way"

check_eq "soak: every seed token of every algorithm gave its expected reason, every round" \
	"$(($(value hs_m) + $(value asym_m) + $(value slow_m)))" "$(($(value hs_n_m) + $(value asym_n_m) + $(value slow_n_m)))"
check_eq "soak: every invalid shape gave its reason" "$(value bad_m)" "$(value bad_n_m)"
check_eq "soak: every uncached key verified its token" "$(value rot_m)" "$(value exp_rot_m)"
check_eq "soak: every signed token verified" "$(value sign_m)" "$(value exp_sign_m)"
check_eq "soak: every ES256/EdDSA/RS/PS signature was made" "$(($(value ssig_m) + $(value rsig_m)))" "$(($(value exp_ssig_m) + $(value exp_rsig_m)))"
check_eq "soak: every error case raised its error" "$(value err_m)" "$(value exp_err_m)"
check_eq "soak: every long statement was cancelled" "$cancelled" "$ncancel"
if [ "$calls" -ge "$CALLS" ]; then
	ok "soak: at least $CALLS calls in the measured round ($calls)"
else
	not_ok "soak: at least $CALLS calls in the measured round ($calls)"
fi

ctx_before="$(value ctx_before)"
ctx_after="$(value ctx_after)"
ctx_growth=$((ctx_after - ctx_before))
echo "# memory contexts: $ctx_before -> $ctx_after bytes (growth $ctx_growth)"
if [ "$ctx_growth" -lt "$CTX_LIMIT" ]; then
	ok "soak: memory contexts grew by less than 64 kB"
else
	not_ok "soak: memory contexts grew by less than 64 kB"
fi
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "$tmp/rss_$2" 2>/dev/null; }
if [ -n "$(rss_kb RssAnon before)" ] && [ -n "$(rss_kb RssAnon after)" ]; then
	growth=$(($(rss_kb RssAnon after) - $(rss_kb RssAnon before)))
	echo "# RssAnon: $(rss_kb RssAnon before) -> $(rss_kb RssAnon after) kB (growth $growth);" \
		"VmRSS: $(rss_kb VmRSS before) -> $(rss_kb VmRSS after) kB"
	if [ "$growth" -lt "$RSS_LIMIT_KB" ]; then
		ok "soak: anonymous resident memory (OpenSSL's included) grew by less than 1 MB"
	else
		not_ok "soak: anonymous resident memory (OpenSSL's included) grew by less than 1 MB"
	fi
else
	echo "# RSS check skipped: /proc/<backend pid>/status is not readable here"
fi
exit "$failed"
