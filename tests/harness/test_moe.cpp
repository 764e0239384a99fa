// Mixture of experts: parameter counts against the makers' published totals and active counts,
// the workload's expert GEMMs against 6·N_active, expert parallelism in the communication and
// memory models against hand computations, and the config's refusals.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/comm/comm_model.hpp"
#include "harness/comm/estimate_scaling.hpp"
#include "harness/comm/model_messages.hpp"
#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/model_config.hpp"
#include "harness/model/parameter_count.hpp"
#include "harness/workload/workload.hpp"
#include "tests/support/usage_message.hpp"
#include "tests/support/workload_ops.hpp"

namespace tb {
namespace {

// Two layers, the first dense (DeepSeek-style), 4 experts of 96 with 2 per token and 1 shared.
const char* kTinyMoe = R"(
name = "tiny-moe"
source = "test"
[architecture]
layers = 2
hidden = 64
heads = 4
ffn_hidden = 128
vocab = 256
seq_len = 64
mlp = "swiglu"
norm = "rmsnorm"
position = "rope"
biases = false
tied_embeddings = false
[moe]
experts = 4
experts_per_token = 2
expert_ffn_hidden = 96
shared_experts = 1
dense_layers = 1
[training]
tokens = 1e9
)";

using testing::message_of;
const auto& replaced = testing::replace_once;

const Op& find(const Workload& w, const std::string& name) { return testing::find_op(w, name); }

bool has(const Workload& w, const std::string& name) {
  for (const auto& op : w.ops)
    if (op.name == name) return true;
  return false;
}

TEST(Moe, Mixtral8x7bByHandAndAgainstMistralsCounts) {
  const ModelConfig m = load_model("mixtral-8x7b");
  const double d = 4096, kv = 8 * 128, f = 14336, V = 32000, L = 32;
  const double attention = 2 * d * d + 2 * d * kv;
  const double expert = 3 * d * f;
  const double per_layer = attention + 8 * expert + 8 * d /* router */ + 2 * d /* RMSNorms */;
  const ParameterCount p = count_parameters(m);
  EXPECT_DOUBLE_EQ(p.total, L * per_layer + 2 * V * d + d);
  EXPECT_DOUBLE_EQ(p.active, p.total - L * 6 * expert);
  // Mistral: "46.7B total parameters but only uses 12.9B parameters per token".
  EXPECT_NEAR(p.total / 46.7e9, 1.0, 0.005);
  EXPECT_NEAR(p.active / 12.9e9, 1.0, 0.01);
  EXPECT_DOUBLE_EQ(p.matmul_weights, L * (attention + 8 * d + 2 * expert) + V * d);
}

TEST(Moe, Mixtral8x22bDbrxAndQwen3AgainstTheirMakersCounts) {
  const ParameterCount mixtral = count_parameters(load_model("mixtral-8x22b"));
  EXPECT_NEAR(mixtral.total / 141e9, 1.0, 0.01);
  EXPECT_NEAR(mixtral.active / 39e9, 1.0, 0.01);
  // DBRX: "132B total parameters of which 36B are active on any input" (rounded figures).
  const ParameterCount dbrx = count_parameters(load_model("dbrx"));
  EXPECT_NEAR(dbrx.total / 132e9, 1.0, 0.01);
  EXPECT_NEAR(dbrx.active / 36e9, 1.0, 0.02);
  // Qwen3-235B-A22B: "235B total, 22B activated" (Table 2); 128 experts, 8 per token, no shared.
  const ParameterCount qwen = count_parameters(load_model("qwen3-235b-a22b"));
  EXPECT_NEAR(qwen.total / 235e9, 1.0, 0.01);
  EXPECT_NEAR(qwen.active / 22e9, 1.0, 0.02);
}

// DeepSeek-V3 (arXiv:2412.19437): multi-head latent attention, 3 dense layers then 58 MoE layers
// of 1 shared + 256 routed experts with 8 per token. "671B total parameters with 37B activated".
TEST(Moe, DeepSeekV3LatentAttentionByHandAndAgainstItsReport) {
  const ModelConfig m = load_model("deepseek-v3");
  ASSERT_TRUE(m.mla);
  const double d = 7168, h = 128;
  const double mla = d * 1536 + 1536 * h * 192     // W_DQ, W_UQ (nope + rope per head)
                     + d * (512 + 64)              // W_DKV and the shared rotary key
                     + 512 * h * (128 + 128)       // W_UK and W_UV
                     + h * 128 * d;                // W_O
  const ParameterCount p = count_parameters(m);
  EXPECT_DOUBLE_EQ(p.attention_per_layer, mla + 1536 + 512);  // + the latents' RMSNorm gains
  EXPECT_NEAR(p.total / 671e9, 1.0, 0.005);
  EXPECT_NEAR(p.active / 37e9, 1.0, 0.02);
  const double expert = 3 * d * 2048;
  EXPECT_DOUBLE_EQ(p.routed_experts_per_layer, 256 * expert);
  EXPECT_DOUBLE_EQ(p.total - p.active, 58 * 248 * expert);  // 256 - 8 routed experts idle per token
}

TEST(Moe, LatentAttentionWorkloadSumsToTheClosedFormAndPadsValuesToTheKeyWidth) {
  const ModelConfig m = load_model("deepseek-v3");
  for (int64_t tp : {1, 2, 8}) {
    const Workload w = build_workload(m, {.tensor_parallel = tp, .micro_batch = 1, .expert_parallel = 8});
    const auto f = formulas::flops_per_token(m, 4096);
    EXPECT_NEAR(w.model_flops_per_step() * static_cast<double>(tp) / 4096.0 / f.model, 1.0, 1e-12) << "tp " << tp;
  }
  const Workload w = build_workload(m, {.tensor_parallel = 8, .micro_batch = 1});
  const Op& fwd = find(w, "attention.fwd");
  EXPECT_EQ(fwd.attention.head_dim, 192);
  EXPECT_EQ(fwd.attention.heads, 16);
  // V is 128 wide; the model counts the causal kernel's masked half too (PaLM's count): × 2.
  ASSERT_TRUE(fwd.attention.causal);
  EXPECT_DOUBLE_EQ(fwd.model_flops, 2.0 * fwd.flops * (192.0 + 128.0) / 2.0 / 192.0);
  EXPECT_EQ(find(w, "kv_up.fwd").gemm.n, 16 * (128 + 128));
  EXPECT_EQ(find(w, "q_down.fwd").gemm.n, 1536);  // replicated on every tensor rank
  EXPECT_EQ(find(w, "attn_out.fwd").gemm.k, 16 * 128);
  EXPECT_EQ(find(w, "mlp_up.fwd").calls_per_step, 3);        // the dense layers
  EXPECT_EQ(find(w, "expert_up.fwd").calls_per_step, 58);  // one grouped GEMM per MoE layer
  EXPECT_EQ(find(w, "expert_up.fwd").gemm.batch, 256);     // of every expert here at ep 1
  EXPECT_FALSE(has(w, "qkv.fwd"));
}

// The latent down-projections (and the router) are held whole by every tensor rank: memory and
// gradients do not divide them by t.
TEST(Moe, ReplicatedWeightsAreNotSplitOverTensorRanks) {
  const ModelConfig m = load_model("deepseek-v3");
  const ParameterCount p = count_parameters(m);
  const double d = 7168;
  // The latent projections and their RMSNorm gains, and the layer's two RMSNorms (no biases).
  EXPECT_DOUBLE_EQ(p.tp_replicated_per_layer, d * 1536 + 1536 + d * (512 + 64) + 512 + 2 * d);
  EXPECT_DOUBLE_EQ(p.tp_replicated_per_moe_layer, p.tp_replicated_per_layer + d * 256);
  MemoryRequest r;
  r.model = m;
  r.layout.tp = 8;
  r.layout.pp = 61;  // one layer per stage: stage 1 is a dense layer, the last an MoE layer
  r.layout.dp = 8;
  r.layout.ep = 8;
  r.layout.micro_batches = 61;
  const MemoryFootprint f = memory_footprint(r);
  const double moe_layer = p.tp_replicated_per_moe_layer +
                           (p.per_moe_layer - p.routed_experts_per_layer - p.tp_replicated_per_moe_layer) / 8 +
                           p.routed_experts_per_layer / 64;
  // Untied output head, vocabulary-parallel over Megatron's padded vocabulary (128 x 8 multiple).
  const double last_extra = p.final_norm + 130048.0 * d / 8;
  EXPECT_NEAR(f.last.params, moe_layer + last_extra, 1);
}

TEST(Moe, LatentAttentionConfigRefusalsNameTheField) {
  const std::string base = R"(
name = "mla"
source = "test"
[architecture]
layers = 2
hidden = 256
heads = 4
head_dim = 48
ffn_hidden = 512
vocab = 1024
seq_len = 128
mlp = "swiglu"
biases = false
[mla]
kv_lora_rank = 64
qk_nope_head_dim = 32
qk_rope_head_dim = 16
v_head_dim = 32
[training]
tokens = 1e9
)";
  EXPECT_EQ(parse_model_toml(base, "m.toml").mla->q_lora_rank, 0);  // no query latent
  EXPECT_NE(message_of([&] { parse_model_toml(replaced(base, "head_dim = 48", "head_dim = 64"), "m.toml"); })
                .find("'architecture.head_dim' (64) must be mla.qk_nope_head_dim + mla.qk_rope_head_dim = 48"),
            std::string::npos);
  EXPECT_NE(message_of([&] { parse_model_toml(replaced(base, "heads = 4\n", "heads = 4\nkv_heads = 2\n"), "m.toml"); })
                .find("architecture.kv_heads"),
            std::string::npos);
  EXPECT_NE(message_of([&] { parse_model_toml(replaced(base, "v_head_dim = 32\n", ""), "m.toml"); })
                .find("'mla.v_head_dim' is missing"),
            std::string::npos);
  // No query latent: one d x h·(nope + rope) projection.
  const ParameterCount p = count_parameters(parse_model_toml(base, "m.toml"));
  EXPECT_DOUBLE_EQ(p.attention_per_layer,
                   256.0 * 4 * 48 + 256.0 * (64 + 16) + 64.0 * 4 * (32 + 32) + 4.0 * 32 * 256 + 64);
}

