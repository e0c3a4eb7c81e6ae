#!/usr/bin/perl
# bench/sisimai.pl - time Perl Sisimai on a list of files, in one process
#
# SYNOPSIS
#	perl bench/sisimai.pl MIN_SECONDS JSONL_OUT < FILE_LIST
#
# DESCRIPTION
#	Reads file names (one a line) from standard input, decodes each with
#	Sisimai->make() (delivered and vacation reports included, as
#	bounce-decode reports them), and repeats the whole list until the
#	process has used MIN_SECONDS of CPU time (user+system, start-up
#	included), as bench/rounds.sh sizes the decoder's rounds: on a
#	loaded machine a wall-clock bound gave Sisimai rounds of a third of
#	the decoder's CPU time, its start-up weighing three times as much.  The first pass is written to JSONL_OUT in
#	the shape score-corpus reads (file, bounce, recipients with status,
#	reply_code, reason, hard), so both decoders are scored the same way.
#	Prints one line:
#	    sisimai: version=V msgs=N secs=S cpu=C rate=R cpu_rate=Q p50_ms=X p99_ms=Y
#	with per-message (wall) times over all passes; cpu is the process's
#	user+system time (startup included), cpu_rate messages per CPU second.
use strict;
use warnings;
use JSON::PP;
use Sisimai;
use Time::HiRes qw(time);

my ($min, $out) = @ARGV;
die "usage: sisimai.pl MIN_SECONDS JSONL_OUT < LIST\n" unless defined $out;
my @files = grep { length } map { chomp; $_ } <STDIN>;
die "sisimai.pl: no files\n" unless @files;
open(my $fh, '>', $out) or die "sisimai.pl: $out: $!\n";
my $json = JSON::PP->new->canonical;
my (@t, $n);
my $start = time;
my $pass = 0;
# Sisimai prints warnings for some malformed samples; they are not ours
local $SIG{__WARN__} = sub { };
sub cpu { my @c = times; return $c[0] + $c[1]; }
while ($pass == 0 || cpu() < $min) {
	for my $f (@files) {
		my $t0 = time;
		my $r = eval { Sisimai->make($f, delivered => 1, vacation => 1) };
		push @t, time - $t0;
		next if $pass;
		my @rc;
		for my $d (@{ $r || [] }) {
			push @rc, {
			    recipient => $d->recipient->address,
			    status => $d->deliverystatus // '',
			    reply_code => $d->replycode // '',
			    reason => $d->reason // '',
			    hard => ($d->softbounce // 1) == 0 ? JSON::PP::true
				: JSON::PP::false,
			    action => $d->action // '' };
		}
		print $fh $json->encode({ file => $f,
		    bounce => @rc ? JSON::PP::true : JSON::PP::false,
		    recipients => \@rc }), "\n";
	}
	$pass++;
}
my $secs = time - $start;
my @cpu = times;
my $cpu = $cpu[0] + $cpu[1];
close($fh);
my @s = sort { $a <=> $b } @t;
printf "sisimai: version=%s msgs=%d secs=%.2f cpu=%.2f rate=%.1f cpu_rate=%.1f p50_ms=%.3f p99_ms=%.3f\n",
    $Sisimai::VERSION, scalar(@t), $secs, $cpu, @t / $secs, @t / ($cpu || 1e-9),
    1000 * $s[int(@s * 0.50)], 1000 * $s[int(@s * 0.99)];
