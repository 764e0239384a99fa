// `trainbench report --baseline B[,B...] CURRENT...`: the regression gate's verdict as a page, from
// the gate `compare --baseline` runs, on SYNTHETIC runs with a planted slowdown. The page is the
// product: report exits 0 once it is written and says the verdict on stderr.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/report_page.hpp"
#include "tests/support/results_dir_test.hpp"

using tb::testing::run_trainbench;

namespace {

class ReportGateCli : public tb::testing::ResultsDirTest {
 protected:
  ReportGateCli() : ResultsDirTest("tb_report_gate_cli_") {}
  // `n` runs named stem-0.json ..., `slow_kernel` slower by `slowdown` in each.
  std::vector<std::string> runs(int n, uint32_t seed, const std::string& slow_kernel, double slowdown,
                                const std::string& stem) {
    std::vector<std::string> paths;
    for (int i = 0; i < n; ++i) {
      tb::testing::SyntheticRunSpec spec;
      spec.seed = seed + static_cast<uint32_t>(i);
      spec.slow_kernel = slow_kernel;
      spec.slowdown = slowdown;
      paths.push_back(write(stem + "-" + std::to_string(i) + ".json", tb::testing::synthetic_run(spec)));
    }
    return paths;
  }
};

const nlohmann::json& item_named(const nlohmann::json& gate, const std::string& name) {
  for (const auto& i : gate.at("items"))
    if (i.at("name") == name) return i;
  throw std::runtime_error("no item " + name);
}

}  // namespace

// Seven runs a side (what a `run` file's items need under Holm, README), qkv.fwd 20% slower in
// every current run: the page shows the regression with its change, as compare's JSON has it.
TEST_F(ReportGateCli, APlantedSlowdownIsShownWithItsChangeAndReportExitsZero) {
  const auto good = runs(7, 1, "", 0.0, "good"), tonight = runs(7, 101, "qkv.fwd", 0.20, "tonight");
  const std::string html = dir_ + "/gate.html";
  std::vector<std::string> args{"report", "--baseline", comma_list(good)};
  args.insert(args.end(), tonight.begin(), tonight.end());
  std::vector<std::string> compare_args = args;
  args.insert(args.end(), {"-o", html, "--chartjs", tb::testing::write_fake_chartjs(dir_)});
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  compare_args[0] = "compare";
  compare_args.push_back("--json");
  const auto c = run_trainbench(compare_args);
  const auto expected = nlohmann::json::parse(c.out);
  ASSERT_EQ(expected.at("verdict"), "regression") << c.out;
  EXPECT_NE(r.err.find("the gate's verdict: regression"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`compare --baseline` would exit " + std::to_string(expected.at("exit_code").get<int>())),
            std::string::npos)
      << r.err;

  const auto data = tb::testing::report_page_data(html);
  ASSERT_TRUE(data.is_object());
  const auto& gate = data.at("gate");
  EXPECT_EQ(gate.at("verdict"), "regression");
  EXPECT_EQ(gate.at("baseline_runs"), 7);
  EXPECT_EQ(gate.at("current_runs"), 7);
  EXPECT_EQ(gate.at("baseline").size(), 7u);
  const auto& slow = item_named(gate, "qkv.fwd");
  EXPECT_EQ(slow.at("verdict"), "slower");
  EXPECT_NEAR(slow.at("change").get<double>(), 0.20, 0.03);
  EXPECT_DOUBLE_EQ(slow.at("change").get<double>(), item_named(expected, "qkv.fwd").at("change").get<double>());
  EXPECT_EQ(slow.at("adjusted_p_value"), item_named(expected, "qkv.fwd").at("adjusted_p_value"));
  EXPECT_EQ(item_named(gate, "mlp_up.fwd").at("verdict"), item_named(expected, "mlp_up.fwd").at("verdict"));
  EXPECT_EQ(gate.at("items").size(), expected.at("items").size());
  EXPECT_TRUE(data.at("side_by_side").is_null());
}

// Flags only the other mode reads are refused, not ignored: the extrapolation's with --baseline,
// the gate's without; the gate's own refusals (a glob after --baseline) are report's too.
TEST_F(ReportGateCli, FlagsOfTheOtherModeAndAGlobAfterBaselineAreRefused) {
  const auto good = runs(3, 1, "", 0.0, "good"), tonight = runs(3, 11, "", 0.0, "tonight");
  const std::string html = dir_ + "/gate.html", chartjs = tb::testing::write_fake_chartjs(dir_);
  auto r = run_trainbench({"report", "--baseline", comma_list(good), tonight[0], "--gpus", "64", "-o", html,
                           "--chartjs", chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--gpus: only the side-by-side report reads these"), std::string::npos) << r.err;
  r = run_trainbench({"report", good[0], "--threshold", "5%", "-o", html, "--chartjs", chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--threshold: only the regression gate reads these"), std::string::npos) << r.err;
  r = run_trainbench({"report", "--baseline", good[0], good[1], good[2], tonight[0], "-o", html, "--chartjs", chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--baseline took 1 file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(html));
}
