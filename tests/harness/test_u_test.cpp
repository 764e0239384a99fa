// Mann-Whitney U test: hand-computed U values, exact p-values checked against brute-force
// enumeration of every split, and the normal approximation on large separated samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/compare/u_test.hpp"

using tb::compare::mann_whitney_u;

namespace {

// a's U over b (a tie counts ½) for every deal of the pooled values to sides of a's and b's sizes,
// and for the deal observed.
struct Deals {
  double observed = 0;
  std::vector<double> u;
};
Deals every_deal(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  const size_t m = a.size(), total = pooled.size();
  auto u_of = [&](const std::vector<bool>& in_a) {
    double u = 0;
    for (size_t i = 0; i < total; ++i)
      for (size_t j = 0; j < total; ++j)
        if (in_a[i] && !in_a[j]) u += pooled[i] > pooled[j] ? 1.0 : (pooled[i] == pooled[j] ? 0.5 : 0.0);
    return u;
  };
  std::vector<bool> mask(total, false);
  std::fill(mask.begin(), mask.begin() + static_cast<long>(m), true);
  Deals d;
  d.observed = u_of(mask);
  std::sort(mask.begin(), mask.end());
  do d.u.push_back(u_of(mask));
  while (std::next_permutation(mask.begin(), mask.end()));
  return d;
}

// P-value by definition: the fraction of all deals whose U is at least as extreme (two-sided:
// min(U, mn−U) ≤ observed).
double brute_force_p(const std::vector<double>& a, const std::vector<double>& b) {
  const Deals d = every_deal(a, b);
  const double mn = static_cast<double>(a.size() * b.size());
  const double extreme = std::min(d.observed, mn - d.observed);
  const auto hits = std::count_if(d.u.begin(), d.u.end(), [&](double u) { return std::min(u, mn - u) <= extreme + 1e-12; });
  return static_cast<double>(hits) / static_cast<double>(d.u.size());
}

// The exact p with ties, by definition: the share of deals with a's U at most the observed one
// and at least it; twice the smaller.
double brute_force_tails_p(const std::vector<double>& a, const std::vector<double>& b) {
  const Deals d = every_deal(a, b);
  const auto below = std::count_if(d.u.begin(), d.u.end(), [&](double u) { return u <= d.observed + 1e-12; });
  const auto above = std::count_if(d.u.begin(), d.u.end(), [&](double u) { return u >= d.observed - 1e-12; });
  return std::min(1.0, 2.0 * static_cast<double>(std::min(below, above)) / static_cast<double>(d.u.size()));
}

}  // namespace

TEST(UTest, CompletelySeparatedSmallSamplesHaveTheExactMinimumPValue) {
  // U = 0; only 1 of C(6,3) = 20 splits is this extreme on each side: p = 2/20.
  const auto r = mann_whitney_u(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u_a, 0.0);
  EXPECT_DOUBLE_EQ(r.u_b, 9.0);
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);
  // Five against five: 2 / C(10,5) = 2/252.
  const auto r5 = mann_whitney_u(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{6, 7, 8, 9, 10});
  EXPECT_NEAR(r5.p_value, 2.0 / 252.0, 1e-12);
  EXPECT_LT(r5.p_value, 0.01);
}

TEST(UTest, HandComputedUValues) {
  // a = {1, 2, 4}, b = {3, 5}: only 4 > 3, so U_a = 1 and U_b = 6 − 1 = 5. The U distribution
  // for sizes 3 and 2 counts 1,1,2,2,2,1,1 over U = 0..6, so P(U ≤ 1) = 2/10 and p = 0.4.
  const auto r = mann_whitney_u(std::vector<double>{1, 2, 4}, std::vector<double>{3, 5});
  EXPECT_DOUBLE_EQ(r.u_a, 1.0);
  EXPECT_DOUBLE_EQ(r.u_b, 5.0);
  EXPECT_NEAR(r.p_value, 0.4, 1e-12);
  // Ties count one half: a = {1, 2, 2}, b = {2, 3}: 2 vs 2 twice gives U_a = 1.
  const auto t = mann_whitney_u(std::vector<double>{1, 2, 2}, std::vector<double>{2, 3});
  EXPECT_DOUBLE_EQ(t.u_a, 1.0);
  // With a tie the test stays exact, over the midranks 1, 3, 3, 3, 5: a's sum is 7. Of the
  // C(5,3) = 10 deals, a takes the 1 and two 2s in 3 ways (sum 7), the 1, a 2 and the 3 in 3 (9),
  // the three 2s in 1 (9), two 2s and the 3 in 3 (11): P(W <= 7) = 3/10, P(W >= 7) = 1, and the
  // two-sided p is twice the smaller tail, 0.6 (the normal form said 0.333).
  EXPECT_TRUE(t.exact);
  EXPECT_NEAR(t.p_value, 0.6, 1e-12);
}

