#pragma once
// The math of every memory-bound op of a training step, per element or per row, in fp32.
// Storage may be bf16/fp16; compute is always fp32, as in llm.c and Megatron's fused kernels.
// The CPU kernels (kernels/cpu/memory_kernel.cpp) and the CUDA kernels (kernels/cuda/
// memory_kernels.cu) both call these functions; kernels/cpu/memory_ops_reference.cpp is an
// independent fp64 rewrite that the tests compare against.
//
// Row reductions use mergeable partial states (Welford/Chan for mean-variance, the online
// softmax of Milakov & Gimelshein 2018 for max/sum) so that a CUDA block can let each thread
// fold its strided elements and then combine the partials: one pass over the row. A state can
// grow one element at a time (`update`) or a small block at once (`mean_var_of`,
// `online_softmax_of`: two passes over values already in registers or L1, no division or exp
// on a chain from one element to the next), which is what lets the CPU kernels vectorize
// (docs/perf/cpu-memory-ops.md).
#include <cmath>
#include <cstdint>
#include <cstring>

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

// ---- sums over a block ----
// Sixteen running sums, not one: an fp32 accumulator is a chain of dependent adds that the
// compiler may not reorder (no -ffast-math), one add latency per element; independent sums
// vectorize. Sixteen fill one AVX-512 register, two AVX2 or four SSE ones (with eight, the
// AVX-512 loops shuffled register halves and ran at half speed). The lanes are added in a fixed
// order, so the result does not depend on the instruction set.
inline constexpr int kSumLanes = 16;
template <typename Term>
TB_HD inline float lane_sum(int n, Term term) {
  float acc[kSumLanes] = {};
  int i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int l = 0; l < kSumLanes; ++l) acc[l] += term(i + l);
  for (int l = 0; i + l < n; ++l) acc[l] += term(i + l);
  for (int width = kSumLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  return acc[0];
}

// The state of a block of n values, from their mean and then their squared deviations from it
// (the two-pass form, accurate where the one-pass Σx² − n·μ² cancels): what n calls of `update` give, without
// a division per element. n = 0 gives the empty state.
TB_HD inline MeanVar mean_var_of(const float* x, int n) {
  MeanVar s;
  if (n <= 0) return s;
  s.count = static_cast<float>(n);
  s.mean = lane_sum(n, [x](int i) { return x[i]; }) / s.count;
  const float mean = s.mean;
  s.m2 = lane_sum(n, [x, mean](int i) { return (x[i] - mean) * (x[i] - mean); });
  return s;
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

// The backward's two row sums over a block of n: Σg and Σg·x̂, g = dy·γ, x̂ = (x − centre)·rstd
// (centre = μ for LayerNorm, 0 for RMSNorm). Blocks' sums add.
struct NormGradSums {
  float g = 0;
  float gx = 0;
};
TB_HD inline NormGradSums norm_grad_sums(const float* x, const float* dy, const float* gamma, float centre, float rstd,
                                         int n) {
  return {lane_sum(n, [dy, gamma](int i) { return dy[i] * gamma[i]; }),
          lane_sum(n, [=](int i) { return dy[i] * gamma[i] * (x[i] - centre) * rstd; })};
}

// ---- RMSNorm (Zhang & Sennrich 2019): y = x·rstd·γ, rstd = 1/√(mean(x²) + ε) ----
// Σx² over a block of n; blocks' sums add.
TB_HD inline float sum_of_squares(const float* x, int n) {
  return lane_sum(n, [x](int i) { return x[i] * x[i]; });
}
TB_HD inline float rmsnorm_rstd(float sum_sq, float n, float eps = kNormEpsilon) {
  return 1.0f / sqrtf(sum_sq / n + eps);
}
TB_HD inline float rmsnorm_forward(float x, float rstd, float gamma) { return x * rstd * gamma; }
// dx = rstd·(g − x̂·mean(g·x̂)), x̂ = x·rstd, g = dy·γ; `sum_gx` = Σg·x̂.
TB_HD inline float rmsnorm_backward(float x, float dy, float rstd, float gamma, float sum_gx, float n) {
  const float xhat = x * rstd;
  return rstd * (dy * gamma - xhat * sum_gx / n);
}

// ---- e^x in fp32 that a loop of it can vectorize ----
// libm's expf is a call per element (1.5 ns on this project's build machine) and its tanhf
// 13 ns; a branch-free polynomial lets the compiler run four to sixteen at once. Cephes' expf
// (Moshier 1989): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n from the
// exponent bits; relative error within 2e-7 over [-86, 88.72]. Below -86 it returns 0 (the
// true value is under 5e-38), above ln(FLT_MAX) inf, NaN for NaN. On the GPU, expf is already
// a few instructions around the special-function unit's ex2.
inline constexpr float kExpLowest = -86.0f;        // 2^(n-1) below stays a normal float
inline constexpr float kExpHighest = 88.7228317f;  // the largest float x with e^x < FLT_MAX
TB_HD inline float exp_poly(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  float xc = x >= kExpLowest ? x : kExpLowest;  // NaN becomes kExpLowest here: n stays finite
  xc = xc <= kExpHighest ? xc : kExpHighest;
  // n = round(x / ln2) by the 1.5·2^23 trick (round to nearest under the default rounding mode).
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;  // ln2 split in two: r exact
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^(n-1)·2: n reaches 128 just below ln(FLT_MAX), whose 2^n alone would overflow.
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 126) << 23;
  float half_scale;
  std::memcpy(&half_scale, &bits, sizeof half_scale);
  float y = p * half_scale * 2.0f;
  y = x < kExpLowest ? 0.0f : y;
  y = x > kExpHighest ? INFINITY : y;
  return x == x ? y : x;  // NaN in, NaN out
#endif
}

