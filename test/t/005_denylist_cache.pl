
# test/t/005_denylist_cache.pl: the denylist cache of a server with jwt in
# shared_preload_libraries (src/denylist_cache.c).
#
# Session A remembers tokens it found on no denylist; every way another
# session can put them on it must reach A at once: jwt_revoke and
# jwt_revoke_subject, plain INSERT and UPDATE by the owner or by a role
# granted INSERT, COPY, MERGE, INSERT ... ON CONFLICT, a writable CTE, a
# rule, a procedure committing in its body, under session_replication_role
# = replica, logical replication from another server, a revocation
# committed while A had a hit ready, A's own uncommitted revocation, and
# A's own deletion or TRUNCATE rolled back (a lookup in that transaction
# sees the deletion, so its answer must not be kept), COMMIT PREPARED of
# a transaction prepared before the library was preloaded, the extension
# re-created without its trigger and written.  Each
# case first shows that A answers from the cache (its hit count moves), so
# that a stale answer would fail the test.  Also: look-alikes planted in
# the extension's schema by a role allowed to CREATE there, and lock and
# statement timeouts during the lookups keeping the key and token out of
# the server log.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use JwtSession;

my $node = PostgreSQL::Test::Cluster->new('denylist_cache');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'jwt'
max_prepared_transactions = 2
log_statement = none
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION jwt');

# A psql session kept open: ->(SQL) runs it and returns (stdout, stderr).
sub session { return psql_session($node, @_); }

my $a = session();
my $b = session();

sub A { my ($o) = $a->(@_); return $o; }
sub B { my ($o, $e) = $b->(@_); return $e eq '' ? $o : "ERROR: $e"; }

sub hits { return A('SELECT hits FROM jwt_denylist_cache_info()'); }

# claims of a token: jti, sub, iat
sub claims
{
	my ($jti, $sub, $iat) = @_;
	return "'{\"jti\":\"$jti\",\"sub\":\"$sub\",\"iat\":$iat}'::jsonb";
}

sub revoked { return A('SELECT jwt_is_revoked(' . claims(@_) . ')'); }

# Looks the claims up twice; the second time must come from the cache.
sub cached
{
	my ($name, @c) = @_;
	is(revoked(@c), 'f', "$name: not revoked");
	my $before = hits();
	is(revoked(@c), 'f', "$name: not revoked, again");
	is(hits(), $before + 1, "$name: answered from the cache");
}

is(A('SELECT active FROM jwt_denylist_cache_info()'), 't', 'the cache is active when preloaded');

cached('jwt_revoke', 'j1', 's1', 1000);
B("SELECT jwt_revoke('j1')");
is(revoked('j1', 's1', 1000), 't', 'jwt_revoke in another session reaches the cache');
is(revoked('j1', 's1', 1000), 't', 'a revoked token is never cached');

cached('jwt_revoke_subject', 'j2', 's2', 1000);
cached('later iat', 'j3', 's2', 3000);
B("SELECT jwt_revoke_subject('s2', to_timestamp(2000))");
is(revoked('j2', 's2', 1000), 't', 'jwt_revoke_subject reaches the cache');
is(revoked('j3', 's2', 3000), 'f', 'a token issued after issued_before stays valid');
B("UPDATE jwt_revoked_subjects SET issued_before = to_timestamp(4000) WHERE subject = 's2'");
is(revoked('j3', 's2', 3000), 't', 'an UPDATE of issued_before reaches the cache');

cached('open transaction', 'j4', 's4', 1000);
B('BEGIN');
B("SELECT jwt_revoke('j4')");
is(revoked('j4', 's4', 1000), 'f', 'an uncommitted revocation is not seen');
B('COMMIT');
is(revoked('j4', 's4', 1000), 't', 'it is seen once committed');

