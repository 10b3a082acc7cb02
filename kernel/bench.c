// SPDX-License-Identifier: GPL-2.0-only
/*
 * dpidx_bench.ko - each encoding's lookup and fault path inside the kernel,
 * against what the kernel itself offers, on the same keys.
 *
 * Coding conventions in this file:
 *   @shape  how many ranges of 512 pages are mapped (64: a few GPUs'
 *           worth of big ranges; 8192: nouveau-style 2 MiB chunks)
 *   @key    (range, page) pair; each method turns it into its own offset,
 *           PTE or PFN before timing, so all methods resolve the same pages
 *   @sink   what the timed loops accumulate, so nothing is optimised away
 *
 * Methods, per shape:
 *   lookup  offset -> struct page, no access to the page itself
 *     <enc>         dpidx_<enc>_offset_to_page() (inline, direct call)
 *     mtree         mtree_load() + pgmap->pages[offset - base] (v6's choice)
 *     xarray        xa_load() on 512-aligned multi-index entries + pages[]
 *     pfn_to_page   vmemmap arithmetic on real PFNs: the physical limit
 *   fault   swap PTE -> is it device-private -> page -> owner check
 *     the same four, decoding v6's PTE layout for the baselines
 *   range   512 consecutive offsets (one whole range) -> their pages, the
 *           hmm_range_fault() shape: dpidx_<enc>_lookup_range() against one
 *           mtree_load()/xa_load()/pfn_to_page() per page; ns per page
 *
 * The descriptors are driver-allocated struct pages (not memmap) for the
 * encodings and the tree baselines, and the real memmap for pfn_to_page.
 * Each figure is the best of BENCH_ROUNDS runs of @ops operations; keys are
 * random, so with 8192 ranges the descriptors (256 MiB) are cache-cold.
 *
 * Under QEMU TCG (software emulation) the absolute figures mean little and
 * even the ratios are only indicative; the output says so.
 */
#define pr_fmt(fmt) "# dpidx_bench: " fmt

#include <linux/module.h>
#include <linux/maple_tree.h>
#include <linux/xarray.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <asm/hypervisor.h>
#include "kenc.h"

#define BENCH_RANGE_PAGES	512UL
#define BENCH_ROUNDS		3
#define BENCH_BATCH		4096UL
/* PFNs for pfn_to_page(): keys fold into [16 MiB, 16 MiB + 1 GiB) of RAM. */
#define BENCH_PFN_FIRST		0x1000UL
#define BENCH_PFN_SPAN		0x40000UL

static unsigned long ops = 1UL << 18;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "operations per timed run (default 262144)");

static const unsigned long bench_shapes[] = { 64, 8192 };

struct bench_keys {
	unsigned long n;
	unsigned long *offsets;		/* the method's offsets of the keys */
	u64 *ptes;			/* the same as device-private PTEs */
	struct page **expect;		/* what every lookup must return */
};

/* ---- the timed loops ---------------------------------------------------- */

typedef unsigned long (*bench_fn)(void *ctx, const struct bench_keys *k,
				  unsigned long from, unsigned long to);

#define BENCH_ENC_LOOPS(E, UE)							\
static unsigned long E##_bench_lookup(void *s, const struct bench_keys *k,	\
				      unsigned long from, unsigned long to)	\
{										\
	unsigned long i, sink = 0;						\
										\
	for (i = from; i < to; i++)						\
		sink += (unsigned long)dpidx_##E##_offset_to_page(s,		\
							k->offsets[i]);		\
	return sink;								\
}										\
static unsigned long E##_bench_fault(void *s, const struct bench_keys *k,	\
				     unsigned long from, unsigned long to)	\
{										\
	unsigned long i, sink = 0;						\
	struct page *page;							\
										\
	for (i = from; i < to; i++) {						\
		page = dpidx_##E##_swp_pte_to_page(s, k->ptes[i]);		\
		if (likely(page))						\
			sink += (unsigned long)					\
				READ_ONCE(dpidx_page_range(page)->owner);	\
	}									\
	return sink;								\
}

#define DPIDX_KENC(E, UE)	BENCH_ENC_LOOPS(E, UE)
#include "kenc_list.h"
#undef DPIDX_KENC

/* The hmm_range_fault() path writes its pages here (one bench at a time). */
static struct page *bench_window[BENCH_RANGE_PAGES];

static inline unsigned long window_sum(void)
{
	unsigned long j, sink = 0;

	for (j = 0; j < BENCH_RANGE_PAGES; j++)
		sink += (unsigned long)bench_window[j];
	return sink;
}

