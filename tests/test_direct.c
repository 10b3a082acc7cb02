// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * tests/test_direct.c - what only the direct encoding promises.
 *
 *   holes      every index of the region, read before, between and after
 *              ranges and after they go, resolves to NULL without faulting;
 *              so do the edges of every unsigned long (each single bit, the
 *              tag with each bit, the bound and one past it)
 *   packing    512-page ranges share a 2 MiB descriptor block (64 to one),
 *              1-page ranges take one 8-page unit each, ranges of 512+
 *              pages start 512-aligned, a range that fits a block does not
 *              straddle two, blocks are per node
 *   refcounts  a block is populated by its first range and depopulated when
 *              its last range goes (its descriptors read zeros again), and
 *              its offsets are reused
 *   unmap      uses what map recorded, not the caller-writable nr_pages
 *   failures   a populate that fails is -ENOMEM and changes nothing
 *   bound      more than max_pages pages, or one range past the region's
 *              last unit, is exactly -ENOSPC with nothing changed
 *   destroy    lookups after destroy (and on a zeroed space) return NULL
 *   costs      index bytes (bitmap, block table, page tables) per GiB mapped
 *              and region VA per page, printed; index bytes <= 10 KiB/GiB
 *
 *   test_direct [--seed N]
 */
#define DPIDX_DEBUG_HOOKS
#include <sys/mman.h>
#include "common.h"
#include <dpidx/dpidx.h>

static int fail_populate;

bool dpidx_debug_alloc_fail(void)
{
	if (fail_populate > 0)
		return --fail_populate == 0;
	return false;
}

#define UNIT	DPIDX_DIRECT_UNIT_PAGES
#define BLOCK	DPIDX_DIRECT_BLOCK_PAGES
#define TAG	DPIDX_DIRECT_BIT

static struct dpidx_page *lookup(struct dpidx_direct *s, unsigned long v)
{
	struct dpidx_page *page;

	dpidx_read_lock();
	page = dpidx_direct_offset_to_page(s, v);
	dpidx_read_unlock();
	return page;
}

static unsigned long idx_of(const struct dpidx_pgmap *p)
{
	return p->base ^ TAG;
}

/* Every index of [from, to) resolves to NULL (stride @step). */
static void check_holes(struct dpidx_direct *s, unsigned long from, unsigned long to,
			unsigned long step, const char *what)
{
	unsigned long i, bad = 0;

	for (i = from; i < to; i += step)
		if (lookup(s, TAG | i))
			bad++;
	CHECK(!bad, "%s: %lu of [%lu, %lu) resolve", what, bad, from, to);
}

static void map_ok(struct dpidx_direct *s, struct dpidx_pgmap *p, unsigned long nr, int nid)
{
	memset(p, 0, sizeof(*p));
	p->nr_pages = nr;
	p->owner = p;
	REQUIRE(dpidx_direct_map(s, p, nid) == 0, "map(%lu, %d)", nr, nid);
	CHECK(lookup(s, p->base) == p->pages && lookup(s, p->base + nr - 1) == p->pages + nr - 1,
	      "range of %lu does not resolve", nr);
	CHECK(dpidx_direct_page_to_offset(p->pages + nr - 1) == p->base + nr - 1,
	      "page_to_offset");
	if (nr >= DPIDX_PMD_PAGES)
		CHECK(p->base % DPIDX_PMD_PAGES == 0, "base %#lx of %lu pages", p->base, nr);
}

/* Pages of block @blk resident (mincore), out of 512. */
static unsigned long resident(struct dpidx_direct *s, unsigned long blk)
{
	static unsigned char vec[DPIDX_DIRECT_BLOCK_BYTES / 4096];
	unsigned long i, n = 0;

	if (mincore((char *)s->region + blk * DPIDX_DIRECT_BLOCK_BYTES,
		    DPIDX_DIRECT_BLOCK_BYTES, vec))
		return ~0UL;
	for (i = 0; i < sizeof(vec); i++)
		n += vec[i] & 1;
	return n;
}

