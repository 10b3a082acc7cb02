#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/experiments/evict_interleaved.sh - issue 16's eviction
# experiment on several kernels at once: does a kernel leave migrations
# incomplete once test_hmm's release no longer evicts the other process's
# pages?
#
#   bash kernel/hmm/experiments/evict_interleaved.sh BOOTS LABEL NAME=DIR...
#
# Each DIR is a snapshot made by snapshot.sh with release-evict.patch (the
# debug kernel's test_hmm with its release_evict parameter).  Every round
# boots every kernel twice, release_evict=1 (6.12's behaviour) and 0, one
# repro.sh boot each, counted into DPIDX_KCACHE/repro/LABEL-NAME-evict.tsv
# and LABEL-NAME-noevict.tsv; the kernel order and the setting order
# reverse every round.  Boots already recorded count, so a killed run
# resumes.  Prints repro_table.py's table; the verdicts are the ones
# results/hmm-stress.md fixed before the boots (Fisher over the noevict
# runs, rate_judge.py on the evict arms).  Fails on any kernel report.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${DPIDX_KCACHE:-/var/cache/dpidx-kernel}
[ $# -ge 3 ] || { echo "usage: $0 BOOTS LABEL NAME=DIR..." >&2; exit 2; }
boots=$1 label=$2
shift 2
kernels=("$@")
for k in "${kernels[@]}"; do
	[ -f "${k#*=}/.dpidx-snapshot" ] && [ -f "${k#*=}/lib/test_hmm.ko" ] ||
		{ echo "evict_interleaved.sh: ${k#*=} is not a snapshot" >&2; exit 1; }
	modinfo -p "${k#*=}/lib/test_hmm.ko" | grep -q '^release_evict:' ||
		{ echo "evict_interleaved.sh: ${k#*=}: test_hmm has no release_evict" >&2; exit 1; }
done

done_boots() {
	local t=$cache/repro/$1.tsv
	[ -f "$t" ] && echo $(($(wc -l <"$t") - 1)) || echo 0
}

settings=(evict=1 noevict=0)
order=("${kernels[@]}")
for b in $(seq "$boots"); do
	for k in "${order[@]}"; do
		for s in "${settings[@]}"; do
			name=$label-${k%%=*}-${s%%=*}
			[ "$(done_boots "$name")" -lt "$b" ] || continue
			DPIDX_REPRO_ALL=1 DPIDX_HMM_PARAMS="release_evict=${s#*=}" \
				bash "$here/repro.sh" "${k#*=}" 1 "$name" | tail -2
		done
	done
	mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
	mapfile -t settings < <(printf '%s\n' "${settings[@]}" | tac)
done

python3 "$here/repro_table.py" "$cache/repro" --only "$label-"
if cat "$cache/repro/$label-"*.tsv | awk -F'\t' '$1 != "boot" && $5 != "none"' | grep -q .; then
	echo "evict_interleaved.sh: FAIL: a boot ended in a kernel report (above)" >&2
	exit 1
fi
