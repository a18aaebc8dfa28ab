# test/t/003_dump_restore.pl: pg_dump / restore round trip of a database
# that uses the extension.
#
# The key registry's rows must survive, so tokens signed before the dump
# verify after the restore, and signing goes on with the same active keys.
# The refresh tokens' rows must survive too, so every family goes on
# working: live tokens rotate, a retry within a grace window gets the same
# successor, used tokens are reuses, revoked ones stay revoked.  The
# denylist and the consumed single-use ids are restored as well.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $SRC = 'jwt_dump_src';
my $DST = 'jwt_dump_dst';
my $KEY = 'a secret of at least 32 bytes for HS256!';

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

sub q_db
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

$node->safe_psql('postgres', "CREATE DATABASE $SRC");
q_db($SRC, 'CREATE SCHEMA auth; CREATE EXTENSION jwt SCHEMA auth');
q_db(
	$SRC, q{
SELECT auth.jwt_registry_rotate('ES256'); SELECT auth.jwt_registry_rotate('ES256', '1 day');
SELECT auth.jwt_registry_add('a dumped HMAC secret of 32+ bytes!', 'HS256', 'hs');
SELECT auth.jwt_registry_rotate('EdDSA')});

# Refresh token families: alice rotated three times (the last rotation with
# a one-hour grace window), bob rotated once, carol logged out.  CLUSTER
# puts the rows in hash order, so that the dump lists successors before
# their parents as often as not.
sub rot
{
	my ($tok, $grace) = @_;
	return q_db($SRC,
		"SELECT refresh_token FROM auth.jwt_refresh_rotate('$tok', '$KEY', grace => '$grace')"
	);
}
my $a0 = q_db($SRC,
	"SELECT refresh_token FROM auth.jwt_refresh_issue('alice', '30 days', '192.0.2.1', 'phone')"
);
my $a1 = rot($a0, '0');
my $a2 = rot($a1, '0');
my $a3 = rot($a2, '1 hour');
my $b0 = q_db($SRC,
	"SELECT refresh_token FROM auth.jwt_refresh_issue('bob', '30 days')");
my $b1 = rot($b0, '0');
my $c0 = q_db($SRC,
	"SELECT refresh_token FROM auth.jwt_refresh_issue('carol', '30 days')");
q_db($SRC, "SELECT auth.jwt_refresh_revoke('$c0')");
q_db($SRC, 'CLUSTER auth.refresh_tokens USING refresh_tokens_pkey');
my $refresh_rows = q{SELECT string_agg(concat_ws(':', encode(token_hash, 'hex'), family_id, generation,
                  encode(parent_hash, 'hex'), subject, issued_at, created_at, expires_at, used_at,
                  revoked_at, revoked_reason, encode(retry_key, 'hex'), retry_until, client_ip,
                  user_agent, metadata), ',' ORDER BY token_hash) FROM auth.refresh_tokens};
my $refresh_src = q_db($SRC, $refresh_rows);
my $tok_es = q_db($SRC,
	"SELECT auth.jwt_registry_sign('{\"sub\":\"es\"}', 'ES256', expires_in => '1 hour')"
);
my $tok_hs =
  q_db($SRC, "SELECT auth.jwt_registry_sign('{\"sub\":\"hs\"}', 'HS256')");
# The denylist and the consumed single-use ids are configuration too.
q_db(
	$SRC, q{
SELECT auth.jwt_revoke('dumped-jti', now() + interval '1 hour', 'stolen');
SELECT auth.jwt_revoke_subject('dumped-subject')});
my $tok_once = q_db($SRC,
	"SELECT auth.jwt_registry_sign('{\"jti\":\"dumped-once\"}', 'HS256', expires_in => '1 hour')"
);
q_db($SRC, "SELECT auth.jwt_registry_consume('$tok_once')");
my $keys_sql =
  "SELECT string_agg(kid || ':' || status, ',' ORDER BY kid) FROM auth.jwt_keys";
my $rows_src = q_db($SRC, $keys_sql);

my $tempdir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$tempdir/db.dump", $SRC ],
	'pg_dump -Fc of a database with the extension');
$node->safe_psql('postgres', "CREATE DATABASE $DST");
$node->command_ok([ 'pg_restore', '-d', $DST, "$tempdir/db.dump" ],
	'pg_restore of it into a new database');
my $rows_dst = q_db($DST, $keys_sql);

