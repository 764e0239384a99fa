// Memory per GPU under Transformer Engine's fp8 recipe, by hand: the fp8 copies of the layers'
// weights (and their transposes) beside the bf16/fp32 state, and the GEMM inputs saved in fp8.
#include <gtest/gtest.h>

#include "harness/estimate/estimate.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {
namespace {

MemoryRequest request(const char* model, int64_t tp, int64_t seq, bool fp8) {
  MemoryRequest r;
  r.model = load_model(model);
  r.layout.tp = tp;
  r.layout.micro_batch_size = 1;
  r.layout.seq_len = seq;
  r.fp8 = fp8;
  return r;
}

TEST(Fp8Memory, Gpt3LayerActivationsByHand) {
  // GPT-3 175B, tp 8 with sequence parallelism, one 2048-token sequence, fused attention;
  // d = q = kv = o = 12288, f = 49152, 96 heads, dropout masks. Per layer, in bytes:
  // bf16: (2·2 + 2 + 2 + 2·1)·s·d / 8 + (2q + 4kv + 2o + 4f)·s / 8 + 4·96·s / 8
  //     = 31,457,280 + 75,497,472 + 98,304 = 107,053,056.
  // fp8: the QKV and MLP-up inputs 1 B: (2·2 + 1 + 1 + 2)·s·d / 8 = 25,165,824; the attention
  // output 2 + 1 B, the GeLU output (MLP-down input) 1 B: (2q + 4kv + 3o + 3f)·s / 8 = 66,060,288;
  // + 98,304 = 91,324,416: 15,728,640 less.
  EXPECT_DOUBLE_EQ(layer_activation_bytes(request("gpt3-175b", 8, 2048, false)), 107053056.0);
  EXPECT_DOUBLE_EQ(layer_activation_bytes(request("gpt3-175b", 8, 2048, true)), 91324416.0);
  // Full recomputation keeps each layer's bf16 input either way.
  MemoryRequest full = request("gpt3-175b", 8, 2048, true);
  full.recompute = Recompute::Full;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(full), 2.0 * 2048 * 12288 / 8);
}

TEST(Fp8Memory, Gpt3WeightCopiesByHand) {
  // Per layer 12·d² + 13·d parameters (norms and biases, under 0.1%, counted with the matrices),
  // / 8 on each tensor rank but for the 6·d every rank holds whole (LayerNorms, row-parallel
  // biases), 96 layers, 2 B each (e4m3 W and its transpose):
  // 2 · 96 · ((1,811,939,328 + 159,744 − 73,728) / 8 + 73,728) = 43,502,764,032 B.
  const MemoryFootprint bf16 = memory_footprint(request("gpt3-175b", 8, 2048, false));
  const MemoryFootprint fp8 = memory_footprint(request("gpt3-175b", 8, 2048, true));
  EXPECT_DOUBLE_EQ(fp8.first.fp8_weight_bytes, 43502764032.0);
  EXPECT_DOUBLE_EQ(bf16.first.fp8_weight_bytes, 0.0);
  EXPECT_DOUBLE_EQ(fp8.first.weight_bytes, bf16.first.weight_bytes + 43502764032.0);
  EXPECT_DOUBLE_EQ(fp8.first.gradient_bytes, bf16.first.gradient_bytes);
  EXPECT_DOUBLE_EQ(fp8.first.optimizer_bytes, bf16.first.optimizer_bytes);
  // 96 layers of one micro-batch in flight: 96 x 15,728,640 less activation.
  EXPECT_DOUBLE_EQ(bf16.first.activation_bytes - fp8.first.activation_bytes, 96 * 15728640.0);

  // ZeRO-3 shards the bf16 weights over dp, not TE's cached fp8 copies.
  MemoryRequest zero3 = request("gpt3-175b", 8, 2048, true);
  zero3.layout.dp = 4;
  zero3.zero_stage = 3;
  const MemoryFootprint z = memory_footprint(zero3);
  EXPECT_DOUBLE_EQ(z.first.fp8_weight_bytes, 43502764032.0);
  EXPECT_DOUBLE_EQ(z.first.weight_bytes, bf16.first.weight_bytes / 4 + 43502764032.0);
}

TEST(Fp8Memory, MixtralExpertsAndRouterByHand) {
  // Mixtral 8x7B at tp 1 (no sequence parallelism), one 4096-token sequence. Per MoE layer the
  // fp8 GEMMs' weights are attention 4096·(4096 + 2·1024 + 4096) = 41,943,040 and 8 experts of
  // 3·4096·14336, 1,409,286,144, plus the norms' 8,192; the router (4096 x 8) stays bf16:
  // 2 · 32 · 1,451,237,376 = 92,879,192,064 B.
  const MemoryFootprint fp8 = memory_footprint(request("mixtral-8x7b", 1, 4096, true));
  EXPECT_DOUBLE_EQ(fp8.first.fp8_weight_bytes, 92879192064.0);
  const ParameterCount pc = count_parameters(load_model("mixtral-8x7b"));
  EXPECT_DOUBLE_EQ(pc.router_per_layer, 4096.0 * 8);
  // Activations: the QKV input 1 B (the second norm's output feeds the bf16 router: 2 B), the
  // attention output + 1 B, the 2 dispatched copies' expert inputs 1 B, the 2 SwiGLU products
  // (the down projections' inputs) 1 B: 4096 · (−4096 + 4096 − 2·4096 − 2·14336) = −150,994,944.
  EXPECT_DOUBLE_EQ(layer_activation_bytes(request("mixtral-8x7b", 1, 4096, false)) -
                       layer_activation_bytes(request("mixtral-8x7b", 1, 4096, true)),
                   150994944.0);
}

TEST(Fp8Memory, EstimateCountsItForAnFp8Run) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sku = load_sku("h100-sxm");
  r.mfu = 0.4;
  r.gpus = 8;
  r.tp = 8;
  r.seq_len = 2048;
  const EstimateResult bf16 = estimate(r);
  r.fp8_training = true;
  const EstimateResult fp8 = estimate(r);
  ASSERT_TRUE(bf16.memory && fp8.memory);
  EXPECT_TRUE(fp8.memory->footprint.request.fp8);
  EXPECT_DOUBLE_EQ(fp8.memory->footprint.first.fp8_weight_bytes, 43502764032.0);
  EXPECT_GT(fp8.memory->footprint.peak().total_bytes(), bf16.memory->footprint.peak().total_bytes());
}

}  // namespace
}  // namespace tb
