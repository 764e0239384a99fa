// The gate's run counts, as the nightly reviewer found them on a shared 2-core host: tonight's one
// or two runs against a baseline of many (ranked among its run medians, not pooled by samples), a
// file's --benchmark_repetitions as one run, and a slowdown on a host whose load differs between
// the sides with too few runs to measure run-to-run variance (inconclusive, not a regression).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "harness/compare/format.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/rank_among_runs.hpp"
#include "harness/compare/regression.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/gate_items.hpp"

using namespace tb::compare;
using tb::testing::item;

namespace {

// One `gemm` file of one kernel: `repetitions` entries of `samples` samples each around `median_ms`
// (the median itself and pairs median·(1 ± 0.001·i)), each file a second after the last.
LabeledResults gemm_file(double median_ms, const std::string& origin, int samples = 21, int repetitions = 1,
                         std::optional<double> load_per_cpu = std::nullopt) {
  static int started = 0;
  tb::results::RunResults r = tb::testing::synthetic_run({});
  ++started;
  r.machine.utc_time = fmt::format("2026-02-01T{:02d}:{:02d}:{:02d}Z", started / 3600 % 24, started / 60 % 60, started % 60);
  if (load_per_cpu) {
    r.machine.host_cpus = 2;
    r.machine.load_avg_1m = 2 * *load_per_cpu;
  }
  r.kernels.resize(1);
  r.step.reset();
  r.workload.command = "gemm";
  auto one = r.kernels[0];
  r.kernels.clear();
  for (int rep = 0; rep < repetitions; ++rep) {
    auto k = one;
    k.samples_ms = {median_ms};
    for (int i = 1; static_cast<int>(k.samples_ms.size()) < samples; ++i) {
      // Each repetition a little apart, so that the repetitions are no copies of one another.
      k.samples_ms.push_back(median_ms * (1 - 0.001 * i - 0.0001 * rep));
      k.samples_ms.push_back(median_ms * (1 + 0.001 * i + 0.0001 * rep));
    }
    k.samples_ms.resize(static_cast<size_t>(samples));
    k.stats = tb::timing::summarize(k.samples_ms);
    r.kernels.push_back(k);
  }
  tb::testing::restep_from_kernels(r);  // each entry's TFLOP/s from its median, as a run writes it
  return {origin, r};
}

std::vector<LabeledResults> files(const std::vector<double>& medians, const std::string& stem) {
  std::vector<LabeledResults> out;
  for (size_t i = 0; i < medians.size(); ++i) out.push_back(gemm_file(medians[i], fmt::format("{}{}.json", stem, i)));
  return out;
}

std::vector<double> steady(int n) {  // n runs within ±1% of 1 ms, none repeated
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(0.99 + 0.02 * i / std::max(n - 1, 1));
  return out;
}

}  // namespace

