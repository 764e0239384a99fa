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
  // Standard error of the median: √(π/2)·σ̂/√n, relative to the median, σ̂ = 1.4826·MAD.
  EXPECT_NEAR(st.rel_noise, std::sqrt(M_PI / 2) * 1.4826 / (std::sqrt(5.0) * 3), 1e-5);
}

// The brief's known answer: one sample 33× the median. Median 3, |x − 3| = {2, 1, 0, 1, 97}: MAD 1,
// σ̂ = 1.4826; rel_noise = 1.2533·1.4826/(√5·3) = 0.2770. σ is 43.6 (Σ(x − 22)² = 7610 over 4)
// and would have made it 8.15. The fence is 3 + 5·1.4826 = 10.4: 100 is the one outlier.
TEST(SampleStats, OneHugeSampleByHand) {
  const SampleStats st = summarize(std::vector<double>{4, 100, 1, 3, 2});
  EXPECT_DOUBLE_EQ(st.median_ms, 3);
  EXPECT_DOUBLE_EQ(st.mad_ms, 1);
  EXPECT_NEAR(robust_sigma_ms(st), 1.4826, 1e-5);
  EXPECT_NEAR(st.rel_noise, 1.2533 * 1.4826 / (std::sqrt(5.0) * 3), 1e-4);
  EXPECT_NEAR(st.rel_noise, 0.2770, 1e-4);
  EXPECT_DOUBLE_EQ(st.stddev_ms, std::sqrt(7610.0 / 4));  // kept: the classic spread
  EXPECT_EQ(st.outliers, 1);
}

// An even count: the median and the MAD interpolate alike. {1, 2, 4, 10}: median 3; |x − 3| =
// {2, 1, 1, 7} sorted {1, 1, 2, 7}: MAD 1.5.
TEST(SampleStats, EvenCountMadInterpolates) {
  const SampleStats st = summarize(std::vector<double>{10, 1, 4, 2});
  EXPECT_DOUBLE_EQ(st.median_ms, 3);
  EXPECT_DOUBLE_EQ(st.mad_ms, 1.5);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * kMadToSigma * 1.5 / (2 * 3), 1e-12);
}

// Normal samples: 1.4826·MAD and σ estimate the same σ, so the robust and the classic noise agree
// (within 20%; MAD's own sampling error at n = 2000 is about 3%).
TEST(SampleStats, NormalSamplesRobustAndClassicAgree) {
  std::mt19937_64 rng(20240607);
  std::normal_distribution<double> jitter(0.0, 0.02);
  std::vector<double> s;
  for (int i = 0; i < 2000; ++i) s.push_back(1.0 + jitter(rng));
  const SampleStats st = summarize(s);
  const double classic_rel_noise = 1.2533141373155 * st.stddev_ms / (std::sqrt(2000.0) * st.median_ms);
  EXPECT_NEAR(st.rel_noise / classic_rel_noise, 1.0, 0.2);
  EXPECT_NEAR(robust_sigma_ms(st), 0.02, 0.02 * 0.2);
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
// noise must not read 0. {1 ×6, 1.5 ×2, 2 ×2}: p10 = 1, p90 = 2, σ̂ = (2 − 1)/2.5631.
TEST(SampleStats, MadOfZeroFallsBackToTheCentralEightyPercent) {
  const std::vector<double> s{1, 1, 1, 1, 1, 1, 1.5, 1.5, 2, 2};
  const SampleStats st = summarize(s);
  EXPECT_DOUBLE_EQ(st.mad_ms, 0);
  EXPECT_DOUBLE_EQ(st.p10_ms, 1);
  EXPECT_DOUBLE_EQ(st.p90_ms, 2);
  EXPECT_NEAR(robust_sigma_ms(st), 1 / 2.5631, 1e-4);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * (1 / kInterdecileToSigma) / (std::sqrt(10.0) * 1), 1e-12);
  EXPECT_GT(st.rel_noise, 0.1);
}

// Even the central 80% on one value (19 of 20 samples alike): only σ measures the one that is not.
// It is what the estimator was before, and reads noisy rather than converged.
TEST(SampleStats, CentralEightyPercentOfZeroFallsBackToSigma) {
  std::vector<double> s(19, 2.0);
  s.push_back(3.0);
  const SampleStats st = summarize(s);
  EXPECT_DOUBLE_EQ(st.mad_ms, 0);
  EXPECT_DOUBLE_EQ(st.p90_ms, st.p10_ms);
  EXPECT_GT(st.stddev_ms, 0);
  EXPECT_DOUBLE_EQ(robust_sigma_ms(st), st.stddev_ms);
  EXPECT_NEAR(st.rel_noise, 1.2533141373155 * st.stddev_ms / (std::sqrt(20.0) * 2), 1e-12);
  EXPECT_GT(st.rel_noise, 0);
  // σ = √(19·0.05² + 0.95²)/√19 = 0.2236: the fence 2 + 5σ = 3.12 keeps 3.0 inside.
  EXPECT_EQ(st.outliers, 0);
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

// robust_sigma_ms reads recorded fields only: a reader of a results file gets the σ̂ behind the
// file's rel_noise back.
TEST(SampleStats, RobustSigmaIsRecoverableFromTheRecordedFields) {
  const SampleStats st = summarize(std::vector<double>{1, 1, 1, 1, 1, 1, 1.5, 1.5, 2, 2});
  SampleStats read;  // as results_io reads a file: no samples, the fields
  read.samples = st.samples;
  read.median_ms = st.median_ms;
  read.p10_ms = st.p10_ms;
  read.p90_ms = st.p90_ms;
  read.stddev_ms = st.stddev_ms;
  read.mad_ms = st.mad_ms;
  EXPECT_DOUBLE_EQ(robust_sigma_ms(read), robust_sigma_ms(st));
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
  // The same spread with 4× the samples: the estimate's noise halves (MAD is 0.1 for both).
  std::vector<double> a, b;
  for (int i = 0; i < 100; ++i) a.push_back(i % 2 ? 1.1 : 0.9);
  for (int i = 0; i < 400; ++i) b.push_back(i % 2 ? 1.1 : 0.9);
  const double ratio = summarize(a).rel_noise / summarize(b).rel_noise;
  EXPECT_NEAR(ratio, 2.0, 1e-9);
}

TEST(SampleStats, QuantileEndpoints) {
  const std::vector<double> sorted{1, 2, 10};
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 1), 10);
  EXPECT_DOUBLE_EQ(quantile_sorted(sorted, 0.75), 6);  // position 1.5
}

}  // namespace
}  // namespace tb::timing
