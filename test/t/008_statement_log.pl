
# test/t/008_statement_log.pl: statement logging and auto_explain keep the
# keys and tokens of statements that name the extension out of the log.
#
# A server with jwt (and auto_explain) in shared_preload_libraries, which
# logs every statement (log_statement = all), every duration
# (log_min_duration_statement = 0) with the bind parameters in full
# (log_parameter_max_length = -1, the default), every plan with its Output
# lines (auto_explain, log_verbose, nested statements included) and every
# plan tree (debug_print_plan).  A key written into a statement, a key and
# a token bound as parameters (pgbench, extended protocol), and the private
# key jwt_registry_rotate generates (which only its nested INSERT holds)
# must not be in the log, nor a key in a statement that log_min_messages
# at debug2 shows when it is parsed, nor one in the statement of a backend
# that died (the postmaster's report quotes it); the log must still say
# that each statement ran, and must still show statements that do not
# name the extension.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('statement_log');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'auto_explain,jwt'
log_statement = 'all'
log_min_duration_statement = 0
log_parameter_max_length = -1
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
auto_explain.log_verbose = on
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION jwt');

my $literal = 'LITERALSECRETMARKER0123456789abcdef';
my $bound_key = 'BOUNDSECRETMARKER0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL';
my $plain = 'PLAINSTATEMENTMARKER';
my $offset = -s $node->logfile;

# a key written into the statement, in a simple query
$node->safe_psql('postgres',
	"SELECT jwt_registry_add('$literal', 'HS256', kid => 'lit', status => 'verify_only')");

# a key and a token bound as parameters (extended protocol), the token's
# statement also with debug_print_plan
my $token = $node->safe_psql('postgres', "SELECT jwt_sign('{\"sub\":\"y\"}', '$bound_key'::text)");
my $script = $node->basedir . '/bound.sql';
append_to_file($script,
	"SELECT jwt_registry_add(:k, 'HS384', kid => 'bound', status => 'verify_only');\n"
	  . "SELECT jwt_sign('{\"sub\":\"x\"}', :k);\n"
	  . "SET debug_print_plan = on;\n"
	  . "SELECT jwt_verify(:t, :k, algorithms => '{HS256}');\n");
