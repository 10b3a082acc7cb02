#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/experiments/snapshot.sh OUT DIR [PATCH] - a stress snapshot
# of the debug kernel in OUT whose test_hmm.ko carries PATCH (default
# widen-evict-window.patch: evict_delay_ms; widen-alloc-window.patch:
# alloc_window_us and alloc_old_order), built as an external module
# against OUT: the same kernel, only a window of the driver made
# adjustable.  DIR is then an OUT for repro.sh and experiments/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# = 2 ] || [ $# = 3 ] || { echo "usage: $0 OUT DIR [PATCH]" >&2; exit 2; }
exp=$(cd "$(dirname "${3:-$here/widen-evict-window.patch}")" && pwd)/$(basename "${3:-widen-evict-window.patch}")
out=$(cd "$1" && pwd)
src=$(cd "$out/source" && pwd)
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/m/lib"
cp "$src/lib/test_hmm.c" "$src/lib/test_hmm_uapi.h" "$tmp/m/lib/"
patch -s -p1 -d "$tmp/m" <"$exp"
mv "$tmp/m/lib/"* "$tmp/m/" && rmdir "$tmp/m/lib"
echo 'obj-m := test_hmm.o' >"$tmp/m/Kbuild"
make -s -C "$out" M="$tmp/m" modules >/dev/null
mkdir -p "$tmp/c"
cp "$here/../churn/pgmap_churn.c" "$here/../churn/Kbuild" "$tmp/c/"
make -s -C "$out" M="$tmp/c" modules >/dev/null
rm -rf "$dir"
mkdir -p "$dir/arch/x86/boot" "$dir/lib"
cp "$out/arch/x86/boot/bzImage" "$dir/arch/x86/boot/"
cp "$tmp/m/test_hmm.ko" "$dir/lib/"
cp "$tmp/c/pgmap_churn.ko" "$dir/"
ln -s "$src" "$dir/source"
make -s -C "$src" O="$out" ARCH=x86_64 headers >/dev/null
gcc -static -O2 -Wall -U_FORTIFY_SOURCE -I "$src" -I "$src/tools/testing/selftests" \
	-isystem "$out/usr/include" -o "$dir/hmm-tests" \
	"$src/tools/testing/selftests/mm/hmm-tests.c" -lrt -lpthread -lm
touch "$dir/.dpidx-snapshot"
echo "snapshot.sh: $dir: $(basename "$(dirname "$(dirname "$out")")") with test_hmm + $(basename "$exp")"
