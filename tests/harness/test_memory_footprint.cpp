// The per-GPU memory model against the papers it follows: Korthikanti et al. 2022's activation
// formulas (Table 2) and ZeRO's Figure 1 (Rajbhandari et al. 2020), plus hand computations.
#include <gtest/gtest.h>

#include "harness/common/errors.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {
namespace {

MemoryRequest gpt3_175b(int64_t tp, bool sequence_parallel, Recompute recompute) {
  MemoryRequest r;
  r.model = load_model("gpt3-175b");
  r.layout.tp = tp;
  r.layout.micro_batch_size = 1;
  r.sequence_parallel = sequence_parallel;
  r.recompute = recompute;
  r.attention = AttentionStorage::Materialized;  // what the paper assumes
  return r;
}

// s, b, h, a of GPT-3 175B (the paper's own 175B row: s 2048, h 12288, a 96).
constexpr double s = 2048, b = 1, h = 12288, a = 96;

TEST(MemoryFootprint, LayerActivationsMatchKorthikantiTable2) {
  ASSERT_GT(load_model("gpt3-175b").dropout, 0.0);  // the paper's formulas count dropout masks
  const double t = 8;
  // No parallelism: s·b·h·(34 + 5·a·s/h).
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(1, false, Recompute::None)), s * b * h * (34 + 5 * a * s / h));
  // Tensor parallel: s·b·h·(10 + 24/t + 5·a·s/(h·t)).
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(8, false, Recompute::None)),
                   s * b * h * (10 + 24 / t + 5 * a * s / (h * t)));
  // Tensor + sequence parallel: s·b·h/t·(34 + 5·a·s/h).
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(8, true, Recompute::None)), s * b * h / t * (34 + 5 * a * s / h));
  // Tensor parallel + selective recomputation: s·b·h·(10 + 24/t); with sequence parallel 34·s·b·h/t.
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(8, false, Recompute::Selective)), s * b * h * (10 + 24 / t));
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(8, true, Recompute::Selective)), 34 * s * b * h / t);
  // Full recomputation keeps the layer's input: 2·s·b·h (Table 2's last row, per layer).
  EXPECT_DOUBLE_EQ(layer_activation_bytes(gpt3_175b(8, false, Recompute::Full)), 2 * s * b * h);
}

TEST(MemoryFootprint, FusedAttentionKeepsOnlyTheSoftmaxStatistics) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::None);
  r.attention = AttentionStorage::Fused;
  // The s² tensors go; an fp32 log-sum-exp per query row and head comes.
  EXPECT_DOUBLE_EQ(layer_activation_bytes(r), 34 * s * b * h / 8 + 4 * a * s * b / 8);
}

TEST(MemoryFootprint, SwigluAndGroupedQueryAttentionCountTheirOwnTensors) {
  MemoryRequest r;
  r.model = load_model("llama3-8b");  // no dropout, SwiGLU f = 14336, 8 KV heads of 128
  ASSERT_EQ(r.model.dropout, 0.0);
  r.layout.tp = 1;
  const double sq = 8192, d = 4096, f = 14336, kv = 8 * 128, heads = 32;
  // norms' inputs 4sd, QKV and MLP inputs 4sd; Q 2sd, K and V 4·s·kv, output-projection input 2sd;
  // SwiGLU gate, up and product 6sf; log-sum-exp 4·a·s.
  const double expected = 8 * sq * d + 2 * sq * d + 4 * sq * kv + 2 * sq * d + 6 * sq * f + 4 * heads * sq;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(r), expected);
  // With 16 tensor ranks the 8 KV heads cannot split 16 ways: K and V are split 8 ways only.
  r.model.heads = 32;
  r.layout.tp = 16;
  r.sequence_parallel = true;
  const double expected16 =
      8 * sq * d / 16 + (2 * sq * d + 2 * sq * d + 6 * sq * f + 4 * heads * sq) / 16 + 4 * sq * kv / 8;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(r), expected16);
}

TEST(MemoryFootprint, ZeroStagesReproduceFigure1OfTheZeroPaper) {
  // Rajbhandari et al. 2020, Figure 1: Ψ = 7.5 B parameters, N_d = 64 data-parallel GPUs, K = 12:
  // baseline 120 GB, P_os 31.4 GB, P_os+g 16.6 GB, P_os+g+p 1.9 GB per GPU.
  const double psi = 7.5e9;
  const double published_gb[] = {120, 31.4, 16.6, 1.9};
  for (int stage = 0; stage <= 3; ++stage) {
    MemoryRequest r;
    r.model = load_model("gpt3-6.7b");
    r.layout.dp = 64;
    r.zero_stage = stage;
    const StageMemory m = memory_footprint(r).first;
    const double state_bytes_per_param = (m.weight_bytes + m.gradient_bytes + m.optimizer_bytes) / m.params;
    EXPECT_NEAR(state_bytes_per_param * psi / 1e9, published_gb[stage], 0.05) << "stage " << stage;
  }
}

