--
-- Refresh tokens: the rotation rules hold for hand-written DML too.  Each
-- broken rule raises 23514 (check_violation) naming the column.
--
\set VERBOSITY terse
\set key '''a secret of at least 32 bytes for HS256!'''

-- Runs a statement; returns "ok", or the SQLSTATE, the table column the
-- error names, and its message.
CREATE FUNCTION try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	tab text;
	col text;
	msg text;
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, tab = TABLE_NAME,
		col = COLUMN_NAME, msg = MESSAGE_TEXT;
	RETURN st || coalesce(' ' || nullif(tab, '') || '.' || nullif(col, ''), '') || ': ' || msg;
END
$$;

-- A family with a used token (a), its live successor (b), and another
-- family's live token (x).
SELECT refresh_token AS a, family_id AS fam FROM jwt_refresh_issue('alice', '1 day') \gset
SELECT refresh_token AS b FROM jwt_refresh_rotate(:'a', :key, grace => '1 hour') \gset
SELECT refresh_token AS x, family_id AS xfam FROM jwt_refresh_issue('xavier', '1 day') \gset
CREATE TEMP TABLE h AS
SELECT 'a' AS name, jwt_refresh_token_hash(:'a') AS hash
UNION ALL SELECT 'b', jwt_refresh_token_hash(:'b')
UNION ALL SELECT 'x', jwt_refresh_token_hash(:'x');

-- Identity never changes.
SELECT try($$UPDATE refresh_tokens SET token_hash = sha256('other') WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET subject = 'mallory' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET family_id = '$$ || :'xfam' || $$' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET generation = 7 WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET parent_hash = NULL, generation = 0 WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET created_at = now() + interval '1 day' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET issued_at = now() + interval '1 day' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
-- Setting a column to its own value is no change.
SELECT try($$UPDATE refresh_tokens SET subject = subject, token_hash = token_hash WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);

-- A used token never becomes unused, and never rotates again: presented
-- again within its grace window, it gets the same successor.
SELECT try($$UPDATE refresh_tokens SET used_at = NULL WHERE token_hash = (SELECT hash FROM h WHERE name = 'a')$$);
SELECT try($$UPDATE refresh_tokens SET used_at = now() + interval '1 hour' WHERE token_hash = (SELECT hash FROM h WHERE name = 'a')$$);
SELECT status, refresh_token = :'b' AS same_successor FROM jwt_refresh_rotate(:'a', :key);
SELECT count(*) AS alice_rows FROM refresh_tokens WHERE subject = 'alice';

-- Expiries only come forward; an expired token never rotates.
SELECT try($$UPDATE refresh_tokens SET expires_at = expires_at + interval '1 day' WHERE token_hash = (SELECT hash FROM h WHERE name = 'x')$$);
SELECT try($$UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = (SELECT hash FROM h WHERE name = 'x')$$);
SELECT try($$UPDATE refresh_tokens SET used_at = now() WHERE token_hash = (SELECT hash FROM h WHERE name = 'x')$$);
SELECT try($$UPDATE refresh_tokens SET expires_at = now() + interval '1 day' WHERE token_hash = (SELECT hash FROM h WHERE name = 'x')$$);
SELECT status FROM jwt_refresh_rotate(:'x', :key);

-- The grace window and its key: only shortened, only wiped.
SELECT try($$UPDATE refresh_tokens SET retry_until = retry_until + interval '1 hour' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET retry_key = sha256('guess') WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET retry_until = now() - interval '1 second', retry_key = NULL WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
-- With its key wiped, a second presentation of "a" is a reuse.  Undo it
-- (and the revocation) with a rollback, to go on with a live family.
BEGIN;
SELECT status FROM jwt_refresh_rotate(:'a', :key);
ROLLBACK;

-- Metadata may change.
SELECT try($$UPDATE refresh_tokens SET client_ip = '192.0.2.9', user_agent = 'ua', metadata = '{"trusted":true}' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);

-- Revoking needs a reason; a revoked token stays revoked and never rotates.
SELECT try($$UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'by hand' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET revoked_at = NULL, revoked_reason = NULL WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET revoked_reason = 'other' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET revoked_at = revoked_at - interval '1 day' WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$UPDATE refresh_tokens SET used_at = now() WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT status FROM jwt_refresh_rotate(:'b', :key);

-- INSERT: shapes.
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at) VALUES ('\x01', gen_random_uuid(), 0, 's', now() + interval '1 day')$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at) VALUES (sha256('t1'), gen_random_uuid(), 1, 's', now() + interval '1 day')$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('t1'), gen_random_uuid(), 0, sha256('p'), 's', now() + interval '1 day')$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, revoked_at) VALUES (sha256('t1'), gen_random_uuid(), 0, 's', now() + interval '1 day', now())$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key) VALUES (sha256('t1'), gen_random_uuid(), 0, 's', now() + interval '1 day', '\x00')$$);

