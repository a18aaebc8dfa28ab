--
-- Claims in queries: jwt_authenticate, jwt_claims() and jwt_claim(), how
-- long claims last (transaction, subtransaction), the two claims sources,
-- forgery attempts, and the role switch.
--
\set VERBOSITY terse
\set key 'a secret for the claims tests, 32+ bytes'
SELECT set_config('regress.key', :'key', false) IS NOT NULL AS key_for_do_blocks;
SELECT jwt_sign('{"sub":"alice","role":"regress_claims_reader","jti":"c-1","n":1.50,"ok":true,"nested":{"a":[1,"x"]},"nul":null}',
                :'key', expires_in => '1 hour') AS tok \gset

-- Nothing established: NULL.
SELECT jwt_claims() IS NULL AS no_claims, jwt_claim('sub') IS NULL AS no_sub;

-- Established for the transaction; jwt_claim shows a claim as ->> does.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key')->>'sub' AS authenticated;
SELECT jwt_claim('sub') AS sub, jwt_claim('n') AS n, jwt_claim('ok') AS ok,
       jwt_claim('nested') AS nested, jwt_claim('nul') IS NULL AS nul_is_null,
       jwt_claim('missing') IS NULL AS missing_is_null, jwt_claim(NULL) IS NULL AS null_name;
SELECT jwt_claims() - 'exp' - 'iat' AS claims;
SELECT jwt_claims() = (jwt_decode(:'tok')).claims AS same_as_token;
-- A name that changes from row to row.
SELECT k, jwt_claim(k) FROM unnest(ARRAY['sub', 'jti', 'nope', 'sub']) WITH ORDINALITY AS u(k, i) ORDER BY i;
-- NULL names among them (STRICT: NULL, and the site keeps its answer).
SELECT k, jwt_claim(k) FROM unnest(ARRAY[NULL, 'sub', NULL, 'sub', 'jti', NULL]) WITH ORDINALITY AS u(k, i) ORDER BY i;
-- Once per transaction.
SELECT jwt_authenticate(:'tok', :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Cleared at abort, at commit, and when the transaction failed.
SELECT jwt_claims() IS NULL AS cleared_by_rollback;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
COMMIT;
SELECT jwt_claims() IS NULL AS cleared_by_commit;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SELECT 1 / 0;
ROLLBACK;
SELECT jwt_claims() IS NULL AS cleared_after_error;
-- Outside a transaction block the claims last for the statement only.
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS autocommit;
SELECT jwt_claims() IS NULL AS gone_after_statement;

-- Subtransactions: claims vanish with the savepoint that established them,
-- and move to the parent when it is released.
BEGIN;
SAVEPOINT s1;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS in_s1;
ROLLBACK TO SAVEPOINT s1;
SELECT jwt_claims() IS NULL AS gone_with_s1;
SAVEPOINT s2;
SAVEPOINT s3;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS in_s3;
RELEASE SAVEPOINT s3;
SAVEPOINT s4;
ROLLBACK TO SAVEPOINT s4;
RELEASE SAVEPOINT s2;
SELECT jwt_claim('sub') AS kept_after_release;
COMMIT;
-- PL/pgSQL exception blocks are subtransactions too; values cached by a
-- call site follow every change.
DO $$
DECLARE
	key text := current_setting('regress.key');
	seen text := '';
	i int;
BEGIN
	FOR i IN 1 .. 3 LOOP
		BEGIN
			PERFORM jwt_authenticate(jwt_sign(jsonb_build_object('sub', 'u' || i), key), key);
			seen := seen || jwt_claim('sub') || ' ';
			RAISE EXCEPTION 'undo';
		EXCEPTION WHEN raise_exception THEN
			seen := seen || coalesce(jwt_claim('sub'), '-') || ' ';
		END;
	END LOOP;
	RAISE NOTICE 'seen: %', seen;
END
$$;

-- Forgery in authenticate mode: set_config() and SET reach nothing.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"mallory","role":"admin"}', true) IS NOT NULL AS forged;
SET LOCAL request.jwt.claims = '{"sub":"mallory"}';
SELECT jwt_claims() IS NULL AS still_none, jwt_claim('sub') IS NULL AS no_sub;
SELECT jwt_authenticate(:'tok', :'key')->>'sub' AS sub;
SELECT set_config('request.jwt.claims', '{"sub":"mallory"}', true) IS NOT NULL AS forged_again;
SELECT jwt_claim('sub') AS still_alice;
ROLLBACK;

