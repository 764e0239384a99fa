#include "cli/host_notes.hpp"

#include <fmt/format.h>

#include "harness/hardware/cpu_peak.hpp"
#include "harness/health/health_check.hpp"
#include "kernels/cpu/cpu_backend.hpp"

namespace tb::cli {

bool blas_runs_half_width(int fp32_flops_per_cycle, const std::string& core) {
  return fp32_flops_per_cycle == 64 && core != "none" && !kernels::cpu::blas_core_uses_avx512(core);
}

std::string blas_half_peak_note() {
  const std::string core = kernels::cpu::blas_core_name();
  if (!blas_runs_half_width(estimate_local_cpu_peak().fp32_flops_per_cycle, core)) return "";
  return fmt::format("this CPU has AVX-512 but OpenBLAS runs its {} kernels (AVX2, 32 FLOP/cycle): its GEMMs can "
                     "reach at most half the estimated peak, so their % of peak and the MFU read up to 2x low",
                     core);
}

std::string host_notes(const results::MachineInfo& machine, bool measured_gemms) {
  std::string notes;
  if (health::host_busy(machine.load_avg_1m, machine.host_cpus))
    notes += fmt::format("trainbench: note: the host was busy (load {:.1f} on {} CPUs when the run began): other "
                         "processes shared it, so these figures may understate the machine; measure on a quiet host\n",
                         *machine.load_avg_1m, machine.host_cpus);
  if (machine.backend == "cpu" && measured_gemms)
    if (const std::string blas = blas_half_peak_note(); !blas.empty()) notes += "trainbench: note: " + blas + "\n";
  return notes;
}

std::string above_bandwidth_note(const std::vector<results::KernelResult>& kernels, const std::string& backend) {
  const results::KernelResult* top = nullptr;
  size_t above = 0;
  for (const auto& k : kernels)
    if (k.status == "ok" && k.flops == 0 && k.pct_of_peak > 100) {
      ++above;
      if (!top || k.pct_of_peak > top->pct_of_peak) top = &k;
    }
  if (!top) return "";
  const std::string what = above == 1 ? top->name : fmt::format("{} memory-bound kernels (most: {})", above, top->name);
  return fmt::format(
      "trainbench: note: {} ran above the bandwidth peak ({:.0f}% of it): {}; their % of peak is approximate\n", what,
      top->pct_of_peak,
      backend == "cpu" ? "that peak is the STREAM triad measured when the run began, which a busy host slows and a "
                         "working set partly left in the CPU's cache beats"
                       : "the datasheet's bandwidth is not a bound on a kernel whose data stays in L2");
}

}  // namespace tb::cli
