// A batched (grouped) GEMM on the CPU backend: one OpenBLAS call per group on the group's own
// operands, verified on its first, middle and last group against the fp64 reference; a wrong
// value in the last group is caught; the memory check counts every group.
#include <gtest/gtest.h>

#include "harness/common/errors.hpp"
#include "harness/workload/op.hpp"
#include "kernels/common/gemm_reference.hpp"
#include "kernels/cpu/cpu_backend.hpp"
#include "kernels/cpu/gemm_kernel.hpp"
#include "tests/support/planted_error.hpp"

namespace tb {
namespace {

Op batched(int64_t batch, int64_t m, int64_t n, int64_t k, GemmLayout layout, DType dtype) {
  return make_gemm_op("g", {m, n, k, layout, batch}, dtype);
}

TEST(CpuGroupedGemm, EveryCheckedGroupMatchesTheReferenceInEveryLayout) {
  auto backend = kernels::cpu::make_backend();
  std::vector<DType> dtypes = {DType::FP32, DType::FP64};
  if (kernels::cpu::bf16_gemm_available()) dtypes.push_back(DType::BF16);
  for (const DType dtype : dtypes)
    for (const GemmLayout layout : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
      auto kernel = backend->prepare(batched(5, 19, 23, 17, layout, dtype), {});
      backend->time_sample_ms(*kernel);
      const kernels::VerifyResult v = kernel->verify();
      EXPECT_TRUE(v.passed) << to_string(dtype) << " " << to_string(layout) << ": " << v.detail;
      EXPECT_EQ(v.elements_checked, 3 * 19 * 23) << "groups 0, 2 and 4, every element of each";
    }
}

TEST(CpuGroupedGemm, UnlaunchedGroupsAndAWrongValueInTheLastGroupAreCaught) {
  auto backend = kernels::cpu::make_backend();
  auto idle = backend->prepare(batched(4, 8, 8, 8, GemmLayout::Forward, DType::FP32), {});
  EXPECT_FALSE(idle->verify().passed);  // C is zero until launched
  auto kernel = backend->prepare(batched(4, 12, 10, 9, GemmLayout::DataGrad, DType::FP32), {});
  const kernels::VerifyResult v = tb::testing::expect_planted_error_caught(*kernel);
  EXPECT_GT(v.max_rel_error, 100 * v.tolerance);
  EXPECT_EQ(v.detail.rfind("group 3 of 4: ", 0), 0u) << v.detail;
}

TEST(CpuGroupedGemm, EveryRotatedCopyOfEveryGroupComputesItsProduct) {
  auto backend = kernels::cpu::make_backend();
  auto kernel = backend->prepare(batched(3, 16, 16, 16, GemmLayout::WeightGrad, DType::FP32), {});
  for (int i = 0; i < 5; ++i) {
    backend->time_sample_ms(*kernel);  // moves to the next copy first
    ASSERT_TRUE(kernel->verify().passed) << "sample " << i;
  }
}

// By hand: 4 groups of 1000^3 in fp32 hold 4 x 12 MB; bf16 holds 4 x 8 MB of inputs and fp32
// outputs plus one group's float images (8 MB), made and checked one group at a time. With a
// 20 MB last-level cache, one set (48 MB) is already past twice it: one copy, not single's 4.
TEST(CpuGroupedGemm, MemoryCheckCountsEveryGroup) {
  EXPECT_DOUBLE_EQ(kernels::cpu::gemm_bytes_needed(batched(4, 1000, 1000, 1000, GemmLayout::Forward, DType::FP32), 0),
                   4 * 12e6 * 1.1 + 256e6);
  EXPECT_DOUBLE_EQ(kernels::cpu::gemm_bytes_needed(batched(4, 1000, 1000, 1000, GemmLayout::Forward, DType::BF16), 0),
                   (4 * 8e6 + 8e6) * 1.1 + 256e6);
  EXPECT_DOUBLE_EQ(
      kernels::cpu::gemm_bytes_needed(batched(4, 1000, 1000, 1000, GemmLayout::Forward, DType::FP32), 20e6),
      4 * 12e6 * 1.1 + 256e6);
  // 2^14 groups of 2^12 cubed in fp32: 2^14 x 192 MiB, beyond any host here: refused before allocating.
  auto backend = kernels::cpu::make_backend();
  EXPECT_THROW(backend->prepare(batched(1 << 14, 1 << 12, 1 << 12, 1 << 12, GemmLayout::Forward, DType::FP32), {}),
               kernels::OutOfMemoryError);
  EXPECT_THROW(backend->prepare(batched(0, 8, 8, 8, GemmLayout::Forward, DType::FP32), {}), UsageError);
}

TEST(GemmCheckGroups, FirstMiddleAndLast) {
  EXPECT_EQ(kernels::gemm_check_groups(1), (std::vector<int64_t>{0}));
  EXPECT_EQ(kernels::gemm_check_groups(2), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(kernels::gemm_check_groups(3), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(kernels::gemm_check_groups(256), (std::vector<int64_t>{0, 128, 255}));
}

TEST(GemmCheckGroups, OneVerdictNamesTheFirstFailingGroup) {
  std::vector<int64_t> seen;
  const kernels::VerifyResult v = kernels::verify_gemm_groups(9, [&](int64_t g) {
    seen.push_back(g);
    kernels::VerifyResult r;
    r.passed = g != 4;
    r.max_rel_error = g == 4 ? 0.5 : 1e-6;
    r.tolerance = 1e-3;
    r.elements_checked = 10;
    r.detail = g == 4 ? "C[0][0] off" : "";
    return r;
  });
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 4, 8}));
  EXPECT_FALSE(v.passed);
  EXPECT_DOUBLE_EQ(v.max_rel_error, 0.5);
  EXPECT_EQ(v.elements_checked, 30);
  EXPECT_EQ(v.detail, "group 4 of 9: C[0][0] off");
}

}  // namespace
}  // namespace tb
