#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/run-qemu.sh - build the dpidx modules, boot the real Debian kernel
# in QEMU with them in an initramfs, and judge the console.
#
#   bash kernel/run-qemu.sh
#
# Installs what is missing (as root, with apt-get): the kernel image and
# headers, qemu-system-x86, busybox-static, kmod, cpio, make, gcc.  Boots
# with KVM when it works and falls back to TCG.  Exits non-zero, with the
# reason on stderr, on any "not ok", a missing or short KTAP plan, a kernel
# warning/oops/BUG/lockdep/KASAN/stall report, a module that does not load,
# or a boot that does not finish within the timeout.
#
# Environment: KVER (kernel release, default the newest installed 6.12),
# DPIDX_QEMU_TIMEOUT (seconds, default 600), DPIDX_QEMU_MEM (MiB, 2048),
# DPIDX_QEMU_LOG (keep the console log there).

set -euo pipefail
trap 'echo "run-qemu.sh: FAIL: unexpected error at line $LINENO" >&2' ERR

# Default: the newest installed Debian 6.12 generic kernel with its headers
# (the meta packages linux-image/headers-6.12-amd64 bring it), else the
# release this was developed against (installed below if missing).
if [ -z "${KVER:-}" ]; then
	for k in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -rV); do
		if [ -d "/lib/modules/$k/build" ]; then
			KVER=$k
			break
		fi
	done
fi
KVER=${KVER:-6.12.117+deb12-amd64}
TIMEOUT=${DPIDX_QEMU_TIMEOUT:-600}
MEM=${DPIDX_QEMU_MEM:-2048}
here=$(cd "$(dirname "$0")" && pwd)
kernel_image=/boot/vmlinuz-$KVER

die() {
	echo "run-qemu.sh: FAIL: $*" >&2
	exit 1
}

# ---- what the host needs ---------------------------------------------------

missing=()
[ -r "$kernel_image" ] || missing+=("linux-image-$KVER")
[ -d "/lib/modules/$KVER/build" ] || missing+=("linux-headers-$KVER")
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
	missing+=(busybox-static)
command -v cpio >/dev/null || missing+=(cpio)
command -v modinfo >/dev/null || missing+=(kmod)
command -v make >/dev/null || missing+=(make)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root to install them"
	echo "run-qemu.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
busybox=$(dpkg-query -L busybox-static | grep -m1 '/bin/busybox$') ||
	die "busybox-static installs no busybox binary"

# ---- build -----------------------------------------------------------------

echo "run-qemu.sh: building modules against $KVER"
make -s -C "$here" KVER="$KVER" modules >/dev/null ||
	die "module build failed (make -C kernel KVER=$KVER)"
for ko in dpidx_selftest dpidx_bench; do
	[ -f "$here/$ko.ko" ] || die "$ko.ko was not built"
done

# ---- initramfs ---------------------------------------------------------------

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys}
cp "$busybox" "$root/bin/busybox"
cp "$here/dpidx_selftest.ko" "$here/dpidx_bench.ko" "$root/"
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "dpidx-init: kernel $(uname -r), lockdown: $(cat /sys/kernel/security/lockdown 2>/dev/null || echo n/a)"
for m in dpidx_selftest dpidx_bench; do
	insmod /$m.ko
	echo "dpidx-init: insmod $m rc=$?"
done
echo "dpidx-init: taint $(cat /proc/sys/kernel/tainted)"
echo "dpidx-init: done"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

# ---- boot ----------------------------------------------------------------------

