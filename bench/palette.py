# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""bench/palette.py - one fixed colour per subject, for every plot.

report.py and sys_report.py both take their colours from here, so flat is
the same colour in the lookup plots and in the system plots.  A subject
added later (an encoding joining tests/enc.h) gets a stable colour of its
own from the spare list, by name, until it is given one below.
"""
import zlib

FIXED = {
    "pfn": "#000000",      # the physical limit
    "flat": "#1f77b4",
    "maple": "#2ca02c",
    "tag": "#d62728",
    "direct": "#9467bd",
    "mtree": "#ff7f0e",    # the kernel's maple tree (dpidx-sys)
    "v6": "#ff7f0e",       # v6: the kernel's maple tree as the series declares it
    "v6rcu": "#e377c2",    # v6 + RCU
    "xa": "#8c564b",
    "lfht": "#7f7f7f",
}
SPARE = ["#17becf", "#bcbd22", "#393b79", "#637939", "#843c39"]
BASELINES = {"pfn", "mtree", "v6", "v6rcu", "xa", "lfht"}


def color(subject):
    """The colour of @subject, the same in every plot and every run."""
    if subject in FIXED:
        return FIXED[subject]
    return SPARE[zlib.crc32(subject.encode()) % len(SPARE)]


def style(subject):
    """Line style: baselines dashed, encodings solid."""
    return "--" if subject in BASELINES else "-"
