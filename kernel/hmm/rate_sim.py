#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""kernel/hmm/rate_sim.py - what CI's stress verdict does when a boot's runs
are not independent: its false-alarm rate and its power, simulated.

    rate_sim.py [--seed S] [--trials T] [--boots B] [--runs N] [--phi-ref F]
                [--rules fisher,scaled,quasi,boot-level]

CI boots each kernel B times (default 2) with N stress runs a boot (56: 4
rounds of 14 tests in 2 processes) and judges each of the 4 patched kernels
against the control below rate_judge.py's boot-level minimum, so by a test
over runs.  The full comparisons measured the boots' dispersion at -smp 2
(phi 1.0-2.2), where the boots of a kernel spread more than independent
runs would.  Each trial draws every kernel's boots from a beta-binomial
with the stated rate and phi (one boot's runs share a success probability
drawn from a beta whose spread gives that phi) and applies each rule:

  fisher   Fisher's exact test over the runs (rate_judge.py without
           --phi-ref: independent runs assumed);
  scaled   the same test on the effective sample (rate_judge.py --phi-ref
           F): every kernel's runs and incomplete counts divided by F, the
           dispersion of reference, and rounded;
  quasi    the quasi-binomial score statistic with phi F (not estimated)
           referred to the normal;
  boot-level  rate_judge.py's test from 3 boots (phi estimated from the
           boots; slow, and not CI's case).

Prints, for each rule, phi and control rate, the family-wise false-alarm
rate (every kernel at the control's rate: the share of trials in which
any patched kernel fails at 0.01/4) and the power against one patched
kernel at 2x, 4x and 6x the control's rate.  The seed is printed; the same
seed gives the same table.  A measurement of the rules, not a verdict.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rate_judge  # noqa: E402

KERNELS = 4
ALPHA = 0.01


def draw(rng, trials, boots, runs, rate, phi):
    """Incomplete counts of each boot: shape (trials, boots)."""
    if phi <= 1.0:
        return rng.binomial(runs, rate, size=(trials, boots))
    rho = (phi - 1.0) / (runs - 1)
    a = rate * (1 - rho) / rho
    b = (1 - rate) * (1 - rho) / rho
    p = rng.beta(a, b, size=(trials, boots))
    return rng.binomial(runs, p)


def quasi_normal(ctrl, pat, phi_ref):
    """The quasi-binomial score statistic with the dispersion of reference
    (not estimated), referred to the normal."""
    from scipy.stats import norm
    n1, a = rate_judge.totals(ctrl)
    n2, b = rate_judge.totals(pat)
    p = (a + b) / (n1 + n2)
    if p <= 0.0 or p >= 1.0:
        return 1.0
    z = (b / n2 - a / n1) / math.sqrt(phi_ref * p * (1 - p) * (1 / n1 + 1 / n2))
    return float(norm.sf(z))


def boot_level(ctrl, pat, _):
    """rate_judge.py's test from its boot-level minimum (phi estimated)."""
    return rate_judge.quasi_greater(ctrl, pat)[0]


class Rule:
    """rate_judge.py's test below its boot-level minimum, memoised on the
    counts (the runs are fixed)."""

    def __init__(self, runs, phi_ref, test=None):
        self.phi_ref = phi_ref
        self.test = test or rate_judge.runs_greater
        self.runs = runs
        self.memo = {}

    def fails(self, a, b):
        key = (tuple(a), tuple(b))
        if key not in self.memo:
            ctrl = [(self.runs, int(x)) for x in a]
            pat = [(self.runs, int(x)) for x in b]
            p = self.test(ctrl, pat, self.phi_ref)
            self.memo[key] = p < ALPHA / KERNELS
        return self.memo[key]


def rates(rule, ctrl, pats):
    """Share of trials in which any of PATS (a list of arrays) fails."""
    hit = np.zeros(len(ctrl), dtype=bool)
    for pat in pats:
        hit |= np.array([rule.fails(a, b) for a, b in zip(ctrl, pat)])
    return hit.mean()


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=int.from_bytes(os.urandom(4), 'little'))
    ap.add_argument('--trials', type=int, default=20000)
    ap.add_argument('--boots', type=int, default=2)
    ap.add_argument('--runs', type=int, default=56)
    ap.add_argument('--phi-ref', type=float, default=1.57)
    ap.add_argument('--rules', default='fisher,scaled,quasi',
                    help='of fisher, scaled, quasi, boot-level (from 3 boots)')
    args = ap.parse_args(argv)
    print(f'rate_sim: seed {args.seed}, {args.trials} trials, {args.boots} boots of '
          f'{args.runs} runs per kernel, {KERNELS} patched kernels, fail at {ALPHA}/{KERNELS}')
    print('| rule | phi | control rate | false alarm (family-wise) | power 2x | power 4x | power 6x |')
    print('|---|---|---|---|---|---|---|')
    rng = np.random.default_rng(args.seed)
    n = args.runs
    known = {'fisher': ('fisher', Rule(n, None)),
             'scaled': (f'scaled {args.phi_ref}', Rule(n, args.phi_ref)),
             'quasi': (f'quasi {args.phi_ref}', Rule(n, args.phi_ref, quasi_normal)),
             'boot-level': ('boot-level', Rule(n, None, boot_level))}
    rules = [known[r] for r in args.rules.split(',')]
    for phi in (1.0, 1.5, 1.9, 2.2):
        for rate in (0.01, 0.025, 0.05, 0.08):
            d = lambda r: draw(rng, args.trials, args.boots, args.runs, r, phi)
            ctrl = d(rate)
            null = [d(rate) for _ in range(KERNELS)]
            alt = {m: d(min(m * rate, 0.95)) for m in (2, 4, 6)}
            for name, rule in rules:
                fa = rates(rule, ctrl, null)
                pw = [rates(rule, ctrl, [alt[m]]) for m in (2, 4, 6)]
                print(f'| {name} | {phi} | {100 * rate:.1f} % | {100 * fa:.2f} % | '
                      + ' | '.join(f'{100 * x:.1f} %' for x in pw) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
