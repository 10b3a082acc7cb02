#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/sys_report.py - dpidx-sys JSON -> markdown tables + PNG plots.

usage: bench/sys_report.py [--results DIR] [--latest FILE.json]

Reads the newest DIR/sys/*.json (or --latest), writes the plots
DIR/sys-<stem>-{scaling,update,memory,fault}.png and prints the markdown
section.  report.py calls section() to put the same markdown into
DIR/README.md.  Colours come from palette.py (one per subject, shared
with report.py's plots); axes are logarithmic where values span decades.

The memory formula: for each subject, index bytes = a + b * ranges +
c * capacity_pages, fitted (least squares, relative) to the measured
shapes, printed beside every measured point it must reproduce, then
evaluated at the 1.5 TiB / 8-GPU shape: 8 x 192 GiB = 402,653,184 pages,
either as 786,432 nouveau-like 2 MiB ranges or as 8 ranges (one per GPU).
"""
import argparse
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import palette  # noqa: E402

GOAL_SCALING = 0.9          # per-reader throughput with N readers vs 1
GOAL_MEMORY = 10 * 1024     # bytes of index per GiB of device memory
BIG_PAGES = 8 * 192 * (1 << 18)          # 1.5 TiB in 4 KiB pages
BIG_SHAPES = [("1.5 TiB, 8 GPUs, 2 MiB ranges", BIG_PAGES // 512, BIG_PAGES),
              ("1.5 TiB, 8 GPUs, 1 range each", 8, BIG_PAGES)]
BIG_GIB = BIG_PAGES * 4096 / (1 << 30)


def latest_run(resdir, latest=None, lookup=None):
    """--latest, else the run beside the lookup run @lookup, else the newest."""
    if latest:
        return latest
    if lookup:
        beside = os.path.join(resdir, "sys", os.path.basename(lookup))
        if os.path.exists(beside):
            return beside
    runs = glob.glob(os.path.join(resdir, "sys", "*.json"))
    return max(runs, key=os.path.getmtime) if runs else None


def order(subjects):
    """Encodings first (in the run's order), then the baselines."""
    return [s for s in subjects if s not in palette.BASELINES] + \
           [s for s in subjects if s in palette.BASELINES]


def fmt(x, unit=""):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f} M{unit}"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.0f} k{unit}"
    if abs(x) >= 100:
        return f"{x:.0f}{unit and ' ' + unit}"
    return f"{x:.1f}{unit and ' ' + unit}"


def fmt_us(ns):
    return "-" if ns is None else f"{ns / 1e3:.1f}"


# ---- reader scaling ------------------------------------------------------------

def scaling_md(doc, subjects):
    recs = doc.get("scaling", [])
    if not recs:
        return []
    cpus = doc["context"].get("cpus", 1)
    readers = sorted({r["readers"] for r in recs})
    churn = sorted({(r["writers"], r["rate_target"]) for r in recs})
    md = ["### Reader scaling under writer churn\n",
          f"{len(readers)} reader counts ({', '.join(map(str, readers))}) on {cpus} CPUs, "
          f"each reader pinned; writers map and unmap 2 MiB ranges (not the readers' keys) "
          f"at the target rate per writer; {recs[0]['seconds']} s per configuration, shape "
          f"{recs[0]['shape']}, {recs[0].get('repetitions', 1)} interleaved repetitions. "
          "Cells: M lookups/s per reader, median [range] of the repetitions "
          "(p50 / p99 / p99.9 ns of the median one, sampled "
          f"1 in 64, including the {recs[0]['timer_ns']:.0f} ns timer). Ratio: per-reader "
          f"throughput with the most readers over one reader (goal >= {GOAL_SCALING}). "
          "*oversubscribed*: more threads than CPUs.\n"]
    hdr = "| subject | writers x target op/s | " + " | ".join(
        f"{n} reader{'s' if n > 1 else ''}" for n in readers) + \
        " | ratio | writer op/s achieved | grace period us |"
    md += [hdr, "|" + "---|" * (hdr.count("|") - 1)]
    for s in subjects:
        for w, q in churn:
            row = {r["readers"]: r for r in recs
                   if r["subject"] == s and r["writers"] == w and r["rate_target"] == q}
            if not row:
                continue
            cells = []
            for n in readers:
                r = row.get(n)
                if not r:
                    cells.append("-")
                    continue
                c = f"{r['lookups_per_s_per_reader'] / 1e6:.1f}"
                if r.get("repetitions", 1) > 1:
                    c += (f" [{r['lookups_per_s_per_reader_lo'] / 1e6:.1f}-"
                          f"{r['lookups_per_s_per_reader_hi'] / 1e6:.1f}]")
                c += f" ({r['p50_ns']:.0f} / {r['p99_ns']:.0f} / {r['p999_ns']:.0f})"
                if r["oversubscribed"]:
                    c += " *oversubscribed*"
                if r["misses"]:
                    c += f" **{r['misses']} misses**"
                cells.append(c)
            one, most = row.get(readers[0]), row.get(readers[-1])
            ratio = "-"
            if one and most and one["lookups_per_s_per_reader"] and len(readers) > 1:
                x = most["lookups_per_s_per_reader"] / one["lookups_per_s_per_reader"]
                ratio = f"{x:.2f} {'ok' if x >= GOAL_SCALING else '**below goal**'}"
                if most["oversubscribed"]:
                    ratio += " (oversubscribed)"
            last = most or one
            wr = f"{last['writer_ops_per_s']:.0f}" if w else "-"
            gp = fmt_us(last.get("gp_wait_ns")) if w else "-"
            md.append(f"| {s} | {w} x {q} | " + " | ".join(cells) +
                      f" | {ratio} | {wr} | {gp} |")
    md.append("")
    return md


def scaling_plot(doc, subjects, plt, path):
    recs = doc.get("scaling", [])
    if not recs:
        return False
    churn = sorted({(r["writers"], r["rate_target"]) for r in recs})
    fig, axes = plt.subplots(1, len(churn), figsize=(3.2 * len(churn) + 1, 3.8),
                             sharey=True, squeeze=False)
    for ax, (w, q) in zip(axes[0], churn):
        for s in subjects:
            mine = sorted((r for r in recs if r["subject"] == s and r["writers"] == w
                           and r["rate_target"] == q), key=lambda r: r["readers"])
            pts = [(r["readers"], r["lookups_per_s_per_reader"] / 1e6, r["oversubscribed"])
                   for r in mine]
            if not pts:
                continue
            lo = [p[1] - r.get("lookups_per_s_per_reader_lo", p[1] * 1e6) / 1e6
                  for p, r in zip(pts, mine)]
            hi = [r.get("lookups_per_s_per_reader_hi", p[1] * 1e6) / 1e6 - p[1]
                  for p, r in zip(pts, mine)]
            ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[lo, hi], marker="o",
                        label=s, color=palette.color(s), linestyle=palette.style(s),
                        capsize=3)
            for p in pts:
                if p[2]:
                    ax.plot(p[0], p[1], marker="x", color="k", markersize=9)
        ax.set_title(f"{w} writer(s) x {q}/s" if w else "no writers", fontsize=9)
        ax.set_xlabel("reader threads")
        ax.set_yscale("log")
        ax.set_xticks(sorted({r["readers"] for r in recs}))
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("M lookups/s per reader")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("fault-path lookups per reader under writer churn, median and range of "
                 "the repetitions (x: oversubscribed)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---- update cost ---------------------------------------------------------------

def update_md(doc, subjects):
    recs = doc.get("update", [])
    if not recs:
        return []
    ns = sorted({r["existing_ranges"] for r in recs})
    cap = doc["context"].get("update_max_ranges")
    md = ["### Update cost against existing ranges\n",
          "Existing ranges are one page each (the most ranges per byte); then one 2 MiB "
          "range is mapped and unmapped 64 times. Unmap = unpublish (until later lookups "
          "miss; the caller-visible part if the free were deferred) + grace period (until "
          "the descriptors can be reclaimed; dpidx's unmap waits for it). Medians, ns. "
          f"The sweep stops at {cap:.0f} existing ranges"
          + (" (`--update-max=1000000` goes to a million)." if cap and cap < 1e6 else ".") + "\n"]
    for title, key in (("map", "map_p50_ns"), ("unmap: unpublish", "unmap_unpublish_p50_ns"),
                       ("unmap: grace period", "unmap_gp_p50_ns"), ("unmap: total", "unmap_p50_ns")):
        hdr = f"| {title} | " + " | ".join(f"{n:,}" for n in ns) + " |"
        md += [hdr, "|" + "---|" * (len(ns) + 1)]
        for s in subjects:
            row = {r["existing_ranges"]: r for r in recs if r["subject"] == s}
            if row:
                md.append(f"| {s} | " + " | ".join(
                    "-" if n not in row else
                    f"fails at {row[n]['build_failed_at']:,.0f}" if row[n].get("build_failed_at")
                    is not None else fmt(row[n][key]) for n in ns) + " |")
        md.append("")
    hdr = ("| init / destroy / growth | init us | destroy us (at " + f"{ns[-1]:,} ranges) | "
           "mean map while building, ns | slowest map while building, us | "
           "growth spikes (> 20x median) |")
    md += [hdr, "|---|---|---|---|---|---|"]
    for s in subjects:
        row = {r["existing_ranges"]: r for r in recs if r["subject"] == s}
        if not row:
            continue
        big = row[max(row)]
        md.append(f"| {s} | {fmt_us(row[min(row)]['init_ns'])} | {fmt_us(big['destroy_ns'])} | "
                  f"{fmt(big['build_map_mean_ns'])} | {fmt_us(big['build_map_max_ns'])} | "
                  f"{big['growth_spikes']:.0f} |")
    md.append("")
    return md


def update_plot(doc, subjects, plt, path):
    recs = doc.get("update", [])
    if not recs:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, key, title in ((axes[0], "map_p50_ns", "map"),
                           (axes[1], "unmap_unpublish_p50_ns", "unmap: unpublish"),
                           (axes[2], "unmap_gp_p50_ns", "unmap: grace period")):
        for s in subjects:
            pts = sorted((r["existing_ranges"], r[key]) for r in recs
                         if r["subject"] == s and r.get("build_failed_at") is None
                         and r[key] is not None and r[key] > 0)
            if pts:
                ax.plot(*zip(*pts), marker="o", label=s, color=palette.color(s),
                        linestyle=palette.style(s))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("existing ranges")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns, median")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---- memory ----------------------------------------------------------------------

def solve(rows, ys):
    """Least squares of rows (lists) ~ ys, relative to ys; no numpy needed."""
    n = len(rows[0])
    w = [1.0 / max(abs(y), 64.0) for y in ys]
    ata = [[sum(w[k] ** 2 * rows[k][i] * rows[k][j] for k in range(len(rows)))
            for j in range(n)] for i in range(n)]
    atb = [sum(w[k] ** 2 * rows[k][i] * ys[k] for k in range(len(rows))) for i in range(n)]
    # Gauss-Jordan with partial pivoting; a singular column gets 0.
    m = [ata[i] + [atb[i]] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) < 1e-30:
            continue
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-30 else 0.0 for i in range(n)]


def memory_fit(recs):
    """index = a + b*ranges + c*capacity: (coefs, max relative error)."""
    pts = [(r["ranges"], r["capacity_pages"], r["index_bytes"]) for r in recs]
    if len(pts) < 2:
        return None, None
    coef = solve([[1.0, p[0], p[1]] for p in pts], [p[2] for p in pts])
    coef = [max(0.0, c) for c in coef]
    err = max(abs(coef[0] + coef[1] * p[0] + coef[2] * p[1] - p[2]) / max(p[2], 1024)
              for p in pts)
    return coef, err


def memory_md(doc, subjects):
    recs = doc.get("memory", [])
    if not recs:
        return []
    shapes = []
    for r in recs:
        if r["shape"] not in shapes:
            shapes.append(r["shape"])
    md = ["### Index memory per GiB of device memory\n",
          "Bytes of index (everything but the 64-byte descriptors: tables, tree nodes, "
          "allocator bitmaps, page tables of memory an encoding maps itself), measured "
          "from the process: the vmemmap allocator's bytes outstanding plus malloc's bytes "
          "in use, after the shape is built, minus the descriptors, plus the page tables "
          "(VmPTE) beyond those of pfn_to_page()'s descriptor array. Cells: measured B/GiB (formula B/GiB). Formula: a + b x ranges + "
          "c x capacity pages, fitted to these points; *err* is its worst relative miss. "
          f"Goal: at most {GOAL_MEMORY // 1024} KiB per GiB, checked on the shapes of "
          "1 GiB and more and on the formula at 1.5 TiB (below 1 GiB the fixed part "
          "dominates).\n"]
    hdr = "| subject | " + " | ".join(shapes) + " | formula (bytes) | err | " + \
        " | ".join(b[0] for b in BIG_SHAPES) + " | goal |"
    md += [hdr, "|" + "---|" * (len(shapes) + 4 + len(BIG_SHAPES))]
    for s in subjects:
        mine = [r for r in recs if r["subject"] == s]
        if not mine:
            continue
        coef, err = memory_fit(mine)
        cells, worst = [], 0.0
        for sh in shapes:
            r = next((x for x in mine if x["shape"] == sh), None)
            if not r:
                cells.append("-")
                continue
            m = r["index_bytes_per_gib"]
            if r["device_gib"] >= 1:
                worst = max(worst, m)
            if coef:
                f = (coef[0] + coef[1] * r["ranges"] + coef[2] * r["capacity_pages"]) / \
                    r["device_gib"]
                cells.append(f"{fmt(m)} ({fmt(f)})")
            else:
                cells.append(fmt(m))
        big = []
        for _, ranges, pages in BIG_SHAPES:
            if coef:
                # The goal is about big machines: measured shapes from 1 GiB up.
                v = (coef[0] + coef[1] * ranges + coef[2] * pages) / BIG_GIB
                worst = max(worst, v)
                big.append(f"{fmt(v)} B/GiB")
            else:
                big.append("-")
        formula = (f"{coef[0]:.0f} + {coef[1]:.1f} r + {coef[2]:.4f} p" if coef else "-")
        goal = "ok" if worst <= GOAL_MEMORY else "**over**"
        md.append(f"| {s} | " + " | ".join(cells) + f" | {formula} | "
                  f"{'-' if err is None else format(err * 100, '.0f') + '%'} | " +
                  " | ".join(big) + f" | {goal} |")
    md.append("")
    md.append("Of which page tables beyond pfn_to_page()'s own (0: no more than pfn's "
              "single descriptor array; the figure moves with THP fallbacks on a busy "
              "machine):\n")
    hdr = "| page tables beyond pfn's, bytes | " + " | ".join(shapes) + " |"
    md += [hdr, "|" + "---|" * (len(shapes) + 1)]
    for s in subjects:
        mine = {r["shape"]: r for r in recs if r["subject"] == s}
        if mine and s != "pfn":
            md.append(f"| {s} | " + " | ".join(
                fmt(max(0, mine[sh].get("pte_beyond_pfn_bytes") or 0)) if sh in mine else "-"
                for sh in shapes) + " |")
    md.append("")
    return md


def memory_plot(doc, subjects, plt, path):
    recs = doc.get("memory", [])
    if not recs:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for s in subjects:
        if s == "pfn":
            continue
        mine = sorted((r for r in recs if r["subject"] == s), key=lambda r: r["ranges"])
        if not mine:
            continue
        ax.plot([r["ranges"] for r in mine],
                [max(r["index_bytes_per_gib"], 1) for r in mine], marker="o",
                linestyle="none", color=palette.color(s), label=f"{s} measured")
        coef, _ = memory_fit(mine)
        if coef:
            ax.plot([r["ranges"] for r in mine],
                    [max((coef[0] + coef[1] * r["ranges"] + coef[2] * r["capacity_pages"]) /
                         r["device_gib"], 1) for r in mine],
                    marker="+", linestyle="none", markersize=12, color=palette.color(s))
            for name, ranges, pages in BIG_SHAPES:
                v = (coef[0] + coef[1] * ranges + coef[2] * pages) / BIG_GIB
                ax.plot(ranges, max(v, 1), marker="*", markersize=11, color=palette.color(s))
    ax.axhline(GOAL_MEMORY, color="k", linewidth=0.8, linestyle=":")
    ax.text(1, GOAL_MEMORY * 1.1, "goal 10 KiB/GiB", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mapped ranges (o measured, + formula, * formula at 1.5 TiB / 8 GPUs)")
    ax.set_ylabel("index bytes per GiB of device memory")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---- fault path: backing, NUMA, counters ------------------------------------------

COUNTERS = ["cycles", "instructions", "l1d_miss", "llc_miss", "dtlb_miss"]


def fault_md(doc, subjects):
    recs = doc.get("fault", [])
    if not recs:
        return []
    ctx = doc["context"]
    cols = []
    for r in recs:
        c = (r["shape"], r["backing"], r["numa"])
        if c not in cols:
            cols.append(c)
    md = ["### Fault path: descriptor backing and NUMA\n",
          "The dependent fault-path chain (swap PTE -> page -> owner; the next key depends "
          "on the descriptor read), ns per fault, median of 5 timed chains. *thp*: descriptors and big tables on "
          "2 MiB pages (the vmemmap model of the lookup benchmarks); *4k*: the ones over "
          "512 KiB on 4 KiB pages, as the kernel's kvzalloc() gets them from vmalloc (v6 "
          "and dpidx alike). " + ctx.get("numa", "") + ".\n"]
    hdr = "| subject | " + " | ".join(f"{a} {b} {c}" for a, b, c in cols) + " | 4k / thp |"
    md += [hdr, "|" + "---|" * (len(cols) + 2)]
    for s in subjects:
        mine = {(r["shape"], r["backing"], r["numa"]): r for r in recs if r["subject"] == s}
        if not mine:
            continue
        ratios = [mine[(a, "4k", c)]["ns_per_fault"] / mine[(a, "thp", c)]["ns_per_fault"]
                  for a, b, c in cols if b == "thp" and (a, "4k", c) in mine]
        md.append(f"| {s} | " + " | ".join(
            fmt(mine[c]["ns_per_fault"]) if c in mine else "-" for c in cols) + " | " +
            (" ".join(f"{x:.2f}" for x in ratios) or "-") + " |")
    shares = {}
    for r in recs:
        if r.get("thp_share") is not None:
            shares.setdefault(r["backing"], []).append(r["thp_share"])
    if shares:
        md.append("")
        md.append("Share of the process's anonymous memory on huge pages once built (the "
                  "backing took effect): " + ", ".join(
                      f"{b} {min(v):.2f}-{max(v):.2f}" for b, v in sorted(shares.items())) + ".")
    md.append("")
    have = [r for r in recs if any(r.get(k) is not None for k in COUNTERS)]
    if have:
        md += ["Hardware counters per fault (perf_event_open, user space):\n",
               "| subject | shape | backing | numa | " + " | ".join(COUNTERS) + " |",
               "|" + "---|" * (4 + len(COUNTERS))]
        for r in have:
            md.append(f"| {r['subject']} | {r['shape']} | {r['backing']} | {r['numa']} | " +
                      " | ".join(fmt(r.get(k)) for k in COUNTERS) + " |")
        md.append("")
    else:
        md.append("No hardware counters: " + ctx.get("perf", "?") +
                  " (section *Deterministic counts (valgrind)*).\n")
    return md


def fault_plot(doc, subjects, plt, path):
    recs = doc.get("fault", [])
    if not recs:
        return False
    cols = []
    for r in recs:
        c = (r["shape"], r["backing"], r["numa"])
        if c not in cols:
            cols.append(c)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(cols) + 2), 4))
    width = 0.8 / max(1, len(subjects))
    for i, s in enumerate(subjects):
        xs, ys = [], []
        for j, c in enumerate(cols):
            r = next((x for x in recs if x["subject"] == s and
                      (x["shape"], x["backing"], x["numa"]) == c), None)
            if r:
                xs.append(j + i * width)
                ys.append(r["ns_per_fault"])
        ax.bar(xs, ys, width, label=s, color=palette.color(s),
               hatch="//" if s in palette.BASELINES else None)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cols))])
    ax.set_xticklabels([f"{a}\n{b} {c}" for a, b, c in cols], fontsize=8)
    ax.set_ylabel("ns per fault (dependent)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("fault path: 2 MiB (thp) vs 4 KiB (vmalloc-like) descriptor backing",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---- the section -------------------------------------------------------------------

def section(resdir, latest=None, lookup=None):
    """Markdown for results/README.md (plots written beside it)."""
    path = latest_run(resdir, latest, lookup)
    if not path:
        return ("## System behaviour\n\nNo dpidx-sys run yet: `bash bench/run.sh` "
                "runs it after the lookup benchmarks.\n")
    with open(path) as f:
        doc = json.load(f)
    ctx = doc["context"]
    subjects = order(ctx.get("subjects", "").split(","))
    stem = os.path.splitext(os.path.basename(path))[0]
    md = ["## System behaviour (dpidx-sys)\n",
          f"From [`sys/{os.path.basename(path)}`](sys/{os.path.basename(path)}): "
          f"{ctx.get('date')}, {ctx.get('cpu_model')}, {ctx.get('cpus')} CPUs, "
          f"{ctx.get('numa')}, commit {ctx.get('git_commit')}, {ctx.get('mode')} run, "
          f"peak RSS {doc.get('peak_rss_kib', 0) / 1024:.0f} MiB. v6 baseline: "
          f"{ctx.get('v6_baseline')}. Hardware counters: {ctx.get('perf')}.\n"]
    md += scaling_md(doc, subjects) + update_md(doc, subjects) + \
        memory_md(doc, subjects) + fault_md(doc, subjects)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        md.append("(matplotlib missing: no plots; apt-get install python3-matplotlib)\n")
        return "\n".join(md)
    plots = []
    for kind, fn in (("scaling", scaling_plot), ("update", update_plot),
                     ("memory", memory_plot), ("fault", fault_plot)):
        name = f"sys-{stem}-{kind}.png"
        if fn(doc, subjects, plt, os.path.join(resdir, name)):
            plots.append(name)
    md += [f"![{p}]({p})\n" for p in plots]
    return "\n".join(md)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--latest")
    a = ap.parse_args()
    print(section(a.results, a.latest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
