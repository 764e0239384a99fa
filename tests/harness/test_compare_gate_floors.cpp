// The smallest p each test of the regression gate can reach, by hand, and the gates it decides:
// 6 runs a side over a `run` file's 24 items can never fail under Holm (2/924 = 0.00216 above
// 0.05/24 = 0.00208), so that gate is refused; 7 a side can (2/3432 = 0.00058), and does on a
// real 2x slowdown. A floor is taken from each side's own values, the other side past it; with
// the exact test up to 30 a side, ties or not, it is the counts' 2 / C(n_b + n_c, n_b).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/compare/multiple_testing.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "harness/compare/u_test.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

// `n` runs of the same work, each shifted as a whole by `shift` plus a run-to-run 0-1%.
std::vector<LabeledResults> runs(int n, uint32_t seed, double shift, const std::string& stem) {
  std::vector<LabeledResults> out;
  for (int i = 0; i < n; ++i) {
    SyntheticRunSpec spec;
    spec.seed = seed + static_cast<uint32_t>(i);
    spec.slow_kernel = "*";
    spec.slowdown = shift + 0.002 * i;
    out.push_back({fmt::format("{}{}.json", stem, i), synthetic_run(spec)});
  }
  return out;
}

// The two-sided normal approximation with tie and continuity corrections (Mann & Whitney 1947;
// scipy's mannwhitneyu), for two sides of one value each (every value tied within its side).
double tied_normal_p(double na, double nb) {
  const double n = na + nb;
  const double tie_term = (na * na * na - na) + (nb * nb * nb - nb);
  const double var = na * nb / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
  return std::erfc((na * nb / 2.0 - 0.5) / std::sqrt(var) / std::sqrt(2.0));
}

}  // namespace

// 2 / C(n + m, n): one arrangement in each tail of the C(n + m, n) equally likely under no change.
// C(10,5) = 252, C(12,6) = 924, C(14,7) = 3432.
TEST(CompareGateFloors, TheUTestsFloorsByHand) {
  EXPECT_NEAR(smallest_u_test_p(5, 5), 2.0 / 252, 1e-15);
  EXPECT_NEAR(smallest_u_test_p(6, 6), 2.0 / 924, 1e-15);
  EXPECT_NEAR(smallest_u_test_p(7, 7), 2.0 / 3432, 1e-15);
  EXPECT_NEAR(2.0 / 924, 0.0021645, 1e-7);
  EXPECT_GT(2.0 / 924, 0.05 / 24);   // 6 a side: short of Holm's first step over 24 items
  EXPECT_LE(2.0 / 924, 0.05 / 23);   // ... enough over 23
  EXPECT_LE(2.0 / 3432, 0.05 / 85);  // 7 a side: up to 85 items
  EXPECT_GT(2.0 / 3432, 0.05 / 86);

  // On values: untied, whatever they are, the exact floor.
  const std::vector<double> a{1.01, 1.2, 0.97, 1.05, 1.1, 0.99}, b{1.0, 1.3, 1.02, 0.98, 1.15, 1.07};
  EXPECT_NEAR(smallest_u_test_p(a, b), 2.0 / 924, 1e-15);
  // Every value tied within its side: the test stays exact, one deal in each tail: the same
  // floor (the tie-corrected normal form would put it at 0.00126 at 6 v 6, below what untied run
  // medians can reach, and call a gate that cannot fail one that can).
  const std::vector<double> ones(6, 1.0), twos(6, 2.0);
  EXPECT_NEAR(smallest_u_test_p(ones, twos), 2.0 / 924, 1e-15);
  EXPECT_NEAR(tied_normal_p(6, 6), 0.00126, 1e-5);
  EXPECT_NEAR(smallest_u_test_p(std::vector<double>(5, 1.0), std::vector<double>(5, 2.0)), 2.0 / 252, 1e-15);
  // A tie across the sides is no floor: {1, 2, 3} and {3, 4, 5} each keep their values and the
  // other side moves past them, as a slower night would: 2 / C(6, 3). An identical candidate (every
  // value one tick) likewise: its floor is the counts', not 1.
  const std::vector<double> lo{3, 1, 2}, hi{5, 3, 4};
  EXPECT_NEAR(smallest_u_test_p(lo, hi), 2.0 / 20, 1e-15);
  EXPECT_NEAR(smallest_u_test_p(ones, ones), 2.0 / 924, 1e-15);
  // Sides of unequal size: 2 / C(7, 2).
  EXPECT_NEAR(smallest_u_test_p(std::vector<double>{9, 8}, std::vector<double>{1, 2, 3, 4, 5}), 2.0 / 21, 1e-15);
  // Beyond 30 a side, the tie-corrected normal form on each side's own ties.
  EXPECT_NEAR(smallest_u_test_p(std::vector<double>(31, 1.0), std::vector<double>(31, 1.0)), tied_normal_p(31, 31),
              1e-15);
}

