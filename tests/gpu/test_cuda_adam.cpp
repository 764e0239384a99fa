// The optimizer step's CUDA AdamW against the fp64 reference, through the check the CPU kernel
// passes (kernels/cpu/adam_check.hpp): every working-copy format, counts that are multiples of 4
// and counts whose last n % 4 take the scalar tail (kernels/common/adam_split.hpp), several
// launches (the state ping-pongs), a planted wrong value caught.
#include <gtest/gtest.h>

#include "gpu_test_support.hpp"
#include "harness/common/errors.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels {
namespace {

TEST(CudaAdam, MatchesTheReferenceAfterEveryLaunch) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (DType copy : {DType::BF16, DType::FP16, DType::FP32})
    // 16,772,998 = 4·4,193,249 + 2: a GPT-3 175B Adam chunk, the packed path and a 2-parameter tail.
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{4096}, int64_t{4097}, int64_t{100003}, int64_t{1} << 22,
                      int64_t{16772998}}) {
      auto kernel = backend->prepare(make_adam_op("adam", n, copy), {});
      EXPECT_FALSE(kernel->verify().passed) << "outputs are NaN until the first launch";
      for (int launch = 1; launch <= 3; ++launch) {
        kernel->launch();
        const VerifyResult r = kernel->verify();
        EXPECT_TRUE(r.passed) << to_string(copy) << " n " << n << " launch " << launch << ": " << r.detail;
      }
    }
}

TEST(CudaAdam, PlantedWrongValueFailsAndSamplesAreTimed) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  auto kernel = backend->prepare(make_adam_op("adam", 1 << 20, DType::BF16), {});
  EXPECT_GT(backend->time_sample_ms(*kernel), 0.0);  // an untimed warm-up launch, then the sample
  ASSERT_TRUE(kernel->verify().passed);
  kernel->corrupt_output_for_testing();
  EXPECT_FALSE(kernel->verify().passed);
  Op fp8 = make_adam_op("adam", 64, DType::BF16);
  fp8.dtype = DType::FP8;
  EXPECT_THROW(backend->prepare(fp8, {}), UnsupportedError);
}

}  // namespace
}  // namespace tb::kernels
