// The communication model against hand computations, the interconnect sources, and the
// estimate with and without a parallel layout.
#include <gtest/gtest.h>

#include "harness/comm/comm_model.hpp"
#include "harness/comm/estimate_scaling.hpp"
#include "harness/comm/interconnect.hpp"
#include "harness/comm/model_messages.hpp"
#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::comm {
namespace {

// A small GPT: L = 4, d = 1024, 16 heads, V = 1000, s = 1024.
ModelConfig toy_gpt() {
  ModelConfig m;
  m.name = "toy";
  m.display_name = "toy GPT";
  m.layers = 4;
  m.hidden = 1024;
  m.heads = 16;
  m.kv_heads = 16;
  m.head_dim = 64;
  m.ffn_hidden = 4096;
  m.vocab = 1000;
  m.seq_len = 1024;
  m.train_tokens = 1e9;
  return m;
}

CommModelInput toy_input() {
  CommModelInput in;
  in.model = toy_gpt();
  in.layout.tp = 2;
  in.layout.pp = 2;
  in.layout.dp = 4;
  in.layout.micro_batches = 8;
  in.hardware_flops_per_token = 1e9;
  in.sustained_tflops_per_gpu = 100;
  in.bytes_per_element = 2;
  in.dp_overlap = 0.5;
  in.links.intra_node_gb_s = 100;
  in.links.inter_node_gb_s = 10;
  in.links.gpus_per_node = 4;
  return in;
}

TEST(CommModel, MatchesHandComputation) {
  // Parameters (MISSION.md): 4·(12·1024² + 13·1024) + 1000·1024 + 1024·1024 + 2·1024 = 52,459,520.
  ASSERT_EQ(count_parameters(toy_gpt()).total, 52459520.0);
  // Hand computation, tp 2 · pp 2 · dp 4 = 16 GPUs, 4 per node, m = 8, b = 1, s = 1024, bf16:
  //   compute/micro-batch = 1e9 FLOP/token · 1024 tokens / (2·2) / 100e12 = 2.56 ms
  //   tp group {2 neighbours} inside a node (1·2 <= 4): one all-reduce of b·s·d·2 = 2,097,152 B
  //     = 2·(1/2)·2,097,152 / 100e9 = 20.97152 us; 4 per layer × 4/2 layers = 167.77216 us
  //   pp group (stride tp·dp = 8) across nodes: 2 × (2,097,152/2 B) / 10e9 = 209.7152 us
  //   stage time = 2560 + 167.77216 + 209.7152 = 2937.48736 us; bubble (p−1)/(m+p−1) = 1/9
  //   dp group (stride 2, 2·4 = 8 > 4) across nodes: gradient of what every tensor rank holds
  //     whole (norms and row-parallel biases 4·6·1024, final norm 2·1024, positions 1024·1024:
  //     1,075,200) / 2 stages and the rest / 4: 13,383,680 · 2 = 26,767,360 B,
  //     ring 2·3/4 · 26,767,360 / 10e9 = 4015.104 us, half overlapped -> 2007.552 us exposed
  //   step = 9 × 2937.48736 + 2007.552 = 28444.93824 us; ideal = 8 × 2560 = 20480 us
  //   efficiency = 20480 / 28444.93824 = 0.7199875
  const ScalingEstimate e = model_scaling(toy_input());
  EXPECT_FALSE(e.tp_link.inter_node);
  EXPECT_TRUE(e.pp_link.inter_node);
  EXPECT_TRUE(e.dp_link.inter_node);
  EXPECT_NEAR(e.compute_s_per_micro_batch, 2.56e-3, 1e-12);
  EXPECT_EQ(e.allreduces_per_layer, 4);
  EXPECT_NEAR(e.tp_s_per_micro_batch, 167.77216e-6, 1e-12);
  EXPECT_NEAR(e.p2p_s_per_micro_batch, 209.7152e-6, 1e-12);
  EXPECT_NEAR(e.bubble_fraction, 1.0 / 9.0, 1e-12);
  EXPECT_NEAR(e.dp_grad_bytes, 26767360.0, 1e-3);
  EXPECT_NEAR(e.dp_allreduce_s, 4015.104e-6, 1e-12);
  EXPECT_NEAR(e.dp_exposed_s, 2007.552e-6, 1e-12);
  EXPECT_NEAR(e.step_s, 28444.93824e-6, 1e-11);
  EXPECT_NEAR(e.ideal_step_s, 20480e-6, 1e-12);
  EXPECT_NEAR(e.efficiency, 0.7199875, 1e-6);
  EXPECT_EQ(e.gpus, 16);
  EXPECT_EQ(e.tokens_per_step, 1024.0 * 8 * 4);
  EXPECT_GE(e.reasons.size(), 5u);
}

TEST(CommModel, FullRecomputeRepeatsTheForwardAllReduces) {
  CommModelInput in = toy_input();
  in.recompute = Recompute::Full;
  const ScalingEstimate e = model_scaling(in);
  EXPECT_EQ(e.allreduces_per_layer, 6);
  EXPECT_NEAR(e.tp_s_per_micro_batch, 167.77216e-6 * 6 / 4, 1e-12);
}

// ZeRO's data-parallel traffic as DeepSpeed and FSDP run each stage (Rajbhandari et al. 2020 §5,
// §7). Toy (MatchesHandComputation): this GPU's 13,383,680 parameters x 2 B = 26,767,360 B over
// dp 4 across nodes at 10 GB/s, m = 8 micro-batches, half overlapped; one reduce-scatter or
// all-gather of it is 3/4 x 26,767,360 / 10e9 = 2007.552 us, the all-reduce twice that.
//   ZeRO 0: one all-reduce                        4015.104 us
//   ZeRO 1: 1 reduce-scatter + 1 all-gather        2 x 2007.552 = 4015.104 us (the same volume)
//   ZeRO 2: 8 reduce-scatters + 1 all-gather       9 x 2007.552 = 18067.968 us, 9033.984 exposed;
//           step 9 x 2937.48736 + 9033.984 = 35471.37024 us, efficiency 20480 / it = 0.5773670
//   ZeRO 3: 8 x (reduce-scatter + 2 all-gathers) 24 x 2007.552 = 48181.248 us, 24090.624 exposed;
//           step 26437.38624 + 24090.624 = 50528.01024 us, efficiency 0.4053197
TEST(CommModel, ZeroStagesChargeTheirCollectivesPerStep) {
  auto at = [](int zero) {
    CommModelInput in = toy_input();
    in.zero_stage = zero;
    return model_scaling(in);
  };
  const ScalingEstimate z0 = at(0), z1 = at(1), z2 = at(2), z3 = at(3);
  EXPECT_NEAR(z0.dp_allreduce_s, 4015.104e-6, 1e-12);
  EXPECT_NEAR(z1.dp_allreduce_s, 4015.104e-6, 1e-12);
  EXPECT_NEAR(z1.efficiency, z0.efficiency, 1e-15);
  EXPECT_EQ(z2.dp_reduce_scatters, 8);
  EXPECT_EQ(z2.dp_all_gathers, 1);
  EXPECT_NEAR(z2.dp_allreduce_s, 18067.968e-6, 1e-12);
  EXPECT_NEAR(z2.dp_exposed_s, 9033.984e-6, 1e-12);
  EXPECT_NEAR(z2.step_s, 35471.37024e-6, 1e-11);
  EXPECT_NEAR(z2.efficiency, 0.5773670, 1e-7);
  EXPECT_EQ(z3.dp_reduce_scatters, 8);
  EXPECT_EQ(z3.dp_all_gathers, 16);
  EXPECT_NEAR(z3.dp_allreduce_s, 48181.248e-6, 1e-12);
  EXPECT_NEAR(z3.step_s, 50528.01024e-6, 1e-11);
  EXPECT_NEAR(z3.efficiency, 0.4053197, 1e-7);
  // The per-step line names the stage and the counts.
  auto line = [](const ScalingEstimate& e) {
    for (const auto& why : e.reasons)
      if (why.rfind("data parallel:", 0) == 0) return why;
    return std::string();
  };
  EXPECT_NE(line(z3).find("ZeRO 3: 8 x (2 all-gather + reduce-scatter) of 25.5 MiB per step"), std::string::npos)
      << line(z3);
  EXPECT_NE(line(z2).find("ZeRO 2: 8 x reduce-scatter of the 25.5 MiB gradient"), std::string::npos) << line(z2);
  EXPECT_NE(line(z0).find("ring all-reduce of the 25.5 MiB gradient"), std::string::npos) << line(z0);
  // The paper's §7.2.2: without gradient accumulation (m = 1) ZeRO-3 moves 3 x the parameters,
  // 1.5 times the all-reduce's 2 x; ZeRO-1 and -2 move the all-reduce's volume.
  auto one = [](int zero) {
    CommModelInput in = toy_input();
    in.layout.micro_batches = 1;
    in.zero_stage = zero;
    return model_scaling(in).dp_allreduce_s;
  };
  EXPECT_NEAR(one(3) / one(0), 1.5, 1e-12);
  EXPECT_NEAR(one(2) / one(0), 1.0, 1e-12);
  EXPECT_NEAR(one(1) / one(0), 1.0, 1e-12);
  // fp32 gradients: reduce-scattered in fp32, the weights gathered in bf16: ZeRO 1 moves 4 + 2 B
  // per parameter where bf16 moves 2 + 2 (6022.656 us).
  CommModelInput fp32 = toy_input();
  fp32.zero_stage = 1;
  fp32.grad_bytes_per_element = 4;
  EXPECT_NEAR(model_scaling(fp32).dp_allreduce_s, 6022.656e-6, 1e-12);
  // Nothing to shard over at dp 1: no traffic, whatever the stage.
  CommModelInput alone = toy_input();
  alone.layout.dp = 1;
  alone.zero_stage = 3;
  EXPECT_EQ(model_scaling(alone).dp_allreduce_s, 0.0);
  EXPECT_EQ(zero_collectives(0, 8).reduce_scatters, 0);
  alone.zero_stage = 4;
  EXPECT_THROW(model_scaling(alone), UsageError);
}

// ZeRO-3 with the weights kept gathered from each micro-batch's forward to its backward (PyTorch
// FSDP's reshard_after_forward=False, fully_shard's docs: "keeps the unsharded parameters in
// memory after forward and avoids the all-gather in backward"; FSDP1's SHARD_GRAD_OP): one
// all-gather per micro-batch where plain ZeRO-3 runs two (ZeRO paper §7.2.2: one for the forward,
// one for the backward), the reduce-scatter unchanged. Toy as above, 2007.552 us per collective:
//   m = 8, plain:          8 x (2 AG + RS) = 24 x 2007.552 = 48181.248 us (ZeroStagesCharge...)
//   m = 8, kept gathered:  8 x (AG + RS)   = 16 x 2007.552 = 32120.832 us, 16060.416 exposed;
//                          step 9 x 2937.48736 + 16060.416 = 42497.80224 us, 20480 / it = 0.4819073
//   m = 1, plain:          AG + AG + RS = 3 x 2007.552 = 6022.656 us, 1.5 x the all-reduce
//   m = 1, kept gathered:  AG + RS      = 2 x 2007.552 = 4015.104 us, the all-reduce's volume
TEST(CommModel, ZeroThreeKeptGatheredGathersOncePerMicroBatch) {
  auto at = [](int64_t m, bool keep) {
    CommModelInput in = toy_input();
    in.layout.micro_batches = m;
    in.zero_stage = 3;
    in.zero3_keep_gathered = keep;
    return model_scaling(in);
  };
  const ScalingEstimate plain8 = at(8, false), kept8 = at(8, true), plain1 = at(1, false), kept1 = at(1, true);
  EXPECT_EQ(kept8.dp_reduce_scatters, 8);
  EXPECT_EQ(kept8.dp_all_gathers, 8);
  EXPECT_EQ(plain8.dp_all_gathers, 16);
  EXPECT_NEAR(plain8.dp_allreduce_s, 48181.248e-6, 1e-12);
  EXPECT_NEAR(kept8.dp_allreduce_s, 32120.832e-6, 1e-12);
  EXPECT_NEAR(kept8.dp_exposed_s, 16060.416e-6, 1e-12);
  EXPECT_NEAR(kept8.step_s, 42497.80224e-6, 1e-11);
  EXPECT_NEAR(kept8.efficiency, 0.4819073, 1e-7);
  EXPECT_EQ(kept1.dp_reduce_scatters, 1);
  EXPECT_EQ(kept1.dp_all_gathers, 1);
  EXPECT_NEAR(plain1.dp_allreduce_s, 6022.656e-6, 1e-12);
  EXPECT_NEAR(kept1.dp_allreduce_s, 4015.104e-6, 1e-12);
  EXPECT_EQ(zero_collectives(3, 8, true).all_gathers, 8);
  EXPECT_EQ(zero_collectives(3, 8, false).all_gathers, 16);
  std::string line;
  for (const auto& why : kept8.reasons)
    if (why.rfind("data parallel:", 0) == 0) line = why;
  EXPECT_NE(line.find("ZeRO 3 kept gathered: 8 x (all-gather + reduce-scatter) of 25.5 MiB per step"),
            std::string::npos)
      << line;
  // Only ZeRO-3 gathers weights to keep: beside another stage it is refused, naming both flags.
  CommModelInput wrong = toy_input();
  wrong.zero_stage = 2;
  wrong.zero3_keep_gathered = true;
  try {
    model_scaling(wrong);
    ADD_FAILURE() << "keep-gathered at ZeRO 2 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--zero3-keep-gathered"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--zero 3 (got --zero 2)"), std::string::npos) << e.what();
  }
}

// Megatron-LM splits each pipeline stage's layers into v equal chunks: v must divide the layers
// per stage (the busiest stage's ceil(L/p) where stages are uneven).
TEST(CommModel, VirtualStagesMustDivideTheLayersPerStage) {
  const ModelConfig gpt3 = load_model("gpt3-175b");  // 96 layers: 6 per stage at pp 16
  ParallelLayout l;
  l.tp = 8;
  l.pp = 16;
  l.micro_batches = 64;
  for (int64_t v : {1, 2, 3, 6}) {
    l.virtual_stages = v;
    EXPECT_NO_THROW(validate_layout(l, gpt3)) << v;
  }
  EXPECT_EQ(accepted_virtual_stages(l, gpt3), (std::vector<int64_t>{1, 2, 3, 6}));
  for (int64_t v : {4, 5}) {  // chunks 2,2,1,1 and 2,1,1,1,1
    l.virtual_stages = v;
    try {
      validate_layout(l, gpt3);
      ADD_FAILURE() << "--virtual-stages " << v << " accepted at 6 layers per stage";
    } catch (const UsageError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--virtual-stages " + std::to_string(v) + " does not divide the 6 layers per pipeline stage"),
                std::string::npos)
          << what;
      EXPECT_NE(what.find("give --virtual-stages 1, 2, 3, 6"), std::string::npos) << what;
    }
  }
  // Llama 3 405B: 126 layers on 16 stages, the busiest holding ceil(126/16) = 8. v = 8 would
  // need 128 chunks of a layer each, more than 126: 1, 2 and 4 are left.
  const ModelConfig llama = load_model("llama3-405b");
  l.virtual_stages = 4;
  EXPECT_NO_THROW(validate_layout(l, llama));
  EXPECT_EQ(accepted_virtual_stages(l, llama), (std::vector<int64_t>{1, 2, 4}));
  l.virtual_stages = 3;
  try {
    validate_layout(l, llama);
    ADD_FAILURE() << "--virtual-stages 3 accepted at 8 layers on the busiest stage";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("8 layers per pipeline stage (llama3-405b's 126 layers over --pp 16, the "
                                         "busiest stage's count)"),
              std::string::npos)
        << e.what();
  }
}

