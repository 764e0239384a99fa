// What the regression gate says beside its verdict, from every file of each side: kernels missing
// from a file (and the step of different kernel sets left unjudged), what changed on the machine
// over all runs and within a side, each kernel's algorithm, kernels never verified.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/gate_items.hpp"

#include <algorithm>

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "harness/compare/side_by_side.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

LabeledResults labeled(const SyntheticRunSpec& spec, const std::string& origin) { return {origin, synthetic_run(spec)}; }

// The same timings from another start: a second run (a copy, the same start too, is refused).
LabeledResults restarted(const SyntheticRunSpec& spec, const std::string& origin) {
  LabeledResults run = labeled(spec, origin);
  run.results.machine.utc_time = "2026-01-02T00:00:00Z";
  return run;
}

std::vector<LabeledResults> runs(int n, uint32_t seed, const std::string& stem) {
  std::vector<LabeledResults> out;
  for (int i = 0; i < n; ++i) {
    SyntheticRunSpec spec;
    spec.seed = seed + static_cast<uint32_t>(i);
    out.push_back(labeled(spec, fmt::format("{}{}.json", stem, i)));
  }
  return out;
}

using tb::testing::item;

bool has_note(const RegressionReport& r, const std::string& text) {
  return std::any_of(r.notes.begin(), r.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

std::string all_notes(const RegressionReport& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + "\n";
  return s;
}

// A kernel left out of a file, its step recomputed as a run writes it (Σ calls x median, MFU and
// HFU and tokens/s following the time).
void drop_kernel(LabeledResults& run, const std::string& name) {
  auto& ks = run.results.kernels;
  ks.erase(std::remove_if(ks.begin(), ks.end(), [&](const auto& k) { return k.name == name; }), ks.end());
  tb::testing::restep_from_kernels(run.results);
}

RegressionOptions allow_shapes(Correction correction = Correction::Holm) {
  RegressionOptions o;
  o.correction = correction;
  o.compatibility.allow_different_shapes = true;
  return o;
}

}  // namespace

// The step is Σ calls x median over its own file's kernels: a file without one kernel has a
// shorter step though nothing got faster. Its step is not judged, and the file is named.
TEST(CompareGateNotes, AMissingKernelNamesTheFileAndLeavesTheStepUnjudged) {
  SyntheticRunSpec spec;
  auto base = labeled(spec, "base.json");
  auto cur = labeled(spec, "cur.json");
  const std::string key = kernel_key(cur.results.kernels[4]);
  drop_kernel(cur, cur.results.kernels[4].name);
  const auto r = check_regressions(base, cur, allow_shapes());
  const auto& step = item(r, "step");
  EXPECT_LT(step.change, 0);  // shorter by the kernel's share...
  EXPECT_EQ(step.rule, "unjudged");  // ...which is no speed-up
  EXPECT_EQ(step.verdict, Verdict::Unjudged);
  EXPECT_NE(step.explanation.find("measured different kernels"), std::string::npos) << step.explanation;
  EXPECT_EQ(r.improvements(), 0);
  // The kernel tonight lacks is an item of its own, said there and not again in a note.
  EXPECT_EQ(item(r, base.results.kernels[4].name).verdict, Verdict::Missing);
  EXPECT_FALSE(has_note(r, key + ": missing from")) << all_notes(r);

  // Several runs a side: one baseline file lacks the kernel. It is compared over the runs that
  // have it, the file is named, and the steps (of different kernel sets) are not judged.
  auto bases = runs(3, 1, "base"), curs = runs(3, 11, "cur");
  drop_kernel(bases[1], bases[1].results.kernels[4].name);
  const auto several = check_regressions(bases, curs, allow_shapes(Correction::None));
  EXPECT_TRUE(has_note(several, key + ": missing from base1.json; compared over the runs that have it"))
      << all_notes(several);
  EXPECT_EQ(item(several, "step").verdict, Verdict::Unjudged);
  // Two baseline runs of it are too few for the runs to decide: its samples do.
  EXPECT_EQ(item(several, curs[0].results.kernels[4].name).rule, "u-test");
  // Equal kernel sets: the step is judged as before.
  EXPECT_EQ(item(check_regressions(runs(3, 1, "base"), curs, allow_shapes(Correction::None)), "step").rule,
            "run ranges");
}

// Every file of each side counts: a baseline of three runs, one of another build, is a mixed
// baseline (noted, naming the files), and the change is over the sides' sets of values.
// A step over other kernel sets is unjudged whatever the runs: advice on runs a side counts the
// items runs can judge. 1 v 1 run of 5 samples, 23 kernels less one dropped: 22 shared kernels,
// each at best 2/252 = 0.0079 (untied samples) > 0.05 / 22, so the gate cannot fail and says 22 items, not 23.
TEST(CompareGateNotes, RunAdviceCountsOnlyWhatRunsCanJudge) {
  SyntheticRunSpec spec;
  spec.samples = 5;
  auto base = labeled(spec, "base.json");
  spec.seed = 9;
  auto cur = labeled(spec, "cur.json");
  drop_kernel(cur, cur.results.kernels[4].name);
  try {
    check_regressions(base, cur, allow_shapes());
    ADD_FAILURE() << "a gate that cannot fail passed";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("over the 22 items runs can judge"), std::string::npos) << m;
  }
}

