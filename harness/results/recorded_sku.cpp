#include "harness/results/recorded_sku.hpp"

#include "harness/common/errors.hpp"

namespace tb::results {

std::optional<SkuConfig> recorded_sku(const RunResults& run) {
  if (run.machine.sku.empty()) return std::nullopt;
  try {
    return load_sku(run.machine.sku);
  } catch (const UsageError&) {
    return std::nullopt;  // no config of that name here (or one that does not load): said by each caller
  }
}

}  // namespace tb::results
