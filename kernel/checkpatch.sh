#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/checkpatch.sh - the kernel's own style checker over dpidx.
#
#   bash kernel/checkpatch.sh [files...]
#
# Unpacks scripts/checkpatch.pl (with spelling.txt and
# const_structs.checkpatch) from the linux-source-6.12 package's tarball
# into kernel/.checkpatch/ once, then runs `checkpatch.pl --no-tree -f` over
# include/dpidx/*.h, kernel/*.[ch] and kernel/import/* (or the files
# given).  Fails on any ERROR; warnings are printed, not fatal.
#
# Environment: LINUX_SOURCE_TARBALL (default /usr/src/linux-source-6.12.tar.xz).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
cache=$here/.checkpatch
checkpatch=$cache/scripts/checkpatch.pl

if [ ! -x "$checkpatch" ]; then
	[ -r "$tarball" ] || {
		echo "checkpatch.sh: $tarball missing (apt-get install linux-source-6.12)" >&2
		exit 1
	}
	tmp=$(mktemp -d "$here/.checkpatch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp" --wildcards --strip-components=1 \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$cache"
	mv "$tmp" "$cache"
	trap - EXIT
fi

if [ $# -gt 0 ]; then
	files=("$@")
else
	cd "$top"
	files=()
	for f in include/dpidx/*.h kernel/*.c kernel/*.h kernel/hmm/churn/*.c kernel/import/*.c \
		 kernel/import/*.h; do
		case $f in *.mod.c) ;; *) files+=("$f") ;; esac	# kbuild output
	done
	# The mm/ series (issue 13), checked as patches.
	# The cover letter (0000) changes nothing: not a patch to check.
	for f in kernel/patches/*.patch; do
		case $f in */0000-*) continue ;; esac
		[ -f "$f" ] && files+=("$f")
	done
fi

errors=0
for f in "${files[@]}"; do
	# A patch is checked as one, from its own directory: given a path
	# through the repository, checkpatch.pl takes it for a file (-f).
	# The one list of encodings is an X-macro, which cannot be
	# parenthesised (the kernel's own X-macro lists trip this check too).
	ignore=()
	case $f in */encodings.h) ignore=(--ignore COMPLEX_MACRO) ;; esac
	if [[ $f == *.patch ]]; then
		out=$(cd "$(dirname "$f")" && perl "$checkpatch" --no-tree --no-signoff \
			--strict --show-types --color=never "$(basename "$f")" 2>&1) || true
		rm -f "$(dirname "$f")"/.checkpatch-camelcase.*
	else
		out=$(perl "$checkpatch" --no-tree --no-signoff --show-types --color=never \
			"${ignore[@]}" -f "$f" 2>&1) || true
	fi
	if grep -q '^ERROR:' <<<"$out"; then
		errors=$((errors + 1))
		echo "$out"
	elif grep -q '^WARNING:\|^CHECK:' <<<"$out"; then
		echo "$out"
	fi
	grep -E '^total:' <<<"$out" | sed "s|^|$f: |"
done
if [ "$errors" -gt 0 ]; then
	echo "checkpatch.sh: FAIL: errors in $errors file(s)" >&2
	exit 1
fi
echo "checkpatch.sh: PASS: no errors in ${#files[@]} files"
