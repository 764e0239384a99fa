// Side-by-side comparison and its tables, on SYNTHETIC H100-like and H200-like runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/usage_message.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

std::vector<LabeledResults> h100_and_h200() {
  SyntheticRunSpec h100, h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  h200.bandwidth_efficiency = 0.85;  // more bandwidth: memory-bound kernels faster
  return {{"runs/h100.json", synthetic_run(h100)}, {"runs/h200.json", synthetic_run(h200)}};
}

}  // namespace

TEST(CompareSideBySide, MatchesKernelsAndExtrapolatesEachRun) {
  const auto runs = h100_and_h200();
  SideBySideOptions o;
  o.gpus = 1024;
  const auto c = build_side_by_side(runs, o);
  EXPECT_EQ(c.target_model, "gpt3-175b");
  ASSERT_EQ(c.runs.size(), 2u);
  EXPECT_EQ(c.kernels.size(), runs[0].results.kernels.size());
  for (const auto& row : c.kernels) {
    ASSERT_EQ(row.cells.size(), 2u);
    EXPECT_TRUE(row.cells[0].present && row.cells[1].present) << row.key;
  }
  double share = 0;
  for (const auto& row : c.kernels) share += row.cells[0].step_share;
  EXPECT_NEAR(share, 1.0, 1e-9);

  for (size_t i = 0; i < 2; ++i) {
    const auto& e = c.runs[i].extrapolation;
    ASSERT_TRUE(e.available);
    const auto measured = tb::throughput_from_results(runs[i].results, runs[i].origin);
    EXPECT_DOUBLE_EQ(e.sustained_tflops, measured.sustained_tflops_per_gpu);
    EXPECT_NEAR(e.pf_days, 3640, 3640 * 0.01);  // 6·N·D for GPT-3 175B, the article's figure
    EXPECT_EQ(e.gpus, 1024);
    EXPECT_NEAR(e.wall_days, e.gpu_hours / 1024 / 24, 1e-9 * e.wall_days);
    ASSERT_TRUE(e.energy_mwh.has_value());     // TDP 700 W is in the SKU config
    EXPECT_NEAR(*e.energy_mwh, e.gpu_hours * 700 / 1e6, 1e-6 * *e.energy_mwh);
    EXPECT_FALSE(e.cost.has_value());          // no price in the shipped configs
  }
  // The H200 moves memory-bound kernels faster, so it finishes sooner.
  EXPECT_LT(c.runs[1].extrapolation.wall_days, c.runs[0].extrapolation.wall_days);
}

