// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The edges of API.md, for one encoding: where an outside program, a
 * failing allocator or a kernel in the other paging mode meets the library.
 *
 *   destroy        a destroyed space looks up NULL for every value, and
 *                  readers racing destroy() get NULL or a page that was
 *                  mapped, never a crash or a freed descriptor
 *   ownership      unmap() uses what map() recorded: a caller that changes
 *                  nr_pages of a mapped range cannot make unmap touch a
 *                  neighbour; a pgmap unmapped and mapped again is judged
 *                  by its new state (the acquire in the ownership test)
 *   capacity       init(max_pages) holds max_pages pages in any mix of up
 *                  to DPIDX_E_MAX_RANGES ranges, and refuses what it cannot
 *   swp_pte        make_swp_pte() never drops bits (0 instead), and
 *                  is_device_private() is exactly its image, ignoring only
 *                  the software bits 1-7 and, on migration kinds, the A/D
 *                  bits of the paging mode in force (built for 4-level and,
 *                  with -DDPIDX_X86_PGTABLE_L5=1, for 5-level paging)
 *   unmap-nomem    unmap() succeeds with every allocation failing
 *
 *   test_edges ENCODING [--seed N] [--big] [--only=GROUP]
 *
 * --big also maps 2^21 + 1 one-page ranges into the largest space (the
 * count an old tag space could not hold; seconds in a plain build).
 */
#define DPIDX_DEBUG_HOOKS
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include "common.h"
#include "enc.h"

/* What the paging mode puts where, known independently of pte.h. */
#if defined(DPIDX_X86_PGTABLE_L5) && DPIDX_X86_PGTABLE_L5
#define EXPECT_SWP_PFN_BITS	40
#define MODE_NAME		"5-level"
#else
#define EXPECT_SWP_PFN_BITS	34
#define MODE_NAME		"4-level"
#endif
#define EXPECT_AD_MASK		(3ULL << EXPECT_SWP_PFN_BITS)
#define SOFT_BITS		0xfeULL		/* bits 1-7 */

static const struct dpidx_enc *enc;
static bool fail_all_allocs;

bool dpidx_debug_alloc_fail(void)
{
	return __atomic_load_n(&fail_all_allocs, __ATOMIC_RELAXED);
}

static void *space_new(unsigned long max_pages)
{
	void *s = calloc(1, enc->space_size);

	REQUIRE(s, "out of memory");
	REQUIRE(!enc->init(s, max_pages), "%s: init(%lu)", enc->name, max_pages);
	return s;
}

static struct dpidx_page *lookup(void *s, unsigned long offset)
{
	struct dpidx_page *page;

	dpidx_read_lock();
	page = enc->offset_to_page(s, offset);
	dpidx_read_unlock();
	return page;
}

static bool range_resolves(void *s, const struct dpidx_pgmap *p, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		if (lookup(s, p->base + i) != &p->pages[i])
			return false;
	return true;
}

/* ---- destroy -------------------------------------------------------------- */

