#pragma once
// How a GPU is set up, as its driver reports it (NVML, read by kernels/cuda/nvml_loader.cpp):
// the classic silent faults of a server — a card trained to fewer PCIe lanes, a power limit set
// below the board's default, uncorrectable ECC errors, a pending or failed row remapping.
// Every field is absent where the driver does not report it (no NVML, ECC off, older GPUs).
#include <cstdint>
#include <optional>

namespace tb::health {

struct DeviceConfig {
  std::optional<int> pcie_link_width, pcie_link_width_max;  // lanes
  std::optional<int> pcie_link_gen, pcie_link_gen_max;
  std::optional<double> power_limit_w, default_power_limit_w;  // enforced vs the board's default
  std::optional<uint64_t> ecc_uncorrected_volatile;   // since the last driver load
  std::optional<uint64_t> ecc_uncorrected_aggregate;  // over the board's life
  std::optional<bool> row_remap_pending, row_remap_failure;
};

}  // namespace tb::health
