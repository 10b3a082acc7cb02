// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgmap_scale.c - device-private memory at scale in a booted kernel: one
 * MEMORY_DEVICE_PRIVATE pgmap of @gib GiB (default 64, four times what the
 * direct series held before its PMD-mapped region), then KTAP:
 *   1 registered: memremap_pages() takes it; what it cost in free memory
 *     (the struct pages: 64 bytes per 4 KiB page, 1.56 %);
 *   2 first page: an anonymous page of this process migrates to the pgmap's
 *     first device page, reads back through a CPU fault (migrate_to_ram)
 *     with its contents;
 *   3 last page: the same with the last device page;
 *   4 no leak: after memunmap_pages(), no page of the pgmap's memmap is
 *     mapped writable any more (direct: every 2 MiB block of it maps the
 *     shared read-only hole again, so its block was given back; stock:
 *     vmemmap unmapped), where all were while it was registered; free
 *     memory is back to where it was before, within @slack_mib (default
 *     1/8 of the struct pages: the page allocator's per-CPU lists keep
 *     tens of MiB of what was freed, out of NR_FREE_PAGES' count), and
 *     neither the registration nor the unregistration left more page
 *     tables (PageTables, measured around each: the round trips' own
 *     user page table stays with the insmod process).
 * A registration of the same size comes first, uncounted, so that what is
 * kept for good is not counted as a leak: the space, which the first
 * registration sets up (direct: the region's PMD tables and its zeroed
 * hole), and the page allocator's per-CPU lists, which fill up when a GiB
 * of struct pages is freed and which NR_FREE_PAGES does not count.
 * Stock 6.12 runs the same checks (its pgmap takes a free physical range
 * and vmemmap sections): the stage runs it on the stock control too.
 *
 *   insmod pgmap_scale.ko [gib=64] [slack_mib=gib*2]   fails when a check fails
 */
#include <linux/module.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/ioport.h>
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#ifndef DEVICE_PRIVATE_NO_PHYS_RANGE
#define DEVICE_PRIVATE_NO_PHYS_RANGE	0
#endif

static unsigned int gib = 64;
module_param(gib, uint, 0444);
MODULE_PARM_DESC(gib, "size of the pgmap, GiB");
static unsigned int slack_mib;
module_param(slack_mib, uint, 0444);
MODULE_PARM_DESC(slack_mib, "free memory a removed pgmap may leave missing, MiB (0: gib * 2)");

static int scale_owner;

/* A device page's contents live in the system page zone_device_data names. */
static void scale_page_free(struct page *page)
{
	struct page *backing = page->zone_device_data;

	page->zone_device_data = NULL;
	if (backing)
		__free_page(backing);
}

/* A CPU fault on a device-private entry of ours: back to a system page. */
static vm_fault_t scale_migrate_to_ram(struct vm_fault *vmf)
{
	unsigned long start = vmf->address & PAGE_MASK, src = 0, dst = 0;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = start,
		.end = start + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = &scale_owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};
	struct page *dpage, *npage;

	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	if (src & MIGRATE_PFN_MIGRATE) {
		dpage = migrate_pfn_to_page(src);
		npage = alloc_page_vma(GFP_HIGHUSER, vmf->vma, start);
		if (npage) {
			lock_page(npage);
			copy_highpage(npage, dpage->zone_device_data);
			dst = migrate_pfn(page_to_pfn(npage));
		}
	}
	migrate_vma_pages(&args);
	migrate_vma_finalize(&args);
	return dst ? 0 : VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops scale_ops = {
	.page_free = scale_page_free,
	.migrate_to_ram = scale_migrate_to_ram,
};

/* Register a device-private pgmap of @bytes; the caller kfree()s it. */
static struct dev_pagemap *scale_register(unsigned long bytes)
{
	struct resource *res;
	struct dev_pagemap *pgmap;
	void *addr;

	pgmap = kzalloc(sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return ERR_PTR(-ENOMEM);
	pgmap->range.end = bytes - 1;
	if (!DEVICE_PRIVATE_NO_PHYS_RANGE) {
		res = request_free_mem_region(&iomem_resource, bytes, "pgmap_scale");
		if (IS_ERR(res)) {
			kfree(pgmap);
			return ERR_CAST(res);
		}
		pgmap->range.start = res->start;
		pgmap->range.end = res->end;
	}
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->nr_range = 1;
	pgmap->ops = &scale_ops;
	pgmap->owner = &scale_owner;
	addr = memremap_pages(pgmap, numa_mem_id());
	if (IS_ERR(addr)) {
		if (!DEVICE_PRIVATE_NO_PHYS_RANGE)
			release_mem_region(pgmap->range.start, range_len(&pgmap->range));
		kfree(pgmap);
		return ERR_CAST(addr);
	}
	return pgmap;
}

static void scale_unregister(struct dev_pagemap *pgmap)
{
	struct range range = pgmap->range;

	memunmap_pages(pgmap);
	if (!DEVICE_PRIVATE_NO_PHYS_RANGE)
		release_mem_region(range.start, range_len(&range));
	kfree(pgmap);
}

/* Move the page at @addr of current's mm to device page @dpage. */
static int scale_to_device(unsigned long addr, struct page *dpage)
{
	struct mm_struct *mm = current->mm;
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.start = addr,
		.end = addr + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = &scale_owner,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct page *backing;
	int err;

	backing = alloc_page(GFP_KERNEL);
	if (!backing)
		return -ENOMEM;
	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, addr);
	err = args.vma ? migrate_vma_setup(&args) : -EFAULT;
	if (err)
		goto out;
	if (src & MIGRATE_PFN_MIGRATE) {
		copy_highpage(backing, migrate_pfn_to_page(src));
		/* The backing page before the reference: see page_free. */
		dpage->zone_device_data = backing;
		backing = NULL;
		zone_device_page_init(dpage);
		dst = migrate_pfn(page_to_pfn(dpage));
	}
	migrate_vma_pages(&args);
	migrate_vma_finalize(&args);
	if (!(src & MIGRATE_PFN_MIGRATE))
		err = -EBUSY;
out:
	mmap_read_unlock(mm);
	if (backing)
		__free_page(backing);
	return err;
}

/*
 * KTAP test @n: a fresh anonymous page, filled with a pattern, migrates to
 * @dpage (its PFN @pfn), then one read faults it back to a system page.
 */
static bool scale_round_trip(struct page *dpage, unsigned long pfn, int n,
			     const char *which)
{
	unsigned long addr, i, word;
	bool ok = false;
	int err = -EFAULT, tries;

	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr)) {
		err = (int)addr;
		goto out;
	}
	for (i = 0; i < PAGE_SIZE / sizeof(word); i++)
		if (put_user(pfn ^ i, (unsigned long __user *)addr + i))
			goto unmap;
	/*
	 * A page still in another CPU's LRU batch cannot be isolated yet
	 * (migrate_vma_setup() drains this CPU's only): try again.
	 */
	for (tries = 0; tries < 3; tries++) {
		err = scale_to_device(addr, dpage);
		if (err != -EBUSY)
			break;
	}
	if (err)
		goto unmap;
	/* Device-resident now: this read is the CPU fault that brings it back. */
	for (i = 0, ok = true; i < PAGE_SIZE / sizeof(word); i++) {
		if (get_user(word, (unsigned long __user *)addr + i) ||
		    word != (pfn ^ i)) {
			ok = false;
			break;
		}
	}
