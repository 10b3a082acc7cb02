// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Concurrent RCU stress: reader threads resolve offsets (single lookups,
 * lookup_range batches and whole fault paths) while writer threads map and
 * unmap ranges continuously.  Readers check that every descriptor they get
 * is live and right: it points back at a live pgmap whose owner cookie
 * matches, lies inside that pgmap's array, and page_to_offset() gives the
 * offset asked for.  Freed descriptors are poisoned (DPIDX_DEBUG_POISON) and
 * freed pgmaps are poisoned by the writers, so a descriptor handed out
 * after its grace period is caught by value, and by ASan/TSan in the
 * sanitizer builds.  Bounded in operations, not wall time.
 *
 *   test_stress ENCODING [--readers N] [--writers N] [--ops N] [--seed N]
 */
#define DPIDX_DEBUG_POISON
#include <pthread.h>
#include "common.h"
#include "enc.h"

#define OWNER_MAGIC	0x5a5a0f0fa5a5f0f0UL
#define SLOTS		24
#define MAX_RANGE	1500

static const struct dpidx_enc *enc;
static void *space;
static unsigned long writer_ops;
/*
 * Offsets probed: [floor, extent), the span ranges have occupied.  Not
 * [0, extent): an encoding's offsets may start high (tag's carry the tag
 * bit), and readers must hit mapped ranges often to prove anything.
 */
static unsigned long floor_ = ~0UL, extent;
static int writers_running;
static unsigned long total_lookups, total_hits;

struct worker {
	pthread_t thread;
	unsigned int id;
	struct rng rng;
	struct dpidx_page *batch[DPIDX_PMD_PAGES];
};

static void *owner_cookie(const struct dpidx_pgmap *pgmap)
{
	return (void *)((uintptr_t)pgmap ^ OWNER_MAGIC);
}

static bool verify(const struct dpidx_page *page, unsigned long offset)
{
	const struct dpidx_pgmap *pgmap = dpidx_page_range(page);

	if ((uintptr_t)pgmap == 0x6b6b6b6b6b6b6b6bUL || !pgmap) {
		CHECK(0, "%s: offset %#lx: freed or uninitialised descriptor %p",
		      enc->name, offset, (const void *)page);
		return false;
	}
	if (READ_ONCE(pgmap->owner) != owner_cookie(pgmap)) {
		CHECK(0, "%s: offset %#lx: descriptor's pgmap %p is dead (owner %p)",
		      enc->name, offset, (const void *)pgmap, READ_ONCE(pgmap->owner));
		return false;
	}
	if (page < pgmap->pages || page >= pgmap->pages + pgmap->nr_pages ||
	    enc->page_to_offset(page) != offset) {
		CHECK(0, "%s: offset %#lx resolved to a descriptor of offset %#lx",
		      enc->name, offset, enc->page_to_offset(page));
		return false;
	}
	return true;
}

