#pragma once
// What `trainbench run` prints: the per-kernel table, the step, and the biggest losses to peak.
#include <optional>
#include <ostream>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/runner/step_runner.hpp"

namespace tb::cli {

void print_run_table(std::ostream& out, const results::RunResults& results);
void print_step_summary(std::ostream& out, const results::RunResults& results, const std::optional<SkuConfig>& sku);

}  // namespace tb::cli
