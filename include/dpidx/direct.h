/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/direct.h - the direct encoding: tag's values, resolved like
 * pfn_to_page(), with no index load at all.
 *
 * Coding conventions in this file:
 *   @s       the space (struct dpidx_direct)
 *   @offset  a device-private value (tag | payload), or any unsigned long
 *   @idx     the payload of a value: offset ^ tag, the descriptor's index
 *            in the region
 *   @unit    8 consecutive indices: 512 bytes of descriptors, the
 *            allocator's grain (one bit of @s->units)
 *   @blk     32768 consecutive indices (4096 units): 2 MiB of descriptors,
 *            one huge page of the region, the unit of population
 *            (@s->blocks[@blk])
 *   @pgmap   a caller's range
 *
 * Values are tag's (tag.h): the tag bit from arch.h over a payload below
 * SWP_PFN_BITS, told apart from a PFN by a mask and a compare, carried in
 * swap PTEs with tag's 3 swap types (the PTE functions are tag's).  The
 * payload indexes a dedicated virtual region, a device-private vmemmap:
 *
 *   s->region                                       region + nr_offsets
 *   |  blk 0 (2 MiB)  |  blk 1 (2 MiB)  |  blk 2  |      ...        |
 *   +--+--+-----------+-----------------+---------+-----------------+
 *   |A |B |  zeros    |    C (first)    |C (rest) |   zeros  ...    |
 *   +--+--+-----------+-----------------+---------+-----------------+
 *    populated, shared   populated         popul.   never populated
 *
 *   offset -> descriptor:  idx = offset ^ tag;
 *                          if (idx >= s->nr_offsets) -> NULL
 *                          page = s->region + idx;          (arithmetic)
 *                          if (!acquire(page->pgmap)) -> NULL
 *
 * The loads are @s->nr_offsets and @s->region (one line of the space, hot:
 * every lookup reads it) and then the descriptor itself, which the fault
 * path reads anyway: the same dependent-miss count as pfn_to_page().
 *
 * "Not mapped" is decided from that descriptor line: every index below
 * @s->nr_offsets is readable memory whose back-pointer is NULL unless a
 * mapped range owns it.
 *   userspace: the region is one private anonymous mapping (read-write,
 *     MAP_NORESERVE, MADV_HUGEPAGE); a never-touched or MADV_DONTNEED'ed
 *     huge page reads as the (huge) zero page.  The first read of a hole
 *     costs a minor fault that maps the zero page; never a SIGSEGV.
 *   kernel: the region is mapped read-only onto zeros at init; populating
 *     a block maps it onto an order-9 allocation of the node instead, and
 *     depopulating maps it back onto zeros before the pages are freed,
 *     each followed by a TLB flush on every CPU.  mm/ (kernel/patches/)
 *     maps every block with one PMD: the holes all share one zeroed,
 *     read-only 2 MiB block, and a block changes in one PMD store.  A
 *     module vmap()s the zero page with 4 KiB PTEs and rewrites a block's
 *     512 (lookup_address() + set_pte(), x86: init_mm and
 *     flush_tlb_kernel_range() are not exported to modules).
 * Indices at or past @s->nr_offsets, values without the tag or with bits
 * above the payload all fail the one bounds compare (tag flipped, they come
 * out >= 2^SWP_PFN_BITS > nr_offsets).
 *
 * What a reader racing map/unmap can see, per descriptor: NULL (a hole, a
 * free descriptor, not yet published), the owning pgmap (published), or
 * pgmap | DPIDX_PAGE_RANGE_RETIRED (unmapped, in its grace period): the
 * lookup returns the page only for the second.  map
 * zeroes the descriptors and fills @pgmap->base/pages first, then stores
 * every back-pointer with release ordering; the reader loads it with
 * acquire, so seeing the back-pointer means seeing the zeroed descriptor and
 * the pgmap's base (dpidx_page_offset() works).  unmap sets the retired bit
 * in the back-pointers (WRITE_ONCE) before its grace period: new lookups get
 * NULL, while a reader that found a descriptor earlier still reaches its
 * pgmap (dpidx_page_range() masks the bit) until its section ends.  The
 * back-pointers are cleared after the grace period.  The descriptor memory
 * stays mapped and the offsets stay allocated until the grace period ends,
 * so a reader's page stays valid until its section ends.  Only then are the
 * descriptors zeroed (in a block other ranges still use) or the block
 * depopulated (its last range gone): it reads as zeros again.  destroy sets
 * @s->nr_offsets to 0 first (later lookups: NULL), waits for readers, then
 * releases everything; a destroyed or zeroed space reads 0 offsets.
 *
 * Offset allocation (writers, under @s->lock): first fit over @s->units,
 * a range taking DIV_ROUND_UP(nr_pages, 8) units, searched from
 * @s->free_hint (no unit below it is free, so the fit is still the first
 * one: a sweep of a million small maps does not rescan the full prefix),
 *   - 512-aligned when it has 512 pages or more (a PMD folio);
 *   - not straddling a block when it fits in one, so small ranges (nouveau's
 *     2 MiB chunks: 32 KiB of descriptors, 64 to a block; a 1-8 page range:
 *     512 bytes, 4096 to a block) pack into shared blocks instead of
 *     populating one each;
 *   - only into blocks populated on its node (or unpopulated ones); nid -1
 *     goes anywhere;
 *   - offsets are reused after unmap (after its grace period).
 * Each block counts the ranges on it; the first range populates it on its
 * node, the last one to go depopulates it.
 *
 * The unit bitmap and the block table are the writers' alone (readers never
 * touch them), so they are sized to the highest block a range has used, not
 * to the capacity: map grows both, by doubling, under the lock (a plain
 * copy: no reader to publish to), and a map that cannot grow them fails with
 * -ENOMEM, changing nothing.  They never shrink.  Units and blocks past
 * @s->nr_grown blocks read as free and unpopulated.
 *
 * Capacity: init(max_pages) reserves nr_offsets = 2 * max_pages + 8 *
 * min(max_pages, DPIDX_DIRECT_MAX_RANGES) indices, rounded up to a block:
 * room for max_pages pages in up to DPIDX_DIRECT_MAX_RANGES = 2^20 ranges
 * whatever their sizes (each range loses under one unit to rounding and at
 * most its own size to alignment or block packing).  One space's region is
 * capped at half the payload, 2^33 indices (512 GiB of VA):
 * DPIDX_DIRECT_MAX_PAGES = 2^32 - 2^22 pages (16 TiB of device memory).
 *
 * Costs (x86-64, 64-byte descriptors):
 *   VA: 64 bytes per index of nr_offsets, about 128 bytes per page of
 *     max_pages plus 512 bytes per range of the bound (at most 512 MiB);
 *     the whole payload (2^34) is 1 TiB, 2^40 (5-level) 64 TiB (arch
 *     table, results/arch-table.md).
 *   bookkeeping, sized to the highest block used (doubling, so at most 2x
 *     that): the unit bitmap (1 bit per 8 indices, 512 bytes per block) and
 *     8 bytes per block, 520 bytes per 2 MiB block: 4.1 KiB per GiB of
 *     device memory in 512-page ranges, and at most 8.3 KiB per GiB of
 *     max_pages plus 128 KiB for the 2^20-range slack (a full space).
 *     At 10^6 ranges (1-8 pages, every 97th 512: 9.7 M pages, one space
 *     init()ed for their total; tests/test_capacity.c): 403 blocks
 *     populated (806 MiB of descriptors for 623 MB of pages), the tables
 *     grown to 512 blocks: 256 KiB of bitmap and 4 KiB of block table
 *     (dpidx_direct_index_bytes() 267 KiB with the page tables); the whole
 *     capacity (27.9 M indices, 851 blocks, 1.7 GiB of VA) would take
 *     425.5 KiB and 6.6 KiB.
 *   page tables, userspace: one PMD entry per populated block when THP
 *     backs it (8 bytes per 128 MiB of device memory) plus a 4 KiB PMD table
 *     per GiB of region in use (64 GiB of device memory); 4 KiB per block
 *     without THP.  Readers of holes add zero-page entries (huge zero page:
 *     one PMD entry per 2 MiB read), bounded by the region.
 *   page tables, mm/: the region's PMD tables, 4 KiB per GiB of region
 *     (per 32 GiB of device memory the space can hold), populated or not,
 *     plus the holes' shared 2 MiB block; populating allocates none.  A
 *     kernel module: 4 KiB PTEs over the whole region, 8 bytes per 64
 *     indices (the zero page mapping): 1/8 byte per index.
 *   map: O(nr_pages) (zero and publish the descriptors) plus one populate
 *     (madvise(MADV_POPULATE_WRITE) / 512 page allocations) per new block.
 *   unmap: O(nr_pages) stores, one grace period, one MADV_DONTNEED (or
 *     PTE rewrite + TLB flush) per block that became empty.  Never fails:
 *     it allocates nothing.
 *
 * Measured (2026-12-01, shared 2-core AMD EPYC KVM guest, loaded by other
 * jobs: ballpark only; the committed statistics run decides):
 *   valgrind, nouveau-1k, per hot op (bench/callgrind.py): fault path 47
 *     instructions and 1.76 simulated D1 misses, pfn_to_page() 33 / 1.76,
 *     flat 49 / 1.85, tag 51 / 1.85: the same misses as the limit.  Hot
 *     lookup 22 instructions, 1.1 D1 misses (the descriptor's back-pointer;
 *     pfn_to_page() reads no memory at all: 9 / 0.03).
 *   Google Benchmark, ratio to pfn_to_page(), six DESIGN.md shapes (nouveau
 *     64 / 1k / 64k x 2 MiB, test_hmm 64 x 256 MiB, amdkfd 64 GiB, 8 x 16
 *     GiB), medians of 3 repetitions, same run and keys:
 *     cache-cold fault (per-sample median) 0.89 1.52 1.05 1.19 1.11 1.07
 *       (flat 1.14-1.59, tag 1.16-1.67);
 *     dependent fault 0.49-1.01 (flat 0.73-1.08, tag 0.51-1.00);
 *     lookup throughput 5-33x (flat 1.8-4.1, tag 1.1-3.8): a lookup here
 *       reads the descriptor, pfn_to_page() reads nothing, flat's and tag's
 *       tables are hot.
 *   That run reached every space through a loaded fx->space pointer, one
 *   dependent line more than pfn's fx->vmemmap (in the kernel both roots
 *   are one global line).  With the space in the fixture (bench commit
 *   "the encodings' space lives in the fixture"), cache-cold fault: direct
 *   1.18 1.12 0.89 0.96 1.01 0.98, flat 1.14-1.33, tag 1.13-1.36.
 *   index (8-page units, tables sized to use; 2026-12-05): 8.1 KiB per
 *     GiB in a 1 GiB space, 4.4 KiB per GiB at 16 GiB (test_direct).
 *   The cold-fault gap at 65,536 x 512 pages (issue 19: 942 vs 741 ns,
 *     1.27x pfn_to_page(), held-out run), first look (2026-12-05): not THP
 *     coverage, not walk depth.  Both populated, smaps gives the region
 *     (4608 MiB VMA, 2 GiB used) and pfn's array (2048 MiB) AnonHugePages
 *     = Rss = 2097152 kB: all 1024 blocks on 2 MiB pages, so both walks
 *     end at a PMD entry (4-level: PML4, PDPT, PD), the region's used
 *     half spanning 2 PD pages as pfn's 2 GiB does.  A timed rerun on this
 *     VM (load average 5.4) gave cold faults of ~3 us for both, p50 ratio
 *     1.02: no signal.  Still to measure on a quiet machine: the cause
 *     of the gap, with PMU counters (dTLB walk cycles) where there is one.
 */
