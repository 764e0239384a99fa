#pragma once
// Device helpers of the memory-bound kernels (memory_kernels.cu): fp32 loads and stores of the
// storage types, a block reduction over mergeable states, and 16-byte row chunks.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/common/block_tree_reduce.hpp"
#include "kernels/common/memory_ops_math.hpp"

namespace tb::kernels::cuda {
namespace memdev {

namespace blockred = tb::kernels::blockred;

constexpr int kRowThreads = 256;  // one block per row

__device__ inline float load(const float* p) { return *p; }
__device__ inline float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }
__device__ inline float load(const __half* p) { return __half2float(*p); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ inline void store(__half* p, float v) { *p = __float2half_rn(v); }

struct Sum2 {
  float a = 0, b = 0;
};
__device__ inline Sum2 combine(const Sum2& x, const Sum2& y) { return {x.a + y.a, x.b + y.b}; }
using memops::combine;

// Tree reduction of one state per thread (blockred::tree_phase, which the host tests run);
// every thread gets the block's total. Also the unfused attention baseline's row max and sum.
template <typename S>
__device__ S block_reduce(S local) {
  static_assert(blockred::is_power_of_two(kRowThreads), "the tree halves the block each phase");
  // Raw storage: __shared__ variables cannot have constructors, and the states have initializers.
  __shared__ alignas(S) unsigned char raw[sizeof(S) * kRowThreads];
  S* partial = reinterpret_cast<S*>(raw);
  partial[threadIdx.x] = local;
  __syncthreads();
  for (int s = kRowThreads / 2; s > 0; s /= 2) {
    blockred::tree_phase(partial, static_cast<int>(threadIdx.x), s);
    __syncthreads();
  }
  const S total = partial[0];
  __syncthreads();
  return total;
}

// 16-byte packs: one load instruction per thread per tensor (HOPPER.md: 16-byte accesses,
// coalesced across the warp). cudaMalloc'd buffers are 256-byte aligned.
template <typename T>
struct alignas(16) Pack {
  static constexpr int kSize = 16 / sizeof(T);
  T v[kSize];
};

// A thread's chunk of V consecutive elements of a row, starting at j (a multiple of V): one
// 16-byte load when every row starts 16-byte aligned (`packed`: cols % V == 0), element loads
// otherwise. Elements past the row's end read as 0; callers skip them (j + e < cols).
template <typename T>
struct Chunk {
  static constexpr int V = Pack<T>::kSize;
  float v[V];
  __device__ void load_from(const T* row, int64_t j, int64_t cols, bool packed) {
    if (packed) {
      const Pack<T> p = *reinterpret_cast<const Pack<T>*>(row + j);
#pragma unroll
      for (int e = 0; e < V; ++e) v[e] = load(&p.v[e]);
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) v[e] = j + e < cols ? load(row + j + e) : 0.0f;
    }
  }
  __device__ void store_to(T* row, int64_t j, int64_t cols, bool packed) const {
    if (packed) {
      Pack<T> p;
#pragma unroll
      for (int e = 0; e < V; ++e) store(&p.v[e], v[e]);
      *reinterpret_cast<Pack<T>*>(row + j) = p;
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e)
        if (j + e < cols) store(row + j + e, v[e]);
    }
  }
};

}  // namespace memdev
}  // namespace tb::kernels::cuda
