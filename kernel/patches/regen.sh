#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/patches/regen.sh STOCK PATCHED - rewrite the dpidx patches from a
# stock tree and an edited one (diff context is the kernel's, new lines ours).
# Each patch's header is kept from the existing file; its file list below
# (0001 and 0002, the upstream fixes, and 0010, Documentation, are kept
# by hand).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stock=$(cd "$1" && pwd)
patched=$(cd "$2" && pwd)
# STOCK is the pristine tree with the series' upstream fixes applied (0001
# and 0002, kept by hand: their diffs are against the pristine tree), so that the dpidx
# patches after it diff against the tree they apply to.
series() {
	echo "0003-mm-swap-device-private-types-follow-dpidx.patch include/linux/memremap.h include/linux/swap.h include/linux/swapops.h"
	echo "0004-x86-mm-kaslr-reserve-the-device-private-vmemmap.patch arch/x86/mm/kaslr.c"
	echo "0005-mm-memremap-device-private-pgmaps-in-dpidx.patch mm/Makefile mm/memremap.c"
	echo "0006-mm-device-private-entries-carry-dpidx-values.patch mm/memory.c mm/migrate.c mm/migrate_device.c mm/mprotect.c mm/rmap.c"
	echo "0007-lib-test_hmm-device-private-chunks-without-physical-range.patch lib/test_hmm.c"
	echo "0008-drm-nouveau-dmem-register-device-private-memory-by-length.patch drivers/gpu/drm/nouveau/nouveau_dmem.c"
	echo "0009-drm-amdkfd-register-device-private-memory-by-length.patch drivers/gpu/drm/amd/amdkfd/kfd_migrate.c"
}
series | while read -r name files; do
	out=$here/$name
	head=$(sed '/^---$/q' "$out" 2>/dev/null) || true
	[ -n "$head" ] || { echo "regen.sh: $name has no header" >&2; exit 1; }
	{
		echo "$head"
		(cd "$stock/.." && for f in $files; do
			diff -u -p --label "a/$f" --label "b/$f" "$stock/$f" "$patched/$f" || true
		done) | { diffstat -p1 2>/dev/null || true; }
		echo
		for f in $files; do
			diff -u -p --label "a/$f" --label "b/$f" "$stock/$f" "$patched/$f" || true
		done
		echo "-- "
		echo "dpidx"
	} >"$out.new"
	mv "$out.new" "$out"
done
