// Statistics on synthetic samples whose answers are worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
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
  // |x − 3| = {2, 1, 0, 1, 2}: MAD 1.
  EXPECT_DOUBLE_EQ(st.mad_ms, 1);
  EXPECT_EQ(st.outliers, 0);
  // Fence ±5·1.4826: every sample inside, so σ̂ is the classic σ and the standard error of the
  // median √(π/2)·σ/√n, relative to the median.
  EXPECT_NEAR(st.rel_noise, std::sqrt(M_PI / 2) * std::sqrt(2.5) / (std::sqrt(5.0) * 3), 1e-12);
}

// One sample 33× the median. Median 3, |x − 3| = {2, 1, 0, 1, 97}: MAD 1, the fence 3 ± 5·1.4826
// = [−4.41, 10.41]: 100 is the one outlier. Inside, {1, 2, 3, 4}: mean 2.5, σ = √(5/3); rel_noise
// = 1.2533·√(5/3)/(√4·3) = 0.2697. The classic σ is 43.6 (Σ(x − 22)² = 7610 over 4) and would have
// made it 8.15.
TEST(SampleStats, OneHugeSampleByHand) {
  const SampleStats st = summarize(std::vector<double>{4, 100, 1, 3, 2});
  EXPECT_DOUBLE_EQ(st.median_ms, 3);
  EXPECT_DOUBLE_EQ(st.mad_ms, 1);
  EXPECT_NEAR(fence_half_width_ms(st), 5 * 1.4826, 1e-3);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * std::sqrt(5.0 / 3) / (2 * 3), 1e-12);
  EXPECT_NEAR(st.rel_noise, 0.2697, 1e-4);
  EXPECT_DOUBLE_EQ(st.stddev_ms, std::sqrt(7610.0 / 4));  // kept: the classic spread
  EXPECT_EQ(st.outliers, 1);
}

// An even count: the median and the MAD interpolate alike. {1, 2, 4, 10}: median 3; |x − 3| =
// {2, 1, 1, 7} sorted {1, 1, 2, 7}: MAD 1.5, fence 3 + 5·1.4826·1.5 = 14.1: no outlier.
TEST(SampleStats, EvenCountMadInterpolates) {
  const SampleStats st = summarize(std::vector<double>{10, 1, 4, 2});
  EXPECT_DOUBLE_EQ(st.median_ms, 3);
  EXPECT_DOUBLE_EQ(st.mad_ms, 1.5);
  EXPECT_EQ(st.outliers, 0);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * st.stddev_ms / (2 * 3), 1e-12);
}

// Normal samples: nothing lies beyond 5σ, so the noise is the classic one (to the samples beyond
// the fence, expected 6e-4 of one), and 1.4826·MAD estimates the same σ (within 20%; MAD's own
// sampling error at n = 2000 is about 3%).
TEST(SampleStats, NormalSamplesRobustAndClassicAgree) {
  std::mt19937_64 rng(20240607);
  std::normal_distribution<double> jitter(0.0, 0.02);
  std::vector<double> s;
  for (int i = 0; i < 2000; ++i) s.push_back(1.0 + jitter(rng));
  const SampleStats st = summarize(s);
  const double classic_rel_noise = 1.2533141373155 * st.stddev_ms / (std::sqrt(2000.0) * st.median_ms);
  EXPECT_NEAR(st.rel_noise / classic_rel_noise, 1.0, 1e-9);
  EXPECT_NEAR(kMadToSigma * st.mad_ms, 0.02, 0.02 * 0.2);
  EXPECT_EQ(st.outliers, 0);  // beyond 5σ in 2000 normal samples: expected 6e-4 of one
}

