/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/flat.h - the flat encoding: one chunk-granular array, one load.
 *
 * The simplest baseline: offsets are dense from 0, handed out in chunks of
 * 512 (one PMD folio, 2 MiB of device memory), and a flat table has one
 * packed word per chunk: the chunk's descriptor address and its last mapped
 * index (chunktab.h has the layout, the reader/writer rules and the proofs
 * of ordering).  offset -> descriptor is
 *
 *     entry = table[offset >> 9];  page = addr(entry) + (offset & 511)
 *
 * with one bounds check on each side: one dependent load before the
 * descriptor.  Swap PTEs follow v6 of the upstream series: three
 * device-private types and three device-private migration types (6 in all,
 * MAX_SWAPFILES 21), the offset stored as is.
 *
 * Coding conventions: @s the space, @offset a device-private offset (any
 * unsigned long), @pgmap a caller's range.
 *
 * Costs: 8 bytes of table per 512 offsets of offset space in use (1 MiB of
 * table per 64 GiB of device memory), grown by copy and RCU republish;
 * memory follows the offset space, not the pages mapped.  A range of n pages
 * takes DIV_ROUND_UP(n, 512) chunks, so a 1-page range costs a whole chunk
 * of offset space (but no descriptors beyond its own).  Ranges of 512 pages
 * or more come 512-aligned for free.
 *
 * Capacity: init(max_pages) accepts 1 .. DPIDX_FLAT_MAX_PAGES (2^33 pages,
 * 32 TiB) and sizes the offset space for max_pages pages in any mix of up
 * to DPIDX_FLAT_MAX_RANGES (2^24) ranges: ceil(max_pages / 512) chunks for
 * the pages plus one partial chunk per range.
 */
#ifndef DPIDX_FLAT_H
#define DPIDX_FLAT_H

#include "types.h"
#include "pte.h"
#include "chunktab.h"

#define DPIDX_FLAT_CHUNK_SHIFT		9
#define DPIDX_FLAT_CHUNK_PAGES		(1UL << DPIDX_FLAT_CHUNK_SHIFT)
#define DPIDX_FLAT_SWAP_TYPES		DPIDX_V6_SWAP_TYPES
/* Takes caller-provided descriptors (DPIDX_PGMAP_CALLER_PAGES). */
#define DPIDX_FLAT_CALLER_PAGES	1
/* The offset space: what a v6 swap entry can carry below the A/D bits. */
#define DPIDX_FLAT_MAX_OFFSETS		DPIDX_V6_MAX_OFFSETS
#define DPIDX_FLAT_MAX_CHUNKS		(DPIDX_FLAT_MAX_OFFSETS >> DPIDX_FLAT_CHUNK_SHIFT)
/*
 * Capacity.  A range takes whole chunks, so n ranges totalling p pages
 * take at most p / 512 + n chunks (each range wastes less than one).  With
 * at most DPIDX_FLAT_MAX_RANGES ranges, max_pages up to DPIDX_FLAT_MAX_PAGES
 * always fits the 2^25 chunks a v6 entry can address: 2^24 + 2^24.
 */
#define DPIDX_FLAT_MAX_RANGES		(DPIDX_FLAT_MAX_CHUNKS / 2)
#define DPIDX_FLAT_MAX_PAGES		(DPIDX_FLAT_MAX_RANGES << DPIDX_FLAT_CHUNK_SHIFT)
/* Largest table init() allocates up front (8 MiB); more comes by growth. */
#define DPIDX_FLAT_INIT_CHUNKS_MAX	(1UL << 20)

dpidx_static_assert(DPIDX_FLAT_CHUNK_SHIFT <= DPIDX_CT_MAX_SHIFT,
		    "a chunk's last index must fit under the address");
dpidx_static_assert(DPIDX_FLAT_CHUNK_PAGES == DPIDX_PMD_PAGES,
		    "a chunk is one PMD folio: ranges >= 512 pages come aligned");
dpidx_static_assert(DPIDX_FLAT_MAX_PAGES / DPIDX_FLAT_CHUNK_PAGES +
		    DPIDX_FLAT_MAX_RANGES <= DPIDX_FLAT_MAX_CHUNKS,
		    "max_pages in MAX_RANGES ranges fits the offset space");

struct dpidx_flat {
	struct dpidx_chunktab ct;	/* first: a pgmap's space is &s->ct == s */
};

/**
 * dpidx_flat_offset_to_page() - the descriptor of a device-private offset.
 * @s:      the space.
 * @offset: any value.
 *
 * Context: inside rcu_read_lock(); never blocks, never retries, never
 * writes.  The descriptor stays valid until the read-side section ends.
 * Return: the descriptor, or NULL when @offset lies in no mapped range.
 */
static inline struct dpidx_page *
dpidx_flat_offset_to_page(struct dpidx_flat *s, unsigned long offset)
{
	return dpidx_chunktab_lookup(&s->ct, offset, DPIDX_FLAT_CHUNK_SHIFT);
}

/**
 * dpidx_flat_page_to_offset() - the offset of a descriptor.
 * @page: a descriptor returned by a lookup or found in a mapped pgmap.
 *
 * Context: any; @page must be valid (see dpidx_flat_offset_to_page()).
 * Return: its offset.  No index access: the descriptor points at its range.
 */
static inline unsigned long dpidx_flat_page_to_offset(const struct dpidx_page *page)
{
	return dpidx_page_offset(page);
}

/**
 * dpidx_flat_lookup_range() - resolve @n consecutive offsets.
 * @s:      the space.
 * @offset: the first offset.
 * @n:      how many.
 * @pages:  out: pages[i] = dpidx_flat_offset_to_page(s, offset + i).
 *
 * One entry load per chunk crossed, not per page: the hmm_range_fault() path.
 * Context: inside rcu_read_lock().
 * Return: @n.
 */
