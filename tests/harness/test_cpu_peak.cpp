#include <gtest/gtest.h>

#include "harness/hardware/cpu_peak.hpp"

namespace tb {
namespace {

TEST(CpuPeak, CountsLogicalCpusAndSimdWidth) {
  const std::string cpuinfo =
      "processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2000.000\nflags\t\t: fpu sse avx avx2 fma\n\n"
      "processor\t: 1\nmodel name\t: Test CPU\ncpu MHz\t\t: 2500.000\nflags\t\t: fpu sse avx avx2 fma\n";
  const auto e = estimate_cpu_peak(cpuinfo, std::nullopt);
  EXPECT_EQ(e.logical_cpus, 2);
  EXPECT_EQ(e.model_name, "Test CPU");
  EXPECT_EQ(e.fp32_flops_per_cycle, 32);  // AVX2: 8 lanes × 2 (FMA) × 2 ports
  EXPECT_DOUBLE_EQ(e.max_mhz, 2500);
  EXPECT_NEAR(e.fp32_peak_tflops, 2 * 2500e6 * 32 / 1e12, 1e-12);
}

TEST(CpuPeak, CpufreqMaxWinsAndAvx512Doubles) {
  const std::string cpuinfo = "processor\t: 0\ncpu MHz\t\t: 1000.0\nflags\t\t: avx2 fma avx512f\n";
  const auto e = estimate_cpu_peak(cpuinfo, 3'000'000.0);  // kHz
  EXPECT_EQ(e.fp32_flops_per_cycle, 64);
  EXPECT_DOUBLE_EQ(e.max_mhz, 3000);
  const SkuConfig sku = cpu_pseudo_sku(e, std::nullopt);
  EXPECT_DOUBLE_EQ(sku.peak_tflops_for(DType::FP32), e.fp32_peak_tflops);
  EXPECT_NE(sku.source.find("estimated"), std::string::npos);
}

}  // namespace
}  // namespace tb
