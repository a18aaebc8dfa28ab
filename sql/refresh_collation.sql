--
-- Refresh tokens: subject and user_agent are compared by value (a
-- subject's sessions, its revocation, a known device).  A nondeterministic
-- collation their owner gave them would let "CI-OWNER" find, revoke and
-- resume the sessions of "ci-owner": refused (0A000) by the table's
-- trigger and by every query that compares them, the trigger disabled
-- too.  Nondeterministic collations need ICU; a server built without it
-- skips the test (refresh_collation_1.out).
--
\set VERBOSITY terse
\set key '''a secret of at least 32 bytes for HS256!'''
DO $$
BEGIN
	CREATE COLLATION regress_jwt_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXCEPTION WHEN feature_not_supported THEN
	NULL;						-- "ICU is not supported in this build"
END
$$;
SELECT count(*) > 0 AS has_icu FROM pg_collation WHERE collname = 'regress_jwt_ci' \gset
\if :has_icu
CREATE FUNCTION try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
BEGIN;
SELECT refresh_token AS cr FROM jwt_refresh_login('ci-owner', :key, user_agent => 'ci-agent') \gset
SAVEPOINT s;
ALTER TABLE refresh_tokens ALTER subject TYPE text COLLATE regress_jwt_ci;
SELECT try($$SELECT jwt_refresh_revoke_subject('CI-OWNER')$$) AS revoke_subject,
       try($$SELECT count(*) FROM jwt_refresh_sessions('CI-OWNER')$$) AS sessions;
SELECT try($$SELECT jwt_refresh_login('CI-OWNER', $$ || quote_literal(:key) || $$, user_agent => 'ci-agent')$$) AS login;
SELECT try($$SELECT jwt_refresh_revoke('$$ || :'cr' || $$', everywhere => true)$$) AS revoke_everywhere;
SELECT try($$INSERT INTO refresh_tokens (token_hash, family_id, generation, subject, expires_at)
	VALUES (sha256('ci'), gen_random_uuid(), 0, 'ci', now() + interval '1 day')$$) AS insert_row;
-- the trigger disabled by the owner: the queries still refuse
ALTER TABLE refresh_tokens DISABLE TRIGGER refresh_tokens_guard;
SELECT try($$SELECT jwt_refresh_revoke_subject('CI-OWNER')$$) AS revoke_subject,
       try($$SELECT count(*) FROM jwt_refresh_sessions('CI-OWNER')$$) AS sessions,
       try($$SELECT jwt_refresh_login('CI-OWNER', $$ || quote_literal(:key) || $$, user_agent => 'ci-agent')$$) AS login;
ROLLBACK TO s;
-- the same on user_agent (the known device of a login)
ALTER TABLE refresh_tokens ALTER user_agent TYPE text COLLATE regress_jwt_ci;
SELECT try($$SELECT jwt_refresh_login('ci-owner', $$ || quote_literal(:key) || $$, user_agent => 'CI-AGENT')$$) AS login;
ROLLBACK TO s;
-- a deterministic collation other than the default one is fine
ALTER TABLE refresh_tokens ALTER subject TYPE text COLLATE "C";
SELECT jwt_refresh_revoke_subject('CI-OWNER') AS other_case_revoked,
       jwt_refresh_revoke_subject('ci-owner') AS revoked;
ROLLBACK;
DROP COLLATION regress_jwt_ci;
DROP FUNCTION try(text);
\else
SELECT 'skipped: no ICU' AS refresh_collation;
\endif
