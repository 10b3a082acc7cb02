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

/*
 * The paging mode.  x86-64 decides MAX_PHYSMEM_BITS at boot: 46 with 4-level
 * paging, 52 with 5-level (asm/sparsemem.h: pgtable_l5_enabled()).  What
 * depends on it is SWP_PFN_BITS, the width of a real PFN in a swap entry,
 * and so where a migration entry keeps its young and dirty bits
 * (SWP_PFN_BITS and SWP_PFN_BITS + 1, linux/swapops.h): 34/35 or 40/41.
 *
 *   kernel     the kernel's own SWP_PFN_BITS, i.e. the mode in force (a
 *              run-time value on a CONFIG_X86_5LEVEL kernel);
 *   userspace  4-level, or 5-level when DPIDX_X86_PGTABLE_L5 is defined to
 *              1 before the first include (the test suites build both).
 *
 * The value layouts do not change with the mode: every encoding keeps its
 * payload within the 4-level width (DPIDX_SWP_PAYLOAD_BITS = 34), so one
 * kernel image and one set of values serve both modes; only the A/D mask
 * that a decoder ignores on migration kinds moves.
 */
#define DPIDX_PAGE_SHIFT		12
#define DPIDX_MAX_PHYSMEM_BITS_L4	46
#define DPIDX_MAX_PHYSMEM_BITS_L5	52
/* The payload every encoding's values stay within, in either mode. */
#define DPIDX_SWP_PAYLOAD_BITS		(DPIDX_MAX_PHYSMEM_BITS_L4 - DPIDX_PAGE_SHIFT)
/* The highest the A/D bits can sit (5-level): what compile-time checks use. */
#define DPIDX_SWP_PFN_BITS_MAX		(DPIDX_MAX_PHYSMEM_BITS_L5 - DPIDX_PAGE_SHIFT)

#ifdef __KERNEL__
#define DPIDX_SWP_PFN_BITS		((unsigned int)SWP_PFN_BITS)
#elif defined(DPIDX_X86_PGTABLE_L5) && DPIDX_X86_PGTABLE_L5
#define DPIDX_SWP_PFN_BITS		(DPIDX_MAX_PHYSMEM_BITS_L5 - DPIDX_PAGE_SHIFT)
#else
#define DPIDX_SWP_PFN_BITS		(DPIDX_MAX_PHYSMEM_BITS_L4 - DPIDX_PAGE_SHIFT)
#endif
#define DPIDX_SWP_MIG_YOUNG_BIT		DPIDX_SWP_PFN_BITS
#define DPIDX_SWP_MIG_DIRTY_BIT		(DPIDX_SWP_PFN_BITS + 1)
/* The bits a migration entry may carry beside its offset, in this mode. */
#define DPIDX_SWP_MIG_AD_MASK		(3ULL << DPIDX_SWP_PFN_BITS)

dpidx_static_assert(DPIDX_SWP_PFN_BITS_MAX + 2 <= DPIDX_SWP_OFFSET_BITS,
		    "the A/D bits of either mode lie inside the swap offset");

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

/*
 * The device-private swap types in mainline's order (linux/swap.h, 6.12
 * and later): SWP_DEVICE_WRITE first, then SWP_DEVICE_READ, then the
 * exclusive type(s).  enum dpidx_kind lists READ first, so the two swap;
 * an involution, so the same map decodes.
 */
static inline unsigned int dpidx_device_type_index(unsigned int kind)
{
	return kind < 2 ? kind ^ 1 : kind;
}

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
 * space", v6): every kind gets a swap type of its own, and the offset is
 * stored as is.  Types in v6's order: SWP_DEVICE_WRITE, _READ, _EXCLUSIVE,
 * then SWP_MIGRATION_DEVICE_READ, _READ_EXCLUSIVE, _WRITE.  Flat and maple
 * use it; it costs 6 types (MAX_SWAPFILES 21).
 */
#define DPIDX_V6_SWAP_TYPES		6
#define DPIDX_V6_TYPE_FIRST		DPIDX_SWP_DEVICE_FIRST(DPIDX_V6_SWAP_TYPES)
/*
 * Offsets stay below the 4-level SWP_PFN_BITS: migration entries keep
 * young/dirty above them in either paging mode.
 */