# KVM when it works, TCG otherwise.  /dev/kvm being there is not enough
# (nested hosts fail on MSRs or with internal errors and then hang), so
# probe: a KVM boot must print the kernel banner within 20 s.
accel=(-accel tcg -cpu max)
if [ -w /dev/kvm ] && [ -z "${DPIDX_QEMU_NO_KVM:-}" ]; then
	# In a subshell so that a QEMU abort does not make bash print a notice.
	(timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
		-kernel "$kernel_image" -append "console=ttyS0 panic=-1" \
		-display none -monitor none -serial stdio -no-reboot \
		</dev/null >"$work/kvm-probe.log" 2>&1 || true) 2>/dev/null
	grep -q 'Linux version' "$work/kvm-probe.log" && accel=(-accel kvm -cpu host)
fi
echo "run-qemu.sh: accelerator ${accel[1]}"
# The Debian kernel has no KASAN or lockdep; turn on what it does have, so
# that a use after free (a descriptor freed before readers are done) shows:
# slab red zones and poisoning, page poisoning (freed descriptor arrays and
# tables read as 0xaa, and writes to them are reported on reuse), KFENCE
# guard pages for sampled allocations.
debug="slub_debug=FZP page_poison=1 kfence.sample_interval=5"
log=$work/console.log
echo "run-qemu.sh: booting $kernel_image (timeout ${TIMEOUT}s)"
rc=0
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
	"${accel[@]}" -smp 2 -m "$MEM" \
	-kernel "$kernel_image" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 printk.time=0 loglevel=7 panic=-1 rdinit=/init $debug" \
	-display none -monitor none -serial stdio -no-reboot \
	</dev/null >"$log" 2>&1 || rc=$?
tr -d '\r' <"$log" >"$log.txt"
log=$log.txt
[ -n "${DPIDX_QEMU_LOG:-}" ] && cp "$log" "$DPIDX_QEMU_LOG"

echo "---- console (dpidx lines, and any kernel report) ----"
grep -E '^(KTAP|1\.\.|ok |not ok |    #|# |dpidx|Hypervisor detected|.*(WARNING|BUG|Oops|Call Trace|panic|lockdep|KASAN|stall|module verification))' "$log" || true
echo "------------------------------------------------------"

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	die "the guest did not finish within ${TIMEOUT}s"
fi
[ "$rc" = 0 ] || die "qemu exited with $rc"

# A kernel report of any kind fails the run, whatever the tests said.
reports='WARNING:|BUG:|kernel BUG|Oops|general protection fault|Kernel panic|Call Trace:|KASAN|UBSAN|possible circular locking|inconsistent lock state|lockdep|soft lockup|hard LOCKUP|rcu_.*stall|self-detected stall|Unable to handle'
if grep -Eq "$reports" "$log"; then
	grep -E "$reports" "$log" | head -5 >&2
	die "the kernel reported a problem (see above)"
fi

grep -q '^dpidx-init: done' "$log" || die "the guest did not reach the end of /init"

# KTAP: a plan, as many results as planned, none failed.
plan=$(grep -m1 -E '^1\.\.[0-9]+$' "$log" | cut -d. -f3) ||
	die "no KTAP plan line from dpidx_selftest"
grep -q '^KTAP version 1$' "$log" || die "no 'KTAP version 1' header"
results=$(grep -cE '^(not )?ok [0-9]+ ' "$log" || true)
# busybox insmod retries a failed finit_module() with init_module(), so a
# failing self-test runs twice: count distinct failures.
failed=$(grep -E '^not ok [0-9]+ ' "$log" | sort -u | wc -l || true)
[ "$failed" = 0 ] || {
	grep -E '^not ok ' "$log" | sort -u >&2
	die "$failed self-test(s) failed"
}
[ "$results" = "$plan" ] || die "plan says $plan tests, $results reported"
grep -q '^dpidx-init: insmod dpidx_selftest rc=0$' "$log" || die "dpidx_selftest did not load"
grep -q '^dpidx-init: insmod dpidx_bench rc=0$' "$log" || die "dpidx_bench did not load"
grep -q '^# dpidx_bench: done' "$log" || die "dpidx_bench did not finish"

echo "run-qemu.sh: PASS: $results/$plan ok, bench done (${accel[1]})"