#define BENCH_ENC_RANGE(E, UE)							\
static unsigned long E##_bench_range(void *s, const struct bench_keys *k,	\
				     unsigned long from, unsigned long to)	\
{										\
	unsigned long i, sink = 0;						\
										\
	for (i = from; i < to; i++) {						\
		dpidx_##E##_lookup_range(s, k->offsets[i], BENCH_RANGE_PAGES,	\
					 bench_window);				\
		sink += window_sum();						\
	}									\
	return sink;								\
}

#define DPIDX_KENC(E, UE)	BENCH_ENC_RANGE(E, UE)
#include "kenc_list.h"
#undef DPIDX_KENC

static const struct {
	bench_fn lookup, fault, range;
} bench_enc_fns[] = {
#define DPIDX_KENC(E, UE)	{ E##_bench_lookup, E##_bench_fault, E##_bench_range },
#include "kenc_list.h"
#undef DPIDX_KENC
};

static inline struct page *range_page(struct dpidx_pgmap *pgmap,
				      unsigned long offset)
{
	return &pgmap->pages[offset - pgmap->base];
}

static unsigned long mtree_bench_lookup(void *mt, const struct bench_keys *k,
					unsigned long from, unsigned long to)
{
	unsigned long i, sink = 0;

	for (i = from; i < to; i++)
		sink += (unsigned long)range_page(mtree_load(mt, k->offsets[i]),
						  k->offsets[i]);
	return sink;
}

static unsigned long xa_bench_lookup(void *xa, const struct bench_keys *k,
				     unsigned long from, unsigned long to)
{
	unsigned long i, sink = 0;

	for (i = from; i < to; i++)
		sink += (unsigned long)range_page(xa_load(xa, k->offsets[i]),
						  k->offsets[i]);
	return sink;
}

/* v6 resolves a device-private PTE at a time: one tree walk per page. */
static unsigned long mtree_bench_range(void *mt, const struct bench_keys *k,
				       unsigned long from, unsigned long to)
{
	unsigned long i, j, o, sink = 0;

	for (i = from; i < to; i++) {
		for (j = 0; j < BENCH_RANGE_PAGES; j++) {
			o = k->offsets[i] + j;
			bench_window[j] = range_page(mtree_load(mt, o), o);
		}
		sink += window_sum();
	}
	return sink;
}

static unsigned long xa_bench_range(void *xa, const struct bench_keys *k,
				    unsigned long from, unsigned long to)
{
	unsigned long i, j, o, sink = 0;

	for (i = from; i < to; i++) {
		for (j = 0; j < BENCH_RANGE_PAGES; j++) {
			o = k->offsets[i] + j;
			bench_window[j] = range_page(xa_load(xa, o), o);
		}
		sink += window_sum();
	}
	return sink;
}

static unsigned long pfn_bench_range(void *unused, const struct bench_keys *k,
				     unsigned long from, unsigned long to)
{
	unsigned long i, j, sink = 0;

	for (i = from; i < to; i++) {
		for (j = 0; j < BENCH_RANGE_PAGES; j++)
			bench_window[j] = pfn_to_page(k->offsets[i] + j);
		sink += window_sum();
	}
	return sink;
}

static unsigned long pfn_bench_lookup(void *unused, const struct bench_keys *k,
				      unsigned long from, unsigned long to)
{
	unsigned long i, sink = 0;

	for (i = from; i < to; i++)
		sink += (unsigned long)pfn_to_page(k->offsets[i]);
	return sink;
}

/* v6's fault path: decode, find the range, index it, check the owner. */
static inline unsigned long tree_fault_one(struct dpidx_pgmap *pgmap,
					   unsigned long offset)
{
	if (unlikely(!pgmap))
		return 0;
	return (unsigned long)
		READ_ONCE(dpidx_page_range(range_page(pgmap, offset))->owner);
}

static unsigned long mtree_bench_fault(void *mt, const struct bench_keys *k,
				       unsigned long from, unsigned long to)
{
	unsigned long i, offset, sink = 0;

	for (i = from; i < to; i++) {
		if (unlikely(!dpidx_v6_swp_pte_is_device_private(k->ptes[i])))
			continue;
		offset = dpidx_v6_swp_pte_offset(k->ptes[i]);
		sink += tree_fault_one(mtree_load(mt, offset), offset);
	}
	return sink;
}

