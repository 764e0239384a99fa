#pragma once
// The sustained throughput a results file measured, in the form the extrapolation takes.
#include <cstdint>
#include <optional>
#include <string>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"

namespace tb {

struct MeasuredThroughput {
  // Model FLOPs per second per GPU over the measured step (backward = 2× forward, no
  // recomputation): under that convention hardware and model FLOPs coincide, so this is the
  // rate the estimate divides hardware FLOPs by.
  double sustained_tflops_per_gpu = 0;
  std::optional<double> mfu;
  DType peak_dtype = DType::BF16;  // the peak mfu refers to (machine.peak_dtype: bf16 for an fp8 step)
  std::optional<SkuConfig> sku;   // from the results' machine.sku, when it names one
  std::string sku_name;           // machine.sku as written ("cpu-estimated" names no config)
  std::string backend;            // machine.backend: "cuda" or "cpu"
  std::string device_name;        // machine.device_name
  std::string model;              // the model the step was measured for
  int64_t tensor_parallel = 1;    // the t it was measured at: its GEMM shapes are that t's
  int64_t expert_parallel = 1;    // MoE: the e it was measured at (expert GEMMs e·b·s·k/E rows)
  std::string source;             // "results FILE (device, step X ms)"
  // Board power over the step, time-weighted over its kernels' NVML readings (calls x median);
  // absent when readings cover less than 90% of the step (CPU runs, no NVML).
  std::optional<double> mean_power_w;
};

// The time-weighted mean power of a step's kernels, as above.
std::optional<double> step_mean_power_w(const std::vector<results::KernelResult>& kernels);

// Refuses files without a measured step, failed or partial runs, naming the file.
MeasuredThroughput throughput_from_results(const results::RunResults& results, const std::string& origin);

}  // namespace tb
