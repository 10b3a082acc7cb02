#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/run.sh - boot a kernel built by build.sh in QEMU and run the
# kernel's own tools/testing/selftests/mm/hmm-tests against lib/test_hmm.c,
# device-private and device-coherent, then judge the console.
#
#   bash kernel/hmm/run.sh OUT RESULTS
#
# OUT: the build directory (its "source" link names the tree hmm-tests is
# built from, statically, unmodified), or a snapshot of one (stage.sh).  RESULTS: written with one line per
# test, "NAME pass|skip|fail".  Exits non-zero on any failed test, a test
# count below the plan, a kernel report (warning, BUG, KASAN, lockdep, RCU,
# DEBUG_VM page dump, stall), or a guest that does not finish.
#
# Environment:
#   DPIDX_HMM_MODULES   more .ko files to insmod after hmm-tests, each must
#                       load (e.g. dpidx_selftest.ko dpidx_bench.ko); KTAP
#                       "not ok" lines from them fail the run
#   DPIDX_HMM_STRESS    N: afterwards, N rounds of hmm-tests' migrate and
#                       fault tests on every CPU at once while a helper
#                       reloads test_hmm (its chunks are device-private
#                       pgmaps: added on first use, removed on unload)
#   DPIDX_HMM_CHURN     with DPIDX_HMM_STRESS: kernel/hmm/churn's module,
#                       loaded for each round: a kthread adding and
#                       removing small device-private pgmaps meanwhile
#   DPIDX_HMM_PARAMS    more test_hmm module parameters (experiments,
#                       e.g. kernel/hmm/experiments/'s evict_delay_ms=20)
#   DPIDX_QEMU_SMP      guest CPUs (default 2), DPIDX_QEMU_MEM MiB (2048),
#   DPIDX_QEMU_NUMA     N: N NUMA nodes (QEMU -numa, memory split evenly,
#                       CPUs dealt round-robin; default 1, no -numa)
#   DPIDX_QEMU_APPEND   more kernel parameters (e.g. no5lvl)
#   DPIDX_QEMU_TIMEOUT  seconds (default 900), DPIDX_QEMU_LOG copy of the
#                       console there.

set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 OUT RESULTS" >&2; exit 2; }
out=$(cd "$1" && pwd)
results=$2
tree=$(cd "$out/source" && pwd)
name=$(basename "$out")
die() { echo "run.sh: $name: FAIL: $*" >&2; exit 1; }
[ -f "$out/arch/x86/boot/bzImage" ] || die "no bzImage in $out"
[ -f "$out/lib/test_hmm.ko" ] || die "no lib/test_hmm.ko in $out"
busybox=$(dpkg-query -L busybox-static 2>/dev/null | grep -m1 '/bin/busybox$') ||
	die "busybox-static is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# hmm-tests, statically, from the tree's own sources and uapi headers; a
# kernel snapshot (stage.sh's snapshot()) brings its own.
sel=$tree/tools/testing/selftests
if [ -f "$out/.dpidx-snapshot" ]; then
	cp "$out/hmm-tests" "$work/hmm-tests"
else
	make -s -C "$tree" O="$out" ARCH=x86_64 headers >/dev/null
	gcc -static -O2 -Wall -U_FORTIFY_SOURCE -I "$tree" -I "$sel" \
		-isystem "$out/usr/include" -o "$work/hmm-tests" "$sel/mm/hmm-tests.c" \
		-lrt -lpthread -lm || die "hmm-tests did not build"
fi

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$work/hmm-tests" "$out/lib/test_hmm.ko" "$root/"
mods=""
for m in ${DPIDX_HMM_MODULES:-}; do
	cp "$m" "$root/" || die "no module $m"
	mods="$mods $(basename "$m")"
done
stress=${DPIDX_HMM_STRESS:-0}
if [ -n "${DPIDX_HMM_CHURN:-}" ]; then
	cp "$DPIDX_HMM_CHURN" "$root/pgmap_churn.ko" || die "no module $DPIDX_HMM_CHURN"
