// Unfused attention baseline (see attention_unfused.hpp): cuBLAS batched GEMMs around
// softmax kernels that read and write s×s matrices in device memory.
#include "kernels/cuda/attention_unfused.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/memory_device.cuh"

namespace tb::kernels::cuda::attention {
namespace {

// One block per row of S, as the memory-bound kernels: their block reduction serves here, with
// the row max and the row sum as mergeable states (a NaN score poisons the max, as in the fused
// kernels).
constexpr int kRowThreads = memdev::kRowThreads;
struct RowMax {
  float v = -INFINITY;
};
TB_HD inline RowMax combine(const RowMax& a, const RowMax& b) { return {tb::kernels::attn::max_nan(a.v, b.v)}; }
struct RowSum {
  float v = 0.f;
};
TB_HD inline RowSum combine(const RowSum& a, const RowSum& b) { return {a.v + b.v}; }

// Elements between consecutive (batch, head) s×s matrices: seq² rounded up to 64, so that every
// matrix pointer in the cuBLAS pointer arrays is 128-byte aligned. cuBLAS cannot see the
// alignment of pointers stored in device memory (its batched-GEMM docs require them "properly
// aligned to avoid misaligned memory access errors"; onnxruntime#16130 hit exactly that on
// sm_80+): packed at n·seq², the bf16 P/dS matrices for seq = 77 or 130 would start only 2- or
// 8-byte aligned.
inline int64_t matrix_stride(int64_t seq) { return (seq * seq + 63) / 64 * 64; }

// One block per row of S (already scaled): P = softmax with the causal mask, LSE saved.
template <typename T>
__global__ void softmax_forward(const float* S, T* P, float* lse, int64_t seq, int64_t mat_stride, bool causal) {
  const int64_t row = blockIdx.x, n = row / seq, i = row % seq;  // row = (batch·heads + head)·seq + i
  const float* s = S + n * mat_stride + i * seq;
  T* prow = P + n * mat_stride + i * seq;
  const int64_t end = causal ? i + 1 : seq;
  RowMax lane_max;
  for (int64_t j = threadIdx.x; j < end; j += blockDim.x) lane_max = combine(lane_max, RowMax{s[j]});
  const float mx = memdev::block_reduce(lane_max).v;
  RowSum lane_sum;
  for (int64_t j = threadIdx.x; j < end; j += blockDim.x) lane_sum.v += __expf(s[j] - mx);
  const float sum = memdev::block_reduce(lane_sum).v;
  const float inv = 1.f / sum;
  for (int64_t j = threadIdx.x; j < seq; j += blockDim.x)
    prow[j] = from_float<T>(j < end ? __expf(s[j] - mx) * inv : 0.f);
  if (threadIdx.x == 0) lse[row] = mx + logf(sum);  // LSE is [batch, heads, seq]: the same index
}

// dS = scale · P ∘ (dP − rowsum(P ∘ dP)), one block per row.
template <typename T>
__global__ void softmax_backward(const T* P, const float* dP, T* dS, int64_t seq, int64_t mat_stride, float scale) {
  const int64_t row = blockIdx.x, off = (row / seq) * mat_stride + (row % seq) * seq;  // see matrix_stride
  const T* p = P + off;
  const float* dp = dP + off;
  RowSum lane_d;
  for (int64_t j = threadIdx.x; j < seq; j += blockDim.x) lane_d.v += ToFloat{}(p[j]) * dp[j];
  const float d = memdev::block_reduce(lane_d).v;
  for (int64_t j = threadIdx.x; j < seq; j += blockDim.x)
    dS[off + j] = from_float<T>(scale * ToFloat{}(p[j]) * (dp[j] - d));
}

// dK[b, s, g, :] = Σ over the group's query heads of the per-query-head fp32 gradients.
template <typename T>
__global__ void reduce_group(const float* expanded, T* out, int64_t rows, int64_t heads, int64_t kv_heads, int d) {
  const int64_t n = rows * kv_heads * d, group = heads / kv_heads;
  for (int64_t x = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; x < n;
       x += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = x % d, g = (x / d) % kv_heads, r = x / (d * kv_heads);
    float acc = 0.f;
    for (int64_t k = 0; k < group; ++k) acc += expanded[(r * heads + g * group + k) * d + c];
    out[x] = from_float<T>(acc);
  }
}

enum Array { kQ, kK, kV, kS, kP, kO, kDO, kDP, kDS, kDQ, kDKx, kDVx, kArrays };

}  // namespace

struct UnfusedAttention::Impl {
  AttentionParams p;
  ElementType type;
  bool backward;
  cudaStream_t stream;
  cublasHandle_t handle = nullptr;
  cudaDataType_t dt;
  int64_t batch_count;
  DeviceBuffer s, pm, dp, ds, dk_exp, dv_exp, ptrs;

