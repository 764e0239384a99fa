// `trainbench devices`: one line when there is no GPU (with the reason), then the CPU.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/hardware/cpu_peak.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/cpu_backend.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

TEST(DevicesCli, ListsTheCpuAndSaysWhyThereIsNoGpu) {
  const auto r = testing::run_trainbench({"devices"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CPU: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OpenBLAS"), std::string::npos) << r.out;
  std::string why;
  if (kernels::cuda_device_available(&why)) {
    EXPECT_NE(r.out.find("GPU 0: "), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(r.out.rfind("No usable GPU: " + why + "\n", 0), 0u) << r.out;  // the first line
  }
  // The CPU's estimated peak, what the CPU backend's % of peak is against.
  if (estimate_local_cpu_peak().fp32_peak_tflops > 0)
    EXPECT_NE(r.out.find("estimated fp32 peak"), std::string::npos) << r.out;
}

// OpenBLAS's AVX-512 kernel sets, whose absence on an AVX-512 CPU halves its GEMMs' reach.
TEST(DevicesCli, KnowsWhichOpenBlasCoresUseAvx512) {
  EXPECT_TRUE(kernels::cpu::blas_core_uses_avx512("SkylakeX"));
  EXPECT_TRUE(kernels::cpu::blas_core_uses_avx512("COOPERLAKE"));
  EXPECT_TRUE(kernels::cpu::blas_core_uses_avx512("SapphireRapids"));
  EXPECT_FALSE(kernels::cpu::blas_core_uses_avx512("Haswell"));
  EXPECT_FALSE(kernels::cpu::blas_core_uses_avx512("Zen"));
}

TEST(DevicesCli, JsonParses) {
  const auto r = testing::run_trainbench({"devices", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("cpu").at("backend"), "cpu");
  EXPECT_GE(j.at("cpu").at("sm_count").get<int>(), 1);
  if (j.at("gpus").empty()) EXPECT_FALSE(j.at("no_gpu_reason").get<std::string>().empty());
}

}  // namespace
}  // namespace tb
