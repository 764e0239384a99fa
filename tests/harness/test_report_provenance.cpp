// The report's provenance (when, where, which build and libraries, load, unconverged kernels), a
// health file's verdict and checks, and a partial run drawn under its banner: in the data
// (report_data, also compare --json's) and on the page.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/report/html_report.hpp"
#include "harness/report/report_data.hpp"
#include "harness/report/report_page.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"

using namespace tb::report;
using nlohmann::json;

namespace {

std::vector<tb::compare::LabeledResults> two_runs() {
  tb::testing::SyntheticRunSpec h100, h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  return {{"h100.json", tb::testing::synthetic_run(h100)}, {"h200.json", tb::testing::synthetic_run(h200)}};
}

json data_of(const std::vector<tb::compare::LabeledResults>& runs, tb::compare::SideBySideOptions o = {}) {
  return report_data(tb::compare::build_side_by_side(runs, o), "t");
}

std::string page_of(const std::vector<tb::compare::LabeledResults>& runs) {
  const std::string dir = tb::testing::make_temp_dir("tb_chartjs_");
  const std::string chartjs = dir + "/chart.umd.js";
  tb::testing::write_text(chartjs, "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,"
                                "function(){return function(){}})");
  ReportOptions o;
  o.chartjs_path = chartjs;
  const std::string html = render_html_report(runs, o);
  std::filesystem::remove_all(dir);
  return html;
}

}  // namespace

TEST(ReportProvenance, EachRunCarriesItsMachineAsRecorded) {
  auto runs = two_runs();
  auto& m = runs[0].results.machine;
  m.utc_time = "2026-12-07T19:30:00Z";
  m.git_commit = "38c3e9e-dirty";
  m.host = "node-017";
  m.blas_version = "OpenBLAS 0.3.21";
  m.driver_version = "550.54.15";
  m.cuda_runtime_version = "12.4";
  m.cublas_version = "12.4.5";
  m.nccl_version = "2.21.5";
  m.load_avg_1m = 3.25;
  m.host_cpus = 2;
  m.build_type = "Release";
  m.peak_source = "cpu estimate, the highest on this machine so far (/cache/peaks.json)";
  m.measured_clock_mhz = 3800;
  runs[1].results.machine.load_avg_1m.reset();
  const json j = data_of(runs);
  const json& a = j["runs"][0]["machine"];
  EXPECT_EQ(a["utc_time"], "2026-12-07T19:30:00Z");
  EXPECT_EQ(a["git_commit"], "38c3e9e-dirty");
  EXPECT_EQ(a["host"], "node-017");
  EXPECT_EQ(a["blas_version"], "OpenBLAS 0.3.21");
  EXPECT_EQ(a["driver_version"], "550.54.15");
  EXPECT_EQ(a["cuda_runtime_version"], "12.4");
  EXPECT_EQ(a["cublas_version"], "12.4.5");
  EXPECT_EQ(a["nccl_version"], "2.21.5");
  EXPECT_EQ(a["load_avg_1m"], 3.25);
  EXPECT_EQ(a["host_cpus"], 2);
  EXPECT_EQ(a["build_type"], "Release");
  EXPECT_EQ(a["peak_source"], m.peak_source);
  EXPECT_EQ(a["measured_clock_mhz"], 3800);
  EXPECT_TRUE(a["measured_memory_tb_s"].is_null());  // not measured: null
  EXPECT_TRUE(j["runs"][1]["machine"]["load_avg_1m"].is_null());  // not recorded: null, not 0
  EXPECT_EQ(j["runs"][1]["machine"]["utc_time"], runs[1].results.machine.utc_time);
  EXPECT_EQ(j["runs"][0]["status"], "complete");
  EXPECT_TRUE(j["runs"][0]["partial"].is_null());

  // The page draws a Provenance section from them; the data it reads holds the values.
  const std::string html = page_of(runs);
  EXPECT_NE(html.find("section('Provenance'"), std::string::npos);
  EXPECT_NE(html.find("\"git_commit\":\"38c3e9e-dirty\""), std::string::npos);
  EXPECT_NE(html.find("\"host\":\"node-017\""), std::string::npos);
  EXPECT_NE(html.find("'workload (tp, micro-batch, seq, M, dp)'"), std::string::npos);
}

