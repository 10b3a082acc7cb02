/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel configuration the baselines are compiled under: our own
 * stand-in for the kernel's include/generated/autoconf.h, replacing the
 * one the radix-tree harness generates (tools/testing/shared/autoconf.h +
 * generated/bit-length.h).  It mirrors Debian's linux-image-6.12 amd64
 * config (/usr/src/linux-headers-6.12.*-amd64/.config) for every option
 * lib/maple_tree.c, lib/xarray.c and lib/radix-tree.c look at:
 *
 *   CONFIG_64BIT=y             forced on (x86-64): 64-bit maple node layout.
 *   CONFIG_XARRAY_MULTI=y      forced on: multi-index entries, so
 *                              xa_store_range() stores one order-9 entry per
 *                              aligned 512-page range, as the kernel does.
 *   CONFIG_BASE_SMALL          off: XA_CHUNK_SHIFT is the kernel's 6 (64
 *                              slots per node), not the harness's 3 (see
 *                              map-shift.h).
 *   CONFIG_DEBUG_MAPLE_TREE    off (the harness's maple-shared.h turns it
 *                              on): no node validation, no tests counters.
 *   XA_DEBUG                   off (the harness's xarray-shared.h turns it
 *                              on): XA_BUG_ON/XA_NODE_BUG_ON compile away.
 *   CONFIG_BUG=y               kept: BUG_ON()/WARN_ON() stay live checks as
 *                              in a distribution kernel (kbase builds with
 *                              -UNDEBUG so tools/include keeps them).
 */
#define CONFIG_64BIT 1
#define CONFIG_XARRAY_MULTI 1
