// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/workload.c - shapes, the map/unmap order that builds them, and keys.
 *
 * Holes: after every range is mapped (devices interleaved, as drivers
 * probing and faulting in parallel would), ranges i % 16 == 3 of a device
 * with 16 or more ranges are unmapped for good and ranges i % 16 == 11 are
 * unmapped and mapped again (at most WL_MAX_CHURN of each per device), so
 * the offset space has holes and remapped ranges land wherever the
 * encoding's allocator puts them.  A device with a single range first maps
 * and drops a one-chunk scratch range, so its big range does not start at
 * offset 0 either.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define WL_MAX_CHURN		256
#define WL_HOT_SET		65536UL
#define WL_ZIPF_S		0.99
#define WL_SEED			0x64706964785f6231ULL	/* "dpidx_b1" */
#define WL_GiB_PAGES		(1UL << 18)		/* 4 KiB pages per GiB */
/* What a v6 swap entry can carry: 2^34 offsets (DPIDX_SWP_PFN_BITS). */
#define WL_MAX_OFFSETS		(1UL << 34)

const char *const wl_shape_names[] = {
	"nouveau-64", "nouveau-1k", "nouveau-8k", "nouveau-64k",
	"hmm-64x256M", "kfd-1x64G", "multi-8x16G", NULL,
};

/* One device: @count ranges of @pages pages. */
struct wl_dev {
	unsigned long count;
	unsigned long pages;
	const char *like;
};

static char wl_owners[WL_MAX_DEVICES];

void *wl_owner(unsigned int dev)
{
	return &wl_owners[dev % WL_MAX_DEVICES];
}

static int wl_push_op(struct wl_plan *plan, enum wl_op_kind kind,
		      unsigned long range, unsigned long *cap)
{
	if (plan->nr_ops == *cap) {
		struct wl_op *ops;

		*cap = *cap ? *cap * 2 : 1024;
		ops = realloc(plan->ops, *cap * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		plan->ops = ops;
	}
	plan->ops[plan->nr_ops].kind = kind;
	plan->ops[plan->nr_ops].range = range;
	plan->nr_ops++;
	return 0;
}

static unsigned long wl_phys_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (unsigned long)pages * (unsigned long)size : 0;
}

/* The ranges and the operations, from the per-device description. */
static int wl_layout(struct wl_plan *plan, const struct wl_dev *devs,
		     unsigned int nr_devs)
{
	unsigned long first[WL_MAX_DEVICES], total = 0, cap = 0, step, max = 0;
	unsigned long d, i, r, scratch[WL_MAX_DEVICES];
	int err = 0;

	for (d = 0; d < nr_devs; d++) {
		scratch[d] = devs[d].count == 1;
		total += devs[d].count + scratch[d];
		if (devs[d].count > max)
			max = devs[d].count;
	}
	plan->nr_devices = nr_devs;
	plan->nr_ranges = total;
	plan->ranges = calloc(total, sizeof(*plan->ranges));
	if (!plan->ranges)
		return -ENOMEM;
	/* Scratch ranges first, then each device's ranges round robin. */
	r = 0;
	for (d = 0; d < nr_devs; d++) {
		if (!scratch[d])
			continue;
		plan->ranges[r] = (struct wl_range){ WL_RUN_PAGES, (unsigned int)d, false };
		err |= wl_push_op(plan, WL_MAP, r++, &cap);
	}
	for (d = 0; d < nr_devs; d++) {
		first[d] = r;
		r += devs[d].count;
	}
	for (step = 0; step < max; step++)
		for (d = 0; d < nr_devs; d++) {
			if (step >= devs[d].count)
				continue;
			i = first[d] + step;
			plan->ranges[i] = (struct wl_range){ devs[d].pages, (unsigned int)d, true };
			err |= wl_push_op(plan, WL_MAP, i, &cap);
		}
	for (r = 0; r < total; r++)
		plan->peak_pages += plan->ranges[r].nr_pages;
	for (r = 0; r < total; r++)
		if (!plan->ranges[r].mapped) {	/* the scratch ranges */
			err |= wl_push_op(plan, WL_UNMAP, r, &cap);
			plan->holes++;
		}
	for (d = 0; d < nr_devs; d++)
		for (i = 0; devs[d].count >= 16 && i < devs[d].count &&
			    i < 16 * WL_MAX_CHURN; i++)
			if (i % 16 == 3 || i % 16 == 11) {
				err |= wl_push_op(plan, WL_UNMAP, first[d] + i, &cap);
				if (i % 16 == 3) {
					plan->ranges[first[d] + i].mapped = false;
					plan->holes++;
				}
			}
	for (d = 0; d < nr_devs; d++)
		for (i = 11; devs[d].count >= 16 && i < devs[d].count &&
			     i < 16 * WL_MAX_CHURN; i += 16) {
			err |= wl_push_op(plan, WL_MAP, first[d] + i, &cap);
			plan->remapped++;
		}
	if (err)
		return -ENOMEM;
	for (r = 0; r < total; r++)
		if (plan->ranges[r].mapped) {
			plan->nr_mapped++;
			plan->mapped_pages += plan->ranges[r].nr_pages;
		}
	return 0;
}

