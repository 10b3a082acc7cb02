/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/types.h - the types every encoding shares.
 *
 *   struct dpidx_page    one device-private page descriptor.  64 bytes in
 *                        userspace, laid out like the ZONE_DEVICE view of
 *                        struct page; in the kernel it *is* struct page.
 *   struct dpidx_pgmap   one range of device-private pages, owned by the
 *                        caller like struct dev_pagemap.
 *   enum dpidx_kind      what a device-private swap entry means.
 *
 * Invariant shared by all encodings: while a range is mapped,
 *   pgmap->pages[i] <-> offset pgmap->base + i, and
 *   dpidx_page_range(&pgmap->pages[i]) == pgmap,
 * so page -> offset needs no index at all (see dpidx_page_offset()).
 */
#ifndef DPIDX_TYPES_H
#define DPIDX_TYPES_H

#include "compat.h"

struct dpidx_pgmap;

#ifndef __KERNEL__
/*
 * Mirrors the words of struct page a ZONE_DEVICE page uses, so that the
 * cache behaviour of "read the descriptor, check the owner, take a reference"
 * is the kernel's: one 64-byte line.
 */
struct dpidx_page {
	unsigned long flags;
	struct dpidx_pgmap *pgmap;	/* back-pointer to the owning range */
	void *zone_device_data;		/* the driver's */
	unsigned long mapping;
	unsigned long index;
	unsigned long private;
	int mapcount;
	int refcount;
	unsigned long memcg_data;
} __attribute__((aligned(64)));

dpidx_static_assert(sizeof(struct dpidx_page) == 64,
		    "struct dpidx_page must be one cache line, like struct page");
#endif

/**
 * struct dpidx_pgmap - a range of device-private pages.
 * @nr_pages: in: pages to map (> 0).
 * @owner:    in: driver cookie, never dereferenced.
 * @base:     out: first offset of the mapped range.
 * @pages:    out: @nr_pages descriptors, pages[i] <-> base + i; in with
 *            DPIDX_PGMAP_CALLER_PAGES.
 * @flags:    in: 0 or DPIDX_PGMAP_CALLER_PAGES (an extension of API.md;
 *            encodings that can take caller-provided descriptors define
 *            DPIDX_E_CALLER_PAGES 1, the others refuse the flag: -EINVAL).
 *
 * The caller owns the structure and must zero-initialise it before the first
 * map; dpidx writes only the out members and the private ones.  It must stay
 * allocated while mapped; once dpidx_*_unmap() has returned no reader can
 * reach it any more, so the caller may free it.
 *
 * The in members are the caller's to change at any time, so after map()
 * dpidx never reads them again: @nr_mapped is the size map() saw and the
 * only one unmap(), destroy() and the checkers use.  A caller that changes
 * @nr_pages of a mapped range cannot make unmap() touch a neighbour.
 *
 * DPIDX_PGMAP_CALLER_PAGES: the descriptors are the caller's (the kernel's
 * memmap of a MEMORY_DEVICE_PRIVATE pgmap): map neither allocates nor
 * initialises them, unmap neither frees nor forgets them, and the caller has
 * made dpidx_page_range(&pages[i]) == pgmap for every i before the map and
 * keeps the array until unmap has returned.  NULL @pages is -EINVAL.
 */
struct dpidx_pgmap {
	unsigned long nr_pages;
	void *owner;
	unsigned long base;
	struct dpidx_page *pages;
	/* extension (after API.md's members): */
	unsigned long flags;
	/* private: */
	void *space;			/* the space it is mapped in, or NULL */
	unsigned long nr_mapped;	/* nr_pages as map() saw it */
	int nid;			/* node the descriptors live on */
	bool caller_pages;		/* @flags at map: never trusted later */
};

#define DPIDX_PGMAP_CALLER_PAGES	0x1UL

enum dpidx_kind {
	DPIDX_DEVICE_READ,
	DPIDX_DEVICE_WRITE,
	DPIDX_DEVICE_EXCLUSIVE,
	DPIDX_MIGRATION_READ,
	DPIDX_MIGRATION_READ_EXCLUSIVE,
	DPIDX_MIGRATION_WRITE,
};

#define DPIDX_NR_KINDS		6
#define DPIDX_NR_DEVICE_KINDS	3	/* DPIDX_DEVICE_* */

/* A range of 512 pages or more starts on a PMD (2 MiB folio) boundary. */
#define DPIDX_PMD_PAGES		512UL

static inline bool dpidx_kind_valid(enum dpidx_kind kind)
{
	return (unsigned int)kind < DPIDX_NR_KINDS;
}

static inline bool dpidx_kind_is_migration(enum dpidx_kind kind)
{
	return kind >= DPIDX_MIGRATION_READ;
}

/*
 * page -> offset through the back-pointer.  Valid for a descriptor obtained
 * under rcu_read_lock() (until that section ends) or owned by the caller's
 * mapped pgmap.
 */
static inline unsigned long dpidx_page_offset(const struct dpidx_page *page)
{
	const struct dpidx_pgmap *pgmap = dpidx_page_range(page);

	return pgmap->base + (unsigned long)(page - pgmap->pages);
}

/*
 * Allocate the descriptors of @pgmap on @nid, zeroed, each pointing back at
 * @pgmap.  Done before the writer lock is taken and before anything is
 * published, so a failure changes nothing.  Return: the array, or NULL.
 */
static inline struct dpidx_page *dpidx_pgmap_alloc_pages(struct dpidx_pgmap *pgmap,
							 int nid)
{
	struct dpidx_page *pages;
	unsigned long i;

	if (pgmap->caller_pages)
		return pgmap->pages;
	if (pgmap->nr_mapped > (~(size_t)0 >> 1) / sizeof(struct dpidx_page))
		return NULL;
	pages = (struct dpidx_page *)dpidx_vmemmap_alloc(
			pgmap->nr_mapped * sizeof(struct dpidx_page), nid);
	if (!pages)
		return NULL;
	for (i = 0; i < pgmap->nr_mapped; i++)
		dpidx_page_set_range(&pages[i], pgmap);
	return pages;
}

