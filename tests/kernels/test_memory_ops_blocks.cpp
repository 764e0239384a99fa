// The block forms of memory_ops_math.hpp that the CPU kernels vectorize: a block's mean/variance
// and online-softmax state against fp64 and against the element-by-element updates, their
// combination over a row cut into blocks, the lane sums, and the polynomial exp against
// libm's double exp, special values included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/common/memory_ops_math.hpp"

namespace tb::kernels {
namespace {

namespace mo = memops;

std::vector<float> random_floats(size_t n, uint64_t seed, float scale, float offset = 0.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = offset + scale * mo::hash_uniform(seed, i);
  return v;
}

struct Fp64Stats {
  double mean = 0, m2 = 0;
};
Fp64Stats fp64_stats(const std::vector<float>& x) {
  Fp64Stats s;
  for (float v : x) s.mean += v;
  s.mean /= static_cast<double>(x.size());
  for (float v : x) s.m2 += (v - s.mean) * (v - s.mean);
  return s;
}

// A row cut into blocks of `block` and their states combined, as the CPU kernel does.
mo::MeanVar blocked_mean_var(const std::vector<float>& x, int block) {
  mo::MeanVar s;
  for (size_t j = 0; j < x.size(); j += static_cast<size_t>(block))
    s = mo::combine(s, mo::mean_var_of(x.data() + j, static_cast<int>(std::min<size_t>(block, x.size() - j))));
  return s;
}

TEST(MemoryOpsBlocks, LaneSumIsTheSumForEveryLengthAndLaneTail) {
  // Small integers are exact in fp32 under any order of additions: the sum must be exact.
  for (int n = 0; n <= 40; ++n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i % 7 + 1);
    double expected = 0;
    for (float f : v) expected += f;
    EXPECT_EQ(mo::lane_sum(n, [&v](int i) { return v[static_cast<size_t>(i)]; }), expected) << "n = " << n;
  }
  // Every index is read exactly once.
  std::vector<int> reads(37, 0);
  mo::lane_sum(37, [&reads](int i) { return static_cast<float>(++reads[static_cast<size_t>(i)]); });
  EXPECT_TRUE(std::all_of(reads.begin(), reads.end(), [](int r) { return r == 1; }));
}

TEST(MemoryOpsBlocks, BlockMeanVarEqualsFp64AndTheOnePassUpdates) {
  for (int n : {1, 2, 7, 8, 9, 63, 512, 1001}) {
    // Offset 3 and scale 2: the mean is not zero, so a wrong mean shows in m2 as well.
    const auto x = random_floats(static_cast<size_t>(n), 11 + static_cast<uint64_t>(n), 2.0f, 3.0f);
    const auto ref = fp64_stats(x);
    const mo::MeanVar block = mo::mean_var_of(x.data(), n);
    mo::MeanVar one_pass;
    for (float v : x) mo::update(one_pass, v);
    EXPECT_EQ(block.count, static_cast<float>(n));
    EXPECT_NEAR(block.mean, ref.mean, 1e-6 * (1 + std::abs(ref.mean))) << "n = " << n;
    EXPECT_NEAR(block.m2, ref.m2, 1e-5 * (ref.m2 + 1e-6)) << "n = " << n;
    EXPECT_NEAR(block.mean, one_pass.mean, 2e-6 * (1 + std::abs(ref.mean))) << "n = " << n;
    EXPECT_NEAR(block.m2, one_pass.m2, 2e-5 * (ref.m2 + 1e-6)) << "n = " << n;
  }
  const mo::MeanVar empty = mo::mean_var_of(nullptr, 0);
  EXPECT_EQ(empty.count, 0.0f);
  EXPECT_EQ(mo::combine(empty, mo::mean_var_of(std::vector<float>{2.0f}.data(), 1)).mean, 2.0f);
}

TEST(MemoryOpsBlocks, RowOfCombinedBlocksEqualsFp64Stats) {
  // A GPT row (12288) and a ragged one, cut as the CPU kernel cuts them (512), per element (1),
  // in lane-sized blocks (8) and whole.
  // What LayerNorm's output feels is the mean's error in standard deviations, (μ̂ − μ)/σ, and
  // m2's relative error. With the mean near zero both are tiny; a mean hundreds or (the last
  // case, where Σx² − n·μ² would cancel to noise) 10^5 standard deviations from zero loses
  // digits in fp32 itself: the bounds are those the one-pass Welford update meets as well.
  struct Case {
    float scale, offset;
    double mean_bound_sd, m2_bound;
  };
  for (const Case c : {Case{1.0f, 0.0f, 1e-7, 1e-5}, Case{0.01f, 0.0f, 1e-7, 1e-5}, Case{1.0f, 3.0f, 2e-5, 1e-5},
                       Case{0.01f, 3.0f, 1e-3, 1e-5}, Case{0.01f, 1000.0f, 5e-2, 2e-3}}) {
    for (size_t n : {size_t{12288}, size_t{1537}}) {
      const auto x = random_floats(n, 5, c.scale, c.offset);
      const auto ref = fp64_stats(x);
      const double sd = std::sqrt(ref.m2 / static_cast<double>(n));
      mo::MeanVar one_pass;
      for (float v : x) mo::update(one_pass, v);
      EXPECT_LT(std::abs(one_pass.mean - ref.mean) / sd, c.mean_bound_sd) << n << " offset " << c.offset;
      EXPECT_NEAR(one_pass.m2 / ref.m2, 1.0, c.m2_bound) << n << " offset " << c.offset;
      for (int block : {1, 8, 512, static_cast<int>(n)}) {
        const mo::MeanVar s = blocked_mean_var(x, block);
        const std::string what = std::to_string(n) + " block " + std::to_string(block) + " scale " +
                                 std::to_string(c.scale) + " offset " + std::to_string(c.offset);
        EXPECT_EQ(s.count, static_cast<float>(n)) << what;
        EXPECT_LT(std::abs(s.mean - ref.mean) / sd, c.mean_bound_sd) << what;
        EXPECT_NEAR(s.m2 / ref.m2, 1.0, c.m2_bound) << what;
      }
    }
  }
}

TEST(MemoryOpsBlocks, BlockSoftmaxEqualsOnePassAndTwoPassFp64) {
  for (int n : {1, 7, 8, 9, 512, 1001}) {
    auto z = random_floats(static_cast<size_t>(n), 21 + static_cast<uint64_t>(n), 6.0f);
    if (n > 8) z[3] = -INFINITY;  // a masked logit adds nothing
    const mo::OnlineSoftmax block = mo::online_softmax_of(z.data(), n);
    mo::OnlineSoftmax one_pass;
    for (float v : z) mo::update(one_pass, v);
    const double m = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (float v : z) sum += std::exp(v - m);
    EXPECT_EQ(block.max, static_cast<float>(m)) << "n = " << n;
    EXPECT_EQ(one_pass.max, block.max) << "n = " << n;
    EXPECT_NEAR(block.sum / sum, 1.0, 1e-6) << "n = " << n;
    EXPECT_NEAR(one_pass.sum / sum, 1.0, 1e-5) << "n = " << n;
  }
  // Blocks combined over a vocabulary-sized row.
  const auto z = random_floats(6400, 9, 4.0f);
  mo::OnlineSoftmax blocked;
  for (size_t j = 0; j < z.size(); j += 512)
    blocked = mo::combine(blocked,
                          mo::online_softmax_of(z.data() + j, static_cast<int>(std::min<size_t>(512, z.size() - j))));
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (float v : z) sum += std::exp(v - m);
  EXPECT_EQ(blocked.max, static_cast<float>(m));
  EXPECT_NEAR(blocked.sum / sum, 1.0, 1e-5);
  // Empty or all masked: the empty state, which combine passes over.
  const std::vector<float> masked(5, -INFINITY);
  const mo::OnlineSoftmax none = mo::online_softmax_of(masked.data(), 5);
  EXPECT_EQ(none.sum, 0.0f);
  EXPECT_EQ(mo::online_softmax_of(nullptr, 0).sum, 0.0f);
  EXPECT_EQ(mo::combine(none, blocked).sum, blocked.sum);
}

TEST(MemoryOpsBlocks, PolynomialExpMatchesLibmWithinTwoTenthsOfAMillionth) {
  double worst = 0;
  float worst_at = 0;
  for (int i = 0; i <= 400000; ++i) {
    const float x = std::min(mo::kExpHighest,
                             mo::kExpLowest + (mo::kExpHighest - mo::kExpLowest) * static_cast<float>(i) / 400000.0f);
    const double ref = std::exp(static_cast<double>(x));
    const double rel = std::abs(mo::exp_poly(x) - ref) / ref;
    if (rel > worst) worst = rel, worst_at = x;
  }
  EXPECT_LT(worst, 2e-7) << "at x = " << worst_at;
  // Near zero, where softmax and sigmoid spend most of their calls, and the range's ends.
  for (float x : {0.0f, -0.0f, 1e-8f, -1e-8f, 0.5f, -0.34657359f, 1.0f, -1.0f, 10.0f, -10.0f, -85.9f, 88.7f})
    EXPECT_NEAR(mo::exp_poly(x) / std::exp(static_cast<double>(x)), 1.0, 2e-7) << "x = " << x;
  EXPECT_EQ(mo::exp_poly(0.0f), 1.0f);
}

TEST(MemoryOpsBlocks, PolynomialExpSpecialValues) {
  EXPECT_EQ(mo::exp_poly(-INFINITY), 0.0f);
  EXPECT_EQ(mo::exp_poly(-87.0f), 0.0f);  // under kExpLowest: flushed (e^-87 ≈ 1.6e-38)
  EXPECT_EQ(mo::exp_poly(-1000.0f), 0.0f);
  EXPECT_EQ(mo::exp_poly(INFINITY), INFINITY);
  EXPECT_EQ(mo::exp_poly(89.0f), INFINITY);
  EXPECT_TRUE(std::isfinite(mo::exp_poly(mo::kExpHighest)));
  EXPECT_GT(mo::exp_poly(mo::kExpHighest), 3.0e38f);
  EXPECT_TRUE(std::isnan(mo::exp_poly(std::numeric_limits<float>::quiet_NaN())));
  // Monotone across the points where n = round(x / ln2) steps.
  float prev = 0;
  for (int k = -120; k <= 120; ++k)
    for (float d : {-1e-4f, 0.0f, 1e-4f}) {
      const float x = (static_cast<float>(k) + 0.5f) * 0.69314718f + d;
      const float y = mo::exp_poly(x);
      EXPECT_GE(y, prev) << "x = " << x;
      prev = y;
    }
}

TEST(MemoryOpsBlocks, GeluSigmoidFormSaturatesAndStaysFinite) {
  // x·σ(2u) at large |x|: e^(−2u) overflows to inf (x/inf = −0) or underflows to 0 (x/1 = x).
  EXPECT_EQ(mo::gelu_forward(-50.0f), 0.0f);
  EXPECT_EQ(mo::gelu_forward(50.0f), 50.0f);
  EXPECT_EQ(mo::gelu_backward(-50.0f, 1.0f), 0.0f);
  EXPECT_EQ(mo::gelu_backward(50.0f, 1.0f), 1.0f);
  EXPECT_EQ(mo::gelu_forward(0.0f), 0.0f);
  EXPECT_NEAR(mo::gelu_forward(1.0f), 0.8411919906, 1e-6);  // the tanh form's value
  EXPECT_NEAR(mo::gelu_backward(0.0f, 1.0f), 0.5, 1e-7);
}

}  // namespace
}  // namespace tb::kernels