TEST(CompareGateNotes, TheEnvironmentIsEveryFilesAndAMixedSideIsNoted) {
  RegressionOptions none;
  none.correction = Correction::None;
  auto bases = runs(3, 1, "base"), curs = runs(3, 11, "cur");
  for (auto& f : bases) f.results.machine.git_commit = "aaa";
  for (auto& f : curs) f.results.machine.git_commit = "aaa";
  EXPECT_TRUE(check_regressions(bases, curs, none).environment.empty());
  bases[1].results.machine.git_commit = "bbb";  // not the first file: formerly unseen
  const auto r = check_regressions(bases, curs, none);
  ASSERT_EQ(r.environment.size(), 1u);
  EXPECT_EQ(r.environment[0].field, "git_commit");
  EXPECT_EQ(r.environment[0].baseline, "aaa | bbb");
  EXPECT_EQ(r.environment[0].current, "aaa");
  EXPECT_TRUE(has_note(r, "the baseline's runs differ in git_commit: 'aaa' (base0.json, base2.json), 'bbb' "
                          "(base1.json)"))
      << all_notes(r);

  // A figure measured afresh by each run (a clock, a CPU's estimated peak) moves a little:
  // overlapping ranges are no change and no mix; ranges apart are, shown as lo..hi.
  bases[1].results.machine.git_commit = "aaa";
  for (auto* side : {&bases, &curs})
    for (auto& f : *side) f.results.machine.sm_clock_mhz = 1980;
  bases[0].results.machine.sm_clock_mhz = 1960;
  curs[2].results.machine.sm_clock_mhz = 1990;
  const auto moved = check_regressions(bases, curs, none);
  EXPECT_TRUE(moved.environment.empty()) << moved.environment[0].field;
  EXPECT_FALSE(has_note(moved, "sm_clock_mhz")) << all_notes(moved);
  // The host's load too: back-to-back runs load the host for the next, so a quiet first run and
  // busy later ones are one setup, not a mixed side.
  for (auto* side : {&bases, &curs})
    for (auto& f : *side) f.results.machine.host_cpus = 2, f.results.machine.load_avg_1m = 1.5;
  bases[0].results.machine.load_avg_1m = 0.2;  // quiet (< 1 on 2 CPUs) before the others ran
  curs[0].results.machine.load_avg_1m = 0.3;
  const auto loaded = check_regressions(bases, curs, none);
  EXPECT_FALSE(has_note(loaded, "host_load")) << all_notes(loaded);
  EXPECT_TRUE(loaded.environment.empty()) << loaded.environment[0].field;
  for (auto& f : curs) f.results.machine.sm_clock_mhz = 1755;  // throttled
  const auto apart = check_regressions(bases, curs, none);
  ASSERT_EQ(apart.environment.size(), 1u);
  EXPECT_EQ(apart.environment[0].field, "sm_clock_mhz");
  EXPECT_EQ(apart.environment[0].baseline, "1960 MHz..1980 MHz");
  EXPECT_EQ(apart.environment[0].current, "1755 MHz");
}