unmap:
	vm_munmap(addr, PAGE_SIZE);
out:
	if (err)
		pr_info("# pgmap_scale: %s device page: error %d\n", which, err);
	pr_info("%s %d %s device page: pfn %#lx, to the device and back\n",
		ok ? "ok" : "not ok", n, which, pfn);
	return ok;
}

/*
 * Pages of [@first, @last]'s memmap mapped writable: memory of their own
 * (x86's lookup_address(); a large mapping's entry reads as a PTE).
 */
static unsigned long scale_memmap_writable(struct page *first, struct page *last)
{
	unsigned long addr = (unsigned long)first & PAGE_MASK;
	unsigned long end = (unsigned long)(last + 1), n = 0;
	unsigned int level;
	pte_t *pte;

	for (; addr < end; addr += PAGE_SIZE) {
		pte = lookup_address(addr, &level);
		if (pte && pte_present(*pte) && pte_write(*pte))
			n++;
		if (!(addr & (PMD_SIZE - 1)))
			cond_resched();
	}
	return n;
}

static unsigned long scale_free_kib(void)
{
	return global_zone_page_state(NR_FREE_PAGES) << (PAGE_SHIFT - 10);
}

static unsigned long scale_pgtable_kib(void)
{
	return global_node_page_state(NR_PAGETABLE) << (PAGE_SHIFT - 10);
}

