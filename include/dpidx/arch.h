/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/arch.h - where a device-private tag bit can go, per architecture.
 *
 * The tag encoding (tag.h) marks a device-private value with one high bit
 * that no real PFN can have.  Every value the kernel carries for a page
 * (a swap offset, a migration entry, an hmm_range_fault() PFN, a migrate
 * PFN) must still hold it, so the bit is squeezed between:
 *
 *   from below  SWP_PFN_BITS = MAX_PHYSMEM_BITS - PAGE_SHIFT: every real PFN
 *               lies under it, and migration entries keep their young and
 *               dirty bits at SWP_PFN_BITS and SWP_PFN_BITS + 1
 *               (include/linux/swapops.h), so the tag is >= SWP_PFN_BITS + 2;
 *   from above  the swap offset width of the arch's swap PTE, the generic
 *               swp_entry_t offset (SWP_TYPE_SHIFT = BITS_PER_XA_VALUE -
 *               MAX_SWAPFILES_SHIFT = 58), the flags hmm_range_fault() packs
 *               into the top of a PFN (top 8 bits in 6.12: VALID, WRITE,
 *               ERROR, 5-bit ORDER; top 11 in newer trees: take 11), and
 *               migrate_pfn()'s MIGRATE_PFN_SHIFT (6): tag < 64 - 6.
 *
 * The tag takes the HIGHEST legal bit: as far from real PFNs as possible, and
 * one bit for every paging mode of an arch whose MAX_PHYSMEM_BITS is chosen
 * at boot (x86-64 4-level/5-level).  The device-private payload (slot and
 * page index) stays below SWP_PFN_BITS, so it is never confused with the
 * young/dirty bits of a migration entry, and the bits between the A/D bits
 * and the tag stay zero.
 *
 *   63     tag+1  tag  tag-1    PFN+2 PFN+1  PFN  PFN-1                 0
 *  +---------+---+---------------+-----+-----+-----------------------+
 *  |    0    | 1 |       0       |dirty|young|  payload (slot|index) |
 *  +---------+---+---------------+-----+-----+-----------------------+
 *                                             ^ SWP_PFN_BITS
 *
 * Per-arch constants come from the 6.12 sources named next to them; the
 * derived numbers are macros of those (DPIDX_ARCH_*(a) below) and
 * tests/arch_table.c prints them, so results/arch-table.md cannot drift from
 * this header.  Pairs the kernel picks at configure time (page size, PA
 * bits) are separate rows.
 */
#ifndef DPIDX_ARCH_H
#define DPIDX_ARCH_H

#include "compat.h"

#define DPIDX_ARCH_BITS_PER_LONG	64
/* Generic swap entry: include/linux/swap.h, include/linux/swapops.h. */
#define DPIDX_ARCH_MAX_SWAPFILES_SHIFT	5
#define DPIDX_ARCH_XA_VALUE_BITS	(DPIDX_ARCH_BITS_PER_LONG - 1)
#define DPIDX_ARCH_GENERIC_OFFSET_BITS	(DPIDX_ARCH_XA_VALUE_BITS - \
					 DPIDX_ARCH_MAX_SWAPFILES_SHIFT)
/* hmm_range_fault() flags at the top of a PFN: 8 in 6.12, 11 since. */
#define DPIDX_ARCH_HMM_PFN_FLAG_BITS	11
/* include/linux/migrate.h: migrate_pfn(pfn) = pfn << 6 | flags. */
#define DPIDX_ARCH_MIGRATE_PFN_SHIFT	6
/* Swap types no encoding can use: hwpoison, 3 migration, PTE marker. */
#define DPIDX_ARCH_RESERVED_SWAP_TYPES	5

/*
 * Per arch: NAME, PAGE_SHIFT, MAX_PHYSMEM_BITS, SWP_OFFSET_BITS (what the
 * arch's swap PTE can carry) and SWP_TYPE_BITS.
 */

