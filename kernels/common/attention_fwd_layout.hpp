#pragma once
// The thread-block layout of the fused attention forward (kernels/cuda/attention_fwd.cu; the
// wgmma forward shares its 16 query rows per warp and the Q loads): its tile sizes, which warp
// owns which query rows, and the shared-memory addresses its ldmatrix loads use. TB_HD, so that
// the kernel indexes through these very functions and the host model of whole blocks
// (tests/kernels/test_attention_fwd_block_model.cpp) runs them for every warp and lane.
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/host_device.hpp"
#include "kernels/common/warp_model.hpp"

namespace tb::kernels::attn::fwd {

inline constexpr int kBlockQ = 64;  // query rows per block (grid x = query tiles)
inline constexpr int kBlockK = 64;  // keys per K/V tile
inline constexpr int kWarps = 4;
inline constexpr int kThreads = warp::kWarpSize * kWarps;
inline constexpr int kRowsPerWarp = kBlockQ / kWarps;  // 16: one mma M tile of S and O

// The first of warp w's query rows, counted from the block's first row.
TB_HD inline int warp_query_offset(int w) { return kRowsPerWarp * w; }

// sQ, sK, sV hold rows [row][dim] of stride kSmemStride<D>. Lane's ldmatrix row address for:
// the A operand of S = Q·Kᵀ, warp w's query rows, dims 16·kc..;
template <int D>
TB_HD inline int q_ldsm_offset(int w, int kc, int lane) {
  return ldsm_a_offset(warp_query_offset(w), 16 * kc, kSmemStride<D>, lane);
}
// its B operand Kᵀ: keys 16·np.. (two 8-key blocks of S), dims 16·kc..;
template <int D>
TB_HD inline int k_ldsm_offset(int np, int kc, int lane) {
  return ldsm_b_nk_offset(16 * np, 16 * kc, kSmemStride<D>, lane);
}
// the B operand of O += P·V, V as stored [key][dim] (.trans): keys 16·kk.., dims 16·dp.. (two
// 8-dim blocks of O).
template <int D>
TB_HD inline int v_ldsm_offset(int kk, int dp, int lane) {
  return ldsm_b_kn_offset(16 * kk, 16 * dp, kSmemStride<D>, lane);
}

}  // namespace tb::kernels::attn::fwd
