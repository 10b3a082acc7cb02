#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# bench/run.sh - the main job: install what is missing, build (release,
# -O2), run every encoding against the baselines, write the JSON to
# results/<machine>-<date>.json, regenerate results/README.md and the plots,
# and name the fastest encoding on the fault path.
#
# usage: bench/run.sh [--full] [--shapes=a,b,...] [--no-install] [--no-kernel]
#                     [--no-sys] [--compare=OLD.json] [-- extra Google Benchmark flags]
#   --full        all shapes, 4x the keys, 15 repetitions, longer runs
#   --shapes=     a subset (dpidx-bench --list-shapes), or custom:<R>x<P>
#   --no-install  never call apt-get (fail with a one-line message instead)
#   --no-kernel   skip the kernel maple tree / xarray baselines on purpose
#   --compare=    also compare against an earlier run with compare.py
#   --no-sys      skip dpidx-sys (system behaviour: scaling, update, memory,
#                 backing, NUMA; ~1 minute by default, --full much longer),
#                 whose JSON goes to results/sys/<same name>.json
# Environment: DPIDX_LINUX_SOURCE, the linux-source tarball (default
# /usr/src/linux-source-6.12.tar.xz).
#
# Every run: 9 or more repetitions, each in a fresh order drawn from a
# recorded seed (dpidx-bench --seed=N replays one), and the JSON context
# records the commit, whether the tree was dirty and the sha256 of
# include/dpidx/ (bench/report.py --header-hash): only a run from a clean
# tree whose hash is the current one counts for the verdict.
#
# The default run takes a few minutes on 2 cores and needs ~5 GiB of RAM
# (two shapes' worth of descriptors at most: the pfn array is kept while
# another family of the same shape runs; 2 GiB each for the largest).
set -eu

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

full=0 install=1 kernel=1 shapes="" compare="" extra="" sysb=1
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=1 ;;
	--no-install) install=0 ;;
	--no-kernel) kernel=0 ;;
	--no-sys) sysb=0 ;;
	--shapes=*) shapes=${1#--shapes=} ;;
	--compare=*) compare=${1#--compare=} ;;
	--) shift; extra="$*"; break ;;
	-h|--help) sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see bench/run.sh --help)" ;;
	esac
	shift
done
[ -z "$compare" ] || [ -r "$compare" ] || die "--compare: cannot read '$compare'"

# ---- 1. what the build and the report need ---------------------------------
linux_tar=${DPIDX_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
pkgs="meson ninja-build gcc g++ pkg-config liburcu-dev libnuma-dev
      libbenchmark-dev libbenchmark-tools python3-matplotlib python3-scipy valgrind git"
[ $kernel = 1 ] && pkgs="$pkgs linux-source-6.12"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ $install = 0 ] || [ "$(id -u)" != 0 ]; then
		die "missing packages:$missing; run as root without --no-install, or: apt-get install$missing"
	fi
	echo "bench/run.sh: installing$missing"
	apt-get update -qq >/dev/null || die "apt-get update failed; check the network/apt sources"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
		die "apt-get install$missing failed"
fi
if [ $kernel = 1 ] && [ ! -r "$linux_tar" ]; then
	die "missing $linux_tar: apt-get install linux-source-6.12 (or pass --no-kernel to skip the kernel baselines)"
fi

# ---- 2. build ----------------------------------------------------------------
build=build-bench
src_opt="-Dlinux_source=$linux_tar"
[ $kernel = 1 ] || src_opt="-Dlinux_source=/nonexistent/linux-source (skipped by --no-kernel)"
if [ ! -d "$build" ]; then
	meson setup "$build" -Dbench=true --buildtype=release "$src_opt" >/dev/null ||
		die "meson setup failed (see $build/meson-logs)"
fi
# release, then -O2 (the kernel's level): two steps, as buildtype resets it.
meson configure "$build" -Dbench=true -Dbuildtype=release "$src_opt" >/dev/null &&
	meson configure "$build" -Doptimization=2 -Db_ndebug=true >/dev/null ||
	die "meson configure failed (see $build/meson-logs)"
