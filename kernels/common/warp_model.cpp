#include "kernels/common/warp_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/common/attention_math.hpp"

namespace tb::kernels::warp {

LaneArray<float> shfl_xor(const LaneArray<float>& v, int mask) {
  LaneArray<float> out{};
  for (int l = 0; l < kWarpSize; ++l) out[l] = v[(l ^ mask) & (kWarpSize - 1)];
  return out;
}

LaneArray<float> shfl(const LaneArray<float>& v, const LaneArray<int>& src_lane) {
  LaneArray<float> out{};
  for (int l = 0; l < kWarpSize; ++l) out[l] = v[src_lane[l] & (kWarpSize - 1)];
  return out;
}

LaneArray<float> quad_allreduce_max(const LaneArray<float>& v) {
  LaneArray<float> r = v;
  for (int mask : {1, 2}) {
    const LaneArray<float> other = shfl_xor(r, mask);
    for (int l = 0; l < kWarpSize; ++l) r[l] = attn::max_nan(r[l], other[l]);  // as the kernels' quad_max
  }
  return r;
}

LaneArray<float> quad_allreduce_sum(const LaneArray<float>& v) {
  LaneArray<float> r = v;
  for (int mask : {1, 2}) {
    const LaneArray<float> other = shfl_xor(r, mask);
    for (int l = 0; l < kWarpSize; ++l) r[l] += other[l];
  }
  return r;
}

WarpA distribute_a(const float* a, int lda) {
  WarpA w{};
  for (int l = 0; l < kWarpSize; ++l)
    for (int e = 0; e < 8; ++e) w[l].x[e] = a[mma_a_fragment_row(l, e) * lda + mma_a_fragment_col(l, e)];
  return w;
}

WarpB distribute_b(const float* b, int ldb) {
  WarpB w{};
  for (int l = 0; l < kWarpSize; ++l)
    for (int e = 0; e < 4; ++e) w[l].x[e] = b[mma_b_fragment_row(l, e) * ldb + mma_b_fragment_col(l, e)];
  return w;
}

WarpC distribute_c(const float* c, int ldc) {
  WarpC w{};
  for (int l = 0; l < kWarpSize; ++l)
    for (int e = 0; e < 4; ++e) w[l].x[e] = c[mma_c_fragment_row(l, e) * ldc + mma_c_fragment_col(l, e)];
  return w;
}

void gather_c(const WarpC& c, float* out, int ldc) {
  for (int l = 0; l < kWarpSize; ++l)
    for (int e = 0; e < 4; ++e) out[mma_c_fragment_row(l, e) * ldc + mma_c_fragment_col(l, e)] = c[l].x[e];
}

void mma_m16n8k16(const WarpA& a, const WarpB& b, WarpC& c) {
  float am[16][16] = {};
  float bm[16][8] = {};
  for (int l = 0; l < kWarpSize; ++l) {
    for (int e = 0; e < 8; ++e) am[mma_a_fragment_row(l, e)][mma_a_fragment_col(l, e)] = a[l].x[e];
    for (int e = 0; e < 4; ++e) bm[mma_b_fragment_row(l, e)][mma_b_fragment_col(l, e)] = b[l].x[e];
  }
  for (int l = 0; l < kWarpSize; ++l) {
    for (int e = 0; e < 4; ++e) {
      const int row = mma_c_fragment_row(l, e), col = mma_c_fragment_col(l, e);
      float acc = c[l].x[e];
      for (int k = 0; k < 16; ++k) acc += am[row][k] * bm[k][col];
      c[l].x[e] = acc;
    }
  }
}

namespace {

std::string row_address(const char* what, int lane, int row) {
  return std::string(what) + ": lane " + std::to_string(lane) + " row address at element " + std::to_string(row);
}

// What the hardware requires of the 32 row addresses (see the header), checked before any access.
void check_rows(const char* what, size_t region, const LaneArray<int>& row) {
  constexpr int kRowElems = 8;  // 16 bytes of 16-bit elements
  for (int l = 0; l < kWarpSize; ++l) {
    if (row[l] % kRowElems != 0) throw std::invalid_argument(row_address(what, l, row[l]) + " is not 16-byte aligned");
    if (row[l] < 0 || static_cast<size_t>(row[l]) + kRowElems > region)
      throw std::out_of_range(row_address(what, l, row[l]) + " is outside the " + std::to_string(region) +
                              "-element region");
  }
}

}  // namespace

LaneArray<std::array<float, 8>> ldmatrix_x4(std::span<const float> smem, const LaneArray<int>& row, bool trans) {
  check_rows("ldmatrix", smem.size(), row);
  LaneArray<std::array<float, 8>> out{};
  for (int l = 0; l < kWarpSize; ++l) {
    for (int j = 0; j < 4; ++j) {
      for (int e = 0; e < 2; ++e) {
        const int r = ldmatrix_dest_row(l, e, trans), col = ldmatrix_dest_col(l, e, trans);
        // Row r of matrix j was addressed by lane 8j + r.
        out[l][2 * j + e] = smem[static_cast<size_t>(row[8 * j + r] + col)];
      }
    }
  }
  return out;
}

void stmatrix_x4(std::span<float> smem, const LaneArray<int>& row, const LaneArray<std::array<float, 8>>& regs) {
  check_rows("stmatrix", smem.size(), row);
  for (int l = 0; l < kWarpSize; ++l)
    for (int j = 0; j < 4; ++j)
      for (int e = 0; e < 2; ++e) {
        const int r = ldmatrix_dest_row(l, e, false), col = ldmatrix_dest_col(l, e, false);
        smem[static_cast<size_t>(row[8 * j + r] + col)] = regs[l][2 * j + e];
      }
}

}  // namespace tb::kernels::warp
