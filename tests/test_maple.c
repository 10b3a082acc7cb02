// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * tests/test_maple.c - maple-specific tests: the structural checker after
 * every operation of a randomized, replayable op sequence; first-fit offset
 * allocation against a brute-force model; height growth and shrink; scale
 * from 1 to 1,000,000 ranges; lookup_range across many ranges; a short
 * two-thread reader/writer smoke run.
 *
 * Usage: test_maple [seed [scale_ranges [model_ops [smoke_ms]]]]
 *   seed 0 (default) picks one from the clock; it is printed first so a
 *   failure can be replayed.  Sanitizer and valgrind runs pass smaller
 *   scale/ops, e.g. "test_maple 0 20000 2000 200".
 */
#define _GNU_SOURCE
#define DPIDX_DEBUG_HOOKS
#include <urcu.h>
#include <dpidx/maple.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long seed;

/* Allocation failure injection: fail the allocation numbered fail_at. */
static long alloc_count, fail_at = -1;

bool dpidx_debug_alloc_fail(void)
{
	return fail_at >= 0 && alloc_count++ == fail_at;
}
static unsigned long long rng_state;

#define FAIL(...) do {							\
	fprintf(stderr, "FAIL %s:%d (seed %llu): ", __FILE__, __LINE__, seed); \
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	exit(1);							\
} while (0)

#define EXPECT(cond) do { if (!(cond)) FAIL("%s", #cond); } while (0)

