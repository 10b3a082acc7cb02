// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgmap_numa.c - where a booted kernel puts the struct pages of a
 * MEMORY_DEVICE_PRIVATE pgmap: on every online node N, register one with
 * memremap_pages(pgmap, N) and check, KTAP, that
 *   - every page backing its struct pages is on node N (lookup_address()
 *     of each page of the memmap, then page_to_nid() of what maps it);
 *   - pfn_to_page() and page_to_pfn() are each other's inverse for its
 *     first and last page;
 *   - where device-private pages take no physical range
 *     (DEVICE_PRIVATE_NO_PHYS_RANGE, direct), their PFNs lie above
 *     MAX_PHYSMEM_BITS of the paging mode in force and pfn_valid() is
 *     false for them;
 * then unregister it.  The same checks hold in stock 6.12, whose
 * device-private memmap is vmemmap populated on the pgmap's node: the
 * stage runs them on the stock control too.
 *
 *   insmod pgmap_numa.ko [mib=64]   fails (-EINVAL) when a check fails
 */
#include <linux/module.h>
#include <linux/memremap.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <asm/pgtable.h>

#ifndef DEVICE_PRIVATE_NO_PHYS_RANGE
#define DEVICE_PRIVATE_NO_PHYS_RANGE	0
#endif

static unsigned int mib = 64;
module_param(mib, uint, 0444);
MODULE_PARM_DESC(mib, "size of each node's pgmap, MiB");

static int numa_owner;

static void numa_page_free(struct page *page)
{
}

/* Never called: no page of these pgmaps is ever handed to a process. */
static vm_fault_t numa_migrate_to_ram(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops numa_ops = {
	.page_free = numa_page_free,
	.migrate_to_ram = numa_migrate_to_ram,
};

/*
 * The node of the memory behind each page of [@first, @last]'s memmap.
 * Return: how many of those pages are not on @nid, or are not mapped.
 */
static unsigned long numa_memmap_off_node(struct page *first, struct page *last,
					  int nid, unsigned long *pages)
{
	unsigned long addr = (unsigned long)first & PAGE_MASK;
	unsigned long end = (unsigned long)(last + 1), off = 0;
	unsigned int level;
	pte_t *pte;

	for (*pages = 0; addr < end; addr += PAGE_SIZE, (*pages)++) {
		pte = lookup_address(addr, &level);
		/* A large mapping's entry reads as a PTE here (x86). */
		if (!pte || !pte_present(*pte)) {
			off++;
			continue;
		}
		if (page_to_nid(pte_page(*pte)) != nid)
			off++;
	}
	return off;
}

/* Register one pgmap on @nid, check it (KTAP test @n), unregister it. */
static int numa_check_node(int nid, int n)
{
	unsigned long size = (unsigned long)mib << 20, pfn, last_pfn, pages, off;
	struct resource *res = NULL;
	struct dev_pagemap *pgmap;
	struct page *first, *last;
	bool ok = true;
	void *addr;
	int err = 0;

	pgmap = kzalloc(sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return -ENOMEM;
	pgmap->range.end = size - 1;
	if (!DEVICE_PRIVATE_NO_PHYS_RANGE) {
		res = request_free_mem_region(&iomem_resource, size, "pgmap_numa");
		if (IS_ERR(res)) {
			err = PTR_ERR(res);
			goto out;
		}
		pgmap->range.start = res->start;
		pgmap->range.end = res->end;
	}
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->nr_range = 1;
	pgmap->ops = &numa_ops;
	pgmap->owner = &numa_owner;
	addr = memremap_pages(pgmap, nid);
	if (IS_ERR(addr)) {
		err = PTR_ERR(addr);
		goto out_res;
	}
	pfn = PHYS_PFN(pgmap->range.start);
	last_pfn = PHYS_PFN(pgmap->range.end);
	first = pfn_to_page(pfn);
	last = pfn_to_page(last_pfn);
	off = numa_memmap_off_node(first, last, nid, &pages);
	pr_info("# pgmap_numa: node %d: pfn %#lx-%#lx, memmap %px, %lu pages of it, %lu off node, la57 %d\n",
		nid, pfn, last_pfn, first, pages, off, pgtable_l5_enabled());
	if (off || page_to_pfn(first) != pfn || page_to_pfn(last) != last_pfn)
		ok = false;
	if (DEVICE_PRIVATE_NO_PHYS_RANGE &&
	    (pfn < (1UL << (MAX_PHYSMEM_BITS - PAGE_SHIFT)) || pfn_valid(pfn)))
		ok = false;
	pr_info("%s %d node %d: device-private memmap on its node\n",
		ok ? "ok" : "not ok", n, nid);
	memunmap_pages(pgmap);
out_res:
	if (res)
		release_mem_region(res->start, resource_size(res));
out:
	kfree(pgmap);
	if (!err && !ok)
		err = -EINVAL;
	return err;
}

static int __init numa_init(void)
{
	int nid, n = 0, err = 0, e;

	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", num_online_nodes());
	for_each_online_node(nid) {
		e = numa_check_node(nid, ++n);
		if (e) {
			if (e != -EINVAL)
				pr_info("not ok %d node %d: registration failed: %d\n", n, nid, e);
			err = e;
		}
	}
	return err;
}

static void __exit numa_exit(void)
{
}

module_init(numa_init);
module_exit(numa_exit);
MODULE_DESCRIPTION("dpidx stage check: device-private memmap on the pgmap's node");
MODULE_LICENSE("GPL");
