// SPDX-License-Identifier: GPL-2.0-only
/*
 * kb_xa.c - the kernel's lib/xarray.c behind the kb_xa_* API.
 *
 * This translation unit is the kernel's xarray.c itself (unpacked from
 * linux-source-6.12 into the build directory, never copied into the repo),
 * preceded by the kernel harness's shared.h and followed by thin wrappers.
 * It deliberately does NOT use the harness's xarray-shared.h, which defines
 * XA_DEBUG; and the harness's XA_CHUNK_SHIFT of 3 is replaced by the
 * kernel's 6 (config/generated/map-shift.h).  The xarray's nodes come from
 * radix_tree_node_cachep, created by radix_tree_init() in lib/radix-tree.c
 * (kb_radix_tree.c).
 */
#include "kbase_unpacked.h"	/* generated: orders us after the unpack */
/*
 * Our kernel config first, as Kbuild does with -include linux/kconfig.h:
 * the kernel headers test CONFIG_64BIT before anything of the harness
 * would have pulled it in, and the maple tree then silently takes its
 * 32-bit layout (63-slot, 512-byte nodes) on a 64-bit machine.
 */
#include <linux/kconfig.h>
#include "shared.h"
#include <errno.h>
#include <pthread.h>
#include <limits.h>

#ifdef XA_DEBUG
#error "kbase: the xarray baseline must be built without XA_DEBUG"
#endif

#include "lib/xarray.c"

#include "kbase.h"

/* The node layout of a distribution kernel: 64 slots, 576 bytes. */
_Static_assert(XA_CHUNK_SHIFT == 6 && sizeof(struct xa_node) == 576,
	       "kbase: xarray built with the wrong node layout");
_Static_assert(IS_ENABLED(CONFIG_XARRAY_MULTI),
	       "kbase: xa_store_range() needs multi-index entries");

/* In the harness's linux.c, not in any header. */
void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val);
unsigned long kmem_cache_get_alloc(struct kmem_cache *cachep);

struct kb_xa {
	struct xarray xa;
};

static pthread_once_t kb_xa_once = PTHREAD_ONCE_INIT;

/* As for the maple tree: let GFP_NOWAIT node allocations succeed. */
static void kb_xa_init_once(void)
{
	radix_tree_init();
	kmem_cache_set_non_kernel(radix_tree_node_cachep, UINT_MAX);
}

struct kb_xa *kb_xa_create(void)
{
	struct kb_xa *t;

	pthread_once(&kb_xa_once, kb_xa_init_once);
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	xa_init(&t->xa);
	return t;
}

int kb_xa_store_range(struct kb_xa *t, unsigned long first,
		      unsigned long last, void *entry)
{
	return xa_err(xa_store_range(&t->xa, first, last, entry, GFP_KERNEL));
}

void *kb_xa_load(struct kb_xa *t, unsigned long index)
{
	return xa_load(&t->xa, index);
}

int kb_xa_erase(struct kb_xa *t, unsigned long index)
{
	return xa_erase(&t->xa, index) ? 0 : -ENOENT;
}

void kb_xa_destroy(struct kb_xa *t)
{
	if (!t)
		return;
	xa_destroy(&t->xa);
	free(t);
}

unsigned long kb_xa_node_bytes(void)
{
	pthread_once(&kb_xa_once, kb_xa_init_once);
	return kmem_cache_get_alloc(radix_tree_node_cachep);
}
