#pragma once
// SYNTHETIC results for tests of compare, export and report: a real workload's kernel list
// (shapes, FLOPs, bytes from harness/workload) timed by a roofline model at a chosen fraction of
// a SKU's datasheet peak, with seeded noise. Never a measurement; never written under results/
// (machine.command_line and git_commit say "synthetic test data").
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::testing {

struct SyntheticRunSpec {
  std::string model = "gpt3-175b";
  int64_t tensor_parallel = 8;
  int64_t micro_batch = 1;
  int64_t seq_len = 0;            // 0: the model's context
  std::string sku = "h100-sxm";   // configs/skus name: peaks and bandwidth
  std::string device_name = "NVIDIA H100 80GB HBM3 (synthetic test data)";
  double compute_efficiency = 0.75;    // of the dense bf16 peak, for GEMM and attention
  double bandwidth_efficiency = 0.80;  // of peak memory bandwidth, for memory-bound kernels
  double sample_rel_stddev = 0.01;     // spread of one sample
  int samples = 20;
  uint32_t seed = 1;
  std::string slow_kernel;        // kernel name to slow down ("*": all), "" none
  double slowdown = 0;            // 0.10: that kernel's every sample 10% longer
  std::string spiky_kernel;       // kernel name whose last `spikes` samples are 5x slower (hiccups)
  int spikes = 0;
  // 0: the kernel set of files from before the optimizer step was measured (no `adam`), which the
  // compare, export and report tests count their kernels and items by; those files still read.
  // M >= 1: with the Adam update, once per optimizer step of M micro-batches (1/M of it in the step).
  int64_t micro_batches = 0;
};

results::RunResults synthetic_run(const SyntheticRunSpec& spec);

// Kernel `index` did not measure (`status`: oom, failed, interrupted, ...): the run is partial and
// its step sums only the kernels that did, time and FLOPs, as runner::summarize_step writes it, so
// that the file still agrees with itself (results::require_consistent_results).
void mark_not_measured(results::RunResults& run, size_t index, const std::string& status, const std::string& error);

// The step recomputed from its measured kernels as a run writes it: Σ calls × median, Σ calls ×
// FLOPs (model and hardware), MFU, HFU and sustained TFLOP/s from them, tokens/s following the
// time; each kernel's TFLOP/s, GB/s and % of peak from its median: so a test that edits or drops
// kernels leaves a file readers accept.
void restep_from_kernels(results::RunResults& run);

}  // namespace tb::testing