$node->command_ok(
	[ 'pgbench', '-n', '-M', 'extended', '-t', '1', '-D', "k=$bound_key", '-D', "t=$token",
		'-f', $script, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'pgbench ran the bound statements');

# log_min_messages at debug2 logs the text of each Parse
my $parse_key = 'PARSESECRETMARKER0123456789abcdefghij';
my $parse_script = $node->basedir . '/parse.sql';
append_to_file($parse_script, "SELECT jwt_sign('{}', '$parse_key');\n");
{
	local $ENV{PGOPTIONS} = '-c log_min_messages=debug2';
	$node->command_ok(
		[ 'pgbench', '-n', '-M', 'extended', '-t', '1', '-f', $parse_script,
			'-h', $node->host, '-p', $node->port, 'postgres' ],
		'pgbench ran a statement with log_min_messages at debug2');
}

# A psql in the background, reading $in, writing to $out
sub background_psql
{
	my ($in, $out, $extra) = @_;
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres') . ($extra // '') ],
		'<', $in, '>', $out, '2>', $out,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}

# Run a statement that sleeps in a backend, kill the backend with signal
# 9 while it sleeps, and wait for the server to restart
sub crash_statement
{
	my ($sql) = @_;
	my ($in, $out) = ("$sql;\n", '');
	my $h = background_psql(\$in, \$out, ' application_name=crash');
	$h->pump while length $in;
	my $running = "SELECT pid FROM pg_stat_activity WHERE application_name = 'crash' AND wait_event = 'PgSleep'";
	$node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($running) s")
	  or die 'the statement to crash did not start';
	kill 'KILL', $node->safe_psql('postgres', $running);
	eval { $h->finish; };
	$node->poll_query_until('postgres', 'SELECT true') or die 'the server did not restart';
}

# the postmaster's report of a backend that died running such a statement
my $crash_key = 'CRASHSECRETMARKER0123456789abcdefghij';
crash_statement("SELECT jwt_sign('{}', '$crash_key'), pg_sleep(600)");

# a private key that only the registry's nested INSERT holds
$node->safe_psql('postgres', "SELECT jwt_registry_rotate('ES256')");
my $d = $node->safe_psql('postgres',
	"SELECT signing_key::jsonb->>'d' FROM jwt_keys WHERE algorithm = 'ES256'");
ok(length($d) >= 40, 'the rotated key has a private part');

# request mode: a claims text that is not JSON, whose offending token
# jsonb_in quotes in its detail; the client gets the detail, the log not
my $claims_marker = 'CLAIMSSECRETMARKER0123456789abcdef';
my ($claims_ret, $claims_out, $claims_err) = $node->psql('postgres',
	"SET jwt.claims_source = 'request.jwt.claims'; "
	  . "SELECT set_config('request.jwt.claims', '{\"sub\": $claims_marker}', false), jwt_claim('sub')");
isnt($claims_ret, 0, 'a claims text that is not JSON is an error');
like($claims_err, qr/\Q$claims_marker\E/, 'the client gets jsonb_in\'s detail');

# a statement that does not name the extension is logged as before
# jsonb's input error quotes the rest of a malformed JWK in its detail
my ($jwk_ret, $jwk_out, $jwk_err) = $node->psql('postgres',
	q{SELECT jwt_sign('{"sub":"a"}', '{"kty":"oct","k":"JWKDETAILMARKER0123456789abcdef}'::jsonb)});
isnt($jwk_ret, 0, 'a malformed JWK is an error');
like($jwk_err, qr/DETAIL:  Token ""JWKDETAILMARKER/, 'the client gets the detail of a malformed JWK');
$node->psql('postgres',
	q{PREPARE s(jsonb) AS SELECT jwt_sign('{}', $1); EXECUTE s('{"kty":"oct","k":"JWKEXECMARKER0123456789abcdef}')});
my $jwk_script = $node->basedir . '/jwk.sql';
append_to_file($jwk_script, "SELECT jwt_sign('{}', :k::jsonb);\n");
$node->command_fails(
	[ 'pgbench', '-n', '-M', 'extended', '-t', '1', '-D', 'k={"kty":"oct","k":"JWKBINDMARKER0123456789}',
		'-f', $jwk_script, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'pgbench bound a malformed JWK');
$node->psql('postgres', q{SELECT '{"a": DETAILKEPTMARKER}'::jsonb});
# a cursor declared with a query naming the extension runs it at FETCH
my ($cur_ret, $cur_out, $cur_err) = $node->psql('postgres',
	"BEGIN;\nDECLARE c CURSOR FOR SELECT ('[FETCHCURSORMARKER' || jwt_generate_secret()::text || ']')::jsonb;\nFETCH c;\n");
like($cur_err, qr/Token "FETCHCURSORMARKER/, 'the FETCH ran the query to its error');
# a WITH HOLD cursor's query runs at the COMMIT; and a FETCH noted so does
# not stand for the session's later statements
my ($hold_ret, $hold_out, $hold_err) = $node->psql('postgres',
	"BEGIN;\nDECLARE h CURSOR WITH HOLD FOR SELECT ('[HOLDCURSORMARKER' || jwt_generate_secret()::text || ']')::jsonb;\nCOMMIT;\n"
	  . "BEGIN;\nDECLARE m CURSOR FOR SELECT 1 WHERE jwt_generate_secret() IS NOT NULL;\nMOVE m;\nCOMMIT;\n"
	  . "SELECT 1;\nSELECT 1/0 AS laterstatement;\n", on_error_stop => 0);
like($hold_err, qr/Token "HOLDCURSORMARKER/, 'the COMMIT ran the held cursor\'s query to its error');
# ... also at the Sync of an extended-protocol statement outside a block,
# and at a procedure's COMMIT
my $hold_script = $node->basedir . '/hold.sql';
append_to_file($hold_script,
	"DECLARE hx CURSOR WITH HOLD FOR SELECT ('[SYNCHOLDMARKER' || jwt_generate_secret()::text || ']')::jsonb;\n");
$node->command_fails(
	[ 'pgbench', '-n', '-M', 'extended', '-t', '1', '-f', $hold_script,
		'-h', $node->host, '-p', $node->port, 'postgres' ],
	'pgbench declared a held cursor whose query fails at the commit');
$node->safe_psql('postgres', q{CREATE PROCEDURE hold_commit() LANGUAGE plpgsql AS $p$ BEGIN
  EXECUTE $$DECLARE hp CURSOR WITH HOLD FOR SELECT ('[PROCHOLDMARKER' || jwt_generate_secret()::text || ']')::jsonb$$;
  COMMIT; END $p$});
$node->psql('postgres', 'CALL hold_commit()');
# ... and the transaction that declared it is the only one that counts
$node->safe_psql('postgres', 'CREATE TABLE deferred_u (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)');
$node->psql('postgres',
	"DECLARE hi CURSOR WITH HOLD FOR SELECT jwt_generate_secret() \\; SELECT 1;\n"
	  . "BEGIN;\nINSERT INTO deferred_u VALUES (4), (4);\nCOMMIT;\n", on_error_stop => 0);
$node->psql('postgres',
	"BEGIN;\nDECLARE hr CURSOR WITH HOLD FOR SELECT jwt_generate_secret();\n"
	  . "ROLLBACK \\; INSERT INTO deferred_u VALUES (6), (6);\n", on_error_stop => 0);
# a constraint's violation quotes the row or the key
$node->safe_psql('postgres',
	'CREATE TABLE app_rows (name text NOT NULL, secret text); CREATE TABLE app_tokens (token text PRIMARY KEY)');
$node->psql('postgres', q{INSERT INTO app_rows VALUES (NULL, 'FAILROWMARKER' || jwt_generate_secret()::text)});
# (one token twice in one statement: jwt_sign's iat changes with the second)
my ($uniq_ret, $uniq_out, $uniq_err) = $node->psql('postgres',
	q{WITH t AS MATERIALIZED (SELECT 'DUPKEYMARKER' || jwt_sign('{}', 'a secret of at least 32 bytes for this') AS tok) }
	  . q{INSERT INTO app_tokens SELECT tok FROM t, generate_series(1, 2)});
like($uniq_err, qr/DETAIL:  Key \(token\)=\(DUPKEYMARKER/, 'the client gets the unique violation\'s detail');

$node->safe_psql('postgres', "SELECT '$plain'");

# a restore's INSERT of a refresh token (pg_dump --inserts), refused for
# its duplicate hash: the statement holds the retry key
my $retry_marker = '5245545259534543524554';    # "RETRYSECRET" in hex
my $insert = "INSERT INTO public.refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key) "
  . "VALUES ('\\x01', gen_random_uuid(), 0, 'a', 'infinity', '\\x$retry_marker')";
$node->safe_psql('postgres', "SET session_replication_role = replica; $insert");
my ($ins_ret) = $node->psql('postgres', "SET session_replication_role = replica; $insert");
isnt($ins_ret, 0, 'the second INSERT of the refresh token is refused');

# the search of a statement for EXECUTE of a prepared statement runs in
# the log hook, where nothing can be cancelled: a statement of 180 kB of
# "--execute" comments on one line, which cost the scan the rest of the
# line at each EXECUTE (a second; 76 s at 1.8 MB, hours beyond), is taken
# to name the extension once the scan has read four times its length and
# 64 kB; three such words are scanned as usual
my $budget_marker = 'EXECBUDGETMARKER';
$node->safe_psql('postgres', "SELECT '$budget_marker' --" . ('execute--' x 20000) . "\n");
$node->safe_psql('postgres', "SELECT 'EXECSMALLMARKER' --" . ('execute--' x 3) . "\n");

# a statement that names jwt_ only to stay out of the log (any role can
# write it): it is logged with its names and values masked, so the log
# still says what ran; a value written without quotes is a name; a
# string's backslashes escape as the lexer reads them (E''); a statement
# naming standard_conforming_strings, which may change how its strings
# read, is left out whole
$node->safe_psql('postgres', "CREATE TABLE audited (a int)");
$node->safe_psql('postgres', "DROP TABLE audited /* jwt_ AUDITCOMMENTMARKER */");
$node->psql('postgres', "SELECT jwt_verify(UNQUOTEDTOKENMARKER.abc.def, 'k')");
$node->safe_psql('postgres',
	"SELECT \$t\$DOLLARMARKER\$t\$ AS jwt_a, 'it''s QUOTEMARKER' AS b, \"IDENTMARKER\" FROM (SELECT 1) \"IDENTMARKER\"");
$node->safe_psql('postgres', "SELECT E'\\\\ \\' BACKSLASHMARKER' AS jwt_b");
$node->safe_psql('postgres', "SELECT E'EMARKER' AS jwt_b2");
# the lexer's and the grammar's errors quote the text where they stopped:
# a key after a missing comma, the rest of the statement after an
# unterminated string
my ($syn_ret, $syn_out, $syn_err) = $node->psql('postgres',
	"SELECT jwt_sign('{}' 'SYNTAXMARKER-0123456789')");
like($syn_err, qr/ERROR:  syntax error \(the text there is not shown: the statement names the jwt extension\)/,
	'a syntax error in a statement naming the extension does not quote the text');
my ($unt_out, $unt_err) = (q{}, q{});
IPC::Run::run([ 'psql', '-X', '-d', $node->connstr('postgres'),
		'-c', "SELECT jwt_sign('{}', 'UNTERMMARKER-0123456789" ],
	'>', \$unt_out, '2>', \$unt_err);
like($unt_err, qr/ERROR:  unterminated quoted string \(the text there is not shown/,
	'nor does an unterminated string');
unlike(join("\n", grep { /ERROR:/ } split /\n/, $syn_err . "\n" . $unt_err), qr/SYNTAXMARKER|UNTERMMARKER/,
	'the error the client gets does not quote the key either (psql shows its own query)');
# where a string ends may depend on how the lexer read its backslashes
# then: an E string continued on the next line (its escapes go on), a
# string read while standard_conforming_strings was off for the
# transaction only
$node->safe_psql('postgres', "SELECT jwt_sign('{}', E'" . ('a' x 40) . "'\n'\\' jwt_CONTMARKER BEGIN KEY ')::text IS NOT NULL");
$node->safe_psql('postgres',
	"BEGIN;\nSET LOCAL standard_conforming_strings = off;\n"
	  . "SELECT jwt_sign('{}', '" . ('a' x 40) . "\\''), 'jwt_SCSLOCALMARKER BEGIN KEY';\nCOMMIT;");
$node->command_ok(
	[ 'psql', '-X', '-d', $node->connstr('postgres'),
		'-c', "SET standard_conforming_strings = on; SELECT 'SCSMARKER' AS jwt_c" ],
	'a statement naming standard_conforming_strings ran (one query string)');

# the postmaster's report of a backend that died, and a deadlock report,
# quote a query as pg_stat_activity keeps it, cut at
# track_activity_query_size (1 kB): a long token written before the
# extension's name is quoted without the name
my $cut_marker = 'CUTQUERYMARKER';
my $long_toks = "VALUES ('$cut_marker" . ('A' x 600) . "'),\n('$cut_marker" . ('B' x 600) . "')";
crash_statement("WITH t(tok) AS ($long_toks)\nSELECT pg_sleep(600), jwt_verify(tok, 'k') FROM t");
$node->safe_psql('postgres', 'CREATE TABLE dl1 (a int); CREATE TABLE dl2 (a int)');
{
	my ($in, $out) = ('', '');
	my $first = background_psql(\$in, \$out);
	$in .= "SET deadlock_timeout = '100ms';\nBEGIN;\nLOCK dl1;\nSELECT 'locked';\n";
	$first->pump until $out =~ /locked/;
	my ($in2, $out2) = ('', '');
	my $second = background_psql(\$in2, \$out2);
	$in2 .= "SET deadlock_timeout = '100ms';\nBEGIN;\nLOCK dl2;\n"
	  . "WITH t(tok) AS ($long_toks)\nSELECT jwt_verify(tok, 'k'), (SELECT count(*) FROM dl1) FROM t;\n";
	$second->pump;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH t(tok) AS%'")
	  or die 'the second session did not wait';
	$in .= "SELECT count(*) FROM dl2;\nROLLBACK;\n\\q\n";
	$first->finish;
	$in2 .= "ROLLBACK;\n\\q\n";
	$second->finish;
	like($out . $out2, qr/deadlock detected/, 'the two sessions deadlocked');
}

# a syntax error in an inner query that names the extension, where the
# statement does not: a PL/pgSQL body compiled at its first call (as after
# a restore, which turns check_function_bodies off), and a dynamic query
# built around a secret the caller never saw (from a setting), broken by
# a quote in the caller's argument
$node->safe_psql('postgres',
	"SET check_function_bodies = off;\n"
	  . "CREATE FUNCTION public.mint_body() RETURNS text LANGUAGE plpgsql AS \$f\$\n"
	  . "BEGIN RETURN jwt_sign('{}' 'BODYSYNTAXMARKER-0123456789'); END \$f\$;");
my ($body_ret, $body_out, $body_err) = $node->psql('postgres', 'SELECT public.mint_body()');
isnt($body_ret, 0, 'the function body does not compile');
like($body_err, qr/ERROR:  syntax error \(the text there is not shown: the statement names the jwt extension\)/,
	'the syntax error of a body naming the extension does not quote the text');
$node->safe_psql('postgres',
	"ALTER DATABASE postgres SET app.jwt_mint_secret = 'DYNSYNTAXMARKER-0123456789abcdef0123';\n"
	  . "CREATE FUNCTION public.mint_dyn(claims text) RETURNS text LANGUAGE plpgsql AS \$f\$\n"
	  . "DECLARE t text;\n"
	  . "BEGIN EXECUTE 'SELECT jwt_sign(''' || claims || '''::jsonb, ' || quote_literal(current_setting('app.jwt_mint_secret')) || ')' INTO t; RETURN t; END \$f\$;");
my ($dyn_ret, $dyn_out, $dyn_err) = $node->psql('postgres', "SELECT public.mint_dyn(\$\$x' || \$\$)");
isnt($dyn_ret, 0, 'the dynamic query does not parse');
like($dyn_err, qr/ERROR:  syntax error \(the text there is not shown/,
	'the syntax error of a dynamic query naming the extension does not quote the text');
unlike($body_err . $dyn_err, qr/BODYSYNTAXMARKER|DYNSYNTAXMARKER/,
	'the client gets neither secret');

# a prepared statement executed, then made another by the same query
# string, or by a function it calls: a name is looked up when the line is
# logged, after the string ran, so the string that executed one naming
# the extension is remembered as it ran; also an inner query (a dynamic
# one) executing it, whose syntax error would quote its arguments
$node->safe_psql('postgres',
	"CREATE FUNCTION public.remake() RETURNS void LANGUAGE plpgsql AS \$f\$\n"
	  . "BEGIN EXECUTE 'DEALLOCATE p'; EXECUTE 'PREPARE p AS SELECT 1'; END \$f\$;\n"
	  . "CREATE FUNCTION public.exec_dyn(c text) RETURNS text LANGUAGE plpgsql AS \$f\$\n"
	  . "DECLARE t text;\n"
	  . "BEGIN EXECUTE 'EXECUTE p(' || c || ', ' || quote_literal(current_setting('app.jwt_exec_secret')) || ')' INTO t; RETURN t; END \$f\$;\n"
	  . "ALTER DATABASE postgres SET app.jwt_exec_secret = 'EXECDYNMARKER-0123456789abcdef';");
my ($exec_err, $remake_err, $dynexec_err) = (q{}, q{}, q{});
{
	my $out = q{};
	IPC::Run::run([ 'psql', '-X', '-d', $node->connstr('postgres'),
			'-c', 'PREPARE p AS SELECT jwt_sign($1::jsonb, $2::text)',
			'-c', "EXECUTE p('{}', 'REPREPAREMARKER-0123456789abcdef'); DEALLOCATE p; PREPARE p AS SELECT 1; SELECT 1/0" ],
		'>', \$out, '2>', \$exec_err);
	IPC::Run::run([ 'psql', '-X', '-d', $node->connstr('postgres'),
			'-c', 'PREPARE p AS SELECT jwt_sign($1::jsonb, $2::text)',
			'-c', "EXECUTE p('{}', 'REMAKEMARKER-0123456789abcdef0123'); SELECT public.remake(); SELECT 1/0" ],
		'>', \$out, '2>', \$remake_err);
	IPC::Run::run([ 'psql', '-X', '-d', $node->connstr('postgres'),
			'-c', 'PREPARE p AS SELECT jwt_sign($1::jsonb, $2::text)',
			'-c', "SELECT public.exec_dyn(\$\$'{}' 'x'\$\$)" ],
		'>', \$out, '2>', \$dynexec_err);
	# under EXPLAIN ANALYZE and CREATE TABLE AS, and with another prepared
	# statement executed after it in the string
	for my $exec ("EXPLAIN ANALYZE EXECUTE p('{}', 'EXPLAINEXECMARKER-0123456789abcdef')",
		"CREATE TEMP TABLE ctas AS EXECUTE p('{}', 'CTASEXECMARKER-0123456789abcdef0123')",
		"EXECUTE p('{}', 'TWOEXECMARKER-0123456789abcdef0123'); EXECUTE q")
	{
		my $err = q{};
		IPC::Run::run([ 'psql', '-X', '-d', $node->connstr('postgres'),
				'-c', 'PREPARE p AS SELECT jwt_sign($1::jsonb, $2::text); PREPARE q AS SELECT 2',
				'-c', "$exec; DEALLOCATE p; PREPARE p AS SELECT 1; SELECT 1/0" ],
			'>', \$out, '2>', \$err);
		like($err, qr/division by zero/, "the string ran to its error: $exec");
	}
}
like($exec_err, qr/division by zero/, 'the string that prepares again ran to its error');
like($remake_err, qr/division by zero/, 'so did the one whose function prepares again');
like($dynexec_err, qr/ERROR:  syntax error \(the text there is not shown/,
	'a dynamic query executing a prepared statement naming the extension does not quote its text');
unlike($dynexec_err, qr/EXECDYNMARKER/, 'nor does the client get it as the query');

# pg_log_backend_memory_contexts of a backend: a cached plan's line ends
# with the first 100 bytes of its query text
my $mem_marker = 'MEMCONTEXTMARKER';
{
	my ($in, $out) = ('', '');
	my $h = background_psql(\$in, \$out, ' application_name=memdump');
	$in .= "PREPARE m1 AS SELECT jwt_sign('{}', '${mem_marker}1-0123456789abcdef');\n"
	  . "PREPARE m2 AS SELECT '${mem_marker}2' || repeat('x', 120) || 'padding to cut the text before the name' AS a, jwt_sign('{}', 'k');\n"
	  . "PREPARE m3 AS SELECT 'MEMPLAINMARKER';\n"
	  . "CREATE FUNCTION pg_temp.mint_mem(c jsonb) RETURNS text LANGUAGE plpgsql AS \$f\$\n"
	  . "DECLARE k text := 'x';\n"
	  . "BEGIN IF c ? 'admin' THEN k := k || '${mem_marker}3-0123456789'; END IF; RETURN jwt_sign(c, k); END \$f\$;\n"
	  . "SELECT pg_temp.mint_mem('{\"admin\": 1}') IS NOT NULL;\n"
	  . "SELECT 'prepared';\n";
	$h->pump until $out =~ /prepared/;
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE application_name = 'memdump'");
	my $before = -s $node->logfile;
	$node->safe_psql('postgres', "SELECT pg_log_backend_memory_contexts($pid)");
	$in .= "SELECT 'again';\n";
	$h->pump until $out =~ /again/;
	my $dump = '';
	foreach (1 .. 100)
	{
		$dump = slurp_file($node->logfile, $before);
		last if $dump =~ /level: \d+; CachedPlanSource: .* used: PREPARE \*\*\* AS SELECT '\*\*\*';\n/;
		sleep 0.1;
	}
	like($dump, qr/CachedPlanSource: .* used: PREPARE \*\*\* AS SELECT jwt_sign\('\*\*\*', '\*\*\*'\);\n/,
		'a cached plan naming the extension is listed, its text masked');
	like($dump, qr/CachedPlanSource: .* used: PREPARE \*\*\* AS SELECT '\*\*\*' \|\| \*\*\*\('\*\*\*', \*\*\*\) \|\| '\*\*\*'\n/,
		'one cut before the name is masked too');
	like($dump, qr/CachedPlanSource: .* used: PREPARE \*\*\* AS SELECT '\*\*\*';\n/,
		'and one that does not name it (its text may hold a secret the function has)');
	like($dump, qr/CachedPlan(Source)?: .* used: \*\*\* := \*\*\* \|\| '\*\*\*'\n/,
		'a PL/pgSQL expression of a function naming the extension is masked');
	$in .= "\\q\n";
	$h->finish;
}

# each statement's message is replaced in ErrorContext, which only an
# error empties: the replaced text and the masked copy are freed
my $grow = join('', map { "SELECT jwt_sign('{}', '" . ('K' x 10000) . "');\n" } 1 .. 200);
my $error_cxt = $node->safe_psql('postgres',
	"SET log_statement = 'all';\n$grow"
	  . "SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'ErrorContext';");
$error_cxt = (split /\n/, $error_cxt)[-1];
cmp_ok($error_cxt, '<', 1024 * 1024,
	"ErrorContext stays small after 200 logged statements of 10 kB ($error_cxt bytes)");

my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/$cut_marker/, 'no report quotes a long token cut from its statement');
unlike($log, qr/\Q$literal\E/, 'a key written into a statement is not logged');
unlike($log, qr/\Q$bound_key\E/, 'a key bound as a parameter is not logged');
unlike($log, qr/\Q$token\E/, 'a token bound as a parameter is not logged');
unlike($log, qr/\Q$d\E/, 'the private key of a rotation is not logged');
like($log, qr/DEBUG:  parse <unnamed>: SELECT jwt_sign\('\*\*\*', '\*\*\*'\);/,
	'log_min_messages at debug2 still says that a statement was parsed, masked');
unlike($log, qr/\Q$parse_key\E/, 'a key written into a parsed statement is not logged');
like($log, qr/terminated by signal 9/, 'the postmaster reported the backend that died');
unlike($log, qr/\Q$crash_key\E/, 'the report does not quote its statement');
unlike($log, qr/\Q$claims_marker\E/, 'a claims text that is not JSON is not logged');
like($log, qr/DETAIL:  The text of setting "request.jwt.claims" is not shown in the server log\./,
	'the log says why the detail is missing');
like($log, qr/DETAIL:  The detail is not shown in the server log: the statement names the jwt extension/,
	'the log says why a data exception\'s detail is missing');
like($log, qr/DETAIL:  Token "DETAILKEPTMARKER" is invalid/,
	'a statement that does not name the extension keeps its detail in the log');
like($log, qr/statement: SELECT jwt_registry_add\('\*\*\*', '\*\*\*', \*\*\* => '\*\*\*', \*\*\* => '\*\*\*'\)\n/,
	'log_statement still says that a statement ran, its values masked');
like($log, qr/duration: [0-9.]+ ms  (bind|execute) [^:]*: SELECT jwt_verify\(\$1, \$2, \*\*\* => '\*\*\*'\)/,
	'log_min_duration_statement still gives the duration of a bound statement, masked');
like($log, qr/statement: DROP TABLE \*\*\* *\n/,
	'a statement naming jwt_ in a comment is logged, masked');
like($log, qr/statement: SELECT jwt_verify\(\*\*\*\.\*\*\*\.\*\*\*, '\*\*\*'\)/,
	'a token written without quotes is masked as a name');
like($log, qr/statement: SELECT \$\$\*\*\*\$\$ AS jwt_a, '\*\*\*' AS \*\*\*, "\*\*\*" FROM \(SELECT \*\*\*\) "\*\*\*"/,
	'dollar-quoted and quoted strings, quoted names and numbers are masked');
like($log, qr/statement: SELECT \*\*\*'\*\*\*' AS jwt_b2\n/,
	'an E string is masked');
like($log, qr/statement: SET \*\*\* = on; SELECT '\*\*\*' AS jwt_c\n/,
	'a statement naming standard_conforming_strings is masked');
like($log, qr/statement: <not logged: it names the jwt extension>/,
	'a statement whose strings end elsewhere with or without escapes is not logged');
for my $marker (qw(AUDITCOMMENTMARKER UNQUOTEDTOKENMARKER DOLLARMARKER QUOTEMARKER IDENTMARKER BACKSLASHMARKER SCSMARKER SYNTAXMARKER UNTERMMARKER CONTMARKER SCSLOCALMARKER EMARKER BODYSYNTAXMARKER DYNSYNTAXMARKER REPREPAREMARKER REMAKEMARKER EXECDYNMARKER EXPLAINEXECMARKER CTASEXECMARKER TWOEXECMARKER MEMCONTEXTMARKER JWKDETAILMARKER JWKEXECMARKER JWKBINDMARKER FAILROWMARKER DUPKEYMARKER FETCHCURSORMARKER HOLDCURSORMARKER SYNCHOLDMARKER PROCHOLDMARKER))
{
	unlike($log, qr/$marker/i, "$marker is not logged");
}
like($log, qr/duration: [0-9.]+ ms  plan: <not logged: it names the jwt extension>/,
	'auto_explain still gives the duration of a plan');
unlike($log, qr/\Q$retry_marker\E/, 'a refresh token\'s INSERT is not logged');
unlike($log, qr/\Q$budget_marker\E/,
	'a statement that costs the EXECUTE search too much is not logged');
like($log, qr/statement: SELECT 'EXECSMALLMARKER' --execute--/,
	'a statement with a few EXECUTE words in a comment is logged in full');
like($log, qr/ERROR:  division by zero\n[^\n]*STATEMENT:  SELECT 1\/0 AS laterstatement/,
	'a statement after a FETCH of such a cursor keeps its STATEMENT line');
like($log, qr/DETAIL:  Key \(x\)=\(4\) already exists\.\n[^\n]*STATEMENT:  COMMIT;/,
	'a later transaction\'s COMMIT keeps its detail and STATEMENT line');
like($log, qr/DETAIL:  Key \(x\)=\(6\) already exists\./,
	'so does a statement after the ROLLBACK of one, in the same string');
like($log, qr/statement: SELECT '\Q$plain\E'/, 'other statements are logged in full');
like($log, qr/Query Text: SELECT '\Q$plain\E'/, 'and explained in full');

$node->stop;
done_testing();
