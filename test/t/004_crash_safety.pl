# test/t/004_crash_safety.pl: crash recovery in the middle of a mixed load.
#
# 8 clients, each a psql session driven by a process of its own, run a
# mixed load on one server: refresh token logins (jwt_refresh_login, with
# stored claims and session limits), rotations (with and
# without a grace window), retries within the window (the same successor
# again), replays outside it (a detected reuse, which revokes the family),
# logouts, jwt_consume of single-use tokens (and a second presentation,
# refused), jwt_revoke and jwt_revoke_subject.  Each client owns its
# families, ids and subjects, and writes to a file of its own a SENT line
# before each operation and an ACK line once the answer came back (in
# autocommit, after the COMMIT).  In the middle of the load the server is
# stopped in immediate mode, as a crash would stop it, and started again;
# this is done twice (crash points in two rounds of load).
#
# After each recovery:
# - the invariants of the table hold for every family: one chain of
#   contiguous generations whose parent hashes link, each used token with
#   exactly one successor, at most one unused token, a revoked family
#   revoked in every row, one set of session claims and limits per family
#   and no token outliving its session, and the shapes the guard trigger
#   enforces;
# - the indexes agree with the tables (amcheck, heapallindexed);
# - per client, the database holds exactly the state its acknowledged
#   operations built, plus the one operation it had in flight either wholly
#   done or not at all (a rotation: its token used and one successor, or
#   neither; a reuse or logout: every row of the family revoked, or none);
# - every acknowledged consumption and revocation is there, and nothing
#   that was never sent.
# At the end the recovered state still behaves: live families rotate,
# revoked ones answer "revoked", consumed tokens are refused, revoked ids
# and subjects are on the denylist, and the guard trigger still refuses
# forbidden changes.  No check depends on timing: the crash comes once
# every kind of operation was acknowledged at least once, and every check
# holds at any crash point.
#
# fsync is off (as the framework sets it): an immediate stop kills the
# server's processes, not the machine, so what was written survives.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use IPC::Run;
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $CLIENTS = 8;
my $ROUNDS = 2;
my $MIN_ACKS = 300;    # acknowledged operations before a crash, all clients
my $KEY = 'a secret of at least 32 bytes for HS256!';
my @KINDS =
  qw(ISSUE ROT RETRY REPLAY LOGOUT CONSUME CONSUME_AGAIN REVOKE REVSUB);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = none\nmax_connections = 30");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION jwt; CREATE EXTENSION amcheck');

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# ------------------------------------------------------------------ clients

