--
-- The verified-token cache (src/token_cache.c): a signature check saved for
-- an ES/EdDSA/RS/PS token seen again with the same key, and every other
-- check still made on each call.  jwt_token_cache_info() shows this
-- backend's hits and misses, so that each test below can show that the
-- cached path was taken and still refused what it must refuse.
--
SET client_min_messages = warning;
CREATE TEMP TABLE k AS
SELECT jwt_generate_key('ES256') AS priv, NULL::jsonb AS pub,
       jwt_generate_key('ES256') AS other_priv, NULL::jsonb AS other_pub;
UPDATE k SET pub = jwt_public_jwk(priv), other_pub = jwt_public_jwk(other_priv);
CREATE TEMP TABLE t AS
SELECT jwt_sign(jsonb_build_object('sub', 'alice', 'aud', 'api', 'jti', 'j-1',
                                   'exp', extract(epoch FROM now())::bigint + 3600,
                                   'nbf', extract(epoch FROM now())::bigint - 60,
                                   'iat', extract(epoch FROM now())::bigint - 60),
                priv, 'ES256') AS tok
  FROM k;
-- hits and misses since the last call of this function
CREATE TEMP TABLE last_info (hits bigint, misses bigint);
INSERT INTO last_info SELECT hits, misses FROM jwt_token_cache_info();
CREATE FUNCTION pg_temp.delta(OUT hits bigint, OUT misses bigint) AS $$
	WITH now AS (SELECT i.hits, i.misses FROM jwt_token_cache_info() i),
	     upd AS (UPDATE last_info l SET hits = now.hits, misses = now.misses FROM now
	             RETURNING now.hits - (SELECT hits FROM last_info) AS dh,
	                       now.misses - (SELECT misses FROM last_info) AS dm)
	SELECT dh, dm FROM upd
$$ LANGUAGE sql;
SELECT max_entries FROM jwt_token_cache_info();

-- First verification: a miss; the second: a hit, with the same claims.
SELECT jwt_verify(tok, pub, audience => 'api')->>'sub' AS sub FROM t, k;
SELECT * FROM pg_temp.delta();
SELECT jwt_verify(tok, pub, audience => 'api')->>'sub' AS sub FROM t, k;
SELECT * FROM pg_temp.delta();

-- A different audience on the next call: refused, though the signature
-- came from the cache.
SELECT reason FROM t, k, jwt_validate(tok, pub, audience => 'other');
SELECT * FROM pg_temp.delta();
-- So are an issuer, subject, typ and required claim it does not have.
SELECT (jwt_validate(tok, pub, audience => 'api', issuer => 'x')).reason AS iss,
       (jwt_validate(tok, pub, audience => 'api', subject => 'bob')).reason AS sub,
       (jwt_validate(tok, pub, audience => 'api', typ => 'at+jwt')).reason AS typ,
       (jwt_validate(tok, pub, audience => 'api', require => '{scope}')).reason AS req
  FROM t, k;
SELECT * FROM pg_temp.delta();
-- An algorithms list without ES256.
SELECT reason FROM t, k, jwt_validate(tok, pub, algorithms => '{EdDSA}', audience => 'api');

-- exp passes while the token is cached: refused, exactly at the same
-- instants as without the cache, leeway included.
CREATE TEMP TABLE times AS
SELECT (t.tok) AS tok, at, leeway
  FROM t,
       LATERAL (SELECT to_timestamp((convert_from(decode(translate(split_part(t.tok, '.', 2), '-_', '+/')
                || repeat('=', (4 - length(split_part(t.tok, '.', 2)) % 4) % 4), 'base64'), 'UTF8')::jsonb->>'exp')::bigint) AS exp) e,
       LATERAL (VALUES (e.exp - interval '1 second', interval '0'), (e.exp, interval '0'),
                       (e.exp, interval '1 second'), (e.exp + interval '1 second', interval '1 second'),
                       (e.exp + interval '2 seconds', interval '1 second'),
                       (e.exp - interval '3661 seconds', interval '0'),
                       (e.exp - interval '3660 seconds', interval '0'),
                       (e.exp - interval '3661 seconds', interval '1 second')) v(at, leeway);
CREATE TEMP TABLE cached AS
SELECT at - (SELECT min(at) FROM times) AS offset_, leeway, (jwt_validate(tok, pub, audience => 'api', at => at, leeway => leeway)).reason
  FROM times, k;
