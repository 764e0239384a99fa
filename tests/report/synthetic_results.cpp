#include "tests/report/synthetic_results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "harness/hardware/sku_config.hpp"
#include "harness/model/model_config.hpp"
#include "harness/results/flop_convention.hpp"
#include "harness/timing/sample_stats.hpp"
#include "harness/workload/workload.hpp"

namespace tb::testing {

results::RunResults synthetic_run(const SyntheticRunSpec& spec) {
  const SkuConfig sku = load_sku(spec.sku);
  const double peak_tflops = sku.peak_tflops_for(DType::BF16);
  WorkloadOptions wo;
  wo.tensor_parallel = spec.tensor_parallel;
  wo.micro_batch = spec.micro_batch;
  wo.seq_len = spec.seq_len;
  wo.micro_batches = std::max<int64_t>(spec.micro_batches, 1);
  const Workload w = build_workload(load_model(spec.model), wo);

  results::RunResults r;
  auto& m = r.machine;
  m.backend = "cuda";
  m.device_name = spec.device_name;
  m.device_count = 1;
  m.sku = spec.sku;
  m.peak_tflops = peak_tflops;
  m.peak_memory_tb_s = sku.memory_bandwidth_tb_s;
  m.memory_gb = sku.memory_gb;
  m.git_commit = "synthetic";
  m.command_line = "synthetic test data (not a measurement)";
  // Another seed, another run: a start time of its own (the gate refuses one run given twice).
  m.utc_time = fmt::format("2026-01-01T{:02d}:{:02d}:{:02d}Z", spec.seed / 3600 % 24, spec.seed / 60 % 60, spec.seed % 60);
  m.trainbench_version = "test";
  m.host = "synthetic";
  r.workload = {"run", spec.model, spec.tensor_parallel, spec.micro_batch, w.options.seq_len, "bf16", "cuda"};
  r.workload.micro_batches = wo.micro_batches;

  std::mt19937 rng(spec.seed);
  std::normal_distribution<double> noise(0.0, spec.sample_rel_stddev);
  double step_ms = 0;
  for (const Op& op : w.ops) {
    if (op.per_optimizer_step && spec.micro_batches == 0) continue;
    results::KernelResult k;
    k.name = op.name;
    k.per_optimizer_step = op.per_optimizer_step;
    k.kind = to_string(op.kind);
    k.shape = op.shape_string();
    k.dtype = "bf16";
    k.causal = is_attention(op.kind) && op.attention.causal;
    k.flops = op.flops;
    k.model_flops = op.model_flops;
    k.bytes = op.bytes;
    k.calls_per_step = op.calls_per_step;
    const bool memory_bound = is_memory_bound(op.kind);
    const double rate = memory_bound ? spec.bandwidth_efficiency * sku.memory_bandwidth_tb_s * 1e12
                                     : spec.compute_efficiency * peak_tflops * 1e12;
    double ms = (memory_bound ? op.bytes : op.flops) / rate * 1e3;
    if (spec.slow_kernel == "*" || spec.slow_kernel == op.name) ms *= 1.0 + spec.slowdown;
    for (int i = 0; i < spec.samples; ++i) k.samples_ms.push_back(ms * std::max(0.5, 1.0 + noise(rng)));
    if (spec.spiky_kernel == op.name)
      for (int i = std::max(0, spec.samples - spec.spikes); i < spec.samples; ++i) k.samples_ms[static_cast<size_t>(i)] *= 5;
    k.stats = timing::summarize(k.samples_ms);
    k.stop_reason = "converged";
    k.tflops = k.flops / (k.stats.median_ms * 1e-3) / 1e12;
    k.gbps = k.bytes / (k.stats.median_ms * 1e-3) / 1e9;
    k.pct_of_peak = memory_bound ? 100.0 * k.gbps / (sku.memory_bandwidth_tb_s * 1e3) : 100.0 * k.tflops / peak_tflops;
    k.verified = true;
    step_ms += results::step_calls(k, r.workload) * k.stats.median_ms;
    r.kernels.push_back(std::move(k));
  }
  results::StepResult s;
  s.step_ms = step_ms;
  // Per GPU, as step_runner.cpp writes it: tensor-parallel ranks share one micro-batch's tokens.
  s.tokens_per_s = static_cast<double>(w.tokens_per_step()) / (step_ms * 1e-3) / static_cast<double>(w.options.tensor_parallel);
  s.model_flops = w.model_flops_per_step();
  s.hardware_flops = w.hardware_flops_per_step(Recompute::None);
  s.mfu = s.model_flops / (step_ms * 1e-3) / (peak_tflops * 1e12);
  s.hfu = s.hardware_flops / (step_ms * 1e-3) / (peak_tflops * 1e12);
  // What the kernels execute (a causal attention kernel's half), not HFU's unmasked count.
  s.sustained_tflops = w.executed_flops_per_step() / (step_ms * 1e-3) / 1e12;
  r.step = s;
  return r;
}

void mark_not_measured(results::RunResults& r, size_t index, const std::string& status, const std::string& error) {
  results::KernelResult& k = r.kernels.at(index);
  const double calls = results::step_calls(k, r.workload);
  k.status = status;
  k.error = error;
  r.status = "partial";
  if (!r.step) return;
  results::StepResult& s = *r.step;
  const double old_ms = s.step_ms;
  s.step_ms -= calls * k.stats.median_ms;
  const double executed = s.sustained_tflops * 1e12 * (old_ms * 1e-3) - calls * k.flops;
  s.model_flops -= calls * k.model_flops;
  s.hardware_flops -= calls * results::kernel_hardware_flops(k);
  const double step_s = s.step_ms * 1e-3, peak = r.machine.peak_tflops * 1e12;
  s.tokens_per_s *= old_ms / s.step_ms;
  s.mfu = s.model_flops / step_s / peak;
  s.hfu = s.hardware_flops / step_s / peak;
  s.sustained_tflops = executed / step_s / 1e12;
  s.complete = false;
}

void restep_from_kernels(results::RunResults& run) {
  double step_ms = 0, model_flops = 0, hardware_flops = 0, executed_flops = 0;
  for (auto& k : run.kernels) {
    if (k.status != "ok") continue;
    const double calls = results::step_calls(k, run.workload);
    step_ms += calls * k.stats.median_ms;
    model_flops += calls * k.model_flops;
    hardware_flops += calls * results::kernel_hardware_flops(k);
    executed_flops += calls * k.flops;
    if (!(k.stats.median_ms > 0)) continue;
    // The kernel's rates follow its median too; its % of peak scales with its headline rate.
    const double tflops = k.flops / (k.stats.median_ms * 1e-3) / 1e12;
    const double gbps = k.bytes / (k.stats.median_ms * 1e-3) / 1e9;
    const double scale = k.tflops > 0 ? tflops / k.tflops : k.gbps > 0 ? gbps / k.gbps : 1.0;
    k.pct_of_peak *= scale;
    k.tflops = tflops;
    k.gbps = gbps;
  }
  if (!run.step) return;
  auto& step = *run.step;
  const double step_s = step_ms * 1e-3, peak = run.machine.peak_tflops * 1e12;
  step.tokens_per_s *= step.step_ms / step_ms;
  step.step_ms = step_ms;
  step.model_flops = model_flops;
  step.hardware_flops = hardware_flops;
  step.sustained_tflops = executed_flops / step_s / 1e12;
  if (step.mfu > 0 && peak > 0) step.mfu = model_flops / step_s / peak;
  if (step.hfu > 0 && peak > 0) step.hfu = hardware_flops / step_s / peak;
}

}  // namespace tb::testing
