#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""kernel/hmm/repro_table.py - the counts kernel/hmm/repro.sh recorded, as
Markdown: one row per label (one kernel, one setting), and the test that
says whether a fix removed the kernel reports.

    repro_table.py DIR [--only PREFIX] [BEFORE:AFTER ...]

DIR: repro.sh's directory (DPIDX_KCACHE/repro), one LABEL.tsv per label.
Each BEFORE:AFTER pair of labels gets a one-sided Fisher exact test of
"AFTER's boots end in a kernel report less often than BEFORE's" (the same
test as rate_judge.py, the other way round).
"""
import collections
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rate_judge import fisher_greater  # noqa: E402


def vmstat_sums(rows):
    sums = collections.Counter()
    for r in rows:
        if len(r) > 10 and r[10] != '-':
            for kv in r[10].split(','):
                k, v = kv.split('=')
                sums[k] += int(v)
    return sums


def load(path):
    rows = [line.rstrip('\n').split('\t') for line in open(path)][1:]
    kinds = collections.Counter(r[4] for r in rows if r[4] != 'none')
    return {
        'boots': len(rows),
        'reports': sum(kinds.values()),
        'kinds': kinds,
        'runs': sum(int(r[5]) for r in rows),
        'pass': sum(int(r[6]) for r in rows),
        'incomplete': sum(int(r[7]) for r in rows),
        'other': sum(int(r[8]) for r in rows),
        'smp': sorted({r[2] for r in rows}),
        'rounds': sorted({r[3] for r in rows}),
        # repro.sh's vmstat column (older files have none): each event's
        # total over the boots that recorded it.
        'vmstat': vmstat_sums(rows),
        'first': rows[0][1] if rows else '',
        'last': rows[-1][1] if rows else '',
    }


def main(argv):
    d = argv.pop(0)
    only = ''
    if argv[:1] == ['--only']:
        # Only the labels of one experiment (stress_interleaved.sh's prefix).
        only = argv[1]
        argv = argv[2:]
    t = {os.path.basename(p)[:-4]: load(p)
         for p in sorted(glob.glob(d + '/' + glob.escape(only) + '*.tsv'))}
    print('| label | boots | boots with a kernel report | reports | stress test runs '
          '(clean boots) | passed | incomplete migrations | CPUs | rounds/boot | when (UTC) |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for k, v in t.items():
        kinds = ', '.join(f'{n}x `{w}`' for w, n in v['kinds'].items()) or '-'
        inc = f"{v['incomplete']} ({100 * v['incomplete'] / v['runs']:.1f} %)" if v['runs'] else '0'
        print(f"| {k} | {v['boots']} | {v['reports']} | {kinds} | {v['runs']} | {v['pass']} | "
              f"{inc} | {'/'.join(v['smp'])} | {'/'.join(v['rounds'])} | "
              f"{v['first'][:16]} - {v['last'][11:16]} |")
    events = ('pgmigrate_success', 'pgmigrate_fail', 'compact_stall', 'compact_isolated',
              'compact_fail', 'thp_migration_fail')
    if any(v['vmstat'] for v in t.values()):
        print()
        print('| label | ' + ' | '.join(events) + ' |')
        print('| --- |' + ' --- |' * len(events))
        for k, v in t.items():
            print(f'| {k} | ' + ' | '.join(str(v['vmstat'][e]) for e in events) + ' |')
    for pair in argv[1:]:
        b, a = pair.split(':')
        if b not in t or a not in t:
            continue
        tb, ta = t[b], t[a]
        # One-sided: BEFORE's report count is higher than AFTER's.
        p = fisher_greater(ta['reports'], ta['boots'], tb['reports'], tb['boots'])
        print()
        print(f"- {b} -> {a}: boots with a report {tb['reports']}/{tb['boots']} -> "
              f"{ta['reports']}/{ta['boots']}, one-sided Fisher exact p = {p:.3g}")


if __name__ == '__main__':
    main(sys.argv[1:])
