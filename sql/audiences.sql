--
-- audience (one text) or audiences (text[], the last parameter): the token
-- must name the one, or at least one of the others.  Every function that
-- takes them: jwt_verify, jwt_validate, jwt_authenticate, jwt_consume and
-- the registry's.
--
\set VERBOSITY default
\set k32 '0123456789abcdef0123456789abcdef'
SELECT jwt_sign('{"sub":"a","aud":"api"}', :'k32') AS t_str,
       jwt_sign('{"sub":"a","aud":["web","api"]}', :'k32') AS t_arr,
       jwt_sign('{"sub":"a"}', :'k32') AS t_none \gset

-- Existing calls resolve as before: an untyped literal, a text value, a
-- varchar, NULL, positional and named.
SELECT jwt_verify(:'t_str', :'k32', audience => 'api')->>'sub' AS untyped_literal,
       jwt_verify(:'t_str', :'k32', audience => 'api'::text)->>'sub' AS text_value,
       jwt_verify(:'t_str', :'k32', audience => 'api'::varchar)->>'sub' AS varchar_value,
       jwt_verify(:'t_str', :'k32', NULL, 'api')->>'sub' AS positional,
       jwt_verify(:'t_none', :'k32', audience => NULL)->>'sub' AS null_audience,
       jwt_verify(:'t_none', :'k32')->>'sub' AS no_audience;
SELECT (jwt_validate(:'t_str', :'k32', audience => 'web')).reason AS other_audience;
-- audience is text, as in 0.1.1: an array there matches no function.
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY['web', 'api']);
\echo :LAST_ERROR_SQLSTATE
-- Several audiences: any one of them.
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY['web', 'api'])->>'sub' AS one_of_two,
       jwt_verify(:'t_arr', :'k32', audiences => ARRAY['api'])->>'sub' AS array_in_token,
       jwt_verify(:'t_arr', :'k32', audiences => '{mobile,web}'::text[])->>'sub' AS typed_literal,
       jwt_verify(:'t_arr', :'k32', audiences => '{mobile,web}')->>'sub' AS untyped_literal,
       jwt_verify(:'t_arr', :'k32', audiences => ARRAY['web']::varchar[])->>'sub' AS varchar_array,
       jwt_verify(:'t_str', :'k32', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL,
                  ARRAY['web', 'api'])->>'sub' AS positional;
SELECT (jwt_validate(:'t_arr', :'k32', audiences => ARRAY['mobile', 'admin'])).reason AS none_match,
       (jwt_validate(:'t_none', :'k32', audiences => ARRAY['api'])).reason AS token_without_aud,
       (jwt_validate(:'t_arr', :'k32')).reason AS token_aud_unchecked,
       (jwt_validate(:'t_none', :'k32', audiences => NULL)).valid AS null_audiences;
SELECT jwt_verify(:'t_arr', :'k32', audiences => ARRAY['mobile', 'admin']);
-- Refused (22023): both audience and audiences (even when both would
-- match), an empty array, NULL elements (first, last, only), two
-- dimensions.
SELECT jwt_verify(:'t_str', :'k32', audience => 'api', audiences => ARRAY['api']);
\echo :LAST_ERROR_SQLSTATE
SELECT (jwt_validate(:'t_str', :'k32', audience => 'api', audiences => ARRAY['web'])).valid;
SELECT jwt_verify(:'t_str', :'k32', audiences => '{}'::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY[NULL, 'api']);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY['api', NULL]);
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY[NULL]::text[]);
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY[['api'], ['web']]);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY[42]);
\echo :LAST_ERROR_SQLSTATE
-- A NULL array element is refused even when the token would match.
SELECT (jwt_validate(:'t_str', :'k32', audiences => ARRAY['api', NULL])).valid;
-- The key forms (text, bytea, jsonb) and jwt_validate take the same.
SELECT (jwt_validate(:'t_str', convert_to(:'k32', 'UTF8'), audiences => ARRAY['x', 'api'])).valid AS bytea_key,
       (jwt_validate(:'t_str', '{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}'::jsonb,
                     audiences => ARRAY['x', 'api'])).valid AS jsonb_key,
       jwt_verify(:'t_str', convert_to(:'k32', 'UTF8'), audience => 'api', audiences => NULL)->>'sub' AS audience_and_null_audiences;