#ifndef DPIDX_DIRECT_H
#define DPIDX_DIRECT_H

#include "types.h"
#include "pte.h"
#include "arch.h"
#include "bitmap.h"
#include "tag.h"

/*
 * In the kernel, direct's region goes beside x86-64's vmemmap (mm/, see
 * kernel/patches/) and its block code finds its PTEs with x86's
 * lookup_address(): elsewhere this header defines nothing, and mm/ takes
 * tag's values, which are direct's, through tag.h (kernel/encoding-h.sh).
 */
#if !defined(__KERNEL__) || defined(CONFIG_X86_64)

#ifdef __KERNEL__
#include <linux/vmalloc.h>
#include <linux/smp.h>
#include <asm/tlbflush.h>
#else
#include <numaif.h>
#endif

#define DPIDX_DIRECT_BIT		DPIDX_TAG_BIT
#define DPIDX_DIRECT_PAYLOAD_BITS	DPIDX_TAG_PAYLOAD_BITS
#define DPIDX_DIRECT_NR_OFFSETS		(1UL << DPIDX_DIRECT_PAYLOAD_BITS)
#define DPIDX_DIRECT_SWAP_TYPES		DPIDX_TAG_SWAP_TYPES
#define DPIDX_DIRECT_UNIT_PAGES		8UL
#define DPIDX_DIRECT_BLOCK_BYTES	(2UL << 20)
#define DPIDX_DIRECT_BLOCK_PAGES	(DPIDX_DIRECT_BLOCK_BYTES / sizeof(struct dpidx_page))
#define DPIDX_DIRECT_UNITS_PER_BLOCK	(DPIDX_DIRECT_BLOCK_PAGES / DPIDX_DIRECT_UNIT_PAGES)
/*
 * Ranges of any sizes init(max_pages) guarantees room for (fewer when
 * max_pages is smaller): tag's 2^20.  The bound only sizes the rounding
 * slack, 8 indices per range (512 bytes of VA each, 512 MiB at 2^20;
 * nothing is populated or allocated for it until ranges use it).  More
 * ranges fit whenever their sizes pack: 2 MiB chunks (512 pages, 64 units)
 * always do, so DESIGN.md's 65,536 nouveau chunks map whatever the bound.
 */
