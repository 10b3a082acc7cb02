#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/patches/cross.sh TREE ARCH... - the patched tree TREE (every patch
# applied, kernel/encoding-h.sh's encoding.h in place) builds for other
# architectures: objects only, no link, with Debian's cross compilers
# (gcc-aarch64-linux-gnu, gcc-powerpc64le-linux-gnu).  Per ARCH, in
# TREE/.dpidx-out/cross-ARCH: tinyconfig + kernel/hmm/minimal.config +
# drivers.config (+ ARCH's extra fragment below), olddefconfig, prepare,
# then every object the series touches that ARCH builds and the in-tree
# device-private users there, with W=1 and warnings as errors.
#   arm64    mm/, lib/test_hmm, nouveau and amdkfd (Grace Hopper-class
#            systems run nouveau's SVM on arm64): direct has no place
#            beside arm64's vmemmap, so the tree takes tag's values there;
#   powerpc  ppc64le with the ultravisor (PPC_UV, book3s_hv_uvmem.c, the
#            third in-tree user): ppc64's swap offset has no room for a
#            tag bit, so the tree takes flat there.  FRAME_WARN 2048, a
#            64-bit kernel's default (tinyconfig starts from ppc32's 1024,
#            which stock lib/test_hmm.c's migrate arrays exceed).
# Prints which encoding each build resolved to.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tree=$(cd "$1" && pwd)
shift
die() { echo "cross.sh: FAIL: $*" >&2; exit 1; }
[ -f "$tree/include/dpidx/encoding.h" ] || die "$tree is not a patched tree"
# The encoding the tree was given (encoding-h.sh's header names it).
requested=$(sed -n 's/.*mm\/ uses (\([a-z]*\)$/\1/p' "$tree/include/dpidx/encoding.h")
[ -n "$requested" ] || die "$tree/include/dpidx/encoding.h is not encoding-h.sh's"
mapfile -t touched < <(cat "$here"/0[0-9][0-9][0-9]-*.patch |
	sed -n 's|^+++ b/\(.*\)\.c$|\1.o|p' | sort -u)
for arch in "$@"; do
	case $arch in
	arm64)
		cross=aarch64-linux-gnu-
		extra="" ;;
	powerpc)
		cross=powerpc64le-linux-gnu-
		extra="CONFIG_PPC64=y CONFIG_PPC_BOOK3S_64=y CONFIG_CPU_LITTLE_ENDIAN=y CONFIG_PPC_POWERNV=y CONFIG_VIRTUALIZATION=y CONFIG_KVM_BOOK3S_64=y CONFIG_KVM_BOOK3S_64_HV=y CONFIG_PPC_MEM_KEYS=y CONFIG_PPC_UV=y CONFIG_FRAME_WARN=2048" ;;
	*) die "unknown ARCH $arch (arm64, powerpc)" ;;
	esac
	command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc (apt-get install gcc-${cross%-})"
	out=$tree/.dpidx-out/cross-$arch
	mkdir -p "$out"
	frag=$out/extra.config
	printf '%s\n' $extra >"$frag"
	mk() { make -s -C "$tree" O="$out" ARCH="$arch" CROSS_COMPILE="$cross" "$@"; }
	t0=$(date +%s)
	mk tinyconfig >/dev/null
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$repo/kernel/hmm/minimal.config" "$here/drivers.config" "$frag" >/dev/null)
	mk olddefconfig >/dev/null
	for opt in CONFIG_DEVICE_PRIVATE=y CONFIG_TEST_HMM=m $extra; do
		grep -qx "$opt" "$out/.config" || die "$arch: $opt did not survive olddefconfig"
	done
	mk -j"${DPIDX_KJOBS:-2}" prepare >/dev/null || die "$arch: prepare failed"
	objs=(mm/dpidx_device_private.o)
	for o in "${touched[@]}"; do
		case $o in
		arch/*) [[ $o == arch/$arch/* ]] || continue ;;
		drivers/gpu/drm/amd/amdkfd/*)
			grep -q '^CONFIG_HSA_AMD=y' "$out/.config" || continue
			o=drivers/gpu/drm/amd/amdgpu/../amdkfd/${o##*/} ;;
		drivers/gpu/drm/nouveau/*)
			grep -q '^CONFIG_DRM_NOUVEAU_SVM=y' "$out/.config" || continue ;;
		esac
		objs+=("$o")
	done
	[ "$arch" != powerpc ] || objs+=(arch/powerpc/kvm/book3s_hv_uvmem.o)
	mk W=1 KCFLAGS=-Werror -j"${DPIDX_KJOBS:-2}" "${objs[@]}" >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		die "$arch: the patched tree does not build"
	}
	# The encoding's name, DPIDX_DEFAULT_ENCODING, is a string in
	# memremap.o (device_private_init()'s message; "tag" is 3 bytes, under
	# strings' default minimum of 4).  It must be the fallback
	# encoding-h.sh promises for ARCH.
	enc=$(strings -a -n 3 "$out/mm/memremap.o" | grep -xE 'flat|maple|tag|direct' | head -1)
	want=$requested
	case $arch/$requested in
	arm64/direct) want=tag ;;
	powerpc/direct | powerpc/tag) want=flat ;;
	esac
	[ "$enc" = "$want" ] ||
		die "$arch: $requested requested, the build took '${enc:-?}', expected $want"
	echo "cross.sh: $arch: ${objs[*]} built, W=1 -Werror, $requested requested, encoding $enc ($(($(date +%s) - t0))s)"
done