TEST(Moe, DenseModelsAreAllActive) {
  for (const char* name : {"gpt3-175b", "llama3-8b"}) {
    const ParameterCount p = count_parameters(load_model(name));
    EXPECT_DOUBLE_EQ(p.active, p.total) << name;
    EXPECT_DOUBLE_EQ(p.routed_experts_per_layer, 0) << name;
  }
}

TEST(Moe, TinyModelDenseFirstLayerAndSharedExpertByHand) {
  const ModelConfig m = parse_model_toml(kTinyMoe, "tiny.toml");
  ASSERT_TRUE(m.moe);
  EXPECT_EQ(m.moe_layers(), 1);
  EXPECT_EQ(m.dense_mlp_layers(), 1);
  const double d = 64, f = 128, fe = 96, V = 256;
  const double attention = 4 * d * d;
  const double dense_layer = attention + 3 * d * f + 2 * d;
  const double moe_layer = attention + 4 * d + 5 * 3 * d * fe + 2 * d;  // router, 4 routed + 1 shared
  const ParameterCount p = count_parameters(m);
  EXPECT_DOUBLE_EQ(p.total, dense_layer + moe_layer + 2 * V * d + d);
  EXPECT_DOUBLE_EQ(p.active, p.total - 2 * 3 * d * fe);  // 2 of the 4 routed experts idle per token
}