static unsigned long xa_bench_fault(void *xa, const struct bench_keys *k,
				    unsigned long from, unsigned long to)
{
	unsigned long i, offset, sink = 0;

	for (i = from; i < to; i++) {
		if (unlikely(!dpidx_v6_swp_pte_is_device_private(k->ptes[i])))
			continue;
		offset = dpidx_v6_swp_pte_offset(k->ptes[i]);
		sink += tree_fault_one(xa_load(xa, offset), offset);
	}
	return sink;
}

/* The physical limit: a migration-style entry holding a real PFN. */
static unsigned long pfn_bench_fault(void *unused, const struct bench_keys *k,
				     unsigned long from, unsigned long to)
{
	unsigned long i, sink = 0;

	for (i = from; i < to; i++) {
		if (unlikely(!dpidx_pte_is_swap(k->ptes[i])))
			continue;
		sink += READ_ONCE(pfn_to_page(dpidx_swp_pte_raw_offset(k->ptes[i]))->flags);
	}
	return sink;
}

/* Best of BENCH_ROUNDS, in ns/op (x100 for two decimals). */
static unsigned long bench_time(bench_fn fn, void *ctx,
				const struct bench_keys *k, unsigned long *sink)
{
	unsigned long best = ULONG_MAX, from, to, round;
	u64 start, ns;

	for (round = 0; round < BENCH_ROUNDS; round++) {
		ns = 0;
		for (from = 0; from < k->n; from = to) {
			to = min(from + BENCH_BATCH, k->n);
			start = ktime_get_ns();
			rcu_read_lock();
			*sink += fn(ctx, k, from, to);
			rcu_read_unlock();
			ns += ktime_get_ns() - start;
			cond_resched();
		}
		best = min_t(unsigned long, best, ns * 100 / k->n);
	}
	return best;
}

/* ---- setup -------------------------------------------------------------- */

static int keys_alloc(struct bench_keys *k, unsigned long n)
{
	k->n = n;
	k->offsets = kvcalloc(n, sizeof(*k->offsets), GFP_KERNEL);
	k->ptes = kvcalloc(n, sizeof(*k->ptes), GFP_KERNEL);
	k->expect = kvcalloc(n, sizeof(*k->expect), GFP_KERNEL);
	return k->offsets && k->ptes && k->expect ? 0 : -ENOMEM;
}

static void keys_free(struct bench_keys *k)
{
	kvfree(k->offsets);
	kvfree(k->ptes);
	kvfree(k->expect);
}

/* Not timed: every lookup of @fn must return the expected page. */
static int bench_validate(const char *name, bench_fn fn, void *ctx,
			  const struct bench_keys *k)
{
	unsigned long i, sink = 0, want = 0;

	for (i = 0; i < k->n; i++)
		want += (unsigned long)k->expect[i];
	for (i = 0; i < k->n; i += BENCH_BATCH) {
		rcu_read_lock();
		sink += fn(ctx, k, i, min(i + BENCH_BATCH, k->n));
		rcu_read_unlock();
	}
	if (sink != want) {
		pr_info("%s resolves some keys wrongly\n", name);
		return -EINVAL;
	}
	return 0;
}

struct bench_result {
	const char *name;
	unsigned long lookup, fault;	/* ns/op x100 */
	unsigned long range;		/* ns/page x100, 512-page windows */
};

struct bench_shape {
	unsigned long nr_ranges;
	u32 *key_range, *key_page;
	unsigned long *sink;
	struct bench_result results[ARRAY_SIZE(dpidx_kencs) + 3];
	unsigned int nr_results;
	bool ready[ARRAY_SIZE(dpidx_kencs)];	/* space initialised */
};

static void bench_report(const struct bench_result *r, unsigned int nr,
			 const struct bench_result *v6)
{
	unsigned int i;

	pr_info("  %-12s %12s %6s %12s %6s %12s %6s\n", "method",
		"lookup ns/op", "vs v6", "fault ns/op", "vs v6",
		"range ns/pg", "vs v6");
	for (i = 0; i < nr; i++)
		pr_info("  %-12s %9lu.%02lu %5lu%% %9lu.%02lu %5lu%% %9lu.%02lu %5lu%%\n",
			r[i].name, r[i].lookup / 100, r[i].lookup % 100,
			r[i].lookup * 100 / max(v6->lookup, 1UL),
			r[i].fault / 100, r[i].fault % 100,
			r[i].fault * 100 / max(v6->fault, 1UL),
			r[i].range / 100, r[i].range % 100,
			r[i].range * 100 / max(v6->range, 1UL));
}