# One client: runs operations until its session dies with the server.
# Lines of its file, tab-separated:
#   SENT op args...          before the statement is sent
#   ACK op args... answer    after its answer came back
#   BAD op args... answer    an answer other than the expected one (the
#                            client stops there)
sub client
{
	my ($round, $c, $file) = @_;
	srand(1000 * $round + $c);
	open my $log, '>', $file or die "$file: $!";
	$log->autoflush(1);

	my ($in, $out, $err) = ('', '', '');
	my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	my $h = IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', $node->connstr('postgres') ],
		'<', \$in, '>', \$out, '2>', \$err, $timer);
	my $n = 0;

	# Run one statement; return (stdout, stderr), or () when the session
	# ended first.
	my $run = sub {
		my ($sql) = @_;
		$n++;
		$in .= "$sql\n;\n\\echo '-- done $n'\n\\warn '-- done $n'\n";
		$timer->start;
		my $done = sub { $out =~ /-- done $n\n/ && $err =~ /-- done $n\n/ };
		eval {
			while (!$done->())
			{
				last unless $h->pumpable;
				$h->pump;
			}
		};
		return () unless $done->();
		(my $o = $out) =~ s/-- done $n\n//;
		(my $e = $err) =~ s/-- done $n\n//;
		($out, $err) = ('', '');
		chomp $o;
		return ($o, $e);
	};
	my $finish = sub {
		close $log;
		eval { $h->kill_kill; };
		_exit(0);
	};

	my @set = $run->("SET client_min_messages = error") or $finish->();
	@set = $run->("\\set VERBOSITY verbose") or $finish->();

	my $subject = "crash-$round-$c";
	my ($fam, @chain, @grace, @consumed);
	my $k = 0;
	while (1)
	{
		my ($op, @args, $sql, $want);
		my $r = rand();
		my @replayable = grep { $grace[$_] eq '0' } 1 .. $#grace;
		my $kind =
			$r < 0.12 ? 'RETRY'
		  : $r < 0.15 ? 'REPLAY'
		  : $r < 0.17 ? 'LOGOUT'
		  : $r < 0.55 ? 'ROT'
		  : $r < 0.70 ? 'CONSUME'
		  : $r < 0.75 ? 'CONSUME_AGAIN'
		  : $r < 0.90 ? 'REVOKE'
		  :             'REVSUB';
		$kind = 'ROT'
		  if ($kind eq 'RETRY' && !(@chain >= 2 && $grace[-1] ne '0'))
		  || ($kind eq 'REPLAY' && !@replayable);
		$kind = 'CONSUME' if $kind eq 'CONSUME_AGAIN' && !@consumed;
		$k++;
		if (!defined $fam)
		{
			($op, $sql) = ('ISSUE',
				"SELECT family_id || ' ' || refresh_token FROM jwt_refresh_login('$subject', '$KEY', claims => '{\"role\": \"r$c\"}', refresh_expires_in => '1 day', session_lifetime => '2 days', idle_timeout => '1 day')"
			);
			$want = qr/^\S+ \S+$/;
		}
		elsif ($kind eq 'RETRY')
		{
			# a retry within the grace window: the same successor again
			@args = ($fam, $chain[-2]);
			($op, $sql) = ('RETRY',
				"SELECT status || ' ' || coalesce(refresh_token, '-') FROM jwt_refresh_rotate('$chain[-2]', '$KEY', grace => '1 hour')"
			);
			$want = qr/^rotated \Q$chain[-1]\E$/;
		}
		elsif ($kind eq 'REPLAY')
		{
			# a replay outside the window: a reuse, the family is revoked
			my $i = $replayable[ int(rand(@replayable)) ];
			@args = ($fam, $chain[ $i - 1 ]);
			($op, $sql) = ('REPLAY',
				"SELECT status || ' ' || coalesce(refresh_token, '-') FROM jwt_refresh_rotate('$chain[$i - 1]', '$KEY', grace => '0')"
			);
			$want = qr/^reused -$/;
		}
		elsif ($kind eq 'LOGOUT')
		{
			@args = ($fam, $chain[-1]);
			($op, $sql) = ('LOGOUT', "SELECT jwt_refresh_revoke('$chain[-1]')");
			$want = qr/^1$/;
		}
		elsif ($kind eq 'ROT')
		{
			my $g = rand() < 0.5 ? '1 hour' : '0';
			@args = ($fam, $chain[-1], $g);
			($op, $sql) = ('ROT',
				"SELECT status || ' ' || coalesce(refresh_token, '-') FROM jwt_refresh_rotate('$chain[-1]', '$KEY', grace => '$g')"
			);
			$want = qr/^rotated \S+$/;
		}
		elsif ($kind eq 'CONSUME')
		{
			my $jti = "once-$round-$c-$k";
			my ($tok) = $run->(
				"SELECT jwt_sign(jsonb_build_object('jti', '$jti', 'sub', '$subject'), '$KEY', expires_in => '1 day')"
			) or $finish->();
			@args = ($jti, $tok);
			($op, $sql) =
			  ('CONSUME', "SELECT jwt_consume('$tok', '$KEY')->>'jti'");
			$want = qr/^\Q$jti\E$/;
		}
		elsif ($kind eq 'CONSUME_AGAIN')
		{
			my $again = $consumed[ int(rand(@consumed)) ];
			@args = @$again;
			($op, $sql) = ('CONSUME_AGAIN',
				"SELECT jwt_consume('$again->[1]', '$KEY')->>'jti'");
			$want = undef;    # an error: checked below
		}
		elsif ($kind eq 'REVOKE')
		{
			my $jti = "gone-$round-$c-$k";
			@args = ($jti);
			($op, $sql) = ('REVOKE',
				"SELECT jwt_revoke('$jti', now() + interval '1 day')");
			$want = qr/^t$/;
		}
		else
		{
			my $s = "banned-$round-$c-$k";
			@args = ($s);
			($op, $sql) = ('REVSUB', "SELECT jwt_revoke_subject('$s')");
			$want = qr/^t$/;
		}

		print $log join("\t", 'SENT', $op, @args), "\n";
		my ($o, $e) = $run->($sql) or $finish->();
		my $good =
		  defined $want
		  ? ($o =~ $want && $e !~ /ERROR:/)
		  : ($o eq '' && $e =~ /ERROR:  28000: / && $e =~ /reason: consumed/);
		if (!$good)
		{
			$e =~ s/\s+/ /g;
			print $log join("\t", 'BAD', $op, @args, "$o $e"), "\n";
			$finish->();
		}
		print $log join("\t", 'ACK', $op, @args, $o), "\n";

		if ($op eq 'ISSUE')
		{
			($fam, my $t0) = split / /, $o;
			@chain = ($t0);
			@grace = (undef);
		}
		elsif ($op eq 'ROT')
		{
			push @chain, (split / /, $o)[1];
			push @grace, $args[2];
		}
		elsif ($op eq 'REPLAY' || $op eq 'LOGOUT')
		{
			undef $fam;
		}
		elsif ($op eq 'CONSUME')
		{
			push @consumed, [@args];
		}
	}
}

