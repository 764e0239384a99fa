#pragma once
// What may be compared with what, and why not. Every refusal is a UsageError naming both files,
// the field that differs, both values and the flag that overrides it (when one does).
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::compare {

// A results file and where it came from (the path, for messages and labels).
struct LabeledResults {
  std::string origin;
  results::RunResults results;
};

// Kernels are matched across files by name + shape + dtype: the same name with another shape
// (another --tp or --seq) is a different kernel and must not be compared as if it were one; so
// is a grouped GEMM of another batch (dims.batch).
std::string kernel_key(const results::KernelResult& kernel);

struct CompatibilityOptions {
  bool allow_different_device = false;  // --allow-different-device
  bool allow_different_shapes = false;  // --allow-different-shapes (also covers another model)
};

// Refuses failed and partial runs (their step time misses kernels; a failed kernel has no
// timing), naming the file and the kernels that did not complete; and a file at odds with itself
// (edited by hand, or by a broken writer), naming the field: a kernel's median that is not its
// samples' median, a step time that is not the sum of calls x median (results::require_consistent_results,
// which every reader runs). Repeated entries of one kernel (--benchmark_repetitions) are allowed:
// comparisons pool them (repetitions.hpp).
//
// With `accept_failed_kernels` (the gate's current side), a run with kernels that were tried and
// failed (failed, verification included, oom, unsupported) is accepted: each such kernel is a
// regression the gate reports, not a reason to judge nothing. A run that is partial only because
// kernels were not measured (interrupted, skipped) is still refused: nothing of those failed.
void require_complete_run(const LabeledResults& run, bool accept_failed_kernels = false);

// The report's rule for a partial run (SideBySideOptions::accept_partial): it must agree with
// itself and hold at least one measured kernel.
void require_measured_part(const LabeledResults& run);

// The gate's: the same attention implementation (workload.attention_impl, --impl) where both files
// recorded one, unless shapes may differ. A side-by-side comparison sets implementations apart on
// purpose, so only the gate refuses.
void require_same_attention_impl(const LabeledResults& a, const LabeledResults& b, const CompatibilityOptions& options);

// Same model, workload shape and kernel set (name + shape + dtype), unless allowed.
void require_same_shapes(const LabeledResults& a, const LabeledResults& b, const CompatibilityOptions& options);

// Same device (backend, device name, and core or SM count where both files have one), unless
// allowed: a regression gate comparing an H100 with an A100, or a 2-core "AMD EPYC" with a
// 64-core one, would report the hardware, not the change.
void require_same_device(const LabeledResults& a, const LabeledResults& b, const CompatibilityOptions& options);

}  // namespace tb::compare
