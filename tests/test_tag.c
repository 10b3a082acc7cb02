// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * tests/test_tag.c - what only the tag encoding promises.
 *
 *   classification  no ordinary PFN (up to each arch's maximum, with or
 *                   without migration A/D bits) and no ordinary swap or
 *                   migration entry is ever device-private; every value or
 *                   PTE that is device-private round-trips exactly
 *   layout          tagged bases, slot spanning, every in-slot index,
 *                   values with bits outside the layout resolve to NULL
 *   capacity        -EINVAL for unaddressable max_pages, -ENOSPC for a map
 *                   needing more slots or index bits than exist, and then
 *                   nothing changed
 *   arch table      results/arch-table.md is exactly tests/arch_table.c's
 *                   output (argv[1] names the committed file)
 *   smoke           one writer mapping/unmapping against one RCU reader
 *
 *   test_tag <path to results/arch-table.md>
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include <urcu.h>
#include <dpidx/dpidx.h>

#define DPIDX_ARCH_TABLE_NO_MAIN
#include "arch_table.c"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
		failures++;						\
	}								\
} while (0)

/* xorshift64*: reproducible, no libc state. */
static uint64_t rnd_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* The main thread's generator; the smoke reader has its own. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	return rnd_next(&rng_state);
}

static struct dpidx_page *lookup(struct dpidx_tag *s, unsigned long v)
{
	struct dpidx_page *page;

	dpidx_read_lock();
	page = dpidx_tag_offset_to_page(s, v);
	dpidx_read_unlock();
	return page;
}

static const enum dpidx_kind all_kinds[] = {
	DPIDX_DEVICE_READ, DPIDX_DEVICE_WRITE, DPIDX_DEVICE_EXCLUSIVE,
	DPIDX_MIGRATION_READ, DPIDX_MIGRATION_READ_EXCLUSIVE, DPIDX_MIGRATION_WRITE,
};

/* A PFN below 1 << bits: edges, single bits, all-ones runs, random. */
static unsigned long pfn_sample(unsigned int bits, unsigned long i)
{
	unsigned long max = (1UL << bits) - 1;

	switch (i % 4) {
	case 0:
		return max - (i / 4) % 4096;
	case 1:
		return (1UL << ((i / 4) % bits)) & max;
	case 2:
		return max >> ((i / 4) % bits);
	default:
		return rnd() & max;
	}
}

/* ---- classification ------------------------------------------------------ */

/* Per arch: the tag bit is above every PFN | A | D, below every ceiling. */
static void test_arch_rows(void)
{
	const struct dpidx_arch *r;
	unsigned long top;
	size_t i;

	CHECK(DPIDX_NR_ARCHS == 12);
	for (i = 0; i < DPIDX_NR_ARCHS; i++) {
		r = &dpidx_archs[i];
		CHECK(r->tag_bit < r->offset_bits && r->tag_bit < 64 - 11 &&
		      r->tag_bit < 64 - 6 && r->tag_bit < 58);
		CHECK(r->pfn_bits == r->physmem_bits - r->page_shift);
		if (!r->fits) {
			CHECK(r->tag_bit < r->pfn_bits + 2 && r->payload_bits == 0);
			continue;
		}
		top = (1UL << (r->pfn_bits + 2)) - 1;
		CHECK(top < (1UL << r->tag_bit));
		CHECK(r->payload_bits == r->pfn_bits);
		CHECK(r->devmem_shift == r->payload_bits + r->page_shift);
	}
}