#define DPIDX_DIRECT_MAX_RANGES		(1UL << 20)
/* direct.h places every descriptor itself: no caller-provided ones. */
#define DPIDX_DIRECT_CALLER_PAGES	0
/*
 * 2 * max + 8 * MAX_RANGES indices must fit the region a space may
 * reserve: half the payload, 2^33 indices = 512 GiB of VA (2^32 - 2^22
 * pages = 16 TiB of device memory, ten times DESIGN.md's largest machine).
 * The whole payload (1 TiB of VA) would fit the kernel's hole beside
 * vmemmap, but not every userspace address-space layout (ThreadSanitizer's
 * application ranges refuse a 1 TiB mapping).
 */
#define DPIDX_DIRECT_MAX_REGION_OFFSETS	(DPIDX_DIRECT_NR_OFFSETS / 2)
#define DPIDX_DIRECT_MAX_PAGES		((DPIDX_DIRECT_MAX_REGION_OFFSETS - \
					  DPIDX_DIRECT_UNIT_PAGES * DPIDX_DIRECT_MAX_RANGES) / 2)

dpidx_static_assert(DPIDX_DIRECT_PAYLOAD_BITS == DPIDX_SWP_PAYLOAD_BITS,
		    "direct's payload is tag's: the 4-level SWP_PFN_BITS, both modes");
dpidx_static_assert(DPIDX_PMD_PAGES % DPIDX_DIRECT_UNIT_PAGES == 0 &&
		    DPIDX_DIRECT_BLOCK_PAGES % DPIDX_PMD_PAGES == 0,
		    "a PMD folio is whole units; blocks hold whole folios");
dpidx_static_assert(DPIDX_DIRECT_UNITS_PER_BLOCK % (8 * sizeof(unsigned long)) == 0,
		    "the unit bitmap grows by whole words, a block at a time");

#ifndef __KERNEL__
dpidx_static_assert(offsetof(struct dpidx_page, pgmap) == sizeof(unsigned long) &&
		    offsetof(struct dpidx_page, zone_device_data) == 2 * sizeof(unsigned long),
		    "dpidx_direct_zero(): flags, then the back-pointer, then the rest");
#endif

/* One 2 MiB huge page of the region. */
struct dpidx_direct_block {
	unsigned int ranges;		/* ranges with a descriptor here; 0: unpopulated */
	int nid;			/* node it was populated on, or -1 */
};

struct dpidx_direct {
	/* Read by every lookup: one line. */
	struct dpidx_page *region;	/* descriptor of payload 0 */
	unsigned long nr_offsets;	/* indices below it are readable; 0: none */
	/* Writer side, under @lock. */
	struct dpidx_lock lock dpidx_cacheline_aligned;
	unsigned long max_pages;
	unsigned long nr_units;		/* the capacity, in units */
	unsigned long nr_blocks;	/* the capacity, in blocks */
	unsigned long nr_grown;		/* blocks @units and @blocks cover */
	unsigned long *units;		/* bit per unit: allocated */
	struct dpidx_direct_block *blocks;
	unsigned long free_hint;	/* no unit below it is free */
	unsigned long nr_ranges;
	unsigned long nr_pages;
	unsigned long nr_populated;	/* blocks with ranges > 0 */
};

/* ---- backing: the only userspace / kernel difference --------------------- */

/*
 * The back-pointer, loaded with acquire: a reader that sees it sees the
 * descriptor map zeroed and the pgmap's base (stored before, with release).
 */
/*
 * Acquire on the bound pairs with init's release of it (the region is set
 * first); acquire on a back-pointer pairs with map's release of it (the
 * descriptor is zeroed and the pgmap's base set first).
 */
#ifdef __KERNEL__
#define dpidx_direct_load_bound(p)	smp_load_acquire(p)
#ifndef dpidx_page_range_raw_acquire
#define dpidx_page_range_raw_acquire(page) \
	((uintptr_t)smp_load_acquire(&(page)->zone_device_data))
#define dpidx_page_set_range_raw(page, w) \
	WRITE_ONCE((page)->zone_device_data, (void *)(w))
#define dpidx_page_set_range_release(page, r) \
	smp_store_release(&(page)->zone_device_data, (void *)(r))
#endif
#else
#define dpidx_direct_load_bound(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define dpidx_page_range_raw_acquire(page) \
	((uintptr_t)__atomic_load_n(&(page)->pgmap, __ATOMIC_ACQUIRE))
#define dpidx_page_set_range_raw(page, w) \
	WRITE_ONCE((page)->pgmap, (struct dpidx_pgmap *)(w))
#define dpidx_page_set_range_release(page, r) \
	__atomic_store_n(&(page)->pgmap, (r), __ATOMIC_RELEASE)
#endif

/*
 * Is @page published?  Its back-pointer, loaded with acquire, is a pgmap
 * without DPIDX_PAGE_RANGE_RETIRED.  NULL: a hole or a free descriptor;
 * pgmap | RETIRED: unmapped, inside its grace period.
 */
static inline bool dpidx_direct_published(const struct dpidx_page *page)
{
	uintptr_t w = dpidx_page_range_raw_acquire(page);

	return w && !(w & DPIDX_PAGE_RANGE_RETIRED);
}

/*
 * Zero @nr descriptors whose back-pointers are NULL, without storing to the
 * back-pointers: readers may be loading them (holes), and in userspace a
 * plain store there would race with their atomic loads.
 */
static inline void dpidx_direct_zero(struct dpidx_page *pages, unsigned long nr)
{
#ifdef __KERNEL__
	memset(pages, 0, nr * sizeof(*pages));
#else
	const size_t rest = offsetof(struct dpidx_page, zone_device_data);
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pages[i].flags = 0;
		memset((char *)&pages[i] + rest, 0, sizeof(pages[i]) - rest);
	}
#endif
}

static inline void *dpidx_direct_block_addr(struct dpidx_direct *s, unsigned long blk)
{
	return (char *)s->region + blk * DPIDX_DIRECT_BLOCK_BYTES;
}

#ifdef __KERNEL__

/*
 * The module backing: the region vmap()ed anywhere in the vmalloc area,
 * 4 KiB PTEs onto the zero page; a block's 512 PTEs swapped for an order-9
 * allocation's.  init_mm and the generic page-table walkers are not
 * exported to modules: lookup_address() (x86) finds each PTE vmap()
 * created, so nothing is allocated when a block changes.
 */
static inline void *dpidx_direct_vmap_zero(unsigned long bytes)
{
	unsigned long i, n = bytes >> PAGE_SHIFT;
	struct page **zero;
	void *region;

	if (n > UINT_MAX)
		return NULL;
	zero = kvmalloc_array(n, sizeof(*zero), GFP_KERNEL);
	if (!zero)
		return NULL;
	for (i = 0; i < n; i++)
		zero[i] = ZERO_PAGE(0);
	region = vmap(zero, (unsigned int)n, VM_MAP, PAGE_KERNEL_RO);
	kvfree(zero);
	return region;
}

