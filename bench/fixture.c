// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/fixture.c - build one shape for one family of subjects (untimed).
 *
 * The encodings are driven through tests/enc.h's table of function
 * pointers here: setup is not measured.  The timed loops call the inline
 * hot paths of subjects.h directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "subjects.h"

static unsigned long fx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

const char *fx_family_name(int family)
{
	if (family == FX_PFN)
		return "pfn";
	if (family == FX_V6)
		return "v6";
	if (family >= FX_ENC && family < FX_ENC + (int)DPIDX_NR_ENCODINGS)
		return dpidx_encodings[family - FX_ENC]->name;
	return "?";
}

int fx_family_by_subject(const char *subject)
{
	size_t i;

	if (!strcmp(subject, "pfn"))
		return FX_PFN;
	for (i = 0; i < DPIDX_NR_ENCODINGS; i++)
		if (!strcmp(subject, dpidx_encodings[i]->name))
			return FX_ENC + (int)i;
	return FX_V6;		/* lfht, v6, v6rcu, xa */
}

/*
 * The pfn family's one big array, kept for the next pfn build (of any
 * shape: the largest seen is kept and a prefix reused): in the kernel
 * vmemmap is a fixed region too, and allocating up to 2 GiB of huge pages
 * anew (compaction on a busy machine) cost seconds per build, more than
 * the shape's timed cells.  Other families are rebuilt from scratch in
 * every repetition.  Reuse zeroes what the build will use.
 */
static struct {
	struct dpidx_page *mem;
	unsigned long pages;
} fx_pfn_cache;

static void fx_pfn_drop(void)
{
	if (fx_pfn_cache.mem)
		dpidx_vmemmap_free(fx_pfn_cache.mem,
				   fx_pfn_cache.pages * sizeof(struct dpidx_page));
	fx_pfn_cache.mem = NULL;
	fx_pfn_cache.pages = 0;
}

static struct dpidx_page *fx_pfn_take(unsigned long pages, unsigned long *got)
{
	struct dpidx_page *mem = fx_pfn_cache.mem;

	if (mem && fx_pfn_cache.pages >= pages) {
		*got = fx_pfn_cache.pages;
		fx_pfn_cache.mem = NULL;
		memset(mem, 0, pages * sizeof(*mem));
		return mem;
	}
	fx_pfn_drop();
	*got = pages;
	return dpidx_vmemmap_alloc(pages * sizeof(struct dpidx_page), -1);
}

static void fx_pfn_give(struct dpidx_page *mem, unsigned long pages)
{
	if (mem && fx_pfn_cache.mem && fx_pfn_cache.pages >= pages) {
		dpidx_vmemmap_free(mem, pages * sizeof(*mem));
		return;
	}
	fx_pfn_drop();
	fx_pfn_cache.mem = mem;
	fx_pfn_cache.pages = mem ? pages : 0;
}

/* pfn_to_page(): every mapped range laid out back to back in one array. */
static int fx_build_pfn(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long r, i, next = 0;

	fx->vmemmap = fx_pfn_take(plan->mapped_pages, &fx->vmemmap_pages);
	if (!fx->vmemmap)
		return -ENOMEM;
	for (r = 0; r < plan->nr_ranges; r++) {
		struct dpidx_pgmap *pgmap = &fx->pgmaps[r];

		if (!plan->ranges[r].mapped)
			continue;
		pgmap->base = next;
		pgmap->pages = fx->vmemmap + next;
		for (i = 0; i < pgmap->nr_pages; i++)
			dpidx_page_set_range(&pgmap->pages[i], pgmap);
		next += pgmap->nr_pages;
	}
	fx->swap_types = DPIDX_NR_DEVICE_KINDS;	/* mainline's 3 device types */
	return 0;
}

