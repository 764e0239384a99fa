// `trainbench compare --baseline` as a nightly job reads it, on SYNTHETIC results files, where a
// kernel has measurements on one side only, or in only some runs of a side: a kernel that failed
// (out of memory, an error) in 1 of N baseline runs is judged over the runs that measured it; one
// that fails tonight is a failed item (exit 1) whatever the other runs timed; one that fails on
// both sides, or failed in every baseline run and is measured tonight, is an item of its own
// (exit 0); under --allow-different-shapes a kernel missing tonight makes the gate inconclusive
// (exit 3) and a new one is listed (exit 0). Each through the binary: exit code, JSON, JUnit, text.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

using nlohmann::json;
using tb::testing::mark_not_measured;
using tb::testing::read_text;
using tb::testing::run_trainbench;
using tb::testing::SyntheticRunSpec;

namespace {

// The first four kernels of a synthetic step (qkv, attention, ...), the step re-summed over them
// as a run writes it: few items, so that three runs a side under --correction none can judge them.
constexpr size_t kKernels = 4;
// The kernel the tests fail, drop or slow down.
constexpr size_t kVictim = 2;

class CompareGateOneSideCli : public tb::testing::ResultsDirTest {
 protected:
  CompareGateOneSideCli() : ResultsDirTest("tb_compare_gate_one_side_cli_") {}

  static tb::results::RunResults trimmed(uint32_t seed, double victim_slowdown = 0) {
    SyntheticRunSpec spec;
    spec.seed = seed;
    auto r = tb::testing::synthetic_run(spec);
    if (victim_slowdown > 0) {
      spec.slow_kernel = r.kernels[kVictim].name;
      spec.slowdown = victim_slowdown;
      r = tb::testing::synthetic_run(spec);
    }
    r.kernels.resize(kKernels);
    tb::testing::restep_from_kernels(r);
    return r;
  }
  // "stem-0.json" ...: n runs of seeds seed, seed + 1, ...; `edit` changes run i before it is written.
  template <typename Edit>
  std::vector<std::string> runs(int n, uint32_t seed, const std::string& stem, Edit edit, double slowdown = 0) {
    std::vector<std::string> paths;
    for (int i = 0; i < n; ++i) {
      auto r = trimmed(seed + static_cast<uint32_t>(i), slowdown);
      edit(i, r);
      paths.push_back(write(fmt::format("{}-{}.json", stem, i), r));
    }
    return paths;
  }
  std::vector<std::string> runs(int n, uint32_t seed, const std::string& stem, double slowdown = 0) {
    return runs(n, seed, stem, [](int, tb::results::RunResults&) {}, slowdown);
  }

