#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/experiments/run.sh - issue 22's experiment: does widening the
# window between migrate_device_range() and migrate_device_finalize() make
# the rmap_walk_anon use-after-free more frequent, and does the series'
# 0001 (the anon_vma reference) remove it whatever the window?
#
#   bash kernel/hmm/experiments/run.sh OUT BOOTS LABEL [DELAY_MS...]
#
# OUT: a debug kernel built from a tree with widen-evict-window.patch
# applied (test_hmm's evict_delay_ms parameter), with or without 0001.
# For each of BOOTS rounds, one stress boot per delay (default: 0 and 20
# ms), interleaved, counted by kernel/hmm/repro.sh into
# DPIDX_KCACHE/repro/LABEL-delayD.tsv (all boots, not only to the first
# report).
#
# DPIDX_EXP_PARAMS="NAME=PARAMS;..." replaces the delays: one boot per
# setting per round, test_hmm loaded with PARAMS (spaces between
# parameters), counted into LABEL-NAME.tsv; e.g. for
# widen-alloc-window.patch "old=alloc_old_order=1 alloc_window_us=200;
# new=alloc_old_order=0 alloc_window_us=200".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 3 ] || { echo "usage: $0 OUT BOOTS LABEL [DELAY_MS...]" >&2; exit 2; }
out=$1 boots=$2 label=$3
shift 3
delays=("$@")
[ ${#delays[@]} -gt 0 ] || delays=(0 20)
settings=()
if [ -n "${DPIDX_EXP_PARAMS:-}" ]; then
	IFS=';' read -r -a settings <<<"$DPIDX_EXP_PARAMS"
else
	for d in "${delays[@]}"; do
		settings+=("delay$d=evict_delay_ms=$d")
	done
fi
for _ in $(seq "$boots"); do
	for s in "${settings[@]}"; do
		DPIDX_REPRO_ALL=1 DPIDX_HMM_PARAMS="${s#*=}" \
			bash "$here/repro.sh" "$out" 1 "$label-${s%%=*}" | tail -2
	done
done
