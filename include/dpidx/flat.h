/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/flat.h - the flat encoding: one chunk-granular array, one load.
 *
 * Coding conventions in this file:
 *   @s       the space (struct dpidx_flat)
 *   @t       a table snapshot (struct dpidx_flat_table)
 *   @offset  a device-private offset, any unsigned long
 *   @chunk   offset >> DPIDX_FLAT_CHUNK_SHIFT: 512 offsets, one PMD folio
 *   @entry   the packed word of one chunk (see below)
 *   @pgmap   a caller's range
 *
 * Layout:
 *
 *   s->table ---> +-----------+
 *                 | nr_chunks |
 *                 +-----------+     +------------------------------------+
 *   chunk 0       | entry ----+---->| pages[0..511] of range A (64 B each)|
 *   chunk 1       | entry ----+---->| pages[512..1023] of range A         |
 *   chunk 2       |     0     |     +------------------------------------+
 *   chunk 3       | entry ----+---->| pages[0..9] of range B             |
 *                 +-----------+     +------------------------------------+
 *
 * Offsets are handed out in whole chunks, first fit, so every range starts
 * on a 512-offset boundary (the PMD alignment API.md asks for comes free)
 * and only a range's last chunk can be partly used.  An entry packs, in one
 * word, the address of the chunk's first descriptor and how many of the
 * chunk's 512 offsets are mapped (0 = none):
 *
 *    63                                         13 12      10 9        0
 *   +---------------------------------------------+----------+----------+
 *   |  descriptor address << 7 (bits 56..6 of it) |    0     | nr 0-512 |
 *   +---------------------------------------------+----------+----------+
 *
 * Descriptors are 64-byte aligned (6 low zero bits) and kernel and user
 * addresses are sign-extended from bit 56 or lower (57-bit LA57 at most), so
 * shifting left by 7 loses nothing; an arithmetic right shift restores the
 * address.  One word means a reader can never pair a new address with an
 * old count: the entry is read with a single load.
 *
 * Reader (offset_to_page, lookup_range): under rcu_read_lock(), no lock, no
 * retry, no store.  Loads @t with consume ordering, bounds-checks @chunk,
 * loads @entry with consume ordering, bounds-checks the in-chunk index.  The
 * offset -> descriptor chain is s->table -> t->entries[chunk] -> descriptor:
 * one dependent load from the (usually cold) table before the descriptor.
 *
 * Writers (init, map, unmap, destroy): serialised by @s->lock.
 *   map:   descriptors are allocated and initialised first, outside the lock;
 *          entries are stored with release ordering, so a reader that sees an
 *          entry sees initialised descriptors and @pgmap->base.
 *   unmap: entries are zeroed, the lock dropped, then synchronize_rcu(); only
 *          then are descriptors poisoned/freed and @pgmap released, so a
 *          reader's descriptor (and its back-pointer to @pgmap) stays valid
 *          until its section ends, and the caller may free @pgmap on return.
 *   grow:  a bigger table is filled from the old one and published with
 *          rcu_assign_pointer(); the old one is freed after a grace period.
 *
 * Costs: 8 bytes of index per 512 offsets of offset space (64 GiB of device
 * memory per 1 MiB of table); memory grows with the offset space in use,
 * not with the number of pages mapped.  A range of n pages uses
 * DIV_ROUND_UP(n, 512) chunks, so a 1-page range costs a whole chunk of
 * offset space (but no descriptors beyond its own).
 */
#ifndef DPIDX_FLAT_H
#define DPIDX_FLAT_H

#include "types.h"
#include "pte.h"
#include "bitmap.h"

