// The warp model and the PTX fragment maps that the CUDA attention kernels index through: the
// maps cover each matrix element once, an emulated mma/ldmatrix computes plain products, and
// the backward's per-warp logic, run for all 32 lanes, reproduces the gradients. (The forward's
// loop runs on whole blocks in test_attention_fwd_block_model.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cpu/attention_reference.hpp"

namespace warp = tb::kernels::warp;
namespace attn = tb::kernels::attn;

namespace {

// Small integers: every product and sum below is exact in fp32, so comparisons are exact.
std::vector<float> small_ints(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> x(n);
  for (auto& e : x) e = static_cast<float>(static_cast<int>(rng() % 9) - 4);
  return x;
}

}  // namespace

TEST(WarpModel, FragmentMapsCoverEachElementOnce) {
  std::set<std::pair<int, int>> a, b, c;
  for (int l = 0; l < 32; ++l) {
    for (int e = 0; e < 8; ++e) a.insert({warp::mma_a_fragment_row(l, e), warp::mma_a_fragment_col(l, e)});
    for (int e = 0; e < 4; ++e) b.insert({warp::mma_b_fragment_row(l, e), warp::mma_b_fragment_col(l, e)});
    for (int e = 0; e < 4; ++e) c.insert({warp::mma_c_fragment_row(l, e), warp::mma_c_fragment_col(l, e)});
  }
  EXPECT_EQ(a.size(), 256u);  // 16x16, 32 lanes x 8
  EXPECT_EQ(b.size(), 128u);  // 16x8
  EXPECT_EQ(c.size(), 128u);
  for (auto [r, col] : a) EXPECT_TRUE(r < 16 && col < 16);
  for (auto [r, col] : b) EXPECT_TRUE(r < 16 && col < 8);
  // PTX ISA spot checks: lane 5 (group 1, thread 1) holds a0 = A[1][2..3], a3 = A[9][10..11],
  // b1 = B[10..11][1], c2 = C[9][2].
  EXPECT_EQ(warp::mma_a_fragment_row(5, 0), 1);
  EXPECT_EQ(warp::mma_a_fragment_col(5, 1), 3);
  EXPECT_EQ(warp::mma_a_fragment_row(5, 6), 9);
  EXPECT_EQ(warp::mma_a_fragment_col(5, 6), 10);
  EXPECT_EQ(warp::mma_b_fragment_row(5, 2), 10);
  EXPECT_EQ(warp::mma_b_fragment_col(5, 2), 1);
  EXPECT_EQ(warp::mma_c_fragment_row(5, 2), 9);
  EXPECT_EQ(warp::mma_c_fragment_col(5, 2), 2);
}

// The ldmatrix maps hard-coded from the PTX ISA ("Matrix fragments for ldmatrix"), not derived
// from the maps the kernels use: an 8x8 b16 matrix, lane i receives row i/4, columns 2(i%4) and
// 2(i%4)+1; with .trans the stored matrix is read transposed, so lane i receives stored rows
// 2(i%4) and 2(i%4)+1 of column i/4.
TEST(WarpModel, LdmatrixMapsMatchThePtxIsa) {
  EXPECT_EQ(warp::ldmatrix_dest_row(5, 0, false), 1);
  EXPECT_EQ(warp::ldmatrix_dest_col(5, 0, false), 2);
  EXPECT_EQ(warp::ldmatrix_dest_col(5, 1, false), 3);
  EXPECT_EQ(warp::ldmatrix_dest_row(31, 1, false), 7);
  EXPECT_EQ(warp::ldmatrix_dest_col(31, 1, false), 7);
  EXPECT_EQ(warp::ldmatrix_dest_row(0, 0, false), 0);
  EXPECT_EQ(warp::ldmatrix_dest_col(0, 1, false), 1);
  EXPECT_EQ(warp::ldmatrix_dest_row(5, 0, true), 2);
  EXPECT_EQ(warp::ldmatrix_dest_row(5, 1, true), 3);
  EXPECT_EQ(warp::ldmatrix_dest_col(5, 1, true), 1);
  EXPECT_EQ(warp::ldmatrix_dest_row(31, 0, true), 6);
  EXPECT_EQ(warp::ldmatrix_dest_col(31, 0, true), 7);
  EXPECT_EQ(warp::ldmatrix_dest_row(2, 1, true), 5);
  EXPECT_EQ(warp::ldmatrix_dest_col(2, 1, true), 0);
}

