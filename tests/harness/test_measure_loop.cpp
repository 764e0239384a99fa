// The sampling loop, driven by a fake clock and deterministic synthetic samples.
#include <gtest/gtest.h>

#include "harness/timing/measure_loop.hpp"

namespace tb::timing {
namespace {

// Samples from a fixed cycle; the fake clock advances by `wall_per_sample_s` per sample.
struct Fake {
  std::vector<double> cycle;
  double wall_per_sample_s = 0;
  double now = 0;
  int64_t calls = 0;
  LoopHooks hooks() {
    LoopHooks h;
    h.sample_ms = [this] {
      now += wall_per_sample_s;
      return cycle[static_cast<size_t>(calls++) % cycle.size()];
    };
    h.now_s = [this] { return now; };
    return h;
  }
};

TimingPolicy quick() {
  TimingPolicy p;
  p.warmup_launches = 0;
  p.min_samples = 10;
  p.max_samples = 1000;
  p.target_rel_noise = 0.01;
  p.min_time_s = 0;
  p.max_time_s = 1e9;
  return p;
}

TEST(MeasureLoop, QuietSamplesStopAtMinSamples) {
  Fake f{{2.0}};
  const LoopResult r = run_measure_loop(quick(), f.hooks());
  EXPECT_EQ(r.reason, StopReason::Converged);
  EXPECT_EQ(r.samples_ms.size(), 10u);
  EXPECT_DOUBLE_EQ(r.stats.median_ms, 2.0);
  EXPECT_FALSE(r.aborted);
}

TEST(MeasureLoop, MinTimeKeepsSampling) {
  Fake f{{1000.0}};  // one second per sample: 5 s of samples needs 5 samples
  TimingPolicy p = quick();
  p.min_samples = 1;
  p.min_time_s = 5;
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.reason, StopReason::Converged);
  EXPECT_EQ(r.samples_ms.size(), 5u);
}

TEST(MeasureLoop, NoisySamplesRunToMaxSamples) {
  Fake f{{1.0, 3.0}};  // noise ≈ 1.25/(2√n): under 1% only past ~3900 samples
  TimingPolicy p = quick();
  p.max_samples = 100;
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.reason, StopReason::MaxSamples);
  EXPECT_EQ(r.samples_ms.size(), 100u);
  EXPECT_GT(r.stats.rel_noise, 0.01);
}

// A quiet kernel (±0.5%) with a 100× hiccup in every 25 samples converges at the noise target
// from the spread inside the outlier fence. σ (about 20× the median here) would need 1.2533·20/√n under
// 1%, six million samples: the loop would have run to its cap.
TEST(MeasureLoop, RareHugeSamplesDoNotStopConvergence) {
  Fake f;
  for (int i = 0; i < 25; ++i) f.cycle.push_back(i == 3 ? 100.0 : 1.0 + 0.005 * (i % 5 - 2) / 2.0);
  TimingPolicy p = quick();
  p.max_samples = 10000;
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.reason, StopReason::Converged);
  EXPECT_LT(r.samples_ms.size(), 100u);
  EXPECT_GE(r.stats.outliers, 1);
  EXPECT_GT(r.stats.rel_stddev, 1.0);  // the classic spread still shows the hiccups
}

// Two modes, 11 of every 20 samples at 1.0 and 9 at 2.7 (a clock that steps): the fast mode's own
// spread is far under 1%, but the median is pinned in it only once the sign test's interval,
// quantiles 0.5 ± 1.5/√n, stays inside its 55%: n > (1.5/0.05)² = 900. Stopping before would be
// stopping on a median that a few more slow samples flip to 2.7.
TEST(MeasureLoop, TwoModesKeepSamplingUntilTheMedianIsPinned) {
  Fake f;
  for (int i = 0; i < 20; ++i) f.cycle.push_back(i % 2 == 1 && i < 18 ? 2.7 : 1.0 + 0.001 * (i % 3));  // interleaved
  TimingPolicy p = quick();
  p.max_samples = 10000;
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.reason, StopReason::Converged);
  EXPECT_GE(r.samples_ms.size(), 800u);
  EXPECT_LT(r.stats.median_ms, 1.01);
  EXPECT_GT(r.stats.outliers, static_cast<int64_t>(r.samples_ms.size() / 3));
}

TEST(MeasureLoop, TimeBudgetEndsANoisyMeasurement) {
  Fake f{{1.0, 3.0}, 0.25};
  TimingPolicy p = quick();
  p.max_time_s = 1;  // 4 samples of 0.25 s wall
  const LoopResult r = run_measure_loop(p, f.hooks());
  EXPECT_EQ(r.reason, StopReason::TimeBudget);
  EXPECT_EQ(r.samples_ms.size(), 4u);
}

