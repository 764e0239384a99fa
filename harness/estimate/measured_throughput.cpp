#include "harness/estimate/measured_throughput.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "harness/results/recorded_sku.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb {

std::optional<double> step_mean_power_w(const std::vector<results::KernelResult>& kernels, int64_t micro_batches) {
  results::WorkloadInfo workload;
  workload.micro_batches = micro_batches;
  double step_ms = 0, covered_ms = 0, watt_ms = 0;
  for (const auto& k : kernels) {
    if (k.status != "ok") continue;
    const double ms = results::step_calls(k, workload) * k.stats.median_ms;
    step_ms += ms;
    if (k.clocks && k.clocks->power_w_mean > 0) {
      covered_ms += ms;
      watt_ms += ms * k.clocks->power_w_mean;
    }
  }
  // A mean over a small part of the step would stand for kernels it never saw.
  if (!(step_ms > 0) || covered_ms < 0.9 * step_ms) return std::nullopt;
  return watt_ms / covered_ms;
}

MeasuredThroughput throughput_from_results(const results::RunResults& r, const std::string& origin) {
  if (r.status == "failed")
    throw UsageError(fmt::format("{}: the run failed; it measured no usable step time", origin));
  if (r.status == "partial" || (r.step && !r.step->complete))
    throw UsageError(fmt::format("{}: the run is partial (interrupted or a kernel failed); its step time "
                                 "misses kernels, so no throughput can be taken from it — re-run it",
                                 origin));
  if (!r.step || !(r.step->step_ms > 0) || !(r.step->model_flops > 0))
    throw UsageError(fmt::format("{}: no measured training step (made by `trainbench {}`; only `trainbench run` "
                                 "measures a whole step)",
                                 origin, r.workload.command));
  results::require_consistent_results(r, origin);
  MeasuredThroughput t;
  t.sustained_tflops_per_gpu = r.step->model_flops / (r.step->step_ms * 1e-3) / 1e12;
  t.model = r.workload.model;
  t.workload = r.workload;
  t.tensor_parallel = std::max<int64_t>(1, r.workload.tensor_parallel);
  t.seq_len = r.workload.seq_len;
  t.expert_parallel = std::max<int64_t>(1, r.workload.expert_parallel);
  t.sku = results::recorded_sku(r);  // none where its config is not here: the throughput still stands
  if (r.step->mfu > 0) t.mfu = r.step->mfu;
  const std::string& peak = r.machine.peak_dtype.empty() ? r.workload.dtype : r.machine.peak_dtype;
  try {
    t.peak_dtype = parse_dtype(peak, "machine.peak_dtype");
  } catch (const UsageError&) {
    throw UsageError(fmt::format("{}: machine.peak_dtype '{}' is not a dtype; accepted values: fp64, fp32, tf32, "
                                 "bf16, fp16, fp8",
                                 origin, peak));
  }
  t.mean_power_w = step_mean_power_w(r.kernels, r.workload.micro_batches);
  t.backend = r.machine.backend;
  t.sku_name = r.machine.sku;
  t.device_name = r.machine.device_name;
  const bool per_step = results::has_per_optimizer_step_kernels(r);
  t.source = fmt::format("results {} ({}, {} step {:.3f} ms{}{})", origin, r.machine.device_name, r.workload.model,
                         r.step->step_ms, t.expert_parallel > 1 ? fmt::format(", ep {}", t.expert_parallel) : "",
                         per_step ? fmt::format(", the optimizer step at 1/{}", r.workload.micro_batches) : "");
  t.optimizer_note = optimizer_share_note(r);
  return t;
}

std::string measured_model_ref(const results::WorkloadInfo& w, const std::string& origin) {
  if (w.model_file.empty()) return w.model;
  if (!std::filesystem::is_regular_file(w.model_file))
    throw UsageError(fmt::format("{}: measured {} from the model file {}, which is no longer there: give --model with "
                                 "that model's file",
                                 origin, w.model, w.model_file));
  return w.model_file;
}

std::string optimizer_share_note(const results::RunResults& r) {
  if (!results::has_per_optimizer_step_kernels(r) || r.workload.micro_batches != 1) return "";
  return "the step charges the whole optimizer step (the Adam update, an fp8 step's weight casts) to every "
         "micro-batch (workload.micro_batches 1: the model's config publishes no batch, or --micro-batches 1), an "
         "upper bound on its share; `run --micro-batches M` with the job's micro-batches per optimizer step charges "
         "1/M";
}

std::string sequence_mismatch_note(int64_t measured_seq, int64_t trained_seq, const std::string& model) {
  if (measured_seq <= 0 || trained_seq <= 0 || measured_seq == trained_seq) return "";
  return fmt::format("the step was measured at seq {}; {} trains at seq {}, where attention's share of the FLOPs "
                     "is {} and the measured rate may not hold (measure at --seq {} for the model's own)",
                     measured_seq, model, trained_seq, measured_seq < trained_seq ? "larger" : "smaller", trained_seq);
}

}  // namespace tb