// One sample 100× slower among 50 quiet ones: the classic spread jumps 100-fold, the median's
// noise barely moves, and the slow one is counted.
TEST(SampleStats, OneHundredfoldSampleBarelyMovesTheNoise) {
  std::vector<double> quiet;
  for (int i = 0; i < 50; ++i) quiet.push_back(1.0 + 0.01 * ((i * 37) % 11 - 5) / 5.0);  // ±1%, spread out
  std::vector<double> spiked = quiet;
  spiked.push_back(100.0);
  const SampleStats a = summarize(quiet), b = summarize(spiked);
  EXPECT_EQ(a.outliers, 0);
  EXPECT_EQ(b.outliers, 1);
  EXPECT_GT(b.rel_stddev, 50 * a.rel_stddev);
  EXPECT_NEAR(b.rel_noise / a.rel_noise, 1.0, 0.15);
  EXPECT_LT(b.rel_noise, 0.01);  // still under the stopping rule's default target
}

// More than half the samples on one value (a coarse timer): MAD is 0, but the samples vary, so the
// fence comes from the central 80% ({1 ×6, 1.5 ×2, 2 ×2}: p10 = 1, p90 = 2, 5σ̂ = 5/2.5631 = 1.95)
// and holds them all: the noise is the classic one, far from 0.
TEST(SampleStats, MadOfZeroFencesWithTheCentralEightyPercent) {
  const std::vector<double> s{1, 1, 1, 1, 1, 1, 1.5, 1.5, 2, 2};
  const SampleStats st = summarize(s);
  EXPECT_DOUBLE_EQ(st.mad_ms, 0);
  EXPECT_DOUBLE_EQ(st.p10_ms, 1);
  EXPECT_DOUBLE_EQ(st.p90_ms, 2);
  EXPECT_NEAR(fence_half_width_ms(st), 5 / 2.5631, 1e-4);
  EXPECT_EQ(st.outliers, 0);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * st.stddev_ms / (std::sqrt(10.0) * 1), 1e-12);
  EXPECT_GT(st.rel_noise, 0.1);
}

// Even the central 80% on one value: 19 samples of 2.0 and one of 100 (a hiccup). The fence falls
// back to 5% of the median, so the hiccup is counted and the noise of the median, pinned at 2.0
// by 19 of 20 samples, is 0: converged, rightly. The classic σ (21.9) would have set a fence
// at 111.6 and hidden the hiccup behind itself.
TEST(SampleStats, CentralEightyPercentOnOneTickCountsTheHiccup) {
  std::vector<double> s(19, 2.0);
  s.push_back(100.0);
  const SampleStats st = summarize(s);
  EXPECT_DOUBLE_EQ(st.mad_ms, 0);
  EXPECT_DOUBLE_EQ(st.p90_ms, st.p10_ms);
  EXPECT_DOUBLE_EQ(fence_half_width_ms(st), 0.05 * 2.0);
  EXPECT_EQ(st.outliers, 1);
  EXPECT_DOUBLE_EQ(st.rel_noise, 0);
}

// The fence is median + 5σ̂: a sample just beyond it counts, one just inside does not.
TEST(SampleStats, OutlierFenceIsFiveRobustSigmas) {
  // {1, 2, 3, 4, x}: median 3, MAD 1 while x ≥ 4, so the fence is 3 + 5·1.4826 = 10.413.
  const double fence = 3 + kOutlierSigmas * kMadToSigma;
  EXPECT_EQ(summarize(std::vector<double>{1, 2, 3, 4, fence + 0.01}).outliers, 1);
  EXPECT_EQ(summarize(std::vector<double>{1, 2, 3, 4, fence - 0.01}).outliers, 0);
  // Only slow samples count: a fast one is no interruption.
  EXPECT_EQ(summarize(std::vector<double>{-100, 2, 3, 4, 5}).outliers, 0);
}

// ... and never closer than 5% of the median: a kernel steady to 0.1% (MAD 0.001 around 1.0,
// 5σ̂ = 0.0074) with samples 1%, 3% and 6% slow counts only the last.
TEST(SampleStats, OutlierFenceIsAtLeastFivePercent) {
  std::vector<double> s;
  for (int i = 0; i < 40; ++i) s.push_back(1.0 + 0.001 * ((i % 3) - 1));
  for (double slow : {1.01, 1.03, 1.06}) s.push_back(slow);
  const SampleStats st = summarize(s);
  EXPECT_DOUBLE_EQ(fence_half_width_ms(st), 0.05 * st.median_ms);
  EXPECT_EQ(st.outliers, 1);
}

