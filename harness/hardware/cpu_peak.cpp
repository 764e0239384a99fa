#include "harness/hardware/cpu_peak.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/hardware/peak_cache.hpp"

namespace tb {

static std::string value_after_colon(const std::string& line) {
  auto pos = line.find(':');
  if (pos == std::string::npos) return {};
  auto v = line.substr(pos + 1);
  auto start = v.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : v.substr(start);
}

// No core has run above 6.5 GHz out of the box: a measurement beyond it is the suspect.
constexpr double kMaxBelievableMhz = 6500;

CpuPeakEstimate estimate_cpu_peak(const std::string& cpuinfo, std::optional<double> cpufreq_max_khz,
                                  std::optional<double> measured_mhz) {
  CpuPeakEstimate e;
  std::istringstream in(cpuinfo);
  std::string line, flags, vendor, family;
  double max_seen_mhz = 0;
  std::map<std::string, int> cores_per_package;  // "physical id" → "cpu cores"
  std::string package;
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++e.logical_cpus;
    else if (line.rfind("model name", 0) == 0 && e.model_name.empty()) e.model_name = value_after_colon(line);
    else if (line.rfind("vendor_id", 0) == 0 && vendor.empty()) vendor = value_after_colon(line);
    else if (line.rfind("cpu family", 0) == 0 && family.empty()) family = value_after_colon(line);
    else if (line.rfind("physical id", 0) == 0) package = value_after_colon(line);
    else if (line.rfind("cpu cores", 0) == 0) cores_per_package[package] = std::atoi(value_after_colon(line).c_str());
    else if (line.rfind("flags", 0) == 0 && flags.empty()) flags = fmt::format(" {} ", value_after_colon(line));
    else if (line.rfind("cpu MHz", 0) == 0) max_seen_mhz = std::max(max_seen_mhz, std::atof(value_after_colon(line).c_str()));
  }
  e.max_mhz = max_seen_mhz;
  e.clock_source = "/proc/cpuinfo";
  if (cpufreq_max_khz) {
    e.max_mhz = *cpufreq_max_khz / 1000.0;
    e.clock_source = "cpufreq max";
  } else if (measured_mhz && *measured_mhz > max_seen_mhz &&
             *measured_mhz <= (max_seen_mhz > 0 ? 3 * max_seen_mhz : kMaxBelievableMhz)) {
    e.max_mhz = *measured_mhz;
    e.clock_source = "measured";
  }
  auto has = [&](const char* flag) { return flags.find(fmt::format(" {} ", flag)) != std::string::npos; };
  // fp32 lanes: 16 (AVX-512), 8 (AVX2), 4 (SSE); ×2 for FMA's multiply-add, ×2 FMA ports. Zen 4
  // (AMD family 25) runs AVX-512 on 256-bit units, two passes per instruction: AVX2's rate.
  const bool half_width_avx512 = vendor == "AuthenticAMD" && family == "25";
  if (has("avx512f") && !half_width_avx512) e.fp32_flops_per_cycle = 64;
  else if (has("avx512f")) e.fp32_flops_per_cycle = 32;
  else if (has("avx2") && has("fma")) e.fp32_flops_per_cycle = 32;
  else if (has("avx")) e.fp32_flops_per_cycle = 16;
  else e.fp32_flops_per_cycle = 8;
  // The FMA units are a core's, shared by its SMT siblings: where /proc/cpuinfo says how many
  // cores there are behind the logical CPUs, those count.
  int cores = 0;
  for (const auto& [id, n] : cores_per_package) cores += n;
  e.cores = cores > 0 && cores < e.logical_cpus ? cores : e.logical_cpus;
  e.fp32_peak_tflops = e.cores * e.max_mhz * 1e6 * e.fp32_flops_per_cycle / 1e12;
  return e;
}

double measure_core_clock_mhz() {
#if defined(__x86_64__)
  // Enough trials that on a loaded host some run unpreempted: the best then reads the clock, not the load.
  constexpr int kTrials = 40;
  constexpr uint64_t kIterations = 200'000;  // x 16 adds: 3.2 M cycles, about a millisecond
  double best_s = 0;
  for (int t = 0; t < kTrials; ++t) {
    uint64_t x = 1;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < kIterations; ++i) {
      // 16 adds, each waiting for the last: 16 cycles. The loop's own counter runs beside them.
      // Register-to-register (x += x), not an immediate: newer renamers fold add-immediate chains.
      asm volatile(
          "add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\t"
          "add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\t"
          "add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\t"
          "add %0, %0\n\tadd %0, %0\n\tadd %0, %0\n\tadd %0, %0"
          : "+r"(x));
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s > 0 && (best_s == 0 || s < best_s)) best_s = s;
  }
  if (best_s <= 0) return 0;
  const double mhz = 16.0 * kIterations / best_s / 1e6;
  return std::round(mhz / 100) * 100;
