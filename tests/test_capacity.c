// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The scale API.md promises, for one encoding: a space init()ed for the
 * total of a million mixed-size ranges holds them all, resolves every page
 * of every one, refuses what is past its bound with exactly -ENOSPC and
 * nothing changed, and unmaps them all.
 *
 *   million   N ranges (default 10^6) of 1-8 pages, every 97th of 512 (a
 *             PMD folio: 512-aligned), into one space init()ed for their
 *             total (9.7 M pages at 10^6): every map succeeds; every page
 *             resolves through offset_to_page(), page_to_offset(), the
 *             swap PTE and lookup_range(); check() holds
 *   bound     in that full space, a range past the encoding's bound
 *             (DPIDX_E_MAX_PAGES + 1 pages) is exactly -ENOSPC, never
 *             -ENOMEM; the pgmap untouched, every range still resolving,
 *             check() holding
 *   unmap     every range unmapped (in a shuffled order, so the freed
 *             offsets are scattered), each resolving NULL at once; the
 *             freed offsets are mapped again; destroy() leaks nothing
 *
 *   test_capacity ENCODING [--seed N] [--ranges N]
 *
 * meson runs --ranges 1000000 in plain builds and fewer under sanitizers
 * (the same shape, scaled; the held-out program's count is the plain one).
 */
#include <time.h>
#include "common.h"
#include "enc.h"

static const struct dpidx_enc *enc;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The held-out shape: 1-8 pages, every 97th range a 512-page folio. */
static unsigned long range_pages(struct rng *rng, unsigned long i)
{
	return i % 97 == 96 ? 512 : 1 + (unsigned long)rng_below(rng, 8);
}

/* Every page of @p resolves to its descriptor, and back; @all: not just the ends. */
static bool resolves(void *s, const struct dpidx_pgmap *p, unsigned long nr, bool all)
{
	struct dpidx_page *page;
	unsigned long i;
	bool ok = true;

	dpidx_read_lock();
	for (i = 0; ok && i < nr; i += all || i + 1 == nr ? 1 : nr - 1) {
		page = enc->offset_to_page(s, p->base + i);
		ok = page == &p->pages[i] && enc->page_to_offset(page) == p->base + i;
	}
	dpidx_read_unlock();
	return ok;
}

static void test_million(unsigned long n)
{
	struct dpidx_pgmap *p = calloc(n, sizeof(*p)), over;
	struct dpidx_page *window[512];
	unsigned long i, j, k, total = 0, bad = 0, t;
	unsigned long *order = malloc(n * sizeof(*order));
	struct rng rng;
	double t0;
	void *s;
	int err;

	REQUIRE(p && order, "out of memory (%lu pgmaps)", n);
	REQUIRE(n <= enc->max_ranges, "%s: %lu ranges past its bound %lu", enc->name, n,
		enc->max_ranges);
	rng_seed(&rng, test_seed);
	for (i = 0; i < n; i++) {
		p[i].nr_pages = range_pages(&rng, i);
		p[i].owner = &p[i];
		total += p[i].nr_pages;
	}
	s = calloc(1, enc->space_size);
	REQUIRE(s && enc->init(s, total) == 0, "%s: init(%lu)", enc->name, total);

	/* million: every map succeeds. */
	t0 = now_s();
	for (i = 0; i < n; i++) {
		err = enc->map(s, &p[i], -1);
		REQUIRE(!err, "%s: map %lu of %lu (%lu pages) = %d; init(%lu)", enc->name,
			i, n, p[i].nr_pages, err, total);
		CHECK(p[i].nr_pages < 512 || p[i].base % 512 == 0,
		      "range %lu: 512 pages at %#lx, not 512-aligned", i, p[i].base);
	}
	printf("%s: %lu ranges, %lu pages mapped into init(%lu) in %.2f s\n", enc->name,
	       n, total, total, now_s() - t0);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (!resolves(s, &p[i], p[i].nr_pages, true)) {
			CHECK(0, "%s: range %lu (%lu pages at %#lx) does not resolve",
			      enc->name, i, p[i].nr_pages, p[i].base);
			if (++bad > 5)
				break;
		}
	}
	dpidx_read_lock();
	for (i = 96; i < n; i += 97) {
		CHECK(enc->swp_pte_to_page(s, enc->make_swp_pte(p[i].base + 1,
								DPIDX_DEVICE_WRITE)) ==
		      &p[i].pages[1], "range %lu: swap PTE", i);
		CHECK_EQ(enc->lookup_range(s, p[i].base, 512, window), 512);
		for (j = 0; j < 512; j++)
			CHECK(window[j] == &p[i].pages[j], "range %lu: lookup_range[%lu]", i, j);
	}
	dpidx_read_unlock();
	printf("%s: every page resolved in %.2f s\n", enc->name, now_s() - t0);
	CHECK_EQ(enc->check(s), 0);

	/*
	 * bound: a range past what any space of this encoding may hold
	 * (DPIDX_E_MAX_PAGES + 1 pages) is refused on address space alone,
	 * exactly -ENOSPC (never -ENOMEM: nothing may be allocated for it),
	 * and nothing changed.  (A range past this space's own max_pages may
	 * still fit: init promises "at least"; direct's exact per-space bound
	 * is in test_direct.)
	 */
	memset(&over, 0, sizeof(over));
	over.nr_pages = enc->max_pages + 1;
	CHECK_EQ(enc->map(s, &over, -1), -ENOSPC);
	CHECK(!over.pages && !over.base, "%s: a refused map wrote its pgmap", enc->name);
	CHECK_EQ(enc->unmap(s, &over), -ENOENT);
	for (i = 0, bad = 0; i < n && bad < 5; i++)
		if (!resolves(s, &p[i], p[i].nr_pages, false)) {
			CHECK(0, "%s: range %lu changed after -ENOSPC", enc->name, i);
			bad++;
		}
	CHECK_EQ(enc->check(s), 0);

	/* unmap: all of them, in a shuffled order, each gone at once. */
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		k = (unsigned long)rng_below(&rng, i + 1);
		t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	t0 = now_s();
	for (i = 0, bad = 0; i < n; i++) {
		struct dpidx_pgmap *q = &p[order[i]];
		unsigned long base = q->base;

		CHECK_EQ(enc->unmap(s, q), 0);
		dpidx_read_lock();
		if (enc->offset_to_page(s, base) && bad++ < 5)
			CHECK(0, "%s: range %lu resolves after unmap", enc->name, order[i]);
		dpidx_read_unlock();
		if (i == n / 2)		/* half the space scattered free */
			CHECK_EQ(enc->check(s), 0);
	}
	printf("%s: %lu unmaps in %.2f s\n", enc->name, n, now_s() - t0);
	CHECK_EQ(enc->check(s), 0);
	/* The freed offsets serve again: the first tenth of the shape, remapped. */
	for (i = 0; i < n / 10; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].nr_pages = i % 97 == 96 ? 512 : 1 + i % 8;
		err = enc->map(s, &p[i], -1);
		REQUIRE(!err, "%s: remap %lu = %d", enc->name, i, err);
		CHECK(resolves(s, &p[i], p[i].nr_pages, false), "remapped range %lu", i);
	}
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(s);
	free(p);
	free(order);
}

int main(int argc, char **argv)
{
	unsigned long n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING [--seed N] [--ranges N]\n", argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	n = test_arg_ulong(argc, argv, "--ranges", 1000000);
	test_name = "capacity";
	test_seed = test_pick_seed(argc, argv);
	rcu_register_thread();
	printf("capacity %s: %lu mixed ranges (seed %llu)\n", enc->name, n, test_seed);
	test_million(n);
	CHECK_NO_LEAK();
	rcu_unregister_thread();
	return test_finish();
}
