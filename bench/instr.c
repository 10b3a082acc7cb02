// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/instr.c - a fixed, deterministic lookup workload per subject, for
 * counting instructions and simulated cache misses under valgrind
 * (bench/callgrind.py).  Nothing here reads a clock.
 *
 * For each subject S two functions are measured, never inlined, so that
 * callgrind --toggle-collect='instr_*' counts exactly their (inclusive)
 * cost:
 *   instr_lookup_S   @n hot lookups (offset -> descriptor pointer) over a
 *                    small key set, after one untimed warm-up pass
 *   instr_fault_S    @n hot fault paths (PTE -> page, owner check, get/put)
 * Per-operation figures = inclusive cost / @n.
 *
 * usage: dpidx-instr [--shape=NAME] [--ops=N] [--list]
 */
#include <stdio.h>
#include <stdlib.h>

#include "subjects.h"

#define INSTR_KEYS	4096UL		/* a hot set: the index stays cached */

/* @P: instr (measured) or warm (the untimed warm-up pass, same code). */
#define INSTR_BODIES(S, P)							\
__attribute__((noinline)) unsigned long						\
P##_lookup_##S(struct fixture *fx, unsigned long n)				\
{										\
	unsigned long i, sum = 0;						\
										\
	for (i = 0; i < n; i++)							\
		sum += (unsigned long)S##_lookup(fx, fx->uniform[i & (INSTR_KEYS - 1)]); \
	return sum;								\
}										\
__attribute__((noinline)) unsigned long						\
P##_fault_##S(struct fixture *fx, unsigned long n)				\
{										\
	unsigned long i, bad = 0;						\
										\
	for (i = 0; i < n; i++) {						\
		const struct fault_key *fk = &fx->faults[i & (INSTR_KEYS - 1)];	\
		struct dpidx_page *page = S##_pte_to_page(fx, fk->pte);	\
										\
		if (unlikely(!page || dpidx_page_range(page)->owner != fk->owner)) { \
			bad++;							\
			continue;						\
		}								\
		dpidx_page_get(page);						\
		dpidx_page_put(page);						\
	}									\
	return bad;								\
}

#define INSTR_DEFINE(S)								\
INSTR_BODIES(S, instr)								\
INSTR_BODIES(S, warm)								\
static int run_##S(const struct wl_plan *plan, unsigned long n)		\
{										\
	struct fixture *fx = fx_build(plan, fx_family_by_subject(#S));		\
	unsigned long sum;							\
										\
	if (!fx)								\
		return 1;							\
	rcu_read_lock();							\
	sum = warm_lookup_##S(fx, INSTR_KEYS) ^ warm_fault_##S(fx, INSTR_KEYS);	\
	sum ^= instr_lookup_##S(fx, n);						\
	if (instr_fault_##S(fx, n))						\
		fprintf(stderr, "dpidx-instr: %s: wrong fault-path result\n", #S); \
	rcu_read_unlock();							\
	printf("%s %lu %lx\n", #S, n, sum & 1);					\
	fx_destroy(fx);								\
	return 0;								\
}

#define INSTR_ENC_DEFINE(E, UE)	INSTR_DEFINE(E)
INSTR_DEFINE(pfn)
DPIDX_FOR_EACH_ENCODING(INSTR_ENC_DEFINE)
INSTR_DEFINE(lfht)
BENCH_FOR_EACH_KBASE(INSTR_DEFINE)

#define INSTR_ROW(S)		{ #S, run_##S },
#define INSTR_ENC_ROW(E, UE)	INSTR_ROW(E)
static const struct {
	const char *name;
	int (*run)(const struct wl_plan *plan, unsigned long n);
} instr_subjects[] = {
	INSTR_ROW(pfn)
	DPIDX_FOR_EACH_ENCODING(INSTR_ENC_ROW)
	INSTR_ROW(lfht)
	BENCH_FOR_EACH_KBASE(INSTR_ROW)
};

int main(int argc, char **argv)
{
	const char *shape = "nouveau-1k";
	unsigned long n = 100000;
	struct wl_plan plan;
	char err[256];
	size_t i;
	int ret = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strncmp(argv[i], "--shape=", 8)) {
			shape = argv[i] + 8;
		} else if (!strncmp(argv[i], "--ops=", 6)) {
			n = strtoul(argv[i] + 6, NULL, 0);
			if (n < 1 || n > 100000000) {
				fprintf(stderr, "dpidx-instr: --ops must be 1..100000000\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--list")) {
			for (i = 0; i < sizeof(instr_subjects) / sizeof(instr_subjects[0]); i++)
				printf("%s\n", instr_subjects[i].name);
			return 0;
		} else {
			fprintf(stderr, "usage: dpidx-instr [--shape=NAME] [--ops=N] [--list]\n");
			return 2;
		}
	}
	if (wl_plan_build(&plan, shape, INSTR_KEYS, err, sizeof(err))) {
		fprintf(stderr, "dpidx-instr: %s\n", err);
		return 2;
	}
	printf("compiler %s\n", BENCH_COMPILER_KEY);
	rcu_register_thread();
	for (i = 0; i < sizeof(instr_subjects) / sizeof(instr_subjects[0]); i++)
		ret |= instr_subjects[i].run(&plan, n);
	rcu_unregister_thread();
	wl_plan_free(&plan);
	return ret;
}
