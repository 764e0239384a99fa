// `trainbench devices`: one line when there is no GPU (with the reason), then the CPU.
#include <fmt/format.h>
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

// The JSON carries what the text prints, as results files name it (docs/devices.md): the CPU's
// estimated peak with its clock's provenance, its last-level cache under that name, no compute
// capability (""), and the pseudo-SKU results files record (cpu-estimated).
TEST(DevicesCli, JsonCarriesTheTextsFactsAsTheSchemaNamesThem) {
  const auto text = testing::run_trainbench({"devices"});
  const auto r = testing::run_trainbench({"devices", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const auto cpu = nlohmann::json::parse(r.out).at("cpu");
  EXPECT_EQ(cpu.at("compute_capability"), "");
  EXPECT_FALSE(cpu.contains("l2_cache_bytes")) << cpu.dump();
  EXPECT_EQ(cpu.at("last_level_cache_bytes").get<double>(), kernels::cpu_device_info().l2_cache_bytes);
  EXPECT_NE(text.out.find(fmt::format("last-level cache {:.0f} MB", kernels::cpu_device_info().l2_cache_bytes / 1048576.0)),
            std::string::npos)
      << text.out;
  const CpuPeakEstimate peak = estimate_local_cpu_peak();
  if (peak.fp32_peak_tflops > 0) {
    EXPECT_EQ(cpu.at("matched_sku"), "cpu-estimated");
    const auto& e = cpu.at("estimated_peak");
    // A measured clock moves between processes: the JSON's peak is its own cores x clock x FLOPs.
    EXPECT_NEAR(e.at("fp32_tflops").get<double>(),
                e.at("cores").get<int>() * e.at("clock_mhz").get<double>() * 1e6 *
                    e.at("fp32_flops_per_cycle").get<int>() / 1e12,
                1e-9);
    EXPECT_EQ(e.at("cores").get<int>(), peak.cores);
    EXPECT_EQ(e.at("clock_source"), peak.clock_source);
    EXPECT_EQ(e.at("fp32_flops_per_cycle").get<int>(), peak.fp32_flops_per_cycle);
    // The text's line says the same clock source and SKU.
    EXPECT_NE(text.out.find("clock: " + peak.clock_source + "), SKU config: cpu-estimated"), std::string::npos)
        << text.out;
    const std::string blas = cpu.at("blas_note");
    EXPECT_EQ(text.out.find("  note: " + blas) != std::string::npos, !blas.empty()) << text.out;
  } else {
    EXPECT_EQ(cpu.at("matched_sku"), "");
    EXPECT_TRUE(cpu.at("estimated_peak").is_null());
  }
}

}  // namespace
}  // namespace tb
