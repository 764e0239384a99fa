#pragma once
// A results file's step must agree with itself: a hand-edited or badly written file would
// otherwise carry an impossible MFU into estimates, comparisons and reports.
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::results {

// Refuses, naming the file and the field, a step whose step_ms is not the sum of calls_per_step x
// median_ms over its measured kernels, whose mfu or hfu is not its FLOPs over its time and
// machine.peak_tflops, whose mfu exceeds 1 (faster than the peak: the peak is wrong) or whose mfu
// exceeds its hfu (the model's FLOPs are a part of those the hardware ran). A file without a step
// passes.
void require_consistent_step(const RunResults& r, const std::string& origin);

}  // namespace tb::results
