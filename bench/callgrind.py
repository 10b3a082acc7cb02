#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/callgrind.py - deterministic per-operation costs under valgrind.

Runs bench/dpidx-instr (a fixed workload per subject, no clock) under
valgrind --tool=callgrind with an explicit simulated cache hierarchy
(CACHES: I1, D1 32 KiB 8-way, LL 1 MiB 16-way, 64-byte lines) and
reports per operation: instructions (Ir) and simulated D1 and LL misses
(reads + writes), for hot lookups and hot fault paths (4096 keys, the
index stays cached) and for cold fault paths (a fresh key each, after a
pass over a buffer twice the simulated LL: the LL misses are the fault
path's dependent misses, which decide the cold fault and which a hot
instruction count cannot see).  The figures depend only on the binary.

The committed figures (results/instructions.json) are keyed by the build's
compiler and flags (dpidx-instr prints them: "config gcc 12.2.0 -O2
buildtype=release b_ndebug=true"); each configuration tests/run.sh and
bench/run.sh build has its own.

usage:
  bench/callgrind.py [--binary PATH]          print the figures
  bench/callgrind.py --update [--binary PATH] record them for that binary's
                                              configuration
  bench/callgrind.py --check [--binary PATH]  fail (exit 1) when an
      encoding's instructions per hot lookup or fault exceed the committed
      figure by more than 10%, or its LL misses per cold fault by more than
      0.25; exit 77 (skip) when valgrind is missing or no figures were
      committed for this configuration (say which).
  --worse=SUBJECT  (with --check) add one simulated LL miss per cold fault
      to SUBJECT's figures: shows that the gate can fail.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMITTED = os.path.join(ROOT, "results", "instructions.json")
CACHES = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"]
BASELINES = {"pfn", "lfht", "v6", "v6rcu", "xa", "mtree"}
TOLERANCE = 0.10
LL_TOLERANCE = 0.25
SHAPE = "nouveau-1k"
OPS = {"lookup", "fault", "coldfault"}


def measure(binary, ops, cold):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--cache-sim=yes", *CACHES,
               "--toggle-collect=instr_*",
               f"--callgrind-out-file={out}", binary, f"--shape={SHAPE}", f"--ops={ops}",
               f"--cold={cold}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"callgrind.py: {' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
        compiler = config = ""
        for line in p.stdout.splitlines():
            if line.startswith("compiler "):
                compiler = line[len("compiler "):]
            if line.startswith("config "):
                config = line[len("config "):]
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                              "--show=Ir,D1mr,D1mw,DLmr,DLmw", out],
                             capture_output=True, text=True, check=True).stdout
    subjects = {}
    for line in ann.splitlines():
        # "???:instr_lookup_flat" without debug info, "path/instr.c:..." with.
        # With debug info a function is listed once per source file it has
        # code from; the part holding its entry point has the whole
        # inclusive cost, the others a share of it: keep the largest.
        m = re.search(r"\S*:instr_(lookup|fault|coldfault)_([A-Za-z0-9]+)", line)
        if not m or "=>" in line:
            continue
        cols = re.sub(r"\([^)]*\)", " ", line[:m.start()]).split()
        if len(cols) < 5:
            continue
        ir, d1r, d1w, dlr, dlw = (0 if c == "." else int(c.replace(",", "")) for c in cols[:5])
        op, subj = m.group(1), m.group(2)
        n = cold if op == "coldfault" else ops
        if subjects.get(subj, {}).get(op, {}).get("Ir", 0) >= round(ir / n, 2):
            continue
        subjects.setdefault(subj, {})[op] = {
            "Ir": round(ir / n, 2),
            "D1miss": round((d1r + d1w) / n, 4),
            "LLmiss": round((dlr + dlw) / n, 4),
        }
    if not subjects:
        sys.exit("callgrind.py: no instr_* functions in the profile (stripped binary?)")
    return {"tool": "valgrind --tool=callgrind --cache-sim=yes", "caches": " ".join(CACHES),
            "shape": SHAPE, "ops": ops, "cold_ops": cold, "compiler": compiler,
            "config": config,
            "note": "per operation, inclusive; hot: 4096 keys after a warm-up pass; "
                    "cold: one fault on a fresh key after a pass over 2 x LL",
            "subjects": subjects}


