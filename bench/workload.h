/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * bench/workload.h - the one workload definition every encoding and every
 * baseline is measured on.
 *
 * Coding conventions in this file:
 *   @shape  a named configuration of devices and ranges (DESIGN.md's table)
 *   @plan   the shape expanded: the ranges, and the order of map/unmap
 *           operations that builds it (leaving realistic holes)
 *   @range  an index into plan->ranges; one struct dpidx_pgmap each
 *   @key    a logical page: (range, page index in the range).  Keys are the
 *           same for every subject; each subject turns them into its own
 *           offsets (pgmap->base + page) once, before timing.
 *
 * Everything is deterministic: fixed seeds, no time, no addresses.
 */
#ifndef DPIDX_BENCH_WORKLOAD_H
#define DPIDX_BENCH_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#define WL_RUN_PAGES		512	/* hmm_range_fault() run: one PMD */
#define WL_MAX_DEVICES		8

struct wl_range {
	unsigned long nr_pages;
	unsigned int dev;		/* owner: one cookie per device */
	bool mapped;			/* still mapped once the plan is done */
};

enum wl_op_kind { WL_MAP, WL_UNMAP };

struct wl_op {
	enum wl_op_kind kind;
	unsigned long range;
};

struct wl_key {
	uint32_t range;
	uint32_t page;
};

struct wl_plan {
	char name[64];
	char what[160];
	unsigned int nr_devices;
	unsigned long nr_ranges;	/* every range ever mapped */
	struct wl_range *ranges;
	unsigned long nr_ops;
	struct wl_op *ops;
	unsigned long nr_mapped;	/* ranges mapped at the end */
	unsigned long mapped_pages;	/* pages mapped at the end */
	unsigned long peak_pages;	/* most pages mapped at any point */
	unsigned long holes;		/* ranges left unmapped (holes) */
	unsigned long remapped;		/* ranges unmapped and mapped again */
	/* Keys, over the ranges mapped at the end. */
	unsigned long nr_keys;		/* uniform and zipf each */
	struct wl_key *uniform;		/* uniform over mapped pages */
	struct wl_key *zipf;		/* zipfian (s = 0.99) over a hot set */
	unsigned long nr_runs;
	struct wl_key *runs;		/* starts of 512-page runs, 512-aligned */
};

/* The built-in shape names, NULL-terminated; the default run uses them all. */
extern const char *const wl_shape_names[];

/*
 * Expand @name (a built-in shape, or "custom:<ranges>x<pages>") into @plan.
 * @nr_keys: keys per pattern (a power of two).
 * Return: 0, or -EINVAL with a one-line reason in @err (unknown name,
 * impossible size), or -ENOMEM.
 */
int wl_plan_build(struct wl_plan *plan, const char *name, unsigned long nr_keys,
		  char *err, unsigned long err_len);
void wl_plan_free(struct wl_plan *plan);

/* Descriptor bytes one subject needs for @plan (64 B per mapped page). */
unsigned long wl_plan_descriptor_bytes(const struct wl_plan *plan);

/* The owner cookie of device @dev (a stable, never-dereferenced pointer). */
void *wl_owner(unsigned int dev);

/* Deterministic 64-bit generator (splitmix64). */
static inline uint64_t wl_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* DPIDX_BENCH_WORKLOAD_H */