TEST(Moe, WorkloadModelFlopsAre6NActivePlusAttentionAtEveryTensorAndExpertSplit) {
  const ModelConfig m = load_model("mixtral-8x7b");
  for (int64_t tp : {1, 2, 8})
    for (int64_t ep : {1, 2, 8}) {
      const Workload w = build_workload(m, {.tensor_parallel = tp, .micro_batch = 1, .seq_len = 4096,
                                            .expert_parallel = ep});
      const auto f = formulas::flops_per_token(m, 4096);
      // Summed over the t tensor ranks; the expert split keeps each GPU's share of the tokens.
      EXPECT_NEAR(w.model_flops_per_step() * static_cast<double>(tp) / 4096.0 / f.model, 1.0, 1e-12)
          << "tp " << tp << " ep " << ep;
      EXPECT_NEAR(w.model_flops_with_recompute_per_step(Recompute::Full) * static_cast<double>(tp) / 4096.0 / f.full,
                  1.0, 1e-12);
    }
}

TEST(Moe, ExpertGemmsRunTheRoutedTokensOfEachLocalExpert) {
  const ModelConfig m = load_model("mixtral-8x7b");
  const Workload w = build_workload(m, {.tensor_parallel = 2, .micro_batch = 1, .seq_len = 4096, .expert_parallel = 4});
  // 4096 tokens x top-2 over 8 experts, from 4 ranks: 4·4096·2/8 = 4096 rows per expert; 2 of
  // the 8 experts on this GPU, as one grouped GEMM of 2 groups in each of the 32 layers.
  const Op& up = find(w, "expert_up.fwd");
  EXPECT_EQ(up.gemm.m, 4096);
  EXPECT_EQ(up.gemm.n, 2 * 14336 / 2);  // gate and up fused, split over 2 tensor ranks
  EXPECT_EQ(up.gemm.k, 4096);
  EXPECT_EQ(up.gemm.batch, 2);
  EXPECT_EQ(up.calls_per_step, 32);
  EXPECT_DOUBLE_EQ(up.flops, 2 * (2.0 * 4096 * 14336 * 4096));
  const Op& wgrad = find(w, "expert_down.wgrad");
  EXPECT_EQ(wgrad.gemm.k, 4096);  // tokens are the weight gradient's reduction
  const Op& router = find(w, "router.fwd");
  EXPECT_EQ(router.gemm.n, 8);
  EXPECT_DOUBLE_EQ(router.model_flops, router.flops / 2);  // replicated over the 2 tensor ranks
  EXPECT_FALSE(has(w, "mlp_up.fwd"));  // no dense layer in Mixtral
  // The activation runs over every local expert's rows together: b·s·k per GPU.
  EXPECT_EQ(find(w, "expert_swiglu.fwd").memory.rows, 4096 * 2);
  EXPECT_EQ(find(w, "expert_swiglu.fwd").memory.cols, 14336 / 2);
}

