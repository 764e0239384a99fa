#pragma once
// Measures one Op on a backend: prepare (random inputs), warm up, sample until the timing
// policy stops, verify against the reference, read clocks (a sample taken while the device was
// throttled is discarded and retaken after a pause: clock_tracker.hpp). Never throws for a kernel that
// fails, is unsupported or runs out of memory: that is recorded in the result's status and
// the caller goes on. Only the harness times kernels; kernels never time themselves.
#include <functional>
#include <optional>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/timing/stopping_rule.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"

namespace tb::runner {

struct MeasureOptions {
  timing::TimingPolicy policy;
  kernels::PrepareOptions prepare;
  bool verify = true;
  bool corrupt_output_for_testing = false;  // plants a wrong value before verification
  // Stands in for the recovery pause after a throttled sample (policy.throttle_recovery_delay_s),
  // so tests see the delay asked for without sleeping; empty: sleeps.
  std::function<void(double delay_s)> recover_for_testing;
};

// The result's identity fields (name, kind, shape, dims, dtype, FLOPs, bytes) with nothing
// measured yet: for cases a run skips.
results::KernelResult describe_op(const Op& op);

// `sku` supplies the peaks for pct_of_peak (compute for GEMM/attention, bandwidth otherwise).
results::KernelResult measure_op(kernels::Backend& backend, const Op& op, const MeasureOptions& options,
                                 const std::optional<SkuConfig>& sku);

// Test hook: with TRAINBENCH_TEST_SAMPLING_MARK=FILE, FILE is created once the first timed sample
// is in, so that a test interrupts a measurement that has provably started, however slowly a
// loaded machine started the process (tests/cli/test_gemm_cli.cpp). Every sampling loop calls it.
void mark_sampling_started();

}  // namespace tb::runner
