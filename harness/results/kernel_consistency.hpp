#pragma once
// A kernel's derived figures must agree with what they are derived from: compare, export and
// report print `tflops`, `gbps` and `pct_of_peak` as written, so a file edited to say 5 TFLOP/s at
// 99% of peak beside a 231 ms median would otherwise be published as such. Part of
// require_consistent_results (step_consistency.hpp), which every reader calls.
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::results {

// Rates are written as doubles and read back exactly; this slack covers a file whose figures were
// rounded to a few significant digits (a hand-made fixture, another tool), never a changed value.
inline constexpr double kRateRelTolerance = 1e-3;

// Refuses, naming the file, the kernel and the field with both values, a kernel (with a median
// above 0) whose
// - flops is not 2·m·n·k where it is a GEMM with its dims recorded;
// - tflops is not flops / median_ms, or gbps (where above 0, or the kernel is memory-bound) not
//   bytes / median_ms, or algbw_gb_s (collectives) not bytes / median_ms;
// - pct_of_peak is not its rate over the recorded peak: tflops over machine.peak_tflops for a
//   compute kernel in machine.peak_dtype (another dtype's peak from machine.sku's config, where
//   this machine has it), gbps over machine.peak_memory_tb_s for a memory-bound one; where the
//   file records no peak at all, a pct_of_peak above 0. Collectives (busbw over a link figure
//   the file does not record) are not checked.
void require_consistent_kernel_rates(const RunResults& r, const std::string& origin);

}  // namespace tb::results