// Up to 64 samples the noise test runs after every sample, so the loop stops exactly at the first
// count that meets the target. 1%: σ = 0.1·√(2/3) (every sample inside the fence) puts the first
// hit near 27 samples, inside that range.
TEST(MeasureLoop, StopsAtTheFirstSampleCountThatMeetsTheTarget) {
  Fake f{{1.9, 2.1, 2.0}};
  TimingPolicy p = quick();
  p.target_rel_noise = 0.01;
  const LoopResult r = run_measure_loop(p, f.hooks());
  ASSERT_EQ(r.reason, StopReason::Converged);
  // The rule, applied by brute force to every prefix: the loop must stop at the first hit.
  size_t expected = 0;
  for (size_t n = 1; n <= 1000 && !expected; ++n) {
    std::vector<double> prefix;
    for (size_t i = 0; i < n; ++i) prefix.push_back(f.cycle[i % 3]);
    if (should_stop(p, summarize(prefix), 0, 0) == StopReason::Converged) expected = n;
  }
  ASSERT_GT(expected, 10u);  // the test means something only if noise, not min_samples, decided
  ASSERT_LE(expected, 64u);  // ... and the loop tested every sample count up to it
  EXPECT_EQ(r.samples_ms.size(), expected);
  EXPECT_LE(r.stats.rel_noise, 0.01);
}

TEST(MeasureLoop, LargeSampleCountsOvershootLittle) {
  // Beyond 64 samples the noise test runs every n/32 samples: at most ~3% more samples than
  // checking after every one would take.
  Fake f{{1.0, 1.1, 1.2}};
  TimingPolicy p = quick();
  p.max_samples = 100000;
  p.target_rel_noise = 0.005;
  const LoopResult r = run_measure_loop(p, f.hooks());
  ASSERT_EQ(r.reason, StopReason::Converged);
  size_t first = 0;
  std::vector<double> prefix;
  for (size_t n = 1; n <= 5000 && !first; ++n) {
    prefix.push_back(f.cycle[(n - 1) % 3]);
    if (n >= 10 && summarize(prefix).rel_noise <= p.target_rel_noise) first = n;
  }
  ASSERT_GT(first, 64u);
  EXPECT_GE(r.samples_ms.size(), first);
  EXPECT_LE(r.samples_ms.size(), first + first / 32 + 1);
}

TEST(MeasureLoop, WarmupIsNotCounted) {
  Fake f{{2.0}};
  int64_t warm = 0;
  TimingPolicy p = quick();
  p.warmup_launches = 3;
  LoopHooks h = f.hooks();
  auto inner = h.sample_ms;
  h.sample_ms = [&] {
    if (warm < 3) {
      ++warm;
      inner();
      return 1000.0;  // a slow first launch must not pollute the statistics
    }
    return inner();
  };
  const LoopResult r = run_measure_loop(p, h);
  EXPECT_EQ(f.calls, 13);
  EXPECT_EQ(r.samples_ms.size(), 10u);
  EXPECT_DOUBLE_EQ(r.stats.max_ms, 2.0);
}

// Warm-up counts against --max-time: 1000 warm-ups of 1 s each stop after the 2 s budget,
// and one sample is still taken so that the result has a time.
TEST(MeasureLoop, WarmupStopsAtTheTimeBudget) {
  Fake f{{1.0}};
  f.wall_per_sample_s = 1;
  TimingPolicy p = quick();
  p.warmup_launches = 1000;
  p.max_time_s = 2;
  LoopHooks h = f.hooks();
  // The caller learns where counted sampling begins (it reads clocks from there), though the
  // warm-up stopped after 2 of its 1000 launches.
  int calls_at_start = -1;
  h.sampling_started = [&] { calls_at_start = f.calls; };
  const LoopResult r = run_measure_loop(p, h);
  EXPECT_EQ(f.calls, 3);
  EXPECT_EQ(calls_at_start, 2);
  EXPECT_EQ(r.samples_ms.size(), 1u);
  EXPECT_EQ(r.reason, StopReason::TimeBudget);
}

TEST(MeasureLoop, AbortStopsAndSaysSo) {
  Fake f{{1.0, 3.0}};
  LoopHooks h = f.hooks();
  h.should_abort = [&] { return f.calls >= 5; };
  const LoopResult r = run_measure_loop(quick(), h);
  EXPECT_TRUE(r.aborted);
  EXPECT_EQ(r.reason, StopReason::NotYet);
  EXPECT_EQ(r.samples_ms.size(), 5u);
  EXPECT_EQ(r.stats.samples, 5);
}

}  // namespace
}  // namespace tb::timing
