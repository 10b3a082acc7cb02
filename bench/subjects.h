/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * bench/subjects.h - what is measured: every encoding and every baseline,
 * each as a handful of static inline hot paths, dispatched at compile time.
 *
 * Coding conventions in this file:
 *   @fx      a fixture: one shape, built for one family of subjects
 *   @S       a subject: an encoding (flat, maple, tag: whatever
 *            tests/enc.h's DPIDX_FOR_EACH_ENCODING lists) or a baseline
 *   @offset  a device-private offset in that subject's own offset space
 *
 * Subjects, and the family (the fixture) they are measured on:
 *
 *   pfn     family "pfn": today's pfn_to_page() under SPARSEMEM_VMEMMAP,
 *           the physical limit: one contiguous descriptor array,
 *           page = vmemmap + offset, no index load at all
 *   E       family E: dpidx_E_* from include/dpidx/E.h, one per encoding
 *   lfht    family "v6": liburcu's RCU lock-free hash table, one node per
 *           512-offset chunk -> pgmap, then pgmap->pages[offset - base]
 *   v6      family "v6": the kernel's own maple tree (bench/kbase) exactly
 *           as the series declares it: MT_FLAGS_ALLOC_RANGE, no RCU flag,
 *           byte keys (offset << PAGE_SHIFT), offsets from
 *           mtree_alloc_range(); mtree_load() then pgmap->pages[off - base]
 *   v6rcu   family "v6": the same tree with MT_FLAGS_USE_RCU ("v6 + RCU",
 *           what lockless readers need)
 *   xa      family "v6": the kernel's xarray, one multi-index store per range
 *
 * The v6 family's offsets are handed out by v6's own mtree_alloc_range()
 * (without kbase: by a flat space, first fit in 512-offset chunks); the
 * other baselines index the same pgmaps, so they resolve to the same
 * descriptors.
 *
 * Each subject S provides, all static inline (no function pointer in any
 * timed loop; the lfht and kbase lookups are out-of-line library calls,
 * as they are for their users):
 *
 *   S_lookup(fx, offset)              offset -> descriptor or NULL
 *   S_range(fx, offset, n, pages)     lookup_range()
 *   S_pte_to_page(fx, pte)            swap PTE -> descriptor or NULL
 */
#ifndef DPIDX_BENCH_SUBJECTS_H
#define DPIDX_BENCH_SUBJECTS_H

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "enc.h"		/* tests/enc.h: DPIDX_FOR_EACH_ENCODING */
#include "workload.h"

#ifdef BENCH_HAVE_KBASE
#include "kbase.h"
#endif

/* span512 windows start this many pages before the end of a range. */
#define FX_SPAN_TAIL	200UL

/* The fault-path key: what do_swap_page() holds before resolving. */
struct fault_key {
	uint64_t pte;
	void *owner;		/* the owner the caller expects (dev_private_owner) */
};

enum fx_family {
	FX_PFN,
	FX_V6,
	FX_ENC,			/* FX_ENC + i: dpidx_encodings[i] */
};

struct fx_chunk_node {
	struct cds_lfht_node node;
	unsigned long chunk;
	struct dpidx_pgmap *pgmap;
	struct rcu_head rcu;
};

struct fixture {
	const struct wl_plan *plan;
	int family;
	const struct dpidx_enc *enc;	/* FX_ENC (and the allocator of FX_V6) */
	void *space;
	struct dpidx_pgmap *pgmaps;	/* plan->nr_ranges */
	/* FX_PFN */
	struct dpidx_page *vmemmap;
	unsigned long vmemmap_pages;
	/* FX_V6 */
	struct cds_lfht *lfht;
	struct fx_chunk_node *lfht_nodes;
	unsigned long lfht_nr;
#ifdef BENCH_HAVE_KBASE
	struct kb_v6 *v6, *v6rcu;
	struct kb_xa *xa;
#endif
	/* Keys, in this fixture's offsets. */
	unsigned long *uniform;
	unsigned long *zipf;
	unsigned long *runs;
	unsigned long *spans;		/* 200 pages before a range's end */
	struct fault_key *faults;	/* uniform keys as swap PTEs */
	unsigned int swap_types;	/* swap types the family's PTEs consume */
	unsigned long setup_ns;
	unsigned long desc_kb, desc_thp_kb;	/* mappings holding descriptors */
	unsigned long heap_kb, heap_thp_kb;	/* the malloc heap (index nodes) */
};

/* Build the fixture of @family for @plan; NULL with a message on failure. */
struct fixture *fx_build(const struct wl_plan *plan, int family);
void fx_destroy(struct fixture *fx);
/* Free what fx_destroy() keeps for the next build (the pfn array). */
void fx_release_cache(void);
const char *fx_family_name(int family);
int fx_family_by_subject(const char *subject);

/* ---- pfn: the physical limit ------------------------------------------- */

static inline struct dpidx_page *pfn_lookup(struct fixture *fx, unsigned long offset)
{
	return fx->vmemmap + offset;	/* pfn_to_page(): base + offset * 64 */
}

static inline unsigned long pfn_range(struct fixture *fx, unsigned long offset,
				      unsigned long n, struct dpidx_page **pages)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		pages[i] = fx->vmemmap + offset + i;
	return n;
}

/* Today's device-private entry: a device swap type and a (fake) PFN. */
static inline struct dpidx_page *pfn_pte_to_page(struct fixture *fx, uint64_t pte)
{
	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))
		return NULL;
	return pfn_lookup(fx, dpidx_v6_swp_pte_offset(pte));
}

/* ---- lfht: liburcu's RCU hash table, keyed by chunk --------------------- */