TEST(Moe, UnevenRoutedShareRoundsRowsUpAsHardwareWork) {
  const ModelConfig m = parse_model_toml(kTinyMoe, "tiny.toml");
  // 65 tokens x 2 experts each / 4 experts = 32.5 rows per expert, run as 33.
  const Workload w = build_workload(m, {.micro_batch = 1, .seq_len = 65});
  const Op& up = find(w, "expert_up.fwd");
  EXPECT_EQ(up.gemm.m, 33);
  EXPECT_DOUBLE_EQ(up.model_flops, up.flops * 32.5 / 33.0);
  EXPECT_DOUBLE_EQ(up.flops, 4 * 2.0 * 33 * 64 * 2 * 96);  // 4 groups of 33 x 2·96 x 64
  EXPECT_TRUE(has(w, "mlp_up.fwd"));     // the dense first layer
  EXPECT_TRUE(has(w, "shared_up.fwd"));  // the shared expert, over every token
  EXPECT_EQ(find(w, "mlp_up.fwd").calls_per_step, 1);
  EXPECT_EQ(find(w, "expert_up.fwd").calls_per_step, 1);  // one MoE layer
  EXPECT_EQ(find(w, "expert_up.fwd").gemm.batch, 4);
  const auto f = formulas::flops_per_token(m, 65);
  EXPECT_NEAR(w.model_flops_per_step() / 65.0 / f.model, 1.0, 1e-12);
}