def table(d):
    print(f"{'subject':<8} {'lookup Ir':>10} {'D1 miss':>8} {'fault Ir':>10} {'D1 miss':>8} "
          f"{'cold Ir':>9} {'cold LL miss':>13}")
    for s, v in d["subjects"].items():
        lk, fa, co = v.get("lookup", {}), v.get("fault", {}), v.get("coldfault", {})
        print(f"{s:<8} {lk.get('Ir', 0):>10.1f} {lk.get('D1miss', 0):>8.3f} "
              f"{fa.get('Ir', 0):>10.1f} {fa.get('D1miss', 0):>8.3f} "
              f"{co.get('Ir', 0):>9.1f} {co.get('LLmiss', 0):>13.3f}")


def load_committed():
    try:
        with open(COMMITTED) as f:
            d = json.load(f)
    except (OSError, ValueError):
        return {"configs": {}}
    return d if "configs" in d else {"configs": {}}


def regressions(ref, d):
    bad = []
    for s, v in d["subjects"].items():
        if s in BASELINES:
            continue
        for op in ("lookup", "fault"):
            old = ref["subjects"].get(s, {}).get(op, {}).get("Ir")
            new = v.get(op, {}).get("Ir")
            if old is None or new is None:
                print(f"note: {s} {op}: no committed figure (run bench/callgrind.py --update)")
                continue
            if new > old * (1 + TOLERANCE):
                bad.append(f"{s} {op}: {new:.1f} instructions per hot operation, committed "
                           f"{old:.1f} (+{(new / old - 1) * 100:.0f}% > 10%)")
        old = ref["subjects"].get(s, {}).get("coldfault", {}).get("LLmiss")
        new = v.get("coldfault", {}).get("LLmiss")
        if old is None or new is None:
            print(f"note: {s} coldfault: no committed figure (run bench/callgrind.py --update)")
        elif new > old + LL_TOLERANCE:
            bad.append(f"{s} cold fault: {new:.2f} simulated LL misses per fault, committed "
                       f"{old:.2f} (+{new - old:.2f} > {LL_TOLERANCE})")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "bench", "dpidx-instr"))
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--cold", type=int, default=1000)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--worse", metavar="SUBJECT")
    a = ap.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("callgrind.py: valgrind missing: apt-get install valgrind")
        sys.exit(77 if a.check else 1)
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"callgrind.py: no {a.binary}: build it (ninja -C build-bench bench/dpidx-instr) "
                 "or pass --binary")
    d = measure(a.binary, a.ops, a.cold)
    if a.worse:
        co = d["subjects"].get(a.worse, {}).get("coldfault")
        if co is None:
            sys.exit(f"callgrind.py: --worse: no subject '{a.worse}'")
        co["LLmiss"] += 1.0
        print(f"(--worse: {a.worse} given one more LL miss per cold fault)")
    print(f"configuration: {d['config']}")
    table(d)
    print("(hardware counters are not used: this VM has none; these are valgrind's "
          "simulated counts, stable for a given binary)")
    committed = load_committed()
    if a.update:
        committed["configs"][d["config"]] = d
        with open(COMMITTED, "w") as f:
            json.dump(committed, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote the '{d['config']}' figures to {COMMITTED}; commit it with the change "
              "that explains it")
        return 0
    if not a.check:
        return 0
    ref = committed["configs"].get(d["config"])
    if ref is None:
        print(f"callgrind.py: no committed figures for '{d['config']}' (recorded: " +
              ", ".join(f"'{k}'" for k in committed["configs"]) +
              "): skipped; record them with bench/callgrind.py --update --binary " + a.binary)
        return 77
    bad = regressions(ref, d)
    for b in bad:
        print("REGRESSION: " + b)
    if bad:
        print("If the increase is intended, run bench/callgrind.py --update and commit "
              "results/instructions.json with the reason in the commit message.")
        return 1
    print(f"perf-regression: every encoding within 10% (instructions, hot) and "
          f"{LL_TOLERANCE} LL misses (cold fault) of results/instructions.json for "
          f"'{d['config']}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
