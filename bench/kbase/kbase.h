/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kbase.h - the kernel's own maple tree and xarray as benchmark baselines
 *
 * lib/maple_tree.c and lib/xarray.c of Debian's linux-source-6.12, compiled
 * in userspace at build time on top of the kernel's own userspace harness
 * (tools/testing/shared: kmem_cache on malloc, spinlocks on pthread
 * mutexes, RCU on liburcu's default "memb" flavor), with the kernel's debug
 * options off and the project's optimization flags.  Plain C: no kernel
 * header leaks out of this file, and the static library exports only the
 * kb_* symbols below (see localize.sh).
 *
 * What the v6 series does with them, and so what the benchmarks measure:
 *
 *   mtree_store_range(first, last, pgmap)   one range per pgmap
 *   mtree_load(offset)                      then pgmap->pages[offset - base]
 *
 * The maple tree is in RCU mode (MT_FLAGS_USE_RCU), as a tree read from
 * the fault path under rcu_read_lock() must be.  The xarray is always
 * RCU-safe for readers; xa_store_range() uses multi-index entries
 * (CONFIG_XARRAY_MULTI=y), so a naturally aligned 512-page range is one
 * order-9 entry and other ranges are split into aligned pieces.
 *
 * Threads: every thread that calls into this library must be a registered
 * liburcu reader of the default flavor (rcu_register_thread() from
 * <urcu.h>, which is urcu-memb); mtree_load() and xa_load() take
 * rcu_read_lock() themselves (nesting inside the caller's is fine).  Writers
 * serialize on the structure's own lock (a pthread mutex standing in for
 * the kernel's spinlock).  Freed nodes go through call_rcu().
 *
 * Erase: kb_*_erase(index) removes the entry that covers @index: for the
 * maple tree the whole stored range, for the xarray the aligned
 * multi-index piece containing @index (all of a 512-aligned 512-page
 * range).  To erase an arbitrary range, store NULL over it with
 * kb_*_store_range().
 */
#ifndef DPIDX_BENCH_KBASE_H
#define DPIDX_BENCH_KBASE_H

#ifdef __cplusplus
extern "C" {
#endif

struct kb_mtree;
struct kb_xa;

/* Return: a new empty tree, or NULL when out of memory. */
struct kb_mtree *kb_mtree_create(void);
/* A tree with MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU, as v6's offset tree. */
struct kb_mtree *kb_mtree_create_alloc(void);
/*
 * mtree_alloc_range() on such a tree: the lowest free @size indices in
 * [@min, @max] get @entry; the first one is returned in @first.
 * Return: 0, -EBUSY (no room), -EINVAL or -ENOMEM.
 */
int kb_mtree_alloc_range(struct kb_mtree *mt, unsigned long *first, void *entry,
			 unsigned long size, unsigned long min, unsigned long max);
/* mtree_store_range(): Return: 0, -EINVAL or -ENOMEM. */
int kb_mtree_store_range(struct kb_mtree *mt, unsigned long first,
			 unsigned long last, void *entry);
/* mtree_load(): Return: the entry covering @index, or NULL. */
void *kb_mtree_load(struct kb_mtree *mt, unsigned long index);
/* mtree_erase(): Return: 0, or -ENOENT if nothing covered @index. */
int kb_mtree_erase(struct kb_mtree *mt, unsigned long index);
/*
 * mt_clear_in_rcu(), mtree_destroy(), free, as exit_mmap() does: nodes are
 * freed at once, so no reader may still use @mt.
 */
void kb_mtree_destroy(struct kb_mtree *mt);

/*
 * v6's own tree, as the series declares it: MT_FLAGS_ALLOC_RANGE, no RCU
 * flag (@rcu nonzero adds MT_FLAGS_USE_RCU: "v6 + RCU"), byte-address keys
 * (offset << PAGE_SHIFT), offsets handed out by mtree_alloc_range().
 */
struct kb_v6;
/* Return: a new empty tree, or NULL when out of memory. */
struct kb_v6 *kb_v6_create(int rcu);
/* mtree_alloc_range() of @nr_pages pages: Return: 0 and *@offset, or -errno. */
int kb_v6_alloc(struct kb_v6 *t, unsigned long nr_pages, void *entry,
		unsigned long *offset);
/* mtree_load(offset << PAGE_SHIFT): Return: the entry, or NULL. */
void *kb_v6_load(struct kb_v6 *t, unsigned long offset);
/* mtree_erase(offset << PAGE_SHIFT): Return: 0, or -ENOENT. */
int kb_v6_erase(struct kb_v6 *t, unsigned long offset);
/* As kb_mtree_destroy(): no reader may still use @t. */
void kb_v6_destroy(struct kb_v6 *t);

/* Return: a new empty xarray, or NULL when out of memory. */
struct kb_xa *kb_xa_create(void);
/* xa_store_range(): Return: 0, -EINVAL or -ENOMEM. */
int kb_xa_store_range(struct kb_xa *xa, unsigned long first,
		      unsigned long last, void *entry);
/* xa_load(): Return: the entry at @index, or NULL. */
void *kb_xa_load(struct kb_xa *xa, unsigned long index);
/* xa_erase(): Return: 0, or -ENOENT if nothing was at @index. */
int kb_xa_erase(struct kb_xa *xa, unsigned long index);
/* xa_destroy() then free; nodes are freed after a grace period. */
void kb_xa_destroy(struct kb_xa *xa);

/*
 * Bytes held by live nodes of all maple trees / all xarrays in the process
 * (the harness's kmem_cache accounting: nodes x node size).  Frees are
 * counted when their RCU callback runs, so call rcu_barrier() first for an
 * exact figure.  For memory-footprint columns.
 */
unsigned long kb_mtree_node_bytes(void);
unsigned long kb_xa_node_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* DPIDX_BENCH_KBASE_H */
