#pragma once
// How long the rest of a run will take, for `run`'s progress line. Predicted from what the runner
// will give each remaining kernel (within_budget's share of the budget left, capped by
// --max-time) and from how the measured kernels used theirs, never beyond the budget: the
// elapsed/done x left rule it replaces said "~142 s left" where a 100 s budget ended the run
// 34 s later.
#include <cstddef>
#include <vector>

#include "harness/timing/stopping_rule.hpp"

namespace tb::timing {

struct MeasuredKernelTime {
  double wall_s = 0;              // its whole measurement: set-up, warm-up, samples, verification
  double cap_s = 0;               // the max_time_s it was given
  bool stopped_by_time = false;   // stop_reason time_budget: a larger cap would have taken longer
};

struct EtaInputs {
  TimingPolicy policy;            // the run's, before within_budget divides the budget
  double budget_s = 0;            // the whole run's (--budget); 0: none
  double elapsed_s = 0;
  size_t kernels_left = 0;        // not measured yet, the next one included
  std::vector<MeasuredKernelTime> measured;
};

struct Eta {
  // The estimate; 0 where nothing is measured yet (no kernel has said how long kernels take).
  double remaining_s = 0;
  // What the budget allots the kernels left: the budget left; 0 without a budget, or once it is
  // spent. remaining_s never exceeds it.
  double bound_s = 0;
  // Less budget left than kMinShareS a kernel: each kernel left gets its minimum share, and takes
  // what its set-up, first sample and check take (a CPU attention backward at seq 5000: 85 s), so
  // no figure is given (a "<1 s left" from the shares would be false).
  bool budget_spent = false;
};

// Each measured kernel predicts one more like it under the next kernel's cap: one stopped by time
// would again use its whole cap (scaled by the share of its own cap it took, set-up included),
// one that converged takes as long again (at most the cap). Their mean, with one more kernel
// halfway between what the policy lets a kernel take (its sampling floor min_time_s, converged
// at once, and its cap), so that one first kernel (lazy initialisation, a cold cache, or the
// one quick kernel) does not set the pace of all; times the kernels left; at most the bound.
Eta estimate_remaining(const EtaInputs& in);

}  // namespace tb::timing
