--
-- Look-alikes planted in the extension's schema by a role that may CREATE
-- there are never called by the key registry, and never make its calls
-- ambiguous (42725), whoever runs it.  Each plant records that it ran, and
-- what it was given, in plant_log; it must stay empty.
--
\set VERBOSITY terse
DELETE FROM jwt_keys;

-- keys made before the plants exist (jwt_generate_key('x') becomes
-- ambiguous for this session too once they do)
SELECT jwt_public_jwk(jwt_generate_key('RS256'))::text AS partner_pub,
       jwt_generate_key('EdDSA')::text AS ed_key \gset

CREATE ROLE regress_jwt_plant;
GRANT CREATE, USAGE ON SCHEMA public TO regress_jwt_plant;
SET SESSION AUTHORIZATION regress_jwt_plant;
CREATE TABLE plant_log (fn text, arg text);
GRANT INSERT, SELECT ON plant_log TO PUBLIC;

-- preferred over the extension's functions for untyped literals ...
CREATE FUNCTION jwt_sign(claims text, key text, algorithm text) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_sign(text,text,text)', key) RETURNING 'x' $$;
CREATE FUNCTION jwt_sign(claims text, key jsonb, algorithm text) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_sign(text,jsonb,text)', key::text) RETURNING 'x' $$;
CREATE FUNCTION jwt_validate(token text, key jsonb) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_validate(text,jsonb)', key::text) RETURNING 'x' $$;
-- ... or making calls with exact types ambiguous
CREATE FUNCTION jwt_public_jwk(key text, x int DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_public_jwk(text,int)', key) RETURNING '{}'::jsonb $$;
CREATE FUNCTION jwt_generate_key(algorithm text, x int DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_generate_key(text,int)', algorithm) RETURNING '{}'::jsonb $$;
CREATE FUNCTION jwt_sign(claims jsonb, key text, algorithm text, header jsonb,
	expires_in interval, not_before interval, x int DEFAULT 0) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_sign(jsonb,text,text,jsonb,interval,interval,int)', key) RETURNING 'x' $$;
CREATE FUNCTION jwt_verify(token text, key jsonb, algorithms text[], audience text,
	issuer text, subject text, typ text, require text[], max_age interval,
	leeway interval, at timestamptz, x int DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_verify(...,int)', key::text) RETURNING '{}'::jsonb $$;
CREATE FUNCTION jwt_validate(token text, key jsonb, algorithms text[], audience text,
	issuer text, subject text, typ text, require text[], max_age interval,
	leeway interval, at timestamptz, x int DEFAULT 0) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_validate(...,int)', key::text) RETURNING 'x' $$;
CREATE FUNCTION jwt_registry_keyset(x int DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_registry_keyset(int)', NULL) RETURNING '{"keys":[]}'::jsonb $$;
CREATE FUNCTION jwt_registry_keyset_definer(x int DEFAULT 0) RETURNS jsonb
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_registry_keyset_definer(int)', NULL) RETURNING '{"keys":[]}'::jsonb $$;
CREATE FUNCTION jwt_registry_sign(claims jsonb, algorithm text, header jsonb,
	expires_in interval, not_before interval, x int DEFAULT 0) RETURNS text
LANGUAGE sql AS $$ INSERT INTO public.plant_log VALUES ('jwt_registry_sign(...,int)', NULL) RETURNING 'x' $$;
RESET SESSION AUTHORIZATION;

-- A superuser uses the registry.
SELECT jwt_registry_rotate('ES256') IS NOT NULL AS rotated;
SELECT jwt_registry_rotate('ES256', '1 hour') IS NOT NULL AS rotated_again;
SELECT jwt_registry_add('a secret of the plant test, 32 bytes or more'::text, 'HS256'::text) IS NOT NULL AS hs_added;
SELECT jwt_registry_add(:'ed_key'::text, 'EdDSA'::text, 'ed-1'::text) AS ed_added;
SELECT jwt_registry_add(:'partner_pub'::text, 'RS256'::text, 'partner'::text, 'verify_only'::text) AS partner_added;
SELECT jwt_registry_sign('{"sub":"alice","jti":"plant-1","exp":4102444800}'::jsonb, 'ES256'::text) AS tok \gset
SELECT jwt_registry_verify(:'tok'::text)->>'sub' AS verified;
SELECT (jwt_registry_validate(:'tok'::text)).valid AS validated;
SELECT (jwt_registry_validate(jwt_registry_sign('{}'::jsonb, 'HS256'::text))).valid AS hs_validated;
SELECT jsonb_array_length(jwt_jwks()->'keys') AS published;
BEGIN;
SELECT jwt_registry_authenticate(:'tok'::text)->>'sub' AS authenticated;
COMMIT;
SELECT jwt_registry_consume(:'tok'::text)->>'jti' AS consumed;
SELECT refresh_token AS rt FROM jwt_refresh_issue('alice'::text) \gset
SELECT status, (jwt_registry_validate(access_token)).valid AS access_valid
  FROM jwt_refresh_rotate(:'rt'::text, algorithm => 'ES256'::text);
SELECT jwt_registry_retire('ed-1'::text) AS retired, jwt_registry_retire_due() AS retired_due;

-- None of the plants ran.
SELECT count(*) AS plants_run FROM plant_log;
SELECT DISTINCT fn FROM plant_log ORDER BY fn;

DROP OWNED BY regress_jwt_plant;
REVOKE CREATE, USAGE ON SCHEMA public FROM regress_jwt_plant;
DROP ROLE regress_jwt_plant;
DELETE FROM jwt_keys;
TRUNCATE refresh_tokens;
DELETE FROM jwt_consumed_tokens;
