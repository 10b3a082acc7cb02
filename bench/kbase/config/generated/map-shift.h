/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Included by tools/testing/shared/linux/xarray.h before the kernel's
 * include/linux/xarray.h.  The harness generates "#define XA_CHUNK_SHIFT 3"
 * here (8-slot nodes, to stress the tree in tests).  We define nothing, so
 * the kernel's own default applies: XA_CHUNK_SHIFT =
 * (IS_ENABLED(CONFIG_BASE_SMALL) ? 4 : 6) = 6, 64 slots per node, as in
 * every distribution kernel.
 */
