#pragma once
// Measures every distinct kernel of one training step and assembles the step: time, tokens/s,
// MFU, HFU. After each kernel the partial results are written atomically, so an interrupted
// run keeps what it measured (beside an earlier complete results file, which only the run's end
// replaces: partial_path); a kernel that fails or runs out of memory is recorded and the run goes on.
#include <functional>
#include <optional>
#include <string>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/workload/workload.hpp"
#include "kernels/backend.hpp"

namespace tb::runner {

struct StepProgress {
  size_t index = 0;        // 0-based index of the kernel about to be measured (== total when done)
  size_t total = 0;
  std::string kernel;
  double elapsed_s = 0;
  double remaining_s = 0;  // timing::estimate_remaining's (0 when unknown: nothing measured yet)
  size_t measured = 0;     // kernels measured cleanly so far (status ok)
  double remaining_bound_s = 0;  // what --budget allots the kernels left (0: no budget)
  bool budget_spent = false;      // --budget is spent: the kernels left get their minimum share
};

struct StepRunOptions {
  MeasureOptions measure;
  std::string out_path;    // "" writes nothing
  // Where the writes before the run's end go (results::progress_path_for: beside an --out that
  // holds an earlier complete run); "" or out_path: out_path itself. A run that reaches its end
  // writes out_path and removes this file; one interrupted leaves its last write here.
  std::string partial_path;
  double budget_s = 0;     // wall-clock budget for all kernels (timing::within_budget); 0: none
  std::function<void(const StepProgress&)> on_progress;
};

// The step metrics from the kernels measured so far (only kernels with status ok count;
// `complete` is false when any kernel is missing or failed).
results::StepResult summarize_step(const Workload& workload, const std::vector<results::KernelResult>& kernels,
                                   const std::optional<SkuConfig>& sku);

// The file run_step's last write went to: partial_path where the run did not end complete
// (interrupted, a kernel failed or ran out of memory) and there is one, else out_path.
std::string final_results_path(const StepRunOptions& options, const results::RunResults& results);

results::RunResults run_step(kernels::Backend& backend, const Workload& workload, const StepRunOptions& options,
                             const results::MachineInfo& machine, const std::optional<SkuConfig>& sku);

// Time lost to peak per kernel: calls × (median − ideal time at the SKU's compute or bandwidth
// roof). The biggest losers are where optimization pays.
struct TimeLost {
  std::string kernel;
  double lost_ms = 0;       // per step
  double share_of_step = 0;
};
std::vector<TimeLost> time_lost_to_peak(const results::RunResults& results, const std::optional<SkuConfig>& sku,
                                        size_t top);

}  // namespace tb::runner
