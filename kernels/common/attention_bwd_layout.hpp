#pragma once
// The thread-block layout of the fused attention backward (kernels/cuda/attention_bwd.cu): its
// tile sizes, which warp owns which keys, the shared-memory addresses its ldmatrix loads and dS
// stores use (the generic ldmatrix offsets are in attention_layout.hpp), and how the dQ product
// is dealt to the warps. TB_HD, so that the kernel indexes through these very functions and the
// host model of a whole block (tests/kernels/test_attention_bwd_block_model.cpp) runs them for
// every warp and lane.
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/host_device.hpp"
#include "kernels/common/warp_model.hpp"

namespace tb::kernels::attn::bwd {

inline constexpr int kBlockK = 64;                      // keys per block (grid x = key tiles)
inline constexpr int kWarps = 4;
inline constexpr int kThreads = warp::kWarpSize * kWarps;
inline constexpr int kKeysPerWarp = kBlockK / kWarps;   // 16: one mma M tile of Sᵀ, dPᵀ, dK, dV
// Query rows per tile: 32 for d = 128 bounds the registers per thread.
template <int D>
inline constexpr int kBlockQ = D == 128 ? 32 : 64;
inline constexpr int kDsStride = kBlockK + 8;           // sdS [query][key] row, padded like the other tiles

// The first of warp w's keys, counted from the block's first key.
TB_HD inline int warp_key_offset(int w) { return kKeysPerWarp * w; }

// sdS holds dS as [query][key] (row stride kDsStride): where accumulator element e of warp w's
// 8-query block nb of dSᵀ (its keys are the rows, the tile's queries the columns) is stored.
TB_HD inline int ds_store_offset(int w, int lane, int nb, int e) {
  return (8 * nb + warp::mma_c_fragment_col(lane, e)) * kDsStride + warp_key_offset(w) +
         warp::mma_c_fragment_row(lane, e);
}
// dQ += dS·K: lane's ldmatrix row address for the A operand of query rows 16·mt.., keys 16·kc..
TB_HD inline int ds_load_offset(int mt, int kc, int lane) { return ldsm_a_offset(16 * mt, 16 * kc, kDsStride, lane); }

// dQ of a query tile (block_q x d) is cut into 16x16 units dealt round-robin to the warps; unit u
// covers query rows 16·mt.. and head dims 16·dp..
struct DqUnit {
  int mt;
  int dp;
};
TB_HD inline int dq_units(int block_q, int d) { return (block_q / 16) * (d / 16); }
TB_HD inline DqUnit dq_unit(int unit, int d) { return {unit / (d / 16), unit % (d / 16)}; }

}  // namespace tb::kernels::attn::bwd
