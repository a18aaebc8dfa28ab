# test/t/002_stats.pl: counters, reset, key health and the failure log on
# a server with jwt in shared_preload_libraries.
#
# The server runs with log_min_error_statement = debug5 (and without the
# framework's log_statement = all), so that any log line that does not hide
# its statement would show it, and the log is searched for the tokens.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stats');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'jwt'
log_statement = none
log_min_error_statement = debug5
max_worker_processes = 8
max_parallel_workers = 4
});
$node->start;
pass('a server with shared_preload_libraries = jwt started');

sub sql
{
	return $node->safe_psql('postgres', $_[0]);
}

# A script of statements run in one session, errors or not; its output is
# not looked at.
sub script
{
	my ($out, $err);
	$node->psql(
		'postgres', $_[0],
		on_error_stop => 0,
		stdout => \$out,
		stderr => \$err);
	return;
}

# The server log written since byte offset $_[0].
sub log_since
{
	return slurp_file($node->logfile, $_[0]);
}

# script(), then the server log it wrote (shown as notes)
sub script_log
{
	my $offset = -s $node->logfile;
	script($_[0]);
	my $newlog = log_since($offset);
	note "log: $_" for split /\n/, $newlog;
	return $newlog;
}

sub count_in
{
	my ($text, $needle) = @_;
	my $n = () = $text =~ /\Q$needle\E/g;
	return $n;
}

# the counts of several needles, joined by "|"
sub counts_in
{
	my ($text, @needles) = @_;
	return join('|', map { count_in($text, $_) } @needles);
}

sql('CREATE EXTENSION jwt');
my $K = 'k' x 32;    # an HS256 secret
is(sql('SELECT counting FROM jwt_stats_info'),
	't', 'jwt_stats_info says counting is on');

# ---------------------------------------------------------------- counters
my $stats_sql =
  q{SELECT string_agg(kind || ':' || coalesce(algorithm, '-') || ':' || coalesce(outcome, '-') || '=' || count, ' ' ORDER BY kind, algorithm NULLS FIRST, outcome NULLS FIRST) FROM jwt_stats};

my $reset_before = sql('SELECT stats_reset FROM jwt_stats_info');
sql('SELECT jwt_stats_reset()');
is(sql('SELECT count(*) FROM jwt_stats'),
	'0', 'jwt_stats is empty after jwt_stats_reset()');
is(sql("SELECT stats_reset > '$reset_before' FROM jwt_stats_info"),
	't', 'stats_reset moves forward on reset');

sql(      "CREATE TABLE toks AS SELECT i, jwt_sign(jsonb_build_object('sub', 'u' || i), '$K') AS tok "
	  . "FROM generate_series(1, 1000) i");
sql("CREATE TABLE eskey AS SELECT jwt_generate_key('ES256') AS k");
sql("SELECT count(jwt_verify(tok, '$K')) FROM toks");
sql("SELECT count(*) FROM toks WHERE (jwt_validate(tok, '$K')).valid");
sql(      "SELECT jwt_validate(jwt_sign('{\"exp\": 1}', '$K'), '$K') "
	  . "FROM generate_series(1, 3)");
sql("SELECT jwt_validate(tok || 'x', '$K') FROM toks WHERE i <= 2");
sql("SELECT jwt_validate('not-a-token', '$K')");
sql(      "SELECT jwt_verify(jwt_sign('{}', k, 'ES256'), k) "
	  . "FROM eskey, generate_series(1, 5)");
# errors raised by jwt_verify are counted too
sql(      "DO \$\$ BEGIN "
	  . "PERFORM jwt_verify(jwt_sign('{\"aud\": \"a\"}', '$K'), '$K', audience => 'b'); "
	  . "EXCEPTION WHEN invalid_authorization_specification THEN NULL; END \$\$"
);
is(sql($stats_sql),
	'sign:ES256:-=5 sign:HS256:-=1004 verify:-:malformed=1 verify:ES256:valid=5 verify:HS256:audience_mismatch=1 verify:HS256:bad_signature=2 verify:HS256:expired=3 verify:HS256:valid=2000',
	'verify and sign counters by algorithm and outcome');

