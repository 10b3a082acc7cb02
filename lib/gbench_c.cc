// SPDX-License-Identifier: GPL-2.0-only OR MIT
//
// lib/gbench_c.cc - the C API of gbench_c.h, one Google Benchmark call each.
//
// A struct gb_state * is a benchmark::State *, a struct gb_bench * a
// benchmark::Benchmark *: the casts below are the whole adaptation.

#include <benchmark/benchmark.h>
#include <fstream>
#include <memory>
#include <string>

#include "gbench_c.h"

static benchmark::State *S(struct gb_state *st)
{
	return reinterpret_cast<benchmark::State *>(st);
}

static benchmark::internal::Benchmark *B(struct gb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

// Several RunSpecifiedBenchmarks() passes into one console and one JSON
// file: the context is reported once, each pass's runs are appended, and
// the JSON is closed by gb_output_close() only.  Google Benchmark's own
// --benchmark_out reopens (truncates) its file on every pass.
class TeeReporter : public benchmark::BenchmarkReporter {
public:
	TeeReporter(const std::string &path)
		: console_(benchmark::ConsoleReporter::OO_None)
	{
		if (!path.empty()) {
			file_.open(path);
			json_.reset(new benchmark::JSONReporter());
			json_->SetOutputStream(&file_);
			json_->SetErrorStream(&file_);
		}
	}
	bool ok() const { return !json_ || file_.is_open(); }
	bool ReportContext(const Context &c) override
	{
		if (started_)
			return true;
		started_ = true;
		bool r = console_.ReportContext(c);
		return (!json_ || json_->ReportContext(c)) && r;
	}
	void ReportRuns(const std::vector<Run> &runs) override
	{
		console_.ReportRuns(runs);
		if (json_)
			json_->ReportRuns(runs);
	}
	void Finalize() override {}
	void Close()
	{
		console_.Finalize();
		if (json_) {
			json_->Finalize();
			file_.close();
		}
	}

private:
	benchmark::ConsoleReporter console_;
	std::unique_ptr<benchmark::JSONReporter> json_;
	std::ofstream file_;
	bool started_ = false;
};

static std::unique_ptr<TeeReporter> tee;

extern "C" {

int gb_output_open(const char *json_path)
{
	tee.reset(new TeeReporter(json_path ? json_path : ""));
	return tee->ok() ? 0 : -1;
}

uint64_t gb_run_pass(void)
{
	return tee ? benchmark::RunSpecifiedBenchmarks(tee.get()) :
		     benchmark::RunSpecifiedBenchmarks();
}

void gb_output_close(void)
{
	if (tee)
		tee->Close();
	tee.reset();
}

void gb_clear_registered(void)
{
	benchmark::ClearRegisteredBenchmarks();
}

void gb_initialize(int *argc, char **argv)
{
	benchmark::Initialize(argc, argv);
}

bool gb_report_unrecognized_arguments(int argc, char **argv)
{
	return benchmark::ReportUnrecognizedArguments(argc, argv);
}

uint64_t gb_run_specified(void)
{
	return benchmark::RunSpecifiedBenchmarks();
}

void gb_shutdown(void)
{
	benchmark::Shutdown();
}

int gb_main(int argc, char **argv)
{
	gb_initialize(&argc, argv);
	if (gb_report_unrecognized_arguments(argc, argv))
		return 1;
	gb_run_specified();
	gb_shutdown();
	return 0;
}

void gb_add_custom_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

struct gb_bench *gb_register(const char *name, gb_fn fn, void *arg)
{
	benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
		name, [fn, arg](benchmark::State &st) {
			fn(reinterpret_cast<struct gb_state *>(&st), arg);
		});
	return reinterpret_cast<struct gb_bench *>(b);
}

void gb_arg(struct gb_bench *b, int64_t x)
{
	B(b)->Arg(x);
}

void gb_args(struct gb_bench *b, const int64_t *args, int nr)
{
	B(b)->Args(std::vector<int64_t>(args, args + nr));
}

void gb_arg_name(struct gb_bench *b, const char *name)
{
	B(b)->ArgName(name);
}

void gb_range(struct gb_bench *b, int64_t lo, int64_t hi)
{
	B(b)->Range(lo, hi);
}

void gb_dense_range(struct gb_bench *b, int64_t lo, int64_t hi, int step)
{
	B(b)->DenseRange(lo, hi, step);
}

void gb_range_multiplier(struct gb_bench *b, int mult)
{
	B(b)->RangeMultiplier(mult);
}

void gb_threads(struct gb_bench *b, int nr)
{
	B(b)->Threads(nr);
}

void gb_thread_range(struct gb_bench *b, int lo, int hi)
{
	B(b)->ThreadRange(lo, hi);
}

void gb_unit(struct gb_bench *b, enum gb_unit unit)
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond, benchmark::kMicrosecond,
		benchmark::kMillisecond, benchmark::kSecond,
	};

	B(b)->Unit(units[unit]);
}