TEST(Moe, ConfigAndLayoutRefusalsNameTheFieldOrFlag) {
  EXPECT_NE(message_of([] {
              parse_model_toml(replaced(kTinyMoe, "experts_per_token = 2", "experts_per_token = 5"), "t.toml");
            }).find("moe.experts_per_token"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replaced(kTinyMoe, "dense_layers = 1", "dense_layers = 2"), "t.toml"); })
                .find("moe.dense_layers"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replaced(kTinyMoe, "experts = 4\n", ""), "t.toml"); })
                .find("'moe.experts' is missing"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_model_toml(replaced(kTinyMoe, "shared_experts", "shared_expert"), "t.toml"); })
                .find("moe.shared_expert"),
            std::string::npos);
  const ModelConfig tiny = parse_model_toml(kTinyMoe, "tiny.toml");
  EXPECT_NE(message_of([&] { build_workload(tiny, {.expert_parallel = 3}); }).find("--ep 3 must divide"),
            std::string::npos);
  const ModelConfig odd_experts = parse_model_toml(replaced(kTinyMoe, "expert_ffn_hidden = 96", "expert_ffn_hidden = 90"), "t.toml");
  EXPECT_NE(message_of([&] { build_workload(odd_experts, {.tensor_parallel = 4}); })
                .find("--tp 4 must divide moe.expert_ffn_hidden (90)"),
            std::string::npos);
  EXPECT_NE(message_of([] { build_workload(load_model("llama3-8b"), {.expert_parallel = 2}); }).find("no [moe] table"),
            std::string::npos);
  comm::ParallelLayout l;
  l.ep = 4;
  l.dp = 2;
  EXPECT_NE(message_of([&] { comm::validate_layout(l, tiny); }).find("--ep 4 must divide the ranks"),
            std::string::npos);
}

comm::LinkBandwidths eight_per_node() {
  comm::LinkBandwidths links;
  links.gpus_per_node = 8;
  links.intra_node_gb_s = 450;
  links.inter_node_gb_s = 50;
  return links;
}

TEST(Moe, AllToAllAndExpertGradientRingsByHand) {
  const ModelConfig m = load_model("mixtral-8x7b");
  comm::CommModelInput in;
  in.model = m;
  in.layout.tp = 1;
  in.layout.dp = 16;
  in.layout.ep = 8;
  in.layout.seq_len = 4096;
  in.hardware_flops_per_token = formulas::flops_per_token(m, 4096).model;
  in.sustained_tflops_per_gpu = 400;
  in.links = eight_per_node();
  const comm::ScalingEstimate e = comm::model_scaling(in);
  // 4 all-to-alls per MoE layer, 32 layers, each moving 4096 tokens x 2 experts x 4096 x 2 bytes,
  // (e-1)/e of it over NVLink inside the node (8 expert ranks at stride 1).
  const double bytes = 4096.0 * 2 * 4096 * 2;
  EXPECT_DOUBLE_EQ(e.ep_bytes_per_alltoall, bytes);
  EXPECT_FALSE(e.ep_link.inter_node);
  EXPECT_NEAR(e.ep_s_per_micro_batch, 32 * 4 * (7.0 / 8.0) * bytes / 450e9, 1e-15);
  // Gradients: the non-expert part over all 16 replicas (inter-node), each expert's over its 2.
  const ParameterCount p = count_parameters(m);
  const double experts = 32 * p.routed_experts_per_layer;
  EXPECT_DOUBLE_EQ(e.expert_grad_bytes, experts / 8 * 2);
  const double dense_s = 2.0 * 15 / 16 * (p.total - experts) * 2 / 50e9;
  const double expert_s = 2.0 * 1 / 2 * (experts / 8 * 2) / 50e9;  // 2 ranks at stride 8: across nodes
  EXPECT_NEAR(e.dp_allreduce_s, dense_s + expert_s, 1e-12);
  // Overlapped with compute (DeepSeek-V3's DualPipe): only the rest is exposed.
  in.ep_overlap = 0.75;
  EXPECT_NEAR(comm::model_scaling(in).ep_s_per_micro_batch, 0.25 * e.ep_s_per_micro_batch, 1e-15);
  // Never more hidden than there is compute to hide it behind: on a slow link most stays exposed.
  comm::CommModelInput slow = in;
  slow.links.intra_node_gb_s = 0.5;
  slow.ep_overlap = 1.0;
  const comm::ScalingEstimate s = comm::model_scaling(slow);
  slow.ep_overlap = 0.0;
  EXPECT_NEAR(s.ep_s_per_micro_batch, comm::model_scaling(slow).ep_s_per_micro_batch - s.compute_s_per_micro_batch,
              1e-9);
  EXPECT_GT(s.ep_s_per_micro_batch, 0);
  in.ep_overlap = 1.5;
  EXPECT_NE(message_of([&] { comm::model_scaling(in); }).find("--ep-overlap must be in [0, 1]"), std::string::npos);
  in.ep_overlap = 0;
  // Without expert parallelism: no all-to-all, every expert's gradient over all 16.
  in.layout.ep = 1;
  const comm::ScalingEstimate one = comm::model_scaling(in);
  EXPECT_DOUBLE_EQ(one.ep_s_per_micro_batch, 0);
  EXPECT_NEAR(one.dp_allreduce_s, 2.0 * 15 / 16 * p.total * 2 / 50e9, 1e-12);
}