static void reader_batch(struct worker *w, unsigned long *lookups, unsigned long *hits)
{
	unsigned long end = __atomic_load_n(&extent, __ATOMIC_RELAXED);
	unsigned long lo = __atomic_load_n(&floor_, __ATOMIC_RELAXED), o, i;
	struct dpidx_page *page;
	int k;

	if (!end || lo >= end)
		return;
	dpidx_read_lock();
	for (k = 0; k < 64; k++) {
		o = lo + rng_below(&w->rng, end - lo);
		page = enc->offset_to_page(space, o);
		if (page && verify(page, o)) {
			dpidx_page_get(page);	/* the fault path takes a reference */
			dpidx_page_put(page);
			(*hits)++;
		}
		(*lookups)++;
	}
	o = lo + rng_below(&w->rng, end - lo);
	enc->lookup_range(space, o, DPIDX_PMD_PAGES, w->batch);
	for (i = 0; i < DPIDX_PMD_PAGES; i++)
		if (w->batch[i] && !verify(w->batch[i], o + i))
			break;
	o = lo + rng_below(&w->rng, end - lo);
	page = enc->swp_pte_to_page(space, enc->make_swp_pte(o, DPIDX_DEVICE_WRITE));
	if (page)
		verify(page, o);
	dpidx_read_unlock();
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	unsigned long lookups = 0, hits = 0;

	rcu_register_thread();
	/* At least some work even if the writers finish first. */
	do {
		reader_batch(w, &lookups, &hits);
	} while ((__atomic_load_n(&writers_running, __ATOMIC_ACQUIRE) ||
		  lookups < 20000) && test_failures == 0);
	rcu_unregister_thread();
	__atomic_add_fetch(&total_lookups, lookups, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total_hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

static void writer_unmap(struct dpidx_pgmap **slot)
{
	struct dpidx_pgmap *pgmap = *slot;
	int err = enc->unmap(space, pgmap);

	CHECK_EQ(err, 0);
	/* unmap() waited for readers: nobody can reach the pgmap now. */
	memset(pgmap, 0x6b, sizeof(*pgmap));
	free(pgmap);
	*slot = NULL;
}

static void *writer(void *arg)
{
	struct worker *w = arg;
	struct dpidx_pgmap *slot[SLOTS] = { NULL }, *pgmap;
	unsigned long op, end, cur;
	int i, err;

	rcu_register_thread();
	for (op = 0; op < writer_ops && test_failures == 0; op++) {
		i = (int)rng_below(&w->rng, SLOTS);
		if (slot[i]) {
			writer_unmap(&slot[i]);
			continue;
		}
		pgmap = calloc(1, sizeof(*pgmap));
		REQUIRE(pgmap, "out of memory");
		pgmap->nr_pages = 1 + rng_below(&w->rng, MAX_RANGE);
		pgmap->owner = owner_cookie(pgmap);
		err = enc->map(space, pgmap, -1);
		CHECK_EQ(err, 0);
		if (err) {
			free(pgmap);
			continue;
		}
		slot[i] = pgmap;
		end = pgmap->base + pgmap->nr_pages;
		cur = __atomic_load_n(&extent, __ATOMIC_RELAXED);
		while (cur < end && !__atomic_compare_exchange_n(&extent, &cur, end, false,
								 __ATOMIC_RELAXED,
								 __ATOMIC_RELAXED))
			;
		cur = __atomic_load_n(&floor_, __ATOMIC_RELAXED);
		while (cur > pgmap->base &&
		       !__atomic_compare_exchange_n(&floor_, &cur, pgmap->base, false,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	for (i = 0; i < SLOTS; i++)
		if (slot[i])
			writer_unmap(&slot[i]);
	rcu_unregister_thread();
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long nr_readers, nr_writers, i;
	struct worker *w;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING [--readers N] [--writers N] [--ops N] [--seed N]\n",
			argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "stress";
	test_seed = test_pick_seed(argc, argv);
	nr_readers = test_arg_ulong(argc, argv, "--readers", 3);
	nr_writers = test_arg_ulong(argc, argv, "--writers", 2);
	writer_ops = test_arg_ulong(argc, argv, "--ops", 3000);
	printf("stress %s: seed %llu, %lu readers, %lu writers x %lu ops\n",
	       enc->name, test_seed, nr_readers, nr_writers, writer_ops);
	fflush(stdout);

	space = calloc(1, enc->space_size);
	REQUIRE(space, "out of memory");
	err = enc->init(space, 1UL << 20);
	REQUIRE(!err, "init = %d", err);
	w = calloc(nr_readers + nr_writers, sizeof(*w));
	REQUIRE(w, "out of memory");
	writers_running = 1;
	for (i = 0; i < nr_readers + nr_writers; i++) {
		w[i].id = (unsigned int)i;
		rng_seed(&w[i].rng, test_seed + i);
		pthread_create(&w[i].thread, NULL, i < nr_readers ? reader : writer, &w[i]);
	}
	for (i = nr_readers; i < nr_readers + nr_writers; i++)
		pthread_join(w[i].thread, NULL);
	__atomic_store_n(&writers_running, 0, __ATOMIC_RELEASE);
	for (i = 0; i < nr_readers; i++)
		pthread_join(w[i].thread, NULL);

	CHECK_EQ(enc->check(space), 0);
	enc->destroy(space);
	free(space);
	free(w);
	CHECK_NO_LEAK();
	printf("stress %s: %lu lookups, %lu hits\n", enc->name, total_lookups, total_hits);
	CHECK(total_hits > total_lookups / 100, "readers almost never hit a mapped range");
	return test_finish();
}
