/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The encodings the kernel modules test and measure: exactly the ones of
 * include/dpidx/encodings.h (the one list), as DPIDX_KENC(E, UE) with E
 * the encoding's name and UE its upper-case macro prefix (DPIDX_<UE>_...).
 *
 * Included several times, with DPIDX_KENC(E, UE) defined differently each
 * time (kenc.h, bench.c), so there is deliberately no include guard.
 */
#include <dpidx/encodings.h>

DPIDX_FOR_EACH_ENCODING(DPIDX_KENC)
