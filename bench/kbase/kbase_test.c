// SPDX-License-Identifier: GPL-2.0-only
/*
 * kbase_test.c - the kernel baselines return what was stored.
 *
 * For 1, 64 and 65,536 ranges of 512 pages (a 2 MiB nouveau-like chunk of
 * 4 KiB pages), laid out with holes the way device-private offsets are
 * (every fourth range leaves a one-range gap before it), on both the maple
 * tree and the xarray:
 *   - loads after stores: first, last, middle and a pseudo-random offset of
 *     every range (every offset when there are few ranges), the offsets
 *     just outside each range, and past the end;
 *   - erase by index (whole range gone), erase by storing NULL over a range,
 *     remap of the erased ranges, and loads again;
 *   - bad input (first > last) gives -EINVAL;
 *   - destroy returns every node once the grace period has passed;
 *   - RCU: two reader threads (registered with liburcu's default flavor,
 *     as the benchmarks' are) load while the writer unmaps and remaps
 *     every other range; a stable range must always give its entry, a
 *     churning one its entry or NULL, and freed nodes must not be read
 *     (run it under valgrind to see that).
 * Prints one figure per structure: ns per uniformly random load over
 * 65,536 ranges, from this unoptimized-for-timing loop (indicative only;
 * the benchmarks proper are in bench/).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <urcu.h>

#include "kbase.h"

#define RANGE_PAGES	512UL

struct ops {
	const char *name;
	void *(*create)(void);
	int (*store_range)(void *t, unsigned long first, unsigned long last,
			   void *entry);
	void *(*load)(void *t, unsigned long index);
	int (*erase)(void *t, unsigned long index);
	void (*destroy)(void *t);
	unsigned long (*node_bytes)(void);
};

/* Adapters from the typed kbase.h API to one table. */
static void *mt_create(void) { return kb_mtree_create(); }
static int mt_store(void *t, unsigned long f, unsigned long l, void *e)
{ return kb_mtree_store_range(t, f, l, e); }
static void *mt_load(void *t, unsigned long i) { return kb_mtree_load(t, i); }
static int mt_erase(void *t, unsigned long i) { return kb_mtree_erase(t, i); }
static void mt_destroy(void *t) { kb_mtree_destroy(t); }

static void *xa_create(void) { return kb_xa_create(); }
static int xa_store(void *t, unsigned long f, unsigned long l, void *e)
{ return kb_xa_store_range(t, f, l, e); }
static void *xa_load(void *t, unsigned long i) { return kb_xa_load(t, i); }
static int xa_erase(void *t, unsigned long i) { return kb_xa_erase(t, i); }
static void xa_destroy(void *t) { kb_xa_destroy(t); }

static const struct ops all_ops[] = {
	{ "maple", mt_create, mt_store, mt_load, mt_erase, mt_destroy,
	  kb_mtree_node_bytes },
	{ "xarray", xa_create, xa_store, xa_load, xa_erase, xa_destroy,
	  kb_xa_node_bytes },
};

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		if (++failures > 20)					\
			exit(1);					\
	}								\
} while (0)

/* A pgmap stand-in: the entry is its address (8-byte aligned). */
struct fake_pgmap {
	unsigned long first;
};

