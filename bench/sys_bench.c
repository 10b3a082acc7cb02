// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/sys_bench.c - dpidx-sys: how each encoding behaves as a system,
 * beside the v6 baseline (the kernel's maple tree, bench/kbase) and, where
 * it makes sense, pfn_to_page():
 *
 *   scaling  1..N reader threads doing fault-path lookups (swap PTE ->
 *            page -> owner) on the shape's keys while 0..W writer threads
 *            map and unmap other ranges at a target rate; lookups/s per
 *            reader, sampled latency percentiles, the writers' achieved
 *            rate and their grace-period wait
 *   update   map/unmap latency against the number of ranges already
 *            mapped, the unmap split into unpublish and grace period;
 *            init/destroy; the map latency spikes of table growth
 *   memory   index bytes per GiB of device memory, per shape, measured
 *            from the process's allocators and page tables (descriptors
 *            excluded), and the peak RSS
 *   fault    the dependent fault-path chain with descriptors on 2 MiB
 *            pages (the vmemmap model) and on 4 KiB pages (kvzalloc's
 *            vmalloc case), NUMA local/remote, hardware counters
 *
 * Same shapes (workload.h), same encoding list (tests/enc.h), same swap
 * PTEs as dpidx-bench.  One JSON file (--out), with a context block;
 * bench/sys_report.py turns it into tables and plots.
 *
 * The v6 subject ("mtree") is what the series does made RCU-safe: a maple
 * tree with MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU handing out offsets
 * with mtree_alloc_range(), kvzalloc'd descriptors (here: the same
 * allocator every encoding uses), mtree_load() on the fault path, and
 * mtree_erase() + synchronize_rcu() + free on unmap.
 *
 * Grace periods are timed through compat.h's DPIDX_GP_HOOK, defined for
 * this program only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <urcu.h>

#include "enc.h"
#include "workload.h"
#include "perfcounters.h"
#include "gbench_c.h"
#include "bench_version.h"
#ifdef BENCH_HAVE_KBASE
#include "kbase.h"
#endif

#define SYS_WRITER_RANGES	8	/* each writer cycles through these */
#define SYS_WRITER_PAGES	512	/* one nouveau chunk each */
#define SYS_SAMPLE_EVERY	64	/* time one lookup in 64 */
#define SYS_SAMPLES_MAX		(1U << 20)
#define SYS_UPDATE_REPS		64
#define SYS_UPDATE_PAGES	512
#define SYS_MAX_THREADS		256
#define SYS_FAULT_REPS		5	/* timed chains per fault record */

/* ---- clocks, grace-period hook -------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A cycle-ish stamp for sampled latencies; converted with a measured rate. */
static inline uint64_t stamp(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
#else
	return now_ns();
#endif
}

static __thread uint64_t gp_t0, gp_ns, gp_calls;

void dpidx_gp_hook_begin(void)
{
	gp_t0 = now_ns();
}

void dpidx_gp_hook_end(void)
{
	gp_ns += now_ns() - gp_t0;
	gp_calls++;
}

/* ---- options ---------------------------------------------------------------- */

struct sys_opts {
	unsigned long readers[16], writers[16];
	long rates[16];
	int nr_readers, nr_writers, nr_rates;
	int reps;			/* scaling repetitions */
	double seconds;
	const char *scaling_shape;
	const char *memory_shapes;
	const char *fault_shapes;
	const char *sections;
	const char *backing;		/* thp, 4k or both */
	const char *out;
	unsigned long update_max;
	int full;
	int cpus;
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "dpidx-sys: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see dpidx-sys --help)\n");
	exit(2);
}

static const char sys_usage[] =
"usage: dpidx-sys [options]\n"
"  --out=FILE            JSON results (default: stdout summary only)\n"
"  --sections=LIST       scaling,update,memory,fault (default: all)\n"
"  --full                the long version: bigger shapes, 1 s scaling runs\n"
"  --readers=LIST        reader threads (default: 1,2,4,..,<all CPUs>)\n"
"  --writers=LIST        writer threads (default: 0,1,2)\n"
"  --rates=LIST          writer map+unmap operations/s per writer (default:\n"
"                        0,1000,100000); writers 0 runs once with rate 0, other\n"
"                        writer counts with each non-zero rate\n"
"  --seconds=S           per scaling configuration (default 0.25, --full 1)\n"
"  --repetitions=N       scaling passes over all configurations, interleaved;\n"
"                        the median is reported (default 3, --full 5)\n"
"  --scaling-shape=NAME  shape the readers look up (default nouveau-1k)\n"
"  --memory-shapes=LIST  (default nouveau-64,nouveau-1k,nouveau-8k,hmm-64x256M,\n"
"                        kfd-1x64G; --full adds multi-8x16G,nouveau-64k)\n"
"  --fault-shapes=LIST   (default hmm-64x256M; --full adds kfd-1x64G)\n"
"  --update-max=N        most existing ranges in the update sweep, in powers\n"
"                        of ten from 1 (default 1000000)\n"
"  --desc-backing=B      thp, 4k or both (default both): descriptors and big\n"
"                        tables on 2 MiB pages (vmemmap) or 4 KiB (vmalloc)\n";

/* A comma-separated list of non-negative integers; @what names it in errors. */
static int parse_list(const char *s, long *v, int max, const char *what, bool zero_ok)
{
	char *end;
	int n = 0;

	while (*s) {
		long x;

		errno = 0;
		x = strtol(s, &end, 10);
		if (end == s || errno || (*end && *end != ','))
			die_usage("%s: not a list of integers", what);
		if (x < 0)
			die_usage("%s: negative values are impossible", what);
		if (x == 0 && !zero_ok)
			die_usage("%s: 0 threads is impossible", what);
		if (n == max)
			die_usage("%s: too many values", what);
		v[n++] = x;
		s = *end ? end + 1 : end;
	}
	if (!n)
		die_usage("%s: empty list", what);
	return n;
}

static int parse_ulist(const char *s, unsigned long *v, int max, const char *what,
		       bool zero_ok)
{
	long tmp[16];
	int i, n = parse_list(s, tmp, max < 16 ? max : 16, what, zero_ok);

	for (i = 0; i < n; i++) {
		if (tmp[i] > SYS_MAX_THREADS)
			die_usage("%s: more than 256 threads", what);
		v[i] = (unsigned long)tmp[i];
	}
	return n;
}

