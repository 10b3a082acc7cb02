// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/dpidx_bench.c - every encoding against the baselines, side by side,
 * in one process, on the same keys (Google Benchmark through lib/gbench_c).
 *
 * Names: <op>/<shape>/<subject>/<pattern>/<mode>
 *   op       lookup   offset -> descriptor pointer (descriptor not read)
 *            range    lookup_range() of 512 consecutive offsets; per page
 *            fault    swap PTE -> descriptor, owner check, get + put
 *   pattern  uniform  uniform over every mapped page
 *            zipf     zipfian (s = 0.99) over a hot set of 64Ki pages
 *            run512   512-aligned starts of 512-page runs
 *   mode     tput     independent operations: what overlaps, overlaps
 *            lat      each key index depends on the previous result (a load
 *                     from the descriptor): latency, nothing overlaps
 *            cold     one operation after evicting the caches (reading a
 *                     buffer of twice the LLC), timed alone with
 *                     clock_gettime(): a sporadic fault's cost, including
 *                     the cache and TLB misses of its index, descriptor and
 *                     page-table walk (timer overhead: timer/overhead)
 *
 * Our own flags come first and are removed before Google Benchmark parses
 * its own (--benchmark_filter, --benchmark_out, --benchmark_repetitions...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/perf_event.h>

#include "gbench_c.h"
#include "subjects.h"
#include "perfcounters.h"
#include "bench_version.h"

#define BATCH		256UL
#define RUN		WL_RUN_PAGES

enum bench_op { OP_LOOKUP, OP_RANGE, OP_FAULT };
enum bench_pattern { PAT_UNIFORM, PAT_ZIPF, PAT_RUN };
enum bench_mode { MODE_TPUT, MODE_LAT, MODE_COLD };

struct subject;

struct bench_case {
	const struct subject *subject;
	const char *shape;
	enum bench_pattern pattern;
};

struct subject {
	const char *name;
	gb_fn lookup_tput, lookup_lat, range, fault_tput, fault_lat, fault_cold;
};

/* ---- the one fixture alive at a time ----------------------------------- */

static struct {
	pthread_mutex_t lock;
	struct wl_plan plan;
	bool planned;
	struct fixture *fx;
	unsigned long nr_keys;
	unsigned char *evict;
	unsigned long evict_bytes;
} bench = { .lock = PTHREAD_MUTEX_INITIALIZER, .nr_keys = 1UL << 20 };

static __thread bool bench_rcu_registered;

/*
 * The fixture of @shape for @subject's family; the previous one is freed
 * first, so only one shape's descriptors are in memory at any time.
 */
static struct fixture *bench_fixture(struct gb_state *st, const struct bench_case *bc)
{
	int family = fx_family_by_subject(bc->subject->name);
	char err[256];
	struct fixture *fx = NULL;

	pthread_mutex_lock(&bench.lock);
	if (!bench.planned || strcmp(bench.plan.name, bc->shape)) {
		fx_destroy(bench.fx);
		bench.fx = NULL;
		if (bench.planned)
			wl_plan_free(&bench.plan);
		bench.planned = !wl_plan_build(&bench.plan, bc->shape, bench.nr_keys,
					       err, sizeof(err));
		if (!bench.planned) {
			pthread_mutex_unlock(&bench.lock);
			gb_skip_with_error(st, err);
			return NULL;
		}
	}
	if (bench.fx && bench.fx->family != family) {
		fx_destroy(bench.fx);
		bench.fx = NULL;
	}
	if (!bench.fx)
		bench.fx = fx_build(&bench.plan, family);
	fx = bench.fx;
	pthread_mutex_unlock(&bench.lock);
	if (!fx)
		gb_skip_with_error(st, "fixture build failed (see stderr)");
	return fx;
}

static bool bench_enter(void)
{
	if (bench_rcu_registered)
		return false;
	rcu_register_thread();
	bench_rcu_registered = true;
	return true;
}

static void bench_leave(bool registered)
{
	if (!registered)
		return;
	rcu_unregister_thread();
	bench_rcu_registered = false;
}

static void bench_counters(struct gb_state *st, const struct fixture *fx)
{
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_set_counter(st, "ranges", (double)fx->plan->nr_mapped, GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "swap_types", fx->swap_types, GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "thp_share", fx->anon_kb ? (double)fx->thp_kb / fx->anon_kb : 0,
		       GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "setup_s", fx->setup_ns * 1e-9, GB_COUNTER_AVG_THREADS);
}

/* Read every line of a buffer twice the LLC: index, descriptors, PTEs out. */
static void bench_evict(void)
{
	volatile unsigned char sink;
	unsigned long i, sum = 0;

	for (i = 0; i < bench.evict_bytes; i += 64)
		sum += bench.evict[i];
	sink = (unsigned char)sum;
	(void)sink;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Single-operation samples of a cold benchmark.  Google Benchmark reports
 * their mean; one preemption among 20 samples would dominate it, so the
 * median is reported beside it as the counter "median_ns".
 */
struct bench_samples {
	uint64_t *ns;
	unsigned long nr, cap;
};

static void bench_sample(struct bench_samples *s, uint64_t ns)
{
	if (s->nr == s->cap) {
		uint64_t *p = realloc(s->ns, (s->cap ? s->cap * 2 : 64) * sizeof(*p));

		if (!p)
			return;
		s->ns = p;
		s->cap = s->cap ? s->cap * 2 : 64;
	}
	s->ns[s->nr++] = ns;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_samples_report(struct gb_state *st, struct bench_samples *s)
{
	if (s->nr) {
		qsort(s->ns, s->nr, sizeof(*s->ns), bench_cmp_u64);
		gb_set_counter(st, "median_ns", (double)s->ns[s->nr / 2], GB_COUNTER_AVG_THREADS);
	}
	free(s->ns);
}

static void bm_timer_overhead(struct gb_state *st, void *arg)
{
	struct bench_samples samples = { 0 };

	(void)arg;
	while (gb_keep_running(st)) {
		uint64_t t0, t1;

		bench_evict();
		t0 = bench_now_ns();
		gb_clobber_memory();
		t1 = bench_now_ns();
		gb_set_iteration_time(st, (double)(t1 - t0) * 1e-9);
		bench_sample(&samples, t1 - t0);
	}
	bench_samples_report(st, &samples);
}

/*
 * The benchmark bodies, one set per subject S, calling S's inline hot path.
 * Every body first checks S against the plan on the first 4096 keys of each
 * pattern (untimed): a wrong answer is an error in the output, not a figure.
 */
#define BENCH_DEFINE(S)								\
static bool S##_verify(struct fixture *fx)					\
{										\
	const struct wl_plan *plan = fx->plan;					\
	struct dpidx_page *pages[RUN];						\
	unsigned long i, j;							\
	bool ok = true;								\
										\
	dpidx_read_lock();							\
	for (i = 0; ok && i < 4096 && i < plan->nr_keys; i++) {		\
		const struct wl_key *u = &plan->uniform[i], *z = &plan->zipf[i];\
										\
		ok = S##_lookup(fx, fx->uniform[i]) ==				\
		     &fx->pgmaps[u->range].pages[u->page] &&			\
		     S##_pte_to_page(fx, fx->faults[i].pte) ==			\
		     &fx->pgmaps[u->range].pages[u->page] &&			\
		     S##_lookup(fx, fx->zipf[i]) ==				\
		     &fx->pgmaps[z->range].pages[z->page];			\
	}									\
	for (i = 0; ok && i < 64 && i < plan->nr_runs; i++) {			\
		const struct wl_key *r = &plan->runs[i];			\
										\
		S##_range(fx, fx->runs[i], RUN, pages);				\
		for (j = 0; j < RUN; j++)					\
			ok &= pages[j] == &fx->pgmaps[r->range].pages[r->page + j]; \
	}									\
	dpidx_read_unlock();							\
	return ok;								\
}										\
										\
static struct fixture *S##_setup(struct gb_state *st, const struct bench_case *bc)\
{										\
	struct fixture *fx = bench_fixture(st, bc);				\
										\
	if (fx && !S##_verify(fx)) {						\
		gb_skip_with_error(st, #S " returned a wrong descriptor");	\
		return NULL;							\
	}									\
	return fx;								\
}										\
										\
static void bm_##S##_lookup_tput(struct gb_state *st, void *arg)		\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	const unsigned long *keys;						\
	unsigned long mask, i, j;						\
										\
	if (fx) {								\
		keys = bc->pattern == PAT_ZIPF ? fx->zipf : fx->uniform;	\
		mask = fx->plan->nr_keys - 1;					\
		i = (unsigned long)gb_thread_index(st) * 7919 * BATCH;		\
		while (gb_keep_running_batch(st, BATCH)) {			\
			dpidx_read_lock();					\
			for (j = 0; j < BATCH; j++, i++) {			\
				struct dpidx_page *page =			\
					S##_lookup(fx, keys[i & mask]);		\
				gb_do_not_optimize(page);			\
			}							\
			dpidx_read_unlock();					\
		}								\
		bench_counters(st, fx);						\
	}									\
	bench_leave(reg);							\
}										\
										\
/* The next key's index needs a load from this key's descriptor. */		\
static void bm_##S##_lookup_lat(struct gb_state *st, void *arg)			\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	const unsigned long *keys;						\
	unsigned long mask, i = 0, j;						\
										\
	if (fx) {								\
		keys = bc->pattern == PAT_ZIPF ? fx->zipf : fx->uniform;	\
		mask = fx->plan->nr_keys - 1;					\
		while (gb_keep_running_batch(st, BATCH)) {			\
			dpidx_read_lock();					\
			for (j = 0; j < BATCH; j++) {				\
				struct dpidx_page *page =			\
					S##_lookup(fx, keys[i & mask]);		\
				i += 1 + READ_ONCE(page->index);		\
			}							\
			dpidx_read_unlock();					\
		}								\
		bench_counters(st, fx);						\
	}									\
	bench_leave(reg);							\
}										\
										\
static void bm_##S##_range(struct gb_state *st, void *arg)			\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	struct dpidx_page *pages[RUN];						\
	unsigned long i = 0;							\
										\
	if (fx && !fx->plan->nr_runs)						\
		gb_skip_with_error(st, "no range of 512 pages in this shape");	\
	else if (fx) {								\
		while (gb_keep_running_batch(st, RUN)) {			\
			dpidx_read_lock();					\
			S##_range(fx, fx->runs[i++ % fx->plan->nr_runs], RUN, pages); \
			gb_do_not_optimize(pages[RUN - 1]);			\
			gb_clobber_memory();					\
			dpidx_read_unlock();					\
		}								\
		bench_counters(st, fx);						\
	}									\
	bench_leave(reg);							\
}										\
										\
/* do_swap_page(): resolve, check the owner, take and drop a reference. */	\
static inline struct dpidx_page *S##_fault(struct fixture *fx,		\
					   const struct fault_key *fk)		\
{										\
	struct dpidx_page *page = S##_pte_to_page(fx, fk->pte);		\
										\
	if (unlikely(!page || dpidx_page_range(page)->owner != fk->owner))	\
		return NULL;							\
	dpidx_page_get(page);							\
	dpidx_page_put(page);							\
	return page;								\
}										\
										\
