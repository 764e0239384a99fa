#pragma once
// The CPU backend's two attention implementations, fp32:
//  * tiled ("fused"): FlashAttention-2's algorithms over query/key tiles, through the same
//    tile math (kernels/common/attention_math.hpp) that the CUDA kernels run — no s×s matrix;
//  * unfused: what a naïve implementation runs — S = Q·Kᵀ materialised per (batch, head) with
//    OpenBLAS, a softmax over it, O = P·V; the backward rebuilds P from the saved LSE and runs
//    the four GEMMs dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q.
// Layouts as in attention_reference.hpp. Every output element is written (dQ, dK, dV are
// zeroed by the call, not by the caller), so NaN poison before a call proves coverage.
#include <cstdint>

#include "kernels/cpu/attention_reference.hpp"

namespace tb::kernels::cpu {

struct AttentionTiles {
  int64_t block_q = 32;
  int64_t block_k = 32;
};

void tiled_attention_forward(const AttentionProblem& p, const float* q, const float* k, const float* v, float* o,
                             float* lse, AttentionTiles tiles = {});
// Needs the forward's O and LSE.
void tiled_attention_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                              const float* o, const float* lse, const float* dout, float* dq, float* dk, float* dv,
                              AttentionTiles tiles = {});

void unfused_attention_forward(const AttentionProblem& p, const float* q, const float* k, const float* v, float* o,
                               float* lse);
void unfused_attention_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                                const float* lse, const float* dout, float* dq, float* dk, float* dv);

}  // namespace tb::kernels::cpu
