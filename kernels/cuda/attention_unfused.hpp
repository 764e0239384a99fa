#pragma once
// The unfused attention baseline: what a naïve implementation (PyTorch's "math" path) runs.
// Forward: S = scale·Q·Kᵀ (cuBLAS batched GEMM, fp32 out), a softmax kernel with the causal
// mask writing P (storage dtype) and LSE, O = P·V (batched GEMM). Backward, from the saved P:
// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − rowsum(P∘dP))·scale, dQ = dS·K, dK = dSᵀ·Q, then a
// kernel that sums the per-query-head dK, dV of each K/V group (GQA) into the storage dtype.
// Grouped-query attention is handled by repeating each K/V head's pointer for its query heads
// in the GEMMs' pointer arrays. Memory: the s×s matrices S, P (and dP, dS backward) per
// (batch, head) — the cost that fused kernels exist to avoid.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>

#include "kernels/cuda/attention_launch.hpp"

namespace tb::kernels::cuda::attention {

class UnfusedAttention {
 public:
  // Allocates the s×s scratch and pointer arrays for `p` (pointers in `p` must stay valid).
  UnfusedAttention(const AttentionParams& p, ElementType type, bool backward, cudaStream_t stream);
  ~UnfusedAttention();
  UnfusedAttention(const UnfusedAttention&) = delete;
  UnfusedAttention& operator=(const UnfusedAttention&) = delete;

  void forward();
  void backward();  // needs forward() to have run (uses its P)
  // Device bytes this baseline allocates for a shape, to refuse over-memory shapes up front.
  static double scratch_bytes(const AttentionParams& p, ElementType type, bool backward);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tb::kernels::cuda::attention