static void bm_##S##_fault_tput(struct gb_state *st, void *arg)		\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	unsigned long mask, i, j, bad = 0;					\
										\
	if (fx) {								\
		mask = fx->plan->nr_keys - 1;					\
		i = (unsigned long)gb_thread_index(st) * 7919 * BATCH;		\
		while (gb_keep_running_batch(st, BATCH)) {			\
			dpidx_read_lock();					\
			for (j = 0; j < BATCH; j++, i++)			\
				bad += !S##_fault(fx, &fx->faults[i & mask]);	\
			dpidx_read_unlock();					\
		}								\
		if (bad)							\
			gb_skip_with_error(st, "fault path: wrong page or owner"); \
		bench_counters(st, fx);						\
	}									\
	bench_leave(reg);							\
}										\
										\
static void bm_##S##_fault_lat(struct gb_state *st, void *arg)			\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	unsigned long mask, i = 0, j;						\
										\
	if (fx) {								\
		mask = fx->plan->nr_keys - 1;					\
		while (gb_keep_running_batch(st, BATCH)) {			\
			dpidx_read_lock();					\
			for (j = 0; j < BATCH; j++) {				\
				struct dpidx_page *page =			\
					S##_fault(fx, &fx->faults[i & mask]);	\
				i += 1 + READ_ONCE(page->index);		\
			}							\
			dpidx_read_unlock();					\
		}								\
		bench_counters(st, fx);						\
	}									\
	bench_leave(reg);							\
}										\
										\