void gb_use_real_time(struct gb_bench *b)
{
	B(b)->UseRealTime();
}

void gb_use_manual_time(struct gb_bench *b)
{
	B(b)->UseManualTime();
}

void gb_min_time(struct gb_bench *b, double seconds)
{
	B(b)->MinTime(seconds);
}

void gb_iterations(struct gb_bench *b, int64_t n)
{
	B(b)->Iterations(n);
}

void gb_repetitions(struct gb_bench *b, int n)
{
	B(b)->Repetitions(n);
}

static gb_fn_hook gb_hook_begin, gb_hook_end;

void gb_set_loop_hooks(gb_fn_hook begin, gb_fn_hook end)
{
	gb_hook_begin = begin;
	gb_hook_end = end;
}

// iterations() is 0 only before the loop's first call; false comes once.
static bool gb_hooked(struct gb_state *st, bool (*run)(struct gb_state *, int64_t),
		      int64_t n)
{
	bool more;

	if (gb_hook_begin && S(st)->iterations() == 0)
		gb_hook_begin(st);
	more = run(st, n);
	if (!more && gb_hook_end)
		gb_hook_end(st);
	return more;
}

static bool gb_run_one(struct gb_state *st, int64_t)
{
	return S(st)->KeepRunning();
}

static bool gb_run_batch(struct gb_state *st, int64_t n)
{
	return S(st)->KeepRunningBatch(n);
}

bool gb_keep_running(struct gb_state *st)
{
	if (!gb_hook_begin && !gb_hook_end)
		return S(st)->KeepRunning();
	return gb_hooked(st, gb_run_one, 1);
}

bool gb_keep_running_batch(struct gb_state *st, int64_t n)
{
	if (!gb_hook_begin && !gb_hook_end)
		return S(st)->KeepRunningBatch(n);
	return gb_hooked(st, gb_run_batch, n);
}

void gb_pause_timing(struct gb_state *st)
{
	S(st)->PauseTiming();
}

void gb_resume_timing(struct gb_state *st)
{
	S(st)->ResumeTiming();
}

void gb_set_iteration_time(struct gb_state *st, double seconds)
{
	S(st)->SetIterationTime(seconds);
}

int64_t gb_iteration_count(struct gb_state *st)
{
	return S(st)->iterations();
}

int64_t gb_range_arg(struct gb_state *st, int i)
{
	return S(st)->range(i);
}

int gb_thread_index(struct gb_state *st)
{
	return S(st)->thread_index();
}

int gb_threads_count(struct gb_state *st)
{
	return S(st)->threads();
}

void gb_set_items_processed(struct gb_state *st, int64_t n)
{
	S(st)->SetItemsProcessed(n);
}

void gb_set_bytes_processed(struct gb_state *st, int64_t n)
{
	S(st)->SetBytesProcessed(n);
}

void gb_set_counter(struct gb_state *st, const char *name, double value,
		    enum gb_counter_flags flags)
{
	S(st)->counters[name] = benchmark::Counter(
		value, static_cast<benchmark::Counter::Flags>(flags));
}

void gb_set_label(struct gb_state *st, const char *label)
{
	S(st)->SetLabel(label);
}

void gb_skip_with_error(struct gb_state *st, const char *msg)
{
	S(st)->SkipWithError(msg);
}

} // extern "C"
