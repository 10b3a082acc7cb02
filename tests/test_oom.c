// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Memory that runs out: a map whose descriptors cannot be backed returns
 * -ENOMEM and changes nothing; the process is never OOM-killed.  Each case
 * runs in a child process so a kill is seen, not suffered:
 *
 *   rlimit   RLIMIT_AS a little above what the process uses;
 *   memcg    a memory cgroup (v1 or v2) with a small limit and no swap,
 *            created under the test's own cgroup; skipped, with a line
 *            saying so, where no memory cgroup is writable.
 *
 *   test_oom ENCODING
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "common.h"
#include "enc.h"

static const struct dpidx_enc *enc;

#define SMALL_PAGES	100UL

/* In the child: a small range maps, a huge one fails cleanly. */
static int child_body(unsigned long huge_pages)
{
	struct dpidx_pgmap small = { .nr_pages = SMALL_PAGES }, huge = { 0 };
	void *s = calloc(1, enc->space_size);
	unsigned long i;
	int err, bad = 0;

	rcu_register_thread();
	if (!s || enc->init(s, 1UL << 26))
		return 3;
	if (enc->map(s, &small, -1))
		return 4;
	huge.nr_pages = huge_pages;
	err = enc->map(s, &huge, -1);
	if (err != -ENOMEM) {
		printf("%s: map(%lu pages) = %d, want -ENOMEM\n", enc->name,
		       huge_pages, err);
		bad = 1;
		if (!err)
			enc->unmap(s, &huge);
	}
	if (huge.space || huge.pages) {
		printf("%s: the failed map changed its pgmap\n", enc->name);
		bad = 1;
	}
	dpidx_read_lock();
	for (i = 0; i < SMALL_PAGES; i++)
		if (enc->offset_to_page(s, small.base + i) != &small.pages[i])
			bad = 1;
	dpidx_read_unlock();
	if (enc->check(s))
		bad = 1;
	enc->destroy(s);
	free(s);
	rcu_unregister_thread();
	return bad;
}

/* Run @fn in a child; 0 when it exited 0, a failure line otherwise. */
static int run_child(const char *what, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		_exit(fn(arg));
	REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid");
	if (WIFSIGNALED(status)) {
		CHECK(0, "%s: %s: the child was killed by signal %d (OOM killer?)",
		      enc->name, what, WTERMSIG(status));
		return 1;
	}
	CHECK(WEXITSTATUS(status) == 0, "%s: %s: child exited %d", enc->name, what,
	      WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

static unsigned long vm_size(void)
{
	unsigned long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib << 10;
}

static int rlimit_child(void *arg)
{
	struct rlimit rl;

	(void)arg;
	rl.rlim_cur = rl.rlim_max = vm_size() + (512UL << 20);
	if (setrlimit(RLIMIT_AS, &rl))
		return 5;
	/* 2^24 pages: 1 GiB of descriptors, twice what the limit allows. */
	return child_body(1UL << 24);
}

/* ---- memcg ---------------------------------------------------------------- */

static char cg_dir[600];
static int cg_v2;

static bool write_file(const char *dir, const char *file, const char *val)
{
	char path[700];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val);
}

/* A fresh cgroup under our own memory cgroup, limit @bytes, no swap. */
static bool cg_create(unsigned long bytes)
{
	char line[512], *path = NULL, val[32];
	FILE *f = fopen("/proc/self/cgroup", "re");
	bool ok;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, ":memory:")) {
			path = strstr(line, ":memory:") + 8;
			snprintf(cg_dir, sizeof(cg_dir), "/sys/fs/cgroup/memory%s/dpidx-oom-%d",
				 strcmp(path, "/") ? path : "", (int)getpid());
			cg_v2 = 0;
			break;
		}
		if (!strncmp(line, "0::", 3)) {
			path = line + 3;
			snprintf(cg_dir, sizeof(cg_dir), "/sys/fs/cgroup%s/dpidx-oom-%d",
				 strcmp(path, "/") ? path : "", (int)getpid());
			cg_v2 = 1;	/* keep looking: a v1 memory line wins */
		}
	}
	fclose(f);
	if (!path || mkdir(cg_dir, 0755))
		return false;
	snprintf(val, sizeof(val), "%lu", bytes);
	if (cg_v2) {
		ok = write_file(cg_dir, "memory.max", val);
		(void)write_file(cg_dir, "memory.swap.max", "0");
	} else {
		ok = write_file(cg_dir, "memory.limit_in_bytes", val);
		(void)write_file(cg_dir, "memory.memsw.limit_in_bytes", val);
		(void)write_file(cg_dir, "memory.swappiness", "0");
	}
	if (!ok)
		rmdir(cg_dir);
	return ok;
}

static int memcg_child(void *arg)
{
	char pid[32];

	(void)arg;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!write_file(cg_dir, "cgroup.procs", pid))
		return 6;
	/* 2^22 pages: 256 MiB of descriptors in a 96 MiB cgroup. */
	return child_body(1UL << 22);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s ENCODING\n", argv[0]);
		return 2;
	}
	enc = dpidx_enc_by_name(argv[1]);
	test_name = "oom";
	test_seed = test_pick_seed(argc, argv);
	printf("oom %s\n", enc->name);
	if (!run_child("RLIMIT_AS", rlimit_child, NULL))
		printf("rlimit: -ENOMEM, nothing changed\n");
	if (cg_create(96UL << 20)) {
		if (!run_child("memory cgroup", memcg_child, NULL))
			printf("memcg (%s): -ENOMEM, not OOM-killed\n", cg_v2 ? "v2" : "v1");
		if (rmdir(cg_dir))
			printf("note: could not remove %s\n", cg_dir);
	} else {
		printf("memcg: skipped: no writable memory cgroup here\n");
	}
	return test_finish();
}
