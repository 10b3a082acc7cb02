// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * A program written only from API.md, as an outside user would: the
 * default-encoding names, the documented includes and link line, and the
 * documented semantics and errors.  Built once per encoding with
 * -DDPIDX_ENCODING_<E> to check the override too, and by api_compile.sh
 * with nothing but `cc -I include ... -lurcu -lnuma -lpthread`.
 */
#include <urcu.h>
#include <dpidx/dpidx.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

int main(int argc, char **argv)
{
	struct dpidx_space space;
	struct dpidx_pgmap a, b;
	struct dpidx_page *pages[600], *page;
	uint64_t pte;
	unsigned long i;
	int owner;

	if (argc > 1)
		EXPECT(!strcmp(argv[1], DPIDX_DEFAULT_ENCODING));
	EXPECT(sizeof(struct dpidx_page) == 64);
	rcu_register_thread();
	EXPECT(dpidx_init(&space, 0) == -EINVAL);
	EXPECT(dpidx_init(&space, 1UL << 20) == 0);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.nr_pages = 1000;
	a.owner = &owner;
	b.nr_pages = 10;
	EXPECT(dpidx_map(&space, NULL, -1) == -EINVAL);
	EXPECT(dpidx_map(&space, &a, -1) == 0);
	EXPECT(dpidx_map(&space, &a, -1) == -EINVAL);
	EXPECT(dpidx_map(&space, &b, 0) == 0);
	EXPECT(a.base % 512 == 0 && a.pages && b.pages && a.owner == &owner);

	rcu_read_lock();
	for (i = 0; i < a.nr_pages; i++) {
		page = dpidx_offset_to_page(&space, a.base + i);
		EXPECT(page == &a.pages[i]);
		EXPECT(dpidx_page_to_offset(page) == a.base + i);
	}
	EXPECT(dpidx_offset_to_page(&space, ~0UL) == NULL);
	EXPECT(dpidx_lookup_range(&space, a.base + 700, 600, pages) == 600);
	EXPECT(pages[0] == &a.pages[700] && pages[299] == &a.pages[999]);
	pte = dpidx_make_swp_pte(b.base + 3, DPIDX_DEVICE_WRITE);
	EXPECT(!(pte & 1) && !(pte & (1ULL << 8)));
	EXPECT(dpidx_swp_pte_to_page(&space, pte) == &b.pages[3]);
	pte = dpidx_make_swp_pte(b.base + 9, DPIDX_MIGRATION_READ_EXCLUSIVE);
	EXPECT(dpidx_swp_pte_to_page(&space, pte) == &b.pages[9]);
	EXPECT(dpidx_swp_pte_to_page(&space, 0) == NULL);
	rcu_read_unlock();

	EXPECT(dpidx_unmap(&space, &a) == 0);
	EXPECT(dpidx_unmap(&space, &a) == -ENOENT || dpidx_unmap(&space, &a) == -EINVAL);
	EXPECT(dpidx_unmap(&space, NULL) == -EINVAL);
	rcu_read_lock();
	EXPECT(dpidx_offset_to_page(&space, a.base) == NULL || a.base == b.base);
	rcu_read_unlock();
	dpidx_destroy(&space);	/* b is still mapped: destroy unmaps it */
	rcu_unregister_thread();

	printf("api (%s): %s\n", DPIDX_DEFAULT_ENCODING, failures ? "FAILED" : "ok");
	return failures != 0;
}
