// The fp64 GEMM reference, its tolerance, and the float-format converters it relies on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/gemm_reference.hpp"

namespace tb::kernels {
namespace {

// A = [[1,2,3],[4,5,6]] (2×3), B = [[7,8],[9,10],[11,12]] (3×2): C = [[58,64],[139,154]].
const std::vector<float> kA{1, 2, 3, 4, 5, 6}, kAt{1, 4, 2, 5, 3, 6};
const std::vector<float> kB{7, 8, 9, 10, 11, 12}, kBt{7, 9, 11, 8, 10, 12};
const double kC[2][2] = {{58, 64}, {139, 154}};

TEST(GemmReference, ThreeLayoutsGiveTheSameProduct) {
  const GemmOperands fwd{{2, 2, 3, GemmLayout::Forward}, kA, kB};
  const GemmOperands dgrad{{2, 2, 3, GemmLayout::DataGrad}, kA, kBt};    // B stored N×K
  const GemmOperands wgrad{{2, 2, 3, GemmLayout::WeightGrad}, kAt, kB};  // A stored K×M
  for (const auto* g : {&fwd, &dgrad, &wgrad})
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) EXPECT_DOUBLE_EQ(gemm_reference_element(*g, i, j).value, kC[i][j]);
  EXPECT_DOUBLE_EQ(gemm_reference_element(fwd, 0, 0).abs_sum, 58);  // all products positive
}

TEST(GemmReference, AbsSumIgnoresCancellation) {
  const std::vector<float> a{1, -1}, b{1, 1};
  const GemmOperands g{{1, 1, 2, GemmLayout::Forward}, a, b};
  EXPECT_DOUBLE_EQ(gemm_reference_element(g, 0, 0).value, 0);
  EXPECT_DOUBLE_EQ(gemm_reference_element(g, 0, 0).abs_sum, 2);
}

TEST(GemmReference, CheckPositionsFullOrSampled) {
  EXPECT_EQ(gemm_check_positions(3, 4, 12, 1).size(), 12u);
  const auto sampled = gemm_check_positions(1000, 700, 500, 42);
  ASSERT_EQ(sampled.size(), 500u);
  const std::set<std::pair<int64_t, int64_t>> s(sampled.begin(), sampled.end());
  for (auto corner : {std::pair<int64_t, int64_t>{0, 0}, {0, 699}, {999, 0}, {999, 699}})
    EXPECT_TRUE(s.count(corner)) << corner.first << "," << corner.second;
  for (const auto& [i, j] : sampled) {
    EXPECT_GE(i, 0);
    EXPECT_LT(i, 1000);
    EXPECT_GE(j, 0);
    EXPECT_LT(j, 700);
  }
  EXPECT_EQ(sampled, gemm_check_positions(1000, 700, 500, 42));  // reproducible
}

TEST(GemmReference, ToleranceOrderedByPrecisionAndGrowsWithK) {
  const int64_t k = 4096;
  EXPECT_LT(gemm_tolerance(DType::FP64, k), gemm_tolerance(DType::FP32, k));
  EXPECT_LT(gemm_tolerance(DType::FP32, k), gemm_tolerance(DType::TF32, k));
  EXPECT_LT(gemm_tolerance(DType::FP16, k), gemm_tolerance(DType::BF16, k));
  EXPECT_LT(gemm_tolerance(DType::BF16, k), gemm_tolerance(DType::FP8, k));
  EXPECT_LT(gemm_tolerance(DType::FP32, 64), gemm_tolerance(DType::FP32, 65536));
  // bf16 output rounding dominates: 2·2^-8 plus a little accumulation.
  EXPECT_NEAR(gemm_tolerance(DType::BF16, 1), 2 * std::ldexp(1.0, -8), 1e-6);
}

std::vector<float> product(const GemmOperands& g) {
  std::vector<float> c(static_cast<size_t>(g.shape.m * g.shape.n));
  for (int64_t i = 0; i < g.shape.m; ++i)
    for (int64_t j = 0; j < g.shape.n; ++j)
      c[static_cast<size_t>(i * g.shape.n + j)] = static_cast<float>(gemm_reference_element(g, i, j).value);
  return c;
}

struct Random {
  uint64_t s = 12345;
  float next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<double>(s >> 40) * 0x1p-23 - 1.0);
  }
};

// A (m·k) and B (k·n) of random values in [-1, 1), the same every call.
struct RandomOperands {
  std::vector<float> a, b;
  RandomOperands(int64_t m, int64_t n, int64_t k) : a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)) {
    Random r;
    for (auto& x : a) x = r.next();
    for (auto& x : b) x = r.next();
  }
};

