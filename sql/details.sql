--
-- Wording of errors: singular and plural, NULL arguments, "b64" without
-- "crit", whole seconds in time details, and a second jwt_authenticate in
-- a transaction whose first one switched to a role that may not call it.
--
\set VERBOSITY default
\set k32 '0123456789abcdef0123456789abcdef'

-- One segment is "1 segment"; two are "2 segments".
SELECT jwt_verify('abc', :'k32');
SELECT jwt_verify('abc.def', :'k32');

-- "b64" alone is refused for what it is (RFC 7797), "crit" for itself.
SELECT jwt_sign('{}', :'k32', header => '{"b64":false}');
SELECT jwt_sign('{}', :'k32', header => '{"crit":["exp"]}');
\echo :LAST_ERROR_SQLSTATE

-- The evaluation time in a detail is whole seconds, as exp is shown.
SELECT jwt_verify(jwt_sign('{"exp":1000}', :'k32'), :'k32', at => 'epoch'::timestamptz + interval '2000.75 seconds');
SELECT jwt_verify(jwt_sign('{"nbf":5000}', :'k32'), :'k32', at => 'epoch'::timestamptz + interval '2000.25 seconds');
SELECT jwt_verify(jwt_sign('{"exp":1000.5}', :'k32'), :'k32', at => 'epoch'::timestamptz + interval '2000.5 seconds');

-- NULL lifetimes: "must not be NULL", not "must be positive"; 22023 as
-- every other NULL or out-of-range lifetime of the refresh functions.
SELECT * FROM jwt_refresh_issue('alice', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_issue('alice', '0');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_rotate('x', access_expires_in => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_login('alice', access_expires_in => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM jwt_refresh_login('alice', refresh_expires_in => NULL);
\echo :LAST_ERROR_SQLSTATE

-- A second jwt_authenticate in a transaction: 55000 whatever role the
-- first call switched to, also one without EXECUTE on jwt_authenticate
-- (the executor refuses that call before the function runs; the error is
-- made the one jwt_authenticate raises, and its statement, which holds
-- the token, stays out of the server log: test/security checks the log).
CREATE ROLE regress_details_reader;
CREATE ROLE regress_details_api;
GRANT regress_details_reader TO regress_details_api;
GRANT EXECUTE ON FUNCTION jwt_authenticate(text, text, text[], text, text, text, text, text[], interval, interval, text, boolean, text[])
	TO regress_details_api;
SELECT jwt_sign('{"sub":"d","role":"regress_details_reader"}', :'k32') AS tok \gset
SET SESSION AUTHORIZATION regress_details_api;
-- without a role switch
BEGIN;
SELECT jwt_authenticate(:'tok', :'k32')->>'sub' AS sub;
SELECT jwt_authenticate(:'tok', :'k32');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- after a switch to a role without EXECUTE on it
BEGIN;
SELECT jwt_authenticate(:'tok', :'k32', role_claim => 'role')->>'sub' AS sub, current_user;
SELECT jwt_authenticate(:'tok', :'k32');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- that role calling it in a transaction of its own is refused as usual
BEGIN;
SET LOCAL ROLE regress_details_reader;
SELECT jwt_authenticate(:'tok', :'k32');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
DROP OWNED BY regress_details_api;
DROP ROLE regress_details_api, regress_details_reader;
