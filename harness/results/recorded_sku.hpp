#pragma once
// The SKU config a results file names (machine.sku), where this machine has one: what every
// reader that needs the measuring GPU's datasheet asks (estimate's measured throughput, compare's
// prices and site, the fp8 MFU bound of step_consistency), so that all of them treat a missing
// config alike. None for a CPU run, a GPU without a config, or a file from a machine whose config
// is not here: such a file still has a usable throughput, so "none" is an answer, not an error.
#include <optional>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"

namespace tb::results {

std::optional<SkuConfig> recorded_sku(const RunResults& run);

}  // namespace tb::results
