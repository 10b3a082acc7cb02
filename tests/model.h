/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * tests/model.h - a trivial reference model of a space, and one operation
 * step that runs an operation on the real encoding and on the model and
 * checks that they agree.  Shared by the randomized model test (random
 * operation words) and the libFuzzer target (operation words from the
 * fuzzer's input).
 *
 * The model is a list of at most MODEL_SLOTS live ranges; "what does offset
 * o resolve to" is a linear search over it.  Obviously right, hopelessly
 * slow, and exactly what the encodings must agree with.
 */
#ifndef DPIDX_TESTS_MODEL_H
#define DPIDX_TESTS_MODEL_H

#include "common.h"
#include "enc.h"

#define MODEL_SLOTS	48
#define MODEL_MAX_RANGE	1100	/* lookup_range batch */

struct model_range {
	bool live;
	unsigned long base, nr;
	struct dpidx_page *pages;
};

struct model {
	const struct dpidx_enc *enc;
	void *space;
	unsigned long max_pages;
	unsigned long live_pages;
	bool check_each_op;	/* run the encoding's invariant checker every op */
	struct model_range r[MODEL_SLOTS];
	struct dpidx_pgmap pgmap[MODEL_SLOTS];
	struct dpidx_page *batch[MODEL_MAX_RANGE];
	unsigned long ops;
};

static inline struct dpidx_page *model_expect(const struct model *m,
					      unsigned long offset)
{
	int i;

	for (i = 0; i < MODEL_SLOTS; i++)
		if (m->r[i].live && offset - m->r[i].base < m->r[i].nr)
			return m->r[i].pages + (offset - m->r[i].base);
	return NULL;
}

static inline int model_init(struct model *m, const struct dpidx_enc *enc,
			     unsigned long max_pages)
{
	memset(m, 0, sizeof(*m));
	m->enc = enc;
	m->max_pages = max_pages;
	m->space = calloc(1, enc->space_size);
	if (!m->space)
		return -ENOMEM;
	return enc->init(m->space, max_pages);
}

static inline void model_destroy(struct model *m)
{
	int i;

	m->enc->destroy(m->space);
	for (i = 0; i < MODEL_SLOTS; i++)
		if (m->r[i].live)
			CHECK(!m->pgmap[i].space, "destroy left slot %d claimed", i);
	free(m->space);
}

/* Range sizes that hit the interesting cases: 1, around 512, multi-chunk. */
static inline unsigned long model_size(uint64_t word)
{
	static const unsigned long sizes[] = {
		1, 2, 7, 100, 511, 512, 513, 1000, 1024, 1536, 2048, 4095, 5000,
	};

	if (word & 1)
		return sizes[(word >> 1) % (sizeof(sizes) / sizeof(sizes[0]))];
	return 1 + (word >> 1) % 3000;
}

/* An offset near something interesting, chosen by @word. */
static inline unsigned long model_offset(const struct model *m, uint64_t word)
{
	const struct model_range *r = &m->r[(word >> 3) % MODEL_SLOTS];
	unsigned long delta = (word >> 16) & 0xffff;

	switch (word & 7) {
	case 0:
	case 1:
	case 2:
		if (r->live)
			return r->base + delta % r->nr;
		return delta;
	case 3:
		return r->base + r->nr + (delta & 3);	/* just past */
	case 4:
		return r->base - 1 - (delta & 3);	/* just before */
	case 5:
		return word >> 3;			/* anything */
	case 6:
		return ~0UL - (delta & 0xff);		/* top of the space */
	default:
		return delta;				/* small */
	}
}

static inline void model_verify_range(struct model *m, int i)
{
	const struct model_range *r = &m->r[i];
	unsigned long idx[3] = { 0, r->nr / 2, r->nr - 1 };
	int k;

	dpidx_read_lock();
	for (k = 0; k < 3; k++) {
		struct dpidx_page *page = m->enc->offset_to_page(m->space, r->base + idx[k]);

		CHECK(page == r->pages + idx[k], "%s: slot %d offset %lu -> %p, want %p",
		      m->enc->name, i, r->base + idx[k], (void *)page,
		      (void *)(r->pages + idx[k]));
		if (page == r->pages + idx[k])
			CHECK_EQ(m->enc->page_to_offset(page), r->base + idx[k]);
	}
	dpidx_read_unlock();
}

static inline void model_op_map(struct model *m, int i, uint64_t word)
{
	struct model_range *r = &m->r[i];
	struct dpidx_pgmap *pgmap = &m->pgmap[i];
	unsigned long nr = model_size(word >> 8);
	int nid = (word >> 40) & 1 ? 0 : -1, err, j;

	if (r->live) {
		CHECK_EQ(m->enc->map(m->space, pgmap, nid), -EINVAL);
		return;
	}
	memset(pgmap, 0, sizeof(*pgmap));
	pgmap->nr_pages = nr;
	pgmap->owner = r;
	err = m->enc->map(m->space, pgmap, nid);
	if (err == -ENOSPC && m->live_pages + nr > m->max_pages / 2)
		return;		/* allowed: the space is half full or more */
	CHECK(!err, "%s: map(%lu) = %d with %lu of %lu pages live",
	      m->enc->name, nr, err, m->live_pages, m->max_pages);
	if (err)
		return;
	CHECK(pgmap->pages && pgmap->space, "map left pages/space unset");
	CHECK(pgmap->owner == r, "map changed the owner");
	if (nr >= DPIDX_PMD_PAGES)
		CHECK(pgmap->base % DPIDX_PMD_PAGES == 0,
		      "%s: base %lu of a %lu-page range is not 512-aligned",
		      m->enc->name, pgmap->base, nr);
	for (j = 0; j < MODEL_SLOTS; j++)
		if (m->r[j].live)
			CHECK(pgmap->base + nr <= m->r[j].base ||
			      m->r[j].base + m->r[j].nr <= pgmap->base,
			      "%s: [%lu,+%lu) overlaps [%lu,+%lu)", m->enc->name,
			      pgmap->base, nr, m->r[j].base, m->r[j].nr);
	CHECK(pgmap->pages[nr - 1].refcount == 0 && pgmap->pages[0].flags == 0,
	      "descriptors not zeroed");
	r->live = true;
	r->base = pgmap->base;
	r->nr = nr;
	r->pages = pgmap->pages;
	m->live_pages += nr;
	model_verify_range(m, i);
}

static inline void model_op_unmap(struct model *m, int i)
{
	struct model_range *r = &m->r[i];
	int err = m->enc->unmap(m->space, &m->pgmap[i]);

	if (!r->live) {
		CHECK(err == -ENOENT || err == -EINVAL,
		      "%s: unmap of an unmapped pgmap = %d", m->enc->name, err);
		return;
	}
	CHECK_EQ(err, 0);
	if (err)
		return;
	r->live = false;
	m->live_pages -= r->nr;
	CHECK(!m->pgmap[i].space, "unmap left the pgmap claimed");
	dpidx_read_lock();
	CHECK(m->enc->offset_to_page(m->space, r->base) == model_expect(m, r->base),
	      "%s: offset %lu still resolves after unmap", m->enc->name, r->base);
	dpidx_read_unlock();
}

static inline void model_op_lookup(struct model *m, uint64_t word)
{
	unsigned long offset = model_offset(m, word);
	struct dpidx_page *page, *want = model_expect(m, offset);

	dpidx_read_lock();
	page = m->enc->offset_to_page(m->space, offset);
	CHECK(page == want, "%s: offset %#lx -> %p, model says %p", m->enc->name,
	      offset, (void *)page, (void *)want);
	if (page && page == want)
		CHECK_EQ(m->enc->page_to_offset(page), offset);
	dpidx_read_unlock();
}

static inline void model_op_lookup_range(struct model *m, uint64_t word)
{
	unsigned long offset = model_offset(m, word) - ((word >> 32) & 0x3ff);
	unsigned long n = (word >> 42) % MODEL_MAX_RANGE, i, ret;

	dpidx_read_lock();
	ret = m->enc->lookup_range(m->space, offset, n, m->batch);
	CHECK_EQ(ret, n);
	for (i = 0; i < n; i++)
		if (m->batch[i] != model_expect(m, offset + i)) {
			CHECK(0, "%s: lookup_range(%#lx, %lu)[%lu] = %p, model says %p",
			      m->enc->name, offset, n, i, (void *)m->batch[i],
			      (void *)model_expect(m, offset + i));
			break;
		}
	dpidx_read_unlock();
}

/* Make, classify and resolve a PTE; and a non-device PTE that must not be. */
static inline void model_op_pte(struct model *m, uint64_t word)
{
	unsigned long offset = model_offset(m, word);
	enum dpidx_kind kind = (enum dpidx_kind)((word >> 60) % DPIDX_NR_KINDS);
	struct dpidx_page *want = model_expect(m, offset);
	unsigned int nr = m->enc->swap_types;
	uint64_t pte, other;

	if (!want)
		return;		/* offsets outside the space need not encode */
	pte = m->enc->make_swp_pte(offset, kind);
	CHECK(dpidx_pte_is_swap(pte), "%s: PTE %#" PRIx64 " is not a swap PTE",
	      m->enc->name, pte);
	CHECK(m->enc->swp_pte_is_device_private(pte), "%s: PTE %#" PRIx64
	      " (offset %#lx) not device-private", m->enc->name, pte, offset);
	CHECK_EQ(m->enc->swp_pte_kind(pte), kind);
	CHECK_EQ(m->enc->swp_pte_offset(pte), offset);
	dpidx_read_lock();
	CHECK(m->enc->swp_pte_to_page(m->space, pte) == want,
	      "%s: PTE of offset %#lx resolves wrongly", m->enc->name, offset);
	/* The same bits as an ordinary swap entry or a present PTE. */
	other = dpidx_swp_pte(((word >> 8) % DPIDX_MAX_SWAPFILES(nr)), word >> 13);
	CHECK(!m->enc->swp_pte_is_device_private(other) &&
	      !m->enc->swp_pte_to_page(m->space, other),
	      "%s: ordinary swap PTE %#" PRIx64 " taken as device-private",
	      m->enc->name, other);
	CHECK(!m->enc->swp_pte_to_page(m->space, pte | DPIDX_PTE_PRESENT),
	      "%s: a present PTE resolved", m->enc->name);
	dpidx_read_unlock();
}

/* One operation, chosen and parameterised by @word. */
static inline void model_step(struct model *m, uint64_t word)
{
	int slot = (int)((word >> 3) % MODEL_SLOTS);

	switch (word & 7) {
	case 0:
	case 1:
		model_op_map(m, slot, word);
		break;
	case 2:
		model_op_unmap(m, slot);
		break;
	case 3:
	case 4:
		model_op_lookup(m, word >> 3);
		break;
	case 5:
		model_op_lookup_range(m, word >> 3);
		break;
	case 6:
		model_op_pte(m, word >> 3);
		break;
	default:
		if (m->r[slot].live)
			model_verify_range(m, slot);
		break;
	}
	m->ops++;
	if (m->check_each_op)
		CHECK(m->enc->check(m->space) == 0, "%s: invariant check failed after op %lu (word %#" PRIx64 ")",
		      m->enc->name, m->ops, word);
}

#endif /* DPIDX_TESTS_MODEL_H */