/*
 * x86-64: asm/sparsemem.h (46 or 52 at boot), asm/pgtable_64.h (offset in
 * bits 9..58, stored inverted; type in 59..63).
 */
#define DPIDX_ARCH_X86_64_L4_NAME		"x86-64, 4-level paging"
#define DPIDX_ARCH_X86_64_L4_PAGE_SHIFT		12
#define DPIDX_ARCH_X86_64_L4_MAX_PHYSMEM_BITS	46
#define DPIDX_ARCH_X86_64_L4_SWP_OFFSET_BITS	50
#define DPIDX_ARCH_X86_64_L4_SWP_TYPE_BITS	5

#define DPIDX_ARCH_X86_64_L5_NAME		"x86-64, 5-level paging"
#define DPIDX_ARCH_X86_64_L5_PAGE_SHIFT		12
#define DPIDX_ARCH_X86_64_L5_MAX_PHYSMEM_BITS	52
#define DPIDX_ARCH_X86_64_L5_SWP_OFFSET_BITS	50
#define DPIDX_ARCH_X86_64_L5_SWP_TYPE_BITS	5

/*
 * arm64: asm/sparsemem.h (PHYS_MASK_SHIFT = CONFIG_ARM64_PA_BITS),
 * asm/pgtable.h (__SWP_OFFSET_BITS 50 at bit 12, __SWP_TYPE_BITS 5).
 */
#define DPIDX_ARCH_ARM64_4K_PA48_NAME		"arm64, 4K pages, 48-bit PA"
#define DPIDX_ARCH_ARM64_4K_PA48_PAGE_SHIFT	12
#define DPIDX_ARCH_ARM64_4K_PA48_MAX_PHYSMEM_BITS 48
#define DPIDX_ARCH_ARM64_4K_PA48_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_4K_PA48_SWP_TYPE_BITS	5

#define DPIDX_ARCH_ARM64_4K_PA52_NAME		"arm64, 4K pages, 52-bit PA (LPA2)"
#define DPIDX_ARCH_ARM64_4K_PA52_PAGE_SHIFT	12
#define DPIDX_ARCH_ARM64_4K_PA52_MAX_PHYSMEM_BITS 52
#define DPIDX_ARCH_ARM64_4K_PA52_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_4K_PA52_SWP_TYPE_BITS	5

#define DPIDX_ARCH_ARM64_16K_PA48_NAME		"arm64, 16K pages, 48-bit PA"
#define DPIDX_ARCH_ARM64_16K_PA48_PAGE_SHIFT	14
#define DPIDX_ARCH_ARM64_16K_PA48_MAX_PHYSMEM_BITS 48
#define DPIDX_ARCH_ARM64_16K_PA48_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_16K_PA48_SWP_TYPE_BITS	5

#define DPIDX_ARCH_ARM64_16K_PA52_NAME		"arm64, 16K pages, 52-bit PA (LPA2)"
#define DPIDX_ARCH_ARM64_16K_PA52_PAGE_SHIFT	14
#define DPIDX_ARCH_ARM64_16K_PA52_MAX_PHYSMEM_BITS 52
#define DPIDX_ARCH_ARM64_16K_PA52_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_16K_PA52_SWP_TYPE_BITS	5

#define DPIDX_ARCH_ARM64_64K_PA48_NAME		"arm64, 64K pages, 48-bit PA"
#define DPIDX_ARCH_ARM64_64K_PA48_PAGE_SHIFT	16
#define DPIDX_ARCH_ARM64_64K_PA48_MAX_PHYSMEM_BITS 48
#define DPIDX_ARCH_ARM64_64K_PA48_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_64K_PA48_SWP_TYPE_BITS	5

#define DPIDX_ARCH_ARM64_64K_PA52_NAME		"arm64, 64K pages, 52-bit PA (LPA)"
#define DPIDX_ARCH_ARM64_64K_PA52_PAGE_SHIFT	16
#define DPIDX_ARCH_ARM64_64K_PA52_MAX_PHYSMEM_BITS 52
#define DPIDX_ARCH_ARM64_64K_PA52_SWP_OFFSET_BITS 50
#define DPIDX_ARCH_ARM64_64K_PA52_SWP_TYPE_BITS	5