// The rule is the measuring commands' note's: stopped by anything but convergence with the noise
// above the file's target, or unknown after one sample; without a recorded target, every kernel
// not stopped by convergence.
TEST(ReportProvenance, UnconvergedKernelsAreNamedByTheNotesRule) {
  auto runs = two_runs();
  auto& ks = runs[0].results.kernels;
  ASSERT_GE(ks.size(), 3u);
  ks[1].stop_reason = "max_samples";
  ks[2].stop_reason = "time_budget";
  json j = data_of(runs);
  ASSERT_EQ(j["runs"][0]["unconverged"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["unconverged"][0]["name"], ks[1].name);
  EXPECT_EQ(j["runs"][0]["unconverged"][0]["stop_reason"], "max_samples");
  EXPECT_EQ(j["runs"][0]["unconverged"][0]["samples"], ks[1].stats.samples);
  EXPECT_DOUBLE_EQ(j["runs"][0]["unconverged"][0]["rel_noise"].get<double>(), ks[1].stats.rel_noise);
  EXPECT_EQ(j["runs"][0]["unconverged"][1]["name"], ks[2].name);
  EXPECT_TRUE(j["runs"][0]["noise_target"].is_null());
  EXPECT_TRUE(j["runs"][1]["unconverged"].empty());

  // With a target: a kernel stopped early but within it converged enough; one above it did not.
  tb::results::TimingInfo timing;
  timing.noise = (ks[1].stats.rel_noise + ks[2].stats.rel_noise) / 2;
  ASSERT_NE(ks[1].stats.rel_noise, ks[2].stats.rel_noise);
  runs[0].results.workload.timing = timing;
  const auto& above = ks[1].stats.rel_noise > ks[2].stats.rel_noise ? ks[1] : ks[2];
  j = data_of(runs);
  ASSERT_EQ(j["runs"][0]["unconverged"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["unconverged"][0]["name"], above.name);
  EXPECT_DOUBLE_EQ(j["runs"][0]["noise_target"].get<double>(), timing.noise);
  EXPECT_NE(page_of(runs).find("'Not converged (sampling stopped"), std::string::npos);
}

TEST(ReportProvenance, AHealthFilesVerdictAndChecksAreCarried) {
  auto runs = two_runs();
  runs[0].results.health = json{{"verdict", "suspect"},
                                {"checks", json::array({json{{"id", "gemm"},
                                                             {"status", "suspect"},
                                                             {"measured", 512.5},
                                                             {"reference", 700},
                                                             {"unit", "TFLOP/s"},
                                                             {"detail", "GEMM below the SKU's sustained figure"}},
                                                        // Unchecked on read: a wrong type is left out, not fatal.
                                                        json{{"id", 7}, {"status", "pass"}}, json("not a check")})}};
  const json j = data_of(runs);
  const json& h = j["runs"][0]["health"];
  EXPECT_EQ(h["verdict"], "suspect");
  EXPECT_TRUE(h["verdict_of_measured"].is_null());
  ASSERT_EQ(h["checks"].size(), 2u);
  EXPECT_EQ(h["checks"][0]["id"], "gemm");
  EXPECT_EQ(h["checks"][0]["measured"], 512.5);
  EXPECT_EQ(h["checks"][0]["reference"], 700);
  EXPECT_EQ(h["checks"][0]["unit"], "TFLOP/s");
  EXPECT_TRUE(h["checks"][1]["id"].is_null());
  EXPECT_EQ(h["checks"][1]["status"], "pass");
  EXPECT_TRUE(j["runs"][1]["health"].is_null());
  EXPECT_NE(page_of(runs).find("section('Health'"), std::string::npos);
}

// An interrupted run: its measured kernels are drawn, its step and extrapolation are not (they
// would miss the rest); compare (no accept_partial) still refuses it.
TEST(ReportProvenance, APartialRunIsDrawnWithoutStepOrExtrapolation) {
  auto runs = two_runs();
  auto& r = runs[0].results;
  const size_t n = r.kernels.size();
  ASSERT_GE(n, 4u);
  tb::testing::mark_not_measured(r, 2, "interrupted", "Ctrl-C");
  for (size_t i = 3; i < n; ++i) tb::testing::mark_not_measured(r, i, "skipped", "");

  EXPECT_THROW(tb::compare::build_side_by_side(runs, {}), tb::UsageError);
  tb::compare::SideBySideOptions o;
  o.accept_partial = true;
  const json j = data_of(runs, o);
  const json& a = j["runs"][0];
  EXPECT_EQ(a["status"], "partial");
  EXPECT_EQ(a["partial"]["kernels_measured"], 2);
  EXPECT_EQ(a["partial"]["kernels_total"], n);
  EXPECT_EQ(a["partial"]["interrupted"], true);
  ASSERT_EQ(a["partial"]["not_measured"].size(), n - 2);
  EXPECT_EQ(a["partial"]["not_measured"][0]["name"], r.kernels[2].name);
  EXPECT_EQ(a["partial"]["not_measured"][0]["status"], "interrupted");
  EXPECT_EQ(a["partial"]["not_measured"][0]["error"], "Ctrl-C");
  EXPECT_TRUE(a["step"].is_null());
  EXPECT_FALSE(a["extrapolation"]["available"].get<bool>());
  EXPECT_NE(a["extrapolation"]["why_not"].get<std::string>().find("a partial run (2 of"), std::string::npos);
  // Cells only where it measured; the complete run beside it keeps all of them and its step.
  for (size_t i = 0; i < j["kernels"].size(); ++i) EXPECT_EQ(j["kernels"][i]["cells"][0].is_null(), i >= 2) << i;
  EXPECT_FALSE(j["runs"][1]["step"].is_null());
  EXPECT_TRUE(j["runs"][1]["extrapolation"]["available"].get<bool>());
  // Its kernel time is what it measured: the two kernels' calls x median.
  double ms = 0;
  for (size_t i = 0; i < 2; ++i) ms += r.kernels[i].calls_per_step * r.kernels[i].stats.median_ms;
  double group_sum = 0;
  for (const auto& [g, v] : a["group_ms"].items()) group_sum += v.get<double>();
  EXPECT_NEAR(group_sum, ms, 1e-9 * ms);

  // A partial run that measured nothing has nothing to draw.
  for (size_t i = 0; i < 2; ++i) tb::testing::mark_not_measured(r, i, "skipped", "");
  try {
    tb::compare::build_side_by_side(runs, o);
    ADD_FAILURE() << "a partial run without a measured kernel was accepted";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("h100.json: the run is partial and measured no kernel"), std::string::npos)
        << e.what();
  }
}