cached('own transaction', 'j5', 's5', 1000);
A('BEGIN');
A("SELECT jwt_revoke('j5')");
is(revoked('j5', 's5', 1000), 't', 'the session sees its own uncommitted revocation');
A('ROLLBACK');
is(revoked('j5', 's5', 1000), 'f', 'and not after rolling it back');
A('BEGIN');
A('SAVEPOINT s');
A("SELECT jwt_revoke('j5')");
A('ROLLBACK TO SAVEPOINT s');
A("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j5')");
is(revoked('j5', 's5', 1000), 't', 'nor after a savepoint rolled back');
A('COMMIT');

cached('plain INSERT', 'j6', 's6', 1000);
B("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j6')");
is(revoked('j6', 's6', 1000), 't', 'a plain INSERT by the owner reaches the cache');

cached('replica role', 'j7', 's7', 1000);
B("SET session_replication_role = replica");
B("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j7')");
B("RESET session_replication_role");
is(revoked('j7', 's7', 1000), 't', 'an INSERT under session_replication_role = replica reaches the cache');

B('CREATE ROLE revoker LOGIN');
B('GRANT INSERT ON jwt_revoked_tokens TO revoker');
is(B("SELECT has_function_privilege('revoker', 'jwt_denylist_changed()', 'EXECUTE')"),
	'f', 'the trigger function is not executable by others');
cached('granted role', 'j8', 's8', 1000);
is(B("SET ROLE revoker; INSERT INTO jwt_revoked_tokens (jti) VALUES ('j8'); RESET ROLE"),
	'', 'a role granted INSERT revokes by hand');
is(revoked('j8', 's8', 1000), 't', 'that reaches the cache');

A('BEGIN');
cached('trigger disabled', 'j9', 's9', 1000);
B('ALTER TABLE jwt_revoked_tokens DISABLE TRIGGER jwt_denylist_changed');
B("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j9')");
B('ALTER TABLE jwt_revoked_tokens ENABLE ALWAYS TRIGGER jwt_denylist_changed');
is(revoked('j9', 's9', 1000), 'f',
	'with the trigger disabled, a transaction open across the load keeps its cached answer (documented)');
B('SELECT jwt_denylist_cache_invalidate()');
is(revoked('j9', 's9', 1000), 't', 'jwt_denylist_cache_invalidate() reaches every session at once');
A('COMMIT');
cached('trigger disabled, then a new transaction', 'j9b', 's9', 1000);
B('ALTER TABLE jwt_revoked_tokens DISABLE TRIGGER jwt_denylist_changed');
B("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j9b')");
B('ALTER TABLE jwt_revoked_tokens ENABLE ALWAYS TRIGGER jwt_denylist_changed');
is(revoked('j9b', 's9', 1000), 't', 'the next transaction forgets what was cached before the trigger changed');
like(B("SET ROLE revoker; SELECT jwt_denylist_cache_invalidate()"),
	qr/ERROR:  permission denied for function jwt_denylist_cache_invalidate/,
	'jwt_denylist_cache_invalidate is not for everyone');
B('RESET ROLE');

# PREPARE TRANSACTION: refused after a write to the denylist only
like(B("BEGIN; SELECT jwt_revoke('j10'); PREPARE TRANSACTION 'p1'"),
	qr/cannot PREPARE a transaction that changed the jwt denylist/,
	'PREPARE TRANSACTION after a revocation is refused');
B('ROLLBACK');
is(B("SELECT count(*) FROM jwt_revoked_tokens WHERE jti = 'j10'"), '0', 'and nothing was revoked');
is(B("BEGIN; SELECT jwt_consume_jti('c1', now() + interval '1 hour'); PREPARE TRANSACTION 'p2'"),
	'ok', 'a prepared transaction that only consumes a jti is fine');
B("ROLLBACK PREPARED 'p2'");

# cases that do not use the cache
A('BEGIN ISOLATION LEVEL SERIALIZABLE');
my $h = hits();
revoked('j11', 's11', 1000) for 1 .. 3;
is(hits(), $h, 'SERIALIZABLE transactions do not use the cache');
A('COMMIT');
A('SET jwt.denylist_cache_size = 0');
$h = hits();
revoked('j11', 's11', 1000) for 1 .. 3;
is(hits(), $h, 'jwt.denylist_cache_size = 0 turns it off');
is(A('SELECT entries FROM jwt_denylist_cache_info()'), '0', 'and frees it');
A('RESET jwt.denylist_cache_size');
like(B("SET ROLE revoker; SET jwt.denylist_cache_size = 0"),
	qr/ERROR:  permission denied to set parameter "jwt.denylist_cache_size"/,
	'jwt.denylist_cache_size is for superusers');
