// `trainbench report` of what compare cannot set side by side: a partial (interrupted) run, drawn
// under its PARTIAL banner while compare keeps refusing it, and a health file with its verdict and
// checks. SYNTHETIC results files, and a quick CPU health run. Files of several kinds in one
// report: test_report_kinds_cli.cpp; the gate as a page: test_report_gate_cli.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/report_page.hpp"
#include "tests/support/results_dir_test.hpp"

namespace {

class ReportCli : public tb::testing::ResultsDirTest {
 protected:
  ReportCli() : ResultsDirTest("tb_report_cli_") {}
  std::string fake_chartjs() { return tb::testing::write_fake_chartjs(dir_); }
  nlohmann::json page_data(const std::string& html_path) { return tb::testing::report_page_data(html_path); }
};

TEST_F(ReportCli, APartialRunIsReportedUnderItsBannerAndCompareStillRefusesIt) {
  auto run = tb::testing::synthetic_run({});
  const size_t n = run.kernels.size();
  tb::testing::mark_not_measured(run, n - 2, "interrupted", "");
  tb::testing::mark_not_measured(run, n - 1, "skipped", "");
  const std::string partial = write("partial.json", run);
  const std::string html = dir_ + "/r.html";
  const auto r = tb::testing::run_trainbench({"report", partial, "-o", html, "--chartjs", fake_chartjs()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto data = page_data(html);
  ASSERT_TRUE(data.is_object());
  const auto& runs = data["side_by_side"]["runs"];
  EXPECT_EQ(runs[0]["status"], "partial");
  EXPECT_EQ(runs[0]["partial"]["kernels_measured"], n - 2);
  EXPECT_TRUE(runs[0]["step"].is_null());
  EXPECT_NE(tb::testing::read_text(html).find("'PARTIAL: '"), std::string::npos);

  const auto c = tb::testing::run_trainbench({"compare", partial, write("good.json", tb::testing::synthetic_run({}))});
  EXPECT_EQ(c.exit_code, 2) << c.out << c.err;
  EXPECT_NE(c.err.find("the run is partial"), std::string::npos) << c.err;
}

TEST_F(ReportCli, AHealthFileShowsItsVerdictAndChecks) {
  const std::string h = dir_ + "/h.json";
  const auto health = tb::testing::run_trainbench(
      {"health", "--device", "cpu", "--max-time", "0.05", "--min-time", "0", "--json", "--out", h});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  const auto printed = nlohmann::json::parse(health.out);
  const std::string html = dir_ + "/r.html";
  const auto r = tb::testing::run_trainbench({"report", h, "-o", html, "--chartjs", fake_chartjs()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto data = page_data(html);
  ASSERT_TRUE(data.is_object());
  EXPECT_TRUE(data["side_by_side"].is_null());  // a health file is no run to set side by side
  ASSERT_EQ(data["health"].size(), 1u);
  EXPECT_EQ(data["health"][0]["origin"], h);
  const auto& shown = data["health"][0]["health"];
  EXPECT_EQ(shown["verdict"], printed["verdict"]);
  ASSERT_EQ(shown["checks"].size(), printed["checks"].size());
  for (size_t i = 0; i < shown["checks"].size(); ++i) {
    EXPECT_EQ(shown["checks"][i]["id"], printed["checks"][i]["id"]);
    EXPECT_EQ(shown["checks"][i]["status"], printed["checks"][i]["status"]);
    EXPECT_EQ(shown["checks"][i]["detail"], printed["checks"][i]["detail"]);
  }
}

}  // namespace