/*
 * The hmm_range_fault() shape: windows of 512 consecutive offsets, one per
 * 512 keys, each a whole range starting at @first[key's range] (an offset or
 * a PFN).  @first_page gives the window's first page, for validation.
 */
static int window_keys(struct bench_keys *kw, const struct bench_shape *sh,
		       unsigned long (*first)(const void *ctx, unsigned long r),
		       struct page *(*first_page)(const void *ctx, unsigned long r),
		       const void *ctx)
{
	unsigned long i, n = max(ops / BENCH_RANGE_PAGES, 1UL);
	int err = keys_alloc(kw, n);

	for (i = 0; !err && i < n; i++) {
		kw->offsets[i] = first(ctx, sh->key_range[i]);
		kw->expect[i] = first_page(ctx, sh->key_range[i]);
	}
	return err;
}

/* Not timed: each window must resolve to its 512 consecutive pages. */
static int window_validate(const char *name, bench_fn fn, void *ctx,
			   const struct bench_keys *kw)
{
	unsigned long i, sink = 0, want = 0;

	for (i = 0; i < kw->n; i++)
		want += BENCH_RANGE_PAGES * (unsigned long)kw->expect[i] +
			sizeof(struct page) * (BENCH_RANGE_PAGES - 1) *
			BENCH_RANGE_PAGES / 2;
	rcu_read_lock();
	for (i = 0; i < kw->n; i++)
		sink += fn(ctx, kw, i, i + 1);
	rcu_read_unlock();
	if (sink != want) {
		pr_info("%s resolves some windows wrongly\n", name);
		return -EINVAL;
	}
	return 0;
}

static unsigned long range_time(bench_fn fn, void *ctx,
				const struct bench_keys *kw, unsigned long *sink)
{
	return bench_time(fn, ctx, kw, sink) / BENCH_RANGE_PAGES;
}

static unsigned long pgmap_first(const void *pgmaps, unsigned long r)
{
	return ((const struct dpidx_pgmap *)pgmaps)[r].base;
}

static struct page *pgmap_first_page(const void *pgmaps, unsigned long r)
{
	return ((const struct dpidx_pgmap *)pgmaps)[r].pages;
}

static unsigned long pfn_first(const void *unused, unsigned long r)
{
	return BENCH_PFN_FIRST + r * BENCH_RANGE_PAGES % BENCH_PFN_SPAN;
}

static struct page *pfn_first_page(const void *unused, unsigned long r)
{
	return pfn_to_page(pfn_first(NULL, r));
}


/* Time one encoding; its ranges stay mapped in *@space for the baselines. */
static int bench_encoding(struct bench_shape *sh, unsigned int e,
			  struct dpidx_pgmap *pgmaps, void *s)
{
	const struct dpidx_kenc *enc = dpidx_kencs[e];
	struct bench_result *r = &sh->results[sh->nr_results];
	struct bench_keys k = { 0 }, kw = { 0 };
	unsigned long i, r_idx;
	int err;

	err = enc->init(s, sh->nr_ranges * BENCH_RANGE_PAGES);
	if (err)
		return err;
	sh->ready[e] = true;
	for (i = 0; i < sh->nr_ranges && !err; i++) {
		pgmaps[i].nr_pages = BENCH_RANGE_PAGES;
		pgmaps[i].owner = &pgmaps[i];
		err = enc->map(s, &pgmaps[i], NUMA_NO_NODE);
	}
	if (!err)
		err = keys_alloc(&k, ops);
	if (err)
		goto out;	/* the caller destroys the space */
	for (i = 0; i < k.n; i++) {
		r_idx = sh->key_range[i];
		k.offsets[i] = pgmaps[r_idx].base + sh->key_page[i];
		k.ptes[i] = enc->make_swp_pte(k.offsets[i], DPIDX_DEVICE_WRITE);
		k.expect[i] = &pgmaps[r_idx].pages[sh->key_page[i]];
	}
	err = bench_validate(enc->name, bench_enc_fns[e].lookup, s, &k);
	if (!err)
		err = window_keys(&kw, sh, pgmap_first, pgmap_first_page, pgmaps);
	if (!err)
		err = window_validate(enc->name, bench_enc_fns[e].range, s, &kw);
	if (!err) {
		r->name = enc->name;
		r->lookup = bench_time(bench_enc_fns[e].lookup, s, &k, sh->sink);
		r->fault = bench_time(bench_enc_fns[e].fault, s, &k, sh->sink);
		r->range = range_time(bench_enc_fns[e].range, s, &kw, sh->sink);
		sh->nr_results++;
	}
out:
	keys_free(&k);
	keys_free(&kw);
	return err;
}