static inline void dpidx_direct_flush_local(void *unused)
{
	__flush_tlb_all();
}

/* flush_tlb_kernel_range() is not exported: flush every CPU's TLB. */
static inline void dpidx_direct_flush_tlb(void)
{
	on_each_cpu(dpidx_direct_flush_local, NULL, 1);
}

/* Point the block's 512 PTEs at @pages, or back at the zero page (NULL). */
static inline int dpidx_direct_set_ptes(unsigned long addr, struct page *pages)
{
	unsigned long i;
	unsigned int level;
	pte_t *pte;

	for (i = 0; i < DPIDX_DIRECT_BLOCK_BYTES >> PAGE_SHIFT; i++) {
		pte = lookup_address(addr + (i << PAGE_SHIFT), &level);
		if (WARN_ON_ONCE(!pte || level != PG_LEVEL_4K))
			return -EFAULT;
		set_pte(pte, pages ? mk_pte(pages + i, PAGE_KERNEL) :
				     mk_pte(ZERO_PAGE(0), PAGE_KERNEL_RO));
	}
	return 0;
}

static inline int dpidx_direct_vmap_set_block(void *addr, struct page *pages)
{
	int err = dpidx_direct_set_ptes((unsigned long)addr, pages);

	if (err && pages)
		dpidx_direct_set_ptes((unsigned long)addr, NULL);
	/* No CPU may keep the block's old translation. */
	dpidx_direct_flush_tlb();
	return err;
}

static inline struct page *dpidx_direct_vmap_block_pages(void *addr)
{
	unsigned int level;
	pte_t *pte;

	/* Not vmalloc_to_page(): the region need not be in the vmalloc area. */
	pte = lookup_address((unsigned long)addr, &level);
	if (WARN_ON_ONCE(!pte || level != PG_LEVEL_4K))
		return NULL;
	return pte_page(*pte);
}

/*
 * Where the region goes and how its blocks are mapped: the module backing
 * above, unless mm/ (kernel/patches/) defines all four first, to put the
 * region beside vmemmap, where page_to_pfn() and pfn_to_page() of a
 * descriptor stay each other's inverse, on PMD mappings whose holes share
 * one zeroed block (kernel/import/README.md, "With the direct encoding").
 *   dpidx_direct_region_map(bytes)        the region, every byte readable
 *                                         (holes read as zeros), or NULL
 *   dpidx_direct_region_unmap(addr)       undo it
 *   dpidx_direct_region_set_block(a, p)   map the 2 MiB block at @a onto
 *                                         @p (an order-9 allocation),
 *                                         read-write, or back onto zeros
 *                                         (NULL); on return no CPU
 *                                         translates @a the old way.  0 or
 *                                         a negative errno, with the block
 *                                         reading as zeros
 *   dpidx_direct_region_block_pages(a)    what backs the populated block @a
 */
#ifndef dpidx_direct_region_map
#define dpidx_direct_region_map(bytes)		dpidx_direct_vmap_zero(bytes)
#define dpidx_direct_region_unmap(addr)		vunmap(addr)
#define dpidx_direct_region_set_block(a, p)	dpidx_direct_vmap_set_block(a, p)
#define dpidx_direct_region_block_pages(a)	dpidx_direct_vmap_block_pages(a)
#endif

static inline int dpidx_direct_region_reserve(struct dpidx_direct *s, unsigned long bytes)
{
	/* Every index readable from the start: holes read as zeros. */
	s->region = dpidx_direct_region_map(bytes);
	return s->region ? 0 : -ENOMEM;
}

static inline void dpidx_direct_region_release(struct dpidx_direct *s, unsigned long bytes)
{
	dpidx_direct_region_unmap(s->region);
}

static inline int dpidx_direct_block_populate(struct dpidx_direct *s, unsigned long blk,
					      int nid)
{
	struct page *pages;
	int err;

	pages = alloc_pages_node(nid, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
				 get_order(DPIDX_DIRECT_BLOCK_BYTES));
	if (!pages)
		return -ENOMEM;
	err = dpidx_direct_region_set_block(dpidx_direct_block_addr(s, blk), pages);
	if (err)
		__free_pages(pages, get_order(DPIDX_DIRECT_BLOCK_BYTES));
	return err;
}

static inline void dpidx_direct_block_depopulate(struct dpidx_direct *s, unsigned long blk)
{
	void *addr = dpidx_direct_block_addr(s, blk);
	struct page *pages = dpidx_direct_region_block_pages(addr);

	if (!pages)
		return;
	/*
	 * Nobody may reach the pages through a stale translation once freed:
	 * set_block() returns with every CPU's TLB flushed.
	 */
	if (WARN_ON_ONCE(dpidx_direct_region_set_block(addr, NULL)))
		return;
	__free_pages(pages, get_order(DPIDX_DIRECT_BLOCK_BYTES));
}

/* The page allocator itself fails cleanly (__GFP_NOWARN, no OOM kill). */
static inline bool dpidx_direct_room(unsigned long nr)
{
	return true;
}

#else /* !__KERNEL__ */

/*
 * Virtual address space only: 2 MiB-aligned, read-write, MAP_NORESERVE (not
 * committed: blocks are committed one by one when populated), MADV_HUGEPAGE,
 * never touched.  Reads of it map the zero page.
 */
static inline int dpidx_direct_region_reserve(struct dpidx_direct *s, unsigned long bytes)
{
	size_t span = bytes + DPIDX_DIRECT_BLOCK_BYTES;
	uintptr_t raw, start;
	void *p;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	raw = (uintptr_t)p;
	start = (raw + DPIDX_DIRECT_BLOCK_BYTES - 1) & ~(DPIDX_DIRECT_BLOCK_BYTES - 1);
	if (start > raw)
		munmap(p, start - raw);
	if (raw + span > start + bytes)
		munmap((void *)(start + bytes), raw + span - start - bytes);
	s->region = (struct dpidx_page *)start;
	(void)madvise(s->region, bytes, MADV_HUGEPAGE);	/* advisory: THP may be off */
	return 0;
}

static inline void dpidx_direct_region_release(struct dpidx_direct *s, unsigned long bytes)
{
	munmap(s->region, bytes);
}

/*
 * Back one block with memory on @nid (dpidx_direct_room() said there is
 * room): bind the policy, then fault it in with MADV_POPULATE_WRITE, whose failure is an error return, not the OOM
 * killer.  Zeroed: it was never touched, or MADV_DONTNEED'ed.
 */