static void parse_opts(struct sys_opts *o, int argc, char **argv)
{
	const char *readers = NULL, *writers = "0,1,2", *rates = "0,1000,100000";
	double secs = -1;
	int i;

	memset(o, 0, sizeof(*o));
	o->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->cpus < 1)
		o->cpus = 1;
	o->sections = "scaling,update,memory,fault";
	o->scaling_shape = "nouveau-1k";
	o->backing = "both";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "--full"))
			o->full = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(sys_usage, stdout);
			exit(0);
		} else if (!strncmp(a, "--out=", 6))
			o->out = a + 6;
		else if (!strncmp(a, "--sections=", 11))
			o->sections = a + 11;
		else if (!strncmp(a, "--readers=", 10))
			readers = a + 10;
		else if (!strncmp(a, "--writers=", 10))
			writers = a + 10;
		else if (!strncmp(a, "--rates=", 8))
			rates = a + 8;
		else if (!strncmp(a, "--repetitions=", 14)) {
			long x;

			errno = 0;
			x = strtol(a + 14, &end, 10);
			if (end == a + 14 || *end || errno || x < 1 || x > 100)
				die_usage("--repetitions=%s: 1 .. 100", a + 14);
			o->reps = (int)x;
		} else if (!strncmp(a, "--scaling-shape=", 16))
			o->scaling_shape = a + 16;
		else if (!strncmp(a, "--memory-shapes=", 16))
			o->memory_shapes = a + 16;
		else if (!strncmp(a, "--fault-shapes=", 15))
			o->fault_shapes = a + 15;
		else if (!strncmp(a, "--desc-backing=", 15)) {
			o->backing = a + 15;
			if (strcmp(o->backing, "thp") && strcmp(o->backing, "4k") &&
			    strcmp(o->backing, "both"))
				die_usage("--desc-backing=%s: one of thp, 4k, both", o->backing);
		} else if (!strncmp(a, "--seconds=", 10)) {
			secs = strtod(a + 10, &end);
			if (end == a + 10 || *end || !(secs > 0) || secs > 600)
				die_usage("--seconds=%s: a duration in (0, 600]", a + 10);
		} else if (!strncmp(a, "--update-max=", 13)) {
			long x;

			errno = 0;
			x = strtol(a + 13, &end, 10);
			if (end == a + 13 || *end || errno || x < 1 || x > 10000000)
				die_usage("--update-max=%s: 1 .. 10000000 ranges", a + 13);
			o->update_max = (unsigned long)x;
		} else
			die_usage("unknown option '%s'", a);
	}
	if (!readers) {
		/* 1, 2, 4, ... and all CPUs. */
		static char def[96];
		int n, len = 0;

		for (n = 1; n < o->cpus && len < 64; n *= 2)
			len += snprintf(def + len, sizeof(def) - len, "%d,", n);
		snprintf(def + len, sizeof(def) - len, "%d", o->cpus);
		readers = def;
	}
	o->nr_readers = parse_ulist(readers, o->readers, 16, "--readers", false);
	o->nr_writers = parse_ulist(writers, o->writers, 16, "--writers", true);
	o->nr_rates = parse_list(rates, o->rates, 16, "--rates", true);
	o->seconds = secs > 0 ? secs : o->full ? 1.0 : 0.25;
	if (!o->reps)
		o->reps = o->full ? 5 : 3;
	if (!o->update_max)
		o->update_max = 1000000;	/* ~10 s for all subjects on 2 cores */
	if (!o->memory_shapes)
		o->memory_shapes = o->full ?
			"nouveau-64,nouveau-1k,nouveau-8k,hmm-64x256M,kfd-1x64G,multi-8x16G,nouveau-64k" :
			"nouveau-64,nouveau-1k,nouveau-8k,hmm-64x256M,kfd-1x64G";
	if (!o->fault_shapes)
		o->fault_shapes = o->full ? "hmm-64x256M,kfd-1x64G" : "hmm-64x256M";
}

static bool section_on(const struct sys_opts *o, const char *name)
{
	size_t n = strlen(name);
	const char *s = o->sections;

	while ((s = strstr(s, name))) {
		if ((s == o->sections || s[-1] == ',') && (s[n] == ',' || !s[n]))
			return true;
		s += n;
	}
	return false;
}

/* ---- subjects: every encoding, v6's mtree, pfn ------------------------------ */

enum ss_kind { SS_ENC, SS_V6, SS_PFN };

struct ss_def {
	const char *name;
	enum ss_kind kind;
	const struct dpidx_enc *enc;
	void (*reader)(void *r);	/* the inline fault path in a loop */
	unsigned long (*chain)(void *space, const uint64_t *ptes,
			       unsigned long mask, unsigned long n);
};

/* One live space of a subject. */
struct ss {
	const struct ss_def *def;
	void *space;			/* SS_ENC */
#ifdef BENCH_HAVE_KBASE
	struct kb_mtree *mt;		/* SS_V6 */
#endif
	struct dpidx_page *vmemmap;	/* SS_PFN */
	unsigned long vmemmap_pages, pfn_next;
	unsigned long max_pages;
};

