#pragma once
// Which of CUDA's GPUs a `trainbench comm` rank's collectives run on, and the SKU note about it:
// the note run, gemm and health print (runner::sku_note) where the device's name matches no SKU
// config, or only a variant's, so that comm, which judges its busbw against the matched SKU's
// links, says the same in the same words.
#include <optional>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "kernels/comm/collective_backend.hpp"

namespace tb::cli {

// The GPU of `device` among `gpus` (kernels::cuda_devices()); none for host-memory collectives.
std::optional<kernels::DeviceInfo> comm_gpu(const kernels::comm::CommDevice& device,
                                            const std::vector<kernels::DeviceInfo>& gpus);

// runner::sku_note for that GPU (comm takes no --sku); "" for host memory or a matched GPU.
std::string comm_sku_note(const kernels::comm::CommDevice& device, const std::vector<kernels::DeviceInfo>& gpus);

}  // namespace tb::cli
