#pragma once
// Results as Google Benchmark JSON (the --benchmark_format=json layout of google/benchmark 1.7),
// so dashboards that read it take trainbench results as they are: github-action-benchmark's
// `googlecpp` tool reads benchmarks[].name, real_time, time_unit, iterations, cpu_time and
// threads; Bencher's `cpp_google` adapter reads the same plus the context block.
//
// One "iteration" entry per measured kernel, named as the live --benchmark_format=json of gemm,
// attention, sweep and health names it ("gemm/256x256x256/fwd/fp32/iterations:1/manual_time":
// exporting::gbench_base_name + kGbenchRunSuffix), after "<model>/" for `run` files, so that a
// dashboard fed both sees one series; iterations 1 as there (one iteration whose manual time is
// the median), real_time and cpu_time = the median in ms (no CPU time is recorded; the median
// stands in so tools that read cpu_time see the same number), the label as there ("256x256x256
// fwd fp32", " UNVERIFIED" after it under --no-verify), and user counters (TFLOPS, GBps,
// algbw_GBps, busbw_GBps, pct_of_peak, rel_noise, outliers, samples, median_ms, verified,
// calls_per_step, and step_calls for a kernel run once per optimizer step: calls_per_step / M)
// as google/benchmark writes counters: extra keys; rel_noise and outliers only where there were
// two samples or more to estimate them from. The step, when present, is one
// more entry with tokens_per_s, MFU, TFLOPS and verified counters, named
// "model/step/tp8/mb1/seq2048/bf16" ("…/seq2048/M1536/dp1/bf16" for a run with the optimizer step's
// kernels, M micro-batches per optimizer step on dp data-parallel shards): another tp, micro-batch,
// sequence, M, dp or dtype is another series (an fp8 step is not a 1.4x "speed-up" of the bf16 one). Kernels left out by --benchmark_filter
// are not in `left_out`: not a failure. The context's library_build_type and cpu_scaling_enabled
// come from the file's machine.build_type and machine.cpu_scaling_enabled, and are left out where
// it did not record them.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::exporting {

// Refuses failed runs, files without a measured kernel and files at odds with themselves
// (results::require_consistent_results, as every reader does) with a UsageError naming `origin`;
// a partial run exports only its kernels with status ok, and no step. What is left out is listed
// in `left_out` ("name shape dtype: status: error", "step: ..."), for the caller to report:
// dashboards such as github-action-benchmark plot every entry's real_time and read no error
// field, so a failure must not be an entry (it would plot as 0 ms, a huge "speed-up").
nlohmann::json to_gbench_json(const results::RunResults& results, const std::string& origin,
                              std::vector<std::string>* left_out = nullptr);

// The benchmark name of one kernel: "[<model>/]<kernel>/<shape words>/<dtype>/iterations:1/manual_time".
std::string gbench_name(const results::RunResults& results, const results::KernelResult& kernel);

// Google Benchmark's library_build_type ("debug" or "release") of a CMake build type; nullopt
// for one it cannot be told from ("" in files from before it was recorded, a custom type).
std::optional<std::string> library_build_type(const std::string& cmake_build_type);

}  // namespace tb::exporting