static int ss_init(struct ss *ss, const struct ss_def *def, unsigned long max_pages)
{
	size_t size;

	memset(ss, 0, sizeof(*ss));
	ss->def = def;
	ss->max_pages = max_pages;
	switch (def->kind) {
	case SS_ENC:
		size = (def->enc->space_size + 63) & ~(size_t)63;
		ss->space = aligned_alloc(64, size);
		if (!ss->space)
			return -ENOMEM;
		memset(ss->space, 0, size);
		return def->enc->init(ss->space, max_pages);
	case SS_V6:
#ifdef BENCH_HAVE_KBASE
		ss->mt = kb_mtree_create_alloc();
		return ss->mt ? 0 : -ENOMEM;
#else
		return -EOPNOTSUPP;
#endif
	case SS_PFN:
		/* pfn_to_page(): one array for the whole offset space. */
		ss->vmemmap_pages = max_pages;
		ss->vmemmap = dpidx_vmemmap_alloc(max_pages * sizeof(struct dpidx_page), -1);
		return ss->vmemmap ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

static int ss_map(struct ss *ss, struct dpidx_pgmap *pgmap, int nid)
{
	unsigned long i;

	switch (ss->def->kind) {
	case SS_ENC:
		return ss->def->enc->map(ss->space, pgmap, nid);
	case SS_V6:
#ifdef BENCH_HAVE_KBASE
	{
		unsigned long first;
		int err;

		/* memremap_device_private_pagemap(): kvzalloc, then the tree. */
		pgmap->pages = dpidx_vmemmap_alloc(pgmap->nr_pages * sizeof(struct dpidx_page),
						   nid);
		if (!pgmap->pages)
			return -ENOMEM;
		for (i = 0; i < pgmap->nr_pages; i++)
			dpidx_page_set_range(&pgmap->pages[i], pgmap);
		pgmap->base = 0;	/* read by readers only once published */
		err = kb_mtree_alloc_range(ss->mt, &first, pgmap, pgmap->nr_pages, 0,
					   DPIDX_V6_MAX_OFFSETS - 1);
		if (err) {
			dpidx_vmemmap_free(pgmap->pages,
					   pgmap->nr_pages * sizeof(struct dpidx_page));
			pgmap->pages = NULL;
			return err;
		}
		/*
		 * The tree publishes @pgmap before base is set: readers that
		 * find it check offset - base < nr_pages, and the keys they
		 * hold are never in a range being mapped.  (v6 sets the
		 * range before the store; the allocation API returns it after.)
		 */
		WRITE_ONCE(pgmap->base, first);
		return 0;
	}
#endif
		return -EOPNOTSUPP;
	case SS_PFN:
		if (ss->pfn_next + pgmap->nr_pages > ss->vmemmap_pages)
			return -ENOSPC;
		pgmap->base = ss->pfn_next;
		pgmap->pages = ss->vmemmap + ss->pfn_next;
		for (i = 0; i < pgmap->nr_pages; i++)
			dpidx_page_set_range(&pgmap->pages[i], pgmap);
		ss->pfn_next += pgmap->nr_pages;
		return 0;
	}
	return -EINVAL;
}

static int ss_unmap(struct ss *ss, struct dpidx_pgmap *pgmap)
{
	switch (ss->def->kind) {
	case SS_ENC:
		return ss->def->enc->unmap(ss->space, pgmap);
	case SS_V6:
#ifdef BENCH_HAVE_KBASE
	{
		int err = kb_mtree_erase(ss->mt, pgmap->base);

		if (err)
			return err;
		dpidx_synchronize_rcu();	/* readers that found pgmap are done */
		dpidx_vmemmap_free(pgmap->pages, pgmap->nr_pages * sizeof(struct dpidx_page));
		pgmap->pages = NULL;
		return 0;
	}
#endif
		return -EOPNOTSUPP;
	case SS_PFN:
		return -EOPNOTSUPP;	/* the physical map is static */
	}
	return -EINVAL;
}

/* Tear down; @pgmaps[0..nr) were mapped by this space (v6 frees them). */
static void ss_destroy(struct ss *ss, struct dpidx_pgmap *pgmaps, unsigned long nr)
{
	unsigned long i;

	switch (ss->def->kind) {
	case SS_ENC:
		ss->def->enc->destroy(ss->space);
		free(ss->space);
		break;
	case SS_V6:
#ifdef BENCH_HAVE_KBASE
		synchronize_rcu();
		kb_mtree_destroy(ss->mt);
		for (i = 0; i < nr; i++)
			if (pgmaps[i].pages)
				dpidx_vmemmap_free(pgmaps[i].pages,
						   pgmaps[i].nr_pages * sizeof(struct dpidx_page));
#endif
		break;
	case SS_PFN:
		dpidx_vmemmap_free(ss->vmemmap, ss->vmemmap_pages * sizeof(struct dpidx_page));
		break;
	}
	(void)i;
	(void)pgmaps;
	(void)nr;
}

static uint64_t ss_make_pte(const struct ss *ss, unsigned long offset)
{
	if (ss->def->kind == SS_ENC)
		return ss->def->enc->make_swp_pte(offset, DPIDX_DEVICE_WRITE);
	return dpidx_v6_make_swp_pte(offset, DPIDX_DEVICE_WRITE);
}

static void *ss_handle(struct ss *ss)
{
#ifdef BENCH_HAVE_KBASE
	if (ss->def->kind == SS_V6)
		return ss->mt;
#endif
	if (ss->def->kind == SS_PFN)
		return ss->vmemmap;
	return ss->space;
}

/* ---- the readers' loop, inline per subject -------------------------------- */

struct reader {
	pthread_t tid;
	int cpu;
	void *space;
	const uint64_t *ptes;
	unsigned long mask;
	const int *stop;
	int *started;
	uint64_t seed;
	/* results */
	uint64_t lookups, misses, ns;
	uint64_t stamps, stamp_ns;	/* stamp() ticks per ns, over the run */
	uint32_t *samples;
	uint64_t nr_samples, seen;
};

static inline void reader_sample(struct reader *r, uint64_t dt)
{
	uint64_t k = r->seen++;

	if (k < SYS_SAMPLES_MAX) {
		r->samples[k] = (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
		r->nr_samples = k + 1;
	} else {
		uint64_t j = wl_rand(&r->seed) % (k + 1);	/* reservoir */

		if (j < SYS_SAMPLES_MAX)
			r->samples[j] = (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
	}
}

/*
 * Each lookup is the fault path: decode, resolve, check the owner (a
 * descriptor read, as do_swap_page() does), in its own read-side section.
 * One in SYS_SAMPLE_EVERY is timed.  At least one batch runs whatever the
 * stop flag says: a reader the scheduler starts late (a loaded machine, a
 * run shorter than a time slice) still times a lookup, so the percentiles
 * always have a sample.
 */
#define SYS_READER_BODY(TYPE, LOOKUP)						\
	struct reader *r = (struct reader *)arg;					\
	TYPE *s = (TYPE *)r->space;						\
	unsigned long i = (unsigned long)r->seed & r->mask, j;			\
	uint64_t t0 = now_ns(), s0 = stamp(), a, b, n = 0, miss = 0;		\
	struct dpidx_page *p;							\
										\
	do {									\
		uint64_t pte = r->ptes[i++ & r->mask];				\
										\
		a = stamp();							\
		rcu_read_lock();						\
		p = LOOKUP;							\
		miss += !p || !dpidx_page_range(p)->owner;			\
		rcu_read_unlock();						\
		b = stamp();							\
		reader_sample(r, b - a);					\
		for (j = 1; j < SYS_SAMPLE_EVERY; j++) {			\
			pte = r->ptes[i++ & r->mask];				\
			rcu_read_lock();					\
			p = LOOKUP;						\
			miss += !p || !dpidx_page_range(p)->owner;		\
			rcu_read_unlock();					\
		}								\
		n += SYS_SAMPLE_EVERY;						\
	} while (!READ_ONCE(*r->stop));						\
	r->ns = now_ns() - t0;							\
	r->stamps = stamp() - s0;						\
	r->stamp_ns = r->ns;							\
	r->lookups = n;								\
	r->misses = miss

#define SYS_ENC_READER(E, UE)							\
static void E##_sys_reader(void *arg)						\
{										\
	SYS_READER_BODY(struct dpidx_##E, dpidx_##E##_swp_pte_to_page(s, pte));	\
}										\
static unsigned long E##_sys_chain(void *space, const uint64_t *ptes,		\
				   unsigned long mask, unsigned long n)		\
{										\
	struct dpidx_##E *s = (struct dpidx_##E *)space;			\
	unsigned long i = 0, k, sum = 0;					\
	struct dpidx_page *p;							\
										\
	for (k = 0; k < n; k++) {						\
		rcu_read_lock();						\
		p = dpidx_##E##_swp_pte_to_page(s, ptes[i & mask]);		\
		/* The next key depends on this descriptor: a latency chain. */	\
		i += 1 + (p ? dpidx_page_range(p)->nr_pages >> 62 : 1);		\
		rcu_read_unlock();						\
		sum += i;							\
	}									\
	return sum;								\
}
DPIDX_FOR_EACH_ENCODING(SYS_ENC_READER)


static inline struct dpidx_page *sys_pgmap_page(struct dpidx_pgmap *pgmap,
						unsigned long offset)
{
	if (unlikely(!pgmap || offset - READ_ONCE(pgmap->base) >= pgmap->nr_pages))
		return NULL;
	return pgmap->pages + (offset - pgmap->base);
}

#ifdef BENCH_HAVE_KBASE
static inline struct dpidx_page *v6_pte_to_page(struct kb_mtree *mt, uint64_t pte)
{
	unsigned long off;

	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))
		return NULL;
	off = dpidx_v6_swp_pte_offset(pte);
	return sys_pgmap_page((struct dpidx_pgmap *)kb_mtree_load(mt, off), off);
}

static void mtree_sys_reader(void *arg)
{
	SYS_READER_BODY(struct kb_mtree, v6_pte_to_page(s, pte));
}

static unsigned long mtree_sys_chain(void *space, const uint64_t *ptes,
				     unsigned long mask, unsigned long n)
{
	unsigned long i = 0, k, sum = 0;
	struct dpidx_page *p;

	for (k = 0; k < n; k++) {
		rcu_read_lock();
		p = v6_pte_to_page((struct kb_mtree *)space, ptes[i & mask]);
		i += 1 + (p ? dpidx_page_range(p)->nr_pages >> 62 : 1);
		rcu_read_unlock();
		sum += i;
	}
	return sum;
}
#endif

static inline struct dpidx_page *pfn_pte_to_page(struct dpidx_page *vmemmap, uint64_t pte)
{
	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))
		return NULL;
	return vmemmap + dpidx_v6_swp_pte_offset(pte);
}

static unsigned long pfn_sys_chain(void *space, const uint64_t *ptes,
				   unsigned long mask, unsigned long n)
{
	unsigned long i = 0, k, sum = 0;
	struct dpidx_page *p;

	for (k = 0; k < n; k++) {
		p = pfn_pte_to_page((struct dpidx_page *)space, ptes[i & mask]);
		i += 1 + (p ? dpidx_page_range(p)->nr_pages >> 62 : 1);
		sum += i;
	}
	return sum;
}

#define SYS_DEF_ROW(E, UE)	{ #E, SS_ENC, &dpidx_enc_##E, NULL, E##_sys_chain },
static struct ss_def sys_subjects[] = {
	DPIDX_FOR_EACH_ENCODING(SYS_DEF_ROW)
#ifdef BENCH_HAVE_KBASE
	{ "mtree", SS_V6, NULL, mtree_sys_reader, mtree_sys_chain },
#endif
	{ "pfn", SS_PFN, NULL, NULL, pfn_sys_chain },
};
#define SYS_NR_SUBJECTS	(sizeof(sys_subjects) / sizeof(sys_subjects[0]))

/* The readers of the encodings, in list order (a macro cannot take addresses above). */
#define SYS_READER_ADDR(E, UE)	E##_sys_reader,
static void (*const sys_enc_readers[])(void *) = {
	DPIDX_FOR_EACH_ENCODING(SYS_READER_ADDR)
};

static void sys_subjects_init(void)
{
	size_t i;

	for (i = 0; i < DPIDX_NR_ENCODINGS; i++)
		sys_subjects[i].reader = sys_enc_readers[i];
}

/* ---- JSON ------------------------------------------------------------------ */

static FILE *js;
static bool js_first;