fi
cat >"$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
echo 16 >/proc/sys/vm/nr_hugepages
HMM="spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000 ${DPIDX_HMM_PARAMS:-}"
echo "dpidx-hmm: kernel \$(uname -r), thp \$(cat /sys/kernel/mm/transparent_hugepage/enabled), cpus \$(nproc), nodes \$(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l), cmdline \$(cat /proc/cmdline)"
insmod /test_hmm.ko \$HMM
echo "dpidx-hmm: insmod test_hmm rc=\$?"
/hmm-tests >/dev/ttyS1 2>&1
echo "dpidx-hmm: hmm-tests rc=\$?"
# The migration and compaction events over the stress rounds (debug.config
# has VM_EVENT_COUNTERS; without it the line is empty): repro.sh records
# the difference per boot (issue 16's compaction lead).
vmstat() {
	echo "dpidx-vmstat \$1: \$(grep -E '^(pgmigrate_|compact_|thp_migration_|pgalloc_|allocstall_)' /proc/vmstat | tr ' \\n' '= ')"
}
[ $stress -gt 0 ] && vmstat before
i=0
while [ \$i -lt $stress ]; do
	i=\$((i + 1))
	[ -f /pgmap_churn.ko ] && insmod /pgmap_churn.ko rounds=50
	pids=""
	for c in \$(seq \$(nproc)); do
		# Not migrate_release or migrate_multiple: they release the
		# device's chunks under the other processes' feet, which fails
		# them with -ENOENT on the stock kernel too.
		for t in migrate migrate_fault anon_read anon_write \
			 anon_read_multiple migrate_shared hmm_cow_in_device; do
			echo "-r hmm.hmm_device_private.\$t"
		done | xargs /hmm-tests >/tmp/stress.\$c 2>&1 &
		pids="\$pids \$!"
	done
	# Meanwhile pgmap_churn adds and removes pgmaps; once the tests are
	# done, unloading test_hmm removes every chunk's pgmap, and the next
	# round's tests add them again.  Every process's whole log goes to
	# the tests port, prefixed (the host judges it, see below).
	for p in \$pids; do
		wait \$p
	done
	for c in \$(seq \$(nproc)); do
		sed "s/^/dpidx-stress \$i.\$c: /" /tmp/stress.\$c >/dev/ttyS1
	done
	rmmod test_hmm && insmod /test_hmm.ko \$HMM ||
		echo "dpidx-hmm: stress round \$i: test_hmm reload failed"
	[ -f /pgmap_churn.ko ] && rmmod pgmap_churn
done
[ $stress -gt 0 ] && vmstat after && echo "dpidx-hmm: stress $stress rounds done"
for m in $mods; do
	insmod /\$m
	echo "dpidx-hmm: insmod \$m rc=\$?"
done
echo "dpidx-hmm: taint \$(cat /proc/sys/kernel/tainted)"
echo "dpidx-hmm: done"
reboot -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

accel=(-accel tcg -cpu max)
if [ -w /dev/kvm ] && [ -z "${DPIDX_QEMU_NO_KVM:-}" ]; then
	(timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
		-kernel "$out/arch/x86/boot/bzImage" -append "console=ttyS0 panic=-1" \
		-display none -monitor none -serial stdio -no-reboot \
		</dev/null >"$work/kvm-probe.log" 2>&1 || true) 2>/dev/null
	grep -q 'Linux version' "$work/kvm-probe.log" && accel=(-accel kvm -cpu host)
fi
# stress_judge TESTS SUMMARY: judge the stress rounds' logs by the rule in
# stress_judge.awk; SUMMARY gets the counts.
stress_judge() {
	awk -v src="$sel/mm/hmm-tests.c" -v want="$stress" -v cpus="${DPIDX_QEMU_SMP:-2}" \
		-f "$(dirname "$0")/stress_judge.awk" "$1" >"$2" || { cat "$2" >&2; return 1; }
	echo "run.sh: $name: stress: $(cat "$2")"
}

numa=()
smp=(-smp "${DPIDX_QEMU_SMP:-2}")
nodes=${DPIDX_QEMU_NUMA:-1}
if [ "$nodes" -gt 1 ]; then
	for n in $(seq 0 $((nodes - 1))); do
		numa+=(-object "memory-backend-ram,id=mem$n,size=$((${DPIDX_QEMU_MEM:-2048} / nodes))M"
			-numa "node,nodeid=$n,memdev=mem$n")
	done
	for c in $(seq 0 $((${DPIDX_QEMU_SMP:-2} - 1))); do
		numa+=(-numa "cpu,node-id=$((c % nodes)),socket-id=$c")
	done
	smp=(-smp "${DPIDX_QEMU_SMP:-2},sockets=${DPIDX_QEMU_SMP:-2}")
