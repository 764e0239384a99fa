// The regression gate's items for kernels with measurements on one side only, or in only some
// runs of a side (kernel_items.hpp): a kernel that failed in some baseline runs is judged over the
// others, the step over the baseline runs that measured every kernel; a failure tonight stays a
// regression where the baseline measured the kernel, even where it failed there now and then;
// under --allow-different-shapes a missing kernel is an item that leaves the gate inconclusive,
// and still listed where something else regressed; a new kernel comes after the baseline's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/compare/format.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/gate_items.hpp"

using namespace tb::compare;
using tb::testing::item;
using tb::testing::mark_not_measured;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

std::vector<LabeledResults> runs(int n, uint32_t seed, const std::string& stem, const std::string& slow_kernel = "",
                                 double slowdown = 0) {
  std::vector<LabeledResults> out;
  for (int i = 0; i < n; ++i) {
    SyntheticRunSpec spec;
    spec.seed = seed + static_cast<uint32_t>(i);
    spec.slow_kernel = slow_kernel;
    spec.slowdown = slowdown;
    out.push_back({fmt::format("{}{}.json", stem, i), synthetic_run(spec)});
  }
  return out;
}

RegressionOptions none(bool allow_shapes = false) {
  RegressionOptions o;
  o.correction = Correction::None;
  o.compatibility.allow_different_shapes = allow_shapes;
  return o;
}

