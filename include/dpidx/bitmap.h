/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/bitmap.h - the few bitmap operations the offset allocators need.
 *
 * Writer-side only (callers hold the space's lock), so plain accesses.
 * A bitmap of @nbits bits is BITS_TO_LONGS(@nbits) words; every bit at or
 * past @nbits reads as clear ("free"), which lets an allocator search beyond
 * the end of its table and grow the table to what it found.
 */
#ifndef DPIDX_BITMAP_H
#define DPIDX_BITMAP_H

#include "compat.h"

#define DPIDX_BITS_PER_LONG	(8 * sizeof(unsigned long))
#define DPIDX_BITS_TO_LONGS(n)	DPIDX_DIV_ROUND_UP(n, DPIDX_BITS_PER_LONG)

static inline bool dpidx_bit_test(const unsigned long *map, unsigned long bit)
{
	return (map[bit / DPIDX_BITS_PER_LONG] >> (bit % DPIDX_BITS_PER_LONG)) & 1;
}

/* Set (@set) or clear bits [@start, @start + @n) of @map. */
static inline void dpidx_bitmap_assign(unsigned long *map, unsigned long start,
				       unsigned long n, bool set)
{
	unsigned long bit, mask;

	for (bit = start; bit < start + n; bit++) {
		mask = 1UL << (bit % DPIDX_BITS_PER_LONG);
		if (set)
			map[bit / DPIDX_BITS_PER_LONG] |= mask;
		else
			map[bit / DPIDX_BITS_PER_LONG] &= ~mask;
	}
}

/* First bit >= @start whose value is @set, or @nbits if none below @nbits. */
static inline unsigned long dpidx_bitmap_next(const unsigned long *map,
					      unsigned long nbits,
					      unsigned long start, bool set)
{
	unsigned long i, word, flip = set ? 0 : ~0UL;

	if (start >= nbits)
		return nbits;
	i = start / DPIDX_BITS_PER_LONG;
	word = (map[i] ^ flip) & (~0UL << (start % DPIDX_BITS_PER_LONG));
	while (!word) {
		if (++i >= DPIDX_BITS_TO_LONGS(nbits))
			return nbits;
		word = map[i] ^ flip;
	}
	i = i * DPIDX_BITS_PER_LONG + dpidx_ffs(word);
	return i < nbits ? i : nbits;
}

/**
 * dpidx_bitmap_find_free() - first fit for a run of clear bits.
 * @map, @nbits: the bitmap; bits at or past @nbits count as clear.
 * @start:       no clear run starts below this (the caller's hint).
 * @n:           run length.
 * @align:       the run starts at a multiple of @align (a power of two).
 * @limit:       the run must end at or before @limit.
 *
 * Return: the first bit of the run, or @limit when none fits.
 */
static inline unsigned long dpidx_bitmap_find_free(const unsigned long *map,
						   unsigned long nbits,
						   unsigned long start,
						   unsigned long n,
						   unsigned long align,
						   unsigned long limit)
{
	unsigned long pos = start, busy;

	for (;;) {
		pos = dpidx_bitmap_next(map, nbits, pos, false);
		if (nbits == pos && pos < start)
			pos = start;
		pos = (pos + align - 1) & ~(align - 1);
		if (pos > limit || n > limit - pos)
			return limit;
		busy = dpidx_bitmap_next(map, nbits, pos, true);
		if (busy >= pos + n || busy >= nbits)
			return pos;
		pos = busy + 1;
	}
}

#endif /* DPIDX_BITMAP_H */
