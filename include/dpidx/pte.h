/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/pte.h - x86-64 non-present swap PTEs, and the swap-type budget.
 *
 * Layout (arch/x86/include/asm/pgtable_64.h):
 *
 *   63     59 58                                        9 8 7     1 0
 *  +--------+--------------------------------------------+-+-------+-+
 *  |  type  |          ~offset (50 bits, inverted)       |N| flags |P|
 *  +--------+--------------------------------------------+-+-------+-+
 *   P (bit 0, present) and N (bit 8, PROT_NONE) are clear in every swap PTE;
 *   bits 1-7 carry swap soft-dirty, uffd-wp and exclusive flags, which do not
 *   belong to the entry.  The offset is stored inverted (L1TF mitigation: a
 *   speculative walk of a non-present PTE then points at unpopulated memory).
 *
 * Swap types: 32 in all (SWP_TYPE_BITS = 5), counted from the top:
 *
 *   0 .. MAX_SWAPFILES-1     swap files
 *   MAX_SWAPFILES            SWP_HWPOISON
 *   +1 .. +3                 SWP_MIGRATION_READ, _READ_EXCLUSIVE, _WRITE
 *   +4 ..                    device-private types of the encoding
 *                            (3: DEVICE_READ/WRITE/EXCLUSIVE; v6 adds
 *                            MIGRATION_DEVICE_READ/_READ_EXCLUSIVE/_WRITE)
 *   31                       SWP_PTE_MARKER
 *
 * so MAX_SWAPFILES = 32 - 5 - (device-private types the encoding consumes).
 */
#ifndef DPIDX_PTE_H
#define DPIDX_PTE_H

#include "types.h"

#define DPIDX_PTE_PRESENT		(1ULL << 0)
#define DPIDX_PTE_PROTNONE		(1ULL << 8)
#define DPIDX_SWP_TYPE_BITS		5
#define DPIDX_SWP_TYPE_SHIFT		(64 - DPIDX_SWP_TYPE_BITS)
#define DPIDX_SWP_OFFSET_FIRST_BIT	9
#define DPIDX_SWP_OFFSET_BITS		(DPIDX_SWP_TYPE_SHIFT - DPIDX_SWP_OFFSET_FIRST_BIT)
#define DPIDX_SWP_OFFSET_MASK		((1ULL << DPIDX_SWP_OFFSET_BITS) - 1)
#define DPIDX_NR_SWAP_TYPES		(1U << DPIDX_SWP_TYPE_BITS)

/* x86-64, 4-level paging: MAX_PHYSMEM_BITS 46, PAGE_SHIFT 12. */
#define DPIDX_PAGE_SHIFT		12
#define DPIDX_MAX_PHYSMEM_BITS		46
/*
 * SWP_PFN_BITS: a migration entry's offset is a PFN below this; the kernel
 * stores the entry's young and dirty bits at SWP_PFN_BITS and SWP_PFN_BITS+1.
 */
#define DPIDX_SWP_PFN_BITS		(DPIDX_MAX_PHYSMEM_BITS - DPIDX_PAGE_SHIFT)
#define DPIDX_SWP_MIG_YOUNG_BIT		DPIDX_SWP_PFN_BITS
#define DPIDX_SWP_MIG_DIRTY_BIT		(DPIDX_SWP_PFN_BITS + 1)

/* Types that are never device-private, whatever the encoding. */
#define DPIDX_SWP_HWPOISON_NUM		1
#define DPIDX_SWP_MIGRATION_NUM		3
#define DPIDX_SWP_PTE_MARKER_NUM	1
#define DPIDX_SWP_RESERVED_NUM		(DPIDX_SWP_HWPOISON_NUM + \
					 DPIDX_SWP_MIGRATION_NUM + \
					 DPIDX_SWP_PTE_MARKER_NUM)

/* MAX_SWAPFILES left when an encoding consumes @nr_device device types. */
#define DPIDX_MAX_SWAPFILES(nr_device) \
	(DPIDX_NR_SWAP_TYPES - DPIDX_SWP_RESERVED_NUM - (nr_device))