static inline int dpidx_direct_block_populate(struct dpidx_direct *s, unsigned long blk,
					      int nid)
{
	void *p = dpidx_direct_block_addr(s, blk);

	if (dpidx_alloc_should_fail())
		return -ENOMEM;
	if (dpidx_numa_usable()) {
		if (nid >= 0)
			numa_tonode_memory(p, DPIDX_DIRECT_BLOCK_BYTES, nid);
		else
			(void)mbind(p, DPIDX_DIRECT_BLOCK_BYTES, MPOL_DEFAULT, NULL, 0, 0);
	}
	/*
	 * Readers of holes may have mapped the huge zero page here; a write
	 * fault on it splits it into 4 KiB pages.  Dropping it first lets
	 * the populate fault allocate a whole huge page.
	 */
	(void)madvise(p, DPIDX_DIRECT_BLOCK_BYTES, MADV_DONTNEED);
	if (madvise(p, DPIDX_DIRECT_BLOCK_BYTES, MADV_POPULATE_WRITE)) {
		(void)madvise(p, DPIDX_DIRECT_BLOCK_BYTES, MADV_DONTNEED);
		return -ENOMEM;
	}
	return 0;
}

/* Private anonymous memory: after MADV_DONTNEED the block reads as zeros. */
static inline void dpidx_direct_block_depopulate(struct dpidx_direct *s, unsigned long blk)
{
	(void)madvise(dpidx_direct_block_addr(s, blk), DPIDX_DIRECT_BLOCK_BYTES,
		      MADV_DONTNEED);
}

/*
 * Can @nr more blocks be committed without the OOM killer stepping in?  The
 * system's and the caller's memory cgroups' room, as for every descriptor
 * allocation (vmemmap.h).
 */
static inline bool dpidx_direct_room(unsigned long nr)
{
	return dpidx_vmm_room(nr * DPIDX_DIRECT_BLOCK_BYTES);
}

#endif /* __KERNEL__ */

/* ---- values -------------------------------------------------------------- */

/** dpidx_direct_is_device_private() - tag's test: a mask and a compare. */
static inline bool dpidx_direct_is_device_private(unsigned long value)
{
	return dpidx_tag_is_device_private(value);
}

/* ---- reader side --------------------------------------------------------- */

/**
 * dpidx_direct_offset_to_page() - the descriptor of a device-private value.
 * @s:      the space.
 * @offset: any value.
 *
 * One bounds compare and an add; the only load past the space's hot line is
 * the descriptor's own back-pointer.
 *
 * Context: inside rcu_read_lock(); never blocks, never retries, never
 * writes.  The descriptor stays valid until the read-side section ends.
 * Return: the descriptor, or NULL when @offset lies in no mapped range.
 */
static inline struct dpidx_page *
dpidx_direct_offset_to_page(struct dpidx_direct *s, unsigned long offset)
{
	unsigned long idx = offset ^ DPIDX_DIRECT_BIT;
	struct dpidx_page *page;

	/* Acquire: pairs with init's release; seeing the bound means seeing the region. */
	if (unlikely(idx >= dpidx_direct_load_bound(&s->nr_offsets)))
		return NULL;
	page = READ_ONCE(s->region) + idx;
	return likely(dpidx_direct_published(page)) ? page : NULL;
}

/**
 * dpidx_direct_page_to_offset() - the value of a descriptor.
 * @page: a descriptor returned by a lookup or found in a mapped pgmap.
 *
 * Context: any; @page must be valid (see dpidx_direct_offset_to_page()).
 * Return: its tagged value, through the back-pointer (types.h).
 */
static inline unsigned long dpidx_direct_page_to_offset(const struct dpidx_page *page)
{
	return dpidx_page_offset(page);
}

/**
 * dpidx_direct_lookup_range() - resolve @n consecutive values.
 * @s:      the space.
 * @offset: the first value.
 * @n:      how many.
 * @pages:  out: pages[i] = dpidx_direct_offset_to_page(s, offset + i).
 *
 * The bound and the region are read once; each page costs its own
 * descriptor's back-pointer, consecutive lines the prefetcher streams.
 * Context: inside rcu_read_lock().
 * Return: @n.
 */
static inline unsigned long dpidx_direct_lookup_range(struct dpidx_direct *s,
						      unsigned long offset,
						      unsigned long n,
						      struct dpidx_page **pages)
{
	unsigned long nr = dpidx_direct_load_bound(&s->nr_offsets), i, idx;
	struct dpidx_page *region = READ_ONCE(s->region);

	for (i = 0; i < n; i++) {
		idx = (offset + i) ^ DPIDX_DIRECT_BIT;
		pages[i] = NULL;
		if (idx < nr && dpidx_direct_published(&region[idx]))
			pages[i] = &region[idx];
	}
	return n;
}

/* ---- swap PTEs: tag's, so tag's PTE rules apply unchanged ---------------- */

/** dpidx_direct_make_swp_pte() - tag's PTE of @offset (0 when uncarriable). */
static inline uint64_t dpidx_direct_make_swp_pte(unsigned long offset,
						 enum dpidx_kind kind)
{
	return dpidx_tag_make_swp_pte(offset, kind);
}

static inline bool dpidx_direct_swp_pte_is_device_private(uint64_t pte)
{
	return dpidx_tag_swp_pte_is_device_private(pte);
}

static inline enum dpidx_kind dpidx_direct_swp_pte_kind(uint64_t pte)
{
	return dpidx_tag_swp_pte_kind(pte);
}

static inline unsigned long dpidx_direct_swp_pte_offset(uint64_t pte)
{
	return dpidx_tag_swp_pte_offset(pte);
}

/**
 * dpidx_direct_swp_pte_to_page() - the whole fault-path resolution.
 * @s:   the space.
 * @pte: any 64-bit value.
 *
 * Context: inside rcu_read_lock().
 * Return: the descriptor, or NULL unless @pte is a device-private entry of a
 * mapped value.
 */
static inline struct dpidx_page *dpidx_direct_swp_pte_to_page(struct dpidx_direct *s,
							      uint64_t pte)
{
	/* tag's exact test and decode, so tag's PTE rules hold unchanged. */
	if (unlikely(!dpidx_tag_swp_pte_is_device_private(pte)))
		return NULL;
	return dpidx_direct_offset_to_page(s, dpidx_tag_swp_pte_offset(pte));
}

/* ---- writer side --------------------------------------------------------- */

static inline unsigned long dpidx_direct_capacity(unsigned long max_pages)
{
	unsigned long ranges = max_pages < DPIDX_DIRECT_MAX_RANGES ?
			       max_pages : DPIDX_DIRECT_MAX_RANGES;
	unsigned long nr = 2 * max_pages + DPIDX_DIRECT_UNIT_PAGES * ranges;

	return (nr + DPIDX_DIRECT_BLOCK_PAGES - 1) & ~(DPIDX_DIRECT_BLOCK_PAGES - 1);
}

/*
 * Make the unit bitmap and the block table cover at least @blocks blocks
 * (doubling, capped at the capacity); under the lock, or in init.  Readers
 * never read either, so the new tables are plain copies and the old ones
 * are freed at once.  Return: 0 or -ENOMEM, the tables unchanged.
 */