TEST(Moe, MemorySplitsExpertsOverExpertRanksAndShardsTheirStateOverTheirReplicas) {
  const ModelConfig m = load_model("mixtral-8x7b");
  const ParameterCount p = count_parameters(m);
  MemoryRequest r;
  r.model = m;
  r.layout.dp = 16;
  r.layout.ep = 8;
  r.layout.seq_len = 4096;
  r.zero_stage = 1;
  const MemoryFootprint f = memory_footprint(r);
  const double experts = 32 * p.routed_experts_per_layer / 8;
  EXPECT_DOUBLE_EQ(f.first.expert_params, experts);
  const double rest = f.first.params - experts;
  EXPECT_NEAR(rest, p.total - 32 * p.routed_experts_per_layer, p.total * 1e-12);
  // Adam state: the rest over 16 replicas, each expert's over its 16 / 8 = 2.
  EXPECT_NEAR(f.first.optimizer_bytes, rest * 12 / 16 + experts * 12 / 2, 1);
  EXPECT_DOUBLE_EQ(f.first.weight_bytes, f.first.params * 2);
  // Eight-way expert parallelism holds a fraction of the experts ep 1 does.
  r.layout.ep = 1;
  EXPECT_GT(memory_footprint(r).first.total_bytes(), 2 * f.first.total_bytes());
}

// The suggestion for a layout that does not fit tries more pipeline stages with dp = gpus/(t·p):
// those whose replicas ep does not divide are skipped, not refused as if the user had asked.
TEST(Moe, SuggestionSkipsPipelineSizesThatLeaveTooFewReplicasForTheExperts) {
  MemoryRequest r;
  r.model = load_model("mixtral-8x7b");
  r.layout.dp = 16;
  r.layout.ep = 8;
  r.layout.seq_len = 32768;
  SuggestionRules rules;
  rules.gpus = 16;
  std::optional<std::string> flags;
  EXPECT_NO_THROW(flags = suggest_fitting_layout(r, 80, rules));
  // By hand (bytes per token of one MoE layer, fused attention, tp 1, no dropout: norms' inputs
  // 8d + router 4E + dispatched 4kd + Q, K, V, O 2q + 4kv + 2o + experts' SwiGLU 6k·f_e + LSE 4a
  // = 32,800 + 32,768 + 20,480 + 172,032 + 128 = 258,208 B), the 32 layers' activations at
  // s = 32768 are 32 × 258,208 × 32768 = 271 GB with pp 1 and with pp 2 (16 layers, 2 in flight)
  // alike: more than 80 GiB before any weight. pp 4, 8 and 16 leave dp 4, 2 and 1, which 8 expert
  // ranks do not divide: skipped, not refused. So nothing fits.
  EXPECT_FALSE(flags) << *flags;
}