static inline unsigned long fx_chunk_hash(unsigned long chunk)
{
	uint64_t h = chunk * 0x9e3779b97f4a7c15ULL;

	return (unsigned long)(h ^ (h >> 29));
}

static inline int fx_chunk_match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct fx_chunk_node, node)->chunk ==
	       *(const unsigned long *)key;
}

static inline struct dpidx_pgmap *lfht_pgmap(struct fixture *fx, unsigned long offset)
{
	unsigned long chunk = offset >> 9;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	cds_lfht_lookup(fx->lfht, fx_chunk_hash(chunk), fx_chunk_match, &chunk, &iter);
	node = cds_lfht_iter_get_node(&iter);
	return node ? caa_container_of(node, struct fx_chunk_node, node)->pgmap : NULL;
}

/* pgmap (or NULL) -> descriptor, v6's pgmap->pages[offset - base]. */
static inline struct dpidx_page *fx_pgmap_page(struct dpidx_pgmap *pgmap,
					       unsigned long offset)
{
	if (unlikely(!pgmap || offset - pgmap->base >= pgmap->nr_pages))
		return NULL;
	return pgmap->pages + (offset - pgmap->base);
}

static inline struct dpidx_page *lfht_lookup(struct fixture *fx, unsigned long offset)
{
	return fx_pgmap_page(lfht_pgmap(fx, offset), offset);
}

/* ---- v6, v6rcu, xa: the kernel's own (bench/kbase) ----------------------- */

/*
 * hmm_range_fault() for a pgmap-indexed baseline, batched as v6 could do
 * it: one index lookup per pgmap crossed, then pgmap->pages[] for every
 * offset of the window inside that pgmap; an offset no pgmap covers costs
 * one lookup and resolves to NULL.
 */
#define FX_PGMAP_RANGE(S)							\
static inline unsigned long S##_range(struct fixture *fx, unsigned long offset,\
				      unsigned long n, struct dpidx_page **pages)\
{										\
	unsigned long i = 0;							\
										\
	while (i < n) {								\
		struct dpidx_pgmap *pgmap = S##_pgmap(fx, offset + i);		\
		unsigned long end;						\
										\
		if (!pgmap || offset + i - pgmap->base >= pgmap->nr_pages) {	\
			pages[i++] = NULL;					\
			continue;						\
		}								\
		end = pgmap->base + pgmap->nr_pages - offset;			\
		if (end > n)							\
			end = n;						\
		for (; i < end; i++)						\
			pages[i] = pgmap->pages + (offset + i - pgmap->base);	\
	}									\
	return n;								\
}

#define FX_PGMAP_PTE(S)								\
static inline struct dpidx_page *S##_pte_to_page(struct fixture *fx,		\
						 uint64_t pte)			\
{										\
	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))		\
		return NULL;							\
	return S##_lookup(fx, dpidx_v6_swp_pte_offset(pte));			\
}

FX_PGMAP_RANGE(lfht)
FX_PGMAP_PTE(lfht)

#ifdef BENCH_HAVE_KBASE
/*
 * v6's device_private_offset_to_page(): mtree_load() (which takes
 * rcu_read_lock() itself) then &pgmap->pages[offset - base], no bounds
 * check: the tree's range is the pgmap's.
 */
#define FX_V6_SUBJECT(S)							\
static inline struct dpidx_pgmap *S##_pgmap(struct fixture *fx,		\
					    unsigned long offset)		\
{										\
	return (struct dpidx_pgmap *)kb_v6_load(fx->S, offset);			\
}										\
static inline struct dpidx_page *S##_lookup(struct fixture *fx,		\
					    unsigned long offset)		\
{										\
	struct dpidx_pgmap *pgmap = S##_pgmap(fx, offset);			\
										\
	return likely(pgmap) ? &pgmap->pages[offset - pgmap->base] : NULL;	\
}										\
FX_PGMAP_RANGE(S)								\
FX_PGMAP_PTE(S)
FX_V6_SUBJECT(v6)
FX_V6_SUBJECT(v6rcu)

static inline struct dpidx_pgmap *xa_pgmap(struct fixture *fx, unsigned long offset)
{
	return (struct dpidx_pgmap *)kb_xa_load(fx->xa, offset);
}

static inline struct dpidx_page *xa_lookup(struct fixture *fx, unsigned long offset)
{
	return fx_pgmap_page(xa_pgmap(fx, offset), offset);
}
FX_PGMAP_RANGE(xa)
FX_PGMAP_PTE(xa)
#define BENCH_FOR_EACH_KBASE(X)	X(v6) X(v6rcu) X(xa)
#else
#define BENCH_FOR_EACH_KBASE(X)
#endif

/* ---- the encodings: straight to their inline API ------------------------ */

#define FX_ENC_SUBJECT(E, UE)							\
static inline struct dpidx_page *E##_lookup(struct fixture *fx,		\
					    unsigned long offset)		\
{										\
	return dpidx_##E##_offset_to_page((struct dpidx_##E *)fx->space, offset); \
}										\
static inline unsigned long E##_range(struct fixture *fx, unsigned long offset,\
				      unsigned long n, struct dpidx_page **pages)\
{										\
	return dpidx_##E##_lookup_range((struct dpidx_##E *)fx->space, offset,	\
					n, pages);				\
}										\
static inline struct dpidx_page *E##_pte_to_page(struct fixture *fx,		\
						 uint64_t pte)			\
{										\
	return dpidx_##E##_swp_pte_to_page((struct dpidx_##E *)fx->space, pte); \
}
DPIDX_FOR_EACH_ENCODING(FX_ENC_SUBJECT)

#endif /* DPIDX_BENCH_SUBJECTS_H */
