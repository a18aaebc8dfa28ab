
# test/t/009_copy_secrets.pl: a failed COPY into jwt_keys or refresh_tokens
# shows neither the client nor the server log the line it was loading.
#
# PostgreSQL's COPY context line quotes the first 100 bytes of the line
# ("COPY jwt_keys, line 1: "<kid> <alg> -----BEGIN PRIVATE KEY-----..."")
# on any error, a duplicate kid of a restore among them, and jsonb's error
# for a malformed verification key quotes its token in the detail and the
# JSON context line.  The library rewrites a failed COPY's error into
# these tables before anything sees it: the context becomes "COPY
# <table>", PostgreSQL's detail goes (but a short unique violation's) and
# a message that quotes a value is replaced, in English and, when the
# machine can build the locales (localedef; skipped otherwise), in
# Japanese and in German in a LATIN1 database.

use strict;
use warnings;

use File::Temp;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# A Japanese locale for lc_messages, built into a directory of its own.
my $locpath = PostgreSQL::Test::Utils::tempdir();
my $have_ja = 0;
if (-d '/usr/share/i18n/locales' && -e '/usr/share/i18n/locales/ja_JP'
	&& system("localedef -i ja_JP -f UTF-8 $locpath/ja_JP.UTF-8 >/dev/null 2>&1") == 0)
{
	$have_ja = 1;
}
# German in LATIN1, whose guillemets around a value are one byte each
my $have_de = 0;
if (-e '/usr/share/i18n/locales/de_DE'
	&& system("localedef -i de_DE -f ISO-8859-1 $locpath/de_DE.ISO-8859-1 >/dev/null 2>&1") == 0)
{
	$have_de = 1;
}

my $node = PostgreSQL::Test::Cluster->new('copy_secrets');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'jwt'
log_min_messages = warning
});
{
	local $ENV{LOCPATH} = $locpath if $have_ja || $have_de;
	$node->start;
}
$node->safe_psql('postgres', 'CREATE EXTENSION jwt');
my $hmac = 'HMACSECRETMARKER-of-the-copy-test-0123456789';
$node->safe_psql('postgres',
	"SELECT jwt_registry_add('$hmac', 'HS256', kid => 'dup')");
# the table as a dump holds it, for a COPY from a file
my $file = $node->basedir . '/keys.copy';
$node->safe_psql('postgres', "COPY jwt_keys TO '$file'");

my $pem = 'PEMSECRETMARKER0123456789';
my $tok = 'JSONTOKENSECRETMARKER0123';
my $retry = '5365637265744d61726b6572';    # "SecretMarker" in hex

# psql's stderr for a script, and what it added to the server log
sub run_script
{
	my ($sql) = @_;
	my $offset = -s $node->logfile;
	my ($stdout, $stderr);
	$node->psql('postgres', $sql, stdout => \$stdout, stderr => \$stderr,
		on_error_stop => 0);
	my $log = slurp_file($node->logfile, $offset);
	return ($stderr, $log);
}

# No marker in what the client got nor in the log
sub no_secret_in
{
	my ($lang, $client, $server) = @_;
	for my $marker ($pem, $tok, $retry, $hmac)
	{
		unlike($client, qr/$marker/, "$lang: the client does not get $marker");
		unlike($server, qr/$marker/, "$lang: the server log does not get $marker");
	}
}

# A psql in the background reading $in, writing to $out
sub background_psql
{
	my ($in, $out) = @_;
	return IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres') ],
		'<', $in, '>', $out, '2>', $out,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}