static void test_pfns_never_device_private(void)
{
	unsigned long i, pfn, ad;
	unsigned int k, type;
	uint64_t pte;

	for (i = 0; i < 400000; i++) {
		pfn = pfn_sample(DPIDX_SWP_PFN_BITS, i);
		ad = (i & 3UL) << DPIDX_SWP_MIG_YOUNG_BIT;
		CHECK(!dpidx_tag_is_device_private(pfn));
		CHECK(!dpidx_tag_is_device_private(pfn | ad));
		/* Ordinary migration entries of that PFN, with A/D. */
		for (k = 0; k < DPIDX_SWP_MIGRATION_NUM; k++) {
			type = DPIDX_SWP_MIGRATION_READ(DPIDX_TAG_SWAP_TYPES) + k;
			pte = dpidx_swp_pte(type, pfn | ad);
			CHECK(!dpidx_tag_swp_pte_is_device_private(pte));
		}
		/* 5-level PFNs (40 bits) too: the tag is above them. */
		pfn = pfn_sample(DPIDX_ARCH_SWP_PFN_BITS(X86_64_L5), i);
		CHECK(!dpidx_tag_is_device_private(pfn));
	}
}

static void test_swap_entries_never_device_private(void)
{
	unsigned int type;
	unsigned long i, off;
	uint64_t pte;

	for (i = 0; i < 20000; i++) {
		/* Any offset the PTE can carry, tag bit included. */
		off = rnd() & DPIDX_SWP_OFFSET_MASK;
		if (i & 1)
			off = DPIDX_TAG_BIT | (off & DPIDX_TAG_PAYLOAD_MASK);
		for (type = 0; type < DPIDX_MAX_SWAPFILES(DPIDX_TAG_SWAP_TYPES); type++)
			CHECK(!dpidx_tag_swp_pte_is_device_private(dpidx_swp_pte(type, off)));
		CHECK(!dpidx_tag_swp_pte_is_device_private(
			dpidx_swp_pte(DPIDX_SWP_HWPOISON(DPIDX_TAG_SWAP_TYPES), off)));
		CHECK(!dpidx_tag_swp_pte_is_device_private(
			dpidx_swp_pte(DPIDX_SWP_PTE_MARKER, off)));
		/* A device-private entry that is present or PROT_NONE is not swap. */
		pte = dpidx_tag_make_swp_pte(DPIDX_TAG_BIT | (off & DPIDX_TAG_PAYLOAD_MASK),
					     all_kinds[i % DPIDX_NR_KINDS]);
		CHECK(dpidx_tag_swp_pte_is_device_private(pte));
		CHECK(!dpidx_tag_swp_pte_is_device_private(pte | DPIDX_PTE_PRESENT));
		CHECK(!dpidx_tag_swp_pte_is_device_private(pte | DPIDX_PTE_PROTNONE));
	}
	CHECK(!dpidx_tag_swp_pte_is_device_private(0));	/* pte_none() */
}

static void test_value_bits(void)
{
	unsigned int b;
	unsigned long v;

	for (b = 0; b < 64; b++) {
		v = DPIDX_TAG_BIT | (1UL << b);
		CHECK(dpidx_tag_is_device_private(v) ==
		      (b < DPIDX_TAG_PAYLOAD_BITS || b == DPIDX_TAG_BIT_SHIFT));
		CHECK(!dpidx_tag_is_device_private(1UL << b) ||
		      b == DPIDX_TAG_BIT_SHIFT);
	}
}

/* The kinds take the ordinary migration and the 3 device types. */
static void test_kind_types(void)
{
	unsigned int i;
	uint64_t pte;

	for (i = 0; i < DPIDX_NR_KINDS; i++) {
		pte = dpidx_tag_make_swp_pte(DPIDX_TAG_BIT | 7, all_kinds[i]);
		if (dpidx_kind_is_migration(all_kinds[i]))
			CHECK(dpidx_swp_pte_type(pte) ==
			      DPIDX_SWP_MIGRATION_READ(DPIDX_TAG_SWAP_TYPES) +
			      (all_kinds[i] - DPIDX_MIGRATION_READ));
	}
	/* Mainline's order (6.12 linux/swap.h): SWP_DEVICE_WRITE, _READ, then exclusive. */
	CHECK(dpidx_swp_pte_type(dpidx_tag_make_swp_pte(DPIDX_TAG_BIT, DPIDX_DEVICE_WRITE)) ==
	      DPIDX_SWP_DEVICE_FIRST(DPIDX_TAG_SWAP_TYPES));
	CHECK(dpidx_swp_pte_type(dpidx_tag_make_swp_pte(DPIDX_TAG_BIT, DPIDX_DEVICE_READ)) ==
	      DPIDX_SWP_DEVICE_FIRST(DPIDX_TAG_SWAP_TYPES) + 1);
	CHECK(dpidx_swp_pte_type(dpidx_tag_make_swp_pte(DPIDX_TAG_BIT, DPIDX_DEVICE_EXCLUSIVE)) ==
	      DPIDX_SWP_DEVICE_FIRST(DPIDX_TAG_SWAP_TYPES) + 2);
	CHECK(DPIDX_MAX_SWAPFILES(DPIDX_TAG_SWAP_TYPES) == 24);
}