static void bm_##S##_fault_cold(struct gb_state *st, void *arg)		\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	unsigned long mask, i = 0, bad = 0;					\
	struct bench_samples samples = { 0 };					\
										\
	if (fx) {								\
		mask = fx->plan->nr_keys - 1;					\
		while (gb_keep_running(st)) {					\
			struct fault_key fk = fx->faults[(i++ * 4099) & mask];	\
			uint64_t t0, t1;					\
										\
			dpidx_read_lock();					\
			bench_evict();						\
			gb_do_not_optimize(fk);					\
			t0 = bench_now_ns();					\
			bad += !S##_fault(fx, &fk);				\
			t1 = bench_now_ns();					\
			dpidx_read_unlock();					\
			gb_set_iteration_time(st, (double)(t1 - t0) * 1e-9);	\
			bench_sample(&samples, t1 - t0);			\
		}								\
		if (bad)							\
			gb_skip_with_error(st, "fault path: wrong page or owner"); \
		bench_counters(st, fx);						\
		bench_samples_report(st, &samples);				\
	}									\
	bench_leave(reg);							\
}

#define SUBJECT_ROW(S)								\
	{ #S, bm_##S##_lookup_tput, bm_##S##_lookup_lat, bm_##S##_range,	\
	  bm_##S##_fault_tput, bm_##S##_fault_lat, bm_##S##_fault_cold },
#define ENC_DEFINE(E, UE)	BENCH_DEFINE(E)
#define ENC_ROW(E, UE)		SUBJECT_ROW(E)

BENCH_DEFINE(pfn)
DPIDX_FOR_EACH_ENCODING(ENC_DEFINE)
BENCH_DEFINE(lfht)
BENCH_FOR_EACH_KBASE(BENCH_DEFINE)

/* Report order: the limit, the encodings, then v6's world. */
static const struct subject subjects[] = {
	SUBJECT_ROW(pfn)
	DPIDX_FOR_EACH_ENCODING(ENC_ROW)
	SUBJECT_ROW(lfht)
	BENCH_FOR_EACH_KBASE(SUBJECT_ROW)
};
#define NR_SUBJECTS	(sizeof(subjects) / sizeof(subjects[0]))

/* ---- context ------------------------------------------------------------ */

static void bench_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
}

