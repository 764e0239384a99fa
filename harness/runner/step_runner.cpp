#include "harness/runner/step_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "harness/results/results_io.hpp"
#include "harness/timing/budget_eta.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::runner {

namespace {

const Op* find_op(const Workload& w, const std::string& name) {
  for (const auto& op : w.ops)
    if (op.name == name) return &op;
  return nullptr;
}


}  // namespace

results::StepResult summarize_step(const Workload& w, const std::vector<results::KernelResult>& kernels,
                                   const std::optional<SkuConfig>& sku) {
  results::StepResult s;
  double step_ms = 0, layer_ms = 0, model_flops = 0, hardware_flops = 0, executed_flops = 0;
  size_t ok = 0;
  for (const auto& k : kernels) {
    const Op* op = find_op(w, k.name);
    if (!op || k.status != "ok") continue;
    ++ok;
    const double calls = w.calls_per_micro_batch(*op);  // 1/M of what runs once per optimizer step
    step_ms += calls * k.stats.median_ms;
    if (op->in_layer) {
      // Per-layer share: calls spread over the layers (the final norm adds one call in 2L+1).
      layer_ms += calls / static_cast<double>(w.model.layers) * k.stats.median_ms;
    }
    // MFU and HFU count attention unmasked (PaLM appendix B), as published MFUs do; the
    // sustained rate is what the kernels really executed.
    model_flops += calls * op->model_flops;
    hardware_flops += calls * tb::hardware_flops(*op);
    executed_flops += calls * op->flops;
  }
  s.complete = ok == w.ops.size();
  s.step_ms = step_ms;
  s.layer_ms = layer_ms;
  s.model_flops = model_flops;
  s.hardware_flops = hardware_flops;
  if (step_ms > 0) {
    const double step_s = step_ms * 1e-3;
    // Tensor-parallel ranks share one micro-batch: per GPU, the tokens divide by t.
    s.tokens_per_s = static_cast<double>(w.tokens_per_step()) / step_s / static_cast<double>(w.options.tensor_parallel);
    s.sustained_tflops = executed_flops / step_s / 1e12;
    const double peak = sku ? sku->peak_tflops_or_zero(mfu_peak_dtype(w.options.dtype)) : 0.0;
    if (peak > 0) {
      s.mfu = model_flops / step_s / (peak * 1e12);
      s.hfu = hardware_flops / step_s / (peak * 1e12);
    }
  }
  return s;
}

std::string final_results_path(const StepRunOptions& options, const results::RunResults& r) {
  // Interrupted, or a kernel failed or ran out of memory: an earlier complete run is worth more
  // than this one, which no reader takes a step from.
  return r.status != "complete" && !options.partial_path.empty() ? options.partial_path : options.out_path;
}

results::RunResults run_step(kernels::Backend& backend, const Workload& w, const StepRunOptions& options,
                             const results::MachineInfo& machine, const std::optional<SkuConfig>& sku) {
  results::RunResults r;
  r.machine = machine;
  r.workload.command = "run";
  r.workload.model = w.model.name;
  r.workload.model_file = w.model.source_file;
  r.workload.tensor_parallel = w.options.tensor_parallel;
  r.workload.expert_parallel = w.options.expert_parallel;
  r.workload.micro_batch = w.options.micro_batch;
  r.workload.micro_batches = w.options.micro_batches;
  r.workload.data_parallel = w.options.data_parallel > 0 ? w.options.data_parallel : w.options.expert_parallel;
  r.workload.seq_len = w.options.seq_len;
  r.workload.dtype = to_string(w.options.dtype);
  r.workload.device = machine.backend;
  r.workload.attention_impl = options.measure.prepare.attention_impl;
  r.workload.timing = timing_info(options.measure.policy, machine.backend, options.budget_s);
  r.status = "partial";

  const auto start = std::chrono::steady_clock::now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::string progress_path = options.partial_path.empty() ? options.out_path : options.partial_path;
  auto save = [&](const std::string& path) {
    r.step = summarize_step(w, r.kernels, sku);
    if (!path.empty()) results::write_results_file(path, r);
  };

  timing::EtaInputs eta{options.measure.policy, options.budget_s, 0, 0, {}};
  for (size_t i = 0; i < w.ops.size(); ++i) {
    const Op& op = w.ops[i];
    if (options.on_progress) {
      eta.elapsed_s = elapsed_s();
      eta.kernels_left = w.ops.size() - i;
      const timing::Eta left = timing::estimate_remaining(eta);
      StepProgress p{i, w.ops.size(), op.name, eta.elapsed_s, left.remaining_s};
      p.remaining_bound_s = left.bound_s;
      p.budget_spent = left.budget_spent;
      options.on_progress(p);
    }
    MeasureOptions measure = options.measure;
    if (options.budget_s > 0)
      measure.policy = timing::within_budget(measure.policy, options.budget_s - elapsed_s(), w.ops.size() - i);
    const double started_s = elapsed_s();
    r.kernels.push_back(measure_op(backend, op, measure, sku));
    eta.measured.push_back({elapsed_s() - started_s, measure.policy.max_time_s,
                            r.kernels.back().stop_reason == "time_budget"});
    save(progress_path);
    if (r.kernels.back().status == "interrupted") {
      // The kernels never started are in the file too, so that it says what the step lacks.
      for (size_t j = i + 1; j < w.ops.size(); ++j) {
        results::KernelResult k = describe_op(w.ops[j]);
        k.status = "skipped";
        k.error = fmt::format("not measured: the run was interrupted at {}", op.name);
        r.kernels.push_back(std::move(k));
      }
      break;
    }
  }
  const bool all_ok = r.kernels.size() == w.ops.size() &&
                      std::all_of(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.status == "ok"; });
  const bool none_ok =
      std::none_of(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.status == "ok"; });
  r.status = all_ok ? "complete" : (none_ok ? "failed" : "partial");
  const std::string final_path = final_results_path(options, r);
  save(final_path);
  if (final_path != progress_path) {
    std::error_code ignored;  // a partial file left behind misleads no reader: its status says partial
    std::filesystem::remove(progress_path, ignored);
  }
  const size_t measured = static_cast<size_t>(
      std::count_if(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.status == "ok"; }));
  if (options.on_progress) options.on_progress({w.ops.size(), w.ops.size(), "", elapsed_s(), 0, measured});
  return r;
}

std::vector<TimeLost> time_lost_to_peak(const results::RunResults& r, const std::optional<SkuConfig>& sku, size_t top) {
  std::vector<TimeLost> lost;
  if (!sku || !r.step || r.step->step_ms <= 0) return lost;
  for (const auto& k : r.kernels) {
    if (k.status != "ok") continue;
    double ideal_ms = 0;
    if (k.flops > 0) {
      const double peak = sku->peak_tflops_or_zero(parse_dtype(k.dtype, "results"));
      if (peak <= 0) continue;
      ideal_ms = k.flops / (peak * 1e12) * 1e3;
    } else if (sku->memory_bandwidth_tb_s > 0) {
      ideal_ms = k.bytes / (sku->memory_bandwidth_tb_s * 1e12) * 1e3;
    } else {
      continue;
    }
    const double per_step = results::step_calls(k, r.workload) * std::max(0.0, k.stats.median_ms - ideal_ms);
    lost.push_back({k.name, per_step, per_step / r.step->step_ms});
  }
  std::sort(lost.begin(), lost.end(), [](const auto& a, const auto& b) { return a.lost_ms > b.lost_ms; });
  if (lost.size() > top) lost.resize(top);
  return lost;
}

}  // namespace tb::runner