#define DPIDX_V6_OFFSET_BITS		DPIDX_SWP_PAYLOAD_BITS
#define DPIDX_V6_MAX_OFFSETS		(1UL << DPIDX_V6_OFFSET_BITS)
#define DPIDX_V6_OFFSET_MASK		(DPIDX_V6_MAX_OFFSETS - 1)

dpidx_static_assert(DPIDX_V6_TYPE_FIRST + DPIDX_NR_KINDS == DPIDX_SWP_PTE_MARKER,
		    "v6 device-private types must sit just under SWP_PTE_MARKER");

/* Type index (0..5) -> kind, and back: the same involution. */
static inline unsigned int dpidx_v6_type_index(unsigned int kind)
{
	return dpidx_device_type_index(kind);
}

/**
 * dpidx_v6_make_swp_pte() - the swap PTE of a device-private entry.
 * @offset: the offset; one of DPIDX_V6_OFFSET_BITS bits or fewer.
 * @kind:   what the entry means.
 *
 * Return: the PTE, or 0 (pte_none, never device-private) when @offset has
 * bits the entry cannot carry or @kind is not a kind: never a PTE that
 * decodes to another offset.
 */
static inline uint64_t dpidx_v6_make_swp_pte(unsigned long offset,
					     enum dpidx_kind kind)
{
	if (unlikely(offset & ~DPIDX_V6_OFFSET_MASK || !dpidx_kind_valid(kind)))
		return 0;
	return dpidx_swp_pte(DPIDX_V6_TYPE_FIRST + dpidx_v6_type_index(kind), offset);
}

/*
 * Offset bits a device-private entry of type index @idx must have clear:
 * everything above the payload, except a migration entry's A/D bits.
 */
static inline uint64_t dpidx_v6_must_be_clear(unsigned int idx)
{
	uint64_t mask = DPIDX_SWP_OFFSET_MASK & ~(uint64_t)DPIDX_V6_OFFSET_MASK;

	return idx >= DPIDX_NR_DEVICE_KINDS ? mask & ~DPIDX_SWP_MIG_AD_MASK : mask;
}

/*
 * Exactly the image of dpidx_v6_make_swp_pte(), up to the software bits
 * 1-7 and a migration entry's A/D bits: a type range compare and a mask
 * test, no load.
 */
static inline bool dpidx_v6_swp_pte_is_device_private(uint64_t pte)
{
	unsigned int idx = dpidx_swp_pte_type(pte) - DPIDX_V6_TYPE_FIRST;

	return dpidx_pte_is_swap(pte) && idx < DPIDX_NR_KINDS &&
	       !(dpidx_swp_pte_raw_offset(pte) & dpidx_v6_must_be_clear(idx));
}

/* Meaningful only for a PTE that is device-private. */
static inline enum dpidx_kind dpidx_v6_swp_pte_kind(uint64_t pte)
{
	return (enum dpidx_kind)dpidx_v6_type_index(dpidx_swp_pte_type(pte) -
						    DPIDX_V6_TYPE_FIRST);
}

/* The offset, without a migration entry's A/D bits. */
static inline unsigned long dpidx_v6_swp_pte_offset(uint64_t pte)
{
	return (unsigned long)dpidx_swp_pte_raw_offset(pte) & DPIDX_V6_OFFSET_MASK;
}

/**
 * dpidx_v6_swp_pte_key() - what the fault path looks up for @pte.
 * @pte: any 64-bit value.
 *
 * The raw offset of a v6 device-private type, a migration entry's A/D bits
 * dropped; ~0UL for anything else.  Bits above the payload are left in: an
 * encoding's offset_to_page() bounds check rejects them (and ~0UL) at no
 * extra cost, so for every PTE the lookup resolves exactly when
 * dpidx_v6_swp_pte_is_device_private() holds and the offset is mapped.
 */
static inline unsigned long dpidx_v6_swp_pte_key(uint64_t pte)
{
	unsigned int idx = dpidx_swp_pte_type(pte) - DPIDX_V6_TYPE_FIRST;
	uint64_t raw = dpidx_swp_pte_raw_offset(pte);

	if (unlikely(!dpidx_pte_is_swap(pte) || idx >= DPIDX_NR_KINDS))
		return ~0UL;
	/* Branch-free: the mask is all ones for the migration types only. */
	raw &= ~(DPIDX_SWP_MIG_AD_MASK & -(uint64_t)(idx >= DPIDX_NR_DEVICE_KINDS));
	return (unsigned long)raw;
}

#endif /* DPIDX_PTE_H */