#define DPIDX_FLAT_CHUNK_SHIFT		9
#define DPIDX_FLAT_CHUNK_PAGES		(1UL << DPIDX_FLAT_CHUNK_SHIFT)
#define DPIDX_FLAT_SWAP_TYPES		DPIDX_V6_SWAP_TYPES
/* The offset space: what a v6 swap entry can carry below the A/D bits. */
#define DPIDX_FLAT_MAX_PAGES		DPIDX_V6_MAX_OFFSETS
#define DPIDX_FLAT_MAX_CHUNKS		(DPIDX_FLAT_MAX_PAGES >> DPIDX_FLAT_CHUNK_SHIFT)
/* Largest table init() allocates up front (8 MiB); more comes by growth. */
#define DPIDX_FLAT_INIT_CHUNKS_MAX	(1UL << 20)

#define DPIDX_FLAT_ENTRY_PTR_SHIFT	7
#define DPIDX_FLAT_ENTRY_NR_MASK	((1UL << (6 + DPIDX_FLAT_ENTRY_PTR_SHIFT)) - 1)

dpidx_static_assert(DPIDX_FLAT_CHUNK_PAGES <= DPIDX_FLAT_ENTRY_NR_MASK,
		    "the per-chunk page count must fit under the address");
dpidx_static_assert(DPIDX_FLAT_CHUNK_PAGES == DPIDX_PMD_PAGES,
		    "a chunk is one PMD folio: ranges >= 512 pages come aligned");

struct dpidx_flat_table {
	unsigned long nr_chunks;
	unsigned long entries[];
};

struct dpidx_flat {
	/* Read by every lookup: alone on its cache line. */
	struct dpidx_flat_table __rcu *table;
	/* Writer side, under @lock. */
	struct dpidx_lock lock dpidx_cacheline_aligned;
	unsigned long *used;		/* one bit per chunk of the table */
	unsigned long max_chunks;	/* the offset space, in chunks */
	unsigned long first_free;	/* no free chunk below this */
	unsigned long nr_ranges;
	unsigned long nr_pages;
};

/* Published by destroy() so that late readers find nothing. */
static const struct dpidx_flat_table dpidx_flat_empty_table = { 0 };

static inline unsigned long dpidx_flat_entry(const struct dpidx_page *pages,
					     unsigned long nr)
{
	return ((unsigned long)pages << DPIDX_FLAT_ENTRY_PTR_SHIFT) | nr;
}

static inline unsigned long dpidx_flat_entry_nr(unsigned long entry)
{
	return entry & DPIDX_FLAT_ENTRY_NR_MASK;
}

static inline struct dpidx_page *dpidx_flat_entry_pages(unsigned long entry)
{
	/* Arithmetic shift: sign-extends kernel addresses back. */
	return (struct dpidx_page *)((long)(entry & ~DPIDX_FLAT_ENTRY_NR_MASK) >>
				     DPIDX_FLAT_ENTRY_PTR_SHIFT);
}

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
	const struct dpidx_flat_table *t = dpidx_rcu_dereference(s->table);
	unsigned long chunk = offset >> DPIDX_FLAT_CHUNK_SHIFT;
	unsigned long index = offset & (DPIDX_FLAT_CHUNK_PAGES - 1);
	unsigned long entry;

	if (unlikely(chunk >= t->nr_chunks))
		return NULL;
	/* Consume: the descriptor loads depend on this one. */
	entry = dpidx_load_consume(&t->entries[chunk]);
	if (unlikely(index >= dpidx_flat_entry_nr(entry)))
		return NULL;
	return dpidx_flat_entry_pages(entry) + index;
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
	const struct dpidx_flat_table *t = dpidx_rcu_dereference(s->table);
	unsigned long done = 0;

	while (done < n) {
		unsigned long o = offset + done;
		unsigned long chunk = o >> DPIDX_FLAT_CHUNK_SHIFT;
		unsigned long index = o & (DPIDX_FLAT_CHUNK_PAGES - 1);
		unsigned long run = DPIDX_FLAT_CHUNK_PAGES - index;
		unsigned long entry = 0, nr, i;
		struct dpidx_page *base;

		if (run > n - done)
			run = n - done;
		if (likely(chunk < t->nr_chunks))
			entry = dpidx_load_consume(&t->entries[chunk]);
		nr = dpidx_flat_entry_nr(entry);
		base = dpidx_flat_entry_pages(entry);
		for (i = 0; i < run; i++)
			pages[done + i] = index + i < nr ? base + index + i : NULL;
		done += run;
	}
	return n;
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
	if (unlikely(!dpidx_flat_swp_pte_is_device_private(pte)))
		return NULL;
	return dpidx_flat_offset_to_page(s, dpidx_flat_swp_pte_offset(pte));
}