TEST(WarpModel, EmulatedMmaEqualsMatrixProduct) {
  const auto a = small_ints(16 * 16, 1), b = small_ints(16 * 8, 2), c = small_ints(16 * 8, 3);
  warp::WarpC acc = warp::distribute_c(c.data(), 8);
  warp::mma_m16n8k16(warp::distribute_a(a.data(), 16), warp::distribute_b(b.data(), 8), acc);
  std::vector<float> d(16 * 8);
  warp::gather_c(acc, d.data(), 8);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float want = c[i * 8 + j];
      for (int k = 0; k < 16; ++k) want += a[i * 16 + k] * b[k * 8 + j];
      ASSERT_EQ(d[i * 8 + j], want) << i << "," << j;
    }
}

// The kernels' ldmatrix offsets (attn::ldsm_*_offset, attention_layout.hpp) give exactly the
// mma fragments of the tile at (r0, c0), for each of the three operand shapes.
TEST(WarpModel, LdmatrixAddressMapsYieldMmaFragments) {
  // A 32x40 "shared memory" array; tiles at an offset, as the kernels address them.
  const int ld = 40;
  const auto smem = small_ints(32 * ld, 4);
  const int r0 = 16, c0 = 16;
  warp::LaneArray<int> off{};
  // (1) A operand from [m][k].
  for (int l = 0; l < 32; ++l) off[l] = attn::ldsm_a_offset(r0, c0, ld, l);
  auto regs = warp::ldmatrix_x4(smem, off, false);
  const auto want_a = warp::distribute_a(&smem[r0 * ld + c0], ld);
  for (int l = 0; l < 32; ++l)
    for (int e = 0; e < 8; ++e) ASSERT_EQ(regs[l][e], want_a[l].x[e]) << "A lane " << l << " e " << e;
  // (2) B operand stored [n][k] (K rows): B[k][n] = K[n][k]; two 8-column n-blocks.
  for (int l = 0; l < 32; ++l) off[l] = attn::ldsm_b_nk_offset(r0, c0, ld, l);
  regs = warp::ldmatrix_x4(smem, off, false);
  for (int blk = 0; blk < 2; ++blk) {
    std::vector<float> bt(16 * 8);
    for (int k = 0; k < 16; ++k)
      for (int n = 0; n < 8; ++n) bt[k * 8 + n] = smem[(r0 + 8 * blk + n) * ld + c0 + k];
    const auto want_b = warp::distribute_b(bt.data(), 8);
    for (int l = 0; l < 32; ++l)
      for (int e = 0; e < 4; ++e) ASSERT_EQ(regs[l][4 * blk + e], want_b[l].x[e]) << "Bnk blk " << blk;
  }
  // (3) B operand stored [k][n] (V rows), .trans.
  for (int l = 0; l < 32; ++l) off[l] = attn::ldsm_b_kn_offset(r0, c0, ld, l);
  regs = warp::ldmatrix_x4(smem, off, true);
  for (int blk = 0; blk < 2; ++blk) {
    const auto want_b = warp::distribute_b(&smem[r0 * ld + c0 + 8 * blk], ld);
    for (int l = 0; l < 32; ++l)
      for (int e = 0; e < 4; ++e) ASSERT_EQ(regs[l][4 * blk + e], want_b[l].x[e]) << "Bkn blk " << blk;
  }
}

