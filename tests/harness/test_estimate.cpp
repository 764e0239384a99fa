// The extrapolation against the papers' and the article's published numbers.
#include <gtest/gtest.h>

#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {
namespace {

EstimateRequest request_for(const std::string& model) {
  EstimateRequest r;
  r.model = load_model(model);
  return r;
}

TEST(Estimate, ReproducesGpt3TableD1PfDaysWithin2Percent) {
  // Brown et al. 2020, Table D.1: total train compute (PF-days), 300 B tokens each.
  const std::pair<const char*, double> rows[] = {
      {"gpt3-small", 2.60}, {"gpt3-medium", 7.42}, {"gpt3-large", 15.8}, {"gpt3-xl", 27.5},
      {"gpt3-2.7b", 55.2},  {"gpt3-6.7b", 139},    {"gpt3-13b", 268},    {"gpt3-175b", 3640}};
  for (const auto& [name, pf_days] : rows) {
    EstimateRequest r = request_for(name);
    r.tokens = 300e9;
    EXPECT_NEAR(estimate(r).pf_days / pf_days, 1.0, 0.02) << name;
  }
}

TEST(Estimate, ReproducesMegatronGpt3ExampleWithFullRecompute) {
  // Narayanan et al. 2021: GPT-3 175B, 300 B tokens, 1024 A100 at 140 TFLOP/s → about 34 days.
  EstimateRequest r = request_for("gpt3-175b");
  r.tokens = 300e9;
  r.sustained_tflops_per_gpu = 140;
  r.gpus = 1024;
  r.recompute = Recompute::Full;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.wall_days);
  const double paper_days = formulas::megatron_training_seconds(300e9, 175e9, 1024, 140e12) / 86400;
  EXPECT_NEAR(paper_days, 34.0, 0.2);  // the formula itself says ~34
  EXPECT_NEAR(*e.wall_days / 34.0, 1.0, 0.03);
  // Without recomputation the same GPUs take about 3/4 as long.
  r.recompute = Recompute::None;
  EXPECT_NEAR(*estimate(r).wall_days / *e.wall_days, 0.75, 0.02);
}

TEST(Estimate, ReproducesTheArticleAtPeak) {
  // 3640 PF-days; a 500 PFLOPS center delivers 500 PF-days a day → 7.28 centers for one day,
  // 3.02 billion yuan each → 22.0 billion yuan.
  EstimateRequest r = request_for("gpt3-175b");
  r.tokens = 300e9;
  r.site = load_site("500p");
  r.days = 1;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.at_peak);
  EXPECT_NEAR(e.pf_days, 3640, 3640 * 0.01);
  EXPECT_NEAR(e.at_peak->sites_needed, 7.28, 0.01);
  EXPECT_EQ(e.at_peak->sites_whole, 8);
  EXPECT_NEAR(e.at_peak->total_cost / 1e9, 22.0, 0.05);
  EXPECT_EQ(e.currency, "CNY");
  EXPECT_FALSE(e.at_measured);  // no throughput given
  // 30 days needs a thirtieth of that.
  r.days = 30;
  EXPECT_NEAR(estimate(r).at_peak->sites_needed, 7.28 / 30, 0.001);
}

TEST(Estimate, MeasuredColumnScalesWithMfu) {
  EstimateRequest r = request_for("gpt3-175b");
  r.site = load_site("500p");
  r.days = 1;
  r.sku = load_sku("h100-sxm");
  r.mfu = 0.5;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.at_measured);
  // Half the peak's useful work, and model FLOPs include attention: a bit over twice the centers.
  // By hand: the article counts 6·N per token, N = 96 × (12·d² + 13·d) + (50257 + 2048)·d + 2·d
  // = 174,604,259,328 (d = 12288), so 6·N = 1,047,625,555,968; the measured column counts
  // 3 × (2 × (96 × 12·d² + 50257·d) + 4 × 96 × 2048 × d) = 3 × (349,127,467,008 +
  // 9,663,676,416) = 1,076,373,430,272 (PaLM's count: attention unmasked). Ratio
  // 2 × 1,076,373,430,272 / 1,047,625,555,968 = 2.0548820.
  const double ratio = e.at_measured->sites_needed / e.at_peak->sites_needed;
  EXPECT_NEAR(ratio, 2.0548820, 1e-7);
  EXPECT_NEAR(e.training_flops, 1'047'625'555'968.0 * 300e9, 1e-12 * e.training_flops);
  EXPECT_NEAR(e.training_model_flops, 1'076'373'430'272.0 * 300e9, 1e-12 * e.training_model_flops);
}

