// SPDX-License-Identifier: GPL-2.0-only
/*
 * kb_harness.c - the kernel's userspace harness, unpacked at build time:
 * kmem_cache on malloc/posix_memalign (tools/testing/shared/linux.c),
 * kmalloc/kfree (tools/lib/slab.c) and the bitmap helpers the xarray's
 * marks use (tools/lib/bitmap.c, find_bit.c, and hweight.c and
 * vsprintf.c, which bitmap.c calls): the harness's own LIBS list.
 */
#include "kbase_unpacked.h"	/* generated: orders us after the unpack */
/*
 * Our kernel config first, as Kbuild does with -include linux/kconfig.h:
 * the kernel headers test CONFIG_64BIT before anything of the harness
 * would have pulled it in, and the maple tree then silently takes its
 * 32-bit layout (63-slot, 512-byte nodes) on a 64-bit machine.
 */
#include <linux/kconfig.h>

#include "tools/testing/shared/linux.c"
#include "tools/lib/slab.c"
#include "tools/lib/bitmap.c"
#include "tools/lib/find_bit.c"
#include "tools/lib/hweight.c"
#include "tools/lib/vsprintf.c"
