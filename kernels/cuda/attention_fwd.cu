// Fused attention forward, FlashAttention-2 style (Dao 2023, Algorithm 1), on mma.sync.
//
// One block of 4 warps per (64-query tile, head, batch); each warp owns 16 query rows, keeps
// its Q fragments in registers, and streams 64-key K/V tiles through shared memory with
// cp.async, FlashAttention-2's schedule: V(t) loads while S = Q·K(t)ᵀ is computed, K(t+1) while
// O += P·V(t) is, so one K and one V buffer suffice. Every wait is cp.async.wait_group 0, which
// costs no overlap: at each wait the only group in flight is the tile needed next, issued one
// product earlier. S = Q·Kᵀ and O += P·V are m16n8k16 tensor-core products; P never leaves the
// registers (the S accumulators are re-packed as the A operand); every tile multiplies O by the
// online softmax's factor exp2(old max − new max) (1 when the max has not moved: no branch), and
// O is normalised once at the end. No s×s matrix exists anywhere.
// LSE (natural log) is saved for the backward.
//
// Index math (fragment layouts, shared and global addresses, masks, tile ranges, GQA head map)
// is in kernels/common (attention_fwd_layout.hpp, attention_layout.hpp, attention_math.hpp) and
// is exercised on the CPU by tests/kernels/test_attention_fwd_block_model.cpp, which runs every
// block of a grid warp by warp, lane by lane, on a warp model.
//
// sm_90a has a wgmma forward as well (attention_fwd_wgmma.cu, --impl wgmma); this one runs on
// every architecture from sm_80.
#include <string>

#include "harness/common/errors.hpp"
#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda::attention {
namespace {

namespace attn = tb::kernels::attn;

namespace fwd = tb::kernels::attn::fwd;
// Tile sizes and the block's shared-memory addressing: kernels/common/attention_fwd_layout.hpp.
using fwd::kBlockK;
using fwd::kBlockQ;
using fwd::kThreads;

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

  const ForwardBlock<T, D> fb(p, kBlockQ);
  const auto [qt, h, b, q0, row0, q_stride, kv_stride, w, lane, Q, K, V] = fb;

  cp_async_tile<T, D, kBlockQ, kThreads>(sQ, Q, q_stride, q0, p.seq);
  cp_async_tile<T, D, kBlockK, kThreads>(sK, K, kv_stride, 0, p.seq);  // every query tile sees key tile 0
  cp_async_commit();
  cp_async_wait_all();
  __syncthreads();
  uint32_t qf[KC][4];
  load_q_fragments<T, D>(qf, sQ, w, lane);

  float o[DB][4] = {};
  attn::SoftmaxState state[2];
  const float sl2 = attn::scale_log2(p.softmax_scale);
  const int64_t tiles = attn::key_tile_end(qt, kBlockQ, kBlockK, p.seq, CAUSAL);
  for (int64_t kt = 0; kt < tiles; ++kt) {
    const int64_t k0 = kt * kBlockK;
    // sK holds key tile kt (published by the last barrier); V(kt) flies while S = Q·Kᵀ runs.
    cp_async_tile<T, D, kBlockK, kThreads>(sV, V, kv_stride, k0, p.seq);
    cp_async_commit();

    float s[NB][4] = {};
#pragma unroll
    for (int kc = 0; kc < KC; ++kc)
#pragma unroll
      for (int np = 0; np < NB / 2; ++np) {
        uint32_t kb[4];
        ldmatrix_x4(kb, &sK[fwd::k_ldsm_offset<D>(np, kc, lane)]);
        mma_16816<T>(s[2 * np], qf[kc], kb[0], kb[1]);
        mma_16816<T>(s[2 * np + 1], qf[kc], kb[2], kb[3]);
      }

    online_softmax_step<NB, DB>(s, o, state, lane, row0, k0, p.seq, CAUSAL, sl2);

    cp_async_wait_all();
    __syncthreads();  // V(kt) has landed, and every warp is done reading sK: K(kt+1) flies during P·V
    if (kt + 1 < tiles) {
      cp_async_tile<T, D, kBlockK, kThreads>(sK, K, kv_stride, k0 + kBlockK, p.seq);
      cp_async_commit();
    }

#pragma unroll
    for (int kk = 0; kk < NB / 2; ++kk) {
      uint32_t pa[4];
      p_fragment<T, NB>(pa, s, kk);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t vb[4];
        ldmatrix_x4_trans(vb, &sV[fwd::v_ldsm_offset<D>(kk, dp, lane)]);
        mma_16816<T>(o[2 * dp], pa, vb[0], vb[1]);
        mma_16816<T>(o[2 * dp + 1], pa, vb[2], vb[3]);
      }
    }
    cp_async_wait_all();
    __syncthreads();  // K(kt+1) has landed, and every warp is done reading sV
  }

  // The lane sums are partial (own columns only): complete them across the quad, normalise.
  store_output_and_lse<T, D>(p, o, state, b, h, row0, lane);
}

template <typename T, int D, bool CAUSAL>
void launch(const AttentionParams& p, cudaStream_t stream) {
  launch_forward_grid(attention_fwd_kernel<T, D, CAUSAL>, p, kBlockQ, kThreads, static_cast<int>(fwd_smem_bytes<D>()),
                      stream);
}

}  // namespace

bool fused_head_dim_supported(int head_dim) { return head_dim == 64 || head_dim == 128; }

void launch_attention_forward(const AttentionParams& p, ElementType type, cudaStream_t stream) {
  for_variant(p, type, "fused attention",
              [&]<typename T, int D, bool CAUSAL>() { launch<T, D, CAUSAL>(p, stream); });
}

}  // namespace tb::kernels::cuda::attention
