// `trainbench run` end to end on the CPU backend, the step's figures against hand counts: the
// model FLOPs of GPT-3 Small's step, the MFU from them, and the estimate taken from the file.
// (The same quick run as test_run_cli.cpp; its own file so that the values sit beside their
// derivations.)
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/model/flop_formulas.hpp"
#include "harness/model/model_config.hpp"
#include "harness/model/parameter_count.hpp"
#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// Small and quick: GPT-3 Small's widths at a short sequence, light timing.
const std::vector<std::string> kQuickRun = {"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64",
                                            "--device", "cpu", "--min-time", "0", "--max-time", "0.3",
                                            "--min-samples", "3", "--quiet"};

class RunCliValues : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("tb_run_values_"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// GPT-3 Small (L 12, d 768, 12 heads of 64, ffn 3072, V 50257), one sequence of s = 64 tokens,
// tp 1. Model FLOPs per step, by hand:
//   GEMM weights: 12 layers × (4·d² + 2·d·3072) = 12 × 7,077,888 = 84,934,656, plus the logits
//     V·d = 38,597,376 (the padding to 50304 is hardware work, not the model's): 123,532,032;
//     forward 2 × 64 tokens × 123,532,032 = 15,812,100,096 FLOPs.
//   Attention forward, unmasked as PaLM counts it for MFU (the kernel is causal and runs half):
//     4·s²·h·dh = 4 × 64² × 12 × 64 = 12,582,912 per layer, ×12 = 150,994,944.
//   Backward = 2 × forward: model = 3 × (15,812,100,096 + 150,994,944) = 47,889,285,120, which is
//   64 tokens × PaLM's 6·N + 12·L·d·s = 64 × (6 × 123,532,032 + 12 × 12 × 768 × 64)
//   = 64 × (741,192,192 + 7,077,888) = 64 × 748,270,080.
// The kernels execute the logits' padded columns (2·64·d·(50304 − 50257) per pass, ×3), the causal
// attention's half, c = 150,994,944 / 2 = 75,497,472 forward, and the fused backward's recomputed
// S (2.5 c instead of 2 c):
//   GEMMs 3 × 2 × 64 × (84,934,656 + 768 × 50304) = 47,450,161,152; attention 3.5 c = 264,241,152;
//   in all 47,714,402,304: the sustained TFLOP/s' FLOPs.
// Hardware FLOPs for HFU count the same work with attention unmasked (2 × 3.5 c = 528,482,304):
//   47,450,161,152 + 528,482,304 = 47,978,643,456.
constexpr double kModelFlopsPerStep = 47'889'285'120.0;
constexpr double kExecutedFlopsPerStep = 47'714'402'304.0;
constexpr double kHardwareFlopsPerStep = 47'978'643'456.0;

TEST_F(RunCliValues, StepFlopsAreTheHandCountAndMfuFollowsFromThem) {
  const std::string out = dir_ + "/run.json";
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", out});
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const results::RunResults res = results::read_results_file(out);
  ASSERT_TRUE(res.step);
  const auto& s = *res.step;
  EXPECT_NEAR(s.model_flops, kModelFlopsPerStep, kModelFlopsPerStep * 1e-12);
  EXPECT_NEAR(s.hardware_flops, kHardwareFlopsPerStep, kHardwareFlopsPerStep * 1e-12);
  // The step's model FLOPs are its tokens × PaLM's per-token count, as estimate's are.
  const ModelConfig small = load_model("gpt3-small");
  EXPECT_DOUBLE_EQ(s.model_flops, 64.0 * formulas::palm_flops_per_token(count_parameters(small).matmul_weights,
                                                                        small.layers, small.hidden, 64));
  // The step is Σ calls × median over its kernels, the Adam update's calls over M = 8192 (GPT-3
  // Small's batch of 256 sequences of 2048 tokens, in micro-batches of one 64-token sequence, dp 1).
  ASSERT_EQ(res.workload.micro_batches, 256 * 2048 / 64);
  double step_ms = 0;
  for (const auto& k : res.kernels)
    step_ms += static_cast<double>(k.calls_per_step) * k.stats.median_ms / (k.name == "adam" ? 8192.0 : 1.0);
  EXPECT_NEAR(s.step_ms, step_ms, step_ms * 1e-9);
  // MFU = model FLOPs / step time / peak, against the peak the file records (the CPU's own
  // estimate, the same dtype: fp32 on the CPU).
  ASSERT_GT(res.machine.peak_tflops, 0);
  EXPECT_EQ(res.machine.peak_dtype, res.workload.dtype);
  const double mfu = s.model_flops / (s.step_ms * 1e-3) / (res.machine.peak_tflops * 1e12);
  EXPECT_NEAR(s.mfu, mfu, mfu * 1e-9);
  EXPECT_NEAR(s.hfu, s.hardware_flops / (s.step_ms * 1e-3) / (res.machine.peak_tflops * 1e12), mfu * 1e-9);
  EXPECT_GT(s.hfu, s.mfu);
  const double sustained = kExecutedFlopsPerStep / (s.step_ms * 1e-3) / 1e12;
  EXPECT_NEAR(s.sustained_tflops, sustained, sustained * 1e-9);
  // One sequence of 64 tokens per step.
  EXPECT_NEAR(s.tokens_per_s, 64.0 / (s.step_ms * 1e-3), 64.0 / (s.step_ms * 1e-3) * 1e-9);

  // The estimate from the file: GPT-3 Small at its 2048-token context trains on 300e9 tokens,
  // 3 × (2 × 123,532,032 + 4 × 12 × 2048 × 768) = 3 × (247,064,064 + 75,497,472) = 967,684,608
  // model FLOPs per token (PaLM's 6 × 123,532,032 + 12 × 12 × 768 × 2048), at the measured model
  // FLOP/s.
  const auto e = run_trainbench({"estimate", "--results", out, "--gpus", "8", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  const double rate = kModelFlopsPerStep / (s.step_ms * 1e-3);  // FLOP/s
  const double gpu_hours = 300e9 * 967'684'608.0 / rate / 3600;
  EXPECT_NEAR(j["gpu_hours"].get<double>(), gpu_hours, gpu_hours * 1e-9);
  EXPECT_NEAR(j["wall_days"].get<double>(), gpu_hours / 8 / 24, gpu_hours / 8 / 24 * 1e-9);
}

}  // namespace
}  // namespace tb::testing