// The reviewer's case: 6 runs a side of a `run` file (23 kernels and the step, all in the Holm
// family with runs deciding). No data could fail it: refused, saying what would.
TEST(CompareGateFloors, SixRunsASideOver24ItemsIsRefused) {
  const auto base = runs(6, 1, 0.0, "base"), slow = runs(6, 101, 1.0, "slow");
  try {
    check_regressions(base, slow, {});
    ADD_FAILURE() << "a gate that can never fail passed (a 2x slowdown at 6 v 6 over 24 items)";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    for (const std::string needle :
         {"6 vs 6 run(s) a side, --alpha 0.05, --correction holm over 24 items", "no item can ever be found slower",
          "the smallest p their tests can give is 0.00216", "Holm's first step needs 0.00208 or less",
          "7 or more runs a side", "--correction none",
          // 0.5 / 24 = 0.0208 would reach 0.00216: a larger --alpha can help here.
          "or a larger --alpha (up to 0.5)"})
      EXPECT_NE(m.find(needle), std::string::npos) << needle << " in " << m;
  }
  // Item by item (--correction none) each can fail at 0.05: accepted, and the 2x is found.
  RegressionOptions none;
  none.correction = Correction::None;
  const auto r = check_regressions(base, slow, none);
  EXPECT_EQ(r.regressions(), static_cast<int>(r.items.size()));
  for (const auto& i : r.items) EXPECT_NEAR(*i.smallest_p_value, 2.0 / 924, 1e-15) << i.key;
}

// Three runs a side over 24 items: the smallest p is 1/20 = 0.05, and the largest --alpha, 0.5,
// asks 0.5 / 24 = 0.0208 of Holm's first step: no accepted alpha could help, so none is advised
// (it once was), at --alpha 0.05 or at 0.5 itself.
TEST(CompareGateFloors, ALargerAlphaIsAdvisedOnlyWhereItCouldHelp) {
  const auto base = runs(3, 1, 0.0, "base"), slow = runs(3, 101, 1.0, "slow");
  RegressionOptions largest;
  largest.alpha = kMaxAlpha;
  for (const RegressionOptions& o : {RegressionOptions{}, largest}) {
    try {
      check_regressions(base, slow, o);
      ADD_FAILURE() << "a gate that can never fail passed (3 v 3 over 24 items)";
    } catch (const tb::UsageError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("the smallest p their tests can give is 0.05"), std::string::npos) << m;
      EXPECT_EQ(m.find("--alpha ("), std::string::npos) << m;
      EXPECT_EQ(m.find("larger --alpha"), std::string::npos) << m;
    }
  }
}

// Seven a side: accepted; identical code passes and a real 2x slowdown fails every item, each at
// the floor the docs give, 2/3432, in the JSON too.
TEST(CompareGateFloors, SevenRunsASideCanFailOnARealSlowdown) {
  const auto base = runs(7, 1, 0.0, "base"), same = runs(7, 201, 0.0, "same"), slow = runs(7, 101, 1.0, "slow");
  const auto quiet = check_regressions(base, same, {});
  EXPECT_EQ(quiet.regressions(), 0);
  EXPECT_EQ(quiet.verdict(), "no_regression");
  EXPECT_EQ(quiet.family_size, 24);
  for (const auto& n : quiet.notes) EXPECT_EQ(n.find("can never be found slower"), std::string::npos) << n;

  const auto r = check_regressions(base, slow, {});
  EXPECT_EQ(r.regressions(), 24);
  EXPECT_EQ(r.verdict(), "regression");
  EXPECT_EQ(r.exit_code(), 1);
  const auto j = to_json(r);
  for (const auto& item : j.at("items")) {
    EXPECT_EQ(item.at("rule"), "u-test over runs");
    EXPECT_NEAR(item.at("smallest_p_value").get<double>(), 2.0 / 3432, 1e-15) << item.dump();
    EXPECT_NEAR(item.at("p_value").get<double>(), 2.0 / 3432, 1e-15);
    // Holm over 24 equal p-values: 24 · 2/3432 = 0.014 for each.
    EXPECT_NEAR(item.at("adjusted_p_value").get<double>(), 24 * 2.0 / 3432, 1e-12);
    EXPECT_EQ(item.at("verdict"), "slower");
  }
}

// 5 a side over 23 kernels (no step): refused with the exact floor 2/252 = 0.00794, as the docs'
// table gives it, and 6 runs a side as the advice (0.05/23 = 0.00217 >= 2/924).
TEST(CompareGateFloors, FiveRunsASideAreRefusedAtTheExactFloor) {
  auto base = runs(5, 1, 0.0, "b"), cur = runs(5, 11, 0.5, "c");
  for (auto* side : {&base, &cur})
    for (auto& f : *side) f.results.step.reset();
  try {
    check_regressions(base, cur, {});
    ADD_FAILURE() << "5 v 5 over 23 items passed";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("the smallest p their tests can give is 0.00794"), std::string::npos) << m;
    EXPECT_NE(m.find("6 or more runs a side"), std::string::npos) << m;
  }
}

// The raw-sample U test (one run a side) takes its floor from its samples too: untied samples,
// 2/252 at 5 v 5; samples quantized to a timer's tick, which tie, the same with the exact test.
TEST(CompareGateFloors, TheRawSampleUTestTakesItsFloorFromItsSamples) {
  const auto untied =
      decide("k", 1.0, 2.0, {1.0, 1.01, 0.99, 1.02, 0.98}, {2.0, 2.01, 1.99, 2.02, 1.98}, 0.01, 0.01, {});
  EXPECT_EQ(untied.rule, "u-test");
  EXPECT_NEAR(*untied.smallest_p_value, 2.0 / 252, 1e-15);
  EXPECT_NEAR(*untied.p_value, 2.0 / 252, 1e-15);
  const auto tied = decide("k", 1.0, 2.0, {1.0, 1.0, 1.0, 1.0, 1.0}, {2.0, 2.0, 2.0, 2.0, 2.0}, 0.01, 0.01, {});
  EXPECT_NEAR(*tied.smallest_p_value, 2.0 / 252, 1e-15);
  EXPECT_NEAR(*tied.p_value, *tied.smallest_p_value, 1e-15);  // wholly apart: at its floor
}
