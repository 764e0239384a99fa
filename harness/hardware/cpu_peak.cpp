#include "harness/hardware/cpu_peak.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace tb {

static std::string value_after_colon(const std::string& line) {
  auto pos = line.find(':');
  if (pos == std::string::npos) return {};
  auto v = line.substr(pos + 1);
  auto start = v.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : v.substr(start);
}

CpuPeakEstimate estimate_cpu_peak(const std::string& cpuinfo, std::optional<double> cpufreq_max_khz) {
  CpuPeakEstimate e;
  std::istringstream in(cpuinfo);
  std::string line, flags;
  double max_seen_mhz = 0;
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++e.logical_cpus;
    else if (line.rfind("model name", 0) == 0 && e.model_name.empty()) e.model_name = value_after_colon(line);
    else if (line.rfind("flags", 0) == 0 && flags.empty()) flags = fmt::format(" {} ", value_after_colon(line));
    else if (line.rfind("cpu MHz", 0) == 0) max_seen_mhz = std::max(max_seen_mhz, std::atof(value_after_colon(line).c_str()));
  }
  e.max_mhz = cpufreq_max_khz ? *cpufreq_max_khz / 1000.0 : max_seen_mhz;
  auto has = [&](const char* flag) { return flags.find(fmt::format(" {} ", flag)) != std::string::npos; };
  // fp32 lanes: 16 (AVX-512), 8 (AVX2), 4 (SSE); ×2 for FMA's multiply-add, ×2 FMA ports.
  if (has("avx512f")) e.fp32_flops_per_cycle = 64;
  else if (has("avx2") && has("fma")) e.fp32_flops_per_cycle = 32;
  else if (has("avx")) e.fp32_flops_per_cycle = 16;
  else e.fp32_flops_per_cycle = 8;
  e.fp32_peak_tflops = e.logical_cpus * e.max_mhz * 1e6 * e.fp32_flops_per_cycle / 1e12;
  return e;
}

CpuPeakEstimate estimate_local_cpu_peak() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::stringstream text;
  text << cpuinfo.rdbuf();
  std::optional<double> max_khz;
  std::ifstream freq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  double khz = 0;
  if (freq >> khz && khz > 0) max_khz = khz;
  return estimate_cpu_peak(text.str(), max_khz);
}

SkuConfig cpu_pseudo_sku(const CpuPeakEstimate& p, const std::optional<StreamTriadResult>& triad) {
  SkuConfig s;
  s.name = "cpu-estimated";
  s.display_name = p.model_name.empty() ? "CPU" : p.model_name;
  s.source = fmt::format("estimated: {} logical CPUs x {:.0f} MHz x {} fp32 FLOP/cycle (from /proc/cpuinfo)",
                         p.logical_cpus, p.max_mhz, p.fp32_flops_per_cycle);
  if (p.fp32_peak_tflops > 0) {
    s.peak_tflops[DType::FP32] = p.fp32_peak_tflops;
    s.peak_tflops[DType::FP64] = p.fp32_peak_tflops / 2;
  }
  s.memory_gb = 0;
  s.memory_bandwidth_tb_s = triad ? stream_triad_tb_s(*triad) : 0.0;
  if (s.memory_bandwidth_tb_s > 0)
    s.source += fmt::format("; measured: STREAM triad 3 x {:.0f} MiB on {} threads, best of {}: {:.1f} GB/s",
                            static_cast<double>(triad->elements) * sizeof(double) / (1 << 20), triad->threads,
                            triad->repetitions,
                            s.memory_bandwidth_tb_s * 1e3);
  s.tdp_w = 0;
  s.gpus_per_server = 1;
  return s;
}

}  // namespace tb
