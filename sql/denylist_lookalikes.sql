--
-- Look-alikes of the extension's functions, planted in its schema by a role
-- that may CREATE there, must not change what the denylist and single-use
-- functions do when a superuser calls them: none may run, and no call may
-- become ambiguous (42725).  Each plant records that it ran.  (A caller's
-- own call of jwt_is_revoked or jwt_consume_jti by name is ambiguous with
-- these plants, as any call by name would be: only the extension's
-- internal calls can be kept from them.)
--
\set VERBOSITY terse
\set key 'a secret for the look-alike tests, 32+'
SELECT n.nspname AS ext FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'jwt' \gset
CREATE TABLE regress_plants_ran (plant text);
GRANT INSERT ON regress_plants_ran TO PUBLIC;
CREATE ROLE regress_planter;
GRANT CREATE ON SCHEMA :"ext" TO regress_planter;

SET SESSION AUTHORIZATION regress_planter;
CREATE FUNCTION :"ext".jwt_stats_bump(event text) RETURNS boolean
LANGUAGE sql AS $$ INSERT INTO public.regress_plants_ran VALUES ('jwt_stats_bump(text)') RETURNING true $$;
CREATE FUNCTION :"ext".jwt_stats_bump(event text, algorithm text, n int DEFAULT 0) RETURNS boolean
LANGUAGE sql AS $$ INSERT INTO public.regress_plants_ran VALUES ('jwt_stats_bump(text, text, int)') RETURNING true $$;
CREATE FUNCTION :"ext".jwt_is_revoked(claims jsonb, n int DEFAULT 0) RETURNS boolean
LANGUAGE sql AS $$ INSERT INTO public.regress_plants_ran VALUES ('jwt_is_revoked(jsonb, int)') RETURNING false $$;
CREATE FUNCTION :"ext".jwt_consume_jti(jti text, expires_at timestamptz, n int DEFAULT 0) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.regress_plants_ran VALUES ('jwt_consume_jti(text, timestamptz, int)') RETURNING 'ok' $$;
CREATE FUNCTION :"ext".jwt_consume_jti(jti text, expires_at text) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.regress_plants_ran VALUES ('jwt_consume_jti(text, text)') RETURNING 'ok' $$;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS plants FROM pg_proc WHERE proowner = 'regress_planter'::regrole;

-- Revoking, by jti and by subject, new and again.
SELECT jwt_revoke('la-1', now() + interval '1 hour', 'planted') AS new_entry,
       jwt_revoke('la-1') AS again;
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_revoke_subject('la-sub', now(), now() + interval '1 hour') AS new_entry,
       jwt_revoke_subject('la-sub') AS again;
SELECT jti, expires_at IS NULL AS kept_until_deleted, reason FROM jwt_revoked_tokens WHERE jti = 'la-1';
SELECT subject FROM jwt_revoked_subjects WHERE subject = 'la-sub';

-- The denylist checks of jwt_authenticate (check_revoked defaults to true).
SELECT jwt_sign('{"sub":"la","jti":"la-1"}', :'key', expires_in => '1 hour') AS revoked_tok,
       jwt_sign('{"sub":"la","jti":"la-2"}', :'key', expires_in => '1 hour') AS good_tok,
       jwt_sign('{"sub":"la-sub","jti":"la-3","iat":1700000000}', :'key', expires_in => '1 hour') AS sub_tok \gset
BEGIN;
SELECT jwt_authenticate(:'good_tok', :'key')->>'jti' AS authenticated;
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'revoked_tok', :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'sub_tok', :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Single-use tokens, with a key and with the registry.
SELECT jwt_sign('{"jti":"la-once"}', :'key', expires_in => '1 hour') AS once \gset
SELECT jwt_consume(:'once', :'key')->>'jti' AS consumed;
SELECT jwt_consume(:'once', :'key');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
SELECT jwt_registry_sign('{"jti":"la-reg"}', expires_in => '10 minutes') AS reg \gset
SELECT jwt_registry_consume(:'reg')->>'jti' AS registry_consumed;
SELECT jwt_registry_consume(:'reg');
\echo :LAST_ERROR_SQLSTATE

-- An owner's trigger on jwt_consumed_tokens runs as the owner (a
-- superuser) whoever consumes, with search_path = pg_catalog, pg_temp: a
-- caller that puts a schema of its own before pg_catalog does not get its
-- now() and || called from the trigger's unqualified names.
CREATE TABLE regress_consume_audit (what text, at timestamptz);
CREATE FUNCTION regress_on_consume() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.regress_consume_audit VALUES ('consumed ' || NEW.jti, now());
	RETURN NEW;
END $$;
CREATE TRIGGER regress_audit AFTER INSERT ON jwt_consumed_tokens
	FOR EACH ROW EXECUTE FUNCTION regress_on_consume();
CREATE ROLE regress_consumer;
CREATE SCHEMA regress_consumer AUTHORIZATION regress_consumer;
GRANT EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text,
	text, text[], interval, interval, boolean, text[]) TO regress_consumer;
SELECT jwt_sign('{"jti":"la-trigger"}', :'key', expires_in => '1 hour') AS trig_tok,
       jwt_registry_sign('{"jti":"la-trigger-reg"}', expires_in => '10 minutes') AS trig_reg \gset
SET SESSION AUTHORIZATION regress_consumer;
CREATE FUNCTION regress_consumer.now() RETURNS timestamptz LANGUAGE sql
AS $$ INSERT INTO public.regress_plants_ran SELECT pg_catalog.concat('now() as ', current_user) RETURNING pg_catalog.now() $$;
CREATE FUNCTION regress_consumer.cat(a text, b text) RETURNS text LANGUAGE sql
AS $$ INSERT INTO public.regress_plants_ran SELECT pg_catalog.concat('text || text as ', current_user)
	RETURNING pg_catalog.textcat(a, b) $$;
CREATE OPERATOR regress_consumer.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_consumer.cat);
SET search_path = regress_consumer, pg_catalog, public;
SELECT jwt_consume(:'trig_tok', :'key')->>'jti' AS consumed_with_plants;
SELECT jwt_registry_consume(:'trig_reg')->>'jti' AS registry_consumed_with_plants;
RESET search_path;
RESET SESSION AUTHORIZATION;
SELECT what FROM regress_consume_audit ORDER BY what;
SELECT plant FROM regress_plants_ran;
DROP TRIGGER regress_audit ON jwt_consumed_tokens;
DROP FUNCTION regress_on_consume();
DROP TABLE regress_consume_audit;
DROP SCHEMA regress_consumer CASCADE;
REVOKE EXECUTE ON FUNCTION jwt_consume(text, text, text[], text, text, text,
	text, text[], interval, interval, boolean, text[]) FROM regress_consumer;
DROP ROLE regress_consumer;

-- Purging.
UPDATE jwt_revoked_tokens SET expires_at = now() - interval '1 day' WHERE jti = 'la-1';
SELECT jwt_purge_expired() AS purged;

-- Nothing planted ran.
SELECT count(*) AS plants_ran FROM regress_plants_ran;

DROP OWNED BY regress_planter;
DROP ROLE regress_planter;
DROP TABLE regress_plants_ran;
DELETE FROM jwt_consumed_tokens;
DELETE FROM jwt_revoked_tokens;
DELETE FROM jwt_revoked_subjects;
DELETE FROM jwt_keys;
