#include "harness/timing/measure_loop.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <thread>

namespace tb::timing {

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool may_discard(const TimingPolicy& policy, int64_t discarded, double wall_s) {
  return discarded < policy.max_samples && wall_s < kThrottleWaitShareOfBudget * policy.max_time_s;
}

namespace {

// The recovery pause in slices, so that Ctrl-C during a long --throttle-recovery-delay (up to
// 60 s) ends the run within a slice rather than after the pause.
constexpr double kPauseSliceS = 0.05;

}  // namespace

void sleep_for_s(double seconds, const std::function<bool()>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::max(seconds, 0.0));
  while (std::chrono::steady_clock::now() < until && !(stop && stop())) {
    const auto left = std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, kPauseSliceS)));
  }
}

LoopResult run_measure_loop(const TimingPolicy& policy, const LoopHooks& hooks) {
  const auto now = hooks.now_s ? hooks.now_s : steady_now_s;
  const auto abort = [&] { return hooks.should_abort && hooks.should_abort(); };
  const std::function<bool()> aborting = abort;
  const auto recover = hooks.recover ? hooks.recover : [&](double s) { sleep_for_s(s, aborting); };
  LoopResult r;
  const double start_s = now();
  for (int i = 0; i < policy.warmup_launches; ++i) {
    if (abort()) {
      r.aborted = true;
      r.wall_s = now() - start_s;
      return r;
    }
    hooks.sample_ms();
    // The time budget covers warm-up too: a slow kernel's warm-up must not outlast --max-time.
    if (now() - start_s >= policy.max_time_s) break;
  }
  if (hooks.sampling_started) hooks.sampling_started();
  double sampled_s = 0;
  int64_t next_full_check = 1;
  while (true) {
    if (abort()) {
      r.aborted = true;
      break;
    }
    const double ms = hooks.sample_ms();
    if (hooks.sample_throttled && may_discard(policy, r.throttled_discarded, now() - start_s) &&
        hooks.sample_throttled()) {
      r.kept.push_back(false);
      ++r.throttled_discarded;
      recover(policy.throttle_recovery_delay_s);
      continue;
    }
    r.kept.push_back(true);
    r.samples_ms.push_back(ms);
    sampled_s += ms / 1e3;
    const double wall_s = now() - start_s;
    const auto n = static_cast<int64_t>(r.samples_ms.size());
    // Cheap test: only the count and time limits can fire with infinite noise.
    SampleStats limits;
    limits.samples = n;
    limits.rel_noise = std::numeric_limits<double>::infinity();
    StopReason reason = should_stop(policy, limits, sampled_s, wall_s);
    if (reason == StopReason::NotYet && n >= next_full_check) {
      reason = should_stop(policy, summarize(r.samples_ms), sampled_s, wall_s);
      next_full_check = n < 64 ? n + 1 : n + n / 32;
    }
    if (reason != StopReason::NotYet) {
      r.reason = reason;
      break;
    }
  }
  r.stats = summarize(r.samples_ms);
  r.wall_s = now() - start_s;
  return r;
}

}  // namespace tb::timing
