// The shared-memory operands of the wgmma attention forward (kernels/common/wgmma_layout.hpp),
// checked on the host: what the kernel's writers (cp.async chunks for K, ldmatrix.trans +
// stmatrix for Vᵀ) put where, against a model of the tensor cores' reader decoded from the
// descriptor as the PTX ISA defines it. A layout or descriptor bug shows here as a wrong
// element, without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "kernels/common/attention_fwd_layout.hpp"
#include "kernels/common/attention_fwd_warp.hpp"
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/common/wgmma_layout.hpp"
#include "kernels/cpu/attention_reference.hpp"
#include "tests/kernels/block_model.hpp"

namespace wg = tb::kernels::wgmma;
namespace warp = tb::kernels::warp;
namespace attn = tb::kernels::attn;
namespace fwd = tb::kernels::attn::fwd;
using tb::test::block_model::quad_max_rows;
using tb::test::block_model::quad_sum_lanes;

namespace {

constexpr int kKeys = 64;  // key tile of the kernel
constexpr int kWarps = 4;  // one warpgroup

float value_of(int row, int col) { return static_cast<float>(row * 1000 + col); }

}  // namespace

TEST(WgmmaLayout, DescriptorFieldsFollowThePtxFormat) {
  const wg::KMajorTile t = wg::packed_k_major(128);
  EXPECT_EQ(t.lbo, 128);
  EXPECT_EQ(t.sbo, 2048);
  const uint32_t addr = 0x1a2b0;  // 16-byte aligned, inside 228 KB
  const uint64_t d = wg::descriptor(addr, t);
  EXPECT_EQ(d & 0x3FFF, addr >> 4);
  EXPECT_EQ((d >> 16) & 0x3FFF, 128u >> 4);
  EXPECT_EQ((d >> 32) & 0x3FFF, 2048u >> 4);
  // Reserved bits, base offset and swizzle mode (no swizzle) are zero.
  EXPECT_EQ(d & 0xC000ull, 0u);
  EXPECT_EQ(d & 0xC0000000ull, 0u);
  EXPECT_EQ(d >> 46, 0u);
  EXPECT_EQ(wg::descriptor_element_address(d, 0, 0), addr);
  EXPECT_EQ(wg::descriptor_element_address(d, 9, 10), addr + 2048 + 128 + 16 + 4);
}

// K tile: N = 64 keys × K = D dims, written by 16-byte cp.async chunks.
TEST(WgmmaLayout, KTileChunksLandWhereEachK16StepReadsThem) {
  for (int dim : {64, 128}) {
    const wg::KMajorTile t = wg::packed_k_major(dim);
    const uint32_t base = 4096;
    std::vector<float> smem(static_cast<size_t>(kKeys * dim), -1.f);  // element-indexed stand-in
    std::set<int> starts;
    for (int c = 0; c < kKeys * dim / attn::kChunkElems; ++c) {
      const int row = wg::k_tile_chunk_row(c, dim), col = wg::k_tile_chunk_col(c, dim);
      ASSERT_LT(row, kKeys);
      const int dest = wg::k_major_offset(row, col, t);
      ASSERT_EQ(dest % 16, 0);
      ASSERT_TRUE(starts.insert(dest).second) << "two chunks at byte " << dest;
      for (int e = 0; e < attn::kChunkElems; ++e) {
        ASSERT_EQ(wg::k_major_offset(row, col + e, t), dest + 2 * e);  // one contiguous 16-byte write
        smem[static_cast<size_t>(dest / 2 + e)] = value_of(row, col + e);
      }
    }
    for (int step = 0; step < dim / 16; ++step) {
      const uint64_t desc = wg::k_step_descriptor(base, step, t);
      for (int n = 0; n < kKeys; ++n)
        for (int k = 0; k < 16; ++k) {
          const uint32_t a = wg::descriptor_element_address(desc, n, k) - base;
          ASSERT_LT(a, smem.size() * 2);
          ASSERT_EQ(smem[a / 2], value_of(n, 16 * step + k)) << "dim " << dim << " step " << step;
        }
    }
  }
}

