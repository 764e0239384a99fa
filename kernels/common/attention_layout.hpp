#pragma once
// Where the fused attention kernels' data lives: the tensors in global memory
// (kernels/cuda/attention_launch.hpp), the padded shared-memory tiles, the 16-byte cp.async
// chunks that fill them and the row addresses ldmatrix reads them by. TB_HD, so that the kernels
// (kernels/cuda/attention_{fwd,fwd_wgmma,bwd}.cu) and the host block models
// (tests/kernels/test_attention_{fwd,bwd}_block_model.cpp) compute every address with the same
// functions. The fp64 reference (kernels/cpu/attention_reference.hpp) keeps its own index
// formulas on purpose: a wrong formula here then shows as a mismatch against it, instead of being
// shared by the oracle.
#include <cstdint>

#include "kernels/common/attention_math.hpp"
#include "kernels/common/host_device.hpp"
#include "kernels/common/warp_model.hpp"

namespace tb::kernels::attn {

// ---- global memory ----
// Q, O, dO, dQ [batch, seq, heads, d]; K, V, dK, dV [batch, seq, kv_heads, d]; LSE and the
// D term [batch, heads, seq]. Offsets are in elements.
struct GlobalLayout {
  int64_t seq = 0, heads = 0, kv_heads = 0, d = 0;

  // From one row of a head to the next.
  TB_HD int64_t q_stride() const { return heads * d; }
  TB_HD int64_t kv_stride() const { return kv_heads * d; }
  // The first element of a head (row 0 of head h, or of K/V head g, in batch b): the base a
  // kernel keeps in a register and walks the head's rows from with q_at / kv_at.
  TB_HD int64_t q_base(int64_t b, int64_t h) const { return (b * seq * heads + h) * d; }
  TB_HD int64_t kv_base(int64_t b, int64_t g) const { return (b * seq * kv_heads + g) * d; }
  TB_HD int64_t q_at(int64_t i, int64_t col) const { return i * q_stride() + col; }
  TB_HD int64_t kv_at(int64_t j, int64_t col) const { return j * kv_stride() + col; }
  // The first element of query row i of head h (Q, O, dO, dQ): q_base(b, h) + q_at(i, 0).
  TB_HD int64_t q_row(int64_t b, int64_t i, int64_t h) const { return (b * seq + i) * q_stride() + h * d; }
  // The first element of key row j of K/V head g (K, V, dK, dV): kv_base(b, g) + kv_at(j, 0).
  TB_HD int64_t kv_row(int64_t b, int64_t j, int64_t g) const { return (b * seq + j) * kv_stride() + g * d; }
  TB_HD int64_t lse_index(int64_t b, int64_t h, int64_t i) const { return (b * heads + h) * seq + i; }
  TB_HD int64_t kv_head(int64_t h) const { return kv_head_for(h, heads, kv_heads); }
};
// q_base + q_at and q_row are the same offsets in the two arithmetic forms the kernels wrote
// before these functions existed (kept, so that ptxas allocates registers as it did);
// tests/kernels/test_attention_fwd_block_model.cpp checks both against the reference's layout.

// (batch, row, head) of the r-th d-element row of a Q-shaped tensor (r = q_row(b, i, h) / d): the
// backward's preprocess walks the rows flat.
struct QRowIndex {
  int64_t b, i, h;
};
TB_HD inline QRowIndex q_row_index(const GlobalLayout& l, int64_t r) {
  return {r / (l.heads * l.seq), (r / l.heads) % l.seq, r % l.heads};
}

// ---- shared memory ----
// Shared-memory rows are padded by 8 elements (16 bytes): ldmatrix's eight row addresses then
// fall in distinct bank groups (row stride 36 or 68 words), and stay 16-byte aligned.
template <int D>
inline constexpr int kSmemStride = D + 8;

// Chunk c of a tile load (cp.async, 16 bytes): where it lands in the padded shared tile (row
// stride `lds`), where it comes from relative to the head's first element (row stride `stride`
// in global memory, tile starting at row `row0`), and whether that row exists: rows past `seq`
// are zero-filled, so that masked products read 0, never stale or NaN data.
struct TileChunk {
  int smem;
  int64_t global;
  bool valid;
};
TB_HD inline TileChunk tile_chunk(int c, int dim, int lds, int64_t row0, int64_t stride, int64_t seq) {
  const int r = tile_chunk_row(c, dim), col = tile_chunk_col(c, dim);
  return {r * lds + col, (row0 + r) * stride + col, row0 + r < seq};
}

// Element offset, in a row-major shared array of row stride `ld`, of the row address that `lane`
// gives ldmatrix.x4 for the 16x16 tile whose corner is (row0, col0), per operand shape
// (warp_model.hpp: A stored [m][k], B stored [n][k], B stored [k][n] loaded with .trans).
TB_HD inline int ldsm_a_offset(int row0, int col0, int ld, int lane) {
  return (row0 + warp::ldsm_a_row(lane)) * ld + col0 + warp::ldsm_a_col(lane);
}
TB_HD inline int ldsm_b_nk_offset(int row0, int col0, int ld, int lane) {
  return (row0 + warp::ldsm_b_nk_row(lane)) * ld + col0 + warp::ldsm_b_nk_col(lane);
}
TB_HD inline int ldsm_b_kn_offset(int row0, int col0, int ld, int lane) {
  return (row0 + warp::ldsm_b_kn_row(lane)) * ld + col0 + warp::ldsm_b_kn_col(lane);
}

}  // namespace tb::kernels::attn
