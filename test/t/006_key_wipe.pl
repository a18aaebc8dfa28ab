
# test/t/006_key_wipe.pl: a JWK's secret written with \u escapes is not
# left in the backend's memory once the key is refused.
#
# The parser (src/json_in.c) wipes the string copies it makes, and the
# callers wipe the parsed jsonb once the key is built from it.  A key whose
# JSON parses but that is then refused (an "alg" that does not fit it, a
# "use" other than "sig") must have its parsed jsonb wiped too: it holds
# the secret unescaped, a form that appears nowhere else in the backend
# (the statement only has the escapes).  The test reads the backend's
# memory through /proc/PID/mem, in a UTF-8 and a LATIN1 database, for the
# text and the bytea form of the key; the accepted key is the control that
# the scan finds nothing when nothing is left.  Skipped where /proc/PID/mem
# cannot be read.
#
# Then the key registry: a backend that only verifies with it does not
# hold the private key of the active key in its private memory (the cache
# reads the signing keys only once the backend signs with the registry),
# and one that has signed does (the control).  Shared memory, where the
# table's pages are, is not searched.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'needs /proc/PID/mem' unless -r "/proc/$$/mem";

my $node = PostgreSQL::Test::Cluster->new('key_wipe');
$node->init;
$node->start;
$node->safe_psql('postgres',
	"CREATE DATABASE latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$node->safe_psql($_, 'CREATE EXTENSION jwt') for ('postgres', 'latin1');

# 44 base64url characters (a 33-byte secret), each written as \u00XX
my $secret = 'QZXWVUTSRQPONMLKJIHGFEDCBAQZXWVUTSRQPONMLKJI';
my $esc = join '', map { sprintf '\\u%04x', ord } split //, $secret;

# How many times the unescaped secret is in the process's writable memory
sub occurrences
{
	my ($pid, $needle, $private_only) = @_;
	$needle //= $secret;
	my $n = 0;
	open my $maps, '<', "/proc/$pid/maps" or return -1;
	open my $mem, '<:raw', "/proc/$pid/mem" or return -1;
	while (my $line = <$maps>)
	{
		my ($from, $to, $perm) = $line =~ /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)/;
		next unless $perm =~ /^rw/;
		next if $private_only && $perm !~ /^rw.p/;
		my $buf;
		next unless sysseek($mem, hex($from), 0);
		next unless defined sysread($mem, $buf, hex($to) - hex($from));
		$n++ while $buf =~ /\Q$needle\E/g;
	}
	return $n;
}

# Run "sql" in a new session, then count the secret in its backend
sub left_after
{
	my ($db, $sql, $needle, $private_only) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $node->connstr($db) ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$in .= "SELECT pg_backend_pid();\n$sql;\n\\echo -- done\n";
	$h->pump until $out =~ /-- done\n/;
	my ($pid) = $out =~ /^(\d+)$/m;
	my $n = occurrences($pid, $needle, $private_only);
	$in .= "\\q\n";
	$h->finish;
	return ($n, $err);
}

my $accepted = qq('{"kty":"oct","k":"$esc"}');
my %refused = (
	'alg that does not fit' => qq('{"kty":"oct","k":"$esc","alg":"RS256"}'),
	'use other than sig' => qq('{"kty":"oct","k":"$esc","use":"enc"}'),
);

for my $db ('postgres', 'latin1')
{
	for my $form ('text', 'bytea')
	{
		my $key = sub {
			my ($k) = @_;
			return $form eq 'text' ? $k : "convert_to($k, 'UTF8')";
		};
		my ($n, $err) = left_after($db,
			"SELECT jwt_verify(jwt_sign('{}', $accepted), " . $key->($accepted) . ') IS NOT NULL');
		is($err, '', "$db, $form: the key is accepted");
		is($n, 0, "$db, $form: an accepted key leaves no unescaped secret");

		for my $case (sort keys %refused)
		{
			($n, $err) = left_after($db,
				"SELECT jwt_verify('a.b.c', " . $key->($refused{$case}) . ')');
			like($err, qr/ERROR:  JWK/, "$db, $form, $case: the key is refused");
			unlike($err, qr/\Q$secret\E/, "$db, $form, $case: the error has no secret");
			is($n, 0, "$db, $form, $case: no unescaped secret is left");
		}
	}
}

# The registry: an active ES256 key (a private JWK), its "d" as the needle
# (which the table's pages in shared memory hold too)
$node->safe_psql('postgres', "SELECT jwt_registry_rotate('ES256')");
my $jwk = $node->safe_psql('postgres', 'SELECT signing_key FROM jwt_keys');
my ($body) = $jwk =~ /"d": *"([A-Za-z0-9_-]{43})"/;
ok(defined $body, 'the private key has its "d"');
my $token = $node->safe_psql('postgres', q{SELECT jwt_registry_sign('{"sub":"w"}')});
my ($n, $err) = left_after('postgres',
	"SELECT jwt_registry_verify('$token')->>'sub'", $body, 1);
is($err, '', 'the registry verifies');
is($n, 0, 'a backend that only verifies holds no private key');
($n, $err) = left_after('postgres',
	"SELECT jwt_registry_verify('$token')->>'sub';\n"
	  . "SELECT jwt_registry_sign('{}') IS NOT NULL", $body, 1);
is($err, '', 'the registry signs after verifying');
cmp_ok($n, '>', 0, 'a backend that has signed holds it (the scan finds it)');

$node->stop;
done_testing();
