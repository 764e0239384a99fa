#pragma once
// `gemm`, `attention` and `sweep` with --benchmark_repetitions=N write one entry per repetition
// (same name, shape and dtype). Comparisons treat them as one kernel: their samples pooled, the
// statistics recomputed, so that each kernel is compared once, on all its samples. A repeat in a
// file with a step (a step lists each kernel once), or one without samples, is a UsageError.
#include <map>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"

namespace tb::compare {

LabeledResults pool_repetitions(const LabeledResults& run);

// One side of the regression gate: one or more runs of the same work (files, or repetitions
// within a file), pooled into one kernel list, with what varies between runs kept apart: each
// run's median per kernel and each file's step. Run-to-run variance (clocks, placement, another
// process) is what samples within one run cannot show.
struct PooledRuns {
  LabeledResults pooled;                                   // step: the median file's step_ms
  std::map<std::string, std::vector<double>> run_medians;  // kernel_key → each run's median, ms
  std::vector<double> step_ms;                             // each file's step, where every file has one
};
// Refuses (UsageError, naming the file) an incomplete run, or files of another device or other
// shapes than the first (as `options` allows).
PooledRuns pool_runs(const std::vector<LabeledResults>& files, const CompatibilityOptions& options);

}  // namespace tb::compare
