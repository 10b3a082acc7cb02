// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Conformance: API.md's contract, checked case by case, for one encoding.
 *
 *   test_conformance ENCODING
 */
#include "common.h"
#include "enc.h"

static const struct dpidx_enc *enc;

static void *space_new(unsigned long max_pages)
{
	void *s = calloc(1, enc->space_size);
	int err;

	REQUIRE(s, "out of memory");
	err = enc->init(s, max_pages);
	REQUIRE(!err, "%s: init(%lu) = %d", enc->name, max_pages, err);
	return s;
}

static void space_free(void *s)
{
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(s);
}

/* Every offset of @p resolves to its descriptor and back. */
static void check_range(void *s, const struct dpidx_pgmap *p)
{
	unsigned long i;

	dpidx_read_lock();
	for (i = 0; i < p->nr_pages; i++) {
		struct dpidx_page *page = enc->offset_to_page(s, p->base + i);

		if (page != &p->pages[i]) {
			CHECK(0, "%s: offset %lu -> %p, want %p", enc->name,
			      p->base + i, (void *)page, (void *)&p->pages[i]);
			break;
		}
		if (enc->page_to_offset(page) != p->base + i) {
			CHECK(0, "%s: page_to_offset(pages[%lu]) = %lu, want %lu",
			      enc->name, i, enc->page_to_offset(page), p->base + i);
			break;
		}
	}
	dpidx_read_unlock();
}

static bool resolves_nowhere(void *s, unsigned long offset)
{
	struct dpidx_page *page;

	dpidx_read_lock();
	page = enc->offset_to_page(s, offset);
	dpidx_read_unlock();
	return page == NULL;
}

static void test_init_errors(void)
{
	void *s = calloc(1, enc->space_size);

	CHECK_EQ(enc->init(s, 0), -EINVAL);
	if (enc->max_pages < ~0UL)
		CHECK_EQ(enc->init(s, enc->max_pages + 1), -EINVAL);
	CHECK_EQ(enc->init(s, ~0UL), -EINVAL);
	free(s);
	s = space_new(1);	/* the smallest space works */
	space_free(s);
}

static void test_empty(void)
{
	static const unsigned long offsets[] = {
		0, 1, 511, 512, 4096, 1UL << 33, 1UL << 40, 1UL << 63, ~0UL,
	};
	struct dpidx_page *pages[700];
	void *s = space_new(1UL << 16);
	unsigned long i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
		CHECK(resolves_nowhere(s, offsets[i]), "offset %#lx resolves in an empty space",
		      offsets[i]);
	memset(pages, 0xff, sizeof(pages));
	dpidx_read_lock();
	CHECK_EQ(enc->lookup_range(s, 100, 700, pages), 700);
	CHECK_EQ(enc->lookup_range(s, ~0UL - 5, 10, pages), 10);	/* wraps */
	CHECK_EQ(enc->lookup_range(s, 0, 0, pages), 0);
	dpidx_read_unlock();
	for (i = 0; i < 10; i++)
		CHECK(!pages[i], "lookup_range filled a non-NULL page");
	space_free(s);
}