-- Bad tokens establish nothing.
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"x"}', :'key', expires_in => '-1 minute'), :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok', 'another secret of at least 32 bytes!!');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(NULL, :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok', NULL::text);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_claims() IS NULL AS nothing_established;
-- The verification options are jwt_verify's.
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"x","aud":"api"}', :'key'), :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"x","aud":"api"}', :'key'), :'key', audience => 'api',
                        issuer => NULL, algorithms => '{HS256}')->>'sub' AS with_audience;
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"x"}', :'key', expires_in => '-10 seconds'), :'key',
                        leeway => '1 minute')->>'sub' AS within_leeway;
ROLLBACK;

-- Other key forms, and the registry.
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"b"}', :'key'::bytea), :'key'::bytea)->>'sub' AS bytea_key;
ROLLBACK;
SELECT jwt_generate_key('ES256') AS es \gset
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"j"}', :'es'::jsonb, 'ES256'), jwt_public_jwk(:'es'::jsonb))->>'sub' AS jwk_key;
ROLLBACK;
BEGIN;
SELECT jwt_registry_authenticate(:'tok');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_registry_rotate('EdDSA') IS NOT NULL AS rotated;
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
SELECT jwt_registry_retire(jwt_registry_rotate('ES256')) AS retired_one;
-- authentication reads the same keys as jwt_registry_verify
SELECT jwt_registry_keyset_definer() = jwt_registry_keyset() AS same_keys,
       jsonb_array_length(jwt_registry_keyset_definer()->'keys') AS keys;
BEGIN;
SELECT jwt_registry_authenticate(jwt_registry_sign('{"sub":"r"}', expires_in => '5 minutes'))->>'sub' AS registry;
SELECT jwt_claim('sub') AS sub;
ROLLBACK;
BEGIN;
SELECT jwt_registry_authenticate(:'tok');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
DELETE FROM jwt_keys;

-- The role switch: SET LOCAL ROLE to the role a claim names, where the
-- session user may become it.
CREATE ROLE regress_claims_reader;
CREATE ROLE regress_claims_other;
CREATE ROLE regress_claims_super SUPERUSER;
CREATE ROLE regress_claims_api NOINHERIT;
GRANT regress_claims_reader, regress_claims_super TO regress_claims_api;
GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	TO regress_claims_api;
SELECT jwt_sign('{"sub":"o","role":"regress_claims_other"}', :'key') AS tok_other,
       jwt_sign('{"sub":"n","role":"regress_claims_nobody"}', :'key') AS tok_nobody,
       jwt_sign('{"sub":"s","role":"regress_claims_super"}', :'key') AS tok_super,
       jwt_sign('{"sub":"m"}', :'key') AS tok_norole,
       jwt_sign('{"sub":"m","role":7}', :'key') AS tok_numrole \gset
SET SESSION AUTHORIZATION regress_claims_api;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key', role_claim => 'role')->>'sub' AS sub;
SELECT current_user, session_user;
COMMIT;
SELECT current_user AS after_commit;
BEGIN;
SAVEPOINT s;
SELECT jwt_authenticate(:'tok', :'key', role_claim => 'role') IS NOT NULL AS authenticated;
ROLLBACK TO SAVEPOINT s;
SELECT current_user AS after_rollback_to, jwt_claims() IS NULL AS no_claims;
COMMIT;
\set VERBOSITY default
BEGIN;
SELECT jwt_authenticate(:'tok_other', :'key', role_claim => 'role');
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok_nobody', :'key', role_claim => 'role');
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok_super', :'key', role_claim => 'role');
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok_norole', :'key', role_claim => 'role');
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'tok_numrole', :'key', role_claim => 'role');
ROLLBACK;
\set VERBOSITY terse
SELECT current_user AS still_api, jwt_claims() IS NULL AS no_claims;
-- Without role_claim the role stays.
BEGIN;
SELECT jwt_authenticate(:'tok_other', :'key')->>'sub' AS sub, current_user;
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- Even a superuser session, a member of every role, is never switched to a
-- predefined role (pg_execute_server_program would allow COPY ... PROGRAM),
-- to a role with BYPASSRLS, REPLICATION or CREATEROLE, or to one that has
-- the privileges of a role reaching the server's files or programs.
CREATE ROLE regress_claims_bypass BYPASSRLS;
CREATE ROLE regress_claims_repl REPLICATION;
CREATE ROLE regress_claims_creator CREATEROLE;
CREATE ROLE regress_claims_files;
GRANT pg_read_server_files TO regress_claims_files;
\set VERBOSITY default
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"pg_execute_server_program"}', :'key'), :'key', role_claim => 'role');
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"pg_write_server_files"}', :'key'), :'key', role_claim => 'role');
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"regress_claims_bypass"}', :'key'), :'key', role_claim => 'role');
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"regress_claims_repl"}', :'key'), :'key', role_claim => 'role');
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"regress_claims_creator"}', :'key'), :'key', role_claim => 'role');
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"regress_claims_files"}', :'key'), :'key', role_claim => 'role');
\set VERBOSITY terse
SELECT current_user = session_user AS role_unchanged, jwt_claims() IS NULL AS no_claims;
-- An ordinary role still works from a superuser session.
BEGIN;
SELECT jwt_authenticate(jwt_sign('{"sub":"r","role":"regress_claims_reader"}', :'key'), :'key', role_claim => 'role')->>'sub' AS sub,
       current_user;
