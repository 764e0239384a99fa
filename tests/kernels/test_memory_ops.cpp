// Memory-bound ops on the CPU: each kernel against the independent fp64 reference, the
// reference's backward against finite differences of its forward, the fp32 math of
// memory_ops_math.hpp (which the CUDA kernels also run) against the reference, and properties:
// cross-entropy gradients sum to zero, LayerNorm output has zero mean and unit variance.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/memory_kernel.hpp"
#include "kernels/cpu/memory_op_check.hpp"
#include "kernels/cpu/memory_ops_reference.hpp"

namespace tb::kernels {
namespace {

namespace mo = memops;

const OpKind kAllKinds[] = {OpKind::LayerNormForward, OpKind::LayerNormBackward, OpKind::RmsNormForward,
                            OpKind::RmsNormBackward,  OpKind::GeluForward,       OpKind::GeluBackward,
                            OpKind::SwiGluForward,    OpKind::SwiGluBackward,    OpKind::ResidualAdd,
                            OpKind::CrossEntropyForwardBackward};

Op memory_op(OpKind kind, DType dtype, int64_t rows, int64_t cols) {
  Op op;
  op.name = to_string(kind);
  op.kind = kind;
  op.dtype = dtype;
  op.memory = {rows, cols};
  return op;
}

std::vector<double> random_row(size_t n, uint64_t seed, double scale = 1.0) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * mo::hash_uniform(seed, i);
  return v;
}

TEST(MemoryOpsCpu, EveryKernelMatchesReferenceFp32AndBf16) {
  // Odd sizes (not multiples of 8 or 32), more rows than the verifier samples, and rows of one,
  // two and four of the CPU kernel's 512-element blocks, the last one ragged.
  for (DType dtype : {DType::FP32, DType::BF16}) {
    for (OpKind kind : kAllKinds) {
      for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {7, 129}, {70, 1000}, {5, 512}, {3, 1537}}) {
        auto kernel = cpu::make_memory_kernel(memory_op(kind, dtype, rows, cols), {});
        kernel->launch();
        const VerifyResult r = kernel->verify();
        EXPECT_TRUE(r.passed) << to_string(kind) << " " << to_string(dtype) << " " << rows << "x" << cols << ": "
                              << r.detail;
        EXPECT_GT(r.elements_checked, 0);
        EXPECT_GT(kernel->bytes_allocated(), 0);
      }
    }
  }
}

TEST(MemoryOpsCpu, UnlaunchedOrCorruptedOutputFailsVerification) {
  for (OpKind kind : kAllKinds) {
    auto kernel = cpu::make_memory_kernel(memory_op(kind, DType::FP32, 9, 64), {});
    kernel->launch();
    ASSERT_TRUE(kernel->verify().passed) << to_string(kind);
    kernel->corrupt_output_for_testing();
    const VerifyResult r = kernel->verify();
    EXPECT_FALSE(r.passed) << to_string(kind);
    EXPECT_FALSE(r.detail.empty());
    EXPECT_GT(r.max_rel_error, r.tolerance);
  }
  // Outputs start zeroed: a kernel that never ran must not pass (GeLU(x) = 0 only at x = 0).
  auto never_run = cpu::make_memory_kernel(memory_op(OpKind::GeluForward, DType::FP32, 4, 32), {});
  EXPECT_FALSE(never_run->verify().passed);
}

TEST(MemoryOpsCpu, BadShapesDtypesAndKindsAreRefused) {
  EXPECT_THROW(cpu::make_memory_kernel(memory_op(OpKind::GeluForward, DType::FP32, 0, 8), {}), UsageError);
  EXPECT_THROW(cpu::make_memory_kernel(memory_op(OpKind::GeluForward, DType::FP32, 8, -1), {}), UsageError);
  EXPECT_THROW(cpu::make_memory_kernel(memory_op(OpKind::Gemm, DType::FP32, 8, 8), {}), UsageError);
  EXPECT_THROW(cpu::make_memory_kernel(memory_op(OpKind::GeluForward, DType::FP8, 8, 8), {}), UnsupportedError);
}