// ZeRO-3 with the weights kept gathered (FSDP's reshard_after_forward=False) holds, during each
// micro-batch, the stage's whole bf16 weights (its tensor shard) beside ZeRO-3's shards: on
// Figure 1's 7.5 B parameters over 64 GPUs, 2 + 16/64 = 2.25 B per parameter, 16.875 GB, where
// plain ZeRO-3 holds 1.875 GB and ZeRO-2 2 + 14/64 = 2.21875 B, 16.64 GB: as much as ZeRO-2 and a
// little more. With pipelining only the stage's own layers are gathered.
TEST(MemoryFootprint, ZeroThreeKeptGatheredHoldsTheStagesWholeWeights) {
  const double psi = 7.5e9;
  MemoryRequest r;
  r.model = load_model("gpt3-6.7b");
  r.layout.dp = 64;
  r.zero_stage = 3;
  r.zero3_keep_gathered = true;
  const StageMemory kept = memory_footprint(r).first;
  EXPECT_NEAR(kept.gathered_weight_bytes, 2 * kept.params, 1e-6 * kept.params);
  EXPECT_NEAR(kept.weight_bytes, (2 + 2.0 / 64) * kept.params, 1e-6 * kept.params);
  const double per_param = (kept.weight_bytes + kept.gradient_bytes + kept.optimizer_bytes) / kept.params;
  EXPECT_NEAR(per_param, 2.25, 1e-12);
  EXPECT_NEAR(per_param * psi / 1e9, 16.875, 1e-9);
  r.zero3_keep_gathered = false;
  EXPECT_EQ(memory_footprint(r).first.gathered_weight_bytes, 0.0);
  // Two pipeline stages: each gathers only its own layers' weights.
  r.zero3_keep_gathered = true;
  r.layout.pp = 2;
  const MemoryFootprint piped = memory_footprint(r);
  EXPECT_NEAR(piped.first.gathered_weight_bytes, 2 * piped.first.params, 1e-6 * piped.first.params);
  EXPECT_NEAR(piped.last.gathered_weight_bytes, 2 * piped.last.params, 1e-6 * piped.last.params);
  EXPECT_LT(piped.first.params, 0.6 * kept.params);
  r.zero_stage = 1;
  EXPECT_THROW(memory_footprint(r), UsageError);
}

// Megatron-LM's distributed-optimizer documentation (docs.nvidia.com/megatron-core, "Distributed
// Optimizer"): bf16 parameters with fp32 gradients take 18 bytes per parameter, 6 + 12/d with the
// optimizer state sharded over d data-parallel ranks.
TEST(MemoryFootprint, Fp32GradientsReproduceMegatronsDistributedOptimizerTable) {
  for (int zero : {0, 1}) {
    MemoryRequest r;
    r.model = load_model("gpt3-6.7b");
    r.layout.dp = 8;
    r.grad_bytes = 4;
    r.zero_stage = zero;
    const StageMemory m = memory_footprint(r).first;
    const double per_param = (m.weight_bytes + m.gradient_bytes + m.optimizer_bytes) / m.params;
    EXPECT_NEAR(per_param, zero == 0 ? 18.0 : 6.0 + 12.0 / 8, 1e-12) << "ZeRO " << zero;
  }
  MemoryRequest r;
  r.model = load_model("gpt3-6.7b");
  r.grad_bytes = 4;
  EXPECT_DOUBLE_EQ(memory_footprint(r).model_state_bytes, 18 * count_parameters(r.model).total);
  r.grad_bytes = 3;
  EXPECT_THROW(memory_footprint(r), UsageError);
  EXPECT_EQ(parse_grad_bytes("fp32", "--grad-dtype"), 4);
  EXPECT_THROW(parse_grad_bytes("fp16", "--grad-dtype"), UsageError);
}

