#pragma once
// The one line every measuring command prints when kernels stopped before their noise reached
// the target: their medians are weaker evidence for a regression gate, and what would let them
// converge depends on what stopped them.
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::cli {

// Empty when every measured ("ok") kernel converged or ended within the target anyway. Else
// "trainbench: note: ..." with a newline: how many, the worst, what stopped it, and the flag that
// helps: --max-samples for max_samples, else `time_budget_hint` (run's shared --budget) or
// --max-time.
// A kernel sampled once has no spread to measure its noise by: it counts as not converged.
std::string unconverged_note(const std::vector<results::KernelResult>& kernels, double target_rel_noise,
                             const std::string& time_budget_hint = "");

// The noise column's cell: "1.23%" right-aligned in `width`, or "-" from fewer than two samples
// (a rel_noise of 0 there means unknown, not quiet).
std::string noise_cell(const results::KernelResult& k, int width, int decimals = 2);

// "3 outliers" (samples beyond the outlier fence, timing::fence_half_width_ms: OS hiccups, clock dips), or "" where there were
// none. Said beside the noise, which is robust and so no longer shows them.
std::string outliers_text(const results::KernelResult& k);

}  // namespace tb::cli