// Where a size fits, its flags exactly. Mixtral 8x7B, dp 16, ep 8 on 16 GPUs (by hand, from
// count_parameters' terms): a layer is attention 41,943,040 + router 32,768 + norms 8,192 +
// 8 experts × 3·4096·14336 = 8 × 176,160,768; embedding and untied head 32000 × 4096 each.
// pp 1: a GPU holds 32 × 176,160,768 = 5,637,144,576 expert parameters (one expert of each layer)
// and 32 × 41,984,000 + 2 × 131,072,000 + 4,096 = 1,605,636,096 others: 7,242,780,672 in all.
TEST(Moe, SuggestionNamesTheFlagsThatFit) {
  MemoryRequest r;
  r.model = load_model("mixtral-8x7b");
  r.layout.dp = 16;
  r.layout.ep = 8;
  SuggestionRules rules;
  rules.gpus = 16;
  // s = 1024. ZeRO-0: 16 B × 7.243e9 = 115.9 GB, beyond 80 GiB = 85.90 GB. ZeRO-1: weights and
  // gradients 4 B × 7.243e9 = 28.97 GB, Adam's 12 B of the others over 16 ranks (1.20 GB) and of
  // the experts over their 16/8 = 2 replicas (33.82 GB): 64.0 GB; activations 32 layers ×
  // 258,208 B × 1024 + logits and output input 4·s·(V + d) = 8.61 GB. 72.6 GB = 0.845 of 80 GiB:
  // fits (<= 0.9), at pp 1.
  r.layout.seq_len = 1024;
  EXPECT_EQ(suggest_fitting_layout(r, 80, rules), std::optional<std::string>("--zero 1"));
  // s = 2048: ZeRO-1 at pp 1 holds 64.0 + 17.2 = 81.2 GB = 0.945 (tight, not fits). pp 2 leaves
  // dp 16/2 = 8, which ep 8 divides; its first stage holds 16 layers: 2,818,572,288 expert and
  // 16 × 41,984,000 + 131,072,000 other parameters = 3,621,388,288, × 16 B = 57.94 GB, and 2
  // micro-batches in flight of 16 layers × 258,208 B × 2048 = 16.92 GB: 74.86 GB = 0.8715, fits
  // without ZeRO (tried before ZeRO-1 at each size).
  r.layout.seq_len = 2048;
  EXPECT_EQ(suggest_fitting_layout(r, 80, rules), std::optional<std::string>("--pp 2"));
}

// Expert ranks come out of the cp·dp replicas, so e must divide cp·dp: dp a multiple of
// e / gcd(e, c). By hand: e 8, c 1 → 8; c 2 → 4; c 8 → 1; e 4, c 8 → 1; e 6, c 4 → 6/2 = 3.
TEST(Moe, DpMultipleIsExpertRanksOverWhatContextRanksAlreadyHold) {
  EXPECT_EQ(comm::dp_multiple(8, 1), 8);
  EXPECT_EQ(comm::dp_multiple(8, 2), 4);
  EXPECT_EQ(comm::dp_multiple(8, 8), 1);
  EXPECT_EQ(comm::dp_multiple(4, 8), 1);
  EXPECT_EQ(comm::dp_multiple(6, 4), 3);
  EXPECT_EQ(comm::dp_multiple(1, 16), 1);
  for (int64_t e : {1, 2, 4, 8, 6})
    for (int64_t c : {1, 2, 4, 8}) EXPECT_EQ((c * comm::dp_multiple(e, c)) % e, 0) << e << " " << c;
}

// A deadline sizes dp in multiples of dp_multiple: with tp 2, cp 2 and ep 8 that is 4, so the
// GPUs come in groups of 2·2·4 = 16; the count found meets the deadline and one group fewer does
// not. With interruptions the count grows in the same groups.
TEST(Moe, DeadlineGpusKeepDpAMultipleTheExpertsDivide) {
  EstimateRequest r;
  r.model = load_model("mixtral-8x7b");
  r.tokens = 1e12;
  r.seq_len = 4096;
  r.sustained_tflops_per_gpu = 400;
  r.tp = 2;
  r.cp = 2;
  r.ep = 8;
  r.micro_batches = 8;
  r.interconnect = eight_per_node();
  r.days = 20;
  const EstimateResult e = estimate(r);
  ASSERT_TRUE(e.gpus && e.scaling);
  EXPECT_TRUE(*e.gpus_derived);
  EXPECT_EQ(e.scaling->layout.dp % 4, 0) << e.scaling->layout.dp;
  EXPECT_EQ(*e.gpus, 2 * 2 * e.scaling->layout.dp);
  EXPECT_LE(*e.wall_days, 20.0 * (1 + 1e-9));
  EstimateRequest fewer = r;
  fewer.days.reset();
  fewer.gpus = *e.gpus - 16;
  ASSERT_GT(*fewer.gpus, 0);
  EXPECT_GT(*estimate(fewer).wall_days, 20.0);
  // A count that leaves dp outside the multiple is refused, naming the multiple of GPUs to give.
  fewer.gpus = *e.gpus - 4;  // dp one less than a multiple of 4
  EXPECT_NE(message_of([&] { estimate(fewer); }).find("give --gpus a multiple of 16"), std::string::npos)
      << message_of([&] { estimate(fewer); });

  InterruptionModel m;
  m.gpu_mtbf_hours = llama3_gpu_mtbf_hours();
  r.interruptions = m;
  const EstimateResult interrupted = estimate(r);
  ASSERT_TRUE(interrupted.gpus && interrupted.goodput);
  EXPECT_EQ(*interrupted.gpus % 16, 0) << *interrupted.gpus;
  EXPECT_GE(*interrupted.gpus, *e.gpus);
  EXPECT_LE(*interrupted.wall_days, 20.0 * (1 + 1e-9));
  EstimateRequest one_group_fewer = r;
  one_group_fewer.days.reset();
  one_group_fewer.gpus = *interrupted.gpus - 16;
  EXPECT_GT(*estimate(one_group_fewer).wall_days, 20.0);
}

