// Items the regression gate cannot judge, and what the gate then says. A 2-standard-error band of
// ±100% or more reaches past 0 ms: current·(1 − 2·noise) <= 0 never clears the baseline's band,
// so a 50x slowdown read "same". Such an item is unjudged ("too noisy"), and a gate with one and no
// regression is "inconclusive" (exit 3), never "no regression": a nightly job reads the verdict.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/gate_items.hpp"

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

using tb::testing::item;

// Kernel `index` of a run given new samples, its statistics and the step following, as a run
// writes them (the file stays consistent with itself).
void set_samples(tb::results::RunResults& run, size_t index, const std::vector<double>& samples) {
  auto& k = run.kernels[index];
  k.samples_ms = samples;
  k.stats = tb::timing::summarize(samples);
  tb::testing::restep_from_kernels(run);
}

}  // namespace

// The reviewer's residual_add: 0.1524 -> 7.935 ms (+5107%) with noise ±3.69% / ±160.32%.
TEST(CompareUnjudged, ABandReachingPastZeroIsTooNoisyNotSame) {
  const auto v = decide("residual_add", 0.1524, 7.935, {0.15, 0.1524, 0.16}, {7.0, 7.935, 30.0}, 0.01845, 0.8016, {});
  EXPECT_EQ(v.verdict, Verdict::Unjudged) << v.explanation;
  EXPECT_EQ(v.rule, "unjudged");
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  EXPECT_TRUE(makes_inconclusive(v.unjudged_reason));
  EXPECT_FALSE(v.in_family());
  EXPECT_NE(v.reason.find("too noisy: ±160% on the current side"), std::string::npos) << v.reason;
  EXPECT_NE(v.explanation.find("+5106.69%"), std::string::npos) << v.explanation;
  EXPECT_NEAR(v.noise_current, 0.8016, 1e-15);  // the noise that was too much is reported

  // The edge: a band of exactly ±100% reaches 0 ms; ±99% does not, and the 200x is found.
  EXPECT_EQ(decide("k", 1.0, 200.0, {1, 1.01}, {199, 201}, 0.01, 0.5, {}).verdict, Verdict::Unjudged);
  const auto judged = decide("k", 1.0, 200.0, {1, 1.01}, {199, 201}, 0.01, 0.495, {});
  EXPECT_EQ(judged.rule, "noise-band");
  EXPECT_EQ(judged.verdict, Verdict::Slower) << judged.explanation;  // 200·0.01 = 2 > 1·1.02
  // The baseline's band past zero: no improvement could be told either; named as that side's.
  const auto base_noisy = decide("k", 10.0, 1.0, {5, 15}, {1, 1.01}, 0.6, 0.01, {});
  EXPECT_EQ(base_noisy.verdict, Verdict::Unjudged);
  EXPECT_NE(base_noisy.reason.find("±120% on the baseline side"), std::string::npos) << base_noisy.reason;
  // Five samples a side go to the U test, which reads no band: judged whatever the noise.
  EXPECT_EQ(decide("k", 1.0, 2.0, {1, 1, 1, 1, 1}, {2, 2, 2, 2, 2}, 0.6, 0.6, {}).rule, "u-test");
}

