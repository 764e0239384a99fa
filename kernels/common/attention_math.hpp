#pragma once
// The tile math of flash-style attention, shared by the CPU tiled implementation
// (kernels/cpu/attention_tiled.cpp) and the CUDA kernels (kernels/cuda/attention_fwd.cu,
// attention_bwd.cu), so that CI tests on any machine exercise what the GPU executes.
//
// Sources: FlashAttention-2 (Dao 2023), Algorithm 1 (forward: online softmax, rescale-once at
// the end, log-sum-exp saved) and Algorithm 2 (backward: D_i = rowsum(dO ∘ O), P recomputed
// from the LSE); the online softmax itself is Milakov & Gimelshein (2018).
//
// Conventions: tensors are [batch, seq, heads, head_dim] (what the QKV projection produces);
// LSE is [batch, heads, seq] in natural-log units, fp32, as FlashAttention's softmax_lse.
// Scores are kept as s·scale·log2(e) so that every exponential is one exp2f. The project builds
// without fast-math, and nvcc emits exp2f as the single approximate PTX instruction
// ex2.approx.f32 regardless (seen in nvcc 13's PTX for sm_80 and sm_90a); log2f, once per row for
// the LSE, stays a full-precision polynomial. The host uses std::exp2 and std::log2, so host models
// agree with a GPU to a few ulp, not bit for bit.
#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.hpp"
#include "kernels/common/warp_model.hpp"

// `#pragma unroll` for nvcc only (g++ -Wall warns on unknown pragmas).
#if defined(__CUDACC__)
#define TB_ATTN_UNROLL _Pragma("unroll")
#else
#define TB_ATTN_UNROLL
#endif

