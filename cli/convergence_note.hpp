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
std::string unconverged_note(const std::vector<results::KernelResult>& kernels, double target_rel_noise,
                             const std::string& time_budget_hint = "");

}  // namespace tb::cli
