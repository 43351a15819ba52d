#!/usr/bin/perl
# srs-mailsrs.pl: Mail::SRS as a batch filter for t/30-srs-interop.t.
# Usage: srs-mailsrs.pl forward|reverse ALIAS SECRETFILE [Key=Value...]
# (keys as Mail::SRS->new takes them: HashLength, HashMin, MaxAge,
# Separator).  One address per line on stdin; one line out per line in:
# the result, or "ERR <reason>".  Warnings go to stderr.
use strict;
use warnings;
use Mail::SRS;

my ($mode, $alias, $secretfile, @kv) = @ARGV;
open(my $fh, '<', $secretfile) or die "$secretfile: $!\n";
my @secrets = grep { length } map { s/\r?\n\z//r } <$fh>;
my $srs = Mail::SRS->new(Secret => [@secrets], map { split /=/, $_, 2 } @kv);
$| = 0;
while (my $a = <STDIN>) {
	chomp $a;
	my $r = eval {
		$mode eq 'forward' ? $srs->forward($a, $alias) :
		    $srs->reverse($a);
	};
	if (defined $r) {
		print "$r\n";
	} else {
		(my $e = $@) =~ s/\s+/ /g;
		print "ERR $e\n";
	}
}