// The embedding and the logits take Megatron-LM's padded vocabulary: 50,304 rows at t = 1.
TEST(MemoryFootprint, OneStageHoldsTheWholeModelAndItsLogits) {
  MemoryRequest r = gpt3_175b(1, false, Recompute::None);
  const MemoryFootprint m = memory_footprint(r);
  const double params = count_parameters(r.model).total + (50304.0 - 50257.0) * h;
  EXPECT_NEAR(m.first.params / params, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.first.weight_bytes + m.first.gradient_bytes + m.first.optimizer_bytes, 16 * params);
  EXPECT_DOUBLE_EQ(m.model_state_bytes, 16 * count_parameters(r.model).total);  // the model's own
  // One micro-batch in flight: L layers + embedding-dropout mask + output layer and fp32 logits.
  const double v = 50304;
  EXPECT_DOUBLE_EQ(m.first.activation_bytes,
                   96 * m.layer_activation_bytes + s * b * h + 4 * s * b * h + 4 * s * b * v);
  EXPECT_EQ(m.last.stage, 0);
}

TEST(MemoryFootprint, FirstPipelineStageHoldsPMicroBatchesOfItsLayers) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::Selective);
  r.layout.pp = 8;
  r.layout.micro_batches = 32;
  const MemoryFootprint m = memory_footprint(r);
  EXPECT_EQ(m.first.micro_batches_in_flight, 8);
  EXPECT_EQ(m.last.micro_batches_in_flight, 1);
  EXPECT_EQ(m.first.layers, 12);
  // Korthikanti et al. §4.2: the first stage's activations are L layers' worth whatever p is.
  const double layers_worth = 96 * m.layer_activation_bytes;
  EXPECT_DOUBLE_EQ(m.first.activation_bytes, layers_worth + 8 * s * b * h / 8);  // + embedding masks
  r.layout.pp = 4;
  EXPECT_DOUBLE_EQ(memory_footprint(r).first.activation_bytes, layers_worth + 4 * s * b * h / 8);
  // Fewer micro-batches than stages: only m are ever in flight.
  r.layout.micro_batches = 2;
  EXPECT_EQ(memory_footprint(r).first.micro_batches_in_flight, 2);
  // Tied embeddings: the last stage keeps a copy of the vocabulary-parallel embedding, padded
  // to 51,200 rows at t = 8 as Megatron-LM lays it out.
  r.layout.pp = 8;
  const MemoryFootprint tied = memory_footprint(r);
  // Its 12 layers split 8 ways but for what every tensor rank holds whole: two LayerNorms (4h)
  // and the attention-output and MLP-down biases (2h).
  const double per_layer = count_parameters(r.model).per_layer;
  const double layer_params = 12 * (6 * h + (per_layer - 6 * h) / 8);
  EXPECT_NEAR(tied.last.params, layer_params + 51200.0 * h / 8 + 2 * h, 1);
}

// Interleaved 1F1B holds L·(1 + (p−1)/(p·v)) layers' worth on the first stage (Korthikanti et al.
// 2022 §4.2.3): p + (p−1)/v micro-batches of its L/p layers.
TEST(MemoryFootprint, InterleavingHoldsMoreOnTheFirstStage) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::Selective);
  r.layout.pp = 8;
  r.layout.micro_batches = 32;
  const double plain = memory_footprint(r).first.activation_bytes;
  r.layout.virtual_stages = 4;
  const MemoryFootprint m = memory_footprint(r);
  const double per_layer = m.layer_activation_bytes;
  EXPECT_DOUBLE_EQ(m.first.activation_bytes, 96 * per_layer * (1 + 7.0 / 32.0) + (8 + 7.0 / 4) * s * b * h / 8);
  EXPECT_GT(m.first.activation_bytes, plain);
  EXPECT_EQ(m.first.micro_batches_in_flight, 10);  // ceil(8 + 7/4)
}

TEST(MemoryFootprint, FullRecomputationAddsOneLayerBeingRecomputed) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::Full);
  const MemoryFootprint m = memory_footprint(r);
  MemoryRequest none = r;
  none.recompute = Recompute::None;
  const double working = layer_activation_bytes(none);
  EXPECT_DOUBLE_EQ(m.first.activation_bytes,
                   96 * 2 * s * b * h / 8 + working + s * b * h / 8 + 4 * s * b * h / 8 + 4 * s * b * 51200 / 8);  // padded logits
}

TEST(MemoryFootprint, VerdictAgainstCapacityInGiB) {
  EXPECT_DOUBLE_EQ(gib_to_bytes(80), 85899345920.0);
  EXPECT_EQ(judge_fit(gib_to_bytes(70), 80).verdict, MemoryVerdict::Fits);
  EXPECT_EQ(judge_fit(gib_to_bytes(75), 80).verdict, MemoryVerdict::Tight);
  EXPECT_EQ(judge_fit(gib_to_bytes(81), 80).verdict, MemoryVerdict::DoesNotFit);
  EXPECT_NEAR(judge_fit(gib_to_bytes(40), 80).used_fraction, 0.5, 1e-12);
  // GPT-3 175B: 16 B × 174.6 B parameters = 2.79 TB of state; 80 GiB GPUs: 32.5 → 33 of them.
  MemoryRequest r = gpt3_175b(1, false, Recompute::None);
  EXPECT_EQ(min_gpus_to_hold(memory_footprint(r).model_state_bytes, 80), 33);
  EXPECT_THROW(judge_fit(1, 0), UsageError);
}