/* Hardware counters: say plainly whether the machine has them. */
static const char *bench_perf_counters(void)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_HARDWARE;
	attr.config = PERF_COUNT_HW_INSTRUCTIONS;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		return "unavailable (perf_event_open failed: no PMU in this VM?); "
		       "use bench/callgrind.py for instruction and cache-miss counts";
	close((int)fd);
	return "available: cycles, instructions, L1d/LLC/dTLB misses per item as "
	       "user counters (bench/perfcounters.h)";
}

static unsigned long bench_llc_bytes(void);

static void bench_file_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "unknown");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

static void bench_context(const char *mode, const char *shapes)
{
	char buf[512], encs[128] = "";
	struct utsname u;
	size_t i;

	bench_cpu_model(buf, sizeof(buf));
	gb_add_custom_context("cpu_model", buf);
	snprintf(buf, sizeof(buf), "last level %lu KiB (sysfs, cpu0); Google Benchmark's "
		 "\"caches\" has every level", bench_llc_bytes() >> 10);
	gb_add_custom_context("llc", buf);
	gb_add_custom_context("compiler", __VERSION__);
	gb_add_custom_context("cflags", BENCH_CFLAGS);
	gb_add_custom_context("git_commit", BENCH_GIT_COMMIT);
	if (!uname(&u)) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		gb_add_custom_context("kernel", buf);
	}
#if defined(RCU_MEMBARRIER)
	gb_add_custom_context("liburcu_flavor", "memb (urcu.h default), _LGPL_SOURCE inline read side");
#elif defined(RCU_MB)
	gb_add_custom_context("liburcu_flavor", "mb");
#else
	gb_add_custom_context("liburcu_flavor", "other");
