// The HTML report without a browser: self-contained, text escaped, Chart.js located or a clear
// error, and the chart data adding up. (tests/report/ renders it in headless Chromium.)
#include <gtest/gtest.h>

#include "harness/common/human_format.hpp"

#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/report/chartjs_source.hpp"
#include "harness/report/html_report.hpp"
#include "harness/report/report_data.hpp"
#include "harness/report/report_page.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"

using namespace tb::report;

namespace {

// A stand-in UMD file, so these tests do not depend on libjs-chart.js being installed.
struct FakeChartJs {
  std::string dir = tb::testing::make_temp_dir("tb_chartjs_");
  std::string path = dir + "/chart.umd.js";
  FakeChartJs() {
    tb::testing::write_text(path, "/* fake */ (function(g,f){typeof exports==='object'?0:typeof define==='function'&&"
                                  "define.amd?0:(g.Chart=f());})(this,function(){return function(){};});\n");
  }
  ~FakeChartJs() { std::filesystem::remove_all(dir); }
};

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

std::vector<tb::compare::LabeledResults> two_runs() {
  tb::testing::SyntheticRunSpec h100, h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  return {{"h100.json", tb::testing::synthetic_run(h100)}, {"h200.json", tb::testing::synthetic_run(h200)}};
}

}  // namespace

TEST(ReportHtml, SelfContainedWithChartJsInlined) {
  FakeChartJs fake;
  ReportOptions o;
  o.chartjs_path = fake.path;
  const std::string html = render_html_report(two_runs(), o);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("/* fake */"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);   // no external script
  EXPECT_EQ(html.find("<link"), std::string::npos);   // no external stylesheet
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 3u);            // data, Chart.js, page script
  for (const char* id :
       {"chart-kernels", "chart-roofline", "chart-memory", "chart-breakdown", "chart-sku", "chart-extrapolation"})
    EXPECT_NE(html.find(id), std::string::npos) << id;
}

TEST(ReportHtml, TextFromResultsCannotBreakOutOfTheDataScript) {
  FakeChartJs fake;
  auto runs = two_runs();
  runs[0].results.machine.device_name = "</script><script>alert(1)</script>&<b>";
  ReportOptions o;
  o.chartjs_path = fake.path;
  o.title = "<img src=x onerror=alert(1)>";
  const std::string html = render_html_report(runs, o);
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 3u);
  EXPECT_EQ(escape_inline_script("a='</SCRIPT>'; b='<!--'"), "a='<\\/SCRIPT>'; b='<\\!--'");
}

