// `trainbench compare --baseline` as a nightly job runs it, on SYNTHETIC results files: how the
// sides are given (one FILE per --baseline, comma lists; a shell glob after --baseline refused),
// the JSON a bot reads (each side's files, each item's name, shape and dtype, the verdict and the
// exit code, which tell a regression from a runtime error), and the gates it must refuse or call
// inconclusive rather than pass.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/results_io.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

using tb::testing::run_trainbench;
using tb::testing::SyntheticRunSpec;

namespace {

class CompareGateCli : public tb::testing::ResultsDirTest {
 protected:
  CompareGateCli() : ResultsDirTest("tb_compare_gate_cli_") {}
  // `n` runs named stem-0.json ..., each shifted as a whole by `shift` plus 0.2% per run.
  std::vector<std::string> runs(int n, uint32_t seed, double shift, const std::string& stem) {
    std::vector<std::string> paths;
    for (int i = 0; i < n; ++i) {
      SyntheticRunSpec spec;
      spec.seed = seed + static_cast<uint32_t>(i);
      spec.slow_kernel = "*";
      spec.slowdown = shift + 0.002 * i;
      paths.push_back(write(stem + "-" + std::to_string(i) + ".json", tb::testing::synthetic_run(spec)));
    }
    return paths;
  }
};

std::vector<std::string> args(std::vector<std::string> head, const std::vector<std::string>& files,
                              const std::vector<std::string>& tail = {}) {
  head.insert(head.end(), files.begin(), files.end());
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

// `--baseline good-1.json good-2.json … tonight-*.json`: good-1 alone was the baseline and the
// rest a pool of both nights, which hid a 2x slowdown. Refused, saying how to write it.
TEST_F(CompareGateCli, AGlobAfterBaselineIsRefusedAndCommaListsAreTheWay) {
  const auto good = runs(3, 1, 0.0, "good"), tonight = runs(3, 11, 1.0, "tonight");
  const std::string junit = dir_ + "/junit.xml";
  std::vector<std::string> all = good;
  all.insert(all.end(), tonight.begin(), tonight.end());
  const auto glob = run_trainbench(args({"compare", "--baseline"}, all, {"--json", "--junit", junit}));
  EXPECT_EQ(glob.exit_code, 2) << glob.out << glob.err;
  EXPECT_NE(glob.err.find("--baseline took 1 file (" + good[0] + ") and the current side 5 files"), std::string::npos)
      << glob.err;
  EXPECT_NE(glob.err.find("Did you mean --baseline " + good[0] + "," + good[1] + ",…"), std::string::npos) << glob.err;
  const auto j = nlohmann::json::parse(glob.out);
  EXPECT_EQ(j.at("verdict"), "error");
  EXPECT_EQ(j.at("exit_code"), 2);
  EXPECT_NE(tb::testing::read_text(junit).find("<error message=\"--baseline took 1 file"), std::string::npos);

  // A comma list, or --baseline repeated: three runs a side, each side's files in the JSON.
  const std::vector<std::vector<std::string>> ways{{"--baseline", comma_list(good)},
                                                   {"--baseline", good[0], "--baseline", good[1] + "," + good[2]}};
  for (const auto& baseline : ways) {
    auto a = baseline;
    a.insert(a.begin(), "compare");
    const auto r = run_trainbench(args(a, tonight, {"--json", "--correction", "none"}));
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // the 2x is found
    const auto v = nlohmann::json::parse(r.out);
    EXPECT_EQ(v.at("verdict"), "regression");
    EXPECT_EQ(v.at("exit_code"), 1);
    EXPECT_EQ(v.at("baseline"), nlohmann::json(good));
    EXPECT_EQ(v.at("current"), nlohmann::json(tonight));
    EXPECT_NE(v.at("baseline_label").get<std::string>().find("(3 runs)"), std::string::npos) << v.at("baseline_label");
    EXPECT_EQ(v.at("baseline_runs"), 3);
  }
  // One file a side is the plain gate, as before.
  EXPECT_EQ(run_trainbench({"compare", "--baseline", good[0], tonight[0]}).exit_code, 1);
  // The help says what --baseline takes.
  const auto help = run_trainbench({"compare", "--help"});
  EXPECT_NE(help.out.find("--baseline FILE[,FILE...]"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("--baseline TEXT"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("--baseline FILE[,FILE...] ..."), std::string::npos) << help.out;  // no space-separated list
}

// Each item's kernel name, shape and dtype apart from its key; the step has none (null).
TEST_F(CompareGateCli, JsonItemsCarryNameShapeAndDtype) {
  const auto base = runs(1, 1, 0.0, "base"), cur = runs(1, 2, 0.0, "cur");
  const auto r = run_trainbench({"compare", "--baseline", base[0], cur[0], "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("baseline"), nlohmann::json::array({base[0]}));
  ASSERT_FALSE(j.at("items").empty());
  for (const auto& i : j.at("items")) {
    if (i.at("key") == "step") {
      EXPECT_EQ(i.at("name"), "step");
      EXPECT_TRUE(i.at("shape").is_null() && i.at("dtype").is_null()) << i.dump();
      continue;
    }
    EXPECT_EQ(i.at("key").get<std::string>(), i.at("name").get<std::string>() + " [" +
                                                  i.at("shape").get<std::string>() + "] " +
                                                  i.at("dtype").get<std::string>());
    EXPECT_EQ(i.at("dtype"), "bf16");
  }
}

// The same file on both sides, by another spelling of its path or as a copy: refused (a run
// compared with itself can only pass), in the JSON asked for.
TEST_F(CompareGateCli, TheSameRunOnBothSidesIsRefused) {
  const auto base = runs(1, 1, 0.0, "base");
  const std::string other_spelling = dir_ + "/./base-0.json";
  const std::string copy = dir_ + "/copy.json";
  std::filesystem::copy_file(base[0], copy);
  for (const auto& current : {base[0], other_spelling}) {
    const auto r = run_trainbench({"compare", "--baseline", base[0], current, "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(base[0] + " is given as the baseline (--baseline " + base[0] + ") and as a current run"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out).at("verdict"), "error");
  }
  const auto copied = run_trainbench({"compare", "--baseline", base[0], copy});
  EXPECT_EQ(copied.exit_code, 2) << copied.out << copied.err;
  EXPECT_NE(copied.err.find("are the same run"), std::string::npos) << copied.err;
}

// 6 runs a side over a `run` file's 24 items can never fail under Holm: refused (exit 2) with
// the advice, in JSON and JUnit; 7 a side can, and a 2x slowdown fails it with exit 1.
TEST_F(CompareGateCli, SixRunsASideAreRefusedSevenFindA2xSlowdown) {
  const auto good = runs(7, 1, 0.0, "good"), slow = runs(7, 101, 1.0, "slow");
  const std::string junit = dir_ + "/junit.xml";
  const std::vector<std::string> good6(good.begin(), good.begin() + 6), slow6(slow.begin(), slow.begin() + 6);
  const auto six =
      run_trainbench(args({"compare", "--baseline", comma_list(good6)}, slow6, {"--json", "--junit", junit}));
  EXPECT_EQ(six.exit_code, 2) << six.out << six.err;
  const auto j = nlohmann::json::parse(six.out);
  EXPECT_EQ(j.at("verdict"), "error");
  const std::string why = j.at("error");
  EXPECT_NE(why.find("6 vs 6 run(s) a side, --alpha 0.05, --correction holm over 24 items"), std::string::npos) << why;
  EXPECT_NE(why.find("7 or more runs a side"), std::string::npos) << why;
  EXPECT_NE(tb::testing::read_text(junit).find("<error message=\""), std::string::npos);

  const auto seven =
      run_trainbench(args({"compare", "--baseline", comma_list(good)}, slow, {"--json", "--junit", junit}));
  EXPECT_EQ(seven.exit_code, 1) << seven.out << seven.err;
  const auto s = nlohmann::json::parse(seven.out);
  EXPECT_EQ(s.at("verdict"), "regression");
  EXPECT_EQ(s.at("regressions"), 24);
  EXPECT_NEAR(s.at("items")[0].at("smallest_p_value").get<double>(), 2.0 / 3432, 1e-15);
  EXPECT_NE(tb::testing::read_text(junit).find("failures=\"24\""), std::string::npos);
}

// A kernel too noisy to judge and nothing slower: "inconclusive", exit 3 (not 2: the input was
// fine, no usage error), never "No regression".
TEST_F(CompareGateCli, AnItemTooNoisyToJudgeMakesTheGateInconclusive) {
  SyntheticRunSpec spec;
  spec.samples = 4;
  const std::string base = write("base.json", tb::testing::synthetic_run(spec));
  spec.seed = 2;
  auto cur = tb::testing::synthetic_run(spec);
  auto& k = cur.kernels[0];
  const double x = k.stats.median_ms;  // kept: noise ±130% and a 100x hiccup, the median unmoved
  k.samples_ms = {0.1 * x, 0.5 * x, 1.5 * x, 100 * x};
  k.stats = tb::timing::summarize(k.samples_ms);
  double step_ms = 0;
  for (const auto& kr : cur.kernels) step_ms += static_cast<double>(kr.calls_per_step) * kr.stats.median_ms;
  cur.step->mfu *= cur.step->step_ms / step_ms;
  cur.step->hfu *= cur.step->step_ms / step_ms;
  cur.step->step_ms = step_ms;
  const std::string noisy = write("noisy.json", cur);
  const auto text = run_trainbench({"compare", "--baseline", base, noisy});
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_EQ(text.out.find("No regression"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("INCONCLUSIVE"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("too noisy"), std::string::npos) << text.out;
  const auto json = run_trainbench({"compare", "--baseline", base, noisy, "--json"});
  EXPECT_EQ(json.exit_code, 3);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("verdict"), "inconclusive");
  EXPECT_EQ(j.at("exit_code"), 3);
  EXPECT_EQ(j.at("inconclusive_items"), 1);
}

// Exit 1 is a regression or a runtime error: the JSON verdict tells them apart. A JUnit file that
// cannot be written (here: a file size limit, as a full disk would) is a runtime error, answered
// as {"verdict": "error", "exit_code": 1}, never with the verdict of a report half written.
TEST_F(CompareGateCli, ARuntimeErrorAnswersWithAnErrorVerdict) {
  const auto base = runs(1, 1, 0.0, "base"), cur = runs(1, 2, 0.0, "cur");
  const std::string junit = dir_ + "/junit.xml";
  // A 512- or 1024-byte limit on every file written (stdout's JSON error fits, the report's JUnit
  // does not); SIGXFSZ ignored, so that a write beyond it fails with EFBIG instead of killing.
  const auto r = run_trainbench({"compare", "--baseline", base[0], cur[0], "--json", "--junit", junit},
                                "trap '' XFSZ; ulimit -f 1;");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j.at("verdict"), "error");
  EXPECT_EQ(j.at("exit_code"), 1);
  EXPECT_NE(j.at("error").get<std::string>().find("junit.xml"), std::string::npos) << r.out;
}
