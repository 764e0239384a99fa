// The shared-memory operands of the wgmma attention forward (kernels/common/wgmma_layout.hpp),
// checked on the host: what the kernel's writers (cp.async chunks for K, ldmatrix.trans +
// stmatrix for Vᵀ) put where, against a model of the tensor cores' reader decoded from the
// descriptor as the PTX ISA defines it. A layout or descriptor bug shows here as a wrong
// element, without a GPU.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "kernels/common/attention_math.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/common/wgmma_layout.hpp"

namespace wg = tb::kernels::wgmma;
namespace warp = tb::kernels::warp;
namespace attn = tb::kernels::attn;

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
        warp::LaneArray<const float*> src{};
        warp::LaneArray<float*> dst{};
        for (int l = 0; l < 32; ++l) {
          const int block = wg::vt_block(r, w, kWarps, warp::ldmatrix_source_matrix(l));
          const int row = warp::ldmatrix_source_row(l);
          if (row == 0) EXPECT_TRUE(seen.insert(block).second) << "block " << block << " twice";
          src[l] = &v[static_cast<size_t>(wg::vt_source_offset(block, row, kKeys, lds))];
          const int dest = wg::vt_dest_offset(block, row, kKeys, t);
          ASSERT_EQ(dest % 16, 0);
          dst[l] = &vt[static_cast<size_t>(dest / 2)];
        }
        warp::stmatrix_x4(dst, warp::ldmatrix_x4(src, /*trans=*/true));
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
  warp::LaneArray<const float*> src{};
  warp::LaneArray<float*> dst{};
  for (int l = 0; l < 32; ++l) src[l] = &a[static_cast<size_t>(8 * l)], dst[l] = &b[static_cast<size_t>(8 * l)];
  warp::stmatrix_x4(dst, warp::ldmatrix_x4(src, false));
  EXPECT_EQ(a, b);
}