# events of other features, from SQL
sql('SELECT jwt_stats_reset()');
sql(      "SELECT jwt_stats_bump('refresh_rotation'), jwt_stats_bump('refresh_rotation'), "
	  . "jwt_stats_bump('refresh_reuse'), jwt_stats_bump('revocation'), "
	  . "jwt_stats_bump('consumption', 'ES256')");
is(sql($stats_sql),
	'consumption:ES256:-=1 refresh_reuse:-:-=1 refresh_rotation:-:-=2 revocation:-:-=1',
	'jwt_stats_bump counts each event');

# the claims feature feeds them: revocations made, revoked tokens refused,
# single-use tokens consumed and replayed
sql('SELECT jwt_stats_reset()');
my $once = sql(
	"SELECT jwt_sign('{\"jti\": \"once-1\", \"sub\": \"s\"}', '$K', expires_in => '1 hour')"
);
sql("SELECT jwt_consume('$once', '$K')");
script("SELECT jwt_consume('$once', '$K')");
sql("SELECT jwt_revoke('gone-1'), jwt_revoke_subject('mallory')");
my $gone = sql("SELECT jwt_sign('{\"jti\": \"gone-1\"}', '$K')");
script("SELECT jwt_authenticate('$gone', '$K')");
is( sql(
		q{SELECT string_agg(kind || ':' || coalesce(outcome, '-') || '=' || count, ' ' ORDER BY kind, outcome NULLS FIRST) FROM jwt_stats WHERE kind NOT IN ('verify', 'sign')}
	),
	'consumption:-=1 consumption:consumed=1 revocation:-=2 revocation:revoked=1',
	'jwt_consume, jwt_revoke and jwt_authenticate feed the event counters');

# parallel workers count into the same shared memory
sql('SELECT jwt_stats_reset()');
my $plan = sql(
	    "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
	  . "SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off; "
	  . "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
	  . "SELECT count(*) FROM toks WHERE (jwt_verify(tok, '$K'))->>'sub' IS NOT NULL"
);
my ($launched) = $plan =~ /Workers Launched: (\d+)/;
$launched //= 0;
cmp_ok($launched, '>', 0, "a parallel query launched workers ($launched)");
is(sql("SELECT count FROM jwt_stats WHERE kind = 'verify' AND outcome = 'valid'"),
	'1000', 'verifications in parallel workers are counted');

# concurrent backends: no increment is lost
sql('SELECT jwt_stats_reset()');
my @runs;
for my $b (1 .. 4)
{
	my ($out, $err) = ('', '');
	push @runs,
	  IPC::Run::start(
		[
			'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1',
			'-d', $node->connstr('postgres'),
			'-c', "SELECT count(jwt_verify(tok, '$K')) FROM toks, generate_series(1, 10)"
		],
		'>', \$out, '2>', \$err);
}
my $all_ran = 1;
$_->finish or $all_ran = 0 for @runs;
ok($all_ran, '4 backends verified 10000 tokens each');
is(sql("SELECT count FROM jwt_stats WHERE kind = 'verify' AND outcome = 'valid'"),
	'40000', '4 backends x 10000 verifications: every one counted');

# ---------------------------------------------------------------- kids and key health
sql('SELECT jwt_stats_reset()');
is(sql('SELECT count(*) FROM jwt_key_usage()'),
	'0', 'the kid table is empty after a reset');
sql("SELECT jwt_registry_rotate('ES256', retire_after => '1 hour')");
my $old_tok = sql("SELECT jwt_registry_sign('{\"sub\": \"old\"}', 'ES256')");
my $old_kid = sql("SELECT kid FROM jwt_keys WHERE status = 'active'");
sql("SELECT jwt_registry_rotate('ES256', retire_after => '1 hour')");
my $new_kid = sql("SELECT kid FROM jwt_keys WHERE status = 'active'");
sql("SELECT jwt_registry_verify(jwt_registry_sign('{\"sub\": \"new\"}', 'ES256'))");
is( sql(
		"SELECT status, last_signed IS NOT NULL, last_verified IS NOT NULL, warning IS NULL, note IS NULL "
		  . "FROM jwt_key_health WHERE kid = '$new_kid'"),
	'active|t|t|t|t',
	'the active key was last used for signing and verifying');
