/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/compat.h - the one place where userspace and the kernel differ.
 *
 * Every encoding header is written once, against the vocabulary below, and
 * builds unchanged in two worlds:
 *
 *   userspace (default)      liburcu (any flavor the caller included, the
 *                            default memb flavor otherwise), libnuma, libc,
 *                            pthreads, GCC/Clang __atomic builtins
 *   kernel (__KERNEL__)      kernel RCU, kvmalloc_node()/kvfree(), mutexes,
 *                            READ_ONCE()/smp_store_release(), struct page
 *
 * Vocabulary (the same in both worlds):
 *
 *   likely(), unlikely(), READ_ONCE(), WRITE_ONCE()
 *   dpidx_rcu_dereference(p)     reader: load an RCU-published pointer
 *   dpidx_rcu_assign_pointer(p,v) writer: publish an initialised object
 *   dpidx_load_consume(p)        reader: load a word that encodes a pointer
 *                                (address-dependency ordered)
 *   dpidx_store_release(p, v)    writer: publish such a word
 *   dpidx_load_acquire(p)        writer: read a word another writer
 *                                published with release, then its data
 *   dpidx_synchronize_rcu()      writer: wait for all pre-existing readers
 *   dpidx_read_lock/unlock()     reader section (tests, benchmarks, kernel)
 *   struct dpidx_lock            the writer-side lock (may sleep)
 *   dpidx_zalloc()/dpidx_free()  small zeroed metadata
 *   dpidx_vmemmap_alloc()/free() descriptor arrays and big tables, laid out
 *                                the way the kernel maps vmemmap
 *
 * Why the encodings do not use liburcu's rcu_dereference() directly: it is a
 * volatile load, which ThreadSanitizer cannot pair with the publishing store
 * and reports as a race.  The __atomic forms below compile to the same plain
 * MOV on x86-64 and arm64 (consume is promoted to acquire by GCC/Clang, which
 * is a plain load on x86 and LDAR on arm64) and are understood by TSan.
 */
#ifndef DPIDX_COMPAT_H
#define DPIDX_COMPAT_H

#ifdef __KERNEL__
/* ------------------------------------------------------------------------ */
/* Kernel                                                                   */
/* ------------------------------------------------------------------------ */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/compiler.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/numa.h>
#include <linux/page_ref.h>
#include <linux/log2.h>
#include <linux/prefetch.h>
#include <linux/swap.h>
#include <linux/swapops.h>	/* SWP_PFN_BITS: the paging mode in force */
#include <asm/barrier.h>

#define dpidx_static_assert(expr, msg)	static_assert(expr, msg)
#define dpidx_cacheline_aligned		____cacheline_aligned_in_smp
#define dpidx_cmpxchg_ptr(p, old, new)	(cmpxchg((p), (old), (new)) == (old))
#define dpidx_ffz(word)			ffz(word)
#define dpidx_ffs(word)			__ffs(word)
#define dpidx_prefetch(p)		prefetch(p)

#define dpidx_rcu_dereference(p)	rcu_dereference(p)
#define dpidx_rcu_dereference_protected(p) rcu_dereference_protected(p, 1)
#define dpidx_rcu_assign_pointer(p, v)	rcu_assign_pointer(p, v)
/* READ_ONCE() carries address dependencies on every arch (alpha included). */
#define dpidx_load_consume(p)		READ_ONCE(*(p))
/* Release: everything written before is visible to a reader of the word. */
#define dpidx_store_release(p, v)	smp_store_release(p, v)
#define dpidx_load_acquire(p)		smp_load_acquire(p)
/* A broken internal invariant: say so once, then the caller recovers. */
#define DPIDX_WARN_ON(cond)		WARN_ON_ONCE(cond)
#define dpidx_synchronize_rcu()		synchronize_rcu()
#define dpidx_read_lock()		rcu_read_lock()
#define dpidx_read_unlock()		rcu_read_unlock()

struct dpidx_lock {
	struct mutex mutex;
};