#define DPIDX_SWP_HWPOISON(nr_device)	DPIDX_MAX_SWAPFILES(nr_device)
#define DPIDX_SWP_MIGRATION_READ(nr_device) \
	(DPIDX_MAX_SWAPFILES(nr_device) + DPIDX_SWP_HWPOISON_NUM)
#define DPIDX_SWP_MIGRATION_READ_EXCLUSIVE(nr_device) \
	(DPIDX_SWP_MIGRATION_READ(nr_device) + 1)
#define DPIDX_SWP_MIGRATION_WRITE(nr_device) \
	(DPIDX_SWP_MIGRATION_READ(nr_device) + 2)
#define DPIDX_SWP_DEVICE_FIRST(nr_device) \
	(DPIDX_SWP_MIGRATION_READ(nr_device) + DPIDX_SWP_MIGRATION_NUM)
#define DPIDX_SWP_PTE_MARKER		(DPIDX_NR_SWAP_TYPES - 1)

/** dpidx_swp_pte() - a swap PTE of @type carrying @offset (low 50 bits). */
static inline uint64_t dpidx_swp_pte(unsigned int type, uint64_t offset)
{
	return ((uint64_t)type << DPIDX_SWP_TYPE_SHIFT) |
	       ((~offset & DPIDX_SWP_OFFSET_MASK) << DPIDX_SWP_OFFSET_FIRST_BIT);
}

/* Non-present and not PROT_NONE: a swap PTE (pte_none() included). */
static inline bool dpidx_pte_is_swap(uint64_t pte)
{
	return !(pte & (DPIDX_PTE_PRESENT | DPIDX_PTE_PROTNONE));
}

static inline unsigned int dpidx_swp_pte_type(uint64_t pte)
{
	return (unsigned int)(pte >> DPIDX_SWP_TYPE_SHIFT);
}

static inline uint64_t dpidx_swp_pte_raw_offset(uint64_t pte)
{
	return ~(pte >> DPIDX_SWP_OFFSET_FIRST_BIT) & DPIDX_SWP_OFFSET_MASK;
}

/*
 * v6's scheme ("Remove device private pages from the physical address
 * space", v6): every kind gets a swap type of its own, the three device
 * types plus three new device-private migration types, and the offset is
 * stored as is.  Flat and maple use it; it costs 6 types (MAX_SWAPFILES 21).
 */
#define DPIDX_V6_SWAP_TYPES		6
#define DPIDX_V6_TYPE_FIRST		DPIDX_SWP_DEVICE_FIRST(DPIDX_V6_SWAP_TYPES)
/* Offsets stay below SWP_PFN_BITS: migration entries keep young/dirty. */
#define DPIDX_V6_OFFSET_BITS		DPIDX_SWP_PFN_BITS
#define DPIDX_V6_MAX_OFFSETS		(1UL << DPIDX_V6_OFFSET_BITS)

dpidx_static_assert(DPIDX_V6_TYPE_FIRST + DPIDX_NR_KINDS == DPIDX_SWP_PTE_MARKER,
		    "v6 device-private types must sit just under SWP_PTE_MARKER");

static inline uint64_t dpidx_v6_make_swp_pte(unsigned long offset,
					     enum dpidx_kind kind)
{
	return dpidx_swp_pte(DPIDX_V6_TYPE_FIRST + (unsigned int)kind, offset);
}

/* One subtract and one compare on the type: no load. */
static inline bool dpidx_v6_swp_pte_is_device_private(uint64_t pte)
{
	return dpidx_pte_is_swap(pte) &&
	       dpidx_swp_pte_type(pte) - DPIDX_V6_TYPE_FIRST < DPIDX_NR_KINDS;
}

/* Meaningful only for a PTE that is device-private. */
static inline enum dpidx_kind dpidx_v6_swp_pte_kind(uint64_t pte)
{
	return (enum dpidx_kind)(dpidx_swp_pte_type(pte) - DPIDX_V6_TYPE_FIRST);
}

static inline unsigned long dpidx_v6_swp_pte_offset(uint64_t pte)
{
	return (unsigned long)dpidx_swp_pte_raw_offset(pte);
}

#endif /* DPIDX_PTE_H */
