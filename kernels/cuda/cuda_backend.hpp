#pragma once
// The CUDA backend: cuBLASLt GEMMs, our fused attention, memory-bound kernels, CUDA-event
// timing with an L2 flush before every sample, NVML clocks. Plain C++ header: no CUDA types.
#include <memory>
#include <string>
#include <vector>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

bool device_available(std::string* why_not);
std::vector<DeviceInfo> list_devices();
std::unique_ptr<Backend> make_backend(int device_index);

}  // namespace tb::kernels::cuda