static inline void dpidx_lock_init(struct dpidx_lock *l)
{
	mutex_init(&l->mutex);
}

static inline void dpidx_lock_destroy(struct dpidx_lock *l)
{
	mutex_destroy(&l->mutex);
}

static inline void dpidx_lock(struct dpidx_lock *l)
{
	mutex_lock(&l->mutex);
}

static inline void dpidx_unlock(struct dpidx_lock *l)
{
	mutex_unlock(&l->mutex);
}

static inline bool dpidx_nid_valid(int nid)
{
	return nid == NUMA_NO_NODE || (nid >= 0 && nid < MAX_NUMNODES &&
				       node_online(nid));
}

/* DPIDX_DEBUG_POISON: freed descriptors get a pattern, as in userspace. */
#define DPIDX_POISON_BYTE	0x6b

static inline void dpidx_poison(void *p, size_t size)
{
#ifdef DPIDX_DEBUG_POISON
	if (p)
		memset(p, DPIDX_POISON_BYTE, size);
#endif
}

/* No fault injection of our own: the kernel has CONFIG_FAILSLAB. */
#define dpidx_alloc_should_fail()	false

static inline bool dpidx_numa_usable(void)
{
	return IS_ENABLED(CONFIG_NUMA);
}

/*
 * Small metadata, but the allocator bitmaps grow with the offset space (up
 * to megabytes), so kvzalloc: slab when it fits, vmalloc otherwise.
 */
static inline void *dpidx_zalloc(size_t size, int nid)
{
	return kvzalloc_node(size, GFP_KERNEL, nid);
}

static inline void dpidx_free(void *p)
{
	kvfree(p);
}

/*
 * In mm/ the descriptors of a device-private range are struct pages that
 * the kernel allocates for the range (v6 keeps them in pgmap->pages, out of
 * the memmap).  The out-of-tree modules allocate such arrays themselves: they
 * are driver-allocated descriptors, not memmap, and no other kernel code ever
 * sees them.  __GFP_NOWARN: a range too big to allocate is the caller's
 * -ENOMEM, not a kernel warning.
 */
static inline void *dpidx_vmemmap_alloc(size_t size, int nid)
{
	/*
	 * Encodings may pack descriptor addresses with their low 6 bits
	 * clear (chunktab.h, under flat and tag, does).  kmalloc aligns
	 * power-of-two sizes naturally; larger allocations are page-aligned.
	 */
	if (size && size < PAGE_SIZE)
		size = roundup_pow_of_two(size);
	return kvzalloc_node(size, GFP_KERNEL | __GFP_NOWARN, nid);
}

static inline void dpidx_vmemmap_free(void *p, size_t size)
{
	dpidx_poison(p, size);
	kvfree(p);
}

/* The descriptor is the kernel's own struct page. */
#define dpidx_page page

/*
 * The back-pointer from a descriptor to its range.  In 6.12's struct page
 * the ZONE_DEVICE view is { flags; pgmap; zone_device_data; mapping; index;
 * private; _mapcount; _refcount; memcg_data }: zone_device_data overlays
 * lru.prev, which a device-private page never uses, and it is left to the
 * page's owner.  The modules' descriptors belong to dpidx, so the range
 * pointer lives there.  In mm/, where drivers own zone_device_data and
 * page->pgmap points at the struct dev_pagemap that embeds the range, the
 * import kit defines these two before including dpidx (kernel/import/).
 */
#ifndef dpidx_page_range
#define dpidx_page_range(page)		((struct dpidx_pgmap *)READ_ONCE((page)->zone_device_data))
#define dpidx_page_set_range(page, r)	WRITE_ONCE((page)->zone_device_data, (void *)(r))
#endif
#define dpidx_page_get(page)		page_ref_inc(page)
#define dpidx_page_put(page)		page_ref_dec(page)
#define dpidx_page_refcount(page)	page_ref_count(page)

#else /* !__KERNEL__ */
/* ------------------------------------------------------------------------ */
/* Userspace                                                                */
/* ------------------------------------------------------------------------ */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/mman.h>
#include <numa.h>
#include "vmemmap.h"