static inline unsigned long dpidx_flat_lookup_range(struct dpidx_flat *s,
						    unsigned long offset,
						    unsigned long n,
						    struct dpidx_page **pages)
{
	return dpidx_chunktab_lookup_range(&s->ct, offset, n, pages,
					   DPIDX_FLAT_CHUNK_SHIFT, 0);
}

static inline uint64_t dpidx_flat_make_swp_pte(unsigned long offset,
					       enum dpidx_kind kind)
{
	return dpidx_v6_make_swp_pte(offset, kind);
}

static inline bool dpidx_flat_swp_pte_is_device_private(uint64_t pte)
{
	return dpidx_v6_swp_pte_is_device_private(pte);
}

static inline enum dpidx_kind dpidx_flat_swp_pte_kind(uint64_t pte)
{
	return dpidx_v6_swp_pte_kind(pte);
}

static inline unsigned long dpidx_flat_swp_pte_offset(uint64_t pte)
{
	return dpidx_v6_swp_pte_offset(pte);
}

/**
 * dpidx_flat_swp_pte_to_page() - the whole fault-path resolution.
 * @s:   the space.
 * @pte: any 64-bit value.
 *
 * Context: inside rcu_read_lock().
 * Return: the descriptor, or NULL unless @pte is a device-private entry of a
 * mapped offset.
 */
static inline struct dpidx_page *dpidx_flat_swp_pte_to_page(struct dpidx_flat *s,
							    uint64_t pte)
{
	/* Keys past the 34-bit payload fail the chunk-table bounds check. */
	return dpidx_flat_offset_to_page(s, dpidx_v6_swp_pte_key(pte));
}

/**
 * dpidx_flat_init() - an empty flat space.
 * @s:         the space to initialise.
 * @max_pages: pages it must be able to hold, 1 .. DPIDX_FLAT_MAX_PAGES.
 *
 * The offset space is sized so that any set of ranges totalling @max_pages
 * fits, in up to DPIDX_FLAT_MAX_RANGES ranges of any sizes: a chunk per 512
 * pages plus one per range; the table starts at what @max_pages needs in
 * whole chunks (at most DPIDX_FLAT_INIT_CHUNKS_MAX) and grows on demand.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL (NULL, 0 or more than DPIDX_FLAT_MAX_PAGES) or
 * -ENOMEM.
 */
static inline int dpidx_flat_init(struct dpidx_flat *s, unsigned long max_pages)
{
	unsigned long max_chunks, nr;

	if (!s || !max_pages || max_pages > DPIDX_FLAT_MAX_PAGES)
		return -EINVAL;
	nr = DPIDX_DIV_ROUND_UP(max_pages, DPIDX_FLAT_CHUNK_PAGES);
	max_chunks = nr + (max_pages < DPIDX_FLAT_MAX_RANGES ?
			   max_pages : DPIDX_FLAT_MAX_RANGES);
	if (nr > DPIDX_FLAT_INIT_CHUNKS_MAX)
		nr = DPIDX_FLAT_INIT_CHUNKS_MAX;
	return dpidx_chunktab_init(&s->ct, max_chunks, nr);
}

/**
 * dpidx_flat_map() - map a range of device-private pages.
 * @s:     the space.
 * @pgmap: zero-initialised apart from @nr_pages and @owner.
 * @nid:   NUMA node of the descriptors, or -1 for anywhere.
 *
 * Context: may sleep; takes the space's lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap or a bad
 * @nid; -ENOSPC when the offset space has no room; -ENOMEM.  On failure
 * nothing changed.
 */
static inline int dpidx_flat_map(struct dpidx_flat *s, struct dpidx_pgmap *pgmap,
				 int nid)
{
	if (!s)
		return -EINVAL;
	return dpidx_chunktab_map(&s->ct, pgmap, nid, DPIDX_FLAT_CHUNK_SHIFT, 0);
}

/**
 * dpidx_flat_unmap() - unmap a range.
 * @s:     the space.
 * @pgmap: a range mapped in @s.
 *
 * Later lookups of its offsets return NULL at once; its descriptors are freed
 * after a grace period, before this returns, so the caller may then free
 * @pgmap.  Its offsets may be reused by a later map.
 *
 * Context: may sleep (waits for a grace period); takes the space's lock;
 * must not be called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @s.
 */
static inline int dpidx_flat_unmap(struct dpidx_flat *s, struct dpidx_pgmap *pgmap)
{
	if (!s)
		return -EINVAL;
	return dpidx_chunktab_unmap(&s->ct, pgmap, DPIDX_FLAT_CHUNK_SHIFT, 0);
}

/**
 * dpidx_flat_destroy() - unmap everything and free the space.
 * @s: the space; no writer may run concurrently.
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_flat_destroy(struct dpidx_flat *s)
{
	if (s)
		dpidx_chunktab_destroy(&s->ct, DPIDX_FLAT_CHUNK_SHIFT);
}

/**
 * dpidx_flat_check() - verify the structural invariants (chunktab.h).
 * @s: the space.
 *
 * Context: takes the space's lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation.
 */
static inline int dpidx_flat_check(struct dpidx_flat *s)
{
	return dpidx_chunktab_check(&s->ct, DPIDX_FLAT_CHUNK_SHIFT, 0);
}

/* Bytes of index (table and allocator bitmap), descriptors excluded. */
static inline unsigned long dpidx_flat_index_bytes(struct dpidx_flat *s)
{
	return dpidx_chunktab_index_bytes(&s->ct);
}

#endif /* DPIDX_FLAT_H */
