/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * dpidx/vmemmap.h - userspace model of the kernel's vmemmap, for descriptor
 * arrays.  Part of the compat layer: included by compat.h in userspace only.
 *
 * In the kernel, struct pages live in vmemmap, mapped with 2 MiB pages where
 * possible: a descriptor read costs a cache miss but rarely a TLB miss, and
 * the 32 KiB of descriptors of a 2 MiB device range sit next to the others.
 * A heap allocation reproduces neither when THP is in "madvise" mode (the
 * Debian default): small arrays would land on 4 KiB pages and every
 * fault-path benchmark would measure TLB misses the kernel does not have.
 *
 * So:
 *   > 512 KiB  its own 2 MiB-aligned mapping, MADV_HUGEPAGE, bound to the
 *              node, populated; munmap()ed on free.
 *   <= 512 KiB carved from 2 MiB THP blocks (one size class per block,
 *              powers of two from 64 B), per NUMA node; freed arrays go back
 *              to their class's free list, blocks are never returned.
 *
 * The kernel's kvzalloc() falls back to vmalloc (4 KiB pages) for big
 * arrays.  A program that wants to measure that sets dpidx_vmm.small_pages
 * before its first allocation (bench/sys_bench.c --desc-backing=4k): the
 * > 512 KiB mappings then get MADV_NOHUGEPAGE instead of MADV_HUGEPAGE.
 * The default (false) is the vmemmap model above.
 *
 * Every allocation is zeroed and written (populated, not the zero page).
 * Memory is committed before it is used, so a map bigger than the machine
 * (or the caller's memory cgroup, or RLIMIT_AS) fails with NULL -> -ENOMEM
 * instead of faulting into the OOM killer: no MAP_NORESERVE, a check of
 * what the system and every enclosing memory cgroup still have
 * (dpidx_vmm_room()), then MADV_POPULATE_WRITE, whose failure is an error
 * return, not a signal.
 * dpidx_vmemmap_outstanding() counts the bytes handed out and not freed, so
 * tests can check that destroy() frees every descriptor (LeakSanitizer and
 * valgrind cannot see into the arena).  Under ASan, free arrays are
 * poisoned so a use after free is still reported.
 *
 * Writer-side only (map/unmap/destroy); one mutex.
 */
#ifndef DPIDX_VMEMMAP_H
#define DPIDX_VMEMMAP_H

#if defined(__SANITIZE_ADDRESS__)
#define DPIDX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DPIDX_ASAN 1
#endif
#endif
#ifdef DPIDX_ASAN
#include <sanitizer/asan_interface.h>
#define dpidx_asan_poison(p, n)		ASAN_POISON_MEMORY_REGION(p, n)
#define dpidx_asan_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define dpidx_asan_poison(p, n)		((void)(p), (void)(n))
#define dpidx_asan_unpoison(p, n)	((void)(p), (void)(n))
#endif

#define DPIDX_HUGE_SIZE		(2UL << 20)
#define DPIDX_CACHELINE		64UL
#define DPIDX_VMM_MIN_SHIFT	6		/* 64 B */
#define DPIDX_VMM_MAX_SHIFT	19		/* 512 KiB: 4 per block at least */
#define DPIDX_VMM_CLASSES	(DPIDX_VMM_MAX_SHIFT - DPIDX_VMM_MIN_SHIFT + 1)
#define DPIDX_VMM_NODES		64		/* node -1 and 0..62 */

struct dpidx_vmm_class {
	void *free;			/* freed arrays, linked through word 0 */
	char *next, *end;		/* the unused tail of the current block */
};

struct dpidx_vmm {
	pthread_mutex_t lock;
	unsigned long outstanding;	/* bytes handed out, not yet freed */
	bool small_pages;		/* big mappings on 4 KiB pages (see above) */
	struct dpidx_vmm_class cls[DPIDX_VMM_NODES][DPIDX_VMM_CLASSES];
};

/* One arena per process, whichever translation units include this. */
__attribute__((weak)) struct dpidx_vmm dpidx_vmm = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static inline bool dpidx_numa_usable(void)
{
	return numa_available() >= 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

/* One number from a sysfs/procfs file, or ~0UL when it is missing or "max". */
static inline unsigned long dpidx_vmm_read_ulong(const char *path)
{
	unsigned long v = ~0UL;
	FILE *f = fopen(path, "re");

	if (!f)
		return ~0UL;
	if (fscanf(f, "%lu", &v) != 1)
		v = ~0UL;
	fclose(f);
	return v;
}

/* MemAvailable of /proc/meminfo in bytes, or ~0UL if unknown. */
static inline unsigned long dpidx_vmm_mem_available(void)
{
	unsigned long kib = ~0UL;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return ~0UL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib == ~0UL ? ~0UL : kib << 10;
}

/*
 * Room left in the memory cgroup at @dir (under a v1 "memory" mount or the
 * v2 unified one) and in every cgroup above it: min(limit - usage).
 */
static inline unsigned long dpidx_vmm_cgroup_room(const char *mnt, const char *rel,
						  const char *limit_file,
						  const char *usage_file)
{
	unsigned long room = ~0UL, limit, usage;
	char dir[512], path[640], *slash;

	if (snprintf(dir, sizeof(dir), "%s%s", mnt, rel) >= (int)sizeof(dir))
		return ~0UL;
	for (;;) {
		snprintf(path, sizeof(path), "%s/%s", dir, limit_file);
		limit = dpidx_vmm_read_ulong(path);
		snprintf(path, sizeof(path), "%s/%s", dir, usage_file);
		usage = dpidx_vmm_read_ulong(path);
		if (limit != ~0UL && usage != ~0UL)
			room = limit > usage ? (limit - usage < room ? limit - usage : room) : 0;
		slash = strrchr(dir, '/');
		if (!slash || slash < dir + strlen(mnt))
			break;
		*slash = '\0';
	}
	return room;
}

/* What the caller's memory cgroups still allow, v1 or v2; ~0UL if none. */
static inline unsigned long dpidx_vmm_memcg_room(void)
{
	unsigned long room = ~0UL, r;
	char line[512], *path;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return ~0UL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		path = strchr(line, ':');
		if (!path || !(path = strchr(path + 1, ':')))
			continue;
		path++;
		if (!strncmp(line, "0::", 3))
			r = dpidx_vmm_cgroup_room("/sys/fs/cgroup", path,
						  "memory.max", "memory.current");
		else if (strstr(line, ":memory:"))
			r = dpidx_vmm_cgroup_room("/sys/fs/cgroup/memory", path,
						  "memory.limit_in_bytes",
						  "memory.usage_in_bytes");
		else
			continue;
		if (r < room)
			room = r;
	}
	fclose(f);
	return room;
}

/* Headroom never handed to descriptors: the rest of the process needs some. */
#define DPIDX_VMM_RESERVE	(32UL << 20)

/*
 * Can @bytes more be committed without the OOM killer stepping in?  Writer
 * side only (one map), a few small file reads per 2 MiB block or big array.
 */
static inline bool dpidx_vmm_room(size_t bytes)
{
	unsigned long avail = dpidx_vmm_mem_available(), cg = dpidx_vmm_memcg_room();

	if (cg < avail)
		avail = cg;
	return avail == ~0UL || (avail > DPIDX_VMM_RESERVE &&
				 bytes <= avail - DPIDX_VMM_RESERVE);
}

/*
 * 2 MiB-aligned anonymous mapping: over-map by 2 MiB and trim both ends.
 * @big: one array of its own (kvzalloc's vmalloc case), not an arena block.
 */
static inline void *dpidx_huge_mmap(size_t bytes, int nid, bool big)
{
	size_t span = bytes + DPIDX_HUGE_SIZE;
	uintptr_t raw, start;
	void *p;

	if (span < bytes || !dpidx_vmm_room(bytes))
		return NULL;
	/* Accounted (no MAP_NORESERVE): overcommit and RLIMIT_AS say no here. */
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)p;
	start = (raw + DPIDX_HUGE_SIZE - 1) & ~(DPIDX_HUGE_SIZE - 1);
	if (start > raw)
		munmap(p, start - raw);
	if (raw + span > start + bytes)
		munmap((void *)(start + bytes), raw + span - start - bytes);
	p = (void *)start;
	/* Advisory: THP may be off.  Only the big mappings follow small_pages. */
	(void)madvise(p, bytes, big && dpidx_vmm.small_pages ?
		      MADV_NOHUGEPAGE : MADV_HUGEPAGE);
	if (nid >= 0 && dpidx_numa_usable())
		numa_tonode_memory(p, bytes, nid);	/* before the first touch */
	/*
	 * Commit it now: a failure is -ENOMEM here, not SIGBUS or the OOM
	 * killer at the first write.  EINVAL: a kernel older than 5.14; the
	 * caller's memset then populates it.
	 */
	if (madvise(p, bytes, MADV_POPULATE_WRITE) && errno != EINVAL) {
		munmap(p, bytes);
		return NULL;
	}
	return p;
}