static void test_holes_and_edges(void)
{
	struct dpidx_direct s;
	struct dpidx_pgmap a, b;
	unsigned long nr, bit, v;

	REQUIRE(dpidx_direct_init(&s, 1UL << 16) == 0, "init");
	nr = s.nr_offsets;
	CHECK(nr % BLOCK == 0 && nr >= 2 * (1UL << 16), "nr_offsets %lu", nr);
	check_holes(&s, 0, nr, 1, "empty space, every index");
	map_ok(&s, &a, 1000, -1);
	map_ok(&s, &b, 3, -1);
	check_holes(&s, idx_of(&a) + 1000, idx_of(&b), 1, "between ranges");
	check_holes(&s, idx_of(&b) + 3, nr, 1, "after the ranges");
	/* Edges of every unsigned long. */
	for (bit = 0; bit < 64; bit++) {
		v = 1UL << bit;
		if (v != TAG)
			CHECK(!lookup(&s, v), "1 << %lu resolves", bit);
		if ((TAG | v) != TAG)
			CHECK(!lookup(&s, TAG | v) || (v >= idx_of(&a) && v < idx_of(&a) + 1000) ||
			      v == idx_of(&b), "tag | 1 << %lu resolves", bit);
		CHECK(!lookup(&s, ~v), "~(1 << %lu) resolves", bit);
	}
	CHECK(!lookup(&s, 0) && !lookup(&s, ~0UL) && !lookup(&s, TAG - 1), "small/huge values");
	CHECK(!lookup(&s, TAG | nr) && !lookup(&s, TAG | (nr - 1)), "the bound");
	CHECK(!lookup(&s, TAG | DPIDX_TAG_PAYLOAD_MASK), "the top of the payload");
	CHECK(!lookup(&s, idx_of(&a)), "the untagged index of a mapped offset");
	CHECK(!lookup(&s, a.base | (1UL << 63)), "a mapped value with bit 63");
	CHECK(lookup(&s, a.base) == a.pages, "still mapped");
	CHECK_EQ(dpidx_direct_check(&s), 0);
	CHECK_EQ(dpidx_direct_unmap(&s, &a), 0);
	check_holes(&s, 0, idx_of(&b), 1, "after unmap");
	dpidx_direct_destroy(&s);
	CHECK(!lookup(&s, b.base) && !lookup(&s, TAG), "lookup after destroy");
	dpidx_direct_destroy(&s);	/* twice: nothing */
	memset(&s, 0, sizeof(s));
	CHECK(!lookup(&s, TAG) && !lookup(&s, ~0UL), "lookup in a zeroed space");
}

static void test_packing(void)
{
	static struct dpidx_pgmap p[80];
	struct dpidx_pgmap one[4], big, mid, n0, n1;
	struct dpidx_direct s;
	unsigned long i;

	REQUIRE(dpidx_direct_init(&s, 1UL << 20) == 0, "init");
	/* 64 nouveau chunks (512 pages = 32 KiB of descriptors) share a block. */
	for (i = 0; i < 64; i++)
		map_ok(&s, &p[i], 512, -1);
	CHECK_EQ(s.nr_populated, 1);
	CHECK_EQ(s.blocks[0].ranges, 64);
	CHECK_EQ(resident(&s, 0), 512);		/* populated, all of it */
	CHECK_EQ(resident(&s, 5), 0);		/* never touched */
	for (i = 0; i < 64; i++)
		CHECK(idx_of(&p[i]) / BLOCK == 0, "chunk %lu outside block 0", i);
	map_ok(&s, &p[64], 512, -1);
	CHECK_EQ(s.nr_populated, 2);
	/* 1-page ranges take one unit each, in the next block. */
	for (i = 0; i < 4; i++) {
		map_ok(&s, &one[i], 1, -1);
		CHECK_EQ(idx_of(&one[i]), BLOCK + 512 + i * UNIT);
	}
	/* A range that fits a block does not straddle two: block 2. */
	map_ok(&s, &mid, BLOCK - 100, -1);
	CHECK_EQ(idx_of(&mid), 2 * BLOCK);
	CHECK_EQ(s.nr_populated, 3);
	/* A range bigger than a block may start inside one, 512-aligned. */
	map_ok(&s, &big, BLOCK + 513, -1);
	CHECK(idx_of(&big) % DPIDX_PMD_PAGES == 0, "big base %lu", idx_of(&big));
	CHECK_EQ(dpidx_direct_check(&s), 0);
	/* Nodes: a populated block takes only ranges of its node (or -1). */
	if (dpidx_nid_valid(0)) {
		map_ok(&s, &n0, 10, 0);
		CHECK(idx_of(&n0) / BLOCK > 2, "node 0 range in a node -1 block");
		CHECK_EQ(s.blocks[idx_of(&n0) / BLOCK].nid, 0);
		map_ok(&s, &n1, 10, 0);
		CHECK_EQ(idx_of(&n1) / BLOCK, idx_of(&n0) / BLOCK);
		CHECK_EQ(dpidx_direct_unmap(&s, &n1), 0);
		CHECK_EQ(dpidx_direct_unmap(&s, &n0), 0);
	}
	/* The last range of a block depopulates it; zeros again, offsets reused. */
	for (i = 1; i < 64; i++)
		CHECK_EQ(dpidx_direct_unmap(&s, &p[i]), 0);
	CHECK_EQ(s.blocks[0].ranges, 1);
	CHECK_EQ(dpidx_direct_unmap(&s, &p[0]), 0);
	CHECK_EQ(s.blocks[0].ranges, 0);
	CHECK_EQ(resident(&s, 0), 0);		/* depopulated: memory given back */
	for (i = 0; i < BLOCK; i += 97)
		CHECK(!s.region[i].pgmap && !s.region[i].flags && !s.region[i].refcount,
		      "depopulated descriptor %lu not zero", i);
	check_holes(&s, 0, BLOCK, 1, "depopulated block");
	map_ok(&s, &p[0], 512, -1);
	CHECK_EQ(idx_of(&p[0]), 0);
	/* Shared block: an unmapped range's descriptors read zeros. */
	p[0].pages[5].refcount = 7;
	p[0].pages[5].flags = 3;
	map_ok(&s, &p[1], 512, -1);
	CHECK_EQ(dpidx_direct_unmap(&s, &p[0]), 0);
	CHECK(!s.region[5].refcount && !s.region[5].flags && !s.region[5].pgmap,
	      "freed descriptor in a shared block not zeroed");
	CHECK_EQ(dpidx_direct_check(&s), 0);
	dpidx_direct_destroy(&s);
	CHECK(!p[1].space && !big.space, "destroy left pgmaps claimed");
}