SELECT * FROM pg_temp.delta();
SET jwt.token_cache_size = 0;
CREATE TEMP TABLE uncached AS
SELECT at - (SELECT min(at) FROM times) AS offset_, leeway, (jwt_validate(tok, pub, audience => 'api', at => at, leeway => leeway)).reason
  FROM times, k;
SELECT * FROM pg_temp.delta();
RESET jwt.token_cache_size;
SELECT c.offset_, c.leeway, c.reason, c.reason IS NOT DISTINCT FROM u.reason AS same_uncached
  FROM cached c JOIN uncached u USING (offset_, leeway) ORDER BY 1, 2;

-- Another key: never served from the cache (a miss), bad signature.
SELECT reason FROM t, k, jwt_validate(tok, other_pub, audience => 'api');
SELECT * FROM pg_temp.delta();
-- The same key as a JWK Set: another key object, a miss, then valid.
SELECT valid FROM t, k, jwt_validate(tok, jsonb_build_object('keys', jsonb_build_array(pub)), audience => 'api');
SELECT * FROM pg_temp.delta();

-- The genuine token, verified since the cache was emptied above: an
-- entry again.
SELECT valid FROM t, k, jwt_validate(tok, pub, audience => 'api');
SELECT entries FROM jwt_token_cache_info();
SELECT * FROM pg_temp.delta();
-- One byte of the signature changed: a miss and a bad signature, though
-- the genuine token has an entry.
SELECT reason FROM k, t,
       LATERAL (SELECT left(tok, length(tok) - 5)
                       || CASE WHEN substr(tok, length(tok) - 4, 1) = 'A' THEN 'B' ELSE 'A' END
                       || right(tok, 4) AS forged) f,
       jwt_validate(forged, pub, audience => 'api');
SELECT * FROM pg_temp.delta();
-- Verified again, the genuine one is still a hit.
SELECT valid FROM t, k, jwt_validate(tok, pub, audience => 'api');
SELECT * FROM pg_temp.delta();