is( sql(
		"SELECT status, last_verified IS NULL, warning IS NULL FROM jwt_key_health WHERE kid = '$old_kid'"
	),
	'verify_only|t|t',
	'the verify-only key shows no verification yet and no warning');
sql(
	"UPDATE jwt_keys SET retire_after = now() - interval '1 minute' WHERE kid = '$old_kid'"
);
is(sql("SELECT warning FROM jwt_key_health WHERE kid = '$old_kid'"),
	'past its retire_after but not retired: run jwt_registry_retire_due()',
	'a verify-only key past retire_after is due for retirement');
sql("SELECT jwt_registry_verify('$old_tok')");
is( sql("SELECT warning FROM jwt_key_health WHERE kid = '$old_kid'"),
	'verify-only key still used after its retire_after',
	'a verify-only key used after its retire_after is flagged');
is( sql(
		"SELECT bool_and(last_verified <= now() AND last_verified > now() - interval '1 hour') "
		  . "FROM jwt_key_health WHERE last_verified IS NOT NULL"),
	't',
	"last use is recorded to the statement's start time");
my $long_kid = 'L' x 130;
sql("SELECT jwt_registry_add('$K', 'HS256', kid => '$long_kid')");
sql("SELECT jwt_registry_sign('{}', 'HS256')");
is( sql("SELECT note FROM jwt_key_health WHERE kid = '$long_kid'"),
	'last use not tracked: kid longer than 127 bytes',
	'a kid longer than 127 bytes is noted as not tracked');

# forged tokens never enter the kid table
# (a header naming kid "forged-kid" on the signature of another token)
my $forged_reason = sql(
	"SELECT (jwt_validate(rtrim(translate(encode(convert_to('{\"alg\":\"HS256\",\"kid\":\"forged-kid\"}', "
	  . "'UTF8'), 'base64'), '+/', '-_'), '=') "
	  . "|| '.' || split_part(tok, '.', 2) || '.' || split_part(tok, '.', 3), '$K')).reason "
	  . "FROM toks WHERE i = 1");
is($forged_reason, 'bad_signature',
	'a token with a forged header is a bad signature');
is(sql("SELECT count(*) FROM jwt_key_usage() WHERE kid = 'forged-kid'"),
	'0', 'a kid whose signature did not verify is not recorded');

# only the registry's own signatures count: a token signed and verified
# with the caller's own key, naming a registry kid, is not a use of it
sql('SELECT jwt_stats_reset()');
my $own = 'an own secret of the caller, 32 bytes or more';
sql(      "SELECT jwt_verify(jwt_sign('{}', '$own', header => jsonb_build_object('kid', '$new_kid')), '$own'), "
	  . "jwt_authenticate(jwt_sign('{}', '$own', header => jsonb_build_object('kid', '$new_kid')), '$own', "
	  . "check_revoked => false), "
	  . "jwt_consume(jwt_sign(jsonb_build_object('jti', 'own-1'), '$own', expires_in => '1 hour', "
	  . "header => jsonb_build_object('kid', '$new_kid')), '$own', check_revoked => false)");
is( sql('SELECT count(*) FROM jwt_key_usage()') . '|'
	  . sql("SELECT last_signed IS NULL AND last_verified IS NULL FROM jwt_key_health WHERE kid = '$new_kid'"),
	'0|t',
	"signing and verifying with one's own key under a registry kid is not a use of the kid");
sql("SELECT jwt_registry_verify(jwt_registry_sign('{}', 'ES256'))");
sql("BEGIN; SELECT jwt_registry_authenticate(jwt_registry_sign('{}', 'ES256'), check_revoked => false); COMMIT");
is( sql(
		"SELECT last_signed IS NOT NULL AND last_verified IS NOT NULL FROM jwt_key_health WHERE kid = '$new_kid'"
	),
	't',
	"the registry's signing and verifying are uses of the kid");

# the table is bounded: 1500 registry kids, one of them used all along
sql("SELECT jwt_registry_add('$K-hot-key-of-the-churn-test-for-hs512-0123456789', 'HS512', 'hot')");
sql(      "DO \$\$ BEGIN FOR i IN 1..1500 LOOP "
	  . "PERFORM jwt_registry_add('$K-churn-' || i, 'HS256', 'churn-' || i); "
	  . "PERFORM jwt_registry_sign('{}', 'HS256'); "
	  . "PERFORM jwt_registry_sign('{}', 'HS512'); "
	  . "DELETE FROM jwt_keys WHERE kid = 'churn-' || (i - 1); "
	  . "END LOOP; END \$\$");