static void js_str(const char *s)
{
	fputc('"', js);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', js);
		if ((unsigned char)*s < 0x20)
			fprintf(js, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, js);
	}
	fputc('"', js);
}

static void js_key(const char *k)
{
	fprintf(js, "%s\n      ", js_first ? "" : ",");
	js_first = false;
	js_str(k);
	fputs(": ", js);
}

static void js_num(const char *k, double v)
{
	js_key(k);
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		fprintf(js, "%.0f", v);	/* counts and bytes: exact */
	else if (isfinite(v))
		fprintf(js, "%.6g", v);
	else
		fputs("null", js);
}

static void js_text(const char *k, const char *v)
{
	js_key(k);
	js_str(v);
}

static void js_bool(const char *k, bool v)
{
	js_key(k);
	fputs(v ? "true" : "false", js);
}

static bool js_section_first;

static void js_section(const char *name)
{
	fprintf(js, "%s\n  ", js_section_first ? "" : ",");
	js_section_first = false;
	js_str(name);
	fputs(": [", js);
	js_first = true;
}

/* One record of the current section. */
static bool js_rec_first;

static void js_rec_begin(void)
{
	fprintf(js, "%s\n    {", js_rec_first ? "" : ",");
	js_rec_first = false;
	js_first = true;
}

static void js_rec_end(void)
{
	fputs("\n    }", js);
}

static void js_section_end(void)
{
	fputs("\n  ]", js);
	js_rec_first = true;
}

/* ---- context ---------------------------------------------------------------- */

static int numa_nodes(void)
{
	return numa_available() < 0 ? 1 : numa_num_configured_nodes();
}

static const char *numa_line(void)
{
	static char buf[128];

	if (numa_nodes() < 2)
		return "one NUMA node: no remote figures";
	snprintf(buf, sizeof(buf), "%d NUMA nodes: index and descriptors on node 0, "
		 "readers on node 0 (local) and node 1 (remote)", numa_nodes());
	return buf;
}

static void cpu_model(char *buf, size_t len)
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

static void write_context(const struct sys_opts *o)
{
	char buf[256], date[64];
	struct utsname u;
	time_t t = time(NULL);
	size_t i;

	fputs("{\n  \"context\": {", js);
	js_first = true;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	js_text("date", date);
	if (!uname(&u)) {
		js_text("host", u.nodename);
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		js_text("kernel", buf);
	}
	cpu_model(buf, sizeof(buf));
	js_text("cpu_model", buf);
	js_num("cpus", o->cpus);
	js_num("numa_nodes", numa_nodes());
	js_text("numa", numa_line());
	js_bool("perf_available", pc_available());
	js_text("perf", pc_why());
	js_text("git_commit", BENCH_GIT_COMMIT);
	js_text("cflags", BENCH_CFLAGS);
	js_text("mode", o->full ? "full" : "default");
	js_text("desc_backing", o->backing);
	buf[0] = 0;
	for (i = 0; i < SYS_NR_SUBJECTS; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			 i ? "," : "", sys_subjects[i].name);
	js_text("subjects", buf);
#ifdef BENCH_HAVE_KBASE
	js_text("v6_baseline", "kernel maple tree (linux-source-6.12), MT_FLAGS_ALLOC_RANGE|"
		"MT_FLAGS_USE_RCU: mtree_alloc_range(), mtree_load(), mtree_erase()+synchronize_rcu()");
#else
	js_text("v6_baseline", "SKIPPED: built without linux-source-6.12 (bench/kbase)");
#endif
	js_text("latency_sampling", "1 lookup in 64 timed with lfence;rdtsc;lfence "
		"(timer_ns is the cost of an empty timed region)");
	js_num("seconds_per_config", o->seconds);
	js_num("update_max_ranges", (double)o->update_max);
	fputs("\n  }", js);
	js_section_first = false;
	js_rec_first = true;
}

/* ---- process measurements ---------------------------------------------------- */

struct proc_mem {
	unsigned long vmm;		/* dpidx_vmemmap_outstanding() */
	unsigned long heap;		/* malloc's bytes in use */
	unsigned long pte;		/* VmPTE */
	unsigned long rss;		/* Rss (smaps_rollup) */
	unsigned long kb_nodes;		/* kernel maple tree nodes, bytes */
};

static unsigned long proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t n = strlen(key);
	unsigned long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n)) {
			kb = strtoul(line + n, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

static void proc_mem(struct proc_mem *m)
{
	struct mallinfo2 mi = mallinfo2();

	m->vmm = dpidx_vmemmap_outstanding();
	m->heap = mi.uordblks + mi.hblkhd;
	m->pte = proc_kb("/proc/self/status", "VmPTE:") << 10;
	m->rss = proc_kb("/proc/self/smaps_rollup", "Rss:") << 10;
#ifdef BENCH_HAVE_KBASE
	m->kb_nodes = kb_mtree_node_bytes();
#else
	m->kb_nodes = 0;
#endif
}

static double peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss;
}

/* ---- building a shape ---------------------------------------------------------- */

struct built {
	struct wl_plan plan;
	struct dpidx_pgmap *pgmaps;
	struct ss ss;
	unsigned long desc_bytes;	/* what the allocator holds for descriptors */
	uint64_t *ptes;			/* uniform keys as swap PTEs */
	unsigned long mask;
};

/* The plan and the caller-owned pgmaps: outside any memory measurement. */
static int build_plan(struct built *b, const char *shape, unsigned long nr_keys)
{
	char err[256];
	unsigned long i;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = wl_plan_build(&b->plan, shape, nr_keys, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "dpidx-sys: %s\n", err);
		return ret;
	}
	b->pgmaps = calloc(b->plan.nr_ranges, sizeof(*b->pgmaps));
	if (!b->pgmaps)
		return -ENOMEM;
	for (i = 0; i < b->plan.nr_ranges; i++) {
		b->pgmaps[i].nr_pages = b->plan.ranges[i].nr_pages;
		b->pgmaps[i].owner = wl_owner(b->plan.ranges[i].dev);
	}
	return 0;
}

/* pfn_to_page(): the ranges mapped at the end, back to back, once each. */
static int build_pfn(struct built *b, int nid)
{
	unsigned long i;
	int ret;

	for (i = 0; i < b->plan.nr_ranges; i++) {
		if (!b->plan.ranges[i].mapped)
			continue;
		ret = ss_map(&b->ss, &b->pgmaps[i], nid);
		if (ret)
			return ret;
	}
	b->desc_bytes = dpidx_vmemmap_bytes(b->ss.max_pages * sizeof(struct dpidx_page));
	return 0;
}