// The hardware needs every ldmatrix/stmatrix row address 16-byte aligned; the emulator refuses
// what the GPU would fault on or silently misread, so no model can pass with such an address.
TEST(WarpModel, LdmatrixAndStmatrixRefuseMisalignedOrOutOfRangeRows) {
  std::vector<float> smem(32 * 8 + 16, 0.f);
  warp::LaneArray<int> off{};
  for (int l = 0; l < 32; ++l) off[l] = 8 * l;
  EXPECT_NO_THROW(warp::ldmatrix_x4(smem, off, false));
  const warp::LaneArray<std::array<float, 8>> regs{};
  EXPECT_NO_THROW(warp::stmatrix_x4(smem, off, regs));
  for (int bad_lane : {0, 17, 31}) {
    auto misaligned = off;
    misaligned[bad_lane] += 4;  // 8 bytes off
    EXPECT_THROW(warp::ldmatrix_x4(smem, misaligned, true), std::invalid_argument) << bad_lane;
    EXPECT_THROW(warp::stmatrix_x4(smem, misaligned, regs), std::invalid_argument) << bad_lane;
    auto outside = off;
    outside[bad_lane] = static_cast<int>(smem.size());
    EXPECT_THROW(warp::ldmatrix_x4(smem, outside, false), std::out_of_range) << bad_lane;
    outside[bad_lane] = -8;
    EXPECT_THROW(warp::stmatrix_x4(smem, outside, regs), std::out_of_range) << bad_lane;
  }
}

TEST(WarpModel, AccumulatorsReusedAsAOperandLineUp) {
  for (int l = 0; l < 32; ++l)
    for (int kk = 0; kk < 4; ++kk)
      for (int e = 0; e < 8; ++e) {
        const int blk = warp::accum_to_a_block(kk, e), ce = warp::accum_to_a_elem(e);
        EXPECT_EQ(warp::mma_c_fragment_row(l, ce), warp::mma_a_fragment_row(l, e));
        EXPECT_EQ(8 * blk + warp::mma_c_fragment_col(l, ce), 16 * kk + warp::mma_a_fragment_col(l, e));
      }
}

TEST(WarpModel, QuadShuffleReductionsEqualDirectRowReductions) {
  const auto s = small_ints(16 * 8, 9);  // one 16x8 accumulator tile
  const warp::WarpC c = warp::distribute_c(s.data(), 8);
  for (int half = 0; half < 2; ++half) {
    warp::LaneArray<float> mx{}, sum{};
    for (int l = 0; l < 32; ++l) {
      mx[l] = std::max(c[l].x[2 * half], c[l].x[2 * half + 1]);
      sum[l] = c[l].x[2 * half] + c[l].x[2 * half + 1];
    }
    const auto rmax = warp::quad_allreduce_max(mx), rsum = warp::quad_allreduce_sum(sum);
    for (int l = 0; l < 32; ++l) {
      const int row = warp::lane_group(l) + 8 * half;
      float want_max = -INFINITY, want_sum = 0;
      for (int j = 0; j < 8; ++j) want_max = std::max(want_max, s[row * 8 + j]), want_sum += s[row * 8 + j];
      ASSERT_EQ(rmax[l], want_max);
      ASSERT_EQ(rsum[l], want_sum);
    }
  }
  // shfl with explicit sources: a rotation.
  warp::LaneArray<float> v{};
  warp::LaneArray<int> src{};
  for (int l = 0; l < 32; ++l) v[l] = static_cast<float>(l), src[l] = l + 1;
  const auto r = warp::shfl(v, src);
  for (int l = 0; l < 32; ++l) EXPECT_EQ(r[l], static_cast<float>((l + 1) % 32));
}

// A NaN score in one lane poisons its whole row, as the kernels' max_nan shuffles do on the GPU
// (std::max would drop it in the lanes that read it second): a bad input shows as NaN output
// and fails verification instead of vanishing. The other quads are untouched.
TEST(WarpModel, QuadMaxPropagatesANanToEveryLaneOfItsQuadOnly) {
  for (int poisoned = 0; poisoned < 4; ++poisoned) {
    warp::LaneArray<float> v{};
    for (int l = 0; l < 32; ++l) v[l] = static_cast<float>(l);
    v[8 + poisoned] = NAN;  // quad 2: lanes 8..11
    const auto r = warp::quad_allreduce_max(v);
    for (int l = 0; l < 32; ++l) {
      if (l / 4 == 2) EXPECT_TRUE(std::isnan(r[l])) << "lane " << l << ", NaN in lane " << 8 + poisoned;
      else EXPECT_EQ(r[l], static_cast<float>(l / 4 * 4 + 3)) << "lane " << l;
    }
  }
}