static unsigned long long rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned long rnd_below(unsigned long n)
{
	return n ? (unsigned long)(rnd() % n) : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(struct dpidx_maple *s)
{
	int err = dpidx_maple_check(s);

	if (err)
		FAIL("dpidx_maple_check: %d", err);
}

static struct dpidx_page *o2p(struct dpidx_maple *s, unsigned long offset)
{
	struct dpidx_page *page;

	dpidx_read_lock();
	page = dpidx_maple_offset_to_page(s, offset);
	dpidx_read_unlock();
	return page;
}

/* ---- the model: which pgmaps are mapped, and where ----------------------- */

struct model {
	struct dpidx_pgmap *pgmaps;
	unsigned long nr;
	struct dpidx_pgmap **sorted;	/* the mapped ones, by base */
	unsigned long nr_sorted;
};

/* Index of the first mapped range that ends after @offset. */
static unsigned long model_find(struct model *m, unsigned long offset)
{
	unsigned long lo = 0, hi = m->nr_sorted, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (m->sorted[mid]->base + m->sorted[mid]->nr_pages <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_insert(struct model *m, struct dpidx_pgmap *p)
{
	unsigned long i = model_find(m, p->base);

	memmove(&m->sorted[i + 1], &m->sorted[i],
		(m->nr_sorted - i) * sizeof(m->sorted[0]));
	m->sorted[i] = p;
	m->nr_sorted++;
}

static void model_remove(struct model *m, struct dpidx_pgmap *p)
{
	unsigned long i = model_find(m, p->base);

	EXPECT(i < m->nr_sorted && m->sorted[i] == p);
	memmove(&m->sorted[i], &m->sorted[i + 1],
		(m->nr_sorted - i - 1) * sizeof(m->sorted[0]));
	m->nr_sorted--;
}

/* Brute-force first fit, what map() must choose; ~0UL if none. */
static unsigned long model_first_fit(struct model *m, unsigned long limit,
				     unsigned long nr_pages)
{
	struct dpidx_pgmap **sorted = m->sorted;
	unsigned long n = m->nr_sorted;
	unsigned long align = nr_pages >= 512 ? 512 : 1, a = 0, e, start, i;

	for (i = 0; i <= n; i++) {
		e = i < n ? sorted[i]->base : limit;
		start = (a + align - 1) & ~(align - 1);
		if (start < e && e - start >= nr_pages)
			return start;
		if (i < n)
			a = sorted[i]->base + sorted[i]->nr_pages;
	}
	return ~0UL;
}

/* The model's answer for @offset. */
static struct dpidx_page *model_lookup(struct model *m, unsigned long offset)
{
	unsigned long i = model_find(m, offset);

	if (i < m->nr_sorted && m->sorted[i]->base <= offset)
		return m->sorted[i]->pages + (offset - m->sorted[i]->base);
	return NULL;
}

static void verify_offset(struct dpidx_maple *s, struct model *m,
			  unsigned long offset)
{
	struct dpidx_page *want = model_lookup(m, offset);
	struct dpidx_page *got = o2p(s, offset);

	if (got != want)
		FAIL("offset %lu: got %p want %p", offset, (void *)got, (void *)want);
	if (got && dpidx_maple_page_to_offset(got) != offset)
		FAIL("page_to_offset(o2p(%lu)) = %lu", offset,
		     dpidx_maple_page_to_offset(got));
}

static void verify_range(struct dpidx_maple *s, unsigned long offset, unsigned long n)
{
	struct dpidx_page **pages = malloc(n * sizeof(*pages));
	unsigned long i;

	EXPECT(pages);
	dpidx_read_lock();
	EXPECT(dpidx_maple_lookup_range(s, offset, n, pages) == n);
	for (i = 0; i < n; i++)
		if (pages[i] != dpidx_maple_offset_to_page(s, offset + i))
			FAIL("lookup_range(%lu, %lu)[%lu] disagrees", offset, n, i);
	dpidx_read_unlock();
	free(pages);
}

/*
 * Random offsets and a few lookup_range spans; with @full, also both ends
 * and both neighbours of every range.
 */
static void verify_model(struct model *m, struct dpidx_maple *s,
			 unsigned long samples, bool full)
{
	unsigned long i, b;

	EXPECT(m->nr_sorted == s->nr_ranges);
	for (i = 0; full && i < m->nr_sorted; i++) {
		b = m->sorted[i]->base;
		verify_offset(s, m, b);
		verify_offset(s, m, b + m->sorted[i]->nr_pages - 1);
		verify_offset(s, m, b + m->sorted[i]->nr_pages);
		if (b)
			verify_offset(s, m, b - 1);
	}
	for (i = 0; i < samples; i++)
		verify_offset(s, m, rnd_below(s->limit + 1024));
	verify_offset(s, m, ~0UL);
	verify_offset(s, m, DPIDX_MAPLE_MAX_OFFSETS);
	verify_offset(s, m, DPIDX_MAPLE_MAX_OFFSETS - 1);
	for (i = 0; i < samples / 16 + 1; i++)
		verify_range(s, rnd_below(s->limit), rnd_below(4096) + 1);
}

/* ---- tests --------------------------------------------------------------- */

static void test_errors(void)
{
	struct dpidx_maple s;
	struct dpidx_pgmap p = { .nr_pages = 4 }, q = { .nr_pages = 1 };
	struct dpidx_pgmap big = { .nr_pages = 5000 }, zero = { 0 };

	EXPECT(dpidx_maple_init(NULL, 1) == -EINVAL);
	EXPECT(dpidx_maple_init(&s, 0) == -EINVAL);
	EXPECT(dpidx_maple_init(&s, DPIDX_MAPLE_MAX_PAGES + 1) == -EINVAL);
	EXPECT(dpidx_maple_init(&s, DPIDX_MAPLE_MAX_PAGES) == 0);
	dpidx_maple_destroy(&s);
	EXPECT(dpidx_maple_init(&s, 1024) == 0);
	check(&s);
	EXPECT(dpidx_maple_map(&s, NULL, -1) == -EINVAL);
	EXPECT(dpidx_maple_map(&s, &zero, -1) == -EINVAL);
	EXPECT(dpidx_maple_map(&s, &p, -2) == -EINVAL);
	EXPECT(dpidx_maple_map(&s, &p, 1 << 20) == -EINVAL);
	EXPECT(dpidx_maple_map(&s, &big, -1) == -ENOSPC);	/* limit 2048 */
	EXPECT(big.space == NULL);
	EXPECT(dpidx_maple_unmap(&s, NULL) == -EINVAL);
	EXPECT(dpidx_maple_unmap(&s, &p) == -ENOENT);
	EXPECT(dpidx_maple_map(&s, &p, -1) == 0);
	EXPECT(p.base == 0 && p.pages);
	EXPECT(dpidx_maple_map(&s, &p, -1) == -EINVAL);	/* already mapped */
	EXPECT(dpidx_maple_map(&s, &q, 0) == 0);
	EXPECT(q.base == 4);
	check(&s);
	EXPECT(o2p(&s, 3) == p.pages + 3 && o2p(&s, 4) == q.pages && !o2p(&s, 5));
	EXPECT(dpidx_maple_page_to_offset(p.pages + 2) == 2);
	/* swap PTEs: v6 scheme */
	{
		uint64_t pte = dpidx_maple_make_swp_pte(4, DPIDX_MIGRATION_WRITE);

		EXPECT(dpidx_maple_swp_pte_is_device_private(pte));
		EXPECT(dpidx_maple_swp_pte_kind(pte) == DPIDX_MIGRATION_WRITE);
		EXPECT(dpidx_maple_swp_pte_offset(pte) == 4);
		dpidx_read_lock();
		EXPECT(dpidx_maple_swp_pte_to_page(&s, pte) == q.pages);
		EXPECT(!dpidx_maple_swp_pte_to_page(&s, dpidx_swp_pte(0, 4)));
		EXPECT(!dpidx_maple_swp_pte_to_page(&s,
				dpidx_maple_make_swp_pte(5, DPIDX_DEVICE_READ)));
		dpidx_read_unlock();
		EXPECT(DPIDX_MAPLE_SWAP_TYPES == 6);
	}
	EXPECT(dpidx_maple_unmap(&s, &p) == 0);
	EXPECT(p.space == NULL && p.pages == NULL);
	EXPECT(dpidx_maple_unmap(&s, &p) == -ENOENT);
	EXPECT(!o2p(&s, 0) && o2p(&s, 4) == q.pages);
	check(&s);
	{
		/* Another space's pgmap is not ours. */
		struct dpidx_maple t;

		EXPECT(dpidx_maple_init(&t, 16) == 0);
		EXPECT(dpidx_maple_unmap(&t, &q) == -ENOENT);
		EXPECT(dpidx_maple_map(&t, &q, -1) == -EINVAL);
		dpidx_maple_destroy(&t);
	}
	dpidx_maple_destroy(&s);	/* releases q */
	EXPECT(q.space == NULL && q.pages == NULL);
	printf("errors: ok\n");
}

/* Hand-made first-fit and alignment cases. */
static void test_aligned(void)
{
	struct dpidx_maple s;
	struct dpidx_pgmap a = { .nr_pages = 10 }, b = { .nr_pages = 600 };
	struct dpidx_pgmap c = { .nr_pages = 3 }, d = { .nr_pages = 5 };
	struct dpidx_pgmap e = { .nr_pages = 512 }, f = { .nr_pages = 499 };
	struct dpidx_pgmap g = { .nr_pages = 1024 };

	EXPECT(dpidx_maple_init(&s, 4096) == 0);	/* limit 8192 */
	EXPECT(dpidx_maple_map(&s, &a, -1) == 0 && a.base == 0);
	EXPECT(dpidx_maple_map(&s, &b, -1) == 0 && b.base == 512);
	EXPECT(dpidx_maple_map(&s, &c, -1) == 0 && c.base == 10);
	EXPECT(dpidx_maple_unmap(&s, &a) == 0);
	EXPECT(dpidx_maple_map(&s, &d, -1) == 0 && d.base == 0);
	EXPECT(dpidx_maple_map(&s, &e, -1) == 0 && e.base == 1536);	/* b ends at 1111 */
	EXPECT(dpidx_maple_map(&s, &f, -1) == 0 && f.base == 13);	/* 13..511 exactly */
	EXPECT(dpidx_maple_map(&s, &a, -1) == 0 && a.base == 1112);
	EXPECT(dpidx_maple_map(&s, &g, -1) == 0 && g.base == 2048);
	check(&s);
	EXPECT(dpidx_maple_unmap(&s, &e) == 0);
	EXPECT(dpidx_maple_map(&s, &e, -1) == 0 && e.base == 1536);
	dpidx_maple_destroy(&s);
	printf("aligned first fit: ok\n");
}

/*
 * Random map/unmap against the model, the checker after every op.  A
 * mapped slot is unmapped with @unmap_pct percent probability (else it is
 * mapped again, which must fail), so the tree settles at a size set by it.
 */
static void test_model(unsigned long ops, unsigned long nr_slots,
		       unsigned long max_pages, unsigned long unmap_pct)
{
	struct model m = { .nr = nr_slots };
	struct dpidx_maple s;
	unsigned long op, i, want, nr_pages, maps = 0, unmaps = 0, full = 0;
	unsigned int max_height = 0;
	int err;

	m.pgmaps = calloc(nr_slots, sizeof(*m.pgmaps));
	m.sorted = malloc((nr_slots + 1) * sizeof(*m.sorted));
	EXPECT(m.pgmaps && m.sorted);
	EXPECT(dpidx_maple_init(&s, max_pages) == 0);
	for (op = 0; op < ops; op++) {
		struct dpidx_pgmap *p = &m.pgmaps[rnd_below(nr_slots)];
		unsigned long r = rnd_below(100);

		if (!p->space) {
			if (r < 70)
				nr_pages = 1 + rnd_below(40);
			else if (r < 90)
				nr_pages = 41 + rnd_below(560);
			else
				nr_pages = 512 + rnd_below(2500);
			want = model_first_fit(&m, s.limit, nr_pages);
			p->nr_pages = nr_pages;
			err = dpidx_maple_map(&s, p, -1);
			if (want == ~0UL) {
				if (err != -ENOSPC)
					FAIL("op %lu: map %lu: %d, want -ENOSPC", op, nr_pages, err);
				full++;
			} else if (err || p->base != want) {
				FAIL("op %lu: map %lu: %d base %lu, want base %lu",
				     op, nr_pages, err, p->base, want);
			} else {
				model_insert(&m, p);
				maps++;
			}
		} else if (r >= unmap_pct) {
			EXPECT(dpidx_maple_map(&s, p, -1) == -EINVAL);
		} else {
			model_remove(&m, p);
			EXPECT(dpidx_maple_unmap(&s, p) == 0);
			EXPECT(dpidx_maple_unmap(&s, p) == -ENOENT);
			unmaps++;
		}
		check(&s);
		if (dpidx_maple_height(&s) > max_height)
			max_height = dpidx_maple_height(&s);
		verify_model(&m, &s, op % 64 ? 4 : 256, op % 256 == 0);
	}
	for (i = 0; i < nr_slots; i++) {
		if (m.pgmaps[i].space && rnd_below(2)) {
			model_remove(&m, &m.pgmaps[i]);
			EXPECT(dpidx_maple_unmap(&s, &m.pgmaps[i]) == 0);
		}
	}
	check(&s);
	verify_model(&m, &s, 256, true);
	dpidx_maple_destroy(&s);
	for (i = 0; i < nr_slots; i++)
		EXPECT(!m.pgmaps[i].space);
	printf("model: %lu ops over %lu slots, %lu maps, %lu unmaps, %lu full, max height %u: ok\n",
	       ops, nr_slots, maps, unmaps, full, max_height);
	free(m.sorted);
	free(m.pgmaps);
}

/* Grow to height >= 3 one range at a time, then shrink back to empty. */
static void test_height(unsigned long nr)
{
	struct dpidx_pgmap *p = calloc(nr, sizeof(*p));
	unsigned long *order = malloc(nr * sizeof(*order)), i, j, t;
	unsigned int h, prev = 0, max = 0;
	struct dpidx_maple s;

	EXPECT(p && order);
	EXPECT(dpidx_maple_init(&s, nr) == 0);
	for (i = 0; i < nr; i++) {
		p[i].nr_pages = 1;
		EXPECT(dpidx_maple_map(&s, &p[i], -1) == 0);
		EXPECT(p[i].base == i);
		check(&s);
		h = dpidx_maple_height(&s);
		EXPECT(h >= prev && h <= prev + 1);
		prev = max = h;
	}
	EXPECT(max >= 3);
	for (i = 0; i < nr; i++)
		order[i] = i;
	for (i = nr - 1; i > 0; i--) {
		j = rnd_below(i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < nr; i++) {
		EXPECT(dpidx_maple_unmap(&s, &p[order[i]]) == 0);
		EXPECT(!o2p(&s, order[i]));
		if (i % 7 == 0 || nr - i < 64)
			check(&s);
		h = dpidx_maple_height(&s);
		EXPECT(h <= prev);
		prev = h;
	}
	EXPECT(dpidx_maple_height(&s) == 0 && s.nr_nodes == 0 && s.nr_ranges == 0);
	check(&s);
	dpidx_maple_destroy(&s);
	printf("height: %lu ranges, grew to %u, shrank to 0: ok\n", nr, max);
	free(order);
	free(p);
}

/* 1 -> @nr ranges: checker and lookups at each power of ten. */
static void test_scale(unsigned long nr)
{
	struct dpidx_pgmap *p = calloc(nr, sizeof(*p));
	unsigned long i, k, next = 1, total = 0, sample, o;
	struct dpidx_maple s;
	double t0 = now_s(), t;

	EXPECT(p);
	EXPECT(dpidx_maple_init(&s, 3 * nr) == 0);
	for (i = 0; i < nr; i++) {
		p[i].nr_pages = 1 + (i % 3);
		EXPECT(dpidx_maple_map(&s, &p[i], -1) == 0);
		EXPECT(p[i].base == total);
		total += p[i].nr_pages;
		if (i + 1 == next || i + 1 == nr) {
			check(&s);
			for (k = 0; k < 1000; k++) {
				sample = rnd_below(i + 1);
				o = p[sample].base + rnd_below(p[sample].nr_pages);
				EXPECT(o2p(&s, o) == p[sample].pages + (o - p[sample].base));
			}
			EXPECT(!o2p(&s, total));
			verify_range(&s, 0, total < 100000 ? total + 10 : 100000);
			printf("scale: %8lu ranges height %u index %lu KiB (%.2fs)\n",
			       i + 1, dpidx_maple_height(&s),
			       dpidx_maple_index_bytes(&s) >> 10, now_s() - t0);
			next *= 10;
		}
	}
	/* Punch holes (one grace period each), refill them: first fit reuses. */
	for (i = 0; i < nr; i += nr / 50 + 1)
		EXPECT(dpidx_maple_unmap(&s, &p[i]) == 0);
	check(&s);
	for (i = 0; i < nr; i += nr / 50 + 1) {
		o = p[i].base;
		EXPECT(!o2p(&s, o));
	}
	for (i = 0; i < nr; i += nr / 50 + 1) {
		EXPECT(dpidx_maple_map(&s, &p[i], -1) == 0);
		EXPECT(p[i].base < total);
	}
	check(&s);
	t = now_s();
	dpidx_maple_destroy(&s);
	for (i = 0; i < nr; i++)
		EXPECT(!p[i].space);
	printf("scale: %lu ranges ok (destroy %.2fs, total %.2fs)\n", nr,
	       now_s() - t, now_s() - t0);
	free(p);
}

/* lookup_range over thousands of ranges and gaps, and at the top of the space. */
static void test_lookup_range(void)
{
	unsigned long nr = 4000, i;
	struct dpidx_pgmap *p = calloc(nr, sizeof(*p));
	struct dpidx_page *pages[8];
	struct dpidx_maple s;

	EXPECT(p);
	EXPECT(dpidx_maple_init(&s, 8 * nr) == 0);
	for (i = 0; i < nr; i++) {
		p[i].nr_pages = 1 + (i * 7) % 5;
		EXPECT(dpidx_maple_map(&s, &p[i], -1) == 0);
	}
	for (i = 0; i < nr; i += 2 + i % 3)
		EXPECT(dpidx_maple_unmap(&s, &p[i]) == 0);
	check(&s);
	verify_range(&s, 0, 5 * nr);
	verify_range(&s, 1, 3 * nr);
	for (i = 0; i < 200; i++)
		verify_range(&s, rnd_below(3 * nr), rnd_below(600) + 1);
	verify_range(&s, DPIDX_MAPLE_MAX_OFFSETS - 3, 6);
	/* Wrapping past ~0UL back to offset 0, which may be mapped. */
	dpidx_read_lock();
	EXPECT(dpidx_maple_lookup_range(&s, ~0UL - 3, 8, pages) == 8);
	for (i = 0; i < 8; i++)
		EXPECT(pages[i] == dpidx_maple_offset_to_page(&s, ~0UL - 3 + i));
	dpidx_read_unlock();
	dpidx_maple_destroy(&s);
	printf("lookup_range: ok\n");
	free(p);
}

static bool root_is_one(struct dpidx_maple *s)
{
	return (unsigned long)s->root & DPIDX_MAPLE_ROOT_ONE;
}

/* Every interesting offset around the ranges @p[0..n) that are mapped. */
static void verify_few(struct dpidx_maple *s, struct dpidx_pgmap *p, unsigned int n,
		       const bool *mapped)
{
	unsigned long probe[] = { 0, 1, ~0UL, ~0UL - 1, DPIDX_MAPLE_MAX_OFFSETS,
				  DPIDX_MAPLE_MAX_OFFSETS - 1, s->limit, s->limit - 1 };
	unsigned long o, b, e;
	unsigned int i, j, k;
	struct dpidx_page *want;

	for (i = 0; i < n; i++) {
		if (!mapped[i])
			continue;
		b = p[i].base;
		e = b + p[i].nr_pages;
		for (k = 0; k < 6; k++) {
			o = k == 0 ? b : k == 1 ? e - 1 : k == 2 ? e : k == 3 ? b - 1 :
			    k == 4 ? b + p[i].nr_pages / 2 : b - 2;
			want = NULL;
			for (j = 0; j < n; j++)
				if (mapped[j] && o - p[j].base < p[j].nr_pages)
					want = p[j].pages + (o - p[j].base);
			EXPECT(o2p(s, o) == want);
		}
	}
	for (k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		o = probe[k];
		want = NULL;
		for (j = 0; j < n; j++)
			if (mapped[j] && o - p[j].base < p[j].nr_pages)
				want = p[j].pages + (o - p[j].base);
		EXPECT(o2p(s, o) == want);
	}
}

/*
 * The one-range root flag: set exactly while the tree is a single leaf of
 * one range (whichever range that is), and its interval test exact at both
 * ends, for a 1-page range, a big one, and one that does not start at 0.
 */
static void test_one_range(void)
{
	struct dpidx_pgmap p[3] = { { .nr_pages = 1 }, { .nr_pages = 5000 },
				    { .nr_pages = 1 } };
	bool mapped[3] = { false };
	struct dpidx_maple s;

	EXPECT(dpidx_maple_init(&s, 1UL << 20) == 0);
	EXPECT(!root_is_one(&s));
	EXPECT(o2p(&s, 0) == NULL);
	EXPECT(dpidx_maple_map(&s, &p[0], -1) == 0);
	mapped[0] = true;
	EXPECT(root_is_one(&s) && p[0].base == 0);
	check(&s);
	verify_few(&s, p, 3, mapped);
	EXPECT(dpidx_maple_map(&s, &p[1], -1) == 0);
	mapped[1] = true;
	EXPECT(!root_is_one(&s));
	check(&s);
	verify_few(&s, p, 3, mapped);
	EXPECT(dpidx_maple_map(&s, &p[2], -1) == 0);
	mapped[2] = true;
	check(&s);
	EXPECT(dpidx_maple_unmap(&s, &p[0]) == 0);
	mapped[0] = false;
	EXPECT(dpidx_maple_unmap(&s, &p[2]) == 0);
	mapped[2] = false;
	/* Only the big, aligned one is left, away from offset 0. */
	EXPECT(root_is_one(&s) && p[1].base >= 512);
	check(&s);
	verify_few(&s, p, 3, mapped);
	EXPECT(dpidx_maple_unmap(&s, &p[1]) == 0);
	mapped[1] = false;
	EXPECT(!root_is_one(&s));
	check(&s);
	verify_few(&s, p, 3, mapped);
	dpidx_maple_destroy(&s);
	printf("one-range root: ok\n");
}

/*
 * Fail each allocation of a map in turn, at heights 0..2: -ENOMEM, the tree
 * and every range exactly as before, the pgmap mappable again.  Then unmap
 * everything with every allocation failing: unmap must not need any.
 */
static void test_alloc_fail(void)
{
	unsigned long nr = 400, i, k, before;
	struct dpidx_pgmap *p = calloc(nr + 1, sizeof(*p)), *x = &p[nr];
	struct dpidx_maple s;
	unsigned long failures = 0;
	int err;

	EXPECT(p);
	EXPECT(dpidx_maple_init(&s, 1024 * nr) == 0);
	for (i = 0; i < nr; i++) {
		x->nr_pages = 1 + rnd_below(700);
		for (k = 0; ; k++) {
			before = s.nr_ranges;
			alloc_count = 0;
			fail_at = (long)k;
			err = dpidx_maple_map(&s, x, -1);
			fail_at = -1;
			if (!err)
				break;
			if (err != -ENOMEM || x->space || x->pages)
				FAIL("map with allocation %lu failing: %d", k, err);
			EXPECT(s.nr_ranges == before);
			check(&s);
			failures++;
		}
		EXPECT(dpidx_maple_unmap(&s, x) == 0);
		p[i].nr_pages = x->nr_pages;
		EXPECT(dpidx_maple_map(&s, &p[i], -1) == 0);
		if (i % 16 == 0)
			for (k = 0; k <= i; k++)
				EXPECT(o2p(&s, p[k].base + p[k].nr_pages - 1) ==
				       p[k].pages + p[k].nr_pages - 1);
	}
	check(&s);
	EXPECT(dpidx_maple_height(&s) >= 2);
	alloc_count = 0;
	fail_at = 0;
	for (i = 0; i < nr; i++) {
		alloc_count = 0;	/* every allocation fails */
		EXPECT(dpidx_maple_unmap(&s, &p[nr - 1 - i]) == 0);
		EXPECT(alloc_count == 0);
		if (i % 8 == 0)
			check(&s);
	}
	fail_at = -1;
	check(&s);
	dpidx_maple_destroy(&s);
	printf("alloc failure: %lu injected map failures, unmaps allocation-free: ok\n",
	       failures);
	free(p);
}

/* ---- two-thread smoke ---------------------------------------------------- */

struct smoke {
	struct dpidx_maple s;
	struct dpidx_pgmap stable;
	volatile int stop;
	unsigned long lookups, hits;
};

static void *smoke_reader(void *arg)
{
	struct smoke *sm = arg;
	unsigned long o, n = 0, hits = 0, limit = sm->s.limit;
	unsigned long long state = seed * 7 + 1;
	struct dpidx_page *page;

	rcu_register_thread();
	do {	/* at least one batch, even if the writer is done first */
		dpidx_read_lock();
		for (int i = 0; i < 256; i++, n++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			o = (state >> 20) % limit;
			page = dpidx_maple_offset_to_page(&sm->s, o);
			if (page) {
				hits++;
				if (dpidx_maple_page_to_offset(page) != o)
					FAIL("reader: page of %lu says %lu", o,
					     dpidx_maple_page_to_offset(page));
			}
			o = sm->stable.base + (state >> 40) % sm->stable.nr_pages;
			if (dpidx_maple_offset_to_page(&sm->s, o) !=
			    sm->stable.pages + (o - sm->stable.base))
				FAIL("reader: stable offset %lu lost", o);
		}
		dpidx_read_unlock();
	} while (!__atomic_load_n(&sm->stop, __ATOMIC_RELAXED));
	rcu_unregister_thread();
	sm->lookups = n;
	sm->hits = hits;
	return NULL;
}

static void test_smoke(unsigned long ms)
{
	static struct smoke sm;
	unsigned long nr = 256, ops = 0, i;
	struct dpidx_pgmap *p = calloc(nr, sizeof(*p));
	pthread_t reader;
	double end;

	EXPECT(p);
	EXPECT(dpidx_maple_init(&sm.s, 64 * nr) == 0);
	sm.stable.nr_pages = 700;
	EXPECT(dpidx_maple_map(&sm.s, &sm.stable, -1) == 0);
	EXPECT(pthread_create(&reader, NULL, smoke_reader, &sm) == 0);
	end = now_s() + ms / 1000.0;
	while (now_s() < end) {
		struct dpidx_pgmap *q = &p[rnd_below(nr)];

		if (q->space) {
			EXPECT(dpidx_maple_unmap(&sm.s, q) == 0);
		} else {
			int err;

			q->nr_pages = 1 + rnd_below(rnd_below(4) ? 64 : 1200);
			err = dpidx_maple_map(&sm.s, q, -1);
			EXPECT(err == 0 || err == -ENOSPC);
		}
		ops++;
	}
	__atomic_store_n(&sm.stop, 1, __ATOMIC_RELAXED);
	pthread_join(reader, NULL);
	check(&sm.s);
	dpidx_maple_destroy(&sm.s);
	for (i = 0; i < nr; i++)
		EXPECT(!p[i].space);
	printf("smoke: %lu writer ops, %lu lookups (%lu hits) in %lums: ok\n",
	       ops, sm.lookups, sm.hits, ms);
	free(p);
}

int main(int argc, char **argv)
{
	unsigned long scale = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	unsigned long ops = argc > 3 ? strtoul(argv[3], NULL, 0) : 20000;
	unsigned long smoke_ms = argc > 4 ? strtoul(argv[4], NULL, 0) : 1000;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
	if (!seed)
		seed = (unsigned long long)time(NULL) ^
		       ((unsigned long long)getpid() << 32);
	rng_state = seed | 1;
	printf("test_maple: seed %llu (replay: %s %llu %lu %lu %lu)\n", seed,
	       argv[0], seed, scale, ops, smoke_ms);
	fflush(stdout);

	rcu_register_thread();
	test_errors();
	test_aligned();
	test_lookup_range();
	test_one_range();
	test_alloc_fail();
	test_model(ops, 300, 20000, 97);
	test_model(ops, 8000, 1UL << 22, 30);
	test_height(4000);
	if (scale)
		test_scale(scale);
	rcu_unregister_thread();
	if (smoke_ms)
		test_smoke(smoke_ms);
	printf("test_maple: all ok\n");
	return 0;
}
