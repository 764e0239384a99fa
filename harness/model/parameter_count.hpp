#pragma once
// Parameter counts computed from the architecture, never typed in.
// Dense GPT (MISSION.md): per layer 12·d² + 13·d, plus V·d + s·d embeddings and a final norm;
// GPT-3 175B gives 174.6 B. The general form below covers grouped-query attention, SwiGLU,
// RMSNorm, no biases and untied embeddings (Llama).
#include <cstdint>

#include "harness/model/model_config.hpp"

namespace tb {

// Mixture of experts: an MoE layer holds the router, every expert and the shared experts, but a
// token passes through the router, its top-k experts and the shared ones only, so `total` (what
// memory holds) and `active` (what FLOPs see: 6 × active × tokens) differ.
struct ParameterCount {
  double attention_per_layer = 0;   // Q, K, V, output projections (+ biases)
  double mlp_per_layer = 0;         // up/gate/down (+ biases) of a dense layer's MLP
  double norms_per_layer = 0;       // two per layer
  double per_layer = 0;             // a dense layer: attention + MLP + norms
  double expert_mlp = 0;            // one expert's MLP (MoE), with expert_ffn_hidden
  double router_per_layer = 0;      // d × experts (MoE)
  double routed_experts_per_layer = 0;  // experts × expert_mlp: what expert parallelism splits
  double per_moe_layer = 0;         // attention + router + routed and shared experts + norms
  // Held whole by every tensor rank, not split (the norms, the row-parallel projections' biases,
  // the MLA down-projections and latent norms, the MoE router): a GPU holds
  // t_replicated + (per_layer - t_replicated)/t of each layer.
  double tp_replicated_per_layer = 0;       // in every layer
  double tp_replicated_per_moe_layer = 0;   // in MoE layers: the above + the router
  double tp_replicated = 0;                 // over all layers, + the final norm and learned positions
  double embeddings = 0;            // token (+ learned position) embeddings
  double output_head = 0;           // untied logits projection; 0 when tied
  double final_norm = 0;
  double total = 0;
  double active = 0;                // per token: total less the experts a token is not routed to
  double non_embedding = 0;         // layers + final norm (Kaplan et al. 2020's N)
  // Weights that take part in a matmul per token: the layers' weight matrices (for MoE the
  // router's and the k routed and the shared experts') plus the logits projection (tied or not).
  // 6 × this × tokens is exactly the GEMM FLOPs of training.
  double matmul_weights = 0;
};

ParameterCount count_parameters(const ModelConfig& model);

// One GPU's weights under t-way tensor, p-way pipeline (an even share of the stages) and e-way
// expert parallelism: what its gradient all-reduces carry. `shared` is replicated over the c·d
// data and context ranks, `experts` (the routed experts) over c·d/e of them. What every tensor
// rank holds whole (MLA's down-projections, the router) counts /p, not /(t·p).
struct GpuParams {
  double shared = 0;
  double experts = 0;
};
GpuParams params_per_gpu(const ModelConfig& model, int64_t tp, int64_t pp, int64_t ep);

}  // namespace tb
