--
-- audience as text or text[]: the token must name at least one of them.
-- Every function that takes audience: jwt_verify, jwt_validate,
-- jwt_authenticate, jwt_consume and the registry's.
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
-- Several audiences: any one of them.
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY['web', 'api'])->>'sub' AS one_of_two,
       jwt_verify(:'t_arr', :'k32', audience => ARRAY['api'])->>'sub' AS array_in_token,
       jwt_verify(:'t_arr', :'k32', audience => '{mobile,web}'::text[])->>'sub' AS typed_literal;
SELECT (jwt_validate(:'t_arr', :'k32', audience => ARRAY['mobile', 'admin'])).reason AS none_match,
       (jwt_validate(:'t_none', :'k32', audience => ARRAY['api'])).reason AS token_without_aud,
       (jwt_validate(:'t_arr', :'k32')).reason AS token_aud_unchecked;
SELECT jwt_verify(:'t_arr', :'k32', audience => ARRAY['mobile', 'admin']);
-- Refused: an empty array, NULL elements (first, last, only), two
-- dimensions, another type.
SELECT jwt_verify(:'t_str', :'k32', audience => '{}'::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY[NULL, 'api']);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY['api', NULL]);
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY[NULL]::text[]);
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY[['api'], ['web']]);
SELECT jwt_verify(:'t_str', :'k32', audience => 42);
\echo :LAST_ERROR_SQLSTATE
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY['api']::varchar[]);
-- A NULL array element is refused even when the token would match.
SELECT (jwt_validate(:'t_str', :'k32', audience => ARRAY['api', NULL])).valid;
-- The key forms (text, bytea, jsonb) and jwt_validate take the same.
SELECT (jwt_validate(:'t_str', convert_to(:'k32', 'UTF8'), audience => ARRAY['x', 'api'])).valid AS bytea_key,
       (jwt_validate(:'t_str', '{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}'::jsonb,
                     audience => ARRAY['x', 'api'])).valid AS jsonb_key;

-- jwt_authenticate and jwt_consume.
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => ARRAY['mobile', 'web'])->>'sub' AS authenticated;
ROLLBACK;
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => 'web')->>'sub' AS authenticated_text;
ROLLBACK;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => ARRAY['mobile']);
SELECT jwt_consume(jwt_sign('{"jti":"aud-1","aud":"api"}', :'k32', expires_in => '1 hour'), :'k32',
                   audience => ARRAY['web', 'api'])->>'jti' AS consumed;
SELECT jwt_consume(jwt_sign('{"jti":"aud-2","aud":"api"}', :'k32', expires_in => '1 hour'), :'k32',
                   audience => ARRAY['api', NULL]);

-- The registry's.
SELECT jwt_registry_add(:'k32', 'HS256', 'aud-hs') AS kid;
SELECT jwt_registry_sign('{"sub":"r","aud":"api"}', 'HS256') AS t_reg \gset
SELECT jwt_registry_verify(:'t_reg', audience => ARRAY['web', 'api'])->>'sub' AS registry_verify,
       jwt_registry_verify(:'t_reg', audience => 'api')->>'sub' AS registry_verify_text,
       (jwt_registry_validate(:'t_reg', audience => ARRAY['web'])).reason AS registry_validate;
BEGIN;
SELECT jwt_registry_authenticate(:'t_reg', audience => ARRAY['web', 'api'])->>'sub' AS registry_authenticate;
ROLLBACK;
SELECT jwt_registry_consume(jwt_registry_sign('{"jti":"aud-3","aud":"api"}', 'HS256', expires_in => '1 hour'),
                            audience => ARRAY['api'])->>'jti' AS registry_consumed;
SELECT jwt_registry_verify(:'t_reg', audience => '{}'::text[]);
DELETE FROM jwt_keys;
DELETE FROM jwt_consumed_tokens;

-- Every function with an audience argument takes anycompatible, none is
-- left with text, and the privileges are those of 0.1.1.
SELECT p.proname, count(*) AS n,
       bool_and(pg_get_function_arguments(p.oid) ~ 'audience anycompatible DEFAULT NULL') AS anycompatible,
       bool_and(has_function_privilege('public', p.oid, 'EXECUTE')) AS public_may_execute
  FROM pg_proc p
 WHERE p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'jwt')
   AND pg_get_function_arguments(p.oid) ~ 'audience'
 GROUP BY p.proname ORDER BY p.proname;

-- A look-alike planted in the extension's schema with an exactly typed
-- audience is preferred to the polymorphic one by the calls *you* write
-- by name (README: only trusted roles may CREATE there); the extension's
-- own functions never resolve one by name, so jwt_authenticate and the
-- registry still verify with the extension's code.
CREATE ROLE regress_aud_planter;
GRANT CREATE ON SCHEMA public TO regress_aud_planter;
SET ROLE regress_aud_planter;
CREATE FUNCTION jwt_verify(token text, key text, algorithms text[] DEFAULT NULL, audience text[] DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"planted":true}'::jsonb $$;
RESET ROLE;
SELECT jwt_verify(:'t_str', :'k32', audience => ARRAY['api']) AS resolved_by_name;
BEGIN;
SELECT jwt_authenticate(:'t_arr', :'k32', audience => ARRAY['mobile', 'web'])->>'sub' AS authenticate_unaffected;
ROLLBACK;
SELECT jwt_registry_add(:'k32', 'HS256', 'aud-hs') AS kid;
SELECT jwt_registry_verify(jwt_registry_sign('{"sub":"r","aud":"api"}', 'HS256'), audience => ARRAY['api'])->>'sub' AS registry_unaffected;
DELETE FROM jwt_keys;
DROP FUNCTION jwt_verify(text, text, text[], text[]);
REVOKE CREATE ON SCHEMA public FROM regress_aud_planter;
DROP ROLE regress_aud_planter;