# Start the clients of a round; return their pids and files.
sub start_clients
{
	my ($round) = @_;
	my (@pids, @files);
	for my $c (1 .. $CLIENTS)
	{
		my $file = "$tempdir/client-$round-$c.log";
		STDOUT->flush;
		STDERR->flush;
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0)
		{
			eval { client($round, $c, $file); };
			# a client that died: its reason for the failure report
			if (open my $fh, '>>', $file)
			{
				print $fh join("\t", 'BAD', 'DIED', $@ =~ s/\s+/ /gr), "\n";
				close $fh;
			}
			_exit(1);
		}
		push @pids, $pid;
		push @files, $file;
	}
	return (\@pids, \@files);
}

sub read_lines
{
	my ($file) = @_;
	return () unless -e $file;
	open my $fh, '<', $file or die "$file: $!";
	my @lines = map { chomp; [ split /\t/, $_, -1 ] } <$fh>;
	close $fh;
	return @lines;
}

# Acknowledged operations per kind, over the files.
sub ack_counts
{
	my %n = map { $_ => 0 } @KINDS;
	for my $file (@_)
	{
		$n{ $_->[1] }++ for grep { $_->[0] eq 'ACK' } read_lines($file);
	}
	return \%n;
}

# ------------------------------------------------------------------ the model

# What a client's acknowledged operations built, and the operation it had
# in flight (SENT without ACK), if any.
sub model
{
	my ($file) = @_;
	my (%fam, @order, %consumed, %revoked, %banned, $inflight, $bad);
	for my $l (read_lines($file))
	{
		my ($what, $op, @a) = @$l;
		if ($what eq 'SENT') { $inflight = [ $op, @a ]; next; }
		if ($what eq 'BAD') { $bad = join(' ', $op, @a); next; }
		undef $inflight;
		if ($op eq 'ISSUE')
		{
			my ($f, $t0) = split / /, $a[0];
			$fam{$f} = { tokens => [$t0], reason => '-' };
			push @order, $f;
		}
		elsif ($op eq 'ROT')
		{
			push @{ $fam{ $a[0] }{tokens} }, (split / /, $a[3])[1];
		}
		elsif ($op eq 'REPLAY') { $fam{ $a[0] }{reason} = 'reuse'; }
		elsif ($op eq 'LOGOUT') { $fam{ $a[0] }{reason} = 'logout'; }
		elsif ($op eq 'CONSUME') { $consumed{ $a[0] } = $a[1]; }
		elsif ($op eq 'REVOKE') { $revoked{ $a[0] } = 1; }
		elsif ($op eq 'REVSUB') { $banned{ $a[0] } = 1; }
	}
	return {
		fam => \%fam,
		order => \@order,
		consumed => \%consumed,
		revoked => \%revoked,
		banned => \%banned,
		inflight => $inflight,
		bad => $bad
	};
}

# A family as text: "generation:hash:used:reason" per row, with "?" for a
# hash the client never got (a successor whose rotation was not
# acknowledged).
sub family_text
{
	my ($rows) = @_;
	return join(' ', map { join(':', @$_) } @$rows);
}

