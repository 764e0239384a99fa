// What `trainbench run` refuses before minutes of measuring: attention widths the fused CUDA
// kernels do not run (the workload's head_dim: GPT-3 2.7B's 80, DeepSeek-V3's 192).
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

TEST(KernelLimits, FusedCudaAttentionRefusesOtherHeadWidthsNamingTheWayOut) {
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cuda"), 128, "gpt3-175b"));
  EXPECT_NO_THROW(check_attention_head_dim_for("wgmma", device("cuda"), 64, "gpt3-small"));
  EXPECT_NO_THROW(check_attention_head_dim_for("unfused", device("cuda"), 192, "deepseek-v3"));
  EXPECT_NO_THROW(check_attention_head_dim_for("fused", device("cpu"), 192, "deepseek-v3"));  // the CPU runs any
  try {
    check_attention_head_dim_for("fused", device("cuda"), 192, "deepseek-v3");
    ADD_FAILURE() << "head_dim 192 accepted by the fused CUDA kernel";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--impl fused"), std::string::npos) << msg;
    EXPECT_NE(msg.find("deepseek-v3 has head_dim 192"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--impl unfused"), std::string::npos) << msg;
  }
  EXPECT_THROW(check_attention_head_dim_for("wgmma", device("cuda"), 80, "gpt3-2.7b"), UsageError);
}

}  // namespace
}  // namespace tb::cli
