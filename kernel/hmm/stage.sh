#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/stage.sh - the hmm-tests stage of CI: from Debian's
# linux-source-6.12, build the stock kernel and the dpidx-patched one, each
# in the minimal and the debug (KASAN, lockdep, PROVE_RCU, DEBUG_VM,
# DEBUG_LIST) configuration, boot each in QEMU, run the kernel's own
# hmm-tests, and require the patched kernels to pass what the stock one
# passes.  The patched minimal kernel runs once per encoding, in one kept
# build directory.  Fails on any test failure or kernel report.
#
#   bash kernel/hmm/stage.sh [STEP...]
#
# STEPs (default: all, in this order): stock-min stock-debug stress-stock
# patched-min patched-debug stress table.  "patched-min" runs every encoding in
# DPIDX_HMM_ENCODINGS (default: every encoding of include/dpidx/encodings.h).
# DPIDX_HMM_STRESS: rounds of the two stress steps (default 4).
#
# Everything is kept under DPIDX_KCACHE (default /var/cache/dpidx-kernel):
# the unpacked trees (re-unpacked when the linux-source package version
# changes), the build directories and ccache's cache, so that a second run
# on the same machine rebuilds only what changed.  Results (one file per
# kernel, "NAME pass|skip|fail") go to DPIDX_KCACHE/results/, and the
# table step writes results/hmm-tests.md from them.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DPIDX_KCACHE:-/var/cache/dpidx-kernel}
tarball=${DPIDX_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(stock-min stock-debug stress-stock patched-min patched-debug stress table)
# The one list (include/dpidx/encodings.h): every encoding in mm/.
all_encodings=$(sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\),.*/\1/p' "$repo/include/dpidx/encodings.h")
encodings=${DPIDX_HMM_ENCODINGS:-$(echo "$all_encodings" | tr '\n' ' ')}
# Stress rounds for the stress steps only: every other boot runs without.
stress_rounds=${DPIDX_HMM_STRESS:-4}
unset DPIDX_HMM_STRESS DPIDX_HMM_CHURN
die() { echo "stage.sh: FAIL: $*" >&2; exit 1; }
log() { echo "stage.sh: $*"; }

# ---- what the host needs -----------------------------------------------------
need=()
[ -r "$tarball" ] || need+=(linux-source-6.12)
for t in qemu-system-x86_64:qemu-system-x86 make:make gcc:gcc flex:flex bison:bison \
	 bc:bc cpio:cpio patch:patch ccache:ccache; do
	command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
[ -x /bin/busybox ] || dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
	grep -q 'ok installed' || need+=(busybox-static)
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${need[*]}) and not root"
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)

mkdir -p "$cache/results"
export CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# The trees' paths are fixed, so absolute paths hash the same every run.

# unpack DIR: a pristine tree of the installed linux-source, kept while the
# package version is the same.
unpack() {
	local dir=$cache/$1
	if [ "$(cat "$dir/.dpidx-version" 2>/dev/null)" != "$version" ]; then
		log "unpacking linux-source-6.12 $version into $dir"
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		tar xf "$tarball" -C "$dir.tmp"
		mv "$dir.tmp"/linux-source-6.12 "$dir"
		rmdir "$dir.tmp"
		echo "$version" >"$dir/.dpidx-version"
	fi
}