TEST(CommModel, OneGpuIsIdealAndGroupsPickTheirLinks) {
  CommModelInput in = toy_input();
  in.layout = {};
  in.layout.micro_batches = 3;
  EXPECT_DOUBLE_EQ(model_scaling(in).efficiency, 1.0);
  // tp 8 on 4-GPU nodes crosses nodes; its all-reduces then run at the inter-node 10 GB/s.
  in = toy_input();
  in.layout.tp = 8;
  in.layout.pp = 1;
  in.layout.dp = 1;
  const ScalingEstimate e = model_scaling(in);
  EXPECT_TRUE(e.tp_link.inter_node);
  EXPECT_EQ(e.tp_link.gb_s, 10.0);
  EXPECT_EQ(e.bubble_fraction, 0.0);
}

// Uneven stages (4 layers on 3 stages: 2, 1, 1): the busiest stage's 2 layers set the pace, so a
// micro-batch takes as long as on 2 even stages of 2 layers (not 4/3 of a layer's worth), and its
// tensor-parallel all-reduces are those of 2 layers.
TEST(CommModel, UnevenStagesAreAsSlowAsTheBusiestStage) {
  CommModelInput even = toy_input();
  even.layout.pp = 2;  // 2 + 2
  CommModelInput uneven = toy_input();
  uneven.layout.pp = 3;
  const ScalingEstimate a = model_scaling(even), b = model_scaling(uneven);
  EXPECT_EQ(layers_per_stage(uneven.layout, uneven.model), 2);
  EXPECT_NEAR(b.compute_s_per_micro_batch / a.compute_s_per_micro_batch, 1.0, 1e-12);
  EXPECT_NEAR(b.tp_s_per_micro_batch, a.tp_s_per_micro_batch, 1e-15);  // 2 layers each
  // Ideal is the even share, a third of the work each: 3 GPUs are no faster than 2 here, so the
  // third stage's GPU shows up as lost efficiency (and days), not as a free speed-up.
  EXPECT_NEAR(b.ideal_step_s / a.ideal_step_s, 2.0 / 3.0, 1e-12);
  EXPECT_LT(b.efficiency, a.efficiency);
  bool said = false;
  for (const auto& why : b.reasons) said |= why.find("uneven pipeline stages") != std::string::npos;
  EXPECT_TRUE(said);
}