// By hand. One current run: its rank among n_b + 1, p = (1 + #{baseline >= current}) / (n_b + 1).
// Two: the U over runs, the share of the C(n_b + 2, 2) deals whose U is at least the one seen.
TEST(CompareGateHistory, RankAmongRunsByHand) {
  const std::vector<double> seven{1, 2, 3, 4, 5, 6, 7};
  EXPECT_DOUBLE_EQ(rank_among_runs_p(seven, std::vector<double>{5.5}, 1), 3.0 / 8);  // 6 and 7 at or above
  EXPECT_DOUBLE_EQ(rank_among_runs_p(seven, std::vector<double>{8}, 1), 1.0 / 8);
  EXPECT_DOUBLE_EQ(rank_among_runs_p(seven, std::vector<double>{0.5}, 1), 1.0);
  EXPECT_DOUBLE_EQ(rank_among_runs_p(seven, std::vector<double>{0.5}, -1), 1.0 / 8);  // "faster?"
  // Ties count as at or above: (1 + 3) / 5.
  EXPECT_DOUBLE_EQ(rank_among_runs_p(std::vector<double>{1, 2, 2, 3}, std::vector<double>{2}, 1), 4.0 / 5);
  // Two current runs among {1..5}: 4.5 and 6 take ranks 5 and 7 of 7 (rank sum 12); of the 21
  // pairs of ranks only (5, 7) and (6, 7) reach 12: p = 2/21. Both beyond every baseline run: 1/21.
  const std::vector<double> five{1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(rank_among_runs_p(five, std::vector<double>{4.5, 6}, 1), 2.0 / 21);
  EXPECT_DOUBLE_EQ(rank_among_runs_p(five, std::vector<double>{6, 7}, 1), 1.0 / 21);
  EXPECT_THROW(rank_among_runs_p(five, std::vector<double>{}, 1), tb::UsageError);
}

// The floor table of docs/compare.md: 1 / C(n_b + n_c, n_c), and the baseline runs a family needs.
TEST(CompareGateHistory, FloorsAndTheBaselineRunsTheyNeed) {
  EXPECT_DOUBLE_EQ(smallest_rank_among_runs_p(7, 1), 1.0 / 8);
  EXPECT_DOUBLE_EQ(smallest_rank_among_runs_p(19, 1), 1.0 / 20);
  EXPECT_DOUBLE_EQ(smallest_rank_among_runs_p(7, 2), 1.0 / 36);
  EXPECT_DOUBLE_EQ(smallest_rank_among_runs_p(31, 2), 1.0 / 528);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(7, 1, 5), 1.0 / 8);
  EXPECT_DOUBLE_EQ(smallest_p_over_runs(2, 1, 5), 1.0);  // no history: the samples decide
  // One item at 0.05: 1/20 needs 19 baseline runs beside one, C(7, 2) = 21 >= 20 needs 5 beside two.
  EXPECT_EQ(baseline_runs_needed(1, 1, 0.05, Correction::Holm), 19);
  EXPECT_EQ(baseline_runs_needed(2, 1, 0.05, Correction::Holm), 5);
  // A `run` file's 25 items under Holm: 0.05/25 = 0.002 = 1/500, and C(33, 2) = 528 >= 500 > C(32, 2) = 496.
  EXPECT_EQ(baseline_runs_needed(1, 25, 0.05, Correction::Holm), 499);
  EXPECT_EQ(baseline_runs_needed(2, 25, 0.05, Correction::Holm), 31);
  EXPECT_EQ(baseline_runs_needed(2, 26, 0.05, Correction::Holm), 31);  // 0.05/26 = 0.00192 >= 1/528
  EXPECT_EQ(baseline_runs_needed(2, 27, 0.05, Correction::Holm), 32);
  EXPECT_EQ(baseline_runs_needed(1, 25, 0.05, Correction::None), 19);
}

// Seven baseline runs against one tonight: its p is at least 1/8, so a one-item gate can never
// fail. Refused (never_fails), saying how many baseline runs would do: never pooled into "slower".
TEST(CompareGateHistory, SevenAgainstOneIsRefusedWithTheCountsNeeded) {
  try {
    check_regressions(files(steady(7), "hb"), files({1.5}, "hc"), {});
    FAIL() << "7 vs 1 on one item can never fail";
  } catch (const GateRefusal& e) {
    EXPECT_EQ(e.kind(), GateErrorKind::NeverFails);
    const std::string m = e.what();
    EXPECT_NE(m.find("the smallest p their tests can give is 0.125"), std::string::npos) << m;
    EXPECT_NE(m.find("19 or more baseline runs against 1 current run"), std::string::npos) << m;
    EXPECT_NE(m.find("3 or more runs a side"), std::string::npos) << m;
    // One item: --alpha 0.125 would reach 1/8, so a larger one is advised.
    EXPECT_NE(m.find("or a larger --alpha (up to 0.5)"), std::string::npos) << m;
  }
}

// Nineteen baseline runs: tonight's run beyond all of them is p = 1/20 = 0.05, slower; inside
// their range it is ranked, not pooled: "same", with run-level evidence.
TEST(CompareGateHistory, TonightRankedAmongNineteenRuns) {
  const auto base = files(steady(19), "nb");
  const auto slow = check_regressions(base, files({1.20}, "ns"), {});
  const auto& s = item(slow, "qkv.fwd");
  EXPECT_EQ(s.rule, "rank among baseline runs");
  EXPECT_DOUBLE_EQ(*s.p_value, 1.0 / 20);
  EXPECT_DOUBLE_EQ(*s.smallest_p_value, 1.0 / 20);
  EXPECT_EQ(s.verdict, Verdict::Slower) << s.explanation;
  EXPECT_NE(s.evidence.find("0 at or above it, (1 + 0) / (19 + 1) = "), std::string::npos) << s.evidence;
  EXPECT_EQ(slow.baseline_runs, 19);
  EXPECT_EQ(slow.current_runs, 1);
  EXPECT_TRUE(slow.false_alarms_bounded());
  EXPECT_EQ(slow.exit_code(), 1);

  // 1.004 ms: 6 of the 19 runs (0.99 + 0.02·i/18 for i = 13..18) are at or above it: p = 7/20.
  // A change of the threshold's size would put it above all 19 (p = 1/20): "same" can be said.
  const auto inside = check_regressions(base, files({1.004}, "ni"), {});
  const auto& v = item(inside, "qkv.fwd");
  EXPECT_DOUBLE_EQ(*v.p_value, 7.0 / 20);
  EXPECT_EQ(v.verdict, Verdict::Same) << v.explanation;
  EXPECT_EQ(inside.exit_code(), 0);
}