/* Flavor-agnostic: use whichever liburcu flavor the caller included. */
#if !defined(_URCU_H) && !defined(_URCU_MEMB_H) && !defined(_URCU_QSBR_H) && \
	!defined(_URCU_BP_H) && !defined(_URCU_MB_H) && !defined(_URCU_SIGNAL_H)
#include <urcu.h>
#endif

#define dpidx_static_assert(expr, msg)	_Static_assert(expr, msg)
#define dpidx_cacheline_aligned		__attribute__((aligned(64)))
/* Full barrier on success, like the kernel's cmpxchg(). */
#define dpidx_cmpxchg_ptr(p, old, new)	({				\
	__typeof__(*(p)) __old = (old);					\
	__atomic_compare_exchange_n((p), &__old, (new), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); })
/* First zero / first set bit of a word; undefined for ~0UL / 0 as in the kernel. */
/* A read hint; never faults, whatever the address. */
#define dpidx_prefetch(p)		__builtin_prefetch(p)
#define dpidx_ffz(word)			((unsigned long)__builtin_ctzl(~(word)))
#define dpidx_ffs(word)			((unsigned long)__builtin_ctzl(word))

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#ifndef READ_ONCE
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#endif
#ifndef __rcu
#define __rcu
#endif

/*
 * Reader side: consume ordering, so every load through the returned pointer
 * observes the initialisation the writer did before publishing it.
 */
#define dpidx_rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_CONSUME)
/* Writer side, under the writer lock: no concurrent publisher exists. */
#define dpidx_rcu_dereference_protected(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
/*
 * Release: the object's initialisation happens-before any reader that loads
 * the new pointer.  Publishing NULL needs no ordering but costs nothing extra
 * on x86-64, so one form serves both.
 */
#define dpidx_rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define dpidx_load_consume(p)		__atomic_load_n((p), __ATOMIC_CONSUME)
#define dpidx_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define dpidx_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* A broken internal invariant: say so on stderr, then the caller recovers. */
#define DPIDX_WARN_ON(cond) ({						\
	bool __dpidx_warn = !!(cond);					\
	if (unlikely(__dpidx_warn))					\
		fprintf(stderr, "dpidx: WARNING: %s at %s:%d\n", #cond,	\
			__FILE__, __LINE__);				\
	__dpidx_warn;							\
})

/*
 * ThreadSanitizer does not understand liburcu's grace periods (membarrier,
 * futexes, uninstrumented atomics in a prebuilt library).  Make them visible:
 * every read-side unlock is a release on one token, and the end of every
 * grace period an acquire on it.  That is exactly RCU's guarantee (all reads
 * of a section that started before the grace period happen-before whatever
 * the updater does after it), so TSan reports stay real: a free without a
 * grace period still has no acquire and is still reported.
 */
#if defined(__SANITIZE_THREAD__)
#define DPIDX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DPIDX_TSAN 1
#endif
#endif

#ifdef DPIDX_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
__attribute__((weak)) char dpidx_tsan_grace_period;
#define dpidx_tsan_reader_done()	__tsan_release(&dpidx_tsan_grace_period)
#define dpidx_tsan_grace_period_done()	__tsan_acquire(&dpidx_tsan_grace_period)
#else
#define dpidx_tsan_reader_done()	do { } while (0)
#define dpidx_tsan_grace_period_done()	do { } while (0)
#endif

static inline void dpidx_read_lock(void)
{
	rcu_read_lock();
}

static inline void dpidx_read_unlock(void)
{
	dpidx_tsan_reader_done();
	rcu_read_unlock();
}

/*
 * DPIDX_GP_HOOK (benchmarks only: bench/sys_bench.c defines it and the two
 * functions): called around every grace-period wait, so a benchmark can
 * split an update's cost into the part that unpublishes and the part that
 * waits for readers.  Off by default: no cost, no symbol.
 */