sub copy_script
{
	my ($lang) = @_;
	my $set = $lang ? "SET lc_messages = '$lang';\n" : '';
	return $set
	  . "COPY jwt_keys (kid, algorithm, signing_key, verification_key) FROM stdin;\n"
	  . "dup\tES256\t-----BEGIN PRIVATE KEY-----$pem\t{}\n\\.\n"
	  . "COPY jwt_keys (kid, algorithm, signing_key, verification_key) FROM stdin;\n"
	  . "new\tHS256\tx\t{\"kty\":\"oct\",\"k\":$tok}\n\\.\n"
	  . "COPY refresh_tokens (token_hash, family_id, generation, subject, expires_at, retry_key) FROM stdin;\n"
	  . "\\\\x00\t00000000-0000-0000-0000-000000000000\t0\talice\tinfinity\t\\\\x$retry\textra\n\\.\n"
	  # the dump's line again, from a function (the statement is not a COPY)
	  . "DO \$\$ BEGIN EXECUTE 'COPY jwt_keys FROM ''$file'''; END \$\$;\n"
	  # columns that do not line up: the key lands in a timestamp, whose
	  # input error quotes it in the message
	  . "COPY jwt_keys (kid, algorithm, created_at, verification_key) FROM stdin;\n"
	  . "mis\tES256\t{\"d\":\"$pem\"}\t{}\n\\.\n";
}

my ($stderr, $log) = run_script(copy_script(''));
like($stderr, qr/duplicate key value violates unique constraint "jwt_keys_pkey"/,
	'English: the duplicate kid is refused');
like($stderr, qr/CONTEXT:  COPY jwt_keys$/m,
	'English: the client gets the table');
like($stderr, qr/CONTEXT:  COPY refresh_tokens$/m,
	'English: so it does for refresh_tokens');
like($stderr, qr/Key \(kid\)=\(dup\) already exists/,
	"English: the unique violation's detail (the kid) stays");
like($stderr, qr/ERROR:  COPY refused a value for table "jwt_keys" \(22007\)\n/,
	'English: a type error in a misaligned load is reworded without the value');
no_secret_in('English', $stderr, $log);

SKIP:
{
	skip 'no Japanese locale could be built (localedef, /usr/share/i18n/locales/ja_JP)', 9
	  unless $have_ja;
	($stderr, $log) = run_script(copy_script('ja_JP.UTF-8'));
	like($stderr, qr/CONTEXT:  COPY jwt_keys$/m,
		'Japanese: the context is the table\'s');
	no_secret_in('Japanese', $stderr, $log);
}