// Interleaving v chunks per GPU (Narayanan et al. 2021 §2.2.2): the bubble is (p−1)/v stage-times,
// the point-to-point traffic v times the plain schedule's. Toy: p = 2, m = 8, v = 2.
TEST(CommModel, InterleavingDividesTheBubbleAndMultipliesSendRecv) {
  CommModelInput plain = toy_input();
  CommModelInput inter = toy_input();
  inter.layout.virtual_stages = 2;
  const ScalingEstimate a = model_scaling(plain), b = model_scaling(inter);
  EXPECT_DOUBLE_EQ(a.bubble_fraction, 1.0 / 9.0);           // (p−1)/(m+p−1)
  EXPECT_DOUBLE_EQ(b.bubble_fraction, 0.5 / 8.5);           // ((p−1)/v)/(m+(p−1)/v)
  EXPECT_DOUBLE_EQ(b.p2p_s_per_micro_batch, 2 * a.p2p_s_per_micro_batch);
  const double stage = b.compute_s_per_micro_batch + b.tp_s_per_micro_batch + b.p2p_s_per_micro_batch;
  EXPECT_NEAR(b.step_s, (8 + 0.5) * stage + b.dp_exposed_s, 1e-15);
  inter.layout.micro_batches = 7;  // not a multiple of p: Megatron-LM's schedule refuses it
  EXPECT_THROW(model_scaling(inter), UsageError);
  inter.layout.micro_batches = 8;
  inter.layout.virtual_stages = 3;  // 2 x 3 chunks > 4 layers
  EXPECT_THROW(model_scaling(inter), UsageError);
}

