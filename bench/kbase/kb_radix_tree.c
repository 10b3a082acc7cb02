// SPDX-License-Identifier: GPL-2.0-only
/*
 * kb_radix_tree.c - the kernel's lib/radix-tree.c, unpacked at build time.
 * The xarray needs it for radix_tree_node_cachep and radix_tree_init(),
 * which create the kmem_cache its nodes come from.
 */
#include "kbase_unpacked.h"	/* generated: orders us after the unpack */
/*
 * Our kernel config first, as Kbuild does with -include linux/kconfig.h:
 * the kernel headers test CONFIG_64BIT before anything of the harness
 * would have pulled it in, and the maple tree then silently takes its
 * 32-bit layout (63-slot, 512-byte nodes) on a 64-bit machine.
 */
#include <linux/kconfig.h>

#include "lib/radix-tree.c"