/* Decode, re-encode, decode: the same value and kind. */
static void check_pte_round_trip(uint64_t pte)
{
	unsigned long v = dpidx_tag_swp_pte_offset(pte);
	enum dpidx_kind kind = dpidx_tag_swp_pte_kind(pte);
	uint64_t again = dpidx_tag_make_swp_pte(v, kind);

	CHECK(dpidx_kind_valid(kind));
	CHECK(dpidx_tag_is_device_private(v));
	CHECK(dpidx_tag_swp_pte_is_device_private(again));
	CHECK(dpidx_tag_swp_pte_offset(again) == v);
	CHECK(dpidx_tag_swp_pte_kind(again) == kind);
}

static void test_round_trips(void)
{
	unsigned long i, v, ad;
	unsigned int k, hits = 0;
	uint64_t pte;

	for (i = 0; i < 200000; i++) {
		/* Values of the device-private form, every kind, with A/D. */
		v = DPIDX_TAG_BIT | (rnd() & DPIDX_TAG_PAYLOAD_MASK);
		ad = (i & 3UL) << DPIDX_SWP_MIG_YOUNG_BIT;
		CHECK(dpidx_tag_is_device_private(v));
		for (k = 0; k < DPIDX_NR_KINDS; k++) {
			pte = dpidx_tag_make_swp_pte(v, all_kinds[k]);
			CHECK(dpidx_tag_swp_pte_is_device_private(pte));
			CHECK(dpidx_tag_swp_pte_offset(pte) == v);
			CHECK(dpidx_tag_swp_pte_kind(pte) == all_kinds[k]);
			/* The kernel's make_migration_entry_young/dirty(). */
			if (dpidx_kind_is_migration(all_kinds[k])) {
				pte = dpidx_swp_pte(dpidx_swp_pte_type(pte), v | ad);
				CHECK(dpidx_tag_swp_pte_is_device_private(pte));
				CHECK(dpidx_tag_swp_pte_offset(pte) == v);
				CHECK(dpidx_tag_swp_pte_kind(pte) == all_kinds[k]);
			}
		}
		/*
		 * Arbitrary PTEs with a device type range and sometimes the
		 * tag: whatever is classified device-private round-trips.
		 */
		pte = rnd();
		if (i & 1)
			pte = (pte & ~(0x1fULL << DPIDX_SWP_TYPE_SHIFT)) |
			      ((uint64_t)(DPIDX_TAG_TYPE_FIRST + i % 7) << DPIDX_SWP_TYPE_SHIFT);
		pte &= ~(DPIDX_PTE_PRESENT | DPIDX_PTE_PROTNONE);
		if (i & 2)	/* stored inverted: clear the PTE bit to set the tag */
			pte &= ~((uint64_t)DPIDX_TAG_BIT << DPIDX_SWP_OFFSET_FIRST_BIT);
		if (i & 4)
			pte |= (uint64_t)(DPIDX_TAG_SWP_CHECK_MASK & ~DPIDX_TAG_BIT)
			       << DPIDX_SWP_OFFSET_FIRST_BIT;
		if (dpidx_tag_swp_pte_is_device_private(pte)) {
			hits++;
			check_pte_round_trip(pte);
		}
	}
	CHECK(hits > 1000);
}

