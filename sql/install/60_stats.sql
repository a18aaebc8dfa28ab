-- sql/install/60_stats.sql: counters and key health
-- One part of the install script jwt--<version>.sql (built by the Makefile).
-- Tests: sql/stats.sql

--
-- Operability: counters, key health and the failure log (issue 7).
--
-- Counting needs "jwt" in shared_preload_libraries (shared memory, like
-- pg_stat_statements).  Without it the views say so instead of failing:
-- jwt_stats has one row of kind 'counting_off', jwt_stats_info says
-- counting = false, and jwt_key_health notes that last use is not
-- tracked.  The functions are VOLATILE (the counters move under them) and
-- PARALLEL SAFE (shared memory is the same in a worker).  Reading is for
-- pg_monitor, as with pg_buffercache (granted in 99_privileges.sql);
-- resetting and bumping are for the owner, who may grant them.
--
CREATE FUNCTION @extschema@.jwt_stats(
	OUT kind text,
	OUT algorithm text,
	OUT outcome text,
	OUT count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'jwt_stats'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_stats_info(
	OUT counting boolean,
	OUT stats_reset timestamptz,
	OUT kids_tracked integer,
	OUT kids_capacity integer,
	OUT kids_evicted bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'jwt_stats_info'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'jwt_stats_reset'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- For the other features' SQL and PL/pgSQL: count one event.  Not STRICT:
-- algorithm defaults to NULL; a NULL event yields NULL.
CREATE FUNCTION @extschema@.jwt_stats_bump(
	event text,
	algorithm text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'jwt_stats_bump'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION @extschema@.jwt_key_usage(
	OUT kid text,
	OUT last_signed timestamptz,
	OUT last_verified timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'jwt_key_usage'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE VIEW @extschema@.jwt_stats AS
	SELECT * FROM @extschema@.jwt_stats();

CREATE VIEW @extschema@.jwt_stats_info AS
	SELECT * FROM @extschema@.jwt_stats_info();

--
-- Per registry key: status, age, last use, and what needs attention.
-- Reads jwt_keys with the view owner's rights, but shows no key material.
--
CREATE VIEW @extschema@.jwt_key_health AS
	SELECT k.kid, k.algorithm, k.status, k.created_at,
		   date_trunc('second', pg_catalog.now() - k.created_at) AS age,
		   k.retire_after, k.retired_at, u.last_signed, u.last_verified,
		   CASE
			 WHEN k.status = 'verify_only' AND u.last_verified >= k.retire_after
			   THEN 'verify-only key still used after its retire_after'
			 WHEN k.status = 'verify_only' AND k.retire_after <= pg_catalog.now()
			   THEN 'past its retire_after but not retired: run jwt_registry_retire_due()'
		   END AS warning,
		   CASE
			 WHEN NOT i.counting
			   THEN 'last use not tracked: jwt is not in shared_preload_libraries'
			 WHEN pg_catalog.octet_length(k.kid) > 127
			   THEN 'last use not tracked: kid longer than 127 bytes'
		   END AS note
	  FROM @extschema@.jwt_keys k
	 CROSS JOIN @extschema@.jwt_stats_info() i
	  LEFT JOIN @extschema@.jwt_key_usage() u ON u.kid = k.kid;

REVOKE ALL ON FUNCTION @extschema@.jwt_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_info() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_stats_bump(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.jwt_key_usage() FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_stats FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_stats_info FROM PUBLIC;
REVOKE ALL ON @extschema@.jwt_key_health FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.jwt_stats()
	IS 'counters of verifications, signings and token events (needs shared_preload_libraries)';
COMMENT ON FUNCTION @extschema@.jwt_stats_info()
	IS 'whether counting is on, when the counters were reset, and the kid table';
COMMENT ON FUNCTION @extschema@.jwt_stats_reset()
	IS 'zero the jwt counters and forget the last use of every kid';
COMMENT ON FUNCTION @extschema@.jwt_stats_bump(text, text)
	IS 'count one refresh_rotation, refresh_reuse, revocation or consumption event';
COMMENT ON FUNCTION @extschema@.jwt_key_usage()
	IS 'last time each kid signed and passed a signature check, since the last reset';
COMMENT ON VIEW @extschema@.jwt_stats
	IS 'counters of verifications by algorithm and outcome, signings and token events';
COMMENT ON VIEW @extschema@.jwt_stats_info
	IS 'state of the jwt counters';
COMMENT ON VIEW @extschema@.jwt_key_health
	IS 'registry keys with their age, last use and warnings';
