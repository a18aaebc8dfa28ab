
# test/t/JwtSession.pm: a psql session kept open, for the TAP tests that
# interleave statements of several sessions.

package JwtSession;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(psql_session);

# A psql session on database $db (postgres) of $node: ->(SQL) runs SQL and
# returns (stdout, stderr), each without its last newline on stdout.
sub psql_session
{
	my ($node, $db) = @_;
	my ($in, $out, $err) = ('', '', '');
	my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $node->connstr($db // 'postgres') ],
		'<', \$in, '>', \$out, '2>', \$err, $timer);
	my $n = 0;
	return sub {
		my ($sql) = @_;
		$n++;
		$in .= "$sql\n;\n\\echo '-- done $n'\n\\warn '-- done $n'\n";
		$timer->start;
		$h->pump until $out =~ /-- done $n\n/ && $err =~ /-- done $n\n/;
		(my $o = $out) =~ s/-- done $n\n//;
		(my $e = $err) =~ s/-- done $n\n//;
		($out, $err) = ('', '');
		chomp $o;
		return ($o, $e);
	};
}

1;
