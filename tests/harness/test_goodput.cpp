// The interruption model against hand computations (Young 1974, Daly 2006) and Llama 3's
// published interruption rate, and its effect on an estimate.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/goodput.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"

namespace tb {
namespace {

// Llama 3 §3.3.4: 466 interruptions in 54 days on 16,384 GPUs, 47 of them planned (maintenance):
// the failure rate is the 419 unexpected ones, 54 x 86,400 / 419 = 11,135.08 s on 16,384 GPUs.
constexpr double kLlama3JobMtbfS = 54.0 * 86400.0 / 419.0;

InterruptionModel llama3(double checkpoint_s, double restart_s) {
  InterruptionModel m;
  m.gpu_mtbf_hours = llama3_gpu_mtbf_hours();
  m.checkpoint_s = checkpoint_s;
  m.restart_s = restart_s;
  return m;
}

TEST(Goodput, Llama3RateGivesItsInterruptionCount) {
  // 54 x 24 = 1,296 h; x 16,384 = 21,233,664 GPU-hours; / 419 = 50,677.0024 (not / 466 = 45,565.80:
  // the 47 planned stops are maintenance, not failures).
  EXPECT_NEAR(llama3_gpu_mtbf_hours(), 50677.0024, 1e-4);
  EXPECT_NEAR(llama3_gpu_mtbf_hours(), 21'233'664.0 / 419.0, 1e-9);
  const Goodput g = goodput(llama3(60, 600), 16384, 1.0);
  EXPECT_NEAR(g.job_mtbf_s, kLlama3JobMtbfS, 1e-6);
  // A case whose every figure is round, checked by hand: 1000 GPU-hours per GPU on 10 GPUs is
  // one interruption per M = 1000 × 3600 / 10 = 360,000 s. Checkpoints of δ = 60 s every
  // τ = 3540 s (given), restarts of R = 600 s: each interruption loses R + (τ + δ)/2 = 2400 s, so
  // f = τ/(τ + δ) × (1 − 2400/360,000) = 3540/3600 × 149/150 = 527,460/540,000 = 0.97677̄.
  // 527,460 s of training then take 540,000 s of wall time, which hold 540,000 / 360,000 = 1.5
  // interruptions.
  InterruptionModel round;
  round.gpu_mtbf_hours = 1000;
  round.checkpoint_s = 60;
  round.restart_s = 600;
  round.checkpoint_interval_s = 3540;
  const Goodput r = goodput(round, 10, 527'460.0);
  EXPECT_DOUBLE_EQ(r.job_mtbf_s, 360'000.0);
  EXPECT_DOUBLE_EQ(r.interval_s, 3540.0);
  EXPECT_FALSE(r.interval_optimal);
  EXPECT_NEAR(r.fraction, 527'460.0 / 540'000.0, 1e-15);
  EXPECT_NEAR(r.wall_s, 540'000.0, 1e-9);
  EXPECT_NEAR(r.expected_interruptions, 1.5, 1e-14);
  // Its shares of wall time: checkpoints f·δ/τ = 0.97677̄ × 60/3540 = 0.016556̄, rework
  // 1800/360,000 = 0.005, restarts 600/360,000 = 0.001666̄.
  EXPECT_NEAR(r.checkpoint_share, 527'460.0 / 540'000.0 * 60.0 / 3540.0, 1e-15);
  EXPECT_NEAR(r.rework_share, 0.005, 1e-15);
  EXPECT_NEAR(r.restart_share, 600.0 / 360'000.0, 1e-15);
  // Half the GPUs, half as often.
  EXPECT_NEAR(goodput(llama3(60, 600), 8192, 1.0).job_mtbf_s, 2 * kLlama3JobMtbfS, 1e-6);
}

TEST(Goodput, IntervalIsYoungsWithDalysHigherOrderTerms) {
  // Young: sqrt(2 x 60 x 11,135.08) = 1155.95 s. Daly: x = 60 / 22,270.17 = 0.0026942,
  // 1155.95 x (1 + 0.051906/3 + 0.0026942/9) - 60 = 1155.95 x 1.0176014 - 60 = 1116.29 s.
  EXPECT_NEAR(std::sqrt(2 * 60 * kLlama3JobMtbfS), 1155.95, 0.01);
  EXPECT_NEAR(daly_optimal_interval_s(60, kLlama3JobMtbfS), 1116.29, 0.01);
  EXPECT_DOUBLE_EQ(daly_optimal_interval_s(500, 200), 200.0);  // δ >= 2M: checkpoint once per MTBF
}

TEST(Goodput, FractionMatchesHandComputationAndSharesSumToOne) {
  // f = 1116.29/1176.29 x (1 - (600 + 588.15)/11,135.08) = 0.948992 x 0.893297 = 0.84773
  const Goodput g = goodput(llama3(60, 600), 16384, 86400.0);
  EXPECT_NEAR(g.interval_s, 1116.292, 1e-3);
  EXPECT_TRUE(g.interval_optimal);
  EXPECT_NEAR(g.fraction, 0.84773, 1e-5);
  EXPECT_NEAR(g.fraction + g.checkpoint_share + g.rework_share + g.restart_share, 1.0, 1e-12);
  EXPECT_NEAR(g.restart_share, 600 / kLlama3JobMtbfS, 1e-12);
  EXPECT_NEAR(g.wall_s, 86400.0 / 0.84773, 1.0);
  // Meta reports > 90% effective training time: faster checkpoints and restarts reach it.
  EXPECT_GT(goodput(llama3(30, 180), 16384, 1.0).fraction, 0.90);
}

TEST(Goodput, DalysIntervalBeatsShorterAndLongerOnes) {
  const Goodput best = goodput(llama3(60, 600), 16384, 1.0);
  for (double scale : {0.25, 0.5, 0.8, 1.25, 2.0, 4.0}) {
    InterruptionModel m = llama3(60, 600);
    m.checkpoint_interval_s = best.interval_s * scale;
    const Goodput g = goodput(m, 16384, 1.0);
    EXPECT_FALSE(g.interval_optimal);
    EXPECT_LT(g.fraction, best.fraction) << scale;
  }
}

TEST(Goodput, RefusesBadFiguresAndJobsThatMakeNoProgress) {
  auto expect_refused = [](InterruptionModel m, int64_t gpus, const std::string& mention) {
    try {
      goodput(m, gpus, 1.0);
      ADD_FAILURE() << "accepted; expected a message naming " << mention;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  };
  InterruptionModel m = llama3(60, 600);
  m.gpu_mtbf_hours = 0;
  expect_refused(m, 8, "--mtbf-gpu-hours");
  m = llama3(-1, 600);
  expect_refused(m, 8, "--checkpoint-s");
  m = llama3(60, std::nan(""));
  expect_refused(m, 8, "--restart-s");
  m = llama3(60, 600);
  m.checkpoint_interval_s = 0;
  expect_refused(m, 8, "--checkpoint-interval-s");
  // 10 million GPUs: interrupted every 16 s, less than a restart.
  expect_refused(llama3(60, 600), 10'000'000, "no progress");
}

EstimateRequest gpt3_on_1024(double mtbf_hours) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sustained_tflops_per_gpu = 140;
  r.recompute = Recompute::Full;
  r.gpus = 1024;
  InterruptionModel m;
  m.gpu_mtbf_hours = mtbf_hours;
  r.interruptions = m;
  return r;
}

// The estimate divides days, GPU-hours, energy and rental by the goodput and keeps the
// uninterrupted figures.
TEST(Goodput, EstimateAddsTheLostTime) {
  EstimateRequest r = gpt3_on_1024(llama3_gpu_mtbf_hours());
  const EstimateResult with = estimate(r);
  r.interruptions.reset();
  const EstimateResult without = estimate(r);
  ASSERT_TRUE(with.goodput);
  EXPECT_DOUBLE_EQ(*with.uninterrupted_wall_days, *without.wall_days);
  EXPECT_NEAR(*with.wall_days, *without.wall_days / with.goodput->fraction, 1e-9);
  EXPECT_NEAR(*with.gpu_hours, *without.gpu_hours / with.goodput->fraction, 1e-6);
  // 1024 GPUs at Llama 3's per-GPU rate: one interruption every 50,677.0 / 1024 = 49.49 h.
  EXPECT_NEAR(with.goodput->job_mtbf_s / 3600.0, 49.489, 1e-3);
  // By hand: M = 50,677.0024 h × 3600 / 1024 = 178,161.34 s; Daly's τ with δ = 60 s (default):
  // sqrt(2 × 60 × 178,161.34) = 4623.78, x = 60 / 356,322.67 = 1.6839e-4, × (1 + 0.0129764/3 +
  // 1.6839e-4/9) − 60 = 4623.78 × 1.0043442 − 60 = 4583.87 s. Loss per interruption
  // R + (τ + δ)/2 = 600 + 2321.93 = 2921.93 s; f = 4583.87/4643.87 × (1 − 2921.93/178,161.34) =
  // 0.9870797 × 0.9835995 = 0.970891.
  EXPECT_NEAR(with.goodput->interval_s, 4583.87, 0.01);
  EXPECT_NEAR(with.goodput->fraction, 0.970891, 1e-5);
}

// The data centers at measured throughput lose the goodput of the GPUs they hold (site peak / SKU
// peak each): the fraction of peak they use is MFU x goodput, and goodput is that of those GPUs.
TEST(Goodput, SitesAtMeasuredThroughputIncludeTheInterruptions) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.mfu = 0.4;
  r.site = load_site("500p");
  r.days = 1;
  const EstimateResult without = estimate(r);
  InterruptionModel m;
  m.gpu_mtbf_hours = llama3_gpu_mtbf_hours();
  r.interruptions = m;
  const EstimateResult with = estimate(r);
  ASSERT_TRUE(with.site_goodput && with.gpus_per_site && with.at_measured && without.at_measured);
  EXPECT_EQ(*with.gpus_per_site, 506);  // 500 PFLOPS / 989 TFLOP/s, rounded up
  const Goodput& g = *with.site_goodput;
  // The sites' GPUs are the work's at the SKU's peak (500,000 / 989 = 505.6 per site, not the 506
  // a whole site holds): the GPUs the answer line names for the same deadline.
  EXPECT_EQ(g.gpus, static_cast<int64_t>(std::ceil(with.at_measured->sites_needed * 500e3 / 989 - 1e-9)));
  ASSERT_TRUE(with.gpus);
  EXPECT_EQ(g.gpus, *with.gpus);
  EXPECT_NEAR(with.at_measured->efficiency, 0.4 * g.fraction, 1e-12);
  EXPECT_NEAR(with.at_measured->sites_needed, without.at_measured->sites_needed / g.fraction, 1e-9);
  EXPECT_LT(g.fraction, 1.0);
  // The article's column never changes.
  EXPECT_DOUBLE_EQ(with.at_peak->sites_needed, without.at_peak->sites_needed);
  // The site is rated at a bf16-class peak: its GPUs do not halve when the estimate is in fp8.
  EstimateRequest fp8 = r;
  fp8.dtype = DType::FP8;
  EXPECT_EQ(*estimate(fp8).gpus_per_site, 506);
  // Where no site count suffices (Llama 3 405B in one day: millions of GPUs, interrupted faster
  // than they restart) the column says so and stays uninterrupted; the estimate does not fail.
  EstimateRequest huge = r;
  huge.model = load_model("llama3-405b");
  huge.gpus = 16384;  // the job itself; the site column is sized by its deadline
  const EstimateResult none = estimate(huge);
  EXPECT_FALSE(none.site_goodput);
  ASSERT_TRUE(none.site_interruptions_unreachable);
  EXPECT_NE(none.site_interruptions_unreachable->find("no number of 500p sites"), std::string::npos);
  // Without a SKU the sites' GPUs are unknown: the column is left as it was.
  r.sku.reset();
  r.mfu.reset();
  r.sustained_tflops_per_gpu = 400;
  r.days.reset();
  r.gpus = 1024;
  EXPECT_FALSE(estimate(r).site_goodput);
}

// With a deadline the GPU count grows until the interrupted run meets it, in whole model-parallel
// groups with a layout.
TEST(Goodput, DeadlineGpusIncludeTheInterruptions) {
  EstimateRequest r = gpt3_on_1024(llama3_gpu_mtbf_hours());
  r.gpus.reset();
  r.days = 30;
  const EstimateResult with = estimate(r);
  EstimateRequest plain = r;
  plain.interruptions.reset();
  const EstimateResult without = estimate(plain);
  ASSERT_TRUE(with.gpus && without.gpus);
  EXPECT_TRUE(with.gpus_derived.value_or(false));
  EXPECT_GT(*with.gpus, *without.gpus);
  EXPECT_LE(*with.wall_days, 30.0 * (1 + 1e-9));
  r.gpus = *with.gpus - 1;  // one fewer misses it
  r.days.reset();
  EXPECT_GT(*estimate(r).wall_days, 30.0);

  EstimateRequest layout = gpt3_on_1024(llama3_gpu_mtbf_hours());
  layout.gpus.reset();
  layout.days = 30;
  layout.tp = 8;
  layout.pp = 16;
  layout.interconnect = comm::LinkBandwidths{};
  layout.interconnect->intra_node_gb_s = 450;
  layout.interconnect->inter_node_gb_s = 50;
  const EstimateResult grouped = estimate(layout);
  EXPECT_EQ(*grouped.gpus % 128, 0);
  EXPECT_LE(*grouped.wall_days, 30.0 * (1 + 1e-9));
}

}  // namespace
}  // namespace tb