-- INSERT: a successor only follows a used, unrevoked parent of its family.
SELECT refresh_token AS y, family_id AS yfam FROM jwt_refresh_issue('yvonne', '1 day') \gset
-- parent not used: the family would have two live tokens
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('y1'), '$$ || :'yfam' || $$', 1, jwt_refresh_token_hash('$$ || :'y' || $$'), 'yvonne', now() + interval '1 day')$$);
-- wrong subject, wrong generation
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('y1'), '$$ || :'yfam' || $$', 1, jwt_refresh_token_hash('$$ || :'y' || $$'), 'mallory', now() + interval '1 day')$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('y1'), '$$ || :'yfam' || $$', 5, jwt_refresh_token_hash('$$ || :'y' || $$'), 'yvonne', now() + interval '1 day')$$);
-- a second live token in a family, without a parent: the unique index
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('y1'), '$$ || :'yfam' || $$', 9, sha256('nobody'), 'yvonne', now() + interval '1 day')$$);
-- a second successor of a used parent
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('a2'), '$$ || :'fam' || $$', 1, jwt_refresh_token_hash('$$ || :'a' || $$'), 'alice', now() + interval '1 day')$$);
-- a revoked family gets no new token (b is revoked, and stays its unused token)
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('b2'), '$$ || :'fam' || $$', 2, jwt_refresh_token_hash('$$ || :'b' || $$'), 'alice', now() + interval '1 day')$$);
-- by hand, the way a rotation does it, is fine
BEGIN;
SELECT try($$UPDATE refresh_tokens SET used_at = now() WHERE token_hash = jwt_refresh_token_hash('$$ || :'y' || $$')$$);
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at) VALUES (sha256('y1'), '$$ || :'yfam' || $$', 1, jwt_refresh_token_hash('$$ || :'y' || $$'), 'yvonne', now() + interval '1 day')$$);
ROLLBACK;
-- Used and revoked rows may be inserted as they are (pg_dump restores
-- rows in any order).
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, parent_hash, subject, expires_at, used_at) VALUES (sha256('r1'), gen_random_uuid(), 3, sha256('r0'), 's', now() + interval '1 day', now())$$);

-- DELETE: a live token is revoked, not deleted; the rest may go.
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$$ || :'y' || $$')$$);
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = (SELECT hash FROM h WHERE name = 'a')$$);
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = (SELECT hash FROM h WHERE name = 'b')$$);
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = (SELECT hash FROM h WHERE name = 'x')$$);
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = sha256('r1')$$);
SELECT jwt_refresh_revoke(:'y') AS revoked;
SELECT try($$DELETE FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$$ || :'y' || $$')$$);
SELECT count(*) AS rows_left FROM refresh_tokens;

-- The hint of the DELETE rule.
\set VERBOSITY default
SELECT refresh_token AS z FROM jwt_refresh_issue('zed', '1 day') \gset
DELETE FROM refresh_tokens WHERE subject = 'zed';
\set VERBOSITY terse

-- A NULL in a NOT NULL column: refused by the trigger, before
-- PostgreSQL's own check, whose error shows the row ("Failing row contains
-- (...)"), retry_key included; on INSERT and on UPDATE.
\set VERBOSITY default
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key)
VALUES (sha256('nn'), gen_random_uuid(), 0, NULL, now() + interval '1 day', sha256('a retry key never shown'));
SELECT refresh_token AS nn FROM jwt_refresh_issue('not-null', '1 day') \gset
UPDATE refresh_tokens SET expires_at = NULL WHERE subject = 'not-null';
-- Under session_replication_role = replica (logical replication's apply
-- worker, a superuser replaying changes) the trigger still refuses a NULL
-- without the row, and applies no rotation rule: a subject changes.
SET session_replication_role = replica;
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key)
VALUES (sha256('nn'), gen_random_uuid(), 0, NULL, now() + interval '1 day', sha256('a retry key never shown'));
UPDATE refresh_tokens SET retry_key = sha256('a retry key never shown'), expires_at = NULL
WHERE subject = 'not-null';
UPDATE refresh_tokens SET subject = 'not-null-replayed' WHERE subject = 'not-null';
RESET session_replication_role;
SELECT count(*) AS replayed FROM refresh_tokens WHERE subject = 'not-null-replayed';
-- A session's access claims written by hand must be a JSON object (the
-- rotation merges them into every access token it signs).
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, access_claims)
VALUES (sha256('ac1'), gen_random_uuid(), 0, 'claims-by-hand', now() + interval '1 day', '[1, 2]');
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, access_claims)
VALUES (sha256('ac2'), gen_random_uuid(), 0, 'claims-by-hand', now() + interval '1 day', '"role"');
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, access_claims)
VALUES (sha256('ac3'), gen_random_uuid(), 0, 'claims-by-hand', now() + interval '1 day', '{"role": "reader"}');
SELECT count(*) AS by_hand FROM refresh_tokens WHERE subject = 'claims-by-hand';
-- A table whose owner dropped its NOT NULL constraints: the trigger still
-- refuses a NULL in a column the rotation reads, in both modes; a row
-- written with the trigger disabled gets an error from the rotation (it
-- read the NULL as a value and crashed the backend).
BEGIN;
ALTER TABLE refresh_tokens ALTER family_id DROP NOT NULL, ALTER generation DROP NOT NULL,
	ALTER subject DROP NOT NULL, ALTER issued_at DROP NOT NULL,
	ALTER created_at DROP NOT NULL, ALTER expires_at DROP NOT NULL;