// A deadline with interruptions is met by growing the GPU count, which needs a rate to divide by:
// without a throughput the refusal says which flags give one.
TEST(Moe, DeadlineWithInterruptionsAndNoThroughputIsRefused) {
  EstimateRequest r;
  r.model = load_model("mixtral-8x7b");
  r.tokens = 1e12;
  r.days = 30;
  InterruptionModel m;
  m.gpu_mtbf_hours = llama3_gpu_mtbf_hours();
  r.interruptions = m;
  EXPECT_NE(message_of([&] { estimate(r); })
                .find("--mtbf-gpu-hours with --days needs a throughput (--tflops, --gpu with --mfu, or --results)"),
            std::string::npos)
      << message_of([&] { estimate(r); });
}

TEST(Moe, EstimateCounts6NActiveDAndAsksForTokensWhereNoneArePublished) {
  EstimateRequest r;
  r.model = load_model("mixtral-8x7b");
  EXPECT_NE(message_of([&] { estimate(r); }).find("give --tokens"), std::string::npos);
  r.tokens = 1e12;
  const EstimateResult e = estimate(r);
  const ParameterCount p = count_parameters(r.model);
  EXPECT_DOUBLE_EQ(e.params, p.total);
  EXPECT_DOUBLE_EQ(e.active_params, p.active);
  EXPECT_DOUBLE_EQ(e.training_flops, 6 * p.active * 1e12);
}

// `trainbench comm --model mixtral-8x7b --ep 4` measures the dispatch/combine all-to-all at the
// model's size: b·s·k·d/t elements.
TEST(Moe, CommMeasuresTheModelsAllToAll) {
  const ModelConfig m = load_model("mixtral-8x7b");
  comm::ParallelLayout layout;
  layout.tp = 2;
  layout.dp = 8;
  layout.ep = 4;
  layout.seq_len = 4096;
  bool found = false, expert_grads = false;
  for (const auto& msg : comm::model_messages(m, layout, DType::BF16)) {
    if (msg.name == "ep.alltoall") {
      found = true;
      EXPECT_EQ(msg.collective, comm::Collective::AllToAll);
      EXPECT_EQ(msg.bytes, 4096LL * 2 * 4096 * 2 / 2);
      EXPECT_EQ(msg.group_ranks, 4);
    }
    if (msg.name == "ep.grad_bucket") {
      expert_grads = true;
      EXPECT_EQ(msg.group_ranks, 2);  // the 8 replicas hold each expert twice
    }
    if (msg.name == "dp.grad_bucket") EXPECT_NE(msg.why.find("non-expert"), std::string::npos) << msg.why;
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(expert_grads);
  layout.ep = 1;
  for (const auto& msg : comm::model_messages(m, layout, DType::BF16)) EXPECT_NE(msg.name, "ep.alltoall");
}

TEST(Moe, SearchTriesExpertSplitsDividingTheExperts) {
  EXPECT_EQ(expert_sizes(load_model("mixtral-8x7b")), (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(expert_sizes(load_model("dbrx")), (std::vector<int64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(expert_sizes(load_model("llama3-8b")), (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace tb
