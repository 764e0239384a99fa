#pragma once
// `gemm`, `attention` and `sweep` with --benchmark_repetitions=N write one entry per repetition
// (same name, shape and dtype). Comparisons treat them as one kernel: their samples pooled, the
// statistics recomputed, so that each kernel is compared once, on all its samples.
#include "harness/compare/compatibility.hpp"

namespace tb::compare {

LabeledResults pool_repetitions(const LabeledResults& run);

}  // namespace tb::compare
