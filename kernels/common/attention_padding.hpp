#pragma once
// How the fused attention kernels run a head dim they are not instantiated for. nvcc builds each
// pass for d = 64 and 128 only (kernels/cuda/attention_device.cuh's for_variant: every further
// width is 8 more kernels to compile); GPT-3 Large's 96 and 2.7B's 80 run on the next one, as
// FlashAttention-2 runs any d up to 256 on its instantiations of 32, 64, ..., 256: Q, K, V, O, dO,
// dQ, dK, dV live as [batch, seq, heads, d_pad] with columns d..d_pad−1 zero.
//
// Why that changes nothing in the real columns, and keeps the pads zero:
//   S = Q·Kᵀ sums over the columns: a pad adds 0·0 to each score, so S is the d-wide product;
//     the scale is the true d's 1/sqrt(d), not d_pad's, which would flatten the softmax.
//   O = P·V: column c of O is P times column c of V; a zero V column gives a zero O column.
//   D = rowsum(dO ∘ O) adds 0·0 per pad; dP = dO·Vᵀ sums over the columns like S: both are
//     the d-wide values, hence so are P and dS = P ∘ (dP − D).
//   dV = Pᵀ·dO, dK = dSᵀ·Q, dQ = dS·K: each column is a column of dO, Q or K mixed by P or dS,
//     so a zero input column gives a zero gradient column (exactly: every term is a product by
//     0, summed in fp32), and the real columns are those of the d-wide gradients.
// The kernels compute the pads like any column (no branch in the inner loops); the CUDA backend
// checks them zero beside the real columns' comparison against the fp64 reference at d.
//
// TB_HD, so that the CUDA backend (kernels/cuda/attention_kernel.cpp) and the CPU block models
// (tests/kernels/test_attention_{fwd,bwd}_block_model.cpp) plan with the same function.
#include <cmath>
#include <cstdint>

#include "kernels/common/host_device.hpp"

namespace tb::kernels::attn {

// The head dims the fused kernels are instantiated for, ascending.
inline constexpr int kFusedHeadDims[] = {64, 128};
inline constexpr int kMaxFusedHeadDim = 128;

struct HeadDimPadding {
  int64_t head_dim = 0;         // the model's d: what FLOPs, bytes and the reference count
  int64_t padded_head_dim = 0;  // the instantiation it runs on; 0 where none fits (d < 1, d > 128)
  double softmax_scale = 0;     // 1/sqrt(head_dim), never d_pad's

  TB_HD bool runs() const { return padded_head_dim > 0; }
  TB_HD bool padded() const { return runs() && padded_head_dim != head_dim; }
  TB_HD bool real_column(int64_t col) const { return col < head_dim; }
  TB_HD int64_t pad_columns() const { return padded_head_dim - head_dim; }
};

TB_HD inline HeadDimPadding fused_head_dim_padding(int64_t head_dim) {
  HeadDimPadding p;
  p.head_dim = head_dim;
  if (head_dim < 1) return p;
  for (int d : kFusedHeadDims)
    if (head_dim <= d) {
      p.padded_head_dim = d;
      break;
    }
  p.softmax_scale = 1.0 / sqrt(static_cast<double>(head_dim));
  return p;
}

// Host copies between a tensor of `rows` rows of d elements and its padded layout (rows of
// d_pad): pad_rows writes zeros into the pad columns, real_columns drops them.
template <typename T>
void pad_rows(const T* src, int64_t rows, const HeadDimPadding& p, T* dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < p.padded_head_dim; ++c)
      dst[r * p.padded_head_dim + c] = p.real_column(c) ? src[r * p.head_dim + c] : T(0);
}
template <typename T>
void real_columns(const T* src, int64_t rows, const HeadDimPadding& p, T* dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < p.head_dim; ++c) dst[r * p.head_dim + c] = src[r * p.padded_head_dim + c];
}
// Pad elements (of a padded tensor of `rows` rows) that are not exactly zero; the first one's
// flat index in `first` (−1 when none).
template <typename T>
int64_t nonzero_pads(const T* src, int64_t rows, const HeadDimPadding& p, int64_t* first) {
  int64_t n = 0;
  *first = -1;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = p.head_dim; c < p.padded_head_dim; ++c)
      if (!(src[r * p.padded_head_dim + c] == T(0))) {
        if (n++ == 0) *first = r * p.padded_head_dim + c;
      }
  return n;
}

}  // namespace tb::kernels::attn
