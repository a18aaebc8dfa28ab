--
-- Key registry: the backend's cache of jwt_keys after a change that the
-- statement making it rolls back.  The invalidation the table's triggers
-- queue is processed at the next command; a statement that reads the
-- registry after its own write and then fails (a deferred constraint at
-- the COMMIT of an implicit transaction, an error of its own, inside a
-- savepoint) never gets there, so the rows it read must not stay cached.
--
\set VERBOSITY terse
DELETE FROM jwt_keys;
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
CREATE TABLE rr_defer (x int UNIQUE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO rr_defer VALUES (1);
-- reads the registry in the middle of a statement (after an SPI command)
-- and says what it found
CREATE FUNCTION rr_check(t text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	r text;
BEGIN
	PERFORM 1;
	r := coalesce((SELECT reason FROM jwt_registry_validate(t)), 'valid');
	RAISE NOTICE 'inside the statement: %', r;
	RETURN r;
END $$;
-- a key that is not in the registry, and a token it signed under its kid
SELECT jwt_generate_key('ES256') AS rr_key \gset
SELECT jwt_sign('{"sub": "admin"}', :'rr_key'::jsonb,
                header => '{"kid": "rr-kid"}', expires_in => '1 hour') AS rr_tok \gset
CREATE FUNCTION rr_state(t text, OUT reason text, OUT published boolean) LANGUAGE sql AS $$
	SELECT coalesce((SELECT reason FROM jwt_registry_validate(t)), 'valid'),
	       jwt_jwks() @? '$.keys[*] ? (@.kid == "rr-kid")' $$;
-- the row that the failing statements insert
CREATE TABLE rr_row AS
SELECT 'rr-kid'::text AS kid, 'ES256'::text AS algorithm,
       jwt_public_jwk(:'rr_key'::jsonb) AS verification_key,
       'verify_only'::text AS status, now() + interval '1 day' AS retire_after;
SELECT * FROM rr_state(:'rr_tok');
-- Each case starts with the cache empty, as after any change of jwt_keys:
-- the statement reads the registry after its own write.
CREATE FUNCTION rr_empty() RETURNS void LANGUAGE sql AS $$
	UPDATE jwt_keys SET kid = kid WHERE false $$;

-- 1. An implicit transaction: the key inserted, the registry read with it,
-- and the deferred unique constraint fails at COMMIT.
SELECT rr_empty();
WITH ins AS (
	INSERT INTO jwt_keys (kid, algorithm, verification_key, status, retire_after)
	SELECT * FROM rr_row RETURNING kid),
dup AS (INSERT INTO rr_defer VALUES (1) RETURNING x)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM dup), rr_check(:'rr_tok');
SELECT count(*) AS rows FROM jwt_keys WHERE kid = 'rr-kid';
SELECT * FROM rr_state(:'rr_tok');
BEGIN;
SELECT jwt_registry_authenticate(:'rr_tok');
ROLLBACK;

-- 2. The statement fails by itself after reading the registry.
SELECT rr_empty();
WITH ins AS (
	INSERT INTO jwt_keys (kid, algorithm, verification_key, status, retire_after)
	SELECT * FROM rr_row RETURNING kid)
SELECT (SELECT count(*) FROM ins) AS n, rr_check(:'rr_tok'), 1 / ((SELECT count(*) FROM ins) - 1);
SELECT * FROM rr_state(:'rr_tok');

-- 3. The same inside a savepoint, and an exception block: the rest of
-- the transaction, and the next one, do not see the key.
BEGIN;
SAVEPOINT s;
SELECT rr_empty();
WITH ins AS (
	INSERT INTO jwt_keys (kid, algorithm, verification_key, status, retire_after)
	SELECT * FROM rr_row RETURNING kid)
SELECT (SELECT count(*) FROM ins) AS n, rr_check(:'rr_tok'), 1 / ((SELECT count(*) FROM ins) - 1);
ROLLBACK TO s;
SELECT * FROM rr_state(:'rr_tok');
COMMIT;
SET rr.tok = :'rr_tok';
SELECT rr_empty();
DO $$
DECLARE
	r text;
	d bigint;
BEGIN
	BEGIN
		WITH ins AS (
			INSERT INTO jwt_keys (kid, algorithm, verification_key, status, retire_after)
			SELECT * FROM rr_row RETURNING kid)
		SELECT (SELECT count(*) FROM ins), rr_check(current_setting('rr.tok')),
		       1 / ((SELECT count(*) FROM ins) - 1)
		INTO d, r, d;
	EXCEPTION WHEN division_by_zero THEN
		RAISE NOTICE 'rolled back';
	END;
	RAISE NOTICE 'after the block: %', rr_check(current_setting('rr.tok'));
END $$;
SELECT * FROM rr_state(:'rr_tok');
RESET rr.tok;

-- 4. A retired key made verify_only again by a statement that fails.
INSERT INTO jwt_keys (kid, algorithm, verification_key, status, retired_at)
VALUES ('rr-kid', 'ES256', jwt_public_jwk(:'rr_key'::jsonb), 'retired', now());
SELECT * FROM rr_state(:'rr_tok');
SELECT rr_empty();
WITH upd AS (
	UPDATE jwt_keys SET status = 'verify_only', retired_at = NULL,
	                    retire_after = now() + interval '1 day'
	WHERE kid = 'rr-kid' RETURNING kid),
dup AS (INSERT INTO rr_defer VALUES (1) RETURNING x)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM dup), rr_check(:'rr_tok');
SELECT status FROM jwt_keys WHERE kid = 'rr-kid';
SELECT * FROM rr_state(:'rr_tok');

-- 5. A change that commits is seen: the cache read by the transaction
-- that wrote the row stays valid once it commits.
BEGIN;
UPDATE jwt_keys SET status = 'verify_only', retired_at = NULL,
                    retire_after = now() + interval '1 day'
WHERE kid = 'rr-kid';
SELECT * FROM rr_state(:'rr_tok');
COMMIT;
SELECT * FROM rr_state(:'rr_tok');

DELETE FROM jwt_keys;
DROP FUNCTION rr_state(text);
DROP FUNCTION rr_check(text);
DROP FUNCTION rr_empty();
DROP TABLE rr_defer, rr_row;
