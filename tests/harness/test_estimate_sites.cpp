// The data centers a deadline needs at a given MFU: the site is rated at a bf16-class peak
// (configs/sites/500p.toml: 500 PFLOPS), MFU is a fraction of the --dtype peak, and whole sites
// hold the GPUs the job uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"

namespace tb {
namespace {

// GPT-3 175B's model FLOPs by hand (test_estimate.cpp, MeasuredColumnScalesWithMfu; PaLM's
// count, attention unmasked): 1,076,373,430,272 per token x 300e9 tokens.
constexpr double kGpt3ModelFlops = 1'076'373'430'272.0 * 300e9;
constexpr double kThirtyDays = 30 * 86400.0;

EstimateRequest h100_at_500p(DType dtype) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.dtype = dtype;
  r.mfu = 0.4;
  r.days = 30;
  r.site = load_site("500p");
  return r;
}

// configs/skus/h100-sxm.toml: bf16 989, fp8 1979, tf32 495 TFLOP/s dense. A site of 500 PFLOPS
// holds 500,000 / 989 = 505.6 -> 506 H100s; at MFU 0.4 of the fp8 peak they do 1979/989 times the
// work they do in bf16, in tf32 495/989 times.
TEST(EstimateSites, MfuOfTheDtypePeakSizesTheSitesRatedInBf16) {
  const EstimateResult bf16 = estimate(h100_at_500p(DType::BF16));
  ASSERT_TRUE(bf16.at_measured && bf16.gpus_per_site);
  EXPECT_EQ(*bf16.gpus_per_site, 506);
  const double bf16_sites = kGpt3ModelFlops / (500e15 * 0.4 * kThirtyDays);  // 0.6229
  EXPECT_NEAR(bf16.at_measured->sites_needed, bf16_sites, 1e-9 * bf16_sites);
  EXPECT_EQ(bf16.at_measured->sites_whole, 1);

  const EstimateResult fp8 = estimate(h100_at_500p(DType::FP8));
  ASSERT_TRUE(fp8.at_measured && fp8.gpus && fp8.gpus_per_site);
  EXPECT_EQ(*fp8.gpus_per_site, 506);  // the rating is bf16's: the site holds as many GPUs
  const double fp8_sites = kGpt3ModelFlops / (500e15 * 0.4 * (1979.0 / 989.0) * kThirtyDays);
  EXPECT_NEAR(fp8.at_measured->sites_needed, fp8_sites, 1e-9 * fp8_sites);
  EXPECT_NEAR(fp8.at_measured->sites_needed, 0.3113, 1e-4);
  EXPECT_NEAR(fp8.at_measured->efficiency, 0.4 * 1979.0 / 989.0, 1e-12);
  EXPECT_EQ(fp8.at_measured->sites_whole, 1);
  // The same as its GPU count: 3.2291203e23 FLOP / (0.4 x 1979e12 FLOP/s) / 30 days = 157.38,
  // 158 GPUs of the 506 one site holds.
  EXPECT_EQ(*fp8.gpus, 158);
  EXPECT_NEAR(fp8.at_measured->sites_needed, 158.0 / 506, 0.01);

  const EstimateResult tf32 = estimate(h100_at_500p(DType::TF32));
  ASSERT_TRUE(tf32.at_measured && tf32.gpus);
  const double tf32_sites = kGpt3ModelFlops / (500e15 * 0.4 * (495.0 / 989.0) * kThirtyDays);
  EXPECT_NEAR(tf32.at_measured->sites_needed, tf32_sites, 1e-9 * tf32_sites);
  EXPECT_NEAR(tf32.at_measured->sites_needed, 1.2445, 1e-4);
  EXPECT_EQ(tf32.at_measured->sites_whole, 2);
  EXPECT_EQ(*tf32.gpus, 630);  // 3.2291203e23 / (0.4 x 495e12) / 30 days = 629.19
  EXPECT_GE(tf32.at_measured->sites_whole * 506, *tf32.gpus);
  // The article's column is 6*N*D at the rating, whatever the dtype.
  EXPECT_DOUBLE_EQ(fp8.at_peak->sites_needed, bf16.at_peak->sites_needed);
  EXPECT_DOUBLE_EQ(tf32.at_peak->sites_needed, bf16.at_peak->sites_needed);
}

// A layout rounds the deadline's GPUs up to whole pipelines: whole sites must hold all of them,
// not just the work's share, and the result says which count it built for.
TEST(EstimateSites, WholeSitesHoldTheGpusTheDeadlineLayoutUses) {
  EstimateRequest r = h100_at_500p(DType::BF16);
  r.tp = 8;
  r.pp = 8;
  // Over deadlines of 1 to 30 days, some round the GPUs past the work's last site: each holds.
  int held = 0;
  for (int days = 1; days <= 30; ++days) {
    r.days = days;
    const EstimateResult e = estimate(r);
    ASSERT_TRUE(e.at_measured && e.gpus && e.gpus_per_site && e.scaling) << days;
    ASSERT_TRUE(e.gpus_derived.value_or(false));
    const SiteEstimate& s = *e.at_measured;
    const int64_t holding = (*e.gpus + 505) / 506;
    const auto work = static_cast<int64_t>(std::ceil(s.sites_needed - 1e-9));
    EXPECT_EQ(s.sites_whole, std::max(holding, work)) << days;
    EXPECT_GE(s.sites_whole * 506, *e.gpus) << days;
    EXPECT_DOUBLE_EQ(s.cost_whole_sites, static_cast<double>(s.sites_whole) * 3.02e9);
    EXPECT_EQ(s.sites_whole_hold_gpus.has_value(), holding > work) << days;
    if (holding > work) {
      ++held;
      EXPECT_EQ(*s.sites_whole_hold_gpus, *e.gpus) << days;
    }
  }
  EXPECT_GT(held, 0);
  // --gpus fixes the fleet, and the sites answer --days on their own: no holding.
  r.gpus = 200'000;
  r.days = 30;
  r.tp.reset();
  r.pp.reset();
  const EstimateResult fixed = estimate(r);
  ASSERT_TRUE(fixed.at_measured);
  EXPECT_FALSE(fixed.at_measured->sites_whole_hold_gpus);
  EXPECT_EQ(fixed.at_measured->sites_whole, 1);
}

// A hand-given layout's GPUs run in the sites as the search's do: the rule is the deadline's. GPT-3
// in a day at tp 8 x pp 48 x dp 256 = 98,304 GPUs (the layout --layout auto picks): the work alone
// fills 193.5 sites (PaLM's model FLOPs; build 194), but 194 x 506 = 98,164 GPUs < 98,304, so
// 98,304 / 506 = 194.3 -> 195 sites, 195 x 3.02 billion = 588.9 billion CNY.
TEST(EstimateSites, WholeSitesHoldAHandLayoutsGpus) {
  EstimateRequest r = h100_at_500p(DType::BF16);
  r.days = 1;
  r.tp = 8;
  r.pp = 48;
  r.dp = 256;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.at_measured && e.gpus && e.gpus_per_site);
  EXPECT_EQ(*e.gpus, 8 * 48 * 256);
  EXPECT_EQ(*e.gpus_per_site, 506);
  EXPECT_NEAR(e.at_measured->sites_needed, 193.5, 0.05);
  EXPECT_EQ(e.at_measured->sites_whole, 195);
  EXPECT_EQ(e.at_measured->sites_whole_hold_gpus, std::optional<int64_t>(98'304));
  EXPECT_DOUBLE_EQ(e.at_measured->cost_whole_sites, 195 * 3.02e9);
  // Over several hand dp sizes (too few GPUs for the day, and more than it needs): the sites to
  // build are the larger of the work's and those holding tp x pp x dp.
  int held = 0, short_of = 0;
  for (const int64_t dp : {16, 64, 128, 200, 256, 300}) {
    r.dp = dp;
    const EstimateResult x = estimate(r);
    ASSERT_TRUE(x.at_measured && x.gpus) << dp;
    const int64_t holding = (8 * 48 * dp + 505) / 506;
    const auto work = static_cast<int64_t>(std::ceil(x.at_measured->sites_needed - 1e-9));
    EXPECT_EQ(x.at_measured->sites_whole, std::max(holding, work)) << dp;
    EXPECT_EQ(x.at_measured->sites_whole_hold_gpus.has_value(), holding > work) << dp;
    held += holding > work;
    short_of += holding < work;
  }
  EXPECT_GT(held, 0);
  EXPECT_GT(short_of, 0);
  // The same layout on a --gpus fleet is the fleet's own question: the sites answer --days alone.
  r.dp.reset();
  r.gpus = 98'304;
  const EstimateResult fleet = estimate(r);
  ASSERT_TRUE(fleet.at_measured);
  EXPECT_FALSE(fleet.at_measured->sites_whole_hold_gpus);
  EXPECT_EQ(fleet.at_measured->sites_whole, 194);
}

// A deadline no 100,000,000 GPUs meet is said, not capped and reported as met, with --site as
// without: Llama 3 405B on RTX 4090s at MFU 0.01 in a day needs 2,625,424,588,800 model FLOPs
// per token (PaLM's) x 15.6e12 tokens / (0.01 x 165e12 FLOP/s) / 86400 s = 2.87e8.
TEST(EstimateSites, ADeadlineBeyondTheGpuBoundIsRefusedWithASite) {
  EstimateRequest r;
  r.model = load_model("llama3-405b");
  r.sku = load_sku("rtx4090");
  r.mfu = 0.01;
  r.days = 1;
  r.site = load_site("500p");
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.gpus_needed_for_deadline);
  EXPECT_GT(*e.gpus_needed_for_deadline, static_cast<double>(kMaxGpus));
  try {
    refuse_gpus_beyond_bound(e, 1, "");
    FAIL() << "a capped GPU count passed";
  } catch (const UsageError& error) {
    const std::string msg = error.what();
    EXPECT_NE(msg.find("--days 1 needs 2.87e+08 GPUs, more than the 100000000 --gpus allows"), std::string::npos)
        << msg;
  }
  r.days = 30;  // 9.2 million GPUs: an answer
  EXPECT_NO_THROW(refuse_gpus_beyond_bound(estimate(r), 30, ""));
}

}  // namespace
}  // namespace tb
