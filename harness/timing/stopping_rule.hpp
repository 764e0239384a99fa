#pragma once
// When to stop sampling. nvbench's defaults are the bar: at least 10 samples, at least 0.5 s of
// samples, stop when the noise is under target, give up after a time budget (15 s).
#include <cstdint>
#include <string>

#include "harness/timing/sample_stats.hpp"

namespace tb::timing {

struct TimingPolicy {
  int warmup_launches = 1;        // uncounted launches first (cold code paths, lazy init)
  int64_t min_samples = 10;
  int64_t max_samples = 10000;
  double target_rel_noise = 0.01; // relative standard error of the median
  double min_time_s = 0.5;        // summed sample time before the noise test may stop
  double max_time_s = 15.0;       // wall budget for one measurement; then stop, flagged
  // nvbench's throttle rule (nvbench/detail/measure_cold.cu: throttle_threshold 0.75,
  // throttle_recovery_delay 0.05 s): a sample taken while the SM clock was under this fraction of
  // the device's default clock is discarded, and the device given this long to recover before the
  // next (run_measure_loop bounds how many; backends without clock readings never discard).
  double throttle_threshold = 0.75;
  double throttle_recovery_delay_s = 0.05;
};

enum class StopReason { NotYet, Converged, MaxSamples, TimeBudget };
const char* to_string(StopReason reason);

// `sampled_s`: sum of sample times; `wall_s`: wall time spent on this measurement so far.
StopReason should_stop(const TimingPolicy& policy, const SampleStats& stats, double sampled_s, double wall_s);

// The policy for the next of `kernels_left` measurements when `budget_left_s` of a whole run's
// budget remains: an equal share each, re-divided before every kernel so that set-up and
// verification (outside the sampling loop) are absorbed as the run goes. The share caps
// max_time_s (never below kMinShare, so each kernel still gets a few samples) and min_time_s
// to half of it, so that a kernel whose noise is already low still converges, not runs out.
inline constexpr double kMinShareS = 0.05;
TimingPolicy within_budget(const TimingPolicy& policy, double budget_left_s, size_t kernels_left);

// Warm-up is a few launches (cold code paths, lazy init); thousands add nothing but time.
inline constexpr int kMaxWarmupLaunches = 10000;

// A recovery pause longer than this is a typo (seconds for milliseconds): nvbench's is 0.05 s, and
// each kernel's waiting is capped at half its time budget anyway.
inline constexpr double kMaxThrottleRecoveryDelayS = 60;

// Refuses nonsense (min > max, target <= 0, NaN, a warm-up beyond kMaxWarmupLaunches, a throttle
// threshold outside [0, 1], a recovery delay outside [0, kMaxThrottleRecoveryDelayS]) naming the flag.
void validate(const TimingPolicy& policy);

}  // namespace tb::timing