static inline int dpidx_direct_grow(struct dpidx_direct *s, unsigned long blocks)
{
	const unsigned long ubytes = DPIDX_DIRECT_UNITS_PER_BLOCK / 8;
	struct dpidx_direct_block *blks;
	unsigned long n = s->nr_grown;
	unsigned long *units;

	if (blocks <= n)
		return 0;
	n = 2 * n > blocks ? 2 * n : blocks;
	if (n > s->nr_blocks)
		n = s->nr_blocks;
	units = (unsigned long *)dpidx_zalloc(n * ubytes, -1);
	blks = (struct dpidx_direct_block *)dpidx_zalloc(n * sizeof(*blks), -1);
	if (!units || !blks) {
		dpidx_free(units);
		dpidx_free(blks);
		return -ENOMEM;
	}
	if (s->nr_grown) {
		memcpy(units, s->units, s->nr_grown * ubytes);
		memcpy(blks, s->blocks, s->nr_grown * sizeof(*blks));
	}
	dpidx_free(s->units);
	dpidx_free(s->blocks);
	s->units = units;
	s->blocks = blks;
	s->nr_grown = n;
	return 0;
}

/**
 * dpidx_direct_init() - an empty direct space.
 * @s:         the space to initialise.
 * @max_pages: pages it must be able to hold, 1 .. DPIDX_DIRECT_MAX_PAGES.
 *
 * Reserves the region (virtual address space only: nothing is populated)
 * and the allocator's bookkeeping.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static inline int dpidx_direct_init(struct dpidx_direct *s, unsigned long max_pages)
{
	unsigned long nr;
	int err;

	if (!s || !max_pages || max_pages > DPIDX_DIRECT_MAX_PAGES)
		return -EINVAL;
	nr = dpidx_direct_capacity(max_pages);
	memset(s, 0, sizeof(*s));
	s->max_pages = max_pages;
	s->nr_units = nr / DPIDX_DIRECT_UNIT_PAGES;
	s->nr_blocks = nr / DPIDX_DIRECT_BLOCK_PAGES;
	err = dpidx_direct_grow(s, 1);	/* one block's worth; map grows them */
	if (!err)
		err = dpidx_direct_region_reserve(s, nr * sizeof(struct dpidx_page));
	if (err) {
		dpidx_free(s->units);
		dpidx_free(s->blocks);
		memset(s, 0, sizeof(*s));
		return err;
	}
	dpidx_lock_init(&s->lock);
	/* Release: a reader that sees the bound sees the region. */
	dpidx_store_release(&s->nr_offsets, nr);
	return 0;
}

/*
 * May a range on @nid use block @blk?  An unpopulated block (also every
 * block past @s->nr_grown) takes any node; a populated one only ranges of
 * its node, or of any node (-1).
 */
static inline bool dpidx_direct_block_fits(const struct dpidx_direct *s,
					   unsigned long blk, int nid)
{
	const struct dpidx_direct_block *b = &s->blocks[blk];

	return blk >= s->nr_grown || !b->ranges || nid == -1 || b->nid == nid;
}

/*
 * First fit for @units units on @nid; under the lock.  Return: the first
 * unit, or @s->nr_units when nothing fits.
 */
static inline unsigned long dpidx_direct_find(struct dpidx_direct *s, unsigned long units,
					      unsigned long align, int nid)
{
	const unsigned long upb = DPIDX_DIRECT_UNITS_PER_BLOCK;
	unsigned long pos = s->free_hint, u, blk, first, last;

	for (;;) {
		/* Bits past the grown bitmap read free, up to the capacity. */
		u = dpidx_bitmap_find_free(s->units, s->nr_grown * upb, pos, units, align,
					   s->nr_units);
		if (u >= s->nr_units)
			return s->nr_units;
		first = u / upb;
		last = (u + units - 1) / upb;
		if (units <= upb && first != last) {	/* pack: stay in one block */
			pos = last * upb;
			continue;
		}
		for (blk = first; blk <= last; blk++)
			if (!dpidx_direct_block_fits(s, blk, nid))
				break;
		if (blk > last)
			return u;
		pos = (blk + 1) * upb;
	}
}

/* Drop one range from blocks [@first, @last]; depopulate those left empty. */
static inline void dpidx_direct_put_blocks(struct dpidx_direct *s, unsigned long first,
					   unsigned long last)
{
	unsigned long blk;

	for (blk = first; blk <= last; blk++) {
		if (--s->blocks[blk].ranges)
			continue;
		dpidx_direct_block_depopulate(s, blk);
		s->nr_populated--;
	}
}

/* Take blocks [@first, @last] for a range on @nid, populating the new ones. */
static inline int dpidx_direct_get_blocks(struct dpidx_direct *s, unsigned long first,
					  unsigned long last, int nid)
{
	unsigned long blk, fresh = 0;
	int err;

	for (blk = first; blk <= last; blk++)
		fresh += !s->blocks[blk].ranges;
	if (fresh && !dpidx_direct_room(fresh))
		return -ENOMEM;
	for (blk = first; blk <= last; blk++) {
		if (!s->blocks[blk].ranges) {
			err = dpidx_direct_block_populate(s, blk, nid);
			if (err) {
				if (blk > first)
					dpidx_direct_put_blocks(s, first, blk - 1);
				return err;
			}
			s->blocks[blk].nid = nid;
			s->nr_populated++;
		}
		s->blocks[blk].ranges++;
	}
	return 0;
}

/**
 * dpidx_direct_map() - map a range of device-private pages.
 * @s:     the space.
 * @pgmap: zero-initialised apart from @nr_pages and @owner.
 * @nid:   NUMA node of the descriptors, or -1 for anywhere.
 *
 * Allocates offsets, populates the blocks the range needs that are not
 * populated yet (on @nid), zeroes the descriptors and publishes them.  On
 * success @pgmap->base is the tagged value of its first page and
 * @pgmap->pages points into the region.
 *
 * Context: may sleep; takes the space's lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap, a bad
 * @nid or a destroyed space; -ENOSPC; -ENOMEM when a block cannot be
 * backed.  On failure nothing changed.
 */
