// cuBLASLt GEMMs against the fp64 reference: every dtype and layout (row-major semantics of
// harness/workload/op.hpp), shapes that are not multiples of 16, a planted wrong value, the
// top-k autotuning, and refusals (bad shapes, fp64, over-memory).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <vector>

#include "gpu_test_support.hpp"
#include "harness/common/errors.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"
#include "tests/support/planted_error.hpp"

namespace tb::kernels {
namespace {

Op gemm_op(DType dtype, GemmLayout layout, int64_t m, int64_t n, int64_t k) {
  Op op;
  op.name = "test.gemm";
  op.kind = OpKind::Gemm;
  op.dtype = dtype;
  op.gemm = {m, n, k, layout};
  op.flops = 2.0 * m * n * k;
  return op;
}

bool supports_fp8(const DeviceInfo& d) {
  return d.compute_capability_major * 10 + d.compute_capability_minor >= 89;
}

TEST(CudaGemm, EveryDtypeAndLayoutMatchesReference) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  const bool fp8 = supports_fp8(backend->device_info());
  struct Shape {
    int64_t m, n, k;
  };
  for (DType dtype : {DType::BF16, DType::FP16, DType::TF32, DType::FP32, DType::FP8}) {
    for (GemmLayout layout : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
      for (Shape s : {Shape{64, 64, 64}, Shape{128, 96, 256}, Shape{127, 253, 61}, Shape{1, 512, 2048}}) {
        const Op op = gemm_op(dtype, layout, s.m, s.n, s.k);
        SCOPED_TRACE(fmt::format("{} {} {}x{}x{}", to_string(dtype), to_string(layout), s.m, s.n, s.k));
        if (dtype == DType::FP8 && (!fp8 || s.m % 16 || s.n % 16 || s.k % 16)) {
          // Refused clearly (no fp8 tensor cores, or cuBLASLt's multiple-of-16 rule), never wrong.
          try {
            auto k = backend->prepare(op, {});
            k->launch();
            EXPECT_TRUE(k->verify().passed);
          } catch (const UnsupportedError& e) {
            EXPECT_FALSE(std::string(e.what()).empty());
          }
          continue;
        }
        auto kernel = backend->prepare(op, {});
        kernel->launch();
        const VerifyResult r = kernel->verify();
        EXPECT_TRUE(r.passed) << r.detail;
        EXPECT_GT(r.elements_checked, 0);
        EXPECT_LE(r.max_rel_error, r.tolerance);
        EXPECT_FALSE(kernel->algorithm().empty());
        // Transformer Engine's HYBRID formats by role: the gradient dY in e5m2.
        if (dtype == DType::FP8) {
          const char* formats = layout == GemmLayout::Forward    ? "fp8 e4m3 x e4m3"
                                : layout == GemmLayout::DataGrad ? "fp8 e5m2 x e4m3"
                                                                 : "fp8 e4m3 x e5m2";
          EXPECT_NE(kernel->algorithm().find(formats), std::string::npos) << kernel->algorithm();
        }
      }
    }
  }
}

TEST(CudaGemm, NotLaunchedOrPlantedWrongValueFailsVerification) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  auto kernel = backend->prepare(gemm_op(DType::BF16, GemmLayout::Forward, 96, 80, 64), {});
  EXPECT_FALSE(kernel->verify().passed) << "output is NaN-filled until the first launch";
  tb::testing::expect_planted_error_caught(*kernel);
  // Timing the heuristic's top candidates launches them inside prepare(): the output must be
  // poisoned again afterwards, or a launch() that never wrote C would still verify.
  PrepareOptions tuned;
  tuned.gemm_candidates = 4;
  auto timed = backend->prepare(gemm_op(DType::BF16, GemmLayout::Forward, 512, 512, 512), tuned);
  EXPECT_FALSE(timed->verify().passed) << "output is NaN-filled after tuning, until the first launch";
  timed->launch();
  EXPECT_TRUE(timed->verify().passed);
}

// A strided batch (a MoE layer's grouped expert GEMM): every layout's checked groups (first,
// middle, last) match the reference, in bf16 and fp8 where the GPU has it; a wrong value in the
// last group is caught and named.
TEST(CudaGemm, StridedBatchMatchesTheReferenceInEveryCheckedGroup) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  std::vector<DType> dtypes = {DType::BF16, DType::FP32};
  if (supports_fp8(backend->device_info())) dtypes.push_back(DType::FP8);
  for (DType dtype : dtypes)
    for (GemmLayout layout : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
      SCOPED_TRACE(fmt::format("{} {}", to_string(dtype), to_string(layout)));
      auto kernel = backend->prepare(make_gemm_op("test.gemm", {64, 48, 32, layout, 5}, dtype), {});
      EXPECT_FALSE(kernel->verify().passed) << "output is NaN-filled until the first launch";
      kernel->launch();
      const VerifyResult r = kernel->verify();
      EXPECT_TRUE(r.passed) << r.detail;
      EXPECT_EQ(r.elements_checked, 3 * 64 * 48);
    }
  auto kernel = backend->prepare(make_gemm_op("test.gemm", {96, 80, 64, GemmLayout::Forward, 4}, DType::BF16), {});
  kernel->launch();
  ASSERT_TRUE(kernel->verify().passed);
  kernel->corrupt_output_for_testing();
  const VerifyResult r = kernel->verify();
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.detail.rfind("group 3 of 4: ", 0), 0u) << r.detail;
}

TEST(CudaGemm, TopKCandidatesAreTimedAndTheChoiceIsCorrect) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  PrepareOptions options;
  options.gemm_candidates = 8;
  auto kernel = backend->prepare(gemm_op(DType::BF16, GemmLayout::DataGrad, 1024, 1024, 1024), options);
  EXPECT_NE(kernel->algorithm().find("cublasLt heuristic"), std::string::npos) << kernel->algorithm();
  kernel->launch();
  EXPECT_TRUE(kernel->verify().passed);
  // Timing a sample works and is positive and plausible (< 100 ms for 2 GFLOP).
  const double ms = backend->time_sample_ms(*kernel);
  EXPECT_GT(ms, 0.0);
  EXPECT_LT(ms, 100.0);
}

TEST(CudaGemm, BadShapesFp64AndOverMemoryAreRefused) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  EXPECT_THROW(backend->prepare(gemm_op(DType::BF16, GemmLayout::Forward, 0, 8, 8), {}), UsageError);
  EXPECT_THROW(backend->prepare(gemm_op(DType::BF16, GemmLayout::Forward, 8, -8, 8), {}), UsageError);
  EXPECT_THROW(backend->prepare(gemm_op(DType::FP64, GemmLayout::Forward, 8, 8, 8), {}), UnsupportedError);
  // 2^20 squared bf16 operands: 2 TB each, far beyond any GPU.
  EXPECT_THROW(backend->prepare(gemm_op(DType::BF16, GemmLayout::Forward, 1 << 20, 1 << 20, 1 << 20), {}),
               OutOfMemoryError);
  EXPECT_GT(backend->free_memory_bytes(), 0.0);
}

TEST(CudaGemm, Fp8RefusedWithReasonBelowAda) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  if (supports_fp8(backend->device_info())) GTEST_SKIP() << "this GPU has fp8 tensor cores";
  EXPECT_THROW(backend->prepare(gemm_op(DType::FP8, GemmLayout::DataGrad, 64, 64, 64), {}), UnsupportedError);
}

}  // namespace
}  // namespace tb::kernels