// MFU's numerator is PaLM's count exactly (Chowdhery et al. 2022, appendix B): 6·N + 12·L·d·s
// per token, N the matmul weights, attention unmasked though GPT-3 is causal. By hand for GPT-3
// 175B: N_matmul = 96 × 12 × 12288² + 50257 × 12288 = 173,946,175,488 + 617,558,016 =
// 174,563,733,504; 6 × that = 1,047,382,401,024; 12 × 96 × 12288 × 2048 = 28,991,029,248; in all
// 1,076,373,430,272 (the causal-halved count was 1,061,877,915,648, 1.3% fewer).
TEST(Estimate, ModelFlopsPerTokenArePalmsCount) {
  EstimateRequest r = request_for("gpt3-175b");
  const EstimateResult e = estimate(r);
  const ModelConfig& m = r.model;
  EXPECT_EQ(count_parameters(m).matmul_weights, 174'563'733'504.0);
  EXPECT_EQ(e.model_flops_per_token,
            formulas::palm_flops_per_token(count_parameters(m).matmul_weights, m.layers, m.hidden, m.seq_len));
  EXPECT_EQ(e.model_flops_per_token, 1'076'373'430'272.0);
  EXPECT_EQ(e.hardware_flops_per_token, e.model_flops_per_token);  // no recomputation
  // At another context the attention term moves with s: 12 × 96 × 12288 × 8192 = 115,964,116,992,
  // 1,047,382,401,024 + 115,964,116,992 = 1,163,346,518,016.
  r.seq_len = 8192;
  EXPECT_EQ(estimate(r).model_flops_per_token, 1'163'346'518'016.0);
}

TEST(Estimate, MfuGivesHardwareRateAndGpuHours) {
  EstimateRequest r = request_for("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.mfu = 0.4;
  r.gpus = 1000;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.sustained_tflops_per_gpu);
  EXPECT_NEAR(*e.sustained_tflops_per_gpu, 0.4 * 989, 1e-6);  // recompute none: hw = model
  // By hand: 1,076,373,430,272 model FLOPs per token (see MeasuredColumnScalesWithMfu) × 300e9
  // tokens = 3.229120e23 FLOP at 0.4 × 989e12 = 395.6e12 FLOP/s: 816,258,920.8 GPU-seconds =
  // 226,738.5891 GPU-hours; on 1000 GPUs 816,258.9208 s = 9.4474412 days.
  EXPECT_NEAR(*e.gpu_hours, 226'738.5891, 226'738.5891 * 1e-9);
  EXPECT_NEAR(*e.wall_days, 9.4474412, 9.4474412 * 1e-7);
  // Energy: GPU-hours × 700 W × PUE 1.0 = 226,738.5891 × 700 / 1e6 = 158.717012 MWh.
  EXPECT_NEAR(*e.energy_mwh, 158.717012, 158.717012 * 1e-8);
  // The upper bound with the rest of a DGX H100 at its 10.2 kW rating: 10200 / 8 − 700 = 575 W
  // more per GPU, 1275 W in all: 226,738.5891 × 1275 / 1e6 = 289.091701 MWh.
  ASSERT_TRUE(e.server_other_w);
  EXPECT_DOUBLE_EQ(*e.server_other_w, 575);
  EXPECT_NEAR(*e.energy_with_server_mwh, 289.091701, 289.091701 * 1e-8);
}

// A site brings its PUE and its electricity tariff (configs/sites/500p.toml: PUE 1.3, 0.6 CNY
// per kWh); --pue overrides the PUE, --electricity-price the tariff (in --currency, default the
// SKU's, USD). By hand with the GPU-hours above (226,738.5891): energy 226,738.5891 × 700 W × 1.3
// / 1e6 = 206.332116 MWh; at 0.6 CNY/kWh 206,332.116 kWh × 0.6 = 123,799.270 CNY.
TEST(Estimate, SiteGivesPueAndElectricityPriceUnlessOverridden) {
  EstimateRequest r = request_for("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.mfu = 0.4;
  r.gpus = 1000;
  r.site = load_site("500p");
  r.days = 30;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.pue && e.energy_mwh && e.electricity_cost);
  EXPECT_DOUBLE_EQ(*e.pue, 1.3);
  EXPECT_NEAR(*e.energy_mwh, 206.332116, 206.332116 * 1e-8);
  EXPECT_NEAR(*e.electricity_cost, 123'799.270, 123'799.270 * 1e-8);
  EXPECT_EQ(e.electricity_currency, "CNY");
  // --pue 1.1: 226,738.5891 × 700 × 1.1 / 1e6 = 174.588714 MWh, × 600 = 104,753.228 CNY.
  r.pue = 1.1;
  const EstimateResult p = estimate(r);
  EXPECT_DOUBLE_EQ(*p.pue, 1.1);
  EXPECT_NEAR(*p.energy_mwh, 174.588714, 174.588714 * 1e-8);
  EXPECT_NEAR(*p.electricity_cost, 104'753.228, 104'753.228 * 1e-8);
  EXPECT_EQ(p.electricity_currency, "CNY");
  // --electricity-price 0.1 (USD: no --currency, and the H100 config prices in USD) at PUE 1.1:
  // 174,588.714 kWh × 0.1 = 17,458.8714 USD.
  r.electricity_price_per_kwh = 0.1;
  const EstimateResult q = estimate(r);
  EXPECT_NEAR(*q.electricity_cost, 17'458.8714, 17'458.8714 * 1e-8);
  EXPECT_EQ(q.electricity_currency, "USD");
}

TEST(Estimate, DaysWithoutGpusDerivesTheGpuCount) {
  EstimateRequest r = request_for("gpt3-175b");
  r.sustained_tflops_per_gpu = 140;
  r.recompute = Recompute::Full;
  r.days = 34;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.gpus);
  EXPECT_TRUE(*e.gpus_derived);
  EXPECT_LE(*e.wall_days, 34.0);
  // By hand: full recomputation runs every layer's forward again, 2 × 96 × 12·d² = 347,892,350,976
  // GEMM and 4 × 96 × 2048 × d = 9,663,676,416 attention FLOPs (unmasked) more per token:
  // 1,076,373,430,272 + 357,556,027,392 = 1,433,929,457,664. × 300e9 tokens / 140e12 FLOP/s =
  // 3,072,705,980.7 GPU-seconds; 34 days are 2,937,600 s: 1045.99 GPUs, rounded up to 1046
  // (Megatron-LM's example used 1024).
  EXPECT_EQ(*e.gpus, 1046);
  EXPECT_NEAR(*e.wall_days, 3'072'705'980.7 / 1046 / 86400, 1e-6);
}

// Rental cost = GPU-hours x price per GPU-hour; a quoted price overrides the SKU's, and the
// currency follows the quote. Hand computation: 1e6 GPU-hours at 2.5 = 2.5 million.
TEST(Estimate, RentalCostIsGpuHoursTimesTheQuotedPrice) {
  EstimateRequest r = request_for("gpt3-175b");
  r.sustained_tflops_per_gpu = 100;
  const EstimateResult base = estimate(r);
  ASSERT_TRUE(base.gpu_hours);
  EXPECT_FALSE(base.rental_cost);  // no price anywhere: no cost invented
  r.gpu_hour_price = 2.5;
  const EstimateResult quoted = estimate(r);
  ASSERT_TRUE(quoted.rental_cost);
  EXPECT_DOUBLE_EQ(*quoted.rental_cost, *base.gpu_hours * 2.5);
  EXPECT_EQ(*quoted.rental_currency, "USD");
  // GPT-3 175B at 100 TFLOP/s: 1,076,373,430,272 × 300e9 = 3.229e23 FLOP / 1e14 / 3600 = 0.897 M
  // GPU-hours.
  EXPECT_NEAR(*quoted.gpu_hours / 1e6, 0.897, 0.005);
  SkuConfig sku = load_sku("h100-sxm");
  sku.price_per_gpu_hour = 9.0;
  sku.currency = "EUR";
  r.sku = sku;
  r.currency = "CNY";
  const EstimateResult overridden = estimate(r);
  EXPECT_DOUBLE_EQ(*overridden.rental_cost, *base.gpu_hours * 2.5);
  EXPECT_EQ(*overridden.rental_currency, "CNY");
  r.gpu_hour_price.reset();
  r.currency.reset();
  EXPECT_DOUBLE_EQ(*estimate(r).rental_cost, *base.gpu_hours * 9.0);
  EXPECT_EQ(*estimate(r).rental_currency, "EUR");
}

// What procurement buys: whole servers. 311 GPUs of an 8-GPU server are 39 servers (38 hold
// 304); a [price] server figure prices them.
TEST(Estimate, GpusRoundUpToWholeServersAndTheirPrice) {
  EstimateRequest r = request_for("gpt3-175b");
  SkuConfig sku = load_sku("h100-sxm");
  r.sku = sku;
  r.mfu = 0.4;
  r.days = 30;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.gpus && e.servers);
  EXPECT_EQ(e.gpus_per_server, 8);
  EXPECT_EQ(*e.servers, (*e.gpus + 7) / 8);
  EXPECT_GE(*e.servers * 8, *e.gpus);
  EXPECT_LT((*e.servers - 1) * 8, *e.gpus);
  EXPECT_FALSE(e.server_cost);  // the shipped config has no server price
  sku.server_price = 300000;
  r.sku = sku;
  r.gpus = 311;
  r.days.reset();
  const EstimateResult priced = estimate(r);
  EXPECT_EQ(*priced.servers, 39);
  EXPECT_DOUBLE_EQ(*priced.server_cost, 39 * 300000.0);
  // GPUs set by the layout (tp x pp x dp) or by the communication model for a deadline: the
  // servers follow the final count, not the ideal one.
  r.gpus.reset();
  r.tp = 8;
  r.pp = 8;
  r.dp = 3;
  const EstimateResult laid_out = estimate(r);
  EXPECT_EQ(*laid_out.gpus, 192);
  EXPECT_EQ(*laid_out.servers, 24);
  r.dp.reset();
  r.days = 30;
  const EstimateResult by_deadline = estimate(r);
  ASSERT_TRUE(by_deadline.scaling);
  EXPECT_EQ(*by_deadline.servers, (*by_deadline.gpus + 7) / 8);
  EXPECT_GT(*by_deadline.gpus, *e.gpus);  // communication costs GPUs over the ideal count
}