  // The gate over these sides, as JSON, with its exit code; a JUnit file beside it.
  json gate(const std::vector<std::string>& baseline, const std::vector<std::string>& current,
            std::vector<std::string> extra, int* exit_code) {
    std::vector<std::string> a = {"compare", "--baseline", comma_list(baseline)};
    a.insert(a.end(), current.begin(), current.end());
    a.insert(a.end(), {"--json", "--junit", junit()});
    a.insert(a.end(), extra.begin(), extra.end());
    const auto r = run_trainbench(a);
    *exit_code = r.exit_code;
    const json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  std::string junit() const { return dir_ + "/junit.xml"; }
};

json item_named(const json& gate, const std::string& name) {
  for (const auto& i : gate.at("items"))
    if (i.at("name") == name) return i;
  ADD_FAILURE() << "no item " << name << " in " << gate.dump(2);
  return json::object();
}

std::string victim_name() { return tb::testing::synthetic_run({}).kernels[kVictim].name; }

}  // namespace

// Out of memory in 1 of 4 baseline runs: the kernel is judged over the other 3 (here a 30%
// slowdown tonight, found by run ranges: exit 1), and the item says how many baseline runs
// failed it. Before, the whole baseline was refused (exit 2) for one run's failure.
TEST_F(CompareGateOneSideCli, AKernelThatFailedInOneBaselineRunIsJudgedOverTheOthers) {
  const auto base = runs(4, 1, "base", [](int i, tb::results::RunResults& r) {
    if (i == 1) mark_not_measured(r, kVictim, "oom", "out of memory");
  });
  const auto slower = runs(3, 11, "slower", 0.30);
  int rc = 0;
  const json j = gate(base, slower, {"--correction", "none"}, &rc);
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_EQ(j.at("verdict"), "regression");
  const json v = item_named(j, victim_name());
  EXPECT_EQ(v.at("verdict"), "slower");
  EXPECT_EQ(v.at("rule"), "run ranges");
  EXPECT_EQ(v.at("baseline_runs_ms").size(), 3u);  // b-1's failure is left out, the others used
  EXPECT_EQ(v.at("baseline_failed_runs"), 1);
  EXPECT_EQ(v.at("current_failed_runs"), 0);
  EXPECT_EQ(v.at("baseline_failures"), json::array({base[1] + ": oom (out of memory)"}));
  EXPECT_NE(v.at("explanation").get<std::string>().find("failed in 1 of 4 baseline runs"), std::string::npos)
      << v.at("explanation");
  // The step of the three complete baseline runs against tonight's: judged, not left out.
  EXPECT_EQ(item_named(j, "step").at("rule"), "run ranges");

  // Tonight the same code: the kernel judged the same, over the same three baseline runs.
  const auto same = runs(3, 21, "same");
  const json s = gate(base, same, {"--correction", "none"}, &rc);
  EXPECT_EQ(rc, 0) << s.dump(2);
  EXPECT_EQ(item_named(s, victim_name()).at("verdict"), "same");
  EXPECT_EQ(item_named(s, victim_name()).at("baseline_runs_ms").size(), 3u);
  const std::string text = run_trainbench({"compare", "--baseline", comma_list(base), same[0], same[1], same[2],
                                           "--correction", "none"})
                               .out;
  EXPECT_NE(text.find("failed in 1 of 4 baseline runs (" + base[1] + ": oom (out of memory)): judged over the 3 "
                      "that measured it"),
            std::string::npos)
      << text;
}

// Out of memory in 1 of 3 runs tonight, measured in the baseline: a failed item (the worst
// regression, exit 1), counted and named, its JUnit <failure type="failed">; the times the other
// two runs measured are said in its explanation, not lost.
TEST_F(CompareGateOneSideCli, AKernelThatFailsInOneRunTonightFailsTheGate) {
  const auto base = runs(3, 1, "base");
  const auto cur = runs(3, 11, "cur", [](int i, tb::results::RunResults& r) {
    if (i == 1) mark_not_measured(r, kVictim, "oom", "out of memory");
  });
  int rc = 0;
  const json j = gate(base, cur, {"--correction", "none"}, &rc);
  EXPECT_EQ(rc, 1) << j.dump(2);
  EXPECT_EQ(j.at("verdict"), "regression");
  EXPECT_EQ(j.at("exit_code"), 1);
  const json v = item_named(j, victim_name());
  EXPECT_EQ(v.at("verdict"), "failed");
  EXPECT_EQ(v.at("current_failed_runs"), 1);
  EXPECT_EQ(v.at("baseline_failed_runs"), 0);
  EXPECT_EQ(v.at("current_failures"), json::array({cur[1] + ": oom (out of memory)"}));
  const std::string why = v.at("explanation");
  EXPECT_NE(why.find("failed in 1 of 3 current runs"), std::string::npos) << why;
  EXPECT_NE(why.find("measured in the other 2"), std::string::npos) << why;
  const std::string xml = read_text(junit());
  EXPECT_NE(xml.find("type=\"failed\""), std::string::npos) << xml;
}

// Failing in every baseline run and in a run tonight: not a regression (nothing got worse) and
// not dropped: an item "still_failing", exit 0 where the rest pass, a JUnit <skipped> (the exit
// code and the CI view agree). Failing in every baseline run and measured in each run tonight:
// "fixed". Neither is counted as a regression or as inconclusive.
TEST_F(CompareGateOneSideCli, AKernelFailingOnBothSidesIsItsOwnItem) {
  const char* wrong = "verification FAILED: max relative error 0.5 exceeds the bf16 tolerance 0.02";
  const auto base = runs(3, 1, "base", [&](int, tb::results::RunResults& r) {
    mark_not_measured(r, kVictim, "failed", wrong);
  });
  const auto cur = runs(3, 11, "cur", [&](int i, tb::results::RunResults& r) {
    if (i == 0) mark_not_measured(r, kVictim, "failed", wrong);
  });
  int rc = 0;
  const json j = gate(base, cur, {"--correction", "none"}, &rc);
  EXPECT_EQ(rc, 0) << j.dump(2);
  EXPECT_EQ(j.at("verdict"), "no_regression");
  EXPECT_EQ(j.at("regressions"), 0);
  EXPECT_EQ(j.at("still_failing"), 1);
  const json v = item_named(j, victim_name());
  EXPECT_EQ(v.at("verdict"), "still_failing");
  EXPECT_EQ(v.at("rule"), "failed");
  EXPECT_EQ(v.at("baseline_failed_runs"), 3);
  EXPECT_EQ(v.at("current_failed_runs"), 1);
  EXPECT_NE(v.at("reason").get<std::string>().find("failed in 3 of 3 baseline runs and in 1 of 3 current runs"),
            std::string::npos)
      << v.at("reason");
  const std::string xml = read_text(junit());
  EXPECT_NE(xml.find("failures=\"0\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<skipped message=\"still failing: "), std::string::npos) << xml;

  const auto fixed = runs(3, 21, "fixed");
  const json f = gate(base, fixed, {"--correction", "none"}, &rc);
  EXPECT_EQ(rc, 0) << f.dump(2);
  EXPECT_EQ(item_named(f, victim_name()).at("verdict"), "fixed");
  EXPECT_EQ(f.at("fixed"), 1);
  EXPECT_EQ(f.at("inconclusive_items"), 0);
}

// --allow-different-shapes with a kernel the baseline measured and tonight's run lacks: an item
// "missing" in the JSON, the text and the JUnit (an <error>, as for the other inconclusive items),
// and the gate inconclusive (exit 3): the kernel may be the regression. A kernel new tonight is an
// item "new", which passes (exit 0). Without the flag, both are refused as before (exit 2).
TEST_F(CompareGateOneSideCli, MissingKernelsAreInconclusiveNewOnesListed) {
  const auto full = runs(1, 1, "full");
  const auto fewer = runs(1, 2, "fewer", [](int, tb::results::RunResults& r) {
    r.kernels.erase(r.kernels.begin() + kVictim);
    tb::testing::restep_from_kernels(r);
  });
  int rc = 0;
  const json refused = gate(full, fewer, {}, &rc);
  EXPECT_EQ(rc, 2) << refused.dump(2);
  EXPECT_EQ(refused.at("error_kind"), "incomparable");

  const json m = gate(full, fewer, {"--allow-different-shapes"}, &rc);
  EXPECT_EQ(rc, 3) << m.dump(2);
  EXPECT_EQ(m.at("verdict"), "inconclusive");
  EXPECT_EQ(m.at("exit_code"), 3);
  EXPECT_EQ(m.at("missing"), 1);
  EXPECT_EQ(m.at("inconclusive_items"), 1);
  const json v = item_named(m, victim_name());
  EXPECT_EQ(v.at("verdict"), "missing");
  EXPECT_EQ(v.at("rule"), "one side");
  EXPECT_GT(v.at("baseline_ms").get<double>(), 0);
  EXPECT_NE(v.at("reason").get<std::string>().find("measured in the baseline, missing from every current run (" +
                                                   fewer[0] + ")"),
            std::string::npos)
      << v.at("reason");
  const std::string xml = read_text(junit());
  EXPECT_NE(xml.find("type=\"missing\""), std::string::npos) << xml;
  const auto text = run_trainbench({"compare", "--baseline", full[0], fewer[0], "--allow-different-shapes"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.out.find("INCONCLUSIVE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(v.at("key").get<std::string>() + " MISSING: "), std::string::npos) << text.out;

  // The other way round: the kernel is new tonight, listed and passed.
  const json n = gate(fewer, full, {"--allow-different-shapes"}, &rc);
  EXPECT_EQ(rc, 0) << n.dump(2);
  EXPECT_EQ(n.at("verdict"), "no_regression");
  EXPECT_EQ(n.at("new"), 1);
  EXPECT_EQ(n.at("missing"), 0);
  const json nv = item_named(n, victim_name());
  EXPECT_EQ(nv.at("verdict"), "new");
  EXPECT_GT(nv.at("current_ms").get<double>(), 0);
  EXPECT_NE(read_text(junit()).find("<skipped message=\"new: "), std::string::npos) << read_text(junit());
}
