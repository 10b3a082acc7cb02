/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/vmemmap.h - userspace model of the kernel's vmemmap, for descriptor
 * arrays.  Part of the compat layer: included by compat.h in userspace only.
 *
 * In the kernel, struct pages live in vmemmap, mapped with 2 MiB pages where
 * possible: a descriptor read costs a cache miss but rarely a TLB miss, and
 * the 32 KiB of descriptors of a 2 MiB device range sit next to the others.
 * A heap allocation reproduces neither when THP is in "madvise" mode (the
 * Debian default): small arrays would land on 4 KiB pages and every
 * fault-path benchmark would measure TLB misses the kernel does not have.
 *
 * So:
 *   > 512 KiB  its own 2 MiB-aligned mapping, MADV_HUGEPAGE, bound to the
 *              node, populated; munmap()ed on free.
 *   <= 512 KiB carved from 2 MiB THP blocks (one size class per block,
 *              powers of two from 64 B), per NUMA node; freed arrays go back
 *              to their class's free list, blocks are never returned.
 *
 * The kernel's kvzalloc() falls back to vmalloc (4 KiB pages) for big
 * arrays.  A program that wants to measure that sets dpidx_vmm.small_pages
 * before its first allocation (bench/sys_bench.c --desc-backing=4k): the
 * > 512 KiB mappings then get MADV_NOHUGEPAGE instead of MADV_HUGEPAGE.
 * The default (false) is the vmemmap model above.
 *
 * Every allocation is zeroed and written (populated, not the zero page).
 * dpidx_vmemmap_outstanding() counts the bytes handed out and not freed, so
 * tests can check that destroy() frees every descriptor (LeakSanitizer and
 * valgrind cannot see into the arena).  Under ASan, free arrays are
 * poisoned so a use after free is still reported.
 *
 * Writer-side only (map/unmap/destroy); one mutex.
 */
#ifndef DPIDX_VMEMMAP_H
#define DPIDX_VMEMMAP_H

#if defined(__SANITIZE_ADDRESS__)
#define DPIDX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DPIDX_ASAN 1
#endif
#endif
#ifdef DPIDX_ASAN
#include <sanitizer/asan_interface.h>
#define dpidx_asan_poison(p, n)		ASAN_POISON_MEMORY_REGION(p, n)
#define dpidx_asan_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define dpidx_asan_poison(p, n)		((void)(p), (void)(n))
#define dpidx_asan_unpoison(p, n)	((void)(p), (void)(n))
#endif

#define DPIDX_HUGE_SIZE		(2UL << 20)
#define DPIDX_CACHELINE		64UL
#define DPIDX_VMM_MIN_SHIFT	6		/* 64 B */
#define DPIDX_VMM_MAX_SHIFT	19		/* 512 KiB: 4 per block at least */
#define DPIDX_VMM_CLASSES	(DPIDX_VMM_MAX_SHIFT - DPIDX_VMM_MIN_SHIFT + 1)
#define DPIDX_VMM_NODES		64		/* node -1 and 0..62 */

struct dpidx_vmm_class {
	void *free;			/* freed arrays, linked through word 0 */
	char *next, *end;		/* the unused tail of the current block */
};

struct dpidx_vmm {
	pthread_mutex_t lock;
	unsigned long outstanding;	/* bytes handed out, not yet freed */
	bool small_pages;		/* big mappings on 4 KiB pages (see above) */
	struct dpidx_vmm_class cls[DPIDX_VMM_NODES][DPIDX_VMM_CLASSES];
};

/* One arena per process, whichever translation units include this. */
__attribute__((weak)) struct dpidx_vmm dpidx_vmm = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static inline bool dpidx_numa_usable(void)
{
	return numa_available() >= 0;
}

/*
 * 2 MiB-aligned anonymous mapping: over-map by 2 MiB and trim both ends.
 * @big: one array of its own (kvzalloc's vmalloc case), not an arena block.
 */
