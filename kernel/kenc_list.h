/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The encodings the kernel modules test and measure, one line each: E is
 * the encoding's name, UE its upper-case macro prefix (DPIDX_<UE>_...).
 *
 * Included several times, with DPIDX_KENC(E, UE) defined differently each
 * time (kenc.h, bench.c), so there is deliberately no include guard.
 */
DPIDX_KENC(flat, FLAT)
DPIDX_KENC(maple, MAPLE)
DPIDX_KENC(tag, TAG)
