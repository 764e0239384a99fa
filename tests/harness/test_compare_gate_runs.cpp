// The gate where several runs a side decide, on hand-built runs of one kernel with known medians:
// the change is measured from the runs (each once, the Hodges-Lehmann ratio), its sign is the
// test's, runs too spread to see a change of the threshold's size are no "same", and run medians
// that tie (a timer's tick, an identical candidate) are judged, not refused.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/compare/multiple_testing.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/u_test.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/gate_items.hpp"

using namespace tb::compare;
using tb::testing::item;

namespace {

// One run of one kernel (a `gemm` file, no step) whose median is `median_ms`: `samples` values,
// the median itself and pairs median·(1 ± 0.001·i), so the median is exact; each run starts a
// second after the last (runs with equal timings are still runs, not one given twice).
LabeledResults one_kernel_run(double median_ms, int samples, const std::string& origin) {
  static int started = 0;
  tb::results::RunResults r = tb::testing::synthetic_run({});
  ++started;
  r.machine.utc_time = fmt::format("2026-01-01T{:02d}:{:02d}:{:02d}Z", started / 3600 % 24, started / 60 % 60, started % 60);
  r.kernels.resize(1);
  r.step.reset();
  r.workload.command = "gemm";
  auto& k = r.kernels[0];
  k.samples_ms = {median_ms};
  for (int i = 1; static_cast<int>(k.samples_ms.size()) < samples; ++i) {
    k.samples_ms.push_back(median_ms * (1 - 0.001 * i));
    k.samples_ms.push_back(median_ms * (1 + 0.001 * i));
  }
  k.samples_ms.resize(static_cast<size_t>(samples));
  k.stats = tb::timing::summarize(k.samples_ms);
  tb::testing::restep_from_kernels(r);
  return {origin, r};
}

std::vector<LabeledResults> side(const std::vector<double>& medians, const std::vector<int>& samples,
                                 const std::string& stem) {
  std::vector<LabeledResults> out;
  for (size_t i = 0; i < medians.size(); ++i)
    out.push_back(one_kernel_run(medians[i], samples.empty() ? 21 : samples[i], fmt::format("{}{}.json", stem, i)));
  return out;
}

const std::vector<double> kSteady{0.98, 0.99, 0.995, 1.00, 1.005, 1.01, 1.02};  // median 1.00

}  // namespace

// Ratios by hand: {2, 4} over {1, 2} are 2, 4, 1, 2 → median 2 → +100%; {3} over {1, 2, 4} are 3,
// 1.5, 0.75 → 1.5 → +50%. A run counts once: the median, never the samples' weight.
TEST(CompareGateRuns, HodgesLehmannChangeByHand) {
  EXPECT_DOUBLE_EQ(hodges_lehmann_change({1, 2}, {2, 4}), 1.0);
  EXPECT_DOUBLE_EQ(hodges_lehmann_change({1, 2, 4}, {3}), 0.5);
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
  // Every ratio b_k/b_i has its reciprocal b_i/b_k, and the 7 on the diagonal are 1: their median
  // is 1, so runs each twice their baseline run are +100% exactly.
  std::vector<double> doubled;
  for (double b : kSteady) doubled.push_back(2 * b);
  EXPECT_NEAR(hodges_lehmann_change(kSteady, doubled), 1.0, 1e-12);
}

// The reviewer's case: six of seven current runs 10% faster, the seventh 20% slower and 443
// samples long against 21. Pooled samples read +20% "slower" (and p = 0.0379 let it fail); the
// runs say 10% faster, and so does the verdict.
TEST(CompareGateRuns, OneLongSlowRunDoesNotOutweighSixFastOnes) {
  const auto base = side(kSteady, {}, "b");
  const auto cur = side({0.882, 0.891, 0.8955, 0.90, 0.9045, 0.909, 1.20}, {21, 21, 21, 21, 21, 21, 443}, "c");
  const auto r = check_regressions(base, cur, {});
  const auto& v = item(r, "qkv.fwd");
  EXPECT_EQ(v.rule, "u-test over runs");
  EXPECT_DOUBLE_EQ(v.baseline_ms, 1.00);  // the median run of each side
  EXPECT_DOUBLE_EQ(v.current_ms, 0.90);
  EXPECT_DOUBLE_EQ(v.change, hodges_lehmann_change(kSteady, v.current_run_ms));
  EXPECT_NEAR(v.change, -0.10, 0.015);
  // U: only the 1.20 run beats the baseline runs, 7 pairs of 49; p two-sided 2·P(U <= 7).
  EXPECT_EQ(v.test_direction, -1);
  EXPECT_LT(*v.p_value, 0.05);
  EXPECT_EQ(v.verdict, Verdict::Faster) << v.explanation;
  EXPECT_EQ(r.verdict(), "no_regression");
  EXPECT_NE(v.explanation.find("Hodges-Lehmann"), std::string::npos) << v.explanation;

  // The mirror: a baseline with the long slow run, tonight 10% slower in every run. Pooled, the
  // baseline's median was its slow run's, and the slowdown read "faster -4%".
  const auto slow_base = side({1.00, 1.01, 0.99, 1.005, 0.995, 0.985, 1.30}, {21, 21, 21, 21, 21, 21, 443}, "sb");
  std::vector<double> slower;
  for (double b : kSteady) slower.push_back(1.10 * b);
  const auto m = check_regressions(slow_base, side(slower, {}, "sc"), {});
  EXPECT_EQ(item(m, "qkv.fwd").verdict, Verdict::Slower) << item(m, "qkv.fwd").explanation;
  EXPECT_GT(item(m, "qkv.fwd").change, 0.05);
  EXPECT_EQ(m.exit_code(), 1);
}