// Two current runs against seven: the exact U over runs, one item can fail at 1/36.
TEST(CompareGateHistory, TwoTonightAgainstSeven) {
  const auto base = files(steady(7), "tb");
  const auto r = check_regressions(base, files({1.20, 1.25}, "tc"), {});
  const auto& v = item(r, "qkv.fwd");
  EXPECT_EQ(v.rule, "rank among baseline runs");
  EXPECT_DOUBLE_EQ(*v.p_value, 1.0 / 36);
  EXPECT_EQ(v.verdict, Verdict::Slower) << v.explanation;
  // One of the two inside the baseline's range (above 5 of 7, at rank 6 of 9), the other above
  // all (rank 9): rank sum 15; of the 36 pairs of ranks from 1..9, (6, 9), (7, 8), (7, 9), (8, 9)
  // reach 15: p = 4/36, not significant; with a change beyond the threshold it is "too noisy".
  const auto mixed = check_regressions(base, files({1.005, 1.30}, "tm"), {});
  EXPECT_DOUBLE_EQ(*item(mixed, "qkv.fwd").p_value, 4.0 / 36);
  EXPECT_NE(item(mixed, "qkv.fwd").verdict, Verdict::Slower);
  EXPECT_NE(mixed.exit_code(), 1);
}

// A file is one run, whatever its repetitions: three repetitions a side, back to back, are 1 vs 1
// (samples decide), never "run ranges" over repetitions; three such files a side are 3 vs 3.
TEST(CompareGateHistory, RepetitionsInOneFileAreOneRun) {
  const auto one = check_regressions(gemm_file(1.0, "rb.json", 21, 3), gemm_file(1.0, "rc.json", 21, 3), {});
  EXPECT_EQ(one.baseline_runs, 1);
  EXPECT_EQ(one.current_runs, 1);
  EXPECT_EQ(item(one, "qkv.fwd").rule, "u-test");
  EXPECT_TRUE(item(one, "qkv.fwd").baseline_run_ms.empty());
  std::vector<LabeledResults> b, c;
  for (int i = 0; i < 3; ++i) {
    b.push_back(gemm_file(1.0 + 0.001 * i, fmt::format("rb{}.json", i), 21, 3));
    c.push_back(gemm_file(1.0 + 0.001 * i, fmt::format("rc{}.json", i), 21, 3));
  }
  const auto three = check_regressions(b, c, {});
  EXPECT_EQ(three.baseline_runs, 3);
  EXPECT_EQ(item(three, "qkv.fwd").rule, "run ranges");
  // Each run's median is its file's pooled median, the middle of its 63 samples.
  ASSERT_EQ(item(three, "qkv.fwd").baseline_run_ms.size(), 3u);
  EXPECT_DOUBLE_EQ(item(three, "qkv.fwd").baseline_run_ms[1], 1.0 + 0.001);
}

