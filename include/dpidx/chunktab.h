/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/chunktab.h - the chunk table: one packed word per chunk of offset
 * space, resolved with a single load.  The machinery the flat and tag
 * encodings share; they differ only in the chunk size and in where the
 * offset space starts (tag's offsets carry the tag bit).
 *
 * Coding conventions in this file:
 *   @ct      the chunk table (struct dpidx_chunktab)
 *   @t       a table snapshot (struct dpidx_chunktab_table)
 *   @shift   log2 of the pages per chunk, at most DPIDX_CT_MAX_SHIFT; a
 *            compile-time constant at every call site
 *   @origin  the offset of chunk 0's first page: 0 for flat, the tag bit
 *            for tag; key = offset ^ origin
 *   @chunk   key >> @shift
 *   @index   key & ((1 << @shift) - 1): the page within its chunk
 *   @entry   the packed word of one chunk (see below)
 *   @pgmap   a caller's range
 *
 * Layout:
 *
 *   ct->table --> +-----------+
 *                 | nr_chunks |
 *                 +-----------+     +-------------------------------------+
 *   chunk 0       | entry ----+---->| pages[0..C-1] of range A (64 B each) |
 *   chunk 1       | entry ----+---->| pages[C..2C-1] of range A           |
 *   chunk 2       |     0     |     +-------------------------------------+
 *   chunk 3       | entry ----+---->| pages[0..9] of range B              |
 *                 +-----------+     +-------------------------------------+
 *
 * Offsets are handed out in whole chunks, first fit, so every range starts
 * on a chunk boundary and only its last chunk can be partly used.  An entry
 * packs, in one word, the address of the chunk's first descriptor and the
 * index of its last mapped page; an empty chunk's entry is 0:
 *
 *    63                                         13 12                 0
 *   +---------------------------------------------+-------------------+
 *   |  descriptor address << 7 (bits 56..6 of it) |  nr - 1 (< 8192)  |
 *   +---------------------------------------------+-------------------+
 *
 * Descriptors are 64-byte aligned (6 low zero bits) and kernel and user
 * addresses are sign-extended from bit 56 or lower (57-bit LA57 at most), so
 * shifting left by 7 loses nothing; an arithmetic right shift restores the
 * address.  One word means a reader can never pair a new address with an
 * old count.  13 bits bound chunks at 8192 pages; bigger chunks would need a
 * second word or a per-range record: a second dependent load.
 *
 * Reader (lookup, lookup_range): under rcu_read_lock(), no lock, no retry,
 * no store.  Loads @t with consume ordering, bounds-checks @chunk, loads
 * @entry with consume ordering, bounds-checks @index.  The chain is
 * ct->table -> t->entries[chunk] -> descriptor: one dependent load from the
 * (usually cold) table before the descriptor.
 *
 * Writers (init, map, unmap, destroy): serialised by @ct->lock.
 *   map:   the pgmap is claimed, descriptors are allocated and initialised
 *          outside the lock; entries are stored with release ordering, so a
 *          reader that sees an entry sees initialised descriptors and
 *          @pgmap->base.
 *   unmap: entries are zeroed and the pgmap marked retiring under the lock,
 *          the lock dropped, then synchronize_rcu(); only then are the
 *          descriptors poisoned/freed and @pgmap released, so a reader's
 *          descriptor (and its back-pointer to @pgmap) stays valid until its
 *          section ends, and the caller may free @pgmap on return.
 *   grow:  a bigger table is filled from the old one and published with
 *          rcu_assign_pointer(); the old one is freed after a grace period.
 */
#ifndef DPIDX_CHUNKTAB_H
#define DPIDX_CHUNKTAB_H

#include "types.h"
#include "bitmap.h"

#define DPIDX_CT_ENTRY_PTR_SHIFT	7
#define DPIDX_CT_MAX_SHIFT		(6 + DPIDX_CT_ENTRY_PTR_SHIFT)
#define DPIDX_CT_ENTRY_LAST_MASK	((1UL << DPIDX_CT_MAX_SHIFT) - 1)

struct dpidx_chunktab_table {
	unsigned long nr_chunks;
	unsigned long entries[];
};

struct dpidx_chunktab {
	/* Read by every lookup: alone on its cache line. */
	struct dpidx_chunktab_table __rcu *table;
	/* Writer side, under @lock. */
	struct dpidx_lock lock dpidx_cacheline_aligned;
	unsigned long *used;		/* one bit per chunk of the table */
	unsigned long max_chunks;	/* the offset space, in chunks */
	unsigned long first_free;	/* no free chunk below this */
	unsigned long nr_ranges;
	unsigned long nr_pages;
};

/* Published by destroy() so that late readers find nothing; never freed. */
static const struct dpidx_chunktab_table dpidx_chunktab_empty = { 0 };

/* @nr: 1 .. 1 << DPIDX_CT_MAX_SHIFT pages of the chunk mapped. */
static inline unsigned long dpidx_chunktab_entry(const struct dpidx_page *pages,
						 unsigned long nr)
{
	return ((unsigned long)pages << DPIDX_CT_ENTRY_PTR_SHIFT) | (nr - 1);
}

/* Index of the chunk's last mapped page; meaningful for a non-zero entry. */
static inline unsigned long dpidx_chunktab_entry_last(unsigned long entry)
{
	return entry & DPIDX_CT_ENTRY_LAST_MASK;
}

/* The chunk's first descriptor as an address; 0 for an empty entry. */
static inline unsigned long dpidx_chunktab_entry_addr(unsigned long entry)
{
	/* Arithmetic shift: sign-extends kernel addresses back. */
	return (unsigned long)((long)(entry & ~DPIDX_CT_ENTRY_LAST_MASK) >>
			       DPIDX_CT_ENTRY_PTR_SHIFT);
}

static inline struct dpidx_page *dpidx_chunktab_entry_pages(unsigned long entry)
{
	return (struct dpidx_page *)dpidx_chunktab_entry_addr(entry);
}

/**
 * dpidx_chunktab_lookup() - the descriptor at @key.
 * @ct:    the chunk table.
 * @key:   offset ^ origin; any value.
 * @shift: log2 pages per chunk.
 *
 * Context: inside rcu_read_lock(); never blocks, never retries, never writes.
 * Return: the descriptor, or NULL when @key lies in no mapped range.
 */
static inline struct dpidx_page *
dpidx_chunktab_lookup(struct dpidx_chunktab *ct, unsigned long key,
		      unsigned int shift)
{
	const struct dpidx_chunktab_table *t = dpidx_rcu_dereference(ct->table);
	unsigned long chunk = key >> shift;
	unsigned long index = key & ((1UL << shift) - 1);
	unsigned long entry;

	if (unlikely(chunk >= t->nr_chunks))
		return NULL;
	/* Consume: the descriptor loads depend on this one. */
	entry = dpidx_load_consume(&t->entries[chunk]);
	if (unlikely(index > dpidx_chunktab_entry_last(entry)))
		return NULL;
	/*
	 * An empty entry (0) passes the check only for index 0 and yields
	 * address 0 + 0 = NULL: no separate emptiness test.  Integer
	 * arithmetic, so no pointer arithmetic on NULL either.
	 */
	return (struct dpidx_page *)(dpidx_chunktab_entry_addr(entry) +
				     index * sizeof(struct dpidx_page));
}

/**
 * dpidx_chunktab_lookup_range() - resolve @n consecutive offsets.
 * @ct:     the chunk table.
 * @offset: the first offset.
 * @n:      how many.
 * @pages:  out: pages[i] = the descriptor of @offset + i, or NULL.
 * @shift:  log2 pages per chunk.
 * @origin: the offset of chunk 0 (its bits lie above every chunk bit).
 *
 * One entry load per chunk crossed, not per page.
 * Context: inside rcu_read_lock().
 * Return: @n.
 */
static inline unsigned long
dpidx_chunktab_lookup_range(struct dpidx_chunktab *ct, unsigned long offset,
			    unsigned long n, struct dpidx_page **pages,
			    unsigned int shift, unsigned long origin)
{
	const struct dpidx_chunktab_table *t = dpidx_rcu_dereference(ct->table);
	unsigned long done = 0;

	while (done < n) {
		unsigned long key = (offset + done) ^ origin;
		unsigned long chunk = key >> shift;
		unsigned long index = key & ((1UL << shift) - 1);
		unsigned long run = (1UL << shift) - index;
		unsigned long entry = 0, nr = 0, i;
		struct dpidx_page *base = NULL;

		if (run > n - done)
			run = n - done;
		if (likely(chunk < t->nr_chunks))
			entry = dpidx_load_consume(&t->entries[chunk]);
		if (entry) {
			nr = dpidx_chunktab_entry_last(entry) + 1;
			base = dpidx_chunktab_entry_pages(entry);
		}
		for (i = 0; i < run; i++)
			pages[done + i] = index + i < nr ? base + index + i : NULL;
		done += run;
	}
	return n;
}

/* ---- writer side -------------------------------------------------------- */

static inline struct dpidx_chunktab_table *dpidx_chunktab_protected(struct dpidx_chunktab *ct)
{
	return dpidx_rcu_dereference_protected(ct->table);
}

static inline struct dpidx_chunktab_table *dpidx_chunktab_table_alloc(unsigned long nr)
{
	struct dpidx_chunktab_table *t;

	t = (struct dpidx_chunktab_table *)dpidx_vmemmap_alloc(
			sizeof(*t) + nr * sizeof(t->entries[0]), -1);
	if (t)
		t->nr_chunks = nr;
	return t;
}

static inline void dpidx_chunktab_table_free(struct dpidx_chunktab_table *t)
{
	/* The empty table (nr_chunks 0) is static: never freed. */
	if (t && t->nr_chunks)
		dpidx_vmemmap_free(t, sizeof(*t) + t->nr_chunks * sizeof(t->entries[0]));
}

static inline unsigned long *dpidx_chunktab_bitmap_alloc(unsigned long nr)
{
	return (unsigned long *)dpidx_zalloc(
			DPIDX_BITS_TO_LONGS(nr) * sizeof(unsigned long), -1);
}

/**
 * dpidx_chunktab_init() - an empty chunk table.
 * @ct:         the table to initialise.
 * @max_chunks: the offset space, in chunks (> 0).
 * @nr:         chunks of table to allocate now (1 .. @max_chunks); more
 *              come by growth.
 *
 * Context: may sleep.
 * Return: 0 or -ENOMEM.
 */
static inline int dpidx_chunktab_init(struct dpidx_chunktab *ct,
				      unsigned long max_chunks, unsigned long nr)
{
	memset(ct, 0, sizeof(*ct));
	ct->max_chunks = max_chunks;
	ct->table = dpidx_chunktab_table_alloc(nr);
	ct->used = dpidx_chunktab_bitmap_alloc(nr);
	if (!ct->table || !ct->used) {
		dpidx_chunktab_table_free(ct->table);
		dpidx_free(ct->used);
		ct->table = NULL;
		ct->used = NULL;
		return -ENOMEM;
	}
	dpidx_lock_init(&ct->lock);
	return 0;
}

/*
 * Replace the table by one of at least @need chunks.  Everything is
 * allocated before anything is published, so -ENOMEM changes nothing.
 * Called with @ct->lock held; synchronize_rcu() under it is fine because
 * readers never take it.
 */
static inline int dpidx_chunktab_grow(struct dpidx_chunktab *ct, unsigned long need)
{
	struct dpidx_chunktab_table *old = dpidx_chunktab_protected(ct), *t;
	unsigned long nr = old->nr_chunks * 2, *used;

	if (nr < need)
		nr = need;
	if (nr > ct->max_chunks)
		nr = ct->max_chunks;
	t = dpidx_chunktab_table_alloc(nr);
	used = dpidx_chunktab_bitmap_alloc(nr);
	if (!t || !used) {
		dpidx_chunktab_table_free(t);
		dpidx_free(used);
		return -ENOMEM;
	}
	memcpy(t->entries, old->entries, old->nr_chunks * sizeof(old->entries[0]));
	memcpy(used, ct->used,
	       DPIDX_BITS_TO_LONGS(old->nr_chunks) * sizeof(unsigned long));
	/* Release: the copied entries are visible before the new table is. */
	dpidx_rcu_assign_pointer(ct->table, t);
	dpidx_free(ct->used);
	ct->used = used;
	dpidx_synchronize_rcu();	/* no reader still walks @old */
	dpidx_chunktab_table_free(old);
	return 0;
}

/* First fit for @nr_chunks free chunks, growing the table if needed. */
static inline int dpidx_chunktab_reserve(struct dpidx_chunktab *ct,
					 unsigned long nr_chunks,
					 unsigned long *first)
{
	struct dpidx_chunktab_table *t = dpidx_chunktab_protected(ct);
	unsigned long chunk;
	int err;

	chunk = dpidx_bitmap_find_free(ct->used, t->nr_chunks, ct->first_free,
				       nr_chunks, 1, ct->max_chunks);
	if (chunk == ct->max_chunks)
		return -ENOSPC;
	if (chunk + nr_chunks > t->nr_chunks) {
		err = dpidx_chunktab_grow(ct, chunk + nr_chunks);
		if (err)
			return err;
	}
	dpidx_bitmap_assign(ct->used, chunk, nr_chunks, true);
	if (chunk == ct->first_free)
		ct->first_free = dpidx_bitmap_next(ct->used,
						   dpidx_chunktab_protected(ct)->nr_chunks,
						   chunk + nr_chunks, false);
	*first = chunk;
	return 0;
}

/* Store (or, with @pages NULL, clear) the entries of a range. */
static inline void dpidx_chunktab_set_entries(struct dpidx_chunktab *ct,
					      unsigned long chunk,
					      unsigned long nr_pages,
					      const struct dpidx_page *pages,
					      unsigned int shift)
{
	struct dpidx_chunktab_table *t = dpidx_chunktab_protected(ct);
	unsigned long i, nr, entry, size = 1UL << shift;

	for (i = 0; i * size < nr_pages; i++) {
		nr = nr_pages - i * size;
		if (nr > size)
			nr = size;
		entry = pages ? dpidx_chunktab_entry(pages + i * size, nr) : 0;
		/*
		 * Release: descriptors and pgmap->base were written before;
		 * a reader that loads the entry sees them.  Clearing needs no
		 * ordering (the grace period orders the free), and a relaxed
		 * store would do, but one form keeps the code single-path.
		 */
		dpidx_store_release(&t->entries[chunk + i], entry);
	}
}

/*
 * Could @nr_pages be placed now?  A first fit under the lock, before any
 * descriptor is allocated: a range the offset space has no room for is
 * -ENOSPC, not -ENOMEM from trying to back descriptors it would never get
 * to use (a range of 2^33 pages into a full space asked for 512 GiB).
 * Only advisory: the fit is taken again under the lock after the
 * allocation, and may fail then (-ENOSPC, nothing changed) if a concurrent
 * map took the room.
 */
static inline bool dpidx_chunktab_has_room(struct dpidx_chunktab *ct,
					   unsigned long nr_pages, unsigned int shift)
{
	unsigned long nr_chunks = (nr_pages >> shift) + !!(nr_pages & ((1UL << shift) - 1));
	bool room;

	if (nr_chunks > ct->max_chunks)
		return false;
	dpidx_lock(&ct->lock);
	room = dpidx_bitmap_find_free(ct->used, dpidx_chunktab_protected(ct)->nr_chunks,
				      ct->first_free, nr_chunks, 1, ct->max_chunks) <
	       ct->max_chunks;
	dpidx_unlock(&ct->lock);
	return room;
}

/**
 * dpidx_chunktab_map() - map a range of device-private pages.
 * @ct:     the chunk table.
 * @pgmap:  zero-initialised apart from @nr_pages and @owner.
 * @nid:    NUMA node of the descriptors, or -1 for anywhere.
 * @shift:  log2 pages per chunk.
 * @origin: the offset of chunk 0.
 *
 * Context: may sleep; takes @ct->lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap or a bad
 * @nid; -ENOSPC when the offset space has no room; -ENOMEM.  On failure
 * nothing changed.
 */
static inline int dpidx_chunktab_map(struct dpidx_chunktab *ct,
				     struct dpidx_pgmap *pgmap, int nid,
				     unsigned int shift, unsigned long origin)
{
	unsigned long nr_chunks, chunk = 0;
	struct dpidx_page *pages;
	int err;

	/* Valid arguments but no room: -ENOSPC before allocating anything. */
	if (!dpidx_pgmap_check_map(pgmap, nid) &&
	    !dpidx_chunktab_has_room(ct, READ_ONCE(pgmap->nr_pages), shift))
		return -ENOSPC;
	/* ct->max_chunks << shift <= 2^34: no overflow, unlike rounding up. */
	err = dpidx_pgmap_prepare(pgmap, ct, ct->max_chunks << shift, nid, &pages);
	if (err)
		return err;
	nr_chunks = DPIDX_DIV_ROUND_UP(pgmap->nr_mapped, 1UL << shift);

	dpidx_lock(&ct->lock);
	err = dpidx_chunktab_reserve(ct, nr_chunks, &chunk);
	if (!err) {
		pgmap->pages = pages;
		pgmap->base = origin | chunk << shift;
		pgmap->nid = nid;
		dpidx_chunktab_set_entries(ct, chunk, pgmap->nr_mapped, pages, shift);
		ct->nr_ranges++;
		ct->nr_pages += pgmap->nr_mapped;
	}
	dpidx_unlock(&ct->lock);

	if (err)
		dpidx_pgmap_abort(pgmap, pages);
	return err;
}

/*
 * Is @pgmap mapped in @ct, exactly as map() recorded it?  Under @ct->lock.
 * The space word is tested first, with acquire (dpidx_pgmap_owned_by()): a
 * retiring pgmap's other members are being cleared by its unmap and must
 * not be read, and a pgmap a previous unmap released must be read as that
 * unmap left it.  Only members dpidx wrote are used, never @nr_pages.
 */
static inline bool dpidx_chunktab_owns(struct dpidx_chunktab *ct,
				       const struct dpidx_pgmap *pgmap,
				       unsigned int shift, unsigned long origin)
{
	struct dpidx_chunktab_table *t = dpidx_chunktab_protected(ct);
	unsigned long key, entry;

	if (!dpidx_pgmap_owned_by(pgmap, ct) || !pgmap->pages)
		return false;
	key = pgmap->base ^ origin;
	if (key & ((1UL << shift) - 1) || key >> shift >= t->nr_chunks)
		return false;
	entry = t->entries[key >> shift];
	return entry && dpidx_chunktab_entry_pages(entry) == pgmap->pages;
}

/**
 * dpidx_chunktab_unmap() - unmap a range.
 * @ct:     the chunk table.
 * @pgmap:  a range mapped in @ct.
 * @shift:  log2 pages per chunk.
 * @origin: the offset of chunk 0.
 *
 * Context: may sleep (waits for a grace period); takes @ct->lock; must not
 * be called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @ct.
 */
static inline int dpidx_chunktab_unmap(struct dpidx_chunktab *ct,
				       struct dpidx_pgmap *pgmap,
				       unsigned int shift, unsigned long origin)
{
	unsigned long chunk, nr_chunks;

	if (!ct || !pgmap)
		return -EINVAL;
	dpidx_lock(&ct->lock);
	if (!dpidx_chunktab_owns(ct, pgmap, shift, origin)) {
		dpidx_unlock(&ct->lock);
		return -ENOENT;
	}
	chunk = (pgmap->base ^ origin) >> shift;
	nr_chunks = DPIDX_DIV_ROUND_UP(pgmap->nr_mapped, 1UL << shift);
	dpidx_chunktab_set_entries(ct, chunk, pgmap->nr_mapped, NULL, shift);
	dpidx_bitmap_assign(ct->used, chunk, nr_chunks, false);
	if (chunk < ct->first_free)
		ct->first_free = chunk;
	ct->nr_ranges--;
	ct->nr_pages -= pgmap->nr_mapped;
	dpidx_pgmap_retire(pgmap);
	dpidx_unlock(&ct->lock);

	dpidx_synchronize_rcu();	/* readers that found a descriptor are done */
	dpidx_pgmap_free_pages(pgmap, pgmap->pages);
	dpidx_pgmap_unclaim(pgmap);
	return 0;
}

/**
 * dpidx_chunktab_destroy() - unmap everything and free the table.
 * @ct:    the chunk table; no writer may run concurrently.
 * @shift: log2 pages per chunk.
 *
 * The static empty table is published first and stays published: readers
 * already inside a section finish on the old table (destroy waits for
 * them before freeing anything), and every later lookup, until the next
 * init(), bounds-checks against its nr_chunks 0 and returns NULL.  The
 * ranges left mapped are released (their pgmaps can be mapped again).
 * A second destroy() finds the empty table and does nothing.
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_chunktab_destroy(struct dpidx_chunktab *ct,
					  unsigned int shift)
{
	struct dpidx_chunktab_table *t;
	unsigned long chunk = 0, entry;
	struct dpidx_pgmap *pgmap;

	if (!ct || !ct->table || ct->table == &dpidx_chunktab_empty)
		return;
	dpidx_lock(&ct->lock);
	t = dpidx_chunktab_protected(ct);
	dpidx_rcu_assign_pointer(ct->table,
				 (struct dpidx_chunktab_table *)&dpidx_chunktab_empty);
	dpidx_unlock(&ct->lock);
	dpidx_synchronize_rcu();

	while (chunk < t->nr_chunks) {
		entry = t->entries[chunk];
		if (!entry) {
			chunk++;
			continue;
		}
		/* Every range starts on a chunk: this is its first one. */
		pgmap = dpidx_page_range(dpidx_chunktab_entry_pages(entry));
		chunk += DPIDX_DIV_ROUND_UP(pgmap->nr_mapped, 1UL << shift);
		dpidx_pgmap_free_pages(pgmap, pgmap->pages);
		dpidx_pgmap_unclaim(pgmap);
	}
	dpidx_chunktab_table_free(t);
	dpidx_free(ct->used);
	dpidx_lock_destroy(&ct->lock);
	/* ct->table stays &dpidx_chunktab_empty: late readers find nothing. */
	ct->used = NULL;
	ct->nr_ranges = 0;
	ct->nr_pages = 0;
}

