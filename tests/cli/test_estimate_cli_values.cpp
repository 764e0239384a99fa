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
//   Attention forward, unmasked as PaLM counts it (the model is causal; MFU's FLOPs are not
//     halved): 4 × 32 layers × 8192 × 32 heads × 128 = 4,294,967,296.
//   Model FLOPs: 3 × (15,009,316,864 + 4,294,967,296) = 3 × 19,304,284,160 = 57,912,852,480.
// × 15e12 tokens = 8.686928e23 FLOP at 0.4 × 989e12 = 395.6e12 FLOP/s: 2,195,886,721.9 GPU-s =
// 609,968.534 GPU-hours; on 64 GPUs 2,195,886,721.9 / 64 / 86400 = 397.11493 days. Energy at the
// 700 W TDP, PUE 1: 609,968.534 × 0.7 kW = 426,977.974 kWh = 426.977974 MWh; with the rest of a
// DGX H100 (10,200 W / 8 = 1275 W per GPU): 609,968.534 × 1.275 / 1000 = 777.709881 MWh.
TEST(EstimateCliValues, Llama3_8bOn15TTokensByHand) {
  const auto j = estimate_json({"--model", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64"});
  EXPECT_NEAR(number(j, "tokens"), 15e12, 1.0);
  EXPECT_DOUBLE_EQ(number(j, "model_flops_per_token"), 57'912'852'480.0);
  EXPECT_NEAR(number(j, "gpu_hours"), 609'968.534, 609'968.534 * 1e-8);
  EXPECT_NEAR(number(j, "wall_days"), 397.11493, 397.11493 * 1e-7);
  EXPECT_NEAR(number(j, "energy_mwh"), 426.977974, 426.977974 * 1e-8);
  EXPECT_NEAR(number(j, "energy_with_server_mwh"), 777.709881, 777.709881 * 1e-8);
  EXPECT_DOUBLE_EQ(number(j, "power_w_per_gpu"), 700);
  EXPECT_DOUBLE_EQ(number(j, "pue"), 1.0);
}

// GPT-3 175B, 140 TFLOP/s, full recomputation, 1024 GPUs, one interruption per 20,000 GPU-hours,
// 120 s checkpoints, 900 s restarts. By hand:
//   Uninterrupted: 1,433,929,457,664 hardware FLOPs per token with full recomputation (the model's
//     1,076,373,430,272 = 6 × 174,563,733,504 matmul weights + 12 × 96 × 12288 × 2048, PaLM's
//     count, plus every layer's forward again, 2 × 96 × 12 × 12288² = 347,892,350,976 GEMM and
//     4 × 96 × 2048 × 12288 = 9,663,676,416 attention FLOPs, unmasked) × 300e9 = 4.301788e23 FLOP
//     / 140e12 = 3,072,705,980.7 GPU-s: 853,529.44 GPU-hours, 34.7302018 days on 1024 GPUs.
//   M = 20,000 × 3600 / 1024 = 70,312.5 s. Daly: sqrt(2 × 120 × 70,312.5) = 4107.919,
//     x = 120 / 140,625 = 8.5333e-4, × (1 + 0.0292119/3 + 8.5333e-4/9) − 120 = 4028.31 s.
//     Loss per interruption 900 + (4028.31 + 120)/2 = 2974.15 s.
//     f = 4028.31/4148.31 × (1 − 2974.15/70,312.5) = 0.971073 × 0.957701 = 0.929997.
//   Interrupted: 34.7302018 / 0.929997 = 37.34442 days, 853,529.44 / 0.929997 = 917,776.48 GPU-hours.
TEST(EstimateCliValues, InterruptionsByHand) {
  const auto j = estimate_json({"--model", "gpt3-175b", "--tflops", "140", "--recompute", "full", "--gpus", "1024",
                                "--mtbf-gpu-hours", "20000", "--checkpoint-s", "120", "--restart-s", "900"});
  ASSERT_TRUE(j.contains("interruptions")) << j.dump();
  const auto& i = j["interruptions"];
  EXPECT_DOUBLE_EQ(i["job_mtbf_s"].get<double>(), 70'312.5);
  EXPECT_NEAR(i["checkpoint_interval_s"].get<double>(), 4028.31, 0.01);
  EXPECT_NEAR(i["goodput"].get<double>(), 0.929997, 1e-6);
  EXPECT_DOUBLE_EQ(number(j, "hardware_flops_per_token"), 1'433'929'457'664.0);
  EXPECT_NEAR(i["uninterrupted_wall_days"].get<double>(), 34.7302018, 1e-6);
  EXPECT_NEAR(i["uninterrupted_gpu_hours"].get<double>(), 853'529.44, 0.01);
  EXPECT_NEAR(number(j, "wall_days"), 37.34442, 1e-5);
  EXPECT_NEAR(number(j, "gpu_hours"), 917'776.48, 0.05);
}

// A site's PUE and tariff reach the energy and its cost (configs/sites/500p.toml: PUE 1.3, 0.6
// CNY per kWh); --pue overrides the first. GPT-3 175B, H100 at MFU 0.4, 1000 GPUs: 226,738.5891
// GPU-hours (1,076,373,430,272 model FLOPs per token, PaLM's, × 300e9 / 395.6e12 / 3600). Energy
// 226,738.5891 × 0.7 kW × 1.3 = 206,332.116 kWh = 206.332116 MWh, costing × 0.6 = 123,799.270 CNY;
// with --pue 1.1, 226,738.5891 × 0.7 × 1.1 = 174.588714 MWh and 104,753.228 CNY.
TEST(EstimateCliValues, SitePueAndTariffByHand) {
  const std::vector<std::string> base{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1000",
                                      "--site", "500p", "--days", "30"};
  const auto j = estimate_json(base);
  EXPECT_DOUBLE_EQ(number(j, "pue"), 1.3);
  EXPECT_NEAR(number(j, "energy_mwh"), 206.332116, 206.332116 * 1e-8);
  EXPECT_NEAR(number(j, "electricity_cost"), 123'799.270, 123'799.270 * 1e-8);
  EXPECT_EQ(j.value("electricity_currency", ""), "CNY");
  auto with_pue = base;
  with_pue.insert(with_pue.end(), {"--pue", "1.1"});
  const auto p = estimate_json(with_pue);
  EXPECT_DOUBLE_EQ(number(p, "pue"), 1.1);
  EXPECT_NEAR(number(p, "energy_mwh"), 174.588714, 174.588714 * 1e-8);
  EXPECT_NEAR(number(p, "electricity_cost"), 104'753.228, 104'753.228 * 1e-8);
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