#else
  return 0;
#endif
}

CpuPeakEstimate estimate_local_cpu_peak() {
  static const CpuPeakEstimate peak = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::stringstream text;
    text << cpuinfo.rdbuf();
    std::optional<double> max_khz;
    std::ifstream freq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
    double khz = 0;
    if (freq >> khz && khz > 0) max_khz = khz;
    std::optional<double> measured;
    RememberedPeak clock;
    if (!max_khz) {
      const double mhz = measure_core_clock_mhz();
      const CpuPeakEstimate named = estimate_cpu_peak(text.str(), std::nullopt, std::nullopt);
      clock = remember_highest(peak_cache_file(), peak_cache_key(named, "clock_mhz"), mhz);
      if (clock.value > 0) measured = clock.value;
    }
    CpuPeakEstimate e = estimate_cpu_peak(text.str(), max_khz, measured);
    e.measured_mhz = clock.measured;
    if (const auto file = peak_cache_file()) e.peak_cache_file = file->string();
    e.clock_from_cache = e.clock_source == "measured" && clock.raised;
    if (e.clock_source == "measured" && clock.raised)
      e.clock_source = fmt::format("measured: the highest on this machine so far, {:.0f} MHz this run; {}",
                                   clock.measured, clock.file);
    return e;
  }();
  return peak;
}

std::string peak_cache_key(const CpuPeakEstimate& p, const std::string& quantity) {
  return fmt::format("{} | {} logical CPUs | {}", p.model_name.empty() ? "CPU" : p.model_name, p.logical_cpus, quantity);
}

std::string cpu_rate_phrase(double peak_tflops, double attainable_fraction) {
  if (attainable_fraction >= 1) return fmt::format("its estimated peak of {:.3g} TFLOP/s", peak_tflops);
  return fmt::format("{:.3g} TFLOP/s ({:.1f}% of its estimated peak: about what its attention reaches)",
                     peak_tflops * attainable_fraction, 100 * attainable_fraction);
}

SkuConfig cpu_pseudo_sku(const CpuPeakEstimate& p, const std::optional<StreamTriadResult>& triad,
                         const std::optional<RememberedPeak>& remembered_bandwidth) {
  SkuConfig s;
  s.name = kCpuPseudoSkuName;
  s.display_name = p.model_name.empty() ? "CPU" : p.model_name;
  s.source = fmt::format("estimated: {} cores x {:.0f} MHz ({}) x {} fp32 FLOP/cycle (flags in /proc/cpuinfo)",
                         p.cores, p.max_mhz, p.clock_source.empty() ? "/proc/cpuinfo" : p.clock_source,
                         p.fp32_flops_per_cycle);
  if (p.fp32_peak_tflops > 0) {
    s.peak_tflops[DType::FP32] = p.fp32_peak_tflops;
    s.peak_tflops[DType::FP64] = p.fp32_peak_tflops / 2;
  }
  s.memory_gb = 0;
  s.memory_bandwidth_tb_s = triad ? stream_triad_tb_s(*triad) : 0.0;
  if (s.memory_bandwidth_tb_s > 0) {
    s.source += fmt::format("; measured: STREAM triad 3 x {:.0f} MiB on {} threads, best of {}: {:.1f} GB/s",
                            static_cast<double>(triad->elements) * sizeof(double) / (1 << 20), triad->threads,
                            triad->repetitions,
                            s.memory_bandwidth_tb_s * 1e3);
    if (remembered_bandwidth && remembered_bandwidth->raised) {
      s.memory_bandwidth_tb_s = remembered_bandwidth->value;
      s.source += fmt::format(" this run, {:.1f} GB/s the highest on this machine so far ({})",
                              remembered_bandwidth->value * 1e3, remembered_bandwidth->file);
    }
  }
  s.tdp_w = 0;
  s.gpus_per_server = 1;
  return s;
}

}  // namespace tb