/* Does @pgmap own the chunks from @chunk on, exactly?  Under the lock. */
static inline bool dpidx_chunktab_check_range(struct dpidx_chunktab *ct,
					      const struct dpidx_chunktab_table *t,
					      unsigned long chunk,
					      const struct dpidx_pgmap *pgmap,
					      unsigned int shift,
					      unsigned long origin)
{
	unsigned long i, nr, size = 1UL << shift;
	unsigned long nr_chunks = DPIDX_DIV_ROUND_UP(pgmap->nr_mapped, size);

	if (pgmap->space != ct || !pgmap->nr_mapped ||
	    pgmap->base != (origin | chunk << shift) ||
	    nr_chunks > t->nr_chunks - chunk)
		return false;
	for (i = 0; i < nr_chunks; i++) {
		nr = pgmap->nr_mapped - i * size;
		if (nr > size)
			nr = size;
		if (t->entries[chunk + i] != dpidx_chunktab_entry(pgmap->pages + i * size, nr) ||
		    !dpidx_bit_test(ct->used, chunk + i))
			return false;
	}
	return true;
}

/**
 * dpidx_chunktab_check() - verify the structural invariants.
 * @ct:     the chunk table.
 * @shift:  log2 pages per chunk.
 * @origin: the offset of chunk 0.
 *
 * Every used chunk has an entry and every entry a used chunk; each range's
 * entries point at consecutive chunk-sized slices of its own descriptors,
 * the first at pgmap->pages, with exact counts; its pgmap says it is mapped
 * here at that base; the counters and the allocator hint agree.
 *
 * Context: takes @ct->lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation.
 */
