#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# The per-architecture table in README.md must be exactly what
# tests/arch_table.c prints from include/dpidx/arch.h.
#   readme_table.sh ARCH_TABLE_BINARY README.md
set -eu
bin=$1; readme=$2
n=0
"$bin" | grep '^|' | while IFS= read -r line; do
	if ! grep -qxF -- "$line" "$readme"; then
		echo "README.md lacks (or has a stale) per-arch row:"
		echo "  $line"
		echo "regenerate: ninja -C BUILD arch-table, then copy results/arch-table.md's table into README.md"
		exit 1
	fi
done
n=$("$bin" | grep -c '^|')
echo "readme: all $n rows of the per-arch table match"