static void test_destroyed_space(void)
{
	static const unsigned long probes[] = { 0, 1, 511, 512, 1UL << 33,
						(1UL << 34) - 1, 1UL << 49,
						(1UL << 49) | 5, ~0UL, ~0UL >> 1 };
	struct dpidx_pgmap p[3] = { { .nr_pages = 1 }, { .nr_pages = 700 },
				    { .nr_pages = 9000 } };
	struct dpidx_page *pages[16];
	unsigned long bases[3], i, j;
	void *s = space_new(1UL << 20);
	int kind;

	for (i = 0; i < 3; i++) {
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
		bases[i] = p[i].base;
	}
	enc->destroy(s);
	for (i = 0; i < 3; i++) {
		CHECK(!p[i].space, "destroy left pgmap %lu claimed", i);
		for (j = 0; j < p[i].nr_pages; j += 97)
			CHECK(!lookup(s, bases[i] + j), "destroyed space resolved %lu",
			      bases[i] + j);
		dpidx_read_lock();
		for (kind = 0; kind < DPIDX_NR_KINDS; kind++)
			CHECK(!enc->swp_pte_to_page(s, enc->make_swp_pte(bases[i],
							(enum dpidx_kind)kind)),
			      "destroyed space resolved a PTE");
		CHECK_EQ(enc->lookup_range(s, bases[i], 16, pages), 16);
		for (j = 0; j < 16; j++)
			CHECK(!pages[j], "lookup_range on a destroyed space");
		dpidx_read_unlock();
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		CHECK(!lookup(s, probes[i]), "destroyed space resolved %#lx", probes[i]);
	/* A second destroy is harmless; init makes it usable again. */
	enc->destroy(s);
	CHECK(!lookup(s, bases[0]), "after a second destroy");
	CHECK_EQ(enc->init(s, 1UL << 20), 0);
	CHECK_EQ(enc->map(s, &p[1], -1), 0);
	CHECK(range_resolves(s, &p[1], p[1].nr_pages), "map after re-init");
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(s);
}

#define RACE_RANGES	24
#define RACE_READERS	2

struct race {
	void *space;
	struct dpidx_pgmap pgmap[RACE_RANGES];
	unsigned long base[RACE_RANGES], nr[RACE_RANGES];
	struct dpidx_page *pages[RACE_RANGES];
	int destroyed;		/* 1 once destroy() has returned */
	int stop;
	unsigned long bad, after, hits;
};

/* NULL, or exactly the descriptor a range had at @offset while mapped. */
static bool race_plausible(struct race *r, unsigned long offset,
			   const struct dpidx_page *page)
{
	int i;

	if (!page)
		return true;
	for (i = 0; i < RACE_RANGES; i++)
		if (offset - r->base[i] < r->nr[i])
			/* Inside the section: the descriptor is still readable. */
			return page == r->pages[i] + (offset - r->base[i]) &&
			       dpidx_page_range(page) == &r->pgmap[i];
	return false;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	struct rng rng;
	unsigned long offset, n = 0;
	struct dpidx_page *page;
	int i, done;

	rcu_register_thread();
	rng_seed(&rng, test_seed ^ (uintptr_t)&rng);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		done = __atomic_load_n(&r->destroyed, __ATOMIC_ACQUIRE);
		i = (int)rng_below(&rng, RACE_RANGES);
		offset = r->base[i] + rng_below(&rng, r->nr[i] + 2);
		dpidx_read_lock();
		page = enc->offset_to_page(r->space, offset);
		if (!race_plausible(r, offset, page))
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		if (page)
			__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
		if (page && done)
			__atomic_add_fetch(&r->after, 1, __ATOMIC_RELAXED);
		dpidx_read_unlock();
		if (++n % 64 == 0)
			sched_yield();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_destroy_race(unsigned int rounds)
{
	pthread_t tid[RACE_READERS];
	struct race *r = calloc(1, sizeof(*r));
	unsigned int round;
	int i;

	REQUIRE(r, "out of memory");
	r->space = calloc(1, enc->space_size);
	REQUIRE(r->space, "out of memory");
	for (round = 0; round < rounds; round++) {
		REQUIRE(!enc->init(r->space, 1UL << 20), "init");
		memset(r->pgmap, 0, sizeof(r->pgmap));
		for (i = 0; i < RACE_RANGES; i++) {
			r->pgmap[i].nr_pages = 1 + (unsigned long)(i * 131) % 1500;
			CHECK_EQ(enc->map(r->space, &r->pgmap[i], -1), 0);
			r->base[i] = r->pgmap[i].base;
			r->nr[i] = r->pgmap[i].nr_pages;
			r->pages[i] = r->pgmap[i].pages;
		}
		r->destroyed = 0;
		r->stop = 0;
		for (i = 0; i < RACE_READERS; i++)
			REQUIRE(!pthread_create(&tid[i], NULL, race_reader, r), "thread");
		usleep(2000);
		enc->destroy(r->space);
		__atomic_store_n(&r->destroyed, 1, __ATOMIC_RELEASE);
		usleep(2000);		/* lookups on the destroyed space */
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		for (i = 0; i < RACE_READERS; i++)
			pthread_join(tid[i], NULL);
		CHECK(!r->bad, "%s round %u: %lu lookups saw a wrong page",
		      enc->name, round, r->bad);
		CHECK(!r->after, "%s round %u: %lu lookups found a page after destroy",
		      enc->name, round, r->after);
	}
	printf("destroy race: %u rounds, %lu hits before destroy, 0 bad\n", rounds, r->hits);
	free(r->space);
	free(r);
}

/* ---- ownership ------------------------------------------------------------ */

static void test_nr_pages_scribble(void)
{
	static const long deltas[] = { +5000, -699, +1, -1, +100000 };
	struct dpidx_pgmap a, b, c;
	void *s = space_new(1UL << 20);
	unsigned int i;

	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		memset(&c, 0, sizeof(c));
		a.nr_pages = 700;
		b.nr_pages = 10;
		c.nr_pages = 600;
		CHECK_EQ(enc->map(s, &a, -1), 0);
		CHECK_EQ(enc->map(s, &b, -1), 0);
		CHECK_EQ(enc->map(s, &c, -1), 0);
		a.nr_pages = (unsigned long)((long)a.nr_pages + deltas[i]);
		CHECK_EQ(enc->unmap(s, &a), 0);
		CHECK(!lookup(s, a.base) || lookup(s, a.base)->pgmap != &a,
		      "unmapped range still resolves");
		CHECK(range_resolves(s, &b, 10), "%s: nr_pages %+ld on a neighbour's "
		      "unmap broke range b", enc->name, deltas[i]);
		CHECK(range_resolves(s, &c, 600), "%s: nr_pages %+ld broke range c",
		      enc->name, deltas[i]);
		CHECK_EQ(enc->check(s), 0);
		/* Its offsets are free again, exactly: remap the old size. */
		a.nr_pages = 700;
		CHECK_EQ(enc->map(s, &a, -1), 0);
		CHECK(range_resolves(s, &a, 700), "remap after scribbled unmap");
		b.nr_pages = 1;		/* and the other direction on b */
		CHECK_EQ(enc->unmap(s, &b), 0);
		CHECK(range_resolves(s, &c, 600), "shrunk nr_pages broke range c");
		CHECK_EQ(enc->unmap(s, &a), 0);
		CHECK_EQ(enc->unmap(s, &c), 0);
		CHECK_EQ(enc->check(s), 0);
	}
	enc->destroy(s);
	free(s);
	CHECK_NO_LEAK();	/* freed into the right size class: nothing left over */
}

/* Two threads unmap and map one pgmap again and again; others unmap it too. */
struct churn {
	void *space;
	struct dpidx_pgmap pgmap;
	int stop;
	unsigned long maps, unmaps, enoent;
};

static void *churn_unmapper(void *arg)
{
	struct churn *c = arg;
	int err;

	rcu_register_thread();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		err = enc->unmap(c->space, &c->pgmap);
		if (err == 0)
			__atomic_add_fetch(&c->unmaps, 1, __ATOMIC_RELAXED);
		else if (err == -ENOENT)
			__atomic_add_fetch(&c->enoent, 1, __ATOMIC_RELAXED);
		else
			CHECK(0, "unmap racing map: %d", err);
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_ownership_race(unsigned long ops)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct dpidx_pgmap other = { .nr_pages = 3 };
	pthread_t tid[2];
	unsigned long i;
	time_t deadline;
	int err, t;

	REQUIRE(c, "out of memory");
	c->space = space_new(1UL << 16);
	CHECK_EQ(enc->map(c->space, &other, -1), 0);
	for (t = 0; t < 2; t++)
		REQUIRE(!pthread_create(&tid[t], NULL, churn_unmapper, c), "thread");
	/*
	 * Until @ops maps went through, bounded in time: an unmap waits for a
	 * grace period (and direct's may depopulate a block), so on a loaded
	 * machine most tries find the pgmap still mapped.
	 */
	deadline = time(NULL) + 45;
	for (i = 0; c->maps < ops && (i % 1024 || time(NULL) < deadline); i++) {
		__atomic_store_n(&c->pgmap.nr_pages, 1 + i % 1024, __ATOMIC_RELAXED);
		err = enc->map(c->space, &c->pgmap, -1);
		if (!err)
			c->maps++;
		else
			CHECK(err == -EINVAL, "map racing unmap: %d", err);
		if (err)
			sched_yield();
	}
	/*
	 * The race needs many cycles, not exactly @ops: under a sanitizer on
	 * a loaded machine the deadline may come first.  A few dozen cycles
	 * are the least that still tests something.
	 */
	CHECK(c->maps >= 32, "only %lu maps (of %lu wanted) in %lu tries", c->maps, ops, i);
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	for (t = 0; t < 2; t++)
		pthread_join(tid[t], NULL);
	(void)enc->unmap(c->space, &c->pgmap);
	CHECK(range_resolves(c->space, &other, 3), "the bystander range broke");
	CHECK_EQ(enc->check(c->space), 0);
	enc->destroy(c->space);
	free(c->space);
	printf("ownership race: %lu maps, %lu unmaps, %lu -ENOENT\n", c->maps,
	       c->unmaps, c->enoent);
	free(c);
}

/* ---- capacity ------------------------------------------------------------- */

static void test_init_limits(void)
{
	void *s = calloc(1, enc->space_size);

	REQUIRE(s, "out of memory");
	CHECK_EQ(enc->init(s, 0), -EINVAL);
	CHECK_EQ(enc->init(s, enc->max_pages + 1), -EINVAL);
	CHECK_EQ(enc->init(s, ~0UL), -EINVAL);
	CHECK_EQ(enc->init(s, enc->max_pages), 0);
	enc->destroy(s);
	free(s);
	CHECK(enc->max_ranges >= 1, "max_ranges %lu", enc->max_ranges);
}

/* @n ranges of @size pages each (the last gets @last) must all map. */
static void fill(void *s, unsigned long n, unsigned long size, unsigned long last,
		 const char *what, unsigned long max_pages)
{
	struct dpidx_pgmap *p = calloc(n, sizeof(*p));
	unsigned long i;
	int err;

	REQUIRE(p, "out of memory (%lu pgmaps)", n);
	for (i = 0; i < n; i++) {
		p[i].nr_pages = i + 1 == n ? last : size;
		err = enc->map(s, &p[i], -1);
		if (err) {
			CHECK(0, "%s: %s: map #%lu of %lu (%lu pages) = %d; init(%lu), "
			      "max_ranges %lu", enc->name, what, i, n, p[i].nr_pages, err,
			      max_pages, enc->max_ranges);
			break;
		}
	}
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(p);
}

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

static void test_capacity(bool big)
{
	static const unsigned long sizes[] = { 1, 2, 511, 513, 1000, 8193 };
	unsigned long m, n, k, i, cap = big ? (1UL << 21) + 1 : 1UL << 15;
	void *s;

	/* Small spaces, worst-case shapes: every page its own range, etc. */
	for (m = 1; m <= 40000; m = m * 7 + 3) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (sizes[i] > m)
				continue;
			n = min_ul(m / sizes[i], enc->max_ranges);
			if (!n)
				continue;
			s = space_new(m);
			/* n ranges of sizes[i], the last topped up to m in all. */
			k = n == enc->max_ranges ? sizes[i] : m - (n - 1) * sizes[i];
			fill(s, n, sizes[i], k, "small space", m);
			free(s);
		}
	}
	/* The largest space, many 1-page ranges. */
	n = min_ul(min_ul(enc->max_ranges, enc->max_pages), cap);
	s = space_new(enc->max_pages);
	fill(s, n, 1, 1, "largest space, 1-page ranges", enc->max_pages);
	free(s);
	printf("capacity: init(%lu) held %lu 1-page ranges\n", enc->max_pages, n);
}

