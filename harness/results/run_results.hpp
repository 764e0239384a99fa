#pragma once
// The results file every measuring command writes and every later command reads
// (estimate --results, compare, export, report). Schema documented in docs/results-schema.md;
// bump kSchemaVersion on any incompatible change.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/timing/sample_stats.hpp"

namespace tb::results {

// 2: model FLOPs count attention unmasked (PaLM appendix B), HFU's FLOPs too. Files of version 1
// still read, converted (flop_convention.hpp); nothing older exists.
inline constexpr int kSchemaVersion = 2;
inline constexpr int kOldestSchemaVersion = 1;

// Where the numbers came from: enough to reproduce them and to refuse comparing apples with pears.
struct MachineInfo {
  std::string backend;           // "cuda" or "cpu"
  std::string device_name;
  int device_count = 0;
  int device_index = 0;          // which of them ran this (CUDA ordinal; 0 on the CPU)
  std::string pci_bus_id;        // of that GPU: finds the physical card in a server
  std::string compute_capability;
  int sm_count = 0;
  double memory_gb = 0;
  double sm_clock_mhz = 0;
  double memory_clock_mhz = 0;
  std::string driver_version;
  std::string cuda_runtime_version;
  std::string cublas_version;
  std::string nccl_version;
  std::string blas_version;
  std::string sku;               // configs/skus name used for peaks ("" if none)
  double peak_tflops = 0;        // the SKU's dense peak for peak_dtype
  std::string peak_dtype;        // the dtype of peak_tflops: the run's, bf16 for an fp8 step (MFU's reference)
  double peak_memory_tb_s = 0;
  // Where the peaks came from: "sku NAME" (a SKU config's datasheet: matched from the device name,
  // or --sku), "cpu estimate, this run" (the CPU's estimate from this run's own clock and STREAM
  // triad), "cpu estimate, the highest on this machine so far (FILE)" (a clock or bandwidth taken
  // from the peak cache, above this run's own: harness/hardware/peak_cache.hpp); "" without peaks
  // and in older files.
  std::string peak_source;
  // This run's own measurements behind a CPU's estimated peaks, beside the remembered ones
  // (sm_clock_mhz, peak_tflops and peak_memory_tb_s hold what was used): the clock measured by a
  // dependent-add chain, absent where none was (cpufreq's max known, a GPU, older files); the
  // STREAM triad, absent where none ran.
  std::optional<double> measured_clock_mhz;
  std::optional<double> measured_memory_tb_s;
  std::string host;
  std::string cpu;
  std::string os;
  // /proc/loadavg's 1-minute figure when the run started, and the host's logical CPUs: another
  // process busy on the host skews CPU timings (and a GPU's launches), so a slow night says why.
  std::optional<double> load_avg_1m;
  int host_cpus = 0;
  std::string git_commit;
  std::string trainbench_version;
  // CMAKE_BUILD_TYPE of the trainbench that measured ("Release"; "None" where CMake had none);
  // "" in files from before it was recorded: unknown.
  std::string build_type;
  // Any CPU's cpufreq governor other than "performance" (read_cpu_scaling); unset where no
  // governor could be read, and in older files.
  std::optional<bool> cpu_scaling_enabled;
  std::string command_line;
  std::string utc_time;          // ISO 8601, when the run started
};

struct ClockSummary {
  double sm_clock_mhz_min = 0;
  double sm_clock_mhz_max = 0;
  double power_w_max = 0;
  double power_w_mean = 0;       // over the timed samples: what energy estimates use
  // A kept sample ran with the SM clock under the throttle threshold (--throttle-threshold, 75%
  // of the device's default clock by default: nvbench's rule), the discards having run out.
  bool clock_dropped = false;
  std::string throttle_reasons;
  // Samples taken while throttled, discarded and retaken after a recovery pause (nvbench's
  // measure_cold); 0 in files older than it.
  int64_t throttled_samples_discarded = 0;
};

struct KernelResult {
  std::string name;              // "qkv.fwd", or "gemm" for a single measurement
  std::string kind;              // OpKind string
  std::string shape;             // human form, e.g. "2048x4608x12288 fwd"
  std::map<std::string, int64_t> dims;  // m,n,k,batch / batch,heads,kv_heads,seq,head_dim / rows,cols
  std::string layout;            // gemm layout, "" otherwise
  bool causal = false;
  std::string dtype;
  std::string status = "ok";     // ok | failed | oom | unsupported | skipped | interrupted
  std::string error;             // why, when status != ok
  double flops = 0;              // executed, per call (a causal attention kernel's halved)
  double model_flops = 0;        // per call, attention unmasked (PaLM): 2 × flops for a causal attention forward
  double bytes = 0;
  int64_t calls_per_step = 1;
  // Runs once per optimizer step (the Adam update, fp8 weight casts): the step of one micro-batch
  // takes calls_per_step / workload.micro_batches of it (step_calls). False in older files.
  bool per_optimizer_step = false;
  timing::SampleStats stats;
  std::string stop_reason;       // converged | max_samples | time_budget
  std::vector<double> samples_ms;  // raw, for statistical comparison
  double tflops = 0;             // flops / median
  double gbps = 0;               // bytes / median
  double pct_of_peak = 0;        // of compute peak (GEMM, attention) or bandwidth (memory-bound)
  bool verified = false;
  double max_rel_error = 0;
  double tolerance = 0;
  std::string algorithm;
  std::optional<ClockSummary> clocks;
  // Collectives (`trainbench comm`), as nccl-tests defines them: algbw = bytes / time, busbw =
  // algbw × the collective's factor (harness/comm/collective.hpp). Optional: absent elsewhere.
  std::optional<double> algbw_gb_s;
  std::optional<double> busbw_gb_s;
  std::optional<int64_t> wrong_elements;  // nccl-tests' #wrong, summed over ranks
};

// A GEMM's groups (dims.batch): 1 where absent, as in files from before grouped GEMMs. Other
// kinds' `batch` (attention's) is not a GEMM batch: 1.
inline int64_t gemm_batch(const KernelResult& k) {
  if (k.kind != "gemm") return 1;
  const auto it = k.dims.find("batch");
  return it == k.dims.end() ? 1 : it->second;
}

// One process of a multi-rank job (`trainbench comm` under mpirun or srun): where it ran.
struct RankInfo {
  int rank = 0;
  int local_rank = 0;            // index among the ranks on its host
  std::string host;
  std::string backend;           // "nccl" or "mpi"
  std::string device_name;       // GPU name, or the CPU model for host-memory collectives
  int device_index = -1;         // CUDA device used, -1 on the CPU
  std::string driver_version;
  std::string nccl_version;
  std::string mpi_version;
  std::string cpu;
  std::string os;
};

// The stopping rule the kernels were measured under (harness/timing/stopping_rule.hpp).
struct TimingInfo {
  double noise = 0;              // target relative standard error of the median
  int64_t min_samples = 0, max_samples = 0;
  double min_time_s = 0, max_time_s = 0;
  int warmup = 0;
  double budget_s = 0;           // `run --budget`: the whole step's time budget, 0 none
  // --throttle-threshold and --throttle-recovery-delay: samples taken under the threshold were
  // discarded and retaken. Absent in files older than it, whose throttled samples were kept.
  std::optional<double> throttle_threshold;
  std::optional<double> throttle_recovery_delay_s;
};

struct WorkloadInfo {
  std::string command;           // run | gemm | attention | sweep | comm | health
  std::string model;             // "" for single-kernel commands
  int64_t tensor_parallel = 1;
  int64_t micro_batch = 1;
  int64_t seq_len = 0;
  std::string dtype;
  std::string device;            // cuda | cpu
  int64_t expert_parallel = 1;   // MoE: the e whose expert GEMM shapes were measured
  std::optional<TimingInfo> timing;  // absent in files older than it, and for comm
  std::string model_file;        // the model's .toml when it was given as a path ("" by name)
  // `run --impl` / `attention --impl`: the attention implementation (fused, unfused, wgmma); ""
  // where not recorded (files older than it, and commands without attention).
  std::string attention_impl;
  // `run`: micro-batches this GPU runs per optimizer step (M; gradient accumulation), and the
  // data-parallel ranks (its distributed optimizer's shards) assumed. 1 in older files.
  int64_t micro_batches = 1;
  int64_t data_parallel = 1;
};

// A kernel's calls in the step of one micro-batch: calls_per_step, over M where it runs once per
// optimizer step. What the step's time and FLOPs sum over (step_runner.cpp writes them so).
inline double step_calls(const KernelResult& k, const WorkloadInfo& w) {
  const double calls = static_cast<double>(k.calls_per_step);
  return k.per_optimizer_step && w.micro_batches > 0 ? calls / static_cast<double>(w.micro_batches) : calls;
}

struct StepResult {
  double step_ms = 0;            // Σ step_calls × median over measured kernels (one GPU, one micro-batch)
  double layer_ms = 0;
  double tokens_per_s = 0;       // per GPU
  double model_flops = 0;        // per step per GPU, attention unmasked (PaLM): MFU's numerator
  // Per step per GPU: what the kernels execute in that convention (results::kernel_hardware_flops;
  // the fused attention backward's recompute of S kept): HFU's numerator.
  double hardware_flops = 0;
  double mfu = 0;
  double hfu = 0;
  double sustained_tflops = 0;   // Σ calls × the kernels' own flops (as executed) / step time
  bool complete = true;          // false when a kernel failed or the run was interrupted
};

struct RunResults {
  int schema_version = kSchemaVersion;
  std::string status = "complete";  // complete | partial | failed
  MachineInfo machine;
  WorkloadInfo workload;
  std::vector<KernelResult> kernels;
  std::optional<StepResult> step;
  std::vector<RankInfo> ranks;   // multi-rank jobs only (optional on read): every rank's metadata
  // `trainbench health` only (optional on read): the verdict and every check, as its --json prints
  // them, so that a fleet's saved files say which card is suspect and why. Null otherwise.
  nlohmann::json health;
};

// Whether the run measured kernels that run once per optimizer step (the Adam update, fp8 weight
// casts): where its step depends on workload.micro_batches and data_parallel.
inline bool has_per_optimizer_step_kernels(const RunResults& r) {
  for (const auto& k : r.kernels)
    if (k.per_optimizer_step) return true;
  return false;
}

}  // namespace tb::results
