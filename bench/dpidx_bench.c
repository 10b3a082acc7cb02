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
 *            span512  512-page windows starting 200 pages before the end
 *                     of a range: across the next range, a hole, or nothing
 *   mode     tput     independent operations: what overlaps, overlaps
 *            lat      each key index depends on the previous result (a load
 *                     from the descriptor): latency, nothing overlaps
 *            cold     one operation after evicting the caches and the TLBs
 *                     (reading every line of a non-THP buffer of twice the
 *                     LLC, more 4 KiB pages than any STLB holds), on a key
 *                     no earlier cold sample used, timed alone with
 *                     clock_gettime(): a sporadic fault's cost, including
 *                     the cache and TLB misses of its index, descriptor and
 *                     page-table walk (timer overhead: timer/overhead; the
 *                     eviction's control: control/load/evicted vs /hot).
 *                     Counters p50_ns, p99_ns, mean_ns of the samples; the
 *                     benchmark's own (manual) time is set to the p50, so
 *                     compare.py and report.py read the same statistic.
 *
 * Repetitions are interleaved: --repetitions=N passes, each with a fresh
 * order drawn from --seed (shapes, then fixture families, then subjects,
 * then benchmarks, each shuffled), each registered anew and run as one
 * Google Benchmark pass into one JSON (--out=FILE); the counter "rep" of
 * every entry says which pass it comes from, the context records the seed
 * and the order.  Fixtures are rebuilt in every repetition.
 *
 * Our own flags come first and are removed before Google Benchmark parses
 * its own (--benchmark_filter, --benchmark_out, --benchmark_repetitions...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
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
enum bench_pattern { PAT_UNIFORM, PAT_ZIPF, PAT_RUN, PAT_SPAN };
enum bench_mode { MODE_TPUT, MODE_LAT, MODE_COLD };

struct subject;

struct bench_case {
	const struct subject *subject;
	const char *shape;
	enum bench_pattern pattern;
	unsigned int rep;
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
	unsigned int fx_rep;		/* the repetition the fixture was built in */
	unsigned long nr_keys;
	unsigned char *evict;		/* non-THP: evicts the TLBs too */
	unsigned long evict_bytes;
	unsigned char *control;		/* lines touched once each, by the control */
	unsigned long control_bytes;
	long cold_iterations;
} bench = { .lock = PTHREAD_MUTEX_INITIALIZER, .nr_keys = 1UL << 20,
	    .cold_iterations = 32 };

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
	if (bench.fx && (bench.fx->family != family || bench.fx_rep != bc->rep)) {
		fx_destroy(bench.fx);
		bench.fx = NULL;
	}
	if (!bench.fx) {
		bench.fx = fx_build(&bench.plan, family);
		bench.fx_rep = bc->rep;
	}
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

static void bench_counters(struct gb_state *st, const struct fixture *fx,
			   const struct bench_case *bc)
{
	gb_set_items_processed(st, gb_iteration_count(st));
	gb_set_counter(st, "rep", bc->rep, GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "ranges", (double)fx->plan->nr_mapped, GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "swap_types", fx->swap_types, GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "thp_share", fx->desc_kb ? (double)fx->desc_thp_kb / fx->desc_kb : 0,
		       GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "heap_thp_share",
		       fx->heap_kb ? (double)fx->heap_thp_kb / fx->heap_kb : 0,
		       GB_COUNTER_AVG_THREADS);
	gb_set_counter(st, "setup_s", fx->setup_ns * 1e-9, GB_COUNTER_AVG_THREADS);
}

/*
 * Read every line of a non-THP buffer twice the LLC: index, descriptors
 * and page-table lines leave the caches, and the buffer's 4 KiB pages
 * (16384 for a 32 MiB LLC) leave every level of the TLB.
 */
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
 * Single-operation samples of a cold benchmark: their p50, p99 and mean are
 * its counters, and its manual time is set so that Google Benchmark's
 * figure (the mean of the iteration times) is the p50: every sample but the
 * last reports 0 s and the last reports p50 x iterations.  So compare.py,
 * which reads that figure, and report.py read the same statistic.
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

static double bench_p50(struct bench_samples *s)
{
	uint64_t tmp[s->nr ? s->nr : 1];

	if (!s->nr)
		return 0;
	memcpy(tmp, s->ns, s->nr * sizeof(*tmp));
	qsort(tmp, s->nr, sizeof(*tmp), bench_cmp_u64);
	return (double)tmp[s->nr / 2];
}

/* The iteration time of sample @ns: 0, or on the last, p50 x iterations. */
static void bench_sample_time(struct gb_state *st, struct bench_samples *s, uint64_t ns)
{
	bench_sample(s, ns);
	gb_set_iteration_time(st, (long)s->nr < bench.cold_iterations ? 0.0 :
			      bench_p50(s) * (double)s->nr * 1e-9);
}

static void bench_samples_report(struct gb_state *st, struct bench_samples *s)
{
	double sum = 0;
	unsigned long i;

	if (s->nr) {
		qsort(s->ns, s->nr, sizeof(*s->ns), bench_cmp_u64);
		for (i = 0; i < s->nr; i++)
			sum += (double)s->ns[i];
		gb_set_counter(st, "p50_ns", (double)s->ns[s->nr / 2], GB_COUNTER_AVG_THREADS);
		gb_set_counter(st, "p99_ns", (double)s->ns[(s->nr * 99) / 100],
			       GB_COUNTER_AVG_THREADS);
		gb_set_counter(st, "mean_ns", sum / (double)s->nr, GB_COUNTER_AVG_THREADS);
	}
	free(s->ns);
}

static void bm_timer_overhead(struct gb_state *st, void *arg)
{
	const struct bench_case *bc = arg;
	struct bench_samples samples = { 0 };

	while (gb_keep_running(st)) {
		uint64_t t0, t1;

		bench_evict();
		t0 = bench_now_ns();
		gb_clobber_memory();
		t1 = bench_now_ns();
		bench_sample_time(st, &samples, t1 - t0);
	}
	gb_set_counter(st, "rep", bc->rep, GB_COUNTER_AVG_THREADS);
	bench_samples_report(st, &samples);
}

/*
 * The eviction's control: one load from a line nothing touched since the
 * eviction (a new 4 KiB page of the control buffer each sample, never
 * revisited within a repetition), timed as a cold fault is; "hot" times
 * the same load again right after.  Evicted must be several times hot.
 */
static void bench_control(struct gb_state *st, const struct bench_case *bc, bool hot)
{
	struct bench_samples samples = { 0 };
	unsigned long pages = bench.control_bytes >> 12, i = 0;
	volatile unsigned char *line;

	while (gb_keep_running(st)) {
		unsigned long k = bc->rep * (unsigned long)bench.cold_iterations + i++;
		uint64_t t0, t1;

		line = bench.control + ((k * 4099UL) % pages << 12) + (k % 64) * 64;
		bench_evict();
		if (hot)
			(void)*line;
		gb_clobber_memory();
		t0 = bench_now_ns();
		(void)*line;
		gb_clobber_memory();
		t1 = bench_now_ns();
		bench_sample_time(st, &samples, t1 - t0);
	}
	gb_set_counter(st, "rep", bc->rep, GB_COUNTER_AVG_THREADS);
	bench_samples_report(st, &samples);
}

static void bm_control_evicted(struct gb_state *st, void *arg)
{
	bench_control(st, arg, false);
}

static void bm_control_hot(struct gb_state *st, void *arg)
{
	bench_control(st, arg, true);
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
		S##_range(fx, fx->spans[i], RUN, pages);			\
		for (j = 0; j < RUN; j++)					\
			ok &= pages[j] == S##_lookup(fx, fx->spans[i] + j);	\
		for (j = 0; j < FX_SPAN_TAIL; j++)				\
			ok &= pages[j] != NULL;					\
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
		bench_counters(st, fx, bc);						\
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
		bench_counters(st, fx, bc);						\
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
	const unsigned long *starts;						\
										\
	if (fx && !fx->plan->nr_runs)						\
		gb_skip_with_error(st, "no range of 512 pages in this shape");	\
	else if (fx) {								\
		starts = bc->pattern == PAT_SPAN ? fx->spans : fx->runs;	\
		while (gb_keep_running_batch(st, RUN)) {			\
			dpidx_read_lock();					\
			S##_range(fx, starts[i++ % fx->plan->nr_runs], RUN, pages); \
			gb_do_not_optimize(pages[RUN - 1]);			\
			gb_clobber_memory();					\
			dpidx_read_unlock();					\
		}								\
		bench_counters(st, fx, bc);						\
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
		bench_counters(st, fx, bc);						\
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
		bench_counters(st, fx, bc);						\
	}									\
	bench_leave(reg);							\
}										\
										\
static void bm_##S##_fault_cold(struct gb_state *st, void *arg)		\
{										\
	bool reg = bench_enter();						\
	const struct bench_case *bc = arg;					\
	struct fixture *fx = S##_setup(st, bc);					\
	unsigned long mask, i, bad = 0;						\
	struct bench_samples samples = { 0 };					\
										\
	if (fx) {								\
		/* Fresh keys: sample k of repetition r uses key (r*N + k)*4099, \
		 * distinct for every sample of the run (4099 is odd). */	\
		mask = fx->plan->nr_keys - 1;					\
		i = bc->rep * (unsigned long)bench.cold_iterations;		\
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
			bench_sample_time(st, &samples, t1 - t0);		\
		}								\
		if (bad)							\
			gb_skip_with_error(st, "fault path: wrong page or owner"); \
		bench_counters(st, fx, bc);						\
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
	snprintf(buf, sizeof(buf), "%lu MiB in %lu 4 KiB pages (MADV_NOHUGEPAGE), every "
		 "line read before each cold sample", bench.evict_bytes >> 20,
		 bench.evict_bytes >> 12);
	gb_add_custom_context("cold_evict_buffer", buf);
	{
		const char *t = getenv("GLIBC_TUNABLES");
		bool thp_heap = t && strstr(t, "glibc.malloc.hugetlb=1");

		gb_add_custom_context("index_memory", thp_heap ?
			"all on transparent huge pages, as the kernel's slab and vmemmap sit on "
			"its huge-page direct map: descriptors and dpidx's big tables from "
			"dpidx_vmemmap_alloc() (2 MiB-aligned, MADV_HUGEPAGE, populated); every "
			"other index node (kernel maple tree and xarray nodes from the harness's "
			"kmem_cache, lfht nodes, dpidx's small allocations) from the malloc heap "
			"with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (THP heap). Counters: "
			"thp_share (descriptor mappings), heap_thp_share (the heap), from "
			"/proc/self/smaps." :
			"NOT equalised (GLIBC_TUNABLES=glibc.malloc.hugetlb=1 not set): "
			"descriptors and dpidx's big tables on THP, heap-allocated index nodes "
			"(the kernel trees', lfht's) on 4 KiB pages; see heap_thp_share.");
	}
	gb_add_custom_context("rcu_granularity",
		"every subject runs inside the same caller's rcu_read_lock() (one per batch of "
		"256 operations, one per 512-page window, one per cold fault); mtree_load() and "
		"xa_load() take their own nested rcu_read_lock() inside, as in the kernel.");
}

/* ---- registration ------------------------------------------------------- */

/* ---- registration: one pass per repetition, in a seeded order ------------ */

static struct {
	struct bench_case **cases;
	unsigned long nr, cap;
	uint64_t seed, rng;
	char *order;			/* the order of every pass, for the context */
	size_t order_len, order_cap;
} sched;

static struct bench_case *bench_case(const struct subject *subject, const char *shape,
				     enum bench_pattern pattern, unsigned int rep)
{
	struct bench_case *bc = calloc(1, sizeof(*bc));

	if (!bc || (sched.nr == sched.cap &&
		    !(sched.cases = realloc(sched.cases,
					    (sched.cap = sched.cap * 2 + 64) * sizeof(bc))))) {
		fprintf(stderr, "dpidx-bench: out of memory\n");
		exit(1);
	}
	*bc = (struct bench_case){ subject, shape, pattern, rep };
	sched.cases[sched.nr++] = bc;
	return bc;
}

static void sched_free_cases(void)
{
	while (sched.nr)
		free(sched.cases[--sched.nr]);
}

static void sched_note(const char *fmt, const char *a)
{
	size_t need = strlen(fmt) + strlen(a) + 1;

	if (sched.order_len + need > sched.order_cap) {
		sched.order_cap = (sched.order_cap + need) * 2;
		sched.order = realloc(sched.order, sched.order_cap);
		if (!sched.order) {
			fprintf(stderr, "dpidx-bench: out of memory\n");
			exit(1);
		}
	}
	sched.order_len += (size_t)sprintf(sched.order + sched.order_len, fmt, a);
}

/* Fisher-Yates over @nr ints, from the run's seeded generator. */
static void sched_shuffle(int *v, int nr)
{
	int i, j, t;

	for (i = nr - 1; i > 0; i--) {
		j = (int)(wl_rand(&sched.rng) % (uint64_t)(i + 1));
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static struct gb_bench *bench_add(const char *op, const char *shape,
				  const struct subject *s, const char *pattern,
				  const char *mode, gb_fn fn, struct bench_case *bc)
{
	char name[160];

	snprintf(name, sizeof(name), "%s/%s/%s/%s/%s", op, shape, s->name, pattern, mode);
	return gb_register(name, fn, bc);
}

/* Every benchmark of @s on @shape, in a shuffled order. */
static void bench_register_subject(const struct subject *s, const char *shape,
				   unsigned int rep, bool threads)
{
	int order[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, i;
	struct gb_bench *b;

	sched_shuffle(order, 10);
	for (i = 0; i < 10; i++) {
		switch (order[i]) {
		case 0: case 1:
			bench_add("lookup", shape, s, order[i] ? "zipf" : "uniform", "tput",
				  s->lookup_tput, bench_case(s, shape, order[i], rep));
			break;
		case 2: case 3:
			bench_add("lookup", shape, s, order[i] == 3 ? "zipf" : "uniform", "lat",
				  s->lookup_lat, bench_case(s, shape, order[i] - 2, rep));
			break;
		case 4:
			if (threads) {
				b = bench_add("lookup", shape, s, "uniform", "tput", s->lookup_tput,
					      bench_case(s, shape, PAT_UNIFORM, rep));
				gb_threads(b, 2);
			}
			break;
		case 5:
			bench_add("range", shape, s, "run512", "tput", s->range,
				  bench_case(s, shape, PAT_RUN, rep));
			break;
		case 6:
			bench_add("range", shape, s, "span512", "tput", s->range,
				  bench_case(s, shape, PAT_SPAN, rep));
			break;
		case 7:
			bench_add("fault", shape, s, "uniform", "tput", s->fault_tput,
				  bench_case(s, shape, PAT_UNIFORM, rep));
			break;
		case 8:
			bench_add("fault", shape, s, "uniform", "lat", s->fault_lat,
				  bench_case(s, shape, PAT_UNIFORM, rep));
			break;
		case 9:
			b = bench_add("fault", shape, s, "uniform", "cold", s->fault_cold,
				      bench_case(s, shape, PAT_UNIFORM, rep));
			gb_use_manual_time(b);
			gb_iterations(b, bench.cold_iterations);
			break;
		}
	}
}

static void bench_register_cold(const char *name, gb_fn fn, unsigned int rep)
{
	struct gb_bench *b = gb_register(name, fn, bench_case(NULL, "-", PAT_UNIFORM, rep));

	gb_use_manual_time(b);
	gb_iterations(b, bench.cold_iterations);
}

/*
 * Repetition @rep: the clock and eviction controls, then the shapes in a
 * shuffled order; per shape its fixture families (pfn, each encoding, v6's
 * world) shuffled, per family its subjects shuffled, per subject its
 * benchmarks shuffled.  One fixture is alive at a time, built once per
 * shape, family and repetition.
 */
static void bench_register_rep(const char *const *shapes, int nr_shapes, unsigned int rep,
			       bool threads)
{
	int so[64], fo[NR_SUBJECTS], so2[NR_SUBJECTS], fams[NR_SUBJECTS], nf = 0;
	int i, f, k, n;
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", rep);
	sched_note("%s", sched.order_len ? "; " : "");
	sched_note("rep %s:", buf);
	bench_register_cold("timer/overhead/clock_gettime/-/cold", bm_timer_overhead, rep);
	bench_register_cold("control/load/evicted/-/cold", bm_control_evicted, rep);
	bench_register_cold("control/load/hot/-/cold", bm_control_hot, rep);
	for (i = 0; i < (int)NR_SUBJECTS; i++) {
		int fam = fx_family_by_subject(subjects[i].name);

		for (k = 0; k < nf && fams[k] != fam; k++)
			;
		if (k == nf)
			fams[nf++] = fam;
	}
	for (i = 0; i < nr_shapes; i++)
		so[i] = i;
	sched_shuffle(so, nr_shapes);
	for (i = 0; i < nr_shapes; i++) {
		sched_note(" %s", shapes[so[i]]);
		for (f = 0; f < nf; f++)
			fo[f] = fams[f];
		sched_shuffle(fo, nf);
		for (f = 0; f < nf; f++) {
			for (k = 0, n = 0; k < (int)NR_SUBJECTS; k++)
				if (fx_family_by_subject(subjects[k].name) == fo[f])
					so2[n++] = k;
			sched_shuffle(so2, n);
			sched_note("%s", f ? " [" : "[");
			for (k = 0; k < n; k++) {
				sched_note(k ? ",%s" : "%s", subjects[so2[k]].name);
				bench_register_subject(&subjects[so2[k]], shapes[so[i]], rep,
						       threads && !strcmp(shapes[so[i]], "nouveau-8k"));
			}
			sched_note("%s", "]");
		}
	}
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: dpidx-bench [--shapes=NAME,...] [--keys=N] [--cold-iterations=N]\n"
		   "                   [--repetitions=N] [--seed=N] [--out=FILE.json]\n"
		   "                   [--context=KEY=VALUE]... [--threads] [--full] [--list-shapes]\n"
		   "                   [--benchmark_* flags but _repetitions and _out]\n"
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

/* Non-THP, populated: its 4 KiB pages are what evicts the TLBs. */
static unsigned char *bench_small_pages(unsigned long bytes)
{
	unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long i;

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_NOHUGEPAGE);
	for (i = 0; i < bytes; i += 64)
		p[i] = (unsigned char)i;
	return p;
}

static int bench_arg_ul(const char *arg, const char *flag, unsigned long lo,
			unsigned long hi, unsigned long *v)
{
	char *end;

	*v = strtoul(arg, &end, 0);
	if (*end || !*arg || *v < lo || *v > hi) {
		fprintf(stderr, "dpidx-bench: %s must be %lu..%lu\n", flag, lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char shapes[1024], err[256], *tok, *save, joined[1024] = "", buf[64];
	const char *list[64], *out_path = NULL, *ctx_kv[16];
	bool threads = false, full = false, seeded = false;
	unsigned long v, reps = 9;
	int i, out = 1, nr = 0, nr_ctx = 0;
	unsigned int r;
	struct wl_plan probe;

	shapes[0] = 0;
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--shapes=", 9)) {
			snprintf(shapes, sizeof(shapes), "%s", argv[i] + 9);
		} else if (!strncmp(argv[i], "--keys=", 7)) {
			if (bench_arg_ul(argv[i] + 7, "--keys", 4096, 1UL << 26, &v) || (v & (v - 1))) {
				fprintf(stderr, "dpidx-bench: --keys must be a power of two\n");
				return 2;
			}
			bench.nr_keys = v;
		} else if (!strncmp(argv[i], "--cold-iterations=", 18)) {
			if (bench_arg_ul(argv[i] + 18, "--cold-iterations", 1, 100000, &v))
				return 2;
			bench.cold_iterations = (long)v;
		} else if (!strncmp(argv[i], "--repetitions=", 14)) {
			if (bench_arg_ul(argv[i] + 14, "--repetitions", 1, 1000, &reps))
				return 2;
		} else if (!strncmp(argv[i], "--seed=", 7)) {
			if (bench_arg_ul(argv[i] + 7, "--seed", 0, ~0UL, &v))
				return 2;
			sched.seed = v;
			seeded = true;
		} else if (!strncmp(argv[i], "--out=", 6)) {
			out_path = argv[i] + 6;
		} else if (!strncmp(argv[i], "--context=", 10)) {
			if (nr_ctx == 16 || !strchr(argv[i] + 10, '=')) {
				fprintf(stderr, "dpidx-bench: --context=KEY=VALUE, at most 16\n");
				return 2;
			}
			ctx_kv[nr_ctx++] = argv[i] + 10;
		} else if (!strncmp(argv[i], "--benchmark_repetitions", 23) ||
			   !strncmp(argv[i], "--benchmark_out", 15)) {
			fprintf(stderr, "dpidx-bench: %s would undo the interleaving: use "
				"--repetitions=N and --out=FILE\n", argv[i]);
			return 2;
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
	if (!seeded)
		sched.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	sched.rng = sched.seed;

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
	/* Fresh cold keys for every sample of the run. */
	if ((unsigned long)bench.cold_iterations * reps > bench.nr_keys) {
		fprintf(stderr, "dpidx-bench: --cold-iterations x --repetitions must not exceed "
			"--keys (%lu): every cold sample takes a key of its own\n", bench.nr_keys);
		return 2;
	}

	gb_initialize(&argc, argv);
	pc_gb_install();	/* hardware counters per item, where the CPU has them */
	if (gb_report_unrecognized_arguments(argc, argv))
		return 2;

	rcu_register_thread();
	bench_rcu_registered = true;
	bench.evict_bytes = 2 * bench_llc_bytes();
	if (bench.evict_bytes < (32UL << 20))
		bench.evict_bytes = 32UL << 20;	/* 8192 4 KiB pages: past any STLB */
	bench.evict = bench_small_pages(bench.evict_bytes);
	bench.control_bytes = 4096UL << 12;
	bench.control = bench_small_pages(bench.control_bytes);
	if (!bench.evict || !bench.control) {
		fprintf(stderr, "dpidx-bench: out of memory for the eviction buffers\n");
		return 1;
	}
	if (gb_output_open(out_path)) {
		fprintf(stderr, "dpidx-bench: cannot write %s\n", out_path);
		return 1;
	}
	for (i = 0; i < nr; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
			 "%s%s", i ? "," : "", list[i]);
	bench_context(full ? "full" : "default", joined);
	for (i = 0; i < nr_ctx; i++) {
		char key[64];
		size_t klen = (size_t)(strchr(ctx_kv[i], '=') - ctx_kv[i]);

		snprintf(key, sizeof(key), "%.*s", (int)klen, ctx_kv[i]);
		gb_add_custom_context(key, ctx_kv[i] + klen + 1);
	}
	snprintf(buf, sizeof(buf), "%lu", reps);
	gb_add_custom_context("repetitions", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)sched.seed);
	gb_add_custom_context("interleave_seed", buf);
	snprintf(buf, sizeof(buf), "%ld", bench.cold_iterations);
	gb_add_custom_context("cold_iterations", buf);
	/* The whole schedule is drawn first, so the context can record it. */
	for (r = 0; r < reps; r++) {
		bench_register_rep(list, nr, r, threads || full);
		gb_clear_registered();
		sched_free_cases();
	}
	gb_add_custom_context("interleave_order", sched.order);
	sched.rng = sched.seed;
	sched.order_len = 0;
	for (r = 0; r < reps; r++) {
		bench_register_rep(list, nr, r, threads || full);
		gb_run_pass();
		gb_clear_registered();
		sched_free_cases();
	}
	gb_output_close();
	gb_shutdown();

	pthread_mutex_lock(&bench.lock);
	fx_destroy(bench.fx);
	fx_release_cache();
	if (bench.planned)
		wl_plan_free(&bench.plan);
	pthread_mutex_unlock(&bench.lock);
	munmap(bench.evict, bench.evict_bytes);
	munmap(bench.control, bench.control_bytes);
	free(sched.order);
	free(sched.cases);
	rcu_unregister_thread();
	return 0;
}
