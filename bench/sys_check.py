#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/sys_check.py DPIDX_SYS - the `bench` suite's check of dpidx-sys.

Impossible values (0 threads, negative rates, ...) must stop it with one
line on stderr and exit status 2; a tiny run of every section must write
JSON of the shape bench/sys_report.py reads, with every encoding of
tests/enc.h, the v6 baseline when it was built, and sane figures (no
lookup of a mapped key missing, percentiles in order, the NUMA and perf
statements made once).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)


def encodings():
    text = open(os.path.join(HERE, '..', 'tests', 'enc.h')).read()
    body = text.split('#define DPIDX_FOR_EACH_ENCODING(X)', 1)[1].split('\n\n', 1)[0]
    return re.findall(r'X\((\w+),', body)


for bad in ['--readers=0', '--readers=1,0', '--writers=-1', '--rates=-5',
            '--rates=1000,-1', '--seconds=0', '--seconds=-1', '--readers=x',
            '--update-max=0', '--desc-backing=2m', '--repetitions=0', '--bogus']:
    p = subprocess.run([BIN, bad], capture_output=True, text=True, timeout=30)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2, f'{bad}: exit {p.returncode}, want 2')
    check(len(lines) == 1 and lines[0].startswith('dpidx-sys: '),
          f'{bad}: want one "dpidx-sys: ..." line, got {lines!r}')
    check(p.stdout == '', f'{bad}: ran anyway ({p.stdout[:80]!r})')

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, 'sys.json')
    p = subprocess.run([BIN, '--readers=1,2', '--writers=0,1', '--rates=0,1000',
                        '--seconds=0.05', '--repetitions=2', '--update-max=100',
                        '--scaling-shape=nouveau-64', '--memory-shapes=nouveau-64,hmm-64x256M',
                        '--fault-shapes=nouveau-64', f'--out={out}'],
                       capture_output=True, text=True, timeout=240)
    check(p.returncode == 0, f'tiny run: exit {p.returncode}: {p.stderr[-300:]}')
    doc = json.load(open(out)) if os.path.exists(out) else {}

ctx = doc.get('context', {})
for k in ['date', 'host', 'cpu_model', 'cpus', 'numa_nodes', 'numa', 'perf_available',
          'perf', 'git_commit', 'mode', 'subjects', 'v6_baseline']:
    check(k in ctx, f'context: no {k}')
subjects = ctx.get('subjects', '').split(',')
for e in encodings():
    check(e in subjects, f'encoding {e} of tests/enc.h is not a subject')
v6 = not ctx.get('v6_baseline', '').startswith('SKIPPED')
check(('mtree' in subjects) == v6, 'mtree subject iff the kernel baseline was built')
check(isinstance(doc.get('peak_rss_kib'), (int, float)) and doc['peak_rss_kib'] > 0,
      'peak_rss_kib')
check(p.stdout.count('NUMA node') == 1, 'the NUMA statement is made once on stdout')
if ctx.get('numa_nodes') == 1:
    check(ctx.get('numa') == 'one NUMA node: no remote figures', 'one-node NUMA line')
    check(all(r['numa'] == 'single' for r in doc.get('fault', [])),
          'no remote figures on one node')
if not ctx.get('perf_available', True):
    check('valgrind' in ctx.get('perf', ''), 'no PMU: points to the valgrind figures')

movers = [s for s in subjects if s != 'pfn']
for sec, subs in [('scaling', movers), ('update', movers), ('memory', subjects),
                  ('fault', subjects)]:
    recs = doc.get(sec, [])
    check(recs, f'{sec}: empty')
    seen = {r.get('subject') for r in recs}
    for s in subs:
        check(s in seen, f'{sec}: no record for {s}')

for r in doc.get('scaling', []):
    tag = f"scaling {r['subject']} r{r['readers']} w{r['writers']}"
    check(r['misses'] == 0, f'{tag}: {r["misses"]} lookups of mapped keys missed')
    check(r['lookups_per_s_per_reader'] > 0, f'{tag}: no lookups')
    check(r['repetitions'] == 2 and r['lookups_per_s_per_reader_lo'] <=
          r['lookups_per_s_per_reader'] <= r['lookups_per_s_per_reader_hi'],
          f'{tag}: repetitions and their range')
    check(r['p50_ns'] <= r['p99_ns'] <= r['p999_ns'], f'{tag}: percentiles out of order')
    check(r['oversubscribed'] == (r['readers'] + r['writers'] > ctx.get('cpus', 0)),
          f'{tag}: oversubscribed label')
    if r['writers']:
        check(r['writer_ops'] > 0 and r['writer_errors'] == 0, f'{tag}: writers did nothing')
        check(r['gp_wait_ns'] is not None and r['gp_wait_ns'] > 0, f'{tag}: no grace period timed')
    else:
        check(r['rate_target'] == 0, f'{tag}: rate without writers')
for r in doc.get('update', []):
    tag = f"update {r['subject']} {r['existing_ranges']}"
    check(r['reps'] > 0, f'{tag}: no repetitions')
    check(r['unmap_gp_p50_ns'] > 0, f'{tag}: unmap waited for no grace period')
    check(r['unmap_unpublish_p50_ns'] >= 0, f'{tag}: negative unpublish')
check(sorted({r['existing_ranges'] for r in doc.get('update', [])}) == [1, 10, 100],
      'update: 1, 10, 100 existing ranges')
for r in doc.get('memory', []):
    tag = f"memory {r['subject']} {r['shape']}"
    # malloc's own bookkeeping moves by a few bytes either way (pfn: ~0).
    check(r['index_bytes'] >= -4096 and r['descriptor_bytes'] >= r['pages'] * 64,
          f'{tag}: index {r["index_bytes"]}, descriptors {r["descriptor_bytes"]}')
for r in doc.get('fault', []):
    check(r['ns_per_fault'] > 0, f"fault {r['subject']}: no time")
check({r['backing'] for r in doc.get('fault', [])} == {'thp', '4k'}, 'fault: both backings')

# The counter plumbing, with software events standing in for a PMU.
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, 'sys.json')
    env = dict(os.environ, DPIDX_PERF_SOFTWARE='1')
    p = subprocess.run([BIN, '--sections=fault', '--fault-shapes=nouveau-64',
                        '--desc-backing=thp', f'--out={out}'],
                       capture_output=True, text=True, timeout=120, env=env)
    check(p.returncode == 0, f'software counters: exit {p.returncode}: {p.stderr[-300:]}')
    soft = json.load(open(out)) if os.path.exists(out) else {}
    check(soft.get('context', {}).get('perf_available') is True, 'software counters: available')
    for r in soft.get('fault', []):
        check(all(r.get(k) is not None for k in
                  ['cycles', 'instructions', 'l1d_miss', 'llc_miss', 'dtlb_miss']),
              f"software counters: {r['subject']} has no counter figures")
        check(r.get('cycles') and r['cycles'] > 0, f"software counters: {r['subject']} counted 0")

for f in fails:
    print('FAIL:', f)
print(f'sys_check: {len(fails)} failure(s)')
sys.exit(1 if fails else 0)