#endif
	gb_add_custom_context("dpidx_default_encoding", DPIDX_DEFAULT_ENCODING);
	for (i = 0; i < DPIDX_NR_ENCODINGS; i++)
		snprintf(encs + strlen(encs), sizeof(encs) - strlen(encs), "%s%s",
			 i ? "," : "", dpidx_encodings[i]->name);
	gb_add_custom_context("dpidx_encodings", encs);
#ifdef BENCH_HAVE_KBASE
	gb_add_custom_context("kernel_baselines", "mtree, xa from " BENCH_LINUX_SOURCE);
#else
	gb_add_custom_context("kernel_baselines",
			      "SKIPPED: apt-get install linux-source-6.12, then reconfigure");
#endif
	gb_add_custom_context("perf_counters", bench_perf_counters());
	bench_file_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
	gb_add_custom_context("thp", buf);
	gb_add_custom_context("bench_mode", mode);
	gb_add_custom_context("shapes", shapes);
	snprintf(buf, sizeof(buf), "%lu", bench.nr_keys);
	gb_add_custom_context("keys_per_pattern", buf);
	snprintf(buf, sizeof(buf), "%lu MiB", bench.evict_bytes >> 20);
	gb_add_custom_context("cold_evict_buffer", buf);
}

/* ---- registration ------------------------------------------------------- */

static struct bench_case *bench_case(const struct subject *subject, const char *shape,
				     enum bench_pattern pattern)
{
	struct bench_case *bc = calloc(1, sizeof(*bc));

	if (!bc) {
		fprintf(stderr, "dpidx-bench: out of memory\n");
		exit(1);
	}
	*bc = (struct bench_case){ subject, shape, pattern };
	return bc;
}

static struct gb_bench *bench_add(const char *op, const char *shape,
				  const struct subject *s, const char *pattern,
				  const char *mode, gb_fn fn, struct bench_case *bc)
{
	char name[160];

	snprintf(name, sizeof(name), "%s/%s/%s/%s/%s", op, shape, s->name, pattern, mode);
	return gb_register(name, fn, bc);
}

static void bench_register_shape(const char *shape, long cold_iterations, bool threads)
{
	static const char *const pat[] = { "uniform", "zipf" };
	struct gb_bench *b;
	size_t i;
	int p;

	for (i = 0; i < NR_SUBJECTS; i++) {
		const struct subject *s = &subjects[i];

		for (p = PAT_UNIFORM; p <= PAT_ZIPF; p++) {
			bench_add("lookup", shape, s, pat[p], "tput", s->lookup_tput,
				  bench_case(s, shape, p));
			bench_add("lookup", shape, s, pat[p], "lat", s->lookup_lat,
				  bench_case(s, shape, p));
		}
		if (threads) {
			b = bench_add("lookup", shape, s, "uniform", "tput", s->lookup_tput,
				      bench_case(s, shape, PAT_UNIFORM));
			gb_threads(b, 2);
		}
		bench_add("range", shape, s, "run512", "tput", s->range,
			  bench_case(s, shape, PAT_RUN));
		bench_add("fault", shape, s, "uniform", "tput", s->fault_tput,
			  bench_case(s, shape, PAT_UNIFORM));
		bench_add("fault", shape, s, "uniform", "lat", s->fault_lat,
			  bench_case(s, shape, PAT_UNIFORM));
		b = bench_add("fault", shape, s, "uniform", "cold", s->fault_cold,
			      bench_case(s, shape, PAT_UNIFORM));
		gb_use_manual_time(b);
		gb_iterations(b, cold_iterations);
	}
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: dpidx-bench [--shapes=NAME,...] [--keys=N] [--cold-iterations=N]\n"
		   "                   [--threads] [--full] [--list-shapes] [--benchmark_* flags]\n"
		   "shapes:");
	for (i = 0; wl_shape_names[i]; i++)
		fprintf(f, " %s", wl_shape_names[i]);
	fprintf(f, " custom:<ranges>x<pages>\n");
}

/*
 * The last-level cache of CPU 0 from sysfs (the highest index), e.g.
 * "32768K".  glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) adds up the L3s of the
 * whole package on some AMD parts (320 MiB for a 32 MiB L3 here).
 */