static int fx_lfht_build(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long r, c, nr = 0;

	for (r = 0; r < plan->nr_ranges; r++)
		if (plan->ranges[r].mapped)
			nr += DPIDX_DIV_ROUND_UP(plan->ranges[r].nr_pages, 512);
	fx->lfht_nodes = calloc(nr, sizeof(*fx->lfht_nodes));
	fx->lfht = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				NULL);
	if (!fx->lfht_nodes || !fx->lfht)
		return -ENOMEM;
	rcu_read_lock();
	for (r = 0; r < plan->nr_ranges; r++) {
		struct dpidx_pgmap *pgmap = &fx->pgmaps[r];

		if (!plan->ranges[r].mapped)
			continue;
		for (c = pgmap->base >> 9; c <= (pgmap->base + pgmap->nr_pages - 1) >> 9; c++) {
			struct fx_chunk_node *n = &fx->lfht_nodes[fx->lfht_nr++];

			cds_lfht_node_init(&n->node);
			n->chunk = c;
			n->pgmap = pgmap;
			cds_lfht_add(fx->lfht, fx_chunk_hash(c), &n->node);
		}
	}
	rcu_read_unlock();
	return 0;
}

static void fx_lfht_destroy(struct fixture *fx)
{
	unsigned long i;

	if (!fx->lfht)
		return;
	rcu_read_lock();
	for (i = 0; i < fx->lfht_nr; i++)
		cds_lfht_del(fx->lfht, &fx->lfht_nodes[i].node);
	rcu_read_unlock();
	synchronize_rcu();
	cds_lfht_destroy(fx->lfht, NULL);
	free(fx->lfht_nodes);
}

#ifdef BENCH_HAVE_KBASE
/*
 * v6's world as v6 builds it: the offsets of every range come from
 * mtree_alloc_range() on v6's own tree (MT_FLAGS_ALLOC_RANGE, byte keys),
 * the descriptors are allocated before the range is inserted and freed
 * before it is erased (memremap_device_private_pagemap() and its undo).
 * "v6 + RCU" is the same tree with MT_FLAGS_USE_RCU, built by the same
 * operations, so it hands out the same offsets (checked).  The xarray and
 * the hash table then index the same pgmaps.
 */
static int fx_build_v6(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long i, off, off_rcu;
	int err = 0;

	fx->v6 = kb_v6_create(0);
	fx->v6rcu = kb_v6_create(1);
	fx->xa = kb_xa_create();
	if (!fx->v6 || !fx->v6rcu || !fx->xa)
		return -ENOMEM;
	for (i = 0; i < plan->nr_ops && !err; i++) {
		const struct wl_op *op = &plan->ops[i];
		struct dpidx_pgmap *pgmap = &fx->pgmaps[op->range];

		if (op->kind == WL_MAP) {
			/* The size the descriptor helpers use (types.h). */
			pgmap->nr_mapped = pgmap->nr_pages;
			pgmap->pages = dpidx_pgmap_alloc_pages(pgmap, -1);
			if (!pgmap->pages)
				return -ENOMEM;
			err = kb_v6_alloc(fx->v6, pgmap->nr_pages, pgmap, &off);
			if (!err)
				err = kb_v6_alloc(fx->v6rcu, pgmap->nr_pages, pgmap, &off_rcu);
			if (!err && off != off_rcu)
				err = -EILSEQ;
			pgmap->base = off;
		} else {
			dpidx_pgmap_free_pages(pgmap, pgmap->pages);
			pgmap->pages = NULL;
			err = kb_v6_erase(fx->v6, pgmap->base);
			if (!err)
				err = kb_v6_erase(fx->v6rcu, pgmap->base);
		}
	}
	if (err) {
		fprintf(stderr, "dpidx-bench: v6: operation %lu failed: %s\n", i - 1,
			strerror(-err));
		return err;
	}
	for (i = 0; i < plan->nr_ranges; i++) {
		struct dpidx_pgmap *pgmap = &fx->pgmaps[i];

		if (!plan->ranges[i].mapped)
			continue;
		err = kb_xa_store_range(fx->xa, pgmap->base,
					pgmap->base + pgmap->nr_pages - 1, pgmap);
		if (err)
			return err;
	}
	fx->swap_types = DPIDX_V6_SWAP_TYPES;
	return fx_lfht_build(fx);
}
#endif

