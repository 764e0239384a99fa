// The regression gate on SYNTHETIC runs (tests/report/synthetic_results.hpp): noise alone never
// fails it; a real slowdown beyond threshold and noise does, naming the kernel.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/gate_items.hpp"

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/repetitions.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

LabeledResults labeled(const SyntheticRunSpec& spec, const std::string& origin) { return {origin, synthetic_run(spec)}; }

// The same timings from another start: a second run (a copy, the same start too, is refused).
LabeledResults restarted(LabeledResults run, const std::string& origin) {
  run.origin = origin;
  run.results.machine.utc_time = "2026-01-02T00:00:00Z";
  return run;
}

using tb::testing::item;

}  // namespace

TEST(CompareRegression, IdenticalRunsHaveNoRegression) {
  SyntheticRunSpec spec;
  const auto base = labeled(spec, "base.json");
  const auto r = check_regressions(base, restarted(base, "cur.json"), {});
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.improvements(), 0);
  ASSERT_FALSE(r.items.empty());
  EXPECT_EQ(r.items.back().name, "step");
  for (const auto& i : r.items) EXPECT_EQ(i.verdict, Verdict::Same) << i.key;
  EXPECT_EQ(item(r, "qkv.fwd").rule, "u-test");
  EXPECT_DOUBLE_EQ(*item(r, "qkv.fwd").p_value, 1.0);
}

TEST(CompareRegression, NoiseAloneIsNotARegression) {
  SyntheticRunSpec a, b;
  b.seed = 99;  // same machine, another night: only the noise differs
  const auto r = check_regressions(labeled(a, "base.json"), labeled(b, "cur.json"), {});
  EXPECT_EQ(r.regressions(), 0);
}

TEST(CompareRegression, OneSlowKernelIsNamedWithItsSlowdown) {
  SyntheticRunSpec base, cur;
  cur.seed = 7;
  cur.slow_kernel = "qkv.fwd";
  cur.slowdown = 0.10;
  const auto r = check_regressions(labeled(base, "base.json"), labeled(cur, "cur.json"), {});
  EXPECT_EQ(r.regressions(), 1);
  const auto& v = item(r, "qkv.fwd");
  EXPECT_EQ(v.verdict, Verdict::Slower);
  EXPECT_NEAR(v.change, 0.10, 0.02);
  EXPECT_LT(*v.p_value, 0.01);
  // One GEMM among many: the step is well under 3% slower, so it passes.
  EXPECT_EQ(item(r, "step").verdict, Verdict::Same);
}

TEST(CompareRegression, EverythingSlowerFailsTheStepToo) {
  SyntheticRunSpec base, cur;
  cur.seed = 3;
  cur.slow_kernel = "*";
  cur.slowdown = 0.10;
  const auto r = check_regressions(labeled(base, "b"), labeled(cur, "c"), {});
  EXPECT_EQ(r.regressions(), static_cast<int>(r.items.size()));
  EXPECT_EQ(item(r, "step").verdict, Verdict::Slower);
  EXPECT_EQ(item(r, "step").rule, "noise-band");
}

TEST(CompareRegression, SignificantButBelowThresholdPasses) {
  SyntheticRunSpec base, cur;
  cur.seed = 5;
  cur.slow_kernel = "*";
  cur.slowdown = 0.015;  // real (p tiny with 0.1% noise) but under the 3% threshold
  base.sample_rel_stddev = cur.sample_rel_stddev = 0.001;
  const auto r = check_regressions(labeled(base, "b"), labeled(cur, "c"), {});
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_LT(*item(r, "qkv.fwd").p_value, 0.01);
  RegressionOptions strict;
  strict.threshold = 0.01;
  EXPECT_GT(check_regressions(labeled(base, "b"), labeled(cur, "c"), strict).regressions(), 0);
}

TEST(CompareRegression, FasterIsAnImprovementNotAFailure) {
  SyntheticRunSpec base, cur;
  cur.seed = 11;
  cur.slow_kernel = "*";
  cur.slowdown = -0.10;
  const auto r = check_regressions(labeled(base, "b"), labeled(cur, "c"), {});
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.improvements(), static_cast<int>(r.items.size()));
}

