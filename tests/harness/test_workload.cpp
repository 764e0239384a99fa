// The per-op workload summed must equal the papers' closed forms exactly.
#include <gtest/gtest.h>

#include "harness/common/errors.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/parameter_count.hpp"
#include "harness/workload/workload.hpp"
#include "tests/support/workload_ops.hpp"

namespace tb {
namespace {

const Op& find(const Workload& w, const std::string& name) { return testing::find_op(w, name); }

TEST(Workload, Gpt3LayerShapesAtTensorParallel8) {
  // MISSION.md: QKV [bs×d]·[d×3d/t], output [bs×d/t]·[d/t×d], MLP up [bs×d]·[d×4d/t],
  // down [bs×4d/t]·[4d/t×d], logits [bs×d]·[d×V/t] over Megatron-LM's padded V (51,200 at t = 8).
  Workload w = build_workload(load_model("gpt3-175b"), {.tensor_parallel = 8, .micro_batch = 1});
  const int64_t bs = 2048, d = 12288;
  auto expect_gemm = [&](const std::string& name, int64_t m, int64_t n, int64_t k) {
    const Op& op = find(w, name);
    EXPECT_EQ(op.gemm.m, m) << name;
    EXPECT_EQ(op.gemm.n, n) << name;
    EXPECT_EQ(op.gemm.k, k) << name;
    EXPECT_DOUBLE_EQ(op.flops, 2.0 * m * n * k) << name;
  };
  expect_gemm("qkv.fwd", bs, 3 * d / 8, d);
  expect_gemm("qkv.dgrad", bs, d, 3 * d / 8);
  expect_gemm("qkv.wgrad", d, 3 * d / 8, bs);
  expect_gemm("attn_out.fwd", bs, d, d / 8);
  expect_gemm("mlp_up.fwd", bs, 4 * d / 8, d);
  expect_gemm("mlp_down.fwd", bs, d, 4 * d / 8);
  expect_gemm("mlp_down.wgrad", 4 * d / 8, d, bs);
  expect_gemm("logits.fwd", bs, 51200 / 8, d);
  EXPECT_EQ(find(w, "qkv.fwd").calls_per_step, 96);
  EXPECT_EQ(find(w, "logits.fwd").calls_per_step, 1);
  EXPECT_EQ(find(w, "attention.fwd").attention.heads, 12);
}

// Megatron-LM's --make-vocab-size-divisible-by 128, times t: GPT-2/3's 50,257 tokens become
// 50,304 on one GPU (393 x 128, the figure nanoGPT pads to as well) and 51,200 at t = 8;
// Llama 3's 128,256 is already 1002 x 128 but pads to 129,024 (126 x 1024) at t = 8.
TEST(Workload, LogitsRunOverMegatronsPaddedVocabulary) {
  const ModelConfig gpt3 = load_model("gpt3-175b");
  EXPECT_EQ(padded_vocab(gpt3, 1), 50304);
  EXPECT_EQ(padded_vocab(gpt3, 8), 51200);
  const ModelConfig llama = load_model("llama3-8b");
  EXPECT_EQ(padded_vocab(llama, 1), 128256);
  EXPECT_EQ(padded_vocab(llama, 8), 129024);
  ModelConfig unpadded = gpt3;
  unpadded.vocab_pad_multiple = 1;
  EXPECT_EQ(padded_vocab(unpadded, 1), 50257);
  EXPECT_EQ(padded_vocab(unpadded, 8), 50264);  // still whole shards: ceil(V/t)·t

  const Workload w = build_workload(gpt3, {.tensor_parallel = 8, .micro_batch = 1});
  const Op& logits = find(w, "logits.fwd");
  EXPECT_EQ(logits.gemm.n, 6400);
  EXPECT_DOUBLE_EQ(logits.flops, 2.0 * 2048 * 6400 * 12288);
  EXPECT_DOUBLE_EQ(logits.model_flops, 2.0 * 2048 * (50257.0 / 8) * 12288);  // padding is not model work
  EXPECT_EQ(find(w, "cross_entropy").memory.cols, 6400);
  EXPECT_GT(w.hardware_flops_per_step(Recompute::None), w.model_flops_per_step());
}

TEST(Workload, AttentionFlopsFollowTheFlashConvention) {
  AttentionShape s{.batch = 2, .heads = 16, .kv_heads = 16, .seq = 1024, .head_dim = 128, .causal = false};
  EXPECT_DOUBLE_EQ(attention_forward_flops(s), 4.0 * 2 * 16 * 1024.0 * 1024 * 128);
  s.causal = true;
  EXPECT_DOUBLE_EQ(attention_forward_flops(s), 2.0 * 2 * 16 * 1024.0 * 1024 * 128);
  EXPECT_DOUBLE_EQ(attention_backward_flops(s), 2.5 * attention_forward_flops(s));
  // The model's count (PaLM's, MFU's) keeps the masked half.
  EXPECT_DOUBLE_EQ(attention_model_forward_flops(s), 4.0 * 2 * 16 * 1024.0 * 1024 * 128);
}

TEST(Workload, OpSumEqualsPalmClosedFormMaskedOrNot) {
  // PaLM appendix B: 6·N + 12·L·d·s per token, N the matmul weights, attention unmasked: the
  // model FLOPs of a causal step too (its kernels' own flops are halved, not the model's).
  ModelConfig m = load_model("gpt3-6.7b");
  for (int64_t tp : {1, 2, 8}) {
    for (bool causal : {false, true}) {
      Workload w = build_workload(m, {.tensor_parallel = tp, .micro_batch = 2, .causal = causal});
      const double tokens = 2.0 * m.seq_len;
      const double expected_per_token =
          formulas::palm_flops_per_token(count_parameters(m).matmul_weights, m.layers, m.hidden, m.seq_len);
      // The padded vocabulary's extra columns are hardware FLOPs only: the model sum is exact.
      EXPECT_NEAR(w.model_flops_per_step() * tp / tokens, expected_per_token, expected_per_token * 1e-12)
          << "tp=" << tp << " causal " << causal;
    }
  }
}

TEST(Workload, OpSumWithFullRecomputeEqualsMegatronFormula) {
  // Narayanan et al. 2021 eq. (3), for B sequences; our sum is one GPU's share at t = 1. Eq. (3)
  // counts attention unmasked, as our model FLOPs do for a causal step.
  ModelConfig m = load_model("gpt3-175b");
  Workload w = build_workload(m, {.tensor_parallel = 1, .micro_batch = 4});
  const double megatron = formulas::megatron_flops_per_iteration(4, m.seq_len, m.layers, m.hidden, m.vocab);
  EXPECT_NEAR(w.model_flops_with_recompute_per_step(Recompute::Full) / megatron, 1.0, 1e-12);
}

TEST(Workload, OpSumMatchesPerTokenClosedFormsCausal) {
  ModelConfig m = load_model("llama3-8b");  // GQA + SwiGLU + untied
  Workload w = build_workload(m, {.tensor_parallel = 1, .micro_batch = 1});
  const auto f = formulas::flops_per_token(m, m.seq_len);
  const double tokens = static_cast<double>(m.seq_len);
  EXPECT_NEAR(w.model_flops_per_step() / tokens / f.model, 1.0, 1e-12);
  EXPECT_NEAR(w.model_flops_with_recompute_per_step(Recompute::Selective) / tokens / f.selective, 1.0, 1e-12);
  EXPECT_NEAR(w.model_flops_with_recompute_per_step(Recompute::Full) / tokens / f.full, 1.0, 1e-12);
}

// A causal kernel executes half the s² work; the model count (PaLM's) keeps it whole, and HFU's
// counts the kernels' work in that convention, the backward's recomputed S with it.
TEST(Workload, HardwareFlopsCountTheFusedBackwardsRecompute) {
  Workload w = build_workload(load_model("gpt3-xl"), {});
  const Op& fwd = find(w, "attention.fwd");
  const Op& bwd = find(w, "attention.bwd");
  ASSERT_TRUE(fwd.attention.causal);
  EXPECT_DOUBLE_EQ(bwd.flops, 2.5 * fwd.flops);
  EXPECT_DOUBLE_EQ(fwd.model_flops, 2.0 * fwd.flops);
  EXPECT_DOUBLE_EQ(bwd.model_flops, 2.0 * fwd.model_flops);
  EXPECT_DOUBLE_EQ(hardware_flops(fwd), 2.0 * fwd.flops);
  EXPECT_DOUBLE_EQ(hardware_flops(bwd), 2.0 * bwd.flops);
  EXPECT_DOUBLE_EQ(hardware_flops(find(w, "qkv.fwd")), find(w, "qkv.fwd").flops);
  // The model's causal attention is more than its kernels run; HFU's count is more than both.
  EXPECT_LT(w.executed_flops_per_step(), w.model_flops_per_step());
  EXPECT_GT(w.hardware_flops_per_step(Recompute::None), w.model_flops_per_step());
  EXPECT_GT(w.hardware_flops_per_step(Recompute::Full), w.hardware_flops_per_step(Recompute::Selective));
  EXPECT_GT(w.hardware_flops_per_step(Recompute::Selective), w.hardware_flops_per_step(Recompute::None));
}

TEST(Workload, GroupedQueryAndSwigluShapes) {
  Workload w = build_workload(load_model("llama3-70b"), {.tensor_parallel = 8});
  // 64 query heads / 8 = 8; 8 KV heads / 8 = 1; QKV width (8 + 2·1)·128.
  EXPECT_EQ(find(w, "qkv.fwd").gemm.n, (8 + 2) * 128);
  EXPECT_EQ(find(w, "attention.fwd").attention.kv_heads, 1);
  EXPECT_EQ(find(w, "mlp_up.fwd").gemm.n, 2 * 28672 / 8);  // gate and up fused
  EXPECT_NO_THROW(find(w, "swiglu.fwd"));
  EXPECT_NO_THROW(find(w, "norm.fwd"));
  EXPECT_EQ(find(w, "norm.fwd").kind, OpKind::RmsNormForward);
}

TEST(Workload, RefusesTensorParallelThatDoesNotDivideHeads) {
  ModelConfig m = load_model("gpt3-175b");  // 96 heads
  try {
    build_workload(m, {.tensor_parallel = 7});
    FAIL() << "tp 7 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--tp"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("heads"), std::string::npos);
  }
  EXPECT_THROW(build_workload(m, {.tensor_parallel = 0}), UsageError);
  EXPECT_THROW(build_workload(m, {.micro_batch = -1}), UsageError);
}

}  // namespace
}  // namespace tb