// One run built by hand, so that every figure follows from two numbers: a step of 4e13 model
// FLOPs in 100 ms is 4e13 / 0.1 s = 4e14 FLOP/s = 400 TFLOP/s per GPU. GPT-3 175B (d 12288,
// L 96, V 50257, s 2048) counts per token 2 × (96 × 12·d² + V·d) = 2 × 174,563,733,504 GEMM
// FLOPs and 4·L·s·d = 9,663,676,416 attention FLOPs forward (unmasked, PaLM's count), ×3 with the
// backward: 1,076,373,430,272 model FLOPs. 300e9 tokens: 3.229120e23 FLOP / 4e14 FLOP/s =
// 807,280,072.7 s = 224,244.465 GPU-hours; on 1024 GPUs 224,244.465 / 1024 / 24 = 9.1245306 days;
// at the H100's 700 W TDP (no power in the file) 224,244.465 × 700 / 1e6 = 156.971125 MWh. PF-days are
// the article's 6·N·D: N = 96 × (12·d² + 13·d) + V·d + 2048·d + 2·d = 174,604,259,328, so
// 6 × N × 300e9 / 8.64e19 = 3637.5887.
TEST(CompareSideBySide, HandBuiltRunGivesTheHandComputedExtrapolation) {
  tb::results::RunResults r;
  r.machine.backend = "cuda";
  r.machine.device_name = "hand-built H100";
  r.machine.sku = "h100-sxm";
  r.machine.peak_dtype = "bf16";
  r.machine.peak_tflops = 989;
  r.workload.command = "run";
  r.workload.model = "gpt3-175b";
  r.workload.tensor_parallel = 8;
  r.workload.seq_len = 2048;
  r.workload.dtype = "bf16";
  tb::results::KernelResult k;
  k.name = "whole.step";
  k.kind = "gemm";
  k.dtype = "bf16";
  k.samples_ms = {99.0, 100.0, 101.0};
  k.stats = tb::timing::summarize(k.samples_ms);  // median 100 ms
  k.flops = k.model_flops = 4e13;                 // the whole step's: 400 TFLOP/s, 40.4449% of 989
  k.tflops = 400;
  k.pct_of_peak = 100 * 400.0 / 989;
  k.verified = true;
  r.kernels.push_back(k);
  tb::results::StepResult step;
  step.step_ms = 100;
  step.tokens_per_s = 2048 / 0.1 / 8;  // per GPU: one micro-batch over tp 8
  step.model_flops = 4e13;
  step.hardware_flops = 4e13;
  r.step = step;
  const auto c = build_side_by_side({{"hand.json", r}}, {});
  const auto& e = c.runs[0].extrapolation;
  ASSERT_TRUE(e.available) << e.why_not;
  EXPECT_NEAR(e.sustained_tflops, 400.0, 1e-9);
  EXPECT_NEAR(e.gpu_hours, 224'244.46464, 224'244.46464 * 1e-6);
  EXPECT_EQ(e.gpus, 1024);
  EXPECT_NEAR(e.wall_days, 9.124530625, 9.124530625 * 1e-6);
  ASSERT_TRUE(e.energy_mwh.has_value());
  EXPECT_FALSE(e.power_measured);
  EXPECT_NEAR(*e.energy_mwh, 156.971125, 156.971125 * 1e-6);
  EXPECT_NEAR(e.pf_days, 3637.5887, 3637.5887 * 1e-6);
}

TEST(CompareSideBySide, CostAppearsWhenTheSkuHasAPrice) {
  const std::string dir = tb::testing::make_temp_dir("tb_sku_");
  const std::string sku = dir + "/priced.toml";
  std::ifstream in(tb::config::config_root() / "skus" / "h100-sxm.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n[price]\nper_gpu_hour = 2.0\ncurrency = \"USD\"\n";
  tb::testing::write_text(sku, text.str());
  SyntheticRunSpec spec;
  spec.sku = sku;
  const auto c = build_side_by_side({{"a.json", synthetic_run(spec)}, {"b.json", synthetic_run(spec)}}, {});
  const auto& e = c.runs[0].extrapolation;
  ASSERT_TRUE(e.cost.has_value());
  EXPECT_NEAR(*e.cost, 2.0 * e.gpu_hours, 1e-6 * *e.cost);
  EXPECT_EQ(e.currency, "USD");
  std::filesystem::remove_all(dir);
}

// Procurement: quotes per GPU-hour by SKU or run letter give each run's cost, and the summary
// names the run with the fewest GPU-hours, the least energy and the lowest cost — which need not
// be the same run when the faster part costs more per hour.
TEST(CompareSideBySide, QuotesGiveCostsAndTheBestRunForEachCriterion) {
  const auto runs = h100_and_h200();  // A = h100-sxm, B = h200 (faster)
  SideBySideOptions o;
  o.days = 30;
  o.gpu_hour_price = {{"h100-sxm", 2.0}, {"B", 9.0}};
  o.currency = "EUR";
  const auto c = build_side_by_side(runs, o);
  const auto& a = c.runs[0].extrapolation;
  const auto& b = c.runs[1].extrapolation;
  ASSERT_TRUE(a.cost && b.cost);
  EXPECT_DOUBLE_EQ(*a.cost, 2.0 * a.gpu_hours);
  EXPECT_DOUBLE_EQ(*b.cost, 9.0 * b.gpu_hours);
  EXPECT_EQ(a.currency, "EUR");
  ASSERT_LT(b.gpu_hours, a.gpu_hours);
  EXPECT_EQ(c.best.gpu_hours, std::optional<size_t>(1));
  EXPECT_EQ(c.best.energy, std::optional<size_t>(1));  // same TDP, fewer hours
  ASSERT_GT(9.0 * b.gpu_hours, 2.0 * a.gpu_hours);     // so the cheaper hour wins on cost
  EXPECT_EQ(c.best.cost, std::optional<size_t>(0));
  const std::string text = format_side_by_side(c, TableFormat::Text);
  EXPECT_NE(text.find("lowest cost: A"), std::string::npos) << text;
  EXPECT_NE(text.find("fewest GPU-hours: B"), std::string::npos) << text;

  o.gpu_hour_price = {{"h100-sxm", 2.0}};  // one price: nothing to rank on cost, and said why
  const auto one_price = build_side_by_side(runs, o);
  EXPECT_FALSE(one_price.best.cost.has_value());
  EXPECT_EQ(one_price.best.cost_why_none, "B has no --gpu-hour-price");
  EXPECT_NE(format_side_by_side(one_price, TableFormat::Text).find("lowest cost: none — B has no --gpu-hour-price"),
            std::string::npos);
  o.gpu_hour_price = {{"C", 2.0}};
  try {
    build_side_by_side(runs, o);
    FAIL() << "a key that is neither a letter nor a SKU of the files was accepted";
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("A, B, h100-sxm, h200"), std::string::npos) << e.what();
  }
}