/*
 * ppc64 book3s radix: asm/book3s/64/radix.h (R_MAX_PHYSMEM_BITS 51 with
 * SPARSEMEM_VMEMMAP), asm/book3s/64/pgtable.h (offset = PTE_RPN_MASK >>
 * PAGE_SHIFT: _PAGE_PA_MAX 53 - 16 = 37 bits; SWP_TYPE_BITS 5).
 */
#define DPIDX_ARCH_PPC64_RADIX_64K_NAME		"ppc64 radix, 64K pages"
#define DPIDX_ARCH_PPC64_RADIX_64K_PAGE_SHIFT	16
#define DPIDX_ARCH_PPC64_RADIX_64K_MAX_PHYSMEM_BITS 51
#define DPIDX_ARCH_PPC64_RADIX_64K_SWP_OFFSET_BITS 37
#define DPIDX_ARCH_PPC64_RADIX_64K_SWP_TYPE_BITS 5

/*
 * RISC-V 64: asm/sparsemem.h (56 for every Sv mode), asm/pgtable.h
 * (offset = pte >> 12: 52 bits; __SWP_TYPE_BITS 5).
 */
#define DPIDX_ARCH_RISCV_SV39_NAME		"RISC-V Sv39"
#define DPIDX_ARCH_RISCV_SV39_PAGE_SHIFT	12
#define DPIDX_ARCH_RISCV_SV39_MAX_PHYSMEM_BITS	56
#define DPIDX_ARCH_RISCV_SV39_SWP_OFFSET_BITS	52
#define DPIDX_ARCH_RISCV_SV39_SWP_TYPE_BITS	5

#define DPIDX_ARCH_RISCV_SV48_NAME		"RISC-V Sv48"
#define DPIDX_ARCH_RISCV_SV48_PAGE_SHIFT	12
#define DPIDX_ARCH_RISCV_SV48_MAX_PHYSMEM_BITS	56
#define DPIDX_ARCH_RISCV_SV48_SWP_OFFSET_BITS	52
#define DPIDX_ARCH_RISCV_SV48_SWP_TYPE_BITS	5

#define DPIDX_ARCH_RISCV_SV57_NAME		"RISC-V Sv57"
#define DPIDX_ARCH_RISCV_SV57_PAGE_SHIFT	12
#define DPIDX_ARCH_RISCV_SV57_MAX_PHYSMEM_BITS	56
#define DPIDX_ARCH_RISCV_SV57_SWP_OFFSET_BITS	52
#define DPIDX_ARCH_RISCV_SV57_SWP_TYPE_BITS	5

/*
 * The direct encoding (direct.h) needs a kernel virtual region of one
 * struct page (64 bytes) per payload value, best placed beside vmemmap.
 * DIRECT_SLOT_SHIFT: log2 bytes of the free hole beside vmemmap that could
 * hold it (0: none), from the 6.12 memory maps:
 * Documentation/arch/x86/x86_64/mm.rst (4-level: vmemmap 1 TiB at
 * 0xffffea0000000000, unused hole 1 TiB at 0xffffeb0000000000; 5-level:
 * vmemmap 0.5 PiB at 0xffd4000000000000, unused hole 2.25 PiB at
 * 0xffd6000000000000), Documentation/arch/arm64/memory.rst (vmemmap is
 * followed by a guard region, below it the vmalloc area),
 * Documentation/arch/riscv/vm-layout.rst (vmemmap, then vmalloc).
 */