/* ---- swap PTEs ------------------------------------------------------------ */

static uint64_t strip(uint64_t pte, enum dpidx_kind kind)
{
	pte &= ~SOFT_BITS;
	/* The offset is stored inverted: clear A/D bits read as ones. */
	if (dpidx_kind_is_migration(kind))
		pte |= EXPECT_AD_MASK << DPIDX_SWP_OFFSET_FIRST_BIT;
	return pte;
}

/* is_device_private(pte) => pte is make_swp_pte's, up to the ignored bits. */
static void check_pte(void *s, uint64_t pte)
{
	enum dpidx_kind kind;
	unsigned long offset;
	struct dpidx_page *page;

	page = enc->swp_pte_to_page(s, pte);
	if (!enc->swp_pte_is_device_private(pte)) {
		CHECK(!page, "%s: PTE %#" PRIx64 " resolved but is not device-private",
		      enc->name, pte);
		return;
	}
	kind = enc->swp_pte_kind(pte);
	offset = enc->swp_pte_offset(pte);
	CHECK(dpidx_kind_valid(kind), "PTE %#" PRIx64 ": kind %d", pte, kind);
	CHECK(enc->make_swp_pte(offset, kind) == strip(pte, kind),
	      "%s: PTE %#" PRIx64 " is device-private but make_swp_pte(%#lx, %d) "
	      "= %#" PRIx64, enc->name, pte, offset, kind,
	      enc->make_swp_pte(offset, kind));
	CHECK(page == enc->offset_to_page(s, offset),
	      "%s: PTE %#" PRIx64 " resolves apart from its offset", enc->name, pte);
}