// One run a side on a quiet host both sides: a 30% slowdown is caught (exit 1), but the header
// promises no false-alarm rate. The same slowdown with tonight's host busy (load 2.8 per CPU
// against 0.2) is inconclusive (exit 3), naming both loads.
TEST(CompareGateHistory, ASlowdownOnAnotherLoadIsInconclusive) {
  const auto quiet = check_regressions(gemm_file(1.0, "qb.json", 21, 1, 0.2), gemm_file(1.3, "qc.json", 21, 1, 0.25), {});
  EXPECT_EQ(item(quiet, "qkv.fwd").verdict, Verdict::Slower) << item(quiet, "qkv.fwd").explanation;
  EXPECT_EQ(quiet.exit_code(), 1);
  EXPECT_FALSE(quiet.false_alarms_bounded());
  const std::string text = format_regressions(quiet, TableFormat::Text);
  EXPECT_NE(text.find("on within-run samples only: run-to-run variance was not measured (1 vs 1 run(s)), so false "
                      "alarms are not bounded by alpha 0.05"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("is at most alpha"), std::string::npos) << text;

  const auto busy = check_regressions(gemm_file(1.0, "bb.json", 21, 1, 0.2), gemm_file(1.3, "bc.json", 21, 1, 2.8), {});
  const auto& v = item(busy, "qkv.fwd");
  EXPECT_EQ(v.verdict, Verdict::Unjudged);
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::HostConditions);
  EXPECT_NE(v.reason.find("+30.00% would be a regression, but the host's load differs between the sides (host_load: "
                          "quiet (load < 1 on 2 CPUs) -> busy (load >= 1 on 2 CPUs))"),
            std::string::npos)
      << v.reason;
  EXPECT_EQ(busy.verdict(), "inconclusive");
  EXPECT_EQ(busy.exit_code(), kExitInconclusive);
  const std::string xml = junit_xml(busy);
  EXPECT_NE(xml.find("<error message=\"qkv.fwd [" ), std::string::npos) << xml;
  EXPECT_NE(xml.find("type=\"unjudged\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"false_alarms_bounded\" value=\"false\"/>"), std::string::npos) << xml;
  EXPECT_EQ(kExitInconclusive, 3);
}

// The CPU backend's kernels share their cores: a run started on a busy host (1.5 per CPU, both
// sides alike, so no host_load change) leaves a one-a-side slowdown inconclusive; quiet, it is caught.
TEST(CompareGateHistory, ACpuSlowdownOnABusyHostIsInconclusive) {
  auto on_cpu = [](LabeledResults f) {
    f.results.machine.backend = "cpu";
    return f;
  };
  const auto busy = check_regressions(on_cpu(gemm_file(1.0, "cb.json", 21, 1, 1.5)),
                                      on_cpu(gemm_file(1.3, "cc.json", 21, 1, 1.5)), {});
  EXPECT_TRUE(std::none_of(busy.environment.begin(), busy.environment.end(),
                           [](const EnvironmentChange& e) { return e.field == "host_load"; }));
  const auto& v = item(busy, "qkv.fwd");
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::HostConditions) << v.explanation;
  EXPECT_NE(v.reason.find("the CPU backend's host was busy (load at least 0.5 per CPU) in 1 of 1 baseline and 1 of 1 "
                          "current run(s)"),
            std::string::npos)
      << v.reason;
  EXPECT_EQ(busy.exit_code(), 3);
  const auto quiet = check_regressions(on_cpu(gemm_file(1.0, "qb2.json", 21, 1, 0.1)),
                                       on_cpu(gemm_file(1.3, "qc2.json", 21, 1, 0.1)), {});
  EXPECT_EQ(item(quiet, "qkv.fwd").verdict, Verdict::Slower) << item(quiet, "qkv.fwd").explanation;
  EXPECT_EQ(quiet.exit_code(), 1);
  // Three runs a side measure the run-to-run variance: the runs decide, load or not.
  std::vector<LabeledResults> b, c;
  for (int i = 0; i < 3; ++i) {
    b.push_back(on_cpu(gemm_file(1.0 + 0.001 * i, fmt::format("cb{}.json", i), 21, 1, 1.5)));
    c.push_back(on_cpu(gemm_file(1.3 + 0.001 * i, fmt::format("cc{}.json", i), 21, 1, 1.5)));
  }
  EXPECT_EQ(check_regressions(b, c, {}).exit_code(), 1);
}

// Three runs a side: the runs decide, and Holm's bound holds; the header says so.
TEST(CompareGateHistory, TheAlphaGuaranteeOnlyWhereRunsDecide) {
  const auto r = check_regressions(files(steady(3), "gb"), files({1.2, 1.21, 1.22}, "gc"), {});
  EXPECT_TRUE(r.false_alarms_bounded());
  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_NE(text.find("the chance of any false alarm in this job is at most alpha 0.05"), std::string::npos) << text;
  RegressionOptions none;
  none.correction = Correction::None;
  EXPECT_FALSE(check_regressions(files(steady(3), "gb2"), files({1.2, 1.21, 1.22}, "gc2"), none).false_alarms_bounded());
}
