// Fused attention forward on Hopper's warpgroup MMA (wgmma, sm_90a): `--impl wgmma`.
//
// The FlashAttention-2 schedule of attention_fwd.cu (same tiles, same cp.async overlap, same
// online softmax and epilogue, shared through attention_device.cuh), with both products on
// wgmma instead of mma.sync: the block is one warpgroup (4 warps, 64 query rows = wgmma's M),
//   S  = Q·Kᵀ : m64n64k16, A = Q fragments in registers, B = the K tile in shared memory;
//   O += P·V  : m64n{64,128}k16, A = P straight from the S accumulators, B = Vᵀ in shared memory.
// Both B operands are K-major without swizzle, the one canonical layout the PTX ISA and
// CUTLASS describe identically (kernels/common/wgmma_layout.hpp). K lands in it directly by
// cp.async; V arrives [key][dim] and is transposed per tile with ldmatrix.trans + stmatrix.
// The accumulator and register-A layouts of wgmma equal mma.sync's per warp (16 rows each),
// so the lane-level softmax steps are the ones the host tests run.
//
// What is not here yet (docs/perf/attention.md): TMA loads, warp specialisation, two
// warpgroups ping-ponging softmax against wgmma (FlashAttention-3). Compiled only in an sm_90a
// build; other GPUs are refused on the host.
#include <string>

#include "harness/common/errors.hpp"
#include "kernels/common/wgmma_layout.hpp"
#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/wgmma_device.cuh"

namespace tb::kernels::cuda::attention {
namespace {

namespace wg = tb::kernels::wgmma;

// The mma.sync forward's tiles and warps (attention_fwd_layout.hpp): the shared per-warp steps and
// query offsets this kernel calls assume them.
using tb::kernels::attn::fwd::kBlockK;
using tb::kernels::attn::fwd::kBlockQ;
using tb::kernels::attn::fwd::kThreads;
using tb::kernels::attn::fwd::kWarps;

// Shared memory, byte offsets: Q and V as loaded (padded rows, read by ldmatrix), K and Vᵀ in
// wgmma's K-major core-matrix layout.
template <int D>
struct WgmmaSmem {
  static constexpr int q = 0;
  static constexpr int v = q + kBlockQ * kSmemStride<D> * 2;
  static constexpr int k = v + kBlockK * kSmemStride<D> * 2;
  static constexpr int vt = k + kBlockK * D * 2;
  static constexpr int bytes = vt + D * kBlockK * 2;
  static_assert(v % 128 == 0 && k % 128 == 0 && vt % 128 == 0, "core matrices start 128-byte aligned");
};

// The K tile [key][dim] into its K-major core matrices (rows = keys), 16-byte cp.async chunks;
// keys past `seq` read as zeros.
template <typename T, int D>
__device__ inline void cp_async_k_tile(unsigned char* sK, const T* base, int64_t stride, int64_t row0, int64_t seq) {
  constexpr wg::KMajorTile tile = wg::packed_k_major(D);
  for (int c = threadIdx.x; c < kBlockK * D / 8; c += kThreads) {
    const int r = wg::k_tile_chunk_row(c, D), col = wg::k_tile_chunk_col(c, D);
    const bool valid = row0 + r < seq;
    cp_async_16(sK + wg::k_major_offset(r, col, tile), valid ? base + (row0 + r) * stride + col : base, valid ? 16 : 0);
  }
}

// V (padded rows, [key][dim]) into Vᵀ core matrices (rows = dims), 8×8 blocks per warp.
template <typename T, int D>
__device__ inline void transpose_v_tile(uint32_t sVt_addr, const T* sV, int warp_index, int lane) {
  constexpr wg::KMajorTile tile = wg::packed_k_major(kBlockK);
  constexpr int rounds = (kBlockK / 8) * (D / 8) / (4 * kWarps);
#pragma unroll
  for (int r = 0; r < rounds; ++r) {
    const int block = wg::vt_block(r, warp_index, kWarps, warp::ldmatrix_source_matrix(lane));
    const int row = warp::ldmatrix_source_row(lane);
    uint32_t regs[4];
    ldmatrix_x4_trans(regs, &sV[wg::vt_source_offset(block, row, kBlockK, kSmemStride<D>)]);
    stmatrix_x4(sVt_addr + static_cast<uint32_t>(wg::vt_dest_offset(block, row, kBlockK, tile)), regs);
  }
}

template <typename T, int D, bool CAUSAL>
__global__ void __launch_bounds__(kThreads) attention_fwd_wgmma_kernel(const AttentionParams p) {
#if TB_HAVE_WGMMA
  using L = WgmmaSmem<D>;
  constexpr int NB = kBlockK / 8, DB = D / 8, KC = D / 16;
  constexpr wg::KMajorTile tile_k = wg::packed_k_major(D), tile_vt = wg::packed_k_major(kBlockK);
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw + L::q);
  T* sV = reinterpret_cast<T*>(smem_raw + L::v);
  unsigned char* sK = smem_raw + L::k;
  const uint32_t sK_addr = smem_addr(sK), sVt_addr = smem_addr(smem_raw + L::vt);