static void test_swp_pte_exact(void)
{
	struct dpidx_pgmap p = { .nr_pages = 3000 };
	void *s = space_new(1UL << 16);
	unsigned long offsets[64], o, bit;
	unsigned int n = 0, i, t;
	uint64_t pte, x;
	struct rng rng;
	int kind;

	CHECK_EQ(enc->map(s, &p, -1), 0);
	CHECK_EQ(DPIDX_SWP_PFN_BITS, EXPECT_SWP_PFN_BITS);
	rng_seed(&rng, test_seed);
	offsets[n++] = p.base;
	offsets[n++] = p.base + p.nr_pages - 1;
	offsets[n++] = p.base + p.nr_pages;
	offsets[n++] = 0;
	offsets[n++] = ~0UL;
	for (bit = 30; bit < 64 && n < 64; bit++)
		offsets[n++] = p.base ^ (1UL << bit);
	dpidx_read_lock();
	for (i = 0; i < n; i++) {
		o = offsets[i];
		for (kind = -1; kind <= DPIDX_NR_KINDS; kind++) {
			pte = enc->make_swp_pte(o, (enum dpidx_kind)kind);
			if (!dpidx_kind_valid((enum dpidx_kind)kind)) {
				CHECK(!pte, "make_swp_pte(kind %d) = %#" PRIx64, kind, pte);
				continue;
			}
			if (!pte)
				continue;	/* cannot carry it: fine */
			/* Round trip: never a PTE of another offset. */
			CHECK(enc->swp_pte_is_device_private(pte) &&
			      enc->swp_pte_offset(pte) == o &&
			      (int)enc->swp_pte_kind(pte) == kind,
			      "%s: make_swp_pte(%#lx, %d) = %#" PRIx64 " decodes to %#lx",
			      enc->name, o, kind, pte, enc->swp_pte_offset(pte));
			check_pte(s, pte);
			/* The bits the kernel may add are ignored... */
			x = pte | SOFT_BITS;
			if (dpidx_kind_is_migration((enum dpidx_kind)kind))
				x ^= EXPECT_AD_MASK << DPIDX_SWP_OFFSET_FIRST_BIT;
			CHECK(enc->swp_pte_is_device_private(x) &&
			      enc->swp_pte_offset(x) == o &&
			      enc->swp_pte_to_page(s, x) == enc->offset_to_page(s, o),
			      "%s: kind %d with the software/A-D bits (" MODE_NAME
			      ") of %#lx lost its page", enc->name, kind, o);
			/* ... and no other bit is. */
			for (bit = 0; bit < 64; bit++)
				check_pte(s, pte ^ (1ULL << bit));
		}
	}
	/* Random PTEs, biased towards the device-private types. */
	for (i = 0; i < 400000; i++) {
		x = rng_next(&rng);
		t = (unsigned int)rng_below(&rng, 12) + DPIDX_NR_SWAP_TYPES - 12;
		if (i & 1)
			x = (x & ~(0x1fULL << DPIDX_SWP_TYPE_SHIFT)) |
			    ((uint64_t)t << DPIDX_SWP_TYPE_SHIFT);
		if (i & 2)	/* offset mostly valid: flip a few bits of a good one */
			x = ((x & ((0x1fULL << DPIDX_SWP_TYPE_SHIFT) | SOFT_BITS)) |
			     (enc->make_swp_pte(p.base + rng_below(&rng, 4000),
						DPIDX_DEVICE_READ) &
			      ~(0x1fULL << DPIDX_SWP_TYPE_SHIFT))) ^
			    (1ULL << rng_below(&rng, 64));
		x &= ~1ULL;
		if (i & 4)
			x &= ~(1ULL << 8);
		check_pte(s, x);
	}
	dpidx_read_unlock();
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(s);
}

