// The routed experts as one grouped GEMM per MoE layer (Megatron-Core's --moe-grouped-gemm): a
// strided batch of the local experts, each group one expert's GEMM. What a step counts must not
// change with it: for every MoE model shipped, the model FLOPs against the closed form and the
// experts' executed FLOPs against the per-expert sum written out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "harness/config/config_catalog.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/model_config.hpp"
#include "harness/workload/op.hpp"
#include "harness/workload/workload.hpp"
#include "tests/support/workload_ops.hpp"

namespace tb {
namespace {

const Op& find(const Workload& w, const std::string& name) { return testing::find_op(w, name); }

TEST(GroupedExperts, BatchedGemmCountsEveryGroupsFlopsAndBytes) {
  // 8 groups of 16 x 32 x 64 in bf16: 2·16·32·64 = 65536 FLOPs and (16·64 + 64·32 + 16·32)·2 =
  // 7168 bytes each.
  const Op op = make_gemm_op("g", {16, 32, 64, GemmLayout::Forward, 8}, DType::BF16);
  EXPECT_DOUBLE_EQ(op.flops, 8 * 65536.0);
  EXPECT_DOUBLE_EQ(op.model_flops, 8 * 65536.0);
  EXPECT_DOUBLE_EQ(op.bytes, 8 * 7168.0);
  EXPECT_EQ(op.shape_string(), "8x 16x32x64 fwd");
  // fp8 writes bf16: (16·64 + 64·32)·1 + 16·32·2 = 4096 bytes a group.
  EXPECT_DOUBLE_EQ(make_gemm_op("g", {16, 32, 64, GemmLayout::DataGrad, 3}, DType::FP8).bytes, 3 * 4096.0);
  // One group is the plain GEMM, shape text as older results files hold it.
  const Op one = make_gemm_op("g", {16, 32, 64, GemmLayout::WeightGrad}, DType::BF16);
  EXPECT_DOUBLE_EQ(one.flops, 65536.0);
  EXPECT_EQ(one.shape_string(), "16x32x64 wgrad");
}

TEST(GroupedExperts, Mixtral8x7bAtEp1IsOneGroupedGemmOfAllEightExperts) {
  // 2048 tokens, top-2 of 8: 2048·2/8 = 512 rows per expert; d 4096, expert ffn 14336 (SwiGLU:
  // gate and up fused, 28672 wide); 32 MoE layers.
  const Workload w = build_workload(load_model("mixtral-8x7b"), {.micro_batch = 1, .seq_len = 2048});
  const Op& up = find(w, "expert_up.fwd");
  EXPECT_EQ(up.gemm.batch, 8);
  EXPECT_EQ(up.gemm.m, 512);
  EXPECT_EQ(up.gemm.n, 28672);
  EXPECT_EQ(up.gemm.k, 4096);
  EXPECT_EQ(up.calls_per_step, 32);
  EXPECT_DOUBLE_EQ(up.flops, 8 * 2.0 * 512 * 28672 * 4096);
  EXPECT_EQ(up.shape_string(), "8x 512x28672x4096 fwd");
  const Op& dgrad = find(w, "expert_down.dgrad");  // dX = dY·Wᵀ: 512 x 14336 x 4096
  EXPECT_EQ(dgrad.gemm.batch, 8);
  EXPECT_EQ(dgrad.gemm.n, 14336);
  EXPECT_EQ(dgrad.gemm.k, 4096);
  const Op& wgrad = find(w, "expert_down.wgrad");  // dW = Xᵀ·dY: 14336 x 4096 over 512 tokens
  EXPECT_EQ(wgrad.gemm.m, 14336);
  EXPECT_EQ(wgrad.gemm.k, 512);
  EXPECT_EQ(wgrad.calls_per_step, 32);
  // The router and the dense parts stay single GEMMs.
  EXPECT_EQ(find(w, "router.fwd").gemm.batch, 1);
  EXPECT_EQ(find(w, "qkv.fwd").gemm.batch, 1);
}

TEST(GroupedExperts, DeepSeekV3AtEp32RunsItsEightLocalExpertsAsOneBatch) {
  // 4096 tokens at ep 32, top-8 of 256: 32·4096·8/256 = 4096 rows per expert; 256/32 = 8 local
  // experts; tp 8 splits the expert ffn 2048 to 256 (gate and up fused: 512); d 7168; 58 MoE layers.
  const Workload w = build_workload(load_model("deepseek-v3"),
                                    {.tensor_parallel = 8, .micro_batch = 1, .seq_len = 4096, .expert_parallel = 32});
  const Op& up = find(w, "expert_up.fwd");
  EXPECT_EQ(up.gemm.batch, 8);
  EXPECT_EQ(up.gemm.m, 4096);
  EXPECT_EQ(up.gemm.n, 512);
  EXPECT_EQ(up.gemm.k, 7168);
  EXPECT_EQ(up.calls_per_step, 58);
  const Op& down = find(w, "expert_down.fwd");
  EXPECT_DOUBLE_EQ(down.flops, 8 * 2.0 * 4096 * 7168 * 256);
  EXPECT_EQ(find(w, "shared_up.fwd").gemm.batch, 1);  // the shared expert sees every token: no groups
}

// For every MoE model shipped, at several tensor and expert parallel sizes: the step's model
// FLOPs are the closed form's, and the routed experts' executed FLOPs are what one GEMM triplet
// per local expert per MoE layer made before the grouping.
TEST(GroupedExperts, StepTotalsAreThoseOfOneGemmPerExpertForEveryMoeConfig) {
  int models = 0;
  for (const std::string& name : config::available_names(config::ConfigKind::Model)) {
    const ModelConfig m = load_model(name);
    if (!m.moe) continue;
    ++models;
    const int64_t experts = m.moe->experts, seq = 1024;
    for (const int64_t tp : {1, 2})
      for (const int64_t ep : {int64_t{1}, int64_t{2}, experts}) {
        const Workload w = build_workload(m, {.tensor_parallel = tp, .micro_batch = 1, .seq_len = seq,
                                              .expert_parallel = ep});
        const std::string at = name + " tp " + std::to_string(tp) + " ep " + std::to_string(ep);
        const auto f = formulas::flops_per_token(m, seq);
        EXPECT_NEAR(w.model_flops_per_step() * static_cast<double>(tp) / static_cast<double>(seq) / f.model, 1.0,
                    1e-12)
            << at;
        const double rows = std::ceil(static_cast<double>(ep * seq * m.moe->experts_per_token) /
                                          static_cast<double>(experts) - 1e-9);
        const double d = static_cast<double>(m.hidden), fe = static_cast<double>(m.moe->expert_ffn_hidden / tp);
        const double up_n = m.mlp == MlpKind::SwiGlu ? 2 * fe : fe;
        // Per expert: forward, data and weight gradient of up (d -> up_n) and down (fe -> d).
        const double per_expert = 3 * (2 * rows * d * up_n + 2 * rows * fe * d);
        double expert_flops = 0, other_flops = 0;
        for (const Op& op : w.ops) {
          const double step = op.flops * static_cast<double>(op.calls_per_step);
          (op.name.starts_with("expert_up.") || op.name.starts_with("expert_down.") ? expert_flops : other_flops) +=
              step;
        }
        EXPECT_NEAR(expert_flops / (static_cast<double>(m.moe_layers() * (experts / ep)) * per_expert), 1.0, 1e-12)
            << at;
        EXPECT_DOUBLE_EQ(w.executed_flops_per_step(), expert_flops + other_flops) << at;
        EXPECT_EQ(find(w, "expert_up.fwd").gemm.batch, experts / ep) << at;
        EXPECT_EQ(find(w, "expert_up.fwd").calls_per_step, m.moe_layers()) << at;
      }
  }
  EXPECT_GE(models, 5);  // deepseek-v3, mixtral-8x7b, mixtral-8x22b, dbrx, qwen3-235b-a22b
}

}  // namespace
}  // namespace tb