# The refresh families of a client as the model says, without and with its
# operation in flight: two sorted lists of family texts.
sub expected_families
{
	my ($m) = @_;
	my %rows;
	for my $f (keys %{ $m->{fam} })
	{
		my $t = $m->{fam}{$f}{tokens};
		$rows{$f} = [
			map {
				[ $_, sha256_hex($t->[$_]), ($_ < $#$t ? 't' : 'f'),
					$m->{fam}{$f}{reason} ]
			} 0 .. $#$t
		];
	}
	my $before = [ sort map { family_text($_) } values %rows ];
	my %after = map { $_ => [ map { [@$_] } @{ $rows{$_} } ] } keys %rows;
	my $extra;
	my $op = $m->{inflight};
	if ($op && $op->[0] eq 'ISSUE')
	{
		$extra = [ [ 0, '?', 'f', '-' ] ];
	}
	elsif ($op && $op->[0] eq 'ROT')
	{
		my $r = $after{ $op->[1] };
		$r->[-1][2] = 't';
		push @$r, [ scalar(@$r), '?', 'f', '-' ];
	}
	elsif ($op && ($op->[0] eq 'REPLAY' || $op->[0] eq 'LOGOUT'))
	{
		$_->[3] = ($op->[0] eq 'REPLAY' ? 'reuse' : 'logout')
		  for @{ $after{ $op->[1] } };
	}
	my $after =
	  [ sort((map { family_text($_) } values %after),
		  ($extra ? family_text($extra) : ())) ];
	return ($before, $after);
}

# The same from the database, for a subject.
sub db_families
{
	my ($subject, $known) = @_;
	my %rows;
	for my $line (
		split /\n/,
		$node->safe_psql(
			'postgres',
			"SELECT family_id, generation, encode(token_hash, 'hex'), used_at IS NOT NULL, coalesce(revoked_reason, '-') "
			  . "FROM refresh_tokens WHERE subject = '$subject' ORDER BY family_id, generation"
		))
	{
		my ($f, $g, $h, $used, $reason) = split /\|/, $line;
		push @{ $rows{$f} }, [ $g, ($known->{$h} ? $h : '?'), $used, $reason ];
	}
	return [ sort map { family_text($_) } values %rows ];
}

sub db_set
{
	my ($sql) = @_;
	return { map { $_ => 1 } split /\n/, $node->safe_psql('postgres', $sql) };
}

sub same_set
{
	my ($a, $b) = @_;
	return join("\n", sort keys %$a) eq join("\n", sort keys %$b);
}

# Per client: the database holds what the acknowledged operations did, and
# the operation in flight wholly or not at all.
sub check_client
{
	my ($round, $c, $file) = @_;
	my $m = model($file);
	my $subject = "crash-$round-$c";
	my %known = map { sha256_hex($_) => 1 }
	  map { @{ $_->{tokens} } } values %{ $m->{fam} };
	my ($before, $after) = expected_families($m);
	my $db = db_families($subject, \%known);
	my $fams_ok = "@$db" eq "@$before" || "@$db" eq "@$after";

	my $op = $m->{inflight} // [''];
	my $ids_ok = 1;
	for my $set (
		[ 'CONSUME', $m->{consumed}, "SELECT jti FROM jwt_consumed_tokens WHERE jti LIKE 'once-$round-$c-%'" ],
		[ 'REVOKE', $m->{revoked}, "SELECT jti FROM jwt_revoked_tokens WHERE jti LIKE 'gone-$round-$c-%'" ],
		[ 'REVSUB', $m->{banned}, "SELECT subject FROM jwt_revoked_subjects WHERE subject LIKE 'banned-$round-$c-%'" ])
	{
		my ($kind, $acked, $sql) = @$set;
		my $in_db = db_set($sql);
		my %with = %$acked;
		$with{ $op->[1] } = 1 if $op->[0] eq $kind;
		next if same_set($in_db, $acked) || same_set($in_db, \%with);
		$ids_ok = 0;
		diag "$kind: in the database but never sent: "
		  . join(' ', grep { !$with{$_} } sort keys %$in_db)
		  . "; acknowledged but not in the database: "
		  . join(' ', grep { !$in_db->{$_} } sort keys %$acked);
	}
	my $nops = () = grep { $_->[0] eq 'ACK' } read_lines($file);
	ok( $fams_ok && $ids_ok,
		"round $round client $c: its $nops acknowledged operations are in the database, and the one in flight ("
		  . ($op->[0] || 'none')
		  . ") wholly or not at all");
	if (!$fams_ok)
	{
		my %expected = map { $_ => 1 } @$before, @$after;
		my %in_db = map { $_ => 1 } @$db;
		my $short = sub { join("\n  ", map { s/([0-9a-f]{8})[0-9a-f]{56}/$1/gr } @_) };
		diag "families in the database, as neither state expects them:\n  "
		  . $short->(grep { !$expected{$_} } @$db);
		diag "families the acknowledged operations built, not in the database:\n  "
		  . $short->(grep { !$in_db{$_} } @$before);
	}
	return $m;
}

# The invariants of the whole table and the indexes.
sub check_invariants
{
	my ($when) = @_;
	my %checks = (
		'at most one unused token per family' => q{
			SELECT family_id FROM refresh_tokens GROUP BY family_id
			HAVING count(*) FILTER (WHERE used_at IS NULL) > 1},
		'generations are contiguous from 0, with one subject and login time per family' => q{
			SELECT family_id FROM refresh_tokens GROUP BY family_id
			HAVING min(generation) <> 0 OR max(generation) <> count(*) - 1
				OR count(DISTINCT generation) <> count(*)
				OR count(DISTINCT subject) <> 1 OR count(DISTINCT issued_at) <> 1},
		'parent hashes chain: generation 0 has none, every other row the used row one generation before in its family' => q{
			SELECT t.token_hash FROM refresh_tokens t
			LEFT JOIN refresh_tokens p ON p.token_hash = t.parent_hash
			WHERE (t.generation = 0) <> (t.parent_hash IS NULL)
			   OR (t.generation > 0 AND (p.token_hash IS NULL OR p.family_id <> t.family_id
					OR p.generation <> t.generation - 1 OR p.subject <> t.subject OR p.used_at IS NULL))},
		'every used token has exactly one successor (no parent marked used without it)' => q{
			SELECT p.token_hash FROM refresh_tokens p
			WHERE p.used_at IS NOT NULL
			  AND (SELECT count(*) FROM refresh_tokens s WHERE s.parent_hash = p.token_hash) <> 1},
		'a revoked family is revoked in every row, with one reason' => q{
			SELECT family_id FROM refresh_tokens GROUP BY family_id
			HAVING bool_or(revoked_at IS NOT NULL)
			   AND (bool_or(revoked_at IS NULL) OR count(DISTINCT revoked_reason) <> 1)},
		'one set of session claims and limits per family, no token outliving its session' => q{
			SELECT family_id FROM refresh_tokens GROUP BY family_id
			HAVING count(DISTINCT coalesce(access_claims::text, '-')) <> 1
				OR count(DISTINCT coalesce(session_expires_at::text, '-')) <> 1
				OR count(DISTINCT coalesce(idle_timeout::text, '-')) <> 1
				OR bool_or(expires_at > session_expires_at)},
		"the guard trigger's shapes: 32-byte hashes and keys, revoked_at and revoked_reason together, used before expiry" => q{
			SELECT token_hash FROM refresh_tokens
			WHERE octet_length(token_hash) <> 32
			   OR coalesce(octet_length(parent_hash), 32) <> 32
			   OR coalesce(octet_length(retry_key), 32) <> 32
			   OR (revoked_at IS NULL) <> (revoked_reason IS NULL)
			   OR used_at > expires_at OR used_at < created_at});
	for my $name (sort keys %checks)
	{
		my $bad = $node->safe_psql('postgres',
			"SELECT count(*) FROM ($checks{$name}) bad");
		is($bad, '0', "$when: $name")
		  or diag "offending rows (up to 5):\n"
		  . $node->safe_psql('postgres',
			"SELECT * FROM ($checks{$name}) bad LIMIT 5");
	}
	# bt_index_check raises an error on an inconsistency
	my ($ret, $out, $err) = $node->psql(
		'postgres', q{
		SELECT count(bt_index_check(i.indexrelid, true)) || '/' || count(*)
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
		 WHERE a.amname = 'btree'
		   AND i.indrelid IN ('refresh_tokens'::regclass, 'jwt_consumed_tokens'::regclass,
							  'jwt_revoked_tokens'::regclass, 'jwt_revoked_subjects'::regclass)});
	ok($ret == 0 && $out =~ m{^([1-9][0-9]*)/\1$},
		"$when: amcheck finds the indexes of the token tables consistent with their rows ($out)"
	) or diag $err;
	return;
}

# ------------------------------------------------------------------ rounds

my %models;    # "round-client" => model, of every round so far
for my $round (1 .. $ROUNDS)
{
	my ($pids, $files) = start_clients($round);

	# Let the load run until every kind of operation was acknowledged and
	# there were at least $MIN_ACKS acknowledgements (or every client
	# stopped), then crash in the middle of it.
	my $n;
	my @running = @$pids;
	my $guard = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
	while (1)
	{
		$n = ack_counts(@$files);
		my $total = 0;
		$total += $_ for values %$n;
		last if $total >= $MIN_ACKS && !grep { $n->{$_} == 0 } @KINDS;
		@running = grep { waitpid($_, WNOHANG) == 0 } @running;
		last if !@running;
		last if $guard->is_expired;
		usleep(100_000);
	}
	my $offset = -s $node->logfile;
	$node->stop('immediate');
	waitpid($_, 0) for @running;

	$n = ack_counts(@$files);
	ok( !grep({ $n->{$_} == 0 } @KINDS),
		"round $round: every kind of operation was acknowledged before the crash ("
		  . join(', ', map { "$n->{$_} $_" } @KINDS) . ')');
	my @bad = grep { defined } map { model($_)->{bad} } @$files;
	is(scalar(@bad), 0,
		"round $round: every operation got the answer it expects (retries the same successor, replays a reuse, second consumptions 28000)"
	) or diag join("\n", @bad);

	$node->start;
	like(
		slurp_file($node->logfile, $offset),
		qr/database system was not properly shut down; automatic recovery in progress/,
		"round $round: the server went through crash recovery");

	check_invariants("after crash $round");
	for my $r (1 .. $round)
	{
		for my $c (1 .. $CLIENTS)
		{
			$models{"$r-$c"} =
			  check_client($r, $c, "$tempdir/client-$r-$c.log");
		}
	}
}

# ------------------------------------------------------------------ behaviour after recovery

# Every live family's current token that a client knows rotates; the last
# token of every revoked family answers "revoked".
my (@live, @dead);
for my $m (values %models)
{
	my $op = $m->{inflight} // [''];
	for my $f (keys %{ $m->{fam} })
	{
		my $fam = $m->{fam}{$f};
		next if $op->[0] ne '' && ($op->[1] // '') eq $f;    # state unknown
		if ($fam->{reason} eq '-') { push @live, $fam->{tokens}[-1]; }
		else { push @dead, $fam->{tokens}[-1]; }
	}
}
my $array = sub { "ARRAY[" . join(',', map { "'$_'" } @_) . "]::text[]" };
is( $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE r.status = 'rotated') || '/' || count(*) FROM unnest("
		  . $array->(@live)
		  . ") t, jwt_refresh_rotate(t, '$KEY') r"),
	scalar(@live) . '/' . scalar(@live),
	'after recovery, the current token of every live family rotates ('
	  . scalar(@live) . ')');
is( $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE r.status = 'revoked') || '/' || count(*) FROM unnest("
		  . $array->(@dead)
		  . ") t, jwt_refresh_rotate(t, '$KEY') r"),
	scalar(@dead) . '/' . scalar(@dead),
	'after recovery, every revoked family stays revoked (' . scalar(@dead) . ')');

