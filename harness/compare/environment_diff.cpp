#include "harness/compare/environment_diff.hpp"

#include <fmt/format.h>

#include <utility>

#include "harness/health/health_check.hpp"

namespace tb::compare {

std::vector<EnvironmentChange> environment_changes(const results::MachineInfo& b, const results::MachineInfo& c) {
  auto mhz = [](double v) { return v > 0 ? fmt::format("{:.0f} MHz", v) : std::string(); };
  auto tflops = [](double v) { return v > 0 ? fmt::format("{:.4g} TFLOP/s", v) : std::string(); };
  auto load = [](const results::MachineInfo& m) {
    if (!m.load_avg_1m || m.host_cpus <= 0) return std::string();
    const bool busy = health::host_busy(m.load_avg_1m, m.host_cpus);
    return fmt::format("{} (load {} {:g} on {} CPUs)", busy ? "busy" : "quiet", busy ? ">=" : "<",
                       health::kBusyHostLoadPerCpu * m.host_cpus, m.host_cpus);
  };
  auto gb = [](double v) { return v > 0 ? fmt::format("{:.1f} GB", v) : std::string(); };
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"driver_version", {b.driver_version, c.driver_version}},
      {"cuda_runtime_version", {b.cuda_runtime_version, c.cuda_runtime_version}},
      {"cublas_version", {b.cublas_version, c.cublas_version}},
      {"nccl_version", {b.nccl_version, c.nccl_version}},
      {"blas_version", {b.blas_version, c.blas_version}},
      {"device_name", {b.device_name, c.device_name}},
      {"sku", {b.sku, c.sku}},  // the peaks every % and MFU is judged against
      {"peak_tflops", {tflops(b.peak_tflops), tflops(c.peak_tflops)}},  // a CPU's estimate moves with its clock
      {"memory_gb", {gb(b.memory_gb), gb(c.memory_gb)}},
      {"pci_bus_id", {b.pci_bus_id, c.pci_bus_id}},
      {"sm_clock_mhz", {mhz(b.sm_clock_mhz), mhz(c.sm_clock_mhz)}},
      {"memory_clock_mhz", {mhz(b.memory_clock_mhz), mhz(c.memory_clock_mhz)}},
      {"host", {b.host, c.host}},
      {"host_load", {load(b), load(c)}},  // busy or quiet, not the figure: it differs every run
      {"os", {b.os, c.os}},
      {"trainbench_version", {b.trainbench_version, c.trainbench_version}},
      {"git_commit", {b.git_commit, c.git_commit}},
  };
  std::vector<EnvironmentChange> out;
  for (const auto& [field, values] : fields)
    if (values.first != values.second) out.push_back({field, values.first, values.second});
  return out;
}

}  // namespace tb::compare