  const ForwardBlock<T, D> fb(p, kBlockQ);
  const auto [qt, h, b, q0, row0, q_stride, kv_stride, w, lane, Q, K, V] = fb;

  cp_async_tile<T, D, kBlockQ, kThreads>(sQ, Q, q_stride, q0, p.seq);
  cp_async_k_tile<T, D>(sK, K, kv_stride, 0, p.seq);
  cp_async_commit();
  cp_async_wait_all();
  fence_proxy_async_shared();  // sK is read by wgmma (the async proxy)
  __syncthreads();
  uint32_t qf[KC][4];
  load_q_fragments<T, D>(qf, sQ, w, lane);

  float o[DB][4] = {};
  attn::SoftmaxState state[2];
  const float sl2 = attn::scale_log2(p.softmax_scale);
  const int64_t tiles = attn::key_tile_end(qt, kBlockQ, kBlockK, p.seq, CAUSAL);
  for (int64_t kt = 0; kt < tiles; ++kt) {
    const int64_t k0 = kt * kBlockK;
    cp_async_tile<T, D, kBlockK, kThreads>(sV, V, kv_stride, k0, p.seq);  // flies during S = Q·Kᵀ
    cp_async_commit();

    float s[NB][4] = {};
    fence_accumulators(s);
    wgmma_fence();
#pragma unroll
    for (int kc = 0; kc < KC; ++kc)
      wgmma_rs<T, kBlockK>(s, qf[kc], wg::k_step_descriptor(sK_addr, kc, tile_k), kc > 0 ? 1 : 0);
    wgmma_commit();
    wgmma_wait_all();
    fence_accumulators(s);

    online_softmax_step<NB, DB>(s, o, state, lane, row0, k0, p.seq, CAUSAL, sl2);

    cp_async_wait_all();
    __syncthreads();  // V(kt) has landed, and every warp's S product is done reading sK
    if (kt + 1 < tiles) {
      cp_async_k_tile<T, D>(sK, K, kv_stride, k0 + kBlockK, p.seq);  // flies during the transpose and P·V
      cp_async_commit();
    }
    transpose_v_tile<T, D>(sVt_addr, sV, w, lane);
    fence_proxy_async_shared();
    __syncthreads();  // Vᵀ complete

    uint32_t pa[NB / 2][4];
#pragma unroll
    for (int kk = 0; kk < NB / 2; ++kk) p_fragment<T, NB>(pa[kk], s, kk);
    fence_accumulators(o);
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < NB / 2; ++kk)
      wgmma_rs<T, D>(o, pa[kk], wg::k_step_descriptor(sVt_addr, kk, tile_vt), 1);
    wgmma_commit();
    wgmma_wait_all();
    fence_accumulators(o);

    cp_async_wait_all();
    fence_proxy_async_shared();
    __syncthreads();  // K(kt+1) has landed; every warp is done with sV and Vᵀ
  }

  store_output_and_lse<T, D>(p, o, state, b, h, row0, lane);
#else
  __trap();  // never launched: the host refuses devices and builds without sm_90a
#endif
}

template <typename T, int D, bool CAUSAL>
void launch(const AttentionParams& p, cudaStream_t stream) {
  launch_forward_grid(attention_fwd_wgmma_kernel<T, D, CAUSAL>, p, kBlockQ, kThreads, WgmmaSmem<D>::bytes, stream);
}

}  // namespace

std::string wgmma_unavailable_reason() {
#ifndef TB_BUILT_FOR_SM90A
  return "this build has no sm_90a code (configure with TB_CUDA_ARCHS containing 90a)";
#else
  int device = 0, major = 0, minor = 0;
  TB_CUDA_CHECK(cudaGetDevice(&device));
  TB_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  TB_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  if (major != 9 || minor != 0)
    return "wgmma needs compute capability 9.0 (H100/H200); this GPU is " + std::to_string(major) + "." +
           std::to_string(minor);
  return "";
#endif
}

void launch_attention_forward_wgmma(const AttentionParams& p, ElementType type, cudaStream_t stream) {
  for_variant(p, type, "wgmma attention",
              [&]<typename T, int D, bool CAUSAL>() { launch<T, D, CAUSAL>(p, stream); });
}

}  // namespace tb::kernels::cuda::attention