// Each 8-thread phase of the K tile's cp.async stores fills one whole core matrix (128
// contiguous bytes: no bank conflicts); each warp reads 8 rows x 64 contiguous bytes.
TEST(WgmmaLayout, KTileChunkPhasesStoreWholeCoreMatrices) {
  for (int dim : {64, 128}) {
    const wg::KMajorTile t = wg::packed_k_major(dim);
    for (int phase = 0; phase < kKeys * dim / 8; phase += 8) {
      const int first = wg::k_major_offset(wg::k_tile_chunk_row(phase, dim), wg::k_tile_chunk_col(phase, dim), t);
      EXPECT_EQ(first % 128, 0);
      for (int i = 1; i < 8; ++i)
        EXPECT_EQ(wg::k_major_offset(wg::k_tile_chunk_row(phase + i, dim), wg::k_tile_chunk_col(phase + i, dim), t),
                  first + 16 * i);
    }
    for (int w = 0; w < kKeys * dim / 8; w += 32) {
      std::set<int> rows;
      std::set<int> cols;
      for (int c = w; c < w + 32; ++c) rows.insert(wg::k_tile_chunk_row(c, dim)), cols.insert(wg::k_tile_chunk_col(c, dim));
      EXPECT_EQ(rows.size(), 8u);
      EXPECT_EQ(cols.size(), 4u);
      EXPECT_EQ(*cols.rbegin() - *cols.begin(), 24);  // 4 adjacent chunks: 64 contiguous bytes per row
    }
  }
}

// V tile: [key][dim] in padded rows; the warpgroup transposes it block by block into Vᵀ
// (N = dims, K = keys), which O += P·V reads k16 step by step.
TEST(WgmmaLayout, VTransposedByLdmatrixAndStmatrixIsTheBOperandOfPV) {
  for (int dim : {64, 128}) {
    const int lds = dim + 8;
    std::vector<float> v(static_cast<size_t>(kKeys * lds), -7.f);
    for (int j = 0; j < kKeys; ++j)
      for (int c = 0; c < dim; ++c) v[static_cast<size_t>(j * lds + c)] = value_of(j, c);
    const wg::KMajorTile t = wg::packed_k_major(kKeys);
    std::vector<float> vt(static_cast<size_t>(kKeys * dim), -1.f);

    const int blocks = (kKeys / 8) * (dim / 8), rounds = blocks / (4 * kWarps);
    ASSERT_EQ(rounds * 4 * kWarps, blocks);
    std::set<int> seen;
    for (int r = 0; r < rounds; ++r)
      for (int w = 0; w < kWarps; ++w) {
        warp::LaneArray<int> src{}, dst{};
        for (int l = 0; l < 32; ++l) {
          const int block = wg::vt_block(r, w, kWarps, warp::ldmatrix_source_matrix(l));
          const int row = warp::ldmatrix_source_row(l);
          if (row == 0) EXPECT_TRUE(seen.insert(block).second) << "block " << block << " twice";
          src[l] = wg::vt_source_offset(block, row, kKeys, lds);
          const int dest = wg::vt_dest_offset(block, row, kKeys, t);
          ASSERT_EQ(dest % 2, 0);
          dst[l] = dest / 2;  // bytes to 16-bit elements; the emulation checks the 16-byte alignment
        }
        warp::stmatrix_x4(vt, dst, warp::ldmatrix_x4(v, src, /*trans=*/true));
      }
    EXPECT_EQ(static_cast<int>(seen.size()), blocks);

    const uint32_t base = 0x8000;
    for (int step = 0; step < kKeys / 16; ++step) {
      const uint64_t desc = wg::k_step_descriptor(base, step, t);
      for (int n = 0; n < dim; ++n)
        for (int k = 0; k < 16; ++k) {
          const uint32_t a = wg::descriptor_element_address(desc, n, k) - base;
          ASSERT_LT(a, vt.size() * 2);
          // B(k, n) of P·V is V[key 16·step + k][dim n].
          ASSERT_EQ(vt[a / 2], value_of(16 * step + k, n)) << "dim " << dim << " step " << step;
        }
    }
  }
}