// Context parallelism (Llama 3 paper §3.3.2). Toy: tp 2 x cp 2 x dp 2 = 8 GPUs, 4 per node, m 4,
// b 1, s 1024, bf16, overlap 0.5:
//   each GPU holds 512 tokens of the sequence: compute = 1e9 · 512 / 2 / 100e12 = 2.56 ms
//   tp (2 neighbours, inside a node): all-reduce of 512·1024·2 = 1,048,576 B
//     = 2·(1/2)·1,048,576 / 100e9 = 10.48576 us; 4 per layer x 4 layers = 167.77216 us
//   cp (2 ranks at stride 2: 4 <= 4, inside a node): K and V of the whole sequence per tensor
//     rank, 2·1024·(16·64/2)·2 = 2,097,152 B; (1/2)·2,097,152 / 100e9 = 10.48576 us,
//     3 per layer x 4 layers = 125.82912 us
//   gradients reduce over cp·dp = 4 ranks at stride 2 (8 > 4: across nodes, 10 GB/s):
//     (52,459,520 − 1,075,200 held whole by each tensor rank)/2 + 1,075,200 = 26,767,360
//     params · 2 B = 53,534,720 B; 2·3/4 · 53,534,720 / 10e9 = 8030.208 us,
//     half overlapped -> 4015.104 us exposed
//   step = 4 x (2560 + 167.77216 + 125.82912) + 4015.104 = 15429.50912 us; ideal 4 x 2560
//   efficiency = 10240 / 15429.50912 = 0.6636634
TEST(CommModel, ContextParallelismMatchesHandComputation) {
  CommModelInput in = toy_input();
  in.layout.tp = 2;
  in.layout.cp = 2;
  in.layout.pp = 1;
  in.layout.dp = 2;
  in.layout.micro_batches = 4;
  const ScalingEstimate e = model_scaling(in);
  EXPECT_EQ(e.gpus, 8);
  EXPECT_EQ(e.tokens_per_step, 1024.0 * 4 * 2);  // context ranks share sequences: not more tokens
  EXPECT_NEAR(e.compute_s_per_micro_batch, 2.56e-3, 1e-12);
  EXPECT_NEAR(e.tp_s_per_micro_batch, 167.77216e-6, 1e-12);
  EXPECT_FALSE(e.cp_link.inter_node);
  EXPECT_EQ(e.cp_collectives_per_layer, 3);
  EXPECT_DOUBLE_EQ(e.cp_bytes_per_collective, 2097152.0);
  EXPECT_NEAR(e.cp_s_per_micro_batch, 125.82912e-6, 1e-12);
  EXPECT_EQ(e.dp_link.ranks, 4);
  EXPECT_TRUE(e.dp_link.inter_node);
  EXPECT_NEAR(e.dp_allreduce_s, 8030.208e-6, 1e-12);
  EXPECT_NEAR(e.step_s, 15429.50912e-6, 1e-11);
  EXPECT_NEAR(e.efficiency, 0.6636634, 1e-6);
  bool said = false;
  for (const auto& why : e.reasons) said |= why.find("context parallel: 2 ranks hold 512 tokens") != std::string::npos;
  EXPECT_TRUE(said);
  // The K/V exchange is the only cost context parallelism adds to the same tokens per GPU: cp 1
  // at half the sequence computes the same and sends no K/V.
  CommModelInput half = in;
  half.layout.cp = 1;
  half.layout.seq_len = 512;
  half.layout.dp = 4;  // the same 8 GPUs, each gradient over the same 4 replicas
  const ScalingEstimate h = model_scaling(half);
  EXPECT_NEAR(h.compute_s_per_micro_batch, e.compute_s_per_micro_batch, 1e-15);
  EXPECT_NEAR(h.tp_s_per_micro_batch, e.tp_s_per_micro_batch, 1e-15);
  EXPECT_EQ(h.cp_s_per_micro_batch, 0.0);
  EXPECT_NEAR(h.dp_allreduce_s, e.dp_allreduce_s, 1e-15);
}

