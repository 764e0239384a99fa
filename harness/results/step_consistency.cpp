#include "harness/results/step_consistency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "harness/common/errors.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/results/flop_convention.hpp"
#include "harness/results/kernel_consistency.hpp"
#include "harness/results/recorded_sku.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::results {

namespace {

// Written and read back as JSON doubles, the fields round-trip exactly; this much slack covers a
// writer that sums in another order.
constexpr double kRelTolerance = 1e-6;

bool close(double a, double b) { return std::abs(a - b) <= kRelTolerance * std::max(std::abs(b), 1e-12); }

[[noreturn]] void refuse(const std::string& origin, const std::string& what) {
  throw UsageError(fmt::format("{}: {}; the file was edited or written wrongly", origin, what));
}

}  // namespace

MfuBound step_mfu_bound(const RunResults& r) {
  const std::string peak_note = fmt::format("machine.peak_tflops {}", r.machine.peak_tflops);
  if (r.workload.dtype != "fp8" || r.machine.peak_dtype != "bf16")
    return {1, fmt::format("1: the step cannot run faster than the peak ({})", peak_note)};
  const std::optional<SkuConfig> sku = recorded_sku(r);  // none here: its fp8 peak is unknown, said below
  const double fp8 = sku ? sku->peak_tflops_or_zero(DType::FP8) : 0.0;
  const double bf16 = sku ? sku->peak_tflops_or_zero(DType::BF16) : 0.0;
  if (!(fp8 > 0) || !(bf16 > 0))
    return {1, fmt::format("1: an fp8 step's MFU against the bf16 peak may reach the fp8/bf16 peak ratio, but "
                           "machine.sku '{}' has {} to read the fp8 peak from ({})",
                           r.machine.sku, sku ? "no fp8 peak in its config" : "no SKU config here", peak_note)};
  return {fp8 / bf16, fmt::format("{:.6g}, the fp8/bf16 peak ratio of {} ({} / {} TFLOP/s): an fp8 step's MFU is "
                                  "against the bf16 peak, and its GEMMs cannot run faster than the fp8 peak",
                                  fp8 / bf16, sku->name, fp8, bf16)};
}