/* ---- writer side -------------------------------------------------------- */

static inline struct dpidx_flat_table *dpidx_flat_table(struct dpidx_flat *s)
{
	return dpidx_rcu_dereference_protected(s->table);
}

static inline struct dpidx_flat_table *dpidx_flat_table_alloc(unsigned long nr)
{
	struct dpidx_flat_table *t;

	t = (struct dpidx_flat_table *)dpidx_vmemmap_alloc(
			sizeof(*t) + nr * sizeof(t->entries[0]), -1);
	if (t)
		t->nr_chunks = nr;
	return t;
}

static inline void dpidx_flat_table_free(struct dpidx_flat_table *t)
{
	/* The empty table (nr_chunks 0) is static: never freed. */
	if (t && t->nr_chunks)
		dpidx_vmemmap_free(t, sizeof(*t) + t->nr_chunks * sizeof(t->entries[0]));
}

/**
 * dpidx_flat_init() - an empty flat space.
 * @s:         the space to initialise.
 * @max_pages: pages it must be able to hold, 1 .. DPIDX_FLAT_MAX_PAGES.
 *
 * The offset space is sized so that any set of ranges totalling @max_pages
 * fits, even one page per range; the table starts at what @max_pages needs
 * in whole chunks and grows on demand.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL or -ENOMEM.
 */
static inline int dpidx_flat_init(struct dpidx_flat *s, unsigned long max_pages)
{
	unsigned long nr;

	if (!s || !max_pages || max_pages > DPIDX_FLAT_MAX_PAGES)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->max_chunks = max_pages < DPIDX_FLAT_MAX_CHUNKS ? max_pages :
							    DPIDX_FLAT_MAX_CHUNKS;
	nr = DPIDX_DIV_ROUND_UP(max_pages, DPIDX_FLAT_CHUNK_PAGES);
	if (nr > DPIDX_FLAT_INIT_CHUNKS_MAX)
		nr = DPIDX_FLAT_INIT_CHUNKS_MAX;
	s->table = dpidx_flat_table_alloc(nr);
	s->used = (unsigned long *)dpidx_zalloc(
			DPIDX_BITS_TO_LONGS(nr) * sizeof(unsigned long), -1);
	if (!s->table || !s->used) {
		dpidx_flat_table_free(s->table);
		dpidx_free(s->used);
		s->table = NULL;
		return -ENOMEM;
	}
	dpidx_lock_init(&s->lock);
	return 0;
}

/*
 * Replace the table by one of at least @need chunks.  Everything is
 * allocated before anything is published, so -ENOMEM changes nothing.
 * Called with @s->lock held; synchronize_rcu() under it is fine because
 * readers never take it.
 */
static inline int dpidx_flat_grow(struct dpidx_flat *s, unsigned long need)
{
	struct dpidx_flat_table *old = dpidx_flat_table(s), *t;
	unsigned long nr = old->nr_chunks * 2, *used;

	if (nr < need)
		nr = need;
	if (nr > s->max_chunks)
		nr = s->max_chunks;
	t = dpidx_flat_table_alloc(nr);
	used = (unsigned long *)dpidx_zalloc(
			DPIDX_BITS_TO_LONGS(nr) * sizeof(unsigned long), -1);
	if (!t || !used) {
		dpidx_flat_table_free(t);
		dpidx_free(used);
		return -ENOMEM;
	}
	memcpy(t->entries, old->entries, old->nr_chunks * sizeof(old->entries[0]));
	memcpy(used, s->used,
	       DPIDX_BITS_TO_LONGS(old->nr_chunks) * sizeof(unsigned long));
	/* Release: the copied entries are visible before the new table is. */
	dpidx_rcu_assign_pointer(s->table, t);
	dpidx_free(s->used);
	s->used = used;
	dpidx_synchronize_rcu();	/* no reader still walks @old */
	dpidx_flat_table_free(old);
	return 0;
}

