// SPDX-License-Identifier: GPL-2.0-only
/*
 * dpidx_selftest.ko - include/dpidx/ inside a booted kernel.
 *
 * Coding conventions in this file:
 *   @enc    one encoding's table of operations (kernel/kenc.h)
 *   @s      a space of that encoding, allocated with enc->space_size
 *   @pgmap  a range; its owner is always the pgmap itself, so a reader can
 *           check that a descriptor's back-pointer leads to the right range
 *
 * Every encoding of include/dpidx/encodings.h (kenc_list.h) runs every
 * case of dpidx_cases[] (the API.md contract, then readers in kthreads under
 * rcu_read_lock() against a writer kthread), followed by the checks that
 * concern the kernel itself (the swap PTE layout against the arch's own
 * helpers, the import kit).  Results are KTAP on the console:
 *
 *   KTAP version 1
 *   1..N
 *   ok 1 flat_init_args
 *   ...
 *   # dpidx_selftest: pass:N fail:0
 *
 * The module stays loaded only if everything passed; otherwise init fails
 * with -EINVAL so that insmod reports it too.
 */
#define pr_fmt(fmt) fmt

#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/atomic.h>
#ifdef DPIDX_IMPORT_IN_TREE
/*
 * A dpidx-patched kernel's swapops.h brings dpidx in with mm/'s back-pointer
 * (page->pgmap->dpidx): it must come before dpidx's headers do.
 */
#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#endif
#include "kenc.h"
#include "import/device_private.h"

