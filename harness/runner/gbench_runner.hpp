#pragma once
// Runs measured cases either as Google Benchmark benchmarks (so --benchmark_filter,
// --benchmark_format=json, --benchmark_repetitions and --benchmark_out work, and tools that read
// Google Benchmark JSON read ours) or as a plain loop with a progress callback (`run`). Both
// go through measure_op: one timing core, one result type.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"

namespace tb::runner {

// Called before each case (`done` null) and after it (`done` its result); index is 0-based.
using CaseProgress = std::function<void(size_t index, size_t total, const Op& op, const results::KernelResult* done)>;

// Measures each op in order; stops early (remaining ops "interrupted") on SIGINT.
std::vector<results::KernelResult> run_cases(kernels::Backend& backend, const std::vector<Op>& ops,
                                             const MeasureOptions& options, const std::optional<SkuConfig>& sku,
                                             const CaseProgress& progress = {});

// Moves every "--benchmark_*" argument out of `args` and returns them.
std::vector<std::string> take_gbench_args(std::vector<std::string>& args);
// The flags Google Benchmark 1.7 (Debian 12's libbenchmark) takes, as typed: "--benchmark_filter", ...
const std::vector<std::string>& gbench_flag_names();
// What Google Benchmark would refuse or take badly, refused before any device work (a note
// printed before a usage error would make it two messages): a --benchmark_ flag it does not take
// (with its near miss), --benchmark_repetitions outside 1..100000, a --benchmark_out folder that
// does not exist.
void check_gbench_args(const std::vector<std::string>& gbench_args);
// The value of --benchmark_<name>=VALUE (or "--benchmark_<name> VALUE"), "" when absent.
std::string gbench_flag_value(const std::vector<std::string>& gbench_args, const std::string& name);

struct GbenchOptions {
  std::vector<std::string> args;  // --benchmark_* flags; empty: Google Benchmark prints nothing
  CaseProgress progress;
};

// "gemm/8192x8192x8192/fwd/bf16" (exporting::gbench_base_name, as `export` names it): the name
// --benchmark_filter matches against.
std::string gbench_name(const Op& op);

// Registers one benchmark per op (manual time = the median of measure_op's samples, one
// iteration; counters TFLOPS, GBps, pct_of_peak, samples, verified, median_ms, and rel_noise and
// outliers where the spread is known: two samples or more, as `export` writes them),
// runs them, and returns every measurement in run order: one per op per repetition. Ops that
// --benchmark_filter left out come back with status "skipped", as do those after the one an
// interrupt stopped (never started: not measure_op's "interrupted"). Unknown --benchmark_ flags are
// a UsageError. With args, Google Benchmark owns stdout (console table or JSON).
std::vector<results::KernelResult> run_with_google_benchmark(kernels::Backend& backend, const std::vector<Op>& ops,
                                                             const MeasureOptions& options,
                                                             const std::optional<SkuConfig>& sku,
                                                             const GbenchOptions& gbench);

}  // namespace tb::runner