// Two modes: 55% of samples at 1.0 (±1%) and 45% at 2.7 (a clock that steps, a neighbour busy
// half the time). The fast mode's spread alone would read under 1% and "converge" on a median
// that can land in either mode; beyond kModalFraction outside the fence, the order statistics at
// n/2 ± 1.5√n straddle both modes and the noise says so.
TEST(SampleStats, TwoModesAreNoisyNotConverged) {
  std::vector<double> s;
  for (int i = 0; i < 77; ++i) s.push_back(1.0 + 0.01 * ((i * 37) % 11 - 5) / 5.0);
  for (int i = 0; i < 63; ++i) s.push_back(2.7 + 0.01 * ((i * 13) % 7 - 3) / 3.0);
  const SampleStats st = summarize(s);
  EXPECT_EQ(st.outliers, 63);
  EXPECT_GT(st.rel_noise, 0.1);
  // The spread of the order statistics: quantiles 0.5 ± 1.5/√140 = 0.373 .. 0.627, rank 87 of 139
  // past the fast mode's 77: hi is a 2.7 sample, lo a 1.0 one, so the error is about
  // (2.7 − 1.0)/6/1.0 = 0.28.
  EXPECT_NEAR(st.rel_noise, 1.7 / 6, 0.01);
}

// One hiccup in 20 is not a mode: the error stays that of the steady samples inside the fence.
TEST(SampleStats, FewHiccupsKeepTheSteadyError) {
  std::vector<double> s;
  for (int i = 0; i < 19; ++i) s.push_back(1.0 + 0.01 * ((i * 7) % 5 - 2) / 2.0);
  const SampleStats quiet = summarize(s);
  s.push_back(50.0);
  const SampleStats st = summarize(s);
  EXPECT_EQ(st.outliers, 1);
  // The same 19 inside, so the same σ and n; only the median moves (half a step between ranks).
  EXPECT_NEAR(st.rel_noise / quiet.rel_noise, 1.0, 0.01);
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
  EXPECT_DOUBLE_EQ(st.mad_ms, 0);
  EXPECT_EQ(st.outliers, 0);
  EXPECT_DOUBLE_EQ(st.rel_noise, 0);  // truly constant: every fallback is 0 too
}

TEST(SampleStats, OneAndZeroSamples) {
  const SampleStats one = summarize(std::vector<double>{2});
  EXPECT_EQ(one.samples, 1);
  EXPECT_DOUBLE_EQ(one.median_ms, 2);
  EXPECT_DOUBLE_EQ(one.p10_ms, 2);
  EXPECT_DOUBLE_EQ(one.stddev_ms, 0);
  EXPECT_DOUBLE_EQ(one.mad_ms, 0);
  EXPECT_FALSE(known_rel_noise(one));  // one sample: no spread to estimate, unknown
  EXPECT_TRUE(known_rel_noise(summarize(std::vector<double>{2, 3})));
  const SampleStats none = summarize(std::vector<double>{});
  EXPECT_EQ(none.samples, 0);
  EXPECT_DOUBLE_EQ(none.median_ms, 0);
}

TEST(SampleStats, NoiseShrinksAsOneOverRootN) {
  // The same spread with 4× the samples: the estimate's noise halves, but for σ's n − 1:
  // σ_100 = 0.1·√(100/99), σ_400 = 0.1·√(400/399).
  std::vector<double> a, b;
  for (int i = 0; i < 100; ++i) a.push_back(i % 2 ? 1.1 : 0.9);
  for (int i = 0; i < 400; ++i) b.push_back(i % 2 ? 1.1 : 0.9);
  const double ratio = summarize(a).rel_noise / summarize(b).rel_noise;
  EXPECT_NEAR(ratio, 2.0 * std::sqrt((100.0 / 99) / (400.0 / 399)), 1e-9);
}

TEST(SampleStats, QuantileEndpoints) {
  const std::vector<double> sorted{1, 2, 10};
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 1), 10);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.75), 6);  // position 1.5
}

}  // namespace
}  // namespace tb::timing
