// Multiple comparisons in the regression gate (harness/compare/multiple_testing.hpp): Holm's
// adjusted p-values by hand, the smallest p each test can give, and the gate that uses both: one
// kernel that fails alone at alpha may not fail among 23, and a gate that can never fail is
// refused, saying how many runs would let it.
#include <gtest/gtest.h>

#include "tests/support/gate_items.hpp"

#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/multiple_testing.hpp"
#include "harness/compare/regression.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

using tb::testing::item;

}  // namespace

// Sorted, 0.005 < 0.01 < 0.03 < 0.04 (m = 4): 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06,
// 1 x 0.04 = 0.04, each raised to the largest before it: 0.02, 0.03, 0.06, 0.06, back in the
// input's order. At 0.05 Holm finds the two smallest and stops at 0.03, which alone would pass 0.05.
TEST(CompareMultipleTesting, HolmAdjustedPValuesByHand) {
  const auto adj = holm_adjusted({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adj.size(), 4u);
  EXPECT_NEAR(adj[0], 0.03, 1e-15);
  EXPECT_NEAR(adj[1], 0.06, 1e-15);
  EXPECT_NEAR(adj[2], 0.06, 1e-15);
  EXPECT_NEAR(adj[3], 0.02, 1e-15);
  // Capped at 1: 2 x 0.5 = 1, and 0.6 after it is raised to that 1.
  EXPECT_EQ(holm_adjusted({0.6, 0.5}), (std::vector<double>{1.0, 1.0}));
  // Ties: 3 x 0.01 = 0.03 for the first, 2 x 0.01 = 0.02 raised to 0.03 for the second.
  EXPECT_EQ(holm_adjusted({0.01, 0.01, 0.9}), (std::vector<double>{0.03, 0.03, 0.9}));
  EXPECT_TRUE(holm_adjusted({}).empty());
  EXPECT_EQ(adjusted({0.01, 0.04}, Correction::None), (std::vector<double>{0.01, 0.04}));
  EXPECT_EQ(adjusted({0.01, 0.04}, Correction::Holm), (std::vector<double>{0.02, 0.04}));
}

TEST(CompareMultipleTesting, CorrectionIsParsedOrRefusedNamingTheAcceptedValues) {
  EXPECT_EQ(parse_correction("holm", "--correction"), Correction::Holm);
  EXPECT_EQ(parse_correction("none", "--correction"), Correction::None);
  try {
    parse_correction("bonferroni", "--correction");
    ADD_FAILURE() << "bonferroni accepted";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("--correction 'bonferroni'"), std::string::npos) << m;
    EXPECT_NE(m.find("accepted values: holm"), std::string::npos) << m;
    EXPECT_NE(m.find("none"), std::string::npos) << m;
  }
}

// Exact tests have a floor: the U test two-sided 2 / C(n_a + n_b, n_a), run ranges one-sided
// 1 / C(n_b + n_c, n_b). C(6,3) = 20, C(8,4) = 70, C(8,3) = 56, C(10,5) = 252, C(12,6) = 924,
// C(14,7) = 3432.
TEST(CompareMultipleTesting, SmallestPValuesOfTheExactTests) {
  EXPECT_NEAR(smallest_u_test_p(5, 5), 2.0 / 252, 1e-15);
  EXPECT_NEAR(smallest_u_test_p(7, 7), 2.0 / 3432, 1e-15);
  // Each side one value: the exact test with ties, one deal in each tail, 2 / C(10, 5) still.
  EXPECT_NEAR(smallest_u_test_p(std::vector<double>(5, 0.0), std::vector<double>(5, 1.0)), 2.0 / 252, 1e-15);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(3, 3, 5), 1.0 / 20);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(4, 4, 5), 1.0 / 70);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(3, 5, 5), 1.0 / 56);  // 5 on one side only: still run ranges
  EXPECT_NEAR(smallest_p_over_runs(5, 5, 5), 2.0 / 252, 1e-15);
  EXPECT_NEAR(smallest_p_over_runs(6, 6, 5), 2.0 / 924, 1e-15);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(2, 5, 5), 1.0);  // below 3 a side the runs do not decide
  // A `run` file's 23 kernels and its step at alpha 0.05 under Holm: the first step asks for
  // 0.05 / 24 = 0.00208; 6 a side give at best 2/924 = 0.00216 (short), 7 give 2/3432 = 0.00058.
  EXPECT_EQ(runs_needed(24, 0.05, Correction::Holm, 5), 7);
  // 23 items: 0.05 / 23 = 0.00217 >= 0.00216, so 6 suffice.
  EXPECT_EQ(runs_needed(23, 0.05, Correction::Holm, 5), 6);
  EXPECT_EQ(runs_needed(24, 0.05, Correction::None, 5), 3);  // 1/20 <= 0.05
  // Alone at 0.01: 1/20 and 1/70 are above it, 2/252 = 0.0079 is not.
  EXPECT_EQ(runs_needed(1, 0.01, Correction::None, 5), 5);
}

