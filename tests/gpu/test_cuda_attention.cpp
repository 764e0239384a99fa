// Our CUDA attention kernels (fused flash-style and unfused cuBLAS) against the fp64 reference:
// forward and backward, bf16 and fp16, causal, grouped-query, ragged lengths, d = 64 and 128, and
// d = 96 and 80 on the d = 128 kernels zero-padded (kernels/common/attention_padding.hpp);
// NaN-poisoned outputs must all be written; a planted wrong value must fail; refusals are clear.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gpu_test_support.hpp"
#include "harness/common/errors.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels {
namespace {

Op attention_op(bool backward, DType dtype, AttentionShape shape) {
  Op op;
  op.name = "test.attention";
  op.kind = backward ? OpKind::AttentionBackward : OpKind::AttentionForward;
  op.dtype = dtype;
  op.attention = shape;
  op.flops = backward ? attention_backward_flops(shape) : attention_forward_flops(shape);
  return op;
}

TEST(CudaAttention, FusedAndUnfusedMatchReference) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  const std::vector<AttentionShape> shapes = {
      {1, 2, 2, 128, 64, false},   // one exact tile pair
      {2, 4, 2, 130, 64, true},    // ragged, causal, GQA
      {1, 4, 1, 77, 128, false},   // ragged, multi-query, d = 128 (unfused: seq² odd, cuBLAS pointer alignment)
      {1, 3, 3, 200, 128, true},   // ragged causal, d = 128
      {1, 12, 12, 2048, 128, true},  // GPT-3 175B / 8-way TP, one sequence
  };
  for (const char* impl : {"fused", "unfused"}) {
    for (DType dtype : {DType::BF16, DType::FP16}) {
      for (bool backward : {false, true}) {
        for (const auto& s : shapes) {
          const Op op = attention_op(backward, dtype, s);
          SCOPED_TRACE(fmt::format("{} {} {} {}", impl, to_string(dtype), backward ? "bwd" : "fwd", op.shape_string()));
          PrepareOptions options;
          options.attention_impl = impl;
          auto kernel = backend->prepare(op, options);
          kernel->launch();
          backend->synchronize();
          const VerifyResult v = kernel->verify();
          EXPECT_TRUE(v.passed) << v.detail << " (error " << v.max_rel_error << ", tolerance " << v.tolerance << ")";
          EXPECT_GT(v.elements_checked, 0);
          kernel->launch();  // a second launch gives the same answer (dQ scratch re-zeroed)
          backend->synchronize();
          EXPECT_TRUE(kernel->verify().passed);
        }
      }
    }
  }
}

// The wgmma forward (sm_90a only): the same shapes, both dtypes, with NaN-poisoned outputs; on
// any other GPU or build it must refuse clearly instead.
TEST(CudaAttention, WgmmaForwardMatchesReferenceOrRefusesClearly) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  PrepareOptions options;
  options.attention_impl = "wgmma";
  const std::vector<AttentionShape> shapes = {
      {1, 2, 2, 128, 64, false}, {2, 4, 2, 130, 64, true},  {1, 4, 1, 77, 128, false},
      {1, 3, 3, 200, 128, true}, {1, 12, 12, 2048, 128, true}, {2, 8, 8, 1000, 128, false},
  };
  for (DType dtype : {DType::BF16, DType::FP16})
    for (const auto& s : shapes) {
      const Op op = attention_op(false, dtype, s);
      SCOPED_TRACE(fmt::format("wgmma {} {}", to_string(dtype), op.shape_string()));
      std::unique_ptr<Kernel> kernel;
      try {
        kernel = backend->prepare(op, options);
      } catch (const UnsupportedError& e) {
        EXPECT_NE(std::string(e.what()).find("--impl fused"), std::string::npos) << e.what();
        GTEST_SKIP() << e.what();
      }
      EXPECT_FALSE(kernel->verify().passed) << "outputs are NaN-poisoned before the first launch";
      kernel->launch();
      backend->synchronize();
      const VerifyResult v = kernel->verify();
      EXPECT_TRUE(v.passed) << v.detail << " (error " << v.max_rel_error << ", tolerance " << v.tolerance << ")";
    }
}

TEST(CudaAttention, UnwrittenOutputAndPlantedErrorFail) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (bool backward : {false, true}) {
    const Op op = attention_op(backward, DType::BF16, {1, 2, 2, 96, 64, true});
    auto kernel = backend->prepare(op, {});
    EXPECT_FALSE(kernel->verify().passed) << "outputs are NaN-poisoned before the first launch";
    kernel->launch();
    backend->synchronize();
    ASSERT_TRUE(kernel->verify().passed);
    kernel->corrupt_output_for_testing();
    EXPECT_FALSE(kernel->verify().passed);
  }
}

