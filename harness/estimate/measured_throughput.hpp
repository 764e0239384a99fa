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
  results::WorkloadInfo workload;  // as the file records it (measured_model_ref reads the model from it)
  int64_t tensor_parallel = 1;    // the t it was measured at: its GEMM shapes are that t's
  int64_t expert_parallel = 1;    // MoE: the e it was measured at (expert GEMMs e·b·s·k/E rows)
  int64_t seq_len = 0;            // the sequence the step was measured at (0: not recorded)
  std::string source;             // "results FILE (device, step X ms)"
  std::string optimizer_note;     // optimizer_share_note's, "" where there is none
  // Board power over the step, time-weighted over its kernels' NVML readings (calls x median);
  // absent when readings cover less than 90% of the step (CPU runs, no NVML).
  std::optional<double> mean_power_w;
};

// The model a results file measured, as load_model takes it: the user's .toml it was read from
// (refused, naming it, if that file is gone), else its config name; "" for single kernels.
std::string measured_model_ref(const results::WorkloadInfo& workload, const std::string& origin);

// Said where a step measured at one sequence length prices training at another: attention's share
// of the FLOPs (and its efficiency) changes with the sequence, so the measured rate may not hold.
// Empty when they agree or the measured one is unknown.
std::string sequence_mismatch_note(int64_t measured_seq, int64_t trained_seq, const std::string& model);

// The time-weighted mean power of a step's kernels, as above, each weighted by its time in the
// step (results::step_calls: 1/micro_batches of what runs once per optimizer step).
std::optional<double> step_mean_power_w(const std::vector<results::KernelResult>& kernels, int64_t micro_batches = 1);

// Said where the step charges the whole optimizer step to every micro-batch (M = 1 with
// once-per-optimizer-step kernels): an upper bound that every extrapolation from it inherits.
// Empty otherwise.
std::string optimizer_share_note(const results::RunResults& results);

// Refuses files without a measured step, failed or partial runs, naming the file.
MeasuredThroughput throughput_from_results(const results::RunResults& results, const std::string& origin);

}  // namespace tb