TEST(MemoryFootprint, AMegatronStyleGpt3LayoutFitsIn80GiBAndOneTensorGroupDoesNot) {
  // Megatron-LM (Narayanan et al. 2021) trains models of this size at t = 8 over 8 or more
  // pipeline stages on 80 GB A100s, with full recomputation. By hand for t = 8, p = 12: 1.9 B
  // parameters × 16 B = 30 GB of state + 12 micro-batches × 8 layers × 2sbh = 4.8 GB: fits.
  // One tensor group alone (p = 1) holds 16 B × 174.6 B / 8 = 349 GB: cannot.
  MemoryRequest r = gpt3_175b(8, false, Recompute::Full);
  r.layout.pp = 12;
  r.layout.micro_batches = 48;
  EXPECT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::Fits);
  r.layout.pp = 1;
  EXPECT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::DoesNotFit);
}

TEST(MemoryFootprint, SuggestsTheFewestPipelineStagesThatFit) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::Selective);
  r.attention = AttentionStorage::Fused;
  r.layout.micro_batches = 64;
  // By hand: 349 GB / p of state + 96 × 34sbh/8 = 10 GB of activations under 0.9 × 80 GiB: p = 6.
  const auto flags = suggest_fitting_layout(r, 80);
  ASSERT_TRUE(flags);
  EXPECT_EQ(*flags, "--pp 6");
  const int pp = std::stoi(flags->substr(5));
  ASSERT_EQ(flags->rfind("--pp ", 0), 0u) << *flags;
  MemoryRequest fitted = r;
  fitted.layout.pp = pp;
  EXPECT_EQ(judge_fit(memory_footprint(fitted).peak().total_bytes(), 80).verdict, MemoryVerdict::Fits);
  // Every smaller divisor of the 96 layers does not.
  for (int64_t smaller = 1; smaller < pp; ++smaller) {
    if (96 % smaller != 0) continue;
    fitted.layout.pp = smaller;
    EXPECT_NE(judge_fit(memory_footprint(fitted).peak().total_bytes(), 80).verdict, MemoryVerdict::Fits) << smaller;
  }
  // With data parallelism, sharding the optimizer is tried at each size first.
  r.layout.dp = 64;
  r.layout.pp = 3;  // by hand: 7.3 B parameters per GPU × (4 + 12/64) B = 31 GB + 10 GB activations
  const auto with_zero = suggest_fitting_layout(r, 80);
  ASSERT_TRUE(with_zero);
  EXPECT_EQ(*with_zero, "--zero 1");
  // A layout that fits needs no suggestion.
  fitted.layout.pp = pp;
  EXPECT_FALSE(suggest_fitting_layout(fitted, 80));
}

// Context parallelism keeps s/c tokens of every tensor on a GPU: with fused attention a layer
// holds exactly what it would at a c-times shorter sequence, while unfused attention keeps
// (s/c) x s scores per head, c times that short sequence's; ZeRO shards over c·d ranks.
TEST(MemoryFootprint, ContextParallelismSplitsActivationsAndShardsOverContextRanks) {
  MemoryRequest whole = gpt3_175b(8, true, Recompute::None);
  whole.attention = AttentionStorage::Fused;
  whole.layout.cp = 4;
  MemoryRequest quarter = whole;
  quarter.layout.cp = 1;
  quarter.layout.seq_len = 2048 / 4;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(whole), layer_activation_bytes(quarter));
  EXPECT_DOUBLE_EQ(memory_footprint(whole).first.activation_bytes, memory_footprint(quarter).first.activation_bytes);

  whole.attention = quarter.attention = AttentionStorage::Materialized;
  const double short_scores = 5 * a * (s / 4) * (s / 4) * b / 8;  // softmax, dropout mask and output
  EXPECT_NEAR(layer_activation_bytes(whole) - layer_activation_bytes(quarter), 3 * short_scores, 1e-3);

  // ZeRO-1 over dp 2 x cp 4 shards the Adam state as dp 8 does.
  MemoryRequest zero = gpt3_175b(8, true, Recompute::None);
  zero.zero_stage = 1;
  zero.layout.dp = 2;
  zero.layout.cp = 4;
  MemoryRequest eight = zero;
  eight.layout.dp = 8;
  eight.layout.cp = 1;
  EXPECT_DOUBLE_EQ(memory_footprint(zero).first.optimizer_bytes, memory_footprint(eight).first.optimizer_bytes);
  zero.layout.cp = 3;  // 2048 tokens do not split into 6 equal chunks
  try {
    memory_footprint(zero);
    FAIL() << "--cp 3 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--cp 3"), std::string::npos) << e.what();
  }
}

