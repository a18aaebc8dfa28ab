/* jwt--0.1.1--0.1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.2'" to load this file. \quit

-- The denylist and consumed tokens in C
--
-- jwt_is_revoked, jwt_consume_jti, jwt_revoke, jwt_revoke_subject and
-- jwt_purge_expired become C functions (src/denylist.c) with the same
-- signatures: they call none of the extension's functions by name, so a
-- look-alike created in the extension's schema can neither make them fail
-- nor run in their place.  Privileges and comments are kept.
-- jwt_purge_expired now keeps entries jwt.max_leeway past their expiry.
--
CREATE OR REPLACE FUNCTION @extschema@.jwt_consume_jti(jti text, expires_at timestamptz)
RETURNS text
AS 'MODULE_PATHNAME', 'jwt_consume_jti'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_revoke(
	jti text,
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_revoke_subject(
	subject text,
	issued_before timestamptz DEFAULT pg_catalog.now(),
	expires_at timestamptz DEFAULT NULL,
	reason text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_revoke_subject'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_is_revoked(claims jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_is_revoked'
LANGUAGE C STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION @extschema@.jwt_purge_expired()
RETURNS bigint
AS 'MODULE_PATHNAME', 'jwt_purge_expired'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
