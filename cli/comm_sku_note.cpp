#include "cli/comm_sku_note.hpp"

#include "harness/runner/machine_info.hpp"

namespace tb::cli {

std::optional<kernels::DeviceInfo> comm_gpu(const kernels::comm::CommDevice& device,
                                            const std::vector<kernels::DeviceInfo>& gpus) {
  if (!device.device_memory) return std::nullopt;
  for (const auto& d : gpus)
    if (d.index == device.device_index) return d;
  return std::nullopt;
}

std::string comm_sku_note(const kernels::comm::CommDevice& device, const std::vector<kernels::DeviceInfo>& gpus) {
  const auto gpu = comm_gpu(device, gpus);
  return gpu ? runner::sku_note(*gpu, "") : std::string();
}

}  // namespace tb::cli