/* ---- layout on a live space ---------------------------------------------- */

static void test_layout(void)
{
	struct dpidx_pgmap a = { .nr_pages = 10 }, b = { .nr_pages = 20000 };
	struct dpidx_page *got[3 * DPIDX_TAG_SLOT_PAGES];
	struct dpidx_tag s;
	unsigned long i, v, n;

	CHECK(dpidx_tag_init(&s, 1UL << 20) == 0);
	CHECK(dpidx_tag_map(&s, &a, -1) == 0);
	CHECK(dpidx_tag_map(&s, &b, -1) == 0);
	CHECK(dpidx_tag_check(&s) == 0);
	CHECK(dpidx_tag_is_device_private(a.base));
	CHECK(dpidx_tag_is_device_private(b.base));
	CHECK(b.base % DPIDX_PMD_PAGES == 0);
	CHECK(b.base - a.base == DPIDX_TAG_SLOT_PAGES);

	for (i = 0; i < DPIDX_TAG_SLOT_PAGES; i++) {
		CHECK(lookup(&s, a.base + i) == (i < a.nr_pages ? &a.pages[i] : NULL));
		if (i < a.nr_pages)
			CHECK(dpidx_tag_page_to_offset(&a.pages[i]) == a.base + i);
	}
	for (i = 0; i < 3 * DPIDX_TAG_SLOT_PAGES; i++) {
		v = b.base + i;
		CHECK(lookup(&s, v) == (i < b.nr_pages ? &b.pages[i] : NULL));
		if (i < b.nr_pages)
			CHECK(dpidx_tag_page_to_offset(&b.pages[i]) == v);
	}
	/* lookup_range crossing slots and the end, against single lookups. */
	for (i = 0; i < 40; i++) {
		v = b.base - 100 + rnd() % (3 * DPIDX_TAG_SLOT_PAGES);
		n = 1 + rnd() % (2 * DPIDX_TAG_SLOT_PAGES);
		dpidx_read_lock();
		CHECK(dpidx_tag_lookup_range(&s, v, n, got) == n);
		for (unsigned long j = 0; j < n; j++)
			CHECK(got[j] == dpidx_tag_offset_to_page(&s, v + j));
		dpidx_read_unlock();
	}
	/* Bits outside the layout: no tag, A/D, between, above, the slot of PFN. */
	for (i = 0; i < a.nr_pages; i++) {
		v = a.base + i;
		CHECK(!lookup(&s, v & ~DPIDX_TAG_BIT));
		CHECK(!lookup(&s, v | 1UL << DPIDX_SWP_MIG_YOUNG_BIT));
		CHECK(!lookup(&s, v | 1UL << DPIDX_SWP_MIG_DIRTY_BIT));
		CHECK(!lookup(&s, v | 1UL << (DPIDX_TAG_BIT_SHIFT - 1)));
		CHECK(!lookup(&s, v | 1UL << (DPIDX_TAG_BIT_SHIFT + 1)));
		CHECK(!lookup(&s, v | 1UL << 63));
	}
	for (i = 0; i < 100000; i++)
		CHECK(!lookup(&s, pfn_sample(DPIDX_SWP_PFN_BITS, i)));
	CHECK(!lookup(&s, a.base - 1));
	/* Through PTEs, migration entries with A/D included. */
	dpidx_read_lock();
	CHECK(dpidx_tag_swp_pte_to_page(&s, dpidx_tag_make_swp_pte(b.base + 9000,
					DPIDX_DEVICE_WRITE)) == &b.pages[9000]);
	CHECK(dpidx_tag_swp_pte_to_page(&s, dpidx_swp_pte(
		DPIDX_SWP_MIGRATION_WRITE(DPIDX_TAG_SWAP_TYPES),
		(b.base + 5) | DPIDX_TAG_SWP_MIG_AD_MASK)) == &b.pages[5]);
	CHECK(!dpidx_tag_swp_pte_to_page(&s, dpidx_swp_pte(
		DPIDX_SWP_MIGRATION_WRITE(DPIDX_TAG_SWAP_TYPES), 5)));
	dpidx_read_unlock();

	/*
	 * swp_pte_to_page() is exactly "device-private, then resolve": PTEs of
	 * mapped values with one or two random bits flipped, every kind.
	 */
	dpidx_read_lock();
	for (i = 0; i < 200000; i++) {
		uint64_t pte = dpidx_tag_make_swp_pte(b.base + rnd() % (b.nr_pages + 50),
						      all_kinds[i % DPIDX_NR_KINDS]);
		struct dpidx_page *want = NULL;

		if (i & 1)
			pte ^= 1ULL << (rnd() % 64);
		if (i & 2)
			pte ^= 1ULL << (rnd() % 64);
		if (dpidx_tag_swp_pte_is_device_private(pte))
			want = dpidx_tag_offset_to_page(&s, dpidx_tag_swp_pte_offset(pte));
		CHECK(dpidx_tag_swp_pte_to_page(&s, pte) == want);
	}
	dpidx_read_unlock();

	/* A broken counter is caught; restoring it makes the space whole. */
	s.ct.nr_pages++;
	CHECK(dpidx_tag_check(&s) == -EUCLEAN);
	s.ct.nr_pages--;
	CHECK(dpidx_tag_check(&s) == 0);

	CHECK(dpidx_tag_unmap(&s, &a) == 0);
	CHECK(dpidx_tag_unmap(&s, &a) == -ENOENT);
	CHECK(!lookup(&s, b.base - DPIDX_TAG_SLOT_PAGES));
	CHECK(lookup(&s, b.base + 1) == &b.pages[1]);
	CHECK(dpidx_tag_check(&s) == 0);
	dpidx_tag_destroy(&s);
	CHECK(b.space == NULL && b.pages == NULL);
}