/* Range i starts here; every fourth range leaves a one-range hole. */
static unsigned long range_first(unsigned long i)
{
	return (i + i / 4) * RANGE_PAGES;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Which entry must range i hold: NULL when erased (mapped[i] == 0). */
static void check_range(const struct ops *o, void *t, struct fake_pgmap *pg,
			const char *mapped, unsigned long i, unsigned long n)
{
	unsigned long first = range_first(i), last = first + RANGE_PAGES - 1;
	void *want = mapped[i] ? &pg[i] : NULL;
	unsigned long off;

	if (n <= 64) {
		for (off = first; off <= last; off++)
			CHECK(o->load(t, off) == want, "%s n=%lu range %lu off %lu",
			      o->name, n, i, off);
	} else {
		unsigned long probe[4] = { first, last, first + RANGE_PAGES / 2,
					   first + rng() % RANGE_PAGES };

		for (int k = 0; k < 4; k++)
			CHECK(o->load(t, probe[k]) == want,
			      "%s n=%lu range %lu off %lu", o->name, n, i,
			      probe[k]);
	}
	/* Just outside: a hole, or the neighbour's entry. */
	if (i == 0 || range_first(i - 1) + RANGE_PAGES != first)
		CHECK(first == 0 || o->load(t, first - 1) == NULL,
		      "%s n=%lu hole before range %lu", o->name, n, i);
	if (i + 1 == n || range_first(i + 1) != last + 1)
		CHECK(o->load(t, last + 1) == NULL,
		      "%s n=%lu hole after range %lu", o->name, n, i);
}

static void check_all(const struct ops *o, void *t, struct fake_pgmap *pg,
		      const char *mapped, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		check_range(o, t, pg, mapped, i, n);
	CHECK(o->load(t, range_first(n) + 12345) == NULL, "%s past end",
	      o->name);
	CHECK(o->load(t, ~0UL) == NULL, "%s at ULONG_MAX", o->name);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void time_loads(const struct ops *o, void *t, unsigned long n)
{
	const unsigned long loads = 1UL << 20;
	unsigned long span = range_first(n), hits = 0;
	double t0 = now_ns();

	for (unsigned long k = 0; k < loads; k++)
		hits += o->load(t, rng() % span) != NULL;
	printf("kbase: %-6s %lu ranges: %.1f ns/random load (%lu hits), "
	       "%lu KiB of nodes\n", o->name, n, (now_ns() - t0) / loads,
	       hits, o->node_bytes() >> 10);
}

static void run(const struct ops *o, unsigned long n)
{
	struct fake_pgmap *pg = calloc(n, sizeof(*pg));
	char *mapped = calloc(n, 1);
	void *t = o->create();
	unsigned long i;

	if (!pg || !mapped || !t) {
		fprintf(stderr, "FAIL: out of memory\n");
		exit(1);
	}
	CHECK(o->load(t, 0) == NULL, "%s empty load", o->name);
	CHECK(o->erase(t, 7) == -ENOENT, "%s empty erase", o->name);
	CHECK(o->store_range(t, 10, 9, &pg[0]) == -EINVAL,
	      "%s first > last", o->name);

	/* Map in a scattered order: odd ranges first, then even ones. */
	for (int pass = 1; pass >= 0; pass--) {
		for (i = pass; i < n; i += 2) {
			pg[i].first = range_first(i);
			CHECK(o->store_range(t, pg[i].first,
					     pg[i].first + RANGE_PAGES - 1,
					     &pg[i]) == 0,
			      "%s store %lu", o->name, i);
			mapped[i] = 1;
		}
	}
	CHECK(o->node_bytes() > 0 || n == 1, "%s node accounting", o->name);
	check_all(o, t, pg, mapped, n);

	if (n >= 1024)
		time_loads(o, t, n);

	/* Unmap: every third by index, every fifth by storing NULL. */
	for (i = 0; i < n; i += 3) {
		CHECK(o->erase(t, range_first(i) + 100) == 0, "%s erase %lu",
		      o->name, i);
		mapped[i] = 0;
	}
	for (i = 1; i < n; i += 5) {
		CHECK(o->store_range(t, range_first(i),
				     range_first(i) + RANGE_PAGES - 1,
				     NULL) == 0, "%s store NULL %lu", o->name, i);
		mapped[i] = 0;
	}
	check_all(o, t, pg, mapped, n);

	/* Remap what was unmapped. */
	for (i = 0; i < n; i++) {
		if (mapped[i])
			continue;
		CHECK(o->store_range(t, range_first(i),
				     range_first(i) + RANGE_PAGES - 1,
				     &pg[i]) == 0, "%s remap %lu", o->name, i);
		mapped[i] = 1;
	}
	check_all(o, t, pg, mapped, n);

	o->destroy(t);
	rcu_barrier();
	CHECK(o->node_bytes() == 0, "%s leaked %lu node bytes", o->name,
	      o->node_bytes());
	free(mapped);
	free(pg);
}

/* ---- concurrent readers against a writer, under RCU ------------------- */

#define STRESS_RANGES	4096UL

struct stress {
	const struct ops *o;
	void *t;
	struct fake_pgmap *pg;
	bool stop;
	unsigned long loads, bad;
};

static void *stress_reader(void *arg)
{
	struct stress *st = arg;
	uint64_t x = (uintptr_t)&x | 1;
	unsigned long loads = 0, bad = 0;

	rcu_register_thread();
	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		unsigned long i, off;
		void *e;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = x % STRESS_RANGES;
		off = range_first(i) + (x >> 32) % RANGE_PAGES;
		e = st->o->load(st->t, off);
		/* Even ranges never change; odd ones come and go. */
		if (e != &st->pg[i] && (i % 2 == 0 || e != NULL))
			bad++;
		loads++;
	}
	rcu_unregister_thread();
	__atomic_fetch_add(&st->loads, loads, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void stress(const struct ops *o)
{
	struct stress st = { .o = o, .t = o->create() };
	pthread_t readers[2];
	unsigned long i, rounds = 0;
	double t0;

	st.pg = calloc(STRESS_RANGES, sizeof(*st.pg));
	if (!st.t || !st.pg) {
		fprintf(stderr, "FAIL: out of memory\n");
		exit(1);
	}
	for (i = 0; i < STRESS_RANGES; i++)
		CHECK(o->store_range(st.t, range_first(i),
				     range_first(i) + RANGE_PAGES - 1,
				     &st.pg[i]) == 0, "%s stress store", o->name);
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&readers[i], NULL, stress_reader, &st) == 0,
		      "pthread_create");
	t0 = now_ns();
	while (now_ns() - t0 < 300e6) {
		i = 2 * (rng() % (STRESS_RANGES / 2)) + 1;
		if (rng() & 1)
			o->erase(st.t, range_first(i) + rng() % RANGE_PAGES);
		else
			CHECK(o->store_range(st.t, range_first(i),
					     range_first(i) + RANGE_PAGES - 1,
					     &st.pg[i]) == 0,
			      "%s stress remap", o->name);
		rounds++;
	}
	__atomic_store_n(&st.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(readers[i], NULL);
	CHECK(st.bad == 0, "%s: %lu of %lu concurrent loads wrong", o->name,
	      st.bad, st.loads);
	CHECK(st.loads > 0, "%s: readers made no progress", o->name);
	printf("kbase: %-6s RCU: %lu concurrent loads during %lu unmaps/remaps\n",
	       o->name, st.loads, rounds);
	o->destroy(st.t);
	rcu_barrier();
	CHECK(o->node_bytes() == 0, "%s stress leaked %lu node bytes", o->name,
	      o->node_bytes());
	free(st.pg);
}

/*
 * v6's allocation tree: mtree_alloc_range() hands out the lowest free
 * offsets (byte keys underneath), a freed range is reused first fit, and
 * lookups resolve every page of a range to its entry and nothing else.
 */
static void v6_check(int rcu)
{
	static struct fake_pgmap pg[64];
	unsigned long off[64], i, o;
	struct kb_v6 *t = kb_v6_create(rcu);

	CHECK(t, "kb_v6_create(%d)", rcu);
	if (!t)
		return;
	for (i = 0; i < 64; i++) {
		CHECK(!kb_v6_alloc(t, 512, &pg[i], &off[i]), "v6 alloc %lu", i);
		CHECK(off[i] == i * 512, "v6 alloc %lu at %lu, expected %lu", i, off[i], i * 512);
	}
	for (i = 0; i < 64; i++)
		for (o = 0; o < 512; o += 73)
			CHECK(kb_v6_load(t, off[i] + o) == &pg[i], "v6 load %lu+%lu", off[i], o);
	CHECK(kb_v6_load(t, 64 * 512) == NULL, "v6 load past the end");
	CHECK(!kb_v6_erase(t, off[5]), "v6 erase");
	CHECK(kb_v6_load(t, off[5] + 1) == NULL, "v6 load after erase");
	CHECK(kb_v6_erase(t, off[5]) == -ENOENT, "v6 erase twice");
	CHECK(!kb_v6_alloc(t, 256, &pg[5], &o) && o == off[5], "v6 first fit into the hole");
	kb_v6_destroy(t);
}

int main(void)
{
	static const unsigned long sizes[] = { 1, 64, 65536 };

	rcu_register_thread();
	for (size_t k = 0; k < sizeof(all_ops) / sizeof(all_ops[0]); k++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			run(&all_ops[k], sizes[s]);
	for (size_t k = 0; k < sizeof(all_ops) / sizeof(all_ops[0]); k++)
		stress(&all_ops[k]);
	v6_check(0);
	v6_check(1);
	rcu_unregister_thread();
	if (failures) {
		fprintf(stderr, "kbase: %d failures\n", failures);
		return 1;
	}
	printf("kbase: maple tree, v6's allocation tree and xarray: all loads correct\n");
	return 0;
}