#define DPIDX_ARCH_X86_64_L4_DIRECT_SLOT_SHIFT	40
#define DPIDX_ARCH_X86_64_L4_DIRECT_SLOT_NAME	"1 TiB hole at 0xffffeb0000000000, just above vmemmap"
#define DPIDX_ARCH_X86_64_L5_DIRECT_SLOT_SHIFT	51
#define DPIDX_ARCH_X86_64_L5_DIRECT_SLOT_NAME	"2.25 PiB hole at 0xffd6000000000000, just above vmemmap"
#define DPIDX_ARCH_PPC64_RADIX_64K_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_PPC64_RADIX_64K_DIRECT_SLOT_NAME	"n/a"
#define DPIDX_ARCH_RISCV_SV39_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_RISCV_SV39_DIRECT_SLOT_NAME	"vmalloc (128 GiB) follows vmemmap (4 GiB)"
#define DPIDX_ARCH_RISCV_SV48_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_RISCV_SV48_DIRECT_SLOT_NAME	"vmalloc (32 TiB) follows vmemmap (1 TiB)"
#define DPIDX_ARCH_RISCV_SV57_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_RISCV_SV57_DIRECT_SLOT_NAME	"vmalloc (16 PiB) follows vmemmap (256 TiB)"
#define DPIDX_ARCH_ARM64_4K_PA48_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_4K_PA48_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_ARM64_4K_PA52_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_4K_PA52_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_ARM64_16K_PA48_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_16K_PA48_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_ARM64_16K_PA52_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_16K_PA52_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_ARM64_64K_PA48_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_64K_PA48_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_ARM64_64K_PA52_DIRECT_SLOT_SHIFT	0
#define DPIDX_ARCH_ARM64_64K_PA52_DIRECT_SLOT_NAME	"a guard region follows vmemmap; from vmalloc"
#define DPIDX_ARCH_STRUCT_PAGE_SHIFT	6	/* sizeof(struct page) == 64 */

#define DPIDX_ARCH_MIN(a, b)		((a) < (b) ? (a) : (b))

/* ---- derived, per arch @a ------------------------------------------------ */

