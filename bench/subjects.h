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
 *   mtree   family "v6": the kernel's own maple tree (bench/kbase), one
 *           mtree_store_range() per range -> pgmap, as v6 does
 *   xa      family "v6": the kernel's xarray, one multi-index store per range
 *
 * The v6 family's offsets are handed out by a flat space (first fit in
 * 512-offset chunks, like v6's mtree_alloc_range() into its offset tree);
 * the baselines then index the same pgmaps, so they resolve to the same
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
	struct kb_mtree *mtree;
	struct kb_xa *xa;
#endif
	/* Keys, in this fixture's offsets. */
	unsigned long *uniform;
	unsigned long *zipf;
	unsigned long *runs;
	struct fault_key *faults;	/* uniform keys as swap PTEs */
	unsigned int swap_types;	/* swap types the family's PTEs consume */
	unsigned long setup_ns;
	unsigned long anon_kb, thp_kb;	/* process-wide, after the build */
	/*
	 * The encoding's space, in the fixture: reached by address arithmetic
	 * from @fx, as pfn's vmemmap pointer is, not through a loaded pointer
	 * (in the kernel the space is a global, like vmemmap_base).
	 */
	unsigned char space_inline[4096] __attribute__((aligned(64)));
};

/* Build the fixture of @family for @plan; NULL with a message on failure. */
struct fixture *fx_build(const struct wl_plan *plan, int family);
void fx_destroy(struct fixture *fx);
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

/* Per page, as hmm_range_fault() resolves each PTE on its own today. */
static inline unsigned long lfht_range(struct fixture *fx, unsigned long offset,
				       unsigned long n, struct dpidx_page **pages)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		pages[i] = lfht_lookup(fx, offset + i);
	return n;
}

static inline struct dpidx_page *lfht_pte_to_page(struct fixture *fx, uint64_t pte)
{
	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))
		return NULL;
	return lfht_lookup(fx, dpidx_v6_swp_pte_offset(pte));
}

/* ---- mtree, xa: the kernel's own (bench/kbase) -------------------------- */

#ifdef BENCH_HAVE_KBASE
#define FX_KBASE_SUBJECT(S, load)						\
static inline struct dpidx_page *S##_lookup(struct fixture *fx,		\
					    unsigned long offset)		\
{										\
	return fx_pgmap_page((struct dpidx_pgmap *)load(fx->S, offset), offset); \
}										\
static inline unsigned long S##_range(struct fixture *fx, unsigned long offset,\
				      unsigned long n, struct dpidx_page **pages)\
{										\
	unsigned long i;							\
										\
	for (i = 0; i < n; i++)							\
		pages[i] = S##_lookup(fx, offset + i);				\
	return n;								\
}										\
static inline struct dpidx_page *S##_pte_to_page(struct fixture *fx,		\
						 uint64_t pte)			\
{										\
	if (unlikely(!dpidx_v6_swp_pte_is_device_private(pte)))		\
		return NULL;							\
	return S##_lookup(fx, dpidx_v6_swp_pte_offset(pte));			\
}
FX_KBASE_SUBJECT(mtree, kb_mtree_load)
FX_KBASE_SUBJECT(xa, kb_xa_load)
#define BENCH_FOR_EACH_KBASE(X)	X(mtree) X(xa)
#else
#define BENCH_FOR_EACH_KBASE(X)
#endif

/* ---- the encodings: straight to their inline API ------------------------ */

#define FX_ENC_SUBJECT(E, UE)							\
static inline struct dpidx_page *E##_lookup(struct fixture *fx,		\
					    unsigned long offset)		\
{										\
	return dpidx_##E##_offset_to_page((struct dpidx_##E *)fx->space_inline, offset); \
}										\
static inline unsigned long E##_range(struct fixture *fx, unsigned long offset,\
				      unsigned long n, struct dpidx_page **pages)\
{										\
	return dpidx_##E##_lookup_range((struct dpidx_##E *)fx->space_inline, offset,	\
					n, pages);				\
}										\
static inline struct dpidx_page *E##_pte_to_page(struct fixture *fx,		\
						 uint64_t pte)			\
{										\
	return dpidx_##E##_swp_pte_to_page((struct dpidx_##E *)fx->space_inline, pte); \
}
DPIDX_FOR_EACH_ENCODING(FX_ENC_SUBJECT)

#endif /* DPIDX_BENCH_SUBJECTS_H */
