#pragma once
// `gemm`, `attention` and `sweep` with --benchmark_repetitions=N write one entry per repetition
// (same name, shape and dtype). Comparisons treat them as one kernel: their samples pooled, the
// statistics recomputed, so that each kernel is compared once, on all its samples. A repeat in a
// file with a step (a step lists each kernel once), or one without samples, is a UsageError.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/environment_diff.hpp"

namespace tb::compare {

LabeledResults pool_repetitions(const LabeledResults& run);

// One side of the regression gate: one or more runs of the same work (files: a file's
// --benchmark_repetitions are one run, its samples pooled), pooled into one kernel list, with what
// varies between runs kept apart: each file's median per kernel and each file's step. Run-to-run variance (clocks, placement, another
// process) is what samples within one run cannot show. What the gate says about the files beside
// its verdict is kept per file: their machines, which kernels each lacks, which were not verified,
// each run's algorithm.
struct PooledRuns {
  // step: the median file's step_ms, over the files that measured every kernel (the first file's
  // step where none did)
  LabeledResults pooled;
  // The first file as given, failed kernels and all: its kernel set is the side's (every file's
  // is checked against it), where the pool leaves out kernels that failed.
  LabeledResults first;
  std::map<std::string, std::vector<double>> run_medians;  // kernel_key → each file's median, ms
  // Each file's step, where every file has one, of the files that measured every kernel they list
  // (a step misses the kernels that failed or were not measured).
  std::vector<double> step_ms;
  // Every kernel some file lists, once, in the order first listed, whatever its status: its name,
  // shape and dtype where the pool (measured kernels only) lacks it.
  std::vector<results::KernelResult> listed;
  std::vector<std::string> origins;                        // each file, in the order given
  std::vector<results::MachineInfo> machines;              // each file's machine, in that order
  // kernel_key → this side's files without it, for every kernel some file of the side has
  // (--allow-different-shapes): the kernel is pooled over the others.
  std::map<std::string, std::vector<std::string>> missing_from;
  // kernel_key → files whose entry was not verified against the reference (--no-verify).
  std::map<std::string, std::vector<std::string>> unverified_in;
  AlgorithmsByKernel algorithms;                           // kernel_key → each run's (file, algorithm)
  std::vector<std::optional<results::TimingInfo>> timings; // each file's timing rule, in that order
  std::vector<std::string> fingerprints;                   // each file's run_fingerprint, in that order
  // The kernels that were tried and failed (failed, oom, unsupported), kernel_key → "file: status
  // (error)" for each file where it did; and those not measured (skipped, interrupted) in a run
  // accepted for its failures. Neither is in the pool or its run medians: a kernel that failed in
  // some runs is pooled over the others.
  std::map<std::string, std::vector<std::string>> failed_in, unmeasured_in;
  std::map<std::string, int> failed_runs;  // kernel_key → files in which it failed (repetitions once)
  int runs() const { return static_cast<int>(origins.size()); }
  bool same_kernels() const { return missing_from.empty(); }
  bool has_failures() const { return !failed_in.empty(); }
};
// One run, whatever its path or name: its start, host and every kernel's timings. Start times are
// to the second and runs started together on one host share them; their timings never do. A
// copied file has its original's.
std::string run_fingerprint(const LabeledResults& run);

// Refuses (UsageError, naming the file) an incomplete run, the same run given twice, or files of
// another device or other shapes than the first (as `options` allows). A run with failed kernels
// is taken (either side of the gate: a nightly baseline of seven runs with one out-of-memory is
// still six measurements), its failures kept apart (failed_in, unmeasured_in) for the gate to
// report; a run partial only because kernels were not measured (interrupted, skipped) is refused.
PooledRuns pool_runs(const std::vector<LabeledResults>& files, const CompatibilityOptions& options);

}  // namespace tb::compare