is( sql(
		'SELECT kids_tracked <= kids_capacity, kids_evicted > 0 FROM jwt_stats_info'
	),
	't|t',
	'the kid table stays within its capacity and evicts');
is(sql("SELECT count(*) FROM jwt_key_usage() WHERE kid = 'hot'"),
	'1', 'a kid in constant use is never evicted');
is(sql("SELECT count(*) FROM jwt_key_usage() WHERE kid = 'churn-1500'"),
	'1', 'the last kid inserted is tracked');

# the table is kept per database: another database's kids (in LATIN1
# here) are neither shown nor confused with this one's
sql("CREATE DATABASE jwt_stats_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
sub ql
{
	return $node->safe_psql('jwt_stats_latin1', $_[0]);
}
ql('CREATE EXTENSION jwt');
ql("SET client_encoding = UTF8; SELECT jwt_registry_add('$K-latin1', 'HS256', E'caf\\u00e9')");
ql("SELECT jwt_registry_add('$K-latin1-hot-key-of-the-latin1-database-0123456789', 'HS512', 'hot')");
ql("SELECT jwt_registry_verify(jwt_registry_sign('{}', 'HS256')), jwt_registry_sign('{}', 'HS512')");
is(sql("SELECT count(*) FROM jwt_key_usage() WHERE kid LIKE 'caf%'"),
	'0', 'a kid of another database is not shown');
is( ql("SET client_encoding = UTF8; SELECT string_agg(kid, ',' ORDER BY kid) FROM jwt_key_usage()"),
	"caf\xc3\xa9,hot",
	'a database sees its own kids, in its own encoding');
ql('SELECT jwt_stats_reset()');
sql('DROP DATABASE jwt_stats_latin1');

# ---------------------------------------------------------------- the failure log
my $secret = 'a-logging-secret-that-must-never-be-logged-0123456789';
my $tok_exp = sql(
	"SELECT jwt_sign('{\"iss\": \"https://id.example\", \"sub\": \"alice\", \"exp\": 1}', '$secret', "
	  . "header => '{\"kid\": \"log-kid\"}')");
my $tok_forged = sql(
	"SELECT jwt_sign(jsonb_build_object('sub', E'eve\\nLOG:  forged line'), '$secret', "
	  . "header => jsonb_build_object('kid', E'bad\\nkid'))");
my $offset = -s $node->logfile;
script(<<"SQL");
SET jwt.log_failures = log;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SELECT (jwt_validate('$tok_forged', 'another-secret-of-at-least-32-bytes!!')).reason;
SELECT jwt_verify('$tok_exp', '$secret');
SET jwt.log_failures = debug1;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SET jwt.log_failures = off;
SELECT (jwt_validate('$tok_exp', '$secret')).reason;
SQL
# the logging collector is off: the backend has written its lines when the
# statement returns
my $newlog = log_since($offset);
note "log: $_" for split /\n/, $newlog;

is(count_in($newlog, 'LOG:  JSON Web Token rejected'),
	3,
	'jwt.log_failures = log: one line per rejected token at LOG (2 validate + 1 verify)'
);
ok( index($newlog,
		'DETAIL:  alg="HS256" kid="log-kid" iss="https://id.example" sub="alice" signature=valid'
	) >= 0,
	'the line names reason, alg, kid, iss and sub');
ok( index($newlog,
		'alg="HS256" kid="bad\x0akid" iss=- sub="eve\x0aLOG:  forged line" signature=invalid'
	) >= 0,
	"a forged token's values are escaped and marked by signature=invalid");
is(scalar(() = $newlog =~ /^LOG:  forged/mg),
	0, 'no forged log line starts with the injected text');
for my $t ($tok_exp, $tok_forged)
{
	my (undef, $p, $s) = split /\./, $t;
	is(count_in($newlog, $p), 0,
		"the token's payload segment is not in the log");
	is(count_in($newlog, $s), 0,
		"the token's signature segment is not in the log");
}
is(count_in($newlog, $secret), 0, 'the secret is not in the log');
is(count_in($newlog, 'STATEMENT:'),
	0, 'no STATEMENT line, even with log_min_error_statement = debug5');
is(count_in($newlog, 'CONTEXT:'), 0, 'no CONTEXT line');
is(count_in($newlog, 'ERROR:  JSON Web Token has expired'),
	1, 'the ERROR of jwt_verify is logged, without its statement');
is(count_in($newlog, 'DEBUG:'),
	0, 'debug1 lines are not written at log_min_messages = warning');

# inside PL/pgSQL, the context (which may quote a statement) is hidden too
$offset = -s $node->logfile;
script(<<"SQL");
SET jwt.log_failures = log;
DO \$\$ BEGIN PERFORM jwt_validate('$tok_exp', '$secret'); END \$\$;
SQL
$newlog = log_since($offset);
is( counts_in($newlog, 'JSON Web Token rejected', 'CONTEXT:', 'STATEMENT:'),
	'1|0|0',
	'from PL/pgSQL: logged once, with no CONTEXT and no STATEMENT');

# Every error the extension raises keeps its statement (which carries the
# tokens and keys) out of the log, not only the rejections of tokens.
my $mark = 'never-logged-marker';
my $hs_secret = "$mark-hmac-secret-of-more-than-32-bytes";
my $role_tok =
  sql("SELECT jwt_sign('{\"role\": \"no_such_role_for_logging\"}', '$hs_secret')");
my $sub_tok = sql("SELECT jwt_sign('{\"sub\": \"alice\"}', '$hs_secret')");
$offset = -s $node->logfile;
script(<<"SQL");
SELECT jwt_sign('{}', '$mark-too-short-for-hs512', 'HS512');
SELECT jwt_verify('$sub_tok', E'-----BEGIN PRIVATE KEY-----\\n$mark\\n-----END PRIVATE KEY-----\\n');
SELECT jwt_public_jwk('{"kty": "oct", "k": "$mark"}');
SELECT jwt_decode('$mark.$mark');
SELECT jwt_authenticate('$role_tok', '$hs_secret', role_claim => 'role', check_revoked => false);
BEGIN;
SELECT jwt_authenticate('$sub_tok', '$hs_secret', check_revoked => false) IS NOT NULL;
SELECT jwt_authenticate('$sub_tok', '$hs_secret', check_revoked => false);
ROLLBACK;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', status => 'bogus');
BEGIN;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', 'dup-kid') IS NOT NULL;
SELECT jwt_registry_add('$hs_secret-registry', 'HS256', 'dup-kid');
ROLLBACK;
SQL
$newlog = log_since($offset);
note "log: $_" for split /\n/, $newlog;
my ($role_sig) = $role_tok =~ /([^.]*)$/;
my ($sub_sig) = $sub_tok =~ /([^.]*)$/;
is(count_in($newlog, 'ERROR:'),
	8,
	'eight errors of the extension are logged (short secret, bad PEM, JWK, decode, role, twice; the registry\'s RAISE and a duplicate kid)'
);
is( counts_in($newlog, 'STATEMENT:', $mark, $role_sig, $sub_sig),
	'0|0|0|0',
	'none of them with its statement, the secret, the key or the tokens');

# Errors PostgreSQL raises around a call, before it runs or elsewhere in its
# statement, where no function of the extension runs: the statement names
# the extension, so it stays out of the log too.
$offset = -s $node->logfile;
script(<<"SQL");
BEGIN;
SELECT jwt_decode('$mark.$mark');
SELECT jwt_verify('$sub_tok', '$hs_secret');
ROLLBACK;
SELECT jwt_verify('$sub_tok', 42);
SELECT JWT_Verify('$sub_tok', 42);
SELECT jwt_verify('$sub_tok', '$hs_secret') IS NULL OR 1 / 0 = 0;
DO \$\$ BEGIN PERFORM jwt_verify('$sub_tok', 42); END \$\$;
DO \$\$ BEGIN EXECUTE format('SELECT %s(%L, 42)', 'JWT' || '_VERIFY', '$sub_tok'); END \$\$;
SQL
$newlog = log_since($offset);
note "log: $_" for split /\n/, $newlog;
is( counts_in($newlog, 'current transaction is aborted', 'does not exist', 'division by zero'),
	'1|4|1',
	'an aborted transaction, a missing function (named in capitals, from PL/pgSQL, in a dynamic query) and a division by zero are logged');
is( counts_in($newlog, 'STATEMENT:', 'QUERY:', $hs_secret, $sub_sig),
	'0|0|0|0',
	'none of them with its statement, the query PL/pgSQL ran, the secret or the token');

# SQL-level prepared statements: the statement that fails is EXECUTE,
# whose text holds the token and the key but not the function's name; the
# prepared statement it runs names the extension.  Errors raised around
# the call (an aborted transaction, a timeout while the query waits, a
# warning of the same query string), through EXECUTE, EXPLAIN EXECUTE and
# CREATE TABLE AS EXECUTE, with the name quoted or not.  A prepared
# statement that does not name the extension keeps its statement.
$newlog = script_log(<<"SQL");
PREPARE p(text, text) AS SELECT jwt_verify(\$1, \$2);
PREPARE "Quoted ""P"""(text, text) AS SELECT JWT_Verify(\$1, \$2);
PREPARE slow(text, text) AS SELECT jwt_verify(\$1, \$2) FROM pg_sleep(5);
PREPARE other(int) AS SELECT 1 / \$1;
BEGIN;
SELECT 1 / 0;
EXECUTE p('$sub_tok', '$hs_secret');
ROLLBACK;
BEGIN;
SELECT 1 / 0;
execute
  "Quoted ""P""" ('$sub_tok', '$hs_secret');
ROLLBACK;
BEGIN;
SELECT 1 / 0;
EXPLAIN (ANALYZE) EXECUTE p('$sub_tok', '$hs_secret');
ROLLBACK;
BEGIN;
SELECT 1 / 0;
EXECUTE -- a comment
  /* and /* a nested */ one */P('$sub_tok', '$hs_secret');
ROLLBACK;
BEGIN;
SELECT 1 / 0;
CREATE TEMP TABLE from_p AS EXECUTE p('$sub_tok', '$hs_secret');
ROLLBACK;
SET statement_timeout = '100ms';
EXECUTE slow('$sub_tok', '$hs_secret');
RESET statement_timeout;
EXECUTE p('$sub_tok', '$hs_secret') \\; COMMIT;
EXECUTE other(0);
SQL
is( counts_in(
		$newlog, 'current transaction is aborted',
		'statement timeout', 'there is no transaction in progress',
		'STATEMENT:  SELECT 1 / 0;', 'STATEMENT:  EXECUTE other(0);'),
	'5|1|1|5|1',
	'EXECUTE of prepared statements: five aborted transactions, a timeout and a warning are logged, and the statements that name no jwt function'
);
is( counts_in($newlog, 'STATEMENT:', $hs_secret, $sub_sig),
	'6|0|0',
	'none of them with the EXECUTE statement, the secret or the token');

# EXECUTE of a prepared statement this session does not have, with
# arguments: behind a connection pooler the statement was prepared on
# another connection (or was deallocated), the error is PostgreSQL's
# "does not exist", and the arguments may well be a token and a key.  Any
# name will do, quoted, long or not ASCII.  EXECUTE followed by a word and
# no arguments (GRANT EXECUTE ON FUNCTION, EXECUTE FUNCTION in CREATE
# TRIGGER) keeps its statement.
my $long_name = 'n' x 300;
$newlog = script_log(<<"SQL");
EXECUTE missing('$sub_tok', '$hs_secret');
EXECUTE "Missing ""Q"""  ('$sub_tok', '$hs_secret');
EXECUTE $long_name('$sub_tok', '$hs_secret');
EXECUTE /* a comment */ ÉTÉ ('$sub_tok', '$hs_secret');
GRANT EXECUTE ON FUNCTION no_such_function(text) TO PUBLIC;
CREATE TRIGGER t BEFORE INSERT ON no_such_table FOR EACH ROW EXECUTE FUNCTION no_such_function();
SQL
is( counts_in(
		$newlog, 'does not exist',
		'STATEMENT:  GRANT EXECUTE', 'STATEMENT:  CREATE TRIGGER'),
	'6|1|1',
	'EXECUTE of missing prepared statements, GRANT EXECUTE and EXECUTE FUNCTION fail and are logged, the last two with their statement'
);
is( counts_in($newlog, 'STATEMENT:', $hs_secret, $sub_sig),
	'2|0|0',
	'no EXECUTE of a missing prepared statement with its statement, the secret or the token');

# The function's name written as a Unicode-escaped identifier, which does
# not spell jwt_ in the statement's text: a transaction already aborted.
$newlog = script_log(<<"SQL");
BEGIN;
SELECT 1 / 0;
SELECT U&"\\006Awt_verify"('$sub_tok', '$hs_secret');
ROLLBACK;
BEGIN;
SELECT 1 / 0;
SELECT u&"!006A!0077!0074!005Fverify" UESCAPE '!' ('$sub_tok', '$hs_secret');
ROLLBACK;
SQL
is( counts_in($newlog, 'current transaction is aborted', 'STATEMENT:', $hs_secret, $sub_sig),
	'2|2|0|0',
	'a name written U&"\\006Awt_verify": the aborted transactions are logged without the statement, the secret or the token'
);

# A function of the extension that raises while COPY runs it (a CHECK
# constraint): COPY's context line quotes the row, with the token in it.
sql("CREATE TABLE copied_tokens (tok text CHECK (jwt_verify(tok, '$mark-another-secret-of-32-bytes-or-more') IS NOT NULL), n int)"
);
$newlog = script_log("COPY copied_tokens FROM STDIN;\n$sub_tok\t1\n\\.\n");
my (undef, $sub_payload) = split /\./, $sub_tok;
is( counts_in($newlog, 'JSON Web Token signature is invalid', 'CONTEXT:', $sub_payload),
	'1|0|0',
	'a token COPY gave to the extension: the error is logged without the context that quotes the row'
);

# The same from PL/pgSQL: a dynamic query calls a function of the
# caller's (SQL, then PL/pgSQL) that calls jwt_verify; the context line
# quotes the dynamic query, which names the wrapper and holds the token.
sql("CREATE FUNCTION wrap_sql(t text, k text) RETURNS jsonb LANGUAGE sql AS 'SELECT jwt_verify(t, k)'");
sql("CREATE FUNCTION wrap_plpgsql(t text, k text) RETURNS jsonb LANGUAGE plpgsql AS 'BEGIN RETURN jwt_verify(t, k); END'");
$newlog = script_log(<<"SQL");
DO \$\$ BEGIN EXECUTE format('SELECT wrap_sql(%L, %L)', '$sub_tok', '$mark-another-secret-of-32-bytes-or-more'); END \$\$;
DO \$\$ BEGIN EXECUTE format('SELECT wrap_plpgsql(%L, %L)', '$sub_tok', '$mark-another-secret-of-32-bytes-or-more'); END \$\$;
SQL
is( counts_in($newlog, 'JSON Web Token signature is invalid', 'CONTEXT:', $sub_payload, $mark),
	'2|0|0|0',
	'a token a dynamic query gave to a wrapper of jwt_verify: logged without the context that quotes the query'
);

# jwt_keys written by hand, a row breaking one of the table's rules:
# PostgreSQL's own CHECK error would log the row ("Failing row contains"),
# signing key included, and the statement, which quotes the key typed.
sql("INSERT INTO jwt_keys (kid, algorithm, signing_key, verification_key, status) VALUES ('by-hand', 'ES256', '$mark-stored-signing-key', '{}', 'verify_only')"
);
$newlog = script_log(<<"SQL");
UPDATE jwt_keys SET status = 'retired' WHERE kid = 'by-hand';
UPDATE jwt_keys SET status = 'active', signing_key = NULL WHERE kid = 'by-hand';
UPDATE jwt_keys SET status = 'retired', signing_key = '$mark-typed-signing-key' WHERE kid = 'by-hand';
SQL
is( counts_in(
		$newlog, 'ERROR:', 'Key "by-hand" of table "jwt_keys"',
		'Failing row', "$mark-stored", "$mark-typed"),
	'3|3|0|0|0',
	'jwt_keys rows that break its rules: logged naming the kid, without the keys stored or typed'
);
sql("DELETE FROM jwt_keys WHERE kid = 'by-hand'");

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC|TRAP:/,
	'the server log shows no crash');

done_testing();
