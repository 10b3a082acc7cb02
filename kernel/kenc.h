/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kenc.h - every encoding behind one table of function pointers, for
 * the kernel modules (tests/enc.h is its userspace twin and uses libc).
 *
 * Plugging in an encoding E takes its line in include/dpidx/encodings.h
 * (kenc_list.h expands that list); its header must provide the API.md
 * functions, DPIDX_<UE>_SWAP_TYPES, DPIDX_<UE>_MAX_PAGES and dpidx_E_check().
 */
#ifndef DPIDX_KERNEL_KENC_H
#define DPIDX_KERNEL_KENC_H

#include <dpidx/dpidx.h>

struct dpidx_kenc {
	const char *name;
	size_t space_size;
	unsigned int swap_types;
	bool caller_pages;		/* DPIDX_E_CALLER_PAGES */
	unsigned long max_pages;
	int (*init)(void *s, unsigned long max_pages);
	void (*destroy)(void *s);
	int (*map)(void *s, struct dpidx_pgmap *pgmap, int nid);
	int (*unmap)(void *s, struct dpidx_pgmap *pgmap);
	struct page *(*offset_to_page)(void *s, unsigned long offset);
	unsigned long (*page_to_offset)(const struct page *page);
	unsigned long (*lookup_range)(void *s, unsigned long offset,
				      unsigned long n, struct page **pages);
	u64 (*make_swp_pte)(unsigned long offset, enum dpidx_kind kind);
	bool (*swp_pte_is_device_private)(u64 pte);
	enum dpidx_kind (*swp_pte_kind)(u64 pte);
	unsigned long (*swp_pte_offset)(u64 pte);
	struct page *(*swp_pte_to_page)(void *s, u64 pte);
	int (*check)(void *s);
};

#define DPIDX_KENC_WRAP(E, UE)							\
static int E##_k_init(void *s, unsigned long m)					\
{										\
	return dpidx_##E##_init(s, m);						\
}										\
static void E##_k_destroy(void *s)						\
{										\
	dpidx_##E##_destroy(s);							\
}										\
static int E##_k_map(void *s, struct dpidx_pgmap *p, int nid)			\
{										\
	return dpidx_##E##_map(s, p, nid);					\
}										\
static int E##_k_unmap(void *s, struct dpidx_pgmap *p)				\
{										\
	return dpidx_##E##_unmap(s, p);						\
}										\
static struct page *E##_k_o2p(void *s, unsigned long o)				\
{										\
	return dpidx_##E##_offset_to_page(s, o);				\
}										\
static unsigned long E##_k_range(void *s, unsigned long o, unsigned long n,	\
				 struct page **pages)				\
{										\
	return dpidx_##E##_lookup_range(s, o, n, pages);			\
}										\
static struct page *E##_k_pte2p(void *s, u64 pte)				\
{										\
	return dpidx_##E##_swp_pte_to_page(s, pte);				\
}										\
static int E##_k_check(void *s)							\
{										\
	return dpidx_##E##_check(s);						\
}										\
static const struct dpidx_kenc dpidx_kenc_##E = {				\
	.name = #E,								\
	.space_size = sizeof(struct dpidx_##E),					\
	.swap_types = DPIDX_##UE##_SWAP_TYPES,					\
	.caller_pages = DPIDX_##UE##_CALLER_PAGES,				\
	.max_pages = DPIDX_##UE##_MAX_PAGES,					\
	.init = E##_k_init,							\
	.destroy = E##_k_destroy,						\
	.map = E##_k_map,							\
	.unmap = E##_k_unmap,							\
	.offset_to_page = E##_k_o2p,						\
	.page_to_offset = dpidx_##E##_page_to_offset,				\
	.lookup_range = E##_k_range,						\
	.make_swp_pte = dpidx_##E##_make_swp_pte,				\
	.swp_pte_is_device_private = dpidx_##E##_swp_pte_is_device_private,	\
	.swp_pte_kind = dpidx_##E##_swp_pte_kind,				\
	.swp_pte_offset = dpidx_##E##_swp_pte_offset,				\
	.swp_pte_to_page = E##_k_pte2p,						\
	.check = E##_k_check,							\
};

#define DPIDX_KENC(E, UE)	DPIDX_KENC_WRAP(E, UE)
#include "kenc_list.h"
#undef DPIDX_KENC

static const struct dpidx_kenc *const dpidx_kencs[] = {
#define DPIDX_KENC(E, UE)	(&dpidx_kenc_##E),
#include "kenc_list.h"
#undef DPIDX_KENC
};

#endif /* DPIDX_KERNEL_KENC_H */