static inline int dpidx_chunktab_check(struct dpidx_chunktab *ct,
				       unsigned int shift, unsigned long origin)
{
	struct dpidx_chunktab_table *t;
	unsigned long chunk = 0, entry, ranges = 0, pages = 0;
	const struct dpidx_pgmap *pgmap;
	int err = 0;

	dpidx_lock(&ct->lock);
	t = dpidx_chunktab_protected(ct);
	if (!t || t->nr_chunks > ct->max_chunks ||
	    dpidx_bitmap_next(ct->used, t->nr_chunks, 0, false) < ct->first_free)
		err = -EUCLEAN;
	while (!err && chunk < t->nr_chunks) {
		entry = t->entries[chunk];
		if (!entry != !dpidx_bit_test(ct->used, chunk)) {
			err = -EUCLEAN;
			break;
		}
		if (!entry) {
			chunk++;
			continue;
		}
		pgmap = dpidx_page_range(dpidx_chunktab_entry_pages(entry));
		if (!pgmap || !dpidx_chunktab_check_range(ct, t, chunk, pgmap, shift, origin)) {
			err = -EUCLEAN;
			break;
		}
		chunk += DPIDX_DIV_ROUND_UP(pgmap->nr_mapped, 1UL << shift);
		ranges++;
		pages += pgmap->nr_mapped;
	}
	if (!err && (ranges != ct->nr_ranges || pages != ct->nr_pages))
		err = -EUCLEAN;
	dpidx_unlock(&ct->lock);
	return err;
}

/* Bytes of index (table and allocator bitmap), descriptors excluded. */
static inline unsigned long dpidx_chunktab_index_bytes(struct dpidx_chunktab *ct)
{
	unsigned long nr = dpidx_chunktab_protected(ct)->nr_chunks;

	return sizeof(struct dpidx_chunktab_table) + nr * sizeof(unsigned long) +
	       DPIDX_BITS_TO_LONGS(nr) * sizeof(unsigned long);
}

#endif /* DPIDX_CHUNKTAB_H */