static inline unsigned int dpidx_vmm_class_of(size_t size)
{
	unsigned int shift = DPIDX_VMM_MIN_SHIFT;

	while ((1UL << shift) < size)
		shift++;
	return shift - DPIDX_VMM_MIN_SHIFT;
}

static inline size_t dpidx_vmemmap_bytes(size_t size)
{
	if (size > (1UL << DPIDX_VMM_MAX_SHIFT))
		return (size + DPIDX_HUGE_SIZE - 1) & ~(DPIDX_HUGE_SIZE - 1);
	return 1UL << (dpidx_vmm_class_of(size) + DPIDX_VMM_MIN_SHIFT);
}

static inline unsigned int dpidx_vmm_node(int nid)
{
	return nid >= 0 && nid < DPIDX_VMM_NODES - 1 ? (unsigned int)nid + 1 : 0;
}

/* Under dpidx_vmm.lock. */
static inline void *dpidx_vmm_carve(struct dpidx_vmm_class *c, size_t bytes, int nid)
{
	void *p = c->free;

	if (p) {
		dpidx_asan_unpoison(p, bytes);
		c->free = *(void **)p;
		return p;
	}
	if (c->next == c->end) {
		c->next = (char *)dpidx_huge_mmap(DPIDX_HUGE_SIZE, nid, false);
		if (!c->next) {
			c->end = NULL;
			return NULL;
		}
		c->end = c->next + DPIDX_HUGE_SIZE;
	}
	p = c->next;
	c->next += bytes;
	return p;
}

