#pragma once
// The memory-bound ops' inner loops over blocks of fp32 values (memory_kernel.cpp cuts rows into
// them), compiled once per x86-64 level (x86-64-v4: AVX-512; x86-64-v3: AVX2; the build's
// baseline, SSE2) and picked by what the CPU runs. The build targets the baseline so that its
// binaries run anywhere, but a polynomial exp there is ~4 wide and without FMA registers: 3x
// (AVX2) and 6x (AVX-512) slower per element (docs/perf/cpu-memory-ops.md). The math is
// memory_ops_math.hpp's; with floating-point contraction off (-ffp-contract=off on tb_kernels_cpu
// and whatever links it, kernels/CMakeLists.txt) and the sums' lanes fixed, every level gives the
// same bits (tests/kernels/test_memory_loops.cpp).
#include <vector>

#include "kernels/common/memory_ops_math.hpp"

namespace tb::kernels::cpu {

// Each loop runs over n elements; pointers into the same block, outputs never overlapping inputs.
struct MemoryLoops {
  const char* isa;  // "x86-64-v4", "x86-64-v3" or "baseline"
  void (*gelu_forward)(const float* x, float* y, int n);
  void (*gelu_backward)(const float* x, const float* dy, float* dx, int n);
  void (*swiglu_forward)(const float* gate, const float* up, float* h, int n);
  void (*swiglu_backward)(const float* gate, const float* up, const float* dh, float* dgate, float* dup, int n);
  void (*residual_add)(const float* a, const float* b, float* y, int n);
  memops::MeanVar (*mean_var)(const float* x, int n);
  float (*sum_of_squares)(const float* x, int n);
  void (*layernorm_forward)(const float* x, const float* gamma, const float* beta, float mean, float rstd, float* y,
                            int n);
  void (*rmsnorm_forward)(const float* x, const float* gamma, float rstd, float* y, int n);
  memops::NormGradSums (*norm_grad_sums)(const float* x, const float* dy, const float* gamma, float centre, float rstd,
                                         int n);
  // sums: the row's Σg and Σg·x̂; cols: the row's length.
  void (*layernorm_backward)(const float* x, const float* dy, const float* gamma, float mean, float rstd,
                             memops::NormGradSums sums, float cols, float* dx, int n);
  void (*rmsnorm_backward)(const float* x, const float* dy, const float* gamma, float rstd, memops::NormGradSums sums,
                           float cols, float* dx, int n);
  memops::OnlineSoftmax (*online_softmax)(const float* z, int n);
  // Every element as a non-target (the caller writes the target's): no index compare inside.
  void (*cross_entropy_grad)(const float* z, memops::OnlineSoftmax s, float dloss, float* dz, int n);
};

// Every level this CPU runs, widest first.
std::vector<const MemoryLoops*> runnable_memory_loops();
// The widest of them: what the kernels use.
const MemoryLoops& memory_loops();

}  // namespace tb::kernels::cpu
