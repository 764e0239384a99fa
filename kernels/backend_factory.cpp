#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/cpu_backend.hpp"
#if TB_HAVE_CUDA
#include "kernels/cuda/cuda_backend.hpp"
#include "kernels/cuda/nvml_loader.hpp"
#endif

namespace tb::kernels {

bool cuda_device_available(std::string* why_not) {
#if TB_HAVE_CUDA
  return cuda::device_available(why_not);
#else
  if (why_not) *why_not = "this trainbench was built without CUDA (no nvcc at configure time)";
  return false;
#endif
}

std::vector<DeviceInfo> cuda_devices() {
#if TB_HAVE_CUDA
  return cuda::list_devices();
#else
  return {};
#endif
}

DeviceInfo cpu_device_info() { return cpu::device_info(); }

void check_attention_impl(const std::string& impl, const std::string& flag) {
  if (impl != "fused" && impl != "unfused" && impl != "wgmma")
    throw UsageError(fmt::format("{}: unknown attention implementation '{}'; accepted values: {}", flag, impl,
                                 kAttentionImpls));
}

std::optional<DeviceConfig> cuda_device_config(const DeviceInfo& gpu) {
#if TB_HAVE_CUDA
  if (gpu.backend == "cuda" && !gpu.pci_bus_id.empty()) return cuda::nvml_read_config(gpu.pci_bus_id);
#endif
  (void)gpu;
  return std::nullopt;
}

std::unique_ptr<Backend> make_backend(const std::string& name, int gpu_index) {
  const auto cpu_backend = [&] {
    if (gpu_index != 0)
      throw UsageError(fmt::format("--gpu-index {}: GPUs are chosen only for --device cuda (this run is on the CPU)",
                                   gpu_index));
    return cpu::make_backend();
  };
  if (name == "cpu") return cpu_backend();
  if (name == "cuda" || name == "auto") {
    std::string why;
    if (cuda_device_available(&why)) {
#if TB_HAVE_CUDA
      return cuda::make_backend(gpu_index);
#endif
    }
    if (name == "auto") return cpu_backend();
    throw RuntimeError(fmt::format("--device cuda: no usable GPU: {}", why));
  }
  throw UsageError(fmt::format("--device: unknown backend '{}'; accepted values: cuda, cpu, auto", name));
}

}  // namespace tb::kernels