// Raw samples: the medians say +10% but the U test finds the current samples the smaller (9 of 20
// at half the time): a two-sided p below alpha is no evidence of "slower".
TEST(CompareGateRuns, AVerdictTakesTheTestsDirection) {
  std::vector<double> base, cur;
  for (int i = 0; i < 11; ++i) base.push_back(1.0 + 0.001 * i);
  for (int i = 0; i < 9; ++i) base.push_back(2.0 + 0.001 * i);
  for (int i = 0; i < 9; ++i) cur.push_back(0.5 + 0.001 * i);
  for (int i = 0; i < 11; ++i) cur.push_back(1.1 + 0.001 * i);
  const double b_med = 0.5 * (1.009 + 1.010), c_med = 0.5 * (1.100 + 1.101);  // 10th and 11th values
  // U of the current side: its 11 values near 1.1 beat the baseline's 11 near 1.0, nothing else.
  const auto u = mann_whitney_u(base, cur);
  EXPECT_DOUBLE_EQ(u.u_b, 121.0);
  EXPECT_DOUBLE_EQ(u.u_a, 400.0 - 121.0);
  EXPECT_LT(u.p_value, 0.05);
  const auto v = decide("k", b_med, c_med, base, cur, 0.01, 0.01, {});
  EXPECT_GT(v.change, 0.03);
  EXPECT_EQ(v.test_direction, -1);
  // Nor of "same": the medians moved beyond the threshold, the samples the other way. Unjudged
  // (the gate inconclusive), as runs too spread to tell are.
  EXPECT_EQ(v.verdict, Verdict::Unjudged) << v.explanation;
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  EXPECT_NE(v.reason.find("while the test finds the baseline side larger"), std::string::npos) << v.reason;
  EXPECT_NE(v.explanation.find("found the baseline side larger"), std::string::npos) << v.explanation;
}

// Every current run twice its baseline run, the runs 0.38..7.98 ms apart: the U test cannot see a
// 2x (p 0.32), which read "same", exit 0. Unjudged: the gate is inconclusive.
TEST(CompareGateRuns, RunsTooSpreadToSeeTheThresholdAreInconclusive) {
  const std::vector<double> wild{0.38, 0.9, 1.7, 2.6, 4.1, 5.5, 7.98};
  std::vector<double> doubled;
  for (double b : wild) doubled.push_back(2 * b);
  const auto r = check_regressions(side(wild, {}, "gb"), side(doubled, {}, "gc"), {});
  const auto& v = item(r, "qkv.fwd");
  EXPECT_NEAR(v.change, 1.0, 1e-12);
  EXPECT_GT(*v.p_value, 0.05);
  EXPECT_EQ(v.verdict, Verdict::Unjudged) << v.explanation;
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  EXPECT_NE(v.reason.find("too noisy between runs: the runs' change, +100.00%, is beyond the 3.0% threshold"),
            std::string::npos)
      << v.reason;
  EXPECT_EQ(r.verdict(), "inconclusive");
  EXPECT_EQ(r.exit_code(), 3);

  // No change seen, but the runs spread ±10%: a 3% slowdown of them would not be significant
  // either, so "same" would be no answer.
  const std::vector<double> spread{0.90, 0.94, 0.97, 1.00, 1.03, 1.06, 1.10};
  const std::vector<double> again{0.91, 0.95, 0.96, 1.005, 1.02, 1.07, 1.09};
  const auto s = check_regressions(side(spread, {}, "sb"), side(again, {}, "sc"), {});
  const auto& w = item(s, "qkv.fwd");
  EXPECT_LT(std::fabs(w.change), 0.03);
  ASSERT_TRUE(w.threshold_p_value.has_value());
  EXPECT_GT(*w.threshold_p_value, 0.05);
  EXPECT_EQ(w.verdict, Verdict::Unjudged) << w.explanation;
  EXPECT_NE(w.reason.find("a change of the threshold's size, 3.0%, in these runs would give p = "), std::string::npos)
      << w.reason;
  EXPECT_EQ(s.exit_code(), 3);

  // Steady runs (±0.5%) see a 3% change: the change is within ±1%, so the current runs scaled by
  // 1.03 / (1 + change) start at 0.996 · 1.03 / 1.01 = 1.0157, past every baseline run: p = 2/3432.
  const std::vector<double> tight{0.995, 0.997, 0.999, 1.0, 1.001, 1.003, 1.005};
  const std::vector<double> tight_again{0.996, 0.998, 0.9985, 1.0005, 1.002, 1.004, 1.0045};
  const auto q = check_regressions(side(tight, {}, "qb"), side(tight_again, {}, "qc"), {});
  EXPECT_LT(std::fabs(item(q, "qkv.fwd").change), 0.01);
  EXPECT_EQ(item(q, "qkv.fwd").verdict, Verdict::Same) << item(q, "qkv.fwd").explanation;
  EXPECT_NEAR(*item(q, "qkv.fwd").threshold_p_value, 2.0 / 3432, 1e-15);
  EXPECT_EQ(q.verdict(), "no_regression");
  // --threshold 0 asks for significance alone: no size to see, so no second rule.
  RegressionOptions zero;
  zero.threshold = 0;
  EXPECT_FALSE(item(check_regressions(side(spread, {}, "zb"), side(again, {}, "zc"), zero), "qkv.fwd")
                   .threshold_p_value.has_value());
}

