// Random device fills from the hash in memory_ops_math.hpp: no cuRAND dependency, and the same
// (seed, index) → value map that the CPU kernels use.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ inline void store(__half* p, float v) { *p = __float2half_rn(v); }
__device__ inline void store(__nv_fp8_e4m3* p, float v) { *p = __nv_fp8_e4m3(v); }  // saturating, RN
__device__ inline void store(__nv_fp8_e5m2* p, float v) { *p = __nv_fp8_e5m2(v); }  // saturating, RN

template <typename T>
__global__ void fill_kernel(T* out, int64_t count, uint64_t seed, float offset, float scale) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
    store(out + i, offset + scale * memops::hash_uniform(seed, static_cast<uint64_t>(i)));
}

}  // namespace

void fill_uniform(void* dev, Storage s, int64_t count, uint64_t seed, float offset, float scale, cudaStream_t stream) {
  if (count <= 0) return;
  const int threads = 256;
  const int64_t wanted = (count + threads - 1) / threads;
  const int blocks = static_cast<int>(wanted < 65536 ? wanted : 65536);
  switch (s) {
    case Storage::F32: fill_kernel<<<blocks, threads, 0, stream>>>(static_cast<float*>(dev), count, seed, offset, scale); break;
    case Storage::BF16: fill_kernel<<<blocks, threads, 0, stream>>>(static_cast<__nv_bfloat16*>(dev), count, seed, offset, scale); break;
    case Storage::F16: fill_kernel<<<blocks, threads, 0, stream>>>(static_cast<__half*>(dev), count, seed, offset, scale); break;
    case Storage::E4M3: fill_kernel<<<blocks, threads, 0, stream>>>(static_cast<__nv_fp8_e4m3*>(dev), count, seed, offset, scale); break;
    case Storage::E5M2: fill_kernel<<<blocks, threads, 0, stream>>>(static_cast<__nv_fp8_e5m2*>(dev), count, seed, offset, scale); break;
  }
  TB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tb::kernels::cuda
