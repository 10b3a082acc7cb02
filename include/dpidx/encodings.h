/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/encodings.h - the one list of encodings.
 *
 * Every consumer reads this list and nothing else: the umbrella dpidx.h
 * (through the includes below), the shared test suites (tests/enc.h and,
 * by parsing the X(...) lines, tests/meson.build), the benchmarks
 * (bench/subjects.h, dpidx_bench.c, instr.c) and the kernel modules
 * (kernel/kenc_list.h).  Adding an encoding E is its header E.h, which
 * provides the API.md functions, DPIDX_<UE>_SWAP_TYPES, DPIDX_<UE>_MAX_PAGES,
 * DPIDX_<UE>_MAX_RANGES, dpidx_E_check() and dpidx_E_index_bytes(), plus
 * its include and its X() line here.
 *
 * X(E, UE): E is the encoding's name (dpidx_E_*, the suites' argument), UE
 * its upper-case macro prefix (DPIDX_UE_*, DPIDX_ENCODING_UE).  Keep one
 * X() per line, each line starting with a tab: tests/meson.build reads the
 * names from those lines.
 */
#ifndef DPIDX_ENCODINGS_H
#define DPIDX_ENCODINGS_H

#include "flat.h"
#include "maple.h"
#include "tag.h"
#include "direct.h"

#define DPIDX_FOR_EACH_ENCODING(X)						\
	X(flat, FLAT)								\
	X(maple, MAPLE)								\
	X(tag, TAG)								\
	X(direct, DIRECT)

#endif /* DPIDX_ENCODINGS_H */
