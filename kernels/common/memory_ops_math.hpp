#pragma once
// The math of every memory-bound op of a training step, per element or per row, in fp32.
// Storage may be bf16/fp16; compute is always fp32, as in llm.c and Megatron's fused kernels.
// The CPU kernels (kernels/cpu/memory_kernel.cpp) and the CUDA kernels (kernels/cuda/
// memory_kernels.cu) both call these functions; kernels/cpu/memory_ops_reference.cpp is an
// independent fp64 rewrite that the tests compare against.
//
// Row reductions use mergeable partial states (Welford/Chan for mean-variance, the online
// softmax of Milakov & Gimelshein 2018 for max/sum) so that a CUDA block can let each thread
// fold its strided elements and then combine the partials: one pass over the row.
#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.hpp"

namespace tb::kernels::memops {

inline constexpr float kNormEpsilon = 1e-5f;  // PyTorch's LayerNorm default; Megatron uses the same

// ---- mean and variance: Welford's update, Chan et al. (1979) parallel combine ----
struct MeanVar {
  float count = 0;
  float mean = 0;
  float m2 = 0;  // sum of squared deviations from the mean
};
TB_HD inline void update(MeanVar& s, float x) {
  s.count += 1.0f;
  const float delta = x - s.mean;
  s.mean += delta / s.count;
  s.m2 += delta * (x - s.mean);
}
TB_HD inline MeanVar combine(const MeanVar& a, const MeanVar& b) {
  if (a.count == 0) return b;
  if (b.count == 0) return a;
  MeanVar r;
  r.count = a.count + b.count;
  const float delta = b.mean - a.mean;
  r.mean = a.mean + delta * (b.count / r.count);
  r.m2 = a.m2 + b.m2 + delta * delta * (a.count * b.count / r.count);
  return r;
}
// Population variance (divide by n), as LayerNorm defines it (Ba et al. 2016).
TB_HD inline float rstd_of(const MeanVar& s, float eps = kNormEpsilon) {
  return 1.0f / sqrtf(s.m2 / s.count + eps);
}

// ---- LayerNorm: y = (x − μ)·rstd·γ + β ----
TB_HD inline float layernorm_forward(float x, float mean, float rstd, float gamma, float beta) {
  return (x - mean) * rstd * gamma + beta;
}
// Backward, with x̂ = (x − μ)·rstd and g = dy·γ:  dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
// The two row means are the reduction; `sum_g` = Σg and `sum_gx` = Σg·x̂ over the row of n.
TB_HD inline float layernorm_backward(float x, float dy, float mean, float rstd, float gamma, float sum_g,
                                      float sum_gx, float n) {
  const float xhat = (x - mean) * rstd;
  return rstd * (dy * gamma - sum_g / n - xhat * sum_gx / n);
}

// ---- RMSNorm (Zhang & Sennrich 2019): y = x·rstd·γ, rstd = 1/√(mean(x²) + ε) ----
TB_HD inline float rmsnorm_rstd(float sum_sq, float n, float eps = kNormEpsilon) {
  return 1.0f / sqrtf(sum_sq / n + eps);
}
TB_HD inline float rmsnorm_forward(float x, float rstd, float gamma) { return x * rstd * gamma; }
// dx = rstd·(g − x̂·mean(g·x̂)), x̂ = x·rstd, g = dy·γ; `sum_gx` = Σg·x̂.
TB_HD inline float rmsnorm_backward(float x, float dy, float rstd, float gamma, float sum_gx, float n) {
  const float xhat = x * rstd;
  return rstd * (dy * gamma - xhat * sum_gx / n);
}

// ---- GeLU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 and Megatron use ----
inline constexpr float kGeluSqrt2OverPi = 0.7978845608028654f;
inline constexpr float kGeluCubic = 0.044715f;
TB_HD inline float gelu_forward(float x) {
  const float inner = kGeluSqrt2OverPi * (x + kGeluCubic * x * x * x);
  return 0.5f * x * (1.0f + tanhf(inner));
}
// d/dx: 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(inner).
TB_HD inline float gelu_backward(float x, float dy) {
  const float inner = kGeluSqrt2OverPi * (x + kGeluCubic * x * x * x);
  const float t = tanhf(inner);
  const float dinner = kGeluSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
  return dy * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dinner);
}

// ---- SwiGLU (Shazeer 2020): h = silu(gate)·up, silu(g) = g·σ(g) ----
TB_HD inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
TB_HD inline float swiglu_forward(float gate, float up) { return gate * sigmoid(gate) * up; }
// dgate = dh·up·σ(g)·(1 + g·(1 − σ(g))),  dup = dh·silu(g).
struct SwiGluGrad {
  float dgate;
  float dup;
};
TB_HD inline SwiGluGrad swiglu_backward(float gate, float up, float dh) {
  const float s = sigmoid(gate);
  return {dh * up * s * (1.0f + gate * (1.0f - s)), dh * gate * s};
}

// ---- residual add ----
TB_HD inline float residual_add(float a, float b) { return a + b; }

// ---- softmax cross-entropy over a row of logits, fused forward + backward ----
// Online softmax (Milakov & Gimelshein 2018): one pass keeps the running max m and the sum
// s = Σ e^(z − m), rescaling s whenever m grows; partial states combine the same way.
struct OnlineSoftmax {
  float max = -INFINITY;
  float sum = 0;
};
TB_HD inline void update(OnlineSoftmax& s, float z) {
  if (z == -INFINITY) return;  // a masked logit adds e^-inf = 0 (and expf(-inf - -inf) would be NaN)
  if (z > s.max) {
    s.sum = s.sum * expf(s.max - z) + 1.0f;  // expf(−inf) = 0 on the first element
    s.max = z;
  } else {
    s.sum += expf(z - s.max);
  }
}
TB_HD inline OnlineSoftmax combine(const OnlineSoftmax& a, const OnlineSoftmax& b) {
  if (a.sum == 0) return b;
  if (b.sum == 0) return a;
  const float m = a.max > b.max ? a.max : b.max;
  return {m, a.sum * expf(a.max - m) + b.sum * expf(b.max - m)};
}
// loss = −log softmax(z)_target = log s + m − z_target.
TB_HD inline float cross_entropy_loss(const OnlineSoftmax& s, float z_target) {
  return logf(s.sum) + s.max - z_target;
}
// dz_j = dloss·(softmax_j − [j = target]); the gradient of a row sums to zero.
TB_HD inline float cross_entropy_grad(const OnlineSoftmax& s, float z, bool is_target, float dloss) {
  const float p = expf(z - s.max) / s.sum;
  return dloss * (p - (is_target ? 1.0f : 0.0f));
}

// ---- deterministic inputs: a hash, so CPU and GPU fill the same values without cuRAND ----
// splitmix64 finalizer (Steele et al. 2014); maps (seed, index) to a uniform float in [-1, 1).
TB_HD inline float hash_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;  // 24 random bits
}
// Cross-entropy targets: one class per row, in [0, cols).
TB_HD inline int64_t hash_target(uint64_t seed, int64_t row, int64_t cols) {
  const float u = 0.5f * (hash_uniform(seed ^ 0x7461726765747321ull, static_cast<uint64_t>(row)) + 1.0f);
  int64_t t = static_cast<int64_t>(u * static_cast<float>(cols));
  return t >= cols ? cols - 1 : t;
}

}  // namespace tb::kernels::memops