// Through the gate: one kernel of four samples whose current run has a 100 ms hiccup among them.
// Its item is unjudged, naming its outliers; the gate is inconclusive (exit 3) in the text, the
// JSON (with the count) and the JUnit (an <error>, as the exit code is one); a regression
// elsewhere still makes it a regression (exit 1).
TEST(CompareUnjudged, AGateWithAnItemTooNoisyIsInconclusive) {
  SyntheticRunSpec spec;
  spec.samples = 4;  // below the U test's 5: noise bands decide
  auto base = synthetic_run(spec);
  spec.seed = 2;
  auto cur = synthetic_run(spec);
  // Its median kept (x): {0.1x, 0.5x, 1.5x, 100x} has MAD 0.7x, σ̂ 1.038x, noise
  // 1.2533·1.038/(2·1) = 0.65, a band of ±130%; 100x is beyond median + 5σ̂ = 6.2x, an outlier.
  const double x = cur.kernels[3].stats.median_ms;
  set_samples(cur, 3, {0.1 * x, 0.5 * x, 1.5 * x, 100 * x});
  ASSERT_NEAR(cur.kernels[3].stats.median_ms, x, 1e-12 * x);
  ASSERT_GE(cur.kernels[3].stats.rel_noise, 0.5);
  ASSERT_EQ(cur.kernels[3].stats.outliers, 1);
  const auto r = check_regressions({"base.json", base}, {"cur.json", cur}, {});
  const auto& v = item(r, cur.kernels[3].name);
  EXPECT_EQ(v.verdict, Verdict::Unjudged);
  EXPECT_NE(v.reason.find(fmt::format("too noisy: ±{:.0f}% on the current side", 200 * cur.kernels[3].stats.rel_noise)),
            std::string::npos)
      << v.reason;
  EXPECT_NE(v.reason.find("1 of 4 current samples are outliers"), std::string::npos) << v.reason;
  EXPECT_EQ(v.shape, cur.kernels[3].shape);
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.unjudged(), 1);
  EXPECT_EQ(r.inconclusive_items(), 1);
  EXPECT_EQ(r.verdict(), "inconclusive");
  EXPECT_EQ(r.exit_code(), 3);

  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_EQ(text.find("No regression"), std::string::npos) << text;
  EXPECT_NE(text.find("INCONCLUSIVE: no item slower beyond threshold and noise, but 1 of"), std::string::npos) << text;
  const auto j = to_json(r);
  EXPECT_EQ(j.at("verdict"), "inconclusive");
  EXPECT_EQ(j.at("exit_code"), 3);
  EXPECT_EQ(j.at("unjudged"), 1);
  EXPECT_EQ(j.at("inconclusive_items"), 1);
  bool reasoned = false;
  for (const auto& i : j.at("items"))
    if (i.at("verdict") == "unjudged") reasoned = i.at("reason").get<std::string>().find("too noisy") == 0;
    else EXPECT_TRUE(i.at("reason").is_null()) << i.dump();
  EXPECT_TRUE(reasoned) << j.dump(2);
  const std::string xml = junit_xml(r);
  EXPECT_NE(xml.find("errors=\"1\" skipped=\"0\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("type=\"unjudged\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"verdict\" value=\"inconclusive\"/>"), std::string::npos) << xml;

  // Another kernel 50% slower: found, and a found regression is the verdict.
  auto slower = cur;
  auto samples = slower.kernels[0].samples_ms;
  for (double& s : samples) s *= 1.5;
  set_samples(slower, 0, samples);
  const auto both = check_regressions({"base.json", base}, {"slower.json", slower}, {});
  EXPECT_EQ(item(both, slower.kernels[0].name).verdict, Verdict::Slower);  // (and the step it is part of)
  EXPECT_EQ(both.verdict(), "regression");
  EXPECT_EQ(both.exit_code(), 1);
}

// A single sample (no noise estimate) leaves the gate inconclusive too; the step of files with
// different kernel sets (--allow-different-shapes) does not: its kernels are items of their own,
// and the one missing tonight is what leaves the gate inconclusive.
TEST(CompareUnjudged, ASingleSampleIsInconclusiveAStepOfOtherKernelsIsNot) {
  SyntheticRunSpec spec;
  auto base = synthetic_run(spec);
  spec.seed = 2;
  auto cur = synthetic_run(spec);
  set_samples(cur, 0, {cur.kernels[0].samples_ms.front()});
  const auto one = check_regressions({"base.json", base}, {"cur.json", cur}, {});
  EXPECT_EQ(item(one, cur.kernels[0].name).unjudged_reason, UnjudgedReason::SingleSample);
  EXPECT_EQ(one.verdict(), "inconclusive");
  // The step's noise is its kernels': its reason names the kernel with one sample, and the side.
  const auto& step = item(one, "step");
  EXPECT_EQ(step.unjudged_reason, UnjudgedReason::SingleSample);
  EXPECT_NE(step.reason.find("a kernel has a single sample (no noise estimate) in the current " +
                             kernel_key(cur.kernels[0]) + ": not judged"),
            std::string::npos)
      << step.reason;
  EXPECT_EQ(step.reason.find(kernel_key(cur.kernels[1])), std::string::npos) << step.reason;
  // Every item so: a gate that judged nothing is refused, saying why with the first item.
  auto all_single = cur;
  for (size_t i = 0; i < all_single.kernels.size(); ++i)
    set_samples(all_single, i, {all_single.kernels[i].samples_ms.front()});
  try {
    check_regressions({"base.json", base}, {"single.json", all_single}, {});
    ADD_FAILURE() << "a gate that judged nothing passed";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no item could be judged (the first, " + kernel_key(cur.kernels[0]) + ": a side has a single "
                     "sample"),
              std::string::npos)
        << m;
  }

  auto fewer = synthetic_run(spec);
  fewer.kernels.pop_back();
  set_samples(fewer, 0, fewer.kernels[0].samples_ms);  // the step re-summed over its kernels
  RegressionOptions allow;
  allow.compatibility.allow_different_shapes = true;
  const auto other = check_regressions({"base.json", base}, {"fewer.json", fewer}, allow);
  EXPECT_EQ(item(other, "step").unjudged_reason, UnjudgedReason::OtherKernels);
  EXPECT_FALSE(leaves_inconclusive(item(other, "step")));
  EXPECT_EQ(other.unjudged(), 1);
  EXPECT_EQ(item(other, base.kernels.back().name).verdict, Verdict::Missing);
  EXPECT_EQ(other.inconclusive_items(), 1);
  EXPECT_EQ(other.verdict(), "inconclusive");
  EXPECT_EQ(other.exit_code(), 3);
}