static inline void *dpidx_vmemmap_alloc_bytes(size_t bytes, int nid)
{
	struct dpidx_vmm_class *c;
	void *p;

	if (bytes > (1UL << DPIDX_VMM_MAX_SHIFT))
		p = dpidx_huge_mmap(bytes, nid, true);
	else {
		c = &dpidx_vmm.cls[dpidx_vmm_node(nid)][dpidx_vmm_class_of(bytes)];
		pthread_mutex_lock(&dpidx_vmm.lock);
		p = dpidx_vmm_carve(c, bytes, nid);
		pthread_mutex_unlock(&dpidx_vmm.lock);
	}
	if (p) {
		memset(p, 0, bytes);	/* populate, not just reserve */
		__atomic_add_fetch(&dpidx_vmm.outstanding, bytes, __ATOMIC_RELAXED);
	}
	return p;
}

/*
 * Freed small arrays join the "any node" lists: they were placed on their
 * node when carved, so an anywhere-allocation may reuse them, while a
 * node-bound allocation only ever gets memory carved for that node.
 */
static inline void dpidx_vmemmap_free_bytes(void *p, size_t bytes)
{
	struct dpidx_vmm_class *c;

	__atomic_sub_fetch(&dpidx_vmm.outstanding, bytes, __ATOMIC_RELAXED);
	if (bytes > (1UL << DPIDX_VMM_MAX_SHIFT)) {
		munmap(p, bytes);
		return;
	}
	c = &dpidx_vmm.cls[0][dpidx_vmm_class_of(bytes)];
	pthread_mutex_lock(&dpidx_vmm.lock);
	*(void **)p = c->free;
	c->free = p;
	dpidx_asan_poison(p, bytes);
	pthread_mutex_unlock(&dpidx_vmm.lock);
}

/* Bytes of descriptor arrays and tables allocated and not freed. */
static inline unsigned long dpidx_vmemmap_outstanding(void)
{
	return __atomic_load_n(&dpidx_vmm.outstanding, __ATOMIC_RELAXED);
}

#endif /* DPIDX_VMEMMAP_H */