static inline int dpidx_direct_map(struct dpidx_direct *s, struct dpidx_pgmap *pgmap,
				   int nid)
{
	unsigned long nr, units, u, idx, i, first, last;
	int err;

	if (!s)
		return -EINVAL;
	err = dpidx_pgmap_check_map(pgmap, nid);
	if (err)
		return err;
	/*
	 * A descriptor's address is computed from its value, so they cannot
	 * be the caller's (DPIDX_DIRECT_CALLER_PAGES is 0): -EINVAL.
	 */
	if (READ_ONCE(pgmap->flags) & DPIDX_PGMAP_CALLER_PAGES)
		return -EINVAL;
	/* One read of the caller's field: what map maps and unmap frees. */
	nr = READ_ONCE(pgmap->nr_pages);
	if (!nr)
		return -EINVAL;
	if (nr > s->max_pages)
		return -ENOSPC;
	err = dpidx_pgmap_claim(pgmap, s);
	if (err)
		return err;
	pgmap->nr_mapped = nr;
	dpidx_lock(&s->lock);
	if (!s->nr_offsets) {
		err = -EINVAL;
		goto fail;
	}
	units = DPIDX_DIV_ROUND_UP(nr, DPIDX_DIRECT_UNIT_PAGES);
	u = dpidx_direct_find(s, units, nr >= DPIDX_PMD_PAGES ?
			      DPIDX_PMD_PAGES / DPIDX_DIRECT_UNIT_PAGES : 1, nid);
	err = -ENOSPC;
	if (u >= s->nr_units)
		goto fail;
	idx = u * DPIDX_DIRECT_UNIT_PAGES;
	first = idx / DPIDX_DIRECT_BLOCK_PAGES;
	last = (idx + nr - 1) / DPIDX_DIRECT_BLOCK_PAGES;
	err = dpidx_direct_grow(s, last + 1);
	if (err)
		goto fail;
	err = dpidx_direct_get_blocks(s, first, last, nid);
	if (err)
		goto fail;
	dpidx_bitmap_assign(s->units, u, units, true);
	if (u <= s->free_hint)
		s->free_hint = dpidx_bitmap_next(s->units, s->nr_grown *
						 DPIDX_DIRECT_UNITS_PER_BLOCK,
						 u + units, false);
	s->nr_ranges++;
	s->nr_pages += nr;
	pgmap->nid = nid;
	pgmap->base = DPIDX_DIRECT_BIT | idx;
	pgmap->pages = s->region + idx;
	dpidx_direct_zero(pgmap->pages, nr);
	/* Release: the zeroed descriptor and @pgmap->base before the mark. */
	for (i = 0; i < nr; i++)
		dpidx_page_set_range_release(&pgmap->pages[i], pgmap);
	dpidx_unlock(&s->lock);
	return 0;
fail:
	dpidx_unlock(&s->lock);
	dpidx_pgmap_unclaim(pgmap);
	return err;
}

/*
 * The first index of @pgmap's range if it is mapped in @s, else
 * @s->nr_offsets; under the lock.  Trusts only dpidx's own memory: the base
 * must be a unit start whose descriptor points back at @pgmap, with no
 * descriptor of @pgmap just before it.
 */
static inline unsigned long dpidx_direct_owned(struct dpidx_direct *s,
					       const struct dpidx_pgmap *pgmap)
{
	unsigned long idx;

	if (!s->nr_offsets || !dpidx_pgmap_owned_by(pgmap, s))
		return s->nr_offsets;
	idx = pgmap->base ^ DPIDX_DIRECT_BIT;
	if (idx >= s->nr_offsets || idx % DPIDX_DIRECT_UNIT_PAGES ||
	    dpidx_page_range(&s->region[idx]) != pgmap ||
	    !dpidx_direct_published(&s->region[idx]) ||
	    (idx && dpidx_page_range(&s->region[idx - 1]) == pgmap))
		return s->nr_offsets;
	return idx;
}

/*
 * Unpublish the range at @idx: mark every back-pointer of @pgmap from there
 * on retired.  New lookups get NULL; a reader that already has a descriptor
 * still reaches @pgmap through dpidx_page_range(), which masks the mark.
 * Return: its page count, as map recorded it in the region (never the
 * caller-writable @pgmap->nr_pages).
 */
static inline unsigned long dpidx_direct_unpublish(struct dpidx_direct *s,
						   unsigned long idx,
						   const struct dpidx_pgmap *pgmap)
{
	unsigned long nr = 0;

	while (idx + nr < s->nr_offsets &&
	       dpidx_page_range(&s->region[idx + nr]) == pgmap) {
		dpidx_page_set_range_raw(&s->region[idx + nr],
					 (uintptr_t)pgmap | DPIDX_PAGE_RANGE_RETIRED);
		nr++;
	}
	return nr;
}

/* After the grace period: free the range's offsets and its blocks. */
static inline void dpidx_direct_release(struct dpidx_direct *s, unsigned long idx,
					unsigned long nr)
{
	unsigned long first = idx / DPIDX_DIRECT_BLOCK_PAGES;
	unsigned long last = (idx + nr - 1) / DPIDX_DIRECT_BLOCK_PAGES;

	unsigned long i;

	/*
	 * Blocks other ranges keep must read as zeros where this one was: one
	 * pass, each back-pointer cleared (WRITE_ONCE: readers of holes may be
	 * loading it) and then the rest of its descriptor, while the line is
	 * in the cache.  No ordering between the two: no reader returns a
	 * descriptor whose back-pointer is not a published pgmap.
	 */
	for (i = 0; i < nr; i++) {
		dpidx_page_set_range_raw(&s->region[idx + i], 0);
		dpidx_direct_zero(&s->region[idx + i], 1);
	}
	dpidx_direct_put_blocks(s, first, last);
	dpidx_bitmap_assign(s->units, idx / DPIDX_DIRECT_UNIT_PAGES,
			    DPIDX_DIV_ROUND_UP(nr, DPIDX_DIRECT_UNIT_PAGES), false);
	if (idx / DPIDX_DIRECT_UNIT_PAGES < s->free_hint)
		s->free_hint = idx / DPIDX_DIRECT_UNIT_PAGES;
	s->nr_ranges--;
	s->nr_pages -= nr;
}

/**
 * dpidx_direct_unmap() - unmap a range.
 * @s:     the space.
 * @pgmap: a range mapped in @s.
 *
 * Later lookups of its values return NULL at once; after a grace period,
 * before this returns, its descriptors read as zeros again, its offsets are
 * free and a block it was the last range on is depopulated.  The caller may
 * then free @pgmap.
 *
 * Context: may sleep (waits for a grace period, holding the space's lock);
 * must not be called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @s.
 */
static inline int dpidx_direct_unmap(struct dpidx_direct *s, struct dpidx_pgmap *pgmap)
{
	unsigned long idx, nr;

	if (!s || !pgmap)
		return -EINVAL;
	dpidx_lock(&s->lock);
	idx = dpidx_direct_owned(s, pgmap);
	if (idx >= s->nr_offsets) {
		dpidx_unlock(&s->lock);
		return -ENOENT;
	}
	nr = dpidx_direct_unpublish(s, idx, pgmap);
	dpidx_pgmap_retire(pgmap);
	/*
	 * The grace period under the lock: the offsets and blocks are then
	 * released in the same critical section, so no other writer can take
	 * the lock in between and starve this unmap (writers that retake a
	 * contended mutex after a grace period lose it to spinning callers).
	 * Readers never take the lock.
	 */
	dpidx_synchronize_rcu();	/* readers that found a descriptor are done */
	dpidx_direct_release(s, idx, nr);
	dpidx_unlock(&s->lock);
	dpidx_pgmap_unclaim(pgmap);
	return 0;
}