static inline void *dpidx_huge_mmap(size_t bytes, int nid, bool big)
{
	size_t span = bytes + DPIDX_HUGE_SIZE;
	uintptr_t raw, start;
	void *p;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)p;
	start = (raw + DPIDX_HUGE_SIZE - 1) & ~(DPIDX_HUGE_SIZE - 1);
	if (start > raw)
		munmap(p, start - raw);
	if (raw + span > start + bytes)
		munmap((void *)(start + bytes), raw + span - start - bytes);
	p = (void *)start;
	/* Advisory: THP may be off.  Only the big mappings follow small_pages. */
	(void)madvise(p, bytes, big && dpidx_vmm.small_pages ?
		      MADV_NOHUGEPAGE : MADV_HUGEPAGE);
	if (nid >= 0 && dpidx_numa_usable())
		numa_tonode_memory(p, bytes, nid);	/* before the first touch */
	return p;
}

static inline unsigned int dpidx_vmm_class_of(size_t size)
{
	unsigned int shift = DPIDX_VMM_MIN_SHIFT;

	while ((1UL << shift) < size)
		shift++;
	return shift - DPIDX_VMM_MIN_SHIFT;
}

static inline size_t dpidx_vmemmap_bytes(size_t size)
{
	if (size > (1UL << DPIDX_VMM_MAX_SHIFT))
		return (size + DPIDX_HUGE_SIZE - 1) & ~(DPIDX_HUGE_SIZE - 1);
	return 1UL << (dpidx_vmm_class_of(size) + DPIDX_VMM_MIN_SHIFT);
}

static inline unsigned int dpidx_vmm_node(int nid)
{
	return nid >= 0 && nid < DPIDX_VMM_NODES - 1 ? (unsigned int)nid + 1 : 0;
}

/* Under dpidx_vmm.lock. */
static inline void *dpidx_vmm_carve(struct dpidx_vmm_class *c, size_t bytes, int nid)
{
	void *p = c->free;

	if (p) {
		dpidx_asan_unpoison(p, bytes);
		c->free = *(void **)p;
		return p;
	}
	if (c->next == c->end) {
		c->next = (char *)dpidx_huge_mmap(DPIDX_HUGE_SIZE, nid, false);
		if (!c->next) {
			c->end = NULL;
			return NULL;
		}
		c->end = c->next + DPIDX_HUGE_SIZE;
	}
	p = c->next;
	c->next += bytes;
	return p;
}

static inline void *dpidx_vmemmap_alloc_bytes(size_t bytes, int nid)
{
	struct dpidx_vmm_class *c;
	void *p;

	if (bytes > (1UL << DPIDX_VMM_MAX_SHIFT))
		p = dpidx_huge_mmap(bytes, nid, true);
	else {
		c = &dpidx_vmm.cls[dpidx_vmm_node(nid)][dpidx_vmm_class_of(bytes)];
		pthread_mutex_lock(&dpidx_vmm.lock);
		p = dpidx_vmm_carve(c, bytes, nid);
		pthread_mutex_unlock(&dpidx_vmm.lock);
	}
	if (p) {
		memset(p, 0, bytes);	/* populate, not just reserve */
		__atomic_add_fetch(&dpidx_vmm.outstanding, bytes, __ATOMIC_RELAXED);
	}
	return p;
}

/*
 * Freed small arrays join the "any node" lists: they were placed on their
 * node when carved, so an anywhere-allocation may reuse them, while a
 * node-bound allocation only ever gets memory carved for that node.
 */
static inline void dpidx_vmemmap_free_bytes(void *p, size_t bytes)
{
	struct dpidx_vmm_class *c;

	__atomic_sub_fetch(&dpidx_vmm.outstanding, bytes, __ATOMIC_RELAXED);
	if (bytes > (1UL << DPIDX_VMM_MAX_SHIFT)) {
		munmap(p, bytes);
		return;
	}
	c = &dpidx_vmm.cls[0][dpidx_vmm_class_of(bytes)];
	pthread_mutex_lock(&dpidx_vmm.lock);
	*(void **)p = c->free;
	c->free = p;
	dpidx_asan_poison(p, bytes);
	pthread_mutex_unlock(&dpidx_vmm.lock);
}

/* Bytes of descriptor arrays and tables allocated and not freed. */
static inline unsigned long dpidx_vmemmap_outstanding(void)
{
	return __atomic_load_n(&dpidx_vmm.outstanding, __ATOMIC_RELAXED);
}

#endif /* DPIDX_VMEMMAP_H */
