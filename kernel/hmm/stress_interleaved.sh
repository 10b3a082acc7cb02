#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/stress_interleaved.sh - the full-size stress comparison of
# issues 16 and 22, resumable: boot the stage's stress snapshots (the stock
# control and every encoding's patched debug kernel, DPIDX_KCACHE/kernels/
# stress-*) interleaved, one repro.sh boot each in turn, until every kernel
# has BOOTS boots recorded under LABEL-PREFIX, then print repro_table.py's
# table and rate_judge.py's verdict on the incomplete-migration counts.
#
#   bash kernel/hmm/stress_interleaved.sh BOOTS PREFIX [KERNEL...]
#
# DPIDX_QEMU_SMP sets the guests' CPUs as for repro.sh (the -smp 4 comparison
# of issue 16: DPIDX_QEMU_SMP=4 ... 5 s4v, 112 runs a boot).
# KERNELs default to stock and every encoding with a snapshot.  The order
# reverses every other boot, as stage.sh's stress step does.  Boots already
# recorded in DPIDX_KCACHE/repro/PREFIX-KERNEL.tsv count: a later session
# (or a killed one) resumes where the last boot ended.  The snapshots must
# be the current series' (stage.sh's stress step makes them and stamps
# them): the script refuses any other.  Fails on any kernel report, and
# when rate_judge.py finds a patched kernel's rate measurably higher.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DPIDX_KCACHE:-/var/cache/dpidx-kernel}
[ $# -ge 2 ] || { echo "usage: $0 BOOTS PREFIX [KERNEL...]" >&2; exit 2; }
boots=$1 prefix=$2
shift 2
kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
	kernels=(stock)
	for d in "$cache"/kernels/stress-*; do
		k=${d##*/stress-}
		[ "$k" = stock ] || kernels+=("$k")
	done
fi
# The stamps stage.sh gives its trees (stock_tree, patched_tree).
fixes=$(grep -l '^Cc: stable@vger.kernel.org' "$repo"/kernel/patches/*.patch || true)
want_stock=$(cat /dev/null $fixes | sed -n '/^--- a\//,$p' | sha256sum | cut -c1-16)
want_patched=$( (cat "$repo"/kernel/patches/*.patch | sed -n '/^--- a\//,/^-- $/p'
	cat "$repo"/include/dpidx/*.h "$repo"/kernel/import/device_private.[ch]) |
	sha256sum | cut -c1-16)
for k in "${kernels[@]}"; do
	s=$cache/kernels/stress-$k/.dpidx-snapshot
	[ -f "$s" ] || { echo "stress_interleaved.sh: no snapshot stress-$k (run stage.sh stress)" >&2; exit 1; }
	want=$want_patched
	[ "$k" != stock ] || want=$want_stock
	[ "$(cat "$s")" = "$want" ] ||
		{ echo "stress_interleaved.sh: stress-$k is not the current series' (run stage.sh stress)" >&2; exit 1; }
done

done_boots() {
	local t=$cache/repro/$prefix-$1.tsv
	[ -f "$t" ] && echo $(($(wc -l <"$t") - 1)) || echo 0
}

order=("${kernels[@]}")
for b in $(seq "$boots"); do
	for k in "${order[@]}"; do
		[ "$(done_boots "$k")" -lt "$b" ] || continue
		DPIDX_REPRO_ALL=1 bash "$here/repro.sh" "$cache/kernels/stress-$k" 1 "$prefix-$k"
	done
	mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
done

python3 "$here/repro_table.py" "$cache/repro" --only "$prefix-"
# Any kernel report fails the comparison, whatever the counts.
if cat "$cache/repro/$prefix-"*.tsv | awk -F'\t' '$1 != "boot" && $5 != "none"' | grep -q .; then
	echo "stress_interleaved.sh: FAIL: a boot ended in a kernel report (above)" >&2
	exit 1
fi
# Each kernel's TSV is its boots: rate_judge.py judges them boot by boot.
judge=()
for k in "${kernels[@]}"; do
	judge+=("$k=$cache/repro/$prefix-$k.tsv")
done
/usr/bin/python3 "$here/rate_judge.py" "${judge[@]}"