TEST(MemoryOpsCpu, CrossEntropyGradientRowsSumToZeroAndLossIsPositive) {
  const Op op = memory_op(OpKind::CrossEntropyForwardBackward, DType::FP32, 5, 777);
  // The kernel's own output, through verify's data path, is checked elsewhere; here the
  // fp32 math directly: Σ_j dz_j = Σ softmax − 1 = 0.
  for (int64_t row = 0; row < op.memory.rows; ++row) {
    const auto z = random_row(777, 100 + row, 4.0);
    mo::OnlineSoftmax s;
    for (double v : z) mo::update(s, static_cast<float>(v));
    const int64_t target = mo::hash_target(1, row, 777);
    double sum = 0;
    for (size_t j = 0; j < z.size(); ++j)
      sum += mo::cross_entropy_grad(s, static_cast<float>(z[j]), static_cast<int64_t>(j) == target, 1.0f);
    EXPECT_NEAR(sum, 0.0, 1e-5);
    EXPECT_GT(mo::cross_entropy_loss(s, static_cast<float>(z[target])), 0.0f);
  }
}

// A masked (-inf) logit counts as e^-inf = 0, first or later in the row, and never makes NaN.
TEST(MemoryOpsMath, MaskedLogitsAddNothing) {
  mo::OnlineSoftmax masked_first, plain;
  mo::update(masked_first, -INFINITY);
  for (float z : {1.0f, -2.0f, 3.0f}) {
    mo::update(masked_first, z);
    mo::update(plain, z);
  }
  mo::update(masked_first, -INFINITY);
  EXPECT_FLOAT_EQ(masked_first.max, plain.max);
  EXPECT_FLOAT_EQ(masked_first.sum, plain.sum);
  mo::OnlineSoftmax all_masked;
  mo::update(all_masked, -INFINITY);
  EXPECT_FALSE(std::isnan(all_masked.sum));
  EXPECT_EQ(all_masked.sum, 0.0f);
}

TEST(MemoryOpsMath, OnlineSoftmaxAndWelfordCombineEqualOnePass) {
  const auto z = random_row(1001, 7, 6.0);
  mo::OnlineSoftmax whole, left, right;
  mo::MeanVar mv_whole, mv_left, mv_right;
  for (size_t i = 0; i < z.size(); ++i) {
    const float v = static_cast<float>(z[i]);
    mo::update(whole, v);
    mo::update(i < 300 ? left : right, v);
    mo::update(mv_whole, v);
    mo::update(i < 600 ? mv_left : mv_right, v);
  }
  const auto merged = mo::combine(left, right);
  EXPECT_FLOAT_EQ(merged.max, whole.max);
  EXPECT_NEAR(merged.sum / whole.sum, 1.0, 1e-5);
  double m = *std::max_element(z.begin(), z.end()), s = 0;
  for (double v : z) s += std::exp(v - m);
  EXPECT_NEAR(whole.sum / s, 1.0, 1e-5);

  const auto mv = mo::combine(mv_left, mv_right);
  const double mean = std::accumulate(z.begin(), z.end(), 0.0) / z.size();
  double var = 0;
  for (double v : z) var += (v - mean) * (v - mean);
  EXPECT_NEAR(mv.mean, mean, 1e-5);
  EXPECT_NEAR(mv.m2 / var, 1.0, 1e-5);
  EXPECT_NEAR(mv_whole.m2 / var, 1.0, 1e-5);
  EXPECT_EQ(mv.count, 1001.0f);
}

