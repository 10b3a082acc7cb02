#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/judge_test.sh - the stress rule (stress_judge.awk) on a recorded
# round: it passes as recorded (one tolerated incomplete migration), and
# fails on each thing the rule says must fail.  Then the rate rule
# (rate_judge.py) on recorded and synthetic counts (testdata/*.stress,
# testdata/boots-*.tsv).  Needs hmm-tests.c, taken
# from the linux-source-6.12 tarball (DPIDX_LINUX_SOURCE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=${DPIDX_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
[ -r "$tarball" ] || { echo "judge_test.sh: no $tarball: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" --wildcards --strip-components=1 \
	'*/tools/testing/selftests/mm/hmm-tests.c'
src=$tmp/tools/testing/selftests/mm/hmm-tests.c
log=$here/testdata/stress-round.log
grep -q 'hmm_migrate_sys_to_dev(' <(sed -n 990p "$src") ||
	{ echo "judge_test.sh: hmm-tests.c line 990 is not the migrate call the log's assertion follows" >&2; exit 1; }
failed=0

# expect pass|fail WHAT SED-SCRIPT: judge the recorded round edited by it.
expect() {
	local rc=0
	sed "$3" "$log" >"$tmp/round.log"
	awk -v src="$src" -v want=1 -v cpus=2 -f "$here/stress_judge.awk" \
		"$tmp/round.log" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if { [ "$1" = pass ] && [ $rc = 0 ]; } || { [ "$1" = fail ] && [ $rc != 0 ]; }; then
		echo "ok: $2: $(cat "$tmp/out")"
	else
		echo "FAIL: $2: expected $1, rc $rc: $(cat "$tmp/out" "$tmp/err")"
		failed=1
	fi
}

expect pass "as recorded" ''
expect pass "fewer pages than asked after the migrate call" \
	's/991:migrate:Expected ret (-2) == 0 (0)/992:migrate:Expected buffer->cpages (3) == npages (256)/'
expect fail "a wrong value read back" \
	's/991:migrate:Expected ret (-2) == 0 (0)/995:migrate:Expected ptr\[i\] (5) == i (6)/'
expect fail "another errno" 's/Expected ret (-2) == 0 (0)/Expected ret (-12) == 0 (0)/'
expect fail "-ENOENT not after a migrate call" 's/hmm-tests.c:991:/hmm-tests.c:983:/'
expect fail "a log cut short" '/^dpidx-stress 1\.2: # Totals:/d'
expect fail "a failure without an assertion (a crash)" \
	's/^\(dpidx-stress 1\.2: \)ok 3 /\1not ok 3 /'
expect fail "a test that never passes" \
	's/^\(dpidx-stress 1\.2: \)ok 3 \(.*\)$/\1# .\/hmm-tests.c:991:migrate:Expected ret (-2) == 0 (0)\n\1not ok 3 \2/'
# The rate rule (rate_judge.py): a patched kernel at the stock control's
# rate passes; one at the rate main 5f89d33's CI recorded for direct (9 of
# 56 against stock's 0 of 56) fails.  HOW names the test the rule must
# pick: Fisher's over runs below 3 boots each, the boot-level one from 3.
rate() {	# pass|fail HOW WHAT CONTROL PATCHED (rate_judge.py options in $ropts)
	local rc=0
	/usr/bin/python3 "$here/rate_judge.py" ${ropts:-} "control=$here/testdata/$4" "patched=$here/testdata/$5" \
		>"$tmp/out" 2>&1 || rc=$?
	if { { [ "$1" = pass ] && [ $rc = 0 ]; } || { [ "$1" = fail ] && [ $rc = 1 ]; }; } &&
		tail -1 "$tmp/out" | grep -q ", $2"; then
		echo "ok: rate: $3: $(tail -1 "$tmp/out")"
	else
		echo "FAIL: rate: $3: expected $1 by '$2', rc $rc: $(cat "$tmp/out")"
		failed=1
	fi
}
rate pass 'Fisher over runs' "a patched kernel at the control's rate" \
	rate-stock-ci-5f89d33.stress rate-at-stock-rate.stress
rate pass 'Fisher over runs' "the control against itself" \
	rate-stock-ci-5f89d33.stress rate-stock-ci-5f89d33.stress
rate fail 'Fisher over runs' "direct's rate in main 5f89d33's CI" \
	rate-stock-ci-5f89d33.stress rate-direct-ci-5f89d33.stress
# The boot-level test (3 or more boots each).  It must still see direct's
# CI rate, and 2x in ten -smp 2 boots (the s118v control, whose boots spread
# as independent runs would).  It must not take boot-to-boot spread for a
# higher rate: 1.6x with the -smp 4 control's spread passes, where Fisher's
# test over the same runs gives p = 0.0095; and at that spread five boots
# cannot see even a steady 2x (the power it prints says so: about 4x).
rate fail 'boot-level' "direct's CI rate, five boots" boots-stock-ci-5x.tsv boots-direct-ci-5x.tsv
rate fail 'boot-level' "2x at -smp 2, ten boots" boots-stock-smp2.tsv boots-steady-2x-smp2.tsv
rate pass 'boot-level' "the -smp 4 control against itself" boots-stock-smp4.tsv boots-stock-smp4.tsv
rate pass 'boot-level' "1.6x with the -smp 4 control's spread" \
	boots-stock-smp4.tsv boots-overdispersed-1.6x.tsv
rate pass 'boot-level' "a steady 2x against the -smp 4 control's spread" \
	boots-stock-smp4.tsv boots-steady-2x.tsv
# CI's rule (stage.sh: --phi-ref, the dispersion the full comparisons
# measured, whatever the boots): direct's CI rate in CI's three boots must
# still fail, the control against itself pass, and the test named must be
# the effective-sample one, not the boot-level one its boots would pick.
ropts="--phi-ref 1.57"
rate fail 'Fisher over effective runs' "direct's CI rate in CI's three boots, phi 1.57" \
	boots-stock-ci-3x.tsv boots-direct-ci-3x.tsv
rate pass 'Fisher over effective runs' "the control against itself, phi 1.57" \
	boots-stock-ci-3x.tsv boots-stock-ci-3x.tsv
rate pass 'Fisher over effective runs' "a patched kernel at the control's rate, phi 1.57" \
	rate-stock-ci-5f89d33.stress rate-at-stock-rate.stress
ropts=
[ $failed = 0 ] || { echo "judge_test.sh: FAIL" >&2; exit 1; }
echo "judge_test.sh: PASS"
