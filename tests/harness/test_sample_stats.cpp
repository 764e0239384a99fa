// Statistics on synthetic samples whose answers are worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/timing/sample_stats.hpp"

namespace tb::timing {
namespace {

TEST(SampleStats, OddCountByHand) {
  const std::vector<double> s{5, 1, 4, 2, 3};  // unsorted on purpose
  const SampleStats st = summarize(s);
  EXPECT_EQ(st.samples, 5);
  EXPECT_DOUBLE_EQ(st.median_ms, 3);
  EXPECT_DOUBLE_EQ(st.mean_ms, 3);
  EXPECT_DOUBLE_EQ(st.min_ms, 1);
  EXPECT_DOUBLE_EQ(st.max_ms, 5);
  // numpy.percentile([1,2,3,4,5], 10) = 1.4 (position 0.1·4 = 0.4); 90th: position 3.6 → 4.6.
  EXPECT_DOUBLE_EQ(st.p10_ms, 1.4);
  EXPECT_DOUBLE_EQ(st.p90_ms, 4.6);
  // Σ(x−3)² = 4+1+0+1+4 = 10, over n−1 = 4: variance 2.5.
  EXPECT_DOUBLE_EQ(st.stddev_ms, std::sqrt(2.5));
  EXPECT_DOUBLE_EQ(st.rel_stddev, std::sqrt(2.5) / 3);
  // Standard error of the median: √(π/2)·σ/√n, relative to the median.
  EXPECT_NEAR(st.rel_noise, std::sqrt(M_PI / 2) * std::sqrt(2.5) / (std::sqrt(5.0) * 3), 1e-12);
}

TEST(SampleStats, EvenCountInterpolates) {
  const SampleStats st = summarize(std::vector<double>{4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(st.median_ms, 2.5);
  EXPECT_DOUBLE_EQ(st.p10_ms, 1.3);  // position 0.3
  EXPECT_DOUBLE_EQ(st.p90_ms, 3.7);  // position 2.7
  EXPECT_DOUBLE_EQ(st.mean_ms, 2.5);
  EXPECT_DOUBLE_EQ(st.stddev_ms, std::sqrt(5.0 / 3));  // Σ(x−2.5)² = 5
}

TEST(SampleStats, ConstantSamplesHaveNoNoise) {
  const SampleStats st = summarize(std::vector<double>(20, 0.75));
  EXPECT_DOUBLE_EQ(st.median_ms, 0.75);
  EXPECT_DOUBLE_EQ(st.stddev_ms, 0);
  EXPECT_DOUBLE_EQ(st.rel_noise, 0);
}

TEST(SampleStats, OneAndZeroSamples) {
  const SampleStats one = summarize(std::vector<double>{2});
  EXPECT_EQ(one.samples, 1);
  EXPECT_DOUBLE_EQ(one.median_ms, 2);
  EXPECT_DOUBLE_EQ(one.p10_ms, 2);
  EXPECT_DOUBLE_EQ(one.stddev_ms, 0);
  const SampleStats none = summarize(std::vector<double>{});
  EXPECT_EQ(none.samples, 0);
  EXPECT_DOUBLE_EQ(none.median_ms, 0);
}

TEST(SampleStats, NoiseShrinksAsOneOverRootN) {
  // The same spread with 4× the samples: the estimate's noise halves (nearly: n−1 vs n).
  std::vector<double> a, b;
  for (int i = 0; i < 100; ++i) a.push_back(i % 2 ? 1.1 : 0.9);
  for (int i = 0; i < 400; ++i) b.push_back(i % 2 ? 1.1 : 0.9);
  const double ratio = summarize(a).rel_noise / summarize(b).rel_noise;
  EXPECT_NEAR(ratio, 2.0, 0.01);
}

TEST(SampleStats, QuantileEndpoints) {
  const std::vector<double> sorted{1, 2, 10};
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 1), 10);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.75), 6);  // position 1.5
}

}  // namespace
}  // namespace tb::timing