/* ---- capacity ------------------------------------------------------------ */

/* Every range in @maps (nr) still resolves exactly as mapped. */
static void check_unchanged(struct dpidx_tag *s, struct dpidx_pgmap *maps, int nr)
{
	for (int i = 0; i < nr; i++) {
		if (!maps[i].space)
			continue;
		CHECK(lookup(s, maps[i].base) == &maps[i].pages[0]);
		CHECK(lookup(s, maps[i].base + maps[i].nr_pages - 1) ==
		      &maps[i].pages[maps[i].nr_pages - 1]);
		CHECK(!lookup(s, maps[i].base + maps[i].nr_pages));
	}
	CHECK(dpidx_tag_check(s) == 0);
}

static void test_capacity(void)
{
	struct dpidx_pgmap m[4], big = { 0 };
	struct dpidx_tag s;
	int i;

	CHECK(dpidx_tag_init(&s, 0) == -EINVAL);
	CHECK(dpidx_tag_init(&s, DPIDX_TAG_MAX_PAGES + 1) == -EINVAL);
	CHECK(dpidx_tag_init(&s, ~0UL) == -EINVAL);
	CHECK(dpidx_tag_init(NULL, 1) == -EINVAL);
	CHECK(dpidx_tag_init(&s, DPIDX_TAG_MAX_PAGES) == 0);
	CHECK(dpidx_tag_index_bytes(&s) < (1UL << 20));	/* sized, not maximal */
	/* More index bits than exist: a range past the whole payload. */
	big.nr_pages = DPIDX_TAG_MAX_OFFSETS + 1;
	CHECK(dpidx_tag_map(&s, &big, -1) == -ENOSPC);
	CHECK(big.space == NULL && big.pages == NULL);
	CHECK(dpidx_tag_check(&s) == 0);
	dpidx_tag_destroy(&s);

	/*
	 * Three slots (one for 2 pages, one more per possible range): three
	 * 1-page ranges fit, a fourth does not.
	 */
	memset(m, 0, sizeof(m));
	CHECK(dpidx_tag_init(&s, 2) == 0);
	CHECK(s.ct.max_chunks == 3);
	for (i = 0; i < 4; i++)
		m[i].nr_pages = 1;
	for (i = 0; i < 3; i++)
		CHECK(dpidx_tag_map(&s, &m[i], -1) == 0);
	CHECK(dpidx_tag_map(&s, &m[3], -1) == -ENOSPC);
	CHECK(m[3].space == NULL);
	check_unchanged(&s, m, 4);

	/* More slots than the space has. */
	memset(&big, 0, sizeof(big));
	big.nr_pages = 4 * DPIDX_TAG_SLOT_PAGES;
	CHECK(dpidx_tag_map(&s, &big, -1) == -ENOSPC);
	check_unchanged(&s, m, 4);

	/* Two free slots, not adjacent: a 2-slot range has no room. */
	CHECK(dpidx_tag_unmap(&s, &m[0]) == 0);
	CHECK(dpidx_tag_unmap(&s, &m[2]) == 0);
	big.nr_pages = DPIDX_TAG_SLOT_PAGES + 1;
	CHECK(dpidx_tag_map(&s, &big, -1) == -ENOSPC);
	check_unchanged(&s, m, 4);
	/* A one-slot range fits in a reused slot. */
	big.nr_pages = DPIDX_TAG_SLOT_PAGES;
	CHECK(dpidx_tag_map(&s, &big, -1) == 0);
	CHECK(big.base == dpidx_tag_slot_base(0));
	check_unchanged(&s, m, 4);
	CHECK(lookup(&s, big.base + DPIDX_TAG_SLOT_PAGES - 1) ==
	      &big.pages[DPIDX_TAG_SLOT_PAGES - 1]);
	dpidx_tag_destroy(&s);
	CHECK(m[1].space == NULL && big.space == NULL);

	/* Bad arguments. */
	CHECK(dpidx_tag_init(&s, 100) == 0);
	CHECK(dpidx_tag_map(&s, NULL, -1) == -EINVAL);
	memset(&big, 0, sizeof(big));
	CHECK(dpidx_tag_map(&s, &big, -1) == -EINVAL);		/* nr_pages 0 */
	big.nr_pages = 1;
	CHECK(dpidx_tag_map(&s, &big, -1) == 0);
	CHECK(dpidx_tag_map(&s, &big, -1) == -EINVAL);		/* mapped */
	CHECK(dpidx_tag_unmap(&s, NULL) == -EINVAL);
	CHECK(dpidx_tag_check(&s) == 0);
	dpidx_tag_destroy(&s);
}

