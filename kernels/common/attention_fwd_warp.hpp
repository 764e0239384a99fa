#pragma once
// The forward's two per-warp steps that contain quad reductions: one key tile of the online
// softmax, and the epilogue that normalises O and stores it with the LSE. Their lane steps are
// in attention_math.hpp; these fix the order of those steps, the reductions between them and
// the output addresses, which the kernels (kernels/cuda/attention_device.cuh) and the host
// models (tests/kernels/test_attention_fwd_block_model.cpp, test_wgmma_layout.cpp) would
// otherwise each write down, and could get differently.
//
// LANES is how many lanes the caller holds: 1 on the GPU, where every thread is its own lane and
// the quad reductions are shuffles; 32 in a host model, which holds the whole warp and reduces
// with warp::quad_allreduce_*. lanes(x) gives the registers of the x-th lane held.
#include <cstdint>

#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/host_device.hpp"
#include "kernels/common/warp_model.hpp"

namespace tb::kernels::attn::fwd {

// A lane's S/P accumulators for one key tile (NB blocks of 8 keys), its O accumulators (DB
// blocks of 8 dims) and the running softmax state of its two rows.
template <int NB, int DB>
struct SoftmaxLane {
  float (&s)[NB][4];
  float (&o)[DB][4];
  SoftmaxState (&state)[2];
  int lane;
};
template <int DB>
struct OutputLane {
  float (&o)[DB][4];
  SoftmaxState (&state)[2];
  int lane;
};

// One key tile (keys k0.., the warp's rows row0..): raw Q·Kᵀ in s, P out; the running state and
// O rescaled. quad_max(m) must replace m[x][r] by the max of m[·][r] over lane x's quad.
template <int NB, int DB, int LANES, typename Lanes, typename QuadMax>
TB_HD inline void online_softmax_step(Lanes lanes, QuadMax quad_max, int64_t row0, int64_t k0, int64_t seq,
                                      bool causal, float scale_log2) {
  const bool need_mask = tile_needs_mask(row0, k0, 8 * NB, seq, causal);
  float tile_max[LANES][2];
  TB_ATTN_UNROLL
  for (int x = 0; x < LANES; ++x) {
    const SoftmaxLane<NB, DB> r = lanes(x);
    lane_scale_and_mask<NB>(r.s, r.lane, row0, k0, seq, causal, need_mask, scale_log2);
    lane_row_max<NB>(r.s, tile_max[x]);
  }
  quad_max(tile_max);
  TB_ATTN_UNROLL
  for (int x = 0; x < LANES; ++x) {
    const SoftmaxLane<NB, DB> r = lanes(x);
    float factor[2];
    lane_softmax_tile<NB>(r.s, r.state, tile_max[x], factor);
    lane_scale_rows<DB>(r.o, factor);
  }
}

// The epilogue of the warp's rows row0.. of head h, batch b. The lane sums are partial (own
// columns only): quad_sum(v) must replace v[x] by the sum of v over lane x's quad. Then, for
// each row inside the sequence, store_pair(offset, lo, hi) gets two adjacent normalised elements
// of O (offset into O, `layout`) and store_lse(index, lse) the row's LSE, once per row.
template <int DB, int LANES, typename Lanes, typename QuadSum, typename StorePair, typename StoreLse>
TB_HD inline void store_output_and_lse(Lanes lanes, QuadSum quad_sum, const GlobalLayout& layout, int64_t b,
                                       int64_t h, int64_t row0, StorePair store_pair, StoreLse store_lse) {
  TB_ATTN_UNROLL
  for (int half = 0; half < 2; ++half) {
    float sum[LANES];
    TB_ATTN_UNROLL
    for (int x = 0; x < LANES; ++x) sum[x] = lanes(x).state[half].sum;
    quad_sum(sum);
    TB_ATTN_UNROLL
    for (int x = 0; x < LANES; ++x) {
      const OutputLane<DB> r = lanes(x);
      r.state[half].sum = sum[x];
      const float inv = softmax_inv_sum(r.state[half]);
      const int64_t i = row0 + warp::mma_c_fragment_row(r.lane, 2 * half);
      if (i >= layout.seq) continue;
      TB_ATTN_UNROLL
      for (int db = 0; db < DB; ++db) {
        const int col = 8 * db + warp::mma_c_fragment_col(r.lane, 2 * half);
        store_pair(layout.q_base(b, h) + layout.q_at(i, col), r.o[db][2 * half] * inv, r.o[db][2 * half + 1] * inv);
      }
      if (warp::lane_in_group(r.lane) == 0) store_lse(layout.lse_index(b, h, i), lse_from_state(r.state[half]));
    }
  }
}

}  // namespace tb::kernels::attn::fwd
