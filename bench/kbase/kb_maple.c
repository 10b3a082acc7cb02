// SPDX-License-Identifier: GPL-2.0-only
/*
 * kb_maple.c - the kernel's lib/maple_tree.c behind the kb_mtree_* API.
 *
 * This translation unit is the kernel's maple_tree.c itself (unpacked from
 * linux-source-6.12 into the build directory, never copied into the repo),
 * preceded by the kernel harness's shared.h - which maps the kernel API to
 * userspace - and followed by thin wrappers.  It deliberately does NOT use
 * the harness's maple-shared.h: that header defines CONFIG_DEBUG_MAPLE_TREE
 * and CONFIG_MAPLE_SEARCH for the test suite.  See
 * config/generated/autoconf.h for the full list of forced options.
 *
 * Each wrapper is one call, so a benchmark's kb_mtree_load() costs what a
 * kernel caller's mtree_load() costs: one out-of-line call into
 * maple_tree.c, which takes rcu_read_lock() and walks the tree.
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
#include <linux/init.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>

#if defined(CONFIG_DEBUG_MAPLE_TREE) || defined(CONFIG_MAPLE_SEARCH)
#error "kbase: the maple tree baseline must be built without debug options"
#endif

#include "lib/maple_tree.c"

/* The 64-bit node layout of a distribution kernel (see above). */
_Static_assert(MAPLE_RANGE64_SLOTS == 16 && sizeof(struct maple_node) == 256,
	       "kbase: maple tree built with the wrong node layout");

#include "kbase.h"

/* In the harness's linux.c, not in any header. */
void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val);
unsigned long kmem_cache_get_alloc(struct kmem_cache *cachep);

struct kb_mtree {
	struct maple_tree mt;
};

static pthread_once_t kb_mtree_once = PTHREAD_ONCE_INIT;

/*
 * The harness's kmem_cache fails every allocation without
 * __GFP_DIRECT_RECLAIM unless told otherwise, to exercise the kernel's
 * retry paths.  In a real kernel the GFP_NOWAIT preallocation under the
 * tree lock nearly always succeeds; let it succeed here too, so stores take
 * the path they take in the kernel instead of a drop-lock-and-retry on
 * every node allocation.
 */
static void kb_mtree_init_once(void)
{
	maple_tree_init();
	kmem_cache_set_non_kernel(maple_node_cache, UINT_MAX);
}

struct kb_mtree *kb_mtree_create(void)
{
	struct kb_mtree *t;

	pthread_once(&kb_mtree_once, kb_mtree_init_once);
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	/* RCU mode: readers walk the tree without the tree lock. */
	mt_init_flags(&t->mt, MT_FLAGS_USE_RCU);
	return t;
}

/* v6's tree: it hands out the ranges itself (MT_FLAGS_ALLOC_RANGE), in RCU mode. */
struct kb_mtree *kb_mtree_create_alloc(void)
{
	struct kb_mtree *t;

	pthread_once(&kb_mtree_once, kb_mtree_init_once);
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	mt_init_flags(&t->mt, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU);
	return t;
}

int kb_mtree_alloc_range(struct kb_mtree *t, unsigned long *first, void *entry,
			 unsigned long size, unsigned long min, unsigned long max)
{
	return mtree_alloc_range(&t->mt, first, entry, size, min, max, GFP_KERNEL);
}

int kb_mtree_store_range(struct kb_mtree *t, unsigned long first,
			 unsigned long last, void *entry)
{
	return mtree_store_range(&t->mt, first, last, entry, GFP_KERNEL);
}

void *kb_mtree_load(struct kb_mtree *t, unsigned long index)
{
	return mtree_load(&t->mt, index);
}

int kb_mtree_erase(struct kb_mtree *t, unsigned long index)
{
	return mtree_erase(&t->mt, index) ? 0 : -ENOENT;
}

/*
 * Teardown the way the kernel's exit_mmap() tears down an RCU-mode tree:
 * leave RCU mode first (mt_clear_in_rcu()), then destroy, which frees the
 * nodes at once.  So the caller must guarantee that no reader can still be
 * walking this tree.  The RCU-mode destroy path (mt_free_walk() from an RCU
 * callback) is not used: in linux-source-6.12 it walks into the metadata
 * that sits in the last slot of a non-full internal node and crashes on a
 * height-4 tree (49,632 ranges of this test's layout reproduce it).
 */
void kb_mtree_destroy(struct kb_mtree *t)
{
	if (!t)
		return;
	mt_clear_in_rcu(&t->mt);
	mtree_destroy(&t->mt);
	free(t);
}

unsigned long kb_mtree_node_bytes(void)
{
	pthread_once(&kb_mtree_once, kb_mtree_init_once);
	return kmem_cache_get_alloc(maple_node_cache);
}

/*
 * v6 as v6 is (mm/memremap.c of the series): MTREE_INIT(tree,
 * MT_FLAGS_ALLOC_RANGE), keys are byte addresses (offset << PAGE_SHIFT),
 * each range's offsets come from mtree_alloc_range(), a lookup is
 * mtree_load(offset << PAGE_SHIFT).  @rcu adds MT_FLAGS_USE_RCU: what a
 * lock-free v6 needs (without it, nodes are freed at once under readers).
 */
struct kb_v6 {
	struct maple_tree mt;
};

#define KB_V6_PAGE_SHIFT	12
#define KB_V6_MAX_OFFSETS	(1UL << 34)	/* what a v6 swap entry carries */

struct kb_v6 *kb_v6_create(int rcu)
{
	struct kb_v6 *t;

	pthread_once(&kb_mtree_once, kb_mtree_init_once);
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	mt_init_flags(&t->mt, MT_FLAGS_ALLOC_RANGE | (rcu ? MT_FLAGS_USE_RCU : 0));
	return t;
}

int kb_v6_alloc(struct kb_v6 *t, unsigned long nr_pages, void *entry,
		unsigned long *offset)
{
	unsigned long start = 0;
	int err;

	err = mtree_alloc_range(&t->mt, &start, entry, nr_pages << KB_V6_PAGE_SHIFT, 0,
				(KB_V6_MAX_OFFSETS << KB_V6_PAGE_SHIFT) - 1, GFP_KERNEL);
	if (!err)
		*offset = start >> KB_V6_PAGE_SHIFT;
	return err;
}

void *kb_v6_load(struct kb_v6 *t, unsigned long offset)
{
	return mtree_load(&t->mt, offset << KB_V6_PAGE_SHIFT);
}

int kb_v6_erase(struct kb_v6 *t, unsigned long offset)
{
	return mtree_erase(&t->mt, offset << KB_V6_PAGE_SHIFT) ? 0 : -ENOENT;
}

void kb_v6_destroy(struct kb_v6 *t)
{
	if (!t)
		return;
	if (mt_in_rcu(&t->mt))
		mt_clear_in_rcu(&t->mt);
	mtree_destroy(&t->mt);
	free(t);
}