static void test_unmap_records(void)
{
	struct dpidx_pgmap a, b, c;
	struct dpidx_direct s;

	REQUIRE(dpidx_direct_init(&s, 1UL << 16) == 0, "init");
	map_ok(&s, &a, 700, -1);
	map_ok(&s, &b, 700, -1);
	a.nr_pages = 5000;		/* the caller scribbles */
	CHECK_EQ(dpidx_direct_unmap(&s, &a), 0);
	CHECK(lookup(&s, b.base) == b.pages && lookup(&s, b.base + 699) == b.pages + 699,
	      "unmap of a scribbled pgmap touched its neighbour");
	CHECK_EQ(dpidx_direct_check(&s), 0);
	map_ok(&s, &c, 700, -1);
	c.base = b.base;		/* pointing at someone else's range */
	CHECK_EQ(dpidx_direct_unmap(&s, &c), -ENOENT);
	CHECK(lookup(&s, b.base) == b.pages, "a forged base unmapped another range");
	dpidx_direct_destroy(&s);
}

static void test_populate_failure(void)
{
	struct dpidx_pgmap a, b, c;
	struct dpidx_direct s;
	int err;

	REQUIRE(dpidx_direct_init(&s, 1UL << 20) == 0, "init");
	map_ok(&s, &a, 512, -1);
	/* A new block (a range needing 3) whose second populate fails. */
	memset(&b, 0, sizeof(b));
	b.nr_pages = 2 * BLOCK + 1;
	fail_populate = 2;
	err = dpidx_direct_map(&s, &b, -1);
	fail_populate = 0;
	CHECK_EQ(err, -ENOMEM);
	CHECK(!b.space && !b.pages, "failed map changed the pgmap");
	CHECK_EQ(s.nr_populated, 1);
	CHECK_EQ(s.nr_ranges, 1);
	CHECK_EQ(dpidx_direct_check(&s), 0);
	CHECK(lookup(&s, a.base) == a.pages, "earlier range lost");
	/* A range in the already populated block needs no populate. */
	fail_populate = 1;
	map_ok(&s, &c, 10, -1);
	CHECK_EQ(fail_populate, 1);
	fail_populate = 0;
	map_ok(&s, &b, 2 * BLOCK + 1, -1);
	CHECK_EQ(dpidx_direct_check(&s), 0);
	dpidx_direct_destroy(&s);
}

/*
 * The exact bound: a range of more than max_pages pages is -ENOSPC; 1-page
 * ranges (one unit each) fill exactly the region's units, at least the
 * min(max_pages, DPIDX_DIRECT_MAX_RANGES) init promised, and the next one is
 * -ENOSPC with nothing changed; a freed unit serves again.
 */
