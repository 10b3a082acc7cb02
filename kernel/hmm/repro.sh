#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/hmm/repro.sh - repeat the stage's stress step on one debug kernel
# and count: how many boots end in a kernel report (KASAN, lockdep, RCU,
# DEBUG_VM, warning, oops), and in the boots that do not, how many stress
# test runs passed and how many were incomplete migrations.
#
#   bash kernel/hmm/repro.sh OUT RUNS [LABEL]
#
# OUT: a debug kernel's build directory (stage.sh: TREE/.dpidx-out/debug),
# or a snapshot of one (stage.sh's DPIDX_KCACHE/kernels/NAME).
# Stops at the first report unless DPIDX_REPRO_ALL=1 (then all RUNS boots,
# for a rate).  Each boot is one run.sh stress step: DPIDX_HMM_STRESS rounds
# (default 4) with pgmap_churn loaded, DPIDX_QEMU_SMP CPUs (default 2).
# Every boot appends one line to DPIDX_KCACHE/repro/LABEL.tsv, so a later
# session resumes the count rather than restarting it, and the whole
# console of every boot with a report is kept beside it (LABEL-N.console),
# and of a boot with a failure other than an incomplete migration, the
# judge's reasons and every process's log (LABEL-N.runlog, LABEL-N.tests).
# Prints "repro LABEL: boots B reports R runs N pass P incomplete I".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: $0 OUT RUNS [LABEL]" >&2; exit 2; }
out=$(cd "$1" && pwd)
runs=$2
label=${3:-$(basename "$(dirname "$(dirname "$out")")")-$(basename "$out")}
cache=${DPIDX_KCACHE:-/var/cache/dpidx-kernel}
dir=$cache/repro
mkdir -p "$dir"
tsv=$dir/$label.tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -f "$out/.dpidx-snapshot" ]; then
	# A snapshot (stage.sh, experiments/snapshot.sh) brings its own.
	cp "$out/pgmap_churn.ko" "$tmp/"
else
	make -s -C "$out" M="$here/churn" clean >/dev/null 2>&1 || true
	make -s -C "$out" M="$here/churn" modules >/dev/null ||
		{ echo "repro.sh: pgmap_churn does not build against $out" >&2; exit 1; }
	cp "$here/churn/pgmap_churn.ko" "$tmp/"
	make -s -C "$out" M="$here/churn" clean >/dev/null 2>&1 || true
fi

[ -f "$tsv" ] || printf 'boot\tdate\tsmp\trounds\treport\truns\tpass\tincomplete\tother\tsecs\tvmstat\n' >"$tsv"
rounds=${DPIDX_HMM_STRESS:-4}
smp=${DPIDX_QEMU_SMP:-2}
for i in $(seq "$runs"); do
	n=$(($(wc -l <"$tsv")))
	t0=$(date +%s)
	rc=0
	DPIDX_HMM_CHURN=$tmp/pgmap_churn.ko DPIDX_HMM_STRESS=$rounds \
		DPIDX_QEMU_LOG=$tmp/console bash "$here/run.sh" "$out" "$tmp/results" \
		>"$tmp/run.log" 2>&1 || rc=$?
	secs=$(($(date +%s) - t0))
	report=none
	if grep -q 'the kernel reported a problem' "$tmp/run.log"; then
		report=$(grep -m1 -oE 'BUG: KASAN: [a-z-]+ in [A-Za-z0-9_]+|WARNING: [^\r]*|BUG: [^\r]*|possible [a-z ]+locking|suspicious RCU usage|general protection fault' \
			"$tmp/console" | head -1 | tr ' \t' '__')
		[ -n "$report" ] || report=other-report
		cp "$tmp/console" "$dir/$label-$n.console"
	elif [ "$rc" != 0 ] && ! [ -f "$tmp/results.stress" ]; then
		report=run-failed
		cp "$tmp/run.log" "$dir/$label-$n.runlog"
	fi
	counts=(0 0 0 0)
	if [ -f "$tmp/results.stress" ]; then
		read -r _ _ _ _ _ r _ p _ inc _ oth <"$tmp/results.stress"
		counts=("$r" "$p" "$inc" "$oth")
	fi
	# A failure other than an incomplete migration (a wrong value read
	# back, another errno) is what the stress rounds are for: keep the
	# judge's reasons and every process's log beside the TSV.
	if [ "${counts[3]}" != 0 ]; then
		cp "$tmp/run.log" "$dir/$label-$n.runlog"
		cp "$tmp/console.tests" "$dir/$label-$n.tests" 2>/dev/null || true
	fi
	rm -f "$tmp/results.stress"
	# /proc/vmstat's events over the rounds (run.sh's dpidx-vmstat
	# lines), those that moved, as NAME=DELTA,...; "-" without them.
	vm=$(awk '/^dpidx-vmstat (before|after):/ {
			w = $2; sub(/:$/, "", w)
			for (f = 3; f <= NF; f++) { split($f, kv, "="); v[w, kv[1]] = kv[2]; k[kv[1]] = 1 }
		} END {
			for (n in k) if (("after", n) in v && v["after", n] != v["before", n])
				o = o sprintf("%s%s=%d", o == "" ? "" : ",", n, v["after", n] - v["before", n])
			print o == "" ? "-" : o
		}' "$tmp/console" 2>/dev/null || echo -)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$(date -u +%FT%TZ)" \
		"$smp" "$rounds" "$report" "${counts[@]}" "$secs" "$vm" >>"$tsv"
	echo "repro $label: boot $n: report $report, runs ${counts[0]} pass ${counts[1]} incomplete ${counts[2]} other ${counts[3]} (${secs}s)"
	[ "$report" = none ] || [ "${DPIDX_REPRO_ALL:-0}" = 1 ] || break
done
awk -F'\t' -v l="$label" 'NR > 1 { b++; if ($5 != "none") r++; n += $6; p += $7; i += $8 }
	END { printf "repro %s: boots %d reports %d runs %d pass %d incomplete %d\n", l, b, r, n, p, i }' "$tsv"
