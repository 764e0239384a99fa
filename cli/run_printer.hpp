#pragma once
// What `trainbench run` prints: the per-kernel table, the step, and the biggest losses to peak.
#include <optional>
#include <ostream>
#include <string>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/runner/step_runner.hpp"

namespace tb::cli {

// "[6/23] attn_out.fwd     39.5 s elapsed, ~34 s left": the kernel about to be measured and the
// estimate of what is left (timing::estimate_remaining); before any kernel has been measured,
// the budget's bound alone ("at most 100 s left"); once the budget is spent, how many kernels
// are left to measure at their minimum share.
std::string progress_line(const runner::StepProgress& progress);

void print_run_table(std::ostream& out, const results::RunResults& results);
void print_step_summary(std::ostream& out, const results::RunResults& results, const std::optional<SkuConfig>& sku);

}  // namespace tb::cli
