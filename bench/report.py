#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/report.py - Google Benchmark JSON -> results/README.md + PNG plots.

usage: bench/report.py [--results DIR] [--latest FILE.json] [--quiet]

Reads the newest run (or --latest), writes DIR/README.md with the
comparison tables (medians of the repetitions, their spread, ratios to
pfn_to_page() and to the kernel's maple tree, all measured in that one
run), the plots, the list of committed runs, and the deterministic
instruction counts (DIR/instructions.json, from bench/callgrind.py).
Prints the fault-path table and names the fastest encoding, and whether
DPIDX_DEFAULT_ENCODING is still it.  Exit status 0 even when it is not:
benchmarks are measurements, not tests.
"""
import argparse
import glob
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import palette  # noqa: E402  one colour per subject, shared with sys_report.py

BASELINES = ["pfn", "lfht", "mtree", "xa"]
LIMIT, V6 = "pfn", "mtree"
NOISE = 0.05   # margins below this are run-to-run noise on the reference VM
SHAPE_ORDER = ["nouveau-64", "nouveau-1k", "nouveau-8k", "nouveau-64k",
               "hmm-64x256M", "kfd-1x64G", "multi-8x16G"]


def load(path):
    with open(path) as f:
        return json.load(f)


def parse(run):
    """{(op, shape, subject, pattern, mode, threads): [ns per op, ...]} and counters."""
    res, counters = {}, {}
    for b in run["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        parts = b["name"].split("/")
        if len(parts) < 5:
            continue
        op, shape, subject, pattern, mode = parts[:5]
        threads = int(b.get("threads", 1))
        manual = "manual_time" in b["name"]
        # Loaded 2-core VM: CPU time is the time the thread ran; manual
        # (cold) time is measured around the single operation.
        t = b["real_time"] if manual else b["cpu_time"]
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        if manual and "median_ns" in b:
            t, unit = b["median_ns"], 1     # robust to one preempted sample
        key = (op, shape, subject, pattern, mode, threads)
        res.setdefault(key, []).append(t * unit)
        counters[key] = {k: b[k] for k in ("ranges", "swap_types") if k in b}
    return res, counters


def med(v):
    return statistics.median(v)


def spread(v):
    m = med(v)
    return (max(v) - min(v)) / 2 / m * 100 if m and len(v) > 1 else 0.0


def fmt_ns(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def shapes_of(res):
    found = {k[1] for k in res if k[0] != "timer"}
    return [s for s in SHAPE_ORDER if s in found] + sorted(found - set(SHAPE_ORDER))


def subjects_of(res, encodings):
    found = {k[2] for k in res if k[0] != "timer"}
    order = ["pfn"] + encodings + ["lfht", "mtree", "xa"]
    return [s for s in order if s in found]


def table(res, op, pattern, mode, shapes, subjects, threads=1):
    rows = []
    head = "| shape | " + " | ".join(subjects) + " |"
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
            c = f"{fmt_ns(med(v))} ±{spread(v):.0f}%"
            r = []
            if lim and s != LIMIT:
                r.append(f"{med(v) / med(lim):.2f}×pfn")
            if v6 and s != V6:
                r.append(f"{med(v) / med(v6):.2f}×mt")
            if r:
                c += " (" + ", ".join(r) + ")"
            cells.append(c)
        if any(c != "–" for c in cells):
            rows.append(f"| {shape} | " + " | ".join(cells) + " |")
    return "\n".join(rows) if len(rows) > 2 else ""


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def verdict(res, shapes, encodings):
    """Fastest encoding on the fault path: geometric mean, over every shape,
    of the dependent (lat) and the cache-cold (cold) fault-path medians."""
    score = {}
    for e in encodings:
        xs = [med(res[k]) for shape in shapes for mode in ("lat", "cold")
              for k in [("fault", shape, e, "uniform", mode, 1)] if k in res]
        if xs and len(xs) == 2 * len(shapes):
            score[e] = geomean(xs)
    return score


def pool(runs, latest, shapes, encodings, score):
    """Geometric mean of each encoding's score over every committed run that
    measured every encoding on every shape of this run: one run on a noisy
    VM is not enough to pick a default, a pool of them is."""
    per_run = [score] if score else []
    for path in runs:
        if os.path.abspath(path) == os.path.abspath(latest):
            continue
        try:
            r, _ = parse(load(path))
        except (OSError, ValueError, KeyError):
            continue
        if set(shapes) - set(shapes_of(r)):
            continue
        sc = verdict(r, shapes, encodings)
        if set(sc) == set(score):
            per_run.append(sc)
    if not per_run:
        return {}, 0
    return {e: geomean([sc[e] for sc in per_run]) for e in score}, len(per_run)


def decide(pooled, swap):
    """(choice, fastest, tied): the fastest by pooled score; encodings within
    NOISE of it tie with it, and a tie goes to the fewest swap types consumed
    (a kernel-wide resource: MAX_SWAPFILES), then to the faster."""
    if not pooled:
        return None, None, []
    best = min(pooled, key=pooled.get)
    tied = [e for e in sorted(pooled, key=pooled.get)
            if e != best and pooled[e] / pooled[best] - 1 < NOISE]
    choice = min([best] + tied, key=lambda e: (swap.get(e, 99), pooled[e]))
    return choice, best, tied


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


def instructions_section(resdir):
    path = os.path.join(resdir, "instructions.json")
    if not os.path.exists(path):
        return "No deterministic counts yet: run `bench/callgrind.py --update`.\n"
    d = load(path)
    lines = [f"From `{os.path.basename(path)}` ({d.get('tool', 'valgrind')}, "
             f"shape {d.get('shape')}, {d.get('ops')} hot operations per subject, "
             f"simulated caches {d.get('caches', '?')}). Per operation:", "",
             "| subject | lookup Ir | lookup D1 miss | lookup LL miss | fault Ir | fault D1 miss | fault LL miss |",
             "|---|---|---|---|---|---|---|"]
    for s, v in d.get("subjects", {}).items():
        lk, fa = v.get("lookup", {}), v.get("fault", {})
        lines.append(f"| {s} | {lk.get('Ir', 0):.1f} | {lk.get('D1miss', 0):.3f} | "
                     f"{lk.get('LLmiss', 0):.3f} | {fa.get('Ir', 0):.1f} | "
                     f"{fa.get('D1miss', 0):.3f} | {fa.get('LLmiss', 0):.3f} |")
    lines.append("")
    lines.append("Per operation, inclusive of the measuring loop (about 5 instructions). "
                 "Ir is exact and identical run to run for a given binary; the simulated "
                 "miss counts move slightly with heap addresses. `meson test --suite "
                 "perf-regression` (`bench/callgrind.py --check`) fails when an encoding's "
                 "instructions per hot lookup or fault grow by more than 10% over these "
                 "figures; `bench/callgrind.py --update` rewrites them.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--latest")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    runs = sorted(glob.glob(os.path.join(a.results, "*-20*.json")))
    latest = a.latest or (max(runs, key=os.path.getmtime) if runs else None)
    if not latest or not os.path.exists(latest):
        sys.exit(f"report.py: no results in {a.results}/: run bench/run.sh first")
    run = load(latest)
    ctx = run.get("context", {})
    res, counters = parse(run)
    if not res:
        sys.exit(f"report.py: {latest} has no dpidx-bench results")
    encodings = [e for e in ctx.get("dpidx_encodings", "flat").split(",") if e]
    shapes, subjects = shapes_of(res), subjects_of(res, encodings)
    stem = os.path.splitext(os.path.basename(latest))[0]
    plots = plot(res, shapes, subjects, counters, a.results, stem)
    default = ctx.get("dpidx_default_encoding", "?")
    score = verdict(res, shapes, encodings)
    # Swap types per subject, from any fault benchmark's counter.
    swap = {k[2]: v["swap_types"] for k, v in counters.items()
            if k[0] == "fault" and "swap_types" in v}
    pooled, pooled_runs = pool(runs, latest, shapes, encodings, score)
    choice, best, tie = decide(pooled, swap)
    ranked = sorted(score, key=score.get)
    if choice is None:
        verdict_line = "No encoding has fault-path results for every shape of this run."
    else:
        verdict_line = (f"Fastest encoding on the fault path: **{best}** (geometric mean "
                        f"{pooled[best]:.1f} ns over {pooled_runs} committed run(s) with every "
                        f"encoding and shape; this run: " +
                        ", ".join(f"{e} {score[e]:.1f}" for e in ranked) + " ns).")
        if tie:
            verdict_line += (f" {', '.join(tie)} within {NOISE * 100:.0f}% of it: a tie on "
                             f"this machine's run-to-run noise, broken by the swap types "
                             f"consumed (" + ", ".join(f"{e} {swap.get(e, 0):.0f}"
                                                      for e in [best] + tie) +
                             f"): the choice is **{choice}**.")
        verdict_line += (f" DPIDX_DEFAULT_ENCODING is \"{default}\": " +
                         ("still the choice." if choice == default else
                          f"NOT the choice; change it to {choice} in include/dpidx/dpidx.h."))
    tie_line = ""
    timer = res.get(("timer", "overhead", "clock_gettime", "-", "cold", 1))
    md = []
    md.append("# dpidx benchmark results\n")
    md.append("Generated by `bench/report.py` from "
              f"[`{os.path.basename(latest)}`]({os.path.basename(latest)}) "
              "(Google Benchmark JSON). Regenerate everything with `bench/run.sh` "
              "(`--full` for the long run).\n")
    md.append("## Verdict\n")
    md.append(verdict_line + "\n")
    if tie_line:
        md.append(tie_line + "\n")
    if score:
        md.append("Score per encoding (geometric mean over every shape of the "
                  "dependent and the cache-cold fault-path medians, lower is better): " +
                  ", ".join(f"{e} {v:.1f} ns" for e, v in sorted(score.items(), key=lambda x: x[1])) +
                  ". Swap types consumed: " +
                  ", ".join(f"{s} {counters[k]['swap_types']:.0f}" for s in subjects
                            for k in [("fault", shapes[0], s, "uniform", "lat", 1)]
                            if k in counters and "swap_types" in counters[k]) + ".\n")
    md.append("Geometric mean over every shape of each subject's ratio to `pfn_to_page()` / "
              "to the kernel maple tree (v6), same run, same keys (1.00 = as fast):\n")
    md.append(ratio_table(res, shapes, subjects) + "\n")
    md.append("## Machine and build\n")
    for k in ("cpu_model", "llc", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
              "compiler", "cflags", "git_commit", "kernel", "liburcu_flavor",
              "dpidx_default_encoding", "dpidx_encodings", "kernel_baselines",
              "perf_counters", "thp", "bench_mode", "shapes", "keys_per_pattern",
              "cold_evict_buffer", "date", "library_build_type"):
        if k in ctx:
            md.append(f"- **{k}**: {ctx[k]}")
    if "caches" in ctx and isinstance(ctx["caches"], list):
        pass
    md.append("")
    md.append("## How to read the tables\n")
    md.append("- Each cell: median ns per operation over the repetitions, ±half the "
              "min–max spread as % of the median, then the ratio to `pfn_to_page()` "
              "(the physical limit: `vmemmap + offset`, no index load) and to `mt` = the "
              "kernel's own maple tree (v6's choice: `mtree_load()` + "
              "`pgmap->pages[offset - base]`), all measured side by side in this one "
              "process on the same logical keys.")
    md.append("- Subjects: `pfn` (limit), the dpidx encodings (" + ", ".join(encodings) +
              "), `lfht` (liburcu's `cds_lfht`, one node per 512-offset chunk), `mtree` "
              "and `xa` (the kernel's maple tree and xarray compiled from "
              "linux-source-6.12, debug options off). The baselines index the same "
              "pgmaps, with offsets handed out first-fit in 512-page chunks.")
    md.append("- Times are CPU time of the benchmark thread (this is a shared, loaded "
              "2-core VM: wall time includes time descheduled), except `cold`, which is "
              "wall time around the single fault-path operation (median of the single-operation samples of each repetition, then median over repetitions).")
    md.append("- `tput`: independent operations (out-of-order overlap allowed); `lat`: "
              "the next key's index depends on a load from the previous descriptor; "
              "`cold`: the caches are evicted (a buffer of twice the LLC is read) before "
              "each single operation: the index, descriptor and page-table walk all "
              "miss, as on a sporadic fault; includes the clock read" +
              (f" (timer overhead alone after eviction: {fmt_ns(med(timer))} ns median)"
               if timer else "") + ".")
    md.append("- What `cold` costs here: a few microseconds even for `pfn_to_page()`. "
              "After the eviction every access misses the caches *and* the TLBs; this is "
              "a KVM guest, so each TLB miss is a two-dimensional (guest x host) page "
              "walk whose page-table lines are cold too, and the code of the fault path "
              "itself is fetched from memory. The absolute figure is that of a truly "
              "sporadic fault on this VM; the differences between subjects are the "
              "extra dependent misses of their index.")
    md.append("- Noise: this 2-core VM is shared with other jobs (load average > 2 while "
              "measuring). Subjects are measured one after another, so differences "
              "below ~15% between subjects of one row are within run-to-run noise; the "
              "±spread shows the repetitions' own scatter.")
    md.append("- The fault path: load the swap PTE, `swp_pte_to_page()` (type check, "
              "offset decode, lookup), owner check `page->pgmap->owner`, then "
              "`dpidx_page_get()`/`put()` (two atomic RMWs on the descriptor line).")
    md.append("- `range`: `lookup_range()` of 512 consecutive offsets (the "
              "`hmm_range_fault()` path), time per page; baselines resolve each page "
              "on its own, as v6's `hmm_range_fault()` does.")
    md.append("- No hardware performance counters here: " + ctx.get("perf_counters", "?") +
              ". Instruction and cache-miss counts come from valgrind (below).")
    md.append("- Debian's libbenchmark 1.7.1 prints \"Library was built as DEBUG\": that "
              "concerns the framework's own code outside the timed loops; our code is "
              "built release -O2 (see cflags).\n")
    sections = [
        ("Fault path, dependent (ns per fault)", "fault", "uniform", "lat"),
        ("Fault path, caches evicted (ns per fault)", "fault", "uniform", "cold"),
        ("Fault path, independent (ns per fault)", "fault", "uniform", "tput"),
        ("Lookup, uniform, independent (ns per lookup)", "lookup", "uniform", "tput"),
        ("Lookup, uniform, dependent (ns per lookup)", "lookup", "uniform", "lat"),
        ("Lookup, zipfian hot set, independent", "lookup", "zipf", "tput"),
        ("Lookup, zipfian hot set, dependent", "lookup", "zipf", "lat"),
        ("lookup_range() of 512 offsets (ns per page)", "range", "run512", "tput"),
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
    if plots:
        md.append("## Plots\n")
        for p in plots:
            md.append(f"![{p}]({p})\n")
    # System behaviour (dpidx-sys): bench/sys_report.py's tables and plots.
    import sys_report
    md.append(sys_report.section(a.results, lookup=latest))
    md.append("## Deterministic counts (valgrind)\n")
    md.append(instructions_section(a.results))
    md.append("## Runs\n")
    md.append("Compare two runs with Google Benchmark's own tool "
              "(`dpkg -L libbenchmark-tools | grep compare.py`):\n")
    md.append("    /usr/bin/python3 /usr/share/benchmark/compare.py benchmarks OLD.json NEW.json\n")
    for r in sorted(runs):
        c = load(r).get("context", {})
        md.append(f"- [`{os.path.basename(r)}`]({os.path.basename(r)}): "
                  f"{c.get('date', '?')}, {c.get('cpu_model', '?')}, "
                  f"commit {c.get('git_commit', '?')}, {c.get('bench_mode', '?')} run")
    md.append("")
    with open(os.path.join(a.results, "README.md"), "w") as f:
        f.write("\n".join(md))
    if not a.quiet:
        print()
        print("Fault path, median ns per fault (lat = dependent, cold = caches evicted):")
        w = max(len(s) for s in shapes) + 2
        print(" " * w + "".join(f"{s:>16}" for s in subjects))
        for mode in ("lat", "cold"):
            for shape in shapes:
                row = f"{shape:<{w - 6}}{mode:>5} "
                for s in subjects:
                    v = res.get(("fault", shape, s, "uniform", mode, 1))
                    row += f"{(fmt_ns(med(v)) + ' ±' + format(spread(v), '.0f') + '%') if v else '-':>16}"
                print(row)
        r = ratios(res, shapes, subjects, "fault", "uniform", "lat")
        print("geomean ratio, lat" + " " * (w - 17) + "".join(
            f"{' / '.join('-' if x is None else format(x, '.2f') for x in r[s]):>16}"
            for s in subjects) + "   (x pfn / x mtree)")
        r = ratios(res, shapes, subjects, "fault", "uniform", "cold")
        print("geomean ratio, cold" + " " * (w - 19) + "".join(
            f"{' / '.join('-' if x is None else format(x, '.2f') for x in r[s]):>16}"
            for s in subjects))
        print()
        print(f"results: {latest}, {a.results}/README.md, plots: {', '.join(plots)}")
        if ctx.get("kernel_baselines", "").startswith("SKIPPED"):
            print("kernel baselines: " + ctx["kernel_baselines"])
        if score:
            print("score (geomean of fault lat and cold over shapes): " +
                  ", ".join(f"{e} {score[e]:.1f} ns" for e in ranked))
        print(verdict_line.replace("**", ""))
        if tie_line:
            print(tie_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