/* Growth past the initial table keeps every range resolving. */
static void test_growth(void)
{
	enum { NR = 300 };
	static struct dpidx_pgmap m[NR];
	struct dpidx_tag s;
	int i;

	memset(m, 0, sizeof(m));
	CHECK(dpidx_tag_init(&s, 2 * NR) == 0);
	for (i = 0; i < NR; i++) {
		m[i].nr_pages = 1 + i % 3;
		CHECK(dpidx_tag_map(&s, &m[i], -1) == 0);
	}
	check_unchanged(&s, m, NR);
	for (i = 0; i < NR; i += 2)
		CHECK(dpidx_tag_unmap(&s, &m[i]) == 0);
	check_unchanged(&s, m, NR);
	dpidx_tag_destroy(&s);
}

/* ---- the arch table ------------------------------------------------------ */

static void test_arch_table(const char *path)
{
	char *want = NULL, *have;
	size_t want_len = 0, have_len;
	FILE *mem = open_memstream(&want, &want_len), *f;

	CHECK(mem != NULL);
	if (!mem)
		return;
	dpidx_arch_table(mem);
	fclose(mem);
	f = path ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "test_tag: cannot open the committed table '%s'\n",
			path ? path : "(none given)");
		failures++;
		free(want);
		return;
	}
	have = malloc(want_len + 2);
	have_len = fread(have, 1, want_len + 1, f);
	fclose(f);
	if (have_len != want_len || memcmp(have, want, want_len)) {
		fprintf(stderr, "test_tag: %s differs from the output of "
			"tests/arch_table.c; regenerate it\n", path);
		failures++;
	}
	free(have);
	free(want);
}