bool has_note(const RegressionReport& r, const std::string& text) {
  return std::any_of(r.notes.begin(), r.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

}  // namespace

// Out of memory for one kernel in 1 of 4 baseline runs: the other three runs' medians decide it
// (run ranges, 3 against 3), exactly as a baseline of those three alone would; the step of the
// three complete baseline runs is judged too. The item and a note say which run failed.
TEST(CompareGateOneSide, ABaselineRunsFailureLeavesTheOtherRunsToJudge) {
  auto base = runs(4, 1, "b");
  const std::string name = base[1].results.kernels[5].name;
  const std::string key = kernel_key(base[1].results.kernels[5]);
  mark_not_measured(base[1].results, 5, "oom", "out of memory");
  const auto cur = runs(3, 11, "c");
  const auto r = check_regressions(base, cur, none());
  const auto& v = item(r, name);
  EXPECT_EQ(v.rule, "run ranges");
  EXPECT_EQ(v.baseline_failed_runs, 1);
  EXPECT_EQ(v.baseline_failures, std::vector<std::string>{"b1.json: oom (out of memory)"});
  // The reference: the same gate with b1.json left out of the baseline altogether.
  const std::vector<LabeledResults> three{base[0], base[2], base[3]};
  const auto without_b1 = check_regressions(three, cur, none());
  const auto& alone = item(without_b1, name);
  EXPECT_EQ(v.baseline_run_ms, alone.baseline_run_ms);
  EXPECT_EQ(v.verdict, alone.verdict);
  EXPECT_EQ(v.change, alone.change);
  EXPECT_NE(v.explanation.find("failed in 1 of 4 baseline runs (b1.json: oom (out of memory)): judged over the 3 "
                               "that measured it"),
            std::string::npos)
      << v.explanation;
  EXPECT_TRUE(has_note(r, key + ": failed in 1 of 4 baseline runs"));
  // Every other kernel over all four runs; the step over the three that measured every kernel.
  EXPECT_EQ(item(r, base[0].results.kernels[0].name).baseline_run_ms.size(), 4u);
  EXPECT_EQ(item(r, "step").rule, "run ranges");
  EXPECT_EQ(item(r, "step").baseline_run_ms.size(), 3u);
  EXPECT_EQ(r.baseline_runs, 4);
  // In JSON, beside the run medians.
  const auto j = to_json(r);
  const auto it = std::find_if(j.at("items").begin(), j.at("items").end(), [&](const auto& i) { return i.at("key") == key; });
  ASSERT_NE(it, j.at("items").end());
  EXPECT_EQ(it->at("baseline_failed_runs"), 1);
  EXPECT_EQ(it->at("baseline_runs_ms").size(), 3u);
}

// Failing tonight where the baseline failed it only now and then (1 of 4): a failure tonight all
// the same (exit 1), the explanation saying both. Out of memory in every baseline run and tonight:
// still failing, not a regression, the others judged.
TEST(CompareGateOneSide, AFlakyBaselineFailureDoesNotExcuseOneTonight) {
  auto base = runs(4, 1, "b");
  auto cur = runs(3, 11, "c");
  const std::string name = base[0].results.kernels[5].name;
  mark_not_measured(base[2].results, 5, "oom", "out of memory");
  mark_not_measured(cur[0].results, 5, "oom", "out of memory");
  const auto r = check_regressions(base, cur, none());
  const auto& v = item(r, name);
  EXPECT_EQ(v.verdict, Verdict::Failed);
  EXPECT_EQ(v.current_failed_runs, 1);
  EXPECT_EQ(v.baseline_failed_runs, 1);
  EXPECT_NE(v.explanation.find("failed in 1 of 3 current runs: c0.json: oom (out of memory)"), std::string::npos)
      << v.explanation;
  EXPECT_NE(v.explanation.find("it failed in 1 of 4 baseline runs (b2.json: oom (out of memory)) too"),
            std::string::npos)
      << v.explanation;
  EXPECT_EQ(r.exit_code(), 1);

  for (auto& b : base)
    if (b.results.kernels[5].status == "ok") mark_not_measured(b.results, 5, "oom", "out of memory");
  const auto still = check_regressions(base, cur, none());
  EXPECT_EQ(item(still, name).verdict, Verdict::StillFailing);
  EXPECT_EQ(item(still, name).baseline_failed_runs, 4);
  EXPECT_EQ(still.count(Verdict::StillFailing), 1);
  EXPECT_EQ(still.regressions(), 0);
  EXPECT_EQ(still.exit_code(), still.inconclusive_items() > 0 ? 3 : 0);
  const std::string text = format_regressions(still, TableFormat::Text);
  EXPECT_NE(text.find(kernel_key(base[0].results.kernels[5]) + " STILL FAILING: failed in 4 of 4 baseline runs and in "
                                                                "1 of 3 current runs"),
            std::string::npos)
      << text;
}

// --allow-different-shapes: a kernel tonight's run lacks is an item "missing" (in the JSON count,
// the text), which leaves the gate inconclusive; where another kernel regressed the verdict is the
// regression (exit 1), and the missing kernel is still listed. A kernel only tonight's run has is
// an item "new", after the baseline's kernels, with its name, shape and dtype.
TEST(CompareGateOneSide, MissingAndNewKernelsAreItems) {
  auto base = runs(3, 1, "b");
  auto cur = runs(3, 11, "c");
  const auto dropped = base[0].results.kernels[4];
  for (auto& c : cur) {
    c.results.kernels.erase(c.results.kernels.begin() + 4);
    tb::testing::restep_from_kernels(c.results);
  }
  const auto r = check_regressions(base, cur, none(true));
  EXPECT_EQ(item(r, dropped.name).verdict, Verdict::Missing);
  EXPECT_EQ(item(r, dropped.name).shape, dropped.shape);
  EXPECT_GT(item(r, dropped.name).baseline_ms, 0);
  EXPECT_FALSE(item(r, dropped.name).in_family());
  EXPECT_EQ(r.count(Verdict::Missing), 1);
  EXPECT_EQ(r.verdict(), "inconclusive");
  EXPECT_EQ(to_json(r).at("missing"), 1);

  // Another kernel 50% slower tonight: the regression decides; the missing kernel still said.
  const std::string slow = base[0].results.kernels[0].name;
  auto slower = runs(3, 11, "s", slow, 0.5);
  for (auto& c : slower) {
    c.results.kernels.erase(c.results.kernels.begin() + 4);
    tb::testing::restep_from_kernels(c.results);
  }
  const auto both = check_regressions(base, slower, none(true));
  EXPECT_EQ(item(both, slow).verdict, Verdict::Slower);
  EXPECT_EQ(both.verdict(), "regression");
  EXPECT_EQ(both.exit_code(), 1);
  const std::string text = format_regressions(both, TableFormat::Text);
  EXPECT_NE(text.find(kernel_key(dropped) + " MISSING: measured in the baseline, missing from every current run"),
            std::string::npos)
      << text;

  // The other way round: new tonight, after the baseline's kernels (the step last).
  const auto n = check_regressions(cur, base, none(true));
  ASSERT_GE(n.items.size(), 2u);
  const auto& added = n.items[n.items.size() - 2];
  EXPECT_EQ(added.verdict, Verdict::New);
  EXPECT_EQ(added.key, kernel_key(dropped));
  EXPECT_EQ(added.dtype, dropped.dtype);
  EXPECT_GT(added.current_ms, 0);
  EXPECT_EQ(n.count(Verdict::New), 1);
  EXPECT_EQ(n.inconclusive_items(), 0);
}