/* mtree, xarray and pfn_to_page on the same keys as the encoding's ranges. */
static int bench_baselines(struct bench_shape *sh, struct dpidx_pgmap *pgmaps)
{
	/*
	 * No MT_FLAGS_USE_RCU: nothing writes while the loops read, the
	 * descent mtree_load() does is the same, and destroying an RCU-mode
	 * tree with range entries crashed in mt_free_walk() on this kernel.
	 */
	struct maple_tree mt;
	struct bench_keys k = { 0 }, pk = { 0 }, kw = { 0 }, pkw = { 0 };
	unsigned long i, last;
	struct xarray xa;
	int err;

	/*
	 * On the stack: initialised at run time, not with MTREE_INIT() or
	 * DEFINE_XARRAY(), whose static lock initialisers lockdep rejects for
	 * an object that is not static ("trying to register non-static key",
	 * found by the debug kernel of kernel/hmm).
	 */
	mt_init_flags(&mt, 0);
	xa_init(&xa);

	for (i = 0, err = 0; i < sh->nr_ranges && !err; i++) {
		last = pgmaps[i].base + pgmaps[i].nr_pages - 1;
		err = mtree_store_range(&mt, pgmaps[i].base, last, &pgmaps[i],
					GFP_KERNEL);
		if (!err)
			err = xa_err(xa_store_range(&xa, pgmaps[i].base, last,
						    &pgmaps[i], GFP_KERNEL));
	}
	if (!err)
		err = keys_alloc(&k, ops);
	if (!err)
		err = keys_alloc(&pk, ops);
	if (err)
		goto out;
	for (i = 0; i < k.n; i++) {
		struct dpidx_pgmap *pgmap = &pgmaps[sh->key_range[i]];
		unsigned long pfn = BENCH_PFN_FIRST +
			(sh->key_range[i] * BENCH_RANGE_PAGES + sh->key_page[i]) %
			BENCH_PFN_SPAN;

		k.offsets[i] = pgmap->base + sh->key_page[i];
		k.ptes[i] = dpidx_v6_make_swp_pte(k.offsets[i], DPIDX_DEVICE_WRITE);
		k.expect[i] = &pgmap->pages[sh->key_page[i]];
		if (!pfn_valid(pfn)) {
			err = -ERANGE;
			goto out;
		}
		pk.offsets[i] = pfn;
		pk.ptes[i] = dpidx_swp_pte(DPIDX_SWP_MIGRATION_READ(DPIDX_V6_SWAP_TYPES), pfn);
		pk.expect[i] = pfn_to_page(pfn);
	}
	err = window_keys(&kw, sh, pgmap_first, pgmap_first_page, pgmaps);
	if (!err)
		err = window_keys(&pkw, sh, pfn_first, pfn_first_page, NULL);
	if (!err)
		err = bench_validate("mtree", mtree_bench_lookup, &mt, &k);
	if (!err)
		err = bench_validate("xarray", xa_bench_lookup, &xa, &k);
	if (!err)
		err = bench_validate("pfn_to_page", pfn_bench_lookup, NULL, &pk);
	if (!err)
		err = window_validate("mtree", mtree_bench_range, &mt, &kw);
	if (!err)
		err = window_validate("xarray", xa_bench_range, &xa, &kw);
	if (!err)
		err = window_validate("pfn_to_page", pfn_bench_range, NULL, &pkw);
	if (err)
		goto out;
	sh->results[sh->nr_results++] = (struct bench_result) { "mtree (v6)",
		bench_time(mtree_bench_lookup, &mt, &k, sh->sink),
		bench_time(mtree_bench_fault, &mt, &k, sh->sink),
		range_time(mtree_bench_range, &mt, &kw, sh->sink) };
	sh->results[sh->nr_results++] = (struct bench_result) { "xarray",
		bench_time(xa_bench_lookup, &xa, &k, sh->sink),
		bench_time(xa_bench_fault, &xa, &k, sh->sink),
		range_time(xa_bench_range, &xa, &kw, sh->sink) };
	sh->results[sh->nr_results++] = (struct bench_result) { "pfn_to_page",
		bench_time(pfn_bench_lookup, NULL, &pk, sh->sink),
		bench_time(pfn_bench_fault, NULL, &pk, sh->sink),
		range_time(pfn_bench_range, NULL, &pkw, sh->sink) };
out:
	keys_free(&k);
	keys_free(&pk);
	keys_free(&kw);
	keys_free(&pkw);
	mtree_destroy(&mt);
	xa_destroy(&xa);
	return err;
}