/**
 * dpidx_direct_destroy() - unmap everything and free the space.
 * @s: the space; no writer may run concurrently.
 *
 * Later lookups return NULL at once; readers still inside a section finish
 * first; the ranges left mapped are released (their pgmaps can be mapped
 * again); the region is unmapped.
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_direct_destroy(struct dpidx_direct *s)
{
	unsigned long nr, u, idx, grown;
	struct dpidx_pgmap *pgmap, *prev = NULL;

	if (!s || !s->nr_offsets)
		return;
	nr = s->nr_offsets;
	dpidx_lock(&s->lock);
	WRITE_ONCE(s->nr_offsets, 0);	/* every later lookup: NULL */
	dpidx_unlock(&s->lock);
	dpidx_synchronize_rcu();

	/* Every range starts on a unit: visit the first descriptor of each. */
	grown = s->nr_grown * DPIDX_DIRECT_UNITS_PER_BLOCK;
	for (u = 0; (u = dpidx_bitmap_next(s->units, grown, u, true)) < grown; u++) {
		idx = u * DPIDX_DIRECT_UNIT_PAGES;
		pgmap = dpidx_page_range(&s->region[idx]);
		if (!pgmap || pgmap == prev)
			continue;
		prev = pgmap;
		dpidx_pgmap_unclaim(pgmap);
	}
	for (u = 0; u < s->nr_grown; u++)
		if (s->blocks[u].ranges) {
			s->blocks[u].ranges = 1;
			dpidx_direct_put_blocks(s, u, u);
		}
	dpidx_direct_region_release(s, nr * sizeof(struct dpidx_page));
	dpidx_free(s->units);
	dpidx_free(s->blocks);
	dpidx_lock_destroy(&s->lock);
	s->units = NULL;
	s->blocks = NULL;
	s->nr_grown = 0;
	s->free_hint = 0;
	s->nr_ranges = 0;
	s->nr_pages = 0;
	/* s->region stays: a racing reader that read the old bound is done. */
}

/**
 * dpidx_direct_check() - verify the structural invariants.
 * @s: the space.
 *
 * Every run of allocated units is a sequence of ranges, each starting on a
 * unit (512-aligned when it has 512 pages or more) whose first and last
 * descriptors point back at a pgmap that claims @s with that base and those
 * pages, and whose unit tail and free units read NULL back-pointers at their
 * first index; a block's count is the number of ranges on it, and a block
 * is populated iff some range uses it.  O(ranges + bitmap words): it reads
 * two descriptors per range, not all of them.
 *
 * Context: takes the space's lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation (-ENOMEM when it cannot
 * allocate its scratch counts).
 */
static inline int dpidx_direct_check(struct dpidx_direct *s)
{
	const unsigned long up = DPIDX_DIRECT_UNIT_PAGES;
	unsigned long u = 0, end, idx, n, blk, nr_ranges = 0, nr_pages = 0, populated = 0;
	unsigned long grown;
	struct dpidx_pgmap *pgmap;
	unsigned int *counts;
	int err = 0;

	if (!s->nr_offsets)
		return s->nr_ranges ? -EUCLEAN : 0;
	dpidx_lock(&s->lock);
	counts = (unsigned int *)dpidx_zalloc(s->nr_grown * sizeof(*counts), -1);
	if (!counts) {
		dpidx_unlock(&s->lock);
		return -ENOMEM;
	}
	grown = s->nr_grown * DPIDX_DIRECT_UNITS_PER_BLOCK;
	if (s->nr_grown > s->nr_blocks ||
	    s->free_hint > dpidx_bitmap_next(s->units, grown, 0, false))
		err = -EUCLEAN;			/* a free unit below the hint */
	while (!err && (u = dpidx_bitmap_next(s->units, grown, u, true)) < grown) {
		if (u && dpidx_page_range(&s->region[u * up - up]))
			err = -EUCLEAN;		/* the free unit before reads NULL */
		end = dpidx_bitmap_next(s->units, grown, u, false);
		for (; !err && u < end; u += DPIDX_DIV_ROUND_UP(n, up)) {
			idx = u * up;
			pgmap = dpidx_page_range(&s->region[idx]);
			n = pgmap ? pgmap->nr_mapped : 0;
			if (!pgmap || READ_ONCE(pgmap->space) != s ||
			    pgmap->base != (DPIDX_DIRECT_BIT | idx) ||
			    pgmap->pages != &s->region[idx] || !n ||
			    (n >= DPIDX_PMD_PAGES && idx % DPIDX_PMD_PAGES) ||
			    idx + n > end * up ||
			    dpidx_page_range(&s->region[idx + n - 1]) != pgmap ||
			    ((idx + n) % up && dpidx_page_range(&s->region[idx + n]))) {
				err = -EUCLEAN;
				break;
			}
			for (blk = idx / DPIDX_DIRECT_BLOCK_PAGES;
			     blk <= (idx + n - 1) / DPIDX_DIRECT_BLOCK_PAGES; blk++)
				counts[blk]++;
			nr_ranges++;
			nr_pages += n;
		}
		if (!err && u != end)
			err = -EUCLEAN;		/* a range ran past its units */
		if (!err && end < s->nr_units && dpidx_page_range(&s->region[end * up]))
			err = -EUCLEAN;
	}
	for (blk = 0; !err && blk < s->nr_grown; blk++) {
		if (counts[blk] != s->blocks[blk].ranges)
			err = -EUCLEAN;
		populated += !!counts[blk];
	}
	if (!err && (nr_ranges != s->nr_ranges || nr_pages != s->nr_pages ||
		     populated != s->nr_populated))
		err = -EUCLEAN;
	dpidx_unlock(&s->lock);
	dpidx_free(counts);
	return err;
}

/*
 * Bytes of index: the allocator's bitmap and block table, and the page
 * tables that map the populated blocks, counted as the kernel maps vmemmap
 * (one 8-byte PMD entry per 2 MiB block, one 4 KiB PMD table per GiB of
 * region that has a populated block).  Descriptors excluded.  In mm/ the
 * PMD tables of the holes add 1/4096 byte per index, in a kernel module the
 * region's 4 KiB PTEs 1/8 byte per index (see above).
 */
static inline unsigned long dpidx_direct_index_bytes(struct dpidx_direct *s)
{
	const unsigned long blocks_per_gib = (1UL << 30) / DPIDX_DIRECT_BLOCK_BYTES;
	unsigned long bytes, blk, tables = 0, last_gib = ~0UL;

	if (!s->nr_offsets)
		return 0;
	dpidx_lock(&s->lock);
	bytes = s->nr_grown * (DPIDX_DIRECT_UNITS_PER_BLOCK / 8 + sizeof(*s->blocks));
	for (blk = 0; blk < s->nr_grown; blk++) {
		if (!s->blocks[blk].ranges)
			continue;
		bytes += 8;
		if (blk / blocks_per_gib != last_gib) {
			last_gib = blk / blocks_per_gib;
			tables++;
		}
	}
	dpidx_unlock(&s->lock);
	return bytes + tables * 4096;
}

#endif /* !__KERNEL__ || CONFIG_X86_64 */
#endif /* DPIDX_DIRECT_H */