static int __init scale_init(void)
{
	unsigned long bytes = (unsigned long)gib << 30, pfn, last_pfn;
	unsigned long free0, free1, free2, pt0, pt1, pt2, pt3, cost, leak, rw1, rw2;
	unsigned long slack = (slack_mib ? slack_mib : gib * 2UL) << 10;
	struct page *first, *last;
	struct dev_pagemap *pgmap;
	bool ok;
	int err = 0;

	pr_info("KTAP version 1\n");
	pr_info("1..4\n");
	/*
	 * A first registration of the same size, not counted: it sets the
	 * space up, and what it frees fills the page allocator's per-CPU
	 * lists, which NR_FREE_PAGES does not count (64 GiB: about 80 MiB).
	 */
	free0 = scale_free_kib();
	pgmap = scale_register(bytes);
	if (IS_ERR(pgmap)) {
		pr_info("not ok 1 registered: %u GiB (first time): %ld\n", gib,
			PTR_ERR(pgmap));
		return PTR_ERR(pgmap);
	}
	scale_unregister(pgmap);
	pr_info("# pgmap_scale: the first registration left free memory %ld KiB lower\n",
		(long)(free0 - scale_free_kib()));
	free0 = scale_free_kib();
	pt0 = scale_pgtable_kib();
	pgmap = scale_register(bytes);
	if (IS_ERR(pgmap)) {
		pr_info("not ok 1 registered: %u GiB: %ld\n", gib, PTR_ERR(pgmap));
		return PTR_ERR(pgmap);
	}
	free1 = scale_free_kib();
	pt1 = scale_pgtable_kib();
	pfn = PHYS_PFN(pgmap->range.start);
	last_pfn = PHYS_PFN(pgmap->range.end);
	first = pfn_to_page(pfn);
	last = pfn_to_page(last_pfn);
	rw1 = scale_memmap_writable(first, last);
	cost = free0 > free1 ? free0 - free1 : 0;
	pr_info("# pgmap_scale: %u GiB, pfn %#lx-%#lx, %lu KiB of free memory taken (%lu.%02lu %%), la57 %d\n",
		gib, pfn, last_pfn, cost, cost * 100 / (bytes >> 10),
		cost * 10000 / (bytes >> 10) % 100, pgtable_l5_enabled());
	ok = last_pfn - pfn + 1 == bytes >> PAGE_SHIFT &&
	     page_to_pfn(last) == last_pfn &&
	     rw1 == DIV_ROUND_UP((unsigned long)(last + 1) - ((unsigned long)first & PAGE_MASK),
				 PAGE_SIZE);
	pr_info("%s 1 registered: %u GiB\n", ok ? "ok" : "not ok", gib);
	if (!ok)
		err = -EINVAL;
	if (!scale_round_trip(first, pfn, 2, "first"))
		err = -EINVAL;
	if (!scale_round_trip(last, last_pfn, 3, "last"))
		err = -EINVAL;
	/*
	 * The round trips map a page in this (insmod's) process: whether
	 * vm_munmap() frees the page table under it depends on where the
	 * randomized mmap base put it, and it goes with the process anyway.
	 * What the pgmap leaves is counted around its own calls: PageTables
	 * after the registration and after the unregistration.
	 */
	pt3 = scale_pgtable_kib();
	scale_unregister(pgmap);
	rw2 = scale_memmap_writable(first, last);
	free2 = scale_free_kib();
	pt2 = scale_pgtable_kib();
	leak = free0 > free2 ? free0 - free2 : 0;
	pr_info("# pgmap_scale: free %lu KiB before, %lu registered, %lu after; PageTables %lu KiB before, %lu after (%lu registered, %lu after the round trips)\n",
		free0, free1, free2, pt0, pt2, pt1, pt3);
	pr_info("# pgmap_scale: memmap pages mapped writable: %lu registered, %lu after\n",
		rw1, rw2);
	ok = !rw2 && leak <= slack && pt1 <= pt0 && pt2 <= pt3;
	pr_info("%s 4 no leak: memmap given back, free memory %lu KiB short of before (slack %lu KiB)\n",
		ok ? "ok" : "not ok", leak, slack);
	if (!ok)
		err = -EINVAL;
	return err;
}

static void __exit scale_exit(void)
{
}

module_init(scale_init);
module_exit(scale_exit);
MODULE_DESCRIPTION("dpidx stage check: a device-private pgmap of many GiB");
MODULE_LICENSE("GPL");