// A 131,072-token sequence of Llama 3 405B cannot train without context parallelism on 80 GiB
// H100s at the paper's TP 8 x PP 16; its published long-context layout (Table 4: TP 8, CP 16,
// PP 16, DP 8, one sequence per micro-batch, 16 micro-batches) fits with optimizer state and
// gradients sharded as Meta's FSDP did (§3.3.2; ZeRO-2), and is tight (about 96%) with ZeRO-1.
TEST(MemoryFootprint, Llama3LongContextNeedsContextParallelism) {
  MemoryRequest r;
  r.model = load_model("llama3-405b");
  r.layout.tp = 8;
  r.layout.pp = 16;
  r.layout.dp = 8;
  r.layout.cp = 16;
  r.layout.micro_batches = 16;
  r.layout.seq_len = 131072;
  r.zero_stage = 2;
  EXPECT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::Fits)
      << memory_footprint(r).peak().total_bytes() / gib_to_bytes(1) << " GiB";
  r.zero_stage = 1;
  EXPECT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::Tight);
  r.layout.cp = 1;
  r.layout.dp = 128;
  EXPECT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::DoesNotFit);
}

TEST(MemoryFootprint, RefusesBadLayoutsNamingTheFlag) {
  MemoryRequest r = gpt3_175b(8, true, Recompute::None);
  r.zero_stage = 4;
  try {
    memory_footprint(r);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--zero"), std::string::npos) << e.what();
  }
  r.zero_stage = 0;
  r.layout.tp = 7;
  EXPECT_THROW(memory_footprint(r), UsageError);
  EXPECT_THROW(parse_attention_storage("flash", "--attention"), UsageError);
  EXPECT_EQ(parse_attention_storage("unfused", "--attention"), AttentionStorage::Materialized);
}

TEST(MemoryFootprint, ModelDropoutIsAProbability) {
  ModelConfig m = load_model("gpt3-xl");
  m.dropout = 1.0;
  EXPECT_THROW(validate_model(m, "test"), UsageError);
  m.dropout = -0.1;
  EXPECT_THROW(validate_model(m, "test"), UsageError);
}

// Where no pipeline size or ZeRO-1 fits, the ways that do are named, each checked, and none the
// request took already. DeepSeek-V3's published layout (PP 16, EP 64, ZeRO-1, no TP) without
// the recomputation its report describes overflows on activations: full recomputation fits.
TEST(MemoryFootprint, OtherWaysToFitAreCheckedAndNotTheOnesTaken) {
  MemoryRequest r;
  r.model = load_model("deepseek-v3");
  r.layout.tp = 1;
  r.layout.pp = 16;
  r.layout.dp = 128;
  r.layout.ep = 64;
  r.layout.micro_batches = 64;
  r.zero_stage = 1;
  ASSERT_EQ(judge_fit(memory_footprint(r).peak().total_bytes(), 80).verdict, MemoryVerdict::DoesNotFit);
  const auto ways = other_ways_to_fit(r, 80, 8);
  ASSERT_FALSE(ways.empty());
  EXPECT_EQ(ways.front().rfind("--recompute full", 0), 0u) << ways.front();
  for (const auto& w : ways) {
    EXPECT_EQ(w.find("--zero 3"), std::string::npos) << w;  // activations, not state, overflow
    if (w.rfind("--recompute full", 0) == 0) {
      MemoryRequest full = r;
      full.recompute = Recompute::Full;
      EXPECT_EQ(judge_fit(memory_footprint(full).peak().total_bytes(), 80).verdict, MemoryVerdict::Fits);
    }
  }
  // Already fully recomputed (19.3 GiB per GPU): on an 18 GiB GPU the other ways are offered (the
  // state, 9.6 GiB of weights and gradients, shards under ZeRO-3), never recomputation again.
  r.recompute = Recompute::Full;
  ASSERT_NE(judge_fit(memory_footprint(r).peak().total_bytes(), 18).verdict, MemoryVerdict::Fits);
  const auto again = other_ways_to_fit(r, 18, 8);
  ASSERT_FALSE(again.empty());
  for (const auto& w : again) EXPECT_EQ(w.find("--recompute"), std::string::npos) << w;
}

}  // namespace
}  // namespace tb