// Context and pipeline together: tp 1 x cp 2 x pp 2 x dp 1 = 4 GPUs on 2-GPU nodes, m 4, toy
// model. Ranks tp-cp-dp-pp: the context pair is neighbours (inside a node), the pipeline pair at
// stride tp·cp·dp = 2 crosses nodes. Each GPU sends its 512 tokens' activations between stages:
// 2 x 512·1024·2 B / 10e9 = 209.7152 us per micro-batch (half what cp 1 sends).
TEST(CommModel, ContextParallelPipelineSendsTheLocalTokens) {
  CommModelInput in = toy_input();
  in.links.gpus_per_node = 2;
  in.layout = {};
  in.layout.cp = 2;
  in.layout.pp = 2;
  in.layout.micro_batches = 4;
  const ScalingEstimate e = model_scaling(in);
  EXPECT_EQ(e.gpus, 4);
  EXPECT_FALSE(e.cp_link.inter_node);
  EXPECT_TRUE(e.pp_link.inter_node);
  EXPECT_DOUBLE_EQ(e.p2p_bytes, 512.0 * 1024 * 2);
  EXPECT_NEAR(e.p2p_s_per_micro_batch, 209.7152e-6, 1e-12);
  // K and V of 1024 tokens x 1024 wide (t = 1): 4 MiB, (1/2)·4 MiB / 100e9 = 20.97152 us,
  // 3 per layer x 2 layers per stage.
  EXPECT_NEAR(e.cp_s_per_micro_batch, 6 * 20.97152e-6, 1e-12);
  EXPECT_EQ(e.dp_link.ranks, 2);  // gradients over the 2 context replicas
  EXPECT_FALSE(e.dp_link.inter_node);
}

// GQA: K/V heads fewer than the tensor ranks are replicated, so each tensor rank exchanges all of
// them (Llama 3 405B: 8 K/V heads of 128; at tp 8 one head per rank, at tp 16 still one).
TEST(CommModel, ContextParallelKvBytesFollowTheKvHeads) {
  CommModelInput in = toy_input();
  in.model.kv_heads = 2;
  in.layout = {};
  in.layout.tp = 4;
  in.layout.cp = 2;
  in.layout.micro_batches = 1;
  const ScalingEstimate e = model_scaling(in);
  EXPECT_DOUBLE_EQ(e.cp_bytes_per_collective, 2.0 * 1024 * (2 * 64 / 2) * 2);  // 2 heads over min(4, 2) ranks
  EXPECT_TRUE(e.cp_link.inter_node);  // 2 ranks at stride 4 on 4-GPU nodes
  in.recompute = Recompute::Full;     // the recomputed forward's gather serves the backward
  EXPECT_EQ(model_scaling(in).cp_collectives_per_layer, 3);
}