// The model's stmatrix is ldmatrix's inverse: a load then a store moves each matrix unchanged.
TEST(WgmmaLayout, StmatrixUndoesLdmatrix) {
  std::vector<float> a(32 * 8), b(32 * 8, 0.f);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i);
  warp::LaneArray<int> rows{};
  for (int l = 0; l < 32; ++l) rows[l] = 8 * l;
  warp::stmatrix_x4(b, rows, warp::ldmatrix_x4(a, rows, false));
  EXPECT_EQ(a, b);
}

// ======== the wgmma forward's loop (attention_fwd_wgmma.cu) on a warpgroup model ========
namespace {

// wgmma.mma_async m64nNk16 with A from registers, as the PTX ISA defines it: warp w of the
// warpgroup holds rows 16w..16w+15 of A in the mma.m16n8k16 A-fragment layout and of D in the
// C-fragment layout per 8-column block; B(k, n) is read through the descriptor. `smem` stands in
// for shared memory: one float per 16-bit element, byte address `base` at index 0.
struct WarpgroupAcc {
  std::vector<float> x;  // [warp][lane][nb][e]
  int nb = 0;
  explicit WarpgroupAcc(int n) : x(static_cast<size_t>(4 * 32 * (n / 8) * 4), 0.f), nb(n / 8) {}
  float& at(int w, int l, int b, int e) { return x[static_cast<size_t>(((w * 32 + l) * nb + b) * 4 + e)]; }
};

void wgmma_rs_model(WarpgroupAcc& d, const warp::WarpA (&a)[4], const std::vector<float>& smem, uint32_t base,
                    uint64_t desc, bool accumulate) {
  const int n_cols = 8 * d.nb;
  for (int w = 0; w < 4; ++w) {
    float am[16][16], dm[16][256];
    for (int l = 0; l < 32; ++l)
      for (int e = 0; e < 8; ++e) am[warp::mma_a_fragment_row(l, e)][warp::mma_a_fragment_col(l, e)] = a[w][l].x[e];
    for (int m = 0; m < 16; ++m)
      for (int n = 0; n < n_cols; ++n) {
        float acc = 0.f;
        for (int k = 0; k < 16; ++k)
          acc += am[m][k] * smem[(wg::descriptor_element_address(desc, n, k) - base) / 2];
        dm[m][n] = acc;
      }
    for (int l = 0; l < 32; ++l)
      for (int b = 0; b < d.nb; ++b)
        for (int e = 0; e < 4; ++e) {
          const float prod = dm[warp::mma_c_fragment_row(l, e)][8 * b + warp::mma_c_fragment_col(l, e)];
          d.at(w, l, b, e) = (accumulate ? d.at(w, l, b, e) : 0.f) + prod;
        }
  }
}

// One block (64 query rows, 4 warps) over every key tile it visits: K chunks into core
// matrices, S by k16 wgmma steps, the softmax step, V transposed by ldmatrix.trans + stmatrix,
// P from the S accumulators as A, O by wgmma steps, the epilogue; then O and the LSE against the
// fp64 reference. The Q loads, the softmax step and the epilogue are the functions the kernel
// shares with the mma.sync forward (attention_fwd_layout.hpp, attention_fwd_warp.hpp).
template <int D>
void check_wgmma_forward(int64_t qt, bool causal) {
  SCOPED_TRACE(testing::Message() << "d " << D << " query tile " << qt << " causal " << causal);
  constexpr int NB = kKeys / 8, DB = D / 8, KC = D / 16, LDS = attn::kSmemStride<D>;
  static_assert(fwd::kBlockK == kKeys && fwd::kWarps == kWarps);
  const wg::KMajorTile tile_k = wg::packed_k_major(D), tile_vt = wg::packed_k_major(kKeys);
  const uint32_t k_base = 0x2000, vt_base = 0x6000;
  const int64_t seq = 150;  // two full key tiles and 22 keys; query tile 2 is ragged too
  auto p = tb::kernels::cpu::make_problem({1, 1, 1, seq, D, causal});
  const attn::GlobalLayout layout{seq, 1, 1, D};
  std::mt19937 rng(static_cast<uint32_t>(D + (causal ? 21 : 22)));
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> q(seq * D), k(seq * D), v(seq * D), q_tile(64 * LDS, 0.f);
  for (auto* x : {&q, &k, &v})
    for (auto& e : *x) e = dist(rng);
  const int64_t q0 = qt * 64;
  for (int64_t r = 0; r < attn::tile_valid_rows(q0, 64, seq); ++r)
    for (int col = 0; col < D; ++col) q_tile[r * LDS + col] = q[(q0 + r) * D + col];
  const float sl2 = attn::scale_log2(static_cast<float>(p.softmax_scale));

  warp::WarpA qf[KC][4];  // [k chunk][warp]: load_q_fragments
  for (int w = 0; w < 4; ++w)
    for (int kc = 0; kc < KC; ++kc) {
      warp::LaneArray<int> rows{};
      for (int l = 0; l < 32; ++l) rows[l] = fwd::q_ldsm_offset<D>(w, kc, l);
      const auto regs = warp::ldmatrix_x4(q_tile, rows, false);
      for (int l = 0; l < 32; ++l)
        for (int e = 0; e < 8; ++e) qf[kc][w][l].x[e] = regs[l][e];
    }

  WarpgroupAcc o(D);
  attn::SoftmaxState state[4][32][2];
  const int64_t tiles = attn::key_tile_end(qt, 64, kKeys, seq, causal);
  for (int64_t kt = 0; kt < tiles; ++kt) {
    const int64_t k0 = kt * kKeys;
    std::vector<float> sk(kKeys * D, 0.f), sv(kKeys * LDS, 0.f), svt(kKeys * D, -1.f);
    for (int ch = 0; ch < kKeys * D / 8; ++ch) {  // cp_async_k_tile, zero-filled past the end
      const int r = wg::k_tile_chunk_row(ch, D), col = wg::k_tile_chunk_col(ch, D);
      for (int e = 0; e < 8; ++e)
        sk[wg::k_major_offset(r, col + e, tile_k) / 2] = k0 + r < seq ? k[(k0 + r) * D + col + e] : 0.f;
    }
    for (int64_t r = 0; r < attn::tile_valid_rows(k0, kKeys, seq); ++r)
      for (int col = 0; col < D; ++col) sv[r * LDS + col] = v[(k0 + r) * D + col];

    WarpgroupAcc s(kKeys);
    for (auto& x : s.x) x = NAN;  // the first step must not read it (scale-d = 0)
    for (int kc = 0; kc < KC; ++kc) {
      const warp::WarpA a[4] = {qf[kc][0], qf[kc][1], qf[kc][2], qf[kc][3]};
      wgmma_rs_model(s, a, sk, k_base, wg::k_step_descriptor(k_base, kc, tile_k), kc > 0);
    }
    // online_softmax_step, per warp, on its lanes' slices of the warpgroup accumulators.
    float sl[4][32][NB][4], ol[4][32][DB][4];
    for (int w = 0; w < 4; ++w) {
      for (int l = 0; l < 32; ++l) {
        for (int b = 0; b < NB; ++b)
          for (int e = 0; e < 4; ++e) sl[w][l][b][e] = s.at(w, l, b, e);
        for (int b = 0; b < DB; ++b)
          for (int e = 0; e < 4; ++e) ol[w][l][b][e] = o.at(w, l, b, e);
      }
      fwd::online_softmax_step<NB, DB, 32>(
          [&](int l) { return fwd::SoftmaxLane<NB, DB>{sl[w][l], ol[w][l], state[w][l], l}; }, quad_max_rows,
          q0 + fwd::warp_query_offset(w), k0, seq, causal, sl2);
      for (int l = 0; l < 32; ++l)
        for (int b = 0; b < DB; ++b)
          for (int e = 0; e < 4; ++e) o.at(w, l, b, e) = ol[w][l][b][e];
    }
    // transpose_v_tile
    for (int r = 0; r < (kKeys / 8) * (D / 8) / 16; ++r)
      for (int w = 0; w < 4; ++w) {
        warp::LaneArray<int> src{}, dst{};
        for (int l = 0; l < 32; ++l) {
          const int block = wg::vt_block(r, w, 4, warp::ldmatrix_source_matrix(l)), row = warp::ldmatrix_source_row(l);
          src[l] = wg::vt_source_offset(block, row, kKeys, LDS);
          dst[l] = wg::vt_dest_offset(block, row, kKeys, tile_vt) / 2;
        }
        warp::stmatrix_x4(svt, dst, warp::ldmatrix_x4(sv, src, true));
      }
    for (int kk = 0; kk < NB / 2; ++kk) {
      warp::WarpA pa[4];
      for (int w = 0; w < 4; ++w)
        for (int l = 0; l < 32; ++l)
          for (int e = 0; e < 8; ++e) pa[w][l].x[e] = sl[w][l][warp::accum_to_a_block(kk, e)][warp::accum_to_a_elem(e)];
      wgmma_rs_model(o, pa, svt, vt_base, wg::k_step_descriptor(vt_base, kk, tile_vt), true);
    }
  }

  // store_output_and_lse, then every row of the tile against the fp64 reference.
  std::vector<float> out(seq * D, NAN), lse(seq, NAN);
  int stores = 0;
  for (int w = 0; w < 4; ++w) {
    float ow[32][DB][4];
    for (int l = 0; l < 32; ++l)
      for (int b = 0; b < DB; ++b)
        for (int e = 0; e < 4; ++e) ow[l][b][e] = o.at(w, l, b, e);
    fwd::store_output_and_lse<DB, 32>(
        [&](int l) { return fwd::OutputLane<DB>{ow[l], state[w][l], l}; }, quad_sum_lanes, layout, 0, 0,
        q0 + fwd::warp_query_offset(w),
        [&](int64_t at, float lo, float hi) { out.at(at) = lo, out.at(at + 1) = hi, stores += 2; },
        [&](int64_t at, float x) { lse.at(at) = x; });
  }
  const int64_t rows = attn::tile_valid_rows(q0, 64, seq);
  EXPECT_EQ(stores, rows * D);
  double worst = 0;
  for (int64_t i = q0; i < q0 + rows; ++i) {
    std::vector<double> ref(D);
    const double ref_lse = tb::kernels::cpu::reference_forward_row(p, q.data(), k.data(), v.data(), 0, 0, i, ref.data());
    EXPECT_NEAR(lse[i], ref_lse, 1e-4) << "row " << i;
    for (int c = 0; c < D; ++c) worst = std::max(worst, std::abs(out[i * D + c] - ref[c]));
  }
  EXPECT_LT(worst, 1e-4);
}

}  // namespace

TEST(WgmmaLayout, ForwardLoopOnAWarpgroupModelReproducesAttention) {
  for (const int64_t qt : {1, 2})
    for (const bool causal : {false, true}) {
      check_wgmma_forward<64>(qt, causal);
      check_wgmma_forward<128>(qt, causal);
    }
}