static void test_map_errors(void)
{
	struct dpidx_pgmap p = { .nr_pages = 8 }, q = { 0 }, huge = { .nr_pages = ~0UL };
	void *s = space_new(1UL << 16), *s2 = space_new(1UL << 16);

	CHECK_EQ(enc->map(s, NULL, -1), -EINVAL);
	CHECK_EQ(enc->map(s, &q, -1), -EINVAL);		/* nr_pages 0 */
	CHECK_EQ(enc->map(s, &p, -2), -EINVAL);		/* no such node */
	CHECK_EQ(enc->map(s, &p, 1 << 20), -EINVAL);
	CHECK(!p.space && !p.pages, "a failed map changed the pgmap");
	CHECK_EQ(enc->map(s, &p, -1), 0);
	CHECK_EQ(enc->map(s, &p, -1), -EINVAL);		/* already mapped */
	CHECK_EQ(enc->map(s2, &p, -1), -EINVAL);	/* mapped elsewhere */
	CHECK_EQ(enc->map(s, &huge, -1), -ENOSPC);	/* bigger than any space */
	CHECK(!huge.space && !huge.pages, "a failed map changed the pgmap");
	check_range(s, &p);
	CHECK_EQ(enc->unmap(s, NULL), -EINVAL);
	CHECK_EQ(enc->unmap(s2, &p), -ENOENT);		/* not mapped there */
	CHECK_EQ(enc->unmap(s, &q), -ENOENT);		/* never mapped */
	check_range(s, &p);
	CHECK_EQ(enc->unmap(s, &p), 0);
	CHECK_EQ(enc->unmap(s, &p), -ENOENT);		/* twice */
	space_free(s);
	space_free(s2);
}

static const unsigned long sizes[] = {
	1, 3, 511, 512, 513, 1024, 4096, 100000, 2, 7000,
};
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static void test_map_lookup(void)
{
	struct dpidx_pgmap p[NR_SIZES];
	void *s = space_new(1UL << 20);
	unsigned long i, j;

	memset(p, 0, sizeof(p));
	for (i = 0; i < NR_SIZES; i++) {
		p[i].nr_pages = sizes[i];
		p[i].owner = &p[i];
		CHECK_EQ(enc->map(s, &p[i], i & 1 ? 0 : -1), 0);
		CHECK(p[i].pages && p[i].owner == &p[i], "map outputs");
		if (sizes[i] >= DPIDX_PMD_PAGES)
			CHECK(p[i].base % DPIDX_PMD_PAGES == 0,
			      "%lu-page range at %lu not 512-aligned", sizes[i], p[i].base);
		CHECK_EQ(enc->check(s), 0);
	}
	for (i = 0; i < NR_SIZES; i++) {
		for (j = 0; j < NR_SIZES; j++)
			CHECK(i == j || p[i].base + p[i].nr_pages <= p[j].base ||
			      p[j].base + p[j].nr_pages <= p[i].base,
			      "ranges %lu and %lu overlap", i, j);
		for (j = 0; j < p[i].nr_pages; j++)
			if (p[i].pages[j].flags || p[i].pages[j].refcount ||
			    p[i].pages[j].mapcount || dpidx_page_range(&p[i].pages[j]) != &p[i]) {
				CHECK(0, "descriptor %lu of range %lu not initialised", j, i);
				break;
			}
		check_range(s, &p[i]);
	}
	/* Unmap every other range: the rest still resolve, the holes do not. */
	for (i = 0; i < NR_SIZES; i += 2) {
		unsigned long base = p[i].base, nr = p[i].nr_pages;

		CHECK_EQ(enc->unmap(s, &p[i]), 0);
		CHECK(!p[i].space && !p[i].pages, "unmap did not release the pgmap");
		CHECK(resolves_nowhere(s, base) && resolves_nowhere(s, base + nr - 1),
		      "an unmapped range still resolves");
		CHECK_EQ(enc->check(s), 0);
	}
	for (i = 1; i < NR_SIZES; i += 2)
		check_range(s, &p[i]);
	/* Remap the same pgmaps: allowed, and everything resolves again. */
	for (i = 0; i < NR_SIZES; i += 2)
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
	for (i = 0; i < NR_SIZES; i++)
		check_range(s, &p[i]);
	space_free(s);	/* destroy unmaps what is left */
	for (i = 0; i < NR_SIZES; i++)
		CHECK(!p[i].space && !p[i].pages, "destroy did not release range %lu", i);
}

/*
 * DPIDX_PGMAP_CALLER_PAGES: the caller's descriptors (the kernel's memmap)
 * are published as they are, never allocated, initialised or freed by
 * dpidx, and what unmap does is decided by the flag at map time.
 */
