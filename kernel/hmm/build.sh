#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/build.sh - build one x86-64 kernel for the hmm-tests stage from
# Debian's linux-source-6.12: tinyconfig plus the fragments named, in a
# build directory that is kept between runs (incremental, ccache).
#
#   bash kernel/hmm/build.sh TREE OUT FRAGMENT...
#
# TREE: an unpacked 6.12 tree (kernel/hmm/unpack.sh); OUT: the O= build
# directory.  Every CONFIG_ line of every fragment must end up in .config
# as written, and every "# CONFIG_X is not set" must end up unset:
# merge_config.sh only warns, and olddefconfig silently drops a symbol whose
# dependencies are off, so the check is done here.  Leaves OUT/bzImage,
# OUT/vmlinux and a prepared tree for out-of-tree modules.
#
# Environment: DPIDX_KJOBS (make -j, default 2), DPIDX_KCC (compiler,
# default "ccache gcc" when ccache is installed).

set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 TREE OUT FRAGMENT..." >&2; exit 2; }
tree=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
frags=()
for f in "$@"; do frags+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
jobs=${DPIDX_KJOBS:-2}
if [ -z "${DPIDX_KCC:-}" ]; then
	DPIDX_KCC=gcc
	command -v ccache >/dev/null && DPIDX_KCC="ccache gcc"
fi
die() { echo "build.sh: FAIL: $*" >&2; exit 1; }
mk() { make -s -C "$tree" O="$out" ARCH=x86_64 CC="$DPIDX_KCC" "$@"; }

# ccache across trees: build directories sit at the same place inside each
# tree (stage.sh: TREE/.dpidx-out/NAME), paths are hashed relative to the
# trees' parent, and -fmacro-prefix-map (which names the tree) is left out
# of the hash: a stock and a patched tree then share every object whose
# sources the series does not touch.
if [[ $DPIDX_KCC == ccache* ]]; then
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$tree")}
	export CCACHE_NOHASHDIR=1
	export CCACHE_IGNOREOPTIONS='-fmacro-prefix-map=*'
fi

# A stable build identity, so that an unchanged tree rebuilds nothing and
# ccache hits across build directories.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=dpidx KBUILD_BUILD_HOST=dpidx

# tinyconfig, the fragments, olddefconfig.  In a kept tree only the
# symbols that changed make anything rebuild (syncconfig and fixdep track
# each CONFIG_ symbol), so regenerating every time costs nothing.
mk tinyconfig >/dev/null
(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null)
mk olddefconfig >/dev/null
bad=0
# later names every symbol a later fragment sets: as in merge_config.sh,
# the last fragment to name a symbol decides it (distro.config turns on
# what minimal.config leaves off).
later() {
	local g seen=0
	for g in "${frags[@]}"; do
		[ "$seen" = 1 ] && grep -qE "^(# )?$2[= ]" "$g" && return 0
		[ "$g" = "$1" ] && seen=1
	done
	return 1
}
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			later "$f" "${line%%=*}" && continue
			grep -qxF -- "$line" "$out/.config" || {
				echo "build.sh: $(basename "$f"): '$line' not in .config (got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo absent))" >&2
				bad=1
			} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			later "$f" "$sym" && continue
			! grep -q "^$sym=" "$out/.config" || {
				echo "build.sh: $(basename "$f"): $sym should be unset" >&2
				bad=1
			} ;;
		esac
	done <"$f"
done
[ "$bad" = 0 ] || die "the configuration lacks fragment lines (dependencies off?)"

start=$(date +%s)
mk -j"$jobs" bzImage modules || die "kernel build failed in $out"
ln -sf arch/x86/boot/bzImage "$out/bzImage"
echo "build.sh: $(basename "$out"): built in $(( $(date +%s) - start ))s ($DPIDX_KCC, -j$jobs)"