/* First fit for @nr_chunks free chunks, growing the table if needed. */
static inline int dpidx_flat_reserve(struct dpidx_flat *s,
				     unsigned long nr_chunks,
				     unsigned long *first)
{
	struct dpidx_flat_table *t = dpidx_flat_table(s);
	unsigned long chunk;
	int err;

	chunk = dpidx_bitmap_find_free(s->used, t->nr_chunks, s->first_free,
				       nr_chunks, 1, s->max_chunks);
	if (chunk == s->max_chunks)
		return -ENOSPC;
	if (chunk + nr_chunks > t->nr_chunks) {
		err = dpidx_flat_grow(s, chunk + nr_chunks);
		if (err)
			return err;
	}
	dpidx_bitmap_assign(s->used, chunk, nr_chunks, true);
	if (chunk == s->first_free)
		s->first_free = dpidx_bitmap_next(s->used, dpidx_flat_table(s)->nr_chunks,
						  chunk + nr_chunks, false);
	*first = chunk;
	return 0;
}

/* Store (or, with @pages NULL, clear) the entries of a range. */
static inline void dpidx_flat_set_entries(struct dpidx_flat *s,
					  unsigned long chunk,
					  unsigned long nr_pages,
					  const struct dpidx_page *pages)
{
	struct dpidx_flat_table *t = dpidx_flat_table(s);
	unsigned long i, nr, entry;

	for (i = 0; i * DPIDX_FLAT_CHUNK_PAGES < nr_pages; i++) {
		nr = nr_pages - i * DPIDX_FLAT_CHUNK_PAGES;
		if (nr > DPIDX_FLAT_CHUNK_PAGES)
			nr = DPIDX_FLAT_CHUNK_PAGES;
		entry = pages ? dpidx_flat_entry(pages + i * DPIDX_FLAT_CHUNK_PAGES, nr) : 0;
		/*
		 * Release: descriptors and pgmap->base were written before;
		 * a reader that loads the entry sees them.  Clearing needs no
		 * ordering (the grace period orders the free), and a relaxed
		 * store would do, but one form keeps the code single-path.
		 */
		dpidx_store_release(&t->entries[chunk + i], entry);
	}
}

/**
 * dpidx_flat_map() - map a range of device-private pages.
 * @s:     the space.
 * @pgmap: zero-initialised apart from @nr_pages and @owner.
 * @nid:   NUMA node of the descriptors, or -1 for anywhere.
 *
 * Context: may sleep; takes @s->lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap or a bad
 * @nid; -ENOSPC when the offset space has no room; -ENOMEM.  On failure
 * nothing changed.
 */
