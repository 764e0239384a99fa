// What `trainbench run` refuses before minutes of measuring: attention widths the fused CUDA
// kernels do not run (the workload's head_dim: DeepSeek-V3's 192; GPT-3 2.7B's 80 runs padded); what the
// single-kernel commands refuse on the CPU: a sample that would outlast kMaxCpuSampleS.
#include <gtest/gtest.h>

#include <string>

#include "cli/kernel_limits.hpp"
#include "harness/common/errors.hpp"

namespace tb::cli {
namespace {

kernels::DeviceInfo device(const std::string& backend) {
  kernels::DeviceInfo d;
  d.backend = backend;
  return d;
}

TEST(KernelLimits, FusedCudaAttentionRunsHeadWidthsUpTo128AndRefusesWiderNamingTheWayOut) {
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cuda"), 128, "gpt3-175b"));
  EXPECT_NO_THROW(check_attention_head_dim_for("wgmma", device("cuda"), 64, "gpt3-small"));
  // Not instantiated, run zero-padded to 128: GPT-3 Large's 96 and 2.7B's 80, and the edges.
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cuda"), 96, "gpt3-large"));
  EXPECT_NO_THROW(check_attention_head_dim_for("wgmma", device("cuda"), 80, "gpt3-2.7b"));
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cuda"), 1, "tiny"));
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cuda"), 127, "odd"));
  EXPECT_NO_THROW(check_attention_head_dim_for("unfused", device("cuda"), 192, "deepseek-v3"));
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cpu"), 192, "deepseek-v3"));  // the CPU runs any
  for (const int64_t wide : {129, 192, 256})
    try {
      check_attention_head_dim_for("fused", device("cuda"), wide, "deepseek-v3");
      ADD_FAILURE() << "head_dim " << wide << " accepted by the fused CUDA kernel";
    } catch (const UsageError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("--impl fused"), std::string::npos) << msg;
      EXPECT_NE(msg.find("deepseek-v3 has head_dim " + std::to_string(wide)), std::string::npos) << msg;
      EXPECT_NE(msg.find("fused attention is instantiated up to 128"), std::string::npos) << msg;
      EXPECT_NE(msg.find("use --impl unfused"), std::string::npos) << msg;
    }
  EXPECT_THROW(check_attention_head_dim_for("wgmma", device("cuda"), 192, "deepseek-v3"), UsageError);
}

TEST(KernelLimits, APaddedAttentionIsJudgedAtTheWidthItAllocates) {
  EXPECT_EQ(attention_run_head_dim("fused", device("cuda"), 96), 128);
  EXPECT_EQ(attention_run_head_dim("wgmma", device("cuda"), 40), 64);
  EXPECT_EQ(attention_run_head_dim("fused", device("cuda"), 64), 64);
  EXPECT_EQ(attention_run_head_dim("unfused", device("cuda"), 96), 96);
  EXPECT_EQ(attention_run_head_dim("fused", device("cpu"), 96), 96);
  EXPECT_EQ(attention_run_head_dim("fused", device("cuda"), 192), 192);  // refused elsewhere, by name
  // Forward, bf16: (Q + O) and (K + V) of 1 x 1 x 1000 x d, 2 bytes each, plus 4 bytes of LSE a row:
  // d = 96 needs 4·1000·96·2 + 4000 = 772,000 bytes, at 128 1,028,000.
  const AttentionShape s{1, 1, 1, 1000, 96, false};
  EXPECT_DOUBLE_EQ(attention_bytes_needed(s, 2, false), 772000);
  EXPECT_NO_THROW(check_attention_fits(s, 2, false, 800000, "--seq"));
  try {
    check_attention_fits(s, 2, false, 800000, "--seq", 128);
    ADD_FAILURE() << "1.028 MB accepted in 0.8 MB";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("head_dim 96 (run zero-padded to 128) does not fit"), std::string::npos) << msg;
    EXPECT_NE(msg.find("need 0.00103 GB"), std::string::npos) << msg;
  }
  EXPECT_NO_THROW(check_attention_fits(s, 2, false, 1028000, "--seq", 128));
}

TEST(KernelLimits, ACpuSampleOverTheLimitAtPeakIsRefusedNamingTheShapeFlags) {
  // 2·m·n·k: 10^4 cubed is 2e12 FLOP, 2 s at 1 TFLOP/s; 10^5 cubed is 2e15, 2000 s > 600 s.
  EXPECT_NO_THROW(check_cpu_sample_time(make_gemm_op("gemm", {10000, 10000, 10000}, DType::FP32), 1.0, "-m, -n, -k"));
  const Op slow = make_gemm_op("gemm", {100000, 100000, 100000}, DType::FP32);
  try {
    check_cpu_sample_time(slow, 1.0, "-m, -n, -k");
    ADD_FAILURE() << "a 2000 s sample accepted";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("-m, -n, -k: gemm 100000x100000x100000", 0), 0u) << msg;
    EXPECT_NE(msg.find("at least 2000 s"), std::string::npos) << msg;
  }
  // Exactly at the limit is allowed; an unknown peak (0) cannot judge and lets it run.
  EXPECT_NO_THROW(check_cpu_sample_time(slow, 2e15 / (kMaxCpuSampleS * 1e12), "-m, -n, -k"));
  EXPECT_NO_THROW(check_cpu_sample_time(slow, 0.0, "-m, -n, -k"));
}

TEST(KernelLimits, CpuAttentionIsJudgedAtTheRateItReachesNotAtThePeak) {
  // Causal forward 4·b·h·s²·d / 2 = 4·1·3·1e10·64 / 2 = 3.84e12 FLOP: 7.7 s at a 0.5 TFLOP/s peak,
  // but 640 s at the 1.2% of it the CPU's attention reaches (about the 600 s it really took).
  const Op attention = make_attention_op("attention.fwd", {1, 3, 3, 100000, 64, true}, DType::FP32, false);
  ASSERT_DOUBLE_EQ(attention.flops, 3.84e12);
  try {
    check_cpu_sample_time(attention, 0.5, "--seq");
    ADD_FAILURE() << "a 640 s attention sample accepted";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("at least 640 s on this CPU even at 0.006 TFLOP/s (1.2% of its estimated peak"),
              std::string::npos)
        << msg;
  }
  // A GEMM of the same FLOPs is judged at the peak: 7.7 s, allowed.
  const Op gemm = make_gemm_op("gemm", {16000, 10000, 12000}, DType::FP32);
  ASSERT_DOUBLE_EQ(gemm.flops, 3.84e12);
  EXPECT_NO_THROW(check_cpu_sample_time(gemm, 0.5, "-m, -n, -k"));
}

}  // namespace
}  // namespace tb::cli
