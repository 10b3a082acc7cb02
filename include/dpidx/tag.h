/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/tag.h - the tag encoding: self-describing device-private values.
 *
 * Coding conventions in this file:
 *   @s       the space (struct dpidx_tag)
 *   @t       a slot-table snapshot (struct dpidx_tag_table)
 *   @offset  a device-private value as the API hands it out (tag included),
 *            or any unsigned long a caller passes in
 *   @slot    bits [13, 34) of @offset: one 8192-page (32 MiB) slot
 *   @index   bits [0, 13) of @offset: the page within its slot
 *   @entry   the packed word of one slot (see below)
 *   @pgmap   a caller's range
 *
 * A device-private value carries the tag bit (bit 49 on x86-64, see arch.h)
 * that no real PFN, swap offset of a migration entry or hmm/migrate PFN of
 * ordinary memory can have, so it tells itself apart from a PFN by value:
 *
 *    63     50  49  48          36 35 34 33            13 12          0
 *   +---------+---+--------------+--+--+----------------+-------------+
 *   |    0    |tag|      0       | D| Y|  slot (21 b)   | index (13 b)|
 *   +---------+---+--------------+--+--+----------------+-------------+
 *   Y, D: the young/dirty bits a migration entry keeps at SWP_PFN_BITS and
 *   SWP_PFN_BITS + 1; never part of the value, stripped on decode.
 *
 * Resolution: one load from the slot table, then the descriptor.
 *
 *   s->table ---> +----------+
 *                 | nr_slots |
 *                 +----------+     +-------------------------------------+
 *   slot 0        | entry ---+---->| pages[0..8191] of range A           |
 *   slot 1        | entry ---+---->| pages[8192..12000] of range A       |
 *   slot 2        |    0     |     +-------------------------------------+
 *   slot 3        | entry ---+---->| pages[0..9] of range B              |
 *                 +----------+     +-------------------------------------+
 *
 * A range takes DIV_ROUND_UP(nr_pages, 8192) consecutive slots, first fit,
 * and its base is tag | first_slot << 13: every base is 8192-aligned, so the
 * 512-page PMD alignment API.md asks for comes free.  An entry packs, in one
 * word, the address of the slot's first descriptor and how many of its 8192
 * pages are mapped, minus one; an empty slot's entry is 0 (no address):
 *
 *    63                                         13 12                 0
 *   +---------------------------------------------+-------------------+
 *   |  descriptor address << 7 (bits 56..6 of it) |  nr - 1 (0..8191) |
 *   +---------------------------------------------+-------------------+
 *
 * Descriptors are 64-byte aligned and addresses are sign-extended from bit
 * 56 or lower, so the shift loses nothing; an arithmetic right shift
 * restores the address.  One word: a reader can never pair a new address
 * with an old count.  The 13 index bits are the most one word can bound
 * (a slot's count 1..8192 must fit under the address); more index bits
 * would need a second word or a per-range record, i.e. a second dependent
 * load on the fault path.
 *
 * Capacity (x86-64, 4-level or 5-level paging alike): the payload is the
 * 4-level SWP_PFN_BITS = 34 bits = 21 slot bits + 13 index bits (a kernel
 * picks the paging mode at boot, so the value layout must fit both; only
 * where a migration entry keeps its A/D bits moves, see pte.h):
 *   - 2^21 = 2,097,152 slots of 32 MiB, 2^34 offsets = 64 TiB of values;
 *   - a range takes whole slots, so a 1-page range uses a whole slot of
 *     offset space (not of memory): init() promises max_pages pages in any
 *     mix of up to DPIDX_TAG_MAX_RANGES = 2^20 ranges, and so accepts
 *     max_pages up to DPIDX_TAG_MAX_PAGES = 2^33 (32 TiB); the largest range
 *     is not bounded by the index bits (it spans consecutive slots);
 *   - the table costs 8 bytes per slot in use and grows on demand: one
 *     192 GiB VRAM range = 6,144 slots = 48 KiB, 65,536 nouveau 2 MiB
 *     chunks = 512 KiB, 1.5 TiB in 256 MiB test_hmm chunks = 48 KiB.
 *   The split is the trade-off.  Each index bit moved into the slot field
 *   doubles the ranges that fit but doubles the entries (table bytes) a
 *   big range needs: with 9 index bits (flat's chunk) a 192 GiB range
 *   takes 98,304 entries = 768 KiB instead of 48 KiB.  Each slot bit moved
 *   into the index halves both, but 13 is the ceiling of a one-word entry.
 *   One slot per range (the index bounding the range size) does not fit
 *   34 bits: 65,536 ranges need 16 slot bits, one 192 GiB range 26 index
 *   bits.
 *
 * Costs: offset -> descriptor is flat's instruction sequence plus one bit
 * flip (x86-64, gcc -O2: 18 instructions, two predictable branches; loads:
 * the table pointer and the slot count, both hot, then one slot entry;
 * no division, no search).
 *
 * Swap PTEs (x86-64): device kinds use the 3 existing device-private types,
 * migration kinds the ORDINARY migration types; the tag in the offset tells a
 * device-private migration entry from one of a real PFN.  So the encoding
 * consumes 3 swap types (MAX_SWAPFILES 24, v6 needs 6 and leaves 21).
 * Telling a PTE or a value device-private is a mask and a compare, no load.
 *
 * Reader and writer rules, the entry layout and the map/unmap/grow
 * protocol are the chunk table's (chunktab.h), which tag shares with flat:
 * a tag slot is a chunk of 8192 pages, and the chunk table's origin is the
 * tag bit, so key = value ^ tag.  Flipping the tag and shifting out the
 * index leaves the slot number only for a tagged value with nothing above
 * the payload; anything else comes out at 2^21 or more, past every table,
 * so the chunk table's one bounds check also rejects untagged values.
 */
#ifndef DPIDX_TAG_H
#define DPIDX_TAG_H

#include "types.h"
#include "pte.h"
#include "arch.h"
#include "chunktab.h"

/* pte.h models x86-64; the layout is the arch table's x86-64 row. */
#define DPIDX_TAG_BIT_SHIFT		DPIDX_ARCH_TAG_BIT(X86_64_L4)
#define DPIDX_TAG_BIT			(1UL << DPIDX_TAG_BIT_SHIFT)
#define DPIDX_TAG_PAYLOAD_BITS		DPIDX_ARCH_PAYLOAD_BITS(X86_64_L4)
#define DPIDX_TAG_PAYLOAD_MASK		((1UL << DPIDX_TAG_PAYLOAD_BITS) - 1)
#define DPIDX_TAG_INDEX_BITS		13
#define DPIDX_TAG_SLOT_PAGES		(1UL << DPIDX_TAG_INDEX_BITS)
#define DPIDX_TAG_SLOT_BITS		(DPIDX_TAG_PAYLOAD_BITS - DPIDX_TAG_INDEX_BITS)
#define DPIDX_TAG_MAX_SLOTS		(1UL << DPIDX_TAG_SLOT_BITS)
#define DPIDX_TAG_MAX_OFFSETS		(1UL << DPIDX_TAG_PAYLOAD_BITS)
/*
 * Capacity: a range takes whole slots, so n ranges totalling p pages take
 * at most p / 8192 + n slots.  With at most DPIDX_TAG_MAX_RANGES ranges,
 * max_pages up to DPIDX_TAG_MAX_PAGES always fits: 2^20 + 2^20 slots.
 */
#define DPIDX_TAG_MAX_RANGES		(DPIDX_TAG_MAX_SLOTS / 2)
#define DPIDX_TAG_MAX_PAGES		(DPIDX_TAG_MAX_RANGES << DPIDX_TAG_INDEX_BITS)
#define DPIDX_TAG_SWAP_TYPES		DPIDX_NR_DEVICE_KINDS
/* Takes caller-provided descriptors (DPIDX_PGMAP_CALLER_PAGES). */
#define DPIDX_TAG_CALLER_PAGES	1
/* Largest table init() allocates up front (512 KiB); more comes by growth. */
#define DPIDX_TAG_INIT_SLOTS_MAX	(1UL << 16)
#define DPIDX_TAG_INIT_SLOTS_MIN	64UL

/* Migration kinds first (the ordinary types), then the 3 device types. */
#define DPIDX_TAG_TYPE_FIRST		DPIDX_SWP_MIGRATION_READ(DPIDX_TAG_SWAP_TYPES)
/* A migration entry's young/dirty bits in the paging mode in force (pte.h). */
#define DPIDX_TAG_SWP_MIG_AD_MASK	DPIDX_SWP_MIG_AD_MASK
/*
 * Raw swap-offset bits that must read exactly "tag": a device entry's
 * (everything above the payload), and a migration entry's (the same less
 * the A/D bits).
 */
#define DPIDX_TAG_SWP_CHECK_MASK	(DPIDX_SWP_OFFSET_MASK & ~(uint64_t)DPIDX_TAG_PAYLOAD_MASK)
#define DPIDX_TAG_SWP_MIG_CHECK_MASK	(DPIDX_TAG_SWP_CHECK_MASK & ~DPIDX_TAG_SWP_MIG_AD_MASK)


dpidx_static_assert(DPIDX_TAG_PAYLOAD_BITS == DPIDX_SWP_PAYLOAD_BITS,
		    "the payload is the 4-level SWP_PFN_BITS of pte.h, both modes");
dpidx_static_assert(DPIDX_SWP_PFN_BITS_MAX + 2 <= DPIDX_TAG_BIT_SHIFT &&
		    DPIDX_TAG_BIT <= DPIDX_SWP_OFFSET_MASK,
		    "the tag sits above the migration A/D bits of either paging mode");
dpidx_static_assert(DPIDX_TAG_INDEX_BITS <= DPIDX_CT_MAX_SHIFT,
		    "a slot's last index fits under the address in one word");
dpidx_static_assert(DPIDX_TAG_SLOT_PAGES % DPIDX_PMD_PAGES == 0,
		    "slot bases are PMD aligned: ranges >= 512 pages come aligned");
dpidx_static_assert(DPIDX_TAG_TYPE_FIRST + DPIDX_SWP_MIGRATION_NUM ==
		    DPIDX_SWP_DEVICE_FIRST(DPIDX_TAG_SWAP_TYPES) &&
		    DPIDX_SWP_DEVICE_FIRST(DPIDX_TAG_SWAP_TYPES) +
		    DPIDX_TAG_SWAP_TYPES == DPIDX_SWP_PTE_MARKER,
		    "migration and device types are 6 consecutive types");

struct dpidx_tag {
	struct dpidx_chunktab ct;	/* first: a pgmap's space is &s->ct == s */
};

/* ---- values and entries -------------------------------------------------- */

/**
 * dpidx_tag_is_device_private() - does @value have the device-private form?
 * @value: any value a PFN field could carry.
 *
 * True exactly for tag | payload with nothing else set: no real PFN (they
 * are below 1 << SWP_PFN_BITS) ever is.  A mask and a compare, no load; a
 * true answer says nothing about whether the value is mapped.
 */
static inline bool dpidx_tag_is_device_private(unsigned long value)
{
	return (value & ~DPIDX_TAG_PAYLOAD_MASK) == DPIDX_TAG_BIT;
}

static inline unsigned long dpidx_tag_slot_base(unsigned long slot)
{
	return DPIDX_TAG_BIT | slot << DPIDX_TAG_INDEX_BITS;
}

/* ---- reader side --------------------------------------------------------- */

/**
 * dpidx_tag_offset_to_page() - the descriptor of a device-private value.
 * @s:      the space.
 * @offset: any value.
 *
 * Flipping the tag and shifting out the index leaves the slot number only
 * for a tagged value with nothing above the payload; anything else comes out
 * at 2^21 or more, past every table, so one compare rejects it.
 *
 * Context: inside rcu_read_lock(); never blocks, never retries, never
 * writes.  The descriptor stays valid until the read-side section ends.
 * Return: the descriptor, or NULL when @offset lies in no mapped range.
 */
static inline struct dpidx_page *
dpidx_tag_offset_to_page(struct dpidx_tag *s, unsigned long offset)
{
	return dpidx_chunktab_lookup(&s->ct, offset ^ DPIDX_TAG_BIT,
				     DPIDX_TAG_INDEX_BITS);
}

/**
 * dpidx_tag_page_to_offset() - the value of a descriptor.
 * @page: a descriptor returned by a lookup or found in a mapped pgmap.
 *
 * Context: any; @page must be valid (see dpidx_tag_offset_to_page()).
 * Return: its tagged value.  No index access: the descriptor points at its
 * range, whose base carries the tag.
 */
static inline unsigned long dpidx_tag_page_to_offset(const struct dpidx_page *page)
{
	return dpidx_page_offset(page);
}

/**
 * dpidx_tag_lookup_range() - resolve @n consecutive values.
 * @s:      the space.
 * @offset: the first value.
 * @n:      how many.
 * @pages:  out: pages[i] = dpidx_tag_offset_to_page(s, offset + i).
 *
 * One entry load per slot crossed, not per page: the hmm_range_fault() path.
 * Context: inside rcu_read_lock().
 * Return: @n.
 */
static inline unsigned long dpidx_tag_lookup_range(struct dpidx_tag *s,
						   unsigned long offset,
						   unsigned long n,
						   struct dpidx_page **pages)
{
	return dpidx_chunktab_lookup_range(&s->ct, offset, n, pages,
					   DPIDX_TAG_INDEX_BITS, DPIDX_TAG_BIT);
}

/* ---- swap PTEs ----------------------------------------------------------- */

/*
 * Type index (from DPIDX_TAG_TYPE_FIRST) of a kind: the ordinary migration
 * types READ, READ_EXCLUSIVE, WRITE (0..2), then the device types in
 * mainline's order WRITE, READ, EXCLUSIVE (3..5).
 */
static inline unsigned int dpidx_tag_type_index(enum dpidx_kind kind)
{
	unsigned int k = (unsigned int)kind;

	if (k >= DPIDX_NR_DEVICE_KINDS)
		return k - DPIDX_NR_DEVICE_KINDS;
	return DPIDX_SWP_MIGRATION_NUM + dpidx_device_type_index(k);
}

/**
 * dpidx_tag_make_swp_pte() - the swap PTE of a device-private entry.
 * @offset: a tagged value: the tag bit and a payload, nothing else.
 * @kind:   device kinds take the 3 device types, migration kinds the
 *          ordinary migration types.
 *
 * Return: the PTE, or 0 (pte_none, never device-private) for a value that
 * is not tag | payload or a @kind that is not a kind: never a PTE that
 * decodes to another value.
 */
static inline uint64_t dpidx_tag_make_swp_pte(unsigned long offset,
					      enum dpidx_kind kind)
{
	if (unlikely(!dpidx_tag_is_device_private(offset) || !dpidx_kind_valid(kind)))
		return 0;
	return dpidx_swp_pte(DPIDX_TAG_TYPE_FIRST + dpidx_tag_type_index(kind), offset);
}

/* Raw offset bits that must read "tag" for type index @idx (0..5). */
static inline uint64_t dpidx_tag_swp_check_mask(unsigned int idx)
{
	return idx < DPIDX_SWP_MIGRATION_NUM ? DPIDX_TAG_SWP_MIG_CHECK_MASK :
					       DPIDX_TAG_SWP_CHECK_MASK;
}

/*
 * Exactly the image of dpidx_tag_make_swp_pte(), up to the software bits
 * 1-7 and a migration entry's A/D bits: a type range compare and a mask
 * compare, no load.  A device entry with anything between the payload and
 * the tag is not one.
 */
static inline bool dpidx_tag_swp_pte_is_device_private(uint64_t pte)
{
	unsigned int idx = dpidx_swp_pte_type(pte) - DPIDX_TAG_TYPE_FIRST;

	return dpidx_pte_is_swap(pte) && idx < DPIDX_NR_KINDS &&
	       (dpidx_swp_pte_raw_offset(pte) & dpidx_tag_swp_check_mask(idx)) ==
	       DPIDX_TAG_BIT;
}

/* Meaningful only for a PTE that is device-private. */
static inline enum dpidx_kind dpidx_tag_swp_pte_kind(uint64_t pte)
{
	unsigned int idx = dpidx_swp_pte_type(pte) - DPIDX_TAG_TYPE_FIRST;

	if (idx < DPIDX_SWP_MIGRATION_NUM)
		return (enum dpidx_kind)(idx + DPIDX_NR_DEVICE_KINDS);
	return (enum dpidx_kind)dpidx_device_type_index(idx - DPIDX_SWP_MIGRATION_NUM);
}

/* The tagged value, without a migration entry's young/dirty bits. */
static inline unsigned long dpidx_tag_swp_pte_offset(uint64_t pte)
{
	return (unsigned long)dpidx_swp_pte_raw_offset(pte) &
	       (DPIDX_TAG_BIT | DPIDX_TAG_PAYLOAD_MASK);
}

/**
 * dpidx_tag_swp_pte_to_page() - the whole fault-path resolution.
 * @s:   the space.
 * @pte: any 64-bit value.
 *
 * Context: inside rcu_read_lock().
 * Return: the descriptor, or NULL unless @pte is a device-private entry of a
 * mapped value.
 */
static inline struct dpidx_page *dpidx_tag_swp_pte_to_page(struct dpidx_tag *s,
							   uint64_t pte)
{
	unsigned int idx = dpidx_swp_pte_type(pte) - DPIDX_TAG_TYPE_FIRST;
	uint64_t raw = dpidx_swp_pte_raw_offset(pte);

	if (unlikely(!dpidx_pte_is_swap(pte) || idx >= DPIDX_NR_KINDS))
		return NULL;
	/*
	 * No separate tag test: once a migration entry's A/D bits are
	 * dropped (a device entry keeps them: they must be clear),
	 * dpidx_tag_offset_to_page() itself rejects an offset without the
	 * tag or with bits between the payload and the tag, which is exactly
	 * what dpidx_tag_swp_pte_is_device_private() checks.
	 */
	/* Branch-free: the mask is all ones for the migration types only. */
	raw &= ~(DPIDX_TAG_SWP_MIG_AD_MASK & -(uint64_t)(idx < DPIDX_SWP_MIGRATION_NUM));
	return dpidx_tag_offset_to_page(s, (unsigned long)raw);
}

/* ---- writer side --------------------------------------------------------- */

/**
 * dpidx_tag_init() - an empty tag space.
 * @s:         the space to initialise.
 * @max_pages: pages it must be able to hold, 1 .. DPIDX_TAG_MAX_PAGES
 *             (2^33 pages, 32 TiB).
 *
 * The slot space is a slot per 8192 pages plus one per range, for up to
 * DPIDX_TAG_MAX_RANGES (2^20) ranges: any set of ranges totalling
 * @max_pages fits whatever their sizes.  The table starts at what
 * @max_pages needs in whole slots (at least 64, at most 65,536) and grows
 * on demand.
 *
 * Context: may sleep.
 * Return: 0, -EINVAL (NULL, 0 or more than DPIDX_TAG_MAX_PAGES) or -ENOMEM.
 */
static inline int dpidx_tag_init(struct dpidx_tag *s, unsigned long max_pages)
{
	unsigned long max_slots, nr;

	if (!s || !max_pages || max_pages > DPIDX_TAG_MAX_PAGES)
		return -EINVAL;
	max_slots = DPIDX_DIV_ROUND_UP(max_pages, DPIDX_TAG_SLOT_PAGES) +
		    (max_pages < DPIDX_TAG_MAX_RANGES ? max_pages : DPIDX_TAG_MAX_RANGES);
	nr = DPIDX_DIV_ROUND_UP(max_pages, DPIDX_TAG_SLOT_PAGES);
	if (nr < DPIDX_TAG_INIT_SLOTS_MIN)
		nr = DPIDX_TAG_INIT_SLOTS_MIN;
	if (nr > DPIDX_TAG_INIT_SLOTS_MAX)
		nr = DPIDX_TAG_INIT_SLOTS_MAX;
	if (nr > max_slots)
		nr = max_slots;
	return dpidx_chunktab_init(&s->ct, max_slots, nr);
}

/**
 * dpidx_tag_map() - map a range of device-private pages.
 * @s:     the space.
 * @pgmap: zero-initialised apart from @nr_pages and @owner.
 * @nid:   NUMA node of the descriptors, or -1 for anywhere.
 *
 * On success @pgmap->base is the tagged value of its first page.
 *
 * Context: may sleep; takes the space's lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap or a bad
 * @nid; -ENOSPC when the range needs more slots than the space has or no
 * run of free slots is long enough; -ENOMEM.  On failure nothing changed.
 */
static inline int dpidx_tag_map(struct dpidx_tag *s, struct dpidx_pgmap *pgmap,
				int nid)
{
	if (!s)
		return -EINVAL;
	return dpidx_chunktab_map(&s->ct, pgmap, nid, DPIDX_TAG_INDEX_BITS,
				  DPIDX_TAG_BIT);
}

/**
 * dpidx_tag_unmap() - unmap a range.
 * @s:     the space.
 * @pgmap: a range mapped in @s.
 *
 * Later lookups of its values return NULL at once; its descriptors are freed
 * after a grace period, before this returns, so the caller may then free
 * @pgmap.  Its slots may be reused by a later map.
 *
 * Context: may sleep (waits for a grace period); takes the space's lock; must not be
 * called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @s.
 */
static inline int dpidx_tag_unmap(struct dpidx_tag *s, struct dpidx_pgmap *pgmap)
{
	if (!s)
		return -EINVAL;
	return dpidx_chunktab_unmap(&s->ct, pgmap, DPIDX_TAG_INDEX_BITS,
				    DPIDX_TAG_BIT);
}

/**
 * dpidx_tag_destroy() - unmap everything and free the space.
 * @s: the space; no writer may run concurrently.
 *
 * Readers still inside a section finish first; the ranges left mapped are
 * released (their pgmaps can be mapped again).
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_tag_destroy(struct dpidx_tag *s)
{
	if (s)
		dpidx_chunktab_destroy(&s->ct, DPIDX_TAG_INDEX_BITS);
}

/**
 * dpidx_tag_check() - verify the structural invariants.
 * @s: the space.
 *
 * The chunk table's invariants (chunktab.h), with every base the tagged
 * value of its first slot, and the slot space within what the tag layout
 * can address.
 *
 * Context: takes the space's lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation.
 */
static inline int dpidx_tag_check(struct dpidx_tag *s)
{
	if (s->ct.max_chunks > DPIDX_TAG_MAX_SLOTS)
		return -EUCLEAN;
	return dpidx_chunktab_check(&s->ct, DPIDX_TAG_INDEX_BITS, DPIDX_TAG_BIT);
}

/* Bytes of index (slot table and allocator bitmap), descriptors excluded. */
static inline unsigned long dpidx_tag_index_bytes(struct dpidx_tag *s)
{
	return dpidx_chunktab_index_bytes(&s->ct);
}

#endif /* DPIDX_TAG_H */