static void test_exact_bound(void)
{
	const unsigned long m = 1000;
	struct dpidx_pgmap *p, over;
	struct dpidx_direct s;
	unsigned long i, n;

	REQUIRE(dpidx_direct_init(&s, m) == 0, "init");
	n = s.nr_units;
	CHECK(n >= m, "%lu units for %lu 1-page ranges", n, m);
	p = calloc(n, sizeof(*p));
	REQUIRE(p, "out of memory");
	memset(&over, 0, sizeof(over));
	over.nr_pages = m + 1;
	CHECK_EQ(dpidx_direct_map(&s, &over, -1), -ENOSPC);
	for (i = 0; i < n; i++)
		map_ok(&s, &p[i], 1, -1);
	over.nr_pages = 1;
	CHECK_EQ(dpidx_direct_map(&s, &over, -1), -ENOSPC);
	CHECK(!over.base && !over.pages && !over.space, "a refused map wrote its pgmap");
	CHECK_EQ(s.nr_ranges, n);
	CHECK_EQ(dpidx_direct_check(&s), 0);
	for (i = 0; i < n; i++)
		if (lookup(&s, p[i].base) != p[i].pages) {
			CHECK(0, "range %lu changed after -ENOSPC", i);
			break;
		}
	CHECK_EQ(dpidx_direct_unmap(&s, &p[n / 2]), 0);
	map_ok(&s, &over, 1, -1);
	CHECK_EQ(over.base, TAG | (n / 2) * UNIT);	/* the one free unit */
	CHECK_EQ(dpidx_direct_check(&s), 0);
	printf("direct: init(%lu) held exactly %lu 1-page ranges, then -ENOSPC\n", m, n);
	dpidx_direct_destroy(&s);
	free(p);
}

static void test_costs(void)
{
	const unsigned long gib = (1UL << 30) >> 12;	/* pages per GiB of device memory */
	static const unsigned long shapes[][2] = {	/* ranges x pages */
		{ 512, 512 },		/* nouveau: 512 x 2 MiB = 1 GiB */
		{ 4, 65536 },		/* test_hmm: 256 MiB chunks */
		{ 1, 262144 },		/* amdkfd: one 1 GiB range */
		{ 8192, 512 },		/* nouveau: 8192 x 2 MiB = 16 GiB */
		{ 64, 65536 },		/* test_hmm: 64 x 256 MiB = 16 GiB */
		{ 1, 4194304 },		/* amdkfd / xe: one 16 GiB range */
	};
	struct dpidx_pgmap *p;
	struct dpidx_direct s;
	unsigned long k, i, bytes;

	CHECK_EQ(dpidx_direct_init(&s, DPIDX_DIRECT_MAX_PAGES + 1), -EINVAL);
	CHECK_EQ(dpidx_direct_init(&s, 0), -EINVAL);
	for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		unsigned long pages = shapes[k][0] * shapes[k][1], gibs = pages / gib;

		p = calloc(shapes[k][0], sizeof(*p));
		REQUIRE(p && dpidx_direct_init(&s, pages) == 0, "init");
		for (i = 0; i < shapes[k][0]; i++)
			map_ok(&s, &p[i], shapes[k][1], -1);
		bytes = dpidx_direct_index_bytes(&s);
		printf("direct: %lu x %lu pages (%lu GiB): index %lu bytes = %lu per GiB, "
		       "%lu blocks populated, region VA %lu MiB (%lu B per page)\n",
		       shapes[k][0], shapes[k][1], gibs, bytes, bytes / gibs, s.nr_populated,
		       s.nr_offsets * sizeof(struct dpidx_page) >> 20,
		       s.nr_offsets * sizeof(struct dpidx_page) / pages);
		CHECK(bytes <= 10 * 1024 * gibs, "index %lu bytes for %lu GiB mapped", bytes, gibs);
		/* 16 MiB of descriptors per GiB, in 2 MiB blocks: none wasted. */
		CHECK_EQ(s.nr_populated, 8 * gibs);
		CHECK_EQ(dpidx_direct_check(&s), 0);
		dpidx_direct_destroy(&s);
		free(p);
	}
}

int main(int argc, char **argv)
{
	test_name = "direct";
	test_seed = test_pick_seed(argc, argv);
	rcu_register_thread();
	test_holes_and_edges();
	test_packing();
	test_unmap_records();
	test_populate_failure();
	test_exact_bound();
	test_costs();
	rcu_unregister_thread();
	if (test_failures) {
		printf("direct: %lu failure(s)\n", test_failures);
		return 1;
	}
	printf("direct: ok\n");
	return 0;
}
