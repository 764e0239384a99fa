#include "harness/compare/compatibility.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/common/errors.hpp"
#include "harness/results/kernel_status.hpp"
#include "harness/results/step_consistency.hpp"
#include "harness/compare/gate_error.hpp"

namespace tb::compare {

std::string kernel_key(const results::KernelResult& k) {
  // A grouped GEMM's shape text says its batch ("8x 512x..."); a file whose shape text does not
  // (hand-written, or empty) still keeps it apart from the single GEMM of the same m, n, k.
  const int64_t batch = results::gemm_batch(k);
  const bool shown = k.shape.starts_with(fmt::format("{}x ", batch));
  return fmt::format("{} [{}] {}{}", k.name, k.shape, k.dtype,
                     batch != 1 && !shown ? fmt::format(" batch {}", batch) : "");
}

namespace {

// A file at odds with itself (a median that is not its samples', a step that is not its
// kernels' sum) is no reading of any run: refused as an unreadable one is.
void require_consistent(const results::RunResults& r, const std::string& origin) {
  try {
    results::require_consistent_results(r, origin);
  } catch (const GateRefusal&) {
    throw;
  } catch (const UsageError& e) {
    throw GateRefusal(GateErrorKind::Unreadable, e.what());
  }
}

}  // namespace

void require_complete_run(const LabeledResults& run, bool accept_failed_kernels) {
  const auto& r = run.results;
  const bool some_failed = std::any_of(r.kernels.begin(), r.kernels.end(),
                                       [](const results::KernelResult& k) { return results::kernel_failed(k.status); });
  if (accept_failed_kernels && some_failed) {
    require_consistent(r, run.origin);
    return;
  }
  std::vector<std::string> bad;
  for (const auto& k : r.kernels)
    if (k.status != "ok") bad.push_back(fmt::format("{} ({}{}{})", k.name, k.status, k.error.empty() ? "" : ": ", k.error));
  const std::string which = bad.empty() ? "" : fmt::format("; kernels not measured: {}", fmt::join(bad, ", "));
  if (r.status == "failed")
    throw GateRefusal(GateErrorKind::Partial, fmt::format("{}: the run failed (status \"failed\"){}; it has no timings to compare — re-run it",
                                 run.origin, which));
  if (r.status == "partial" || (r.step && !r.step->complete) || !bad.empty())
    throw GateRefusal(GateErrorKind::Partial, fmt::format("{}: the run is partial (status \"{}\"){}; its step misses kernels, so no comparison "
                                 "of it would be whole — re-run it to completion (`report` draws what it measured)",
                                 run.origin, r.status, which));
  if (r.kernels.empty()) throw GateRefusal(GateErrorKind::Unreadable, fmt::format("{}: the results file holds no kernels", run.origin));

  require_consistent(r, run.origin);
}

void require_measured_part(const LabeledResults& run) {
  const auto& k = run.results.kernels;
  if (std::none_of(k.begin(), k.end(), [](const results::KernelResult& x) { return x.status == "ok"; }))
    throw GateRefusal(GateErrorKind::Partial, fmt::format("{}: the run is partial and measured no kernel: nothing to report — re-run it",
                                 run.origin));
  require_consistent(run.results, run.origin);
}

void require_same_attention_impl(const LabeledResults& a, const LabeledResults& b,
                                 const CompatibilityOptions& options) {
  if (options.allow_different_shapes) return;
  const auto& ia = a.results.workload.attention_impl;
  const auto& ib = b.results.workload.attention_impl;
  // Where both files recorded it: files older than the field say nothing either way (each
  // kernel's algorithm still shows a change of implementation).
  if (!ia.empty() && !ib.empty() && ia != ib)
    throw GateRefusal(GateErrorKind::Incomparable, fmt::format("{} and {} measured different attention implementations: workload.attention_impl = "
                                 "'{}' vs '{}'; a regression gate would judge other code, not a change (pass "
                                 "--allow-different-shapes to compare anyway, or set them side by side without "
                                 "--baseline)",
                                 a.origin, b.origin, ia, ib));
}

void require_same_shapes(const LabeledResults& a, const LabeledResults& b, const CompatibilityOptions& options) {
  if (options.allow_different_shapes) return;
  const auto& wa = a.results.workload;
  const auto& wb = b.results.workload;
  auto refuse = [&](const std::string& field, const std::string& va, const std::string& vb, const std::string& why) {
    throw GateRefusal(GateErrorKind::Incomparable, fmt::format("{} and {} measured different {}: {} = '{}' vs '{}'; {} "
                                 "(pass --allow-different-shapes to compare anyway)",
                                 a.origin, b.origin, why, field, va, vb,
                                 field == "workload.model"   ? "their kernels are another model's"
                                 : field == "workload.dtype" ? "their kernels run in another precision; "
                                                               "--allow-different-shapes sets an fp8 step beside a "
                                                               "bf16 one, step by step"
                                 : why == "optimizer steps"
                                     ? "their steps charge the once-per-optimizer-step kernels (the Adam update, "
                                       "fp8 weight casts) over other micro-batches or data-parallel shards, so the "
                                       "steps differ with every kernel the same (run --micro-batches, --dp)"
                                     : "their kernels have other shapes"));
  };
  // The command first: a single GEMM beside a training step differs in what was measured, which
  // "models '' vs 'gpt1'" would not say.
  if (wa.command != wb.command) refuse("workload.command", wa.command, wb.command, "workloads");
  if (wa.model != wb.model) refuse("workload.model", wa.model, wb.model, "models");
  if (wa.tensor_parallel != wb.tensor_parallel)
    refuse("workload.tensor_parallel", std::to_string(wa.tensor_parallel), std::to_string(wb.tensor_parallel), "shapes");
  if (wa.expert_parallel != wb.expert_parallel)
    refuse("workload.expert_parallel", std::to_string(wa.expert_parallel), std::to_string(wb.expert_parallel), "shapes");
  if (wa.micro_batch != wb.micro_batch)
    refuse("workload.micro_batch", std::to_string(wa.micro_batch), std::to_string(wb.micro_batch), "shapes");
  if (wa.seq_len != wb.seq_len) refuse("workload.seq_len", std::to_string(wa.seq_len), std::to_string(wb.seq_len), "shapes");
  if (wa.dtype != wb.dtype) refuse("workload.dtype", wa.dtype, wb.dtype, "dtypes");
  // M and dp matter only where both steps have once-per-optimizer-step kernels; a file from before
  // them is another kernel set, said below.
  if (results::has_per_optimizer_step_kernels(a.results) && results::has_per_optimizer_step_kernels(b.results)) {
    if (wa.micro_batches != wb.micro_batches)
      refuse("workload.micro_batches", std::to_string(wa.micro_batches), std::to_string(wb.micro_batches),
             "optimizer steps");
    if (wa.data_parallel != wb.data_parallel)
      refuse("workload.data_parallel", std::to_string(wa.data_parallel), std::to_string(wb.data_parallel),
             "optimizer steps");
  }

  std::set<std::string> ka, kb;
  for (const auto& k : a.results.kernels) ka.insert(kernel_key(k));
  for (const auto& k : b.results.kernels) kb.insert(kernel_key(k));
  std::vector<std::string> only_a, only_b;
  for (const auto& k : ka)
    if (!kb.count(k)) only_a.push_back(k);
  for (const auto& k : kb)
    if (!ka.count(k)) only_b.push_back(k);
  if (!only_a.empty() || !only_b.empty()) {
    auto list = [](const std::vector<std::string>& v) {
      if (v.empty()) return std::string("none");
      const size_t shown = std::min<size_t>(v.size(), 5);
      std::string s = fmt::format("{}", fmt::join(v.begin(), v.begin() + static_cast<long>(shown), "; "));
      if (v.size() > shown) s += fmt::format("; … {} more", v.size() - shown);
      return s;
    };
    throw GateRefusal(GateErrorKind::Incomparable, fmt::format("{} and {} measured different kernels (matched by name, shape and dtype): only in the "
                                 "first: {}; only in the second: {} (pass --allow-different-shapes to compare the "
                                 "kernels they share)",
                                 a.origin, b.origin, list(only_a), list(only_b)));
  }
}

void require_same_device(const LabeledResults& a, const LabeledResults& b, const CompatibilityOptions& options) {
  if (options.allow_different_device) return;
  const auto& ma = a.results.machine;
  const auto& mb = b.results.machine;
  auto refuse = [&](const std::string& field, const std::string& va, const std::string& vb) {
    throw GateRefusal(GateErrorKind::Incomparable, fmt::format("{} and {} ran on different devices: {} = '{}' vs '{}'; a regression check between "
                                 "them would measure the hardware, not the change (pass --allow-different-device to "
                                 "compare anyway, or use `trainbench compare A B` for a side-by-side SKU comparison)",
                                 a.origin, b.origin, field, va, vb));
  };
  if (ma.backend != mb.backend) refuse("machine.backend", ma.backend, mb.backend);
  if (ma.device_name != mb.device_name) refuse("machine.device_name", ma.device_name, mb.device_name);
  // One name covers many parts (every "AMD EPYC", a GPU family's cut-down SKUs): the core or SM
  // count tells them apart where the name cannot.
  if (ma.sm_count > 0 && mb.sm_count > 0 && ma.sm_count != mb.sm_count)
    refuse(ma.backend == "cpu" ? "machine.sm_count (logical CPUs)" : "machine.sm_count (SMs)",
           std::to_string(ma.sm_count), std::to_string(mb.sm_count));
}

}  // namespace tb::compare