static unsigned long bench_llc_bytes(void)
{
	unsigned long best = 0, size;
	char path[96], buf[32], unit;
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		bench_file_line(path, buf, sizeof(buf));
		unit = 0;
		if (sscanf(buf, "%lu%c", &size, &unit) < 1)
			continue;
		size <<= unit == 'K' ? 10 : unit == 'M' ? 20 : 0;
		if (size > best)
			best = size;
	}
	return best ? best : 32UL << 20;
}

int main(int argc, char **argv)
{
	char shapes[1024], err[256], *tok, *save;
	const char *list[64];
	long cold_iterations = 64;
	bool threads = false, full = false;
	int i, out = 1, nr = 0;
	struct wl_plan probe;

	shapes[0] = 0;
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--shapes=", 9)) {
			snprintf(shapes, sizeof(shapes), "%s", argv[i] + 9);
		} else if (!strncmp(argv[i], "--keys=", 7)) {
			char *end;
			unsigned long k = strtoul(argv[i] + 7, &end, 0);

			if (*end || k < 4096 || k > (1UL << 26) || (k & (k - 1))) {
				fprintf(stderr, "dpidx-bench: --keys must be a power of two "
					"between 4096 and 67108864\n");
				return 2;
			}
			bench.nr_keys = k;
		} else if (!strncmp(argv[i], "--cold-iterations=", 18)) {
			cold_iterations = atol(argv[i] + 18);
			if (cold_iterations < 1 || cold_iterations > 100000) {
				fprintf(stderr, "dpidx-bench: --cold-iterations must be 1..100000\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--threads")) {
			threads = true;
		} else if (!strcmp(argv[i], "--full")) {
			full = true;
		} else if (!strcmp(argv[i], "--list-shapes")) {
			for (i = 0; wl_shape_names[i]; i++)
				printf("%s\n", wl_shape_names[i]);
			return 0;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			argv[out++] = argv[i];
			continue;
		}
	}
	argc = out;
	argv[argc] = NULL;
	if (!shapes[0])
		for (i = 0; wl_shape_names[i]; i++)
			snprintf(shapes + strlen(shapes), sizeof(shapes) - strlen(shapes),
				 "%s%s", i ? "," : "", wl_shape_names[i]);
	if (full && bench.nr_keys < (1UL << 22))
		bench.nr_keys = 1UL << 22;

	/* Every shape is checked before anything runs: one line per mistake. */
	for (tok = strtok_r(shapes, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nr == 64) {
			fprintf(stderr, "dpidx-bench: at most 64 shapes\n");
			return 2;
		}
		if (wl_plan_build(&probe, tok, 4096, err, sizeof(err))) {
			fprintf(stderr, "dpidx-bench: %s\n", err);
			return 2;
		}
		wl_plan_free(&probe);
		list[nr++] = tok;
	}

	gb_initialize(&argc, argv);
	pc_gb_install();	/* hardware counters per item, where the CPU has them */
	if (gb_report_unrecognized_arguments(argc, argv))
		return 2;

	rcu_register_thread();
	bench_rcu_registered = true;
	bench.evict_bytes = 2 * bench_llc_bytes();
	bench.evict = dpidx_vmemmap_alloc(bench.evict_bytes, -1);
	if (!bench.evict) {
		fprintf(stderr, "dpidx-bench: out of memory for the eviction buffer\n");
		return 1;
	}
	{
		char joined[1024] = "";

		for (i = 0; i < nr; i++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
				 "%s%s", i ? "," : "", list[i]);
		bench_context(full ? "full" : "default", joined);
	}
	{
		struct gb_bench *b = gb_register("timer/overhead/clock_gettime/-/cold",
						 bm_timer_overhead, NULL);

		gb_use_manual_time(b);
		gb_iterations(b, cold_iterations);
	}
	for (i = 0; i < nr; i++)
		bench_register_shape(list[i], full ? cold_iterations * 4 : cold_iterations,
				     threads || full ? !strcmp(list[i], "nouveau-8k") : false);
	gb_run_specified();
	gb_shutdown();

	pthread_mutex_lock(&bench.lock);
	fx_destroy(bench.fx);
	if (bench.planned)
		wl_plan_free(&bench.plan);
	pthread_mutex_unlock(&bench.lock);
	dpidx_vmemmap_free(bench.evict, bench.evict_bytes);
	rcu_unregister_thread();
	return 0;
}
