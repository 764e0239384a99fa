// The memory-bound ops' loops at every x86-64 level this CPU runs (kernels/cpu/memory_loops.*):
// each equals memory_ops_math.hpp's functions applied element by element, bit for bit, at
// lengths that leave every kind of vector tail; so the levels agree with each other too.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/memory_kernel.hpp"
#include "kernels/cpu/memory_loops.hpp"

namespace tb::kernels {
namespace {

namespace mo = memops;

std::vector<float> random_floats(int n, uint64_t seed, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * mo::hash_uniform(seed, static_cast<uint64_t>(i));
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// First index where got differs from want in its bits, or -1.
int first_difference(const std::vector<float>& got, const std::vector<float>& want) {
  for (size_t i = 0; i < got.size(); ++i)
    if (!same_bits(got[i], want[i])) return static_cast<int>(i);
  return -1;
}

const int kLengths[] = {1, 3, 7, 8, 9, 15, 16, 17, 63, 511, 512};

TEST(MemoryLoops, BaselineIsAlwaysRunnableAndTheKernelsUseTheWidest) {
  const auto levels = cpu::runnable_memory_loops();
  ASSERT_FALSE(levels.empty());
  EXPECT_STREQ(levels.back()->isa, "baseline");
  EXPECT_EQ(&cpu::memory_loops(), levels.front());
  for (const auto* l : levels) std::printf("memory loops runnable here: %s\n", l->isa);
  // The results file's `algorithm` says which loops a kernel ran.
  Op op;
  op.name = "gelu";
  op.kind = OpKind::GeluForward;
  op.dtype = DType::FP32;
  op.memory = {2, 8};
  const auto kernel = cpu::make_memory_kernel(op, {});
  EXPECT_NE(kernel->algorithm().find(cpu::memory_loops().isa), std::string::npos) << kernel->algorithm();
}

TEST(MemoryLoops, ElementwiseLoopsEqualTheSharedMathBitForBit) {
  for (const cpu::MemoryLoops* loops : cpu::runnable_memory_loops()) {
    for (int n : kLengths) {
      const std::string at = std::string(loops->isa) + " n " + std::to_string(n);
      // GeLU over a range wide enough to saturate both ways; the others over [-4, 4).
      const auto a = random_floats(n, 1 + static_cast<uint64_t>(n), 12.0f), b = random_floats(n, 2, 4.0f),
                 c = random_floats(n, 3, 4.0f);
      std::vector<float> y(static_cast<size_t>(n)), y2(y.size()), want(y.size()), want2(y.size());
      auto check = [&](const char* what, const std::vector<float>& got, const std::vector<float>& expected) {
        EXPECT_EQ(first_difference(got, expected), -1) << what << " " << at;
      };
      loops->gelu_forward(a.data(), y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::gelu_forward(a[e]);
      check("gelu_forward", y, want);
      loops->gelu_backward(a.data(), b.data(), y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::gelu_backward(a[e], b[e]);
      check("gelu_backward", y, want);
      loops->swiglu_forward(b.data(), c.data(), y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::swiglu_forward(b[e], c[e]);
      check("swiglu_forward", y, want);
      loops->swiglu_backward(b.data(), c.data(), a.data(), y.data(), y2.data(), n);
      for (int e = 0; e < n; ++e) {
        const auto g = mo::swiglu_backward(b[e], c[e], a[e]);
        want[e] = g.dgate;
        want2[e] = g.dup;
      }
      check("swiglu_backward dgate", y, want);
      check("swiglu_backward dup", y2, want2);
      loops->residual_add(b.data(), c.data(), y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = b[e] + c[e];
      check("residual_add", y, want);
    }
  }
}

TEST(MemoryLoops, RowLoopsEqualTheSharedMathBitForBit) {
  for (const cpu::MemoryLoops* loops : cpu::runnable_memory_loops()) {
    for (int n : kLengths) {
      const std::string at = std::string(loops->isa) + " n " + std::to_string(n);
      const auto x = random_floats(n, 4 + static_cast<uint64_t>(n), 1.0f), dy = random_floats(n, 5, 1.0f);
      auto gamma = random_floats(n, 6, 0.25f), beta = random_floats(n, 7, 0.25f);
      for (float& g : gamma) g += 1.0f;
      const mo::MeanVar mv = loops->mean_var(x.data(), n), mv_want = mo::mean_var_of(x.data(), n);
      EXPECT_TRUE(same_bits(mv.mean, mv_want.mean) && same_bits(mv.m2, mv_want.m2) && mv.count == mv_want.count) << at;
      EXPECT_TRUE(same_bits(loops->sum_of_squares(x.data(), n), mo::sum_of_squares(x.data(), n))) << at;
      const float mean = 0.1f, rstd = 1.7f;
      const mo::NormGradSums sums = loops->norm_grad_sums(x.data(), dy.data(), gamma.data(), mean, rstd, n);
      const mo::NormGradSums sums_want = mo::norm_grad_sums(x.data(), dy.data(), gamma.data(), mean, rstd, n);
      EXPECT_TRUE(same_bits(sums.g, sums_want.g) && same_bits(sums.gx, sums_want.gx)) << at;

      std::vector<float> y(static_cast<size_t>(n)), want(y.size());
      loops->layernorm_forward(x.data(), gamma.data(), beta.data(), mean, rstd, y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::layernorm_forward(x[e], mean, rstd, gamma[e], beta[e]);
      EXPECT_EQ(first_difference(y, want), -1) << "layernorm_forward " << at;
      loops->rmsnorm_forward(x.data(), gamma.data(), rstd, y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::rmsnorm_forward(x[e], rstd, gamma[e]);
      EXPECT_EQ(first_difference(y, want), -1) << "rmsnorm_forward " << at;
      const float cols = 3.0f * static_cast<float>(n);
      loops->layernorm_backward(x.data(), dy.data(), gamma.data(), mean, rstd, sums, cols, y.data(), n);
      for (int e = 0; e < n; ++e)
        want[e] = mo::layernorm_backward(x[e], dy[e], mean, rstd, gamma[e], sums.g, sums.gx, cols);
      EXPECT_EQ(first_difference(y, want), -1) << "layernorm_backward " << at;
      loops->rmsnorm_backward(x.data(), dy.data(), gamma.data(), rstd, sums, cols, y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::rmsnorm_backward(x[e], dy[e], rstd, gamma[e], sums.gx, cols);
      EXPECT_EQ(first_difference(y, want), -1) << "rmsnorm_backward " << at;

      auto z = random_floats(n, 8 + static_cast<uint64_t>(n), 4.0f);
      if (n > 2) z[2] = -INFINITY;  // a masked logit
      const mo::OnlineSoftmax s = loops->online_softmax(z.data(), n), s_want = mo::online_softmax_of(z.data(), n);
      EXPECT_TRUE(same_bits(s.max, s_want.max) && same_bits(s.sum, s_want.sum)) << at;
      loops->cross_entropy_grad(z.data(), s, 1.0f, y.data(), n);
      for (int e = 0; e < n; ++e) want[e] = mo::cross_entropy_grad(s, z[e], false, 1.0f);
      EXPECT_EQ(first_difference(y, want), -1) << "cross_entropy_grad " << at;
    }
  }
}

}  // namespace
}  // namespace tb::kernels
