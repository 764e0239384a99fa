// Step metrics from per-kernel medians, checked by hand.
#include <gtest/gtest.h>

#include "harness/runner/step_runner.hpp"

namespace tb {
namespace {

results::KernelResult ok_result(const Op& op, double median_ms) {
  results::KernelResult k;
  k.name = op.name;
  k.status = "ok";
  k.flops = op.flops;
  k.bytes = op.bytes;
  k.dtype = to_string(op.dtype);
  k.calls_per_step = op.calls_per_step;
  k.stats.median_ms = median_ms;
  return k;
}

TEST(StepSummary, SumsCallsTimesMediansAndComputesMfu) {
  Workload w = build_workload(load_model("gpt3-xl"), {.tensor_parallel = 1, .micro_batch = 1});
  std::vector<results::KernelResult> ks;
  double expected_ms = 0, expected_model_flops = 0, expected_hw_flops = 0, expected_executed = 0;
  for (size_t i = 0; i < w.ops.size(); ++i) {
    const double median = 0.01 * static_cast<double>(i + 1);
    ks.push_back(ok_result(w.ops[i], median));
    expected_ms += median * static_cast<double>(w.ops[i].calls_per_step);
    expected_model_flops += w.ops[i].model_flops * static_cast<double>(w.ops[i].calls_per_step);
    // HFU counts a causal attention kernel's work unmasked, as MFU does: its flops twice.
    const bool causal = is_attention(w.ops[i].kind) && w.ops[i].attention.causal;
    expected_hw_flops += (causal ? 2.0 : 1.0) * w.ops[i].flops * static_cast<double>(w.ops[i].calls_per_step);
    expected_executed += w.ops[i].flops * static_cast<double>(w.ops[i].calls_per_step);
  }
  SkuConfig sku = load_sku("h100-sxm");
  const auto s = runner::summarize_step(w, ks, sku);
  EXPECT_TRUE(s.complete);
  EXPECT_NEAR(s.step_ms, expected_ms, 1e-9);
  EXPECT_NEAR(s.tokens_per_s, 2048.0 / (expected_ms * 1e-3), 1e-6);
  EXPECT_NEAR(s.mfu, expected_model_flops / (expected_ms * 1e-3) / 989e12, 1e-12);
  EXPECT_NEAR(s.hfu, expected_hw_flops / (expected_ms * 1e-3) / 989e12, 1e-12);
  EXPECT_GT(s.hfu, s.mfu);  // the fused attention backward recomputes S
  EXPECT_NEAR(s.hardware_flops, expected_hw_flops, expected_hw_flops * 1e-12);
  // The sustained rate is what the kernels executed: the causal kernels' halves.
  EXPECT_NEAR(s.sustained_tflops, expected_executed / (expected_ms * 1e-3) / 1e12, 1e-9);
  EXPECT_LT(expected_executed, expected_model_flops);
}

TEST(StepSummary, TensorParallelDividesTokensPerGpu) {
  // M = 1536 micro-batches per optimizer step, GPT-3's batch at micro-batch 1 and dp 1.
  Workload w = build_workload(load_model("gpt3-175b"), {.tensor_parallel = 8, .micro_batch = 1, .micro_batches = 1536});
  std::vector<results::KernelResult> ks;
  for (const auto& op : w.ops) ks.push_back(ok_result(op, 1.0));
  const auto s = runner::summarize_step(w, ks, std::nullopt);
  // Every kernel at 1 ms: the step is Σ calls ms. By hand for GPT-3 175B (96 layers): QKV,
  // attention output, MLP up and down, each fwd/dgrad/wgrad (12 GEMMs × 96) and the logits' 3;
  // attention fwd and bwd (2 × 96); norms fwd and bwd (2 × (2·96 + 1)); GeLU fwd and bwd (2 × 96);
  // residual adds (4 × 96); cross-entropy (1): 1152 + 3 + 192 + 386 + 192 + 384 + 1 = 2310 ms.
  // Once per optimizer step, the Adam update of this GPU's parameters: of GPT-3's 174,604,259,328,
  // every tensor rank holds whole the norms and row-parallel biases (96 x 6 x 12288), the final
  // norm (2 x 12288) and the positions (2048 x 12288): 32,268,288; an eighth of the rest; and the
  // vocabulary padding (51,200 − 50,257) x 12288 / 8: 21,855,215,616, in 1303 chunks of at most
  // 2^24: 1303/1536 of a call per micro-batch.
  double calls = 0;
  for (const auto& op : w.ops) calls += static_cast<double>(op.calls_per_step);
  EXPECT_DOUBLE_EQ(calls, 2310.0 + 1303);
  const double step_ms = 2310.0 + 1303.0 / 1536;
  EXPECT_DOUBLE_EQ(s.step_ms, step_ms);
  // 2048 tokens per step shared by 8 tensor-parallel GPUs: 2048 / 2.3108 s / 8 per GPU.
  EXPECT_NEAR(s.tokens_per_s, 2048.0 / (step_ms * 1e-3) / 8, 1e-9);
  EXPECT_EQ(s.mfu, 0);  // no SKU, no peak
}

TEST(StepSummary, FailedKernelMakesTheStepIncomplete) {
  Workload w = build_workload(load_model("gpt3-small"), {});
  std::vector<results::KernelResult> ks;
  for (const auto& op : w.ops) ks.push_back(ok_result(op, 1.0));
  ks[2].status = "oom";
  const auto s = runner::summarize_step(w, ks, std::nullopt);
  EXPECT_FALSE(s.complete);
  double expected = 0;
  for (size_t i = 0; i < w.ops.size(); ++i)
    if (i != 2) expected += static_cast<double>(w.ops[i].calls_per_step);
  EXPECT_NEAR(s.step_ms, expected, 1e-9);
}

}  // namespace
}  // namespace tb