/* Logical page @g (0 .. mapped_pages-1) -> key, through prefix sums. */
static struct wl_key wl_key_at(const struct wl_plan *plan,
			       const unsigned long *cum, const uint32_t *idx,
			       unsigned long g)
{
	unsigned long lo = 0, hi = plan->nr_mapped - 1, mid;

	while (lo < hi) {	/* last mapped range whose cum <= g */
		mid = (lo + hi + 1) / 2;
		if (cum[mid] <= g)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (struct wl_key){ idx[lo], (uint32_t)(g - cum[lo]) };
}

static int wl_keys(struct wl_plan *plan, unsigned long nr_keys)
{
	unsigned long *cum, r, n = 0, i, hot_nr, g;
	uint64_t seed = WL_SEED;
	struct wl_key *hot;
	uint32_t *idx;
	double *cdf, sum = 0;
	int err = -ENOMEM;

	cum = calloc(plan->nr_mapped, sizeof(*cum));
	idx = calloc(plan->nr_mapped, sizeof(*idx));
	hot_nr = plan->mapped_pages < WL_HOT_SET ? plan->mapped_pages : WL_HOT_SET;
	hot = calloc(hot_nr, sizeof(*hot));
	cdf = calloc(hot_nr, sizeof(*cdf));
	plan->nr_keys = nr_keys;
	plan->nr_runs = nr_keys / 64 ? nr_keys / 64 : 1;
	plan->uniform = calloc(nr_keys, sizeof(struct wl_key));
	plan->zipf = calloc(nr_keys, sizeof(struct wl_key));
	plan->runs = calloc(plan->nr_runs, sizeof(struct wl_key));
	if (!cum || !idx || !hot || !cdf || !plan->uniform || !plan->zipf || !plan->runs)
		goto out;
	for (r = 0, g = 0; r < plan->nr_ranges; r++) {
		if (!plan->ranges[r].mapped)
			continue;
		cum[n] = g;
		idx[n++] = (uint32_t)r;
		g += plan->ranges[r].nr_pages;
	}
	for (i = 0; i < nr_keys; i++)
		plan->uniform[i] = wl_key_at(plan, cum, idx,
					     wl_rand(&seed) % plan->mapped_pages);
	/* Zipf: rank k of a random hot set drawn with weight 1/k^s. */
	for (i = 0; i < hot_nr; i++) {
		hot[i] = wl_key_at(plan, cum, idx, wl_rand(&seed) % plan->mapped_pages);
		sum += 1.0 / pow((double)(i + 1), WL_ZIPF_S);
		cdf[i] = sum;
	}
	for (i = 0; i < nr_keys; i++) {
		double u = (double)(wl_rand(&seed) >> 11) / (double)(1ULL << 53) * sum;
		unsigned long lo = 0, hi = hot_nr - 1, mid;

		while (lo < hi) {	/* first rank with cdf > u */
			mid = (lo + hi) / 2;
			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		plan->zipf[i] = hot[lo];
	}
	/* Runs: 512-aligned starts inside ranges of at least 512 pages. */
	for (i = 0, n = 0; i < plan->nr_runs && n < 64 * plan->nr_runs; n++) {
		struct wl_key k = wl_key_at(plan, cum, idx,
					    wl_rand(&seed) % plan->mapped_pages);

		k.page &= ~(uint32_t)(WL_RUN_PAGES - 1);
		if (k.page + WL_RUN_PAGES > plan->ranges[k.range].nr_pages)
			continue;
		plan->runs[i++] = k;
	}
	plan->nr_runs = i;
	err = 0;
out:
	free(cum);
	free(idx);
	free(hot);
	free(cdf);
	return err;
}

static int wl_devices(const char *name, struct wl_dev *devs, unsigned int *nr,
		      char *what, unsigned long what_len)
{
	static const struct { const char *name; unsigned long count; const char *what; }
	nouveau[] = {
		{ "nouveau-64", 64, "nouveau-like: 64 x 2 MiB ranges (128 MiB)" },
		{ "nouveau-1k", 1024, "nouveau-like: 1,024 x 2 MiB ranges (2 GiB)" },
		{ "nouveau-8k", 8192, "nouveau-like: 8,192 x 2 MiB ranges (16 GiB)" },
		{ "nouveau-64k", 65536, "nouveau-like: 65,536 x 2 MiB ranges (128 GiB)" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(nouveau) / sizeof(nouveau[0]); i++)
		if (!strcmp(name, nouveau[i].name)) {
			devs[0] = (struct wl_dev){ nouveau[i].count, 512, "nouveau" };
			*nr = 1;
			snprintf(what, what_len, "%s", nouveau[i].what);
			return 0;
		}
	if (!strcmp(name, "hmm-64x256M")) {
		devs[0] = (struct wl_dev){ 64, 256 * 256, "test_hmm" };
		*nr = 1;
		snprintf(what, what_len, "test_hmm-like: 64 x 256 MiB ranges (16 GiB)");
		return 0;
	}
	if (!strcmp(name, "kfd-1x64G")) {
		devs[0] = (struct wl_dev){ 1, 64 * WL_GiB_PAGES, "amdkfd" };
		*nr = 1;
		snprintf(what, what_len, "amdkfd-like: 1 x 64 GiB range");
		return 0;
	}
	if (!strcmp(name, "multi-8x16G")) {
		static const struct wl_dev mix[4] = {
			{ 1, 16 * WL_GiB_PAGES, "amdkfd" },
			{ 64, 256 * 256, "test_hmm" },
			{ 8192, 512, "nouveau" },
			{ 2, 8 * WL_GiB_PAGES, "xe" },
		};

		for (i = 0; i < 8; i++)
			devs[i] = mix[i % 4];
		*nr = 8;
		snprintf(what, what_len, "8 devices x 16 GiB: 2 each amdkfd-like (1 range), "
			 "test_hmm-like (64), nouveau-like (8,192), xe-like (2); interleaved");
		return 0;
	}
	return -ENOENT;
}

int wl_plan_build(struct wl_plan *plan, const char *name, unsigned long nr_keys,
		  char *err, unsigned long err_len)
{
	struct wl_dev devs[WL_MAX_DEVICES];
	unsigned long phys = wl_phys_bytes(), total = 0;
	unsigned int nr = 0, d;
	unsigned long long ranges, pages;
	char tail;
	int ret;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->name, sizeof(plan->name), "%s", name);
	if (!strncmp(name, "custom:", 7)) {
		if (sscanf(name + 7, "%llux%llu%c", &ranges, &pages, &tail) != 2) {
			snprintf(err, err_len, "bad shape '%s': write custom:<ranges>x<pages>, "
				 "e.g. custom:100x512", name);
			return -EINVAL;
		}
		if (!ranges || !pages || ranges > (1ULL << 24) || pages > (1ULL << 32) - 1 ||
		    ranges * pages > WL_MAX_OFFSETS) {
			snprintf(err, err_len, "impossible shape '%s': need 1..16777216 ranges "
				 "of 1..4294967295 pages, at most 2^34 pages in all", name);
			return -EINVAL;
		}
		devs[0] = (struct wl_dev){ ranges, pages, "custom" };
		nr = 1;
		snprintf(plan->what, sizeof(plan->what), "custom: %llu x %llu pages",
			 ranges, pages);
	} else if (wl_devices(name, devs, &nr, plan->what, sizeof(plan->what))) {
		int len = snprintf(err, err_len, "unknown shape '%s': use one of", name);

		for (d = 0; wl_shape_names[d] && len > 0 && (unsigned long)len < err_len; d++)
			len += snprintf(err + len, err_len - len, " %s", wl_shape_names[d]);
		if (len > 0 && (unsigned long)len < err_len)
			snprintf(err + len, err_len - len, " or custom:<ranges>x<pages>");
		return -EINVAL;
	}
	for (d = 0; d < nr; d++)
		total += devs[d].count * devs[d].pages;
	/* One subject's descriptors (64 B/page) must fit in half of RAM. */
	if (phys && total * 64 > phys / 2) {
		snprintf(err, err_len, "shape '%s' needs %.1f GiB of descriptors but this "
			 "machine has %.1f GiB of RAM: pick a smaller shape", name,
			 total * 64.0 / (1UL << 30), (double)phys / (1UL << 30));
		return -EINVAL;
	}
	ret = wl_layout(plan, devs, nr);
	if (!ret)
		ret = wl_keys(plan, nr_keys);
	if (ret) {
		wl_plan_free(plan);
		snprintf(err, err_len, "out of memory building shape '%s'", name);
	}
	return ret;
}

void wl_plan_free(struct wl_plan *plan)
{
	free(plan->ranges);
	free(plan->ops);
	free(plan->uniform);
	free(plan->zipf);
	free(plan->runs);
	memset(plan, 0, sizeof(*plan));
}

unsigned long wl_plan_descriptor_bytes(const struct wl_plan *plan)
{
	return plan->peak_pages * 64;
}