#define DPIDX_ARCH_NAME(a)		DPIDX_ARCH_##a##_NAME
#define DPIDX_ARCH_PAGE_SHIFT(a)	DPIDX_ARCH_##a##_PAGE_SHIFT
/* Every real PFN is below 1 << SWP_PFN_BITS. */
#define DPIDX_ARCH_SWP_PFN_BITS(a) \
	(DPIDX_ARCH_##a##_MAX_PHYSMEM_BITS - DPIDX_ARCH_##a##_PAGE_SHIFT)
/* Lowest legal tag bit: above the migration young and dirty bits. */
#define DPIDX_ARCH_TAG_FLOOR(a)		(DPIDX_ARCH_SWP_PFN_BITS(a) + 2)
/* Bits a value may use at all: swap offset, hmm PFN, migrate PFN. */
#define DPIDX_ARCH_VALUE_BITS(a)					\
	DPIDX_ARCH_MIN(DPIDX_ARCH_MIN(DPIDX_ARCH_##a##_SWP_OFFSET_BITS,	\
				      DPIDX_ARCH_GENERIC_OFFSET_BITS),	\
		       DPIDX_ARCH_MIN(DPIDX_ARCH_BITS_PER_LONG -		\
				      DPIDX_ARCH_HMM_PFN_FLAG_BITS,		\
				      DPIDX_ARCH_BITS_PER_LONG -		\
				      DPIDX_ARCH_MIGRATE_PFN_SHIFT))
/* The tag takes the highest of them. */
#define DPIDX_ARCH_TAG_BIT(a)		(DPIDX_ARCH_VALUE_BITS(a) - 1)
/* 1 when the tag has room above the A/D bits, 0 when it has none. */
#define DPIDX_ARCH_TAG_FITS(a)		(DPIDX_ARCH_TAG_BIT(a) >= DPIDX_ARCH_TAG_FLOOR(a))
/* Device-private payload (slot | index): the bits real PFNs use. */
#define DPIDX_ARCH_PAYLOAD_BITS(a) \
	(DPIDX_ARCH_TAG_FITS(a) ? DPIDX_ARCH_SWP_PFN_BITS(a) : 0)
/* log2 of the device memory the payload addresses, in bytes. */
#define DPIDX_ARCH_MAX_DEVMEM_SHIFT(a) \
	(DPIDX_ARCH_PAYLOAD_BITS(a) + DPIDX_ARCH_PAGE_SHIFT(a))
/* log2 bytes of direct's region: one struct page per payload value. */
#define DPIDX_ARCH_DIRECT_REGION_SHIFT(a) \
	(DPIDX_ARCH_PAYLOAD_BITS(a) + DPIDX_ARCH_STRUCT_PAGE_SHIFT)
#define DPIDX_ARCH_DIRECT_FITS(a) \
	(DPIDX_ARCH_TAG_FITS(a) && \
	 DPIDX_ARCH_DIRECT_REGION_SHIFT(a) <= DPIDX_ARCH_##a##_DIRECT_SLOT_SHIFT)
/* Swap types in all, and MAX_SWAPFILES left by an encoding using @nr. */
#define DPIDX_ARCH_NR_SWAP_TYPES(a) \
	(1 << DPIDX_ARCH_MIN(DPIDX_ARCH_##a##_SWP_TYPE_BITS,		\
			     DPIDX_ARCH_MAX_SWAPFILES_SHIFT))
#define DPIDX_ARCH_MAX_SWAPFILES(a, nr) \
	(DPIDX_ARCH_NR_SWAP_TYPES(a) - DPIDX_ARCH_RESERVED_SWAP_TYPES - (nr))

/*
 * Checked for every arch: the tag bit is below every ceiling, and where it
 * fits it is above every real PFN and above the migration A/D bits.
 */
#define DPIDX_ARCH_ASSERT(a)						\
	dpidx_static_assert(DPIDX_ARCH_TAG_BIT(a) <				\
			    DPIDX_ARCH_##a##_SWP_OFFSET_BITS &&			\
			    DPIDX_ARCH_TAG_BIT(a) <				\
			    DPIDX_ARCH_BITS_PER_LONG - DPIDX_ARCH_HMM_PFN_FLAG_BITS && \
			    DPIDX_ARCH_TAG_BIT(a) <				\
			    DPIDX_ARCH_BITS_PER_LONG - DPIDX_ARCH_MIGRATE_PFN_SHIFT && \
			    (!DPIDX_ARCH_TAG_FITS(a) ||				\
			     (DPIDX_ARCH_TAG_BIT(a) > DPIDX_ARCH_SWP_PFN_BITS(a) + 1 && \
			      DPIDX_ARCH_PAYLOAD_BITS(a) + 2 <= DPIDX_ARCH_TAG_BIT(a))), \
			    #a ": tag bit above a ceiling or on PFN/A/D bits")

/* One row of the per-arch table, every number derived from the macros. */
struct dpidx_arch {
	const char *name;
	int page_shift;
	int physmem_bits;
	int pfn_bits;		/* SWP_PFN_BITS; A/D bits at it and +1 */
	int offset_bits;	/* the arch's swap PTE offset width */
	int value_bits;		/* the lowest ceiling */
	int tag_bit;
	int fits;
	int payload_bits;
	int devmem_shift;	/* log2 bytes of device memory addressable */
	int nr_swap_types;
	int direct_region_shift;	/* log2 bytes of direct's region */
	int direct_slot_shift;		/* hole beside vmemmap, 0: none */
	const char *direct_slot;
	int direct_fits;
};

#define DPIDX_ARCH_ROW(a) {						\
	.name = DPIDX_ARCH_NAME(a),					\
	.page_shift = DPIDX_ARCH_PAGE_SHIFT(a),				\
	.physmem_bits = DPIDX_ARCH_##a##_MAX_PHYSMEM_BITS,		\
	.pfn_bits = DPIDX_ARCH_SWP_PFN_BITS(a),				\
	.offset_bits = DPIDX_ARCH_##a##_SWP_OFFSET_BITS,		\
	.value_bits = DPIDX_ARCH_VALUE_BITS(a),				\
	.tag_bit = DPIDX_ARCH_TAG_BIT(a),				\
	.fits = DPIDX_ARCH_TAG_FITS(a),					\
	.payload_bits = DPIDX_ARCH_PAYLOAD_BITS(a),			\
	.devmem_shift = DPIDX_ARCH_MAX_DEVMEM_SHIFT(a),			\
	.nr_swap_types = DPIDX_ARCH_NR_SWAP_TYPES(a),			\
	.direct_region_shift = DPIDX_ARCH_DIRECT_REGION_SHIFT(a),	\
	.direct_slot_shift = DPIDX_ARCH_##a##_DIRECT_SLOT_SHIFT,	\
	.direct_slot = DPIDX_ARCH_##a##_DIRECT_SLOT_NAME,		\
	.direct_fits = DPIDX_ARCH_DIRECT_FITS(a),			\
}

/* Every arch: one row and one assert each; keep the two lists in step. */
static const struct dpidx_arch dpidx_archs[] __attribute__((unused)) = {
	DPIDX_ARCH_ROW(X86_64_L4),
	DPIDX_ARCH_ROW(X86_64_L5),
	DPIDX_ARCH_ROW(ARM64_4K_PA48),
	DPIDX_ARCH_ROW(ARM64_4K_PA52),
	DPIDX_ARCH_ROW(ARM64_16K_PA48),
	DPIDX_ARCH_ROW(ARM64_16K_PA52),
	DPIDX_ARCH_ROW(ARM64_64K_PA48),
	DPIDX_ARCH_ROW(ARM64_64K_PA52),
	DPIDX_ARCH_ROW(PPC64_RADIX_64K),
	DPIDX_ARCH_ROW(RISCV_SV39),
	DPIDX_ARCH_ROW(RISCV_SV48),
	DPIDX_ARCH_ROW(RISCV_SV57),
};

#define DPIDX_NR_ARCHS	(sizeof(dpidx_archs) / sizeof(dpidx_archs[0]))

DPIDX_ARCH_ASSERT(X86_64_L4);
DPIDX_ARCH_ASSERT(X86_64_L5);
DPIDX_ARCH_ASSERT(ARM64_4K_PA48);
DPIDX_ARCH_ASSERT(ARM64_4K_PA52);
DPIDX_ARCH_ASSERT(ARM64_16K_PA48);
DPIDX_ARCH_ASSERT(ARM64_16K_PA52);
DPIDX_ARCH_ASSERT(ARM64_64K_PA48);
DPIDX_ARCH_ASSERT(ARM64_64K_PA52);
DPIDX_ARCH_ASSERT(PPC64_RADIX_64K);
DPIDX_ARCH_ASSERT(RISCV_SV39);
DPIDX_ARCH_ASSERT(RISCV_SV48);
DPIDX_ARCH_ASSERT(RISCV_SV57);

/*
 * The facts the project depends on, stated so the compiler checks them:
 * both x86-64 paging modes share one tag bit (a 5-level-capable kernel
 * decides at boot), and ppc64 radix with 64K pages has no room at all (its
 * 37-bit swap offset is exactly SWP_PFN_BITS 35 + the A/D bits).
 */
dpidx_static_assert(DPIDX_ARCH_TAG_FITS(X86_64_L4) && DPIDX_ARCH_TAG_FITS(X86_64_L5) &&
		    DPIDX_ARCH_TAG_BIT(X86_64_L4) == DPIDX_ARCH_TAG_BIT(X86_64_L5),
		    "x86-64: one tag bit for 4-level and 5-level paging");
dpidx_static_assert(DPIDX_ARCH_DIRECT_FITS(X86_64_L4) && DPIDX_ARCH_DIRECT_FITS(X86_64_L5),
		    "x86-64: direct's whole-payload region fits the hole beside vmemmap");
dpidx_static_assert(!DPIDX_ARCH_TAG_FITS(PPC64_RADIX_64K),
		    "ppc64 radix 64K: the swap offset has no bit above A/D");

#endif /* DPIDX_ARCH_H */
