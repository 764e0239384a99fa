// The stopping rule on hand-made statistics: every reason, and the refusals of bad flags.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/timing/stopping_rule.hpp"

namespace tb::timing {
namespace {

SampleStats stats(int64_t n, double rel_noise) {
  SampleStats s;
  s.samples = n;
  s.median_ms = 1;
  s.rel_noise = rel_noise;
  return s;
}

TimingPolicy policy() {
  TimingPolicy p;
  p.min_samples = 10;
  p.max_samples = 100;
  p.target_rel_noise = 0.01;
  p.min_time_s = 0.5;
  p.max_time_s = 15;
  return p;
}

TEST(StoppingRule, ConvergesAtMinSamplesWhenQuiet) {
  EXPECT_EQ(should_stop(policy(), stats(10, 0.001), 0.5, 0.6), StopReason::Converged);
  EXPECT_EQ(should_stop(policy(), stats(10, 0.01), 0.5, 0.6), StopReason::Converged);  // at the target
}

TEST(StoppingRule, NeedsMinSamplesAndMinTime) {
  EXPECT_EQ(should_stop(policy(), stats(9, 0.0), 5, 5), StopReason::NotYet);
  EXPECT_EQ(should_stop(policy(), stats(50, 0.0), 0.49, 5), StopReason::NotYet);
}

TEST(StoppingRule, ContinuesWhileNoisy) {
  EXPECT_EQ(should_stop(policy(), stats(50, 0.0101), 1, 1), StopReason::NotYet);
}

// 50 quiet samples (±1%) and one 100× slower (an OS hiccup): the median's robust noise is still
// far under 1%, so the rule converges; σ would have put it at 25% and sampled to the budget.
TEST(StoppingRule, ConvergesDespiteOneHugeSample) {
  std::vector<double> samples_ms;
  for (int i = 0; i < 50; ++i) samples_ms.push_back(1.0 + 0.01 * ((i * 37) % 11 - 5) / 5.0);
  samples_ms.push_back(100.0);
  const SampleStats s = summarize(samples_ms);
  EXPECT_EQ(should_stop(policy(), s, 0.5, 0.6), StopReason::Converged);
  const double classic_rel_noise = kMedianEfficiency * s.stddev_ms / (std::sqrt(51.0) * s.median_ms);
  EXPECT_GT(classic_rel_noise, 0.2);
  EXPECT_EQ(s.outliers, 1);
}

// A coarse timer (more than half the samples on one tick) gives MAD = 0: the rule must not take
// that for converged while the samples vary by ±10%.
TEST(StoppingRule, MadOfZeroIsNotConvergedWhenSamplesVary) {
  std::vector<double> samples_ms(12, 1.0);
  for (double x : {0.9, 1.1, 0.9, 1.1, 0.9, 1.1, 0.9, 1.1}) samples_ms.push_back(x);
  const SampleStats s = summarize(samples_ms);
  ASSERT_EQ(s.mad_ms, 0);
  EXPECT_EQ(should_stop(policy(), s, 0.5, 0.6), StopReason::NotYet);
}

TEST(StoppingRule, StopsAtMaxSamples) {
  EXPECT_EQ(should_stop(policy(), stats(100, 0.5), 1, 1), StopReason::MaxSamples);
}

TEST(StoppingRule, StopsAtTimeBudgetEvenBelowMinSamples) {
  EXPECT_EQ(should_stop(policy(), stats(3, 0.5), 15, 15), StopReason::TimeBudget);
  EXPECT_EQ(should_stop(policy(), stats(0, 0.5), 15, 15), StopReason::NotYet);  // never with no sample
}

TEST(StoppingRule, ReasonNames) {
  EXPECT_STREQ(to_string(StopReason::Converged), "converged");
  EXPECT_STREQ(to_string(StopReason::MaxSamples), "max_samples");
  EXPECT_STREQ(to_string(StopReason::TimeBudget), "time_budget");
}

TEST(StoppingRule, ValidateNamesTheFlag) {
  auto expect_refused = [](TimingPolicy p, const std::string& flag) {
    try {
      validate(p);
      FAIL() << "accepted a bad " << flag;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  TimingPolicy p = policy();
  p.max_samples = 5;
  expect_refused(p, "--max-samples");
  p = policy();
  p.min_samples = 0;
  expect_refused(p, "--min-samples");
  p = policy();
  p.target_rel_noise = 0;
  expect_refused(p, "--noise");
  p = policy();
  p.max_time_s = -1;
  expect_refused(p, "--max-time");
  p = policy();
  p.warmup_launches = -1;
  expect_refused(p, "--warmup");
  p = policy();
  p.warmup_launches = kMaxWarmupLaunches + 1;  // a billion warm-ups would ignore every budget
  expect_refused(p, "--warmup");
  p = policy();
  p.min_time_s = 5;  // above --max-time: the noise test could never stop
  p.max_time_s = 0.01;
  expect_refused(p, "--min-time");
  EXPECT_NO_THROW(validate(policy()));
}

// A run's budget shared out: 100 s over 25 kernels is 4 s each, capping a 15 s max-time; a
// 0.5 s min-time stays; a 10 s min-time would never let the noise test stop inside 4 s, so it
// drops to half the share.
TEST(StoppingRule, BudgetIsSharedOutAndCapsBothTimes) {
  TimingPolicy p = policy();
  p.max_time_s = 15;
  p.min_time_s = 0.5;
  TimingPolicy b = within_budget(p, 100, 25);
  EXPECT_DOUBLE_EQ(b.max_time_s, 4.0);
  EXPECT_DOUBLE_EQ(b.min_time_s, 0.5);
  EXPECT_EQ(b.min_samples, p.min_samples);
  p.min_time_s = 10;
  EXPECT_DOUBLE_EQ(within_budget(p, 100, 25).min_time_s, 2.0);
  // A generous budget changes nothing; an exhausted one still leaves each kernel a few samples.
  p.min_time_s = 0.5;
  EXPECT_DOUBLE_EQ(within_budget(p, 1e6, 25).max_time_s, 15.0);
  EXPECT_DOUBLE_EQ(within_budget(p, -3, 5).max_time_s, kMinShareS);
  EXPECT_DOUBLE_EQ(within_budget(p, 10, 0).max_time_s, 10.0);
  EXPECT_NO_THROW(validate(within_budget(p, -3, 5)));
}

}  // namespace
}  // namespace tb::timing
