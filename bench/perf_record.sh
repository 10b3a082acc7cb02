#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# bench/perf_record.sh BENCH BUILDDIR - the `perf-record` run target:
#   DPIDX_PERF_FILTER=<regex> ninja -C build-bench perf-record
# records `perf record -g` of the one dpidx-bench benchmark the filter
# selects (default: the first fault-path benchmark) into
# BUILDDIR/perf.data and prints the top of `perf report`.  Where perf
# cannot record (no perf binary: apt-get install linux-perf; no PMU or
# perf_event_paranoid), it says so in one line and exits 0.
set -u
bench=$1
dir=$2
filter=${DPIDX_PERF_FILTER:-}
if [ -z "$filter" ]; then
	filter=$("$bench" --benchmark_list_tests=true 2>/dev/null | grep -m1 fault)
	[ -n "$filter" ] || filter=$("$bench" --benchmark_list_tests=true | head -1)
	filter="^$filter\$"
fi
if ! command -v perf >/dev/null 2>&1; then
	echo "perf-record: no perf binary (apt-get install linux-perf); nothing recorded"
	exit 0
fi
out=$dir/perf.data
if ! perf record -q -g -o "$out" -- "$bench" --benchmark_filter="$filter" \
	--benchmark_min_time=0.5 >"$dir/perf-record.log" 2>&1; then
	echo "perf-record: perf cannot record here ($(grep -m1 -iE 'error|not supported|denied|paranoid' "$dir/perf-record.log" || tail -1 "$dir/perf-record.log")); see $dir/perf-record.log"
	exit 0
fi
echo "perf-record: $filter -> $out"
perf report -i "$out" --stdio --no-children 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25