// The 16-byte chunk map of the kernels' cp.async tile loads (attention_device.cuh): each element
// of a tile once; a warp's 32 chunks contiguous in global memory within each row; and every
// 8-thread phase of a 16-byte shared-memory store hitting 8 distinct 16-byte bank groups of the
// padded rows (kSmemStride = D + 8 elements).
TEST(WarpModel, TileChunkMapCoversTilesAndStoresWithoutBankConflicts) {
  for (int dim : {64, 128})
    for (int rows : {32, 64}) {
      const int stride = dim + 8, chunks = rows * dim / attn::kChunkElems;
      std::vector<int> hits(static_cast<size_t>(rows * dim), 0);
      for (int c = 0; c < chunks; ++c) {
        const int r = attn::tile_chunk_row(c, dim), col = attn::tile_chunk_col(c, dim);
        ASSERT_LT(r, rows);
        ASSERT_EQ(col % attn::kChunkElems, 0);
        for (int e = 0; e < attn::kChunkElems; ++e) ++hits[static_cast<size_t>(r * dim + col + e)];
      }
      for (int h : hits) ASSERT_EQ(h, 1) << "dim " << dim << " rows " << rows;

      for (int first = 0; first < chunks; first += 32) {
        for (int c = first + 1; c < first + 32 && c < chunks; ++c)
          if (attn::tile_chunk_row(c, dim) == attn::tile_chunk_row(c - 1, dim))
            EXPECT_EQ(attn::tile_chunk_col(c, dim), attn::tile_chunk_col(c - 1, dim) + attn::kChunkElems);
        for (int phase = first; phase < first + 32; phase += 8) {
          std::set<int> bank_groups;  // 32 banks x 4 bytes = 8 groups of 16 bytes
          for (int c = phase; c < phase + 8; ++c) {
            const int byte = 2 * (attn::tile_chunk_row(c, dim) * stride + attn::tile_chunk_col(c, dim));
            ASSERT_EQ(byte % 16, 0);
            bank_groups.insert((byte / 16) % 8);
          }
          EXPECT_EQ(bank_groups.size(), 8u) << "dim " << dim << " chunk " << phase;
        }
      }
    }
}

namespace {

// ldmatrix.x4 on the model over a row-major tile, with the kernels' address maps.
std::array<float, 8> lane_regs(const warp::LaneArray<std::array<float, 8>>& regs, int l) { return regs[l]; }

warp::LaneArray<std::array<float, 8>> ldsm(const std::vector<float>& tile, int ld, int r0, int c0, int which,
                                           bool trans) {
  warp::LaneArray<int> off{};
  for (int l = 0; l < 32; ++l)
    off[l] = which == 0   ? attn::ldsm_a_offset(r0, c0, ld, l)
             : which == 1 ? attn::ldsm_b_nk_offset(r0, c0, ld, l)
                          : attn::ldsm_b_kn_offset(r0, c0, ld, l);
  return warp::ldmatrix_x4(tile, off, trans);
}

void to_frags(const warp::LaneArray<std::array<float, 8>>& regs, warp::WarpA* a, warp::WarpB* b0, warp::WarpB* b1) {
  for (int l = 0; l < 32; ++l) {
    const auto r = lane_regs(regs, l);
    for (int e = 0; e < 8; ++e) {
      if (a) (*a)[l].x[e] = r[e];
      if (e < 4 && b0) (*b0)[l].x[e] = r[e];
      if (e >= 4 && b1) (*b1)[l].x[e - 4] = r[e];
    }
  }
}

}  // namespace