/* ---- two-thread smoke ---------------------------------------------------- */

enum { SMOKE_RANGES = 8 };
static struct dpidx_tag smoke_space;
static struct dpidx_pgmap smoke_maps[SMOKE_RANGES];
static int smoke_stop;
static unsigned long smoke_hits, smoke_bad, smoke_lookups;

static void *smoke_reader(void *arg)
{
	unsigned long v, bad = 0;
	uint64_t state = 0x2545f4914f6cdd1dULL;
	struct dpidx_page *page;

	(void)arg;
	rcu_register_thread();
	while (!__atomic_load_n(&smoke_stop, __ATOMIC_RELAXED)) {
		v = dpidx_tag_slot_base(rnd_next(&state) % (2 * SMOKE_RANGES)) +
		    rnd_next(&state) % 1100;
		dpidx_read_lock();
		page = dpidx_tag_offset_to_page(&smoke_space, v);
		if (page) {
			__atomic_add_fetch(&smoke_hits, 1, __ATOMIC_RELAXED);
			/* Valid until the section ends, back-pointer included. */
			if (dpidx_page_offset(page) != v)
				bad++;
		}
		dpidx_read_unlock();
		__atomic_add_fetch(&smoke_lookups, 1, __ATOMIC_RELAXED);
	}
	rcu_unregister_thread();
	__atomic_store_n(&smoke_bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void test_smoke(void)
{
	pthread_t reader;
	int round, i;
	time_t deadline = time(NULL) + 10;

	memset(smoke_maps, 0, sizeof(smoke_maps));
	CHECK(dpidx_tag_init(&smoke_space, 1UL << 16) == 0);
	CHECK(pthread_create(&reader, NULL, smoke_reader, NULL) == 0);
	/*
	 * At least 300 rounds, 100,000 lookups and 1,000 hits: on a loaded
	 * machine the reader may start late or sleep through many rounds.
	 * At most 10 s.
	 */
	for (round = 0; round < 300 ||
	     ((__atomic_load_n(&smoke_lookups, __ATOMIC_RELAXED) < 100000 ||
	       __atomic_load_n(&smoke_hits, __ATOMIC_RELAXED) < 1000) &&
	      time(NULL) < deadline); round++) {
		i = (int)(rnd() % SMOKE_RANGES);
		if (smoke_maps[i].space) {
			CHECK(dpidx_tag_unmap(&smoke_space, &smoke_maps[i]) == 0);
		} else {
			smoke_maps[i].nr_pages = 1 + rnd() % 1024;
			CHECK(dpidx_tag_map(&smoke_space, &smoke_maps[i], -1) == 0);
		}
	}
	__atomic_store_n(&smoke_stop, 1, __ATOMIC_RELAXED);
	pthread_join(reader, NULL);
	CHECK(dpidx_tag_check(&smoke_space) == 0);
	dpidx_tag_destroy(&smoke_space);
	CHECK(smoke_bad == 0);
	CHECK(smoke_hits > 0);
	printf("smoke: %d writer rounds, %lu lookups, %lu hits, %lu bad\n",
	       round, smoke_lookups, smoke_hits, smoke_bad);
}

int main(int argc, char **argv)
{
	rcu_register_thread();
	test_arch_rows();
	test_pfns_never_device_private();
	test_swap_entries_never_device_private();
	test_value_bits();
	test_kind_types();
	test_round_trips();
	test_layout();
	test_capacity();
	test_growth();
	test_arch_table(argc > 1 ? argv[1] : NULL);
	test_smoke();
	rcu_unregister_thread();
	if (failures) {
		fprintf(stderr, "test_tag: %d failures\n", failures);
		return 1;
	}
	printf("test_tag: all passed\n");
	return 0;
}