ROLLBACK;
-- A session that is not a member of the role learns only that, nothing of
-- the role's attributes.
SET SESSION AUTHORIZATION regress_claims_api;
\set VERBOSITY default
SELECT jwt_authenticate(jwt_sign('{"sub":"s","role":"regress_claims_bypass"}', :'key'), :'key', role_claim => 'role');
\set VERBOSITY terse
RESET SESSION AUTHORIZATION;
DROP ROLE regress_claims_bypass, regress_claims_repl, regress_claims_creator, regress_claims_files;

-- A client can neither authenticate (EXECUTE is not granted) nor choose
-- the claims source.
CREATE ROLE regress_claims_client;
SET SESSION AUTHORIZATION regress_claims_client;
SELECT jwt_authenticate(:'tok', :'key');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_registry_authenticate(:'tok');
\echo :LAST_ERROR_SQLSTATE
SET jwt.claims_source = 'request.jwt.claims';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('jwt.claims_source', 'request.jwt.claims', false);
\echo :LAST_ERROR_SQLSTATE
SHOW jwt.claims_source;
-- but reads claims
SELECT jwt_claims() IS NULL AS reads_nothing;
RESET SESSION AUTHORIZATION;

-- Request mode (PostgREST): jwt_claims() reads request.jwt.claims.
SET jwt.claims_source = 'request.jwt.claims';
SELECT jwt_claims() IS NULL AS unset;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"bob","role":"web"}', true) IS NOT NULL AS set;
SELECT jwt_claims(), jwt_claim('sub') AS sub;
SELECT set_config('request.jwt.claims', '{"sub":"carol"}', true) IS NOT NULL AS changed;
SELECT jwt_claim('sub') AS sub;
COMMIT;
SELECT jwt_claims() IS NULL AS reverted_at_commit;
-- Changes inside one PL/pgSQL block are followed too.
DO $$
DECLARE
	seen text := '';
	i int;
BEGIN
	FOR i IN 1 .. 3 LOOP
		PERFORM set_config('request.jwt.claims', format('{"sub":"p%s"}', i), true);
		seen := seen || jwt_claim('sub') || ' ';
	END LOOP;
	RAISE NOTICE 'seen: %', seen;
END
$$;
SELECT set_config('request.jwt.claims', 'null', false) IS NOT NULL AS json_null, jwt_claims() IS NULL AS no_claims;
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS empty, jwt_claims() IS NULL AS no_claims;
SELECT set_config('request.jwt.claims', '[1, 2]', false) IS NOT NULL AS array;
SELECT jwt_claims();
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('request.jwt.claims', '{"sub":', false) IS NOT NULL AS broken;
SELECT jwt_claims();
\echo :LAST_ERROR_SQLSTATE
RESET request.jwt.claims;
-- jwt_authenticate has no place in this mode.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Switching the source back: the claims set by PostgREST are ignored.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"bob"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS request_mode;
SET LOCAL jwt.claims_source = 'authenticate';
SELECT jwt_claim('sub') IS NULL AS authenticate_mode;
COMMIT;
RESET jwt.claims_source;

