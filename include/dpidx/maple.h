/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/maple.h - the maple encoding: an RCU B-tree of ranges.
 *
 * Coding conventions in this file:
 *   @s       the space (struct dpidx_maple)
 *   @wr      the writer's walk state, s->wr (struct dpidx_maple_wr)
 *   @node    a tree node; @leaf a node at level 0
 *   @level   a node's distance from the leaves (leaves are level 0)
 *   @height  the root's level
 *   @slot    an index into a node's key[] and child[]/range[]
 *   @offset  a device-private offset, any unsigned long
 *   @first, @last  the first and last offset of a range (inclusive)
 *   @gap     a free run [a, e) of offsets between two ranges
 *   @pgmap   a caller's range
 *
 * Layout (DPIDX_MAPLE_SLOTS = 16, one node = 7 cache lines in 512 bytes):
 *
 *   s->root = node | one | height (in the pointer's low bits; "one" is
 *             DPIDX_MAPLE_ROOT_ONE: the root is a leaf of exactly one range)
 *       |
 *       v   internal node (level >= 1)
 *   +--------+--------+-----+--------+--------+     +-----------------+
 *   | key[0] | key[1] | ... |  ~0UL  |  ~0UL  |     | writer-only:    |
 *   +--------+--------+-----+--------+--------+     | parent, lo, hi, |
 *   |child[0]|child[1]| ... |child[k]|  NULL  |     | gap, agap, nr,  |
 *   +---|----+---|----+-----+---|----+--------+     | level           |
 *       v        v              v                   +-----------------+
 *   leaf (level 0)
 *   +--------+--------+-----+--------+--------+
 *   | last0  | last1  | ... |  ~0UL  |  ~0UL  |   key[i] = last offset of range i
 *   +--------+--------+-----+--------+--------+
 *   |first0,pages0|first1,pages1|..| ~0,NULL  |   range[i] = where it starts and
 *   +-------------+-------------+--+----------+   its descriptors (pages[0] <-> first)
 *
 * key[i] of an internal node is the last offset mapped under child[i]; the
 * last used key is ~0UL instead, and so is every unused key.  A leaf holds
 * at most SLOTS - 1 ranges, so its key[SLOTS - 1] is always ~0UL.  Hence the
 * slot for @offset is simply the number of keys below it, found branch-free
 * in two rounds of three compares (dpidx_maple_slot()) over two cache lines,
 * and it always lands on a used child (internal) or on a range or unused
 * slot (leaf) -- never past the end.
 * The leaf holds the descriptor pointer itself: a lookup never touches the
 * pgmap.
 *
 * Invariants (dpidx_maple_check() verifies every one):
 *   - ranges are disjoint and sorted: first <= last < next first;
 *   - every leaf is at depth height; a non-root node holds at least
 *     DPIDX_MAPLE_MIN(level) entries, except on the right spine (the last
 *     node of each level), which holds at least 1; a root internal node
 *     holds at least 2.  Letting the right spine run short is what packs
 *     nodes full when ranges are mapped in ascending order (the common
 *     case: first fit hands out rising offsets): a right-spine node that
 *     overflows splits into a full left node and a short right one;
 *   - an internal node's key[i] (i < nr - 1) is child[i]->hi, and
 *     child[i]->parent is the node; the root's parent is NULL;
 *   - lo/hi are the first/last offset mapped in the subtree; gap is the
 *     longest free run strictly between two of its ranges and agap the
 *     longest run in one such gap that starts on a 512 boundary, both exact.
 *     The gaps of a subtree never straddle its edges: the gap between two
 *     children belongs to their parent, so a change in one child only
 *     changes its own summary.
 *
 * Readers (offset_to_page, lookup_range, swp_pte_to_page): inside
 * rcu_read_lock(); no lock, no retry, no store.  They load s->root and each
 * child pointer with rcu_dereference() (address-dependency ordering) and
 * never read the writer-only fields.  A published node is immutable except
 * for its writer-only @parent, so a reader sees either the old tree or the
 * new one, never a half-built node.
 *
 * Writers (map, unmap, destroy): serialised by @s->lock.  Copy-on-write
 * path copying: every node on the path from the changed leaf to the root
 * (and a sibling when two nodes merge or rebalance) is rebuilt into fresh
 * nodes, bottom-up, then the new root is published with one
 * rcu_assign_pointer() (release: every store into the new nodes, the
 * descriptors and pgmap->base happen-before a reader that loads it).  The
 * replaced nodes go on @s->retired, linked through their @parent, and are
 * freed (or recycled) only after a grace period:
 *   unmap: synchronize_rcu() under the lock (readers never take it), then
 *          the descriptors are freed and the retired nodes refill the spare
 *          pool.  Removing a range never needs more new nodes than it
 *          retires, so the pool that map() tops up always covers an unmap:
 *          unmap() never allocates and never fails for lack of memory.
 *   map:   allocates what it may need into the pool before changing
 *          anything (-ENOMEM changes nothing); its retired nodes wait for
 *          the next unmap, or are freed after one grace period (outside the
 *          lock) once 64..1024 of them (up to the tree's own node count)
 *          have piled up: one grace period per tens of maps.
 *
 * Offset allocation: first fit from the gap summaries in O(SLOTS * height):
 * descend into the leftmost child whose gap (agap for ranges of 512 pages
 * or more, which start on a 512 boundary) is long enough, or take the gap
 * between two children; never a scan of the ranges.
 *
 * Costs: a leaf holds 7..15 ranges (15 when they were mapped in ascending
 * order), so about 34..73 bytes of index per range; a lookup reads the two
 * key lines of each level plus one child or range line, and no pgmap: ~20
 * instructions a level, and one serial miss per level (the child or range
 * lines are prefetched with the keys).  A one-range tree
 * is one interval test on the root leaf.
 * Heights seen for ascending maps: 0 up to 15 ranges, 1 at 64, 2 at 1,024,
 * 3 at 8,192 and 10,000, 4 at 65,536 and 100,000, 5 at 1,000,000.  Map and
 * unmap copy height + 1 nodes (a few more on a split or merge).  The
 * offset space is 2 * max_pages (aligned ranges waste under 512 offsets
 * each, never more than their own size), and a 1-page range costs one
 * offset.
 */
#ifndef DPIDX_MAPLE_H
#define DPIDX_MAPLE_H

#include "types.h"
#include "pte.h"

/*
 * A hint: start fetching the line at @p (never faults).  compat.h maps it
 * to the kernel's prefetch() or the compiler builtin.
 */
#define dpidx_maple_prefetch(p)		dpidx_prefetch(p)

#ifndef DPIDX_MAPLE_SLOTS
#define DPIDX_MAPLE_SLOTS		16
#endif
#define DPIDX_MAPLE_SWAP_TYPES		DPIDX_V6_SWAP_TYPES
/* Takes caller-provided descriptors (DPIDX_PGMAP_CALLER_PAGES). */
#define DPIDX_MAPLE_CALLER_PAGES	1
/* The offset space: what a v6 swap entry can carry below the A/D bits. */
#define DPIDX_MAPLE_MAX_OFFSETS		DPIDX_V6_MAX_OFFSETS
/*
 * init() sizes the offset space at 2 * max_pages (512-alignment padding), so
 * it accepts max_pages up to half the offsets; ranges are not bounded.
 */
#define DPIDX_MAPLE_MAX_PAGES		(DPIDX_MAPLE_MAX_OFFSETS / 2)
#define DPIDX_MAPLE_MAX_RANGES		(~0UL)
/* Levels the walk state can record; 16^20 ranges is far beyond the space. */
#define DPIDX_MAPLE_MAX_HEIGHT		20
/* The root pointer's low bits: the height, and the one-range flag. */
#define DPIDX_MAPLE_ROOT_MASK		63UL
#define DPIDX_MAPLE_HEIGHT_MASK		31UL
#define DPIDX_MAPLE_ROOT_ONE		32UL
#define DPIDX_MAPLE_ALIGN		DPIDX_PMD_PAGES
/* Entries per node: a leaf keeps key[SLOTS - 1] as its ~0UL sentinel. */
#define DPIDX_MAPLE_MAX(level)		((level) ? DPIDX_MAPLE_SLOTS : DPIDX_MAPLE_SLOTS - 1)
#define DPIDX_MAPLE_MIN(level)		(DPIDX_MAPLE_MAX(level) / 2)
/* Never free retired nodes in batches smaller than this. */
#define DPIDX_MAPLE_RETIRE_BATCH	64UL
/* ... nor larger than this: big batches only make the allocator thrash. */
#define DPIDX_MAPLE_RETIRE_BATCH_MAX	1024UL
#define DPIDX_MAPLE_NONE		(~0UL)

dpidx_static_assert(DPIDX_MAPLE_SLOTS == 16 || DPIDX_MAPLE_SLOTS == 64,
		    "the slot search narrows to a quarter per round");
dpidx_static_assert(DPIDX_MAPLE_MAX_HEIGHT < DPIDX_MAPLE_ROOT_ONE,
		    "the height must fit below the one-range flag");
dpidx_static_assert(DPIDX_MAPLE_ROOT_MASK == (DPIDX_MAPLE_HEIGHT_MASK | DPIDX_MAPLE_ROOT_ONE) &&
		    !(DPIDX_MAPLE_HEIGHT_MASK & DPIDX_MAPLE_ROOT_ONE),
		    "height and flag fill the root pointer's alignment bits");
dpidx_static_assert(DPIDX_MAPLE_MAX_OFFSETS <= (1UL << 40),
		    "offsets, gaps and 2 * max_pages must never wrap");

struct dpidx_maple_range {
	unsigned long first;		/* ~0UL in an unused slot */
	struct dpidx_page *pages;	/* pages[0] <-> @first */
};

struct dpidx_maple_node {
	/* Read by lookups. */
	unsigned long key[DPIDX_MAPLE_SLOTS];
	union {
		struct dpidx_maple_node __rcu *child[DPIDX_MAPLE_SLOTS];
		struct dpidx_maple_range range[DPIDX_MAPLE_SLOTS];
	};
	/* Writer-only: no reader ever loads these. */
	struct dpidx_maple_node *parent;	/* or the retired/pool list link */
	unsigned long lo;			/* first offset mapped below */
	unsigned long hi;			/* last offset mapped below */
	unsigned long gap;			/* longest free run inside */
	unsigned long agap;			/* longest 512-aligned free run inside */
	unsigned int nr;			/* entries used */
	unsigned int level;			/* 0 for a leaf */
} dpidx_cacheline_aligned;

/*
 * Nodes are allocated at a power-of-two size: kmalloc() aligns those to
 * their size even with slab debugging, and the root pointer needs 6 clear
 * low bits for the height.
 */
#define DPIDX_MAPLE_NODE_SIZE		(32 * DPIDX_MAPLE_SLOTS)

dpidx_static_assert(sizeof(struct dpidx_maple_node) % 64 == 0 &&
		    sizeof(struct dpidx_maple_node) <= DPIDX_MAPLE_NODE_SIZE &&
		    (DPIDX_MAPLE_SLOTS & (DPIDX_MAPLE_SLOTS - 1)) == 0,
		    "nodes are whole cache lines in a power-of-two allocation");

/* One entry as the writer moves it around, whatever the node's level. */
struct dpidx_maple_ent {
	unsigned long first;		/* range first, or child->lo */
	unsigned long last;		/* range last, or child->hi */
	void *ptr;			/* descriptors, or the child */
};

/*
 * Writer walk state (the ma_state of this file), under @s->lock: the path
 * of the last walk and the change being carried up it.  It lives in the
 * space, not on the stack, because the merge buffer is ~800 bytes.
 */
struct dpidx_maple_wr {
	unsigned int height;
	struct dpidx_maple_node *node[DPIDX_MAPLE_MAX_HEIGHT + 1];	/* [level] */
	unsigned int slot[DPIDX_MAPLE_MAX_HEIGHT + 1];	/* taken in node[level] */
	bool rightmost[DPIDX_MAPLE_MAX_HEIGHT + 1];	/* node[level] ends its level */
	/* Replace entries [a, b) of the node at this level by new[0..nr_new). */
	unsigned int a, b, nr_new;
	struct dpidx_maple_ent new[2];
	struct dpidx_maple_ent buf[2 * DPIDX_MAPLE_SLOTS + 1];
};

struct dpidx_maple {
	/* Read by every lookup: alone on its cache line. */
	void __rcu *root;		/* node | height */
	/* Writer side, under @lock. */
	struct dpidx_lock lock dpidx_cacheline_aligned;
	unsigned long limit;		/* offsets are < limit */
	unsigned long nr_ranges;
	unsigned long nr_pages;
	unsigned long nr_nodes;		/* in the published tree */
	struct dpidx_maple_node *pool;	/* spare nodes, never published */
	unsigned long nr_pool;
	struct dpidx_maple_node *retired;	/* replaced, awaiting a grace period */
	unsigned long nr_retired;
	bool destroyed;			/* destroy() ran; init() clears it */
	struct dpidx_maple_wr wr;
};

/* The empty tree: a leaf of unused slots.  Never written, never freed. */
static const struct dpidx_maple_node dpidx_maple_empty_leaf = {
	.key = { [0 ... DPIDX_MAPLE_SLOTS - 1] = DPIDX_MAPLE_NONE },
	.range = { [0 ... DPIDX_MAPLE_SLOTS - 1] = { DPIDX_MAPLE_NONE, NULL } },
};

/*
 * The root pointer: the node, its height, and DPIDX_MAPLE_ROOT_ONE when the
 * root is a leaf holding exactly one range (the amdkfd case: one big range
 * per device), which readers resolve with one interval test.
 */
static inline void *dpidx_maple_root_encode(const struct dpidx_maple_node *node,
					    unsigned int height)
{
	unsigned long one = !height && node->nr == 1 ? DPIDX_MAPLE_ROOT_ONE : 0;

	return (void *)((unsigned long)node | height | one);
}

static inline struct dpidx_maple_node *dpidx_maple_root_node(const void *root)
{
	return (struct dpidx_maple_node *)((unsigned long)root &
					   ~DPIDX_MAPLE_ROOT_MASK);
}

static inline unsigned int dpidx_maple_root_height(const void *root)
{
	return (unsigned int)((unsigned long)root & DPIDX_MAPLE_HEIGHT_MASK);
}

/*
 * The slot of @offset in @node: how many keys lie below it.  Branch-free,
 * in two rounds of three independent compares: keys 3, 7 and 11 (on both
 * key lines, so both lines are fetched at once) pick the group of four
 * that holds the answer, then the group's first three keys are counted.
 * Exact because the keys are sorted and key[SLOTS - 1] is always ~0UL, so
 * the last key of the chosen group never lies below @offset.  About 20
 * instructions instead of 64 for counting all sixteen: in the throughput
 * case more lookups fit in the out-of-order window and their misses
 * overlap; one dependent L1 round (~5 cycles) more per level.
 */
static inline unsigned int dpidx_maple_slot(const struct dpidx_maple_node *node,
					    unsigned long offset)
{
	const unsigned long *key = node->key;
	unsigned int slot = 0, step;

	for (step = DPIDX_MAPLE_SLOTS / 4; step >= 4; step /= 4) {
		key += step * ((unsigned int)(key[step - 1] < offset) +
			       (key[2 * step - 1] < offset) +
			       (key[3 * step - 1] < offset));
	}
	slot = (unsigned int)(key - node->key);
	return slot + (key[0] < offset) + (key[1] < offset) + (key[2] < offset);
}

/* Reader: from a root snapshot down to the leaf whose span holds @offset. */
static inline const struct dpidx_maple_node *
dpidx_maple_descend(const void *root, unsigned long offset)
{
	const struct dpidx_maple_node *node = dpidx_maple_root_node(root);
	unsigned int height = dpidx_maple_root_height(root);

	while (height--) {
		/*
		 * The child pointers lie on two lines of their own: start them
		 * now, with the key lines, so each level costs one serial miss
		 * instead of two (the keys, then the chosen child's line).  On
		 * the fault path at 65,536 ranges: 466 -> 344 ns on this VM.
		 */
		dpidx_maple_prefetch(&node->child[0]);
		dpidx_maple_prefetch(&node->child[DPIDX_MAPLE_SLOTS / 2]);
		/* Consume: the next node's loads depend on this pointer. */
		node = dpidx_rcu_dereference(node->child[dpidx_maple_slot(node, offset)]);
	}
	/* The leaf's range lines likewise: its one line is known only late. */
	dpidx_maple_prefetch(&node->range[0]);
	dpidx_maple_prefetch(&node->range[DPIDX_MAPLE_SLOTS / 4]);
	dpidx_maple_prefetch(&node->range[DPIDX_MAPLE_SLOTS / 2]);
	dpidx_maple_prefetch(&node->range[3 * DPIDX_MAPLE_SLOTS / 4]);
	return node;
}

/**
 * dpidx_maple_offset_to_page() - the descriptor of a device-private offset.
 * @s:      the space.
 * @offset: any value.
 *
 * One descent: per level, count the keys below @offset and follow that
 * child; at the leaf, the slot's range either holds @offset or @offset lies
 * in the gap before it.
 *
 * Context: inside rcu_read_lock(); never blocks, never retries, never
 * writes.  The descriptor stays valid until the read-side section ends.
 * Return: the descriptor, or NULL when @offset lies in no mapped range.
 */
static inline struct dpidx_page *
dpidx_maple_offset_to_page(struct dpidx_maple *s, unsigned long offset)
{
	/* Consume: all node loads below depend on the root pointer. */
	const void *root = dpidx_rcu_dereference(s->root);
	const struct dpidx_maple_node *leaf;
	const struct dpidx_maple_range *range;

	if ((unsigned long)root & DPIDX_MAPLE_ROOT_ONE) {
		/* One range: in it iff offset - first <= last - first. */
		leaf = dpidx_maple_root_node(root);
		range = &leaf->range[0];
		if (offset - range->first > leaf->key[0] - range->first)
			return NULL;
		return range->pages + (offset - range->first);
	}
	/* Keeps ~0UL (the unused slots' first) from matching. */
	if (unlikely(offset >= DPIDX_MAPLE_MAX_OFFSETS))
		return NULL;
	leaf = dpidx_maple_descend(root, offset);
	range = &leaf->range[dpidx_maple_slot(leaf, offset)];
	/* key[slot] >= offset by construction: only the start is left to test. */
	if (offset < range->first)
		return NULL;
	return range->pages + (offset - range->first);
}

/**
 * dpidx_maple_page_to_offset() - the offset of a descriptor.
 * @page: a descriptor returned by a lookup or found in a mapped pgmap.
 *
 * Context: any; @page must be valid (see dpidx_maple_offset_to_page()).
 * Return: its offset.  No index access: the descriptor points at its range.
 */
static inline unsigned long dpidx_maple_page_to_offset(const struct dpidx_page *page)
{
	return dpidx_page_offset(page);
}

/* Fill pages[0..n) with NULL. */
static inline void dpidx_maple_fill_null(struct dpidx_page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		pages[i] = NULL;
}

/**
 * dpidx_maple_lookup_range() - resolve @n consecutive offsets.
 * @s:      the space.
 * @offset: the first offset.
 * @n:      how many.
 * @pages:  out: pages[i] = dpidx_maple_offset_to_page(s, offset + i).
 *
 * One descent per leaf crossed: within a leaf the walk steps from range to
 * range (and over the gaps between them) without going back to the root.
 * All descents use one root snapshot.
 *
 * Context: inside rcu_read_lock().
 * Return: @n.
 */
static inline unsigned long dpidx_maple_lookup_range(struct dpidx_maple *s,
						     unsigned long offset,
						     unsigned long n,
						     struct dpidx_page **pages)
{
	const void *root = dpidx_rcu_dereference(s->root);
	unsigned long done = 0;

	while (done < n) {
		unsigned long o = offset + done, run = n - done, m, i;
		const struct dpidx_maple_node *leaf;
		unsigned int slot;

		if (unlikely(o >= DPIDX_MAPLE_MAX_OFFSETS)) {
			/* Nothing up here; offset + i may wrap back to 0. */
			if (o && 0 - o < run)
				run = 0 - o;
			dpidx_maple_fill_null(pages + done, run);
			done += run;
			continue;
		}
		leaf = dpidx_maple_descend(root, o);
		slot = dpidx_maple_slot(leaf, o);
		if (leaf->key[slot] == DPIDX_MAPLE_NONE) {
			/* Past the last range of the rightmost leaf. */
			m = DPIDX_MAPLE_MAX_OFFSETS - o;
			m = m < run ? m : run;
			dpidx_maple_fill_null(pages + done, m);
			done += m;
			continue;
		}
		/* Walk this leaf's ranges from @slot until @run or the leaf ends. */
		while (run) {
			const struct dpidx_maple_range *range = &leaf->range[slot];

			if (o < range->first) {
				m = range->first - o;
				m = m < run ? m : run;
				dpidx_maple_fill_null(pages + done, m);
			} else {
				m = leaf->key[slot] - o + 1;
				m = m < run ? m : run;
				for (i = 0; i < m; i++)
					pages[done + i] = range->pages + (o - range->first) + i;
			}
			done += m;
			run -= m;
			o += m;
			if (o > leaf->key[slot] &&
			    (++slot == DPIDX_MAPLE_SLOTS || leaf->key[slot] == DPIDX_MAPLE_NONE))
				break;	/* the next offsets belong to another leaf */
		}
	}
	return n;
}

static inline uint64_t dpidx_maple_make_swp_pte(unsigned long offset,
						enum dpidx_kind kind)
{
	return dpidx_v6_make_swp_pte(offset, kind);
}

static inline bool dpidx_maple_swp_pte_is_device_private(uint64_t pte)
{
	return dpidx_v6_swp_pte_is_device_private(pte);
}

static inline enum dpidx_kind dpidx_maple_swp_pte_kind(uint64_t pte)
{
	return dpidx_v6_swp_pte_kind(pte);
}

static inline unsigned long dpidx_maple_swp_pte_offset(uint64_t pte)
{
	return dpidx_v6_swp_pte_offset(pte);
}

/**
 * dpidx_maple_swp_pte_to_page() - the whole fault-path resolution.
 * @s:   the space.
 * @pte: any 64-bit value.
 *
 * Context: inside rcu_read_lock().
 * Return: the descriptor, or NULL unless @pte is a device-private entry of a
 * mapped offset.
 */
static inline struct dpidx_page *dpidx_maple_swp_pte_to_page(struct dpidx_maple *s,
							     uint64_t pte)
{
	/* Keys at or past DPIDX_MAPLE_MAX_OFFSETS resolve nowhere. */
	return dpidx_maple_offset_to_page(s, dpidx_v6_swp_pte_key(pte));
}

/* ---- writer side: nodes, pool, retired list ----------------------------- */

static inline void *dpidx_maple_root(struct dpidx_maple *s)
{
	return dpidx_rcu_dereference_protected(s->root);
}

static inline struct dpidx_maple_node *
dpidx_maple_child(const struct dpidx_maple_node *node, unsigned int slot)
{
	return dpidx_rcu_dereference_protected(((struct dpidx_maple_node *)node)->child[slot]);
}

/*
 * The empty leaf is the only node with no entries ever published (a header
 * static has one copy per translation unit, so test the property, not the
 * address).
 */
static inline bool dpidx_maple_is_empty_leaf(const struct dpidx_maple_node *node)
{
	return !node->nr;
}

/*
 * Nodes come from the vmemmap allocator: cache-line aligned in userspace
 * (and through the allocation-failure hook), kmalloc-512 in the kernel,
 * which is naturally aligned; either way the low 6 bits hold the height.
 */
static inline struct dpidx_maple_node *dpidx_maple_node_alloc(void)
{
	return (struct dpidx_maple_node *)dpidx_vmemmap_alloc(
			DPIDX_MAPLE_NODE_SIZE, -1);
}

static inline void dpidx_maple_node_free(struct dpidx_maple_node *node)
{
	dpidx_vmemmap_free(node, DPIDX_MAPLE_NODE_SIZE);
}

/* Free a list linked through @parent. */
static inline void dpidx_maple_list_free(struct dpidx_maple_node *node)
{
	struct dpidx_maple_node *next;

	for (; node; node = next) {
		next = node->parent;
		dpidx_maple_node_free(node);
	}
}

/* Top the pool up to @want spare nodes.  Return: 0 or -ENOMEM. */
static inline int dpidx_maple_pool_fill(struct dpidx_maple *s, unsigned long want)
{
	struct dpidx_maple_node *node;

	while (s->nr_pool < want) {
		node = dpidx_maple_node_alloc();
		if (!node)
			return -ENOMEM;
		node->parent = s->pool;
		s->pool = node;
		s->nr_pool++;
	}
	return 0;
}

/* A spare node for the tree; the pool was filled for the whole operation. */
static inline struct dpidx_maple_node *dpidx_maple_node_take(struct dpidx_maple *s)
{
	struct dpidx_maple_node *node = s->pool;

	s->pool = node->parent;
	s->nr_pool--;
	s->nr_nodes++;
	return node;
}

/*
 * @node leaves the tree: readers may still walk it until a grace period
 * ends.  Its @parent becomes the list link (readers never read it).
 */
static inline void dpidx_maple_node_retire(struct dpidx_maple *s,
					   struct dpidx_maple_node *node)
{
	if (dpidx_maple_is_empty_leaf(node))
		return;
	node->parent = s->retired;
	s->retired = node;
	s->nr_retired++;
	s->nr_nodes--;
}

/* Spare nodes an unmap at @height may need (root: 1, other levels: 2). */
static inline unsigned long dpidx_maple_unmap_need(unsigned int height)
{
	return 2UL * height + 2;
}

/* A map at @height: 2 per level plus a new root, and then an unmap's worth. */
static inline unsigned long dpidx_maple_map_need(unsigned int height)
{
	return 2UL * height + 3 + dpidx_maple_unmap_need(height + 1);
}

/* ---- writer side: summaries ---------------------------------------------- */

static inline unsigned long dpidx_maple_align_up(unsigned long a)
{
	return (a + DPIDX_MAPLE_ALIGN - 1) & ~(DPIDX_MAPLE_ALIGN - 1);
}

/* Account the free run [a, e) into a gap/agap pair. */
static inline void dpidx_maple_gap_note(unsigned long *gap, unsigned long *agap,
					unsigned long a, unsigned long e)
{
	unsigned long start = dpidx_maple_align_up(a);

	if (e > a && e - a > *gap)
		*gap = e - a;
	if (e > start && e - start > *agap)
		*agap = e - start;
}

/* Does [a, e) hold @n offsets from an @align-aligned start?  Sets *@start. */
static inline bool dpidx_maple_gap_fits(unsigned long a, unsigned long e,
					unsigned long n, unsigned long align,
					unsigned long *start)
{
	unsigned long first = (a + align - 1) & ~(align - 1);

	if (first >= e || e - first < n)
		return false;
	*start = first;
	return true;
}

static inline unsigned long dpidx_maple_node_gap(const struct dpidx_maple_node *node,
						 unsigned long align)
{
	return align > 1 ? node->agap : node->gap;
}

/* Entry @slot of @node, as the writer moves it. */
static inline void dpidx_maple_ent_get(const struct dpidx_maple_node *node,
				       unsigned int slot,
				       struct dpidx_maple_ent *ent)
{
	const struct dpidx_maple_node *child;

	if (!node->level) {
		ent->first = node->range[slot].first;
		ent->last = node->key[slot];
		ent->ptr = node->range[slot].pages;
		return;
	}
	child = dpidx_maple_child(node, slot);
	ent->first = child->lo;
	ent->last = child->hi;
	ent->ptr = (void *)child;
}

/*
 * Build @node at @level from @nr entries (1 <= nr <= MAX(level)), before it
 * is published: plain stores, ordered for readers by the release that
 * publishes the root.  Adopts the children (their writer-only @parent).
 */
static inline void dpidx_maple_node_fill(struct dpidx_maple_node *node,
					 unsigned int level,
					 const struct dpidx_maple_ent *ent,
					 unsigned int nr)
{
	struct dpidx_maple_node *child;
	unsigned int i;

	memset(node, 0, sizeof(*node));
	node->level = level;
	node->nr = nr;
	for (i = 0; i < DPIDX_MAPLE_SLOTS; i++) {
		node->key[i] = DPIDX_MAPLE_NONE;
		if (!level)
			node->range[i].first = DPIDX_MAPLE_NONE;
	}
	for (i = 0; i < nr; i++) {
		if (i)
			dpidx_maple_gap_note(&node->gap, &node->agap,
					     ent[i - 1].last + 1, ent[i].first);
		if (!level) {
			node->key[i] = ent[i].last;
			node->range[i].first = ent[i].first;
			node->range[i].pages = (struct dpidx_page *)ent[i].ptr;
			continue;
		}
		child = (struct dpidx_maple_node *)ent[i].ptr;
		if (i < nr - 1)
			node->key[i] = ent[i].last;
		node->child[i] = child;
		child->parent = node;
		if (child->gap > node->gap)
			node->gap = child->gap;
		if (child->agap > node->agap)
			node->agap = child->agap;
	}
	node->lo = ent[0].first;
	node->hi = ent[nr - 1].last;
}

/* A fresh node at @level from @ent[0..nr), as the entry its parent will hold. */
static inline void dpidx_maple_emit(struct dpidx_maple *s, unsigned int level,
				    const struct dpidx_maple_ent *ent,
				    unsigned int nr, struct dpidx_maple_ent *out)
{
	struct dpidx_maple_node *node = dpidx_maple_node_take(s);

	dpidx_maple_node_fill(node, level, ent, nr);
	out->first = node->lo;
	out->last = node->hi;
	out->ptr = node;
}

/*
 * @nr entries at @level into wr->new: one node, or two if too many -- two
 * halves, or on the right spine a full node and the rest.
 */
static inline void dpidx_maple_emit_split(struct dpidx_maple *s, unsigned int level,
					  const struct dpidx_maple_ent *ent,
					  unsigned int nr, bool rightmost)
{
	struct dpidx_maple_wr *wr = &s->wr;
	unsigned int half = rightmost ? DPIDX_MAPLE_MAX(level) : nr / 2;

	if (nr <= DPIDX_MAPLE_MAX(level)) {
		dpidx_maple_emit(s, level, ent, nr, &wr->new[0]);
		wr->nr_new = 1;
		return;
	}
	dpidx_maple_emit(s, level, ent, half, &wr->new[0]);
	dpidx_maple_emit(s, level, ent + half, nr - half, &wr->new[1]);
	wr->nr_new = 2;
}

/* ---- writer side: walk, rebuild, publish --------------------------------- */

/* Record the path to the leaf whose span holds @offset.  Under @s->lock. */
static inline void dpidx_maple_walk(struct dpidx_maple *s, unsigned long offset)
{
	struct dpidx_maple_wr *wr = &s->wr;
	void *root = dpidx_maple_root(s);
	struct dpidx_maple_node *node = dpidx_maple_root_node(root);
	unsigned int level = dpidx_maple_root_height(root);

	wr->height = level;
	wr->rightmost[level] = true;
	for (;;) {
		wr->node[level] = node;
		wr->slot[level] = dpidx_maple_slot(node, offset);
		if (!level)
			break;
		wr->rightmost[level - 1] = wr->rightmost[level] &&
					   wr->slot[level] == node->nr - 1;
		node = dpidx_maple_child(node, wr->slot[level]);
		level--;
	}
}

/* Publish @node as the root at @height. */
static inline void dpidx_maple_publish(struct dpidx_maple *s,
				       const struct dpidx_maple_node *node,
				       unsigned int height)
{
	if (!dpidx_maple_is_empty_leaf(node))
		((struct dpidx_maple_node *)node)->parent = NULL;
	/*
	 * Release: the new nodes, the descriptors they point at and
	 * pgmap->base were all written before; a reader that loads the new
	 * root sees them.  The nodes it replaces stay intact for readers
	 * already inside them until the grace period.
	 */
	dpidx_rcu_assign_pointer(s->root, dpidx_maple_root_encode(node, height));
}

/* The root level of the rebuild: new root, maybe one level more or less. */
static inline void dpidx_maple_rebuild_root(struct dpidx_maple *s,
					    unsigned int level, unsigned int cnt)
{
	struct dpidx_maple_wr *wr = &s->wr;
	struct dpidx_maple_ent top;

	if (!cnt) {
		dpidx_maple_publish(s, &dpidx_maple_empty_leaf, 0);
	} else if (level && cnt == 1) {
		/* Shrink: the only child becomes the root. */
		dpidx_maple_publish(s, (struct dpidx_maple_node *)wr->buf[0].ptr,
				    level - 1);
	} else if (cnt <= DPIDX_MAPLE_MAX(level)) {
		dpidx_maple_emit(s, level, wr->buf, cnt, &top);
		dpidx_maple_publish(s, (struct dpidx_maple_node *)top.ptr, level);
	} else {
		/* Grow: split the root, and a new root above the halves. */
		dpidx_maple_emit_split(s, level, wr->buf, cnt, true);
		dpidx_maple_emit(s, level + 1, wr->new, 2, &top);
		dpidx_maple_publish(s, (struct dpidx_maple_node *)top.ptr, level + 1);
	}
}

/*
 * Apply the change in @s->wr (entries [a, b) of the walked leaf become
 * new[0..nr_new)) and carry it up the path: at each level the node is
 * rebuilt with its child's replacement; it splits when over full and merges
 * with or borrows from a sibling when under full.  Every node it replaces is
 * retired.  The pool holds enough nodes: this cannot fail.
 */
static inline void dpidx_maple_rebuild(struct dpidx_maple *s)
{
	struct dpidx_maple_wr *wr = &s->wr;
	struct dpidx_maple_node *node, *parent, *sib;
	unsigned int level, cnt, i, idx, sidx, snr;

	for (level = 0; ; level++) {
		node = wr->node[level];
		cnt = 0;
		for (i = 0; i < wr->a; i++)
			dpidx_maple_ent_get(node, i, &wr->buf[cnt++]);
		for (i = 0; i < wr->nr_new; i++)
			wr->buf[cnt++] = wr->new[i];
		for (i = wr->b; i < node->nr; i++)
			dpidx_maple_ent_get(node, i, &wr->buf[cnt++]);
		dpidx_maple_node_retire(s, node);

		if (level == wr->height) {
			dpidx_maple_rebuild_root(s, level, cnt);
			return;
		}
		parent = wr->node[level + 1];
		idx = wr->slot[level + 1];
		wr->a = idx;
		wr->b = idx + 1;
		if (!cnt) {
			/* A right-spine node lost its last entry: drop it. */
			wr->nr_new = 0;
			continue;
		}
		if (wr->rightmost[level] || cnt >= DPIDX_MAPLE_MIN(level)) {
			dpidx_maple_emit_split(s, level, wr->buf, cnt,
					       wr->rightmost[level]);
			continue;
		}
		/* Under full: take in the left (else right) sibling's entries. */
		sidx = idx ? idx - 1 : idx + 1;
		sib = dpidx_maple_child(parent, sidx);
		snr = sib->nr;
		if (sidx < idx) {
			memmove(&wr->buf[snr], &wr->buf[0], cnt * sizeof(wr->buf[0]));
			for (i = 0; i < snr; i++)
				dpidx_maple_ent_get(sib, i, &wr->buf[i]);
			wr->a = sidx;
		} else {
			for (i = 0; i < snr; i++)
				dpidx_maple_ent_get(sib, i, &wr->buf[cnt + i]);
			wr->b = sidx + 1;
		}
		dpidx_maple_node_retire(s, sib);
		/* A short right-spine sibling: the merged node ends the level. */
		dpidx_maple_emit_split(s, level, wr->buf, cnt + snr, false);
	}
}

/* ---- writer side: offset allocation -------------------------------------- */

/*
 * First fit for @n offsets aligned to @align below @s->limit, from the gap
 * summaries: the gap before the first range, then the leftmost subtree or
 * between-children gap that fits (the summaries are exact, so the descent
 * never backtracks), then the gap after the last range.  Under @s->lock.
 * Return: 0 with *@start set, or -ENOSPC.
 */
static inline int dpidx_maple_find_gap(struct dpidx_maple *s, unsigned long n,
				       unsigned long align, unsigned long *start)
{
	void *root = dpidx_maple_root(s);
	const struct dpidx_maple_node *node = dpidx_maple_root_node(root);
	const struct dpidx_maple_node *child = NULL, *next;
	unsigned int level = dpidx_maple_root_height(root), i;

	if (!node->nr)
		return dpidx_maple_gap_fits(0, s->limit, n, align, start) ? 0 : -ENOSPC;
	if (dpidx_maple_gap_fits(0, node->lo, n, align, start))
		return 0;
	if (dpidx_maple_node_gap(node, align) < n)
		return dpidx_maple_gap_fits(node->hi + 1, s->limit, n, align, start) ?
		       0 : -ENOSPC;
	while (level) {
		for (i = 0; i < node->nr; i++) {
			child = dpidx_maple_child(node, i);
			if (dpidx_maple_node_gap(child, align) >= n)
				break;
			if (i + 1 == node->nr)
				return -EUCLEAN;	/* summaries lie */
			next = dpidx_maple_child(node, i + 1);
			if (dpidx_maple_gap_fits(child->hi + 1, next->lo, n, align, start))
				return 0;
		}
		node = child;
		level--;
	}
	for (i = 1; i < node->nr; i++)
		if (dpidx_maple_gap_fits(node->key[i - 1] + 1, node->range[i].first,
					 n, align, start))
			return 0;
	return -EUCLEAN;
}

/* ---- API: init, map, unmap, destroy -------------------------------------- */

/**
 * dpidx_maple_init() - an empty maple space.
 * @s:         the space to initialise.
 * @max_pages: pages it must be able to hold, 1 .. DPIDX_MAPLE_MAX_PAGES.
 *
 * The offset space is 2 * @max_pages (at most DPIDX_MAPLE_MAX_OFFSETS), so
 * ranges totalling @max_pages fit whatever their 512-alignment padding.
 * The tree starts empty and allocates nothing until the first map.
 *
 * Context: may sleep.
 * Return: 0 or -EINVAL.
 */
static inline int dpidx_maple_init(struct dpidx_maple *s, unsigned long max_pages)
{
	unsigned long limit;

	if (!s || !max_pages || max_pages > DPIDX_MAPLE_MAX_PAGES)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	limit = dpidx_maple_align_up(2 * max_pages);
	s->limit = limit < DPIDX_MAPLE_MAX_OFFSETS ? limit : DPIDX_MAPLE_MAX_OFFSETS;
	s->root = dpidx_maple_root_encode(&dpidx_maple_empty_leaf, 0);
	dpidx_lock_init(&s->lock);
	return 0;
}

/* Free retired nodes once they pile up: one grace period for many maps. */
static inline struct dpidx_maple_node *dpidx_maple_retired_batch(struct dpidx_maple *s)
{
	struct dpidx_maple_node *list = s->retired;
	unsigned long batch = s->nr_nodes < DPIDX_MAPLE_RETIRE_BATCH_MAX ?
			      s->nr_nodes : DPIDX_MAPLE_RETIRE_BATCH_MAX;

	if (batch < DPIDX_MAPLE_RETIRE_BATCH)
		batch = DPIDX_MAPLE_RETIRE_BATCH;

	if (s->nr_retired < batch)
		return NULL;
	s->retired = NULL;
	s->nr_retired = 0;
	return list;
}

/* Under @s->lock: reserve offsets, fill the pool, insert.  0 or -errno. */
static inline int dpidx_maple_insert(struct dpidx_maple *s, struct dpidx_pgmap *pgmap,
				     struct dpidx_page *pages, int nid)
{
	struct dpidx_maple_wr *wr = &s->wr;
	unsigned long n = pgmap->nr_mapped, start = 0;
	unsigned long align = n >= DPIDX_MAPLE_ALIGN ? DPIDX_MAPLE_ALIGN : 1;
	unsigned int height = dpidx_maple_root_height(dpidx_maple_root(s));
	int err;

	if (height >= DPIDX_MAPLE_MAX_HEIGHT)
		return -ENOSPC;
	err = dpidx_maple_find_gap(s, n, align, &start);
	if (err)
		return err;
	err = dpidx_maple_pool_fill(s, dpidx_maple_map_need(height));
	if (err)
		return err;

	/* From here on nothing can fail. */
	pgmap->pages = pages;
	pgmap->base = start;
	pgmap->nid = nid;
	dpidx_maple_walk(s, start);
	wr->a = wr->slot[0];
	wr->b = wr->slot[0];
	wr->new[0].first = start;
	wr->new[0].last = start + n - 1;
	wr->new[0].ptr = pages;
	wr->nr_new = 1;
	dpidx_maple_rebuild(s);
	s->nr_ranges++;
	s->nr_pages += n;
	return 0;
}

/**
 * dpidx_maple_map() - map a range of device-private pages.
 * @s:     the space.
 * @pgmap: zero-initialised apart from @nr_pages and @owner.
 * @nid:   NUMA node of the descriptors, or -1 for anywhere.
 *
 * Descriptors are allocated outside the lock; under it, the first fitting
 * gap is found, the pool is topped up, and the path to the new range is
 * copied and published.
 *
 * Context: may sleep; takes @s->lock.
 * Return: 0; -EINVAL for a NULL or empty or already mapped @pgmap or a bad
 * @nid; -ENOSPC when the offset space has no room; -ENOMEM.  On failure
 * nothing changed.
 */
static inline int dpidx_maple_map(struct dpidx_maple *s, struct dpidx_pgmap *pgmap,
				  int nid)
{
	struct dpidx_maple_node *batch = NULL;
	struct dpidx_page *pages;
	int err;

	if (!s)
		return -EINVAL;
	err = dpidx_pgmap_prepare(pgmap, s, s->limit, nid, &pages);
	if (err)
		return err;

	dpidx_lock(&s->lock);
	err = dpidx_maple_insert(s, pgmap, pages, nid);
	if (!err)
		batch = dpidx_maple_retired_batch(s);
	dpidx_unlock(&s->lock);

	if (err) {
		dpidx_pgmap_abort(pgmap, pages);
		return err;
	}
	if (batch) {
		dpidx_synchronize_rcu();	/* no reader still walks them */
		dpidx_maple_list_free(batch);
	}
	return 0;
}

/*
 * After a grace period, under @s->lock: retired nodes refill the pool up
 * to what the next map would top it up to; the rest are freed.
 */
static inline void dpidx_maple_recycle(struct dpidx_maple *s)
{
	unsigned int height = dpidx_maple_root_height(dpidx_maple_root(s));
	unsigned long want = dpidx_maple_map_need(height);
	struct dpidx_maple_node *node;

	while (s->retired && s->nr_pool < want) {
		node = s->retired;
		s->retired = node->parent;
		s->nr_retired--;
		node->parent = s->pool;
		s->pool = node;
		s->nr_pool++;
	}
	dpidx_maple_list_free(s->retired);
	s->retired = NULL;
	s->nr_retired = 0;
}

/* Is @pgmap mapped in @s, exactly as it claims?  Walks to it.  Under @s->lock. */
static inline bool dpidx_maple_owns(struct dpidx_maple *s,
				    const struct dpidx_pgmap *pgmap)
{
	const struct dpidx_maple_node *leaf;
	unsigned int slot;

	/* Acquire: see dpidx_pgmap_owned_by(); then only what map() recorded. */
	if (!dpidx_pgmap_owned_by(pgmap, s) || !pgmap->pages ||
	    pgmap->base >= s->limit)
		return false;
	dpidx_maple_walk(s, pgmap->base);
	leaf = s->wr.node[0];
	slot = s->wr.slot[0];
	return slot < leaf->nr && leaf->range[slot].first == pgmap->base &&
	       leaf->range[slot].pages == pgmap->pages &&
	       leaf->key[slot] == pgmap->base + pgmap->nr_mapped - 1;
}

/**
 * dpidx_maple_unmap() - unmap a range.
 * @s:     the space.
 * @pgmap: a range mapped in @s.
 *
 * Later lookups of its offsets return NULL at once; its descriptors are freed
 * after a grace period, before this returns, so the caller may then free
 * @pgmap.  Its offsets may be reused by a later map.  Never allocates: the
 * nodes it needs were set aside by map.
 *
 * Context: may sleep (waits for a grace period, holding @s->lock); takes
 * @s->lock; must not be called inside an RCU read-side section.
 * Return: 0; -EINVAL for NULL; -ENOENT when @pgmap is not mapped in @s.
 */
static inline int dpidx_maple_unmap(struct dpidx_maple *s, struct dpidx_pgmap *pgmap)
{
	struct dpidx_maple_wr *wr = &s->wr;
	struct dpidx_page *pages;

	if (!s || !pgmap)
		return -EINVAL;
	dpidx_lock(&s->lock);
	if (!dpidx_maple_owns(s, pgmap)) {
		dpidx_unlock(&s->lock);
		return -ENOENT;
	}
	/*
	 * No allocation here, so no -ENOMEM: map() reserved an unmap's worth
	 * of spares (dpidx_maple_map_need()), every unmap gives back at least
	 * as many nodes as it takes (dpidx_maple_recycle() refills the pool
	 * from them), and dpidx_maple_check() verifies the pool never runs
	 * short.  The failure-injection suite unmaps with every allocation
	 * failing to prove it.
	 */
	if (DPIDX_WARN_ON(s->nr_pool < dpidx_maple_unmap_need(wr->height)) &&
	    dpidx_maple_pool_fill(s, dpidx_maple_unmap_need(wr->height))) {
		/* Unreachable unless the invariant above is broken. */
		dpidx_unlock(&s->lock);
		return -ENOMEM;
	}
	wr->a = wr->slot[0];
	wr->b = wr->slot[0] + 1;
	wr->nr_new = 0;
	dpidx_maple_rebuild(s);
	s->nr_ranges--;
	s->nr_pages -= pgmap->nr_mapped;

	/*
	 * Readers that found the range or walk a retired node are done after
	 * this; the lock stays held so the retired nodes can refill the pool
	 * before another writer needs it.
	 */
	dpidx_synchronize_rcu();
	dpidx_maple_recycle(s);
	pages = pgmap->pages;
	dpidx_pgmap_free_pages(pgmap, pages);
	dpidx_pgmap_unclaim(pgmap);
	dpidx_unlock(&s->lock);
	return 0;
}

/* Free a detached subtree: its ranges' descriptors and its nodes. */
static inline void dpidx_maple_free_tree(struct dpidx_maple_node *node)
{
	struct dpidx_pgmap *pgmap;
	unsigned int i;

	if (dpidx_maple_is_empty_leaf(node))
		return;
	for (i = 0; i < node->nr; i++) {
		if (node->level) {
			dpidx_maple_free_tree(dpidx_maple_child(node, i));
			continue;
		}
		pgmap = dpidx_page_range(node->range[i].pages);
		dpidx_pgmap_free_pages(pgmap, pgmap->pages);
		dpidx_pgmap_unclaim(pgmap);
	}
	dpidx_maple_node_free(node);
}

/**
 * dpidx_maple_destroy() - unmap everything and free the space.
 * @s: the space; no writer may run concurrently.
 *
 * The static empty leaf is published first and stays the root: readers
 * already inside a section finish on the old tree (destroy waits for them
 * before freeing anything), and every later lookup, until the next init(),
 * finds nothing in the empty leaf and returns NULL.  The ranges left mapped
 * are released (their pgmaps can be mapped again).  A second destroy()
 * finds the empty root and does nothing.
 *
 * Context: may sleep; not inside an RCU read-side section.
 */
static inline void dpidx_maple_destroy(struct dpidx_maple *s)
{
	struct dpidx_maple_node *node, *pool, *retired;

	if (!s || !s->root || s->destroyed)
		return;
	dpidx_lock(&s->lock);
	node = dpidx_maple_root_node(dpidx_maple_root(s));
	dpidx_maple_publish(s, &dpidx_maple_empty_leaf, 0);
	pool = s->pool;
	retired = s->retired;
	s->pool = NULL;
	s->retired = NULL;
	dpidx_unlock(&s->lock);
	dpidx_synchronize_rcu();

	dpidx_maple_free_tree(node);
	dpidx_maple_list_free(pool);
	dpidx_maple_list_free(retired);
	dpidx_lock_destroy(&s->lock);
	/* s->root stays the empty leaf: late readers find nothing. */
	s->destroyed = true;
	s->nr_ranges = 0;
	s->nr_pages = 0;
	s->nr_nodes = 0;
	s->nr_pool = 0;
	s->nr_retired = 0;
}

/* ---- checker ------------------------------------------------------------- */

/* Walk state of dpidx_maple_check(). */
struct dpidx_maple_census {
	struct dpidx_maple *s;
	unsigned long nodes, ranges, pages;
};

/*
 * Check the subtree at @node, expected at @level under @parent; its lo/hi
 * are verified exact, so the parent's ordering test covers the subtrees.
 * Return: 0 or -EUCLEAN.
 */
static inline int dpidx_maple_check_node(struct dpidx_maple_census *c,
					 const struct dpidx_maple_node *node,
					 const struct dpidx_maple_node *parent,
					 unsigned int level, bool rightmost)
{
	bool is_root = !parent;
	unsigned int min = is_root ? (level ? 2U : 1U) :
			   rightmost ? 1U : DPIDX_MAPLE_MIN(level);
	struct dpidx_maple *s = c->s;
	unsigned long gap = 0, agap = 0, prev = 0, first, last, n;
	const struct dpidx_maple_node *child;
	const struct dpidx_pgmap *pgmap;
	unsigned int i, max = DPIDX_MAPLE_MAX(level);

	c->nodes++;
	if (node->level != level || node->parent != parent || node->nr > max ||
	    node->nr < min)
		return -EUCLEAN;
	for (i = node->nr; i < DPIDX_MAPLE_SLOTS; i++)
		if (node->key[i] != DPIDX_MAPLE_NONE ||
		    (level ? node->child[i] != NULL :
			     node->range[i].first != DPIDX_MAPLE_NONE ||
			     node->range[i].pages != NULL))
			return -EUCLEAN;
	for (i = 0; i < node->nr; i++) {
		if (level) {
			child = dpidx_maple_child(node, i);
			if (!child || dpidx_maple_check_node(c, child, node, level - 1,
							     rightmost && i + 1 == node->nr))
				return -EUCLEAN;
			first = child->lo;
			last = child->hi;
			if (node->key[i] != (i + 1 < node->nr ? last : DPIDX_MAPLE_NONE))
				return -EUCLEAN;
			gap = child->gap > gap ? child->gap : gap;
			agap = child->agap > agap ? child->agap : agap;
		} else {
			first = node->range[i].first;
			last = node->key[i];
			n = last - first + 1;
			pgmap = node->range[i].pages ?
				dpidx_page_range(node->range[i].pages) : NULL;
			if (first > last || last >= s->limit || !pgmap ||
			    pgmap->space != s || pgmap->base != first ||
			    pgmap->pages != node->range[i].pages ||
			    pgmap->nr_mapped != n ||
			    (n >= DPIDX_MAPLE_ALIGN && first % DPIDX_MAPLE_ALIGN))
				return -EUCLEAN;
			c->ranges++;
			c->pages += n;
		}
		if (i && first <= prev)
			return -EUCLEAN;	/* not strictly increasing */
		if (i)
			dpidx_maple_gap_note(&gap, &agap, prev + 1, first);
		if (!i && first != node->lo)
			return -EUCLEAN;
		prev = last;
	}
	if (prev != node->hi || gap != node->gap || agap != node->agap)
		return -EUCLEAN;
	return 0;
}

/**
 * dpidx_maple_check() - verify the structural invariants.
 * @s: the space.
 *
 * Pivots strictly increasing, ranges disjoint and inside the offset space,
 * unused slots clean, every leaf at the root's height, node fill within
 * bounds, parent links and keys agreeing with the children, lo/hi/gap/agap
 * exact, every range's pgmap saying it is mapped here at that base, the
 * range, page and node counters agreeing, and enough spare nodes for an
 * unmap.
 *
 * Context: takes @s->lock; for tests and debugging.
 * Return: 0, or -EUCLEAN on the first violation.
 */
static inline int dpidx_maple_check(struct dpidx_maple *s)
{
	struct dpidx_maple_census c = { .s = s };
	const struct dpidx_maple_node *node, *p;
	unsigned int height;
	unsigned long nr;
	void *root;
	int err = 0;

	if (!s || !s->root || s->destroyed)
		return -EUCLEAN;	/* never initialised, or destroyed */
	dpidx_lock(&s->lock);
	root = dpidx_maple_root(s);
	node = dpidx_maple_root_node(root);
	height = dpidx_maple_root_height(root);
	if (root != dpidx_maple_root_encode(node, height)) {
		err = -EUCLEAN;		/* the one-range flag is stale */
	} else if (dpidx_maple_is_empty_leaf(node)) {
		if (height || s->nr_ranges || s->nr_pages || s->nr_nodes)
			err = -EUCLEAN;
	} else if (height > DPIDX_MAPLE_MAX_HEIGHT ||
		   dpidx_maple_check_node(&c, node, NULL, height, true) ||
		   c.nodes != s->nr_nodes || c.ranges != s->nr_ranges ||
		   c.pages != s->nr_pages ||
		   s->nr_pool < dpidx_maple_unmap_need(height)) {
		err = -EUCLEAN;
	}
	for (nr = 0, p = s->pool; p; p = p->parent)
		nr++;
	if (nr != s->nr_pool)
		err = -EUCLEAN;
	for (nr = 0, p = s->retired; p; p = p->parent)
		nr++;
	if (nr != s->nr_retired)
		err = -EUCLEAN;
	dpidx_unlock(&s->lock);
	return err;
}

/* Height of the published tree (0: the root is a leaf).  For tests. */
static inline unsigned int dpidx_maple_height(struct dpidx_maple *s)
{
	return dpidx_maple_root_height(dpidx_rcu_dereference(s->root));
}

/* Bytes of index (published nodes, spares, retired), descriptors excluded. */
static inline unsigned long dpidx_maple_index_bytes(struct dpidx_maple *s)
{
	return (s->nr_nodes + s->nr_pool + s->nr_retired) * DPIDX_MAPLE_NODE_SIZE;
}

#endif /* DPIDX_MAPLE_H */