SELECT refresh_token AS dn FROM jwt_refresh_issue('dropped-not-null', '1 day') \gset
SAVEPOINT s;
INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key)
VALUES (sha256('dn'), gen_random_uuid(), 0, NULL, now() + interval '1 day', sha256('a retry key never shown'));
ROLLBACK TO s;
UPDATE refresh_tokens SET generation = NULL WHERE subject = 'dropped-not-null';
ROLLBACK TO s;
SET LOCAL session_replication_role = replica;
UPDATE refresh_tokens SET expires_at = NULL WHERE subject = 'dropped-not-null';
ROLLBACK TO s;
ALTER TABLE refresh_tokens DISABLE TRIGGER refresh_tokens_guard;
UPDATE refresh_tokens SET generation = NULL WHERE subject = 'dropped-not-null';
ALTER TABLE refresh_tokens ENABLE ALWAYS TRIGGER refresh_tokens_guard;
SELECT status FROM jwt_refresh_rotate(:'dn', 'a-secret-of-at-least-32-bytes-for-hs256');
ROLLBACK;
-- The other readers of the table, on a row with a NULL where its owner
-- dropped the constraint and disabled the trigger: XX001 without the row
-- (each read the NULL as a value and crashed the backend, whose statement
-- the server then logs, token and key included).
BEGIN;
ALTER TABLE refresh_tokens DISABLE TRIGGER refresh_tokens_guard;
ALTER TABLE refresh_tokens ALTER family_id DROP NOT NULL, ALTER subject DROP NOT NULL;
SELECT access_token AS nt, refresh_token AS nr
  FROM jwt_refresh_login('null-reader', :key, user_agent => 'null-agent') \gset
SAVEPOINT s;
UPDATE refresh_tokens SET family_id = NULL WHERE subject = 'null-reader';
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'nr' || $$')$$);
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'nr' || $$', everywhere => true)$$);
SELECT try($$SELECT jwt_refresh_revoke_subject('null-reader')$$);
SELECT try($$SELECT jwt_refresh_login('null-reader', $$ || quote_literal(:key) || $$, user_agent => 'null-agent')$$);
ROLLBACK TO s;
UPDATE refresh_tokens SET subject = NULL WHERE subject = 'null-reader';
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'nr' || $$')$$);
SET LOCAL jwt.require_session = on;
SELECT try($$SELECT jwt_authenticate('$$ || :'nt' || $$', $$ || quote_literal(:key) || $$)$$);
ROLLBACK;
-- A column whose type its owner changed: refused (42804) by the trigger
-- and by every reader, where each read the values as the old type.
BEGIN;
SELECT access_token AS tt, refresh_token AS tr
  FROM jwt_refresh_login('typed', :key, user_agent => 'typed-agent') \gset
SAVEPOINT s;
ALTER TABLE refresh_tokens ALTER idle_timeout TYPE integer USING NULL;
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at, idle_timeout)
	VALUES (sha256('typed'), gen_random_uuid(), 0, 'typed', now() + interval '1 day', 7)$$);
ROLLBACK TO s;
ALTER TABLE refresh_tokens ALTER family_id TYPE text;
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'tr' || $$')$$);
SELECT try($$SELECT count(*) FROM jwt_refresh_sessions('typed')$$);
SELECT try($$SELECT jwt_refresh_revoke_subject('typed')$$);
SELECT try($$SELECT jwt_refresh_login('typed', $$ || quote_literal(:key) || $$, user_agent => 'typed-agent')$$);
SET LOCAL jwt.require_session = on;
SELECT try($$SELECT jwt_authenticate('$$ || :'tt' || $$', $$ || quote_literal(:key) || $$)$$);
ROLLBACK TO s;
ALTER TABLE refresh_tokens ALTER subject TYPE varchar;
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'tr' || $$')$$);
ROLLBACK TO s;
-- the same calls on the table as created
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'tr' || $$')$$);
ROLLBACK;
\set VERBOSITY terse

DROP FUNCTION try(text);