static void test_caller_pages(void)
{
	const unsigned long nr = 1000;
	struct dpidx_page *mine = aligned_alloc(64, nr * sizeof(*mine));
	struct dpidx_pgmap p, bad;
	void *s = space_new(1UL << 20);
	unsigned long i, base;

	REQUIRE(mine, "out of memory");
	memset(mine, 0, nr * sizeof(*mine));
	memset(&p, 0, sizeof(p));
	memset(&bad, 0, sizeof(bad));
	for (i = 0; i < nr; i++) {
		dpidx_page_set_range(&mine[i], &p);
		mine[i].index = i;	/* dpidx must not touch it */
	}
	p.nr_pages = nr;
	p.flags = DPIDX_PGMAP_CALLER_PAGES;
	p.pages = mine;
	if (!enc->caller_pages) {
		/* An encoding that places its descriptors itself refuses them. */
		CHECK_EQ(enc->map(s, &p, -1), -EINVAL);
		CHECK(!p.space && p.pages == mine, "a refused map changed the pgmap");
		space_free(s);
		free(mine);
		return;
	}
	CHECK_EQ(enc->map(s, &p, -1), 0);
	CHECK(p.pages == mine, "map replaced the caller's descriptors");
	check_range(s, &p);
	CHECK_EQ(enc->check(s), 0);
	base = p.base;
	p.flags = 0;	/* an in: field changed after map is not trusted */
	CHECK_EQ(enc->unmap(s, &p), 0);
	CHECK(!p.space && p.pages == mine, "unmap dropped the caller's descriptors");
	CHECK(resolves_nowhere(s, base) && resolves_nowhere(s, base + nr - 1),
	      "an unmapped caller range still resolves");
	for (i = 0; i < nr; i++)
		if (mine[i].index != i || dpidx_page_range(&mine[i]) != &p) {
			CHECK(0, "descriptor %lu was written", i);
			break;
		}
	bad.nr_pages = 4;
	bad.flags = DPIDX_PGMAP_CALLER_PAGES;	/* and no pages */
	CHECK_EQ(enc->map(s, &bad, -1), -EINVAL);
	bad.flags = 0x2;			/* unknown flag */
	bad.pages = mine;
	CHECK_EQ(enc->map(s, &bad, -1), -EINVAL);
	/* Mapped again, then left to destroy: still not freed by dpidx. */
	p.flags = DPIDX_PGMAP_CALLER_PAGES;
	CHECK_EQ(enc->map(s, &p, -1), 0);
	check_range(s, &p);
	space_free(s);
	CHECK(!p.space && p.pages == mine, "destroy dropped the caller's descriptors");
	free(mine);
}

/* lookup_range == n single lookups, across ranges, holes and chunk ends. */
static void test_lookup_range(void)
{
	struct dpidx_pgmap p[NR_SIZES];
	struct dpidx_page *pages[3000];
	void *s = space_new(1UL << 20);
	unsigned long i, k, n, start, ret;
	struct rng rng;

	memset(p, 0, sizeof(p));
	for (i = 0; i < NR_SIZES; i++) {
		p[i].nr_pages = sizes[i];
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
	}
	CHECK_EQ(enc->unmap(s, &p[3]), 0);	/* a hole */
	rng_seed(&rng, test_seed);
	for (k = 0; k < 2000; k++) {
		const struct dpidx_pgmap *r = &p[rng_below(&rng, NR_SIZES)];

		start = r->base + rng_below(&rng, r->nr_pages + 600) - 300;
		n = rng_below(&rng, 3000);
		dpidx_read_lock();
		ret = enc->lookup_range(s, start, n, pages);
		CHECK_EQ(ret, n);
		for (i = 0; i < n; i++)
			if (pages[i] != enc->offset_to_page(s, start + i)) {
				CHECK(0, "%s: lookup_range(%lu, %lu)[%lu] differs from offset_to_page",
				      enc->name, start, n, i);
				break;
			}
		dpidx_read_unlock();
	}
	space_free(s);
}

