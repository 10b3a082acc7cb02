#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/callgrind.py - deterministic per-operation costs under valgrind.

Runs bench/dpidx-instr (a fixed hot lookup and fault-path workload per
subject, no clock) under valgrind --tool=callgrind with a fixed simulated
cache hierarchy, and reports per operation: instructions (Ir) and
simulated D1 and LL misses (reads + writes).  The figures depend only on
the binary (compiler, flags, code), not on the machine's load.

usage:
  bench/callgrind.py [--binary PATH] [--ops N]           print the figures
  bench/callgrind.py --update                            commit them to
                                                         results/instructions.json
  bench/callgrind.py --check                             fail (exit 1) when an
      encoding's instructions per hot lookup or fault exceed the committed
      figure by more than 10%; exit 77 (skip) when the committed figures
      come from another compiler or valgrind is missing.
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
CACHES = ["--I1=65536,8,64", "--D1=65536,8,64", "--LL=33554432,16,64"]
BASELINES = {"pfn", "lfht", "mtree", "xa"}
TOLERANCE = 0.10
SHAPE = "nouveau-1k"


def measure(binary, ops):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        cmd = ["valgrind", "--tool=callgrind", "--cache-sim=yes", *CACHES,
               "--toggle-collect=instr_*",
               f"--callgrind-out-file={out}", binary, f"--shape={SHAPE}", f"--ops={ops}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"callgrind.py: {' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
        compiler = ""
        for line in p.stdout.splitlines():
            if line.startswith("compiler "):
                compiler = line[len("compiler "):]
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                              "--show=Ir,D1mr,D1mw,DLmr,DLmw", out],
                             capture_output=True, text=True, check=True).stdout
    subjects = {}
    for line in ann.splitlines():
        # "???:instr_lookup_flat" without debug info, "path/instr.c:..." with.
        # With debug info a function is listed once per source file it has
        # code from; the part holding its entry point has the whole
        # inclusive cost, the others a share of it: keep the largest.
        m = re.search(r"\S*:instr_(lookup|fault)_([A-Za-z0-9]+)", line)
        if not m or "=>" in line:
            continue
        cols = re.sub(r"\([^)]*\)", " ", line[:m.start()]).split()
        if len(cols) < 5:
            continue
        ir, d1r, d1w, dlr, dlw = (0 if c == "." else int(c.replace(",", "")) for c in cols[:5])
        op, subj = m.group(1), m.group(2)
        if subjects.get(subj, {}).get(op, {}).get("Ir", 0) >= round(ir / ops, 2):
            continue
        subjects.setdefault(subj, {})[op] = {
            "Ir": round(ir / ops, 2),
            "D1miss": round((d1r + d1w) / ops, 4),
            "LLmiss": round((dlr + dlw) / ops, 4),
        }
    if not subjects:
        sys.exit("callgrind.py: no instr_* functions in the profile (stripped binary?)")
    return {"tool": "valgrind --tool=callgrind --cache-sim=yes", "caches": " ".join(CACHES),
            "shape": SHAPE, "ops": ops, "compiler": compiler,
            "note": "per operation, inclusive; hot: 4096 keys after a warm-up pass",
            "subjects": subjects}


def table(d):
    print(f"{'subject':<8} {'lookup Ir':>10} {'D1 miss':>8} {'LL miss':>8} "
          f"{'fault Ir':>10} {'D1 miss':>8} {'LL miss':>8}")
    for s, v in d["subjects"].items():
        lk, fa = v.get("lookup", {}), v.get("fault", {})
        print(f"{s:<8} {lk.get('Ir', 0):>10.1f} {lk.get('D1miss', 0):>8.3f} "
              f"{lk.get('LLmiss', 0):>8.3f} {fa.get('Ir', 0):>10.1f} "
              f"{fa.get('D1miss', 0):>8.3f} {fa.get('LLmiss', 0):>8.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "bench", "dpidx-instr"))
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        print("callgrind.py: valgrind missing: apt-get install valgrind")
        sys.exit(77 if a.check else 1)
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"callgrind.py: no {a.binary}: build it (ninja -C build-bench bench/dpidx-instr) "
                 "or pass --binary")
    d = measure(a.binary, a.ops)
    table(d)
    print("(hardware counters are not used: this VM has none; these are valgrind's "
          "simulated counts, stable for a given binary)")
    if a.update:
        with open(COMMITTED, "w") as f:
            json.dump(d, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {COMMITTED}; commit it with the change that explains it")
        return 0
    if not a.check:
        return 0
    if not os.path.exists(COMMITTED):
        print(f"callgrind.py: no committed figures ({COMMITTED}): run bench/callgrind.py --update")
        return 77
    ref = json.load(open(COMMITTED))
    if ref.get("compiler") != d["compiler"]:
        print(f"callgrind.py: figures were committed for '{ref.get('compiler')}', this build is "
              f"'{d['compiler']}': not comparable, skipped")
        return 77
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
    for b in bad:
        print("REGRESSION: " + b)
    if bad:
        print("If the increase is intended, run bench/callgrind.py --update and commit "
              "results/instructions.json with the reason in the commit message.")
        return 1
    print("perf-regression: every encoding within 10% of results/instructions.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