/* An encoding's space (or, for v6 without kbase, flat as the allocator). */
static int fx_build_space(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	size_t size = (fx->enc->space_size + 63) & ~(size_t)63;
	unsigned long i;
	int err;

	fx->space = aligned_alloc(64, size);
	if (!fx->space)
		return -ENOMEM;
	memset(fx->space, 0, size);
	err = fx->enc->init(fx->space, plan->peak_pages);
	if (err) {
		free(fx->space);
		fx->space = NULL;
		fprintf(stderr, "dpidx-bench: %s init(%lu pages) failed: %s\n",
			fx->enc->name, plan->peak_pages, strerror(-err));
		return err;
	}
	for (i = 0; i < plan->nr_ops; i++) {
		const struct wl_op *op = &plan->ops[i];
		struct dpidx_pgmap *pgmap = &fx->pgmaps[op->range];

		if (op->kind == WL_MAP)
			err = fx->enc->map(fx->space, pgmap, -1);
		else
			err = fx->enc->unmap(fx->space, pgmap);
		if (err) {
			fprintf(stderr, "dpidx-bench: %s: %s of range %lu (%lu pages) failed: %s\n",
				fx->enc->name, op->kind == WL_MAP ? "map" : "unmap",
				op->range, pgmap->nr_pages, strerror(-err));
			return err;
		}
	}
	fx->swap_types = fx->family == FX_V6 ? DPIDX_V6_SWAP_TYPES : fx->enc->swap_types;
	if (fx->family != FX_V6)
		return 0;
	return fx_lfht_build(fx);
}

static int fx_keys(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long i;

	fx->uniform = malloc(plan->nr_keys * sizeof(unsigned long));
	fx->zipf = malloc(plan->nr_keys * sizeof(unsigned long));
	fx->runs = malloc((plan->nr_runs + 1) * sizeof(unsigned long));
	fx->spans = malloc((plan->nr_runs + 1) * sizeof(unsigned long));
	fx->faults = malloc(plan->nr_keys * sizeof(struct fault_key));
	if (!fx->uniform || !fx->zipf || !fx->runs || !fx->spans || !fx->faults)
		return -ENOMEM;
	for (i = 0; i < plan->nr_keys; i++) {
		const struct wl_key *k = &plan->uniform[i];
		const struct dpidx_pgmap *pgmap = &fx->pgmaps[k->range];
		unsigned long offset = pgmap->base + k->page;

		fx->uniform[i] = offset;
		fx->faults[i].pte = fx->family >= FX_ENC ?
			fx->enc->make_swp_pte(offset, DPIDX_DEVICE_WRITE) :
			dpidx_v6_make_swp_pte(offset, DPIDX_DEVICE_WRITE);
		fx->faults[i].owner = pgmap->owner;
		k = &plan->zipf[i];
		fx->zipf[i] = fx->pgmaps[k->range].base + k->page;
	}
	for (i = 0; i < plan->nr_runs; i++) {
		const struct dpidx_pgmap *pgmap = &fx->pgmaps[plan->runs[i].range];

		fx->runs[i] = pgmap->base + plan->runs[i].page;
		/* Across the end: into the next range, a hole, or nothing. */
		fx->spans[i] = pgmap->base + pgmap->nr_pages - FX_SPAN_TAIL;
	}
	return 0;
}

struct fx_span {
	unsigned long lo, hi;
};

