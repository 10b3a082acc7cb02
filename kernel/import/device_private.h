/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * device_private.h - device-private offsets for mm/, on dpidx's default
 * encoding: the part that goes into include/linux/memremap.h (offset <->
 * page) and include/linux/swapops.h (the swap-entry helpers), under the
 * names the upstream series "Remove device private pages from the physical
 * address space" uses.  See README.md for where each piece goes.
 *
 * Everything encoding-specific comes from <dpidx/dpidx.h>'s default aliases
 * (dpidx_make_swp_pte(), dpidx_swp_pte_is_device_private(), ...), so when
 * the default encoding changes this file does not.
 *
 * A swap entry is built by the encoding as an x86-64 swap PTE and converted
 * with the kernel's own pte_to_swp_entry()/swp_entry_to_pte(), so the PTE a
 * fault sees is bit for bit the one dpidx was tested and measured with.  In
 * a tree whose swap.h reserves the encoding's types the round trip folds
 * into swp_type()/swp_offset().
 */
#ifndef DPIDX_IMPORT_DEVICE_PRIVATE_H
#define DPIDX_IMPORT_DEVICE_PRIVATE_H

#include <linux/mm.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <dpidx/dpidx.h>

/*
 * The out-of-tree build compiles this kit against a 6.12 tree whose
 * swapops.h already has PFN-based helpers of the same names: rename ours
 * there.  In mm/ these helpers replace those and no renaming happens.
 */
#ifdef DPIDX_IMPORT_OUT_OF_TREE
#define make_readable_device_private_entry	dpidx_kit_make_readable_device_private_entry
#define make_writable_device_private_entry	dpidx_kit_make_writable_device_private_entry
#define is_device_private_entry			dpidx_kit_is_device_private_entry
#define is_writable_device_private_entry	dpidx_kit_is_writable_device_private_entry
#endif

int device_private_space_init(unsigned long max_pages);
void device_private_space_exit(void);
int device_private_add_range(struct dpidx_pgmap *range, int nid);
int device_private_remove_range(struct dpidx_pgmap *range);
struct page *device_private_offset_to_page(unsigned long offset);
unsigned long device_private_page_to_offset(const struct page *page);

/* The swap entry of @offset with meaning @kind. */
static inline swp_entry_t device_private_entry(unsigned long offset,
					       enum dpidx_kind kind)
{
	return pte_to_swp_entry(__pte(dpidx_make_swp_pte(offset, kind)));
}

/* The encoding's view of @entry: the x86-64 swap PTE it stands for. */
static inline u64 device_private_entry_pte(swp_entry_t entry)
{
	return pte_val(swp_entry_to_pte(entry));
}

static inline swp_entry_t make_readable_device_private_entry(pgoff_t offset)
{
	return device_private_entry(offset, DPIDX_DEVICE_READ);
}

static inline swp_entry_t make_writable_device_private_entry(pgoff_t offset)
{
	return device_private_entry(offset, DPIDX_DEVICE_WRITE);
}

static inline swp_entry_t make_readable_migration_device_private_entry(pgoff_t offset)
{
	return device_private_entry(offset, DPIDX_MIGRATION_READ);
}

static inline swp_entry_t
make_readable_exclusive_migration_device_private_entry(pgoff_t offset)
{
	return device_private_entry(offset, DPIDX_MIGRATION_READ_EXCLUSIVE);
}

static inline swp_entry_t make_writable_migration_device_private_entry(pgoff_t offset)
{
	return device_private_entry(offset, DPIDX_MIGRATION_WRITE);
}

/*
 * Is @entry device-private with a meaning in @mask (bits of enum dpidx_kind)?
 * The encoding decides device-private-ness from the entry alone: no load.
 */
static inline bool device_private_entry_is(swp_entry_t entry, unsigned int mask)
{
	u64 pte = device_private_entry_pte(entry);

	return dpidx_swp_pte_is_device_private(pte) &&
	       (mask & BIT(dpidx_swp_pte_kind(pte)));
}

static inline bool is_device_private_entry(swp_entry_t entry)
{
	return device_private_entry_is(entry, BIT(DPIDX_DEVICE_READ) |
						BIT(DPIDX_DEVICE_WRITE));
}

static inline bool is_writable_device_private_entry(swp_entry_t entry)
{
	return device_private_entry_is(entry, BIT(DPIDX_DEVICE_WRITE));
}

static inline bool is_device_private_migration_entry(swp_entry_t entry)
{
	return device_private_entry_is(entry, BIT(DPIDX_MIGRATION_READ) |
				       BIT(DPIDX_MIGRATION_READ_EXCLUSIVE) |
				       BIT(DPIDX_MIGRATION_WRITE));
}

static inline bool is_writable_device_private_migration_entry(swp_entry_t entry)
{
	return device_private_entry_is(entry, BIT(DPIDX_MIGRATION_WRITE));
}

/* The device-private offset an entry carries (it is not a PFN). */
static inline unsigned long device_private_entry_to_offset(swp_entry_t entry)
{
	return dpidx_swp_pte_offset(device_private_entry_pte(entry));
}

/*
 * The page a device-private entry (of either family) refers to; NULL when
 * @entry is not device-private or its offset is not mapped.
 */
static inline struct page *device_private_entry_to_page(swp_entry_t entry)
{
	u64 pte = device_private_entry_pte(entry);

	if (!dpidx_swp_pte_is_device_private(pte))
		return NULL;
	return device_private_offset_to_page(dpidx_swp_pte_offset(pte));
}

#endif /* DPIDX_IMPORT_DEVICE_PRIVATE_H */