SKIP:
{
	skip 'no German LATIN1 locale could be built (localedef, /usr/share/i18n/locales/de_DE)', 3
	  unless $have_de;
	$node->safe_psql('postgres',
		"CREATE DATABASE latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	$node->safe_psql('latin1', 'CREATE EXTENSION jwt');
	my $offset = -s $node->logfile;
	my ($stdout, $de_err);
	$node->psql('latin1',
		"SET lc_messages = 'de_DE.ISO-8859-1';\n"
		  . "COPY jwt_keys (kid, algorithm, created_at, verification_key) FROM stdin;\n"
		  . "mis\tHS256\t$hmac\t{}\n\\.\n",
		stdout => \$stdout, stderr => \$de_err, on_error_stop => 0);
	my $de_log = slurp_file($node->logfile, $offset);
	like($de_err, qr/COPY refused a value for table "jwt_keys"/, 'German, LATIN1: the type error is reworded');
	unlike($de_err, qr/\Q$hmac\E/, 'German, LATIN1: the client does not get the secret');
	unlike($de_log, qr/\Q$hmac\E/, 'German, LATIN1: the server log does not get it');
}

# A lock wait's context names the table quoted: the report keeps its
# detail (who holds the lock), as a deadlock's does
{
	my $offset = -s $node->logfile;
	my $in = '';
	my $out = '';
	my $holder = background_psql(\$in, \$out);
	$in .= "BEGIN;\nSELECT kid FROM jwt_keys WHERE kid = 'dup' FOR UPDATE;\n";
	$holder->pump until $out =~ /dup/;
	my ($stderr_w, $stdout_w);
	$node->psql('postgres',
		"SET log_lock_waits = on; SET deadlock_timeout = '50ms'; SET lock_timeout = '1s';\n"
		  . "SELECT kid FROM jwt_keys WHERE kid = 'dup' FOR UPDATE;\n",
		stdout => \$stdout_w, stderr => \$stderr_w, on_error_stop => 0);
	$in .= "COMMIT;\n\\q\n";
	$holder->finish;
	my $lock_log = slurp_file($node->logfile, $offset);
	like($lock_log, qr/still waiting for ShareLock.*\n.*DETAIL:  Process holding the lock: \d+/,
		"a lock wait on jwt_keys keeps its detail");
}

# A COPY into refresh_tokens waiting for a row lock (the same token_hash,
# inserted by a transaction still open), its line starting with the retry
# key: the lock wait's LOG, then the FATAL of pg_terminate_backend, whose
# context quoted the line, to the log and to the client
{
	my $offset = -s $node->logfile;
	my $cols = 'retry_key, token_hash, family_id, generation, subject, expires_at';
	my ($in, $out) = ('', '');
	my $holder = background_psql(\$in, \$out);
	$in .= "SET session_replication_role = replica;\nBEGIN;\n"
	  . "INSERT INTO refresh_tokens ($cols) VALUES ('\\x00', '\\xaa', gen_random_uuid(), 0, 'a', 'infinity');\n"
	  . "SELECT 'held';\n";
	$holder->pump until $out =~ /held/;
	my ($w_in, $w_out) = ('', '');
	my $waiter = background_psql(\$w_in, \$w_out);
	$w_in .= "SET session_replication_role = replica; SET log_lock_waits = on; SET deadlock_timeout = '50ms';\n"
	  . "SET application_name = 'copy_waiter';\n"
	  . "COPY refresh_tokens ($cols) FROM stdin;\n"
	  . "\\\\x$retry\t\\\\xaa\t00000000-0000-0000-0000-000000000001\t0\tbob\tinfinity\n\\.\n";
	$waiter->pump;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'copy_waiter' AND wait_event_type = 'Lock'")
	  or die 'the COPY did not wait';
	# the LOG of the wait is written once deadlock_timeout has passed
	$node->wait_for_log(qr/still waiting for ShareLock/, $offset);
	$node->safe_psql('postgres',
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'copy_waiter'");
	$waiter->finish;
	$in .= "ROLLBACK;\n\\q\n";
	$holder->finish;
	my $wait_log = slurp_file($node->logfile, $offset);
	like($wait_log, qr/still waiting for ShareLock/, 'the COPY into refresh_tokens waited');
	unlike($wait_log, qr/COPY refresh_tokens, line/,
		'the log has no COPY line of the waiting COPY (the statement names the table)');
	like($w_out, qr/FATAL:  terminating connection due to administrator command\nCONTEXT:  COPY refresh_tokens\n/,
		'the client gets the FATAL of the terminated COPY with the table for context');
	unlike($wait_log, qr/$retry/i, 'the log has no retry key of the waiting COPY');
	unlike($w_out, qr/$retry/i, 'nor has its client');
}

# a LOG of a trigger for each row of a COPY into a table named jwt_keys:
# its context is replaced in ErrorContext, which only an error empties,
# and the replaced one is freed
my $copy_cxt = $node->safe_psql('postgres', q{
CREATE SCHEMA logged;
CREATE TABLE logged.jwt_keys (a int);
CREATE FUNCTION logged.say() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE LOG 'row'; RETURN NEW; END $$;
CREATE TRIGGER say BEFORE INSERT ON logged.jwt_keys FOR EACH ROW EXECUTE FUNCTION logged.say();
COPY logged.jwt_keys FROM PROGRAM 'seq 1 5000';
SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'ErrorContext';
});
cmp_ok($copy_cxt, '<', 512 * 1024,
	"ErrorContext stays small after a COPY logging 5000 rows ($copy_cxt bytes)");

# an unrelated table keeps COPY's context as PostgreSQL wrote it
($stderr, $log) = run_script(
	"CREATE TABLE other (a int);\nCOPY other FROM stdin;\nNOTANUMBERMARKER\n\\.\n");
like($stderr, qr/CONTEXT:  COPY other, line 1, column a: "NOTANUMBERMARKER"/,
	'another table keeps its context');

$node->stop;
done_testing();