// A bimodal baseline (6 samples near 1 ms, 5 near 2 ms: median 1.05) against a current run whose
// heavier mode is the slow one (median 1.83, +74%): the samples overlap, so the U test is not
// significant, yet the median moved far beyond the threshold. Seen, not confirmed: unjudged and the
// gate inconclusive (exit 3), as where runs decide, never "no regression". A clean +1% passes.
TEST(CompareUnjudged, ABimodalSlowdownTheUTestCannotConfirmIsInconclusive) {
  const std::vector<double> bimodal = {1.00, 1.01, 1.02, 1.03, 1.04, 1.05, 2.00, 2.01, 2.02, 2.03, 2.04};
  const std::vector<double> heavier_slow = {1.00, 1.01, 1.02, 1.03, 1.04, 1.83, 1.84, 2.00, 2.01, 2.02, 2.03};
  const auto v = decide("k", 1.05, 1.83, bimodal, heavier_slow, 0.01, 0.01, {});
  EXPECT_EQ(v.rule, "u-test");
  EXPECT_NEAR(v.change, 1.83 / 1.05 - 1, 1e-12);  // +74.3%
  EXPECT_GT(*v.p_value, 0.05);
  EXPECT_EQ(v.verdict, Verdict::Unjudged);
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  EXPECT_NE(v.reason.find("too noisy: the median's change, +74.29%, is beyond the 3.0% threshold"), std::string::npos)
      << v.reason;
  // --threshold 0 asks for significance alone, as it does where runs decide.
  RegressionOptions significance_alone;
  significance_alone.threshold = 0;
  EXPECT_EQ(decide("k", 1.05, 1.83, bimodal, heavier_slow, 0.01, 0.01, significance_alone).verdict, Verdict::Same);

  // Through the gate, the kernels alone: the verdict is inconclusive, exit 3.
  SyntheticRunSpec spec;
  spec.samples = static_cast<int>(bimodal.size());
  auto base = synthetic_run(spec);
  spec.seed = 2;
  auto cur = synthetic_run(spec);
  const double x = base.kernels[0].stats.median_ms;
  std::vector<double> b = bimodal, c = heavier_slow, clean = bimodal;
  for (double& s : b) s *= x;
  for (double& s : c) s *= x;
  for (double& s : clean) s *= 1.01 * x;
  set_samples(base, 0, b);
  set_samples(cur, 0, c);
  // Without the step, whose sum the +74% median moves beyond its noise bands (a regression of its own).
  base.step.reset();
  cur.step.reset();
  const auto r = check_regressions({"base.json", base}, {"cur.json", cur}, {});
  EXPECT_EQ(item(r, base.kernels[0].name).verdict, Verdict::Unjudged);
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.verdict(), "inconclusive");
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_EQ(format_regressions(r, TableFormat::Text).find("No regression"), std::string::npos);

  // The same bimodal samples 1% slower: within the threshold, and the gate passes.
  set_samples(cur, 0, clean);
  cur.step.reset();
  const auto within = check_regressions({"base.json", base}, {"cur.json", cur}, {});
  EXPECT_EQ(item(within, base.kernels[0].name).verdict, Verdict::Same);
  EXPECT_EQ(within.exit_code(), 0);
}
