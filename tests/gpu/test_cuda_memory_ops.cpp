// The CUDA memory-bound kernels against the fp64 reference (through the same check as the CPU
// kernels), in bf16, fp16 and fp32, at shapes that are not multiples of the block size.
#include <gtest/gtest.h>

#include "gpu_test_support.hpp"
#include "harness/common/errors.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels {
namespace {

const OpKind kKinds[] = {OpKind::LayerNormForward, OpKind::LayerNormBackward, OpKind::RmsNormForward,
                         OpKind::RmsNormBackward,  OpKind::GeluForward,       OpKind::GeluBackward,
                         OpKind::SwiGluForward,    OpKind::SwiGluBackward,    OpKind::ResidualAdd,
                         OpKind::CrossEntropyForwardBackward};

Op memory_op(OpKind kind, DType dtype, int64_t rows, int64_t cols) {
  Op op;
  op.name = to_string(kind);
  op.kind = kind;
  op.dtype = dtype;
  op.memory = {rows, cols};
  op.bytes = 2.0 * rows * cols * dtype_bytes(dtype);
  return op;
}

TEST(CudaMemoryOps, EveryOpMatchesReference) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (DType dtype : {DType::BF16, DType::FP16, DType::FP32}) {
    for (OpKind kind : kKinds) {
      for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {7, 129}, {96, 4099}, {3, 50257}}) {
        auto kernel = backend->prepare(memory_op(kind, dtype, rows, cols), {});
        kernel->launch();
        const VerifyResult r = kernel->verify();
        EXPECT_TRUE(r.passed) << to_string(kind) << " " << to_string(dtype) << " " << rows << "x" << cols << ": "
                              << r.detail;
      }
    }
  }
}

TEST(CudaMemoryOps, PlantedWrongValueFailsAndSamplesAreTimed) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (OpKind kind : kKinds) {
    auto kernel = backend->prepare(memory_op(kind, DType::BF16, 64, 1024), {});
    EXPECT_FALSE(kernel->verify().passed) << to_string(kind) << ": outputs are NaN until the first launch";
    const double ms = backend->time_sample_ms(*kernel);  // an untimed warm-up launch, then the sample
    EXPECT_GT(ms, 0.0);
    ASSERT_TRUE(kernel->verify().passed) << to_string(kind);
    kernel->corrupt_output_for_testing();
    EXPECT_FALSE(kernel->verify().passed) << to_string(kind);
  }
}

TEST(CudaMemoryOps, Fp8AndBadShapesAreRefused) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  EXPECT_THROW(backend->prepare(memory_op(OpKind::GeluForward, DType::FP8, 8, 8), {}), UnsupportedError);
  EXPECT_THROW(backend->prepare(memory_op(OpKind::GeluForward, DType::BF16, 0, 8), {}), UsageError);
  EXPECT_THROW(backend->prepare(memory_op(OpKind::ResidualAdd, DType::BF16, 1 << 20, 1 << 22), {}), OutOfMemoryError);
}

}  // namespace
}  // namespace tb::kernels

namespace tb::kernels {
namespace {

// fp8 cast-transpose (Transformer Engine's, around each fp8 GEMM): every byte of y and of its
// transpose equal to the host's rounding, amax exact, at ragged shapes and one of GPT-3 175B's,
// in e4m3 (X, W) and e5m2 (dY).
TEST(CudaFp8Cast, MatchesTheHostRoundingExactlyAndCatchesAPlantedByte) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (const Fp8Format format : {Fp8Format::E4M3, Fp8Format::E5M2}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {100, 70}, {257, 4099}, {2048, 12288}}) {
      const Op op = make_fp8_cast_op("cast", {rows, cols}, format);
      auto kernel = backend->prepare(op, {});
      EXPECT_FALSE(kernel->verify().passed) << "outputs are fp8 NaN until the first launch";
      EXPECT_GT(backend->time_sample_ms(*kernel), 0.0);
      const VerifyResult r = kernel->verify();
      EXPECT_TRUE(r.passed) << to_string(format) << " " << rows << "x" << cols << ": " << r.detail;
      kernel->corrupt_output_for_testing();
      EXPECT_FALSE(kernel->verify().passed) << to_string(format) << " " << rows << "x" << cols;
    }
  }
}

}  // namespace
}  // namespace tb::kernels
