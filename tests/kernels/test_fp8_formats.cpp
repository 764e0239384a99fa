// fp8 e5m2 (Transformer Engine's gradient format) against hand-computed bit patterns, exhaustively
// over its 256 codes, against an independent definition (the top byte of an IEEE binary16) and a
// brute-force nearest-value search; the run-time format dispatch; and an fp8 GEMM emulated on the
// host with each role's operand formats, checked by the fp64 reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/common/float_formats.hpp"
#include "kernels/common/fp8_format.hpp"
#include "kernels/common/gemm_reference.hpp"
#include "kernels/common/memory_ops_math.hpp"

namespace tb::kernels {
namespace {

TEST(FloatFormats, Fp8E5m2HandComputedBitPatterns) {
  // S EEEEE MM, bias 15.
  EXPECT_EQ(float_to_fp8_e5m2(1.0f), 0x3c);      // 0 01111 00
  EXPECT_EQ(float_to_fp8_e5m2(0.5f), 0x38);      // 0 01110 00
  EXPECT_EQ(float_to_fp8_e5m2(-2.0f), 0xc0);     // 1 10000 00
  EXPECT_EQ(float_to_fp8_e5m2(1.5f), 0x3e);      // 0 01111 10
  EXPECT_EQ(float_to_fp8_e5m2(57344.0f), 0x7b);  // 1.75 * 2^15, the largest finite: 0 11110 11
  EXPECT_EQ(float_to_fp8_e5m2(0x1p-14f), 0x04);  // smallest normal: 0 00001 00
  EXPECT_EQ(float_to_fp8_e5m2(0x1p-16f), 0x01);  // smallest subnormal: 0 00000 01
  EXPECT_EQ(float_to_fp8_e5m2(3 * 0x1p-16f), 0x03);
  EXPECT_EQ(float_to_fp8_e5m2(0x1p-17f), 0x00);  // half the smallest subnormal: tie → even (zero)
  EXPECT_EQ(float_to_fp8_e5m2(3 * 0x1p-17f), 0x02);  // 1.5 subnormal steps: tie → even (up to 2)
  // Ties between neighbours 1/4 apart above 1: to the even mantissa.
  EXPECT_EQ(float_to_fp8_e5m2(1.125f), 0x3c);    // between 1.0 (00) and 1.25 (01): down
  EXPECT_EQ(float_to_fp8_e5m2(1.375f), 0x3e);    // between 1.25 (01) and 1.5 (10): up
  EXPECT_EQ(float_to_fp8_e5m2(1.126f), 0x3d);    // above the tie: 1.25
  EXPECT_EQ(float_to_fp8_e5m2(1.875f), 0x40);    // between 1.75 (11) and 2.0: carries into the exponent
  // Saturation (__NV_SATFINITE): beyond the largest finite and infinities to ±57344; NaN to 0x7f.
  EXPECT_EQ(float_to_fp8_e5m2(61440.0f), 0x7b);  // the tie with 2^16, which IEEE rounding makes inf
  EXPECT_EQ(float_to_fp8_e5m2(1e6f), 0x7b);
  EXPECT_EQ(float_to_fp8_e5m2(INFINITY), 0x7b);
  EXPECT_EQ(float_to_fp8_e5m2(-1e30f), 0xfb);
  EXPECT_EQ(float_to_fp8_e5m2(NAN), 0x7f);
  EXPECT_EQ(float_to_fp8_e5m2(-0.0f), 0x80);
  // Decoding.
  EXPECT_FLOAT_EQ(fp8_e5m2_to_float(0x7b), 57344.0f);
  EXPECT_FLOAT_EQ(fp8_e5m2_to_float(0x01), 0x1p-16f);
  EXPECT_FLOAT_EQ(fp8_e5m2_to_float(0xbd), -1.25f);
  EXPECT_EQ(fp8_e5m2_to_float(0x7c), INFINITY);
  EXPECT_EQ(fp8_e5m2_to_float(0xfc), -INFINITY);
  EXPECT_TRUE(std::isnan(fp8_e5m2_to_float(0x7d)));
}

TEST(FloatFormats, Fp8E5m2AllCodesRoundTripAndAreBinary16sTopByte) {
  int nans = 0, infs = 0;
  for (uint32_t b = 0; b < 0x100; ++b) {
    const auto code = static_cast<uint8_t>(b);
    const float f = fp8_e5m2_to_float(code);
    // The same value as the binary16 whose top byte it is (an independent decoder).
    const float as_fp16 = fp16_to_float(static_cast<uint16_t>(b << 8));
    if (std::isnan(f)) {
      ++nans;
      EXPECT_TRUE(std::isnan(as_fp16)) << std::hex << b;
      continue;
    }
    EXPECT_EQ(f, as_fp16) << std::hex << b;
    if (std::isinf(f)) {
      ++infs;
      EXPECT_EQ(float_to_fp8_e5m2(f), (b & 0x80u) | 0x7bu) << std::hex << b;  // saturates
      continue;
    }
    ASSERT_EQ(float_to_fp8_e5m2(f), b) << std::hex << b;
  }
  EXPECT_EQ(nans, 6);  // S.11111.{01,10,11}
  EXPECT_EQ(infs, 2);
}

TEST(FloatFormats, Fp8E5m2IsTheNearestFiniteValueTiesToEven) {
  // Every finite code's value, to search for the nearest by brute force.
  std::vector<std::pair<double, uint8_t>> finite;
  for (uint32_t b = 0; b < 0x100; ++b) {
    const float f = fp8_e5m2_to_float(static_cast<uint8_t>(b));
    if (std::isfinite(f)) finite.emplace_back(f, static_cast<uint8_t>(b));
  }
  for (uint64_t i = 0; i < 20000; ++i) {
    // Both signs, magnitudes over the whole range, subnormals to saturation: up to 2^(-20 .. 18).
    const double u = memops::hash_uniform(7, i), e = memops::hash_uniform(8, i);
    const float x = static_cast<float>(u * std::ldexp(1.0, static_cast<int>(std::floor((e + 1) * 19)) - 20));
    double best = INFINITY;
    for (const auto& [v, code] : finite) best = std::min(best, std::fabs(v - x));
    const uint8_t got = float_to_fp8_e5m2(x);
    const double got_v = fp8_e5m2_to_float(got);
    if (std::fabs(x) >= 57344.0) {
      EXPECT_EQ(got_v, std::copysign(57344.0, x)) << x;
      continue;
    }
    ASSERT_EQ(std::fabs(got_v - x), best) << x;
    // At a tie both neighbours are as near: the even mantissa (its last bit 0) wins, or zero.
    int ties = 0;
    for (const auto& [v, code] : finite) ties += std::fabs(v - x) == best && !(v == 0 && code == 0x80) ? 1 : 0;
    if (ties > 1) EXPECT_EQ(got & 1, 0) << x;
  }
}

TEST(FloatFormats, Fp8DispatchByFormat) {
  EXPECT_EQ(float_to_fp8(1.0f, Fp8Format::E4M3), 0x38);
  EXPECT_EQ(float_to_fp8(1.0f, Fp8Format::E5M2), 0x3c);
  EXPECT_FLOAT_EQ(fp8_to_float(0x7e, Fp8Format::E4M3), 448.0f);
  EXPECT_FLOAT_EQ(fp8_to_float(0x7b, Fp8Format::E5M2), 57344.0f);
  EXPECT_FLOAT_EQ(fp8_max(Fp8Format::E4M3), 448.0f);
  EXPECT_FLOAT_EQ(fp8_max(Fp8Format::E5M2), 57344.0f);
  // e5m2 trades precision for range: 0.3 (scaled by nothing) keeps 3 bits in e4m3, 2 in e5m2.
  EXPECT_FLOAT_EQ(round_to_fp8(0.3f, Fp8Format::E4M3), 0.3125f);
  EXPECT_FLOAT_EQ(round_to_fp8(0.3f, Fp8Format::E5M2), 0.3125f);
  EXPECT_FLOAT_EQ(round_to_fp8(0.35f, Fp8Format::E4M3), 0.34375f);
  EXPECT_FLOAT_EQ(round_to_fp8(0.35f, Fp8Format::E5M2), 0.375f);
  EXPECT_FLOAT_EQ(round_to_fp8(1000.0f, Fp8Format::E4M3), 448.0f);  // saturated
  EXPECT_FLOAT_EQ(round_to_fp8(1000.0f, Fp8Format::E5M2), 1024.0f);
}

// An fp8 GEMM in each role, emulated on the host as cuBLASLt runs it: each operand rounded to its
// role's format (a gradient dY scaled into e5m2's range), products summed in fp32, C written in
// bf16. The reference, given the values each operand really held, passes it at the fp8 tolerance;
// given dY as e4m3 would have held it, the same C fails: the check sees the operand formats.
TEST(Fp8GemmEmulation, EachRoleWithItsOperandFormatsPassesTheReference) {
  const int64_t m = 24, n = 20, k = 48;
  for (GemmLayout role : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
    const Fp8Operands formats = fp8_gemm_operands(role);
    const GemmShape shape{m, n, k, role};
    // dY carries magnitudes up to 2^12 here, beyond e4m3's 448: what e5m2's range is for.
    auto operand = [](int64_t count, Fp8Format f, uint64_t seed) {
      const float scale = f == Fp8Format::E5M2 ? 4096.0f : 1.0f;
      std::vector<float> v(static_cast<size_t>(count)), as_e4m3(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        const float x = scale * memops::hash_uniform(seed, i);
        v[i] = round_to_fp8(x, f);
        as_e4m3[i] = round_to_fp8(x, Fp8Format::E4M3);
      }
      return std::pair{v, as_e4m3};
    };
    const auto [a, a_e4m3] = operand(m * k, formats.a, 1);
    const auto [b, b_e4m3] = operand(k * n, formats.b, 2);
    std::vector<float> c(static_cast<size_t>(m * n));
    const GemmOperands g{shape, a, b};
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;  // fp32 accumulation
        for (int64_t p = 0; p < k; ++p) {
          const float x = a[static_cast<size_t>(transposes_a(role) ? p * m + i : i * k + p)];
          const float y = b[static_cast<size_t>(transposes_b(role) ? j * k + p : p * n + j)];
          sum += x * y;
        }
        c[static_cast<size_t>(i * n + j)] = round_to_bf16(sum);
      }
    const VerifyResult ok = verify_gemm(g, c, DType::FP8);
    EXPECT_TRUE(ok.passed) << to_string(role) << ": " << ok.detail;
    if (role == GemmLayout::Forward) continue;
    const GemmOperands wrong{shape, a_e4m3, b_e4m3};
    EXPECT_FALSE(verify_gemm(wrong, c, DType::FP8).passed) << to_string(role);
  }
}

TEST(Fp8GemmEmulation, RoleFormatsAreTransformerEnginesHybrid) {
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::Forward).a, Fp8Format::E4M3);
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::Forward).b, Fp8Format::E4M3);
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::DataGrad).a, Fp8Format::E5M2);   // dY
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::DataGrad).b, Fp8Format::E4M3);   // W
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::WeightGrad).a, Fp8Format::E4M3); // X
  EXPECT_EQ(fp8_gemm_operands(GemmLayout::WeightGrad).b, Fp8Format::E5M2); // dY
  EXPECT_STREQ(to_string(Fp8Format::E5M2), "e5m2");
  EXPECT_STREQ(to_string(Fp8Format::E4M3), "e4m3");
}

}  // namespace
}  // namespace tb::kernels
