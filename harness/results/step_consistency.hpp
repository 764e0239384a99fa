#pragma once
// A results file must agree with itself: a hand-edited or badly written file would otherwise
// carry an impossible MFU or a median its samples do not have into estimates, comparisons,
// exports and reports. Every reader (estimate --results, compare, report, export) calls
// require_consistent_results, so that one file is refused alike by all of them.
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::results {

// Refuses, naming the file and the field, a step whose step_ms is not the sum of calls_per_step x
// median_ms over its measured kernels (those run once per optimizer step, per_optimizer_step, at
// 1/workload.micro_batches: step_calls), whose tokens_per_s is not micro_batch x seq_len / step
// time / tensor_parallel (per GPU, as a run writes it), whose mfu or hfu is not its FLOPs over its time and
// machine.peak_tflops, whose mfu exceeds its bound (step_mfu_bound) or whose mfu exceeds its hfu
// (HFU counts the model's FLOPs and the recomputation the kernels do), whose hardware_flops or
// model_flops is not the sum of calls_per_step x kernel_hardware_flops (model_flops) over its
// measured kernels, or whose sustained_tflops is not the sum of calls_per_step x flops over its
// time. A causal step's MFU may pass step_mfu_bound by its model / executed FLOPs (attention is
// counted unmasked; the peak bounds the kernels' own flops). A file without a step passes.
void require_consistent_step(const RunResults& r, const std::string& origin);

// Refuses, naming the file and the kernel, a kernel whose median_ms is not the median of its
// samples_ms. Kernels without samples (not measured, or older files) pass.
void require_consistent_medians(const RunResults& r, const std::string& origin);

// Both of the above and require_consistent_kernel_rates (kernel_consistency.hpp): what every
// reader checks.
void require_consistent_results(const RunResults& r, const std::string& origin);

// The most a step's MFU can be, and why. 1 against the peak of the dtype the step runs in. An fp8
// step's MFU is against the bf16 peak (machine.peak_dtype "bf16", workload.hpp's mfu_peak_dtype),
// so that it reads on a bf16 step's scale: its fp8 GEMMs may run up to the fp8 peak, and its bound
// is the SKU's fp8/bf16 peak ratio (about 2 on Hopper), read from the config of machine.sku. Where
// that config or its fp8 peak is missing, the bound stays 1 and `why` says what was missing.
struct MfuBound {
  double bound = 1;
  std::string why;  // for the refusal: what the bound is
};
MfuBound step_mfu_bound(const RunResults& r);

}  // namespace tb::results
