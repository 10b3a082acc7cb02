/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * bench/perfcounters.h - hardware counters per operation, through
 * perf_event_open(2): one group of cycles, instructions, L1d read misses,
 * LLC misses and dTLB read misses, counting user space of the calling
 * thread only.
 *
 * Coding conventions in this file:
 *   @pc   one open group (struct pc_group), owned by one thread
 *
 * Availability is decided once per process (pc_available()): a VM without
 * a virtual PMU fails the first perf_event_open() and every later call is
 * a no-op, so callers print pc_why() once and fall back to the
 * deterministic valgrind figures (bench/callgrind.py ->
 * results/instructions.json).  A counter the CPU lacks (some VMs expose
 * cycles but no cache events) is left out of the group and reads as -1.
 *
 *	struct pc_group pc;
 *	pc_open(&pc);		(no-op when unavailable)
 *	pc_start(&pc);  ... n operations ...  pc_stop(&pc);
 *	pc_read(&pc, v);	v[i] / n per operation, or v[i] < 0: none
 *	pc_close(&pc);
 *
 * With Google Benchmark, pc_gb_install() (or pc_gb_counters() by hand)
 * attaches the per-item values to each run as user counters (cycles,
 * instructions, l1d_miss, llc_miss, dtlb_miss), so they land in the same
 * JSON as the timings.
 */
#ifndef DPIDX_BENCH_PERFCOUNTERS_H
#define DPIDX_BENCH_PERFCOUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum pc_event {
	PC_CYCLES,
	PC_INSTRUCTIONS,
	PC_L1D_MISS,
	PC_LLC_MISS,
	PC_DTLB_MISS,
	PC_NR_EVENTS,
};

struct pc_group {
	int fd[PC_NR_EVENTS];		/* -1: not counted */
	int leader;			/* fd of the group leader, -1: none */
};

/* JSON / counter names of the events, in enum order. */
extern const char *const pc_names[PC_NR_EVENTS];

/**
 * pc_available() - whether this process can count anything.
 *
 * Context: any thread; the probe runs once.
 * Return: true when perf_event_open() works for this process.
 */
bool pc_available(void);

/**
 * pc_why() - one line saying why counters are (not) available.
 *
 * Context: any thread.
 * Return: a static string.
 */
const char *pc_why(void);

/**
 * pc_open() - open the group for the calling thread.
 * @pc: the group, counting stopped.
 *
 * Context: the thread to be counted.
 * Return: events opened, 0 to PC_NR_EVENTS (0: none, every call a no-op).
 */
int pc_open(struct pc_group *pc);
void pc_start(struct pc_group *pc);
void pc_stop(struct pc_group *pc);
/* Counts since the last start; -1 for an event not counted. */
void pc_read(struct pc_group *pc, double v[PC_NR_EVENTS]);
void pc_close(struct pc_group *pc);

struct gb_state;
/* Per-item user counters on a Google Benchmark run; nothing if none. */
void pc_gb_counters(struct gb_state *st, struct pc_group *pc, double items);

/**
 * pc_gb_install() - count around every Google Benchmark loop.
 *
 * Through gb_set_loop_hooks(): per item (gb_iteration_count()) cycles,
 * instructions, L1d/LLC/dTLB misses as user counters of each run.  The
 * counts include what a loop pauses for (a cold benchmark's eviction) and
 * the framework's own per-batch work.
 *
 * Context: before gb_run_specified().
 * Return: pc_available(); without counters nothing is installed.
 */
bool pc_gb_install(void);

#endif /* DPIDX_BENCH_PERFCOUNTERS_H */