TEST(MemoryOpsMath, LayerNormOutputHasZeroMeanUnitVariance) {
  const auto x = random_row(512, 3, 5.0);
  mo::MeanVar s;
  for (double v : x) mo::update(s, static_cast<float>(v) + 3.0f);  // shifted input
  const float rstd = mo::rstd_of(s);
  double mean = 0, sq = 0;
  for (double v : x) {
    const double y = mo::layernorm_forward(static_cast<float>(v) + 3.0f, s.mean, rstd, 1.0f, 0.0f);
    mean += y;
    sq += y * y;
  }
  mean /= 512;
  EXPECT_NEAR(mean, 0.0, 1e-5);
  EXPECT_NEAR(sq / 512 - mean * mean, 1.0, 1e-3);  // ε = 1e-5 against a variance of ~8
}

TEST(MemoryOpsMath, Fp32ElementwiseMathMatchesFp64Reference) {
  for (int i = -400; i <= 400; ++i) {
    const double x = i / 50.0, u = 0.7 - i / 300.0;
    EXPECT_NEAR(mo::gelu_forward(x), memref::gelu_forward(x), 2e-6 * (1 + std::abs(x)));
    EXPECT_NEAR(mo::gelu_backward(x, 1.3f), memref::gelu_backward(x, 1.3), 2e-6 * (1 + std::abs(x)));
    EXPECT_NEAR(mo::swiglu_forward(x, u), memref::swiglu_forward(x, u), 2e-6 * (1 + std::abs(x)));
    double dg, du;
    memref::swiglu_backward(x, u, 0.9, dg, du);
    const auto g = mo::swiglu_backward(x, u, 0.9f);
    EXPECT_NEAR(g.dgate, dg, 2e-6 * (1 + std::abs(x)));
    EXPECT_NEAR(g.dup, du, 2e-6 * (1 + std::abs(x)));
  }
  // Known values: GeLU(0) = 0, GeLU(1) ≈ 0.841192 (tanh form), silu(0) = 0.
  EXPECT_DOUBLE_EQ(memref::gelu_forward(0.0), 0.0);
  EXPECT_NEAR(memref::gelu_forward(1.0), 0.8411919906, 1e-9);
  EXPECT_DOUBLE_EQ(memref::swiglu_forward(0.0, 5.0), 0.0);
}

// Central differences of the fp64 forward: checks the hand-derived backward formulas.
TEST(MemoryOpsReference, BackwardsMatchFiniteDifferences) {
  const double h = 1e-6;
  for (double x : {-3.0, -0.7, 0.0, 0.4, 2.5}) {
    const double fd = (memref::gelu_forward(x + h) - memref::gelu_forward(x - h)) / (2 * h);
    EXPECT_NEAR(memref::gelu_backward(x, 1.0), fd, 1e-7);
    double dg, du;
    memref::swiglu_backward(x, 1.7, 1.0, dg, du);
    EXPECT_NEAR(dg, (memref::swiglu_forward(x + h, 1.7) - memref::swiglu_forward(x - h, 1.7)) / (2 * h), 1e-7);
    EXPECT_NEAR(du, (memref::swiglu_forward(x, 1.7 + h) - memref::swiglu_forward(x, 1.7 - h)) / (2 * h), 1e-7);
  }
  // Row ops: L = Σ w_i·y_i, so ∂L/∂x_j by differences must equal backward with dy = w.
  const size_t n = 37;
  const auto x = random_row(n, 11, 2.0), w = random_row(n, 12), gamma = random_row(n, 13), beta = random_row(n, 14);
  std::vector<double> y(n), dx_ln(n), dx_rms(n), dz(n);
  memref::layernorm_backward(x, w, gamma, dx_ln);
  memref::rmsnorm_backward(x, w, gamma, dx_rms);
  const double ce_loss = memref::cross_entropy(x, 5, 1.0, dz);
  EXPECT_GT(ce_loss, 0.0);
  auto dot = [&](const std::vector<double>& a) { return std::inner_product(a.begin(), a.end(), w.begin(), 0.0); };
  for (size_t j = 0; j < n; ++j) {
    auto xp = x, xm = x;
    xp[j] += h;
    xm[j] -= h;
    memref::layernorm_forward(xp, gamma, beta, y);
    double lp = dot(y);
    memref::layernorm_forward(xm, gamma, beta, y);
    EXPECT_NEAR(dx_ln[j], (lp - dot(y)) / (2 * h), 1e-6) << "layernorm col " << j;
    memref::rmsnorm_forward(xp, gamma, y);
    lp = dot(y);
    memref::rmsnorm_forward(xm, gamma, y);
    EXPECT_NEAR(dx_rms[j], (lp - dot(y)) / (2 * h), 1e-6) << "rmsnorm col " << j;
    std::vector<double> scratch(n);
    const double cp = memref::cross_entropy(xp, 5, 1.0, scratch), cm = memref::cross_entropy(xm, 5, 1.0, scratch);
    EXPECT_NEAR(dz[j], (cp - cm) / (2 * h), 1e-6) << "cross-entropy col " << j;
  }
}

