/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * tests/common.h - what every test program shares: failure reporting that
 * says where and with which seed, and a small reproducible PRNG.
 */
#ifndef DPIDX_TESTS_COMMON_H
#define DPIDX_TESTS_COMMON_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long test_seed;
static const char *test_name = "test";
static unsigned long test_failures;

static inline void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FAIL [%s seed=%llu]: ", file, line, test_name,
		test_seed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failures++;
	if (test_failures >= 20) {
		fprintf(stderr, "too many failures, stopping\n");
		exit(1);
	}
}

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		test_fail(__FILE__, __LINE__, "" __VA_ARGS__);		\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b)							\
		test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
			  #a, __a, #b, __b);				\
} while (0)

/* Fatal: later checks would only cascade. */
#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		test_fail(__FILE__, __LINE__, "" __VA_ARGS__);		\
		exit(1);						\
	}								\
} while (0)

/* xoshiro256** - small, fast, and the same sequence on every machine. */
struct rng {
	uint64_t s[4];
};

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t result = rng_rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rng_rotl(r->s[3], 45);
	return result;
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {	/* splitmix64 */
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/*
 * The seed: --seed N or DPIDX_SEED, else the clock.  Always printed, so a
 * failure can be replayed exactly.
 */
static inline unsigned long long test_pick_seed(int argc, char **argv)
{
	const char *env = getenv("DPIDX_SEED");
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--seed"))
			return strtoull(argv[i + 1], NULL, 0);
	if (env && *env)
		return strtoull(env, NULL, 0);
	return (unsigned long long)time(NULL) ^ ((unsigned long long)clock() << 32);
}

static inline unsigned long test_arg_ulong(int argc, char **argv,
					   const char *flag, unsigned long dflt)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], flag))
			return strtoul(argv[i + 1], NULL, 0);
	return dflt;
}

/*
 * Every descriptor array and table handed out by the vmemmap arena was
 * freed: destroy() leaks nothing (LSan and valgrind cannot see the arena).
 */
#define CHECK_NO_LEAK() \
	CHECK(dpidx_vmemmap_outstanding() == 0, "%lu bytes of descriptors/tables leaked", \
	      dpidx_vmemmap_outstanding())

static inline int test_finish(void)
{
	if (test_failures) {
		printf("%s: %lu failure(s) (replay with --seed %llu)\n",
		       test_name, test_failures, test_seed);
		return 1;
	}
	printf("%s: ok (seed %llu)\n", test_name, test_seed);
	return 0;
}

#endif /* DPIDX_TESTS_COMMON_H */
