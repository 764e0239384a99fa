#pragma once
// Judges how a GPU is set up (harness/health/device_config.hpp), beside the measured battery.
#include <vector>

#include "harness/health/device_config.hpp"
#include "harness/health/health_check.hpp"

namespace tb::health {

// The device's setup as the driver reports it: pcie (fewer lanes than the slot's maximum is
// suspect; a lower link speed is only noted, since links slow down when idle), power_limit
// (enforced below 95% of the board's default is suspect), ecc (uncorrectable errors since the
// driver loaded fail; over the board's life, suspect), row_remap (a failed remapping fails; a
// pending one is suspect until a GPU reset applies it). Nothing reported, no check.
std::vector<Check> config_checks(const DeviceConfig& config);

}  // namespace tb::health