/* Ordinary migration entries of real PFNs, A/D set, in the mode in force. */
static void test_real_migration_entries(void)
{
	unsigned int nr = enc->swap_types, t;
	unsigned long pfn;
	uint64_t pte;

	for (pfn = 1; pfn < (1UL << EXPECT_SWP_PFN_BITS); pfn = pfn * 5 + 3) {
		for (t = 0; t < 3; t++) {
			pte = dpidx_swp_pte(DPIDX_SWP_MIGRATION_READ(nr) + t,
					    pfn | EXPECT_AD_MASK);
			CHECK(!enc->swp_pte_is_device_private(pte),
			      "%s (" MODE_NAME "): migration entry of pfn %#lx with A/D "
			      "taken as device-private", enc->name, pfn);
		}
	}
}

/* The device types in mainline's order: SWP_DEVICE_WRITE first. */
static void test_type_order(void)
{
	unsigned int nr = enc->swap_types, first = DPIDX_SWP_DEVICE_FIRST(nr);
	unsigned long o = enc->swp_pte_offset(enc->make_swp_pte(0, DPIDX_DEVICE_READ));
	struct dpidx_pgmap p = { .nr_pages = 1 };
	void *s = space_new(16);

	CHECK_EQ(enc->map(s, &p, -1), 0);
	o = p.base;
	CHECK_EQ(dpidx_swp_pte_type(enc->make_swp_pte(o, DPIDX_DEVICE_WRITE)), first);
	CHECK_EQ(dpidx_swp_pte_type(enc->make_swp_pte(o, DPIDX_DEVICE_READ)), first + 1);
	CHECK_EQ(dpidx_swp_pte_type(enc->make_swp_pte(o, DPIDX_DEVICE_EXCLUSIVE)), first + 2);
	enc->destroy(s);
	free(s);
}