/* Every kind round-trips; nothing else is taken for device-private. */
static void test_swp_pte(void)
{
	struct dpidx_pgmap p = { .nr_pages = 1500 };
	unsigned int nr = enc->swap_types, types_seen = 0, t;
	void *s = space_new(1UL << 16);
	unsigned long idx, pfn, off;
	uint64_t pte, mig;
	int kind;
	bool used[DPIDX_NR_SWAP_TYPES] = { false };

	CHECK_EQ(enc->map(s, &p, -1), 0);
	dpidx_read_lock();
	for (kind = 0; kind < DPIDX_NR_KINDS; kind++) {
		for (idx = 0; idx < p.nr_pages; idx += 149) {
			off = p.base + idx;
			pte = enc->make_swp_pte(off, (enum dpidx_kind)kind);
			CHECK(!(pte & (DPIDX_PTE_PRESENT | DPIDX_PTE_PROTNONE)),
			      "PTE %#" PRIx64 " has present or PROT_NONE set", pte);
			CHECK(enc->swp_pte_is_device_private(pte), "kind %d offset %lu", kind, off);
			CHECK_EQ(enc->swp_pte_kind(pte), kind);
			CHECK_EQ(enc->swp_pte_offset(pte), off);
			CHECK(enc->swp_pte_to_page(s, pte) == &p.pages[idx], "kind %d idx %lu", kind, idx);
			/* Swap soft-dirty/uffd-wp/exclusive bits are not part of the entry. */
			CHECK(enc->swp_pte_to_page(s, pte | 0x82) == &p.pages[idx], "flag bits");
			CHECK(!enc->swp_pte_to_page(s, pte | DPIDX_PTE_PRESENT), "present");
			CHECK(!enc->swp_pte_to_page(s, pte | DPIDX_PTE_PROTNONE), "PROT_NONE");
		}
		t = dpidx_swp_pte_type(enc->make_swp_pte(p.base, (enum dpidx_kind)kind));
		if (t < DPIDX_SWP_MIGRATION_READ(nr) || t > DPIDX_SWP_MIGRATION_WRITE(nr))
			used[t] = true;
	}
	for (t = 0; t < DPIDX_NR_SWAP_TYPES; t++)
		types_seen += used[t];
	CHECK_EQ(types_seen, nr);	/* DPIDX_E_SWAP_TYPES is the truth */
	/* Ordinary entries: swap files, hwpoison, marker, migration of real PFNs. */
	for (pfn = 0; pfn < (1UL << DPIDX_SWP_PFN_BITS); pfn = pfn * 3 + 1) {
		for (t = 0; t < (unsigned int)DPIDX_MAX_SWAPFILES(nr); t += 5)
			CHECK(!enc->swp_pte_is_device_private(dpidx_swp_pte(t, pfn)),
			      "swap file %u offset %lu", t, pfn);
		CHECK(!enc->swp_pte_is_device_private(dpidx_swp_pte(DPIDX_SWP_HWPOISON(nr), pfn)),
		      "hwpoison");
		CHECK(!enc->swp_pte_is_device_private(dpidx_swp_pte(DPIDX_SWP_PTE_MARKER, pfn)),
		      "pte marker");
		for (t = 0; t < 3; t++) {
			mig = dpidx_swp_pte(DPIDX_SWP_MIGRATION_READ(nr) + t,
					    pfn | (1UL << DPIDX_SWP_MIG_YOUNG_BIT) |
					    (1UL << DPIDX_SWP_MIG_DIRTY_BIT));
			CHECK(!enc->swp_pte_is_device_private(dpidx_swp_pte(DPIDX_SWP_MIGRATION_READ(nr) + t, pfn)) &&
			      !enc->swp_pte_is_device_private(mig),
			      "migration entry of pfn %lu taken as device-private", pfn);
			CHECK(!enc->swp_pte_to_page(s, mig), "migration entry resolved");
		}
		/* A present PTE of that PFN. */
		CHECK(!enc->swp_pte_is_device_private((pfn << 12) | 0x63), "present pte");
	}
	CHECK(!enc->swp_pte_is_device_private(0), "pte_none");
	/* A device-private entry of an unmapped offset: classified, not resolved. */
	pte = enc->make_swp_pte(p.base + p.nr_pages, DPIDX_DEVICE_READ);
	CHECK(!enc->swp_pte_to_page(s, pte), "an unmapped offset resolved");
	dpidx_read_unlock();
	space_free(s);
}