TEST(GemmReference, VerifyAcceptsRoundingAndCatchesRealErrors) {
  const int64_t m = 24, n = 20, k = 48;
  const RandomOperands ab(m, n, k);
  const GemmOperands g{{m, n, k, GemmLayout::Forward}, ab.a, ab.b};
  std::vector<float> c = product(g);
  const VerifyResult ok = verify_gemm(g, c, DType::BF16);
  EXPECT_TRUE(ok.passed) << ok.detail;
  EXPECT_EQ(ok.elements_checked, m * n);

  // bf16 output rounding (what a bf16 GEMM writes) stays inside the bf16 tolerance.
  std::vector<float> rounded = c;
  for (auto& x : rounded) x = round_to_bf16(x);
  EXPECT_TRUE(verify_gemm(g, rounded, DType::BF16).passed);
  // ...but not inside fp32's: the tolerance is per dtype, not one loose number.
  EXPECT_FALSE(verify_gemm(g, rounded, DType::FP32).passed);

  const ReferenceElement e = gemm_reference_element(g, 5, 7);
  const double scale = std::fabs(e.value) + e.abs_sum;
  const double tol = gemm_tolerance(DType::BF16, k);
  std::vector<float> slightly = c, badly = c;
  slightly[5 * n + 7] = static_cast<float>(e.value + 0.1 * tol * scale);
  badly[5 * n + 7] = static_cast<float>(e.value + 10 * tol * scale);
  EXPECT_TRUE(verify_gemm(g, slightly, DType::BF16).passed);
  const VerifyResult bad = verify_gemm(g, badly, DType::BF16);
  EXPECT_FALSE(bad.passed);
  EXPECT_NEAR(bad.max_rel_error, 10 * tol, tol);
  EXPECT_NE(bad.detail.find("C[5][7]"), std::string::npos) << bad.detail;
}

TEST(GemmReference, NanAndWrongLayoutFail) {
  const int64_t s = 16;
  const RandomOperands ab(s, s, s);
  const auto& a = ab.a;
  const auto& b = ab.b;
  const GemmOperands fwd{{s, s, s, GemmLayout::Forward}, a, b};
  std::vector<float> c = product(fwd);
  std::vector<float> nan = c;
  nan[s * s - 1] = NAN;  // e.g. an unwritten element of an output prefilled with NaN
  const VerifyResult v = verify_gemm(fwd, nan, DType::FP32);
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("not finite"), std::string::npos);
  // The same buffers read as a weight gradient (A transposed) are a different product.
  const GemmOperands wgrad{{s, s, s, GemmLayout::WeightGrad}, a, b};
  EXPECT_FALSE(verify_gemm(wgrad, c, DType::FP32).passed);
}

TEST(GemmReference, CheckingCOnlyWhereItIsSampledGivesTheSameVerdict) {
  // The CUDA backend copies back C only at gemm_check_indices: a sampled GEMM (M·N above the
  // 8192 checked) must get the verdict the whole C gets, error and all.
  const int64_t m = 130, n = 90, k = 32;
  const RandomOperands ab(m, n, k);
  const GemmOperands g{{m, n, k, GemmLayout::Forward}, ab.a, ab.b};
  std::vector<float> c = product(g);
  const GemmCheckOptions sampled{.max_elements = 500};
  const std::vector<int64_t> at = gemm_check_indices(g.shape, sampled);
  ASSERT_EQ(at.size(), 500u);
  const auto positions = gemm_check_positions(m, n, 500, sampled.seed);
  for (size_t p = 0; p < at.size(); ++p) EXPECT_EQ(at[p], positions[p].first * n + positions[p].second);
  auto gather = [&](const std::vector<float>& whole) {
    std::vector<float> out;
    for (const int64_t i : at) out.push_back(whole[static_cast<size_t>(i)]);
    return out;
  };
  const VerifyResult whole_ok = verify_gemm(g, c, DType::FP32, sampled);
  const VerifyResult at_ok = verify_gemm_at(g, gather(c), DType::FP32, sampled);
  EXPECT_TRUE(at_ok.passed) << at_ok.detail;
  EXPECT_EQ(at_ok.elements_checked, whole_ok.elements_checked);
  EXPECT_DOUBLE_EQ(at_ok.max_rel_error, whole_ok.max_rel_error);

  // A wrong element where the sample looks (its 101st position) is found and named by (i, j).
  const auto [i, j] = positions[100];
  c[static_cast<size_t>(i * n + j)] += 1000.0f;
  const VerifyResult at_bad = verify_gemm_at(g, gather(c), DType::FP32, sampled);
  EXPECT_FALSE(at_bad.passed);
  EXPECT_EQ(at_bad.detail, verify_gemm(g, c, DType::FP32, sampled).detail);
  EXPECT_NE(at_bad.detail.find(fmt::format("C[{}][{}]", i, j)), std::string::npos) << at_bad.detail;

  // One value short of the positions: refused, not read past the end.
  std::vector<float> short_by_one = gather(c);
  short_by_one.pop_back();
  const VerifyResult truncated = verify_gemm_at(g, short_by_one, DType::FP32, sampled);
  EXPECT_FALSE(truncated.passed);
  EXPECT_NE(truncated.detail.find("buffer sizes"), std::string::npos) << truncated.detail;
}