static inline int dpidx_flat_map(struct dpidx_flat *s, struct dpidx_pgmap *pgmap,
				 int nid)
{
	unsigned long nr_chunks, chunk = 0;
	struct dpidx_page *pages;
	int err;

	err = dpidx_pgmap_check_map(pgmap, nid);
	if (err)
		return err;
	nr_chunks = DPIDX_DIV_ROUND_UP(pgmap->nr_pages, DPIDX_FLAT_CHUNK_PAGES);
	if (pgmap->nr_pages > DPIDX_FLAT_MAX_PAGES || nr_chunks > s->max_chunks)
		return -ENOSPC;
	err = dpidx_pgmap_claim(pgmap, s);
	if (err)
		return err;
	pages = dpidx_pgmap_alloc_pages(pgmap, nid);
	if (!pages) {
		dpidx_pgmap_unclaim(pgmap);
		return -ENOMEM;
	}

	dpidx_lock(&s->lock);
	err = dpidx_flat_reserve(s, nr_chunks, &chunk);
	if (!err) {
		pgmap->pages = pages;
		pgmap->base = chunk << DPIDX_FLAT_CHUNK_SHIFT;
		pgmap->nid = nid;
		dpidx_flat_set_entries(s, chunk, pgmap->nr_pages, pages);
		s->nr_ranges++;
		s->nr_pages += pgmap->nr_pages;
	}
	dpidx_unlock(&s->lock);

	if (err) {
		dpidx_pgmap_free_pages(pgmap, pages);
		dpidx_pgmap_unclaim(pgmap);
	}
	return err;
}

/* Is @pgmap mapped in @s, exactly as it claims?  Under @s->lock. */
static inline bool dpidx_flat_owns(struct dpidx_flat *s,
				   const struct dpidx_pgmap *pgmap)
{
	struct dpidx_flat_table *t = dpidx_flat_table(s);
	unsigned long chunk = pgmap->base >> DPIDX_FLAT_CHUNK_SHIFT;
	unsigned long entry;

	if (READ_ONCE(pgmap->space) != s || !pgmap->pages ||
	    pgmap->base & (DPIDX_FLAT_CHUNK_PAGES - 1) || chunk >= t->nr_chunks)
		return false;
	entry = t->entries[chunk];
	return dpidx_flat_entry_nr(entry) &&
	       dpidx_flat_entry_pages(entry) == pgmap->pages;
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
 * Context: may sleep (waits for a grace period); takes @s->lock; must not be
 * called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @s.
 */
static inline int dpidx_flat_unmap(struct dpidx_flat *s, struct dpidx_pgmap *pgmap)
{
	unsigned long chunk, nr_chunks;

	if (!s || !pgmap)
		return -EINVAL;
	dpidx_lock(&s->lock);
	if (!dpidx_flat_owns(s, pgmap)) {
		dpidx_unlock(&s->lock);
		return -ENOENT;
	}
	chunk = pgmap->base >> DPIDX_FLAT_CHUNK_SHIFT;
	nr_chunks = DPIDX_DIV_ROUND_UP(pgmap->nr_pages, DPIDX_FLAT_CHUNK_PAGES);
	dpidx_flat_set_entries(s, chunk, pgmap->nr_pages, NULL);
	dpidx_bitmap_assign(s->used, chunk, nr_chunks, false);
	if (chunk < s->first_free)
		s->first_free = chunk;
	s->nr_ranges--;
	s->nr_pages -= pgmap->nr_pages;
	dpidx_pgmap_retire(pgmap);
	dpidx_unlock(&s->lock);

	dpidx_synchronize_rcu();	/* readers that found a descriptor are done */
	dpidx_pgmap_free_pages(pgmap, pgmap->pages);
	dpidx_pgmap_unclaim(pgmap);
	return 0;
}

/**
 * dpidx_flat_destroy() - unmap everything and free the space.
 * @s: the space; no writer may run concurrently.
 *
 * Readers still inside a section finish first; the ranges left mapped are
 * released (their pgmaps can be mapped again).
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_flat_destroy(struct dpidx_flat *s)
{
	struct dpidx_flat_table *t;
	unsigned long chunk = 0, entry;
	struct dpidx_pgmap *pgmap;

	if (!s || !s->table)
		return;
	dpidx_lock(&s->lock);
	t = dpidx_flat_table(s);
	dpidx_rcu_assign_pointer(s->table,
				 (struct dpidx_flat_table *)&dpidx_flat_empty_table);
	dpidx_unlock(&s->lock);
	dpidx_synchronize_rcu();

	while (chunk < t->nr_chunks) {
		entry = t->entries[chunk];
		if (!dpidx_flat_entry_nr(entry)) {
			chunk++;
			continue;
		}
		/* Every range starts on a chunk: this is its first one. */
		pgmap = dpidx_page_range(dpidx_flat_entry_pages(entry));
		chunk += DPIDX_DIV_ROUND_UP(pgmap->nr_pages, DPIDX_FLAT_CHUNK_PAGES);
		dpidx_pgmap_free_pages(pgmap, pgmap->pages);
		dpidx_pgmap_unclaim(pgmap);
	}
	dpidx_flat_table_free(t);
	dpidx_free(s->used);
	dpidx_lock_destroy(&s->lock);
	s->table = NULL;
	s->used = NULL;
}

