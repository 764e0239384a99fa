#pragma once
// Closed-form FLOP counts from the papers. Tests hold the per-op workload sums to these.
#include <cstdint>

#include "harness/model/model_config.hpp"

namespace tb::formulas {

// Kaplan et al. 2020 / GPT-3 Table D.1: training FLOPs ≈ 6·N·D.
double training_flops_6nd(double params, double tokens);
double pf_days(double flops);

// PaLM (Chowdhery et al. 2022) appendix B: 6·N + 12·L·d·s per token (attention unmasked).
double palm_flops_per_token(double params, int64_t layers, int64_t hidden, int64_t seq);

// Megatron-LM (Narayanan et al. 2021) eq. (3): FLOPs per iteration with full activation
// recomputation, for batch B of sequences of length s: 96·B·s·L·d²·(1 + s/(6d) + V/(16·L·d)).
double megatron_flops_per_iteration(int64_t batch, int64_t seq, int64_t layers, int64_t hidden,
                                    int64_t vocab);
// Megatron-LM eq. (4): end-to-end training time ≈ 8·T·P / (n·X) seconds.
double megatron_training_seconds(double tokens, double params, double gpus, double flops_per_gpu);

// Model FLOPs per token as PaLM appendix B counts them, summed over all tensor-parallel ranks:
// GEMMs 2 FLOPs per matmul weight per pass; attention forward 4·s·(h·dh) per layer, unmasked
// even for a causal model (under MLA the head width is the mean of the query/key and value
// widths); backward 2× forward. Published MFUs (PaLM 46.2%, Megatron-LM, Llama 3's 38–43%) use
// this count, so an --mfu copied from them means the same here. Hardware FLOPs (HFU) are the
// same count plus the forward passes recomputation re-runs. A causal kernel's own `flops` (what
// it really executes, half the s² work) stay halved: harness/workload/op.hpp.
struct PerTokenFlops {
  double gemm_forward = 0;       // 2 × matmul weights (layers + logits)
  double attention_forward = 0;  // over all layers
  double model = 0;              // 3 × (gemm + attention) forward: MFU's numerator
  double selective = 0;          // model + attention forward again
  double full = 0;               // model + every layer's forward again (logits not recomputed)
};
PerTokenFlops flops_per_token(const ModelConfig& model, int64_t seq);

}  // namespace tb::formulas
