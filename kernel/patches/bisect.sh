#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/patches/bisect.sh - the series builds after each of its patches:
# for k = 1..N, apply patch k to a tree that has 1..k-1, and compile every
# object the series touches (the .c files it changes, and its own
# mm/dpidx_device_private.c once mm/Makefile names it), in the
# minimal configuration (kernel/hmm/minimal.config) with what a
# distribution has (kernel/hmm/distro.config: 5-level paging chosen at
# boot, RANDOMIZE_MEMORY, NUMA) and the drivers the series converts
# (drivers.config: nouveau with SVM, amdgpu with HSA_AMD and HSA_AMD_SVM),
# with W=1 and warnings as errors, for each ENCODING given (default:
# direct and tag, the default encoding's stage 2 and a stage-1 one).
# Then, on the first encoding's full tree, kerneldoc.sh (no new kernel-doc
# warning) and cross.sh (arm64 and ppc64le objects; DPIDX_CROSS_ARCHS
# picks others, empty skips).
#
#   bash kernel/patches/bisect.sh [ENCODING...]
#
# Uses DPIDX_KCACHE (default /var/cache/dpidx-kernel)/src-bisect, a tree
# re-unpacked every run, and ccache (the stage's cache): a few minutes on
# a 2-core machine once the stage has built its kernels.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DPIDX_KCACHE:-/var/cache/dpidx-kernel}
tarball=${DPIDX_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
encs=("$@")
[ ${#encs[@]} -gt 0 ] || encs=(direct tag)
die() { echo "bisect.sh: FAIL: $*" >&2; exit 1; }
[ -r "$tarball" ] || die "no $tarball (linux-source-6.12)"
export CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
export CCACHE_BASEDIR=$cache CCACHE_NOHASHDIR=1 CCACHE_IGNOREOPTIONS='-fmacro-prefix-map=*'
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
patches=("$here"/0[0-9][0-9][0-9]-*.patch)
# The cover letter (0000) changes no file.
patches=("${patches[@]/*\/0000-*/}")

for enc in "${encs[@]}"; do
	tree=$cache/src-bisect
	out=$tree/.dpidx-out/min
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar xf "$tarball" -C "$tree.tmp"
	mv "$tree.tmp"/linux-source-6.12 "$tree"
	rmdir "$tree.tmp"
	# What apply-patches.sh copies in (new files, in no patch), then the
	# series one patch at a time.
	mkdir -p "$tree/include/dpidx"
	cp "$repo"/include/dpidx/*.h "$tree/include/dpidx/"
	cp "$repo/kernel/import/device_private.h" "$tree/include/dpidx/"
	cp "$repo/kernel/import/device_private.c" "$tree/mm/dpidx_device_private.c"
	bash "$repo/kernel/encoding-h.sh" "$enc" >"$tree/include/dpidx/encoding.h"
	mkdir -p "$out"
	make -s -C "$tree" O="$out" ARCH=x86_64 CC="$cc" tinyconfig >/dev/null
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$repo/kernel/hmm/minimal.config" "$repo/kernel/hmm/distro.config" \
		"$here/drivers.config" >/dev/null)
	make -s -C "$tree" O="$out" ARCH=x86_64 CC="$cc" olddefconfig >/dev/null
	# The converted drivers and kaslr.c are only compiled if their
	# options held.
	while read -r opt; do
		grep -qx "$opt" "$out/.config" || die "$opt did not survive olddefconfig"
	done < <(grep -h '^CONFIG_' "$repo/kernel/hmm/distro.config" "$here/drivers.config")
	make -s -C "$tree" O="$out" ARCH=x86_64 CC="$cc" -j"${DPIDX_KJOBS:-2}" prepare >/dev/null ||
		die "$enc: prepare failed"
	# Every .c file the whole series touches exists before it and must
	# compile after each patch (a header patch is checked against every
	# user the series changes, not only against those it has changed
	# so far).
	# (amdkfd's files are objects of amdgpu, built from its directory.)
	mapfile -t all < <(cat "${patches[@]}" 2>/dev/null |
		sed -n 's|^+++ b/\(.*\)\.c$|\1.o|p' |
		sed 's|^drivers/gpu/drm/amd/amdkfd/|drivers/gpu/drm/amd/amdgpu/../amdkfd/|' | sort -u)
	k=0
	for p in "${patches[@]}"; do
		[ -n "$p" ] || continue
		k=$((k + 1))
		patch -s -p1 -d "$tree" --no-backup-if-mismatch <"$p" || die "$(basename "$p") does not apply"
		objs=("${all[@]}")
		grep -q 'dpidx_device_private.o' "$tree/mm/Makefile" && objs+=(mm/dpidx_device_private.o)
		t0=$(date +%s)
		make -s -C "$tree" O="$out" ARCH=x86_64 CC="$cc" W=1 KCFLAGS=-Werror \
			-j"${DPIDX_KJOBS:-2}" "${objs[@]}" >"$cache/bisect-$enc-$k.log" 2>&1 || {
			cat "$cache/bisect-$enc-$k.log" >&2
			die "$enc: the tree does not build after $(basename "$p")"
		}
		echo "bisect.sh: $enc: 1..$k ($(basename "$p")): ${objs[*]} built, W=1 -Werror ($(($(date +%s) - t0))s)"
	done
	# On the first encoding's full tree: no new kernel-doc warning, and
	# the tree builds for arm64 and ppc64le too (cross.sh: mm/ and every
	# in-tree device-private user there, each arch's fallback encoding).
	if [ "$enc" = "${encs[0]}" ]; then
		bash "$here/kerneldoc.sh" "$tree" || die "kernel-doc"
		bash "$here/cross.sh" "$tree" ${DPIDX_CROSS_ARCHS-arm64 powerpc} ||
			die "cross builds"
	fi
done
echo "bisect.sh: PASS: the series builds after each of its ${k} patches (${encs[*]})"
