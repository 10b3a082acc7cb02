#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""kernel/hmm/rate_judge.py - does a patched kernel leave migrations
incomplete under the stress load more often than the stock control?

    rate_judge.py [--alpha A] STOCK PATCHED [PATCHED...]

Each argument is a stress summary written by run.sh (stress_judge.awk's
line, "rounds R processes P runs N pass P incomplete I other O"), or
several joined with commas (all boots of one kernel, summed), or
"LABEL=FILE[,FILE...]".

The rule, fixed before any count was taken (issue 16): for each patched
kernel, a one-sided Fisher exact test of H0 "the patched kernel's rate of
incomplete migrations per test run is no higher than stock's" against the
stock control's counts.  The family-wise error rate is alpha (default
0.01) across the patched kernels judged at once (Bonferroni): with k of
them, a patched kernel fails when p < alpha / k, so that a run judging four
encodings of equal rate fails by chance at most 1 % of the time.  Beside each verdict the script states what the sample can see: the
smallest patched rate it detects with 80% power at stock's observed rate,
as a multiple of that rate.  Exits 1 when any patched kernel fails or a
summary cannot be read.  Python's standard library only (math.comb).
"""
import math
import sys


def read(arg):
    label, _, files = arg.rpartition('=')
    runs = inc = 0
    for f in files.split(','):
        # '#' lines are comments (the recorded samples in testdata/).
        words = ' '.join(l for l in open(f) if not l.startswith('#')).split()
        kv = dict(zip(words[0::2], words[1::2]))
        runs += int(kv['runs'])
        inc += int(kv['incomplete'])
    return label or files, runs, inc


def fisher_greater(a, n1, b, n2):
    """P(X >= b) for X, the patched count, hypergeometric given the margins:
    stock a of n1, patched b of n2 (one-sided: patched rate higher)."""
    k = a + b
    total = math.comb(n1 + n2, k)
    hi = min(k, n2)
    return sum(math.comb(n2, x) * math.comb(n1, k - x)
               for x in range(b, hi + 1)) / total


def critical(n1, n2, alpha):
    """For each total k, the smallest patched count that rejects H0."""
    crit = []
    for k in range(n1 + n2 + 1):
        lo, hi = max(0, k - n1), min(k, n2)
        c = hi + 1
        # The tail grows as b falls: walk down from the top while it stays
        # under alpha.
        tail = 0
        total = math.comb(n1 + n2, k)
        for b in range(hi, lo - 1, -1):
            tail += math.comb(n2, b) * math.comb(n1, k - b) / total
            if tail >= alpha:
                break
            c = b
        crit.append(c)
    return crit


def binom(n, p):
    return [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]


def detectable(n1, n2, rate, alpha, power=0.8):
    """Smallest patched rate detected with POWER at stock rate RATE."""
    crit = critical(n1, n2, alpha)
    pa = binom(n1, rate)
    lo_r, hi_r = rate, 1.0
    for _ in range(30):
        r = (lo_r + hi_r) / 2
        pb = binom(n2, r)
        pw = sum(pa[a] * pb[b] for a in range(n1 + 1) if pa[a] > 1e-12
                 for b in range(n2 + 1) if b >= crit[a + b])
        if pw >= power:
            hi_r = r
        else:
            lo_r = r
    return hi_r


def main(argv):
    alpha = 0.01
    if len(argv) > 1 and argv[0] == '--alpha':
        alpha = float(argv[1])
        argv = argv[2:]
    if len(argv) < 2:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    s_label, n1, a = read(argv[0])
    rate = a / n1 if n1 else 0.0
    # A control without any incomplete migration: judge the power at the
    # rate one event in its sample would show.
    base = rate if a else 1 / max(n1, 1)
    k = len(argv) - 1
    level = alpha / k
    print(f'rate_judge: control {s_label}: {a} incomplete of {n1} runs '
          f'({100 * rate:.1f} %); one-sided Fisher exact test, fail at p < {alpha}/{k} '
          f'(family-wise {alpha}, Bonferroni over {k})')
    bad = 0
    for arg in argv[1:]:
        label, n2, b = read(arg)
        if n1 == 0 or n2 == 0:
            print(f'rate_judge: {label}: no test runs', file=sys.stderr)
            bad = 1
            continue
        p = fisher_greater(a, n1, b, n2)
        det = detectable(n1, n2, base, level) if n1 + n2 <= 4000 else float('nan')
        verdict = 'FAIL: measurably higher than the control' if p < level else 'pass'
        print(f'rate_judge: {label}: {b} incomplete of {n2} runs ({100 * b / n2:.1f} %), '
              f'p = {p:.3g}: {verdict}; this sample sees a rate of {100 * det:.1f} % '
              f'({det / base:.1f}x the control\'s {100 * base:.1f} %) with 80% power')
        bad |= p < level
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