// Config prices in two currencies: no cost winner, and the line says which currencies (the rule
// estimate shares, harness/estimate/ranking.hpp).
TEST(CompareSideBySide, PricesInDifferentCurrenciesNameNoCostWinnerAndSayWhy) {
  const std::string dir = tb::testing::make_temp_dir("tb_sku_");
  std::ifstream in(tb::config::config_root() / "skus" / "h100-sxm.toml");
  std::stringstream h100;
  h100 << in.rdbuf();
  auto priced = [&](const std::string& name, const std::string& price, const std::string& currency) {
    std::string text = h100.str();
    text.replace(text.find("name = \"h100-sxm\""), 17, "name = \"" + name + "\"");
    text += "\n[price]\nper_gpu_hour = " + price + "\ncurrency = \"" + currency + "\"\n";
    tb::testing::write_text(dir + "/" + name + ".toml", text);
    return dir + "/" + name + ".toml";
  };
  SyntheticRunSpec usd, cny;
  usd.sku = priced("h100us", "2.5", "USD");
  cny.sku = priced("h100cn", "1", "CNY");  // the smaller number, in another currency
  SideBySideOptions o;
  o.days = 30;
  const auto c = build_side_by_side({{"us.json", synthetic_run(usd)}, {"cn.json", synthetic_run(cny)}}, o);
  EXPECT_FALSE(c.best.cost.has_value());
  EXPECT_EQ(c.best.cost_why_none, "the quotes are in USD (A) and CNY (B)");
  const std::string text = format_side_by_side(c, TableFormat::Text);
  EXPECT_NE(text.find("lowest cost: none — the quotes are in USD (A) and CNY (B)"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

// A 175B step on a CPU makes ~0.6 tokens/s per GPU: three significant digits below 10, never "0".
TEST(CompareFormat, SlowRunsTokensPerSecondKeepTheirDigits) {
  // Set on the table's columns: a results file's tokens/s must match its step time, which the
  // synthetic runs' kernels fix.
  auto c = build_side_by_side(h100_and_h200(), {});
  ASSERT_TRUE(c.runs[0].step && c.runs[1].step);
  c.runs[0].step->tokens_per_s = 0.6123;
  c.runs[1].step->tokens_per_s = 1234.4;
  const std::string text = format_side_by_side(c, TableFormat::Text);
  const size_t row = text.find("tokens/s per GPU");
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_NE(line.find(" 0.612 "), std::string::npos) << line;
  EXPECT_NE(line.find(" 1234"), std::string::npos) << line;
  EXPECT_EQ(line.find("1234.4"), std::string::npos) << line;
}

// A run priced by its letter and by its SKU: one of the quotes would be silently unused.
TEST(CompareSideBySide, ARunPricedByLetterAndBySkuIsRefused) {
  SideBySideOptions o;
  o.gpu_hour_price = {{"A", 2.5}, {"h100-sxm", 3.0}};
  const std::string m = [&] {
    try {
      build_side_by_side(h100_and_h200(), o);
    } catch (const tb::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  }();
  EXPECT_NE(m.find("--gpu-hour-price: run A (runs/h100.json) is priced twice, by A=2.5 and by its SKU h100-sxm=3"),
            std::string::npos)
      << m;
  // Each run priced once, one by letter and the other by SKU: fine.
  o.gpu_hour_price = {{"A", 2.5}, {"h200", 3.0}};
  EXPECT_NO_THROW(build_side_by_side(h100_and_h200(), o));
}

TEST(CompareSideBySide, DaysDeadlineGivesGpusNeeded) {
  SideBySideOptions o;
  o.days = 30;
  const auto c = build_side_by_side(h100_and_h200(), o);
  const auto& e = c.runs[0].extrapolation;
  EXPECT_LE(e.wall_days, 30.0 + 1e-9);
  EXPECT_GT(e.wall_days, 30.0 * (e.gpus - 1) / e.gpus - 1e-9);
}

TEST(CompareSideBySide, RefusesAnotherModelAndPartialRuns) {
  auto runs = h100_and_h200();
  SyntheticRunSpec xl;
  xl.model = "gpt3-xl";
  xl.tensor_parallel = 1;
  runs.push_back({"xl.json", synthetic_run(xl)});
  EXPECT_THROW(build_side_by_side(runs, {}), tb::UsageError);
  runs.pop_back();
  runs[1].results.status = "partial";
  EXPECT_THROW(build_side_by_side(runs, {}), tb::UsageError);
}

TEST(CompareSideBySide, GemmOnlyFilesHaveNoExtrapolationAndSayWhy) {
  auto runs = h100_and_h200();
  for (auto& r : runs) {
    r.results.step.reset();
    r.results.workload.command = "gemm";
  }
  const auto c = build_side_by_side(runs, {});
  EXPECT_FALSE(c.runs[0].extrapolation.available);
  EXPECT_NE(c.runs[0].extrapolation.why_not.find("no measured step"), std::string::npos);
  const std::string text = format_side_by_side(c, TableFormat::Text);
  EXPECT_NE(text.find("no extrapolation"), std::string::npos);
}

TEST(CompareFormat, TextAndMarkdownTables) {
  const auto c = build_side_by_side(h100_and_h200(), {});
  const std::string text = format_side_by_side(c, TableFormat::Text);
  EXPECT_NE(text.find("A = NVIDIA H100"), std::string::npos) << text;
  EXPECT_NE(text.find("B = NVIDIA H200"), std::string::npos);
  EXPECT_NE(text.find("qkv.fwd"), std::string::npos);
  EXPECT_NE(text.find("B vs A"), std::string::npos);
  EXPECT_NE(text.find("tokens/s per GPU"), std::string::npos);
  EXPECT_NE(text.find("MFU (%)"), std::string::npos);
  EXPECT_NE(text.find("n/a (no price)"), std::string::npos);
  const std::string md = format_side_by_side(c, TableFormat::Markdown);
  EXPECT_NE(md.find("| kernel | shape | dtype | A ms |"), std::string::npos) << md;
  EXPECT_NE(md.find("| --- | --- | --- | ---: |"), std::string::npos);
}

// The medians shrug off slow samples, so the tables say where there were some, under the kernel
// table, as --json and the report do: per run letter, kernel and shape, "outliers of samples".
TEST(CompareFormat, KernelTableIsFollowedByTheOutliersNote) {
  const auto plain = build_side_by_side(h100_and_h200(), {});
  for (const auto f : {TableFormat::Text, TableFormat::Markdown})
    EXPECT_EQ(format_side_by_side(plain, f).find("Outliers ("), std::string::npos);  // none: no note

  SyntheticRunSpec h100, h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  h200.spiky_kernel = "qkv.fwd";
  h200.spikes = 2;
  const auto c = build_side_by_side({{"a.json", synthetic_run(h100)}, {"b.json", synthetic_run(h200)}}, {});
  const KernelRow* qkv = nullptr;
  for (const auto& row : c.kernels)
    if (row.name == "qkv.fwd") qkv = &row;
  ASSERT_NE(qkv, nullptr);
  ASSERT_EQ(qkv->cells[1].outliers, 2);
  ASSERT_EQ(qkv->cells[0].outliers, 0);
  const std::string entry = "B qkv.fwd " + qkv->shape + ": 2 of 20";
  for (const auto f : {TableFormat::Text, TableFormat::Markdown}) {
    const std::string out = format_side_by_side(c, f);
    const size_t note = out.find("Outliers (samples slower than the median + 5 robust standard deviations");
    ASSERT_NE(note, std::string::npos) << out;
    EXPECT_NE(out.find(entry, note), std::string::npos) << out;
    EXPECT_EQ(out.find("A qkv.fwd"), std::string::npos) << out;  // run A had none
    // Under the kernel table, before the step table.
    EXPECT_LT(out.find("Kernels (median"), note);
    EXPECT_GT(out.find("Training step"), note);
  }
}

TEST(CompareFormat, TableEscapesMarkdownAndAlignsText) {
  Table t;
  t.headers = {"name", "ms"};
  t.right_align = {false, true};
  t.add_row({"a|b", "1.5"});
  t.add_row({"longer name", "12.25"});
  EXPECT_EQ(t.render(TableFormat::Markdown), "| name | ms |\n| --- | ---: |\n| a\\|b | 1.5 |\n| longer name | 12.25 |\n");
  EXPECT_EQ(t.render(TableFormat::Text),
            "name            ms\n------------------\na|b            1.5\nlonger name  12.25\n");
  EXPECT_THROW(parse_table_format("html", "--format"), tb::UsageError);
  EXPECT_EQ(run_letter(0), "A");
  EXPECT_EQ(run_letter(25), "Z");
  EXPECT_EQ(run_letter(26), "AA");
}

namespace {

// --pue scales each run's energy by exactly that factor; --electricity-price prices it per kWh in
// --currency (MWh x 1000 x price), and beside a rental quote the two add up.
TEST(CompareSideBySide, PueAndElectricityPriceWeighEachRunsEnergy) {
  const auto runs = h100_and_h200();
  SideBySideOptions plain;
  plain.days = 30;
  plain.gpu_hour_price = {{"A", 2.0}};
  SideBySideOptions site = plain;
  site.pue = 1.3;
  site.electricity_price_per_kwh = 0.1;
  const auto a = build_side_by_side(runs, plain), b = build_side_by_side(runs, site);
  ASSERT_EQ(b.runs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Extrapolation &x = a.runs[i].extrapolation, &y = b.runs[i].extrapolation;
    ASSERT_TRUE(x.energy_mwh && y.energy_mwh);
    EXPECT_NEAR(*y.energy_mwh, 1.3 * *x.energy_mwh, 1e-9 * *x.energy_mwh);
    EXPECT_DOUBLE_EQ(y.pue, 1.3);
    EXPECT_DOUBLE_EQ(x.pue, 1.0);
    ASSERT_TRUE(y.electricity_cost.has_value());
    EXPECT_NEAR(*y.electricity_cost, *y.energy_mwh * 1000 * 0.1, 1e-9 * *y.electricity_cost);
    EXPECT_EQ(y.electricity_currency, "USD");
    EXPECT_FALSE(x.electricity_cost.has_value());
  }
  // A's rental quote and its electricity, together; B has no quote, so no total.
  const Extrapolation& ya = b.runs[0].extrapolation;
  ASSERT_TRUE(ya.cost && ya.rental_and_electricity);
  EXPECT_DOUBLE_EQ(*ya.rental_and_electricity, *ya.cost + *ya.electricity_cost);
  EXPECT_FALSE(b.runs[1].extrapolation.rental_and_electricity.has_value());
}


std::vector<LabeledResults> two_h100_runs() {
  SyntheticRunSpec a, b;
  b.seed = 2;
  return {{"runs/a.json", synthetic_run(a)}, {"runs/b.json", synthetic_run(b)}};
}

// --site weighs every run's energy as estimate weighs its own: the site's PUE, and its tariff in
// its currency (configs/sites/500p.toml: PUE 1.3, 0.6 CNY per kWh; h100-1024.toml: PUE 1.2, 0.08
// USD per kWh). By hand, from each run's GPU-hours G at the H100's 700 W TDP: energy G x 700 x PUE
// / 1e6 MWh, so 1.3x and 1.2x the site-less energy; its cost energy x 1000 kWh/MWh x the tariff,
// so the 500p bill over the h100-1024 one is (1.3 x 0.6) / (1.2 x 0.08) = 0.78 / 0.096 = 8.125.
TEST(CompareSideBySide, SiteGivesEveryRunItsPueAndTariffAsEstimateDoes) {
  const auto runs = two_h100_runs();
  SideBySideOptions plain;
  plain.gpus = 1024;
  SideBySideOptions cn = plain, us = plain;
  cn.site = tb::load_site("500p");
  us.site = tb::load_site("h100-1024");
  const auto p = build_side_by_side(runs, plain), c = build_side_by_side(runs, cn), u = build_side_by_side(runs, us);
  EXPECT_DOUBLE_EQ(c.pue, 1.3);
  EXPECT_DOUBLE_EQ(u.pue, 1.2);
  EXPECT_EQ(c.electricity_source, "site 500p");
  EXPECT_TRUE(p.electricity_source.empty());
  for (size_t i = 0; i < 2; ++i) {
    const Extrapolation &x = p.runs[i].extrapolation, &y = c.runs[i].extrapolation, &z = u.runs[i].extrapolation;
    ASSERT_TRUE(x.energy_mwh && y.energy_mwh && z.energy_mwh && y.electricity_cost && z.electricity_cost);
    EXPECT_NEAR(*x.energy_mwh, x.gpu_hours * 700 / 1e6, 1e-9 * *x.energy_mwh);
    EXPECT_NEAR(*y.energy_mwh, x.gpu_hours * 700 * 1.3 / 1e6, 1e-9 * *y.energy_mwh);
    EXPECT_NEAR(*z.energy_mwh, x.gpu_hours * 700 * 1.2 / 1e6, 1e-9 * *z.energy_mwh);
    EXPECT_NEAR(*y.electricity_cost, *y.energy_mwh * 1000 * 0.6, 1e-9 * *y.electricity_cost);
    EXPECT_NEAR(*z.electricity_cost, *z.energy_mwh * 1000 * 0.08, 1e-9 * *z.electricity_cost);
    EXPECT_NEAR(*y.electricity_cost / *z.electricity_cost, 8.125, 1e-12);
    EXPECT_EQ(y.electricity_currency, "CNY");
    EXPECT_EQ(z.electricity_currency, "USD");
    EXPECT_FALSE(x.electricity_cost.has_value());
    // estimate --results FILE --gpus 1024 --site 500p: the same figures, to the last bit.
    tb::EstimateRequest req;
    const auto measured = tb::throughput_from_results(runs[i].results, runs[i].origin);
    req.model = tb::load_model("gpt3-175b");
    req.sustained_tflops_per_gpu = measured.sustained_tflops_per_gpu;
    req.throughput_measured = true;
    req.sku = measured.sku;
    req.dtype = measured.peak_dtype;
    req.gpus = 1024;
    req.site = cn.site;
    const tb::EstimateResult e = tb::estimate(req);
    EXPECT_EQ(*e.energy_mwh, *y.energy_mwh);
    EXPECT_EQ(*e.electricity_cost, *y.electricity_cost);
  }
  // --pue and --electricity-price replace the site's (the price then in the one currency the
  // runs' configs and the site share, or --currency's).
  cn.pue = 1.1;
  cn.electricity_price_per_kwh = 0.5;
  cn.currency = "CNY";
  const auto o = build_side_by_side(runs, cn);
  EXPECT_EQ(o.electricity_source, "--electricity-price");
  const Extrapolation& y = o.runs[0].extrapolation;
  EXPECT_NEAR(*y.energy_mwh, p.runs[0].extrapolation.gpu_hours * 700 * 1.1 / 1e6, 1e-9 * *y.energy_mwh);
  EXPECT_NEAR(*y.electricity_cost, *y.energy_mwh * 1000 * 0.5, 1e-9 * *y.electricity_cost);
  EXPECT_EQ(y.electricity_currency, "CNY");
}

// One electricity price for USD-priced runs at a CNY site is in neither until --currency says;
// runs of a config without a [price] table (h100-sxm's) have no currency of their own, so beside
// the same site the price is the site's CNY. A site of H100s takes no H200 run.
TEST(CompareSideBySide, SiteRefusesAnAmbiguousPriceAndAnotherGpusRuns) {
  SideBySideOptions o;
  o.site = tb::load_site("500p");
  o.electricity_price_per_kwh = 0.1;
  const auto unpriced = build_side_by_side(two_h100_runs(), o);
  for (const auto& r : unpriced.runs) {
    ASSERT_TRUE(r.extrapolation.electricity_cost.has_value());
    EXPECT_EQ(r.extrapolation.electricity_currency, "CNY");
    EXPECT_NEAR(*r.extrapolation.electricity_cost, *r.extrapolation.energy_mwh * 1000 * 0.1,
                1e-9 * *r.extrapolation.electricity_cost);
  }
  const std::string dir = tb::testing::make_temp_dir("tb_sku_");
  std::ifstream in(tb::config::config_root() / "skus" / "h100-sxm.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n[price]\nsource = \"a USD price list\"\n";  // no currency named: USD
  tb::testing::write_text(dir + "/h100-sxm.toml", text.str());
  SyntheticRunSpec a, b;
  a.sku = b.sku = dir + "/h100-sxm.toml";
  b.seed = 2;
  EXPECT_EQ(tb::testing::message_of([&] {
              build_side_by_side({{"runs/a.json", synthetic_run(a)}, {"runs/b.json", synthetic_run(b)}}, o);
            }),
            "--electricity-price 0.1: one price for every run and the site, whose configs are in USD (A, B) and CNY "
            "(site 500p): give --currency USD or --currency CNY to say which it is in");
  std::filesystem::remove_all(dir);
  o.site = tb::load_site("h100-1024");
  o.electricity_price_per_kwh.reset();
  const std::string msg = tb::testing::message_of([&] { build_side_by_side(h100_and_h200(), o); });
  EXPECT_NE(msg.find("--site h100-1024 is built of h100-sxm GPUs; run B (runs/h200.json) was measured on h200"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("give a site of no one GPU (1000p, 500p) or runs of h100-sxm only"), std::string::npos) << msg;
}

}  // namespace

// Steps of other shapes (--allow-different-shapes) show the figures that differ in the step table,
// so a faster step is not read as a faster machine; same-shape runs show none of them.
TEST(CompareFormat, StepTableSaysTheShapeFiguresThatDiffer) {
  auto runs = h100_and_h200();
  const std::string same = format_side_by_side(build_side_by_side(runs, {}), TableFormat::Text);
  for (const char* label : {"tensor-parallel", "micro-batch (sequences)", "sequence (tokens)",
                            "micro-batches per optimizer step", "data-parallel"})
    EXPECT_EQ(same.find(label), std::string::npos) << label << "\n" << same;

  runs[1].results.workload.micro_batches = 96;
  runs[1].results.workload.data_parallel = 16;
  const std::string text = format_side_by_side(build_side_by_side(runs, {}), TableFormat::Text);
  const auto m_row = text.find("micro-batches per optimizer step (M)");
  ASSERT_NE(m_row, std::string::npos) << text;
  const std::string m_line = text.substr(m_row, text.find('\n', m_row) - m_row);
  EXPECT_NE(m_line.find(" 1 "), std::string::npos) << m_line;
  EXPECT_NE(m_line.find("96"), std::string::npos) << m_line;
  const auto dp_row = text.find("data-parallel (optimizer shards)");
  ASSERT_NE(dp_row, std::string::npos) << text;
  EXPECT_NE(text.substr(dp_row, text.find('\n', dp_row) - dp_row).find("16"), std::string::npos);
  EXPECT_EQ(text.find("tensor-parallel"), std::string::npos) << text;
  EXPECT_LT(m_row, text.find("step time (ms)"));
}