/**
 * dpidx_flat_check() - verify the structural invariants.
 * @s: the space.
 *
 * Every used chunk has an entry and every entry a used chunk; each range's
 * entries point at consecutive 512-descriptor slices of its own descriptors,
 * the first at pgmap->pages, with exact counts; its pgmap says it is mapped
 * here at that base; the counters and the allocator hint agree.
 *
 * Context: takes @s->lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation.
 */
static inline int dpidx_flat_check(struct dpidx_flat *s)
{
	struct dpidx_flat_table *t;
	unsigned long chunk = 0, i, nr, entry, ranges = 0, pages = 0;
	const struct dpidx_pgmap *pgmap;
	int err = 0;

	dpidx_lock(&s->lock);
	t = dpidx_flat_table(s);
	if (!t || t->nr_chunks > s->max_chunks ||
	    dpidx_bitmap_next(s->used, t->nr_chunks, 0, false) < s->first_free)
		err = -EUCLEAN;
	while (!err && chunk < t->nr_chunks) {
		entry = t->entries[chunk];
		if (!entry != !dpidx_bit_test(s->used, chunk)) {
			err = -EUCLEAN;
			break;
		}
		if (!entry) {
			chunk++;
			continue;
		}
		pgmap = dpidx_page_range(dpidx_flat_entry_pages(entry));
		if (pgmap->space != s || pgmap->pages != dpidx_flat_entry_pages(entry) ||
		    pgmap->base != chunk << DPIDX_FLAT_CHUNK_SHIFT ||
		    chunk + DPIDX_DIV_ROUND_UP(pgmap->nr_pages, DPIDX_FLAT_CHUNK_PAGES) >
		    t->nr_chunks) {
			err = -EUCLEAN;
			break;
		}
		for (i = 0; !err && i * DPIDX_FLAT_CHUNK_PAGES < pgmap->nr_pages; i++) {
			nr = pgmap->nr_pages - i * DPIDX_FLAT_CHUNK_PAGES;
			if (nr > DPIDX_FLAT_CHUNK_PAGES)
				nr = DPIDX_FLAT_CHUNK_PAGES;
			if (t->entries[chunk + i] !=
			    dpidx_flat_entry(pgmap->pages + i * DPIDX_FLAT_CHUNK_PAGES, nr) ||
			    !dpidx_bit_test(s->used, chunk + i))
				err = -EUCLEAN;
		}
		chunk += i;
		ranges++;
		pages += pgmap->nr_pages;
	}
	if (!err && (ranges != s->nr_ranges || pages != s->nr_pages))
		err = -EUCLEAN;
	dpidx_unlock(&s->lock);
	return err;
}

/* Bytes of index (table and allocator bitmap), descriptors excluded. */
static inline unsigned long dpidx_flat_index_bytes(struct dpidx_flat *s)
{
	unsigned long nr = dpidx_flat_table(s)->nr_chunks;

	return sizeof(struct dpidx_flat_table) + nr * sizeof(unsigned long) +
	       DPIDX_BITS_TO_LONGS(nr) * sizeof(unsigned long);
}

#endif /* DPIDX_FLAT_H */