static int fx_span_cmp(const void *a, const void *b)
{
	const struct fx_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Does [lo, hi) overlap one of the @nr sorted, disjoint @spans? */
static bool fx_overlaps(const struct fx_span *spans, unsigned long nr,
			unsigned long lo, unsigned long hi)
{
	unsigned long l = 0, h = nr;

	while (l < h) {		/* first span ending after lo */
		unsigned long m = (l + h) / 2;

		if (spans[m].hi <= lo)
			l = m + 1;
		else
			h = m;
	}
	return l < nr && spans[l].lo < hi;
}

/*
 * How much of the descriptors' mappings is on transparent huge pages (as
 * vmemmap is in the kernel): from /proc/self/smaps, the Rss and
 * AnonHugePages of the mappings that hold a descriptor array only; and the
 * same for the malloc heap, where the kernel trees', the hash table's and
 * dpidx's small index nodes live (on THP with glibc.malloc.hugetlb=1, as
 * bench/run.sh sets: slab memory sits on the kernel's huge-page direct map).
 */
static void fx_thp(struct fixture *fx)
{
	struct fx_span *spans = calloc(fx->plan->nr_ranges + 1, sizeof(*spans));
	unsigned long lo, hi, kb, r, nr = 0;
	char line[256];
	bool in = false, heap = false;
	FILE *f;

	if (!spans)
		return;
	for (r = 0; r < fx->plan->nr_ranges; r++)
		if (fx->pgmaps[r].pages) {
			spans[nr].lo = (unsigned long)fx->pgmaps[r].pages;
			spans[nr].hi = spans[nr].lo +
				fx->pgmaps[r].nr_pages * sizeof(struct dpidx_page);
			nr++;
		}
	qsort(spans, nr, sizeof(*spans), fx_span_cmp);
	f = fopen("/proc/self/smaps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = fx_overlaps(spans, nr, lo, hi);
			heap = strstr(line, "[heap]") != NULL;
		} else if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
			fx->desc_kb += in ? kb : 0;
			fx->heap_kb += heap ? kb : 0;
		} else if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			fx->desc_thp_kb += in ? kb : 0;
			fx->heap_thp_kb += heap ? kb : 0;
		}
	}
	if (f)
		fclose(f);
	free(spans);
}

struct fixture *fx_build(const struct wl_plan *plan, int family)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	unsigned long r, t0 = fx_now_ns();
	int err;

	if (!fx)
		return NULL;
	fx->plan = plan;
	fx->family = family;
	fx->pgmaps = calloc(plan->nr_ranges, sizeof(*fx->pgmaps));
	if (!fx->pgmaps) {
		free(fx);
		return NULL;
	}
	for (r = 0; r < plan->nr_ranges; r++) {
		fx->pgmaps[r].nr_pages = plan->ranges[r].nr_pages;
		fx->pgmaps[r].owner = wl_owner(plan->ranges[r].dev);
	}
	if (family == FX_PFN) {
		err = fx_build_pfn(fx);
	} else if (family == FX_V6) {
#ifdef BENCH_HAVE_KBASE
		err = fx_build_v6(fx);
#else
		fx->enc = dpidx_enc_by_name("flat");
		err = fx_build_space(fx);
#endif
	} else {
		fx->enc = dpidx_encodings[family - FX_ENC];
		err = fx_build_space(fx);
	}
	if (!err)
		err = fx_keys(fx);
	if (err) {
		fprintf(stderr, "dpidx-bench: building %s for %s failed: %s\n",
			plan->name, fx_family_name(family), strerror(-err));
		fx_destroy(fx);
		return NULL;
	}
	fx->setup_ns = fx_now_ns() - t0;
	fx_thp(fx);
	return fx;
}

void fx_release_cache(void)
{
	fx_pfn_drop();
}

void fx_destroy(struct fixture *fx)
{
	if (!fx)
		return;
	fx_lfht_destroy(fx);
#ifdef BENCH_HAVE_KBASE
	if (fx->family == FX_V6) {
		unsigned long r;

		for (r = 0; r < fx->plan->nr_ranges; r++)
			if (fx->pgmaps[r].pages)
				dpidx_pgmap_free_pages(&fx->pgmaps[r], fx->pgmaps[r].pages);
	}
	kb_v6_destroy(fx->v6);
	kb_v6_destroy(fx->v6rcu);
	if (fx->xa)
		kb_xa_destroy(fx->xa);
#endif
	if (fx->space) {
		fx->enc->destroy(fx->space);
		free(fx->space);
	}
	if (fx->vmemmap)
		fx_pfn_give(fx->vmemmap, fx->vmemmap_pages);
	free(fx->pgmaps);
	free(fx->uniform);
	free(fx->zipf);
	free(fx->runs);
	free(fx->spans);
	free(fx->faults);
	free(fx);
}
