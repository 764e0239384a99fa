// The sampling loop waits out throttling as nvbench's measure_cold does: a sample its caller
// calls throttled is discarded, the device given the recovery delay, and another taken; the
// discards are capped by the sample budget and half the time budget, so a device that stays hot
// is still measured (its samples kept) and the loop ends. A fake clock and scripted verdicts.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "harness/timing/measure_loop.hpp"

namespace tb::timing {
namespace {

// Sample i (0-based, after warm-up) takes hot_ms while i < hot_samples and cool_ms after; it
// is throttled while hot. Each sample advances the fake clock by wall_per_sample_s and each
// recovery pause by the delay it is given, so pauses count toward the time budget as real ones do.
struct HotThenCool {
  int64_t hot_samples = 0;
  double hot_ms = 5.0;
  double cool_ms = 1.0;
  double wall_per_sample_s = 0;
  double now = 0;
  int64_t taken = 0;
  std::vector<double> pauses_s;
  LoopHooks hooks() {
    LoopHooks h;
    h.sample_ms = [this] {
      now += wall_per_sample_s;
      return taken++ < hot_samples ? hot_ms : cool_ms;
    };
    h.sample_throttled = [this] { return taken <= hot_samples; };
    h.recover = [this](double delay_s) {
      pauses_s.push_back(delay_s);
      now += delay_s;
    };
    h.now_s = [this] { return now; };
    return h;
  }
};

TimingPolicy ten_samples() {
  TimingPolicy p;
  p.warmup_launches = 0;
  p.min_samples = p.max_samples = 10;
  p.min_time_s = 0;
  p.max_time_s = 1e9;
  p.throttle_recovery_delay_s = 0.2;
  return p;
}

TEST(ThrottleLoop, ThrottledSamplesAreDiscardedAfterAPauseAndRetaken) {
  HotThenCool f;
  f.hot_samples = 3;
  const LoopResult r = run_measure_loop(ten_samples(), f.hooks());
  EXPECT_EQ(r.throttled_discarded, 3);
  EXPECT_EQ(f.taken, 13) << "10 kept samples, 3 retaken";
  EXPECT_EQ(r.samples_ms.size(), 10u);
  EXPECT_EQ(r.reason, StopReason::MaxSamples);
  const std::vector<bool> kept{false, false, false, true, true, true, true, true, true, true, true, true, true};
  EXPECT_EQ(r.kept, kept);
  // One pause per discard, each the policy's recovery delay.
  EXPECT_EQ(f.pauses_s, (std::vector<double>{0.2, 0.2, 0.2}));
}

// The hot samples take 5 ms, the cool ones 1 ms: with them kept the median of 10 would still be
// 1 ms, but the maximum and the summed time would show them. Over kept samples only, all is 1 ms.
TEST(ThrottleLoop, StatisticsAreOverTheKeptSamplesOnly) {
  HotThenCool f;
  f.hot_samples = 4;
  const LoopResult r = run_measure_loop(ten_samples(), f.hooks());
  ASSERT_EQ(r.samples_ms.size(), 10u);
  for (double ms : r.samples_ms) EXPECT_EQ(ms, 1.0);
  EXPECT_EQ(r.stats.samples, 10);
  EXPECT_DOUBLE_EQ(r.stats.median_ms, 1.0);
  EXPECT_DOUBLE_EQ(r.stats.max_ms, 1.0);
  EXPECT_DOUBLE_EQ(r.stats.mean_ms, 1.0);
}

// Forever hot, no time limit: discards stop at the sample budget (10), then 10 throttled samples
// are kept and the loop ends as any other.
TEST(ThrottleLoop, DiscardsStopAtTheSampleBudgetAndTheSamplesAreKept) {
  HotThenCool f;
  f.hot_samples = 1'000'000;
  const LoopResult r = run_measure_loop(ten_samples(), f.hooks());
  EXPECT_EQ(r.throttled_discarded, 10);
  EXPECT_EQ(r.samples_ms.size(), 10u);
  EXPECT_EQ(f.taken, 20);
  EXPECT_DOUBLE_EQ(r.stats.median_ms, 5.0) << "the throttled samples, kept";
  EXPECT_EQ(r.reason, StopReason::MaxSamples);
}

// Forever hot, 1 s a sample, 0.5 s pauses, a 10 s budget: waiting may take until 5 s. Samples end
// at 1, 2.5 and 4 s (each after the previous pause): discarded; the 4th ends at 5.5 s, past the
// cap: kept, as are those ending at 6.5 ... 10.5 s, the last past the budget: 6 kept, 3 discarded.
TEST(ThrottleLoop, DiscardsStopAtHalfTheTimeBudgetAndTheLoopStillEnds) {
  HotThenCool f;
  f.hot_samples = 1'000'000;
  f.wall_per_sample_s = 1.0;
  TimingPolicy p = ten_samples();
  p.max_samples = 10000;
  p.max_time_s = 10;
  p.throttle_recovery_delay_s = 0.5;
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.throttled_discarded, 3);
  EXPECT_EQ(r.samples_ms.size(), 6u);
  EXPECT_EQ(r.reason, StopReason::TimeBudget);
  EXPECT_DOUBLE_EQ(r.wall_s, 10.5);
}

TEST(ThrottleLoop, MayDiscardUnderBothCapsOnly) {
  TimingPolicy p;
  p.max_samples = 4;
  p.max_time_s = 2;
  EXPECT_TRUE(may_discard(p, 3, 0.99));
  EXPECT_FALSE(may_discard(p, 4, 0.0));  // the sample budget
  EXPECT_FALSE(may_discard(p, 0, 1.0));  // half of the 2 s budget
}

// No verdict hook (a backend without clock readings, comm's collectives): every sample is kept
// and nothing pauses, the loop as it was.
TEST(ThrottleLoop, WithoutAVerdictEverySampleIsKept) {
  HotThenCool f;
  f.hot_samples = 3;
  LoopHooks h = f.hooks();
  h.sample_throttled = nullptr;
  const LoopResult r = run_measure_loop(ten_samples(), h);
  EXPECT_EQ(r.throttled_discarded, 0);
  EXPECT_EQ(f.taken, 10);
  EXPECT_TRUE(f.pauses_s.empty());
  EXPECT_EQ(r.kept, std::vector<bool>(10, true));
}

}  // namespace
}  // namespace tb::timing

namespace tb::timing {
namespace {

// The default recovery pause (a real sleep) ends soon after an interrupt: Ctrl-C during a 10 s
// --throttle-recovery-delay ends the loop within a slice, aborted, not 10 s later.
TEST(ThrottleLoop, AnInterruptEndsTheDefaultRecoveryPause) {
  TimingPolicy p = ten_samples();
  p.throttle_recovery_delay_s = 10;
  bool interrupted = false;
  LoopHooks h;
  h.sample_ms = [&] {
    interrupted = true;  // Ctrl-C arrives while the first sample runs
    return 1.0;
  };
  h.sample_throttled = [] { return true; };
  h.should_abort = [&] { return interrupted; };
  const auto start = std::chrono::steady_clock::now();
  const LoopResult r = run_measure_loop(p, h);
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.aborted);
  EXPECT_EQ(r.throttled_discarded, 1);
  EXPECT_LT(took_s, 1.0);
}

}  // namespace
}  // namespace tb::timing