static int bench_shape(unsigned long nr_ranges, unsigned long *sink)
{
	struct bench_shape *sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	struct dpidx_pgmap *pgmaps[ARRAY_SIZE(dpidx_kencs)] = { NULL };
	void *spaces[ARRAY_SIZE(dpidx_kencs)] = { NULL };
	unsigned int e;
	unsigned long i;
	int err = -ENOMEM;

	if (!sh)
		return err;
	sh->nr_ranges = nr_ranges;
	sh->sink = sink;
	sh->key_range = kvcalloc(ops, sizeof(u32), GFP_KERNEL);
	sh->key_page = kvcalloc(ops, sizeof(u32), GFP_KERNEL);
	if (!sh->key_range || !sh->key_page)
		goto out;
	for (i = 0; i < ops; i++) {
		sh->key_range[i] = get_random_u32_below(nr_ranges);
		sh->key_page[i] = get_random_u32_below(BENCH_RANGE_PAGES);
	}
	for (e = 0; e < ARRAY_SIZE(dpidx_kencs); e++) {
		pgmaps[e] = kvcalloc(nr_ranges, sizeof(**pgmaps), GFP_KERNEL);
		spaces[e] = kzalloc(dpidx_kencs[e]->space_size, GFP_KERNEL);
		if (!pgmaps[e] || !spaces[e])
			goto out;
		err = bench_encoding(sh, e, pgmaps[e], spaces[e]);
		if (err)
			goto out;
	}
	/* The baselines index the first encoding's ranges: same pages. */
	err = bench_baselines(sh, pgmaps[0]);
	if (err)
		goto out;
	pr_info("%lu ranges of %lu pages, %lu random keys, best of %d\n",
		nr_ranges, BENCH_RANGE_PAGES, ops, BENCH_ROUNDS);
	bench_report(sh->results, sh->nr_results,
		     &sh->results[ARRAY_SIZE(dpidx_kencs)]);
	if (nr_ranges * BENCH_RANGE_PAGES > BENCH_PFN_SPAN)
		pr_info("  (pfn_to_page keys fold into %lu MiB of RAM: %lu MiB of struct pages against the others' %lu MiB, so its fault path is warmer)\n",
			BENCH_PFN_SPAN >> (20 - PAGE_SHIFT),
			BENCH_PFN_SPAN * sizeof(struct page) >> 20,
			nr_ranges * BENCH_RANGE_PAGES * sizeof(struct page) >> 20);
out:
	if (err)
		pr_info("%lu ranges: error %d\n", nr_ranges, err);
	for (e = 0; e < ARRAY_SIZE(dpidx_kencs); e++) {
		if (sh->ready[e])
			dpidx_kencs[e]->destroy(spaces[e]);
		kfree(spaces[e]);
		kvfree(pgmaps[e]);
	}
	kvfree(sh->key_range);
	kvfree(sh->key_page);
	kfree(sh);
	return err;
}

/* x86_hyper_type exists only with CONFIG_HYPERVISOR_GUEST (not tinyconfig). */
static const char *bench_environment(void)
{
	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return "bare metal";
#ifdef CONFIG_HYPERVISOR_GUEST
	if (x86_hyper_type == X86_HYPER_KVM)
		return "KVM guest";
#endif
	return "virtual machine";
}

static int __init dpidx_bench_init(void)
{
	unsigned long sink = 0;
	unsigned int i;
	int err = 0;

	pr_info("each encoding vs mtree_load() (v6), xa_load(), pfn_to_page()\n");
	pr_info("environment: %s; under QEMU TCG (software emulation) the absolute ns/op mean little and the ratios are only indicative\n",
		bench_environment());
	for (i = 0; i < ARRAY_SIZE(bench_shapes) && !err; i++)
		err = bench_shape(bench_shapes[i], &sink);
	pr_info("done (%s, sink %lx)\n", err ? "FAILED" : "ok", sink & 0xf);
	return err;
}

static void __exit dpidx_bench_exit(void)
{
}

module_init(dpidx_bench_init);
module_exit(dpidx_bench_exit);
MODULE_DESCRIPTION("dpidx in-kernel benchmark: encodings vs mtree, xarray, pfn_to_page");
MODULE_LICENSE("GPL");
