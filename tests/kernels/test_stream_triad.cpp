// The measured side of the CPU pseudo-SKU's bandwidth: only sanity is testable (the figure is
// this machine's), plus that a process measures it once and only where it is needed.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/hardware/cpu_peak.hpp"
#include "harness/runner/machine_info.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/stream_triad.hpp"

namespace tb::kernels {
namespace {

TEST(StreamTriad, MeasuresAPositiveFiniteBandwidth) {
  const StreamTriadResult r = cpu::measure_stream_triad(int64_t{1} << 20, 2);  // 8 MiB per array: quick
  EXPECT_EQ(r.elements, int64_t{1} << 20);
  EXPECT_EQ(r.repetitions, 2);
  EXPECT_GE(r.threads, 1);
  const double tb_s = stream_triad_tb_s(r);
  EXPECT_TRUE(std::isfinite(tb_s));
  EXPECT_GT(tb_s, 0);
}

TEST(StreamTriad, CpuPseudoSkuMeasuresOncePerProcessAndOnlyWhenAsked) {
  const DeviceInfo info = cpu_device_info();
  // Without a clock in /proc/cpuinfo there is no compute peak, and then no pseudo-SKU at all;
  // with one, the pseudo-SKU has that peak and, not asked to measure memory, no bandwidth.
  const auto compute_only = runner::sku_for(info, "", runner::PeaksNeeded::compute);
  const CpuPeakEstimate peak = estimate_local_cpu_peak();
  ASSERT_EQ(compute_only.has_value(), peak.fp32_peak_tflops > 0) << peak.fp32_peak_tflops;
  if (compute_only) {
    EXPECT_EQ(compute_only->memory_bandwidth_tb_s, 0);
    EXPECT_DOUBLE_EQ(compute_only->peak_tflops_or_zero(DType::FP32), peak.fp32_peak_tflops);
  }

  const auto first = runner::sku_for(info, "", runner::PeaksNeeded::compute_and_memory);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(std::isfinite(first->memory_bandwidth_tb_s));
  EXPECT_GT(first->memory_bandwidth_tb_s, 0);
  EXPECT_NE(first->source.find("measured: STREAM triad"), std::string::npos) << first->source;
  // A second measurement would differ in the last digits; the same figure means it was reused.
  const auto second = runner::sku_for(info, "", runner::PeaksNeeded::compute_and_memory);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->memory_bandwidth_tb_s, first->memory_bandwidth_tb_s);
}

}  // namespace
}  // namespace tb::kernels
