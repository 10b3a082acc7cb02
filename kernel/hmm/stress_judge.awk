# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/stress_judge.awk - judge the stress rounds' hmm-tests logs
# (kernel/hmm/run.sh; its regression test is kernel/hmm/judge_test.sh).
#
#   awk -v src=HMM_TESTS_C -v want=ROUNDS -v cpus=PROCESSES -f stress_judge.awk LOG
#
# LOG: the guest's tests port, where each stress process's log is printed
# with the prefix "dpidx-stress ROUND.PROCESS: ".  The rule (a policy,
# written before counting): every process's log must be complete
# ("# Totals:"), every stress test must pass at least once, and a failed test
# is tolerated only as an incomplete migration, the one way the stock kernel
# fails these tests under this load (test_hmm's release evicts the whole
# device, so another process's close moves the pages back between the
# migrate call and the test's read-back of the device's copy, which then
# gets -ENOENT, or fewer pages than asked; experiments/release-evict.patch
# shows it, README issue 16): the assertion
# is "ret (-2) == 0" or "buffer->cpages (N) == npages (M)" right after a
# hmm_migrate_sys_to_dev() call of HMM_TESTS_C.  Any other failure fails:
# a wrong value read back (a wrong page), another errno, a crash.
#
# Prints "rounds R processes P runs N pass P incomplete I other O"; exits 1
# when the rule is broken (the reasons on stderr) or nothing ran.

BEGIN { while ((getline l < src) > 0) line[++n] = l }

function tolerated(w,   f, l) {
	if (w !~ /:Expected (ret \(-2\) == 0 \(0\)|buffer->cpages \([0-9]+\) == npages \([0-9]+\))$/)
		return 0
	split(w, f, ":")
	l = f[2] + 0
	return line[l - 1] ~ /hmm_migrate_sys_to_dev\(/ ||
	       line[l - 2] ~ /hmm_migrate_sys_to_dev\(/
}

/^dpidx-stress / {
	key = $2
	sub(/^dpidx-stress [^ ]* /, "")
	if ($0 ~ /^# Totals:/)
		done++
	if ($0 ~ /^#  RUN /)
		why[key] = ""
	if ($0 ~ /Expected/)
		why[key] = $0
	if ($0 ~ /^ok [0-9]+ /) {
		runs++
		pass++
		passed[$3] = 1
		names[$3] = 1
	}
	if ($0 ~ /^not ok [0-9]+ /) {
		runs++
		names[$4] = 1
		if (tolerated(why[key])) {
			inc++
		} else {
			other++
			print "stress " key " " $0 ": " why[key] > "/dev/stderr"
		}
	}
}

END {
	bad = 0
	if (n == 0) {
		print "stress: cannot read " src > "/dev/stderr"
		bad = 1
	}
	if (done != want * cpus) {
		print "stress: " done + 0 " complete logs, want " want * cpus > "/dev/stderr"
		bad = 1
	}
	for (t in names)
		if (!(t in passed)) {
			print "stress: " t " never passed" > "/dev/stderr"
			bad = 1
		}
	printf "rounds %d processes %d runs %d pass %d incomplete %d other %d\n",
		want, cpus, runs, pass, inc, other
	exit bad || other > 0 || runs == 0
}
