#pragma once
// A CPU has no datasheet config here, but MFU needs a peak. Estimate it the way vendors
// compute it: cores × clock × FLOPs per cycle per core (two FMA units × SIMD lanes × 2). Its
// memory bandwidth has no such formula, so it is measured (cpu_bandwidth.hpp).
#include <optional>
#include <string>

#include "harness/hardware/cpu_bandwidth.hpp"
#include "harness/hardware/peak_cache.hpp"
#include "harness/hardware/sku_config.hpp"

namespace tb {

struct CpuPeakEstimate {
  std::string model_name;
  int logical_cpus = 0;
  int cores = 0;                 // physical cores behind them (SMT siblings share FMA units); the
                                 // logical count where /proc/cpuinfo does not say (many VMs)
  double max_mhz = 0;
  std::string clock_source;      // "cpufreq max", "/proc/cpuinfo", or "measured" (a dependent-add chain)
  int fp32_flops_per_cycle = 0;  // per core: 2 FMA ports × lanes × 2 (AVX-512: 64, Zen 4's and AVX2+FMA: 32, SSE: 8)
  double fp32_peak_tflops = 0;
  // estimate_local_cpu_peak's provenance: this run's own clock measurement (0: none made, as where
  // cpufreq gives the max), whether the clock used is the peak cache's, above this run's, and the
  // cache file ("" where there is none).
  double measured_mhz = 0;
  bool clock_from_cache = false;
  std::string peak_cache_file;
};

// A CPU sample longer than this is a hang to the user: refused before measuring (by the single
// kernel commands as a usage error, inside `run` by the CPU backend as an unsupported kernel).
inline constexpr double kMaxCpuSampleS = 600;
// The CPU backend's attention (fp32 tiles of scalar loops, not a BLAS) reaches a few percent of
// the vector peak, less at long sequences: on a 2-core EPYC, 4.5% at seq 128 and 1.2% at seq
// 100000 (a 600 s sample). A sample's time is judged at the worst of these, not at the peak:
// judged at the peak, that 600 s sample passed as 7 s.
inline constexpr double kCpuAttentionPeakFraction = 0.012;
// The fraction of the estimated peak a CPU kernel is judged to reach: attention's, else all of it
// (OpenBLAS GEMMs come close; memory-bound kernels have few FLOPs).
inline double cpu_attainable_fraction(bool attention) { return attention ? kCpuAttentionPeakFraction : 1.0; }
// The least time one sample of `flops` can take at `attainable_fraction` of the CPU's estimated
// peak; 0 where the peak is unknown (<= 0), which judges nothing. Over kMaxCpuSampleS is refused.
inline double min_cpu_sample_s(double flops, double peak_tflops, double attainable_fraction = 1.0) {
  return peak_tflops > 0 && flops > 0 ? flops / (peak_tflops * attainable_fraction * 1e12) : 0.0;
}
// How a CPU rate was judged, for messages: "its estimated peak of 0.52 TFLOP/s", or "0.0156
// TFLOP/s (3% of its estimated peak: what its attention reaches)".
std::string cpu_rate_phrase(double peak_tflops, double attainable_fraction);
// A shape beyond the known free memory (`free_bytes` > 0) is refused for its memory, with the
// bytes, before its time is weighed; unknown free memory (0) leaves the time to judge.
inline bool beyond_known_memory(double bytes, double free_bytes) { return free_bytes > 0 && bytes > free_bytes; }

// Parses /proc/cpuinfo text (and an optional cpufreq max in kHz). Cores count, not SMT siblings
// (which share a core's FMA units); where "cpu cores" is absent, the logical CPUs (on many VMs
// they are what one is given). The clock: cpufreq's max where there is one; else the higher of
// /proc/cpuinfo's "cpu MHz" (on VMs often the base clock) and `measured_mhz`, a clock measured on
// this core, taken only when above the cpuinfo figure and at most 3x it (6.5 GHz where cpuinfo
// has none): beyond, the measurement is the suspect. A peak is an upper bound: a base clock under
// a boosting core reads as > 100%. The measured clock moves between runs (turbo headroom, load):
// estimate_local_cpu_peak takes the highest measured on this machine so far (peak_cache.hpp), and
// compare lists a peak change that is left among the environment's.
CpuPeakEstimate estimate_cpu_peak(const std::string& cpuinfo_text, std::optional<double> cpufreq_max_khz,
                                  std::optional<double> measured_mhz = std::nullopt);
// This machine's, once per process (every caller sees one peak); the clock measured where no
// cpufreq max is readable, and raised to the highest measured on this machine so far.
CpuPeakEstimate estimate_local_cpu_peak();
// The core clock the running thread gets, in MHz, from a chain of dependent register adds (one
// cycle each on every x86-64 core since the P6): the best of several short trials, so a
// preempted trial does not count, rounded to 100 MHz. 0 where it cannot be measured (not x86-64).
double measure_core_clock_mhz();

// The CPU pseudo-SKU's name, as results files record it (machine.sku): no config file has it.
inline constexpr const char* kCpuPseudoSkuName = "cpu-estimated";
// A pseudo-SKU for the CPU backend, its source saying which figure was estimated and which
// measured. Without a triad its memory bandwidth is 0: memory-bound kernels get no % of peak.
// `remembered_bandwidth` (remember_highest over the triad's TB/s) raises it to the highest on this
// machine so far, the source saying both figures.
SkuConfig cpu_pseudo_sku(const CpuPeakEstimate& peak, const std::optional<StreamTriadResult>& triad,
                         const std::optional<RememberedPeak>& remembered_bandwidth = std::nullopt);
// The peak cache's key for one of this CPU's quantities ("clock_mhz", "stream_tb_s").
std::string peak_cache_key(const CpuPeakEstimate& peak, const std::string& quantity);

}  // namespace tb
