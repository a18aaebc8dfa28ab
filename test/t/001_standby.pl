# test/t/001_standby.pl: the extension on a hot standby.
#
# A primary and a streaming standby (a base backup with streaming
# replication).  On the standby, verification and reads work, and rotating,
# issuing or revoking a refresh token fails with 25006 and a hint to run it
# on the primary; the primary's rotations replicate.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $KEY = 'a secret of at least 32 bytes for HS256!';

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', 'hot_standby = on');
$primary->start;

# On the primary: a registry key, a login, one rotation.
$primary->safe_psql('postgres',
	"CREATE EXTENSION jwt; SELECT jwt_registry_rotate('ES256')");
my ($t0, $family) = split /\|/,
  $primary->safe_psql('postgres',
	"SELECT refresh_token, family_id FROM jwt_refresh_issue('alice', '1 day', '192.0.2.1', 'phone')"
  );
my ($st, $t1, $access) = split /\|/,
  $primary->safe_psql('postgres',
	"SELECT status, refresh_token, access_token FROM jwt_refresh_rotate('$t0', '$KEY')"
  );
is($st, 'rotated', 'a rotation on the primary');
my $registry_token = $primary->safe_psql('postgres',
	"SELECT jwt_registry_sign('{\"sub\":\"alice\"}', 'ES256', expires_in => '1 hour')"
);

# The standby.
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

sub S
{
	return $standby->safe_psql('postgres', $_[0]);
}

# stderr of a statement on the standby that is expected to fail, with its
# SQLSTATE
sub S_err
{
	my ($sql) = @_;
	my ($out, $err);
	$standby->psql(
		'postgres', "\\set VERBOSITY verbose\n$sql",
		stdout => \$out,
		stderr => \$err);
	return $err;
}

# Whether the standby has replayed everything the primary wrote.
sub replayed
{
	my $lsn = $primary->lsn('insert');
	return $standby->poll_query_until('postgres',
		"SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn");
}

is( S(
		"SELECT pg_is_in_recovery() AND status = 'streaming' FROM pg_stat_wal_receiver"
	),
	't',
	'the standby streams from the primary and is in recovery');
ok(replayed(), "the standby has replayed the primary's writes");
is( S(
		"SELECT count(*) || ',' || count(*) FILTER (WHERE used_at IS NULL) FROM refresh_tokens"
	),
	'2,1',
	'the refresh tokens replicated (2 rows, 1 live)');
is(S("SELECT jwt_verify('$access', '$KEY')->>'sid'"),
	$family,
	'jwt_verify works on the standby (the access token of the rotation)');
is(S("SELECT jwt_registry_verify('$registry_token')->>'sub'"),
	'alice', 'jwt_registry_verify works on the standby');
is( S(
		"SELECT client_ip || ' ' || user_agent || ' ' || jwt_refresh_session_active(family_id) FROM jwt_refresh_sessions('alice')"
	),
	'192.0.2.1/32 phone true',
	'reads work on the standby: sessions and session_active');

my $err = S_err("SELECT * FROM jwt_refresh_rotate('$t1', '$KEY')");
like(
	$err,
	qr/ERROR:  25006: refresh tokens cannot be rotated on a hot standby/,
	'a rotation on the standby fails with 25006');
like(
	$err,
	qr/HINT:  Run the rotation on the primary server\./,
	'... with a hint to run it on the primary');
like(
	S_err("SELECT * FROM jwt_refresh_issue('bob')"),
	qr/ERROR:  25006: refresh tokens cannot be issued on a hot standby/,
	'issuing on the standby fails with 25006');
like(
	S_err("SELECT jwt_refresh_revoke('$t1')"),
	qr/ERROR:  25006: refresh tokens cannot be revoked on a hot standby/,
	'revoking on the standby fails with 25006');
is( S(
		"SELECT used_at IS NULL FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$t1')"
	),
	't',
	'the refused rotation left the token live');

# The same token rotates on the primary, and the standby follows.
my ($st2, $t2, $access2) = split /\|/,
  $primary->safe_psql('postgres',
	"SELECT status, refresh_token, access_token FROM jwt_refresh_rotate('$t1', '$KEY')"
  );
is($st2, 'rotated', 'the token rotates on the primary');
ok(replayed(), 'the standby replays the rotation');
is( S(
		"SELECT string_agg(generation || ':' || (used_at IS NOT NULL), ',' ORDER BY generation) FROM refresh_tokens"
	),
	'0:true,1:true,2:false',
	'the standby sees the used token and its successor');
is( S(
		"SELECT count(*) FROM refresh_tokens WHERE token_hash = jwt_refresh_token_hash('$t2') AND used_at IS NULL"
	  )
	  . '/'
	  . S("SELECT jwt_verify('$access2', '$KEY')->>'sub'"),
	'1/alice',
	"the standby holds the new token's hash and verifies the new access token"
);

done_testing();
