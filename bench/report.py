#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/report.py - Google Benchmark JSON -> results/README.md + PNG plots.

usage: bench/report.py [--results DIR] [--latest FILE.json] [--quiet]
       bench/report.py --check          the `decision` test
       bench/report.py --header-hash    what a run must record to count

Reads the newest run (or --latest), writes DIR/README.md with the
comparison tables (medians over the repetitions, their 95% CIs, ratios to
pfn_to_page() and to v6, ratios per pair with 95% bootstrap intervals),
the plots, the list of runs (each: counts, or why not) and the
deterministic counts (DIR/instructions.json, from bench/callgrind.py).
Prints the fault-path table, the intervals and the verdict under the rule
and policy of POLICY below, and whether DPIDX_DEFAULT_ENCODING agrees.
Exit status 0 even when it does not: that is --check's job.

--check (tests/meson.build's `decision`): takes the newest run git tracks
in DIR/ that counts (clean tree, include/dpidx/ hash equal to the current
one, >= 9 interleaved repetitions), computes its verdict and fails when
DPIDX_DEFAULT_ENCODING disagrees, when README.md lacks POLICY, or when no
committed run matches the current headers; with
DPIDX_ALLOW_STALE_RESULTS=1 that last case is a skip (exit 77) instead.
Needs numpy (python3-numpy).
"""
import argparse
import glob
import hashlib
import json
import math
import os
import re
import subprocess
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import palette  # noqa: E402  one colour per subject, shared with sys_report.py

BASELINES = ["pfn", "lfht", "v6", "v6rcu", "xa"]
LIMIT, V6 = "pfn", "v6"
SHAPE_ORDER = ["nouveau-64", "nouveau-1k", "nouveau-8k", "nouveau-64k",
               "hmm-64x256M", "kfd-1x64G", "multi-8x16G"]


def load(path):
    with open(path) as f:
        return json.load(f)


def parse(run):
    """(res, reps, counters): res {(op, shape, subject, pattern, mode,
    threads): [ns per op, one per repetition]}, reps the same keyed by
    repetition index {key: {rep: ns}}, counters per key.

    The statistic is Google Benchmark's own time, the one compare.py reads:
    CPU time per operation for the timed loops (a loaded VM: the time the
    thread ran); for cold cells the manual time, which dpidx-bench sets to
    the p50 of the single-fault samples of that repetition (their p99 and
    mean are the counters p99_ns and mean_ns)."""
    res, reps, counters, seen = {}, {}, {}, {}
    for b in run["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        parts = b["name"].split("/")
        if len(parts) < 5:
            continue
        op, shape, subject, pattern, mode = parts[:5]
        threads = int(b.get("threads", 1))
        manual = "manual_time" in b["name"]
        t = b["real_time"] if manual else b["cpu_time"]
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        key = (op, shape, subject, pattern, mode, threads)
        rep = int(b["rep"]) if "rep" in b else seen.get(key, 0)
        seen[key] = rep + 1
        res.setdefault(key, []).append(t * unit)
        reps.setdefault(key, {})[rep] = t * unit
        c = counters.setdefault(key, {})
        for k in ("ranges", "swap_types", "thp_share", "p99_ns", "mean_ns"):
            if k in b:
                c.setdefault(k, []).append(b[k])
    counters = {k: {n: (v[0] if n in ("ranges", "swap_types") else med(v))
                    for n, v in c.items()} for k, c in counters.items()}
    return res, reps, counters


def med(v):
    return statistics.median(v)


def median_ci(v):
    """Distribution-free 95% confidence interval of the median over the
    repetitions: order statistics x(k) and x(n+1-k), k the largest with
    P(Binomial(n, 1/2) < k) <= 0.025 (coverage >= 95%: 96.1% at n = 9).
    Needs n >= 6; below that, no such interval exists and the whole range
    [min, max] is returned (flagged by the False)."""
    x = sorted(v)
    n = len(x)
    k, tail = 0, 0.0
    while True:
        nxt = tail + math.comb(n, k) / 2 ** n
        if nxt > 0.025:
            break
        tail, k = nxt, k + 1
    if k == 0:
        return x[0], x[-1], False
    return x[k - 1], x[n - k], True


CI_HEADER = ("median over the repetitions [95% CI of that median: order statistics, "
             "distribution-free; the min-max range where fewer than 6 repetitions, marked ~]")


def fmt_ci_cell(v):
    lo, hi, exact = median_ci(v)
    return f"{fmt_ns(med(v))} {'' if exact else '~'}[{fmt_ns(lo)}, {fmt_ns(hi)}]"


def fmt_ns(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def shapes_of(res):
    found = {k[1] for k in res if k[0] not in ("timer", "control")}
    return [s for s in SHAPE_ORDER if s in found] + sorted(found - set(SHAPE_ORDER))


def subjects_of(res, encodings):
    found = {k[2] for k in res if k[0] not in ("timer", "control")}
    order = ["pfn"] + encodings + ["v6", "v6rcu", "lfht", "xa"]
    return [s for s in order if s in found]


def table(res, op, pattern, mode, shapes, subjects, threads=1):
    rows = []
    head = "| shape: median [95% CI] | " + " | ".join(subjects) + " |"
    rows.append(head)
    rows.append("|" + "---|" * (len(subjects) + 1))
    for shape in shapes:
        cells = []
        lim = res.get((op, shape, LIMIT, pattern, mode, threads))
        v6 = res.get((op, shape, V6, pattern, mode, threads))
        for s in subjects:
            v = res.get((op, shape, s, pattern, mode, threads))
            if not v:
                cells.append("–")
                continue
            c = fmt_ci_cell(v)
            r = []
            if lim and s != LIMIT:
                r.append(f"{med(v) / med(lim):.2f}×pfn")
            if v6 and s != V6:
                r.append(f"{med(v) / med(v6):.2f}×v6")
            if r:
                c += " (" + ", ".join(r) + ")"
            cells.append(c)
        if any(c != "–" for c in cells):
            rows.append(f"| {shape} | " + " | ".join(cells) + " |")
    return "\n".join(rows) if len(rows) > 2 else ""


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


# ---- the decision: rule and policy, in code and in words -------------------
#
# Everything below is fixed before any run is looked at (issue #10): the row
# that decides, the statistic, the interval, the tie-break.  POLICY is the
# text results/README.md carries and README.md must carry verbatim (the
# `decision` test checks both).

DECIDING_ROW = ("fault", "uniform", "cold")
BOOT_RESAMPLES = 10000
BOOT_SEED = 20261201
MIN_REPETITIONS = 9
POLICY = (
    "**Verdict rule.** The row that decides is the cache-cold fault path "
    "(`fault/<shape>/<subject>/uniform/cold`: one fault after the caches and the "
    "TLBs are evicted; per repetition, the p50 of its single-fault samples). For "
    "each pair of encodings A, B the run gives the geometric mean over shapes of "
    "the ratio of their medians over repetitions, A/B, with a 95% confidence "
    "interval from a percentile bootstrap over repetitions (10,000 resamples of "
    "whole repetitions, the same resample for every subject, seed 20261201). "
    "\"A is faster than B\" is said only when the whole interval lies below 1; "
    "otherwise A and B tie on speed. A run counts only when it has at least 9 "
    "repetitions in a seeded interleaved order, was made from a clean tree, and "
    "records the sha256 of `include/dpidx/` equal to the current one.\n\n"
    "**Default policy.** The default encoding is one that no other encoding is "
    "measurably faster than on the cold fault path. A tie on speed is never called "
    "\"fastest\": it is broken by policy, in this order: fewer swap types consumed "
    "(MAX_SWAPFILES is a kernel-wide resource), then fewer deterministic LL misses "
    "per cold fault (valgrind's cache simulation, `results/instructions.json`, for "
    "this run's compiler and flags), then fewer instructions per fault, then the "
    "name. The verdict names the step that decided, e.g. \"tie on speed; default "
    "by fewer swap types\".")


DEFAULT_RE = (r"(#if\s+!defined\(DPIDX_ENCODING_\w+\)[^\n]*(?:\\\n[^\n]*)*\n"
              r"#define\s+DPIDX_ENCODING_)(\w+)")


def header_hash(root):
    """sha256 over include/dpidx/: every file, sorted by path, as
    <path relative to include/dpidx> NUL <contents> NUL.  Content-based, so it
    equals the working tree's whatever the commit.  One thing is left out:
    the name in the line of dpidx.h that picks the default encoding (read as
    DEFAULT), so that setting the default from a run's verdict does not
    make that run stale; everything the run measured is in the hash."""
    h = hashlib.sha256()
    base = os.path.join(root, "include", "dpidx")
    files = []
    for d, _, names in os.walk(base):
        files += [os.path.join(d, n) for n in names]
    for path in sorted(files, key=lambda p: os.path.relpath(p, base)):
        rel = os.path.relpath(path, base)
        with open(path, "rb") as f:
            data = f.read()
        if rel == "dpidx.h":
            data = re.sub(DEFAULT_RE.encode(), rb"\1DEFAULT", data, count=1)
        h.update(rel.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def not_counted(run, current_hash):
    """None when @run may be used to choose, else the one-line reason."""
    c = run.get("context", {})
    if "include_dpidx_sha256" not in c:
        return "records no hash of include/dpidx/ (made before runs were tied to headers: history)"
    if c.get("tree_dirty") != "false":
        return (f"made from a dirty tree (tree_dirty={c.get('tree_dirty', '?')}, "
                f"commit {c.get('git_commit', '?')})")
    if c["include_dpidx_sha256"] != current_hash:
        return (f"made for other headers (include/dpidx sha256 "
                f"{c['include_dpidx_sha256'][:12]}, current {current_hash[:12]})")
    if int(c.get("repetitions", "0")) < MIN_REPETITIONS:
        return f"{c.get('repetitions', '?')} repetitions, fewer than {MIN_REPETITIONS}"
    if "interleave_seed" not in c:
        return "records no interleaving seed"
    return None


def rep_matrix(reps, subjects, shapes, row):
    """{subject: array[shape][rep]} over the repetitions every cell has."""
    import numpy as np
    op, pattern, mode = row
    common = None
    for s in subjects:
        for shape in shapes:
            r = set(reps.get((op, shape, s, pattern, mode, 1), {}))
            common = r if common is None else common & r
    idx = sorted(common or [])
    return idx, {s: np.array([[reps[(op, shape, s, pattern, mode, 1)][i] for i in idx]
                              for shape in shapes]) for s in subjects}


def pair_intervals(reps, subjects, shapes, row=DECIDING_ROW):
    """{(A, B): (geomean ratio A/B, lo, hi)} for every ordered pair with data:
    per shape the ratio of medians over repetitions, geometric mean over
    shapes, 95% percentile-bootstrap interval over whole repetitions."""
    import numpy as np
    have = [s for s in subjects
            if all((row[0], sh, s, row[1], row[2], 1) in reps for sh in shapes)]
    idx, m = rep_matrix(reps, have, shapes, row)
    out = {}
    if len(idx) < 2 or not have:
        return out, len(idx)
    rng = np.random.default_rng(BOOT_SEED)
    boot = rng.integers(0, len(idx), size=(BOOT_RESAMPLES, len(idx)))
    logmed = {s: np.log(np.median(m[s], axis=1)) for s in have}
    # [resample, shape]: median of the resampled repetitions, per shape.
    logboot = {s: np.log(np.median(m[s][:, boot], axis=2)).T for s in have}
    for a in have:
        for b in have:
            if a == b:
                continue
            point = math.exp(float(np.mean(logmed[a] - logmed[b])))
            dist = np.exp(np.mean(logboot[a] - logboot[b], axis=1))
            lo, hi = np.percentile(dist, [2.5, 97.5])
            out[(a, b)] = (point, float(lo), float(hi))
    return out, len(idx)


def fmt_ci(t):
    return f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]"


def decide(pairs, encodings, swap, det):
    """The verdict: (choice, candidates, step, sentence).  @det: per encoding
    {"cold_LLmiss": x, "fault_Ir": y} (deterministic figures, may be empty)."""
    encs = [e for e in encodings if any(p[0] == e for p in pairs)]
    if len(encs) < 1:
        return None, [], None, "No encoding has cold fault-path results on every shape."
    faster = lambda a, b: (a, b) in pairs and pairs[(a, b)][2] < 1.0
    cands = [e for e in encs if not any(faster(o, e) for o in encs if o != e)]
    steps = [("fewer swap types", lambda e: swap.get(e, 99)),
             ("fewer simulated LL misses per cold fault",
              lambda e: det.get(e, {}).get("cold_LLmiss", math.inf)),
             ("fewer instructions per fault", lambda e: det.get(e, {}).get("fault_Ir", math.inf)),
             ("name", lambda e: e)]
    left, step = list(cands), None
    for name, key in steps:
        if len(left) == 1:
            break
        best = min(key(e) for e in left)
        kept = [e for e in left if key(e) == best]
        if len(kept) < len(left):
            step = name
        left = kept
    choice = left[0]
    slower = [e for e in encs if e not in cands]
    if len(cands) == 1:
        s = (f"**{choice}** is faster than every other encoding on the cold fault path "
             "(geometric-mean ratio over shapes, 95% CI: " +
             ", ".join(f"{choice}/{o} {fmt_ci(pairs[(choice, o)])}" for o in encs if o != choice) +
             f"). Default: **{choice}**.")
    else:
        s = ("Tie on speed on the cold fault path between " + ", ".join(cands) +
             " (no encoding is measurably faster than these; " +
             ", ".join(f"{a}/{b} {fmt_ci(pairs[(a, b)])}" for i, a in enumerate(cands)
                       for b in cands[i + 1:]) + "). ")
        if step == "fewer swap types":
            s += (f"Tie on speed; default by fewer swap types: **{choice}** (" +
                  ", ".join(f"{e} {swap.get(e, 0):.0f}" for e in cands) + ").")
        elif step is not None:
            s += (f"Tie on speed and on swap types; default by {step}: **{choice}** (" +
                  ", ".join(f"{e} {det.get(e, {})}" for e in cands) + ").")
        else:
            s += f"Tie on speed; default: **{choice}**."
    for e in slower if len(cands) > 1 else []:
        better = [o for o in cands if faster(o, e)]
        if better:
            s += (f" {e} is slower than {better[0]} "
                  f"({better[0]}/{e} {fmt_ci(pairs[(better[0], e)])}).")
    return choice, cands, step, s


def default_from_header(root):
    """The encoding dpidx.h selects when the includer selects none."""
    text = open(os.path.join(root, "include", "dpidx", "dpidx.h")).read()
    m = re.search(DEFAULT_RE, text)
    return m.group(2).lower() if m else None


def deterministic(resdir, ctx):
    """Per encoding {"cold_LLmiss", "fault_Ir"} from results/instructions.json
    for this run's compiler and flags (its configs[ctx cflags]), or {}."""
    try:
        d = load(os.path.join(resdir, "instructions.json"))
    except (OSError, ValueError):
        return {}
    cfg = d.get("configs", {}).get(ctx.get("cflags", ""), {})
    out = {}
    for s, v in cfg.get("subjects", {}).items():
        out[s] = {k2: v[k1][k3] for k1, k3, k2 in (("coldfault", "LLmiss", "cold_LLmiss"),
                                                   ("fault", "Ir", "fault_Ir"))
                  if k1 in v and k3 in v[k1]}
    return out


def ratios(res, shapes, subjects, op, pattern, mode):
    """Per subject: geometric mean over shapes of its ratio to pfn and to mtree."""
    out = {}
    for s in subjects:
        rp, rm = [], []
        for shape in shapes:
            v = res.get((op, shape, s, pattern, mode, 1))
            lim = res.get((op, shape, LIMIT, pattern, mode, 1))
            v6 = res.get((op, shape, V6, pattern, mode, 1))
            if v and lim:
                rp.append(med(v) / med(lim))
            if v and v6:
                rm.append(med(v) / med(v6))
        out[s] = (geomean(rp) if rp else None, geomean(rm) if rm else None)
    return out


def ratio_table(res, shapes, subjects):
    rows = ["| measure | " + " | ".join(subjects) + " |", "|" + "---|" * (len(subjects) + 1)]
    for title, op, pat, mode in (("fault lat", "fault", "uniform", "lat"),
                                 ("fault cold", "fault", "uniform", "cold"),
                                 ("fault tput", "fault", "uniform", "tput"),
                                 ("lookup lat", "lookup", "uniform", "lat"),
                                 ("lookup tput", "lookup", "uniform", "tput"),
                                 ("range run512", "range", "run512", "tput")):
        r = ratios(res, shapes, subjects, op, pat, mode)
        cells = []
        for s in subjects:
            p, m = r[s]
            cells.append(" / ".join("–" if x is None else f"{x:.2f}" for x in (p, m)))
        rows.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def plot(res, shapes, subjects, counters, outdir, stem):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: matplotlib missing (apt-get install python3-matplotlib): no plots",
              file=sys.stderr)
        return []
    out = []
    # 1. lookup cost vs number of ranges (the nouveau-like series).
    series = [s for s in shapes if s.startswith("nouveau-")]
    if series:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for ax, mode, title in ((axes[0], "tput", "independent lookups (throughput)"),
                                (axes[1], "lat", "dependent lookups (latency)")):
            for s in subjects:
                xs, ys = [], []
                for shape in series:
                    k = ("lookup", shape, s, "uniform", mode, 1)
                    if k in res:
                        xs.append(counters[k].get("ranges", 0))
                        ys.append(med(res[k]))
                if xs:
                    ax.plot(xs, ys, marker="o", label=s, color=palette.color(s),
                            linestyle="--" if s in BASELINES else "-")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("mapped 2 MiB ranges")
            ax.set_ylabel("ns per lookup (median)")
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        axes[1].legend(fontsize=8)
        fig.suptitle("offset -> descriptor, uniform keys, vs number of ranges")
        fig.tight_layout()
        name = f"{stem}-lookup-vs-ranges.png"
        fig.savefig(os.path.join(outdir, name), dpi=110)
        plt.close(fig)
        out.append(name)
    # 2. fault path per shape.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(1, len(subjects))
    for ax, mode, title in ((axes[0], "lat", "fault path, dependent (ns)"),
                            (axes[1], "cold", "caches evicted (ns)")):
        for i, s in enumerate(subjects):
            xs, ys, lo, hi = [], [], [], []
            for j, shape in enumerate(shapes):
                k = ("fault", shape, s, "uniform", mode, 1)
                if k in res:
                    v = res[k]
                    xs.append(j + i * width)
                    ys.append(med(v))
                    lo.append(med(v) - min(v))
                    hi.append(max(v) - med(v))
            if xs:
                ax.bar(xs, ys, width, yerr=[lo, hi], label=s, color=palette.color(s),
                       hatch="//" if s in BASELINES else None)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(shapes))])
        ax.set_xticklabels(shapes, rotation=30, ha="right", fontsize=8)
        ax.set_title(title + ", median, bars: min-max of repetitions")
        ax.set_yscale("log")
        ax.grid(True, axis="y", which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    name = f"{stem}-fault-path.png"
    fig.savefig(os.path.join(outdir, name), dpi=110)
    plt.close(fig)
    out.append(name)
    return out


def instructions_section(resdir, ctx):
    path = os.path.join(resdir, "instructions.json")
    if not os.path.exists(path):
        return "No deterministic counts yet: run `bench/callgrind.py --update`.\n"
    d = load(path)
    configs = d.get("configs", {})
    key = ctx.get("cflags", "")
    cfg = configs.get(key) or (next(iter(configs.values())) if configs else {})
    name = key if key in configs else next(iter(configs), "?")
    lines = [f"From `{os.path.basename(path)}`, configuration `{name}` (this run's "
             f"compiler and flags{'' if key in configs else ': NOT recorded, showing another'}; "
             f"recorded: {', '.join(f'`{k}`' for k in configs)}). {cfg.get('tool', 'valgrind')}, "
             f"shape {cfg.get('shape')}, {cfg.get('ops')} hot and {cfg.get('cold_ops')} cold "
             f"operations per subject, simulated caches {cfg.get('caches', '?')}. Per operation:",
             "",
             "| subject | lookup Ir | lookup D1 miss | fault Ir | fault D1 miss | cold fault Ir | cold fault D1 miss | cold fault LL miss |",
             "|---|---|---|---|---|---|---|---|"]
    for s, v in cfg.get("subjects", {}).items():
        lk, fa, co = v.get("lookup", {}), v.get("fault", {}), v.get("coldfault", {})
        lines.append(f"| {s} | {lk.get('Ir', 0):.1f} | {lk.get('D1miss', 0):.3f} | "
                     f"{fa.get('Ir', 0):.1f} | {fa.get('D1miss', 0):.3f} | "
                     f"{co.get('Ir', 0):.1f} | {co.get('D1miss', 0):.3f} | "
                     f"{co.get('LLmiss', 0):.3f} |")
    lines.append("")
    lines.append("Hot: 4096 keys after a warm-up pass (the index stays cached), inclusive of "
                 "the measuring loop. Cold: one fault per call on a key not used before, after "
                 "a pass over a buffer twice the simulated LL, so the LL misses are the "
                 "dependent misses of the fault path (PTE word, index, descriptor, pgmap). "
                 "Ir is exact for a given binary. `meson test --suite perf-regression` "
                 "(`bench/callgrind.py --check`) fails when an encoding's instructions per "
                 "hot lookup or fault grow by more than 10%, or its LL misses per cold fault "
                 "by more than 0.25, over the figures of the same compiler and flags; "
                 "`bench/callgrind.py --update` records them.")
    return "\n".join(lines) + "\n"


SUBJECT_LABEL = {"v6": "v6 (mtree, ALLOC_RANGE)", "v6rcu": "v6 + RCU", "pfn": "pfn_to_page()"}


def committed_runs(root, resdir):
    """Result JSONs of @resdir that git tracks (history/ excluded)."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "--", os.path.relpath(resdir, root)],
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(os.path.join(root, f) for f in out
                  if re.search(r"-20\d+(-\d+)?\.json$", f) and os.path.dirname(
                      os.path.join(root, f)) == os.path.abspath(resdir))


def evaluate(run, resdir):
    """Everything the verdict needs from one run."""
    ctx = run.get("context", {})
    res, reps, counters = parse(run)
    encodings = [e for e in ctx.get("dpidx_encodings", "flat").split(",") if e]
    shapes, subjects = shapes_of(res), subjects_of(res, encodings)
    swap = {k[2]: v["swap_types"] for k, v in counters.items()
            if k[0] == "fault" and "swap_types" in v}
    pairs, nrep = pair_intervals(reps, subjects, shapes)
    det = deterministic(resdir, ctx)
    choice, cands, step, sentence = decide(pairs, encodings, swap, det)
    return dict(ctx=ctx, res=res, reps=reps, counters=counters, encodings=encodings,
                shapes=shapes, subjects=subjects, swap=swap, pairs=pairs, nrep=nrep,
                det=det, choice=choice, cands=cands, step=step, sentence=sentence)


def check(root, resdir):
    """The `decision` test: the committed run for the current headers, its
    verdict, DPIDX_DEFAULT_ENCODING and README.md must agree."""
    cur = header_hash(root)
    counted = []
    for path in committed_runs(root, resdir):
        try:
            run = load(path)
        except (OSError, ValueError) as e:
            print(f"decision: {os.path.basename(path)}: not counted: unreadable ({e})")
            continue
        why = not_counted(run, cur)
        if why:
            print(f"decision: {os.path.basename(path)}: not counted: {why}")
        else:
            counted.append((run.get("context", {}).get("date", ""), path, run))
    stale = os.environ.get("DPIDX_ALLOW_STALE_RESULTS") == "1"
    if not counted:
        print(f"decision: {'SKIP' if stale else 'FAIL'}: no committed run in {os.path.relpath(resdir, root)}/ matches "
              f"the current headers (include/dpidx sha256 {cur[:12]}): run bash bench/run.sh "
              "on a clean tree and commit its JSON" +
              (" (DPIDX_ALLOW_STALE_RESULTS=1: skipped)" if stale else ""))
        return 77 if stale else 1
    _, path, run = max(counted)
    ev = evaluate(run, resdir)
    default = default_from_header(root)
    print(f"decision: {os.path.basename(path)} ({ev['nrep']} repetitions): " +
          ev["sentence"].replace("**", ""))
    ok = True
    if ev["choice"] is None or ev["choice"] != default:
        print(f"decision: FAIL: DPIDX_DEFAULT_ENCODING is \"{default}\" but the committed "
              f"run's verdict is \"{ev['choice']}\": change include/dpidx/dpidx.h or rerun")
        ok = False
    readme = open(os.path.join(root, "README.md")).read()
    if POLICY not in readme:
        print("decision: FAIL: README.md does not carry the verdict rule and default policy "
              "verbatim (copy them from results/README.md's Verdict section)")
        ok = False
    if ok:
        print(f"decision: DPIDX_DEFAULT_ENCODING \"{default}\" agrees with the committed run")
    return 0 if ok else 1


def pair_rows(ev, row):
    """Per-shape and geometric-mean ratios with 95% CIs: every pair of
    encodings, and each encoding against pfn, v6 and v6 + RCU."""
    encs = [e for e in ev["encodings"] if e in ev["subjects"]]
    pairs = [(a, b) for i, a in enumerate(encs) for b in encs[i + 1:]]
    pairs += [(e, r) for e in encs for r in ("pfn", "v6", "v6rcu") if r in ev["subjects"]]
    per_shape = {sh: pair_intervals(ev["reps"], ev["subjects"], [sh], row)[0]
                 for sh in ev["shapes"]}
    allp = pair_intervals(ev["reps"], ev["subjects"], ev["shapes"], row)[0]
    head = "| A / B | " + " | ".join(ev["shapes"]) + " | geomean |"
    rows = [head, "|" + "---|" * (len(ev["shapes"]) + 2)]
    for a, b in pairs:
        cells = []
        for sh in ev["shapes"]:
            t = per_shape[sh].get((a, b))
            cells.append("–" if t is None else
                         f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]" +
                         ("" if t[1] <= 1 <= t[2] else " *"))
        t = allp.get((a, b))
        cells.append("–" if t is None else f"**{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}]**" +
                     ("" if t[1] <= 1 <= t[2] else " *"))
        rows.append(f"| {a} / {SUBJECT_LABEL.get(b, b)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def p99_table(ev):
    rows = ["| shape | " + " | ".join(ev["subjects"]) + " |",
            "|" + "---|" * (len(ev["subjects"]) + 1)]
    for sh in ev["shapes"]:
        cells = []
        for s in ev["subjects"]:
            k = ("fault", sh, s, "uniform", "cold", 1)
            c = ev["counters"].get(k, {})
            cells.append(f"{fmt_ns(med(ev['res'][k]))} / {fmt_ns(c['p99_ns'])}"
                         if k in ev["res"] and "p99_ns" in c else "–")
        rows.append(f"| {sh} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def eviction_line(ev):
    res = ev["res"]
    cold = res.get(("control", "load", "evicted", "-", "cold", 1))
    hot = res.get(("control", "load", "hot", "-", "cold", 1))
    if not cold or not hot:
        return None, "no eviction control in this run"
    # Both include a clock read whose own code and data were evicted too;
    # a line that really left every cache costs at least a DRAM access
    # (> 80 ns) more, and clearly more than the clock overhead.
    c, h = med(cold), med(hot)
    ok = c >= h + 80 and c >= 1.5 * h
    return ok, (f"control load after eviction {fmt_ns(c)} ns p50 vs the same load hot "
                f"{fmt_ns(h)} ns (medians over repetitions; both include a clock read): "
                "eviction " + ("verified (at least 80 ns and 1.5x more)" if ok else
                               "NOT verified (less than 80 ns or 1.5x more): the cold "
                               "figures may not be cold"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--latest")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="the decision test: committed run vs DPIDX_DEFAULT_ENCODING")
    ap.add_argument("--header-hash", action="store_true",
                    help="print the sha256 of include/dpidx/ (what a run records)")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    resdir = os.path.abspath(a.results if os.path.isabs(a.results) or os.path.isdir(a.results)
                             else os.path.join(root, a.results))
    if a.header_hash:
        print(header_hash(root))
        return 0
    if a.check:
        return check(root, resdir)
    runs = sorted(glob.glob(os.path.join(resdir, "*-20*.json")))
    latest = a.latest or (max(runs, key=os.path.getmtime) if runs else None)
    if not latest or not os.path.exists(latest):
        sys.exit(f"report.py: no results in {resdir}/: run bench/run.sh first")
    run = load(latest)
    ev = evaluate(run, resdir)
    ctx, res, counters = ev["ctx"], ev["res"], ev["counters"]
    encodings, shapes, subjects = ev["encodings"], ev["shapes"], ev["subjects"]
    if not res:
        sys.exit(f"report.py: {latest} has no dpidx-bench results")
    stem = os.path.splitext(os.path.basename(latest))[0]
    plots = plot(res, shapes, subjects, counters, resdir, stem)
    default = ctx.get("dpidx_default_encoding", "?")
    why = not_counted(run, header_hash(root))
    verdict_line = ev["sentence"]
    if ev["choice"] is not None:
        verdict_line += (f" DPIDX_DEFAULT_ENCODING is \"{default}\": " +
                         ("it agrees." if ev["choice"] == default else
                          f"it does NOT agree; the default must become {ev['choice']} "
                          "(include/dpidx/dpidx.h), or the run be repeated."))
    refused = (f"report.py: {os.path.basename(latest)} does not count: {why}." if why else None)
    ev_ok, ev_line = eviction_line(ev)
    timer = res.get(("timer", "overhead", "clock_gettime", "-", "cold", 1))
    md = []
    md.append("# dpidx benchmark results\n")
    md.append("Generated by `bench/report.py` from "
              f"[`{os.path.basename(latest)}`]({os.path.basename(latest)}) "
              "(Google Benchmark JSON). Regenerate everything with `bash bench/run.sh` "
              "(`--full` for the long run). Older runs, made before runs were tied to "
              "headers and interleaved, are in [`history/`](history/) and count for "
              "nothing.\n")
    md.append("## Verdict\n")
    if refused:
        md.append(f"**Not evidence.** {refused[len('report.py: '):]} What follows is this "
                  "run alone, for looking at, not for choosing.\n")
    md.append(f"From {ev['nrep']} interleaved repetitions (seed "
              f"{ctx.get('interleave_seed', '?')}), commit {ctx.get('git_commit', '?')}, "
              f"include/dpidx sha256 {ctx.get('include_dpidx_sha256', '?')[:12]}:\n")
    md.append(verdict_line + "\n")
    md.append(f"Eviction check: {ev_line}.\n")
    md.append(POLICY + "\n")
    md.append("Cold fault path (the deciding row): ratio A/B per shape of the medians over "
              "repetitions of each repetition's p50, 95% bootstrap interval in brackets, "
              "geometric mean over shapes in bold; `*` = the interval excludes 1 "
              "(measurably different):\n")
    md.append(pair_rows(ev, DECIDING_ROW) + "\n")
    md.append("The same for the dependent fault path (`lat`; shown, not deciding):\n")
    md.append(pair_rows(ev, ("fault", "uniform", "lat")) + "\n")
    md.append("Swap types consumed: " +
              ", ".join(f"{s} {ev['swap'][s]:.0f}" for s in subjects if s in ev["swap"]) + ".\n")
    md.append("Geometric mean over every shape of each subject's ratio to `pfn_to_page()` / "
              "to v6 (the kernel maple tree as the series declares it), same run, same "
              "logical keys (1.00 = as fast):\n")
    md.append(ratio_table(res, shapes, subjects) + "\n")
    md.append("## Machine and build\n")
    for k in ("cpu_model", "llc", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
              "compiler", "cflags", "git_commit", "tree_dirty", "include_dpidx_sha256",
              "kernel", "liburcu_flavor", "dpidx_default_encoding", "dpidx_encodings",
              "kernel_baselines", "perf_counters", "thp", "bench_mode", "shapes",
              "keys_per_pattern", "repetitions", "interleave_seed", "cold_iterations",
              "cold_evict_buffer", "index_memory", "rcu_granularity", "date",
              "load_avg", "library_build_type"):
        if k in ctx:
            md.append(f"- **{k}**: {ctx[k]}")
    if "interleave_order" in ctx:
        md.append("- **interleave_order** (per repetition: shapes, then the fixture families "
                  "in the order run, subjects inside a family in brackets): in the JSON context")
    md.append("")
    md.append("## How to read the tables\n")
    md.append("- Each cell: median over the repetitions, in brackets the 95% confidence "
              "interval of that median (order statistics x(k), x(n+1-k) of the repetitions, "
              "distribution-free, coverage >= 95%: [x(2), x(8)] at 9 repetitions; with fewer "
              "than 6 repetitions no such interval exists and `~[min, max]` is shown), then "
              "the ratio to `pfn_to_page()` (the physical limit: "
              "`vmemmap + offset`, no index load) and to `v6` (`mtree_load()` on v6's "
              "allocation tree + `pgmap->pages[offset - base]`), all measured side by side "
              "in this one process on the same logical keys.")
    md.append("- Subjects: `pfn` (limit), the dpidx encodings (" + ", ".join(encodings) +
              "); v6's world, all on the same pgmaps, whose offsets come from v6's own "
              "`mtree_alloc_range()`: `v6` = the kernel's maple tree exactly as the series "
              "declares it (`MT_FLAGS_ALLOC_RANGE`, no RCU flag, byte keys "
              "`offset << PAGE_SHIFT`), `v6rcu` = the same tree with `MT_FLAGS_USE_RCU` "
              "(\"v6 + RCU\": what a lock-free v6 needs, since without RCU mode its lockless "
              "readers race with node frees), `lfht` (liburcu's `cds_lfht`, one node per "
              "512-offset chunk), `xa` (the kernel's xarray, multi-index entries); kernel "
              "code compiled from linux-source-6.12, debug options off.")
    md.append("- Order: each repetition runs the shapes, the fixture families and the "
              "benchmarks in a fresh order drawn from the recorded seed, so no subject is "
              "always measured first or last; the fixture of a shape and family is rebuilt "
              "in every repetition (new heap addresses).")
    md.append("- Times are CPU time of the benchmark thread (a shared, loaded VM: wall time "
              "includes time descheduled), except `cold`: wall time around the single "
              "fault, p50 of the single-fault samples of each repetition (Google "
              "Benchmark's own time for the cell is set to that p50, so `compare.py` reads "
              "the same statistic as this report), then the median over repetitions.")
    md.append("- `tput`: independent operations; `lat`: the next key's index depends on a "
              "load from the previous descriptor; `cold`: before each single fault the "
              "caches and the TLBs are evicted (one read of every line of a non-THP buffer "
              "of " + ctx.get("cold_evict_buffer", "?") + ", more 4 KiB pages than the "
              "STLB holds), each sample uses a key no earlier cold sample used; includes "
              "the clock read" +
              (f" (timer overhead alone after eviction: {fmt_ns(med(timer))} ns median)"
               if timer else "") + ". The control: one load from a line no one touched "
              "since the eviction, timed the same way, against the same load hot.")
    md.append("- Index memory and RCU: " + ctx.get("index_memory", "?") + " " +
              ctx.get("rcu_granularity", ""))
    md.append("- The fault path: load the swap PTE, `swp_pte_to_page()` (type check, "
              "offset decode, lookup), owner check `page->pgmap->owner`, then "
              "`dpidx_page_get()`/`put()` (two atomic RMWs on the descriptor line).")
    md.append("- `range`: `lookup_range()` of 512 consecutive offsets (the "
              "`hmm_range_fault()` path), time per page. `run512`: 512-aligned windows "
              "inside one range; `span512`: windows that start 200 pages before the end "
              "of a range, so they cross into the next range or a hole. Baselines resolve "
              "one pgmap per range crossed (one `mtree_load()` per pgmap, as v6's "
              "`hmm_range_fault()` could batch), then index its pages.")
    md.append("- No hardware performance counters here: " + ctx.get("perf_counters", "?") +
              ". Instruction and cache-miss counts come from valgrind (below).")
    md.append("- Debian's libbenchmark 1.7.1 prints \"Library was built as DEBUG\": that "
              "concerns the framework's own code outside the timed loops; our code is "
              "built release -O2 (see cflags).\n")
    sections = [
        ("Fault path, dependent (ns per fault)", "fault", "uniform", "lat"),
        ("Fault path, caches and TLBs evicted (ns per fault, p50)", "fault", "uniform", "cold"),
        ("Fault path, independent (ns per fault)", "fault", "uniform", "tput"),
        ("Lookup, uniform, independent (ns per lookup)", "lookup", "uniform", "tput"),
        ("Lookup, uniform, dependent (ns per lookup)", "lookup", "uniform", "lat"),
        ("Lookup, zipfian hot set, independent", "lookup", "zipf", "tput"),
        ("Lookup, zipfian hot set, dependent", "lookup", "zipf", "lat"),
        ("lookup_range() of 512 offsets in one range (ns per page)", "range", "run512", "tput"),
        ("lookup_range() of 512 offsets across ranges and holes (ns per page)", "range", "span512", "tput"),
    ]
    for title, op, pat, mode in sections:
        t = table(res, op, pat, mode, shapes, subjects)
        if t:
            md.append(f"## {title}\n")
            md.append(t + "\n")
    t = table(res, "lookup", "uniform", "tput", shapes, subjects, threads=2)
    if t:
        md.append("## Lookup, uniform, independent, 2 threads (CPU ns per lookup per thread)\n")
        md.append(t + "\n")
    md.append("## Fault path, caches and TLBs evicted: p50 / p99 of single faults (ns)\n")
    md.append("Medians over repetitions of each repetition's p50 and p99.\n")
    md.append(p99_table(ev) + "\n")
    if plots:
        md.append("## Plots\n")
        for p in plots:
            md.append(f"![{p}]({p})\n")
    # System behaviour (dpidx-sys): bench/sys_report.py's tables and plots.
    import sys_report
    md.append(sys_report.section(resdir, lookup=latest))
    md.append("## Deterministic counts (valgrind)\n")
    md.append(instructions_section(resdir, ctx))
    md.append("## Runs\n")
    md.append("Compare two runs with Google Benchmark's own tool "
              "(`dpkg -L libbenchmark-tools | grep compare.py`); every run has one entry "
              "per repetition, so its U test has them all:\n")
    md.append("    /usr/bin/python3 /usr/share/benchmark/compare.py benchmarks OLD.json NEW.json\n")
    cur = header_hash(root)
    for r in sorted(runs):
        rr = load(r)
        c = rr.get("context", {})
        w = not_counted(rr, cur)
        md.append(f"- [`{os.path.basename(r)}`]({os.path.basename(r)}): "
                  f"{c.get('date', '?')}, {c.get('cpu_model', '?')}, "
                  f"commit {c.get('git_commit', '?')}, {c.get('bench_mode', '?')} run: " +
                  ("counts" if not w else "does not count: " + w))
    md.append("")
    with open(os.path.join(resdir, "README.md"), "w") as f:
        f.write("\n".join(md))
    if not a.quiet:
        print()
        print("Fault path, ns per fault (lat = dependent, cold = caches and TLBs "
              "evicted, p50); each cell: " + CI_HEADER + ":")
        w = max(len(s) for s in shapes) + 2
        print(" " * w + "".join(f"{s:>22}" for s in subjects))
        for mode in ("lat", "cold"):
            for shape in shapes:
                row = f"{shape:<{w - 6}}{mode:>5} "
                for s in subjects:
                    v = res.get(("fault", shape, s, "uniform", mode, 1))
                    row += f"{fmt_ci_cell(v) if v else '-':>22}"
                print(row)
        for mode in ("lat", "cold"):
            r = ratios(res, shapes, subjects, "fault", "uniform", mode)
            print(f"geomean ratio, {mode:<4}" + " " * (w - 19) + "".join(
                f"{' / '.join('-' if x is None else format(x, '.2f') for x in r[s]):>22}"
                for s in subjects) + ("   (x pfn / x v6)" if mode == "lat" else ""))
        print()
        print("Cold fault path, geometric-mean ratio over shapes, 95% bootstrap CI "
              f"({ev['nrep']} repetitions):")
        for (x, y), t in sorted(ev["pairs"].items()):
            if x in encodings and (y in encodings and x < y or y in ("pfn", "v6", "v6rcu")):
                print(f"  {x:>6} / {SUBJECT_LABEL.get(y, y):<24} {fmt_ci(t)}" +
                      ("" if t[1] <= 1 <= t[2] else "  (excludes 1)"))
        print(f"eviction check: {ev_line}")
        print()
        print(f"results: {latest}, {resdir}/README.md, plots: {', '.join(plots)}")
        if ctx.get("kernel_baselines", "").startswith("SKIPPED"):
            print("kernel baselines: " + ctx["kernel_baselines"])
        if refused:
            print(refused)
        print("Verdict: " + verdict_line.replace("**", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