TEST(MemoryOpsMath, HashInputsAreUniformNonZeroAndSeeded) {
  double sum = 0;
  int zeros = 0;
  for (uint64_t i = 0; i < 10000; ++i) {
    const float u = mo::hash_uniform(42, i);
    ASSERT_GE(u, -1.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
    zeros += u == 0.0f;
  }
  EXPECT_NEAR(sum / 10000, 0.0, 0.03);
  EXPECT_LE(zeros, 1);
  EXPECT_NE(mo::hash_uniform(1, 0), mo::hash_uniform(2, 0));
  for (int64_t r = 0; r < 100; ++r) {
    const int64_t t = mo::hash_target(9, r, 13);
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 13);
  }
}

TEST(MemoryOpCheck, CheckedRowsAreSpreadWithFirstAndLast) {
  EXPECT_EQ(memcheck::checked_rows(5), (std::vector<int64_t>{0, 1, 2, 3, 4}));  // fewer than 32: all
  const auto rows = memcheck::checked_rows(100);
  ASSERT_EQ(rows.size(), 32u);
  EXPECT_EQ(rows.front(), 0);
  EXPECT_EQ(rows.back(), 99);
  EXPECT_EQ(rows[1], 3);  // 1·99/31
  EXPECT_EQ(rows[16], 51);  // 16·99/31
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1], rows[i]);
}

