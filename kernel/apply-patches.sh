#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/apply-patches.sh - make an unpacked 6.12 tree resolve device-private
# swap entries through dpidx: copy the headers and the import kit in, name the
# encoding, apply kernel/patches/*.patch.
#
#   bash kernel/apply-patches.sh LINUX_TREE [ENCODING]
#
# ENCODING: flat, maple, tag or direct; default: the one
# include/dpidx/dpidx.h makes DPIDX_DEFAULT_ENCODING.  flat, maple and tag
# take 6.12's memmap at the fake PFNs request_free_mem_region() hands out
# as caller-provided descriptors (stage 1); direct places the struct pages
# itself, in a device-private vmemmap beside vmemmap, and device-private
# pgmaps take no physical address range at all (stage 2 for direct: the
# DPIDX_ENCODING_DIRECT parts of 0001, 0002 and 0004; x86-64 4-level
# paging without RANDOMIZE_MEMORY).  What lands in the tree:
#   include/dpidx/*.h               include/dpidx/ as it is
#   include/dpidx/device_private.h  kernel/import/device_private.h, unchanged
#   mm/dpidx_device_private.c       kernel/import/device_private.c, unchanged
#   include/dpidx/encoding.h        the encoding and its swap-type count
# Run again with another ENCODING on a patched tree: only encoding.h changes
# (the patches are not applied twice), so a kept build directory rebuilds
# what depends on it.

set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 LINUX_TREE [ENCODING]" >&2; exit 2; }
tree=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
die() { echo "apply-patches.sh: $*" >&2; exit 1; }
grep -q '^PATCHLEVEL = 12$' "$tree/Makefile" || die "$tree is not a 6.12 tree"

enc=${2:-}
if [ -z "$enc" ]; then
	# The fallback dpidx.h takes when no DPIDX_ENCODING_* is defined.
	enc=$(sed -n '/^#if !defined(DPIDX_ENCODING_FLAT)/,/^#endif/s/^#define DPIDX_ENCODING_\([A-Z0-9_]*\)$/\1/p' \
		"$repo/include/dpidx/dpidx.h" | tr 'A-Z' 'a-z')
	[ -n "$enc" ] || die "cannot read the default encoding from dpidx.h"
fi
case $enc in
flat | maple) types=6 ;;	# v6's scheme: every kind its own type
tag | direct) types=3 ;;		# device kinds only; migration types shared
*) die "unknown encoding '$enc' (flat, maple, tag, direct)" ;;
esac
ue=$(echo "$enc" | tr 'a-z' 'A-Z')

mkdir -p "$tree/include/dpidx"
for h in "$repo"/include/dpidx/*.h; do
	cmp -s "$h" "$tree/include/dpidx/$(basename "$h")" ||
		cp "$h" "$tree/include/dpidx/"
done
cmp -s "$here/import/device_private.h" "$tree/include/dpidx/device_private.h" ||
	cp "$here/import/device_private.h" "$tree/include/dpidx/device_private.h"
cmp -s "$here/import/device_private.c" "$tree/mm/dpidx_device_private.c" ||
	cp "$here/import/device_private.c" "$tree/mm/dpidx_device_private.c"

new=$(mktemp)
cat >"$new" <<H
/* SPDX-License-Identifier: GPL-2.0-only */
/* Written by dpidx's kernel/apply-patches.sh: the encoding mm/ uses. */
#ifndef DPIDX_ENCODING_H
#define DPIDX_ENCODING_H
#define DPIDX_ENCODING_$ue
/* Swap types it reserves under SWP_PTE_MARKER (DPIDX_${ue}_SWAP_TYPES). */
#define DPIDX_KERNEL_SWAP_TYPES $types
#endif
H
if cmp -s "$new" "$tree/include/dpidx/encoding.h"; then
	rm -f "$new"
else
	mv "$new" "$tree/include/dpidx/encoding.h"
fi

if [ -f "$tree/.dpidx-patched" ]; then
	echo "apply-patches.sh: $tree already patched; encoding $enc"
	exit 0
fi
for p in "$here"/patches/*.patch; do
	case $(basename "$p") in 0000-*) continue ;; esac	# the cover letter
	patch -s -p1 -d "$tree" --no-backup-if-mismatch <"$p" || die "$(basename "$p") does not apply"
done
touch "$tree/.dpidx-patched"
echo "apply-patches.sh: $tree patched ($(ls "$here"/patches/*.patch | grep -vc '/0000-') patches); encoding $enc"
