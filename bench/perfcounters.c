// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bench/perfcounters.c - see perfcounters.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

#include "gbench_c.h"
#include "perfcounters.h"

const char *const pc_names[PC_NR_EVENTS] = {
	"cycles", "instructions", "l1d_miss", "llc_miss", "dtlb_miss",
};

#define PC_CACHE(id, op, res)	((id) | ((op) << 8) | ((res) << 16))

static const struct {
	uint32_t type;
	uint64_t config;
} pc_events[PC_NR_EVENTS] = {
	[PC_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	[PC_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	[PC_L1D_MISS] = { PERF_TYPE_HW_CACHE,
			  PC_CACHE(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ,
				   PERF_COUNT_HW_CACHE_RESULT_MISS) },
	[PC_LLC_MISS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	[PC_DTLB_MISS] = { PERF_TYPE_HW_CACHE,
			   PC_CACHE(PERF_COUNT_HW_CACHE_DTLB, PERF_COUNT_HW_CACHE_OP_READ,
				    PERF_COUNT_HW_CACHE_RESULT_MISS) },
};

/*
 * DPIDX_PERF_SOFTWARE=1: software events stand in for the hardware ones
 * (task clock, CPU clock, page faults, context switches, migrations), so
 * the plumbing into the JSON can be tested on a machine without a PMU.
 * The figures then mean nothing as cycles or misses; the context says so.
 */
static const uint64_t pc_soft[PC_NR_EVENTS] = {
	PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_CPU_CLOCK, PERF_COUNT_SW_PAGE_FAULTS,
	PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_CPU_MIGRATIONS,
};

static pthread_once_t pc_once = PTHREAD_ONCE_INIT;
static bool pc_ok, pc_software;
static char pc_reason[256];

static int pc_open_one(enum pc_event e, int group)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = pc_software ? PERF_TYPE_SOFTWARE : pc_events[e].type;
	attr.config = pc_software ? pc_soft[e] : pc_events[e].config;
	attr.disabled = group < 0;	/* the leader starts the group */
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &attr, 0, -1, group, 0);
}

static void pc_probe(void)
{
	const char *soft = getenv("DPIDX_PERF_SOFTWARE");
	int fd;

	pc_software = soft && *soft && strcmp(soft, "0");
	fd = pc_open_one(PC_CYCLES, -1);

	if (fd < 0)
		fd = pc_open_one(PC_INSTRUCTIONS, -1);
	if (fd < 0) {
		snprintf(pc_reason, sizeof(pc_reason),
			 "hardware counters unavailable (perf_event_open: %s; no PMU in this VM?): "
			 "see the valgrind figures, results/instructions.json (bench/callgrind.py)",
			 strerror(errno));
		return;
	}
	close(fd);
	pc_ok = true;
	snprintf(pc_reason, sizeof(pc_reason), pc_software ?
		 "SOFTWARE STAND-INS (DPIDX_PERF_SOFTWARE): plumbing test, not hardware figures" :
		 "available: perf_event_open counts user space per thread");
}

bool pc_available(void)
{
	pthread_once(&pc_once, pc_probe);
	return pc_ok;
}

const char *pc_why(void)
{
	pc_available();
	return pc_reason;
}

int pc_open(struct pc_group *pc)
{
	int e, n = 0;

	pc->leader = -1;
	for (e = 0; e < PC_NR_EVENTS; e++)
		pc->fd[e] = -1;
	if (!pc_available())
		return 0;
	for (e = 0; e < PC_NR_EVENTS; e++) {
		pc->fd[e] = pc_open_one((enum pc_event)e, pc->leader);
		if (pc->fd[e] < 0)
			continue;	/* this CPU (or VM) lacks the event */
		if (pc->leader < 0)
			pc->leader = pc->fd[e];
		n++;
	}
	return n;
}

void pc_start(struct pc_group *pc)
{
	if (pc->leader < 0)
		return;
	ioctl(pc->leader, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
	ioctl(pc->leader, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

void pc_stop(struct pc_group *pc)
{
	if (pc->leader >= 0)
		ioctl(pc->leader, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
}

void pc_read(struct pc_group *pc, double v[PC_NR_EVENTS])
{
	int e;

	for (e = 0; e < PC_NR_EVENTS; e++) {
		uint64_t x;

		v[e] = -1;
		if (pc->fd[e] >= 0 && read(pc->fd[e], &x, sizeof(x)) == sizeof(x))
			v[e] = (double)x;
	}
}

void pc_close(struct pc_group *pc)
{
	int e;

	for (e = 0; e < PC_NR_EVENTS; e++)
		if (pc->fd[e] >= 0)
			close(pc->fd[e]);
	pc->leader = -1;
}

void pc_gb_counters(struct gb_state *st, struct pc_group *pc, double items)
{
	double v[PC_NR_EVENTS];
	int e;

	if (pc->leader < 0 || items <= 0)
		return;
	pc_read(pc, v);
	for (e = 0; e < PC_NR_EVENTS; e++)
		if (v[e] >= 0)
			gb_set_counter(st, pc_names[e], v[e] / items, GB_COUNTER_AVG_THREADS);
}

static __thread struct pc_group pc_gb;
static __thread bool pc_gb_opened;

static void pc_gb_begin(struct gb_state *st)
{
	(void)st;
	if (!pc_gb_opened) {
		pc_open(&pc_gb);
		pc_gb_opened = true;
	}
	pc_start(&pc_gb);
}

static void pc_gb_end(struct gb_state *st)
{
	if (!pc_gb_opened)
		return;
	pc_stop(&pc_gb);
	pc_gb_counters(st, &pc_gb, (double)gb_iteration_count(st));
}

bool pc_gb_install(void)
{
	if (!pc_available())
		return false;
	gb_set_loop_hooks(pc_gb_begin, pc_gb_end);
	return true;
}