-- Every asymmetric algorithm verifies on a miss (RS256, PS256 and ES256
-- with the signing input's SHA-256 from the pass that computed the
-- token's digest, the others hashing as usual) and is then a hit; each of
-- two tokens with the other's signature segment is a miss and a bad
-- signature.
SELECT a AS alg, v1.valid AS first_valid, v2.valid AS second_valid,
       x1.reason AS swapped, x2.reason AS swapped_back
  FROM unnest(ARRAY['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
                    'ES256', 'ES384', 'ES512', 'EdDSA']) WITH ORDINALITY a(a, n),
       LATERAL (SELECT jwt_generate_key(a) AS priv) g,
       LATERAL (SELECT jwt_public_jwk(priv) AS pub, jwt_sign('{"sub":"x"}', priv, a) AS t1,
                       jwt_sign('{"sub":"y"}', priv, a) AS t2) s,
       LATERAL jwt_validate(t1, pub) v1,
       LATERAL jwt_validate(t1, pub) v2,
       LATERAL jwt_validate(split_part(t1, '.', 1) || '.' || split_part(t1, '.', 2) || '.' || split_part(t2, '.', 3), pub) x1,
       LATERAL jwt_validate(split_part(t2, '.', 1) || '.' || split_part(t2, '.', 2) || '.' || split_part(t1, '.', 3), pub) x2
 ORDER BY n;
-- one hit a row (the second check of t1), three misses
SELECT * FROM pg_temp.delta();

-- HMAC tokens do not go through the cache.
SELECT jwt_verify(jwt_sign('{"sub":"h"}', repeat('s', 32), 'HS256'), repeat('s', 32), algorithms => '{HS256}')->>'sub' AS sub;
SELECT * FROM pg_temp.delta();

-- The registry: a token verified (and cached) with a registry key, then
-- denylisted, then its key retired.
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
CREATE TEMP TABLE rt AS
SELECT jwt_registry_sign(jsonb_build_object('sub', 'carol', 'jti', 'r-1'), expires_in => interval '1 hour') AS tok;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt;
SELECT * FROM pg_temp.delta();
BEGIN;
SELECT jwt_authenticate(tok, jwt_registry_keyset())->>'sub' AS sub FROM rt;
ROLLBACK;
SELECT jwt_revoke('r-1', now() + interval '1 hour') AS revoked;
BEGIN;
SELECT jwt_authenticate(tok, jwt_registry_keyset())->>'sub' AS sub FROM rt;
ROLLBACK;
BEGIN;
SELECT jwt_registry_authenticate(tok)->>'sub' AS sub FROM rt;
ROLLBACK;
SELECT * FROM pg_temp.delta();
-- A second registry token, verified and cached, then its key retired
-- in a transaction (another key staying active): refused there; after the
-- rollback valid again, and the cache is used again.
CREATE TEMP TABLE rt2 AS
SELECT jwt_registry_sign('{"sub":"dave"}', expires_in => interval '1 hour') AS tok;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt2;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt2;
SELECT entries > 0 AS cached FROM jwt_token_cache_info();
SELECT jwt_registry_rotate('EdDSA') IS NOT NULL AS rotated;
SELECT * FROM pg_temp.delta();
BEGIN;
SELECT jwt_registry_retire((jwt_decode(tok)).header->>'kid') AS retired FROM rt2;
SELECT (jwt_registry_validate(tok)).reason FROM rt2;
ROLLBACK;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt2;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt2;
SELECT * FROM pg_temp.delta();
-- Retired for good: the cache is emptied and the token refused.
SELECT jwt_registry_retire((jwt_decode(tok)).header->>'kid') AS retired FROM rt2;
SELECT entries FROM jwt_token_cache_info();
SELECT (jwt_registry_validate(tok)).reason FROM rt2;
SELECT * FROM pg_temp.delta();
-- Rotated out: a token of the EdDSA key, cached, then a new key and the
-- EdDSA key retired: refused.
CREATE TEMP TABLE rt3 AS
SELECT jwt_registry_sign('{"sub":"erin"}', algorithm => 'EdDSA', expires_in => interval '1 hour') AS tok;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt3;
SELECT jwt_registry_verify(tok)->>'sub' AS sub FROM rt3;
SELECT jwt_registry_rotate('EdDSA') IS NOT NULL AS rotated;
SELECT jwt_registry_retire((jwt_decode(tok)).header->>'kid') AS retired FROM rt3;
SELECT (jwt_registry_validate(tok)).reason FROM rt3;
SELECT * FROM pg_temp.delta();

-- A full cache: never more entries than jwt.token_cache_size, the least
-- recently used evicted first, memory bounded.
SET jwt.token_cache_size = 5;
CREATE TEMP TABLE many AS
SELECT i, jwt_sign(jsonb_build_object('sub', 'u' || i, 'aud', 'api'), priv, 'ES256') AS tok
  FROM k, generate_series(1, 40) i;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k;
SELECT entries, max_entries FROM jwt_token_cache_info();
SELECT * FROM pg_temp.delta();
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k WHERE i > 35;
SELECT * FROM pg_temp.delta();
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k WHERE i = 1;
SELECT * FROM pg_temp.delta();
SET jwt.token_cache_size = 1000;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k;
SELECT entries FROM jwt_token_cache_info();
SELECT total_bytes < 64 * 1024 AS bounded FROM pg_backend_memory_contexts WHERE name = 'jwt token cache';
SET jwt.token_cache_size = 5;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k WHERE i = 40;
SELECT entries FROM jwt_token_cache_info();
SET jwt.token_cache_size = 0;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM many, k WHERE i <= 2;
SELECT entries FROM jwt_token_cache_info();
SELECT count(*) AS contexts FROM pg_backend_memory_contexts WHERE name = 'jwt token cache';
RESET jwt.token_cache_size;

-- The claims set as read is kept with the entry (when it takes at most
-- 1 kB): a hit takes the claims from there instead of reading the payload
-- again, and every check still runs on them.  What reading gives depends
-- on jwt.max_json_depth too: a payload nested 5 deep, cached under the
-- default of 32, is refused once the setting is 4, as without the cache,
-- though the signature comes from the cache; and valid again at 32.
SELECT count(*) FROM pg_temp.delta();
CREATE TEMP TABLE deep AS
SELECT jwt_sign(jsonb_build_object('sub', 'deep', 'aud', 'api', 'x', '[[[[1]]]]'::jsonb), priv, 'ES256') AS tok
  FROM k;
SELECT jwt_verify(tok, pub, audience => 'api')->'x' AS x FROM deep, k;
SELECT jwt_verify(tok, pub, audience => 'api')->'x' AS x FROM deep, k;
SELECT * FROM pg_temp.delta();
SET jwt.max_json_depth = 4;
SELECT valid, reason, claims FROM deep, k, jwt_validate(tok, pub, audience => 'api');
SELECT valid, reason FROM deep, k, jwt_validate(tok, pub, audience => 'api');
SELECT * FROM pg_temp.delta();
RESET jwt.max_json_depth;
SELECT valid, claims->'x' AS x FROM deep, k, jwt_validate(tok, pub, audience => 'api');
SELECT valid, claims->'x' AS x FROM deep, k, jwt_validate(tok, pub, audience => 'api');
SELECT * FROM pg_temp.delta();

-- Audiences as an array, kept with the entry: each call checks its own
-- audience against them (an empty array names none).
CREATE TEMP TABLE auds AS
SELECT a, jwt_sign(jsonb_build_object('sub', 'aud-' || a, 'aud', a::jsonb), priv, 'ES256') AS tok
  FROM k, unnest(ARRAY['["api", "admin"]', '[]', '"admin"']) a;
SELECT a, want, v.reason
  FROM auds, k, unnest(ARRAY['api', 'admin', 'other', 'api', 'admin']) WITH ORDINALITY w(want, n),
       LATERAL jwt_validate(tok, pub, audience => want) v
 ORDER BY a, n;
SELECT a, (jwt_validate(tok, pub, audiences => '{other,admin}')).reason AS either,
       (jwt_validate(tok, pub)).reason AS none_given
  FROM auds, k ORDER BY a;
SELECT * FROM pg_temp.delta();

-- The failure log names the token's iss and sub on a hit as on a miss.
CREATE TEMP TABLE logged AS
SELECT jwt_sign('{"iss":"https://idp.example","sub":"alice","aud":"api"}', priv, 'ES256',
                header => '{"kid":"tc-log"}') AS tok
  FROM k;
SET jwt.log_failures = warning;
SELECT (jwt_validate(tok, pub, audience => 'other')).reason FROM logged, k;
SELECT (jwt_validate(tok, pub, audience => 'other')).reason FROM logged, k;
RESET jwt.log_failures;
SELECT * FROM pg_temp.delta();

-- The same for a header: parsed headers are remembered across statements
-- (a few of them, for any call site), and one nested 4 deep, remembered
-- under the default depth, is refused at 3.
CREATE TEMP TABLE deep_header AS
SELECT jwt_sign('{"sub":"dh"}', priv, 'ES256', header => '{"x":[[[1]]]}') AS tok FROM k;
SELECT jwt_verify(tok, pub)->>'sub' AS sub FROM deep_header, k;
SET jwt.max_json_depth = 3;
SELECT valid, reason, header FROM deep_header, k, jwt_validate(tok, pub);
RESET jwt.max_json_depth;
SELECT valid, header->'x' AS x FROM deep_header, k, jwt_validate(tok, pub);
-- Within one statement, the call site's own memo: the setting changed
-- between two rows (by the token argument, so that it is set before each
-- call) refuses the header remembered at the first.
SELECT n, d AS depth,
       (jwt_validate(tok || left(set_config('jwt.max_json_depth', d, false), 0), pub)).reason
  FROM (VALUES (1, '32'), (2, '3'), (3, '32')) v(n, d), deep_header, k
 ORDER BY n;
RESET jwt.max_json_depth;

-- Ten keys of one JWK Set, each token naming its key by kid: more headers
-- than the backend remembers (8), taken in turn, twice, within a statement
-- and across statements.  Each token must find its own key (another
-- key's header would pick another key: a bad signature) and show its own
-- header and claims.
CREATE TEMP TABLE kids AS
SELECT i, jwt_generate_key('ES256') AS priv FROM generate_series(1, 10) i;
CREATE TEMP TABLE kid_set AS
SELECT jsonb_build_object('keys', jsonb_agg(jwt_public_jwk(priv) || jsonb_build_object('kid', 'kid-' || i) ORDER BY i)) AS jwks
  FROM kids;
CREATE TEMP TABLE kid_tokens AS
SELECT i, jwt_sign(jsonb_build_object('sub', 'user-' || i), priv, 'ES256',
                   header => jsonb_build_object('kid', 'kid-' || i)) AS tok
  FROM kids;
SELECT count(*) FILTER (WHERE v.valid AND v.header->>'kid' = 'kid-' || t.i
                          AND v.claims->>'sub' = 'user-' || t.i) AS right,
       count(*) AS total
  FROM kid_tokens t, kid_set s, generate_series(1, 3) r,
       LATERAL jwt_validate(t.tok, s.jwks) v;
SELECT jwt_verify(tok, jwks)->>'sub' AS sub FROM kid_tokens, kid_set WHERE i = 1;
SELECT jwt_verify(tok, jwks)->>'sub' AS sub FROM kid_tokens, kid_set WHERE i = 9;
SELECT jwt_verify(tok, jwks)->>'sub' AS sub FROM kid_tokens, kid_set WHERE i = 10;
SELECT jwt_verify(tok, jwks)->>'sub' AS sub FROM kid_tokens, kid_set WHERE i = 1;
SELECT (jwt_validate(tok, jwks)).header->>'kid' AS kid FROM kid_tokens, kid_set WHERE i = 5;
SELECT * FROM pg_temp.delta();

-- Claims over 1 kB are not kept (each hit reads the payload), and those
-- kept take about a kilobyte each at most: 300 tokens of 1.5 kB claims
-- leave the claims' memory as it was; 300 tokens of 600-byte claims take
-- more, but less than 400 kB.
SET jwt.token_cache_size = 1000;
CREATE FUNCTION pg_temp.claims_bytes() RETURNS bigint AS $$
	SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts
	 WHERE name = 'jwt token cache claims'
$$ LANGUAGE sql;
-- 300 tokens with claims of about "pad" bytes, each verified twice (a miss
-- and a hit): how many calls gave the token's own claims
CREATE FUNCTION pg_temp.verify_padded(pad int) RETURNS bigint AS $$
	WITH toks AS (
		SELECT i, jwt_sign(jsonb_build_object('sub', 's' || i, 'pad', repeat('p', pad)), priv, 'ES256') AS tok
		  FROM k, generate_series(1, 300) i)
	SELECT count(*) FILTER (WHERE v->>'sub' = 's' || i AND length(v->>'pad') = pad)
	  FROM toks, k, generate_series(1, 2), LATERAL jwt_verify(tok, pub) v
$$ LANGUAGE sql;
CREATE TEMP TABLE claims_mem AS SELECT pg_temp.claims_bytes() AS start;
SELECT pg_temp.verify_padded(1500) AS right;
SELECT * FROM pg_temp.delta();
ALTER TABLE claims_mem ADD big bigint;
UPDATE claims_mem SET big = pg_temp.claims_bytes();
SELECT pg_temp.verify_padded(600) AS right;
SELECT * FROM pg_temp.delta();
ALTER TABLE claims_mem ADD mid bigint;
UPDATE claims_mem SET mid = pg_temp.claims_bytes();
SELECT big <= start + 8192 AS big_not_kept, mid > big + 150 * 1024 AS mid_kept,
       mid < 400 * 1024 AS mid_bounded
  FROM claims_mem;
-- A cache of 50 entries, from empty: evicted entries free their claims.
-- 600 tokens of 600-byte claims leave at most 50 of them kept (a 1 kB
-- chunk each).
SET jwt.token_cache_size = 0;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM t, k;
SET jwt.token_cache_size = 50;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM t, k;
SELECT pg_temp.claims_bytes() < 8192 AS small;
SELECT sum(pg_temp.verify_padded(600)) AS right FROM generate_series(1, 2);
SELECT entries FROM jwt_token_cache_info();
SELECT pg_temp.claims_bytes() < 50 * 1200 + 8192 AS evicted_freed;
-- Worst case: claims of each size class in turn (1 kB, 512, 256 and
-- 128-byte chunks; a freed chunk is reused for its own size only) take
-- at most about 2 kB an entry.
SELECT sum(pg_temp.verify_padded(pad)) AS right FROM unnest(ARRAY[600, 300, 120, 40]) pad;
SELECT pg_temp.claims_bytes() < 50 * 2200 + 8192 AS size_classes_bounded;
SET jwt.token_cache_size = 0;
SELECT count(jwt_verify(tok, pub, audience => 'api')) FROM t, k;
SELECT count(*) AS contexts FROM pg_backend_memory_contexts WHERE name LIKE 'jwt token cache%';
RESET jwt.token_cache_size;

-- An unprivileged role may neither read the cache nor resize it.
CREATE ROLE tc_nobody;
SET ROLE tc_nobody;
SELECT * FROM jwt_token_cache_info();
SET jwt.token_cache_size = 0;
RESET ROLE;
DROP ROLE tc_nobody;
