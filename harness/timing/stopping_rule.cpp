#include "harness/timing/stopping_rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"

namespace tb::timing {

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::NotYet: return "not_yet";
    case StopReason::Converged: return "converged";
    case StopReason::MaxSamples: return "max_samples";
    case StopReason::TimeBudget: return "time_budget";
  }
  return "?";
}

StopReason should_stop(const TimingPolicy& p, const SampleStats& s, double sampled_s, double wall_s) {
  if (s.samples >= p.max_samples) return StopReason::MaxSamples;
  if (wall_s >= p.max_time_s && s.samples >= 1) return StopReason::TimeBudget;
  if (s.samples < p.min_samples) return StopReason::NotYet;
  if (sampled_s < p.min_time_s) return StopReason::NotYet;
  return s.rel_noise <= p.target_rel_noise ? StopReason::Converged : StopReason::NotYet;
}

TimingPolicy within_budget(const TimingPolicy& policy, double budget_left_s, size_t kernels_left) {
  TimingPolicy p = policy;
  const double share = std::max(kMinShareS, budget_left_s / static_cast<double>(std::max<size_t>(1, kernels_left)));
  p.max_time_s = std::min(p.max_time_s, share);
  p.min_time_s = std::min(p.min_time_s, p.max_time_s / 2);
  return p;
}

void validate(const TimingPolicy& p) {
  if (p.warmup_launches < 0 || p.warmup_launches > kMaxWarmupLaunches)
    throw UsageError(fmt::format("--warmup must be between 0 and {} launches (got {})", kMaxWarmupLaunches,
                                 p.warmup_launches));
  if (p.min_samples < 1) throw UsageError(fmt::format("--min-samples must be >= 1 (got {})", p.min_samples));
  if (p.max_samples < p.min_samples)
    throw UsageError(fmt::format("--max-samples ({}) must be >= --min-samples ({})", p.max_samples, p.min_samples));
  if (!(p.target_rel_noise > 0) || !std::isfinite(p.target_rel_noise) || p.target_rel_noise >= 1)
    throw UsageError(fmt::format("--noise must be in (0, 1) (got {})", p.target_rel_noise));
  if (!(p.min_time_s >= 0) || !std::isfinite(p.min_time_s))
    throw UsageError(fmt::format("--min-time must be >= 0 seconds (got {})", p.min_time_s));
  if (!(p.max_time_s > 0) || !std::isfinite(p.max_time_s))
    throw UsageError(fmt::format("--max-time must be > 0 seconds (got {})", p.max_time_s));
  if (p.min_time_s > p.max_time_s)
    throw UsageError(fmt::format("--min-time ({} s) must be <= --max-time ({} s)", p.min_time_s, p.max_time_s));
  if (!(p.throttle_threshold >= 0 && p.throttle_threshold <= 1))
    throw UsageError(fmt::format("--throttle-threshold must be a fraction of the default SM clock from 0 (never "
                                 "discard) to 1 (got {})",
                                 p.throttle_threshold));
  if (!(p.throttle_recovery_delay_s >= 0 && p.throttle_recovery_delay_s <= kMaxThrottleRecoveryDelayS))
    throw UsageError(fmt::format("--throttle-recovery-delay must be from 0 to {:g} seconds (got {})",
                                 kMaxThrottleRecoveryDelayS, p.throttle_recovery_delay_s));
}

}  // namespace tb::timing
