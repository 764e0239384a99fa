// CPU attention (tiled flash-style and unfused) against the fp64 reference; the reference
// against finite differences; verification catches NaN and unwritten elements.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/cpu/attention_kernel.hpp"
#include "kernels/cpu/attention_reference.hpp"
#include "kernels/cpu/attention_tiled.hpp"
#include "kernels/cpu/attention_verify.hpp"

using namespace tb::kernels::cpu;

namespace {

struct Case {
  int64_t batch, heads, kv_heads, seq, head_dim;
  bool causal;
};

struct Data {
  AttentionProblem p;
  std::vector<float> q, k, v, dout;
};

Data make_data(const Case& c, uint32_t seed) {
  Data d;
  d.p = make_problem({c.batch, c.heads, c.kv_heads, c.seq, c.head_dim, c.causal});
  std::mt19937 rng(seed);  // fresh inputs per case
  std::normal_distribution<float> dist(0.f, 1.f);
  auto fill = [&](std::vector<float>& x, int64_t n) {
    x.resize(n);
    for (auto& e : x) e = dist(rng);
  };
  fill(d.q, d.p.q_elements()), fill(d.k, d.p.kv_elements()), fill(d.v, d.p.kv_elements());
  fill(d.dout, d.p.q_elements());
  return d;
}

double rel_err(const std::vector<float>& got, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

const std::vector<Case> kCases = {
    {1, 2, 2, 77, 64, false},   // ragged length, multi-head
    {2, 4, 2, 130, 64, true},   // ragged, causal, grouped-query (2 query heads per K/V head)
    {1, 2, 1, 33, 128, true},   // d = 128, multi-query
    {1, 3, 3, 64, 128, false},  // exact tiles
    {1, 4, 1, 5, 64, true},     // shorter than one tile
};

}  // namespace

class AttentionCpu : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionCpu, ForwardAndGradientsMatchFp64Reference) {
  const Case c = GetParam();
  const Data d = make_data(c, static_cast<uint32_t>(c.seq * 31 + c.heads));
  const auto& p = d.p;
  std::vector<double> o_ref, lse_ref, dq_ref, dk_ref, dv_ref;
  reference_forward(p, d.q.data(), d.k.data(), d.v.data(), o_ref, lse_ref);
  reference_backward(p, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), dq_ref, dk_ref, dv_ref);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const char* impl : {"tiled", "tiled-16x64", "unfused"}) {
    SCOPED_TRACE(impl);
    const std::string name = impl;
    std::vector<float> o(p.q_elements(), nan), lse(p.lse_elements(), nan);
    std::vector<float> dq(p.q_elements(), nan), dk(p.kv_elements(), nan), dv(p.kv_elements(), nan);
    const AttentionTiles tiles = name == "tiled-16x64" ? AttentionTiles{16, 64} : AttentionTiles{};
    if (name == "unfused") {
      unfused_attention_forward(p, d.q.data(), d.k.data(), d.v.data(), o.data(), lse.data());
      unfused_attention_backward(p, d.q.data(), d.k.data(), d.v.data(), lse.data(), d.dout.data(), dq.data(),
                                 dk.data(), dv.data());
    } else {
      tiled_attention_forward(p, d.q.data(), d.k.data(), d.v.data(), o.data(), lse.data(), tiles);
      tiled_attention_backward(p, d.q.data(), d.k.data(), d.v.data(), o.data(), lse.data(), d.dout.data(), dq.data(),
                               dk.data(), dv.data(), tiles);
    }
    EXPECT_LT(rel_err(o, o_ref), 1e-5);
    EXPECT_LT(rel_err(lse, std::vector<double>(lse_ref)), 1e-5);
    EXPECT_LT(rel_err(dq, dq_ref), 1e-4);
    EXPECT_LT(rel_err(dk, dk_ref), 1e-4);
    EXPECT_LT(rel_err(dv, dv_ref), 1e-4);
    // The shared verifier agrees, and every element was written (NaN poison gone).
    AttentionHostTensors t{d.q.data(), d.k.data(), d.v.data(), d.dout.data(), o.data(), lse.data(),
                           dq.data(), dk.data(), dv.data()};
    EXPECT_TRUE(verify_attention_forward(p, t, 1e-4).passed);
    const auto vb = verify_attention_backward(p, t, 1e-4);
    EXPECT_TRUE(vb.passed) << vb.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionCpu, ::testing::ValuesIn(kCases));

