#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

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

// A VM's /proc/cpuinfo often shows the base clock under a boosting core: a clock measured on the
// core wins when higher, within 3x of it (beyond, the measurement is the suspect); cpufreq's max
// wins over both.
TEST(CpuPeak, MeasuredClockWinsOverAVmsBaseClockWithinReason) {
  const std::string cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2596.0\nflags\t\t: avx2 fma\n";
  const auto boosted = estimate_cpu_peak(cpuinfo, std::nullopt, 3700.0);
  EXPECT_DOUBLE_EQ(boosted.max_mhz, 3700);
  EXPECT_EQ(boosted.clock_source, "measured");
  EXPECT_NEAR(boosted.fp32_peak_tflops, 1 * 3700e6 * 32 / 1e12, 1e-12);
  EXPECT_DOUBLE_EQ(estimate_cpu_peak(cpuinfo, std::nullopt, 2000.0).max_mhz, 2596);   // lower: base stands
  EXPECT_DOUBLE_EQ(estimate_cpu_peak(cpuinfo, std::nullopt, 9000.0).max_mhz, 2596);   // > 3x: not believed
  const auto cpufreq = estimate_cpu_peak(cpuinfo, 3'000'000.0, 3700.0);
  EXPECT_DOUBLE_EQ(cpufreq.max_mhz, 3000);
  EXPECT_EQ(cpufreq.clock_source, "cpufreq max");
  EXPECT_NE(cpu_pseudo_sku(boosted, std::nullopt).source.find("3700 MHz (measured)"), std::string::npos);
}

// This core's clock, measured: a real clock (0.2-10 GHz) in whole 100 MHz, or 0 off x86-64.
TEST(CpuPeak, MeasuresThisCoresClock) {
  const double mhz = measure_core_clock_mhz();
#if defined(__x86_64__)
  EXPECT_GE(mhz, 200);
  EXPECT_LE(mhz, 10000);
  EXPECT_DOUBLE_EQ(mhz, std::round(mhz / 100) * 100);
#else
  EXPECT_EQ(mhz, 0);
#endif
}

// SMT siblings share a core's FMA units: 4 logical CPUs on 2 cores count 2. Zen 4 (AMD family
// 25) runs AVX-512 on 256-bit units: AVX2's 32 FLOP per cycle; Zen 5 (family 26) the full 64.
TEST(CpuPeak, CountsCoresNotSiblingsAndZen4sHalfWidthAvx512) {
  std::string smt;
  for (int i = 0; i < 4; ++i)
    smt += fmt::format("processor\t: {}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nphysical id\t: 0\n"
                       "siblings\t: 4\ncpu cores\t: 2\ncpu MHz\t\t: 3000.0\nflags\t\t: avx2 fma avx512f\n\n",
                       i);
  const auto zen4 = estimate_cpu_peak(smt, std::nullopt);
  EXPECT_EQ(zen4.logical_cpus, 4);
  EXPECT_EQ(zen4.cores, 2);
  EXPECT_EQ(zen4.fp32_flops_per_cycle, 32);
  EXPECT_NEAR(zen4.fp32_peak_tflops, 2 * 3000e6 * 32 / 1e12, 1e-12);
  std::string zen5 = smt;
  for (size_t at = zen5.find("family\t: 25"); at != std::string::npos; at = zen5.find("family\t: 25"))
    zen5.replace(at, 11, "family\t: 26");
  EXPECT_EQ(estimate_cpu_peak(zen5, std::nullopt).fp32_flops_per_cycle, 64);
  // Two packages of 2 cores each, 8 logical CPUs: 4 cores.
  std::string two;
  for (int i = 0; i < 8; ++i)
    two += fmt::format("processor\t: {}\nphysical id\t: {}\ncpu cores\t: 2\nflags\t\t: avx2 fma\n\n", i, i / 4);
  EXPECT_EQ(estimate_cpu_peak(two, 2'000'000.0).cores, 4);
}

}  // namespace
}  // namespace tb