B('RESET ROLE');

# a trigger not as the install script made it: the cache is not used
for my $change ('ENABLE TRIGGER jwt_denylist_changed', 'DISABLE TRIGGER jwt_denylist_changed')
{
	B("ALTER TABLE jwt_revoked_subjects $change");
	A('SELECT 1');    # a new transaction takes the relcache invalidation
	$h = hits();
	revoked('j13', 's13', 1000) for 1 .. 3;
	is(hits(), $h, "with the trigger changed ($change) the cache is not used");
	B('ALTER TABLE jwt_revoked_subjects ENABLE ALWAYS TRIGGER jwt_denylist_changed');
}
cached('trigger restored', 'j13', 's13', 1000);

# through jwt_authenticate
my $key = "'authenticate-secret-0123456789abcdef0123456789'";
my $tok = B(
	"SELECT jwt_sign(jsonb_build_object('sub', 'u12', 'jti', 'j12', 'iat', 1000, 'exp', extract(epoch FROM now())::int + 3600), $key)"
);
my $auth = "SELECT jwt_authenticate('$tok', $key, algorithms => '{HS256}')->>'jti'";
is(A($auth), 'j12', 'jwt_authenticate accepts the token');
$h = hits();
is(A($auth), 'j12', 'again');
is(hits(), $h + 1, 'the second time from the cache');
B("SELECT jwt_revoke('j12')");
my ($o, $e) = $a->($auth);
like($e, qr/revoked/, 'jwt_authenticate refuses it once revoked elsewhere');

# A lookup in a transaction that deleted revocations sees the deletions:
# its "not revoked" must not outlive a rollback of the deletion.
cached('own deletion', 'j14', 's14', 1000);
B("SELECT jwt_revoke('j14')");
is(revoked('j14', 's14', 1000), 't', 'revoked');
A('BEGIN');
A("DELETE FROM jwt_revoked_tokens WHERE jti = 'j14'");
is(revoked('j14', 's14', 1000), 'f', 'not revoked in the transaction that deleted it');
A('ROLLBACK');
is(revoked('j14', 's14', 1000), 't', 'revoked again once the deletion rolled back');
A('BEGIN');
A('SAVEPOINT s');
A('TRUNCATE jwt_revoked_tokens');
is(revoked('j14', 's14', 1000), 'f', 'not revoked after an uncommitted TRUNCATE');
A('ROLLBACK TO SAVEPOINT s');
is(revoked('j14', 's14', 1000), 't', 'revoked after rolling the TRUNCATE back');
A('COMMIT');
is(revoked('j14', 's14', 1000), 't', 'and after the commit');
B("UPDATE jwt_revoked_subjects SET issued_before = to_timestamp(500) WHERE subject = 's2'");
A('BEGIN');
A("UPDATE jwt_revoked_subjects SET issued_before = to_timestamp(100) WHERE subject = 's2'");
is(revoked('j2', 's2', 200), 'f', 'an uncommitted UPDATE that narrows a revocation is seen');
A('ROLLBACK');
is(revoked('j2', 's2', 200), 't', 'and its rollback');

# Every other way of writing the denylist, one at a time: COPY, MERGE,
# a writable CTE, a rule, a procedure that commits in its body.
B(q{CREATE VIEW revoke_here AS SELECT 1 AS x WHERE false;
	CREATE RULE r AS ON INSERT TO revoke_here DO INSTEAD
		INSERT INTO jwt_revoked_tokens (jti) VALUES ('j20-rule')});
B(q{CREATE PROCEDURE revoke_and_commit(j text) LANGUAGE plpgsql AS $$
	BEGIN INSERT INTO jwt_revoked_tokens (jti) VALUES (j); COMMIT; END $$});
