// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgmap_churn.c - the stress run's helper: a kthread that adds and removes
 * small MEMORY_DEVICE_PRIVATE pgmaps (memremap_pages()/memunmap_pages()) in
 * a loop while hmm-tests faults and migrates on test_hmm's own pgmaps, so
 * that a dpidx-patched kernel's offset space changes under its readers.
 *
 *   insmod pgmap_churn.ko rounds=N     start; rmmod waits for all N rounds
 *
 * Prints "pgmap_churn: done N rounds, E errors" when the loop ends.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/completion.h>

/*
 * A dpidx-patched kernel on the direct encoding places device-private pages
 * itself (linux/memremap.h): the pgmap gives its length only.  Stock 6.12
 * and the other encodings take a physical range.
 */
#ifndef DEVICE_PRIVATE_NO_PHYS_RANGE
#define DEVICE_PRIVATE_NO_PHYS_RANGE	0
#endif

static unsigned int rounds = 200;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "pgmaps to add and remove");

static struct task_struct *churn_task;
static DECLARE_COMPLETION(churn_done);
static int churn_owner;

static void churn_page_free(struct page *page)
{
}

/* Never called: no page of these pgmaps is ever handed to a process. */
static vm_fault_t churn_migrate_to_ram(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops churn_ops = {
	.page_free = churn_page_free,
	.migrate_to_ram = churn_migrate_to_ram,
};

/* One pgmap of @size bytes: added, then removed.  Return: 0 or an errno. */
static int churn_one(unsigned long size)
{
	struct dev_pagemap *pgmap;
	struct resource *res = NULL;
	void *addr;
	int err = 0;

	pgmap = kzalloc(sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return -ENOMEM;
	pgmap->range.end = size - 1;
	if (!DEVICE_PRIVATE_NO_PHYS_RANGE) {
		res = request_free_mem_region(&iomem_resource, size, "pgmap_churn");
		if (IS_ERR(res)) {
			err = PTR_ERR(res);
			goto out;
		}
		pgmap->range.start = res->start;
		pgmap->range.end = res->end;
	}
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->nr_range = 1;
	pgmap->ops = &churn_ops;
	pgmap->owner = &churn_owner;
	addr = memremap_pages(pgmap, NUMA_NO_NODE);
	if (IS_ERR(addr))
		err = PTR_ERR(addr);
	else
		memunmap_pages(pgmap);
	if (res)
		release_mem_region(res->start, resource_size(res));
out:
	kfree(pgmap);
	return err;
}

static int churn_thread(void *data)
{
	unsigned int i, errors = 0;

	for (i = 0; i < rounds && !kthread_should_stop(); i++) {
		/* One to four memory sections: ranges of different sizes. */
		if (churn_one((1 + i % 4) * (1UL << SECTION_SIZE_BITS)))
			errors++;
		cond_resched();
	}
	pr_info("pgmap_churn: done %u rounds, %u errors\n", i, errors);
	complete(&churn_done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init churn_init(void)
{
	churn_task = kthread_run(churn_thread, NULL, "pgmap_churn");
	return PTR_ERR_OR_ZERO(churn_task);
}

/* Every round runs: unloading waits for the loop, then stops the thread. */
static void __exit churn_exit(void)
{
	wait_for_completion(&churn_done);
	kthread_stop(churn_task);
}

module_init(churn_init);
module_exit(churn_exit);
MODULE_DESCRIPTION("dpidx stress helper: add and remove device-private pgmaps");
MODULE_LICENSE("GPL");
