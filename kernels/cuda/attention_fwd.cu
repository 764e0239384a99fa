// Fused attention forward, FlashAttention-2 style (Dao 2023, Algorithm 1), on mma.sync.
//
// One block of 4 warps per (64-query tile, head, batch); each warp owns 16 query rows, keeps
// its Q fragments in registers, and streams 64-key K/V tiles through shared memory. S = Q·Kᵀ
// and O += P·V are m16n8k16 tensor-core products; P never leaves the registers (the S
// accumulators are re-packed as the A operand); the online softmax rescales O only when the
// running max moves, and O is normalised once at the end. No s×s matrix exists anywhere.
// LSE (natural log) is saved for the backward.
//
// Index math (fragment layouts, masks, tile ranges, GQA head map) is in kernels/common and is
// exercised on the CPU by tests/kernels/test_warp_model.cpp, which runs this inner loop lane
// by lane on a warp model.
//
// Not yet done (docs/perf/attention.md): cp.async double buffering of K/V, wgmma on sm_90a.
#include <string>

#include "harness/common/errors.hpp"
#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda::attention {
namespace {

namespace attn = tb::kernels::attn;
namespace warp = tb::kernels::warp;

constexpr int kBlockQ = 64, kBlockK = 64, kWarps = 4, kThreads = 32 * kWarps;

template <int D>
constexpr size_t fwd_smem_bytes() {
  return static_cast<size_t>(kBlockQ + 2 * kBlockK) * kSmemStride<D> * 2;
}

template <typename T, int D, bool CAUSAL>
__global__ void __launch_bounds__(kThreads) attention_fwd_kernel(const AttentionParams p) {
  constexpr int LDS = kSmemStride<D>, NB = kBlockK / 8, DB = D / 8, KC = D / 16;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + kBlockQ * LDS;
  T* sV = sK + kBlockK * LDS;

  const int64_t qt = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int64_t g = attn::kv_head_for(h, p.heads, p.kv_heads);
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t q_stride = p.heads * D, kv_stride = p.kv_heads * D;
  const T* Q = static_cast<const T*>(p.q) + (b * p.seq * p.heads + h) * D;
  const T* K = static_cast<const T*>(p.k) + (b * p.seq * p.kv_heads + g) * D;
  const T* V = static_cast<const T*>(p.v) + (b * p.seq * p.kv_heads + g) * D;
  const int64_t q0 = qt * kBlockQ, row0 = q0 + 16 * w;

  load_tile<T, D, kBlockQ, kThreads>(sQ, Q, q_stride, q0, p.seq);
  __syncthreads();
  uint32_t qf[KC][4];
#pragma unroll
  for (int kc = 0; kc < KC; ++kc)
    ldmatrix_x4(qf[kc], &sQ[(16 * w + warp::ldsm_a_row(lane)) * LDS + 16 * kc + warp::ldsm_a_col(lane)]);

  float o[DB][4] = {};
  attn::SoftmaxState state[2];
  const float sl2 = attn::scale_log2(p.softmax_scale);
  const int64_t tiles = attn::key_tile_end(qt, kBlockQ, kBlockK, p.seq, CAUSAL);
  for (int64_t kt = 0; kt < tiles; ++kt) {
    const int64_t k0 = kt * kBlockK;
    __syncthreads();  // every warp is done with the previous K/V tile
    load_tile<T, D, kBlockK, kThreads>(sK, K, kv_stride, k0, p.seq);
    load_tile<T, D, kBlockK, kThreads>(sV, V, kv_stride, k0, p.seq);
    __syncthreads();

    float s[NB][4] = {};
#pragma unroll
    for (int kc = 0; kc < KC; ++kc)
#pragma unroll
      for (int np = 0; np < NB / 2; ++np) {
        uint32_t kb[4];
        ldmatrix_x4(kb, &sK[(16 * np + warp::ldsm_b_nk_row(lane)) * LDS + 16 * kc + warp::ldsm_b_nk_col(lane)]);
        mma_16816<T>(s[2 * np], qf[kc], kb[0], kb[1]);
        mma_16816<T>(s[2 * np + 1], qf[kc], kb[2], kb[3]);
      }

    const bool need_mask = attn::tile_needs_mask(row0, k0, kBlockK, p.seq, CAUSAL);
    attn::lane_scale_and_mask<NB>(s, lane, row0, k0, p.seq, CAUSAL, need_mask, sl2);
    float tile_max[2], factor[2];
    attn::lane_row_max<NB>(s, tile_max);
    tile_max[0] = quad_max(tile_max[0]);
    tile_max[1] = quad_max(tile_max[1]);
    attn::lane_softmax_tile<NB>(s, state, tile_max, factor);
    attn::lane_scale_rows<DB>(o, factor);

#pragma unroll
    for (int kk = 0; kk < NB / 2; ++kk) {
      uint32_t pa[4];
#pragma unroll
      for (int r = 0; r < 4; ++r)
        pa[r] = pack2<T>(s[warp::accum_to_a_block(kk, 2 * r)][warp::accum_to_a_elem(2 * r)],
                         s[warp::accum_to_a_block(kk, 2 * r + 1)][warp::accum_to_a_elem(2 * r + 1)]);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t vb[4];
        ldmatrix_x4_trans(vb, &sV[(16 * kk + warp::ldsm_b_kn_row(lane)) * LDS + 16 * dp + warp::ldsm_b_kn_col(lane)]);
        mma_16816<T>(o[2 * dp], pa, vb[0], vb[1]);
        mma_16816<T>(o[2 * dp + 1], pa, vb[2], vb[3]);
      }
    }
  }

  // The lane sums are partial (own columns only): complete them across the quad, normalise.
  T* O = static_cast<T*>(p.o) + (b * p.seq * p.heads + h) * D;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    state[half].sum = quad_sum(state[half].sum);
    const float inv = attn::softmax_inv_sum(state[half]);
    const int64_t i = row0 + warp::mma_c_fragment_row(lane, 2 * half);
    if (i >= p.seq) continue;
#pragma unroll
    for (int db = 0; db < DB; ++db) {
      const int col = 8 * db + warp::mma_c_fragment_col(lane, 2 * half);
      *reinterpret_cast<uint32_t*>(&O[i * q_stride + col]) =
          pack2<T>(o[db][2 * half] * inv, o[db][2 * half + 1] * inv);
    }
    if (warp::lane_in_group(lane) == 0) p.lse[(b * p.heads + h) * p.seq + i] = attn::lse_from_state(state[half]);
  }
}

template <typename T, int D, bool CAUSAL>
void launch(const AttentionParams& p, cudaStream_t stream) {
  auto kernel = attention_fwd_kernel<T, D, CAUSAL>;
  constexpr size_t smem = fwd_smem_bytes<D>();
  TB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
  const dim3 grid(static_cast<unsigned>(attn::num_tiles(p.seq, kBlockQ)), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, smem, stream>>>(p);
  TB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

bool fused_head_dim_supported(int head_dim) { return head_dim == 64 || head_dim == 128; }

void launch_attention_forward(const AttentionParams& p, ElementType type, cudaStream_t stream) {
  if (!fused_head_dim_supported(p.head_dim))
    throw UnsupportedError("fused attention: head_dim " + std::to_string(p.head_dim) +
                           " not supported; supported: 64, 128");
  for_variant(p, type, [&]<typename T, int D, bool CAUSAL>() { launch<T, D, CAUSAL>(p, stream); });
}

}  // namespace tb::kernels::cuda::attention
