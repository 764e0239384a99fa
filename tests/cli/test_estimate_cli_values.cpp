// `trainbench estimate --json` as a user runs it, its figures against hand computations written
// beside each assertion (test_estimate_cli.cpp checks the same scenarios' shape and wording).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

nlohmann::json estimate_json(const std::vector<std::string>& flags) {
  std::vector<std::string> args{"estimate"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("--json");
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

double number(const nlohmann::json& j, const char* key) {
  EXPECT_TRUE(j.contains(key)) << key << " missing from " << j.dump();
  return j.contains(key) ? j[key].get<double>() : -1.0;
}

// Llama 3.1 8B (L 32, d 4096, 32 query and 8 K/V heads of 128, SwiGLU ffn 14336, untied V 128256,
// s 8192) on its published 15T tokens, H100 at MFU 0.4 on 64 GPUs. By hand, per token:
//   GEMM weights: 32 × (2·d·d + 2·d·1024 + 3·d·14336) = 32 × 218,103,808 = 6,979,321,856, plus
//     the logits V·d = 525,336,576: 7,504,658,432; forward 2 × that = 15,009,316,864.
//   Attention forward, causal: 4 × 32 layers × 8192 × 32 heads × 128 / 2 = 2,147,483,648.
//   Model FLOPs: 3 × (15,009,316,864 + 2,147,483,648) = 51,470,401,536.
// × 15e12 tokens = 7.72056e23 FLOP at 0.4 × 989e12 = 395.6e12 FLOP/s: 1,951,607,742.8 GPU-s =
// 542,113.262 GPU-hours; on 64 GPUs 1,951,607,742.8 / 64 / 86400 = 352.93832 days. Energy at the
// 700 W TDP, PUE 1: 542,113.262 × 0.7 kW = 379,479.283 kWh = 379.479283 MWh; with the rest of a
// DGX H100 (10,200 W / 8 = 1275 W per GPU): 542,113.262 × 1.275 / 1000 = 691.194409 MWh.
TEST(EstimateCliValues, Llama3_8bOn15TTokensByHand) {
  const auto j = estimate_json({"--model", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64"});
  EXPECT_NEAR(number(j, "tokens"), 15e12, 1.0);
  EXPECT_NEAR(number(j, "gpu_hours"), 542'113.262, 542'113.262 * 1e-8);
  EXPECT_NEAR(number(j, "wall_days"), 352.93832, 352.93832 * 1e-7);
  EXPECT_NEAR(number(j, "energy_mwh"), 379.479283, 379.479283 * 1e-8);
  EXPECT_NEAR(number(j, "energy_with_server_mwh"), 691.194409, 691.194409 * 1e-8);
  EXPECT_DOUBLE_EQ(number(j, "power_w_per_gpu"), 700);
  EXPECT_DOUBLE_EQ(number(j, "pue"), 1.0);
}

// GPT-3 175B, 140 TFLOP/s, full recomputation, 1024 GPUs, one interruption per 20,000 GPU-hours,
// 120 s checkpoints, 900 s restarts. By hand:
//   Uninterrupted: 1,414,602,104,832 hardware FLOPs per token with full recomputation (the model's
//     1,061,877,915,648 plus every layer's forward again, 347,892,350,976 GEMM and 4,831,838,208
//     attention FLOPs) × 300e9 = 4.243806e23 FLOP / 140e12 = 3,031,290,224.6 GPU-s:
//     842,025.06 GPU-hours, 34.2620875 days on 1024 GPUs.
//   M = 20,000 × 3600 / 1024 = 70,312.5 s. Daly: sqrt(2 × 120 × 70,312.5) = 4107.919,
//     x = 120 / 140,625 = 8.5333e-4, × (1 + 0.0292119/3 + 8.5333e-4/9) − 120 = 4028.31 s.
//     Loss per interruption 900 + (4028.31 + 120)/2 = 2974.15 s.
//     f = 4028.31/4148.31 × (1 − 2974.15/70,312.5) = 0.971073 × 0.957701 = 0.929997.
//   Interrupted: 34.2620875 / 0.929997 = 36.84107 days, 842,025.06 / 0.929997 = 905,406.15 GPU-hours.
TEST(EstimateCliValues, InterruptionsByHand) {
  const auto j = estimate_json({"--model", "gpt3-175b", "--tflops", "140", "--recompute", "full", "--gpus", "1024",
                                "--mtbf-gpu-hours", "20000", "--checkpoint-s", "120", "--restart-s", "900"});
  ASSERT_TRUE(j.contains("interruptions")) << j.dump();
  const auto& i = j["interruptions"];
  EXPECT_DOUBLE_EQ(i["job_mtbf_s"].get<double>(), 70'312.5);
  EXPECT_NEAR(i["checkpoint_interval_s"].get<double>(), 4028.31, 0.01);
  EXPECT_NEAR(i["goodput"].get<double>(), 0.929997, 1e-6);
  EXPECT_NEAR(i["uninterrupted_wall_days"].get<double>(), 34.2620875, 1e-6);
  EXPECT_NEAR(i["uninterrupted_gpu_hours"].get<double>(), 842'025.06, 0.01);
  EXPECT_NEAR(number(j, "wall_days"), 36.84107, 1e-5);
  EXPECT_NEAR(number(j, "gpu_hours"), 905'406.15, 0.05);
}

// A site's PUE and tariff reach the energy and its cost (configs/sites/500p.toml: PUE 1.3, 0.6
// CNY per kWh); --pue overrides the first. GPT-3 175B, H100 at MFU 0.4, 1000 GPUs: 223,685.1019
// GPU-hours (1,061,877,915,648 FLOPs per token × 300e9 / 395.6e12 / 3600). Energy 223,685.1019 ×
// 0.7 kW × 1.3 = 203,553.443 kWh = 203.553443 MWh, costing × 0.6 = 122,132.066 CNY; with --pue 1.1,
// 172.237528 MWh and 103,342.517 CNY.
TEST(EstimateCliValues, SitePueAndTariffByHand) {
  const std::vector<std::string> base{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1000",
                                      "--site", "500p", "--days", "30"};
  const auto j = estimate_json(base);
  EXPECT_DOUBLE_EQ(number(j, "pue"), 1.3);
  EXPECT_NEAR(number(j, "energy_mwh"), 203.553443, 203.553443 * 1e-8);
  EXPECT_NEAR(number(j, "electricity_cost"), 122'132.066, 122'132.066 * 1e-8);
  EXPECT_EQ(j.value("electricity_currency", ""), "CNY");
  auto with_pue = base;
  with_pue.insert(with_pue.end(), {"--pue", "1.1"});
  const auto p = estimate_json(with_pue);
  EXPECT_DOUBLE_EQ(number(p, "pue"), 1.1);
  EXPECT_NEAR(number(p, "energy_mwh"), 172.237528, 172.237528 * 1e-8);
  EXPECT_NEAR(number(p, "electricity_cost"), 103'342.517, 103'342.517 * 1e-8);
  EXPECT_EQ(p.value("electricity_currency", ""), "CNY");
}

// A deadline with interruptions sizes the GPU count from a throughput; without one there is
// nothing to size, and the refusal says which flags give it. Bare --days is refused first (it
// needs a site or a throughput); with --site the deadline is the sites', and the interruptions
// then still need the GPUs' throughput.
TEST(EstimateCliValues, DeadlineWithInterruptionsNeedsAThroughput) {
  const auto bare = run_trainbench({"estimate", "--model", "gpt3-175b", "--days", "30", "--mtbf-gpu-hours", "llama3"});
  EXPECT_EQ(bare.exit_code, 2) << bare.out;
  EXPECT_NE(bare.err.find("--days needs --site"), std::string::npos) << bare.err;
  const auto r = run_trainbench(
      {"estimate", "--model", "gpt3-175b", "--days", "30", "--site", "500p", "--mtbf-gpu-hours", "llama3"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--mtbf-gpu-hours with --days needs a throughput (--tflops, --gpu with --mfu, or --results)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tb::testing
