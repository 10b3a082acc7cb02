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
 *   instr_coldfault_S  one fault path on a key no earlier call used, called
 *                    @cold times, each after evict_sim() has read a buffer
 *                    of INSTR_EVICT bytes (twice the LL that callgrind.py
 *                    simulates): its LL misses are the fault path's
 *                    dependent misses, the cost a hot-key count cannot see
 * Per-operation figures = inclusive cost / @n (or / @cold).
 *
 * usage: dpidx-instr [--shape=NAME] [--ops=N] [--cold=N] [--list]
 */
#include <stdio.h>
#include <stdlib.h>

#include "subjects.h"

#define INSTR_KEYS	4096UL		/* a hot set: the index stays cached */
#define INSTR_ALL_KEYS	65536UL		/* keys 4096.. are the cold ones */
#define INSTR_EVICT	(2UL << 20)	/* 2 x callgrind.py's simulated LL */

static unsigned char *instr_evict_buf;
static unsigned long instr_cold = 1000;

static volatile unsigned long instr_sink;

/*
 * Not instr_*: outside the collected cost.  Every loaded byte is summed:
 * valgrind's JIT drops a load whose result is overwritten unused in the
 * same block, and clang unrolls (void)p[i] into exactly such loads.
 */
__attribute__((noinline)) static void evict_sim(void)
{
	const volatile unsigned char *p = instr_evict_buf;
	unsigned long i, sum = 0;

	for (i = 0; i < INSTR_EVICT; i += 64)
		sum += p[i];
	instr_sink = sum;
}

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
}										\
__attribute__((noinline)) unsigned long						\
P##_coldfault_##S(struct fixture *fx, const struct fault_key *fk)		\
{										\
	struct dpidx_page *page = S##_pte_to_page(fx, fk->pte);		\
										\
	if (unlikely(!page || dpidx_page_range(page)->owner != fk->owner))	\
		return 1;							\
	dpidx_page_get(page);							\
	dpidx_page_put(page);							\
	return 0;								\
}

#define INSTR_DEFINE(S)								\
INSTR_BODIES(S, instr)								\
INSTR_BODIES(S, warm)								\
static int run_##S(const struct wl_plan *plan, unsigned long n)		\
{										\
	struct fixture *fx = fx_build(plan, fx_family_by_subject(#S));		\
	unsigned long sum, k, bad = 0;						\
										\
	if (!fx)								\
		return 1;							\
	rcu_read_lock();							\
	sum = warm_lookup_##S(fx, INSTR_KEYS) ^ warm_fault_##S(fx, INSTR_KEYS);	\
	sum ^= instr_lookup_##S(fx, n);						\
	if (instr_fault_##S(fx, n))						\
		fprintf(stderr, "dpidx-instr: %s: wrong fault-path result\n", #S); \
	for (k = 0; k < instr_cold; k++) {					\
		evict_sim();							\
		bad += instr_coldfault_##S(fx, &fx->faults[INSTR_KEYS +		\
			(k * 4099) % (INSTR_ALL_KEYS - INSTR_KEYS)]);		\
	}									\
	if (bad)								\
		fprintf(stderr, "dpidx-instr: %s: wrong cold fault-path result\n", #S); \
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
	char err[256] = "out of memory";
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
		} else if (!strncmp(argv[i], "--cold=", 7)) {
			instr_cold = strtoul(argv[i] + 7, NULL, 0);
			if (instr_cold < 1 || instr_cold > INSTR_ALL_KEYS - INSTR_KEYS) {
				fprintf(stderr, "dpidx-instr: --cold must be 1..%lu\n",
					INSTR_ALL_KEYS - INSTR_KEYS);
				return 2;
			}
		} else if (!strcmp(argv[i], "--list")) {
			for (i = 0; i < sizeof(instr_subjects) / sizeof(instr_subjects[0]); i++)
				printf("%s\n", instr_subjects[i].name);
			return 0;
		} else {
			fprintf(stderr, "usage: dpidx-instr [--shape=NAME] [--ops=N] [--cold=N] "
				"[--list]\n");
			return 2;
		}
	}
	instr_evict_buf = calloc(1, INSTR_EVICT);
	if (!instr_evict_buf || wl_plan_build(&plan, shape, INSTR_ALL_KEYS, err, sizeof(err))) {
		fprintf(stderr, "dpidx-instr: %s\n", err);
		return 2;
	}
	printf("compiler %s\n", BENCH_COMPILER_KEY);
	printf("config %s\n", BENCH_CFLAGS);
	rcu_register_thread();
	for (i = 0; i < sizeof(instr_subjects) / sizeof(instr_subjects[0]); i++)
		ret |= instr_subjects[i].run(&plan, n);
	rcu_unregister_thread();
	fx_release_cache();
	wl_plan_free(&plan);
	free(instr_evict_buf);
	return ret;
}
