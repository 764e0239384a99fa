// The fp8 cast-transpose op: the CUDA kernel's tiling run thread by thread on the host (every
// element read once and written once, transposed, warps touching consecutive addresses), that
// emulated block against the exact check, and the CPU backend's kernel through prepare, launch and
// verify, including a planted wrong byte and a wrong amax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "kernels/common/float_formats.hpp"
#include "kernels/common/fp8_cast_tile.hpp"
#include "kernels/common/fp8_format.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/cpu_backend.hpp"
#include "kernels/cpu/fp8_cast_check.hpp"

namespace tb::kernels {
namespace {

using namespace fp8cast;

TEST(Fp8CastTile, EveryThreadReadsAndWritesItsOwnElementsOnce) {
  std::set<std::pair<int, int>> loaded, stored;
  for (int warp = 0; warp < kWarps; ++warp) {
    for (int it = 0; it < kIterations; ++it) {
      const TileCoord first_load = load_coord(warp, 0, it), first_store = store_coord(warp, 0, it);
      for (int lane = 0; lane < 32; ++lane) {
        const TileCoord l = load_coord(warp, lane, it), s = store_coord(warp, lane, it);
        for (int e = 0; e < 2; ++e) {
          EXPECT_TRUE(loaded.insert({l.row, l.col + e}).second) << warp << " " << lane << " " << it;
          EXPECT_TRUE(stored.insert({s.row + e, s.col}).second) << warp << " " << lane << " " << it;
        }
        // Coalescing: a warp reads one tile row, 2 elements per lane in lane order, and writes one
        // tile column (one yt row), 2 bytes per lane in lane order.
        EXPECT_EQ(l.row, first_load.row);
        EXPECT_EQ(l.col, first_load.col + 2 * lane);
        EXPECT_EQ(s.col, first_store.col);
        EXPECT_EQ(s.row, first_store.row + 2 * lane);
      }
    }
  }
  EXPECT_EQ(loaded.size(), static_cast<size_t>(kTile * kTile));
  EXPECT_EQ(stored.size(), static_cast<size_t>(kTile * kTile));
  for (const auto& [row, col] : loaded) {
    EXPECT_GE(row, 0);
    EXPECT_LT(row, kTile);
    EXPECT_GE(col, 0);
    EXPECT_LT(col, kTile);
  }
  EXPECT_EQ(kThreads, 256);
  EXPECT_GE(kSmemStride, kTile);
}

std::vector<float> inputs(int64_t rows, int64_t cols) {
  std::vector<float> x(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = round_to_bf16(memops::hash_uniform(42, i));
  return x;
}

// cast_transpose_kernel's body, block by block and thread by thread, with the same coordinates,
// bounds checks, packed and scalar paths, shared-memory tile and block amax.
struct Emulated {
  std::vector<uint8_t> y, yt;
  float amax = 0;
};
Emulated emulate_kernel(const std::vector<float>& x, int64_t rows, int64_t cols, Fp8Format format = Fp8Format::E4M3) {
  Emulated out{std::vector<uint8_t>(x.size(), 0xff), std::vector<uint8_t>(x.size(), 0xff), 0};
  const bool packed = rows % 2 == 0 && cols % 2 == 0;
  const float scale = scale_for(format);
  auto cast = [&](float v) { return float_to_fp8(v * scale, format); };
  for (int64_t bx = 0; bx * kTile < rows; ++bx) {    // blockIdx.x: row tiles
    for (int64_t by = 0; by * kTile < cols; ++by) {  // blockIdx.y: column tiles
      std::vector<uint8_t> tile(static_cast<size_t>(kTile * kSmemStride), 0xee);
      const int64_t row0 = bx * kTile, col0 = by * kTile;
      std::vector<float> lane_max(kThreads, 0.0f);
      for (int thread = 0; thread < kThreads; ++thread) {
        const int warp = thread / 32, lane = thread % 32;
        float& m = lane_max[static_cast<size_t>(thread)];
        for (int it = 0; it < kIterations; ++it) {
          const TileCoord t = load_coord(warp, lane, it);
          const int64_t r = row0 + t.row, c = col0 + t.col;
          uint8_t q[2] = {0, 0};
          if (packed && r < rows && c < cols) {
            for (int e = 0; e < 2; ++e) {
              const float v = x[static_cast<size_t>(y_index(r, c + e, cols))];
              m = std::max(m, std::fabs(v));
              q[e] = cast(v);
              out.y[static_cast<size_t>(y_index(r, c + e, cols))] = q[e];  // the 2-byte store, little-endian
            }
          } else if (!packed) {
            for (int e = 0; e < 2; ++e) {
              if (r >= rows || c + e >= cols) continue;
              const float v = x[static_cast<size_t>(y_index(r, c + e, cols))];
              m = std::max(m, std::fabs(v));
              q[e] = cast(v);
              out.y[static_cast<size_t>(y_index(r, c + e, cols))] = q[e];
            }
          }
          tile[static_cast<size_t>(t.row * kSmemStride + t.col)] = q[0];
          tile[static_cast<size_t>(t.row * kSmemStride + t.col + 1)] = q[1];
        }
      }
      std::vector<float> warp_max(kAmaxSlots, 0.0f);  // shuffle reduction, lane 0 writes its warp's
      for (int warp = 0; warp < kWarps; ++warp) {
        const auto begin = lane_max.begin() + warp * 32;
        warp_max[static_cast<size_t>(warp)] = *std::max_element(begin, begin + 32);
      }
      for (int thread = 0; thread < kThreads; ++thread) {  // after __syncthreads()
        const int warp = thread / 32, lane = thread % 32;
        for (int it = 0; it < kIterations; ++it) {
          const TileCoord t = store_coord(warp, lane, it);
          const int64_t r = row0 + t.row, c = col0 + t.col;
          const uint8_t a = tile[static_cast<size_t>(t.row * kSmemStride + t.col)];
          const uint8_t b = tile[static_cast<size_t>((t.row + 1) * kSmemStride + t.col)];
          if (packed && r < rows && c < cols) {
            out.yt[static_cast<size_t>(yt_index(r, c, rows))] = a;
            out.yt[static_cast<size_t>(yt_index(r + 1, c, rows))] = b;
          } else if (!packed && c < cols) {
            if (r < rows) out.yt[static_cast<size_t>(yt_index(r, c, rows))] = a;
            if (r + 1 < rows) out.yt[static_cast<size_t>(yt_index(r + 1, c, rows))] = b;
          }
        }
      }
      out.amax = std::max(out.amax, *std::max_element(warp_max.begin(), warp_max.end()));  // atomicMax
    }
  }
  return out;
}

TEST(Fp8CastTile, EmulatedKernelMatchesTheCheckOnRaggedShapes) {
  // Even shapes take the packed path (pairs), odd ones the scalar path.
  for (const Fp8Format format : {Fp8Format::E4M3, Fp8Format::E5M2}) {
    for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{64, 64}, {100, 70}, {1, 130}, {130, 1}, {257, 192},
                                     {2, 2}, {66, 130}}) {
      const auto x = inputs(rows, cols);
      const Emulated e = emulate_kernel(x, rows, cols, format);
      const VerifyResult v = fp8cast::verify(rows, cols, format, x, e.y, e.yt, e.amax, rows);
      EXPECT_TRUE(v.passed) << to_string(format) << " " << rows << "x" << cols << ": " << v.detail;
      EXPECT_EQ(v.elements_checked, 2 * rows * cols);
    }
  }
}

// A cast in the other format (e4m3 bytes where the op writes e5m2, or the reverse) fails the check:
// the format is part of what is checked, not only the transpose.
TEST(Fp8CastTile, TheCheckCatchesTheWrongFormat) {
  const int64_t rows = 64, cols = 64;
  const auto x = inputs(rows, cols);
  const Emulated e4m3 = emulate_kernel(x, rows, cols, Fp8Format::E4M3);
  const Emulated e5m2 = emulate_kernel(x, rows, cols, Fp8Format::E5M2);
  EXPECT_FALSE(fp8cast::verify(rows, cols, Fp8Format::E5M2, x, e4m3.y, e4m3.yt, e4m3.amax, rows).passed);
  const VerifyResult wrong = fp8cast::verify(rows, cols, Fp8Format::E4M3, x, e5m2.y, e5m2.yt, e5m2.amax, rows);
  EXPECT_FALSE(wrong.passed);
  EXPECT_NE(wrong.detail.find("e4m3 of"), std::string::npos) << wrong.detail;
}

TEST(Fp8CastTile, TheCheckCatchesAWrongTransposeAByteAndTheAmax) {
  const int64_t rows = 100, cols = 70;
  const auto x = inputs(rows, cols);
  const Emulated good = emulate_kernel(x, rows, cols);
  Emulated e = good;
  // Two transposed bytes swapped (the first pair in yt's first row that differ).
  size_t i = 0;
  while (i + 1 < e.yt.size() && e.yt[i] == e.yt[i + 1]) ++i;
  ASSERT_LT(i + 1, e.yt.size());
  std::swap(e.yt[i], e.yt[i + 1]);
  EXPECT_FALSE(fp8cast::verify(rows, cols, Fp8Format::E4M3, x, e.y, e.yt, e.amax, rows).passed);
  e = good;
  e.y[static_cast<size_t>(cols + 3)] ^= 0x01;
  const VerifyResult wrong = fp8cast::verify(rows, cols, Fp8Format::E4M3, x, e.y, e.yt, e.amax, rows);
  EXPECT_FALSE(wrong.passed);
  EXPECT_NE(wrong.detail.find("row 1 col 3"), std::string::npos) << wrong.detail;
  e = good;
  e.amax *= 0.5f;
  const VerifyResult amax = fp8cast::verify(rows, cols, Fp8Format::E4M3, x, e.y, e.yt, e.amax, rows);
  EXPECT_FALSE(amax.passed);
  EXPECT_NE(amax.detail.find("amax"), std::string::npos) << amax.detail;
  // A byte never written (0xff is fp8 NaN) fails too.
  e = good;
  e.yt.back() = 0xff;
  EXPECT_FALSE(fp8cast::verify(rows, cols, Fp8Format::E4M3, x, e.y, e.yt, e.amax, rows).passed);
}

// Known roundings at the scale of an amax of 1: 1.0 → 448 (the largest finite e4m3, 0x7e), 0.5 →
// 224 (0x76), -0.25 → -112 (0xee), and a value between two e4m3 neighbours to the nearer one. In
// e5m2 (dY): 1.0 → 57344 (0x7b), 0.5 → 28672 (0x77), -0.25 → -14336 (0xf3), 0.3 → 16384 (17203.2
// between 16384 and 20480).
TEST(Fp8CastTile, ScaledCastsOfKnownValues) {
  const float e4m3 = scale_for(Fp8Format::E4M3), e5m2 = scale_for(Fp8Format::E5M2);
  EXPECT_FLOAT_EQ(e4m3, 448.0f);
  EXPECT_FLOAT_EQ(e5m2, 57344.0f);
  EXPECT_EQ(float_to_fp8_e4m3(1.0f * e4m3), 0x7e);
  EXPECT_EQ(float_to_fp8_e4m3(0.5f * e4m3), 0x76);
  EXPECT_EQ(float_to_fp8_e4m3(-0.25f * e4m3), 0xee);
  EXPECT_EQ(fp8_e4m3_to_float(float_to_fp8_e4m3(0.3f * e4m3)), 128.0f);  // 134.4 → 128 (next: 144)
  EXPECT_EQ(float_to_fp8_e5m2(1.0f * e5m2), 0x7b);
  EXPECT_EQ(float_to_fp8_e5m2(0.5f * e5m2), 0x77);
  EXPECT_EQ(float_to_fp8_e5m2(-0.25f * e5m2), 0xf3);
  EXPECT_EQ(fp8_e5m2_to_float(float_to_fp8_e5m2(0.3f * e5m2)), 16384.0f);
}

TEST(Fp8CastCpu, BackendRunsTheOpAndItsCheckCatchesAPlantedByte) {
  auto backend = cpu::make_backend();
  const Op op = make_fp8_cast_op("qkv.cast_dy", {130, 96}, Fp8Format::E5M2);
  EXPECT_DOUBLE_EQ(op.bytes, 4.0 * 130 * 96);  // bf16 read, two fp8 written
  EXPECT_EQ(op.kind, OpKind::Fp8CastTranspose);
  EXPECT_EQ(op.dtype, DType::BF16);
  PrepareOptions options;
  auto kernel = backend->prepare(op, options);
  kernel->launch();
  const VerifyResult ok = kernel->verify();
  EXPECT_TRUE(ok.passed) << ok.detail;
  EXPECT_GT(ok.elements_checked, 0);
  kernel->corrupt_output_for_testing();
  const VerifyResult bad = kernel->verify();
  EXPECT_FALSE(bad.passed);
  EXPECT_NE(bad.detail.find("row 0 col 48"), std::string::npos) << bad.detail;
  EXPECT_GT(backend->time_sample_ms(*kernel), 0);
  EXPECT_NE(kernel->algorithm().find("e5m2 (scale 57344)"), std::string::npos) << kernel->algorithm();
  // The same op in e4m3 runs and passes its own check.
  auto x = backend->prepare(make_fp8_cast_op("qkv.cast_x", {64, 32}, Fp8Format::E4M3), options);
  x->launch();
  EXPECT_TRUE(x->verify().passed);
  EXPECT_NE(x->algorithm().find("e4m3 (scale 448)"), std::string::npos) << x->algorithm();
}

}  // namespace
}  // namespace tb::kernels
