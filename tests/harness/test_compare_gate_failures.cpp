// A kernel that fails in tonight's run (wrong results, an error, out of memory, unsupported) where
// the baseline measured it is the worst regression: the gate says so for that kernel (exit 1, a
// JUnit <failure> naming it and its status) and judges the others as usual. A run that is partial
// only because kernels were not measured (interrupted, skipped) is still refused, as a baseline
// with a failure is.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/gate_items.hpp"

using namespace tb::compare;
using tb::testing::item;
using tb::testing::mark_not_measured;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

LabeledResults labeled(uint32_t seed, const std::string& origin) {
  SyntheticRunSpec spec;
  spec.seed = seed;
  return {origin, synthetic_run(spec)};
}

const char* kWrong = "verification FAILED: max relative error 0.5 exceeds the bf16 tolerance 0.02";

}  // namespace

TEST(CompareGateFailures, AKernelThatFailsTonightIsARegressionTheRestJudged) {
  const auto base = labeled(1, "base.json");
  auto cur = labeled(2, "tonight.json");
  const std::string failed_name = cur.results.kernels[3].name;
  mark_not_measured(cur.results, 3, "failed", kWrong);
  ASSERT_EQ(cur.results.status, "partial");
  const auto r = check_regressions(base, cur, {});
  const auto& f = item(r, failed_name);
  EXPECT_EQ(f.verdict, Verdict::Failed);
  EXPECT_EQ(f.rule, "failed");
  EXPECT_NE(f.reason.find(fmt::format("failed in the current run: tonight.json: failed ({})", kWrong)),
            std::string::npos)
      << f.reason;
  EXPECT_EQ(r.regressions(), 1);
  EXPECT_EQ(r.verdict(), "regression");
  EXPECT_EQ(r.exit_code(), 1);
  // The others judged as usual (the same code, another seed: the same), the step unjudged without
  // making the gate inconclusive: it sums one kernel fewer.
  for (const auto& i : r.items)
    if (i.name != failed_name && i.name != "step") EXPECT_EQ(i.verdict, Verdict::Same) << i.key;
  EXPECT_EQ(item(r, "step").verdict, Verdict::Unjudged);
  EXPECT_EQ(item(r, "step").unjudged_reason, UnjudgedReason::StepOfFailedKernels);
  EXPECT_EQ(r.inconclusive_items(), 0);
  for (const auto& n : r.notes) EXPECT_EQ(n.find("missing from"), std::string::npos) << n;  // it is in the file
  // JUnit: a failure naming the kernel and its status, the others passed.
  const std::string xml = junit_xml(r);
  EXPECT_NE(xml.find(fmt::format("<failure message=\"{} failed in the current run: tonight.json: failed (verification "
                                 "FAILED",
                                 f.key)),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("type=\"failed\""), std::string::npos);
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_NE(text.find(fmt::format("{} FAILED: measured in the baseline", f.key)), std::string::npos) << text;
}

// Several current runs: out of memory in one of three is still the kernel failing tonight; the
// file is named. An unsupported kernel is a failure too (the baseline ran it on this device).
TEST(CompareGateFailures, AFailureInOneOfSeveralRunsIsNamed) {
  const std::vector<LabeledResults> base{labeled(1, "b0.json"), labeled(2, "b1.json"), labeled(3, "b2.json")};
  std::vector<LabeledResults> cur{labeled(11, "c0.json"), labeled(12, "c1.json"), labeled(13, "c2.json")};
  const std::string oom = cur[1].results.kernels[0].name, unsupported = cur[2].results.kernels[5].name;
  mark_not_measured(cur[1].results, 0, "oom", "out of memory");
  mark_not_measured(cur[2].results, 5, "unsupported", "no cuBLASLt algorithm");
  // Skipped in the run with the failure, measured in the others: judged over those, and noted.
  const std::string skipped = cur[1].results.kernels[7].name;
  mark_not_measured(cur[1].results, 7, "skipped", "not measured: the device became unusable earlier");
  RegressionOptions none;
  none.correction = Correction::None;
  const auto r = check_regressions(base, cur, none);
  EXPECT_EQ(item(r, oom).verdict, Verdict::Failed);
  EXPECT_NE(item(r, oom).reason.find("c1.json: oom (out of memory)"), std::string::npos) << item(r, oom).reason;
  EXPECT_EQ(item(r, unsupported).verdict, Verdict::Failed);
  EXPECT_EQ(r.regressions(), 2);
  EXPECT_EQ(r.exit_code(), 1);
  // Two current runs of it against three baseline runs: tonight's runs ranked among the baseline's.
  EXPECT_EQ(item(r, skipped).rule, "rank among baseline runs");
  EXPECT_EQ(item(r, skipped).current_run_ms.size(), 2u);
  EXPECT_NE(item(r, skipped).verdict, Verdict::Unjudged);
  const std::string note = fmt::format("{} was not measured in c1.json: skipped", item(r, skipped).key);
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [&](const std::string& n) { return n.find(note) == 0; }))
      << note;
}

