#pragma once
// Device helpers of the fused attention kernels: the two tensor-core instructions (PTX inline
// assembly, sm_80+), bf16/fp16 packing, quad reductions and tile loads into padded shared memory.
// Fragment indices never appear here: they come from kernels/common/warp_model.hpp, the maps
// the CPU warp-model tests check.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/common/attention_math.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cuda/attention_launch.hpp"

namespace tb::kernels::cuda::attention {

// Shared-memory rows are padded by 8 elements (16 bytes): ldmatrix's eight row addresses then
// fall in distinct bank groups (row stride 36 or 68 words), and stay 16-byte aligned.
template <int D>
inline constexpr int kSmemStride = D + 8;

__device__ inline uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16 (PTX ISA, "ldmatrix").
__device__ inline void ldmatrix_x4(uint32_t (&r)[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr)));
}
__device__ inline void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr)));
}

// mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}: c += a·b, fp32 accumulation.
template <typename T>
__device__ inline void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);
template <>
__device__ inline void mma_16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ inline void mma_16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats into one .b32 register of two 16-bit values, the lower-indexed element in the low half.
template <typename T>
__device__ inline uint32_t pack2(float lo, float hi);
template <>
__device__ inline uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
template <>
__device__ inline uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

template <typename T>
__device__ inline T from_float(float x);
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ inline __half from_float<__half>(float x) { return __float2half_rn(x); }

struct ToFloat {
  __device__ float operator()(__nv_bfloat16 x) const { return __bfloat162float(x); }
  __device__ float operator()(__half x) const { return __half2float(x); }
};

// The four lanes of a quad hold one accumulator row between them (warp_model.hpp).
__device__ inline float quad_max(float x) {
  x = tb::kernels::attn::max_nan(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return tb::kernels::attn::max_nan(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Copies rows [row0, row0 + ROWS) of a [.., seq, .., D] tensor (row stride `stride` elements)
// into padded shared memory with 16-byte loads; rows past `seq` become zeros, so that masked
// products read 0, never stale or NaN data.
template <typename T, int D, int ROWS, int THREADS>
__device__ inline void load_tile(T* smem, const T* base, int64_t stride, int64_t row0, int64_t seq) {
  constexpr int kChunks = D / 8;  // 8 x 16-bit per 16-byte chunk
  for (int c = threadIdx.x; c < ROWS * kChunks; c += THREADS) {
    const int r = c / kChunks, col = (c % kChunks) * 8;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (row0 + r < seq) val = *reinterpret_cast<const uint4*>(base + (row0 + r) * stride + col);
    *reinterpret_cast<uint4*>(smem + r * kSmemStride<D> + col) = val;
  }
}

// Every fused pass is instantiated for element type × head dim {64, 128} × causal: 8 kernels.
// `launch` is a lambda templated as <typename T, int D, bool CAUSAL>; callers have checked the
// head dim with fused_head_dim_supported().
template <typename Launch>
void for_variant(const AttentionParams& p, ElementType type, const Launch& launch) {
  auto with_type = [&]<typename T>() {
    if (p.head_dim == 64) {
      if (p.causal) launch.template operator()<T, 64, true>();
      else launch.template operator()<T, 64, false>();
    } else {
      if (p.causal) launch.template operator()<T, 128, true>();
      else launch.template operator()<T, 128, false>();
    }
  };
  if (type == ElementType::BF16) with_type.template operator()<__nv_bfloat16>();
  else with_type.template operator()<__half>();
}

}  // namespace tb::kernels::cuda::attention