my $nkeys = scalar(split /,/, $rows_dst);
ok($rows_dst ne '' && $rows_src eq $rows_dst,
	"the key registry's rows are restored ($nkeys keys)");
is(q_db($DST, "SELECT auth.jwt_registry_verify('$tok_es')->>'sub'"),
	'es', 'an ES256 token signed before the dump verifies after the restore');
is(q_db($DST, "SELECT auth.jwt_registry_verify('$tok_hs')->>'sub'"),
	'hs', 'an HS256 token signed before the dump verifies after the restore');
my $kid_src = q_db($SRC,
	"SELECT kid FROM auth.jwt_keys WHERE algorithm = 'ES256' AND status = 'active'"
);
my $kid_dst = q_db($DST,
	"SELECT (auth.jwt_decode(auth.jwt_registry_sign('{}', 'ES256'))).header->>'kid'"
);
is($kid_dst, $kid_src, 'the restored registry signs with the same active key');
is( q_db($DST, 'SELECT auth.jwt_jwks()'),
	q_db($SRC, 'SELECT auth.jwt_jwks()'),
	'the restored JWKS equals the original');
is( q_db(
		$DST, "SELECT has_table_privilege('public', 'auth.jwt_keys', 'SELECT')"),
	'f',
	'the restored key table is still closed to PUBLIC');
is( q_db($DST,
		"SELECT auth.jwt_is_revoked('{\"jti\":\"dumped-jti\"}') AND auth.jwt_is_revoked('{\"sub\":\"dumped-subject\"}')"
	),
	't',
	'revocations survive the restore');
is( q_db($DST,
		"SELECT count(*) FROM auth.jwt_consumed_tokens WHERE jti = 'dumped-once'"
	),
	'1',
	'a consumed single-use token stays consumed after the restore');
my $nrows = q_db($DST, 'SELECT count(*) FROM auth.refresh_tokens');
ok($refresh_src ne '' && $refresh_src eq q_db($DST, $refresh_rows),
	"the refresh tokens' rows are restored ($nrows rows)");
is( q_db($DST,
		"SELECT has_table_privilege('public', 'auth.refresh_tokens', 'SELECT') "
		  . "|| ',' || count(*) FROM pg_trigger WHERE tgrelid = 'auth.refresh_tokens'::regclass"
	),
	'false,1',
	'the restored refresh token table is still closed to PUBLIC and guarded');

# status:token of a rotation in database $db; '' when it raised an error
sub rot_dst
{
	my ($db, $tok) = @_;
	my ($out, $err);
	$node->psql(
		$db,
		"SELECT status || ':' || coalesce(refresh_token, '') FROM auth.jwt_refresh_rotate('$tok', '$KEY')",
		stdout => \$out,
		stderr => \$err);
	return $out // '';
}
sub status_of { return (split /:/, $_[0])[0] // ''; }

is(rot_dst($DST, $a2), "rotated:$a3",
	'a retry within the grace window gets the same successor after the restore'
);
is(status_of(rot_dst($DST, $a3)),
	'rotated', "alice's live token rotates after the restore");
is(status_of(rot_dst($DST, $b1)),
	'rotated', "bob's live token rotates after the restore");
is(rot_dst($DST, $c0), 'revoked:', "carol's revoked token stays revoked");
is( rot_dst($DST, $a1) . ','
	  . q_db($DST,
		"SELECT count(*) FILTER (WHERE revoked_at IS NULL) FROM auth.refresh_tokens WHERE subject = 'alice'"
	  ),
	'reused:,0',
	'a used token outside its grace window is a reuse and revokes its family');

# A plain-text dump too, restored with psql, as most people do it.
$node->command_ok([ 'pg_dump', '-f', "$tempdir/db.sql", $SRC ],
	'a plain-text pg_dump');
$node->safe_psql('postgres', "DROP DATABASE $DST");
$node->safe_psql('postgres', "CREATE DATABASE $DST");
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $DST,
		'-f', "$tempdir/db.sql"
	],
	'the plain-text dump restores with psql');
is(q_db($DST, "SELECT auth.jwt_registry_verify('$tok_es')->>'sub'"),
	'es', 'a plain-text dump restores the registry too');
ok( q_db($DST, $refresh_rows) eq $refresh_src
	  && status_of(rot_dst($DST, $b1)) eq 'rotated',
	'a plain-text dump restores the refresh tokens too');

done_testing();