// Three runs a side under Holm, where no p-value can reach Holm's first step: a kernel that
// failed tonight still fails the gate (exit 1), never the "cannot fail" refusal that asks for more
// runs; the rest stay unjudged by p-value and say so in a note.
TEST(CompareGateFailures, AFailureTonightFailsAGateWhosePValuesCannot) {
  const std::vector<LabeledResults> base{labeled(1, "b0.json"), labeled(2, "b1.json"), labeled(3, "b2.json")};
  std::vector<LabeledResults> cur{labeled(11, "c0.json"), labeled(12, "c1.json"), labeled(13, "c2.json")};
  const std::string wrong = cur[0].results.kernels[2].name;
  for (auto& c : cur) mark_not_measured(c.results, 2, "failed", kWrong);
  RegressionReport r;
  ASSERT_NO_THROW(r = check_regressions(base, cur, {}));
  EXPECT_EQ(r.options.correction, Correction::Holm);
  EXPECT_EQ(item(r, wrong).verdict, Verdict::Failed);
  EXPECT_EQ(r.exit_code(), 1);
  // Without the failure the same setting is refused as a gate that cannot fail.
  const std::vector<LabeledResults> clean{labeled(11, "c0.json"), labeled(12, "c1.json"), labeled(13, "c2.json")};
  try {
    check_regressions(base, clean, {});
    ADD_FAILURE() << "3 vs 3 under Holm without a failure should be refused";
  } catch (const GateRefusal& e) {
    EXPECT_EQ(e.kind(), GateErrorKind::NeverFails);
  }
}

// Interrupted (Ctrl-C, the kernels after it skipped): nothing failed, nothing to judge tonight's
// code by; refused as before, on either side. A baseline whose only run failed a kernel that
// tonight's run measures: that kernel is "fixed" (nothing to compare it with), the rest judged,
// the baseline's step (one kernel short) unjudged. A kernel skipped beside a failure (after a lost
// device) is unjudged, not passed.
TEST(CompareGateFailures, AnInterruptedRunIsRefusedAFailedBaselineKernelIsFixed) {
  const auto ok = labeled(1, "ok.json");
  auto interrupted = labeled(2, "interrupted.json");
  mark_not_measured(interrupted.results, 4, "interrupted", "interrupted after 3 samples");
  mark_not_measured(interrupted.results, 5, "skipped", "not measured: the run was interrupted");
  try {
    check_regressions(ok, interrupted, {});
    ADD_FAILURE() << "an interrupted run was judged";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted.json: the run is partial"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_regressions(interrupted, ok, {}), tb::UsageError);
  auto failed_base = labeled(3, "failed-base.json");
  const std::string fixed = failed_base.results.kernels[2].name;
  mark_not_measured(failed_base.results, 2, "failed", kWrong);
  const auto was_failing = check_regressions(failed_base, labeled(4, "cur.json"), {});
  EXPECT_EQ(item(was_failing, fixed).verdict, Verdict::Fixed);
  EXPECT_EQ(item(was_failing, fixed).baseline_failed_runs, 1);
  EXPECT_NE(item(was_failing, fixed).reason.find(fmt::format("failed in 1 of 1 baseline run (failed-base.json: "
                                                             "failed ({}))",
                                                             kWrong)),
            std::string::npos)
      << item(was_failing, fixed).reason;
  EXPECT_EQ(item(was_failing, "step").unjudged_reason, UnjudgedReason::StepOfFailedKernels);
  EXPECT_EQ(was_failing.count(Verdict::Fixed), 1);
  EXPECT_EQ(was_failing.regressions(), 0);
  EXPECT_EQ(was_failing.inconclusive_items(), 0);

  auto lost = labeled(5, "lost.json");
  const std::string failed = lost.results.kernels[6].name, skipped = lost.results.kernels[7].name;
  mark_not_measured(lost.results, 6, "failed", "device lost: an illegal memory access");
  mark_not_measured(lost.results, 7, "skipped", "not measured: the device became unusable earlier");
  const auto r = check_regressions(ok, lost, {});
  EXPECT_EQ(item(r, failed).verdict, Verdict::Failed);
  EXPECT_EQ(item(r, skipped).verdict, Verdict::Unjudged);
  EXPECT_EQ(item(r, skipped).unjudged_reason, UnjudgedReason::NotMeasured);
  EXPECT_NE(item(r, skipped).reason.find("not measured in the current run: lost.json: skipped"), std::string::npos);
  EXPECT_EQ(r.verdict(), "regression");  // the failure decides; the skipped kernel is listed
}

// A kernel new since the baseline (the Adam update beside a file from before it), compared under
// --allow-different-shapes, that fails tonight: a failure all the same, not dropped with the
// kernels only one side has (the whole-change reviewer's case, which passed with exit 0).
TEST(CompareGateFailures, ANewKernelThatFailsTonightIsStillARegression) {
  SyntheticRunSpec before, with_adam;
  before.seed = 1;
  with_adam.seed = 2;
  with_adam.micro_batches = 1;
  const LabeledResults base{"base.json", synthetic_run(before)};
  LabeledResults cur{"tonight.json", synthetic_run(with_adam)};
  const auto adam = std::find_if(cur.results.kernels.begin(), cur.results.kernels.end(),
                                 [](const auto& k) { return k.per_optimizer_step; });
  ASSERT_NE(adam, cur.results.kernels.end());
  const std::string name = adam->name;
  mark_not_measured(cur.results, static_cast<size_t>(adam - cur.results.kernels.begin()), "failed", kWrong);
  RegressionOptions o;
  o.compatibility.allow_different_shapes = true;
  const auto r = check_regressions(base, cur, o);
  const auto& f = item(r, name);
  EXPECT_EQ(f.verdict, Verdict::Failed);
  EXPECT_NE(f.explanation.find("not in the baseline (a new kernel), failed in the current run: tonight.json"),
            std::string::npos)
      << f.explanation;
  EXPECT_FALSE(f.shape.empty());
  EXPECT_EQ(r.verdict(), "regression");
  EXPECT_EQ(r.exit_code(), 1);
}