/* A space holds max_pages in total; freed offsets are reused. */
static void test_capacity_and_reuse(void)
{
	struct dpidx_pgmap p[8], big = { .nr_pages = 4096 };
	void *s = space_new(4096);
	unsigned long i;

	memset(p, 0, sizeof(p));
	for (i = 0; i < 8; i++) {
		p[i].nr_pages = 512;
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
	}
	for (i = 0; i < 8; i++) {
		check_range(s, &p[i]);
		CHECK_EQ(enc->unmap(s, &p[i]), 0);
	}
	for (i = 0; i < 2000; i++) {	/* would exhaust the space without reuse */
		int err = enc->map(s, &big, -1);

		CHECK_EQ(err, 0);
		if (err)
			break;
		CHECK_EQ(enc->unmap(s, &big), 0);
	}
	/* Small ranges: 64 of them always fit. */
	for (i = 0; i < 8; i++) {
		p[i].nr_pages = 1 + i;
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
	}
	for (i = 0; i < 8; i++)
		check_range(s, &p[i]);
	space_free(s);
}

/* Two spaces never see each other's ranges. */
static void test_independent_spaces(void)
{
	struct dpidx_pgmap a = { .nr_pages = 600 }, b = { .nr_pages = 600 };
	void *s1 = space_new(1UL << 16), *s2 = space_new(1UL << 16);

	CHECK_EQ(enc->map(s1, &a, -1), 0);
	CHECK_EQ(enc->map(s2, &b, -1), 0);
	dpidx_read_lock();
	CHECK(enc->offset_to_page(s1, a.base) == &a.pages[0], "s1");
	CHECK(enc->offset_to_page(s2, b.base) == &b.pages[0], "s2");
	dpidx_read_unlock();
	CHECK_EQ(enc->unmap(s1, &a), 0);
	check_range(s2, &b);
	CHECK(resolves_nowhere(s1, a.base), "s1 after unmap");
	space_free(s1);
	space_free(s2);
}

/* Many ranges: index growth keeps everything resolvable. */
static void test_many_ranges(void)
{
	enum { N = 3000 };
	struct dpidx_pgmap *p = calloc(N, sizeof(*p));
	void *s = space_new(1UL << 22);
	unsigned long i;

	REQUIRE(p, "out of memory");
	for (i = 0; i < N; i++) {
		p[i].nr_pages = 1 + (i * 37) % 700;
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
	}
	CHECK_EQ(enc->check(s), 0);
	for (i = 0; i < N; i += 3)
		CHECK_EQ(enc->unmap(s, &p[i]), 0);
	for (i = 1; i < N; i += 3)
		check_range(s, &p[i]);
	space_free(s);
	free(p);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING\n", argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "conformance";
	test_seed = test_pick_seed(argc, argv);
	rcu_register_thread();
	printf("conformance %s (%u swap types, MAX_SWAPFILES %u)\n", enc->name,
	       enc->swap_types, DPIDX_MAX_SWAPFILES(enc->swap_types));
	test_init_errors();
	test_empty();
	test_map_errors();
	test_map_lookup();
	test_lookup_range();
	test_swp_pte();
	test_capacity_and_reuse();
	test_independent_spaces();
	test_many_ranges();
	test_caller_pages();
	CHECK_NO_LEAK();
	rcu_unregister_thread();
	return test_finish();
}