# The patched tree is re-unpacked when the series or anything it copies in
# changes (not when only the encoding does).
patched_tree() {
	local sum
	sum=$(cat "$repo"/kernel/patches/*.patch "$repo"/include/dpidx/*.h \
		"$repo"/kernel/import/device_private.[ch] | sha256sum | cut -c1-16)
	if [ "$(cat "$cache/src-patched/.dpidx-series" 2>/dev/null)" != "$sum" ]; then
		rm -rf "$cache/src-patched"
		unpack src-patched
		echo "$sum" >"$cache/src-patched/.dpidx-series"
	fi
	bash "$repo/kernel/apply-patches.sh" "$cache/src-patched" "$1" >/dev/null
}

frag_min=$here/minimal.config
frag_dbg=$here/debug.config
mods=()

# The dpidx modules, built against a kernel build directory (stock trees:
# the import kit is not in the kernel there).
modules() {
	make -s -C "$repo/kernel" KDIR="$1" clean >/dev/null 2>&1 || true
	make -s -C "$repo/kernel" KDIR="$1" modules >/dev/null ||
		die "dpidx modules do not build against $1"
	mods=("$repo/kernel/dpidx_selftest.ko" "$repo/kernel/dpidx_bench.ko")
}

# kernel NAME OUT TREE FRAGMENTS...: build in TREE/.dpidx-out/OUT (the same
# place in every tree, so that ccache shares objects between trees, see
# build.sh; a re-unpacked tree starts a fresh one), then boot and test.
kernel() {
	local name=$1 out=$3/.dpidx-out/$2 tree=$3 t0 t1
	shift 3
	t0=$(date +%s)
	bash "$here/build.sh" "$tree" "$out" "$@" || die "$name: build failed"
	t1=$(date +%s)
	DPIDX_QEMU_LOG=$cache/results/$name.console \
		bash "$here/run.sh" "$out" "$cache/results/$name.txt" ||
		die "$name: hmm-tests or the kernel failed (console: $cache/results/$name.console)"
	log "$name: build $((t1 - t0))s, boot+tests $(($(date +%s) - t1))s"
	echo "$name build=$((t1 - t0)) run=$(($(date +%s) - t1))" >>"$cache/results/times.txt"
}

# same NAME: the patched kernel NAME passes and skips exactly what stock did.
same() {
	local ref=$cache/results/$2.txt
	diff -u "$ref" "$cache/results/$1.txt" >&2 ||
		die "$1 differs from $2 (above)"
}

# stress NAME OUT: run.sh's stress rounds with pgmap_churn in the debug kernel
# OUT (stress-stock, the control, is the stock kernel under the same load:
# it shows what the load alone does to hmm-tests, see run.sh's rule).
stress() {
	local out=$2
	[ -f "$out/arch/x86/boot/bzImage" ] || die "$1 needs the debug kernel in $out"
	make -s -C "$out" M="$here/churn" clean >/dev/null 2>&1 || true
	make -s -C "$out" M="$here/churn" modules >/dev/null ||
		die "pgmap_churn does not build against $out"
	cp "$here/churn/pgmap_churn.ko" "$cache/results/$1-pgmap_churn.ko"
	make -s -C "$out" M="$here/churn" clean >/dev/null 2>&1 || true
	DPIDX_HMM_CHURN=$cache/results/$1-pgmap_churn.ko \
	DPIDX_HMM_STRESS=$stress_rounds \
		DPIDX_QEMU_LOG=$cache/results/$1.console \
		bash "$here/run.sh" "$out" "$cache/results/$1.txt" ||
		die "$1 run failed"
}

for step in "${steps[@]}"; do
	case $step in
	stock-min)
		unpack src-stock
		kernel stock-min min "$cache/src-stock" "$frag_min" ;;
	stock-debug)
		unpack src-stock
		kernel stock-debug debug "$cache/src-stock" "$frag_min" "$frag_dbg"
		# dpidx's own modules under KASAN and lockdep, in a kernel with
		# DEVICE_PRIVATE (its device-private swap-type checks run).
		modules "$cache/src-stock/.dpidx-out/debug"
		DPIDX_HMM_MODULES="${mods[*]}" DPIDX_QEMU_LOG=$cache/results/stock-debug-modules.console \
			bash "$here/run.sh" "$cache/src-stock/.dpidx-out/debug" "$cache/results/stock-debug-modules.txt" ||
			die "dpidx modules failed under the debug kernel"
		make -s -C "$repo/kernel" KDIR="$cache/src-stock/.dpidx-out/debug" clean >/dev/null 2>&1 || true ;;
	patched-min)
		for enc in $encodings; do
			patched_tree "$enc"
			# One kept build directory: switching the encoding
			# rebuilds what includes swap.h or dpidx, not the rest.
			kernel "patched-min-$enc" min "$cache/src-patched" "$frag_min"
			same "patched-min-$enc" stock-min
		done ;;
	patched-debug)
		patched_tree ""
		kernel patched-debug debug "$cache/src-patched" "$frag_min" "$frag_dbg"
		# Compare with the stock debug kernel when it ran, else with
		# the stock minimal one (the same tests are expected).
		if [ -f "$cache/results/stock-debug.txt" ]; then
			same patched-debug stock-debug
		else
			same patched-debug stock-min
		fi
		# The self-test's kernel tests in the patched kernel: every
		# encoding with the kernel's reservation judged by its helpers.
		modules "$cache/src-patched/.dpidx-out/debug"
		DPIDX_HMM_MODULES="$repo/kernel/dpidx_selftest.ko" \
			DPIDX_QEMU_LOG=$cache/results/patched-debug-selftest.console \
			bash "$here/run.sh" "$cache/src-patched/.dpidx-out/debug" \
			"$cache/results/patched-debug-selftest.txt" ||
			die "dpidx_selftest failed in the patched debug kernel"
		grep -q '^ok [0-9]* kernel_swap_helpers' "$cache/results/patched-debug-selftest.console" ||
			die "kernel_swap_helpers did not pass in the patched kernel"
		make -s -C "$repo/kernel" KDIR="$cache/src-patched/.dpidx-out/debug" clean >/dev/null 2>&1 || true ;;
	stress-stock)
		unpack src-stock
		stress stress-stock "$cache/src-stock/.dpidx-out/debug" ;;
	stress)
		patched_tree ""
		stress stress "$cache/src-patched/.dpidx-out/debug" ;;
	table)
		bash "$here/table.sh" "$cache/results" "$version" >"$repo/results/hmm-tests.md" ;;
	*) die "unknown step $step" ;;
	esac
done
log "PASS: ${steps[*]} (linux-source-6.12 $version)"
