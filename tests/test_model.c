// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Randomized model-based test: long random sequences of map, unmap, lookup,
 * lookup_range, page_to_offset and PTE round trips, each checked against
 * the reference model in model.h, with the encoding's structural invariant
 * checker run after every operation.
 *
 *   test_model ENCODING [--seed N] [--ops N] [--max-pages N]
 *
 * The seed is printed; the same seed replays the same sequence.
 */
#include "model.h"

int main(int argc, char **argv)
{
	const struct dpidx_enc *enc;
	unsigned long ops, max_pages, i;
	struct model m;
	struct rng rng;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING [--seed N] [--ops N] [--max-pages N]\n",
			argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "model";
	test_seed = test_pick_seed(argc, argv);
	ops = test_arg_ulong(argc, argv, "--ops", 20000);
	max_pages = test_arg_ulong(argc, argv, "--max-pages", 1UL << 20);
	printf("model %s: seed %llu, %lu ops, max_pages %lu\n", enc->name,
	       test_seed, ops, max_pages);
	fflush(stdout);
	rng_seed(&rng, test_seed);
	rcu_register_thread();

	err = model_init(&m, enc, max_pages);
	REQUIRE(!err, "init(%lu) = %d", max_pages, err);
	m.check_each_op = true;
	for (i = 0; i < ops && test_failures == 0; i++)
		model_step(&m, rng_next(&rng));
	/* Everything the model holds must still resolve at the end. */
	for (i = 0; i < MODEL_SLOTS; i++)
		if (m.r[i].live)
			model_verify_range(&m, (int)i);
	model_destroy(&m);
	CHECK_NO_LEAK();

	rcu_unregister_thread();
	return test_finish();
}
