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
# DEVICE_PRIVATE_NO_PHYS_RANGE parts of the series; x86-64, either paging
# mode, randomized layout or not; tag's values elsewhere, encoding-h.sh).  What lands in the tree:
#   include/dpidx/*.h               include/dpidx/ as it is
#   include/dpidx/device_private.h  kernel/import/device_private.h, unchanged
#   mm/dpidx_device_private.c       kernel/import/device_private.c, unchanged
#   include/dpidx/encoding.h        the encoding and its swap-type count,
#                                   with encoding-h.sh's per-arch fallbacks
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
bash "$here/encoding-h.sh" "$enc" >/dev/null || exit 1

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
bash "$here/encoding-h.sh" "$enc" >"$new"
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