-- Each call site keeps its answer while the claims stay the same: every
-- change is seen, even between two rows of one statement.
-- Established by a volatile call between rows:
BEGIN;
SELECT i, CASE WHEN i = 2 THEN jwt_authenticate(:'tok', :'key') IS NOT NULL END AS authenticated,
       jwt_claim('sub') AS sub, jwt_claims()->>'jti' AS jti
  FROM generate_series(1, 3) i;
ROLLBACK;
-- What the call sites of one PL/pgSQL function see over n rounds, each a
-- subtransaction: the second runs the statement "change" (with $1 = args)
-- first, and is rolled back.
CREATE FUNCTION regress_claims_rounds(n int, change text, args text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	seen text := '';
BEGIN
	FOR i IN 1 .. n LOOP
		BEGIN
			IF i = 2 THEN
				EXECUTE change USING args;
			END IF;
			seen := seen || coalesce(jwt_claim('sub'), '-') || coalesce(jwt_claims()->>'jti', '-') || ' ';
			IF i = 2 THEN
				RAISE EXCEPTION 'undo';
			END IF;
		EXCEPTION WHEN raise_exception THEN
			seen := seen || 'undone ';
		END;
	END LOOP;
	RETURN seen;
END
$$;
-- Undone by the rollback of the subtransaction that established them, and
-- by the end of the transaction, at a site that already answered.
CREATE FUNCTION regress_claims_sites(tok text, key text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	seen text;
BEGIN
	seen := regress_claims_rounds(3, 'SELECT jwt_authenticate($1[1], $1[2])', ARRAY[tok, key]);
	PERFORM jwt_authenticate(tok, key);
	RETURN seen || coalesce(jwt_claim('sub'), '-') || coalesce(jwt_claims()->>'jti', '-');
END
$$;
SELECT regress_claims_sites(:'tok', :'key') AS seen;
-- A name that is a PL/pgSQL variable: one call site, several names.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
DO $$
DECLARE
	seen text := '';
	k text;
BEGIN
	FOREACH k IN ARRAY ARRAY['sub', 'sub', 'jti', 'nope', 'sub', 'n'] LOOP
		seen := seen || coalesce(jwt_claim(k), '-') || ' ';
	END LOOP;
	RAISE NOTICE 'seen: %', seen;
END
$$;
ROLLBACK;
SELECT jwt_claim('sub') IS NULL AS gone_after_statement;
CREATE PROCEDURE regress_claims_txns(tok text, key text)
LANGUAGE plpgsql AS $$
DECLARE
	seen text := '';
BEGIN
	FOR i IN 1 .. 3 LOOP
		IF i <> 2 THEN
			PERFORM jwt_authenticate(tok, key);
		END IF;
		seen := seen || coalesce(jwt_claim('sub'), '-') || ' ';
		COMMIT;
	END LOOP;
	RAISE NOTICE 'seen: %', seen;
END
$$;
CALL regress_claims_txns(:'tok', :'key');
-- A role switch changes nothing: the claims belong to the transaction.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
SELECT i, CASE i WHEN 2 THEN set_config('role', 'regress_claims_reader', true)
                 WHEN 3 THEN set_config('role', 'none', true) END AS role,
       current_user AS usr, jwt_claim('sub') AS sub
  FROM generate_series(1, 3) i;
ROLLBACK;
-- Request mode: set_config between rows, values of the same length (a
-- freed string's address may come back with another value), NULL and
-- back, and the rollback to a savepoint.
SET jwt.claims_source = 'request.jwt.claims';
BEGIN;
SELECT i, set_config('request.jwt.claims', CASE WHEN i IN (3, 4) THEN '' ELSE format('{"sub":"u%s"}', i % 3) END, true) AS claims,
       jwt_claim('sub') AS sub, jwt_claims()->>'sub' AS sub_of_claims
  FROM generate_series(1, 6) i;
SELECT set_config('request.jwt.claims', '{"sub":"before"}', true) IS NOT NULL AS set;
SAVEPOINT s;
SELECT i, CASE WHEN i = 2 THEN set_config('request.jwt.claims', '{"sub":"inside"}', true) END AS claims,
       jwt_claim('sub') AS sub
  FROM generate_series(1, 2) i;
ROLLBACK TO SAVEPOINT s;
SELECT jwt_claim('sub') AS after_rollback;
COMMIT;
-- The same in one PL/pgSQL function, whose call sites outlive a statement.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"v1"}', true) IS NOT NULL AS set;
SELECT regress_claims_rounds(4, 'SELECT set_config(''request.jwt.claims'', $1[1], true)', ARRAY['{"sub":"v2"}']) AS seen;
COMMIT;
-- Claims that change on every row of a query: each call site keeps at
-- most 64 answers, so memory stays flat (before, a copy of the claims per
-- row: 9 MB more after 1000 rows of 10 kB claims).
CREATE FUNCTION pg_temp.regress_mem_now() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	RETURN (SELECT sum(used_bytes) FROM pg_backend_memory_contexts);
END $$;
BEGIN;
SELECT bool_and(CASE WHEN i % 250 = 0 THEN c IS NULL AND sub IS NULL
                     ELSE sub = i::text AND c->>'sub' = i::text END) AS right_values,
       max(mem) FILTER (WHERE i = 1000) - max(mem) FILTER (WHERE i = 100) < 1000000 AS flat
  FROM (SELECT i, set_config('request.jwt.claims',
                             CASE WHEN i % 250 = 0 THEN ''
                             ELSE format('{"sub":"%s","pad":"%s"}', i, repeat('x', 10000)) END,
                             true) AS s,
               jwt_claims() AS c, jwt_claim('sub') AS sub, pg_temp.regress_mem_now() AS mem
          FROM generate_series(1, 1000) i OFFSET 0) q;
COMMIT;
-- A change of source is a change of claims.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"bob"}', true) IS NOT NULL AS set;
SELECT i, CASE WHEN i = 2 THEN set_config('jwt.claims_source', 'authenticate', true) END AS source,
       jwt_claim('sub') AS sub
  FROM generate_series(1, 2) i;
COMMIT;
RESET jwt.claims_source;
-- Once request.jwt.claims exists in a session, jwt_claim() watches every
-- change of it; what the setting shows stays as before.  In a new backend:
-- a setting that does not exist still shows NULL after a call, and the
-- first call that finds it comes with values stacked by SET LOCAL in a
-- transaction and a savepoint, undone afterwards.
\c
SET jwt.claims_source = 'request.jwt.claims';
SELECT jwt_claim('sub') IS NULL AS no_claims, current_setting('request.jwt.claims', true) IS NULL AS setting_absent;
BEGIN;
SET LOCAL request.jwt.claims = '{"sub":"outer"}';
SAVEPOINT s;
SET LOCAL request.jwt.claims = '{"sub":"inner"}';
SELECT jwt_claim('sub') AS inner, current_setting('request.jwt.claims') AS setting;
SELECT count(*) AS listed FROM pg_settings WHERE name = 'request.jwt.claims';
ROLLBACK TO SAVEPOINT s;
SELECT jwt_claim('sub') AS outer, current_setting('request.jwt.claims') AS setting;
SELECT i, set_config('request.jwt.claims', format('{"sub":"r%s"}', i % 2), true) AS claims,
       jwt_claim('sub') AS sub
  FROM generate_series(1, 3) i;
COMMIT;
SELECT jwt_claim('sub') IS NULL AS no_claims_after_commit,
       current_setting('request.jwt.claims', true) AS setting_after_commit;
CREATE FUNCTION regress_claims_set() RETURNS text LANGUAGE sql
SET request.jwt.claims = '{"sub":"in_function"}' AS $$ SELECT jwt_claim('sub') $$;
SELECT regress_claims_set() AS in_function, jwt_claim('sub') IS NULL AS none_after;
DROP FUNCTION regress_claims_set();
SELECT set_config('request.jwt.claims', '{"sub":"session"}', false) IS NOT NULL AS set;
RESET ALL;
SET jwt.claims_source = 'request.jwt.claims';
SELECT jwt_claim('sub') IS NULL AS none_after_reset_all;
-- Watched, the setting still refuses what PostgreSQL refuses for a setting
-- no library defined: a role that is neither superuser nor granted SET on
-- it stores no value in a role's settings or in a function's SET clause,
-- where it would outlive the session.
SELECT set_config('request.jwt.claims', '{"sub":"session"}', false) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS watched;
ALTER ROLE regress_claims_other SET request.jwt.claims = '{"sub":"by_superuser"}';
SET ROLE regress_claims_other;
ALTER ROLE CURRENT_USER SET request.jwt.claims = '{"sub":"planted"}';
CREATE FUNCTION pg_temp.regress_claims_planted() RETURNS text LANGUAGE sql
SET request.jwt.claims = '{"sub":"planted"}' AS $$ SELECT 'planted' $$;
SELECT set_config('request.jwt.claims', '{"sub":"own"}', false) IS NOT NULL AS own_session;
RESET ROLE;
SELECT jwt_claim('sub') AS own_session_claim;
SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'regress_claims_other'::regrole;
GRANT SET ON PARAMETER request.jwt.claims TO regress_claims_other;
SET ROLE regress_claims_other;
ALTER ROLE CURRENT_USER SET request.jwt.claims = '{"sub":"granted"}';
RESET ROLE;
SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'regress_claims_other'::regrole;
ALTER ROLE regress_claims_other RESET ALL;
REVOKE SET ON PARAMETER request.jwt.claims FROM regress_claims_other;
RESET request.jwt.claims;
-- The first call that finds the setting carries over a value that RESET
-- gave it in an open transaction, above the session's SET: the session's
-- value does not come back, in the transaction nor after it; in a
-- function, that is within one statement; under a savepoint rolled back.
\c
SET jwt.claims_source = 'request.jwt.claims';
SET request.jwt.claims = '{"sub":"before_reset"}';
BEGIN;
RESET request.jwt.claims;
SELECT jwt_claim('sub') IS NULL AS no_claims, current_setting('request.jwt.claims') AS setting;
COMMIT;
SELECT jwt_claim('sub') IS NULL AS no_claims_after_commit, current_setting('request.jwt.claims') AS setting;
SET request.jwt.claims = '{"sub":"later"}';
SELECT jwt_claim('sub') AS later;
\c
SET jwt.claims_source = 'request.jwt.claims';
SET request.jwt.claims = '{"sub":"before_reset"}';
CREATE FUNCTION pg_temp.regress_claims_reset() RETURNS text LANGUAGE plpgsql AS
$$ BEGIN RESET request.jwt.claims; RETURN coalesce(jwt_claim('sub'), 'none'); END $$;
SELECT pg_temp.regress_claims_reset() AS in_function, jwt_claim('sub') IS NULL AS none_after;
\c
SET jwt.claims_source = 'request.jwt.claims';
SET request.jwt.claims = '{"sub":"before_reset"}';
BEGIN;
RESET request.jwt.claims;
SAVEPOINT s;
SET LOCAL request.jwt.claims = '{"sub":"local"}';
SELECT jwt_claim('sub') AS local;
ROLLBACK TO SAVEPOINT s;
SELECT jwt_claim('sub') IS NULL AS no_claims_after_rollback_to;
COMMIT;
SELECT jwt_claim('sub') IS NULL AS no_claims_after_commit;
RESET jwt.claims_source;
-- The last text parsed and its claims are kept across transactions, up to
-- 8 kB of text ("jwt request claims"): the same text in a later
-- transaction gives the same claims, another text (another client's
-- request, another role) its own, a text that does not parse leaves the
-- kept one as it was, and a text over 8 kB is not kept past its
-- transaction.
\c
SET jwt.claims_source = 'request.jwt.claims';
CREATE FUNCTION pg_temp.regress_req_used() RETURNS bigint LANGUAGE sql AS
$$ SELECT coalesce(sum(used_bytes), 0) FROM pg_backend_memory_contexts WHERE name = 'jwt request claims' $$;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"kept","role":"web"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS first;
COMMIT;
SELECT jwt_claims() IS NULL AS none_between, pg_temp.regress_req_used() AS used_kept \gset
SELECT :'none_between' AS none_between;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"kept","role":"web"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS same_text, jwt_claim('role') AS role, jwt_claims() AS claims;
COMMIT;
SET ROLE regress_claims_other;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"kept2","role":"web"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS another_text, jwt_claims() AS claims;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"kept","role":"web"', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS broken;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"kept2","role":"web"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS after_broken;
ROLLBACK;
RESET ROLE;
SELECT jwt_claims() IS NULL AS none_after_rollback;
BEGIN;
SELECT set_config('request.jwt.claims', format('{"sub":"big","pad":"%s"}', repeat('x', 9000)), true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS big, pg_temp.regress_req_used() > 9000 AS big_in_memory;
COMMIT;
SELECT pg_temp.regress_req_used() AS used_empty \gset
SELECT :used_kept > :used_empty AS small_kept_past_commit, :used_empty < 1000 AS big_freed_at_commit;
-- 8192 bytes exactly are kept, 8193 are not.
BEGIN;
SELECT set_config('request.jwt.claims', format('{"sub":"b","pad":"%s"}', repeat('x', 8172)), true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS at_limit, octet_length(current_setting('request.jwt.claims')) AS bytes;
COMMIT;
SELECT pg_temp.regress_req_used() > 16000 AS kept_at_8192;
BEGIN;
SELECT set_config('request.jwt.claims', format('{"sub":"b","pad":"%s"}', repeat('x', 8173)), true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS over_limit, octet_length(current_setting('request.jwt.claims')) AS bytes;
COMMIT;
SELECT pg_temp.regress_req_used() < 1000 AS freed_at_8193;
-- A text that fails to parse, its error caught in the transaction: the
-- claims of the text in force again are those of that text.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"alice"}', true) IS NOT NULL AS set;
SELECT jwt_claim('sub') AS alice;
DO $$
BEGIN
	PERFORM set_config('request.jwt.claims', '{"sub":"bob"', true);
	PERFORM jwt_claim('sub');
EXCEPTION WHEN invalid_text_representation THEN
	RAISE NOTICE 'caught: %', SQLSTATE;
END
$$;
SELECT jwt_claim('sub') AS alice_after_caught_error;
COMMIT;
SET request.jwt.claims = '{"sub":"session"}';
SELECT jwt_claim('sub') AS session_value;
BEGIN;
SELECT jwt_claim('sub') AS session_value_in_transaction;
SET LOCAL request.jwt.claims = '{"sub":"local"}';
SELECT jwt_claim('sub') AS local_value;
COMMIT;
SELECT jwt_claim('sub') AS session_value_again;
RESET request.jwt.claims;
SELECT jwt_claims() IS NULL AS none_after_reset;
RESET jwt.claims_source;
DROP FUNCTION regress_claims_sites(text, text);
DROP FUNCTION regress_claims_rounds(int, text, text[]);
DROP PROCEDURE regress_claims_txns(text, text);

-- A client's SET before the library is loaded in its backend does not
-- survive the load: the setting is superuser-only.
ALTER ROLE regress_claims_client LOGIN;
SELECT current_user AS superuser_name \gset
\c - regress_claims_client
DO $$
BEGIN
	SET jwt.claims_source = 'request.jwt.claims';  -- a placeholder, or refused
EXCEPTION WHEN insufficient_privilege THEN
	NULL;
END
$$;
SET client_min_messages = error;
SELECT jwt_claims() IS NULL AS no_claims;
SHOW jwt.claims_source;
\c - :superuser_name
\set VERBOSITY terse

-- Parallel workers do not see the leader's claims: a function marked
-- PARALLEL SAFE by mistake fails instead of returning NULL.
CREATE FUNCTION regress_claims_sub() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$ BEGIN RETURN jwt_claim('sub'); END $$;
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
-- Whatever the server's settings, allow a worker.
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL max_parallel_workers = 8;
-- debug_parallel_query, named force_parallel_mode before PostgreSQL 16
SELECT set_config(name, 'on', true) AS forced FROM pg_settings
WHERE name IN ('debug_parallel_query', 'force_parallel_mode');
SET LOCAL parallel_setup_cost = 0;
SELECT regress_claims_sub();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- jwt_claim itself is PARALLEL RESTRICTED, so a plan keeps it in the leader.
BEGIN;
SELECT jwt_authenticate(:'tok', :'key') IS NOT NULL AS authenticated;
-- Whatever the server's settings, allow a worker.
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL max_parallel_workers = 8;
-- debug_parallel_query, named force_parallel_mode before PostgreSQL 16
SELECT set_config(name, 'on', true) AS forced FROM pg_settings
WHERE name IN ('debug_parallel_query', 'force_parallel_mode');
SELECT jwt_claim('sub') AS in_leader;
ROLLBACK;
DROP FUNCTION regress_claims_sub();

REVOKE EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	FROM regress_claims_api;
DROP ROLE regress_claims_reader, regress_claims_other, regress_claims_super,
	regress_claims_api, regress_claims_client;
