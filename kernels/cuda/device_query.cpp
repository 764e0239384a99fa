// Device listing for `trainbench devices` and results provenance. CUDA 13 removed clockRate and
// memoryClockRate from cudaDeviceProp, so clocks come from cudaDeviceGetAttribute.
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <fmt/format.h>

#include "harness/hardware/sku_match.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/nvml_loader.hpp"
#if TB_HAVE_NCCL
#include "kernels/cuda/nccl_loader.hpp"
#endif

namespace tb::kernels::cuda {
namespace {

// 13000 → "13.0"
std::string cuda_version_text(int v) { return fmt::format("{}.{}", v / 1000, (v % 1000) / 10); }

int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  TB_CUDA_CHECK(cudaDeviceGetAttribute(&value, attr, device));
  return value;
}

}  // namespace

bool device_available(std::string* why_not) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    if (why_not) *why_not = fmt::format("{} ({})", cudaGetErrorString(err), cudaGetErrorName(err));
    return false;
  }
  if (count == 0) {
    if (why_not) *why_not = "no CUDA device found";
    return false;
  }
  return true;
}

std::vector<DeviceInfo> list_devices() {
  std::vector<DeviceInfo> out;
  if (!device_available(nullptr)) return out;
  int count = 0;
  TB_CUDA_CHECK(cudaGetDeviceCount(&count));
  int driver = 0, runtime = 0;
  TB_CUDA_CHECK(cudaDriverGetVersion(&driver));
  TB_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  const size_t lt = cublasLtGetVersion();  // MAJOR·10000 + MINOR·100 + PATCH
  std::string nccl;
#if TB_HAVE_NCCL
  nccl = nccl_version_string();  // "" where libnccl.so.2 cannot be loaded
#endif
  const auto nvml_driver = nvml_driver_version();
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p{};
    TB_CUDA_CHECK(cudaGetDeviceProperties(&p, d));
    DeviceInfo info;
    info.backend = "cuda";
    info.name = p.name;
    info.index = d;
    char bus_id[32] = {};
    if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, d) == cudaSuccess) info.pci_bus_id = bus_id;
    info.sm_count = p.multiProcessorCount;
    info.compute_capability_major = p.major;
    info.compute_capability_minor = p.minor;
    info.memory_gb = static_cast<double>(p.totalGlobalMem) / 1e9;
    info.l2_cache_bytes = p.l2CacheSize;
    info.sm_clock_mhz = attribute(cudaDevAttrClockRate, d) / 1000.0;  // kHz
    info.memory_clock_mhz = attribute(cudaDevAttrMemoryClockRate, d) / 1000.0;
    // Double data rate: 2 transfers per clock over the bus (H100 SXM: 2·2619 MHz·5120 bit = 3.35 TB/s).
    const double bus_bits = attribute(cudaDevAttrGlobalMemoryBusWidth, d);
    info.memory_bandwidth_tb_s = 2.0 * info.memory_clock_mhz * 1e6 * bus_bits / 8.0 / 1e12;
    info.driver_version = nvml_driver ? fmt::format("{} (CUDA {})", *nvml_driver, cuda_version_text(driver))
                                      : fmt::format("CUDA {}", cuda_version_text(driver));
    info.cuda_runtime_version = cuda_version_text(runtime);
    info.cublas_version = fmt::format("{}.{}.{}", lt / 10000, (lt % 10000) / 100, lt % 100);
    info.nccl_version = nccl;
    try {
      if (auto sku = match_sku(info.name, info.memory_gb)) info.matched_sku = sku->name;
    } catch (const std::exception&) {
      // A broken configs/ tree must not hide the device; `trainbench devices` still lists it.
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tb::kernels::cuda
