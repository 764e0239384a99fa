// Prototypes and enum values are declared here from NVML's API reference (docs.nvidia.com/deploy/
// nvml-api): nvmlReturn_t 0 = NVML_SUCCESS, NVML_CLOCK_SM = 1, NVML_TEMPERATURE_GPU = 0, power in
// milliwatts, the nvmlClocksEventReason* bit values listed in kReasons below, and for ECC
// NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1, NVML_VOLATILE_ECC = 0, NVML_AGGREGATE_ECC = 1.
#include "kernels/cuda/nvml_loader.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "kernels/cuda/dynamic_symbol.hpp"

namespace tb::kernels::cuda {
namespace {

using NvmlReturn = int;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;
constexpr int kNvmlTemperatureGpu = 0;
constexpr int kNvmlMemoryErrorUncorrected = 1;
constexpr int kNvmlVolatileEcc = 0, kNvmlAggregateEcc = 1;
struct NvmlDeviceOpaque;
using NvmlDevice = NvmlDeviceOpaque*;

struct Nvml {
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*handle_by_pci)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*clock_info)(NvmlDevice, int, unsigned int*) = nullptr;
  NvmlReturn (*power_usage)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*temperature)(NvmlDevice, int, unsigned int*) = nullptr;
  NvmlReturn (*event_reasons)(NvmlDevice, unsigned long long*) = nullptr;
  NvmlReturn (*driver_version)(char*, unsigned int) = nullptr;
  NvmlReturn (*pcie_width)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*pcie_width_max)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*pcie_gen)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*pcie_gen_max)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*power_limit)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*default_power_limit)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*ecc_errors)(NvmlDevice, int, int, unsigned long long*) = nullptr;
  NvmlReturn (*remapped_rows)(NvmlDevice, unsigned int*, unsigned int*, unsigned int*, unsigned int*) = nullptr;
  bool ok = false;
};

const Nvml& nvml() {
  static Nvml n;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    bind_symbol(lib, "nvmlInit_v2", n.init);
    bind_symbol(lib, "nvmlDeviceGetHandleByPciBusId_v2", n.handle_by_pci);
    bind_symbol(lib, "nvmlDeviceGetClockInfo", n.clock_info);
    bind_symbol(lib, "nvmlDeviceGetPowerUsage", n.power_usage);
    bind_symbol(lib, "nvmlDeviceGetTemperature", n.temperature);
    // Renamed from ...ClocksThrottleReasons in driver 535; older drivers have only the old name.
    bind_symbol(lib, "nvmlDeviceGetCurrentClocksEventReasons", n.event_reasons);
    if (!n.event_reasons) bind_symbol(lib, "nvmlDeviceGetCurrentClocksThrottleReasons", n.event_reasons);
    bind_symbol(lib, "nvmlSystemGetDriverVersion", n.driver_version);
    bind_symbol(lib, "nvmlDeviceGetCurrPcieLinkWidth", n.pcie_width);
    bind_symbol(lib, "nvmlDeviceGetMaxPcieLinkWidth", n.pcie_width_max);
    bind_symbol(lib, "nvmlDeviceGetCurrPcieLinkGeneration", n.pcie_gen);
    bind_symbol(lib, "nvmlDeviceGetMaxPcieLinkGeneration", n.pcie_gen_max);
    bind_symbol(lib, "nvmlDeviceGetEnforcedPowerLimit", n.power_limit);
    bind_symbol(lib, "nvmlDeviceGetPowerManagementDefaultLimit", n.default_power_limit);
    bind_symbol(lib, "nvmlDeviceGetTotalEccErrors", n.ecc_errors);
    bind_symbol(lib, "nvmlDeviceGetRemappedRows", n.remapped_rows);
    n.ok = n.init && n.handle_by_pci && n.clock_info && n.init() == kNvmlSuccess;
  });
  return n;
}

// The device's handle, looked up by PCI bus id once and kept: clocks are read during sampling,
// and NVML handles stay valid until nvmlShutdown, which trainbench never calls. nullptr when
// NVML does not know the device (not cached, so a later call may still find it).
NvmlDevice device_handle(const Nvml& n, const std::string& pci_bus_id) {
  static std::mutex mutex;
  static std::map<std::string, NvmlDevice> handles;
  const std::lock_guard lock(mutex);
  if (const auto it = handles.find(pci_bus_id); it != handles.end()) return it->second;
  NvmlDevice dev = nullptr;
  if (n.handle_by_pci(pci_bus_id.c_str(), &dev) != kNvmlSuccess) return nullptr;
  handles.emplace(pci_bus_id, dev);
  return dev;
}

