-- scripts/demo.sql: a tour of the jwt extension (run by scripts/demo.sh).
\pset footer off
\set VERBOSITY default

\echo '== 1. A random 64-byte HMAC secret from OpenSSL'
SELECT jwt_generate_secret() AS secret \gset
SELECT octet_length(:'secret'::bytea) AS secret_bytes;

\echo '== 2. Sign claims as an HS256 token that expires in one hour'
SELECT jwt_sign('{"sub": "alice", "role": "reader"}', :'secret'::bytea,
                expires_in => '1 hour') AS token \gset
\echo :token
\echo

\echo '== 3. Decode it (no verification): header and claims'
SELECT header, claims FROM jwt_decode(:'token');

\echo '== 4. Verify it: the claims come back'
SELECT jwt_verify(:'token', :'secret'::bytea) AS claims;

\echo '== 5. Tamper with it: swap in a payload that says "role": "admin"'
SELECT split_part(:'token', '.', 1) || '.' ||
       split_part(jwt_sign('{"sub": "alice", "role": "admin"}',
                           jwt_generate_secret(), expires_in => '1 hour'), '.', 2) || '.' ||
       split_part(:'token', '.', 3) AS forged \gset
SELECT claims FROM jwt_decode(:'forged');
\echo 'jwt_validate reports why the token is rejected, without raising:'
SELECT valid, reason FROM jwt_validate(:'forged', :'secret'::bytea);
\echo 'jwt_verify raises an error:'
\set ON_ERROR_STOP 0
SELECT jwt_verify(:'forged', :'secret'::bytea) AS claims;
\set ON_ERROR_STOP 1
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
\echo

\echo '== 6. An expired token: signed with expires_in => ''-1 minute'''
SELECT jwt_sign('{"sub": "alice"}', :'secret'::bytea,
                expires_in => '-1 minute') AS expired \gset
SELECT valid, reason FROM jwt_validate(:'expired', :'secret'::bytea);
\echo 'jwt_verify raises an error:'
\set ON_ERROR_STOP 0
SELECT jwt_verify(:'expired', :'secret'::bytea) AS claims;
\set ON_ERROR_STOP 1
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE
\echo