TEST(CommModel, ContextParallelSizeMustSplitTheSequenceInto2cChunks) {
  CommModelInput in = toy_input();
  for (int64_t cp : {3, 0, 1024}) {  // 1024: 2048 chunks of a 1024-token sequence
    in.layout.cp = cp;
    try {
      model_scaling(in);
      FAIL() << "--cp " << cp << " must be refused";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--cp"), std::string::npos) << e.what();
    }
  }
  in.layout.cp = 512;  // 1024 chunks of one token: legal, if absurd
  EXPECT_NO_THROW(model_scaling(in));
}

TEST(CommModel, RefusesImpossibleLayoutsAndMissingBandwidths) {
  CommModelInput in = toy_input();
  in.layout.tp = 3;  // 16 heads
  EXPECT_THROW(model_scaling(in), UsageError);
  in = toy_input();
  in.layout.pp = 5;  // more stages than the 4 layers
  EXPECT_THROW(model_scaling(in), UsageError);
  in = toy_input();
  in.links.inter_node_gb_s.reset();
  try {
    model_scaling(in);
    FAIL() << "no inter-node bandwidth must be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--interconnect"), std::string::npos) << e.what();
  }
  in = toy_input();
  in.dp_overlap = 1.5;
  EXPECT_THROW(model_scaling(in), UsageError);
}

// A --comm-results file measured on one node holds the intra-node link only: a group across nodes
// then asks for the network, and does not send the user back to --comm-results.
TEST(CommModel, AOneNodeCommFileSaysItHoldsNoInterNodeLink) {
  CommModelInput in = toy_input();
  in.links.inter_node_gb_s.reset();
  MeasuredLink one_node;
  one_node.busbw_gb_s = 100;
  one_node.ranks = 2;
  one_node.origin = "comm.json";
  apply_measured(in.links, one_node);
  try {
    model_scaling(in);
    FAIL() << "no inter-node bandwidth must be refused";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("needs the inter-node bandwidth per GPU; --comm-results comm.json was measured on one node (2 "
                        "ranks: the intra-node link only)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("--interconnect"), std::string::npos) << what;
    EXPECT_EQ(what.find("--comm-results FILE"), std::string::npos) << what;
  }
  // A file measured across nodes holds no intra-node figure.
  in = toy_input();
  in.links.intra_node_gb_s.reset();
  MeasuredLink across = one_node;
  across.inter_node = true;
  across.ranks = 16;
  apply_measured(in.links, across);
  try {
    model_scaling(in);
    FAIL() << "no intra-node bandwidth must be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("was measured across nodes (16 ranks: the inter-node link only): give --gpu SKU"),
              std::string::npos)
        << e.what();
  }
}

TEST(CommModel, InterconnectSources) {
  LinkBandwidths l;
  apply_interconnect_flag(l, "infiniband");
  EXPECT_EQ(*l.inter_node_gb_s, 50.0);
  apply_interconnect_flag(l, "ethernet");
  EXPECT_EQ(*l.inter_node_gb_s, 12.5);
  apply_interconnect_flag(l, "37.5");
  EXPECT_EQ(*l.inter_node_gb_s, 37.5);
  EXPECT_THROW(apply_interconnect_flag(l, "nvlink"), UsageError);  // no intra-node figure to extend
  l.intra_node_gb_s = 450;
  apply_interconnect_flag(l, "nvlink");
  EXPECT_EQ(*l.inter_node_gb_s, 450.0);
  EXPECT_THROW(apply_interconnect_flag(l, "token-ring"), UsageError);
  EXPECT_THROW(apply_interconnect_flag(l, "-5"), UsageError);
}

// The site's fabric replaces the SKU's inter-node figure (issue 7: "from the SKU/site config");
// the server's NVLink stays the SKU's; --interconnect overrides both (the CLI applies it after).
// Grouped-query attention: K/V heads split over the tensor group, or replicated when the group
// is a multiple of them; neither (8 K/V heads over 6 ranks) cannot be laid out.
TEST(CommModel, TensorGroupMustSplitOrReplicateTheKvHeads) {
  ModelConfig m = load_model("llama3-70b");  // 64 heads, 8 K/V heads
  ParallelLayout l;
  for (int64_t tp : {1, 2, 4, 8, 16, 32, 64}) {
    l.tp = tp;
    EXPECT_NO_THROW(validate_layout(l, m)) << tp;
  }
  m.heads = 48;
  m.hidden = 48 * 128;
  l.tp = 6;
  try {
    validate_layout(l, m);
    ADD_FAILURE() << "tp 6 over 8 K/V heads accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("K/V heads"), std::string::npos) << e.what();
  }
}