struct Reason {
  unsigned long long bit;
  const char* name;
};
// Informational bits (idle, application clocks setting, display clock) are not throttling.
constexpr Reason kReasons[] = {
    {0x4ull, "sw_power_cap"},         {0x8ull, "hw_slowdown"},          {0x10ull, "sync_boost"},
    {0x20ull, "sw_thermal_slowdown"}, {0x40ull, "hw_thermal_slowdown"}, {0x80ull, "hw_power_brake_slowdown"},
};

}  // namespace

std::string throttle_reasons_text(unsigned long long mask) {
  std::string text;
  for (const auto& r : kReasons) {
    if (!(mask & r.bit)) continue;
    if (!text.empty()) text += ",";
    text += r.name;
  }
  return text;
}

std::optional<ClockReading> nvml_read_clocks(const std::string& pci_bus_id) {
  const Nvml& n = nvml();
  if (!n.ok) return std::nullopt;
  const NvmlDevice dev = device_handle(n, pci_bus_id);
  if (!dev) return std::nullopt;
  ClockReading r;
  unsigned int value = 0;
  if (n.clock_info(dev, kNvmlClockSm, &value) != kNvmlSuccess) return std::nullopt;
  r.sm_clock_mhz = value;
  if (n.power_usage && n.power_usage(dev, &value) == kNvmlSuccess) r.power_w = value / 1000.0;
  if (n.temperature && n.temperature(dev, kNvmlTemperatureGpu, &value) == kNvmlSuccess) r.temperature_c = value;
  unsigned long long reasons = 0;
  if (n.event_reasons && n.event_reasons(dev, &reasons) == kNvmlSuccess) {
    r.throttle_reasons = reasons;
    r.throttle_text = throttle_reasons_text(reasons);
  }
  return r;
}

std::optional<DeviceConfig> nvml_read_config(const std::string& pci_bus_id) {
  const Nvml& n = nvml();
  if (!n.ok) return std::nullopt;
  const NvmlDevice dev = device_handle(n, pci_bus_id);
  if (!dev) return std::nullopt;
  DeviceConfig c;
  auto uint_query = [&](NvmlReturn (*fn)(NvmlDevice, unsigned int*)) -> std::optional<unsigned int> {
    unsigned int v = 0;
    if (fn && fn(dev, &v) == kNvmlSuccess) return v;
    return std::nullopt;
  };
  if (auto v = uint_query(n.pcie_width)) c.pcie_link_width = static_cast<int>(*v);
  if (auto v = uint_query(n.pcie_width_max)) c.pcie_link_width_max = static_cast<int>(*v);
  if (auto v = uint_query(n.pcie_gen)) c.pcie_link_gen = static_cast<int>(*v);
  if (auto v = uint_query(n.pcie_gen_max)) c.pcie_link_gen_max = static_cast<int>(*v);
  if (auto v = uint_query(n.power_limit)) c.power_limit_w = *v / 1000.0;
  if (auto v = uint_query(n.default_power_limit)) c.default_power_limit_w = *v / 1000.0;
  unsigned long long count = 0;
  // Not supported (ECC off, consumer boards) leaves the field empty.
  if (n.ecc_errors && n.ecc_errors(dev, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc, &count) == kNvmlSuccess)
    c.ecc_uncorrected_volatile = count;
  if (n.ecc_errors && n.ecc_errors(dev, kNvmlMemoryErrorUncorrected, kNvmlAggregateEcc, &count) == kNvmlSuccess)
    c.ecc_uncorrected_aggregate = count;
  unsigned int corrected = 0, uncorrected = 0, pending = 0, failure = 0;
  if (n.remapped_rows && n.remapped_rows(dev, &corrected, &uncorrected, &pending, &failure) == kNvmlSuccess) {
    c.row_remap_pending = pending != 0;
    c.row_remap_failure = failure != 0;
  }
  return c;
}

std::optional<std::string> nvml_driver_version() {
  const Nvml& n = nvml();
  if (!n.ok || !n.driver_version) return std::nullopt;
  char buf[96] = {};
  if (n.driver_version(buf, sizeof buf) != kNvmlSuccess) return std::nullopt;
  return std::string(buf);
}

}  // namespace tb::kernels::cuda
