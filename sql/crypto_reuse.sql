--
-- The signature contexts a key keeps between calls (crypto.c): many
-- signatures under one key in one statement, failures in the middle
-- (a corrupted signature, a zeroed one, one of the wrong length) followed
-- by good ones with the same key, signing after a failed verification,
-- and ECDSA's r||s <-> DER conversion on every curve (P-521's DER has a
-- long-form length; r and s with leading zero bytes or the high bit set
-- turn up among 40 signatures).
--
CREATE TEMP TABLE k AS
  SELECT alg, jwt_generate_key(alg) AS priv
    FROM unnest(ARRAY['RS256', 'PS256', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA']) AS alg;
CREATE FUNCTION pg_temp.corrupt(tok text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT overlay(tok PLACING CASE WHEN substr(tok, length(tok) - 10, 1) = 'A' THEN 'B' ELSE 'A' END
                    FROM length(tok) - 10 FOR 1) $$;
CREATE FUNCTION pg_temp.sig(tok text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
  $$ SELECT decode(rpad(translate(split_part(tok, '.', 3), '-_', '+/'), (length(split_part(tok, '.', 3)) + 3) / 4 * 4, '='), 'base64') $$;
CREATE FUNCTION pg_temp.resig(tok text, sig bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT regexp_replace(tok, '[^.]+$', '') || rtrim(translate(encode(sig, 'base64'), E'+/\n', '-_'), '=') $$;
CREATE FUNCTION pg_temp.zeroed(tok text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT regexp_replace(tok, '[^.]+$', '') || repeat('A', length(tok) - length(regexp_replace(tok, '[^.]+$', ''))) $$;

-- 40 signatures per key, each verified with the public JWK and with the
-- private key, and the signatures all distinct where they are randomised
SELECT alg, count(*) AS n,
       count(*) FILTER (WHERE (jwt_validate(tok, jwt_public_jwk(priv))).valid) AS public_ok,
       count(*) FILTER (WHERE (jwt_validate(tok, priv)).valid) AS private_ok,
       count(DISTINCT split_part(tok, '.', 3)) AS distinct_sigs
  FROM (SELECT alg, priv, jwt_sign(jsonb_build_object('i', i % 2), priv, alg) AS tok
          FROM k, generate_series(1, 40) i) s
 GROUP BY alg ORDER BY alg COLLATE "C";

-- bad, good, bad, good ... with the same key in one statement: each good
-- one verifies after a failure inside OpenSSL
WITH t AS (SELECT alg, priv, jwt_public_jwk(priv) AS pub, jwt_sign('{"sub":"a"}', priv, alg) AS tok FROM k)
SELECT alg, array_agg(coalesce((jwt_validate(CASE n % 3 WHEN 1 THEN pg_temp.corrupt(tok)
                                                       WHEN 2 THEN pg_temp.zeroed(tok)
                                                       ELSE tok END, pub)).reason, 'ok') ORDER BY n) AS results
  FROM t, generate_series(1, 6) n GROUP BY alg ORDER BY alg COLLATE "C";

-- ECDSA signatures of the wrong length (short, long, another curve's),
-- then a good one, with the same key
WITH t AS (SELECT jwt_public_jwk(priv) AS pub, jwt_sign('{"sub":"a"}', priv, 'ES256') AS tok,
                  (SELECT jwt_sign('{"sub":"a"}', priv, 'ES384') FROM k WHERE alg = 'ES384') AS tok384
             FROM k WHERE alg = 'ES256')
SELECT n, length(pg_temp.sig(bad)) AS sig_len, coalesce((jwt_validate(bad, pub)).reason, 'ok') AS result
  FROM t, generate_series(1, 6) n,
       LATERAL (SELECT CASE n WHEN 1 THEN pg_temp.resig(tok, substr(pg_temp.sig(tok), 1, 63))
                              WHEN 2 THEN pg_temp.resig(tok, substr(pg_temp.sig(tok), 2))
                              WHEN 3 THEN pg_temp.resig(tok, pg_temp.sig(tok) || '\x00'::bytea)
                              WHEN 4 THEN pg_temp.resig(tok, '\x00'::bytea || pg_temp.sig(tok))
                              WHEN 5 THEN pg_temp.resig(tok, pg_temp.sig(tok384))
                              ELSE tok END AS bad) b
 ORDER BY n;

-- signing after a failed verification with the same (private) key, then
-- verifying what was signed
SELECT alg,
       (jwt_validate(pg_temp.corrupt(jwt_sign('{"sub":"a"}', priv, alg)), priv)).valid AS corrupted,
       (jwt_validate(jwt_sign('{"sub":"b"}', priv, alg), priv)).valid AS signed_after,
       (jwt_validate(jwt_sign('{"sub":"c"}', priv, alg), jwt_public_jwk(priv))).valid AS public_after
  FROM k, generate_series(1, 2) ORDER BY alg COLLATE "C";

-- the same, on a key given as PEM text (another cache entry)
SELECT count(*) FILTER (WHERE NOT (jwt_validate(pg_temp.corrupt(jwt_sign('{"sub":"a"}', pem, 'ES256')), pem)).valid) AS corrupted_refused,
       count(*) FILTER (WHERE (jwt_validate(jwt_sign('{"sub":"b"}', pem, 'ES256'), pem)).valid) AS good_ok
  FROM (SELECT '-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2
OF/2NxApJCzGCEDdfSp6VQO30hyhRANCAAQRWz+jn65BtOMvdyHKcvjBeBSDZH2r
1RTwjmYSi9R/zpBnuQ4EiMnCqfMPWiZqB4QdbAd0E7oH50VpuZ1P087G
-----END PRIVATE KEY-----'::text AS pem, i FROM generate_series(1, 10) i) s;

-- Forged ECDSA signatures of the right length on every curve, built from
-- a good one (r, s) and the curve's order q: r or s equal to q, or q
-- added to them on P-521 (its 66-byte halves hold 7 bits more than q;
-- the other curves' halves have no room for it), all bits set, every
-- byte 0x80 (the high bit that needs a DER pad), r = s = 1, a zero r or
-- s, then the original and (r, q - s), which is a valid signature of the
-- same message (ECDSA's malleability: a verifier cannot refuse it) and
-- exercises the DER conversion on an s of other leading bytes.  The good
-- ones still verify after the forgeries, with the same key.
CREATE TEMP TABLE ecq (alg text, n int, q numeric);
CREATE FUNCTION pg_temp.b2n(b bytea) RETURNS numeric LANGUAGE sql IMMUTABLE AS
  $$ SELECT coalesce(sum(get_byte(b, i)::numeric * 256::numeric ^ (length(b) - 1 - i)), 0)
       FROM generate_series(0, length(b) - 1) i $$;
CREATE FUNCTION pg_temp.n2b(v numeric, len int) RETURNS bytea LANGUAGE sql IMMUTABLE AS
  $$ SELECT decode(string_agg(lpad(to_hex(mod(div(v, 256::numeric ^ (len - 1 - i)), 256)::int), 2, '0'), '' ORDER BY i), 'hex')
       FROM generate_series(0, len - 1) i $$;
INSERT INTO ecq SELECT alg, n, pg_temp.b2n(decode(q, 'hex')) FROM (VALUES
  ('ES256', 32, 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  ('ES384', 48, 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  ('ES512', 66, '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409'),
  ('ES256K', 32, 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')) v(alg, n, q);
WITH t AS (SELECT alg, n, q, jwt_public_jwk(priv) AS pub, jwt_sign('{"sub":"a"}', priv, alg) AS tok
             FROM k JOIN ecq USING (alg)),
     rs AS (SELECT *, pg_temp.b2n(substr(pg_temp.sig(tok), 1, n)) AS r,
                      pg_temp.b2n(substr(pg_temp.sig(tok), n + 1)) AS s FROM t)
SELECT alg, array_agg(v || ':' || coalesce((jwt_validate(pg_temp.resig(tok, sig), pub)).reason, 'ok') ORDER BY o) AS results
  FROM rs, LATERAL (VALUES
    (1, 'r=q', pg_temp.n2b(q, n) || pg_temp.n2b(s, n)),
    (2, 's=q', pg_temp.n2b(r, n) || pg_temp.n2b(q, n)),
    (3, 'r+q', CASE WHEN n = 66 THEN pg_temp.n2b(r + q, n) || pg_temp.n2b(s, n) END),
    (4, 's+q', CASE WHEN n = 66 THEN pg_temp.n2b(r, n) || pg_temp.n2b(s + q, n) END),
    (5, 'ff', decode(repeat('ff', 2 * n), 'hex')),
    (6, '80', decode(repeat('80', 2 * n), 'hex')),
    (7, 'ones', pg_temp.n2b(1, n) || pg_temp.n2b(1, n)),
    (8, 'r=0', pg_temp.n2b(0, n) || pg_temp.n2b(s, n)),
    (9, 's=0', pg_temp.n2b(r, n) || pg_temp.n2b(0, n)),
    (10, 'good', pg_temp.n2b(r, n) || pg_temp.n2b(s, n)),
    (11, 'q-s', pg_temp.n2b(r, n) || pg_temp.n2b(q - s, n))) AS x(o, v, sig)
 WHERE sig IS NOT NULL
 GROUP BY alg ORDER BY alg COLLATE "C";

-- ECDSA signatures of every length from 0 to 140 bytes but the right one
-- (P-521's 132 among them), the same key verifying a good one after each
SELECT alg, count(*) AS lengths,
       count(*) FILTER (WHERE (jwt_validate(pg_temp.resig(tok, substr(decode(repeat('a5', 140), 'hex'), 1, l)), pub)).reason = 'bad_signature') AS refused,
       count(*) FILTER (WHERE (jwt_validate(tok, pub)).valid) AS good_after
  FROM (SELECT alg, n, jwt_public_jwk(priv) AS pub, jwt_sign('{"sub":"a"}', priv, alg) AS tok FROM k JOIN ecq USING (alg)) t,
       generate_series(0, 140) l
 WHERE l <> 2 * n
 GROUP BY alg ORDER BY alg COLLATE "C";

-- ECDSA nonces (crypto.c, ec_signer: ECDSA_do_sign of the EC_KEY
-- interface): a nonce used twice would sign two messages with one k,
-- which gives the private key away: no r may repeat, within a statement,
-- across statements, after a statement that failed having signed (its
-- tokens carried out in the error's message) and a savepoint rolled back
-- (its tokens kept in a psql variable); every signature verifies.
CREATE TEMP TABLE ec_sigs (stmt int, alg text, tok text);
INSERT INTO ec_sigs SELECT 1, alg, jwt_sign(jsonb_build_object('i', i), priv, alg)
  FROM k, generate_series(1, 21) i WHERE alg LIKE 'ES%';
INSERT INTO ec_sigs SELECT 2, alg, jwt_sign('{"i": 0}', priv, alg) FROM k WHERE alg LIKE 'ES%';
CREATE FUNCTION pg_temp.sign_then_fail(n int, carry bool) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  toks text;
BEGIN
  SELECT string_agg(alg || ' ' || jwt_sign(jsonb_build_object('i', i), priv, alg), ',') INTO toks
    FROM k, generate_series(1, n) i WHERE alg LIKE 'ES%';
  IF carry THEN
    RAISE EXCEPTION USING MESSAGE = toks;
  END IF;
  RAISE EXCEPTION 'failed after % signatures a key', n;
END $$;
DO $$
BEGIN
  PERFORM pg_temp.sign_then_fail(5, true);
EXCEPTION WHEN raise_exception THEN
  INSERT INTO ec_sigs SELECT 3, split_part(x, ' ', 1), split_part(x, ' ', 2)
    FROM unnest(string_to_array(SQLERRM, ',')) x;
END $$;
\set VERBOSITY terse
SELECT pg_temp.sign_then_fail(3, false);
\set VERBOSITY default
BEGIN;
SAVEPOINT s;
WITH ins AS (INSERT INTO ec_sigs SELECT 4, alg, jwt_sign(jsonb_build_object('i', i), priv, alg)
               FROM k, generate_series(1, 7) i WHERE alg LIKE 'ES%' RETURNING alg, tok)
SELECT string_agg(alg || ' ' || tok, ',') AS rolled_back FROM ins \gset
ROLLBACK TO s;
INSERT INTO ec_sigs SELECT 4, split_part(x, ' ', 1), split_part(x, ' ', 2)
  FROM unnest(string_to_array(:'rolled_back', ',')) x;
INSERT INTO ec_sigs SELECT 5, alg, jwt_sign(jsonb_build_object('i', i), priv, alg)
  FROM k, generate_series(1, 40) i WHERE alg LIKE 'ES%';
COMMIT;
SELECT alg, count(*) AS n, count(DISTINCT stmt) AS statements,
       count(DISTINCT substr(pg_temp.sig(tok), 1, length(pg_temp.sig(tok)) / 2)) AS distinct_r,
       count(*) FILTER (WHERE (jwt_validate(tok, jwt_public_jwk(priv))).valid) AS verified
  FROM ec_sigs JOIN k USING (alg)
 GROUP BY alg ORDER BY alg COLLATE "C";
