#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""kernel/hmm/rate_judge.py - does a patched kernel leave migrations
incomplete under the stress load more often than the stock control?

    rate_judge.py [--alpha A] [--phi-ref F] STOCK PATCHED [PATCHED...]

Each argument is "[LABEL=]FILE[,FILE...]": one kernel's boots.  A FILE is
either one boot's stress summary written by run.sh (stress_judge.awk's
line, "rounds R processes P runs N pass P incomplete I other O") or a
repro.sh table (LABEL.tsv: a header, then one row per boot).

The rule, fixed before any count was taken (issue 16), for each patched
kernel against the control, one-sided, H0 "the patched kernel's rate of
incomplete migrations per test run is no higher than stock's":

 - With at least 3 boots of each (the full comparisons), a boot-level
   test: the quasi-binomial score test.  A boot's runs share its host
   load, its page layout and its test_hmm instances, so they are not
   independent: the -smp 4 comparison's stock boots gave 18, 4, 2, 6 and 7
   incomplete of 112, where independent runs would spread by about 2.6.
   The dispersion phi is estimated from the boots (Pearson's X^2 of each
   boot around its own kernel's rate, over B1 + B2 - 2 degrees of freedom,
   never below 1), the binomial score statistic
   (p2 - p1) / sqrt(p(1 - p) (1/N1 + 1/N2)) with p the pooled rate is
   divided by sqrt(phi), and the result is referred to Student's t with
   B1 + B2 - 2 degrees of freedom.  (This is a quasi-binomial model's
   score test: with phi = 1 it is the pooled two-proportion z test.)
 - With fewer boots (CI: one boot each), the dispersion cannot be
   estimated; the test is Fisher's exact test over the runs, which holds
   where runs are independent.  At -smp 2 (CI's setting) the ten-boot
   comparison s118v measured phi (printed by --dispersion); at -smp 4
   runs are overdispersed, so CI does not judge one -smp 4 boot this way.
 - With --phi-ref F (CI's stress step, whatever the boots): Fisher's exact
   test over the effective sample, every kernel's runs and incomplete
   counts divided by F, a dispersion measured beforehand in the full
   comparisons, and rounded half up.  A few boots cannot estimate phi
   (the boot-level test at 3 boots has 4 df and almost no power), and
   Fisher's test over the raw runs of overdispersed boots raises false
   alarms above alpha (kernel/hmm/rate_sim.py measures both).

The family-wise error rate is alpha (default 0.01) across the patched
kernels judged at once (Bonferroni): with k of them, a patched kernel fails
when p < alpha / k.  Beside each verdict the script states what the sample
can see: the smallest patched rate it detects with 80% power at stock's
observed rate (and, for the boot-level test, the observed dispersion), as a
multiple of that rate.  Exits 1 when any patched kernel fails or a summary
cannot be read.  Needs SciPy (Student's t) for the boot-level test.
"""
import math
import sys

BOOT_LEVEL_MIN = 3


def read_file(f):
    """One file's boots: [(runs, incomplete), ...]."""
    lines = [l for l in open(f) if not l.startswith('#')]
    if lines and lines[0].startswith('boot\t'):
        # repro.sh's table: runs and incomplete are columns 6 and 8.
        return [(int(r[5]), int(r[7]))
                for r in (l.rstrip('\n').split('\t') for l in lines[1:]) if len(r) > 7]
    # '#' lines are comments (the recorded samples in testdata/).
    words = ' '.join(lines).split()
    kv = dict(zip(words[0::2], words[1::2]))
    return [(int(kv['runs']), int(kv['incomplete']))]


def read(arg):
    label, _, files = arg.rpartition('=')
    boots = []
    for f in files.split(','):
        boots += read_file(f)
    return label or files, boots


def totals(boots):
    """(runs, incomplete) summed over a kernel's boots."""
    return sum(r for r, _ in boots), sum(x for _, x in boots)


def fisher_greater(a, n1, b, n2):
    """P(X >= b) for X, the patched count, hypergeometric given the margins:
    stock a of n1, patched b of n2 (one-sided: patched rate higher)."""
    k = a + b
    total = math.comb(n1 + n2, k)
    hi = min(k, n2)
    return sum(math.comb(n2, x) * math.comb(n1, k - x)
               for x in range(b, hi + 1)) / total


def effective(boots, phi_ref):
    """(runs, incomplete) of the effective sample: both divided by the
    dispersion of reference and rounded (half up), so that a sample of
    overdispersed boots weighs what as many independent runs would."""
    n, x = totals(boots)
    if not phi_ref or phi_ref <= 1.0:
        return n, x
    return max(1, math.floor(n / phi_ref + 0.5)), math.floor(x / phi_ref + 0.5)


def runs_greater(ctrl, pat, phi_ref=None):
    """The test below the boot-level minimum: Fisher's exact test over the
    runs, on the effective sample when PHI_REF is given."""
    n1, a = effective(ctrl, phi_ref)
    n2, b = effective(pat, phi_ref)
    return fisher_greater(a, n1, b, n2)


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
    """Smallest patched rate Fisher's test detects with POWER at stock
    rate RATE, runs independent."""
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


def pearson(boots):
    """Pearson's X^2 of each boot's count around the boots' pooled rate."""
    n, x_all = totals(boots)
    p = x_all / n if n else 0.0
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return sum((x - r * p) ** 2 / (r * p * (1 - p)) for r, x in boots if r)


def dispersion(*kernels):
    """phi: the kernels' X^2 over (boots - kernels) degrees of freedom."""
    df = sum(len(b) for b in kernels) - len(kernels)
    return (sum(pearson(b) for b in kernels) / df if df > 0 else float('nan')), df


def quasi_greater(ctrl, pat):
    """The boot-level test: (p-value, phi, df)."""
    from scipy.stats import t as student
    n1, a = totals(ctrl)
    n2, b = totals(pat)
    phi, df = dispersion(ctrl, pat)
    phi = max(1.0, phi)
    p = (a + b) / (n1 + n2)
    if p <= 0.0 or p >= 1.0:
        return 1.0, phi, df
    z = (b / n2 - a / n1) / math.sqrt(phi * p * (1 - p) * (1 / n1 + 1 / n2))
    return float(student.sf(z, df)), phi, df


def quasi_detectable(n1, n2, rate, phi, df, alpha, power=0.8):
    """Smallest patched rate the boot-level test detects with POWER at
    stock rate RATE and dispersion PHI (the shift of the statistic's mean
    against its critical value, Student's t)."""
    from scipy.stats import t as student
    need = student.isf(alpha, df) + student.ppf(power, df)
    lo_r, hi_r = rate, 1.0
    for _ in range(40):
        r = (lo_r + hi_r) / 2
        p = (n1 * rate + n2 * r) / (n1 + n2)
        se = math.sqrt(phi * p * (1 - p) * (1 / n1 + 1 / n2))
        if (r - rate) / se >= need:
            hi_r = r
        else:
            lo_r = r
    return hi_r


def judge(ctrl, pat, level, phi_ref=None):
    """(p, test's name, detectable rate) for one patched kernel."""
    n1, a = totals(ctrl)
    n2, b = totals(pat)
    # A control without any incomplete migration: judge the power at the
    # rate one event in its sample would show.
    base = a / n1 if a else 1 / max(n1, 1)
    if phi_ref:
        m1, m2 = effective(ctrl, phi_ref)[0], effective(pat, phi_ref)[0]
        det = detectable(m1, m2, base, level) if m1 + m2 <= 4000 else float('nan')
        return (runs_greater(ctrl, pat, phi_ref),
                f'Fisher over effective runs (phi {phi_ref:g} of reference)', det, base)
    if min(len(ctrl), len(pat)) >= BOOT_LEVEL_MIN:
        p, phi, df = quasi_greater(ctrl, pat)
        det = quasi_detectable(n1, n2, base, phi, df, level)
        return p, f'boot-level, phi {phi:.2f}, {df} df', det, base
    p = fisher_greater(a, n1, b, n2)
    det = detectable(n1, n2, base, level) if n1 + n2 <= 4000 else float('nan')
    return p, 'Fisher over runs', det, base


def main(argv):
    alpha = 0.01
    if argv[:1] == ['--dispersion']:
        # Each kernel's phi alone, and pooled: a measurement, no verdict.
        ks = [read(a) for a in argv[1:]]
        for label, boots in ks:
            phi, df = dispersion(boots)
            print(f'rate_judge: {label}: {len(boots)} boots, phi {phi:.2f} ({df} df)')
        phi, df = dispersion(*[b for _, b in ks])
        print(f'rate_judge: pooled: phi {phi:.2f} ({df} df)')
        return 0
    phi_ref = None
    while len(argv) > 1 and argv[0] in ('--alpha', '--phi-ref'):
        if argv[0] == '--alpha':
            alpha = float(argv[1])
        else:
            phi_ref = float(argv[1])
            if not phi_ref >= 1.0:
                print('rate_judge: --phi-ref must be at least 1', file=sys.stderr)
                return 2
        argv = argv[2:]
    if len(argv) < 2:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    s_label, ctrl = read(argv[0])
    n1, a = totals(ctrl)
    k = len(argv) - 1
    level = alpha / k
    if phi_ref:
        how = f'one-sided Fisher exact over effective runs (runs and counts / {phi_ref:g})'
    else:
        how = (f'one-sided, boot-level test with >= {BOOT_LEVEL_MIN} boots each, '
               'else Fisher exact over runs')
    print(f'rate_judge: control {s_label}: {a} incomplete of {n1} runs in {len(ctrl)} boots '
          f'({100 * a / max(n1, 1):.1f} %); {how}; fail at p < {alpha}/{k} '
          f'(family-wise {alpha}, Bonferroni over {k})')
    bad = 0
    for arg in argv[1:]:
        label, pat = read(arg)
        n2, b = totals(pat)
        if n1 == 0 or n2 == 0:
            print(f'rate_judge: {label}: no test runs', file=sys.stderr)
            bad = 1
            continue
        p, how, det, base = judge(ctrl, pat, level, phi_ref)
        verdict = 'FAIL: measurably higher than the control' if p < level else 'pass'
        print(f'rate_judge: {label}: {b} incomplete of {n2} runs in {len(pat)} boots '
              f'({100 * b / n2:.1f} %), {how}: p = {p:.3g}: {verdict}; this sample sees '
              f'a rate of {100 * det:.1f} % ({det / base:.1f}x the control\'s '
              f'{100 * base:.1f} %) with 80% power')
        bad |= p < level
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