// ---- GeLU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 and Megatron use ----
// Computed as x·σ(2u): 0.5·(1 + tanh(u)) = σ(2u) = 1/(1 + e^(−2u)), the same function with one
// exp instead of a tanh.
inline constexpr float kGeluSqrt2OverPi = 0.7978845608028654f;
inline constexpr float kGeluCubic = 0.044715f;
TB_HD inline float gelu_inner(float x) { return kGeluSqrt2OverPi * (x + kGeluCubic * x * x * x); }
TB_HD inline float gelu_forward(float x) { return x / (1.0f + exp_poly(-2.0f * gelu_inner(x))); }
// d/dx: 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(inner); with
// s = σ(2·inner) = 0.5·(1 + t), 1 − t² = 4·s·(1 − s): s + 2·x·s·(1 − s)·dinner.
TB_HD inline float gelu_backward(float x, float dy) {
  const float s = 1.0f / (1.0f + exp_poly(-2.0f * gelu_inner(x)));
  const float dinner = kGeluSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
  return dy * (s + 2.0f * x * s * (1.0f - s) * dinner);
}

// ---- SwiGLU (Shazeer 2020): h = silu(gate)·up, silu(g) = g·σ(g) ----
TB_HD inline float sigmoid(float x) { return 1.0f / (1.0f + exp_poly(-x)); }
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
    s.sum = s.sum * exp_poly(s.max - z) + 1.0f;  // e^−inf = 0 on the first element
    s.max = z;
  } else {
    s.sum += exp_poly(z - s.max);
  }
}
TB_HD inline OnlineSoftmax combine(const OnlineSoftmax& a, const OnlineSoftmax& b) {
  if (a.sum == 0) return b;
  if (b.sum == 0) return a;
  const float m = a.max > b.max ? a.max : b.max;
  return {m, a.sum * exp_poly(a.max - m) + b.sum * exp_poly(b.max - m)};
}
// The state of a block of n logits: their max, then Σ e^(z − max), what n calls of `update`
// give without a branch per element. Empty or all masked (−inf): the empty state.
TB_HD inline OnlineSoftmax online_softmax_of(const float* z, int n) {
  float lane_max[kSumLanes];
  for (int l = 0; l < kSumLanes; ++l) lane_max[l] = -INFINITY;
  int i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes)
    for (int l = 0; l < kSumLanes; ++l) lane_max[l] = z[i + l] > lane_max[l] ? z[i + l] : lane_max[l];
  for (int l = 0; i + l < n; ++l) lane_max[l] = z[i + l] > lane_max[l] ? z[i + l] : lane_max[l];
  float m = lane_max[0];
  for (int l = 1; l < kSumLanes; ++l) m = lane_max[l] > m ? lane_max[l] : m;
  if (m == -INFINITY) return {};
  return {m, lane_sum(n, [z, m](int k) { return exp_poly(z[k] - m); })};
}
// loss = −log softmax(z)_target = log s + m − z_target.
TB_HD inline float cross_entropy_loss(const OnlineSoftmax& s, float z_target) {
  return logf(s.sum) + s.max - z_target;
}
// dz_j = dloss·(softmax_j − [j = target]); the gradient of a row sums to zero.
TB_HD inline float cross_entropy_grad(const OnlineSoftmax& s, float z, bool is_target, float dloss) {
  const float p = exp_poly(z - s.max) / s.sum;
  return dloss * (p - (is_target ? 1.0f : 0.0f));
}

// ---- AdamW, the optimizer step (Loshchilov & Hutter 2019, decoupled weight decay) ----
// As apex's multi_tensor_adam (ADAM_MODE_1, AdamW) computes it, the kernel of the FusedAdam that
// Megatron-LM and Transformer Engine run: m and v updated, bias-corrected, then
//   w -= lr·(m̂/(√v̂ + ε) + λ·w),
// all in fp32 on the fp32 master weight. Hyper-parameters: GPT-3's (Brown et al. 2020, appendix
// B: β1 0.9, β2 0.95, ε 1e-8, weight decay 0.1; Table 2.1: 175B's learning rate 0.6e-4).
// Megatron exempts biases and norm gains from the decay; the bytes moved are the same.
inline constexpr float kAdamBeta1 = 0.9f;
inline constexpr float kAdamBeta2 = 0.95f;
inline constexpr float kAdamEpsilon = 1e-8f;
inline constexpr float kAdamWeightDecay = 0.1f;
inline constexpr float kAdamLearningRate = 6e-5f;
// One step's constants; the bias corrections 1 − β^t of step t (from 1) computed once on the host.
struct AdamStep {
  float lr = kAdamLearningRate;
  float beta1 = kAdamBeta1;
  float beta2 = kAdamBeta2;
  float epsilon = kAdamEpsilon;
  float weight_decay = kAdamWeightDecay;
  float bias_correction1 = 1;
  float bias_correction2 = 1;
};
inline AdamStep adam_step_at(int64_t step) {
  AdamStep s;
  s.bias_correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(s.beta1), static_cast<double>(step)));
  s.bias_correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(s.beta2), static_cast<double>(step)));
  return s;
}
// One parameter's fp32 master weight w and moments m, v, and its gradient g.
struct AdamState {
  float w;
  float m;
  float v;
};
TB_HD inline AdamState adamw_update(AdamState s, float g, const AdamStep& p) {
  const float m = p.beta1 * s.m + (1.0f - p.beta1) * g;
  const float v = p.beta2 * s.v + (1.0f - p.beta2) * g * g;
  const float denom = sqrtf(v / p.bias_correction2) + p.epsilon;
  const float update = (m / p.bias_correction1) / denom + p.weight_decay * s.w;
  return {s.w - p.lr * update, m, v};
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