// Another algorithm for a kernel (a cuBLASLt update's choice, "cpu unfused" for "cpu tiled
// flash-style") is listed per kernel in the text, JSON and JUnit; another --impl is refused like
// another workload.
TEST(CompareGateNotes, AnAlgorithmChangeIsListedPerKernelAndAnotherImplIsRefused) {
  SyntheticRunSpec spec;
  auto base = labeled(spec, "base.json");
  auto cur = restarted(spec, "cur.json");
  for (auto* r : {&base, &cur})
    for (auto& k : r->results.kernels) k.algorithm = "cpu tiled flash-style, 32x32 tiles";
  const std::string key = kernel_key(cur.results.kernels[3]);
  cur.results.kernels[3].algorithm = "cpu unfused: sgemm + softmax";
  const auto r = check_regressions(base, cur, {});
  ASSERT_EQ(r.environment.size(), 1u);
  EXPECT_EQ(r.environment[0].field, "algorithm");
  EXPECT_EQ(r.environment[0].kernel, key);
  EXPECT_EQ(r.environment[0].baseline, "cpu tiled flash-style, 32x32 tiles");
  EXPECT_EQ(r.environment[0].current, "cpu unfused: sgemm + softmax");
  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_NE(text.find("algorithm of " + key + ": cpu tiled flash-style, 32x32 tiles -> cpu unfused: sgemm + softmax"),
            std::string::npos)
      << text;
  EXPECT_EQ(to_json(r).at("environment")[0].at("kernel"), key);
  EXPECT_NE(junit_xml(r).find("name=\"changed.algorithm." + key + "\""), std::string::npos);
  // Unrecorded on one side (an older file): not a change.
  cur.results.kernels[3].algorithm.clear();
  EXPECT_TRUE(check_regressions(base, cur, {}).environment.empty());

  // Within one side: the runs that ran another algorithm are named.
  RegressionOptions none;
  none.correction = Correction::None;
  auto bases = runs(3, 1, "base"), curs = runs(3, 11, "cur");
  for (auto* side : {&bases, &curs})
    for (auto& f : *side) f.results.kernels[3].algorithm = "algo 1";
  bases[2].results.kernels[3].algorithm = "algo 7";
  const auto mixed = check_regressions(bases, curs, none);
  EXPECT_TRUE(has_note(mixed, key + ": the baseline's runs ran different algorithms: 'algo 1' (base0.json, "
                                    "base1.json), 'algo 7' (base2.json)"))
      << all_notes(mixed);
  ASSERT_EQ(mixed.environment.size(), 1u);  // and the sides differ: {algo 1, algo 7} against {algo 1}
  EXPECT_EQ(mixed.environment[0].baseline, "algo 1 | algo 7");

  base.results.workload.attention_impl = "fused";
  cur.results.workload.attention_impl = "unfused";
  try {
    check_regressions(base, cur, {});
    ADD_FAILURE() << "fused and unfused attention compared as one workload";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("workload.attention_impl = 'fused' vs 'unfused'"), std::string::npos) << m;
    EXPECT_NE(m.find("--allow-different-shapes"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(check_regressions(base, cur, allow_shapes()));
  // Side by side (no --baseline) sets implementations apart on purpose: fused beside unfused.
  EXPECT_NO_THROW(tb::compare::build_side_by_side({base, cur}, {}));
  base.results.workload.attention_impl.clear();  // a file older than the field says nothing
  EXPECT_NO_THROW(check_regressions(base, cur, {}));
}

// `gemm --no-verify` writes a complete run whose kernel is not verified: the gate compares it,
// and says so per kernel, naming the file.
TEST(CompareGateNotes, AnUnverifiedKernelIsNoted) {
  SyntheticRunSpec spec;
  const auto base = labeled(spec, "base.json");
  auto cur = restarted(spec, "cur.json");
  cur.results.kernels[0].verified = false;
  const auto r = check_regressions(base, cur, {});
  EXPECT_TRUE(has_note(r, kernel_key(cur.results.kernels[0]) + ": not verified against its reference in cur.json"))
      << all_notes(r);
  EXPECT_FALSE(has_note(check_regressions(base, restarted(spec, "again.json"), {}), "not verified"));
}

// The header says the rules that decided, not every rule there is; the advice for single runs
// of `run` files is more `run` files (a step has no --benchmark_repetitions).
TEST(CompareGateNotes, TheHeaderNamesTheRulesUsedAndTheAdviceFitsTheCommand) {
  SyntheticRunSpec spec;
  const auto one = check_regressions(labeled(spec, "b.json"), restarted(spec, "c.json"), {});
  const std::string text = format_regressions(one, TableFormat::Text);
  EXPECT_NE(text.find("by the U test on each kernel's samples (>= 5 a side); 2-standard-error bands"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("run ranges"), std::string::npos) << text;
  EXPECT_TRUE(has_note(one, "give 7 or more runs a side (several `trainbench run` files")) << all_notes(one);
  EXPECT_FALSE(has_note(one, "--benchmark_repetitions"));

  RegressionOptions none;
  none.correction = Correction::None;
  const auto three = check_regressions(runs(3, 1, "b"), runs(3, 11, "c"), none);
  const std::string t3 = format_regressions(three, TableFormat::Text);
  EXPECT_NE(t3.find("by run ranges (every current run beyond every baseline run; 3 vs 3 runs)"), std::string::npos)
      << t3;
  EXPECT_EQ(t3.find("U test"), std::string::npos) << t3;
  EXPECT_NE(t3.find("--correction none: false alarms grow with the number of kernels"), std::string::npos) << t3;
}
