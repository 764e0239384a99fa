// The stopping rule on hand-made statistics: every reason, and the refusals of bad flags.
#include <gtest/gtest.h>

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
  EXPECT_NO_THROW(validate(policy()));
}

}  // namespace
}  // namespace tb::timing