TEST(CommModel, SiteNetworkOverridesTheSkusInterNodeLink) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sku = load_sku("a100-sxm-80g");
  const LinkBandwidths sku_only = default_links(r);
  r.site = load_site("a100-1024");
  ASSERT_TRUE(r.site->inter_node_gb_s);
  const LinkBandwidths with_site = default_links(r);
  EXPECT_EQ(*with_site.inter_node_gb_s, *r.site->inter_node_gb_s);
  EXPECT_NE(with_site.inter_source.find("site a100-1024"), std::string::npos) << with_site.inter_source;
  EXPECT_EQ(with_site.intra_node_gb_s, sku_only.intra_node_gb_s);
  // A site without a fabric figure changes nothing.
  r.site = load_site("500p");
  EXPECT_EQ(default_links(r).inter_node_gb_s, sku_only.inter_node_gb_s);
  // And through the estimate: the data-parallel all-reduce crosses the site's network.
  r.site = load_site("a100-1024");
  r.mfu = 0.4;
  r.tp = 8;
  r.pp = 8;
  r.gpus = 1024;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.scaling);
  EXPECT_EQ(e.scaling->dp_link.gb_s, *r.site->inter_node_gb_s);
  EXPECT_NE(e.scaling->dp_link.source.find("site a100-1024"), std::string::npos) << e.scaling->dp_link.source;
}

results::RunResults comm_results(std::vector<std::string> hosts) {
  results::RunResults r;
  r.workload.command = "comm";
  for (size_t i = 0; i < hosts.size(); ++i) {
    results::RankInfo rank;
    rank.rank = static_cast<int>(i);
    rank.host = hosts[i];
    r.ranks.push_back(rank);
  }
  for (auto [bytes, busbw] : {std::pair{1 << 20, 20.0}, std::pair{64 << 20, 40.0}}) {
    results::KernelResult k;
    k.kind = "allreduce";
    k.bytes = bytes;
    k.dims = {{"bytes", bytes}, {"ranks", static_cast<int64_t>(hosts.size())}};
    k.busbw_gb_s = busbw;
    k.verified = true;
    r.kernels.push_back(k);
  }
  return r;
}

TEST(CommModel, MeasuredLinkTakesTheLargestVerifiedAllReduce) {
  const MeasuredLink one_node = measured_link(comm_results({"a", "a"}), "f.json");
  EXPECT_EQ(one_node.busbw_gb_s, 40.0);
  EXPECT_FALSE(one_node.inter_node);
  LinkBandwidths l;
  apply_measured(l, one_node);
  EXPECT_EQ(*l.intra_node_gb_s, 40.0);
  EXPECT_TRUE(measured_link(comm_results({"a", "b"}), "f.json").inter_node);
  EXPECT_THROW(measured_link(comm_results({"a"}), "f.json"), UsageError);  // 1 rank: no link
  results::RunResults run = comm_results({"a", "a"});
  run.workload.command = "run";
  EXPECT_THROW(measured_link(run, "f.json"), UsageError);
}

TEST(CommModel, GpuEstimatesTakeOnlyAnNcclLink) {
  results::RunResults run = comm_results({"a", "a"});
  run.machine.device_name = "host memory (CPU)";
  for (auto& rank : run.ranks) rank.backend = "mpi";
  const MeasuredLink host = measured_link(run, "c.json");
  EXPECT_EQ(host.backend, "mpi");
  try {
    require_gpu_link(host, "GPU SKU h100-sxm", "c.json");
    ADD_FAILURE() << "a host-memory link was taken for a GPU";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--comm-results c.json: measured by the mpi backend on host memory (CPU), all-reduce busbw "
                        "40 GB/s: not a link between GPUs"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("GPU SKU h100-sxm takes a file measured with --backend nccl"), std::string::npos) << what;
  }
  for (auto& rank : run.ranks) rank.backend = "nccl";
  EXPECT_NO_THROW(require_gpu_link(measured_link(run, "c.json"), "GPU SKU h100-sxm", "c.json"));
  // One rank of another backend taints the file.
  run.ranks[1].backend = "mpi";
  EXPECT_EQ(measured_link(run, "c.json").backend, "mpi");
  // A file without per-rank backends: its machine block's device memory says.
  for (auto& rank : run.ranks) rank.backend.clear();
  run.machine.backend = "cuda";
  EXPECT_EQ(measured_link(run, "c.json").backend, "nccl");
  run.machine.backend = "cpu";
  EXPECT_EQ(measured_link(run, "c.json").backend, "mpi");
  EXPECT_THROW(require_gpu_link(measured_link(run, "c.json"), "GPU SKU h100-sxm", "c.json"), UsageError);
}

TEST(CommModel, ModelMessagesAreTheLayersOwnSizes) {
  ModelConfig m = load_model("gpt3-175b");
  ParallelLayout layout;
  layout.tp = 8;
  const auto msgs = model_messages(m, layout, DType::BF16);
  ASSERT_GE(msgs.size(), 5u);
  EXPECT_EQ(msgs[0].name, "tp.allreduce");
  EXPECT_EQ(msgs[0].bytes, 1LL * 2048 * 12288 * 2);  // b·s·d·2 = 50,331,648 B
  EXPECT_EQ(msgs[3].bytes, kDdpBucketBytes);
  EXPECT_EQ(msgs[4].collective, Collective::SendRecv);
  EXPECT_EQ(msgs[4].bytes, 2048 * 12288 * 2 / 8);   // scatter/gather: 1/tp of the activation
  for (const auto& msg : msgs) EXPECT_EQ(msg.name.rfind("cp.", 0), std::string::npos) << msg.name;
}

