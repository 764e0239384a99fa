#pragma once
// One line per measured kernel: what it is, how long it took, how fast that is against the
// SKU's peak, how noisy the estimate is, and whether its output was checked.
#include <ostream>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::cli {

// Compute-bound kernels (flops > 0) show TFLOP/s, memory-bound ones GB/s; % of peak is the
// KernelResult's pct_of_peak (a percentage), "-" without a SKU. A kernel with outliers says how
// many after its check ("verified, 3 outliers").
void print_kernel_table(std::ostream& out, const std::vector<results::KernelResult>& kernels);

}  // namespace tb::cli