my @paths = (
	[ 'COPY', q{COPY jwt_revoked_tokens (jti) FROM PROGRAM 'echo j20-copy'}, 'j20-copy' ],
	[ 'MERGE', q{MERGE INTO jwt_revoked_tokens t USING (VALUES ('j20-merge')) v(j) ON t.jti = v.j
		WHEN NOT MATCHED THEN INSERT (jti) VALUES (v.j)}, 'j20-merge' ],
	[ 'writable CTE', q{WITH i AS (INSERT INTO jwt_revoked_tokens (jti) VALUES ('j20-cte') RETURNING 1)
		SELECT count(*) FROM i}, 'j20-cte' ],
	[ 'rule', 'INSERT INTO revoke_here VALUES (1)', 'j20-rule' ],
	[ 'procedure with COMMIT', q{CALL revoke_and_commit('j20-proc')}, 'j20-proc' ],
	[ 'INSERT ON CONFLICT DO UPDATE', q{INSERT INTO jwt_revoked_subjects (subject, issued_before)
		VALUES ('s2', to_timestamp(9000)) ON CONFLICT (subject) DO UPDATE SET issued_before = excluded.issued_before},
		'j20-upsert', 's2', 5000 ]);
for my $p (@paths)
{
	my ($name, $sql, $jti, $sub, $iat) = @$p;
	cached($name, $jti, $sub // 's20', $iat // 1000);
	like(B($sql), qr/^(\d*)$/, "$name: done");
	is(revoked($jti, $sub // 's20', $iat // 1000), 't', "$name: reaches the cache");
}

# Logical replication: the apply worker fires row triggers only, never
# statement triggers.  A publisher without the library preloaded, so that
# its own writes move nothing here.
my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->append_conf('postgresql.conf', 'max_prepared_transactions = 2');
$pub->start;
$pub->safe_psql('postgres',
	'CREATE EXTENSION jwt; CREATE PUBLICATION denylist FOR TABLE jwt_revoked_tokens, jwt_revoked_subjects');
(my $pubconn = $pub->connstr('postgres')) =~ s/'/''/g;
is(B("SET client_min_messages = warning; CREATE SUBSCRIPTION denylist CONNECTION '$pubconn' PUBLICATION denylist WITH (copy_data = false, two_phase = true)"),
	'', 'a subscription to the denylist of another server');
$node->wait_for_subscription_sync($pub, 'denylist');
cached('logical replication', 'j21', 's21', 1000);
cached('logical replication of a subject', 'j22', 's22', 1000);
$pub->safe_psql('postgres', "SELECT jwt_revoke('j21')");
$pub->wait_for_catchup('denylist');
is(B("SELECT count(*) FROM jwt_revoked_tokens WHERE jti = 'j21'"), '1', 'the revocation is replicated');
is(revoked('j21', 's21', 1000), 't', 'a replicated revocation reaches the cache');
$pub->safe_psql('postgres', "SELECT jwt_revoke_subject('s22', to_timestamp(2000))");
$pub->wait_for_catchup('denylist');
is(revoked('j22', 's22', 1000), 't', 'a replicated subject revocation reaches the cache');
# two_phase: the apply of a prepared revocation is refused as PREPARE is
my $logpos = -s $node->logfile;
$pub->safe_psql('postgres', "BEGIN; SELECT jwt_revoke('j25'); PREPARE TRANSACTION 'p5'");
$node->wait_for_log(qr/cannot PREPARE a transaction that changed the jwt denylist/, $logpos);
is(B("SELECT count(*) FROM pg_prepared_xacts"), '0', 'the apply of a prepared revocation is refused');
$pub->safe_psql('postgres', "COMMIT PREPARED 'p5'");
B('DROP SUBSCRIPTION denylist; RESET client_min_messages');
$pub->stop;

# A database whose extension is still 0.1.1 (no trigger) runs the same
# library: its denylist checks must not use the cache.
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', "CREATE EXTENSION jwt VERSION '0.1.1'");
my $old = session('old');
my $oldauth = "SELECT jwt_authenticate('$tok', $key, algorithms => '{HS256}')->>'jti'";
$old->("SELECT jwt_revoke('j12')");    # that database's own denylist
my ($o1, $e1) = $old->($oldauth);
like($e1, qr/revoked/, 'the 0.1.1 database refuses its revoked token');
$old->("DELETE FROM jwt_revoked_tokens");
($o1) = $old->($oldauth);
is($o1, 'j12', 'and accepts it once deleted');
($o1) = $old->('SELECT hits FROM jwt_denylist_cache_info()');
is($o1, '', 'jwt_denylist_cache_info does not exist there');
($o1) = $old->($oldauth);
$node->safe_psql('old', "INSERT INTO jwt_revoked_tokens (jti) VALUES ('j12')");
my ($o2, $e2) = $old->($oldauth);
like($e2, qr/revoked/, 'without the trigger a revocation is seen by the next call (no cache)');
$node->safe_psql('old', "DELETE FROM jwt_revoked_tokens; ALTER EXTENSION jwt UPDATE");
$old->($oldauth);
$old->($oldauth);
($o1) = $old->('SELECT hits > 0 FROM jwt_denylist_cache_info()');
is($o1, 't', 'after ALTER EXTENSION UPDATE the cache is used there');

# The extension dropped and created again at 0.1.1 (no trigger), written,
# then updated: entries cached from the tables that went away must not
# answer for the new ones, which were written unseen.
$node->safe_psql('postgres', 'CREATE DATABASE recreate');
$node->safe_psql('recreate', 'CREATE EXTENSION jwt');
my $re = session('recreate');
my $recheck = q{SELECT jwt_is_revoked('{"jti":"j26","sub":"s26","iat":1000}')};
$re->($recheck);
($o1) = $re->($recheck);
is($o1, 'f', 'not revoked in another database');
($o1) = $re->('SELECT hits FROM jwt_denylist_cache_info()');
is($o1, '1', 'answered from the cache');
$node->safe_psql('recreate',
	"DROP EXTENSION jwt; CREATE EXTENSION jwt VERSION '0.1.1'; INSERT INTO jwt_revoked_tokens (jti) VALUES ('j26'); ALTER EXTENSION jwt UPDATE"
);
($o1) = $re->($recheck);
is($o1, 't', 'a revocation written while the extension had no trigger is seen once it has one again');

# A transaction that revoked and was prepared while the library was not
# preloaded (nothing refused PREPARE then), committed once it is
$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "''");
$node->restart;
$node->safe_psql('postgres', "BEGIN; SELECT jwt_revoke('j23'); PREPARE TRANSACTION 'p3'");
$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "'jwt'");
$node->restart;
$a = session();
$b = session();
cached('a revocation prepared before preloading', 'j23', 's23', 1000);
is(B("COMMIT PREPARED 'p3'"), '', 'COMMIT PREPARED');
is(revoked('j23', 's23', 1000), 't', 'a revocation made visible by COMMIT PREPARED reaches the cache');
like(B("COMMIT PREPARED 'p3'"), qr/does not exist/, 'a COMMIT PREPARED that fails');
cached('after a failed COMMIT PREPARED', 'j24', 's24', 1000);
# Any role may try COMMIT PREPARED: one refused for want of a prepared
# transaction (or of the right to it) must not empty everyone's cache
$node->safe_psql('postgres', "BEGIN; SELECT jwt_consume_jti('c2', now() + interval '1 hour'); PREPARE TRANSACTION 'p4'");
my $hits = hits();
like(B("SET ROLE revoker; COMMIT PREPARED 'nope'"), qr/does not exist/, 'COMMIT PREPARED of nothing, by anyone');
B('RESET ROLE');
like(B("SET ROLE revoker; COMMIT PREPARED 'p4'"), qr/permission denied/, 'COMMIT PREPARED of another role\'s transaction');
B('RESET ROLE');
is(revoked('j24', 's24', 1000), 'f', 'still not revoked');
is(hits(), $hits + 1, 'and still from the cache');
B("ROLLBACK PREPARED 'p4'");

# A deadlock in the lookups.  PostgreSQL's report of it lists the query of
# every process in the cycle for the server log (errdetail_log): that of
# jwt_authenticate holds its token and key.  Neither may reach the log,
# whichever of the two processes detects the deadlock.  A holds the lock
# of jwt_revoked_tokens (a lookup by jti alone in its transaction); C
# locks jwt_revoked_subjects, then waits for jwt_revoked_tokens; A's
# jwt_authenticate then waits for jwt_revoked_subjects.
my $dl_secret = 'DeadlockReportSecret0123456789abcdef';
my $dl_n = 0;

# One deadlock: "$what" names it in the tests, A and C wait $a_ms and $c_ms
# before they look for one, C takes its two locks with @c_locks, and
# $a_call->(token, key) is A's call.
sub deadlock
{
	my ($what, $a_ms, $c_ms, $a_call, @c_locks) = @_;
	$dl_n++;
	my $token = A(qq{SELECT jwt_sign('{"jti":"dl$dl_n","sub":"dls$dl_n","iat":1000}', '$dl_secret', 'HS256')});
	my ($signature) = $token =~ /\.([^.]+)$/;
	my $offset = -s $node->logfile;
	A(qq{SELECT jwt_is_revoked('{"jti":"dl-warm$dl_n"}')});
	A("SET deadlock_timeout = '${a_ms}ms'");
	A('BEGIN');
	A(qq{SELECT jwt_is_revoked('{"jti":"dl-first$dl_n"}')});
	my ($in, $out, $err) = (
		"SET deadlock_timeout = '${c_ms}ms';\nBEGIN;\n"
		  . join('', map { "$_;\n" } @c_locks) . "ROLLBACK;\n",
		'', '');
	my $c = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$c->pump while length $in;
	$node->poll_query_until('postgres',
		"SELECT EXISTS (SELECT FROM pg_locks WHERE NOT granted AND relation = 'jwt_revoked_tokens'::regclass)")
	  or die 'the other session does not wait';
	$a->($a_call->($token, $dl_secret));
	A('ROLLBACK');
	A('RESET deadlock_timeout');
	$c->finish;
	my $log = slurp_file($node->logfile, $offset);
	like($log, qr/deadlock detected/, $what);
	unlike($log, qr/\Q$dl_secret\E/, "$what: the key is not in the server log");
	unlike($log, qr/\Q$signature\E/, "$what: the token is not in the server log");
	return;
}

for my $detector ('the session in jwt_authenticate', 'the other session')
{
	deadlock(
		"deadlock detected by $detector",
		$detector eq 'the other session' ? (60000, 100) : (100, 60000),
		sub { "SELECT jwt_authenticate('$_[0]', '$_[1]', '{HS256}') IS NOT NULL" },
		'LOCK jwt_revoked_subjects IN ACCESS EXCLUSIVE MODE',
		'LOCK jwt_revoked_tokens IN ACCESS EXCLUSIVE MODE');
}

# The same deadlock when the session in jwt_authenticate runs it through
# EXECUTE of a prepared statement, whose text holds the token and key but
# not the function's name, and the other session, which detects the
# deadlock, takes its locks in functions of its own (its queries name no
# jwt_ either): it cannot see the other session's prepared statements.
$node->safe_psql('postgres',
	"CREATE FUNCTION lock_subjects() RETURNS void LANGUAGE sql AS 'LOCK jwt_revoked_subjects IN ACCESS EXCLUSIVE MODE';"
	  . "CREATE FUNCTION lock_tokens() RETURNS void LANGUAGE sql AS 'LOCK jwt_revoked_tokens IN ACCESS EXCLUSIVE MODE'"
);
A(q{PREPARE auth(text, text) AS SELECT jwt_authenticate($1, $2, '{HS256}') IS NOT NULL});
deadlock(
	'deadlock with an EXECUTE detected by the other session',
	60000, 100,
	sub { "EXECUTE auth('$_[0]', '$_[1]')" },
	'SELECT lock_subjects()', 'SELECT lock_tokens()');
A('DEALLOCATE auth');

# An unprivileged role, member of a role granted INSERT through two levels
# of inheritance and allowed to CREATE in the extension's schema, plants
# look-alikes there (a trigger of the same name on a table of its own, an
# overload of the trigger function, an operator = for text before
# pg_catalog in its search_path), then revokes by hand: the cache of
# another session still learns of it, and its own session does too.
B('CREATE ROLE dl_base');
B('CREATE ROLE dl_mid IN ROLE dl_base');
B('CREATE ROLE dl_att LOGIN IN ROLE dl_mid');
B('GRANT INSERT ON jwt_revoked_tokens TO dl_base');
B('GRANT CREATE ON SCHEMA public TO dl_base');
is( B(  q{SET ROLE dl_att;
CREATE TABLE public.dl_own (jti text);
CREATE FUNCTION public.dl_own_trig() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER jwt_denylist_changed BEFORE INSERT OR UPDATE ON public.dl_own
	FOR EACH ROW EXECUTE FUNCTION public.dl_own_trig();
ALTER TABLE public.dl_own ENABLE ALWAYS TRIGGER jwt_denylist_changed;
CREATE FUNCTION public.jwt_denylist_changed(text) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION public.dl_eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.dl_eq);
RESET ROLE}),
	'', 'look-alikes planted in the extension\'s schema');