TEST(CompareRegression, AboveThresholdButWithinNoiseIsUnjudgedNotSame) {
  // 5% slower medians, but the samples interleave: the U-test cannot tell them apart. A change
  // beyond the threshold seen but not confirmed is no "same" (it may be the regression).
  const std::vector<double> base = {10.0, 12.0, 9.0, 11.0, 13.0};
  const std::vector<double> cur = {10.5, 12.6, 9.45, 11.55, 13.65};
  const auto v = decide("k", 11.0, 11.55, base, cur, 0.05, 0.05, {});
  EXPECT_EQ(v.rule, "u-test");
  EXPECT_GT(*v.p_value, 0.05);
  EXPECT_EQ(v.verdict, Verdict::Unjudged);
  EXPECT_EQ(v.unjudged_reason, UnjudgedReason::TooNoisy);
  // Faster beyond the threshold and not significant is no regression to hide: same.
  EXPECT_EQ(decide("k", 11.55, 11.0, cur, base, 0.05, 0.05, {}).verdict, Verdict::Same);
}

TEST(CompareRegression, TooFewSamplesFallBackToNoiseBands) {
  // 10% slower, noise 1%: bands 10±0.2 and 11±0.22 are apart → slower.
  auto v = decide("k", 10.0, 11.0, {10.0, 10.1}, {11.0, 11.1}, 0.01, 0.01, {});
  EXPECT_EQ(v.rule, "noise-band");
  EXPECT_EQ(v.verdict, Verdict::Slower);
  EXPECT_FALSE(v.p_value.has_value());
  // change = 11/10 − 1 = 0.1 (to the last bits of 1.1 in binary: within 1e-15).
  EXPECT_NEAR(v.change, 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(v.baseline_ms, 10.0);
  EXPECT_DOUBLE_EQ(v.current_ms, 11.0);
  EXPECT_NE(v.explanation.find("+10.00%"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("apart"), std::string::npos) << v.explanation;
  // The bands just apart, just overlapping: 11·(1 − 2·0.022) = 10.516 vs 10·(1 + 2·0.025) = 10.5
  // → apart; with 0.026 the baseline's band reaches 10.52 → overlap.
  EXPECT_EQ(decide("k", 10.0, 11.0, {}, {}, 0.025, 0.022, {}).verdict, Verdict::Slower);
  EXPECT_EQ(decide("k", 10.0, 11.0, {}, {}, 0.026, 0.022, {}).verdict, Verdict::Same);
  // Same 10% with 5% noise each: 10·1.1 = 11 vs 11·0.9 = 9.9 overlap → within noise.
  v = decide("k", 10.0, 11.0, {}, {}, 0.05, 0.05, {});
  EXPECT_EQ(v.verdict, Verdict::Same);
  EXPECT_NE(v.explanation.find("overlap"), std::string::npos);
}

TEST(CompareRegression, RefusesDifferentDevicesUnlessAllowed) {
  SyntheticRunSpec h100, h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  try {
    check_regressions(labeled(h100, "base.json"), labeled(h200, "cur.json"), {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("different devices"), std::string::npos) << m;
    EXPECT_NE(m.find("H200"), std::string::npos) << m;
    EXPECT_NE(m.find("--allow-different-device"), std::string::npos) << m;
  }
  RegressionOptions o;
  o.compatibility.allow_different_device = true;
  EXPECT_NO_THROW(check_regressions(labeled(h100, "base.json"), labeled(h200, "cur.json"), o));

  // One name, two parts: "AMD EPYC" with 2 and with 64 logical CPUs is no code change.
  auto small = labeled(h100, "small.json"), big = labeled(h100, "big.json");
  small.results.machine.backend = big.results.machine.backend = "cpu";
  small.results.machine.device_name = big.results.machine.device_name = "AMD EPYC";
  small.results.machine.sm_count = 2;
  big.results.machine.sm_count = 64;
  try {
    check_regressions(small, big, {});
    FAIL() << "2 and 64 cores compared as one machine";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("machine.sm_count (logical CPUs) = '2' vs '64'"), std::string::npos)
        << e.what();
  }
}

TEST(CompareRegression, RefusesDifferentModelsAndShapesUnlessAllowed) {
  SyntheticRunSpec a, other_model, other_tp;
  other_model.model = "gpt3-xl";
  other_model.tensor_parallel = 1;
  other_tp.tensor_parallel = 4;
  try {
    check_regressions(labeled(a, "a.json"), labeled(other_model, "b.json"), {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("workload.model"), std::string::npos) << m;
    EXPECT_NE(m.find("gpt3-xl"), std::string::npos) << m;
    EXPECT_NE(m.find("--allow-different-shapes"), std::string::npos) << m;
  }
  try {
    check_regressions(labeled(a, "a.json"), labeled(other_tp, "b.json"), {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor_parallel"), std::string::npos) << e.what();
  }
  RegressionOptions o;
  o.compatibility.allow_different_shapes = true;
  const auto r = check_regressions(labeled(a, "a.json"), labeled(other_tp, "b.json"), o);
  // Kernels of other shapes are listed as items, not compared: missing from one side, new on the other.
  EXPECT_TRUE(std::any_of(r.items.begin(), r.items.end(), [](const ItemVerdict& i) { return i.verdict == Verdict::Missing; }));
  EXPECT_TRUE(std::any_of(r.items.begin(), r.items.end(), [](const ItemVerdict& i) { return i.verdict == Verdict::New; }));
}

// The same kernels with the optimizer step charged over other micro-batches (or data-parallel
// shards) make another step: +9% on the reviewer's gpt2-small with no kernel slower. Refused as
// shapes are, naming the field, both values and the flags that set them.
TEST(CompareRegression, RefusesAnotherOptimizerStepShareUnlessAllowed) {
  SyntheticRunSpec m96, m1536;
  m96.micro_batches = 96;
  m1536.micro_batches = 1536;
  m1536.seed = 2;  // another night's run, not a copy
  try {
    check_regressions(labeled(m96, "a.json"), labeled(m1536, "b.json"), {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("workload.micro_batches = '96' vs '1536'"), std::string::npos) << m;
    EXPECT_NE(m.find("--micro-batches"), std::string::npos) << m;
    EXPECT_NE(m.find("--allow-different-shapes"), std::string::npos) << m;
  }
  auto dp16 = labeled(m96, "b.json");
  dp16.results.workload.data_parallel = 16;
  try {
    check_regressions(labeled(m96, "a.json"), dp16, {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("workload.data_parallel = '1' vs '16'"), std::string::npos) << e.what();
  }
  RegressionOptions o;
  o.compatibility.allow_different_shapes = true;
  EXPECT_NO_THROW(check_regressions(labeled(m96, "a.json"), labeled(m1536, "b.json"), o));
  // A file from before the optimizer step (no adam, read as M = 1) beside a new one: another
  // kernel set, said as such, not an M that --micro-batches could match.
  SyntheticRunSpec old_file;
  old_file.seed = 3;
  try {
    check_regressions(labeled(old_file, "old.json"), labeled(m96, "new.json"), {});
    FAIL() << "expected a refusal";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("measured different kernels"), std::string::npos) << m;
    EXPECT_NE(m.find("only in the second: adam"), std::string::npos) << m;
  }
}

TEST(CompareRegression, RefusesFailedAndPartialRuns) {
  SyntheticRunSpec spec;
  auto failed = labeled(spec, "failed.json");
  failed.results.status = "failed";
  auto partial = labeled(spec, "partial.json");
  partial.results.status = "partial";
  auto bad_kernel = labeled(spec, "oom.json");
  tb::testing::mark_not_measured(bad_kernel.results, 2, "oom", "out of memory");
  const auto ok = labeled(spec, "ok.json");
  // A run that failed or is partial with nothing failed is refused on either side; a kernel that
  // failed (oom) is taken on either side, as an item of its own (test_compare_gate_failures.cpp,
  // test_compare_gate_one_side.cpp).
  for (const auto* bad : {&failed, &partial}) {
    try {
      check_regressions(*bad, restarted(ok, "cur.json"), {});
      FAIL() << "expected a refusal of " << bad->origin;
    } catch (const tb::UsageError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(bad->origin), std::string::npos) << m;
      EXPECT_TRUE(m.find("failed") != std::string::npos || m.find("partial") != std::string::npos) << m;
    }
  }
  for (const auto* bad : {&failed, &partial}) EXPECT_THROW(check_regressions(ok, *bad, {}), tb::UsageError) << bad->origin;
  const auto r = check_regressions(bad_kernel, restarted(ok, "cur.json"), {});
  EXPECT_EQ(item(r, bad_kernel.results.kernels[2].name).verdict, Verdict::Fixed);
  EXPECT_EQ(item(r, bad_kernel.results.kernels[2].name).baseline_failures,
            std::vector<std::string>{"oom.json: oom (out of memory)"});
}

TEST(CompareRegression, RefusesBadOptionsNamingTheFlag) {
  SyntheticRunSpec spec;
  RegressionOptions o;
  o.threshold = -0.01;
  EXPECT_THROW(
      {
        try {
          check_regressions(labeled(spec, "a"), labeled(spec, "b"), o);
        } catch (const tb::UsageError& e) {
          EXPECT_NE(std::string(e.what()).find("--threshold"), std::string::npos);
          throw;
        }
      },
      tb::UsageError);
  o = {};
  o.alpha = 0;
  EXPECT_THROW(check_regressions(labeled(spec, "a"), labeled(spec, "b"), o), tb::UsageError);
}

// A nightly gate that fails says what changed on the machine since the baseline: the first
// suspects (a new driver, cuBLAS, a new build), in the text, the markdown and the JUnit XML.
TEST(CompareRegression, ReportsWhatChangedOnTheMachineSinceTheBaseline) {
  SyntheticRunSpec spec;
  auto base = labeled(spec, "base.json"), cur = restarted(base, "cur.json");
  EXPECT_TRUE(check_regressions(base, cur, {}).environment.empty());
  EXPECT_NE(format_regressions(check_regressions(base, cur, {}), TableFormat::Text).find("unchanged since the baseline"),
            std::string::npos);

  cur.results.machine.cublas_version = "13.1.0";
  base.results.machine.cublas_version = "13.0.2";
  cur.results.machine.git_commit = "def5678";
  base.results.machine.git_commit = "abc1234";
  const auto r = check_regressions(base, cur, {});
  ASSERT_EQ(r.environment.size(), 2u);
  EXPECT_EQ(r.environment[0].field, "cublas_version");  // software first, the build last
  EXPECT_EQ(r.environment[0].baseline, "13.0.2");
  EXPECT_EQ(r.environment[0].current, "13.1.0");
  EXPECT_EQ(r.environment[1].field, "git_commit");
  const std::string text = format_regressions(r, TableFormat::Markdown);
  EXPECT_NE(text.find("cublas_version: 13.0.2 -> 13.1.0"), std::string::npos) << text;
  const std::string xml = junit_xml(r);
  EXPECT_NE(xml.find("name=\"changed.git_commit\" value=\"abc1234 -&gt; def5678\""), std::string::npos) << xml;
  // The SKU whose peaks every % is judged against (--sku) is among the suspects too.
  cur.results.machine.sku = "h100-sxm";
  base.results.machine.sku = "cpu-estimated";
  const auto sku = check_regressions(base, cur, {});
  ASSERT_EQ(sku.environment.size(), 3u);
  EXPECT_EQ(sku.environment[1].field, "sku");  // after the software, beside the device
}

// A file edited by hand (or written by a broken tool) cannot pass or fail the gate: a median that
// is not its samples' median, a step that is not Σ calls × median.
TEST(CompareRegression, RefusesAFileAtOddsWithItself) {
  SyntheticRunSpec spec;
  const auto ok = labeled(spec, "ok.json");
  ASSERT_TRUE(ok.results.step.has_value());
  auto median = labeled(spec, "median.json");
  median.results.kernels[1].stats.median_ms *= 1.10;
  auto step = labeled(spec, "step.json");
  step.results.step->step_ms *= 1.5;
  const std::pair<const LabeledResults*, std::string> cases[] = {
      {&median, "kernels[1] (" + median.results.kernels[1].name + "): median_ms"}, {&step, "step.step_ms"}};
  for (const auto& [bad, needle] : cases) {
    try {
      check_regressions(ok, *bad, {});
      ADD_FAILURE() << "accepted " << bad->origin;
    } catch (const tb::UsageError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(bad->origin), std::string::npos) << m;
      EXPECT_NE(m.find(needle), std::string::npos) << m;
    }
  }
  EXPECT_NO_THROW(check_regressions(ok, restarted(ok, "ok-again.json"), {}));
}

// --benchmark_repetitions writes one entry per repetition: the gate pools them into one kernel
// (all samples, statistics recomputed) and compares it once.
// Each run of the same work shifted as a whole (clocks, placement, another process): `shift` per
// run, all kernels alike, with that run's own sampling noise.
std::vector<LabeledResults> runs(const std::vector<double>& shifts, uint32_t seed, const std::string& stem) {
  std::vector<LabeledResults> out;
  for (size_t i = 0; i < shifts.size(); ++i) {
    SyntheticRunSpec spec;
    spec.seed = seed + static_cast<uint32_t>(i);
    spec.slow_kernel = "*";
    spec.slowdown = shifts[i];
    out.push_back(labeled(spec, fmt::format("{}{}.json", stem, i)));
  }
  return out;
}

// Run-to-run variance beyond the threshold fails a one-run-a-side gate (samples within a run are
// tight, so the U test is sure); a gate whose runs overlap by more than that is inconclusive, not
// passed; a shift of every run fails both.
// Three runs a side can fail only item by item (--correction none): their best p, 1/20, is above
// what Holm asks of the first of 24 items (0.05/24); multiple_testing tests below cover Holm.
TEST(CompareRegression, SeveralRunsASideLetTheRunsDecide) {
  RegressionOptions none;
  none.correction = Correction::None;
  const auto base = runs({0.00, 0.10, 0.01}, 1, "base"), noisy = runs({0.05, 0.06, 0.11}, 11, "cur");
  EXPECT_EQ(item(check_regressions(base[0], noisy[0], {}), "qkv.fwd").verdict, Verdict::Slower);
  const auto r = check_regressions(base, noisy, none);
  EXPECT_EQ(r.baseline_runs, 3);
  EXPECT_EQ(r.current_runs, 3);
  const auto& v = item(r, "qkv.fwd");
  EXPECT_GT(v.change, 0.03);  // the runs differ by more than the threshold...
  EXPECT_EQ(v.rule, "run ranges");
  // ...but a baseline run was as slow as them: seen, not confirmed, so neither "same" nor slower.
  EXPECT_EQ(v.verdict, Verdict::Unjudged) << v.explanation;
  EXPECT_NE(v.reason.find("too noisy between runs"), std::string::npos) << v.reason;
  EXPECT_EQ(item(r, "step").rule, "run ranges");
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.verdict(), "inconclusive");
  for (const auto& note : r.notes) EXPECT_EQ(note.find("run-to-run"), std::string::npos) << note;

  const auto steady = runs({0.00, 0.01, 0.005}, 51, "steady"), slow = runs({0.06, 0.07, 0.065}, 21, "slow");
  const auto s = check_regressions(steady, slow, none);
  EXPECT_EQ(item(s, "qkv.fwd").verdict, Verdict::Slower) << item(s, "qkv.fwd").explanation;
  EXPECT_EQ(item(s, "step").verdict, Verdict::Slower) << item(s, "step").explanation;
  EXPECT_NE(s.current_origin.find("slow0.json + slow1.json + slow2.json (3 runs)"), std::string::npos);
  // Apart ranges of 3 against 3 happen by chance 1 time in C(6, 3) = 20: held to --alpha.
  EXPECT_DOUBLE_EQ(*item(s, "qkv.fwd").p_value, 1.0 / 20);
  // At alpha 0.01 no item of 3 against 3 can fail, whatever the runs: refused, not passed.
  RegressionOptions strict = none;
  strict.alpha = 0.01;
  EXPECT_THROW(check_regressions(steady, slow, strict), tb::UsageError);
  // Overlapping ranges saw nothing: p = 1, still one test of the family; runs that started in the
  // same second are still runs.
  EXPECT_DOUBLE_EQ(*item(r, "qkv.fwd").p_value, 1.0);
  EXPECT_DOUBLE_EQ(*item(r, "qkv.fwd").smallest_p_value, 1.0 / 20);
  auto same_second = slow;
  for (auto& f : same_second) f.results.machine.utc_time = "2026-01-01T00:00:00Z";
  EXPECT_NO_THROW(check_regressions(steady, same_second, none));
  // One run given twice is no second run: refused, naming the file.
  const std::vector<LabeledResults> twice{slow[0], slow[1], slow[0]};
  try {
    check_regressions(steady, twice, none);
    ADD_FAILURE() << "one run counted twice";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("slow0.json: the same run"), std::string::npos) << e.what();
  }

  // Five a side: the U test over the runs' medians (5 all above 5: exact p = 2/252).
  const auto five = runs({0, 0.01, 0.005, 0.002, 0.008}, 31, "b5"), five_slow = runs({0.1, 0.11, 0.105, 0.1, 0.12}, 41, "c5");
  const auto f = check_regressions(five, five_slow, none);
  EXPECT_EQ(item(f, "qkv.fwd").rule, "u-test over runs");
  EXPECT_NEAR(*item(f, "qkv.fwd").p_value, 2.0 / 252, 1e-9);
  EXPECT_EQ(item(f, "qkv.fwd").verdict, Verdict::Slower);
  EXPECT_EQ(item(f, "qkv.fwd").baseline_run_ms.size(), 5u);  // each run's median, for the JSON
}

// A gate that compared nothing (no kernel in common) cannot pass; a single sample has no noise
// estimate, so its 0% noise cannot make a difference significant.
TEST(CompareRegression, NothingInCommonIsRefusedAndASingleSampleIsUnjudged) {
  SyntheticRunSpec a, b;
  b.model = "gpt3-xl";
  b.tensor_parallel = 1;
  CompatibilityOptions allow;
  allow.allow_different_shapes = true;
  RegressionOptions o;
  o.compatibility = allow;
  try {
    check_regressions(labeled(a, "a.json"), labeled(b, "b.json"), o);
    ADD_FAILURE() << "a comparison of nothing passed";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no kernel in common"), std::string::npos) << e.what();
  }
  const auto v = decide("k", 10.0, 11.0, {10.0}, {11.0}, 0.0, 0.0, {});
  EXPECT_EQ(v.rule, "unjudged");
  EXPECT_EQ(v.verdict, Verdict::Unjudged);
  EXPECT_FALSE(v.in_family());
  SyntheticRunSpec one;
  one.samples = 1;
  auto slower = one;
  slower.slow_kernel = "*";
  slower.slowdown = 0.2;
  // Every item unjudged is a gate that judged nothing: refused, not passed.
  EXPECT_THROW(check_regressions(labeled(one, "one.json"), labeled(slower, "slower.json"), {}), tb::UsageError);
  // One side with one sample (its samples_ms left out of the file): unjudged, not a ±0% band.
  auto many = labeled(SyntheticRunSpec{}, "many.json"), bare = labeled(one, "bare.json");
  many.results.kernels.resize(2);
  bare.results.kernels.resize(2);
  bare.results.kernels[1] = many.results.kernels[1];  // a second kernel the gate can judge
  bare.results.kernels[0].samples_ms.clear();
  bare.results.kernels[0].stats.median_ms *= 1.5;
  many.results.step.reset();
  bare.results.step.reset();
  tb::testing::restep_from_kernels(bare.results);  // its rates follow the slower median
  const auto r = check_regressions(many, bare, {});
  EXPECT_EQ(r.regressions(), 0);
  EXPECT_EQ(r.items[0].rule, "unjudged");
  EXPECT_NE(r.items[1].rule, "unjudged");
}

// The step's noise, by hand: kernels of 2 calls × 1 ms at 1% and 1 call × 3 ms at 2% make a
// 5 ms step whose standard error is sqrt((2 × 0.01)² + (3 × 0.02)²) = sqrt(0.0004 + 0.0036) =
// 0.0632456 ms, 1.264911% of it. A kernel with one sample has no noise estimate: -1, and the
// step is then not judged, however far apart the steps are.
TEST(CompareRegression, StepNoiseIsTheSumsStandardErrorAndUnknownWithASingleSample) {
  tb::results::RunResults run;
  tb::results::KernelResult k;
  k.stats.samples = 5;
  k.calls_per_step = 2;
  k.stats.median_ms = 1.0;
  k.stats.rel_noise = 0.01;
  run.kernels.push_back(k);
  k.calls_per_step = 1;
  k.stats.median_ms = 3.0;
  k.stats.rel_noise = 0.02;
  run.kernels.push_back(k);
  EXPECT_NEAR(step_noise(run), 0.01264911, 1e-8);
  // Four kernels of 1 ms at 1%: sqrt(4 × 0.01²)/4 = 0.5%, the noise of a mean of four.
  tb::results::RunResults four;
  k.calls_per_step = 1;
  k.stats.median_ms = 1.0;
  k.stats.rel_noise = 0.01;
  four.kernels.assign(4, k);
  EXPECT_NEAR(step_noise(four), 0.005, 1e-15);
  run.kernels[1].stats.samples = 1;
  EXPECT_DOUBLE_EQ(step_noise(run), -1.0);

  // Through the gate: the current run 50% slower in every kernel, but one kernel of each run
  // measured once. That kernel and the step are unjudged; the others are judged (and slower).
  SyntheticRunSpec spec;
  auto base = labeled(spec, "base.json");
  SyntheticRunSpec slow = spec;
  slow.slow_kernel = "*";
  slow.slowdown = 0.5;
  auto cur = labeled(slow, "cur.json");
  for (auto* r : {&base, &cur}) {
    auto& first = r->results.kernels[0];
    first.samples_ms.resize(1);
    first.stats = tb::timing::summarize(first.samples_ms);
    tb::testing::restep_from_kernels(r->results);
  }
  ASSERT_DOUBLE_EQ(step_noise(base.results), -1.0);
  const auto report = check_regressions(base, cur, {});
  EXPECT_EQ(item(report, base.results.kernels[0].name).rule, "unjudged");
  EXPECT_EQ(item(report, "step").rule, "unjudged");
  EXPECT_EQ(item(report, "step").verdict, Verdict::Unjudged);
  EXPECT_NE(item(report, "step").explanation.find("single sample"), std::string::npos);
  EXPECT_EQ(item(report, base.results.kernels[1].name).verdict, Verdict::Slower);
}

TEST(CompareRegression, RepetitionsArePooledIntoOneKernel) {
  SyntheticRunSpec spec;
  auto single = labeled(spec, "single.json");
  single.results.step.reset();
  single.results.kernels.resize(1);
  auto repeated = single;
  repeated.origin = "repeated.json";
  auto second = single.results.kernels[0];
  for (double& s : second.samples_ms) s *= 1.001;
  second.stats = tb::timing::summarize(second.samples_ms);
  repeated.results.kernels.push_back(second);
  const auto r = check_regressions(repeated, restarted(repeated, "repeated-again.json"), {});
  ASSERT_EQ(r.items.size(), 1u);  // one kernel, not two
  for (const auto& note : r.notes) EXPECT_EQ(note.find("not compared"), std::string::npos) << note;
  // One file is one run, whatever its repetitions (they share one moment of the host's load): too
  // few for the runs to decide, and said so.
  EXPECT_EQ(r.baseline_runs, 1);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("run-to-run variance"), std::string::npos) << r.notes[0];
  const auto pooled = pool_repetitions(repeated);
  ASSERT_EQ(pooled.results.kernels.size(), 1u);
  EXPECT_EQ(pooled.results.kernels[0].samples_ms.size(), 2 * single.results.kernels[0].samples_ms.size());
  EXPECT_DOUBLE_EQ(pooled.results.kernels[0].stats.median_ms,
                   tb::timing::summarize(pooled.results.kernels[0].samples_ms).median_ms);
  EXPECT_EQ(check_regressions(single, repeated, {}).regressions(), 0);
  // By hand: repetitions of {1, 2, 3} ms and {4, 5, 6} ms pool into six samples whose median is
  // (3 + 4)/2 = 3.5 ms, not either repetition's median (2 or 5) nor their mean.
  auto hand = repeated;
  hand.results.kernels[0].samples_ms = {1.0, 2.0, 3.0};
  hand.results.kernels[0].stats = tb::timing::summarize(hand.results.kernels[0].samples_ms);
  hand.results.kernels[1].samples_ms = {4.0, 5.0, 6.0};
  hand.results.kernels[1].stats = tb::timing::summarize(hand.results.kernels[1].samples_ms);
  const auto hand_pooled = pool_repetitions(hand);
  ASSERT_EQ(hand_pooled.results.kernels.size(), 1u);
  EXPECT_EQ(hand_pooled.results.kernels[0].samples_ms.size(), 6u);
  EXPECT_DOUBLE_EQ(hand_pooled.results.kernels[0].stats.median_ms, 3.5);
  EXPECT_EQ(hand_pooled.results.kernels[0].stats.samples, 6);

  // A step lists each kernel once: a repeat there is a broken file; a repeat without samples
  // cannot be pooled. Both are refused, naming the file and the entry.
  auto step_file = labeled(spec, "step.json");
  step_file.results.kernels.push_back(step_file.results.kernels[0]);
  EXPECT_THROW(pool_repetitions(step_file), tb::UsageError);
  auto bare = repeated;
  bare.results.kernels[1].samples_ms.clear();
  try {
    pool_repetitions(bare);
    ADD_FAILURE() << "a repetition without samples was pooled";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("repeated.json: kernels[1]"), std::string::npos) << e.what();
  }
}