TEST(GemmReference, ParallelReferencesGiveTheSerialLoopsVerdict) {
  // The references run on every core (parallel_for); the verdict must be the one a serial walk
  // over the positions gives: the same worst error, and of two wrong elements the worse named.
  const int64_t m = 200, n = 150, k = 64;
  const RandomOperands ab(m, n, k);
  const GemmOperands g{{m, n, k, GemmLayout::DataGrad}, ab.a, ab.b};
  std::vector<float> c = product(g);
  const GemmCheckOptions sampled{.max_elements = 2000};
  const auto positions = gemm_check_positions(m, n, sampled.max_elements, sampled.seed);
  const auto [i1, j1] = positions[1500];
  const auto [i2, j2] = positions[30];
  c[static_cast<size_t>(i1 * n + j1)] += 50.0f;
  c[static_cast<size_t>(i2 * n + j2)] += 5.0f;
  double worst = -1;
  std::pair<int64_t, int64_t> worst_at;
  for (const auto& [i, j] : positions) {
    const ReferenceElement ref = gemm_reference_element(g, i, j);
    const double err = std::fabs(c[static_cast<size_t>(i * n + j)] - ref.value) / (std::fabs(ref.value) + ref.abs_sum);
    if (err > worst) worst = err, worst_at = {i, j};
  }
  const VerifyResult v = verify_gemm(g, c, DType::FP32, sampled);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.elements_checked, 2000);
  EXPECT_DOUBLE_EQ(v.max_rel_error, worst);
  EXPECT_EQ(worst_at, std::make_pair(i1, j1));  // +50 outweighs +5 on elements of like scale
  EXPECT_NE(v.detail.find(fmt::format("C[{}][{}]", i1, j1)), std::string::npos) << v.detail;
}

TEST(GemmReference, ShapeValidationNamesTheFlag) {
  try {
    validate_gemm_shape({4, 0, 4, GemmLayout::Forward});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("-n"), std::string::npos);
  }
  EXPECT_THROW(validate_gemm_shape({4, 4, -3, GemmLayout::Forward}), UsageError);
}

TEST(FloatFormats, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f), 0x3f80);        // tie → even (down)
  EXPECT_EQ(float_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);    // tie → even (up)
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);  // above the tie
  EXPECT_EQ(float_to_bf16(-2.0f), 0xc000);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = bf16_to_float(static_cast<uint16_t>(b));
    if (!std::isnan(f)) ASSERT_EQ(float_to_bf16(f), b) << std::hex << b;
  }
}

TEST(FloatFormats, Fp16RoundTripsAndRounds) {
  EXPECT_EQ(float_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7bff);   // largest finite
  EXPECT_EQ(float_to_fp16(65519.0f), 0x7bff);   // below the tie
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7c00);   // tie → even → inf
  EXPECT_EQ(float_to_fp16(0x1p-24f), 0x0001);   // smallest subnormal
  EXPECT_EQ(float_to_fp16(0x1p-25f), 0x0000);   // tie → even (zero)
  EXPECT_EQ(float_to_fp16(3 * 0x1p-26f), 0x0001);
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f), 0x3c00);  // tie → even
  EXPECT_EQ(float_to_fp16(-INFINITY), 0xfc00);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_float(static_cast<uint16_t>(h));
    if (!std::isnan(f)) ASSERT_EQ(float_to_fp16(f), h) << std::hex << h;
  }
}

TEST(FloatFormats, Fp8E4m3SaturatesAndRoundTrips) {
  EXPECT_EQ(float_to_fp8_e4m3(1.0f), 0x38);
  EXPECT_EQ(float_to_fp8_e4m3(448.0f), 0x7e);
  EXPECT_EQ(float_to_fp8_e4m3(1000.0f), 0x7e);   // saturates (SATFINITE)
  EXPECT_EQ(float_to_fp8_e4m3(-1e30f), 0xfe);
  EXPECT_EQ(float_to_fp8_e4m3(NAN), 0x7f);
  EXPECT_EQ(float_to_fp8_e4m3(0x1p-9f), 0x01);   // smallest subnormal
  EXPECT_EQ(float_to_fp8_e4m3(1.0625f), 0x38);   // 1 + 1/16: tie → even (down)
  EXPECT_EQ(float_to_fp8_e4m3(1.1875f), 0x3a);   // 1 + 3/16: tie → even (up)
  EXPECT_FLOAT_EQ(fp8_e4m3_to_float(0x7e), 448.0f);
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(0x7f)));
  for (uint32_t b = 0; b < 0x100; ++b) {
    const float f = fp8_e4m3_to_float(static_cast<uint8_t>(b));
    if (!std::isnan(f)) ASSERT_EQ(float_to_fp8_e4m3(f), b) << std::hex << b;
  }
}

TEST(FloatFormats, Tf32KeepsTenMantissaBits) {
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-11f), 1.0f);             // tie → even
  EXPECT_EQ(round_to_tf32(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-10f), 1.0f + 0x1p-10f);  // representable
}

}  // namespace
}  // namespace tb::kernels
