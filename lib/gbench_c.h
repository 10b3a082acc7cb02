/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * lib/gbench_c.h - Google Benchmark (1.7, Debian libbenchmark-dev) from C.
 *
 * A thin extern "C" layer: every function maps onto one Google Benchmark
 * call, so the semantics (and the flags, and the JSON) are Google
 * Benchmark's own.  Nothing here measures anything by itself.
 *
 * Coding conventions in this file:
 *   @b    a registered benchmark (benchmark::Benchmark *)
 *   @st   the running state of one benchmark thread (benchmark::State *)
 *
 * A benchmark is a C function:
 *
 *	static void bm_lookup(struct gb_state *st, void *arg)
 *	{
 *		... set up (not timed) ...
 *		while (gb_keep_running_batch(st, 256))
 *			for (i = 0; i < 256; i++)
 *				gb_do_not_optimize(lookup(...));
 *		gb_set_items_processed(st, gb_iteration_count(st));
 *	}
 *
 *	int main(int argc, char **argv)
 *	{
 *		gb_initialize(&argc, argv);	(Google Benchmark's flags)
 *		b = gb_register("lookup/flat", bm_lookup, NULL);
 *		gb_arg(b, 1024);
 *		return gb_run_specified();
 *	}
 *
 * The state loop: `while (gb_keep_running(st))` costs one out-of-line call
 * per iteration (a few ns); for nanosecond bodies use
 * gb_keep_running_batch(), which counts @n iterations per call.
 */
#ifndef DPIDX_GBENCH_C_H
#define DPIDX_GBENCH_C_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gb_state;
struct gb_bench;

typedef void (*gb_fn)(struct gb_state *st, void *arg);

enum gb_unit { GB_NS, GB_US, GB_MS, GB_S };

/* Counter flags, as benchmark::Counter::Flags. */
enum gb_counter_flags {
	GB_COUNTER_DEFAULT = 0,
	GB_COUNTER_IS_RATE = 1 << 0,		/* value / seconds */
	GB_COUNTER_AVG_THREADS = 1 << 1,	/* value / threads */
	GB_COUNTER_AVG_ITERATIONS = 1 << 3,	/* value / iterations */
};

/* ---- setup, running ---------------------------------------------------- */

/* Parses and removes Google Benchmark's --benchmark_* flags from argv. */
void gb_initialize(int *argc, char **argv);
/* Exits with Google Benchmark's message if flags it does not know remain. */
bool gb_report_unrecognized_arguments(int argc, char **argv);
/* Runs what --benchmark_filter selects; returns how many ran. */
uint64_t gb_run_specified(void);
void gb_shutdown(void);
/* gb_initialize + unrecognized check + run + shutdown; returns 0 or 1. */
int gb_main(int argc, char **argv);
/*
 * Several passes into one output, for interleaved repetitions: open the
 * console + JSON output once (@json_path NULL: console only; do not also
 * pass --benchmark_out), then per pass register, gb_run_pass(),
 * gb_clear_registered(); gb_output_close() ends the JSON.
 * gb_output_open() returns 0, or -1 when the file cannot be written.
 */
int gb_output_open(const char *json_path);
uint64_t gb_run_pass(void);
void gb_clear_registered(void);
void gb_output_close(void);
/* Key/value pair in the "context" of the console and JSON output. */
void gb_add_custom_context(const char *key, const char *value);

/* ---- registration ------------------------------------------------------ */

struct gb_bench *gb_register(const char *name, gb_fn fn, void *arg);
void gb_arg(struct gb_bench *b, int64_t x);
void gb_args(struct gb_bench *b, const int64_t *args, int nr);
void gb_arg_name(struct gb_bench *b, const char *name);
void gb_range(struct gb_bench *b, int64_t lo, int64_t hi);
void gb_dense_range(struct gb_bench *b, int64_t lo, int64_t hi, int step);
void gb_range_multiplier(struct gb_bench *b, int mult);
void gb_threads(struct gb_bench *b, int nr);
void gb_thread_range(struct gb_bench *b, int lo, int hi);
void gb_unit(struct gb_bench *b, enum gb_unit unit);
void gb_use_real_time(struct gb_bench *b);
void gb_use_manual_time(struct gb_bench *b);
void gb_min_time(struct gb_bench *b, double seconds);
void gb_iterations(struct gb_bench *b, int64_t n);
void gb_repetitions(struct gb_bench *b, int n);

/*
 * Loop hooks: @begin runs on a benchmark thread just before its first
 * gb_keep_running*() call, @end just after the call that returns false,
 * both on that thread (e.g. to start and read hardware counters around the
 * loop, bench/perfcounters.h).  NULL: none.  Set before gb_run_specified().
 */
typedef void (*gb_fn_hook)(struct gb_state *st);
void gb_set_loop_hooks(gb_fn_hook begin, gb_fn_hook end);

/* ---- inside a benchmark ------------------------------------------------ */

bool gb_keep_running(struct gb_state *st);
bool gb_keep_running_batch(struct gb_state *st, int64_t n);
void gb_pause_timing(struct gb_state *st);
void gb_resume_timing(struct gb_state *st);
/* With gb_use_manual_time(): the time of the current iteration. */
void gb_set_iteration_time(struct gb_state *st, double seconds);
int64_t gb_iteration_count(struct gb_state *st);
int64_t gb_range_arg(struct gb_state *st, int i);
int gb_thread_index(struct gb_state *st);
int gb_threads_count(struct gb_state *st);
void gb_set_items_processed(struct gb_state *st, int64_t n);
void gb_set_bytes_processed(struct gb_state *st, int64_t n);
void gb_set_counter(struct gb_state *st, const char *name, double value,
		    enum gb_counter_flags flags);
void gb_set_label(struct gb_state *st, const char *label);
/* Ends this benchmark with an error in the output; return afterwards. */
void gb_skip_with_error(struct gb_state *st, const char *msg);

/* ---- keeping the compiler honest (inline, as in benchmark.h) ------------ */

/* The value must be computed; it may be read through memory. */
#define gb_do_not_optimize(v)	__asm__ __volatile__("" : : "r,m"(v) : "memory")
/* All writes to memory so far must happen. */
static inline void gb_clobber_memory(void)
{
	__asm__ __volatile__("" : : : "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* DPIDX_GBENCH_C_H */