-- jwt_authenticate and jwt_consume.
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audiences => ARRAY['mobile', 'web'])->>'sub' AS authenticated;
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => 'web')->>'sub' AS authenticated_text;
ROLLBACK;
SELECT jwt_authenticate(:'t_arr', :'k32', audiences => ARRAY['mobile']);
SELECT jwt_authenticate(:'t_arr', :'k32', audience => 'web', audiences => ARRAY['web']);
SELECT jwt_consume(jwt_sign('{"jti":"aud-1","aud":"api"}', :'k32', expires_in => '1 hour'), :'k32',
                   audiences => ARRAY['web', 'api'])->>'jti' AS consumed;
SELECT jwt_consume(jwt_sign('{"jti":"aud-2","aud":"api"}', :'k32', expires_in => '1 hour'), :'k32',
                   audiences => ARRAY['api', NULL]);
-- A refused call consumed nothing.
SELECT count(*) AS consumed_rows FROM jwt_consumed_tokens WHERE jti = 'aud-2';

-- The registry's.
SELECT jwt_registry_add(:'k32', 'HS256', 'aud-hs') AS kid;
SELECT jwt_registry_sign('{"sub":"r","aud":"api"}', 'HS256') AS t_reg \gset
SELECT jwt_registry_verify(:'t_reg', audiences => ARRAY['web', 'api'])->>'sub' AS registry_verify,
       jwt_registry_verify(:'t_reg', audience => 'api')->>'sub' AS registry_verify_text,
       (jwt_registry_validate(:'t_reg', audiences => ARRAY['web'])).reason AS registry_validate;
BEGIN;
SELECT jwt_registry_authenticate(:'t_reg', audiences => ARRAY['web', 'api'])->>'sub' AS registry_authenticate;
ROLLBACK;
SELECT jwt_registry_consume(jwt_registry_sign('{"jti":"aud-3","aud":"api"}', 'HS256', expires_in => '1 hour'),
                            audiences => ARRAY['api'])->>'jti' AS registry_consumed;
SELECT jwt_registry_verify(:'t_reg', audiences => '{}'::text[]);
SELECT jwt_registry_verify(:'t_reg', audience => 'api', audiences => ARRAY['api']);
DELETE FROM jwt_keys;
DELETE FROM jwt_consumed_tokens;

-- Every function with an audience argument takes audience text at its
-- place of 0.1.1 and audiences text[] last, no argument is polymorphic,
-- and the privileges are those of 0.1.1.
SELECT p.proname, count(*) AS n,
       bool_and(pg_get_function_arguments(p.oid) ~ 'algorithms text\[\] DEFAULT NULL::text\[\], audience text DEFAULT NULL::text, issuer text') AS audience_text,
       bool_and(p.proargtypes[p.pronargs - 1] = 'text[]'::regtype AND p.proargnames[p.pronargs] = 'audiences'
                AND pg_get_function_arguments(p.oid) ~ 'audiences text\[\] DEFAULT NULL::text\[\]') AS audiences_last,
       bool_and(NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) t
                             JOIN pg_type ty ON ty.oid = t WHERE ty.typtype = 'p')) AS exact_types,
       bool_and(has_function_privilege('public', p.oid, 'EXECUTE')) AS public_may_execute
  FROM pg_proc p
 WHERE p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'jwt')
   AND pg_get_function_arguments(p.oid) ~ 'audience'
 GROUP BY p.proname ORDER BY p.proname;