  void** arr(Array a) const { return ptrs.as<void*>() + a * batch_count; }

  // Row-major C[M×N] = op(A)·op(B) as cuBLAS's column-major Cᵀ = op(B)ᵀ·op(A)ᵀ.
  void gemm(bool ta, bool tb, int m, int n, int k, float alpha, Array a, cudaDataType_t at, int lda, Array b,
            cudaDataType_t bt, int ldb, float beta, Array c, cudaDataType_t ct, int ldc) {
    TB_CUBLAS_CHECK(cublasGemmBatchedEx(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                                        &alpha, arr(b), bt, ldb, arr(a), at, lda, &beta, arr(c), ct, ldc,
                                        static_cast<int>(batch_count), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
};

double UnfusedAttention::scratch_bytes(const AttentionParams& p, ElementType, bool backward) {
  const double bh = static_cast<double>(p.batch * p.heads), ss = static_cast<double>(matrix_stride(p.seq));
  double bytes = bh * ss * (4 + 2);  // S fp32, P
  if (backward) bytes += bh * ss * (4 + 2) + 2.0 * 4 * p.batch * p.seq * p.heads * p.head_dim;
  return bytes;
}

UnfusedAttention::UnfusedAttention(const AttentionParams& p, ElementType type, bool backward, cudaStream_t stream)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.p = p, m.type = type, m.backward = backward, m.stream = stream;
  m.dt = type == ElementType::BF16 ? CUDA_R_16BF : CUDA_R_16F;
  m.batch_count = p.batch * p.heads;
  const size_t ss = static_cast<size_t>(matrix_stride(p.seq)) * static_cast<size_t>(m.batch_count);
  m.s = DeviceBuffer(ss * 4);
  m.pm = DeviceBuffer(ss * 2);
  const size_t q_elems = static_cast<size_t>(p.batch * p.seq * p.heads * p.head_dim);
  if (backward) {
    m.dp = DeviceBuffer(ss * 4);
    m.ds = DeviceBuffer(ss * 2);
    m.dk_exp = DeviceBuffer(q_elems * 4);
    m.dv_exp = DeviceBuffer(q_elems * 4);
  }
  // Per (batch, head) matrix pointers; K/V heads repeat for the query heads of their group.
  std::vector<void*> host(kArrays * m.batch_count, nullptr);
  const int64_t d = p.head_dim, group = p.heads / p.kv_heads, ss1 = matrix_stride(p.seq);
  auto at = [&](const void* base, int64_t elem_offset, int bytes) {
    return static_cast<void*>(static_cast<char*>(const_cast<void*>(base)) + elem_offset * bytes);
  };
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t n = b * p.heads + h, g = h / group;
      const int64_t qoff = (b * p.seq * p.heads + h) * d, kvoff = (b * p.seq * p.kv_heads + g) * d;
      host[kQ * m.batch_count + n] = at(p.q, qoff, 2);
      host[kK * m.batch_count + n] = at(p.k, kvoff, 2);
      host[kV * m.batch_count + n] = at(p.v, kvoff, 2);
      host[kO * m.batch_count + n] = at(p.o, qoff, 2);
      host[kS * m.batch_count + n] = at(m.s.get(), n * ss1, 4);
      host[kP * m.batch_count + n] = at(m.pm.get(), n * ss1, 2);
      if (backward) {
        host[kDO * m.batch_count + n] = at(p.dout, qoff, 2);
        host[kDP * m.batch_count + n] = at(m.dp.get(), n * ss1, 4);
        host[kDS * m.batch_count + n] = at(m.ds.get(), n * ss1, 2);
        host[kDQ * m.batch_count + n] = at(p.dq, qoff, 2);
        host[kDKx * m.batch_count + n] = at(m.dk_exp.get(), qoff, 4);
        host[kDVx * m.batch_count + n] = at(m.dv_exp.get(), qoff, 4);
      }
    }
  }
  m.ptrs = DeviceBuffer(host.size() * sizeof(void*));
  // On `stream`, which the batched GEMMs read it from (the legacy stream a plain cudaMemcpy uses
  // does not order our non-blocking stream), and waited for: `host` is a local.
  TB_CUDA_CHECK(cudaMemcpyAsync(m.ptrs.get(), host.data(), host.size() * sizeof(void*), cudaMemcpyHostToDevice, stream));
  wait_for_stream(stream, "unfused attention's pointer table");
  TB_CUBLAS_CHECK(cublasCreate(&m.handle));
  TB_CUBLAS_CHECK(cublasSetStream(m.handle, stream));
}

UnfusedAttention::~UnfusedAttention() {
  // cublasDestroy synchronizes the device, which never goes idle behind a hung kernel.
  if (impl_ && impl_->handle && !device_hung()) cublasDestroy(impl_->handle);
}

void UnfusedAttention::forward() {
  Impl& m = *impl_;
  const auto& p = m.p;
  const int s = static_cast<int>(p.seq), d = p.head_dim;
  const int ldq = static_cast<int>(p.heads * d), ldk = static_cast<int>(p.kv_heads * d);
  m.gemm(false, true, s, s, d, p.softmax_scale, kQ, m.dt, ldq, kK, m.dt, ldk, 0.f, kS, CUDA_R_32F, s);
  const unsigned rows = static_cast<unsigned>(m.batch_count * p.seq);
  if (m.type == ElementType::BF16)
    softmax_forward<__nv_bfloat16><<<rows, kRowThreads, 0, m.stream>>>(m.s.as<float>(), m.pm.as<__nv_bfloat16>(),
                                                                       p.lse, p.seq, matrix_stride(p.seq), p.causal);
  else
    softmax_forward<__half><<<rows, kRowThreads, 0, m.stream>>>(m.s.as<float>(), m.pm.as<__half>(), p.lse, p.seq,
                                                                matrix_stride(p.seq), p.causal);
  TB_CUDA_CHECK(cudaGetLastError());
  m.gemm(false, false, s, d, s, 1.f, kP, m.dt, s, kV, m.dt, ldk, 0.f, kO, m.dt, ldq);
}

void UnfusedAttention::backward() {
  Impl& m = *impl_;
  const auto& p = m.p;
  const int s = static_cast<int>(p.seq), d = p.head_dim;
  const int ldq = static_cast<int>(p.heads * d), ldk = static_cast<int>(p.kv_heads * d);
  m.gemm(true, false, s, d, s, 1.f, kP, m.dt, s, kDO, m.dt, ldq, 0.f, kDVx, CUDA_R_32F, ldq);  // dV = Pᵀ·dO
  m.gemm(false, true, s, s, d, 1.f, kDO, m.dt, ldq, kV, m.dt, ldk, 0.f, kDP, CUDA_R_32F, s);   // dP = dO·Vᵀ
  const unsigned rows = static_cast<unsigned>(m.batch_count * p.seq);
  const int64_t kv_rows = p.batch * p.seq;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((kv_rows * p.kv_heads * d + 255) / 256, 1 << 20));
  if (m.type == ElementType::BF16)
    softmax_backward<__nv_bfloat16><<<rows, kRowThreads, 0, m.stream>>>(m.pm.as<__nv_bfloat16>(), m.dp.as<float>(),
                                                                        m.ds.as<__nv_bfloat16>(), p.seq,
                                                                        matrix_stride(p.seq), p.softmax_scale);
  else
    softmax_backward<__half><<<rows, kRowThreads, 0, m.stream>>>(m.pm.as<__half>(), m.dp.as<float>(), m.ds.as<__half>(),
                                                                 p.seq, matrix_stride(p.seq), p.softmax_scale);
  TB_CUDA_CHECK(cudaGetLastError());
  m.gemm(false, false, s, d, s, 1.f, kDS, m.dt, s, kK, m.dt, ldk, 0.f, kDQ, m.dt, ldq);        // dQ = dS·K
  m.gemm(true, false, s, d, s, 1.f, kDS, m.dt, s, kQ, m.dt, ldq, 0.f, kDKx, CUDA_R_32F, ldq);  // dK = dSᵀ·Q
  if (m.type == ElementType::BF16) {
    reduce_group<__nv_bfloat16><<<blocks, 256, 0, m.stream>>>(m.dk_exp.as<float>(), static_cast<__nv_bfloat16*>(p.dk),
                                                              kv_rows, p.heads, p.kv_heads, d);
    reduce_group<__nv_bfloat16><<<blocks, 256, 0, m.stream>>>(m.dv_exp.as<float>(), static_cast<__nv_bfloat16*>(p.dv),
                                                              kv_rows, p.heads, p.kv_heads, d);
  } else {
    reduce_group<__half><<<blocks, 256, 0, m.stream>>>(m.dk_exp.as<float>(), static_cast<__half*>(p.dk), kv_rows,
                                                       p.heads, p.kv_heads, d);
    reduce_group<__half><<<blocks, 256, 0, m.stream>>>(m.dv_exp.as<float>(), static_cast<__half*>(p.dv), kv_rows,
                                                       p.heads, p.kv_heads, d);
  }
  TB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tb::kernels::cuda::attention