/* Report the first failed expectation of a case and carry on. */
#define EXPECT(cond)							\
	do {								\
		if (unlikely(!(cond))) {				\
			pr_info("    # %s:%d: expected %s\n",		\
				__func__, __LINE__, #cond);		\
			return -EINVAL;					\
		}							\
	} while (0)

struct dpidx_case {
	const char *name;
	int (*run)(const struct dpidx_kenc *enc);
};

static void *space_new(const struct dpidx_kenc *enc, unsigned long max_pages)
{
	void *s = kzalloc(enc->space_size, GFP_KERNEL);

	if (s && enc->init(s, max_pages)) {
		kfree(s);
		return NULL;
	}
	return s;
}

static void space_free(const struct dpidx_kenc *enc, void *s)
{
	if (s)
		enc->destroy(s);
	kfree(s);
}

static struct dpidx_pgmap *pgmaps_new(unsigned long n)
{
	return kvcalloc(n, sizeof(struct dpidx_pgmap), GFP_KERNEL);
}

/* Every offset of a mapped range resolves to its own descriptor and back. */
static int check_range(const struct dpidx_kenc *enc, void *s,
		       const struct dpidx_pgmap *pgmap)
{
	unsigned long i;

	EXPECT(READ_ONCE(pgmap->space) == s && pgmap->pages);
	if (pgmap->nr_pages >= DPIDX_PMD_PAGES)
		EXPECT(IS_ALIGNED(pgmap->base, DPIDX_PMD_PAGES));
	rcu_read_lock();
	for (i = 0; i < pgmap->nr_pages; i++) {
		struct page *page = enc->offset_to_page(s, pgmap->base + i);

		if (page != &pgmap->pages[i] ||
		    enc->page_to_offset(page) != pgmap->base + i ||
		    dpidx_page_range(page) != pgmap) {
			rcu_read_unlock();
			pr_info("    # offset %lu of range at %lu is wrong\n",
				pgmap->base + i, pgmap->base);
			return -EINVAL;
		}
	}
	rcu_read_unlock();
	return 0;
}

static int check_unmapped(const struct dpidx_kenc *enc, void *s,
			  unsigned long offset)
{
	struct page *page;

	rcu_read_lock();
	page = enc->offset_to_page(s, offset);
	rcu_read_unlock();
	EXPECT(!page);
	return 0;
}

static int case_init_args(const struct dpidx_kenc *enc)
{
	void *s = kzalloc(enc->space_size, GFP_KERNEL);
	int err = 0;

	if (!s)
		return -ENOMEM;
	if (enc->init(s, 0) != -EINVAL)
		err = -EINVAL;
	if (!err && enc->max_pages != ULONG_MAX &&
	    enc->init(s, enc->max_pages + 1) != -EINVAL)
		err = -EINVAL;
	if (!err && enc->init(s, ULONG_MAX) != -EINVAL)
		err = -EINVAL;
	if (!err && enc->init(s, 1) == 0) {
		err = enc->check(s);
		enc->destroy(s);
	}
	kfree(s);
	return err;
}

static const unsigned long map_sizes[] = { 1, 511, 512, 513, 1024, 3000, 7 };

static int case_map_resolve(const struct dpidx_kenc *enc)
{
	unsigned long n = ARRAY_SIZE(map_sizes), i, j;
	struct dpidx_pgmap *pgmaps = pgmaps_new(n);
	void *s = space_new(enc, 1UL << 16);
	int err = -ENOMEM;

	if (!s || !pgmaps)
		goto out;
	for (i = 0; i < n; i++) {
		pgmaps[i].nr_pages = map_sizes[i];
		pgmaps[i].owner = &pgmaps[i];
		err = enc->map(s, &pgmaps[i], i & 1 ? NUMA_NO_NODE : 0);
		if (err)
			goto out;
	}
	for (i = 0; i < n && !err; i++) {
		err = check_range(enc, s, &pgmaps[i]);
		/* No two ranges overlap. */
		for (j = 0; j < i && !err; j++)
			if (pgmaps[i].base < pgmaps[j].base + pgmaps[j].nr_pages &&
			    pgmaps[j].base < pgmaps[i].base + pgmaps[i].nr_pages)
				err = -EINVAL;
	}
	if (!err)
		err = enc->check(s);
out:
	space_free(enc, s);
	kvfree(pgmaps);
	return err;
}

static int case_map_args(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap pgmap = { .nr_pages = 16 }, empty = { 0 };
	void *s = space_new(enc, 4096);
	int err = -ENOMEM;

	if (!s)
		return err;
	err = -EINVAL;
	if (enc->map(s, NULL, NUMA_NO_NODE) != -EINVAL ||
	    enc->map(s, &empty, NUMA_NO_NODE) != -EINVAL ||
	    enc->map(s, &pgmap, MAX_NUMNODES) != -EINVAL ||
	    enc->map(s, &pgmap, -2) != -EINVAL || pgmap.space)
		goto out;
	if (enc->map(s, &pgmap, NUMA_NO_NODE) ||
	    enc->map(s, &pgmap, NUMA_NO_NODE) != -EINVAL)
		goto out;
	err = check_range(enc, s, &pgmap);
	if (!err)
		err = enc->check(s);
out:
	space_free(enc, s);
	return err;
}

static int case_unmap(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap a = { .nr_pages = 600 }, b = { .nr_pages = 5 };
	struct dpidx_pgmap never = { .nr_pages = 5 };
	unsigned long base;
	void *s = space_new(enc, 4096), *other = space_new(enc, 4096);
	int err = -ENOMEM;

	if (!s || !other)
		goto out;
	err = -EINVAL;
	if (enc->map(s, &a, NUMA_NO_NODE) || enc->map(s, &b, NUMA_NO_NODE))
		goto out;
	base = a.base;
	if (enc->unmap(s, NULL) != -EINVAL ||
	    enc->unmap(s, &never) >= 0 || enc->unmap(other, &a) >= 0)
		goto out;
	if (enc->unmap(s, &a) || a.space || a.pages || enc->unmap(s, &a) >= 0)
		goto out;
	if (check_unmapped(enc, s, base) || check_unmapped(enc, s, base + 599))
		goto out;
	err = check_range(enc, s, &b);		/* the other range is untouched */
	if (err)
		goto out;
	err = -EINVAL;
	if (enc->map(other, &a, NUMA_NO_NODE))	/* mappable again, elsewhere */
		goto out;
	err = check_range(enc, other, &a);
	if (!err)
		err = enc->check(s);
	if (!err)
		err = enc->check(other);
out:
	space_free(enc, s);
	space_free(enc, other);
	return err;
}

/* Values that must resolve to NULL in an empty and in a populated space. */
static int check_edges(const struct dpidx_kenc *enc, void *s,
		       unsigned long skip_from, unsigned long skip_to)
{
	const unsigned long edges[] = {
		0, 1, 511, 512, 4095, 4096, 1UL << 20, 1UL << 33, 1UL << 34,
		(1UL << 34) + 1, 1UL << 40, 1UL << 49, 1UL << 50, 1UL << 57,
		1UL << 62, 1UL << 63, ULONG_MAX - 512, ULONG_MAX - 1, ULONG_MAX,
		enc->max_pages - 1, enc->max_pages, enc->max_pages + 1,
	};
	unsigned long i;

	for (i = 0; i < ARRAY_SIZE(edges); i++) {
		if (edges[i] >= skip_from && edges[i] < skip_to)
			continue;
		if (check_unmapped(enc, s, edges[i])) {
			pr_info("    # offset %#lx resolved\n", edges[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int case_edge_offsets(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap pgmap = { .nr_pages = 1000 };
	void *s = space_new(enc, 1UL << 20);
	int err = -ENOMEM;

	if (!s)
		return err;
	err = check_edges(enc, s, 0, 0);
	if (!err)
		err = enc->map(s, &pgmap, NUMA_NO_NODE);
	if (!err)
		err = check_edges(enc, s, pgmap.base, pgmap.base + pgmap.nr_pages);
	if (!err)
		err = check_unmapped(enc, s, pgmap.base + pgmap.nr_pages);
	space_free(enc, s);
	return err;
}

static int case_lookup_range(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap a = { .nr_pages = 700 }, b = { .nr_pages = 3 };
	unsigned long n = 4096, i, start;
	struct page **pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	void *s = space_new(enc, 1UL << 16);
	int err = -ENOMEM;

	if (!s || !pages)
		goto out;
	err = enc->map(s, &a, NUMA_NO_NODE);
	if (!err)
		err = enc->map(s, &b, NUMA_NO_NODE);
	if (err)
		goto out;
	/* Windows that start before, inside and across both ranges. */
	for (start = 0; start < 2048 && !err; start += 97) {
		rcu_read_lock();
		if (enc->lookup_range(s, start, n, pages) != n)
			err = -EINVAL;
		for (i = 0; i < n && !err; i++)
			if (pages[i] != enc->offset_to_page(s, start + i))
				err = -EINVAL;
		rcu_read_unlock();
	}
	if (err)
		pr_info("    # window at %lu differs\n", start - 97);
out:
	space_free(enc, s);
	kvfree(pages);
	return err;
}

/*
 * Offsets are the ones the space hands out (an encoding may tag them), so
 * the round trips use offsets of mapped ranges; the negative checks use raw
 * values, which no ordinary swap or migration entry may turn into.
 */
static int case_swp_pte(const struct dpidx_kenc *enc)
{
	const unsigned long raw[] = { 0, 1, 511, 512, 123456, 1UL << 30 };
	unsigned int mig = DPIDX_SWP_MIGRATION_READ(enc->swap_types), k, i;
	struct dpidx_pgmap pgmap = { .nr_pages = 520 };
	struct dpidx_pgmap big = { .nr_pages = 5000 };
	unsigned long offsets[6];
	void *s = space_new(enc, 1UL << 16);
	struct page *page;
	bool found;
	u64 pte;
	int err = -ENOMEM;

	if (!s)
		return err;
	err = enc->map(s, &pgmap, NUMA_NO_NODE);
	if (!err)
		err = enc->map(s, &big, NUMA_NO_NODE);
	if (err)
		goto out;
	offsets[0] = pgmap.base;
	offsets[1] = pgmap.base + 1;
	offsets[2] = pgmap.base + 519;
	offsets[3] = big.base;
	offsets[4] = big.base + 4096;
	offsets[5] = big.base + 4999;
	err = -EINVAL;
	for (k = 0; k < DPIDX_NR_KINDS; k++) {
		for (i = 0; i < ARRAY_SIZE(offsets); i++) {
			pte = enc->make_swp_pte(offsets[i], k);
			if (!dpidx_pte_is_swap(pte) ||
			    !enc->swp_pte_is_device_private(pte) ||
			    enc->swp_pte_kind(pte) != k ||
			    enc->swp_pte_offset(pte) != offsets[i])
				goto out;
		}
		/* The fault path: the page, and nothing for a present PTE. */
		rcu_read_lock();
		pte = enc->make_swp_pte(pgmap.base + 519, k);
		page = enc->swp_pte_to_page(s, pte);
		found = page == &pgmap.pages[519] &&
			!enc->swp_pte_to_page(s, pte | DPIDX_PTE_PRESENT) &&
			!enc->swp_pte_to_page(s, enc->make_swp_pte(pgmap.base + 520, k));
		rcu_read_unlock();
		if (!found)
			goto out;
	}
	/* Ordinary swap entries and migration entries of real PFNs are not. */
	for (i = 0; i < ARRAY_SIZE(raw); i++) {
		for (k = 0; k < DPIDX_MAX_SWAPFILES(enc->swap_types); k++)
			if (enc->swp_pte_is_device_private(dpidx_swp_pte(k, raw[i])))
				goto out;
		for (k = mig; k < mig + DPIDX_SWP_MIGRATION_NUM; k++)
			if (enc->swp_pte_is_device_private(dpidx_swp_pte(k, raw[i])))
				goto out;
	}
	if (enc->swp_pte_is_device_private(0) ||
	    enc->swp_pte_is_device_private(dpidx_swp_pte(DPIDX_SWP_PTE_MARKER, 0)))
		goto out;
	err = 0;
out:
	if (err == -EINVAL)
		pr_info("    # kind %u offset index %u\n", k, i);
	space_free(enc, s);
	return err;
}

/* A space holds at least max_pages pages and then reports -ENOSPC. */
static int case_enospc(const struct dpidx_kenc *enc)
{
	const unsigned long max_pages = 64, attempts = 8192;
	struct dpidx_pgmap *pgmaps = pgmaps_new(attempts);
	unsigned long i;
	void *s = space_new(enc, max_pages);
	int err = -ENOMEM;

	if (!s || !pgmaps)
		goto out;
	for (i = 0; i < attempts; i++) {
		pgmaps[i].nr_pages = 1;
		err = enc->map(s, &pgmaps[i], NUMA_NO_NODE);
		if (err)
			break;
	}
	if (err != -ENOSPC || i < max_pages) {
		pr_info("    # %lu one-page ranges, then %d\n", i, err);
		err = -EINVAL;
		goto out;
	}
	err = enc->check(s);
	/* After a failure every earlier range still resolves. */
	while (!err && i--)
		err = check_range(enc, s, &pgmaps[i]);
out:
	space_free(enc, s);
	kvfree(pgmaps);
	return err;
}

/* Many ranges; every other one unmapped and mapped again (offset reuse). */
static int case_many_ranges(const struct dpidx_kenc *enc)
{
	static const unsigned long sizes[] = { 1, 7, 512, 513, 1000 };
	const unsigned long n = 1024;
	struct dpidx_pgmap *pgmaps = pgmaps_new(n);
	void *s = space_new(enc, 1UL << 20);
	unsigned long i;
	int err = -ENOMEM;

	if (!s || !pgmaps)
		goto out;
	for (i = 0, err = 0; i < n && !err; i++) {
		pgmaps[i].nr_pages = sizes[i % ARRAY_SIZE(sizes)];
		pgmaps[i].owner = &pgmaps[i];
		err = enc->map(s, &pgmaps[i], NUMA_NO_NODE);
	}
	for (i = 1; i < n && !err; i += 2)
		err = enc->unmap(s, &pgmaps[i]);
	for (i = 1; i < n && !err; i += 2)
		err = enc->map(s, &pgmaps[i], NUMA_NO_NODE);
	for (i = 0; i < n && !err; i++)
		err = check_range(enc, s, &pgmaps[i]);
	if (!err)
		err = enc->check(s);
	if (err)
		pr_info("    # range %lu\n", i);
out:
	space_free(enc, s);
	kvfree(pgmaps);
	return err;
}

/* destroy() releases what is still mapped: the pgmaps can be mapped again. */
static int case_destroy_mapped(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap pgmaps[4] = {
		{ .nr_pages = 1 }, { .nr_pages = 512 }, { .nr_pages = 2000 },
		{ .nr_pages = 9 },
	};
	void *s = space_new(enc, 1UL << 16);
	unsigned long i;
	int err = -ENOMEM;

	if (!s)
		return err;
	for (i = 0; i < ARRAY_SIZE(pgmaps); i++) {
		err = enc->map(s, &pgmaps[i], NUMA_NO_NODE);
		if (err) {
			space_free(enc, s);
			return err;
		}
	}
	space_free(enc, s);
	for (i = 0; i < ARRAY_SIZE(pgmaps); i++)
		EXPECT(!pgmaps[i].space && !pgmaps[i].pages);
	s = space_new(enc, 1UL << 16);
	if (!s)
		return -ENOMEM;
	err = enc->map(s, &pgmaps[2], NUMA_NO_NODE);
	if (!err)
		err = check_range(enc, s, &pgmaps[2]);
	space_free(enc, s);
	return err;
}

/* ---- concurrency -------------------------------------------------------- */

#define STRESS_READERS		2
#define STRESS_SLOTS		16
#define STRESS_FIXED		2
#define STRESS_MS		1500

struct stress {
	const struct dpidx_kenc *enc;
	void *s;
	struct dpidx_pgmap fixed[STRESS_FIXED];
	struct dpidx_pgmap slots[STRESS_SLOTS];
	unsigned long origin, span;	/* readers probe [origin, origin + span) */
	atomic_long_t lookups, hits, maps, errors;
	atomic_t readers_done;
	bool writer_done;
};

/*
 * One probe, inside a read-side section: a descriptor found for @offset
 * must point back at a range that holds @offset at exactly that place, and
 * the range's owner must be the range (every pgmap here owns itself).  The
 * fault path, looked up again, finds the same page or (the range was
 * unmapped in between: unmap unpublishes at once and only the free waits
 * for this section) nothing.
 */
static bool stress_probe(struct stress *st, unsigned long offset)
{
	const struct dpidx_kenc *enc = st->enc;
	struct dpidx_pgmap *pgmap = NULL;
	unsigned long back = 0, base = 0, nr = 0;
	struct page *page, *pte_page = NULL;
	bool ok = true;

	rcu_read_lock();
	page = enc->offset_to_page(st->s, offset);
	if (page) {
		pgmap = dpidx_page_range(page);
		back = enc->page_to_offset(page);
		base = READ_ONCE(pgmap->base);
		nr = READ_ONCE(pgmap->nr_pages);
		pte_page = enc->swp_pte_to_page(st->s,
			enc->make_swp_pte(offset, DPIDX_DEVICE_WRITE));
		ok = back == offset && READ_ONCE(pgmap->owner) == pgmap &&
		     offset - base < nr && page == &pgmap->pages[offset - base] &&
		     (pte_page == page || !pte_page);
		atomic_long_inc(&st->hits);
	}
	rcu_read_unlock();
	if (!ok && atomic_long_inc_return(&st->errors) == 1)
		pr_info("    # offset %lu: back %lu, range base %lu nr %lu, pte lookup %s\n",
			offset, back, base, nr, pte_page == page ? "same" : "differs");
	return ok;
}

/* The fixed ranges are mapped throughout: they must always resolve. */
static bool stress_probe_fixed(struct stress *st, u32 rnd)
{
	struct dpidx_pgmap *pgmap = &st->fixed[rnd % STRESS_FIXED];
	unsigned long offset = pgmap->base + (rnd >> 8) % pgmap->nr_pages;
	struct page *page;

	rcu_read_lock();
	page = st->enc->offset_to_page(st->s, offset);
	rcu_read_unlock();
	if (page == &pgmap->pages[offset - pgmap->base])
		return true;
	if (atomic_long_inc_return(&st->errors) == 1)
		pr_info("    # fixed offset %lu resolved to %p\n", offset, page);
	return false;
}

static int stress_reader(void *data)
{
	struct stress *st = data;
	unsigned long n = 0, hint;
	u32 rnd;

	while (!kthread_should_stop()) {
		rnd = get_random_u32();
		if (n & 1) {
			stress_probe(st, st->origin + rnd % st->span);
		} else {
			/* A racy hint: any value is a valid probe. */
			hint = READ_ONCE(st->slots[rnd % STRESS_SLOTS].base);
			stress_probe(st, (hint ? hint : st->origin) +
					 (rnd >> 8) % 2048);
		}
		stress_probe_fixed(st, rnd);
		if (++n % 64 == 0)
			cond_resched();
	}
	atomic_long_add(n, &st->lookups);
	return 0;
}

static int stress_writer_step(struct stress *st, u32 rnd)
{
	static const unsigned long sizes[] = { 1, 100, 512, 700, 1024, 1536 };
	struct dpidx_pgmap *pgmap = &st->slots[rnd % STRESS_SLOTS];
	int err;

	if (pgmap->space) {
		err = st->enc->unmap(st->s, pgmap);
		if (!err && (pgmap->space || pgmap->pages))
			err = -EINVAL;
		return err;
	}
	pgmap->nr_pages = sizes[(rnd >> 8) % ARRAY_SIZE(sizes)];
	pgmap->owner = pgmap;
	err = st->enc->map(st->s, pgmap, NUMA_NO_NODE);
	if (!err)
		atomic_long_inc(&st->maps);
	return err;
}

static int case_concurrency(const struct dpidx_kenc *enc)
{
	struct task_struct *readers[STRESS_READERS];
	unsigned long deadline, i;
	struct stress *st = kzalloc(sizeof(*st), GFP_KERNEL);
	int err = -ENOMEM, nr = 0;

	if (!st)
		return err;
	st->enc = enc;
	st->s = space_new(enc, 1UL << 16);
	if (!st->s)
		goto out;
	st->fixed[0].nr_pages = 3;
	st->fixed[1].nr_pages = 1000;
	for (i = 0; i < STRESS_FIXED; i++) {
		st->fixed[i].owner = &st->fixed[i];
		err = enc->map(st->s, &st->fixed[i], NUMA_NO_NODE);
		if (err)
			goto out;
	}
	/*
	 * Around the offsets the space hands out (an encoding may tag them):
	 * room for every slot at its largest, plus the fixed ranges.
	 */
	st->origin = st->fixed[0].base & ~(DPIDX_PMD_PAGES - 1);
	st->span = (STRESS_SLOTS + STRESS_FIXED + 2) * 2048;
	for (nr = 0; nr < STRESS_READERS; nr++) {
		readers[nr] = kthread_run(stress_reader, st, "dpidx_rd%d", nr);
		if (IS_ERR(readers[nr])) {
			err = PTR_ERR(readers[nr]);
			goto stop;
		}
	}
	/* The writer is this kthread (insmod's): map and unmap for a while. */
	deadline = jiffies + msecs_to_jiffies(STRESS_MS);
	while (!err && time_before(jiffies, deadline)) {
		err = stress_writer_step(st, get_random_u32());
		cond_resched();
	}
	if (!err)
		err = enc->check(st->s);
stop:
	while (nr--)
		kthread_stop(readers[nr]);
	pr_info("    # %s: %ld lookups (%ld hits) against %ld maps, %ld errors\n",
		enc->name, atomic_long_read(&st->lookups),
		atomic_long_read(&st->hits), atomic_long_read(&st->maps),
		atomic_long_read(&st->errors));
	if (!err && (atomic_long_read(&st->errors) ||
		     !atomic_long_read(&st->lookups)))
		err = -EINVAL;
out:
	space_free(enc, st->s);
	kfree(st);
	return err;
}

static const struct dpidx_case dpidx_cases[] = {
	{ "init_args", case_init_args },
	{ "map_resolve", case_map_resolve },
	{ "map_args", case_map_args },
	{ "unmap", case_unmap },
	{ "edge_offsets", case_edge_offsets },
	{ "lookup_range", case_lookup_range },
	{ "swp_pte", case_swp_pte },
	{ "enospc", case_enospc },
	{ "many_ranges", case_many_ranges },
	{ "destroy_mapped", case_destroy_mapped },
	{ "concurrency", case_concurrency },
};

/* ---- the kernel's own view ---------------------------------------------- */

dpidx_static_assert(DPIDX_PAGE_SHIFT == PAGE_SHIFT, "x86-64 4 KiB pages");

/* dpidx's swap PTE layout is bit for bit the arch's (asm/pgtable_64.h). */
static int test_pte_layout(void)
{
	const u64 offsets[] = { 0, 1, 0x1234567, (1ULL << 34) - 1,
				DPIDX_SWP_OFFSET_MASK };
	unsigned int type, i;
	swp_entry_t entry;
	u64 pte;

	for (type = 0; type < DPIDX_NR_SWAP_TYPES; type++) {
		for (i = 0; i < ARRAY_SIZE(offsets); i++) {
			entry = swp_entry(type, offsets[i]);
			pte = pte_val(swp_entry_to_pte(entry));
			if (pte != dpidx_swp_pte(type, offsets[i]) ||
			    dpidx_swp_pte_type(pte) != type ||
			    dpidx_swp_pte_raw_offset(pte) != offsets[i] ||
			    !dpidx_pte_is_swap(pte)) {
				pr_info("    # type %u offset %#llx: kernel %#llx dpidx %#llx\n",
					type, offsets[i], pte,
					dpidx_swp_pte(type, offsets[i]));
				return -EINVAL;
			}
		}
	}
	/* 4-level paging (QEMU without la57): the budget pte.h assumes. */
	if (!pgtable_l5_enabled())
		EXPECT(SWP_PFN_BITS == DPIDX_SWP_PFN_BITS);
	pr_info("    # struct page is %zu bytes, SWP_PFN_BITS %d, 5-level %d\n",
		sizeof(struct page), (int)SWP_PFN_BITS, pgtable_l5_enabled());
	return 0;
}

/*
 * Does the kernel judge @entry, an entry of @kind, as @kind says?  The
 * kernel's own helpers: swap.h's types (the import kit's, in mm/, for the
 * device-private tests of a dpidx-patched kernel).
 */
static bool kernel_judges_as(swp_entry_t entry, enum dpidx_kind kind)
{
	return is_device_private_entry(entry) ==
		(kind == DPIDX_DEVICE_READ || kind == DPIDX_DEVICE_WRITE) &&
	       is_writable_device_private_entry(entry) == (kind == DPIDX_DEVICE_WRITE) &&
	       is_device_exclusive_entry(entry) == (kind == DPIDX_DEVICE_EXCLUSIVE) &&
	       is_writable_device_exclusive_entry(entry) == (kind == DPIDX_DEVICE_EXCLUSIVE) &&
	       !!is_migration_entry(entry) == dpidx_kind_is_migration(kind) &&
	       !!is_writable_migration_entry(entry) == (kind == DPIDX_MIGRATION_WRITE) &&
	       !!is_readable_exclusive_migration_entry(entry) ==
		(kind == DPIDX_MIGRATION_READ_EXCLUSIVE) &&
	       !!is_readable_migration_entry(entry) == (kind == DPIDX_MIGRATION_READ);
}

/* Every kind of @enc's values in a mapped range, judged by the kernel. */
static int __maybe_unused kernel_swap_helpers_one(const struct dpidx_kenc *enc)
{
	struct dpidx_pgmap range = { .nr_pages = 64,
				     .flags = DPIDX_PGMAP_CALLER_PAGES };
	struct dev_pagemap *pgmap;
	unsigned int kind, i;
	bool inited = false, mapped = false;
	unsigned long o;
	void *s;
	int err;

	/*
	 * Caller-provided descriptors pointing back the way this kernel's
	 * dpidx_page_range() reads them, as mm/memremap.c's do.
	 */
	s = kzalloc(enc->space_size, GFP_KERNEL);
	pgmap = kzalloc(sizeof(*pgmap), GFP_KERNEL);
	range.pages = kcalloc(range.nr_pages, sizeof(struct page), GFP_KERNEL);
	err = s && pgmap && range.pages ? 0 : -ENOMEM;
	for (i = 0; !err && i < range.nr_pages; i++) {
#ifdef DPIDX_IMPORT_IN_TREE
		pgmap->dpidx = &range;
		range.pages[i].pgmap = pgmap;
#else
		range.pages[i].zone_device_data = &range;
#endif
	}
	if (!err)
		err = enc->init(s, 1UL << 16);
	inited = !err;
	if (!err)
		err = enc->map(s, &range, NUMA_NO_NODE);
	mapped = !err;
	for (o = range.base; !err && o < range.base + range.nr_pages; o += 9) {
		for (kind = 0; kind < DPIDX_NR_KINDS; kind++) {
			u64 pte = enc->make_swp_pte(o, kind);
			swp_entry_t entry = pte_to_swp_entry(__pte(pte));

			if (!kernel_judges_as(entry, kind)) {
				pr_info("    # %s: kind %u offset %#lx: type %u misjudged\n",
					enc->name, kind, o, swp_type(entry));
				err = -EINVAL;
				break;
			}
		}
	}
	if (mapped && enc->unmap(s, &range) && !err)
		err = -EINVAL;
	if (inited)
		enc->destroy(s);
	kfree(range.pages);
	kfree(pgmap);
	kfree(s);
	return err;
}

/*
 * The import kit's entries must be ones the kernel's own
 * is_device_private_entry() and friends agree with (issue 12, item 8).
 * That can hold only where swap.h reserves an encoding's types in dpidx's
 * order: a dpidx-patched kernel (SWP_DPIDX_FIRST) and the encodings with as
 * many types as it reserves.  6.12's own layout (four device types, the
 * migration types under them) is no encoding's: there it is skipped.
 */
static int test_kernel_swap_helpers(void)
{
	unsigned int e, checked = 0;
	int err = 0;

	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE)) {
		pr_info("    # no CONFIG_DEVICE_PRIVATE: nothing to check\n");
		return 0;
	}
	for (e = 0; !err && e < ARRAY_SIZE(dpidx_kencs); e++) {
		const struct dpidx_kenc *enc = dpidx_kencs[e];

#ifdef SWP_DPIDX_FIRST
		if (enc->swap_types != DPIDX_KERNEL_SWAP_TYPES) {
			pr_info("    # %s: %u types, this kernel reserves %u: skipped\n",
				enc->name, enc->swap_types, DPIDX_KERNEL_SWAP_TYPES);
			continue;
		}
		/*
		 * The check maps the kernel's kind of descriptors, which an
		 * encoding placing its own (direct) refuses; direct's entries
		 * are tag's, made by the same functions, checked under tag.
		 */
		if (!enc->caller_pages) {
			pr_info("    # %s: places its own descriptors; its entries are tag's: skipped\n",
				enc->name);
			continue;
		}
		err = kernel_swap_helpers_one(enc);
		checked++;
#else
		pr_info("    # %s: 6.12's own swap types are no encoding's: skipped\n",
			enc->name);
#endif
	}
	pr_info("    # %u encoding(s) judged by the kernel's helpers\n", checked);
	return err;
}

#ifdef DPIDX_IMPORT_IN_TREE
/* The kernel's own mm/ holds the kit and its space: hmm-tests covers it. */
static int test_import_kit(void)
{
	pr_info("    # import kit built into this kernel (%s): see hmm-tests\n",
		DPIDX_DEFAULT_ENCODING);
	return 0;
}
#else
/* The import kit, on the default encoding, through swp_entry_t. */
static int test_import_kit(void)
{
	struct dpidx_pgmap range = { .nr_pages = 1500 };
	unsigned long o;
	swp_entry_t entry;
	int err;

	pr_info("    # default encoding: %s\n", DPIDX_DEFAULT_ENCODING);
	err = device_private_space_init(1UL << 20);
	if (err)
		return err;
	range.owner = &range;
	err = device_private_add_range(&range, NUMA_NO_NODE);
	for (o = range.base; !err && o < range.base + range.nr_pages; o += 7) {
		struct page *page = &range.pages[o - range.base];

		entry = make_writable_device_private_entry(o);
		if (device_private_offset_to_page(o) != page ||
		    device_private_page_to_offset(page) != o ||
		    !is_device_private_entry(entry) ||
		    !is_writable_device_private_entry(entry) ||
		    is_device_private_migration_entry(entry) ||
		    device_private_entry_to_offset(entry) != o ||
		    device_private_entry_to_page(entry) != page ||
		    is_writable_device_private_entry(make_readable_device_private_entry(o)) ||
		    !is_device_private_migration_entry(make_readable_migration_device_private_entry(o)) ||
		    !is_device_private_migration_entry(make_readable_exclusive_migration_device_private_entry(o)) ||
		    !is_writable_device_private_migration_entry(make_writable_migration_device_private_entry(o)) ||
		    device_private_entry_to_page(make_readable_migration_device_private_entry(o)) != page ||
		    pte_val(swp_entry_to_pte(entry)) != dpidx_make_swp_pte(o, DPIDX_DEVICE_WRITE) ||
		    is_device_private_entry(swp_entry(0, o)))
			err = -EINVAL;
	}
	if (!err && device_private_entry_to_page(swp_entry(0, range.base)))
		err = -EINVAL;
	if (!err)
		err = device_private_remove_range(&range);
	if (!err && device_private_offset_to_page(range.base))
		err = -EINVAL;
	device_private_space_exit();
	return err;
}
#endif

static const struct {
	const char *name;
	int (*run)(void);
} dpidx_kernel_tests[] = {
	{ "pte_layout_matches_kernel", test_pte_layout },
	{ "import_kit", test_import_kit },
	{ "kernel_swap_helpers", test_kernel_swap_helpers },
};

/* ---- KTAP ------------------------------------------------------------- */

static unsigned int ktap_nr, ktap_failed;

static void ktap_result(const char *enc, const char *name, int err)
{
	ktap_nr++;
	if (err)
		ktap_failed++;
	pr_info("%sok %u %s%s%s\n", err ? "not " : "", ktap_nr,
		enc ? enc : "", enc ? "_" : "", name);
	if (err)
		pr_info("    # error %d\n", err);
}

/*
 * In a dpidx-patched kernel a descriptor leads back to its range through
 * page->pgmap->dpidx (swapops.h), which only the kernel's own pgmaps have:
 * the per-encoding cases, whose descriptors dpidx allocates, cannot run
 * there; the kernel tests can.
 */
#ifdef DPIDX_IMPORT_IN_TREE
#define DPIDX_SELFTEST_CASES	0
#else
#define DPIDX_SELFTEST_CASES	ARRAY_SIZE(dpidx_cases)
#endif

static int __init dpidx_selftest_init(void)
{
	unsigned int total = ARRAY_SIZE(dpidx_kencs) * DPIDX_SELFTEST_CASES +
			     ARRAY_SIZE(dpidx_kernel_tests);
	unsigned int e, c;

	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", total);
	for (e = 0; e < ARRAY_SIZE(dpidx_kencs) && DPIDX_SELFTEST_CASES; e++)
		for (c = 0; c < ARRAY_SIZE(dpidx_cases); c++)
			ktap_result(dpidx_kencs[e]->name, dpidx_cases[c].name,
				    dpidx_cases[c].run(dpidx_kencs[e]));
	for (c = 0; c < ARRAY_SIZE(dpidx_kernel_tests); c++)
		ktap_result(NULL, dpidx_kernel_tests[c].name,
			    dpidx_kernel_tests[c].run());
	pr_info("# dpidx_selftest: pass:%u fail:%u skip:0 total:%u\n",
		ktap_nr - ktap_failed, ktap_failed, ktap_nr);
	return ktap_failed ? -EINVAL : 0;
}

static void __exit dpidx_selftest_exit(void)
{
}

module_init(dpidx_selftest_init);
module_exit(dpidx_selftest_exit);
MODULE_DESCRIPTION("dpidx self-tests: every encoding inside a booted kernel");
MODULE_LICENSE("GPL");
