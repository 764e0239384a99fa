#include "cli/run_printer.hpp"

#include <fmt/ostream.h>

#include "cli/convergence_note.hpp"
#include "cli/kernel_table.hpp"
#include "harness/common/human_format.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/workload/workload.hpp"

namespace tb::cli {

std::string progress_line(const runner::StepProgress& p) {
  std::string left;
  if (p.budget_spent)
    left = fmt::format(", --budget spent: {} kernel{} left at their minimum share", p.total - p.index,
                       p.total - p.index == 1 ? "" : "s");
  else if (p.remaining_s > 0)
    left = p.remaining_s < 1 ? ", <1 s left" : fmt::format(", ~{:.0f} s left", p.remaining_s);
  else if (p.remaining_bound_s > 0)
    left = fmt::format(", at most {:.0f} s left (--budget)", p.remaining_bound_s);
  return fmt::format("[{}/{}] {:<16} {:.1f} s elapsed{}", p.index + 1, p.total, p.kernel, p.elapsed_s, left);
}

void print_run_table(std::ostream& out, const results::RunResults& r) {
  const double step_ms = r.step ? r.step->step_ms : 0;
  fmt::print(out, "{:<16} {:<28} {:>10} {:>6} {:>10} {:>11} {:>7} {:>7} {:>7}  {}\n", "kernel", "shape",
             "FLOP|byte", "calls", "median ms", "rate", "% peak", "share", "se(med)", "check");
  bool per_optimizer_step = false;
  for (const auto& k : r.kernels) {
    // "1302/M": the calls of one optimizer step, of which a micro-batch's step takes 1/M.
    const std::string calls =
        k.per_optimizer_step ? fmt::format("{}/M", k.calls_per_step) : fmt::format("{}", k.calls_per_step);
    per_optimizer_step = per_optimizer_step || k.per_optimizer_step;
    if (k.status != "ok") {
      fmt::print(out, "{:<16} {:<28} {:>10} {:>6} {:>10}  {}: {}\n", k.name, k.shape, "", calls, "-", k.status,
                 k.error);
      continue;
    }
    const bool compute = k.flops > 0;
    const std::string work = compute ? sci(k.flops) : human_bytes_si(k.bytes);
    // CPUs sustain GFLOP/s; GPUs TFLOP/s. Print whichever keeps three significant digits.
    const std::string rate = !compute          ? fmt::format("{:.1f} GB/s", k.gbps)
                             : k.tflops >= 1.0 ? fmt::format("{:.1f} TF/s", k.tflops)
                                               : fmt::format("{:.1f} GF/s", k.tflops * 1e3);
    const double share = step_ms > 0 ? k.stats.median_ms * results::step_calls(k, r.workload) / step_ms : 0;
    std::string check = k.verified ? "ok" : "UNVERIFIED";
    for (const std::string& more : {throttle_text(k), outliers_text(k)})
      if (!more.empty()) check += ", " + more;
    fmt::print(out, "{:<16} {:<28} {:>10} {:>6} {:>10.4f} {:>11} {:>6.1f}% {:>6.1f}% {}  {}\n", k.name, k.shape,
               work, calls, k.stats.median_ms, rate, k.pct_of_peak, 100 * share, noise_cell(k, 7), check);
    if (const std::string note = padding_note(k); !note.empty()) fmt::print(out, "  {}\n", note);
  }
  if (per_optimizer_step)
    fmt::print(out, "/M: once per optimizer step; the step of one micro-batch takes 1/M of it (M = {} micro-batches "
                    "per optimizer step)\n",
               r.workload.micro_batches);
}

void print_step_summary(std::ostream& out, const results::RunResults& r, const std::optional<SkuConfig>& sku) {
  if (!r.step) return;
  const auto& s = *r.step;
  fmt::print(out, "\nStep ({}, tp {}{}, micro-batch {}, seq {}, {}){}\n", r.workload.model, r.workload.tensor_parallel,
             r.workload.expert_parallel > 1 ? fmt::format(", ep {}", r.workload.expert_parallel) : "",
             r.workload.micro_batch, r.workload.seq_len, r.workload.dtype,
             s.complete ? "" : "  [INCOMPLETE: some kernels missing or failed; figures below omit them]");
  fmt::print(out, "  layer time      {:>10.3f} ms\n", s.layer_ms);
  fmt::print(out, "  step time       {:>10.3f} ms  (one GPU's share of one micro-batch and 1/{} of an optimizer step, "
                  "no communication)\n",
             s.step_ms, r.workload.micro_batches);
  // What runs once per optimizer step, at 1/M in the step above: the Adam update, and under fp8
  // Transformer Engine's weight casts.
  double adam_ms = 0, cast_w_ms = 0;
  for (const auto& k : r.kernels) {
    if (k.status != "ok" || !k.per_optimizer_step) continue;
    (k.name.ends_with(kFp8WeightCastSuffix) ? cast_w_ms : adam_ms) += static_cast<double>(k.calls_per_step) *
                                                                        k.stats.median_ms;
  }
  const double m = static_cast<double>(r.workload.micro_batches);
  if (adam_ms > 0)
    fmt::print(out, "  of which        {:>10.3f} ms  optimizer step (Adam): 1/{} of its {:.3f} ms\n", adam_ms / m,
               r.workload.micro_batches, adam_ms);
  if (cast_w_ms > 0)
    fmt::print(out, "  of which        {:>10.3f} ms  fp8 weight casts (*{}), once per optimizer step in Transformer "
                    "Engine: 1/{} of their {:.3f} ms\n",
               cast_w_ms / m, kFp8WeightCastSuffix, r.workload.micro_batches, cast_w_ms);
  fmt::print(out, "  tokens/s/GPU    {:>10.3g}\n", s.tokens_per_s);
  fmt::print(out, "  sustained       {:>10.3g} TFLOP/s (FLOPs the kernels executed: causal attention's half)\n",
             s.sustained_tflops);
  if (sku && s.mfu > 0) {
    const std::string peak_dtype = r.machine.peak_dtype.empty() ? r.workload.dtype : r.machine.peak_dtype;
    // An fp8 step is judged against the bf16 peak; how far it is from the fp8 peak is said too.
    const double fp8_peak = r.workload.dtype == "fp8" ? sku->peak_tflops_or_zero(DType::FP8) : 0.0;
    const double bf16_peak = sku->peak_tflops_or_zero(DType::BF16);
    const std::string of_fp8 = fp8_peak > 0 && bf16_peak > 0
                                   ? fmt::format("; {:.1f}% of the fp8 peak", 100 * s.mfu * bf16_peak / fp8_peak)
                                   : "";
    fmt::print(out, "  MFU             {:>10.1f}%  (model FLOPs / {} {} peak{})\n", 100 * s.mfu, sku->name, peak_dtype,
               of_fp8);
    // MFU counts attention unmasked, as PaLM and published MFUs do; HFU the kernels' work likewise.
    fmt::print(out, "  HFU             {:>10.1f}%  (MFU's count, attention unmasked, plus the attention backward's "
                    "recompute)\n",
               100 * s.hfu);
  } else if (!(s.step_ms > 0)) {
    fmt::print(out, "  MFU             {:>10}  (no kernel was measured)\n", "n/a");
  } else {
    fmt::print(out, "  MFU             {:>10}  (no peak known for this device; pass --sku)\n", "n/a");
  }
  if (const auto watts = step_mean_power_w(r.kernels, r.workload.micro_batches)) {
    const std::string of_tdp =
        sku && sku->tdp_w > 0 ? fmt::format(", {:.0f}% of the {:.0f} W TDP", 100 * *watts / sku->tdp_w, sku->tdp_w) : "";
    fmt::print(out, "  board power     {:>10.0f} W mean over the step (NVML){}\n", *watts, of_tdp);
    if (s.sustained_tflops > 0)
      fmt::print(out, "  efficiency      {:>10.3g} TFLOP/s per kW\n", s.sustained_tflops / *watts * 1e3);
  }
  const auto losers = runner::time_lost_to_peak(r, sku, 3);
  if (!losers.empty()) {
    fmt::print(out, "  most time lost to peak:");
    for (const auto& l : losers) fmt::print(out, "  {} {:.3f} ms ({:.0f}% of step)", l.kernel, l.lost_ms, 100 * l.share_of_step);
    fmt::print(out, "\n");
  }
}

}  // namespace tb::cli
