#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Build tests/test_api.c exactly as API.md tells an outside program to
# (-I include, -lurcu -lnuma -lpthread, nothing from lib/), with every C
# compiler present and every encoding override, and run it.
#   api_compile.sh SRCDIR OUTDIR ENCODING...
set -eu
src=$1; out=$2; shift 2
mkdir -p "$out"
n=0
for cc in gcc clang; do
	command -v "$cc" >/dev/null 2>&1 || continue
	for enc in default "$@"; do
		def=
		[ "$enc" = default ] || def="-DDPIDX_ENCODING_$(echo "$enc" | tr a-z A-Z)"
		bin="$out/api-$cc-$enc"
		# shellcheck disable=SC2086
		$cc -std=gnu11 -Wall -Wextra -Werror -O2 $def -I "$src/include" \
			"$src/tests/test_api.c" -o "$bin" -lurcu -lnuma -lpthread
		if [ "$enc" = default ]; then "$bin"; else "$bin" "$enc"; fi
		n=$((n + 1))
	done
done
echo "api_compile: $n builds from API.md's recipe ran clean"
