#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# localize.sh LD OBJCOPY AR IN.a OUT.a
#
# Turn the static library of kernel objects into one relocatable object in
# which only the kb_* interface of kbase.h stays global.  The kernel's
# userspace harness defines very generic global names (kmalloc, kfree,
# nr_allocated, preempt_count, test_verbose, kmem_cache_*, radix_tree_*,
# xa_*, mtree_*, mas_*, __bitmap_*, _find_next_bit, ...) that would clash
# with, or silently interpose on, anything else in a benchmark program.
# -fvisibility=hidden would not help: it only controls dynamic exports, a
# static link still sees every global.  So: link the objects together
# (ld -r) so their cross references resolve, then demote every defined
# global except kb_* to a local symbol.  Undefined references (libc,
# pthreads, liburcu's urcu_memb_*) are left alone and resolve at the final
# link.
set -eu

if [ $# -ne 5 ]; then
	echo "usage: $0 LD OBJCOPY AR IN.a OUT.a" >&2
	exit 2
fi
ld=$1
objcopy=$2
ar=$3
in=$4
out=$5

obj="$out.o"
rm -f "$obj" "$out"
"$ld" -r -o "$obj" --whole-archive "$in" --no-whole-archive
"$objcopy" --wildcard --keep-global-symbol='kb_*' "$obj"
"$ar" rcs "$out" "$obj"
rm -f "$obj"
