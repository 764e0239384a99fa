#include "harness/model/flop_formulas.hpp"

#include "harness/common/units.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::formulas {

double training_flops_6nd(double params, double tokens) { return 6.0 * params * tokens; }

double pf_days(double flops) { return flops / units::kFlopPerPfDay; }

double palm_flops_per_token(double params, int64_t layers, int64_t hidden, int64_t seq) {
  return 6.0 * params + 12.0 * static_cast<double>(layers) * static_cast<double>(hidden) *
                            static_cast<double>(seq);
}

double megatron_flops_per_iteration(int64_t batch, int64_t seq, int64_t layers, int64_t hidden,
                                    int64_t vocab) {
  const double B = batch, s = seq, L = layers, d = hidden, V = vocab;
  return 96.0 * B * s * L * d * d * (1.0 + s / (6.0 * d) + V / (16.0 * L * d));
}

double megatron_training_seconds(double tokens, double params, double gpus, double flops_per_gpu) {
  return 8.0 * tokens * params / (gpus * flops_per_gpu);
}

PerTokenFlops flops_per_token(const ModelConfig& m, int64_t seq) {
  const ParameterCount p = count_parameters(m);
  const double logits_weights = static_cast<double>(m.vocab) * static_cast<double>(m.hidden);
  const double layer_weights = p.matmul_weights - logits_weights;
  PerTokenFlops f;
  f.gemm_forward = 2.0 * p.matmul_weights;
  // 2·s per head for QKᵀ over the query/key width, 2·s for PV over the value width; unmasked
  // (PaLM appendix B's 12·L·d·s with the backward): the mask is the kernel's saving, not the model's.
  f.attention_forward = 4.0 * static_cast<double>(m.layers) * static_cast<double>(seq) *
                        static_cast<double>(m.heads) * m.attention_dim();
  f.model = 3.0 * (f.gemm_forward + f.attention_forward);
  f.selective = f.model + f.attention_forward;
  f.full = f.model + 2.0 * layer_weights + f.attention_forward;
  return f;
}

}  // namespace tb::formulas