namespace tb::kernels::attn {

inline constexpr float kLog2e = 1.4426950408889634f;
inline constexpr float kLn2 = 0.6931471805599453f;

TB_HD inline float exp2_approx(float x) {
#if defined(__CUDA_ARCH__)
  return exp2f(x);
#else
  return std::exp2(x);
#endif
}
TB_HD inline float log2_of(float x) {
#if defined(__CUDA_ARCH__)
  return log2f(x);
#else
  return std::log2(x);
#endif
}
// NaN-propagating max: a NaN score must poison the row, never be dropped by the max.
TB_HD inline float max_nan(float a, float b) { return (a != a || a > b) ? a : b; }

// The softmax scale 1/sqrt(d) of "Attention is all you need", pre-multiplied by log2(e).
TB_HD inline float scale_log2(float softmax_scale) { return softmax_scale * kLog2e; }

// ---- index maps ----
// Grouped-query attention (Ainslie et al. 2023): consecutive query heads share one K/V head.
TB_HD inline int64_t kv_head_for(int64_t q_head, int64_t heads, int64_t kv_heads) {
  return q_head / (heads / kv_heads);
}
TB_HD inline int64_t num_tiles(int64_t len, int64_t tile) { return (len + tile - 1) / tile; }
// Rows of a tile starting at `start` that exist (the last tile of a ragged length is partial).
TB_HD inline int64_t tile_valid_rows(int64_t start, int64_t tile, int64_t seq) {
  const int64_t left = seq - start;
  return left <= 0 ? 0 : (left < tile ? left : tile);
}
// Whether query row i may attend to key j: inside the sequence, and j <= i when causal.
TB_HD inline bool key_visible(int64_t i, int64_t j, int64_t seq, bool causal) {
  return j < seq && (!causal || j <= i);
}
// Key tiles [0, end) that query tile `q_tile` visits: causal stops after the diagonal.
TB_HD inline int64_t key_tile_end(int64_t q_tile, int64_t block_q, int64_t block_k, int64_t seq, bool causal) {
  const int64_t all = num_tiles(seq, block_k);
  if (!causal) return all;
  int64_t last_row = (q_tile + 1) * block_q - 1;
  if (last_row > seq - 1) last_row = seq - 1;
  const int64_t end = last_row / block_k + 1;
  return end < all ? end : all;
}
// Query tiles [begin, all) that see key tile `k_tile` (the backward's loop, per key block).
TB_HD inline int64_t query_tile_begin(int64_t k_tile, int64_t block_k, int64_t block_q, bool causal) {
  return causal ? (k_tile * block_k) / block_q : 0;
}
// The backward's loop, flattened: a key block meets, for each query head of its K/V group, the
// query tiles from `first_tile` on; step s of that sequence is head (group_first_head + s / per_head)
// and query tile (first_tile + s % per_head), where per_head = tiles - first_tile. Flat, so the
// next step's loads can be issued one step ahead across head boundaries.
struct BackwardStep {
  int64_t head;
  int64_t query_tile;
};
TB_HD inline BackwardStep backward_step(int64_t step, int64_t group_first_head, int64_t first_tile, int64_t tiles) {
  const int64_t per_head = tiles - first_tile;
  return {group_first_head + step / per_head, first_tile + step % per_head};
}

// Whether a (query tile, key tile) pair needs the per-element predicate: the ragged key edge,
// or a causal tile that reaches past the diagonal. Interior tiles skip it.
TB_HD inline bool tile_needs_mask(int64_t q0, int64_t k0, int64_t block_k, int64_t seq, bool causal) {
  if (k0 + block_k > seq) return true;
  return causal && (k0 + block_k - 1 > q0);
}

// Tile loads move 16-byte chunks (8 16-bit elements): chunk c of a tile with `dim` columns is
// row c / (dim/8), columns from 8·(c mod dim/8). Consecutive threads take consecutive chunks, so
// a warp reads whole 128-byte lines of a row and writes a padded shared row without conflicts.
inline constexpr int kChunkElems = 8;
TB_HD inline int tile_chunk_row(int chunk, int dim) { return chunk / (dim / kChunkElems); }
TB_HD inline int tile_chunk_col(int chunk, int dim) { return (chunk % (dim / kChunkElems)) * kChunkElems; }

// ---- online softmax ----
struct SoftmaxState {
  float max_log2 = -INFINITY;  // running max of scaled scores (log2 units)
  float sum = 0.f;             // running Σ exp2(x − max_log2)
};
// exp2(x − m), and 0 rather than NaN while every key so far was masked (m = −inf).
TB_HD inline float exp2_shifted(float x, float m) { return m == -INFINITY ? 0.f : exp2_approx(x - m); }
// Sees a tile whose row max is `tile_max_log2`: raises the running max and returns the factor
// that the running sum (done here) and the output accumulator (caller) are multiplied by.
TB_HD inline float softmax_rescale(SoftmaxState& s, float tile_max_log2) {
  const float new_max = max_nan(s.max_log2, tile_max_log2);
  const float factor = exp2_shifted(s.max_log2, new_max);
  s.sum *= factor;
  s.max_log2 = new_max;
  return factor;
}
// Combines two partial states over disjoint key sets (e.g. the lanes of a quad, split-K).
TB_HD inline SoftmaxState softmax_merge(SoftmaxState a, SoftmaxState b) {
  SoftmaxState r;
  r.max_log2 = max_nan(a.max_log2, b.max_log2);
  r.sum = a.sum * exp2_shifted(a.max_log2, r.max_log2) + b.sum * exp2_shifted(b.max_log2, r.max_log2);
  return r;
}
// A row poisoned by a NaN score stays NaN to the end, in O and in the LSE, so that the backward
// recomputes NaN probabilities instead of silent zeros (`sum > 0` alone is false for NaN).
TB_HD inline bool state_is_nan(const SoftmaxState& s) { return s.sum != s.sum || s.max_log2 != s.max_log2; }
// 1/sum for the final normalisation; 0 for a row that saw no key (cannot happen for a valid row).
TB_HD inline float softmax_inv_sum(const SoftmaxState& s) {
  return state_is_nan(s) ? NAN : (s.sum > 0.f ? 1.f / s.sum : 0.f);
}
// Natural-log LSE saved for the backward; +inf for an empty row, so its P recomputes to 0.
TB_HD inline float lse_from_state(const SoftmaxState& s) {
  return state_is_nan(s) ? NAN : (s.sum > 0.f ? (s.max_log2 + log2_of(s.sum)) * kLn2 : INFINITY);
}

// ---- backward ----
TB_HD inline float lse_to_log2(float lse) { return lse * kLog2e; }
// P_ij = exp(s_ij·scale − LSE_i), from the scaled score in log2 units.
TB_HD inline float prob_from_lse(float x_log2, float lse_log2) { return exp2_approx(x_log2 - lse_log2); }
// dS_ij = P_ij (dP_ij − D_i): the softmax Jacobian-vector product (FlashAttention-2 eq. in Alg. 2).
TB_HD inline float dscore(float p, float dp, float d_term) { return p * (dp - d_term); }
// D_i = rowsum(dO_i ∘ O_i); `to_float` converts the storage type.
template <typename T, typename ToFloat>
TB_HD inline float rowsum_product(const T* a, const T* b, int64_t n, ToFloat to_float) {
  float acc = 0.f;
  for (int64_t c = 0; c < n; ++c) acc += to_float(a[c]) * to_float(b[c]);
  return acc;
}

// ======== per-lane steps of the mma.sync forward kernel (one warp owns 16 query rows) ========
// A lane holds, for each 8-key block nb of the tile, accumulator elements e = 0..3 of rows
// g = lane/4 (e = 0,1) and g + 8 (e = 2,3): warp::mma_c_fragment_{row,col}. Its running softmax
// state is per row half r = 0 (row g), 1 (row g + 8); its sums are lane-partial (only its own
// columns) until the quad reduction at the end, because every lane of a quad applies the
// same rescale factors (the max is quad-reduced each tile).

// Scales raw scores into log2 units and sets invisible keys (causal, ragged edge) to −inf.
template <int NB>
TB_HD inline void lane_scale_and_mask(float (&s)[NB][4], int lane, int64_t row0, int64_t key0, int64_t seq,
                                      bool causal, bool need_mask, float scale_log2_v) {
TB_ATTN_UNROLL
  for (int nb = 0; nb < NB; ++nb) {
TB_ATTN_UNROLL
    for (int e = 0; e < 4; ++e) {
      const int64_t i = row0 + warp::mma_c_fragment_row(lane, e);
      const int64_t j = key0 + 8 * nb + warp::mma_c_fragment_col(lane, e);
      s[nb][e] = (need_mask && !key_visible(i, j, seq, causal)) ? -INFINITY : s[nb][e] * scale_log2_v;
    }
  }
}

// The lane's max over its own columns, for its two rows (quad-reduce it next).
template <int NB>
TB_HD inline void lane_row_max(const float (&s)[NB][4], float (&row_max)[2]) {
  row_max[0] = row_max[1] = -INFINITY;
TB_ATTN_UNROLL
  for (int nb = 0; nb < NB; ++nb)
TB_ATTN_UNROLL
    for (int e = 0; e < 4; ++e) {
      const int r = warp::mma_c_row_half(e);
      row_max[r] = max_nan(row_max[r], s[nb][e]);
    }
}

// With the quad-wide tile max: rescales the state, turns scores into P in place, adds the
// lane's P to its partial sums, and returns the factors for the output accumulator.
template <int NB>
TB_HD inline void lane_softmax_tile(float (&s)[NB][4], SoftmaxState (&state)[2], const float (&tile_max)[2],
                                    float (&factor)[2]) {
  factor[0] = softmax_rescale(state[0], tile_max[0]);
  factor[1] = softmax_rescale(state[1], tile_max[1]);
TB_ATTN_UNROLL
  for (int nb = 0; nb < NB; ++nb)
TB_ATTN_UNROLL
    for (int e = 0; e < 4; ++e) {
      const int r = warp::mma_c_row_half(e);
      s[nb][e] = exp2_shifted(s[nb][e], state[r].max_log2);
      state[r].sum += s[nb][e];
    }
}

// Multiplies each row of an accumulator (O, [DB] 8-column blocks) by its row's factor.
template <int DB>
TB_HD inline void lane_scale_rows(float (&acc)[DB][4], const float (&factor)[2]) {
TB_ATTN_UNROLL
  for (int db = 0; db < DB; ++db)
TB_ATTN_UNROLL
    for (int e = 0; e < 4; ++e) acc[db][e] *= factor[warp::mma_c_row_half(e)];
}

// ======== per-lane step of the mma.sync backward kernel (one warp owns 16 key rows) ========
// The accumulators Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ have the warp's keys as rows and a tile of
// queries (NQ blocks of 8, starting at q0) as columns. In place: Sᵀ → Pᵀ (recomputed from the
// saved LSE, masked keys and queries past the end → 0) and dPᵀ → dSᵀ·scale. `lse_log2` and
// `d_term` hold the tile's rows (LSE·log2(e) and rowsum(dO ∘ O)).
template <int NQ>
TB_HD inline void lane_backward_probs(float (&st)[NQ][4], float (&dpt)[NQ][4], int lane, int64_t key_row0,
                                      int64_t q0, int64_t seq, bool causal, float softmax_scale,
                                      const float* lse_log2, const float* d_term) {
  const float sl2 = scale_log2(softmax_scale);
  TB_ATTN_UNROLL
  for (int nb = 0; nb < NQ; ++nb)
    TB_ATTN_UNROLL
    for (int e = 0; e < 4; ++e) {
      const int64_t j = key_row0 + warp::mma_c_fragment_row(lane, e);
      const int qi = 8 * nb + warp::mma_c_fragment_col(lane, e);
      const bool visible = q0 + qi < seq && key_visible(q0 + qi, j, seq, causal);
      const float pt = visible ? prob_from_lse(st[nb][e] * sl2, lse_log2[qi]) : 0.f;
      st[nb][e] = pt;
      dpt[nb][e] = dscore(pt, dpt[nb][e], d_term[qi]) * softmax_scale;
    }
}

}  // namespace tb::kernels::attn
