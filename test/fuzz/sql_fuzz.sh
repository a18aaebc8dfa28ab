#!/usr/bin/env bash
# test/fuzz/sql_fuzz.sh SECONDS: mutation fuzzing of the installed extension
# through SQL (part 2 of run.sh; usable alone).
#
# Seeds: tokens signed with every algorithm by the ring keys of keys.json
# (secret as bytea, PEM, JWK as text and jsonb, a JWK Set) and those keys.
# Each step takes a random seed token and key, mutates the token (bytes of
# the compact form, or the header or claims JSON re-encoded, or a spliced
# signature, alg or kid) and checks:
#   - jwt_validate never raises (the keys are good ones);
#   - jwt_verify raises 28000/54000 exactly when jwt_validate says invalid;
#   - jwt_decode raises nothing but 22P02/54000;
# and every 8th step passes a mutated key (PEM, JWK or JWK Set text), which
# may raise 22023 or 54000 and nothing else.  Any other error fails the
# batch.  Steps run in batches of 500 in plpgsql, in several sessions; after
# each session a new connection checks that the server has not gone through
# crash recovery (the checkpointer would have been restarted).
#
# Needs PGHOST/PGPORT/PGUSER/PGDATABASE for a database with the extension.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-8}"
sessions=4
PSQL=(psql -XAtq -v ON_ERROR_STOP=1)
failed=0

checkpointer() {
	"${PSQL[@]}" -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"
}

