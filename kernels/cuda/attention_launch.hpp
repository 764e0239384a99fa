#pragma once
// Host-side interface of our attention CUDA kernels (attention_fwd.cu, attention_bwd.cu) and
// the unfused cuBLAS baseline (attention_unfused.cu). Layouts as kernels/cpu/attention_reference.hpp:
// Q, O, dO, dQ [batch, seq, heads, head_dim]; K, V, dK, dV [batch, seq, kv_heads, head_dim];
// LSE and the D term [batch, heads, seq] fp32.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace tb::kernels::cuda::attention {

enum class ElementType { BF16, FP16 };

struct AttentionParams {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;
  // backward
  const void* dout = nullptr;
  float* d_term = nullptr;    // [batch, heads, seq] scratch: rowsum(dO ∘ O)
  float* dq_accum = nullptr;  // [batch, seq, heads, head_dim] fp32 scratch for the atomics
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  int64_t batch = 0, heads = 0, kv_heads = 0, seq = 0;
  int head_dim = 0;
  bool causal = false;
  float softmax_scale = 0;
};

// Head dimensions the fused kernels are instantiated for (others: UnsupportedError naming them).
bool fused_head_dim_supported(int head_dim);

// Fused forward: O and LSE. Throws tb::RuntimeError on a launch failure.
void launch_attention_forward(const AttentionParams& p, ElementType type, cudaStream_t stream);
// Fused forward on wgmma (sm_90a, H100/H200 only): O and LSE, as launch_attention_forward.
// Callers check wgmma_unavailable_reason() once first ("" when this build and GPU can run it).
void launch_attention_forward_wgmma(const AttentionParams& p, ElementType type, cudaStream_t stream);
std::string wgmma_unavailable_reason();
// Fused backward: needs q, k, v, o, lse, dout; writes dq, dk, dv (zeroes its own scratch).
void launch_attention_backward(const AttentionParams& p, ElementType type, cudaStream_t stream);

}  // namespace tb::kernels::cuda::attention
