// The optimizer step's AdamW update: the shared per-element math against a step computed by hand
// and against the fp64 reference, and the CPU kernel verified (the CUDA kernel calls the same math
// and the same check).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/adam_check.hpp"
#include "kernels/cpu/adam_kernel.hpp"
#include "kernels/cpu/memory_ops_reference.hpp"
#include "tests/support/planted_error.hpp"

namespace tb::kernels {
namespace {

namespace mo = memops;

TEST(AdamMath, FirstStepByHand) {
  // w 0.5, m 0, v 0, g 0.1, t 1: m = 0.1·0.1 = 0.01; v = 0.05·0.01 = 5e-4; bias corrections
  // 1 − 0.9 = 0.1 and 1 − 0.95 = 0.05: m̂ = 0.1, v̂ = 0.01, √v̂ = 0.1; m̂/(√v̂ + 1e-8) = 0.9999999;
  // decay 0.1·0.5 = 0.05; w = 0.5 − 6e-5·1.0499999 = 0.499937000006.
  const mo::AdamState s = mo::adamw_update({0.5f, 0.0f, 0.0f}, 0.1f, mo::adam_step_at(1));
  // fp32: 0.1f and 1 − 0.9f are off by up to 3e-8 relative, within 1e-6 of these values.
  EXPECT_NEAR(s.m, 0.01, 1e-8);
  EXPECT_NEAR(s.v, 5e-4, 5e-10);
  EXPECT_NEAR(s.w, 0.499937, 1e-7);
  // Step 2 from there, g 0: m = 0.009, v = 4.75e-4; corrections 0.19, 0.0975: m̂ = 0.0473684,
  // √v̂ = 0.0697982; update 0.678647 + 0.0499937 = 0.728641; w = 0.499937 − 4.37185e-5.
  const mo::AdamState t = mo::adamw_update(s, 0.0f, mo::adam_step_at(2));
  EXPECT_NEAR(t.m, 0.009, 1e-8);
  EXPECT_NEAR(t.v, 4.75e-4, 5e-10);
  EXPECT_NEAR(t.w, 0.499937 - 4.37185e-5, 2e-7);
}

TEST(AdamMath, HyperParametersAreGpt3sOnBothSides) {
  EXPECT_EQ(mo::kAdamBeta1, static_cast<float>(memref::kAdamBeta1));
  EXPECT_EQ(mo::kAdamBeta2, static_cast<float>(memref::kAdamBeta2));
  EXPECT_EQ(mo::kAdamEpsilon, static_cast<float>(memref::kAdamEpsilon));
  EXPECT_EQ(mo::kAdamWeightDecay, static_cast<float>(memref::kAdamWeightDecay));
  EXPECT_EQ(mo::kAdamLearningRate, static_cast<float>(memref::kAdamLearningRate));
  EXPECT_FLOAT_EQ(mo::kAdamBeta2, 0.95f);
}

TEST(AdamMath, Fp32MatchesTheFp64ReferenceOverStepsAndValues) {
  double worst = 0;
  for (int64_t step : {1, 2, 10, 1000, 100000})
    for (uint64_t i = 0; i < 2000; ++i) {
      const float g = 0.01f * mo::hash_uniform(1, i), w = 0.02f * mo::hash_uniform(2, i);
      const float m = 0.01f * mo::hash_uniform(3, i), v = 1e-4f + 0.5e-4f * mo::hash_uniform(4, i);
      const mo::AdamState s = mo::adamw_update({w, m, v}, g, mo::adam_step_at(step));
      const memref::AdamResult r = memref::adamw(w, m, v, g, step);
      worst = std::max({worst, std::abs(s.w - r.w) / (std::abs(r.w) + 0.02), std::abs(s.m - r.m) / (std::abs(r.m) + 0.01),
                        std::abs(s.v - r.v) / (std::abs(r.v) + 0.5e-4)});
    }
  EXPECT_LT(worst, adamcheck::kAdamTolerance / 10);
}

Op adam(int64_t params, DType copy) { return make_adam_op("adam", params, copy); }

TEST(AdamCpu, KernelMatchesTheReferenceAfterEveryLaunch) {
  for (DType copy : {DType::BF16, DType::FP16, DType::FP32})
    for (int64_t n : {1, 7, 4099, 100000}) {
      auto kernel = cpu::make_adam_kernel(adam(n, copy), {});
      // Gradient, two copies of master, m and v: 28 B per parameter, and the working copy's 2.
      EXPECT_DOUBLE_EQ(kernel->bytes_allocated(), (copy == DType::FP32 ? 28.0 : 30.0) * static_cast<double>(n));
      for (int launch = 1; launch <= 3; ++launch) {
        kernel->launch();
        const VerifyResult r = kernel->verify();
        EXPECT_TRUE(r.passed) << to_string(copy) << " n " << n << " launch " << launch << ": " << r.detail;
        EXPECT_GT(r.elements_checked, 0);
        EXPECT_LE(r.max_rel_error, r.tolerance);
      }
    }
}

TEST(AdamCpu, UnlaunchedOrCorruptedOutputFailsVerification) {
  auto never_run = cpu::make_adam_kernel(adam(64, DType::BF16), {});
  EXPECT_FALSE(never_run->verify().passed);
  auto kernel = cpu::make_adam_kernel(adam(64, DType::BF16), {});
  tb::testing::expect_planted_error_caught(*kernel);
}

TEST(AdamCheck, AWrongWorkingCopyOrAMissedUpdateIsCaught) {
  adamcheck::AdamData d;
  const float g = 0.005f, w = 0.01f, m = 0.002f, v = 1e-4f;
  const mo::AdamState s = mo::adamw_update({w, m, v}, g, mo::adam_step_at(5));
  d.grad = {g};
  d.in_w = {w};
  d.in_m = {m};
  d.in_v = {v};
  d.out_w = {s.w};
  d.out_m = {s.m};
  d.out_v = {s.v};
  d.copy = {float_to_bf16(s.w)};
  EXPECT_TRUE(adamcheck::verify(d, DType::BF16, 5).passed);
  EXPECT_FALSE(adamcheck::verify(d, DType::BF16, 4).passed);  // another step's bias correction
  d.copy[0] ^= 1;  // one bf16 ulp off
  EXPECT_FALSE(adamcheck::verify(d, DType::BF16, 5).passed);
  d.copy[0] ^= 1;
  d.out_w = {w};  // the weight left as it was: the update is 6e-5·~1, 3e-3 of its scale
  EXPECT_FALSE(adamcheck::verify(d, DType::BF16, 5).passed);
}

TEST(AdamCheck, CheckedIndicesSpreadOverTheBufferFirstAndLastIncluded) {
  // Every parameter of a small buffer; 4 of 10: c·9/3 = 0, 3, 6, 9.
  EXPECT_EQ(adamcheck::checked_indices(3), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(adamcheck::checked_indices(10, 4), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(adamcheck::checked_indices(10, 1), (std::vector<int64_t>{0, 9}));  // never fewer than 2
  // A Megatron chunk: 4096 of 16,772,998, the second at 16,772,997 / 4095 = 4095.97 -> 4095.
  const std::vector<int64_t> ids = adamcheck::checked_indices(16772998);
  ASSERT_EQ(ids.size(), 4096u);
  EXPECT_EQ(ids[1], 4095);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 16772997);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());  // no index twice
}

// What the CUDA kernel hands verify: only the checked parameters, gathered in that order.
TEST(AdamCheck, DataHoldingOnlyTheCheckedParametersIsVerifiedAsTheWhole) {
  const int64_t n = 50000;
  const mo::AdamStep p = mo::adam_step_at(3);
  adamcheck::AdamData whole, held;
  whole.params = held.params = n;
  for (int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<uint64_t>(i);
    const float g = 0.01f * mo::hash_uniform(1, u), w = 0.02f * mo::hash_uniform(2, u);
    const float m = 0.01f * mo::hash_uniform(3, u), v = 1e-4f + 0.5e-4f * mo::hash_uniform(4, u);
    const mo::AdamState s = mo::adamw_update({w, m, v}, g, p);
    for (auto [t, x] : {std::pair{&whole.grad, g}, {&whole.in_w, w}, {&whole.in_m, m}, {&whole.in_v, v},
                        {&whole.out_w, s.w}, {&whole.out_m, s.m}, {&whole.out_v, s.v}})
      t->push_back(x);
    whole.copy.push_back(float_to_bf16(s.w));
  }
  held.held = adamcheck::checked_indices(n);
  for (const int64_t i : held.held) {
    const auto at = static_cast<size_t>(i);
    held.grad.push_back(whole.grad[at]);
    held.in_w.push_back(whole.in_w[at]);
    held.in_m.push_back(whole.in_m[at]);
    held.in_v.push_back(whole.in_v[at]);
    held.out_w.push_back(whole.out_w[at]);
    held.out_m.push_back(whole.out_m[at]);
    held.out_v.push_back(whole.out_v[at]);
    held.copy.push_back(whole.copy[at]);
  }
  const VerifyResult a = adamcheck::verify(whole, DType::BF16, 3), b = adamcheck::verify(held, DType::BF16, 3);
  EXPECT_TRUE(a.passed) << a.detail;
  EXPECT_TRUE(b.passed) << b.detail;
  EXPECT_EQ(a.elements_checked, b.elements_checked);
  EXPECT_EQ(a.max_rel_error, b.max_rel_error);
  // A wrong value is named by its index in the tensor, not its slot among the held.
  held.out_m[1] += 1.0f;
  const VerifyResult wrong = adamcheck::verify(held, DType::BF16, 3);
  EXPECT_FALSE(wrong.passed);
  EXPECT_NE(wrong.detail.find("element " + std::to_string(held.held[1]) + ": m"), std::string::npos) << wrong.detail;
  held.out_m[1] -= 1.0f;
  // Other indices than the ones verify checks: refused, not checked at the wrong places.
  held.held[1] += 1;
  const VerifyResult other = adamcheck::verify(held, DType::BF16, 3);
  EXPECT_FALSE(other.passed);
  EXPECT_NE(other.detail.find("not the 4096 verification checks"), std::string::npos) << other.detail;
  held.held[1] -= 1;
  held.in_v.pop_back();  // a tensor short of the held count
  EXPECT_FALSE(adamcheck::verify(held, DType::BF16, 3).passed);
}

TEST(AdamCpu, BadShapesAndDtypesAreRefused) {
  Op rows = adam(8, DType::BF16);
  rows.memory.rows = 2;
  EXPECT_THROW(cpu::make_adam_kernel(rows, {}), UsageError);
  EXPECT_THROW(cpu::make_adam_kernel(adam(0, DType::BF16), {}), UsageError);
  Op fp8 = adam(8, DType::BF16);
  fp8.dtype = DType::FP8;
  EXPECT_THROW(cpu::make_adam_kernel(fp8, {}), UnsupportedError);
  EXPECT_THROW(cpu::make_adam_kernel(make_memory_op("gelu", OpKind::GeluForward, {1, 8}, DType::BF16, 2), {}),
               UsageError);
}

}  // namespace
}  // namespace tb::kernels
