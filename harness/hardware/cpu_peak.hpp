#pragma once
// A CPU has no datasheet config here, but MFU needs a peak. Estimate it the way vendors
// compute it: cores × clock × FLOPs per cycle per core (two FMA units × SIMD lanes × 2).
#include <optional>
#include <string>

#include "harness/hardware/sku_config.hpp"

namespace tb {

struct CpuPeakEstimate {
  std::string model_name;
  int logical_cpus = 0;
  double max_mhz = 0;
  int fp32_flops_per_cycle = 0;  // per core: 2 FMA ports × lanes × 2 (AVX-512: 64, AVX2+FMA: 32, SSE: 8)
  double fp32_peak_tflops = 0;
};

// Parses /proc/cpuinfo text (and an optional cpufreq max in kHz). Logical CPUs count: OpenBLAS
// runs one thread per logical CPU here, and on VMs logical CPUs are what one is given.
CpuPeakEstimate estimate_cpu_peak(const std::string& cpuinfo_text, std::optional<double> cpufreq_max_khz);
CpuPeakEstimate estimate_local_cpu_peak();

// A pseudo-SKU for the CPU backend, marked as estimated in its source.
SkuConfig cpu_pseudo_sku(const CpuPeakEstimate& peak);

}  // namespace tb