setup_sql() {
	cat <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE fz_keys AS
SELECT row_number() OVER () AS id, e->>'name' AS name, e->>'form' AS form,
       CASE e->>'form' WHEN 'jsonb' THEN (e->'key')::text ELSE e->>'key' END AS k_text,
       CASE e->>'form' WHEN 'bytea' THEN decode(e->>'key', 'hex') END AS k_bytea,
       CASE e->>'form' WHEN 'jsonb' THEN e->'key' END AS k_jsonb,
       ARRAY(SELECT jsonb_array_elements_text(e->'serves')) AS serves
  FROM jsonb_array_elements((:'keys')::jsonb->'ring') e;

-- seed tokens: every key signs with each algorithm it serves, a few claim sets
CREATE TEMP TABLE fz_toks AS
SELECT row_number() OVER () AS id, k.id AS key_id,
       CASE k.form WHEN 'bytea' THEN jwt_sign(c.claims, k.k_bytea, a, h.header)
                   WHEN 'jsonb' THEN jwt_sign(c.claims, k.k_jsonb, a, h.header)
                   ELSE jwt_sign(c.claims, k.k_text, a, h.header) END AS tok
  FROM fz_keys k, unnest(k.serves) a,
       (VALUES ('{"sub":"alice","iss":"a","aud":"a","iat":1799999940,"nbf":1799999940,"exp":1800003600}'::jsonb),
               ('{"sub":"b","exp":1799999999,"role":{"r":[1,2.5,null,true]}}'::jsonb),
               ('{"iat":1800000000.25,"s":"é✓"}'::jsonb)) c(claims),
       (VALUES (NULL::jsonb), ('{"kid":"rsa"}'), ('{"typ":"at+jwt","cty":"x"}')) h(header);
-- the JWK Set verifies the tokens whose kid it knows
INSERT INTO fz_toks
SELECT (SELECT max(id) FROM fz_toks) + row_number() OVER (), (SELECT id FROM fz_keys WHERE name = 'set'), tok
  FROM fz_toks WHERE tok LIKE 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYSJ9.%';

CREATE FUNCTION pg_temp.b64d(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT convert_from(decode(translate(s, '-_', '+/') || repeat('=', (4 - length(s) % 4) % 4), 'base64'), 'UTF8')
$$;
CREATE FUNCTION pg_temp.b64e(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT rtrim(translate(encode(convert_to(s, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

-- byte-level mutations, with JSON, JOSE and base64url fragments
CREATE FUNCTION pg_temp.mutate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  frags text[] := ARRAY['{', '}', '[', ']', ',', ':', '"', '\', '\u0000', '\ud800', '\u00e9', '.', '=',
    '"alg":"none"', '"alg":"HS256"', '"alg":"RS256"', '"alg":"EdDSA"', '"kid":"rsa"', '"crit":["x"]',
    '"exp":1e999', '"exp":-1', '"exp":"1"', '"nbf":1900000000', '"iat":1e308', '"aud":[]', '"aud":[1]',
    '"a":1,"a":2', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', '1234567890123456789012345', 'null', 'true',
    'eyJ', 'AAAA', '-_', ' ', E'\n', 'é', '😀', '-----BEGIN ', '-----END ', 'PRIVATE KEY-----', 'MII',
    '"kty":"RSA"', '"kty":"EC"', '"crv":"P-256"', '"kty":"OKP"', '"keys":[', '"use":"enc"', '"key_ops":[]'];
  n int := 1 + floor(random() * 4)::int;
  i int;
  p int;
  l int;
BEGIN
  FOR i IN 1 .. n LOOP
    l := length(s);
    p := 1 + floor(random() * (l + 1))::int;
    CASE floor(random() * 7)::int
      WHEN 0 THEN s := overlay(s placing frags[1 + floor(random() * array_length(frags, 1))::int] from p for 0);
      WHEN 1 THEN s := overlay(s placing '' from p for 1 + floor(random() * 8)::int);
      WHEN 2 THEN s := overlay(s placing chr(32 + floor(random() * 95)::int) from p for 1);
      WHEN 3 THEN s := overlay(s placing substr(s, 1 + floor(random() * greatest(l, 1))::int, 1 + floor(random() * 24)::int) from p for 0);
      WHEN 4 THEN s := substr(s, 1, p);
      WHEN 5 THEN s := overlay(s placing frags[1 + floor(random() * array_length(frags, 1))::int] from p for 1 + floor(random() * 4)::int);
      ELSE s := overlay(s placing repeat(substr(s, p, 1 + floor(random() * 4)::int), floor(random() * 64)::int) from p for 0);
    END CASE;
  END LOOP;
  RETURN s;
END $$;

-- token-level mutations: raw, header or claims JSON, spliced parts
CREATE FUNCTION pg_temp.mutate_token(tok text, other text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  p text[] := string_to_array(tok, '.');
  o text[] := string_to_array(other, '.');
  r int := floor(random() * 10)::int;
BEGIN
  IF array_length(p, 1) <> 3 THEN
    RETURN pg_temp.mutate(tok);
  END IF;
  BEGIN
    CASE
      WHEN r < 3 THEN RETURN pg_temp.mutate(tok);
      WHEN r < 5 THEN RETURN pg_temp.b64e(pg_temp.mutate(pg_temp.b64d(p[1]))) || '.' || p[2] || '.' || p[3];
      WHEN r < 7 THEN RETURN p[1] || '.' || pg_temp.b64e(pg_temp.mutate(pg_temp.b64d(p[2]))) || '.' || p[3];
      WHEN r < 8 THEN RETURN p[1] || '.' || p[2] || '.' || o[3];
      WHEN r < 9 THEN RETURN o[1] || '.' || p[2] || '.' || p[3];
      ELSE RETURN p[1] || '.' || p[2] || '.' || pg_temp.mutate(p[3]);
    END CASE;
  EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character OR invalid_parameter_value THEN
    RETURN pg_temp.mutate(tok);
  END;
END $$;

CREATE FUNCTION pg_temp.fz_batch(n int) RETURNS TABLE (calls bigint, valid bigint, problems text[])
LANGUAGE plpgsql AS $$
DECLARE
  ntok int := (SELECT count(*) FROM fz_toks);
  nkey int := (SELECT count(*) FROM fz_keys);
  at timestamptz := to_timestamp(1800000000);
  t record;
  k record;
  tok text;
  mk text;
  mj jsonb;
  cj jsonb;
  aud text;
  alg text;
  v record;
  detail text;
  r int;
  c bigint := 0;
  nvalid bigint := 0;
  probs text[] := '{}';
  i int;
BEGIN
  FOR i IN 1 .. n LOOP
    r := 1 + floor(random() * ntok)::int;
    SELECT * INTO STRICT t FROM fz_toks f WHERE f.id = r;
    -- mostly the key that signed the token, so that mutations reach the claims
    r := CASE WHEN random() < 0.7 THEN t.key_id ELSE 1 + floor(random() * nkey)::int END;
    SELECT * INTO STRICT k FROM fz_keys f WHERE f.id = r;
    r := 1 + floor(random() * ntok)::int;
    tok := pg_temp.mutate_token(t.tok, (SELECT f.tok FROM fz_toks f WHERE f.id = r));
    aud := CASE WHEN random() < 0.5 THEN 'a' END;
    -- a fifth of the time: mutated claims, signed again by the token's key
    -- (when it can sign), so that the claim checks see them
    IF random() < 0.2 AND k.id = t.key_id AND k.name NOT IN ('rsa_pub', 'set') THEN
      BEGIN
        cj := pg_temp.mutate(pg_temp.b64d(split_part(t.tok, '.', 2)))::jsonb;
        alg := (jwt_decode(t.tok)).header->>'alg';
        tok := CASE k.form WHEN 'bytea' THEN jwt_sign(cj, k.k_bytea, alg)
                           WHEN 'jsonb' THEN jwt_sign(cj, k.k_jsonb, alg)
                           ELSE jwt_sign(cj, k.k_text, alg) END;
      EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
        NULL;                   -- not JSON, or claims jwt_sign refuses
      END;
    END IF;
    BEGIN
      CASE k.form
        WHEN 'bytea' THEN SELECT * INTO v FROM jwt_validate(tok, k.k_bytea, audience => aud, at => at);
        WHEN 'jsonb' THEN SELECT * INTO v FROM jwt_validate(tok, k.k_jsonb, audience => aud, at => at);
        ELSE SELECT * INTO v FROM jwt_validate(tok, k.k_text, audience => aud, at => at);
      END CASE;
      nvalid := nvalid + v.valid::int;
    EXCEPTION WHEN OTHERS THEN
      probs := probs || format('jwt_validate raised %s (%s) for token %s with key %s', SQLSTATE, SQLERRM, tok, k.name);
      CONTINUE;
    END;
    BEGIN
      CASE k.form
        WHEN 'bytea' THEN PERFORM jwt_verify(tok, k.k_bytea, audience => aud, at => at);
        WHEN 'jsonb' THEN PERFORM jwt_verify(tok, k.k_jsonb, audience => aud, at => at);
        ELSE PERFORM jwt_verify(tok, k.k_text, audience => aud, at => at);
      END CASE;
      IF NOT v.valid THEN
        probs := probs || format('jwt_verify accepted what jwt_validate calls %s: %s', v.reason, tok);
      END IF;
    EXCEPTION WHEN invalid_authorization_specification OR program_limit_exceeded THEN
      GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
      IF v.valid THEN
        probs := probs || format('jwt_verify raised %s for a token jwt_validate accepts: %s', SQLSTATE, tok);
      ELSIF strpos(detail, format('(reason: %s).', v.reason)) = 0 THEN
        probs := probs || format('jwt_verify says "%s", jwt_validate %s: %s', detail, v.reason, tok);
      END IF;
    END;
    BEGIN
      PERFORM jwt_decode(tok);
    EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN
      NULL;
    END;
    c := c + 3;
    IF i % 8 = 0 AND k.form <> 'bytea' THEN
      mk := pg_temp.mutate(k.k_text);
      BEGIN
        PERFORM jwt_validate(t.tok, mk, at => at);
      EXCEPTION WHEN invalid_parameter_value OR program_limit_exceeded THEN
        NULL;
      END;
      BEGIN
        mj := mk::jsonb;        -- the cast's own errors are not ours
      EXCEPTION WHEN data_exception THEN
        mj := NULL;
      END;
      IF mj IS NOT NULL THEN
        BEGIN
          PERFORM jwt_validate(t.tok, mj, at => at);
        EXCEPTION WHEN invalid_parameter_value OR program_limit_exceeded THEN
          NULL;
        END;
      END IF;
      BEGIN
        PERFORM jwt_public_jwk(mk);
      EXCEPTION WHEN invalid_parameter_value OR program_limit_exceeded THEN
        NULL;
      END;
      c := c + 3;
    END IF;
  END LOOP;
  RETURN QUERY SELECT c, nvalid, probs;
END $$;

-- batches of 500 until the time is up
CREATE FUNCTION pg_temp.fz_run(secs float8) RETURNS TABLE (batches int, calls bigint, valid bigint, problems text[])
LANGUAGE plpgsql AS $$
DECLARE
  stop timestamptz := clock_timestamp() + make_interval(secs => secs);
  b int := 0;
  c bigint := 0;
  nv bigint := 0;
  probs text[] := '{}';
  r record;
BEGIN
  WHILE clock_timestamp() < stop LOOP
    SELECT * INTO r FROM pg_temp.fz_batch(500);
    b := b + 1;
    c := c + r.calls;
    nv := nv + r.valid;
    probs := probs || r.problems;
  END LOOP;
  RETURN QUERY SELECT b, c, nv, probs;
END $$;
SQL
}

before="$(checkpointer)"
total_calls=0
total_batches=0
total_valid=0
start=$SECONDS
for s in $(seq 1 "$sessions"); do
	if ! out="$({
		setup_sql
		echo "SELECT pg_backend_pid() AS pid \\gset"
		echo "SELECT batches, calls, valid, array_to_string(problems, E'\\n') FROM pg_temp.fz_run($seconds::float8 / $sessions);"
		echo "SELECT pg_backend_pid() = :pid AS same_backend;"
	} | "${PSQL[@]}" -v keys="$(cat "$here/keys.json")" -F ' ' 2>&1)"; then
		echo "not ok - fuzz/sql: session $s ran its batches (the backend died, or an unexpected error)"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/# /'
		failed=1
		break
	fi
	read -r b c nv rest <<<"$(printf '%s\n' "$out" | head -n 1)"
	total_batches=$((total_batches + b))
	total_calls=$((total_calls + c))
	total_valid=$((total_valid + nv))
	problems="$(printf '%s\n' "$out" | sed -n '1s/^[0-9]* [0-9]* [0-9]* //p; 2,$p' | grep -v '^t$' | grep -v '^$' || true)"
	if [ -n "$problems" ]; then
		echo "not ok - fuzz/sql: session $s: jwt_validate, jwt_verify and jwt_decode agree"
		printf '%s\n' "$problems" | head -n 10 | sed 's/^/# /'
		failed=1
	fi
	if [ "$(printf '%s\n' "$out" | tail -n 1)" != t ]; then
		echo "not ok - fuzz/sql: session $s kept its backend"
		failed=1
	fi
done
after="$(checkpointer || true)"
if [ "$failed" -eq 0 ]; then
	echo "ok - fuzz/sql: $total_calls calls on mutated tokens and keys ($total_valid still valid) in $total_batches batches, $sessions sessions, $((SECONDS - start))s"
fi
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	echo "ok - fuzz/sql: the server never went through crash recovery (checkpointer pid $before)"
else
	echo "not ok - fuzz/sql: the server never went through crash recovery (checkpointer pid $before, now ${after:-gone})"
	failed=1
fi
exit "$failed"