/* ---- unmap never fails on memory ------------------------------------------ */

static void test_unmap_nomem(unsigned long n)
{
	struct dpidx_pgmap *p = calloc(n, sizeof(*p));
	unsigned long *order = calloc(n, sizeof(*order));
	void *s = space_new(1UL << 24);
	struct rng rng;
	unsigned long i, j, k, tmp;
	int err;

	REQUIRE(p && order, "out of memory");
	rng_seed(&rng, test_seed + 7);
	for (i = 0; i < n; i++) {
		p[i].nr_pages = 1 + rng_below(&rng, i % 10 ? 40 : 3000);
		CHECK_EQ(enc->map(s, &p[i], -1), 0);
		order[i] = i;
	}
	/* Unmap in a random order, every allocation failing. */
	for (i = n; i > 0; i--) {
		j = rng_below(&rng, i);
		tmp = order[j];
		order[j] = order[i - 1];
		order[i - 1] = tmp;
		__atomic_store_n(&fail_all_allocs, true, __ATOMIC_RELAXED);
		err = enc->unmap(s, &p[tmp]);
		__atomic_store_n(&fail_all_allocs, false, __ATOMIC_RELAXED);
		CHECK(!err, "%s: unmap with allocations failing = %d (%lu left)",
		      enc->name, err, i);
		/* A map (allowed to allocate) now and then: it re-reserves. */
		if (i % 7 == 0 && i > 1) {
			k = order[rng_below(&rng, i - 1)];
			CHECK_EQ(enc->unmap(s, &p[k]), 0);
			CHECK_EQ(enc->map(s, &p[k], -1), 0);
		}
	}
	CHECK_EQ(enc->check(s), 0);
	enc->destroy(s);
	free(s);
	free(order);
	free(p);
}

/* --only=GROUP runs one group (destroy, ownership, capacity, swp_pte, unmap_nomem). */
static const char *only;
#define RUN(group, call) do {						\
	if (!only || !strcmp(only, #group)) {				\
		call;							\
		fflush(stdout);						\
	}								\
} while (0)

int main(int argc, char **argv)
{
	bool big = false;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING [--seed N] [--big]\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--big"))
			big = true;
		else if (!strncmp(argv[i], "--only=", 7))
			only = argv[i] + 7;
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "edges";
	test_seed = test_pick_seed(argc, argv);
	rcu_register_thread();
	printf("edges %s, " MODE_NAME " paging (A/D at %d/%d)\n", enc->name,
	       EXPECT_SWP_PFN_BITS, EXPECT_SWP_PFN_BITS + 1);
	RUN(destroy, test_destroyed_space());
	RUN(destroy, test_destroy_race(big ? 40 : 12));
	RUN(ownership, test_nr_pages_scribble());
	RUN(ownership, test_ownership_race(big ? 1000 : 300));
	RUN(capacity, test_init_limits());
	RUN(capacity, test_capacity(big));
	RUN(swp_pte, test_swp_pte_exact());
	RUN(swp_pte, test_real_migration_entries());
	RUN(swp_pte, test_type_order());
	RUN(unmap_nomem, test_unmap_nomem(big ? 3000 : 600));
	CHECK_NO_LEAK();
	rcu_unregister_thread();
	return test_finish();
}