// Llama 3 405B's long-context layout (TP 8, CP 16, 131,072 tokens): each GPU's activation
// messages hold 8,192 tokens; K and V of the whole sequence are 2·131072·(8·128/8)·2 B = 64 MiB
// per tensor rank; gradients reduce over cp·dp ranks.
TEST(CommModel, ContextParallelMessagesExchangeTheWholeSequencesKv) {
  ModelConfig m = load_model("llama3-405b");
  ParallelLayout layout;
  layout.tp = 8;
  layout.cp = 16;
  layout.dp = 8;
  layout.seq_len = 131072;
  const auto msgs = model_messages(m, layout, DType::BF16);
  auto find = [&](const std::string& name) {
    for (const auto& msg : msgs)
      if (msg.name == name) return msg;
    ADD_FAILURE() << name << " missing";
    return ModelMessage{};
  };
  EXPECT_EQ(find("tp.allreduce").bytes, 1LL * 8192 * 16384 * 2);
  const ModelMessage kv = find("cp.kv.allgather");
  EXPECT_EQ(kv.collective, Collective::AllGather);
  EXPECT_EQ(kv.bytes, 64LL * 1024 * 1024);
  EXPECT_EQ(kv.group_ranks, 16);
  EXPECT_EQ(find("cp.kv.reducescatter").bytes, kv.bytes);
  EXPECT_EQ(find("dp.grad_bucket").group_ranks, 16 * 8);
}

TEST(CommModel, EstimateIsUnchangedWithoutLayoutAndScaledWithIt) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sustained_tflops_per_gpu = 150;
  r.gpus = 1024;
  const EstimateResult ideal = estimate(r);
  EXPECT_FALSE(ideal.scaling);
  r.sku = load_sku("a100-sxm-80g");  // intra 300, inter 25 GB/s, 8 per server
  r.tp = 8;
  r.pp = 8;
  r.micro_batches = 96;
  const EstimateResult scaled = estimate(r);
  ASSERT_TRUE(scaled.scaling);
  EXPECT_EQ(scaled.scaling->layout.dp, 16);  // 1024 / (8·8)
  const double eff = scaled.scaling->efficiency;
  // By hand (the header's formulas), one micro-batch of b·s = 2048 tokens, d = 12288:
  //   compute: 1,076,373,430,272 FLOPs per token (PaLM's) × 2048 / (8·8) / 150e12 = 0.2296263 s
  //   tp: 96/8 = 12 layers × 4 all-reduces × 2·7/8 × (2048·12288·2 = 50,331,648 B) / 300e9 (in
  //       the server) = 0.0140929 s
  //   pp send/recv: 2 × 50,331,648/8 B / 25e9 (stages 128 GPUs apart: across servers) = 0.000503 s
  //   stage = 0.2442225 s; 1F1B: (96 + 8 − 1) stages = 25.1549185 s
  //   dp: ring all-reduce of this GPU's gradients: of 174,604,259,328 parameters, what every
  //       tensor rank holds whole (norms, row-parallel biases, final norm, positions: 32,268,288)
  //       / 8 stages, the rest / 64: 2,731,720,896 × 2 B = 5,463,441,792 B over 16 ranks across
  //       servers: 2·15/16 × 5,463,441,792 / 25e9 = 0.4097581 s, not overlapped
  //   step 25.5646766 s vs ideal 96 × 0.2296263 = 22.0441279 s: efficiency 0.8622885.
  EXPECT_NEAR(scaled.scaling->compute_s_per_micro_batch, 0.2296263, 1e-7);
  EXPECT_NEAR(scaled.scaling->tp_s_per_micro_batch, 0.0140929, 1e-7);
  EXPECT_NEAR(scaled.scaling->p2p_s_per_micro_batch, 0.00050331648, 1e-12);
  EXPECT_NEAR(scaled.scaling->dp_allreduce_s, 0.4097581, 1e-7);
  EXPECT_NEAR(eff, 0.8622885, 1e-7);
  EXPECT_NEAR(*scaled.wall_days, *ideal.wall_days / eff, 1e-9);
  EXPECT_NEAR(*scaled.gpu_hours, *ideal.gpu_hours / eff, 1e-6);
  EXPECT_NEAR(*scaled.ideal_gpu_hours, *ideal.gpu_hours, 1e-6);
  r.dp = 4;  // 8·8·4 = 256 ≠ 1024
  EXPECT_THROW(estimate(r), UsageError);
  r.dp.reset();
  r.gpus = 1000;  // not a multiple of 64
  EXPECT_THROW(estimate(r), UsageError);
}

TEST(CommModel, DeadlineGpusIncludeTheScalingLoss) {
  EstimateRequest r;
  r.model = load_model("gpt3-175b");
  r.sustained_tflops_per_gpu = 150;
  r.days = 30;
  const int64_t ideal_gpus = *estimate(r).gpus;
  r.sku = load_sku("a100-sxm-80g");
  r.tp = 8;
  r.pp = 8;
  r.micro_batches = 96;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.scaling);
  EXPECT_GT(*e.gpus, ideal_gpus);
  EXPECT_EQ(*e.gpus % 64, 0);
  EXPECT_LE(*e.wall_days, 30.0 + 1e-9);
  EXPECT_TRUE(*e.gpus_derived);
}

}  // namespace
}  // namespace tb::comm
