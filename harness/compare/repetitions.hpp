#pragma once
// `gemm`, `attention` and `sweep` with --benchmark_repetitions=N write one entry per repetition
// (same name, shape and dtype). Comparisons treat them as one kernel: their samples pooled, the
// statistics recomputed, so that each kernel is compared once, on all its samples. A repeat in a
// file with a step (a step lists each kernel once), or one without samples, is a UsageError.
#include "harness/compare/compatibility.hpp"

namespace tb::compare {

LabeledResults pool_repetitions(const LabeledResults& run);

}  // namespace tb::compare