// The CUDA backend copies back only the checked rows (held_rows): the same data held whole or by
// those rows alone must get the same verdict, a wrong value must be named by the tensor's row, and
// rows other than the checked ones must be refused. Outputs here are the fp64 reference's own,
// rounded to float, for the kinds with per-row side data (norm statistics, cross-entropy's target
// and loss) and a plain elementwise one.
TEST(MemoryOpCheck, OnlyTheCheckedRowsCopiedBackGiveTheSameVerdict) {
  const int64_t rows = 70, cols = 24;
  for (const OpKind kind : {OpKind::LayerNormForward, OpKind::CrossEntropyForwardBackward, OpKind::ResidualAdd}) {
    memcheck::MemoryOpData all;
    all.rows = rows;
    all.cols = cols;
    const auto gamma = random_row(cols, 7, 0.25);
    const auto beta = random_row(cols, 8, 0.25);
    all.gamma.assign(gamma.begin(), gamma.end());
    all.beta.assign(beta.begin(), beta.end());
    std::vector<double> ref(cols);
    for (int64_t r = 0; r < rows; ++r) {
      const auto x = random_row(cols, 100 + r, 4.0);
      const auto y = random_row(cols, 500 + r);
      for (int64_t j = 0; j < cols; ++j) {
        all.in[0].push_back(static_cast<float>(x[j]));
        all.in[1].push_back(static_cast<float>(y[j]));
      }
      std::vector<double> xf(all.in[0].end() - cols, all.in[0].end()), yf(all.in[1].end() - cols, all.in[1].end());
      if (kind == OpKind::LayerNormForward) {
        const auto s = memref::layernorm_forward(xf, gamma, beta, ref);
        all.mean_out.push_back(static_cast<float>(s.mean));
        all.rstd_out.push_back(static_cast<float>(s.rstd));
      } else if (kind == OpKind::CrossEntropyForwardBackward) {
        all.targets.push_back((r * 7) % cols);
        all.loss.push_back(static_cast<float>(memref::cross_entropy(xf, all.targets.back(), memcheck::kCrossEntropyDloss, ref)));
      } else {
        for (int64_t j = 0; j < cols; ++j) ref[j] = xf[j] + yf[j];
      }
      for (int64_t j = 0; j < cols; ++j) all.out[0].push_back(static_cast<float>(ref[j]));
    }
    auto held_only = [&](const memcheck::MemoryOpData& whole) {
      memcheck::MemoryOpData held;
      held.rows = whole.rows;
      held.cols = whole.cols;
      held.held_rows = memcheck::checked_rows(whole.rows);
      held.gamma = whole.gamma;
      held.beta = whole.beta;
      for (const int64_t r : held.held_rows) {
        for (int t = 0; t < 2; ++t)
          held.in[t].insert(held.in[t].end(), whole.in[t].begin() + r * cols, whole.in[t].begin() + (r + 1) * cols);
        held.out[0].insert(held.out[0].end(), whole.out[0].begin() + r * cols, whole.out[0].begin() + (r + 1) * cols);
        if (!whole.mean_out.empty()) held.mean_out.push_back(whole.mean_out[r]);
        if (!whole.rstd_out.empty()) held.rstd_out.push_back(whole.rstd_out[r]);
        if (!whole.loss.empty()) held.loss.push_back(whole.loss[r]);
        if (!whole.targets.empty()) held.targets.push_back(whole.targets[r]);
      }
      return held;
    };
    const VerifyResult whole_ok = memcheck::verify(kind, DType::FP32, all);
    const VerifyResult held_ok = memcheck::verify(kind, DType::FP32, held_only(all));
    EXPECT_TRUE(whole_ok.passed) << to_string(kind) << ": " << whole_ok.detail;
    EXPECT_TRUE(held_ok.passed) << to_string(kind) << ": " << held_ok.detail;
    EXPECT_EQ(held_ok.elements_checked, whole_ok.elements_checked) << to_string(kind);
    EXPECT_EQ(held_ok.detail, whole_ok.detail) << to_string(kind);

    // A wrong output in the 3rd checked row (row 4 of 70): named as row 4 both ways.
    const int64_t bad_row = memcheck::checked_rows(rows)[2];
    ASSERT_EQ(bad_row, 4);
    memcheck::MemoryOpData wrong = all;
    wrong.out[0][static_cast<size_t>(bad_row * cols + 5)] += 1.0f;
    const VerifyResult held_bad = memcheck::verify(kind, DType::FP32, held_only(wrong));
    EXPECT_FALSE(held_bad.passed) << to_string(kind);
    EXPECT_NE(held_bad.detail.find("row 4 col 5"), std::string::npos) << held_bad.detail;
    EXPECT_EQ(held_bad.detail, memcheck::verify(kind, DType::FP32, wrong).detail);

    // Rows that are not the checked ones (a caller that copied back the first 32) are refused.
    memcheck::MemoryOpData first_rows = held_only(all);
    for (size_t i = 0; i < first_rows.held_rows.size(); ++i) first_rows.held_rows[i] = static_cast<int64_t>(i);
    const VerifyResult mismatch = memcheck::verify(kind, DType::FP32, first_rows);
    EXPECT_FALSE(mismatch.passed);
    EXPECT_NE(mismatch.detail.find("not the 32 rows verification checks"), std::string::npos) << mismatch.detail;
  }
}

}  // namespace
}  // namespace tb::kernels
