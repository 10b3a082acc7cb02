// SPDX-License-Identifier: GPL-2.0-only
/*
 * device_private.c - the mm/memremap.c half of the import kit: one global
 * device-private offset space on dpidx's default encoding, the upstream
 * series' device_private_offset_to_page()/device_private_page_to_offset(),
 * and the hooks memremap_pages()/memunmap_pages() call for
 * MEMORY_DEVICE_PRIVATE ranges.
 *
 * Lifetime: a range stays mapped while any swap entry or reference to its
 * pages exists (memunmap_pages() waits for the pgmap's references to drop
 * before calling device_private_remove_range()), so a page returned for an
 * offset taken from a live entry outlives the RCU section of the lookup.
 */
#include "device_private.h"

static struct dpidx_space device_private_space;

/**
 * device_private_space_init() - set up the device-private offset space.
 * @max_pages: device-private pages the machine may ever map at once.
 *
 * Context: process context, may sleep; once, before the first range.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int device_private_space_init(unsigned long max_pages)
{
	return dpidx_init(&device_private_space, max_pages);
}

/**
 * device_private_space_exit() - tear the space down.
 *
 * Context: may sleep; no range may be added or removed concurrently.
 */
void device_private_space_exit(void)
{
	dpidx_destroy(&device_private_space);
}

/**
 * device_private_add_range() - give a device-private range its offsets.
 * @range: nr_pages and owner filled in, the rest zeroed.
 * @nid:   node for the range's struct pages, or NUMA_NO_NODE.
 *
 * Allocates @range->pages and publishes @range->base .. base + nr_pages - 1.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL, -ENOSPC or -ENOMEM; on failure nothing changed.
 */
int device_private_add_range(struct dpidx_pgmap *range, int nid)
{
	return dpidx_map(&device_private_space, range, nid);
}

/**
 * device_private_remove_range() - retire a range's offsets.
 * @range: a range added by device_private_add_range().
 *
 * Lookups of its offsets fail at once; its struct pages are freed after an
 * RCU grace period, before this returns.
 *
 * Context: may sleep; not under rcu_read_lock().
 * Return: 0, -EINVAL or -ENOENT.
 */
int device_private_remove_range(struct dpidx_pgmap *range)
{
	return dpidx_unmap(&device_private_space, range);
}

/**
 * device_private_offset_to_page() - the page of a device-private offset.
 * @offset: from a device-private swap entry or HMM/migrate PFN value.
 *
 * Context: any, including atomic; the caller holds what keeps the range
 * mapped (the entry's PTL, a page or pgmap reference).
 * Return: the page, or NULL when no range holds @offset.
 */
struct page *device_private_offset_to_page(unsigned long offset)
{
	struct page *page;

	rcu_read_lock();
	page = dpidx_offset_to_page(&device_private_space, offset);
	rcu_read_unlock();
	return page;
}
EXPORT_SYMBOL_GPL(device_private_offset_to_page);

/**
 * device_private_page_to_offset() - the device-private offset of a page.
 * @page: a page of a mapped device-private range.
 *
 * Context: any; no index is read, the page points at its range.
 * Return: its offset.
 */
unsigned long device_private_page_to_offset(const struct page *page)
{
	return dpidx_page_to_offset(page);
}
EXPORT_SYMBOL_GPL(device_private_page_to_offset);