TEST(Estimate, RefusesAbsurdInputNamingTheFlag) {
  auto expect_refused = [](EstimateRequest r, const std::string& flag) {
    try {
      estimate(r);
      ADD_FAILURE() << flag << " accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  EstimateRequest r = request_for("gpt3-xl");
  auto bad = r;
  bad.tokens = -5;
  expect_refused(bad, "--tokens");
  bad = r;
  bad.tokens = std::nan("");
  expect_refused(bad, "--tokens");
  bad = r;
  bad.sku = load_sku("h100-sxm");
  bad.mfu = 1.5;
  expect_refused(bad, "--mfu");
  bad = r;
  bad.mfu = 0.5;  // without --gpu
  expect_refused(bad, "--gpu");
  bad = r;
  bad.sustained_tflops_per_gpu = 0;
  expect_refused(bad, "--tflops");
  bad = r;
  bad.sustained_tflops_per_gpu = 100;
  bad.gpus = 0;
  expect_refused(bad, "--gpus");
  bad = r;
  bad.days = -1;
  expect_refused(bad, "--days");
}

TEST(Estimate, JsonHasTheDocumentedKeys) {
  EstimateRequest r = request_for("gpt3-175b");
  r.sustained_tflops_per_gpu = 140;
  r.gpus = 1024;
  r.site = load_site("500p");
  r.days = 1;
  const auto j = to_json(estimate(r));
  for (const char* key : {"model", "params", "tokens", "training_flops", "pf_days", "sustained_tflops_per_gpu",
                          "gpu_hours", "wall_days", "sites_needed", "sites_cost", "site_currency"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["site_currency"], "CNY");
}

}  // namespace
}  // namespace tb

namespace tb {
namespace {

results::KernelResult timed(int64_t calls, double median_ms, std::optional<double> watts) {
  results::KernelResult k;
  k.calls_per_step = calls;
  k.stats.median_ms = median_ms;
  if (watts) {
    results::ClockSummary c;
    c.power_w_mean = *watts;
    k.clocks = c;
  }
  return k;
}

// Energy from the power NVML measured over the step, time-weighted by calls x median:
// (2 x 1 ms x 600 W + 1 x 2 ms x 300 W) / 4 ms = 450 W. Readings covering under 90% of the step
// give no figure (a CPU run, a missing NVML), and the TDP stays the basis.
TEST(Estimate, EnergyUsesTheMeasuredPowerOfTheStep) {
  EXPECT_DOUBLE_EQ(*step_mean_power_w({timed(2, 1.0, 600), timed(1, 2.0, 300)}), 450);
  EXPECT_FALSE(step_mean_power_w({timed(2, 1.0, 600), timed(1, 2.0, std::nullopt)}));  // half covered
  EXPECT_TRUE(step_mean_power_w({timed(19, 1.0, 600), timed(1, 1.0, std::nullopt)}));  // 95% covered

  EstimateRequest r = request_for("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.sustained_tflops_per_gpu = 300;
  const EstimateResult at_tdp = estimate(r);
  ASSERT_TRUE(at_tdp.energy_mwh);
  EXPECT_FALSE(at_tdp.power_measured);
  EXPECT_DOUBLE_EQ(*at_tdp.power_w, 700);
  r.measured_power_w = 450;
  r.pue = 1.2;
  const EstimateResult measured = estimate(r);
  EXPECT_TRUE(measured.power_measured);
  EXPECT_DOUBLE_EQ(*measured.energy_mwh, *measured.gpu_hours * 450 * 1.2 / 1e6);
}

}  // namespace
}  // namespace tb
