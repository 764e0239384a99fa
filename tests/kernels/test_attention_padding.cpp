// The padding plan of the fused attention kernels (kernels/common/attention_padding.hpp): which
// instantiation a head dim runs on, at which scale, and the host copies between d-wide and padded
// rows that the CUDA backend's verification and the block models use.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/common/attention_padding.hpp"

namespace attn = tb::kernels::attn;

TEST(AttentionPadding, EveryHeadDimRunsOnTheSmallestInstantiationThatHoldsIt) {
  for (int64_t d = -1; d <= 260; ++d) {
    const attn::HeadDimPadding p = attn::fused_head_dim_padding(d);
    int64_t smallest = 0;  // brute force over the instantiations, ascending or not
    for (int inst : attn::kFusedHeadDims)
      if (d >= 1 && inst >= d && (smallest == 0 || inst < smallest)) smallest = inst;
    EXPECT_EQ(p.padded_head_dim, smallest) << "d " << d;
    EXPECT_EQ(p.head_dim, d);
    EXPECT_EQ(p.runs(), d >= 1 && d <= attn::kMaxFusedHeadDim) << "d " << d;
    EXPECT_EQ(p.padded(), p.runs() && d != 64 && d != 128) << "d " << d;
    if (p.runs()) {
      EXPECT_DOUBLE_EQ(p.softmax_scale, 1.0 / std::sqrt(static_cast<double>(d))) << "the true d's scale, d " << d;
      EXPECT_EQ(p.pad_columns(), p.padded_head_dim - d);
    }
  }
  // The models' widths: GPT-3 Large 1536/16, 2.7B 2560/32, Small 768/12, XL 2048/24.
  EXPECT_EQ(attn::fused_head_dim_padding(96).padded_head_dim, 128);
  EXPECT_EQ(attn::fused_head_dim_padding(80).padded_head_dim, 128);
  EXPECT_FALSE(attn::fused_head_dim_padding(64).padded());
  EXPECT_FALSE(attn::fused_head_dim_padding(128).padded());
  EXPECT_FALSE(attn::fused_head_dim_padding(192).runs());  // DeepSeek-V3: refused, --impl unfused
}

TEST(AttentionPadding, PadAndRealColumnsRoundTripWithZeroPads) {
  const attn::HeadDimPadding p = attn::fused_head_dim_padding(80);
  const int64_t rows = 5;
  std::vector<float> real(static_cast<size_t>(rows * 80));
  for (size_t x = 0; x < real.size(); ++x) real[x] = 1.0f + static_cast<float>(x);  // never zero
  std::vector<float> padded(static_cast<size_t>(rows * 128), -7.f);
  attn::pad_rows(real.data(), rows, p, padded.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < 128; ++c) {
      const float got = padded[static_cast<size_t>(r * 128 + c)];
      if (c < 80) EXPECT_EQ(got, real[static_cast<size_t>(r * 80 + c)]) << r << "," << c;
      else EXPECT_EQ(got, 0.f) << r << "," << c;
    }
  int64_t first = 0;
  EXPECT_EQ(attn::nonzero_pads(padded.data(), rows, p, &first), 0);
  EXPECT_EQ(first, -1);
  std::vector<float> back(real.size(), 0.f);
  attn::real_columns(padded.data(), rows, p, back.data());
  EXPECT_EQ(back, real);

  // A pad written by mistake (row 3, column 100), and a NaN (never "zero"), are found and located.
  padded[3 * 128 + 100] = 0.5f;
  padded[4 * 128 + 127] = NAN;
  EXPECT_EQ(attn::nonzero_pads(padded.data(), rows, p, &first), 2);
  EXPECT_EQ(first, 3 * 128 + 100);
}
