// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Allocation-failure injection: every allocation an init, map or unmap
 * makes is failed once in turn (DPIDX_DEBUG_HOOKS).  A failed operation must
 * return -ENOMEM and change nothing: every range mapped before still
 * resolves exactly as before, holes stay holes, the invariant checker is
 * happy and the pgmap is left as it was.  Leaks are caught by running this
 * test under ASan/LSan and valgrind (the sanitizer and memcheck setups).
 *
 *   test_failinject ENCODING [--seed N] [--ops N]
 */
#define DPIDX_DEBUG_HOOKS
#include "model.h"

static unsigned long alloc_calls, fail_at;

bool dpidx_debug_alloc_fail(void)
{
	return ++alloc_calls == fail_at;
}

static void arm(unsigned long k)
{
	alloc_calls = 0;
	fail_at = k;
}

/* The whole model still resolves, nothing else does, invariants hold. */
static void verify_unchanged(struct model *m, const char *what, unsigned long k)
{
	unsigned long before = test_failures;
	int i;

	arm(0);
	for (i = 0; i < MODEL_SLOTS; i++) {
		if (!m->r[i].live) {
			CHECK(!m->pgmap[i].space, "%s failing alloc #%lu claimed slot %d",
			      what, k, i);
			continue;
		}
		model_verify_range(m, i);
		CHECK(m->pgmap[i].space && m->pgmap[i].pages == m->r[i].pages,
		      "%s failing alloc #%lu changed pgmap %d", what, k, i);
	}
	CHECK_EQ(m->enc->check(m->space), 0);
	if (test_failures != before)
		REQUIRE(0, "%s: state changed after failing allocation #%lu", what, k);
}

static unsigned long failed_ops, injected;

static void map_with_faults(struct model *m, int i, unsigned long nr)
{
	struct dpidx_pgmap *pgmap = &m->pgmap[i];
	unsigned long k;
	int err;

	for (k = 1;; k++) {
		memset(pgmap, 0, sizeof(*pgmap));
		pgmap->nr_pages = nr;
		arm(k);
		err = m->enc->map(m->space, pgmap, -1);
		if (!err)
			break;
		CHECK(err == -ENOMEM, "%s: map(%lu) failing alloc #%lu = %d", m->enc->name,
		      nr, k, err);
		REQUIRE(alloc_calls >= k, "map failed (%d) without a failed allocation", err);
		injected++;
		verify_unchanged(m, "map", k);
	}
	failed_ops += k > 1;
	arm(0);
	m->r[i].live = true;
	m->r[i].base = pgmap->base;
	m->r[i].nr = nr;
	m->r[i].pages = pgmap->pages;
	m->live_pages += nr;
	model_verify_range(m, i);
}

static void unmap_with_faults(struct model *m, int i)
{
	unsigned long k;
	int err;

	for (k = 1;; k++) {
		arm(k);
		err = m->enc->unmap(m->space, &m->pgmap[i]);
		if (!err)
			break;
		CHECK(err == -ENOMEM, "%s: unmap failing alloc #%lu = %d", m->enc->name, k, err);
		REQUIRE(alloc_calls >= k, "unmap failed (%d) without a failed allocation", err);
		injected++;
		verify_unchanged(m, "unmap", k);
	}
	arm(0);
	m->r[i].live = false;
	m->live_pages -= m->r[i].nr;
}

static void init_with_faults(struct model *m, const struct dpidx_enc *enc,
			     unsigned long max_pages)
{
	unsigned long k;
	int err;

	for (k = 1;; k++) {
		arm(k);
		err = model_init(m, enc, max_pages);
		if (!err)
			break;
		CHECK(err == -ENOMEM, "init failing alloc #%lu = %d", k, err);
		REQUIRE(alloc_calls >= k, "init failed (%d) without a failed allocation", err);
		injected++;
		free(m->space);
		CHECK_NO_LEAK();	/* a failed init leaves nothing behind */
	}
	arm(0);
}

int main(int argc, char **argv)
{
	const struct dpidx_enc *enc;
	unsigned long ops, op, nr;
	struct model m;
	struct rng rng;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING [--seed N] [--ops N]\n", argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "failinject";
	test_seed = test_pick_seed(argc, argv);
	ops = test_arg_ulong(argc, argv, "--ops", 300);
	printf("failinject %s: seed %llu, %lu ops\n", enc->name, test_seed, ops);
	rng_seed(&rng, test_seed);
	rcu_register_thread();

	/* Small on purpose: the index has to grow while faults are injected. */
	init_with_faults(&m, enc, 1UL << 14);
	for (i = 0; i < MODEL_SLOTS; i++)
		map_with_faults(&m, i, i % 5 ? 1 + rng_below(&rng, 100) : 513);
	for (op = 0; op < ops && !test_failures; op++) {
		i = (int)rng_below(&rng, MODEL_SLOTS);
		nr = rng_below(&rng, 4) ? 1 + rng_below(&rng, 100) : 513;
		if (m.r[i].live)
			unmap_with_faults(&m, i);
		else if (m.live_pages + nr <= m.max_pages / 2)
			map_with_faults(&m, i, nr);
	}
	model_destroy(&m);
	CHECK_NO_LEAK();
	rcu_unregister_thread();
	printf("failinject %s: %lu allocation failures injected over %lu operations that allocate\n",
	       enc->name, injected, failed_ops);
	CHECK(injected > 0, "no allocation was ever failed: the hook is not wired");
	return test_finish();
}