#ifdef DPIDX_GP_HOOK
void dpidx_gp_hook_begin(void);
void dpidx_gp_hook_end(void);
#else
#define dpidx_gp_hook_begin()	do { } while (0)
#define dpidx_gp_hook_end()	do { } while (0)
#endif

/* Must not be called inside a read-side section. */
static inline void dpidx_synchronize_rcu(void)
{
	dpidx_gp_hook_begin();
	synchronize_rcu();
	dpidx_gp_hook_end();
	dpidx_tsan_grace_period_done();
}

struct dpidx_lock {
	pthread_mutex_t mutex;
};

static inline void dpidx_lock_init(struct dpidx_lock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
}

static inline void dpidx_lock_destroy(struct dpidx_lock *l)
{
	pthread_mutex_destroy(&l->mutex);
}

static inline void dpidx_lock(struct dpidx_lock *l)
{
	pthread_mutex_lock(&l->mutex);
}

static inline void dpidx_unlock(struct dpidx_lock *l)
{
	pthread_mutex_unlock(&l->mutex);
}

/*
 * Debug hooks, compiled in only when the including program defines
 * DPIDX_DEBUG_HOOKS and provides them (the allocation-failure tests do):
 *   dpidx_debug_alloc_fail()  true makes this allocation fail with NULL
 */
#ifdef DPIDX_DEBUG_HOOKS
bool dpidx_debug_alloc_fail(void);
#define dpidx_alloc_should_fail()	dpidx_debug_alloc_fail()
#else
#define dpidx_alloc_should_fail()	false
#endif

/*
 * DPIDX_DEBUG_POISON: freed descriptors are overwritten with a pattern whose
 * back-pointer is not a valid pointer, so a reader that touches a descriptor
 * after its grace period sees garbage instead of plausible data.
 */
#define DPIDX_POISON_BYTE	0x6b

static inline void dpidx_poison(void *p, size_t size)
{
#ifdef DPIDX_DEBUG_POISON
	memset(p, DPIDX_POISON_BYTE, size);
#else
	(void)p;
	(void)size;
#endif
}

/* -1 (anywhere) or a node that exists; node 0 always exists. */
static inline bool dpidx_nid_valid(int nid)
{
	if (nid == -1 || nid == 0)
		return true;
	return nid > 0 && dpidx_numa_usable() && nid <= numa_max_node();
}

static inline void *dpidx_zalloc(size_t size, int nid)
{
	(void)nid;	/* metadata is small and hot on every node */
	if (dpidx_alloc_should_fail())
		return NULL;
	return calloc(1, size);
}

static inline void dpidx_free(void *p)
{
	free(p);
}

/*
 * Descriptor arrays and large tables, placed the way the kernel maps
 * vmemmap (2 MiB-aligned, transparent huge pages, on @nid, populated; see
 * vmemmap.h).  Returns zeroed memory or NULL.
 */
static inline void *dpidx_vmemmap_alloc(size_t size, int nid)
{
	if (dpidx_alloc_should_fail() || size == 0)
		return NULL;
	return dpidx_vmemmap_alloc_bytes(dpidx_vmemmap_bytes(size), nid);
}

static inline void dpidx_vmemmap_free(void *p, size_t size)
{
	if (!p)
		return;
	dpidx_poison(p, dpidx_vmemmap_bytes(size));
	dpidx_vmemmap_free_bytes(p, dpidx_vmemmap_bytes(size));
}

#define dpidx_page_range(page)		READ_ONCE((page)->pgmap)
#define dpidx_page_set_range(page, r)	WRITE_ONCE((page)->pgmap, (r))
#define dpidx_page_get(page)		__atomic_add_fetch(&(page)->refcount, 1, __ATOMIC_RELAXED)
#define dpidx_page_put(page)		__atomic_sub_fetch(&(page)->refcount, 1, __ATOMIC_RELEASE)
#define dpidx_page_refcount(page)	__atomic_load_n(&(page)->refcount, __ATOMIC_RELAXED)

#endif /* __KERNEL__ */

#define DPIDX_DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#endif /* DPIDX_COMPAT_H */
