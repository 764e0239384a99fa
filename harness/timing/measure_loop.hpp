#pragma once
// The sampling loop every measurement goes through: warm-up, then samples until the stopping
// rule (stopping_rule.hpp) says enough. Pure: the sample source, the clock and the abort test
// are parameters, so tests drive it with a fake clock and synthetic samples.
#include <functional>
#include <vector>

#include "harness/timing/sample_stats.hpp"
#include "harness/timing/stopping_rule.hpp"

namespace tb::timing {

struct LoopResult {
  std::vector<double> samples_ms;  // in the order taken, warm-up excluded
  SampleStats stats;
  StopReason reason = StopReason::NotYet;  // NotYet only when aborted
  bool aborted = false;                    // `should_abort` returned true (SIGINT)
  double wall_s = 0;                       // warm-up included
};

struct LoopHooks {
  std::function<double()> sample_ms;   // one cold sample, in ms
  std::function<double()> now_s;       // monotonic seconds; default steady_clock
  std::function<bool()> should_abort;  // checked before every sample; default never
  // Called once, when warm-up ends and counted samples begin (warm-up may stop early at the
  // time budget, so callers must not count calls to tell the two apart).
  std::function<void()> sampling_started;
};

double steady_now_s();

// Runs policy.warmup_launches uncounted samples, then samples until should_stop() is not
// NotYet. The noise test (a full summarize) runs after every sample up to 64 samples, then
// every n/32 samples, so 10,000 samples cost O(n log² n), not O(n² log n); the sample-count and
// time-budget limits are checked after every sample.
LoopResult run_measure_loop(const TimingPolicy& policy, const LoopHooks& hooks);

}  // namespace tb::timing
