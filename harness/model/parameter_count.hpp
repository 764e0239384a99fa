#pragma once
// Parameter counts computed from the architecture, never typed in.
// Dense GPT (MISSION.md): per layer 12·d² + 13·d, plus V·d + s·d embeddings and a final norm;
// GPT-3 175B gives 174.6 B. The general form below covers grouped-query attention, SwiGLU,
// RMSNorm, no biases and untied embeddings (Llama).
#include <cstdint>

#include "harness/model/model_config.hpp"

namespace tb {

struct ParameterCount {
  double attention_per_layer = 0;   // Q, K, V, output projections (+ biases)
  double mlp_per_layer = 0;         // up/gate/down (+ biases)
  double norms_per_layer = 0;       // two per layer
  double per_layer = 0;
  double embeddings = 0;            // token (+ learned position) embeddings
  double output_head = 0;           // untied logits projection; 0 when tied
  double final_norm = 0;
  double total = 0;
  double non_embedding = 0;         // layers + final norm (Kaplan et al. 2020's N)
  // Weights that take part in a matmul per token: the layers' weight matrices plus the logits
  // projection (tied or not). 6 × this × tokens is exactly the GEMM FLOPs of training.
  double matmul_weights = 0;
};

ParameterCount count_parameters(const ModelConfig& model);

}  // namespace tb
