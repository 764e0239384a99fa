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
  std::vector<double> samples_ms;  // kept, in the order taken, warm-up excluded
  // One per sample taken after warm-up, in order: true where kept (in samples_ms), false where
  // discarded as throttled. A caller that recorded something per sample (a clock reading) keeps
  // what belongs to the kept ones.
  std::vector<bool> kept;
  int64_t throttled_discarded = 0;
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
  // Asked after each counted sample: did it run throttled? Such a sample is discarded, `recover`
  // called with policy.throttle_recovery_delay_s, and another taken, as nvbench does, until the
  // discards reach their cap (may_discard); from then on every sample is kept, so a device that
  // stays hot still gets measured, its clocks flagged. Default: never throttled.
  std::function<bool()> sample_throttled;
  // Lets the device recover for `delay_s` after a discarded sample; default: sleeps that long.
  std::function<void(double delay_s)> recover;
};

// Waiting out throttling may take this share of a measurement's time budget (max_time_s); the
// rest is left to sample the kernel as it runs, throttled or not.
inline constexpr double kThrottleWaitShareOfBudget = 0.5;

// Whether another throttled sample may be discarded, `discarded` already having been, `wall_s`
// into the measurement: never more discards than the sample budget (max_samples), nor past
// kThrottleWaitShareOfBudget of the time budget, so a run never hangs on a hot device.
bool may_discard(const TimingPolicy& policy, int64_t discarded, double wall_s);

double steady_now_s();
// Nothing for 0 or less; ends early, within 50 ms, once `stop` returns true (Ctrl-C during a
// recovery pause of up to 60 s).
void sleep_for_s(double seconds, const std::function<bool()>& stop = {});

// Runs policy.warmup_launches uncounted samples, then samples until should_stop() is not
// NotYet. The noise test (a full summarize) runs after every sample up to 64 samples, then
// every n/32 samples, so 10,000 samples cost O(n log² n), not O(n² log n); the sample-count and
// time-budget limits are checked after every sample. A discarded (throttled) sample counts toward
// neither the samples nor their summed time; its wall time and recovery pause count toward the
// time budget.
LoopResult run_measure_loop(const TimingPolicy& policy, const LoopHooks& hooks);

}  // namespace tb::timing