void require_consistent_step(const RunResults& r, const std::string& origin) {
  if (!r.step) return;
  const StepResult& s = *r.step;
  double step_ms = 0;
  for (const auto& k : r.kernels)
    if (k.status == "ok") step_ms += step_calls(k, r.workload) * k.stats.median_ms;
  if (s.step_ms > 0 && !close(s.step_ms, step_ms))
    refuse(origin, fmt::format("step.step_ms {} is not the sum of calls_per_step x median_ms over its measured "
                               "kernels, those with per_optimizer_step at 1/workload.micro_batches ({})",
                               s.step_ms, step_ms));
  // Per GPU, as step_runner.cpp writes it: the micro-batch's tokens over the step time, shared by
  // the tensor-parallel ranks.
  const double tp = static_cast<double>(r.workload.tensor_parallel);
  const double tokens = static_cast<double>(r.workload.micro_batch) * static_cast<double>(r.workload.seq_len);
  if (s.step_ms > 0 && tp > 0 && tokens > 0) {
    const double expected = tokens / (s.step_ms * 1e-3) / tp;
    if (!close(s.tokens_per_s, expected))
      refuse(origin, fmt::format("step.tokens_per_s {} is not workload.micro_batch x workload.seq_len / step time / "
                                 "workload.tensor_parallel ({:.6g})",
                                 s.tokens_per_s, expected));
  }
  // The step's FLOPs are its measured kernels' (runner/step_runner.cpp): a kernel's flops edited
  // alone would otherwise leave MFU and the extrapolations on the old count.
  // MFU's and HFU's FLOPs count attention unmasked; the sustained rate is the kernels' own flops.
  double hardware_flops = 0, model_flops = 0, executed_flops = 0;
  for (const auto& k : r.kernels)
    if (k.status == "ok") {
      hardware_flops += step_calls(k, r.workload) * kernel_hardware_flops(k);
      model_flops += step_calls(k, r.workload) * k.model_flops;
      executed_flops += step_calls(k, r.workload) * k.flops;
    }
  if (s.hardware_flops > 0 && !close(s.hardware_flops, hardware_flops))
    refuse(origin, fmt::format("step.hardware_flops {} is not the sum of calls_per_step x flops over its measured "
                               "kernels, a causal attention kernel's doubled (attention unmasked, as MFU counts "
                               "it) ({:.6g})",
                               s.hardware_flops, hardware_flops));
  if (s.model_flops > 0 && !close(s.model_flops, model_flops))
    refuse(origin, fmt::format("step.model_flops {} is not the sum of calls_per_step x model_flops over its "
                               "measured kernels ({:.6g})",
                               s.model_flops, model_flops));
  if (s.sustained_tflops > 0 && s.step_ms > 0) {
    const double expected = executed_flops / (s.step_ms * 1e-3) / 1e12;
    if (!close(s.sustained_tflops, expected))
      refuse(origin, fmt::format("step.sustained_tflops {} is not the sum of calls_per_step x flops over its measured "
                                 "kernels / step time ({:.6g})",
                                 s.sustained_tflops, expected));
  }
  if (s.mfu > 1) {
    const MfuBound bound = step_mfu_bound(r);
    // The peak bounds what the kernels execute; a causal step's model FLOPs count the masked half
    // of attention too, so its MFU may pass the bound by model / executed FLOPs.
    const double unmasked = executed_flops > 0 && model_flops > executed_flops ? model_flops / executed_flops : 1.0;
    if (s.mfu > bound.bound * unmasked * (1 + kRelTolerance))
      refuse(origin, unmasked > 1 ? fmt::format("step.mfu {} is above {:.6g}: {}, times the step's model / executed "
                                                "FLOPs {:.6g} (causal attention counted unmasked)",
                                                s.mfu, bound.bound * unmasked, bound.why, unmasked)
                                  : fmt::format("step.mfu {} is above {}", s.mfu, bound.why));
  }
  if (s.hfu > 0 && s.mfu > s.hfu * (1 + kRelTolerance))
    refuse(origin, fmt::format("step.mfu {} exceeds step.hfu {}: the model's FLOPs are a part of the hardware's",
                               s.mfu, s.hfu));
  const double peak = r.machine.peak_tflops;
  if (!(s.step_ms > 0) || !(peak > 0)) return;
  auto check = [&](const char* field, double recorded, double flops, const char* flops_field) {
    if (!(recorded > 0) || !(flops > 0)) return;
    const double expected = flops / (s.step_ms * 1e-3) / (peak * 1e12);
    if (!close(recorded, expected))
      refuse(origin, fmt::format("step.{} {} is not step.{} / step time / machine.peak_tflops ({:.6g})", field,
                                 recorded, flops_field, expected));
  };
  check("mfu", s.mfu, s.model_flops, "model_flops");
  check("hfu", s.hfu, s.hardware_flops, "hardware_flops");
}

void require_consistent_medians(const RunResults& r, const std::string& origin) {
  for (size_t i = 0; i < r.kernels.size(); ++i) {
    const auto& k = r.kernels[i];
    if (k.samples_ms.empty()) continue;
    const double median = timing::summarize(k.samples_ms).median_ms;
    if (std::abs(k.stats.median_ms - median) > 1e-9 * std::max(std::abs(median), 1e-12))
      refuse(origin, fmt::format("kernels[{}] ({}): median_ms {} is not the median of its samples_ms ({})", i, k.name,
                                 k.stats.median_ms, median));
  }
}

void require_consistent_results(const RunResults& r, const std::string& origin) {
  require_consistent_medians(r, origin);
  require_consistent_kernel_rates(r, origin);
  require_consistent_step(r, origin);
}

}  // namespace tb::results