// The reference's gradients against central differences of its own forward (L = Σ dO ∘ O):
// the reference must be right before anything is compared with it.
TEST(AttentionReference, GradientsMatchFiniteDifferences) {
  Data d = make_data({1, 2, 1, 9, 8, true}, 7);
  const auto& p = d.p;
  std::vector<double> dq, dk, dv;
  reference_backward(p, d.q.data(), d.k.data(), d.v.data(), d.dout.data(), dq, dk, dv);
  auto loss = [&] {
    std::vector<double> o, lse;
    reference_forward(p, d.q.data(), d.k.data(), d.v.data(), o, lse);
    double l = 0;
    for (size_t i = 0; i < o.size(); ++i) l += o[i] * d.dout[i];
    return l;
  };
  const float eps = 1e-2f;
  auto check = [&](std::vector<float>& x, const std::vector<double>& grad, const char* name) {
    for (size_t i = 0; i < x.size(); i += 5) {
      const float keep = x[i];
      x[i] = keep + eps;
      const double up = loss();
      x[i] = keep - eps;
      const double down = loss();
      x[i] = keep;
      const double fd = (up - down) / (2.0 * static_cast<double>(eps));
      EXPECT_NEAR(grad[i], fd, 2e-3 * (1 + std::abs(fd))) << name << "[" << i << "]";
    }
  };
  check(d.q, dq, "dQ");
  check(d.k, dk, "dK");
  check(d.v, dv, "dV");
}

TEST(AttentionVerify, NanNeverPassesAndUnwrittenElementsFail) {
  const Data d = make_data({1, 2, 2, 20, 64, true}, 3);
  const auto& p = d.p;
  std::vector<float> o(p.q_elements()), lse(p.lse_elements());
  tiled_attention_forward(p, d.q.data(), d.k.data(), d.v.data(), o.data(), lse.data());
  AttentionHostTensors t{d.q.data(), d.k.data(), d.v.data(), nullptr, o.data(), lse.data()};
  ASSERT_TRUE(verify_attention_forward(p, t, 1e-4).passed);
  // An element the kernel never wrote keeps its NaN poison: caught even outside sampled rows.
  o[o.size() / 2 + 3] = std::numeric_limits<float>::quiet_NaN();
  const auto r = verify_attention_forward(p, t, 1e-4, /*max_rows=*/2);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("O["), std::string::npos) << r.detail;
  // NaN in the inputs makes the reference NaN: the comparison must fail, not pass vacuously.
  tiled_attention_forward(p, d.q.data(), d.k.data(), d.v.data(), o.data(), lse.data());
  std::vector<float> q_nan = d.q;
  q_nan[0] = std::numeric_limits<float>::quiet_NaN();
  AttentionHostTensors tn = t;
  tn.q = q_nan.data();
  EXPECT_FALSE(verify_attention_forward(p, tn, 1e-4).passed);
}

TEST(AttentionCpuKernel, LaunchVerifyAndCorruptionIsCaught) {
  for (auto kind : {tb::OpKind::AttentionForward, tb::OpKind::AttentionBackward}) {
    for (const char* impl : {"fused", "unfused"}) {
      tb::Op op;
      op.name = "attention";
      op.kind = kind;
      op.attention = {1, 4, 2, 70, 64, true};
      tb::kernels::PrepareOptions options;
      options.attention_impl = impl;
      auto kernel = make_attention_kernel(op, options);
      kernel->launch();
      const auto ok = kernel->verify();
      EXPECT_TRUE(ok.passed) << impl << ": " << ok.detail;
      EXPECT_GT(ok.elements_checked, 0);
      kernel->corrupt_output_for_testing();
      EXPECT_FALSE(kernel->verify().passed) << impl;
    }
  }
}

TEST(AttentionCpuKernel, UnlaunchedOutputsFailVerification) {
  tb::Op op;
  op.kind = tb::OpKind::AttentionForward;
  op.attention = {1, 1, 1, 16, 64, false};
  auto kernel = make_attention_kernel(op, {});
  EXPECT_FALSE(kernel->verify().passed);  // still NaN-poisoned
}

TEST(AttentionCpuKernel, RefusesBadInput) {
  tb::Op op;
  op.kind = tb::OpKind::AttentionForward;
  op.attention = {1, 6, 4, 16, 64, false};  // 6 heads over 4 K/V heads
  EXPECT_THROW(make_attention_kernel(op, {}), tb::UsageError);
  op.attention = {1, 4, 4, 16, 64, false};
  tb::kernels::PrepareOptions options;
  options.attention_impl = "magic";
  EXPECT_THROW(make_attention_kernel(op, options), tb::UsageError);
}