TEST(UTest, ExactPValueMatchesBruteForceEnumeration) {
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {{0.3, 1.7, 2.2, 5.1}, {0.9, 3.3, 4.4, 6.0, 7.2}},
      {{10.1, 10.4, 10.2, 10.9, 10.3, 10.8}, {10.5, 10.6, 11.0, 11.2, 10.7, 11.4}},
      {{1, 5, 9}, {2, 3, 4, 6, 7, 8}},
  };
  for (const auto& [a, b] : cases) {
    const auto r = mann_whitney_u(a, b);
    EXPECT_TRUE(r.exact);
    EXPECT_NEAR(r.p_value, brute_force_p(a, b), 1e-12);
  }
}

TEST(UTest, IdenticalSampleSetsShowNoDifference) {
  const std::vector<double> a = {1.00, 1.02, 0.99, 1.01, 1.03, 0.98, 1.00, 1.02};
  const auto r = mann_whitney_u(a, a);
  EXPECT_DOUBLE_EQ(r.u_a, r.u_b);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0);
  const std::vector<double> flat(10, 2.5);
  EXPECT_DOUBLE_EQ(mann_whitney_u(flat, flat).p_value, 1.0);
}

TEST(UTest, ClearlyShiftedLargeSamplesUseTheNormalApproximation) {
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(1.0 + 0.001 * i);
    b.push_back(1.1 + 0.001 * i);
  }
  const auto r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  // Every b exceeds every a: U_a = 0, U_b = 1600. z = (800 − 0 − 0.5) / sqrt(40·40·81/12) =
  // 799.5 / 103.923 = 7.693192, p = 2·Q(z) = erfc(z/√2) = 1.4350853e-14.
  EXPECT_DOUBLE_EQ(r.u_a, 0.0);
  EXPECT_NEAR(r.p_value, 1.4350853e-14, 1e-20);
  // Symmetric in its arguments.
  const auto s = mann_whitney_u(b, a);
  EXPECT_DOUBLE_EQ(s.p_value, r.p_value);
  EXPECT_DOUBLE_EQ(s.u_a, r.u_b);
}

// With ties the exact p is twice the smaller tail of a's U over every deal of the pooled values,
// counted here by enumeration. a = {0, 2, ..., 18}, b = {4, 5.1, 7.1, ..., 21.1} (4 ties a's 4):
// U_a = 35.5, U_b = 64.5 by hand (7 a's above 4 plus 0.5 for 4 = 4, 7 above 5.1, then 6, 5, 4, 3,
// 2, 1, 0, 0). Repeated run medians (7 a side, one value each side) stay exact too: apart, one deal
// in each tail, 2 / C(14, 7).
TEST(UTest, TiesKeepTheTestExact) {
  std::vector<double> a, b;
  for (int i = 0; i < 10; ++i) {
    a.push_back(2.0 * i);
    b.push_back(2.0 * i + 3.1);
  }
  b[0] = 4.0;
  const auto r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u_a, 35.5);
  EXPECT_DOUBLE_EQ(r.u_b, 64.5);
  EXPECT_NEAR(r.p_value, brute_force_tails_p(a, b), 1e-12);
  for (const auto& [x, y] : std::vector<std::pair<std::vector<double>, std::vector<double>>>{
           {{1, 2, 2, 3, 3}, {2, 3, 4, 4, 4}}, {{1, 1, 1, 2}, {1, 2, 2, 2}}, {{5, 5, 6}, {5, 7, 7, 7}}})
    EXPECT_NEAR(mann_whitney_u(x, y).p_value, brute_force_tails_p(x, y), 1e-12);
  const std::vector<double> ones(7, 0.34), others(7, 0.38);
  EXPECT_NEAR(mann_whitney_u(ones, others).p_value, 2.0 / 3432, 1e-15);
  EXPECT_DOUBLE_EQ(mann_whitney_u(ones, ones).p_value, 1.0);
  // Beyond 30 a side the normal form with the tie correction: 31 ones against 31 twos, U = 0,
  // var U = 31·31/12 · (63 − 2·(31³ − 31)/(62·61)), z = (480.5 − 0.5)/sqrt(var U).
  const std::vector<double> many_ones(31, 1.0), many_twos(31, 2.0);
  const auto n = mann_whitney_u(many_ones, many_twos);
  EXPECT_FALSE(n.exact);
  const double var = 31.0 * 31.0 / 12.0 * (63.0 - 2.0 * (31.0 * 31.0 * 31.0 - 31.0) / (62.0 * 61.0));
  EXPECT_NEAR(n.p_value, std::erfc(480.0 / std::sqrt(var) / std::sqrt(2.0)), 1e-15);
}

TEST(UTest, EmptyInputIsAUsageError) {
  EXPECT_THROW(mann_whitney_u(std::vector<double>{}, std::vector<double>{1.0}), tb::UsageError);
}
