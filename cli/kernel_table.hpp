#pragma once
// One line per measured kernel: what it is, how long it took, how fast that is against the
// SKU's peak, how noisy the estimate is, and whether its output was checked.
#include <ostream>
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::cli {

// Compute-bound kernels (flops > 0) show TFLOP/s, memory-bound ones GB/s; % of peak is the
// KernelResult's pct_of_peak (a percentage), "-" without a SKU. A kernel with outliers says how
// many after its check ("verified, 3 outliers"), and its clocks' throttling (throttle_text).
// An attention kernel run on zero-padded head columns (dims.padded_head_dim) gets a line under
// its row saying so (padding_note), since its TFLOP/s count only the model's head_dim.
void print_kernel_table(std::ostream& out, const std::vector<results::KernelResult>& kernels);

// "head dim 96 run padded to 128 (zero columns; FLOPs and bytes are head dim 96's)", or "" for a
// kernel that ran at its own width.
std::string padding_note(const results::KernelResult& k);

// For the check column of both kernel tables: "CLOCK-DROPPED" where throttled samples were kept
// (the wait for recovery ran out), "3 throttled samples retaken" where they were discarded and
// retaken (nvbench's rule: the statistics are over the others), both joined by ", "; "" for a
// kernel that never throttled or read no clocks (the CPU).
std::string throttle_text(const results::KernelResult& k);

}  // namespace tb::cli