// The backward kernel's per-warp logic (kernels/cuda/attention_bwd.cu) on the model: each key
// tile of 16 is one warp; per query tile it forms Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ, runs
// lane_backward_probs, accumulates dV += Pᵀ·dO and dK += dSᵀ·Q from the accumulators, writes
// dS to "shared memory" as [query][key] and adds dQ += dS·K — then all three gradients must
// equal the fp64 reference.
TEST(WarpModel, BackwardWarpLogicReproducesGradients) {
  constexpr int D = 32, BQ = 16, NQ = BQ / 8, DB = D / 8, KC = D / 16;
  for (bool causal : {false, true}) {
    const int64_t seq = 40;  // ragged: tiles of 16, 16, 8
    auto p = tb::kernels::cpu::make_problem({1, 1, 1, seq, D, causal});
    std::mt19937 rng(causal ? 21 : 22);
    std::normal_distribution<float> dist(0.f, 1.f);
    std::vector<float> q(seq * D), k(seq * D), v(seq * D), dout(seq * D);
    for (auto* x : {&q, &k, &v, &dout})
      for (auto& e : *x) e = dist(rng);
    std::vector<float> lse_l2(seq), dterm(seq);
    for (int64_t i = 0; i < seq; ++i) {
      std::vector<double> o(D);
      lse_l2[i] = attn::lse_to_log2(static_cast<float>(
          tb::kernels::cpu::reference_forward_row(p, q.data(), k.data(), v.data(), 0, 0, i, o.data())));
      double d = 0;
      for (int c = 0; c < D; ++c) d += o[c] * dout[i * D + c];
      dterm[i] = static_cast<float>(d);
    }
    auto tile_of = [&](const std::vector<float>& x, int64_t r0) {  // zero-filled past the end
      std::vector<float> t(16 * D, 0.f);
      for (int64_t r = 0; r < attn::tile_valid_rows(r0, 16, seq); ++r)
        for (int c = 0; c < D; ++c) t[r * D + c] = x[(r0 + r) * D + c];
      return t;
    };
    std::vector<float> dq(seq * D, 0.f), dk(seq * D, 0.f), dv(seq * D, 0.f);
    for (int64_t kt = 0; kt < attn::num_tiles(seq, 16); ++kt) {
      const int64_t k0 = 16 * kt;
      const auto sk = tile_of(k, k0), sv = tile_of(v, k0);
      float dka[32][DB][4] = {}, dva[32][DB][4] = {};
      for (int64_t qt = attn::query_tile_begin(kt, 16, BQ, causal); qt < attn::num_tiles(seq, BQ); ++qt) {
        const int64_t q0 = qt * BQ;
        const auto sq = tile_of(q, q0), sdo = tile_of(dout, q0);
        float s_lse[BQ], s_d[BQ];
        for (int r = 0; r < BQ; ++r) {
          s_lse[r] = q0 + r < seq ? lse_l2[q0 + r] : INFINITY;
          s_d[r] = q0 + r < seq ? dterm[q0 + r] : 0.f;
        }
        warp::WarpC st[NQ] = {}, dpt[NQ] = {};
        for (int kc = 0; kc < KC; ++kc) {
          warp::WarpA ka{}, va{};
          to_frags(ldsm(sk, D, 0, 16 * kc, 0, false), &ka, nullptr, nullptr);
          to_frags(ldsm(sv, D, 0, 16 * kc, 0, false), &va, nullptr, nullptr);
          for (int np = 0; np < NQ / 2; ++np) {
            warp::WarpB qb0{}, qb1{}, ob0{}, ob1{};
            to_frags(ldsm(sq, D, 16 * np, 16 * kc, 1, false), nullptr, &qb0, &qb1);
            to_frags(ldsm(sdo, D, 16 * np, 16 * kc, 1, false), nullptr, &ob0, &ob1);
            warp::mma_m16n8k16(ka, qb0, st[2 * np]);
            warp::mma_m16n8k16(ka, qb1, st[2 * np + 1]);
            warp::mma_m16n8k16(va, ob0, dpt[2 * np]);
            warp::mma_m16n8k16(va, ob1, dpt[2 * np + 1]);
          }
        }
        float pl[32][NQ][4], dsl[32][NQ][4];
        std::vector<float> sds(BQ * 16, 0.f);  // [query][key]
        for (int l = 0; l < 32; ++l) {
          for (int nb = 0; nb < NQ; ++nb)
            for (int e = 0; e < 4; ++e) pl[l][nb][e] = st[nb][l].x[e], dsl[l][nb][e] = dpt[nb][l].x[e];
          attn::lane_backward_probs<NQ>(pl[l], dsl[l], l, k0, q0, seq, causal, static_cast<float>(p.softmax_scale),
                                        s_lse, s_d);
          for (int nb = 0; nb < NQ; ++nb)
            for (int e = 0; e < 4; ++e)
              sds[(8 * nb + warp::mma_c_fragment_col(l, e)) * 16 + warp::mma_c_fragment_row(l, e)] = dsl[l][nb][e];
        }
        for (int kk = 0; kk < NQ / 2; ++kk) {
          warp::WarpA pa{}, dsa{};
          for (int l = 0; l < 32; ++l)
            for (int e = 0; e < 8; ++e) {
              pa[l].x[e] = pl[l][warp::accum_to_a_block(kk, e)][warp::accum_to_a_elem(e)];
              dsa[l].x[e] = dsl[l][warp::accum_to_a_block(kk, e)][warp::accum_to_a_elem(e)];
            }
          for (int dp = 0; dp < D / 16; ++dp) {
            warp::WarpB ob0{}, ob1{}, qb0{}, qb1{};
            to_frags(ldsm(sdo, D, 16 * kk, 16 * dp, 2, true), nullptr, &ob0, &ob1);
            to_frags(ldsm(sq, D, 16 * kk, 16 * dp, 2, true), nullptr, &qb0, &qb1);
            for (int half = 0; half < 2; ++half) {
              warp::WarpC cv{}, ck{};
              for (int l = 0; l < 32; ++l)
                for (int e = 0; e < 4; ++e) cv[l].x[e] = dva[l][2 * dp + half][e], ck[l].x[e] = dka[l][2 * dp + half][e];
              warp::mma_m16n8k16(pa, half ? ob1 : ob0, cv);
              warp::mma_m16n8k16(dsa, half ? qb1 : qb0, ck);
              for (int l = 0; l < 32; ++l)
                for (int e = 0; e < 4; ++e) dva[l][2 * dp + half][e] = cv[l].x[e], dka[l][2 * dp + half][e] = ck[l].x[e];
            }
          }
        }
        // dQ += dS·K for this tile's (16-row, 16-column) units, as the kernel's atomics do.
        for (int dp = 0; dp < D / 16; ++dp) {
          warp::WarpA a{};
          warp::WarpB kb0{}, kb1{};
          to_frags(ldsm(sds, 16, 0, 0, 0, false), &a, nullptr, nullptr);
          to_frags(ldsm(sk, D, 0, 16 * dp, 2, true), nullptr, &kb0, &kb1);
          warp::WarpC acc[2] = {};
          warp::mma_m16n8k16(a, kb0, acc[0]);
          warp::mma_m16n8k16(a, kb1, acc[1]);
          for (int half = 0; half < 2; ++half)
            for (int l = 0; l < 32; ++l)
              for (int e = 0; e < 4; ++e) {
                const int64_t i = q0 + warp::mma_c_fragment_row(l, e);
                const int col = 16 * dp + 8 * half + warp::mma_c_fragment_col(l, e);
                if (i < seq) dq[i * D + col] += acc[half][l].x[e];
              }
        }
      }
      for (int l = 0; l < 32; ++l)
        for (int half = 0; half < 2; ++half) {
          const int64_t j = k0 + warp::mma_c_fragment_row(l, 2 * half);
          if (j >= seq) continue;
          for (int db = 0; db < DB; ++db)
            for (int e = 2 * half; e < 2 * half + 2; ++e) {
              const int col = 8 * db + warp::mma_c_fragment_col(l, e);
              dk[j * D + col] = dka[l][db][e];
              dv[j * D + col] = dva[l][db][e];
            }
        }
    }
    std::vector<double> dq_ref, dk_ref, dv_ref;
    tb::kernels::cpu::reference_backward(p, q.data(), k.data(), v.data(), dout.data(), dq_ref, dk_ref, dv_ref);
    double worst = 0;
    for (int64_t x = 0; x < seq * D; ++x)
      worst = std::max({worst, std::abs(dq[x] - dq_ref[x]), std::abs(dk[x] - dk_ref[x]), std::abs(dv[x] - dv_ref[x])});
    EXPECT_LT(worst, 1e-4) << "causal " << causal;
  }
}