my $att = session();
$att->('SET search_path = public, pg_catalog');
cached('look-alikes planted', 'j20', 's20', 1000);
is(($att->(q{SELECT jwt_is_revoked('{"jti":"j20"}')}))[0], 'f', 'the attacker\'s session looks j20 up');
is(($att->(q{SELECT jwt_is_revoked('{"jti":"j20"}')}))[0], 'f', 'twice');
is(($att->("INSERT INTO jwt_revoked_tokens (jti) VALUES ('j20')"))[1], '',
	'a role granted INSERT through two levels of membership revokes by hand');
is(revoked('j20', 's20', 1000), 't', 'the look-alikes do not keep it from the cache of another session');
is(($att->(q{SELECT jwt_is_revoked('{"jti":"j20"}')}))[0], 't', 'nor from the attacker\'s own session');
is(($att->(q{SELECT jwt_is_revoked('{"jti":"j90"}')}))[0], 'f',
	'the planted operator = is not used by the lookups');

# lock_timeout and statement_timeout raised during the lookups: neither
# the key nor the token reaches the server log, the statement's text
# included (it names the extension's functions: errors.c hides it).
{
	my $token = A(qq{SELECT jwt_sign('{"jti":"j91","sub":"s91","iat":1000}', '$dl_secret', 'HS256')});
	my ($signature) = $token =~ /\.([^.]+)$/;
	my $offset = -s $node->logfile;
	B('BEGIN');
	B('LOCK TABLE jwt_revoked_tokens IN ACCESS EXCLUSIVE MODE');
	A("SET lock_timeout = '100ms'");
	my ($o, $e) = $a->(qq{SELECT jwt_authenticate('$token', '$dl_secret', '{HS256}') IS NOT NULL});
	like($e, qr/lock timeout/, 'a lock timeout during the lookups');
	A('RESET lock_timeout');
	A("SET statement_timeout = '100ms'");
	($o, $e) = $a->(qq{SELECT jwt_authenticate('$token', '$dl_secret', '{HS256}') IS NOT NULL});
	like($e, qr/statement timeout/, 'a statement timeout during the lookups');
	A('RESET statement_timeout');
	B('ROLLBACK');
	my $log = slurp_file($node->logfile, $offset);
	like($log, qr/lock timeout/, 'the lock timeout is in the server log');
	unlike($log, qr/\Q$dl_secret\E/, 'timeouts: the key is not in the log');
	unlike($log, qr/\Q$signature\E/, 'timeouts: the token is not in the log');
	unlike($log, qr/STATEMENT:/, 'timeouts: nor the statement');
}

$node->stop;
done_testing();