// A --chartjs path that does not work is the user's input (exit 2), missing or a directory
// alike, named with the flag and the package that would make the flag unnecessary.
TEST(ReportHtml, MissingChartJsNamesTheFlagAndThePackage) {
  const std::string dir = tb::testing::make_temp_dir("tb_chartjs_dir_");
  for (const std::string& path : {std::string("/nonexistent/chart.umd.js"), dir}) {
    ReportOptions o;
    o.chartjs_path = path;
    try {
      render_html_report(two_runs(), o);
      FAIL() << path;
    } catch (const tb::UsageError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("--chartjs"), std::string::npos) << m;
      EXPECT_NE(m.find("libjs-chart.js"), std::string::npos) << m;
      EXPECT_NE(m.find(path), std::string::npos) << m;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(ReportHtml, RefusesAnEsModuleBuild) {
  const std::string dir = tb::testing::make_temp_dir("tb_esm_");
  tb::testing::write_text(dir + "/chart.mjs", "export { Chart };\n");
  EXPECT_THROW(load_chartjs(dir + "/chart.mjs"), tb::UsageError);
  std::filesystem::remove_all(dir);
}

TEST(ReportHtml, DebianChartJsIsUmdWhenInstalled) {
  const auto candidates = chartjs_candidates("");
  bool any = false;
  for (const auto& c : candidates) any = any || std::filesystem::exists(c);
  if (!any) GTEST_SKIP() << "libjs-chart.js is not installed (apt-get install libjs-chart.js)";
  const std::string js = load_chartjs("");
  EXPECT_NE(js.find("Chart.js v"), std::string::npos);
}

TEST(ReportData, GroupsSumToTheStepAndIntensityIsFlopsPerByte) {
  const auto c = tb::compare::build_side_by_side(two_runs(), {});
  const auto j = report_data(c, "t");
  ASSERT_EQ(j["runs"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    double sum = 0;
    for (const auto& [g, ms] : j["runs"][i]["group_ms"].items()) sum += ms.get<double>();
    EXPECT_NEAR(sum, c.runs[i].step->step_ms, 1e-9 * sum);
  }
  const auto& groups = j["groups"];
  EXPECT_NE(std::find(groups.begin(), groups.end(), "GEMM"), groups.end());
  EXPECT_NE(std::find(groups.begin(), groups.end(), "attention"), groups.end());
  const auto& k0 = j["kernels"][0];
  EXPECT_DOUBLE_EQ(k0["intensity"].get<double>(), k0["flops"].get<double>() / k0["bytes"].get<double>());
  EXPECT_EQ(kernel_group("layernorm_bwd"), "normalization");
  EXPECT_EQ(kernel_group("swiglu_fwd"), "activation");
  EXPECT_EQ(kernel_group("cross_entropy"), "cross-entropy");
}

// The Adam update runs once per optimizer step: each run's cell carries its calls in the step of
// one micro-batch (calls / M), the figure the page's calls column shows, and the groups still sum
// to the step.
TEST(ReportData, OncePerOptimizerStepCallsAreTheRunsShare) {
  tb::testing::SyntheticRunSpec m4, m8;
  m4.micro_batches = 4;
  m8.micro_batches = 8;
  m8.sku = "h200";
  m8.device_name = "NVIDIA H200 (synthetic test data)";
  tb::compare::SideBySideOptions different;  // runs of other M are refused without it
  different.compatibility.allow_different_shapes = true;
  const auto c = tb::compare::build_side_by_side(
      {{"m4.json", tb::testing::synthetic_run(m4)}, {"m8.json", tb::testing::synthetic_run(m8)}}, different);
  const auto j = report_data(c, "t");
  bool seen = false;
  for (const auto& k : j["kernels"]) {
    const double calls = k["calls_per_step"].get<double>();
    if (k["kind"] == "adam_update") {
      seen = true;
      EXPECT_DOUBLE_EQ(k["cells"][0]["step_calls"].get<double>(), calls / 4);
      EXPECT_DOUBLE_EQ(k["cells"][1]["step_calls"].get<double>(), calls / 8);
    } else {
      EXPECT_DOUBLE_EQ(k["cells"][0]["step_calls"].get<double>(), calls) << k["name"];
    }
  }
  EXPECT_TRUE(seen);
  for (size_t i = 0; i < 2; ++i) {
    double sum = 0;
    for (const auto& [g, ms] : j["runs"][i]["group_ms"].items()) sum += ms.get<double>();
    EXPECT_NEAR(sum, c.runs[i].step->step_ms, 1e-9 * sum);
  }
  // The page shows the share where it is not the calls themselves.
  EXPECT_NE(page_script().find("per optimizer step"), std::string::npos);
}

// Each kernel's cell carries its outliers and samples: the page names the kernels that had some,
// which their robust medians and noise no longer show. Seeded: the quiet kernels have none.
TEST(ReportData, CellsCarryOutliers) {
  auto runs = two_runs();
  tb::testing::SyntheticRunSpec spiky;
  spiky.spiky_kernel = "qkv.fwd";
  spiky.spikes = 2;
  spiky.seed = 7;
  runs[1].results = tb::testing::synthetic_run(spiky);
  const auto j = report_data(tb::compare::build_side_by_side(runs, {}), "t");
  bool seen = false;
  for (const auto& k : j["kernels"]) {
    EXPECT_EQ(k["cells"][0]["outliers"], 0) << k["name"];
    EXPECT_EQ(k["cells"][0]["samples"], 20) << k["name"];
    EXPECT_EQ(k["cells"][1]["outliers"], k["name"] == "qkv.fwd" ? 2 : 0) << k["name"];
    seen |= k["name"] == "qkv.fwd";
  }
  EXPECT_TRUE(seen);  // (tests/report/ checks the rendered page names it)
}

// The report carries the procurement answer: which run is best on GPU-hours, energy and cost.
TEST(ReportData, BestRunsFollowTheComparison) {
  tb::compare::SideBySideOptions o;
  o.gpu_hour_price = {{"A", 1.0}, {"B", 100.0}};
  const auto c = tb::compare::build_side_by_side(two_runs(), o);
  const auto j = report_data(c, "t");
  ASSERT_TRUE(c.best.gpu_hours && c.best.cost);
  EXPECT_EQ(j["best"]["gpu_hours"].get<size_t>(), *c.best.gpu_hours);
  EXPECT_EQ(j["best"]["cost"].get<size_t>(), 0u);  // the 100x dearer hour cannot win on cost
  const auto no_prices = report_data(tb::compare::build_side_by_side(two_runs(), {}), "t");
  EXPECT_TRUE(no_prices["best"]["cost"].is_null());
}

// An fp8 step carries both roofs: its MFU's (bf16) and its fp8 GEMMs' (the SKU's fp8 peak); ties
// carry run indices that the page turns into labels.
TEST(ReportData, Fp8StepsCarryTheFp8RoofAndTiesTheirRuns) {
  auto runs = two_runs();
  runs[0].results.workload.dtype = runs[1].results.workload.dtype = "fp8";
  runs[0].results.machine.peak_dtype = runs[1].results.machine.peak_dtype = "bf16";
  const auto j = report_data(tb::compare::build_side_by_side(runs, {}), "t");
  EXPECT_DOUBLE_EQ(j["runs"][0]["peak_tflops_fp8"].get<double>(), 1979);  // H100 SXM, dense
  EXPECT_EQ(j["runs"][0]["peak_dtype"], "bf16");
  auto same = two_runs();
  same[1] = same[0];
  same[1].origin = "copy.json";
  const auto t = report_data(tb::compare::build_side_by_side(same, {}), "t");
  ASSERT_FALSE(t["best"]["ties"].empty());
  EXPECT_EQ(t["best"]["ties"][0]["runs"], nlohmann::json::array({0, 1}));
  EXPECT_TRUE(t["best"]["gpu_hours"].is_null());
}

// The extrapolation table's PF-days as the CLI and compare print them (human_pf_days): GPT-3
// Small's 6·N·D is 2.609 PF-days, which rounding to whole numbers showed as 3.
TEST(ReportData, PfDaysAreFormattedAsTheCliFormatsThem) {
  tb::compare::SideBySideOptions o;
  o.target_model = "gpt3-small";
  const auto j = report_data(tb::compare::build_side_by_side(two_runs(), o), "t");
  EXPECT_EQ(j["runs"][0]["extrapolation"]["pf_days_text"], "2.609");
  const auto big = report_data(tb::compare::build_side_by_side(two_runs(), {}), "t");
  EXPECT_EQ(big["runs"][0]["extrapolation"]["pf_days_text"], "3637.6");  // the article's figure
  FakeChartJs fake;
  ReportOptions r;
  r.chartjs_path = fake.path;
  const std::string html = render_html_report(two_runs(), r);
  EXPECT_NE(html.find("e.pf_days_text"), std::string::npos);  // the table cell shows the text
  EXPECT_EQ(html.find("fmt(e.pf_days, 0)"), std::string::npos);
}

// The report ranks on rental + electricity where every priced run has both: the total is in the
// data and in the cost cell (rental x GPU-hours + MWh x 1000 x price).
TEST(ReportData, RentalAndElectricityTotalIsCarried) {
  tb::compare::SideBySideOptions o;
  o.gpu_hour_price = {{"A", 2.0}, {"B", 2.5}};
  o.electricity_price_per_kwh = 0.1;
  const auto c = tb::compare::build_side_by_side(two_runs(), o);
  const auto j = report_data(c, "t");
  for (size_t i = 0; i < 2; ++i) {
    const auto& e = j["runs"][i]["extrapolation"];
    const double rental = (i == 0 ? 2.0 : 2.5) * e["gpu_hours"].get<double>();
    const double electricity = e["energy_mwh"].get<double>() * 1000 * 0.1;
    EXPECT_NEAR(e["rental_and_electricity"].get<double>(), rental + electricity, 1e-9 * rental);
    // The page prints money as the CLI does, from these texts.
    EXPECT_EQ(e["rental_and_electricity_text"], tb::human_money(e["rental_and_electricity"].get<double>(), "USD"));
    EXPECT_EQ(e["rental_cost_text"], tb::human_money(e["rental_cost"].get<double>(), "USD"));
    EXPECT_EQ(e["electricity_cost_text"], tb::human_money(e["electricity_cost"].get<double>(), "USD"));
  }
  EXPECT_EQ(j["best"]["cost_what"], "lowest rental + electricity");
  EXPECT_TRUE(j["best"]["cost_why_none"].is_null());
  EXPECT_TRUE(report_data(tb::compare::build_side_by_side(two_runs(), {}), "t")["runs"][0]["extrapolation"]
                  ["rental_and_electricity"]
                      .is_null());
  FakeChartJs fake;
  ReportOptions r;
  r.chartjs_path = fake.path;
  const std::string html = render_html_report(two_runs(), r);
  EXPECT_NE(html.find("'; rental + electricity ' + e.rental_and_electricity_text"), std::string::npos);
}

// The 500P site's PUE and tariff are its config's assumptions, not the article's: the data carries
// the list and the page says "(assumed)" beside each figure it names.
TEST(ReportData, TheSitesAssumedFiguresAreCarriedAndSaid) {
  tb::compare::SideBySideOptions o;
  o.site = tb::load_site("500p");
  const auto j = report_data(tb::compare::build_side_by_side(two_runs(), o), "t");
  EXPECT_EQ(j["site"]["assumed"], nlohmann::json::array({"pue", "electricity_price_per_kwh"}));
  FakeChartJs fake;
  ReportOptions r;
  r.chartjs_path = fake.path;
  const std::string html = render_html_report(two_runs(), r);
  EXPECT_NE(html.find("fmt(data.site.pue, 2) + siteAssumed('pue')"), std::string::npos);
  EXPECT_NE(html.find("siteAssumed('electricity_price_per_kwh')"), std::string::npos);
}

// The energy's power is named as estimate --json names it (power_basis): the TDP where the run
// read no power, else the mean NVML read over the step, whose figure is then the power used.
TEST(ReportData, PowerBasisIsEstimates) {
  auto runs = two_runs();
  for (auto& k : runs[1].results.kernels) {
    k.clocks = tb::results::ClockSummary{};
    k.clocks->power_w_mean = 612.5;
  }
  const auto j = report_data(tb::compare::build_side_by_side(runs, {}), "t");
  const auto &tdp = j["runs"][0]["extrapolation"], &measured = j["runs"][1]["extrapolation"];
  EXPECT_EQ(tdp["power_basis"], "TDP");
  EXPECT_EQ(tdp["power_w_per_gpu"], 700.0);  // configs/skus/h100-sxm.toml
  EXPECT_EQ(measured["power_basis"], "measured (NVML, mean over the step)");
  EXPECT_NEAR(measured["power_w_per_gpu"].get<double>(), 612.5, 1e-9);
  EXPECT_FALSE(measured.contains("power_measured"));
}

// Each run says the shape it was measured at, as its file records it (compare --json's
// runs[].workload), so runs of other shapes side by side can be told apart by a script.
TEST(ReportData, RunsCarryTheirWorkloadShape) {
  auto runs = two_runs();
  runs[1].results.workload.micro_batches = 96;
  runs[1].results.workload.data_parallel = 16;
  const auto j = report_data(tb::compare::build_side_by_side(runs, {}), "t");
  for (size_t i = 0; i < 2; ++i) {
    const auto& w = j["runs"][i]["workload"];
    const auto& f = runs[i].results.workload;
    EXPECT_EQ(w["tensor_parallel"], f.tensor_parallel);
    EXPECT_EQ(w["micro_batch"], f.micro_batch);
    EXPECT_EQ(w["seq_len"], f.seq_len);
  }
  EXPECT_EQ(j["runs"][0]["workload"]["micro_batches"], 1);
  EXPECT_EQ(j["runs"][1]["workload"]["micro_batches"], 96);
  EXPECT_EQ(j["runs"][1]["workload"]["data_parallel"], 16);
}