fi
log=$work/console.log
tests=$work/tests.log
start=$(date +%s)
rc=0
# The device-coherent variants need RAM the kernel leaves alone: 512 MiB at
# 1 GiB, handed to test_hmm's two devices (256 MiB each).
timeout -k 10 "${DPIDX_QEMU_TIMEOUT:-900}" qemu-system-x86_64 \
	"${accel[@]}" "${smp[@]}" -m "${DPIDX_QEMU_MEM:-2048}" "${numa[@]}" \
	-kernel "$out/arch/x86/boot/bzImage" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=7 panic=-1 rdinit=/init memmap=512M\$0x40000000 ${DPIDX_QEMU_APPEND:-}" \
	-display none -monitor none -no-reboot \
	-serial stdio -serial "file:$tests" \
	</dev/null >"$log" 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))
tr -d '\r' <"$log" >"$log.txt"
log=$log.txt
tr -d '\r' <"$tests" >"$tests.txt" 2>/dev/null || true
tests=$tests.txt
if [ -n "${DPIDX_QEMU_LOG:-}" ]; then
	cp "$log" "$DPIDX_QEMU_LOG"
	cp "$tests" "$DPIDX_QEMU_LOG.tests"
fi

grep -E '^(dpidx|# dpidx|not ok)' "$log" || true
[ "$rc" = 124 ] || [ "$rc" = 137 ] && die "the guest did not finish within ${DPIDX_QEMU_TIMEOUT:-900}s"
[ "$rc" = 0 ] || die "qemu exited with $rc"

# A kernel report of any kind fails the run, whatever the tests said.
reports='WARNING:|BUG:|kernel BUG|Oops|general protection fault|Kernel panic|Call Trace:|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|turning off the locking correctness validator|DEBUG_LOCKS_WARN_ON|soft lockup|hard LOCKUP|detected stall|self-detected stall|page dumped because|Unable to handle'
if grep -Eq "$reports" "$log"; then
	# The whole report, "Allocated by" and "Freed by" stacks included:
	# from a little before the first report line to the end of the
	# console (capped; DPIDX_QEMU_LOG keeps all of it).
	first=$(grep -n -m1 -E "$reports" "$log" | cut -d: -f1)
	sed -n "$((first > 10 ? first - 10 : 1)),\$p" "$log" | head -600 >&2
	die "the kernel reported a problem (see above)"
fi
grep -q '^dpidx-hmm: done' "$log" || die "the guest did not reach the end of /init"
grep -q '^dpidx-hmm: insmod test_hmm rc=0$' "$log" || die "test_hmm did not load"
if [ "$stress" -gt 0 ]; then
	! grep -q '^dpidx-hmm: stress round' "$log" || die "a stress round failed"
	grep -q "^dpidx-hmm: stress $stress rounds done" "$log" || die "stress did not finish"
	stress_judge "$tests" "$results.stress" || die "stress: see above"
	if [ -n "${DPIDX_HMM_CHURN:-}" ]; then
		[ "$(grep -c 'pgmap_churn: done 50 rounds, 0 errors' "$log")" = "$stress" ] ||
			die "pgmap_churn did not finish every round cleanly"
	fi
fi
for m in $mods; do
	grep -q "^dpidx-hmm: insmod $m rc=0\$" "$log" || die "$m did not load"
done
if [ -n "$mods" ]; then
	failed=$(grep -E '^not ok [0-9]+ ' "$log" | sort -u | wc -l || true)
	[ "$failed" = 0 ] || die "$failed module self-test(s) failed"
fi

# The kselftest harness: "1..N", then "ok I NAME", "ok I NAME # SKIP why"
# or "not ok I NAME" per test.
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tests" | head -1)
[ -n "$plan" ] || die "no TAP plan from hmm-tests"
sed -n -E 's/^(not ok|ok) [0-9]+ ([^ ]+)( # SKIP.*)?$/\1 \2 \3/p' "$tests" |
	awk '{ s = $1 == "not" ? "fail" : ($3 == "#" ? "skip" : "pass");
	       n = $1 == "not" ? $3 : $2; print n, s }' >"$results"
pass=$(grep -c ' pass$' "$results" || true)
skip=$(grep -c ' skip$' "$results" || true)
fail=$(grep -c ' fail$' "$results" || true)
echo "run.sh: $name: hmm-tests $pass passed, $skip skipped, $fail failed of $plan; boot+tests ${secs}s (${accel[1]})"
[ "$fail" = 0 ] || { grep ' fail$' "$results" >&2; die "$fail hmm-tests failed"; }
[ $((pass + skip)) = "$plan" ] || die "plan says $plan tests, $((pass + skip)) reported"
grep -q '^dpidx-hmm: hmm-tests rc=0$' "$log" || die "hmm-tests exited non-zero"