/* Free descriptors: only once no reader can reach them any more. */
static inline void dpidx_pgmap_free_pages(struct dpidx_pgmap *pgmap,
					  struct dpidx_page *pages)
{
	if (pgmap->caller_pages)
		return;
	dpidx_vmemmap_free(pages, pgmap->nr_mapped * sizeof(struct dpidx_page));
}

/* Argument checks every map() starts with: -EINVAL for bad input. */
static inline int dpidx_pgmap_check_map(const struct dpidx_pgmap *pgmap,
					int nid)
{
	if (!pgmap || !READ_ONCE(pgmap->nr_pages) || READ_ONCE(pgmap->space))
		return -EINVAL;
	if ((pgmap->flags & ~DPIDX_PGMAP_CALLER_PAGES) ||
	    (pgmap->flags && !pgmap->pages))
		return -EINVAL;
	if (!dpidx_nid_valid(nid))
		return -EINVAL;
	return 0;
}

/*
 * A pgmap belongs to at most one space.  Claiming it atomically makes two
 * concurrent maps of the same pgmap (into one space or two) fail cleanly
 * with -EINVAL instead of both writing its out members.
 */
static inline int dpidx_pgmap_claim(struct dpidx_pgmap *pgmap, void *space)
{
	return dpidx_cmpxchg_ptr(&pgmap->space, (void *)NULL, space) ? 0 : -EINVAL;
}

/**
 * dpidx_pgmap_owned_by() - is @pgmap claimed by @space (not retiring)?
 * @pgmap: any caller's range.
 * @space: the space asking, holding its writer lock.
 *
 * Acquire: pairs with the release in dpidx_pgmap_unclaim() (through the
 * claiming cmpxchg, which continues its release sequence).  A previous
 * unmap cleared @pgmap's members *after* dropping its space's lock, so the
 * lock alone does not order those stores before our reads; the acquire
 * does: an unmap that sees "owned by me" also sees the members as the last
 * unclaim and this space's own map (under the lock we hold) left them,
 * never a stale @pages or @base.
 *
 * Context: under @space's lock.
 * Return: true when the caller may go on to read @pgmap's members.
 */
static inline bool dpidx_pgmap_owned_by(const struct dpidx_pgmap *pgmap,
					const void *space)
{
	return dpidx_load_acquire(&pgmap->space) == space;
}

/*
 * Under the space's lock, once unmap has unpublished the range: from here
 * until dpidx_pgmap_unclaim() the pgmap belongs to no space, so a second,
 * concurrent unmap fails its ownership test on this word alone and never
 * reads the members the first one is about to clear.
 */
#define DPIDX_PGMAP_RETIRING	((void *)1)

static inline void dpidx_pgmap_retire(struct dpidx_pgmap *pgmap)
{
	WRITE_ONCE(pgmap->space, DPIDX_PGMAP_RETIRING);
}

/* Give the pgmap back to its caller: unmapped, mappable again. */
static inline void dpidx_pgmap_unclaim(struct dpidx_pgmap *pgmap)
{
	if (!pgmap->caller_pages)
		pgmap->pages = NULL;
	pgmap->base = 0;
	pgmap->nr_mapped = 0;
	/* Release: the cleared members are seen by whoever claims it next. */
	dpidx_store_release(&pgmap->space, (void *)NULL);
}

/* Undo dpidx_pgmap_prepare() when the range could not be published. */
static inline void dpidx_pgmap_abort(struct dpidx_pgmap *pgmap,
				     struct dpidx_page *pages)
{
	dpidx_pgmap_free_pages(pgmap, pages);
	dpidx_pgmap_unclaim(pgmap);
}

/**
 * dpidx_pgmap_prepare() - what every map() does before taking its lock.
 * @pgmap:     the caller's range.
 * @space:     the space claiming it.
 * @max_pages: the most pages one range can have in @space.
 * @nid:       node of the descriptors, or -1.
 * @pages:     out: the descriptors, allocated and initialised.
 *
 * Checks the arguments, rejects a range bigger than the space, claims
 * @pgmap and allocates its descriptors.  On success the caller publishes
 * *@pages under its lock, or calls dpidx_pgmap_abort().
 * Return: 0, -EINVAL, -ENOSPC or -ENOMEM; on failure nothing changed.
 */
static inline int dpidx_pgmap_prepare(struct dpidx_pgmap *pgmap, void *space,
				      unsigned long max_pages, int nid,
				      struct dpidx_page **pages)
{
	int err = dpidx_pgmap_check_map(pgmap, nid);
	unsigned long nr;

	if (err)
		return err;
	/* One read of the caller's field: what map() maps and unmap() frees. */
	nr = READ_ONCE(pgmap->nr_pages);
	if (!nr)
		return -EINVAL;
	if (nr > max_pages)
		return -ENOSPC;
	err = dpidx_pgmap_claim(pgmap, space);
	if (err)
		return err;
	pgmap->nr_mapped = nr;
	/*
	 * Ours from the claim on: what unmap frees (or leaves alone) is
	 * decided here, not by whatever @flags says then.
	 */
	pgmap->caller_pages = pgmap->flags & DPIDX_PGMAP_CALLER_PAGES;
	*pages = dpidx_pgmap_alloc_pages(pgmap, nid);
	if (!*pages) {
		dpidx_pgmap_unclaim(pgmap);
		return -ENOMEM;
	}
	return 0;
}

#endif /* DPIDX_TYPES_H */