# Consumed tokens are refused, revoked ids and subjects are on the denylist.
my @consumed = map { values %{ $_->{consumed} } } values %models;
my @revoked = map { keys %{ $_->{revoked} } } values %models;
my @banned = map { keys %{ $_->{banned} } } values %models;
is( $node->safe_psql('postgres',
		"CREATE FUNCTION pg_temp.refused(toks text[], key text) RETURNS bigint LANGUAGE plpgsql AS \$\$ "
		  . "DECLARE t text; n bigint := 0; BEGIN FOREACH t IN ARRAY toks LOOP "
		  . "BEGIN PERFORM jwt_consume(t, key); EXCEPTION WHEN invalid_authorization_specification THEN n := n + 1; END; "
		  . "END LOOP; RETURN n; END \$\$; "
		  . "SELECT pg_temp.refused("
		  . $array->(@consumed)
		  . ", '$KEY')"),
	scalar(@consumed),
	'after recovery, every acknowledged single-use token is refused ('
	  . scalar(@consumed) . ')');
is( $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('jti', j))) FROM unnest("
		  . $array->(@revoked) . ") j")
	  . '/'
	  . $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE jwt_is_revoked(jsonb_build_object('sub', s))) FROM unnest("
		  . $array->(@banned) . ") s"),
	scalar(@revoked) . '/' . scalar(@banned),
	'after recovery, every acknowledged revocation of an id and a subject holds');

# The guard trigger still refuses what it refused before the crashes.
my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nUPDATE refresh_tokens SET used_at = NULL WHERE used_at IS NOT NULL"
);
like($err, qr/ERROR:  23514: /,
	'after recovery, the guard trigger refuses to mark a used token unused (23514)');
($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nDELETE FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL"
);
like($err, qr/ERROR:  23514: /,
	'after recovery, the guard trigger refuses to delete an active token (23514)');
check_invariants('at the end');

$node->stop;
done_testing();
