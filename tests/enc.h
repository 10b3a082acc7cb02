/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * tests/enc.h - every encoding behind one table of function pointers, so
 * that each shared suite (conformance, model, stress, failure injection,
 * fuzz) is written once and run against all of them.
 *
 * Plugging in an encoding E takes one line in include/dpidx/encodings.h
 * (DPIDX_FOR_EACH_ENCODING) and needs from its header: the API.md
 * functions, DPIDX_E_SWAP_TYPES, DPIDX_E_MAX_PAGES (the largest max_pages
 * init() accepts), DPIDX_E_MAX_RANGES (how many ranges init() promises to
 * hold its max_pages in; ~0UL when only max_pages bounds them) and
 * dpidx_E_check() (structural invariants; 0 or a negative errno; called with
 * no writer running).
 */
#ifndef DPIDX_TESTS_ENC_H
#define DPIDX_TESTS_ENC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dpidx/dpidx.h>

struct dpidx_enc {
	const char *name;
	size_t space_size;
	unsigned int swap_types;
	unsigned long max_pages;
	unsigned long max_ranges;
	bool caller_pages;		/* DPIDX_E_CALLER_PAGES */
	int (*init)(void *s, unsigned long max_pages);
	void (*destroy)(void *s);
	int (*map)(void *s, struct dpidx_pgmap *pgmap, int nid);
	int (*unmap)(void *s, struct dpidx_pgmap *pgmap);
	struct dpidx_page *(*offset_to_page)(void *s, unsigned long offset);
	unsigned long (*page_to_offset)(const struct dpidx_page *page);
	unsigned long (*lookup_range)(void *s, unsigned long offset,
				      unsigned long n, struct dpidx_page **pages);
	uint64_t (*make_swp_pte)(unsigned long offset, enum dpidx_kind kind);
	bool (*swp_pte_is_device_private)(uint64_t pte);
	enum dpidx_kind (*swp_pte_kind)(uint64_t pte);
	unsigned long (*swp_pte_offset)(uint64_t pte);
	struct dpidx_page *(*swp_pte_to_page)(void *s, uint64_t pte);
	int (*check)(void *s);
};

#define DPIDX_ENC_WRAP(E, UE)							\
static int E##_t_init(void *s, unsigned long m)					\
{ return dpidx_##E##_init((struct dpidx_##E *)s, m); }				\
static void E##_t_destroy(void *s)						\
{ dpidx_##E##_destroy((struct dpidx_##E *)s); }					\
static int E##_t_map(void *s, struct dpidx_pgmap *p, int nid)			\
{ return dpidx_##E##_map((struct dpidx_##E *)s, p, nid); }			\
static int E##_t_unmap(void *s, struct dpidx_pgmap *p)				\
{ return dpidx_##E##_unmap((struct dpidx_##E *)s, p); }			\
static struct dpidx_page *E##_t_o2p(void *s, unsigned long o)			\
{ return dpidx_##E##_offset_to_page((struct dpidx_##E *)s, o); }		\
static unsigned long E##_t_range(void *s, unsigned long o, unsigned long n,	\
				 struct dpidx_page **pages)			\
{ return dpidx_##E##_lookup_range((struct dpidx_##E *)s, o, n, pages); }	\
static struct dpidx_page *E##_t_pte2p(void *s, uint64_t pte)			\
{ return dpidx_##E##_swp_pte_to_page((struct dpidx_##E *)s, pte); }		\
static int E##_t_check(void *s)							\
{ return dpidx_##E##_check((struct dpidx_##E *)s); }				\
static const struct dpidx_enc dpidx_enc_##E = {					\
	.name = #E,								\
	.space_size = sizeof(struct dpidx_##E),					\
	.swap_types = DPIDX_##UE##_SWAP_TYPES,					\
	.max_pages = DPIDX_##UE##_MAX_PAGES,					\
	.max_ranges = DPIDX_##UE##_MAX_RANGES,					\
	.caller_pages = DPIDX_##UE##_CALLER_PAGES,				\
	.init = E##_t_init,							\
	.destroy = E##_t_destroy,						\
	.map = E##_t_map,							\
	.unmap = E##_t_unmap,							\
	.offset_to_page = E##_t_o2p,						\
	.page_to_offset = dpidx_##E##_page_to_offset,				\
	.lookup_range = E##_t_range,						\
	.make_swp_pte = dpidx_##E##_make_swp_pte,				\
	.swp_pte_is_device_private = dpidx_##E##_swp_pte_is_device_private,	\
	.swp_pte_kind = dpidx_##E##_swp_pte_kind,				\
	.swp_pte_offset = dpidx_##E##_swp_pte_offset,				\
	.swp_pte_to_page = E##_t_pte2p,						\
	.check = E##_t_check,							\
};

/* DPIDX_FOR_EACH_ENCODING: include/dpidx/encodings.h, the one list. */
DPIDX_FOR_EACH_ENCODING(DPIDX_ENC_WRAP)

#define DPIDX_ENC_ADDR(E, UE)	&dpidx_enc_##E,
static const struct dpidx_enc *const dpidx_encodings[] = {
	DPIDX_FOR_EACH_ENCODING(DPIDX_ENC_ADDR)
};
#define DPIDX_NR_ENCODINGS (sizeof(dpidx_encodings) / sizeof(dpidx_encodings[0]))

/* The encoding named on the command line; exits with a usage line if unknown. */
static inline const struct dpidx_enc *dpidx_enc_by_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < DPIDX_NR_ENCODINGS; i++)
		if (!strcmp(dpidx_encodings[i]->name, name))
			return dpidx_encodings[i];
	fprintf(stderr, "unknown encoding '%s'; one of:", name ? name : "(none)");
	for (i = 0; i < DPIDX_NR_ENCODINGS; i++)
		fprintf(stderr, " %s", dpidx_encodings[i]->name);
	fprintf(stderr, "\n");
	exit(2);
}

#endif /* DPIDX_TESTS_ENC_H */