// Five samples a side: the U test's best p is 2/252 = 0.00794. A kernel 20% slower with 1% noise
// lies wholly apart, so its p is exactly that: below alpha 0.05 alone, but Holm over the 23
// kernels asks 0.05/23 = 0.00217 of the first; its adjusted p is 23 x 2/252 = 0.1825. The step
// (noise bands, outside the family) can still fail, so the gate judges, and notes the kernels
// that never can.
TEST(CompareMultipleTesting, OneKernelOfManyIsHeldToTheFamilysLevel) {
  SyntheticRunSpec base, cur;
  base.samples = cur.samples = 5;
  cur.seed = 9;
  cur.slow_kernel = "qkv.fwd";
  cur.slowdown = 0.2;
  const LabeledResults b{"base.json", synthetic_run(base)}, c{"cur.json", synthetic_run(cur)};
  RegressionOptions none;
  none.correction = Correction::None;
  const auto alone = check_regressions(b, c, none);
  EXPECT_NEAR(*item(alone, "qkv.fwd").p_value, 2.0 / 252, 1e-12);
  EXPECT_NEAR(*item(alone, "qkv.fwd").adjusted_p_value, 2.0 / 252, 1e-12);
  EXPECT_EQ(item(alone, "qkv.fwd").verdict, Verdict::Slower);

  const auto holm = check_regressions(b, c, {});
  EXPECT_EQ(holm.family_size, 23);  // the kernels; the step has no p-value
  const auto& v = item(holm, "qkv.fwd");
  EXPECT_NEAR(*v.p_value, 2.0 / 252, 1e-12);  // the raw p is kept
  EXPECT_NEAR(*v.adjusted_p_value, 23 * 2.0 / 252, 1e-12);
  // Its samples do not tie: its floor is the exact 2/252, above Holm's 0.05 / 23 = 0.00217, so
  // this item can never be found slower; its +19% is seen, not confirmed: unjudged, never "same".
  EXPECT_NEAR(*v.smallest_p_value, 2.0 / 252, 1e-15);
  EXPECT_EQ(v.verdict, Verdict::Unjudged) << v.explanation;
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  EXPECT_NE(v.explanation.find("Holm-adjusted p = 0.183 over 23 items > alpha 0.05"), std::string::npos)
      << v.explanation;
  EXPECT_FALSE(item(holm, "step").in_family());
  bool named = false, banded = false;
  for (const auto& note : holm.notes) {
    named |= note.find("23 of 23 items judged by a p-value can never be found slower") != std::string::npos;
    banded |= note.find("step judged by 2-standard-error bands") != std::string::npos;
  }
  EXPECT_TRUE(named);
  EXPECT_TRUE(banded);
  const std::string text = format_regressions(holm, TableFormat::Text);
  EXPECT_NE(text.find("Holm-Bonferroni over the 23 items"), std::string::npos) << text;

  // Without the step nothing can fail: refused (exit 2), saying the counts, alpha, correction,
  // the runs that would do, and that --correction none would (2/252 <= 0.05).
  auto b_kernels = b, c_kernels = c;
  b_kernels.results.step.reset();
  c_kernels.results.step.reset();
  try {
    check_regressions(b_kernels, c_kernels, {});
    ADD_FAILURE() << "a gate that cannot fail passed";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    for (const std::string needle :
         {"1 vs 1 run(s) a side, --alpha 0.05, --correction holm over 23 items", "no item can ever be found slower",
          "smallest p their tests can give is 0.00794", "6 or more runs a side", "--correction none"})
      EXPECT_NE(m.find(needle), std::string::npos) << needle << " in " << m;
  }
  EXPECT_EQ(check_regressions(b_kernels, c_kernels, none).regressions(), 1);
}
