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
	return FX_V6;		/* lfht, mtree, xa */
}

/* pfn_to_page(): every mapped range laid out back to back in one array. */
static int fx_build_pfn(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long r, i, next = 0;

	fx->vmemmap_pages = plan->mapped_pages;
	fx->vmemmap = dpidx_vmemmap_alloc(plan->mapped_pages * sizeof(struct dpidx_page), -1);
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

/* An encoding's space (or, for v6, flat as the offset allocator). */
static int fx_build_space(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	size_t size = (fx->enc->space_size + 63) & ~(size_t)63;
	unsigned long i;
	int err;

	if (size > sizeof(fx->space_inline)) {
		fprintf(stderr, "dpidx-bench: %s: space of %zu bytes > %zu inline\n",
			fx->enc->name, size, sizeof(fx->space_inline));
		return -ENOMEM;
	}
	fx->space = fx->space_inline;
	memset(fx->space, 0, size);
	err = fx->enc->init(fx->space, plan->peak_pages);
	if (err) {
		fx->space = NULL;
		fprintf(stderr, "dpidx-bench: %s init(%lu pages) failed: %s\n",
			fx->enc->name, plan->peak_pages, strerror(-err));
		return err;
	}
#ifdef BENCH_HAVE_KBASE
	if (fx->family == FX_V6) {
		fx->mtree = kb_mtree_create();
		fx->xa = kb_xa_create();
		if (!fx->mtree || !fx->xa)
			return -ENOMEM;
	}
#endif
	for (i = 0; i < plan->nr_ops; i++) {
		const struct wl_op *op = &plan->ops[i];
		struct dpidx_pgmap *pgmap = &fx->pgmaps[op->range];

		if (op->kind == WL_MAP) {
			err = fx->enc->map(fx->space, pgmap, -1);
#ifdef BENCH_HAVE_KBASE
			/* v6: mtree_store_range(base, base + nr - 1, pgmap). */
			if (!err && fx->mtree)
				err = kb_mtree_store_range(fx->mtree, pgmap->base,
							   pgmap->base + pgmap->nr_pages - 1,
							   pgmap);
#endif
		} else {
#ifdef BENCH_HAVE_KBASE
			if (fx->mtree)
				kb_mtree_erase(fx->mtree, pgmap->base);
#endif
			err = fx->enc->unmap(fx->space, pgmap);
		}
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
#ifdef BENCH_HAVE_KBASE
	for (i = 0; i < plan->nr_ranges; i++) {
		struct dpidx_pgmap *pgmap = &fx->pgmaps[i];

		if (!plan->ranges[i].mapped)
			continue;
		err = kb_xa_store_range(fx->xa, pgmap->base,
					pgmap->base + pgmap->nr_pages - 1, pgmap);
		if (err)
			return err;
	}
#endif
	return fx_lfht_build(fx);
}

static int fx_keys(struct fixture *fx)
{
	const struct wl_plan *plan = fx->plan;
	unsigned long i;

	fx->uniform = malloc(plan->nr_keys * sizeof(unsigned long));
	fx->zipf = malloc(plan->nr_keys * sizeof(unsigned long));
	fx->runs = malloc((plan->nr_runs + 1) * sizeof(unsigned long));
	fx->faults = malloc(plan->nr_keys * sizeof(struct fault_key));
	if (!fx->uniform || !fx->zipf || !fx->runs || !fx->faults)
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
	for (i = 0; i < plan->nr_runs; i++)
		fx->runs[i] = fx->pgmaps[plan->runs[i].range].base + plan->runs[i].page;
	return 0;
}

/*
 * How much of the process's anonymous memory is on transparent huge pages
 * once the fixture is built: descriptors (dpidx_vmemmap_alloc) should be,
 * as vmemmap is in the kernel.  Process-wide, from smaps_rollup.
 */
static void fx_thp(struct fixture *fx)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	unsigned long kb;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Anonymous: %lu kB", &kb) == 1)
			fx->anon_kb = kb;
		else if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			fx->thp_kb = kb;
	}
	if (f)
		fclose(f);
}

struct fixture *fx_build(const struct wl_plan *plan, int family)
{
	struct fixture *fx = aligned_alloc(64, sizeof(*fx));
	unsigned long r, t0 = fx_now_ns();
	int err;

	if (!fx)
		return NULL;
	memset(fx, 0, sizeof(*fx));
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
	} else {
		fx->enc = family == FX_V6 ? dpidx_enc_by_name("flat") :
					    dpidx_encodings[family - FX_ENC];
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

void fx_destroy(struct fixture *fx)
{
	if (!fx)
		return;
	fx_lfht_destroy(fx);
#ifdef BENCH_HAVE_KBASE
	if (fx->mtree)
		kb_mtree_destroy(fx->mtree);
	if (fx->xa)
		kb_xa_destroy(fx->xa);
#endif
	if (fx->space) {
		fx->enc->destroy(fx->space);
	}
	if (fx->vmemmap)
		dpidx_vmemmap_free(fx->vmemmap, fx->vmemmap_pages * sizeof(struct dpidx_page));
	free(fx->pgmaps);
	free(fx->uniform);
	free(fx->zipf);
	free(fx->runs);
	free(fx->faults);
	free(fx);
}