// GPT-3 Large's d = 96 and 2.7B's d = 80 on the fused d = 128 kernels, zero-padded: the real
// columns against the fp64 reference at the true d (scale 1/sqrt(d)), the pads exactly zero
// (verify fails otherwise), every padded output written (NaN-poisoned first); the kernel says it
// ran padded. bf16, causal, GQA, ragged; the wgmma forward where this GPU has it,
// in a test of its own: gpu-check runs *Wgmma* tests apart, so that a first wgmma fault or hang on
// real hardware cannot take the other GPU tests down with it.
void check_padded_head_dims(const char* impl) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  const std::vector<AttentionShape> shapes = {
      {2, 4, 2, 130, 96, true},     // ragged, causal, GQA
      {1, 3, 3, 200, 80, true},     // ragged causal
      {1, 16, 16, 2048, 96, true},  // GPT-3 Large, one sequence
      {1, 32, 32, 2048, 80, true},  // GPT-3 2.7B, one sequence
  };
  for (bool backward : {false, true})
    for (const auto& s : shapes) {
      const Op op = attention_op(backward, DType::BF16, s);
      SCOPED_TRACE(fmt::format("{} bf16 {} {}", impl, backward ? "bwd" : "fwd", op.shape_string()));
      PrepareOptions options;
      options.attention_impl = impl;
      std::unique_ptr<Kernel> kernel;
      try {
        kernel = backend->prepare(op, options);
      } catch (const UnsupportedError& e) {
        if (std::string(impl) != "wgmma") throw;
        GTEST_SKIP() << e.what();  // no sm_90a here: PaddedHeadDimsMatchReference runs the shapes fused
      }
      EXPECT_EQ(kernel->padded_head_dim(), 128);
      EXPECT_NE(kernel->algorithm().find(fmt::format("head dim {} zero-padded to 128", s.head_dim)),
                std::string::npos)
          << kernel->algorithm();
      EXPECT_FALSE(kernel->verify().passed) << "outputs are NaN-poisoned before the first launch";
      kernel->launch();
      backend->synchronize();
      const VerifyResult v = kernel->verify();
      EXPECT_TRUE(v.passed) << v.detail << " (error " << v.max_rel_error << ", tolerance " << v.tolerance << ")";
      kernel->corrupt_output_for_testing();
      EXPECT_FALSE(kernel->verify().passed) << "a planted error in a real column";
    }
}

TEST(CudaAttention, PaddedHeadDimsMatchReference) { check_padded_head_dims("fused"); }
TEST(CudaAttention, PaddedHeadDimsMatchReferenceWgmma) { check_padded_head_dims("wgmma"); }

TEST(CudaAttention, RefusesWhatItCannotDo) {
  TB_REQUIRE_GPU();
  auto backend = make_backend("cuda");
  for (const char* impl : {"fused", "wgmma"})
    try {
      PrepareOptions options;
      options.attention_impl = impl;
      backend->prepare(attention_op(false, DType::BF16, {1, 2, 2, 128, 192, false}), options);
      ADD_FAILURE() << "head_dim 192 accepted by " << impl;
    } catch (const UnsupportedError& e) {
      const std::string msg = e.what();
      // wgmma off Hopper refuses for its own reason first, pointing at --impl fused.
      if (msg.find("wgmma needs") == std::string::npos && msg.find("sm_90a") == std::string::npos) {
        EXPECT_NE(msg.find("fused attention is instantiated up to 128; use --impl unfused"), std::string::npos) << msg;
      }
    }
  // Unfused (cuBLAS) needs a multiple of 8 and does not pad; the fused kernel pads it.
  PrepareOptions unfused;
  unfused.attention_impl = "unfused";
  EXPECT_THROW(backend->prepare(attention_op(false, DType::BF16, {1, 2, 2, 128, 100, false}), unfused),
               UnsupportedError);
  EXPECT_THROW(backend->prepare(attention_op(false, DType::FP32, {1, 2, 2, 128, 64, false}), {}), UnsupportedError);
  EXPECT_THROW(backend->prepare(attention_op(false, DType::BF16, {1, 6, 4, 128, 64, false}), {}), UsageError);
}

}  // namespace
}  // namespace tb::kernels