/* The space of @def, built by the plan's map/unmap order (holes and all). */
static int build_space(struct built *b, const struct ss_def *def,
		       unsigned long extra_pages, int nid)
{
	unsigned long i, max;
	int ret;

	max = def->kind == SS_PFN ? b->plan.mapped_pages : b->plan.peak_pages + extra_pages;
	ret = ss_init(&b->ss, def, max);
	if (ret) {
		fprintf(stderr, "dpidx-sys: %s init(%lu) failed: %s\n", def->name, max,
			strerror(-ret));
		if (def->kind == SS_ENC)
			free(b->ss.space);
		b->ss.def = NULL;
		return ret;
	}
	if (def->kind == SS_PFN)
		return build_pfn(b, nid);
	for (i = 0; i < b->plan.nr_ops; i++) {
		const struct wl_op *op = &b->plan.ops[i];
		struct dpidx_pgmap *pgmap = &b->pgmaps[op->range];

		ret = op->kind == WL_MAP ? ss_map(&b->ss, pgmap, nid) : ss_unmap(&b->ss, pgmap);
		if (ret) {
			fprintf(stderr, "dpidx-sys: %s on %s: %s of range %lu failed: %s\n",
				def->name, b->plan.name, op->kind == WL_MAP ? "map" : "unmap",
				op->range, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < b->plan.nr_ranges; i++)
		if (b->plan.ranges[i].mapped)
			b->desc_bytes += dpidx_vmemmap_bytes(b->pgmaps[i].nr_pages *
							     sizeof(struct dpidx_page));
	return 0;
}

static int build_shape(struct built *b, const struct ss_def *def, const char *shape,
		       unsigned long nr_keys, unsigned long extra_pages, int nid)
{
	int ret = build_plan(b, shape, nr_keys);

	return ret ? ret : build_space(b, def, extra_pages, nid);
}

static int build_keys(struct built *b)
{
	unsigned long i;

	b->ptes = malloc(b->plan.nr_keys * sizeof(*b->ptes));
	if (!b->ptes)
		return -ENOMEM;
	for (i = 0; i < b->plan.nr_keys; i++) {
		const struct wl_key *k = &b->plan.uniform[i];

		b->ptes[i] = ss_make_pte(&b->ss, b->pgmaps[k->range].base + k->page);
	}
	b->mask = b->plan.nr_keys - 1;
	return 0;
}

static void built_free(struct built *b)
{
	unsigned long nr = b->plan.nr_ranges;

	if (b->ss.def)
		ss_destroy(&b->ss, b->pgmaps, nr);
	free(b->pgmaps);
	free(b->ptes);
	wl_plan_free(&b->plan);
	memset(b, 0, sizeof(*b));
}

/* ---- scaling ------------------------------------------------------------------- */

struct writer {
	pthread_t tid;
	struct ss *ss;
	long rate;
	const int *stop;
	int *started;
	struct dpidx_pgmap pool[SYS_WRITER_RANGES];
	/* results */
	uint64_t ops, maps, unmaps, errors, ns;
	uint64_t map_ns, unmap_ns, gp_ns, gp_calls;
};

/*
 * The start gate: every reader and writer counts itself in once it is
 * registered with RCU and about to loop, and the measured interval starts
 * only when all have, so that a thread the scheduler starts late does not
 * shorten its own share of it (on a loaded machine a reader could
 * otherwise start after the stop flag and measure nothing).  Release
 * pairs with the acquire in sys_wait_started(): a counted thread's setup
 * is done before the clock starts.
 */
static inline void sys_started(int *started)
{
	__atomic_fetch_add(started, 1, __ATOMIC_RELEASE);
}

static void sys_wait_started(int *started, unsigned long nr)
{
	while ((unsigned long)__atomic_load_n(started, __ATOMIC_ACQUIRE) < nr)
		sched_yield();
}

/* The start gate waits for every thread: one that cannot start ends the run. */
static void sys_spawn(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(tid, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "dpidx-sys: pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = (struct writer *)arg;
	uint64_t t0, next, period = 1000000000ULL / (uint64_t)w->rate, a;
	unsigned int head = 0, tail = 0, cnt = 0, k;
	struct timespec ts;

	rcu_register_thread();
	for (k = 0; k < SYS_WRITER_RANGES; k++) {
		w->pool[k].nr_pages = SYS_WRITER_PAGES;
		w->pool[k].owner = wl_owner(WL_MAX_DEVICES - 1);
	}
	gp_ns = gp_calls = 0;
	sys_started(w->started);
	t0 = next = now_ns();
	/* At least one operation, for the reason the readers run one batch. */
	while (!w->ops || !READ_ONCE(*w->stop)) {
		a = now_ns();
		if (a < next) {
			ts.tv_sec = (time_t)(next / 1000000000ULL);
			ts.tv_nsec = (long)(next % 1000000000ULL);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		/* Fill to half the pool, then alternate map and unmap. */
		if (cnt < SYS_WRITER_RANGES / 2 || (cnt < SYS_WRITER_RANGES && !(w->ops & 1))) {
			if (ss_map(w->ss, &w->pool[head], -1))
				w->errors++;
			else {
				head = (head + 1) % SYS_WRITER_RANGES;
				cnt++;
				w->maps++;
			}
			w->map_ns += now_ns() - a;
		} else {
			if (ss_unmap(w->ss, &w->pool[tail]))
				w->errors++;
			else {
				tail = (tail + 1) % SYS_WRITER_RANGES;
				cnt--;
				w->unmaps++;
			}
			w->unmap_ns += now_ns() - a;
		}
		w->ops++;
		next += period;
	}
	w->ns = now_ns() - t0;
	while (cnt) {
		ss_unmap(w->ss, &w->pool[tail]);
		tail = (tail + 1) % SYS_WRITER_RANGES;
		cnt--;
	}
	w->gp_ns = gp_ns;
	w->gp_calls = gp_calls;
	rcu_unregister_thread();
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Cost of an empty timed region, in stamp() ticks (median of many). */
static uint32_t timer_ticks(void)
{
	static uint32_t v[4096];
	unsigned int i;

	for (i = 0; i < 4096; i++) {
		uint64_t a = stamp();

		v[i] = (uint32_t)(stamp() - a);
	}
	qsort(v, 4096, sizeof(v[0]), cmp_u32);
	return v[2048];
}

struct reader_thread {
	struct reader r;
	void (*fn)(void *);
	void *space;
};

static void *reader_thread_main(void *arg)
{
	struct reader_thread *t = (struct reader_thread *)arg;
	cpu_set_t set;

	if (t->r.cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(t->r.cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	rcu_register_thread();
	sys_started(t->r.started);
	t->fn(&t->r);
	rcu_unregister_thread();
	return NULL;
}

/* One run of one scaling configuration. */
struct sres {
	unsigned long readers, writers;
	long rate;
	double per_reader, min_reader, lookups, misses, samples;
	double p50, p99, p999, timer;
	double wr_rate, wr_ops, wr_errors, map_ns, unmap_ns, gp_ns, gp_per_unmap;
};

static void run_scaling_config(struct built *b, const struct sys_opts *o,
			       unsigned long nr_readers, unsigned long nr_writers, long rate,
			       double seconds, struct sres *res)
{
	struct reader_thread *rt = calloc(nr_readers, sizeof(*rt));
	struct writer *wt = calloc(nr_writers ? nr_writers : 1, sizeof(*wt));
	uint64_t lookups = 0, misses = 0, total_samples = 0, ops = 0, maps = 0, unmaps = 0;
	uint64_t errors = 0, map_ns = 0, unmap_ns = 0, gpn = 0, gpc = 0, wns = 0;
	double ticks_per_ns = 0, per_reader_min = INFINITY, per_reader_sum = 0, timer;
	uint32_t *all = NULL;
	struct timespec ts;
	unsigned long i;
	int stop = 0, started = 0;

	if (!rt || !wt)
		goto out;
	for (i = 0; i < nr_readers; i++) {
		struct reader *r = &rt[i].r;

		r->cpu = (int)(i % (unsigned long)o->cpus);
		r->ptes = b->ptes;
		r->mask = b->mask;
		r->stop = &stop;
		r->started = &started;
		r->seed = 0x5157u + i * 0x9e3779b97f4a7c15ULL;
		r->samples = malloc(SYS_SAMPLES_MAX * sizeof(uint32_t));
		if (!r->samples)
			goto out;
		rt[i].fn = b->ss.def->reader;
		rt[i].space = ss_handle(&b->ss);
		r->space = rt[i].space;
	}
	for (i = 0; i < nr_writers; i++) {
		wt[i].ss = &b->ss;
		wt[i].rate = rate;
		wt[i].stop = &stop;
		wt[i].started = &started;
	}
	for (i = 0; i < nr_readers; i++)
		sys_spawn(&rt[i].r.tid, reader_thread_main, &rt[i]);
	for (i = 0; i < nr_writers; i++)
		sys_spawn(&wt[i].tid, writer_main, &wt[i]);
	sys_wait_started(&started, nr_readers + nr_writers);
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	/*
	 * Relaxed is enough: the flag orders nothing, the threads only need to
	 * see it eventually; pthread_join() orders their results before ours.
	 */
	WRITE_ONCE(stop, 1);
	for (i = 0; i < nr_readers; i++)
		pthread_join(rt[i].r.tid, NULL);
	for (i = 0; i < nr_writers; i++)
		pthread_join(wt[i].tid, NULL);

	for (i = 0; i < nr_readers; i++) {
		struct reader *r = &rt[i].r;
		double per = r->ns ? r->lookups * 1e9 / (double)r->ns : 0;

		lookups += r->lookups;
		misses += r->misses;
		total_samples += r->nr_samples;
		per_reader_sum += per;
		if (per < per_reader_min)
			per_reader_min = per;
		ticks_per_ns += r->stamp_ns ? (double)r->stamps / (double)r->stamp_ns : 1;
	}
	ticks_per_ns /= (double)nr_readers;
	all = malloc((total_samples ? total_samples : 1) * sizeof(uint32_t));
	if (!all)
		goto out;
	total_samples = 0;
	for (i = 0; i < nr_readers; i++) {
		memcpy(all + total_samples, rt[i].r.samples, rt[i].r.nr_samples * sizeof(uint32_t));
		total_samples += rt[i].r.nr_samples;
	}
	qsort(all, total_samples, sizeof(uint32_t), cmp_u32);
	timer = timer_ticks() / ticks_per_ns;
	for (i = 0; i < nr_writers; i++) {
		ops += wt[i].ops;
		maps += wt[i].maps;
		unmaps += wt[i].unmaps;
		errors += wt[i].errors;
		map_ns += wt[i].map_ns;
		unmap_ns += wt[i].unmap_ns;
		gpn += wt[i].gp_ns;
		gpc += wt[i].gp_calls;
		wns = wt[i].ns > wns ? wt[i].ns : wns;
	}

	if (!res)
		goto out;
#define PCT(q)	(total_samples ? all[(uint64_t)((double)(total_samples - 1) * (q))] / ticks_per_ns : NAN)
	res->readers = nr_readers;
	res->writers = nr_writers;
	res->rate = rate;
	res->per_reader = per_reader_sum / (double)nr_readers;
	res->min_reader = per_reader_min;
	res->lookups = (double)lookups;
	res->misses = (double)misses;
	res->samples = (double)total_samples;
	res->p50 = PCT(0.5);
	res->p99 = PCT(0.99);
	res->p999 = PCT(0.999);
#undef PCT
	res->timer = timer;
	res->wr_rate = wns && nr_writers ? ops * 1e9 / (double)wns / (double)nr_writers : 0;
	res->wr_ops = (double)ops;
	res->wr_errors = (double)errors;
	res->map_ns = maps ? (double)map_ns / (double)maps : NAN;
	res->unmap_ns = unmaps ? (double)unmap_ns / (double)unmaps : NAN;
	res->gp_ns = gpc ? (double)gpn / (double)gpc : NAN;
	res->gp_per_unmap = unmaps ? (double)gpc / (double)unmaps : NAN;
out:
	for (i = 0; rt && i < nr_readers; i++)
		free(rt[i].r.samples);
	free(rt);
	free(wt);
	free(all);
}

static int cmp_sres(const void *a, const void *b)
{
	double x = ((const struct sres *)a)->per_reader, y = ((const struct sres *)b)->per_reader;

	return x < y ? -1 : x > y;
}

/* The repetition of median throughput stands for the configuration. */
static void emit_scaling(const struct built *b, const struct sys_opts *o,
			 struct sres *reps, int nr)
{
	struct sres *r;
	bool over;

	qsort(reps, (size_t)nr, sizeof(*reps), cmp_sres);
	r = &reps[nr / 2];
	over = r->readers + r->writers > (unsigned long)o->cpus;
	js_rec_begin();
	js_text("subject", b->ss.def->name);
	js_text("shape", b->plan.name);
	js_num("readers", (double)r->readers);
	js_num("writers", (double)r->writers);
	js_num("rate_target", (double)r->rate);
	js_bool("oversubscribed", over);
	js_num("seconds", o->seconds);
	js_num("repetitions", nr);
	js_num("lookups_per_s_per_reader", r->per_reader);
	js_num("lookups_per_s_per_reader_lo", reps[0].per_reader);
	js_num("lookups_per_s_per_reader_hi", reps[nr - 1].per_reader);
	js_num("lookups_per_s_min_reader", r->min_reader);
	js_num("lookups", r->lookups);
	js_num("misses", r->misses);
	js_num("samples", r->samples);
	js_num("p50_ns", r->p50);
	js_num("p99_ns", r->p99);
	js_num("p999_ns", r->p999);
	js_num("timer_ns", r->timer);
	js_num("writer_ops_per_s", r->wr_rate);
	js_num("writer_ops", r->wr_ops);
	js_num("writer_errors", r->wr_errors);
	js_num("map_ns", r->map_ns);
	js_num("unmap_ns", r->unmap_ns);
	js_num("gp_wait_ns", r->gp_ns);
	js_num("gp_per_unmap", r->gp_per_unmap);
	js_rec_end();
	printf("  scaling %-6s %lu reader(s) %lu writer(s) %7ld/s%s: %6.1f M lookups/s/reader "
	       "(%.1f-%.1f), p50 %.0f p99 %.0f p99.9 %.0f ns; writers %.0f op/s, gp %.0f us%s\n",
	       b->ss.def->name, r->readers, r->writers, r->rate, over ? " (oversubscribed)" : "",
	       r->per_reader / 1e6, reps[0].per_reader / 1e6, reps[nr - 1].per_reader / 1e6,
	       r->p50, r->p99, r->p999, r->wr_rate, r->writers ? r->gp_ns / 1e3 : 0,
	       r->misses ? " MISSES!" : "");
	fflush(stdout);
}

static void run_scaling(const struct sys_opts *o)
{
	struct { unsigned long r, w; long q; } conf[16 * 16 * 16];
	struct sres *res;
	int ri, wi, qi, nc = 0, c, k;
	size_t s;

	for (ri = 0; ri < o->nr_readers; ri++)
		for (wi = 0; wi < o->nr_writers; wi++)
			for (qi = 0; qi < o->nr_rates; qi++) {
				/* Writers 0 with rate 0 only; writers with every other rate. */
				if ((o->writers[wi] == 0) != (o->rates[qi] == 0))
					continue;
				conf[nc].r = o->readers[ri];
				conf[nc].w = o->writers[wi];
				conf[nc].q = o->rates[qi];
				nc++;
			}
	res = calloc((size_t)nc * (size_t)o->reps + 1, sizeof(*res));
	js_section("scaling");
	for (s = 0; res && s < SYS_NR_SUBJECTS; s++) {
		const struct ss_def *def = &sys_subjects[s];
		unsigned long extra = SYS_WRITER_RANGES * SYS_WRITER_PAGES * SYS_MAX_THREADS;
		struct built b;

		if (def->kind == SS_PFN)
			continue;	/* nothing to map or unmap */
		if (build_shape(&b, def, o->scaling_shape, 1UL << 16, extra, -1) ||
		    build_keys(&b)) {
			built_free(&b);
			continue;
		}
		/* Warm caches and the branch predictor; not recorded. */
		run_scaling_config(&b, o, 1, 0, 0, 0.05, NULL);
		/* Repetitions interleaved: one pass over every configuration each. */
		for (k = 0; k < o->reps; k++)
			for (c = 0; c < nc; c++)
				run_scaling_config(&b, o, conf[c].r, conf[c].w, conf[c].q,
						   o->seconds, &res[c * o->reps + k]);
		for (c = 0; c < nc; c++)
			emit_scaling(&b, o, &res[c * o->reps], o->reps);
		built_free(&b);
	}
	js_section_end();
	free(res);
}

/* ---- update cost ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_u64(uint64_t *v, unsigned long n, double q)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n ? (double)v[(unsigned long)((double)(n - 1) * q)] : NAN;
}

static void run_update_one(const struct ss_def *def, unsigned long nr, bool record)
{
	struct dpidx_pgmap *pgmaps = calloc(nr + 1, sizeof(*pgmaps));
	uint64_t *build = malloc(nr * sizeof(uint64_t));
	uint64_t map[SYS_UPDATE_REPS], unmap[SYS_UPDATE_REPS], gp[SYS_UPDATE_REPS];
	uint64_t unpub[SYS_UPDATE_REPS], t, init_ns, destroy_ns, build_sum = 0, build_max = 0;
	unsigned long i, growth = 0, want = nr, failed_at = ~0UL;
	double med;
	struct ss ss;
	int err;

	if (!pgmaps || !build)
		goto out;
	t = now_ns();
	err = ss_init(&ss, def, nr + 2 * SYS_UPDATE_PAGES);
	init_ns = now_ns() - t;
	if (err) {
		fprintf(stderr, "dpidx-sys: %s init failed: %s\n", def->name, strerror(-err));
		goto out;
	}
	/* @nr existing one-page ranges (the most ranges per page of index). */
	for (i = 0; i < nr; i++) {
		pgmaps[i].nr_pages = 1;
		pgmaps[i].owner = wl_owner(0);
		t = now_ns();
		err = ss_map(&ss, &pgmaps[i], -1);
		build[i] = now_ns() - t;
		if (err) {
			/* Recorded as a failure at @want, never as a smaller count. */
			fprintf(stderr, "dpidx-sys: %s: map %lu of %lu failed: %s\n", def->name,
				i, nr, strerror(-err));
			failed_at = i;
			nr = i;
			break;
		}
		build_sum += build[i];
		build_max = build[i] > build_max ? build[i] : build_max;
	}
	med = pct_u64(build, nr, 0.5);
	for (i = 0; i < nr; i++)
		growth += build[i] > 20 * med && build[i] > 20000;
	/* Then map and unmap one 2 MiB range, SYS_UPDATE_REPS times. */
	for (i = 0; i < SYS_UPDATE_REPS; i++) {
		struct dpidx_pgmap *p = &pgmaps[nr];
		uint64_t g0;

		memset(p, 0, sizeof(*p));
		p->nr_pages = SYS_UPDATE_PAGES;
		p->owner = wl_owner(1);
		t = now_ns();
		err = ss_map(&ss, p, -1);
		map[i] = now_ns() - t;
		if (err)
			break;
		g0 = gp_ns;
		t = now_ns();
		ss_unmap(&ss, p);
		unmap[i] = now_ns() - t;
		gp[i] = gp_ns - g0;
		unpub[i] = unmap[i] - gp[i];
	}
	t = now_ns();
	ss_destroy(&ss, pgmaps, nr);
	destroy_ns = now_ns() - t;
	if (!record)
		goto out;

	js_rec_begin();
	js_text("subject", def->name);
	js_num("existing_ranges", (double)want);
	/* null unless building @want ranges failed: then the row is that count. */
	js_num("build_failed_at", failed_at == ~0UL ? NAN : (double)failed_at);
	js_num("init_ns", (double)init_ns);
	js_num("destroy_ns", (double)destroy_ns);
	js_num("build_map_mean_ns", nr ? (double)build_sum / (double)nr : NAN);
	js_num("build_map_p50_ns", med);
	js_num("build_map_max_ns", (double)build_max);
	js_num("growth_spikes", (double)growth);
	js_num("reps", (double)i);
	js_num("map_p50_ns", pct_u64(map, i, 0.5));
	js_num("map_p99_ns", pct_u64(map, i, 0.99));
	js_num("unmap_p50_ns", pct_u64(unmap, i, 0.5));
	js_num("unmap_p99_ns", pct_u64(unmap, i, 0.99));
	js_num("unmap_unpublish_p50_ns", pct_u64(unpub, i, 0.5));
	js_num("unmap_gp_p50_ns", pct_u64(gp, i, 0.5));
	js_rec_end();
	if (failed_at != ~0UL) {
		printf("  update  %-6s %8lu ranges: FAILED (map %lu of them failed)\n",
		       def->name, want, failed_at);
	} else {
		printf("  update  %-6s %8lu ranges: map %7.0f ns, unmap %7.0f ns (unpublish "
		       "%6.0f + grace period %7.0f), init %.0f us, destroy %.0f us, growth "
		       "spikes %lu\n", def->name, nr, pct_u64(map, i, 0.5), pct_u64(unmap, i, 0.5),
		       pct_u64(unpub, i, 0.5), pct_u64(gp, i, 0.5), init_ns / 1e3,
		       destroy_ns / 1e3, growth);
	}
	fflush(stdout);
out:
	free(pgmaps);
	free(build);
}

static void run_update(const struct sys_opts *o)
{
	unsigned long nr;
	size_t s;

	js_section("update");
	for (s = 0; s < SYS_NR_SUBJECTS; s++) {
		if (sys_subjects[s].kind == SS_PFN)
			continue;
		/* Warm the allocators and the code; not recorded. */
		run_update_one(&sys_subjects[s], 10, false);
		for (nr = 1; nr <= o->update_max; nr *= 10)
			run_update_one(&sys_subjects[s], nr, true);
	}
	js_section_end();
}

/* ---- memory -------------------------------------------------------------------- */

static void run_memory(const struct sys_opts *o)
{
	char *shapes = strdup(o->memory_shapes), *save = NULL, *shape;
	size_t s;

	js_section("memory");
	for (shape = strtok_r(shapes, ",", &save); shape; shape = strtok_r(NULL, ",", &save)) {
		double pfn_pte = 0;

		/* pfn first: its page-table delta is what descriptors alone cost. */
		for (s = SYS_NR_SUBJECTS; s-- > 0;) {
			const struct ss_def *def = &sys_subjects[s];
			struct proc_mem m0, m1;
			double desc, vmm, idx_alloc, pte, idx, gib, rss;
			struct built b;
			int err;

			err = build_plan(&b, shape, 1024);
			if (err) {
				built_free(&b);
				break;	/* the shape does not fit: said once */
			}
			rcu_barrier();
			proc_mem(&m0);
			err = build_space(&b, def, 0, -1);
			if (err) {
				built_free(&b);
				continue;
			}
			rcu_barrier();	/* kbase frees nodes through call_rcu */
			proc_mem(&m1);
			desc = (double)b.desc_bytes;
			vmm = (double)m1.vmm - (double)m0.vmm;
			/*
			 * Descriptors come from dpidx_vmemmap_alloc() for every
			 * subject here; one that maps its own (a device-private
			 * vmemmap) has fewer allocator bytes than descriptors, and
			 * its region shows in the page tables below instead.
			 */
			idx_alloc = vmm - (desc < vmm ? desc : vmm) +
				    (double)m1.heap - (double)m0.heap;
#ifdef BENCH_HAVE_KBASE
			/*
			 * The kernel harness's kmem_cache keeps freed nodes for
			 * reuse, so malloc's figure depends on the subjects before;
			 * its own accounting (live nodes x 256 B) is exact.
			 */
			if (def->kind == SS_V6)
				idx_alloc = vmm - (desc < vmm ? desc : vmm) +
					    (double)m1.kb_nodes - (double)m0.kb_nodes;
#endif
			pte = (double)m1.pte - (double)m0.pte;
			if (def->kind == SS_PFN)
				pfn_pte = pte;
			/*
			 * Page tables beyond what pfn's descriptor array needs: the
			 * cost of an encoding that maps memory of its own, part of
			 * its index.  (THP fallbacks on a busy machine move this
			 * figure a little for every subject.)
			 */
			idx = idx_alloc + (def->kind != SS_PFN && pte > pfn_pte ? pte - pfn_pte : 0);
			rss = (double)m1.rss - (double)m0.rss - desc;
			gib = (double)b.plan.mapped_pages * 4096.0 / (1UL << 30);
			js_rec_begin();
			js_text("subject", def->name);
			js_text("shape", shape);
			js_num("ranges", (double)b.plan.nr_mapped);
			js_num("pages", (double)b.plan.mapped_pages);
			js_num("capacity_pages", (double)b.ss.max_pages);
			js_num("device_gib", gib);
			js_num("descriptor_bytes", desc);
			js_num("index_alloc_bytes", idx_alloc);
			js_num("pte_bytes", pte);
			js_num("pte_beyond_pfn_bytes", def->kind == SS_PFN ? 0 : pte - pfn_pte);
			js_num("index_bytes", idx);
			js_num("rss_minus_descriptors_bytes", rss);
			js_num("index_bytes_per_gib", idx / gib);
			js_num("peak_rss_kib", peak_rss_kib());
			js_rec_end();
			printf("  memory  %-6s %-12s %8lu ranges %7.1f GiB: index %10.0f B = %8.0f B/GiB "
			       "(page tables %+.0f B)\n", def->name, shape, b.plan.nr_mapped, gib,
			       idx, idx / gib, pte);
			fflush(stdout);
			built_free(&b);
		}
	}
	js_section_end();
	free(shapes);
}

/* ---- fault path: backing, NUMA, counters ---------------------------------------- */

struct chain_job {
	const struct ss_def *def;
	void *space;
	const uint64_t *ptes;
	unsigned long mask;
	int node;			/* run on this node, -1: anywhere */
	double ns, ns_min, counters[PC_NR_EVENTS];
	unsigned long n;
};

static void *chain_main(void *arg)
{
	struct chain_job *j = (struct chain_job *)arg;
	uint64_t t, reps[SYS_FAULT_REPS];
	unsigned long n = 1UL << 16;
	struct pc_group pc;
	int e, r;

	if (j->node >= 0)
		numa_run_on_node(j->node);
	rcu_register_thread();
	j->def->chain(j->space, j->ptes, j->mask, j->mask + 1);	/* warm the keys */
	/* Grow n until one timed chain takes ~20 ms. */
	for (;;) {
		t = now_ns();
		gb_do_not_optimize(j->def->chain(j->space, j->ptes, j->mask, n));
		t = now_ns() - t;
		if (t > 20000000 || n >= (1UL << 28))
			break;
		n *= 2;
	}
	/* SYS_FAULT_REPS timed chains: the median, and the fastest. */
	pc_open(&pc);
	for (r = 0; r < SYS_FAULT_REPS; r++) {
		pc_start(&pc);
		t = now_ns();
		gb_do_not_optimize(j->def->chain(j->space, j->ptes, j->mask, n));
		reps[r] = now_ns() - t;
		pc_stop(&pc);
		if (r == SYS_FAULT_REPS / 2)	/* counters of one chain */
			pc_read(&pc, j->counters);
	}
	pc_close(&pc);
	for (e = 0; e < PC_NR_EVENTS; e++)
		if (j->counters[e] >= 0)
			j->counters[e] /= (double)n;
	j->ns = pct_u64(reps, SYS_FAULT_REPS, 0.5) / (double)n;
	j->ns_min = (double)reps[0] / (double)n;	/* sorted by pct_u64 */
	j->n = n;
	rcu_unregister_thread();
	return NULL;
}

static void run_fault_one(const struct ss_def *def, const char *shape, bool small,
			  int mem_node, int run_node, const char *numa)
{
	struct chain_job j;
	struct built b;
	pthread_t tid;
	double thp;
	int e;

	dpidx_vmm.small_pages = small;
	if (mem_node >= 0) {
		struct bitmask *bm = numa_allocate_nodemask();

		numa_bitmask_setbit(bm, (unsigned int)mem_node);
		numa_set_membind(bm);	/* index allocations too */
		numa_free_nodemask(bm);
	}
	if (build_shape(&b, def, shape, 1UL << 20, 0, mem_node) || build_keys(&b))
		goto out;
	/* Whether the backing took: the process's anonymous memory on THP. */
	thp = (double)proc_kb("/proc/self/smaps_rollup", "AnonHugePages:") /
	      (double)(proc_kb("/proc/self/smaps_rollup", "Anonymous:") | 1);
	memset(&j, 0, sizeof(j));
	j.def = def;
	j.space = ss_handle(&b.ss);
	j.ptes = b.ptes;
	j.mask = b.mask;
	j.node = run_node;
	pthread_create(&tid, NULL, chain_main, &j);
	pthread_join(tid, NULL);
	js_rec_begin();
	js_text("subject", def->name);
	js_text("shape", shape);
	js_text("backing", small ? "4k" : "thp");
	js_text("numa", numa);
	js_num("ns_per_fault", j.ns);
	js_num("ns_per_fault_min", j.ns_min);
	js_num("repetitions", SYS_FAULT_REPS);
	js_num("thp_share", thp);
	js_num("faults", (double)j.n);
	for (e = 0; e < PC_NR_EVENTS; e++)
		js_num(pc_names[e], j.counters[e] >= 0 ? j.counters[e] : NAN);
	js_rec_end();
	printf("  fault   %-6s %-12s %-3s %-6s %6.1f ns/fault (THP share %.2f)", def->name,
	       shape, small ? "4k" : "thp", numa, j.ns, thp);
	if (j.counters[PC_CYCLES] >= 0)
		printf(" %.0f cycles %.1f instr %.2f L1d %.2f LLC %.2f dTLB misses",
		       j.counters[PC_CYCLES], j.counters[PC_INSTRUCTIONS],
		       j.counters[PC_L1D_MISS], j.counters[PC_LLC_MISS],
		       j.counters[PC_DTLB_MISS]);
	printf("\n");
	fflush(stdout);
out:
	built_free(&b);
	if (mem_node >= 0)
		numa_set_membind(numa_all_nodes_ptr);
	dpidx_vmm.small_pages = false;
}

static void run_fault(const struct sys_opts *o)
{
	char *shapes = strdup(o->fault_shapes), *save = NULL, *shape;
	int nodes = numa_nodes(), bk;
	size_t s;

	js_section("fault");
	/* First touch of everything built here on node 0 too (arena blocks). */
	if (nodes > 1)
		numa_run_on_node(0);
	for (shape = strtok_r(shapes, ",", &save); shape; shape = strtok_r(NULL, ",", &save)) {
		for (bk = 0; bk < 2; bk++) {
			bool small = bk == 1;

			if (strcmp(o->backing, "both") && strcmp(o->backing, small ? "4k" : "thp"))
				continue;
			for (s = 0; s < SYS_NR_SUBJECTS; s++) {
				if (nodes < 2) {
					run_fault_one(&sys_subjects[s], shape, small, -1, -1, "single");
					continue;
				}
				run_fault_one(&sys_subjects[s], shape, small, 0, 0, "local");
				run_fault_one(&sys_subjects[s], shape, small, 0, 1, "remote");
			}
		}
	}
	js_section_end();
	free(shapes);
	if (nodes > 1)
		numa_run_on_node(-1);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct sys_opts o;
	char *buf = NULL;
	size_t len = 0;

	parse_opts(&o, argc, argv);
	sys_subjects_init();
	rcu_register_thread();
	js = o.out ? open_memstream(&buf, &len) : fopen("/dev/null", "w");
	if (!js) {
		fprintf(stderr, "dpidx-sys: cannot buffer the JSON: %s\n", strerror(errno));
		return 1;
	}
	write_context(&o);
	printf("dpidx-sys: %s; %s\n", numa_line(), pc_why());
	if (section_on(&o, "scaling"))
		run_scaling(&o);
	if (section_on(&o, "update"))
		run_update(&o);
	rcu_unregister_thread();	/* memory and fault build on this thread too */
	rcu_register_thread();
	if (section_on(&o, "memory"))
		run_memory(&o);
	if (section_on(&o, "fault"))
		run_fault(&o);
	fprintf(js, ",\n  \"peak_rss_kib\": %.0f\n}\n", peak_rss_kib());
	fclose(js);
	rcu_unregister_thread();
	if (o.out) {
		FILE *f = fopen(o.out, "w");

		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			fprintf(stderr, "dpidx-sys: cannot write %s: %s\n", o.out, strerror(errno));
			return 1;
		}
		printf("dpidx-sys: wrote %s (peak RSS %.0f MiB)\n", o.out, peak_rss_kib() / 1024);
	}
	free(buf);
	return 0;
}