ninja -C "$build" -j2 bench/dpidx-bench bench/dpidx-instr bench/dpidx-sys >/dev/null ||
	die "build failed: ninja -C $build shows why"
bin=$build/bench/dpidx-bench
[ $kernel = 1 ] ||
	echo "bench/run.sh: kernel maple tree / xarray baselines SKIPPED (--no-kernel): ratios to mtree are left empty"

# ---- 3. run ------------------------------------------------------------------
mkdir -p results
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1)
machine=$(printf '%s-%s-%sc' "$(uname -n)" "$cpu" "$(nproc)" |
	tr 'A-Z' 'a-z' | tr -cs 'a-z0-9_.\n-' '-' | sed 's/-*$//')
json=results/$machine-$(date -u +%Y%m%d).json
[ -e "$json" ] && json=results/$machine-$(date -u +%Y%m%d-%H%M).json
args=""
[ -n "$shapes" ] && args="--shapes=$shapes"
# 9 repetitions is what compare.py's U test asks for; the per-cell time is
# cut instead (0.01 s, a fifth of the old 0.05 s), so the default run costs
# about what it did.
if [ $full = 1 ]; then
	reps=15
	args="$args --full --repetitions=$reps --cold-iterations=64 --benchmark_min_time=0.1"
else
	reps=9
	args="$args --repetitions=$reps --cold-iterations=32 --benchmark_min_time=0.01"
fi
# Shapes first: a wrong name or size stops here with one line.
"$bin" $args --repetitions=1 --benchmark_list_tests=true >/dev/null || exit 1
n=$("$bin" $args --repetitions=1 --benchmark_list_tests=true | wc -l)
# What makes a run count (bench/report.py): a clean tree (no change to a
# tracked file but results/README.md, which every run rewrites; untracked
# files such as earlier results do not build into anything) and the hash of
# the headers it measured.
dirty=true
git -C "$root" diff --quiet HEAD -- . ':(exclude)results/README.md' 2>/dev/null &&
	dirty=false
hash=$(/usr/bin/python3 bench/report.py --header-hash) || die "cannot hash include/dpidx/"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ $dirty = false ] ||
	echo "bench/run.sh: the tree has uncommitted changes: this run will not count for the verdict"
echo "bench/run.sh: $n benchmarks x $reps interleaved repetitions, $( [ $full = 1 ] && echo full || echo default) run -> $json"
log=$build/bench-last.log
# Index memory on equal footing: every subject's index nodes on THP (the
# malloc heap too, where the kernel trees' nodes live), as slab memory sits
# on the kernel's huge-page direct map.
# shellcheck disable=SC2086
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
"$bin" $args --out="$json" --context=tree_dirty=$dirty \
	--context=include_dpidx_sha256="$hash" --context=tree_commit="$commit" \
	$extra 2>&1 | tee "$log" |
	grep --line-buffered -E '^control/load/evicted|SKIP|ERROR|error' || true
[ -s "$json" ] || die "no results written; see $log"
grep -q '"error_occurred": true' "$json" &&
	echo "bench/run.sh: some benchmarks reported errors (see $log)"

# ---- 3b. system behaviour (bench/sys_bench.c) ----------------------------------
if [ $sysb = 1 ]; then
	mkdir -p results/sys
	sysjson=results/sys/$(basename "$json")
	echo "bench/run.sh: system behaviour ($( [ $full = 1 ] && echo full || echo default)) -> $sysjson"
	"$build/bench/dpidx-sys" $( [ $full = 1 ] && echo --full) --out="$sysjson" \
		>"$build/sys-last.log" 2>&1 || die "dpidx-sys failed; see $build/sys-last.log"
	grep -v '^  ' "$build/sys-last.log" || true
fi

# ---- 4. report ---------------------------------------------------------------
if [ -n "$compare" ]; then
	cmp=$(dpkg -L libbenchmark-tools | grep '/compare.py$' | head -1)
	[ -n "$cmp" ] || die "compare.py not found: apt-get install libbenchmark-tools"
	/usr/bin/python3 "$cmp" benchmarks "$compare" "$json" | tee "$build/compare-last.txt"
fi
exec /usr/bin/python3 bench/report.py --results results --latest "$json"