// An identical candidate whose run medians tie (short kernels on a timer's tick): 7 a side was
// refused as "can never fail ... give 7 or more runs a side", with every value equal "smallest p
// 1". Each side keeps its ties and the exact test puts its floor at 2/3432: judged, the same.
TEST(CompareGateRuns, TiedRunMediansAreJudgedNotRefused) {
  const std::vector<double> ticks{0.34, 0.34, 0.35, 0.34, 0.35, 0.34, 0.34};
  const auto r = check_regressions(side(ticks, {}, "tb"), side(ticks, {}, "tc"), {});
  const auto& v = item(r, "qkv.fwd");
  EXPECT_NEAR(*v.smallest_p_value, 2.0 / 3432, 1e-15);
  EXPECT_DOUBLE_EQ(*v.p_value, 1.0);
  EXPECT_EQ(v.verdict, Verdict::Same) << v.explanation;
  EXPECT_EQ(r.verdict(), "no_regression");
  const std::vector<double> one_tick(7, 0.34);
  const auto q = check_regressions(side(one_tick, {}, "qb"), side(one_tick, {}, "qc"), {});
  EXPECT_NEAR(*item(q, "qkv.fwd").smallest_p_value, 2.0 / 3432, 1e-15);
  EXPECT_EQ(q.verdict(), "no_regression");
  for (const auto& n : q.notes) EXPECT_EQ(n.find("runs a side"), std::string::npos) << n;
  // A kernel so short that its medians land on two ticks 5% apart (0.20, 0.21 ms at 10 µs): a 3%
  // change falls between them, which more runs would not change. Unjudged, saying so; a threshold
  // above the tick judges it.
  // Change: of the 49 ratios 16 are 0.2/0.21, 24 are 1 and 9 are 0.21/0.2, so the median is 1.
  const std::vector<double> b_ticks{0.21, 0.20, 0.21, 0.20, 0.21, 0.20, 0.21};
  const std::vector<double> c_ticks{0.20, 0.21, 0.20, 0.20, 0.21, 0.20, 0.21};
  const auto t = check_regressions(side(b_ticks, {}, "kb"), side(c_ticks, {}, "kc"), {});
  EXPECT_DOUBLE_EQ(item(t, "qkv.fwd").change, 0.0);
  EXPECT_EQ(item(t, "qkv.fwd").verdict, Verdict::Unjudged);
  EXPECT_NE(item(t, "qkv.fwd").reason.find("the runs' medians repeat on a tick of 0.01 ms (4.8% of the median"),
            std::string::npos)
      << item(t, "qkv.fwd").reason;
  EXPECT_NE(item(t, "qkv.fwd").reason.find("more runs cannot help"), std::string::npos);
  RegressionOptions coarse;
  coarse.threshold = 0.06;
  EXPECT_EQ(item(check_regressions(side(b_ticks, {}, "kb6"), side(c_ticks, {}, "kc6"), coarse), "qkv.fwd").verdict,
            Verdict::Same);
  // And a real slowdown on the same tick is found: 0.34 → 0.38 in every run, p = 2/3432.
  const std::vector<double> slower(7, 0.38);
  const auto s = check_regressions(side(one_tick, {}, "sb"), side(slower, {}, "sc"), {});
  EXPECT_NEAR(*item(s, "qkv.fwd").p_value, 2.0 / 3432, 1e-15);
  EXPECT_EQ(item(s, "qkv.fwd").verdict, Verdict::Slower);
}
