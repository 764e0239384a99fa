#include "harness/model/parameter_count.hpp"

namespace tb {

ParameterCount count_parameters(const ModelConfig& m) {
  const double d = static_cast<double>(m.hidden);
  const double q_width = static_cast<double>(m.heads * m.head_dim);
  const double kv_width = static_cast<double>(m.kv_heads * m.head_dim);
  const double f = static_cast<double>(m.ffn_hidden);
  const double v = static_cast<double>(m.vocab);
  const double bias = m.biases ? 1.0 : 0.0;
  // LayerNorm has a gain and a bias per channel; RMSNorm only a gain.
  const double norm_params = m.norm == NormKind::LayerNorm ? 2.0 * d : d;

  ParameterCount p;
  double attention_weights = d * q_width + 2.0 * d * kv_width + q_width * d;
  p.attention_per_layer = attention_weights + bias * (q_width + 2.0 * kv_width + d);
  if (m.mla) {
    // DeepSeek-V2 §2.1: W_DQ, W_UQ (or one W_Q), W_DKV with the shared rotary key W_KR, W_UK and
    // W_UV (one kv_lora × h·(nope + v) matrix), W_O; RMSNorm gains on the two latents.
    const MlaConfig& a = *m.mla;
    const double h = static_cast<double>(m.heads);
    const double q_lora = static_cast<double>(a.q_lora_rank);
    const double kv_lora = static_cast<double>(a.kv_lora_rank);
    const double query = a.q_lora_rank > 0 ? d * q_lora + q_lora * q_width : d * q_width;
    const double key_value = d * (kv_lora + static_cast<double>(a.qk_rope_head_dim)) +
                             kv_lora * h * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim);
    const double output = h * static_cast<double>(a.v_head_dim) * d;
    attention_weights = query + key_value + output;
    p.attention_per_layer = attention_weights + q_lora + kv_lora + bias * (q_width + d);
    p.tp_replicated_per_layer = (a.q_lora_rank > 0 ? d * q_lora + q_lora : 0.0) +
                                d * (kv_lora + static_cast<double>(a.qk_rope_head_dim)) + kv_lora;
  }
  const double mlp_matrices = m.mlp == MlpKind::Gelu ? 2.0 : 3.0;  // SwiGLU adds a gate
  const double mlp_weights = mlp_matrices * d * f;
  p.mlp_per_layer = mlp_weights + bias * ((mlp_matrices - 1.0) * f + d);
  p.norms_per_layer = 2.0 * norm_params;
  p.per_layer = p.attention_per_layer + p.mlp_per_layer + p.norms_per_layer;
  // Megatron-LM's tensor ranks each hold the norms whole, and the biases of the row-parallel
  // projections (attention output, MLP down), added once after their all-reduce.
  p.tp_replicated_per_layer += p.norms_per_layer + bias * 2.0 * d;

  double moe_matmul_weights = 0;  // per MoE layer, as one token sees it
  double inactive_per_moe_layer = 0;
  if (m.moe) {
    const double fe = static_cast<double>(m.moe->expert_ffn_hidden);
    const double experts = static_cast<double>(m.moe->experts);
    const double k = static_cast<double>(m.moe->experts_per_token);
    const double shared = static_cast<double>(m.moe->shared_experts);
    const double expert_weights = mlp_matrices * d * fe;
    p.expert_mlp = expert_weights + bias * ((mlp_matrices - 1.0) * fe + d);
    p.router_per_layer = d * experts;
    p.tp_replicated_per_moe_layer = p.tp_replicated_per_layer + p.router_per_layer;
    p.routed_experts_per_layer = experts * p.expert_mlp;
    p.per_moe_layer = p.attention_per_layer + p.router_per_layer + (experts + shared) * p.expert_mlp +
                      p.norms_per_layer;
    moe_matmul_weights = attention_weights + p.router_per_layer + (k + shared) * expert_weights;
    inactive_per_moe_layer = (experts - k) * p.expert_mlp;
  }

  p.embeddings = v * d + (m.position == PositionKind::Learned ? static_cast<double>(m.seq_len) * d : 0.0);
  p.output_head = m.tied_embeddings ? 0.0 : v * d;
  p.final_norm = norm_params;

  const double dense_layers = static_cast<double>(m.dense_mlp_layers());
  const double moe_layers = static_cast<double>(m.moe_layers());
  p.non_embedding = dense_layers * p.per_layer + moe_layers * p.per_moe_layer + p.final_norm;
  p.total = p.non_embedding + p.embeddings + p.output_head;
  p.active = p.total - moe_layers * inactive_per_moe_layer;
  // With the final norm and learned positions (Megatron's position embedding is not split).
  p.tp_replicated = dense_layers * p.tp_replicated_per_layer + moe_layers * p.tp_replicated_per_moe_layer +
                    p.final_norm + (p.embeddings - v * d);
  p.matmul_weights = dense_layers * (attention_weights + mlp_weights) + moe_layers * moe_matmul_weights + v * d;
  return p;
}

GpuParams params_per_gpu(const ModelConfig& model, int64_t tp, int64_t pp, int64_t ep) {
  const ParameterCount p = count_parameters(model);
  const double t = static_cast<double>(tp), stages = static_cast<double>(pp);
  const double experts = p.routed_experts_per_layer * static_cast<double>(model.moe_layers());
  GpuParams g;
  g.experts = experts / (t * stages * static_cast<double>(ep));
  g.shared = (p.total - experts - p.tp_replicated) / (t * stages) + p.tp_replicated / stages;
  return g;
}

}  // namespace tb
