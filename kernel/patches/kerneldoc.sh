#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/patches/kerneldoc.sh TREE - the series adds no kernel-doc warning:
# run the tree's scripts/kernel-doc -Wall over every file the series
# touches (and the import kit's files it copies in) in TREE, a fully
# patched tree, and over the same files of the pristine linux-source, and
# fail on any warning TREE has that stock does not (line numbers aside).
# Prints both counts.  bisect.sh runs it on its last tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
tarball=${DPIDX_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t files < <(cat "$here"/0[0-9][0-9][0-9]-*.patch |
	sed -n 's|^+++ b/\(.*\.[ch]\)$|\1|p' | sort -u)
tar xf "$tarball" -C "$tmp" "${files[@]/#/linux-source-6.12/}"
# "FILE: warning" without the line number, one per line.
warnings() {
	local dir=$1 f
	shift
	for f in "$@"; do
		[ -f "$dir/$f" ] || continue
		(cd "$dir" && perl "$tree/scripts/kernel-doc" -none -Wall "$f" 2>&1) |
			sed -n 's/^\([^:]*\):[0-9]*: \(warning\|error\): /\1: \2: /p'
	done | sort
}
warnings "$tmp/linux-source-6.12" "${files[@]}" >"$tmp/stock"
warnings "$tree" "${files[@]}" mm/dpidx_device_private.c include/dpidx/device_private.h >"$tmp/patched"
new=$(comm -13 "$tmp/stock" "$tmp/patched")
echo "kerneldoc.sh: stock $(wc -l <"$tmp/stock") warnings, patched $(wc -l <"$tmp/patched"), new $(echo -n "$new" | grep -c . || true)"
if [ -n "$new" ]; then
	echo "$new" >&2
	echo "kerneldoc.sh: FAIL: the series adds kernel-doc warnings (above)" >&2
	exit 1
fi
echo "kerneldoc.sh: PASS"