-- Look-alikes planted in the extension's schema by a role that may CREATE
-- there.  One with the exact signature of a function of the extension
-- cannot be created: it collides with it (42723).  One with the signature
-- of 0.1.1 (no audiences) can be, but never runs in place of the
-- extension's: a call that leaves audiences out matches both and is
-- ambiguous (42725, the README tells who may CREATE there), a call with
-- audiences matches only the extension's.  (Over a polymorphic audience,
-- the exactly typed look-alike would have been preferred, and run.)
CREATE ROLE regress_aud_planter;
GRANT CREATE ON SCHEMA public TO regress_aud_planter;
CREATE TABLE aud_hits (who text);
GRANT INSERT ON aud_hits TO regress_aud_planter;
SET ROLE regress_aud_planter;
CREATE FUNCTION jwt_verify(token text, key text, algorithms text[] DEFAULT NULL, audience text DEFAULT NULL,
                           issuer text DEFAULT NULL, subject text DEFAULT NULL, typ text DEFAULT NULL,
                           require text[] DEFAULT NULL, max_age interval DEFAULT NULL,
                           leeway interval DEFAULT '0', at timestamptz DEFAULT NULL,
                           audiences text[] DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$ INSERT INTO aud_hits VALUES ('exact') RETURNING '{"planted":true}'::jsonb $$;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION jwt_authenticate(token text, key text, algorithms text[] DEFAULT NULL, audience text DEFAULT NULL,
                                 issuer text DEFAULT NULL, subject text DEFAULT NULL, typ text DEFAULT NULL,
                                 require text[] DEFAULT NULL, max_age interval DEFAULT NULL,
                                 leeway interval DEFAULT '0', role_claim text DEFAULT NULL,
                                 check_revoked boolean DEFAULT true, audiences text[] DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$ INSERT INTO aud_hits VALUES ('exact') RETURNING '{"planted":true}'::jsonb $$;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION jwt_verify(token text, key text, algorithms text[] DEFAULT NULL, audience text DEFAULT NULL,
                           issuer text DEFAULT NULL, subject text DEFAULT NULL, typ text DEFAULT NULL,
                           require text[] DEFAULT NULL, max_age interval DEFAULT NULL,
                           leeway interval DEFAULT '0', at timestamptz DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$ INSERT INTO aud_hits VALUES ('0.1.1') RETURNING '{"planted":true}'::jsonb $$;
CREATE FUNCTION jwt_authenticate(token text, key text, algorithms text[] DEFAULT NULL, audience text DEFAULT NULL,
                                 issuer text DEFAULT NULL, subject text DEFAULT NULL, typ text DEFAULT NULL,
                                 require text[] DEFAULT NULL, max_age interval DEFAULT NULL,
                                 leeway interval DEFAULT '0', role_claim text DEFAULT NULL,
                                 check_revoked boolean DEFAULT true)
RETURNS jsonb LANGUAGE sql AS $$ INSERT INTO aud_hits VALUES ('0.1.1') RETURNING '{"planted":true}'::jsonb $$;
RESET ROLE;
SELECT jwt_verify(:'t_str', :'k32', audience => 'api');
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str'::text, :'k32'::text, NULL::text[], 'api'::text, NULL::text, NULL::text, NULL::text,
                  NULL::text[], NULL::interval, '0'::interval, NULL::timestamptz);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => 'web');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT jwt_verify(:'t_str', :'k32', audiences => ARRAY['api']) ? 'planted' AS planted_ran;
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audiences => ARRAY['mobile', 'web'])->>'sub' AS authenticate_unaffected;
ROLLBACK;
SELECT count(*) AS look_alike_calls FROM aud_hits;
DROP FUNCTION jwt_verify(text, text, text[], text, text, text, text, text[], interval, interval, timestamptz);
DROP FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean);
DROP TABLE aud_hits;
REVOKE CREATE ON SCHEMA public FROM regress_aud_planter;
DROP ROLE regress_aud_planter;
