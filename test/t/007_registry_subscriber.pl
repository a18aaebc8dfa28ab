
# test/t/007_registry_subscriber.pl: the registry's keys replicated to a
# subscriber by logical replication.
#
# A backend of the subscriber keeps the registry's keys (and the tokens it
# verified with them) in its caches until jwt_keys changes.  The apply
# worker fires row triggers only, never statement triggers, so every
# change the publisher makes to the keys must reach a session of the
# subscriber that verified a token before it: a rotation (a new kid),
# a retirement, a deletion, a TRUNCATE.  Each step first shows that the
# session answers from its token cache (its hit count moves), so that a
# stale answer would fail the test.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use JwtSession;

my $pub = PostgreSQL::Test::Cluster->new('keys_publisher');
$pub->init(allows_streaming => 'logical');
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('keys_subscriber');
$sub->init;
$sub->start;

$pub->safe_psql('postgres',
	"CREATE EXTENSION jwt; SELECT jwt_registry_rotate('ES256'); "
	  . 'CREATE PUBLICATION keys FOR TABLE jwt_keys');
$sub->safe_psql('postgres', 'CREATE EXTENSION jwt');
(my $pubconn = $pub->connstr('postgres')) =~ s/'/''/g;
$sub->safe_psql('postgres',
	"SET client_min_messages = warning; CREATE SUBSCRIPTION keys CONNECTION '$pubconn' PUBLICATION keys"
);
$sub->wait_for_subscription_sync($pub, 'keys');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM jwt_keys'),
	'1', 'the key is copied to the subscriber');

# A psql session of the subscriber kept open: ->(SQL) returns its output,
# or ERROR: and what it wrote to stderr.
my $session = psql_session($sub);

sub S
{
	my ($o, $e) = $session->(@_);
	return $e eq '' ? $o : "ERROR: $e";
}

sub sign
{
	my ($who) = @_;
	return $pub->safe_psql('postgres',
		"SELECT jwt_registry_sign('{\"sub\":\"$who\"}', 'ES256', expires_in => '1 hour')");
}

sub hits { return S('SELECT hits FROM jwt_token_cache_info()'); }

# What the session says of a token: the registry's verdict, and whom
# jwt_registry_authenticate lets in.
sub validate
{
	my ($tok) = @_;
	return S("SELECT coalesce(reason, 'valid') FROM jwt_registry_validate('$tok')");
}

sub authenticate
{
	my ($tok) = @_;
	my $r = S("SELECT jwt_registry_authenticate('$tok', check_revoked => false)->>'sub'");
	return $r =~ /^ERROR: .*ERROR:\s+(.*?)\n/s ? "ERROR: $1" : $r;
}

# The session accepts the token, the second time from its token cache.
sub accepted
{
	my ($name, $tok, $who) = @_;
	is(validate($tok), 'valid', "$name: valid");
	is(authenticate($tok), $who, "$name: authenticated");
	my $before = hits();
	is(authenticate($tok), $who, "$name: authenticated again");
	is(hits(), $before + 1, "$name: from the token cache");
}

sub replicate { $pub->wait_for_catchup('keys'); }

my $tok1 = sign('alice');
accepted('the first key', $tok1, 'alice');

# a rotation: the new key verifies, the old one too (verify-only)
$pub->safe_psql('postgres', "SELECT jwt_registry_rotate('ES256')");
replicate();
my $tok2 = sign('bob');
is(validate($tok2), 'valid', 'a key added by a replicated rotation verifies');
accepted('the second key', $tok2, 'bob');
accepted('the first key, verify-only', $tok1, 'alice');

# the retirement of the first key
$pub->safe_psql('postgres',
	"SELECT jwt_registry_retire(kid) FROM jwt_keys WHERE status = 'verify_only'");
replicate();
is(S("SELECT count(*) FROM jwt_keys WHERE status = 'retired'"),
	'1', 'the retirement is replicated');
is(validate($tok1), 'unknown_key', 'a key retired by replication no longer verifies');
like(authenticate($tok1), qr/^ERROR: /, 'nor authenticates, from the token cache or not');
is(authenticate($tok2), 'bob', 'the other key still authenticates');

# a deletion
$pub->safe_psql('postgres', "DELETE FROM jwt_keys WHERE status = 'active'");
replicate();
is(validate($tok2), 'unknown_key', 'a key deleted by replication no longer verifies');
like(authenticate($tok2), qr/^ERROR: /, 'nor authenticates');

# a TRUNCATE
$pub->safe_psql('postgres', "SELECT jwt_registry_rotate('ES256')");
replicate();
my $tok3 = sign('carol');
accepted('the third key', $tok3, 'carol');
$pub->safe_psql('postgres', 'TRUNCATE jwt_keys');
replicate();
is(S('SELECT count(*) FROM jwt_keys'), '0', 'the TRUNCATE is replicated');
is(validate($tok3), 'unknown_key', 'a key truncated by replication no longer verifies');
like(authenticate($tok3), qr/^ERROR: /, 'nor authenticates');

$sub->safe_psql('postgres', 'DROP SUBSCRIPTION keys');
$sub->stop;
$pub->stop;

done_testing();
