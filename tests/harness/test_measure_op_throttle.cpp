// measure_op waits out throttling (nvbench's measure_cold): a sample after which the SM clock read
// under the threshold is discarded, the recovery delay asked for, and another taken; the kernel's
// samples, statistics and clocks are the kept ones'. A fake GPU that runs hot for its first samples,
// and a recorder standing in for the pause: no test sleeps.
#include <gtest/gtest.h>

#include <vector>

#include "harness/runner/device_state.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/runner/measure_op.hpp"
#include "kernels/backend.hpp"
#include "tests/support/noop_kernel.hpp"

namespace tb::runner {
namespace {

// Default SM clock 1980 MHz. While hot, a sample takes 2 ms and the clock reads 1200 MHz (61%);
// then 1 ms at 1900 MHz (96%).
class HotGpu final : public kernels::Backend {
 public:
  int64_t hot_samples = 0;
  int64_t samples = 0;
  int64_t reads = 0;
  kernels::DeviceInfo device_info() const override {
    kernels::DeviceInfo d;
    d.backend = "fake";
    d.sm_clock_mhz = 1980;
    return d;
  }
  std::unique_ptr<kernels::Kernel> prepare(const Op&, const kernels::PrepareOptions&) override {
    return std::make_unique<testing::NoopKernel>();
  }
  double time_sample_ms(kernels::Kernel&) override { return ++samples <= hot_samples ? 2.0 : 1.0; }
  void synchronize() override {}
  std::optional<kernels::ClockReading> read_clocks() override {
    ++reads;
    kernels::ClockReading r;
    r.sm_clock_mhz = samples <= hot_samples ? 1200 : 1900;
    r.throttle_text = samples <= hot_samples ? "hw_thermal_slowdown" : "";
    return r;
  }
  double free_memory_bytes() const override { return 1e12; }
};

struct Pauses {
  std::vector<double> asked_s;
  MeasureOptions options(int64_t samples) {
    MeasureOptions o;
    o.policy.warmup_launches = 0;
    o.policy.min_samples = o.policy.max_samples = samples;
    o.policy.min_time_s = 0;
    o.policy.max_time_s = 600;
    o.policy.throttle_recovery_delay_s = 0.25;
    o.recover_for_testing = [this](double s) { asked_s.push_back(s); };
    return o;
  }
};

const Op kGemm = make_gemm_op("gemm", {64, 64, 64}, DType::BF16);

TEST(MeasureOpThrottle, HotSamplesAreDiscardedAndRetakenAfterThePause) {
  reset_device_lost();
  HotGpu gpu;
  gpu.hot_samples = 2;
  Pauses pauses;
  const results::KernelResult r = measure_op(gpu, kGemm, pauses.options(10), {});
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(gpu.samples, 12);
  EXPECT_EQ(r.samples_ms, std::vector<double>(10, 1.0)) << "the 2 ms hot samples are gone";
  EXPECT_DOUBLE_EQ(r.stats.median_ms, 1.0);
  EXPECT_DOUBLE_EQ(r.stats.max_ms, 1.0);
  EXPECT_EQ(pauses.asked_s, (std::vector<double>{0.25, 0.25}));
  // Each sample after a pause was judged by a reading of its own, not the one that had judged the
  // sample before it throttled: 3 reads at least, however few the 50 ms pacing allows.
  EXPECT_GE(gpu.reads, 3);
  ASSERT_TRUE(r.clocks);
  EXPECT_EQ(r.clocks->throttled_samples_discarded, 2);
  EXPECT_FALSE(r.clocks->clock_dropped);
  EXPECT_EQ(r.clocks->sm_clock_mhz_min, 1900) << "the kept samples' clocks";
  EXPECT_EQ(r.clocks->throttle_reasons, "hw_thermal_slowdown") << "why there were discards";
}

// A GPU that never cools down: discards stop at the sample budget (5), the next 5 samples are kept
// throttled, and the kernel is recorded, flagged, instead of waiting for ever.
TEST(MeasureOpThrottle, AGpuThatStaysHotIsMeasuredFlaggedAndNotWaitedOnForEver) {
  reset_device_lost();
  HotGpu gpu;
  gpu.hot_samples = 1'000'000;
  Pauses pauses;
  const results::KernelResult r = measure_op(gpu, kGemm, pauses.options(5), {});
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(gpu.samples, 10);
  EXPECT_EQ(r.samples_ms, std::vector<double>(5, 2.0));
  EXPECT_EQ(pauses.asked_s.size(), 5u);
  ASSERT_TRUE(r.clocks);
  EXPECT_EQ(r.clocks->throttled_samples_discarded, 5);
  EXPECT_TRUE(r.clocks->clock_dropped);
  EXPECT_EQ(r.clocks->sm_clock_mhz_min, 1200);
}

TEST(MeasureOpThrottle, AThresholdOfZeroKeepsEverySample) {
  reset_device_lost();
  HotGpu gpu;
  gpu.hot_samples = 3;
  Pauses pauses;
  MeasureOptions o = pauses.options(10);
  o.policy.throttle_threshold = 0;
  const results::KernelResult r = measure_op(gpu, kGemm, o, {});
  EXPECT_EQ(gpu.samples, 10);
  EXPECT_TRUE(pauses.asked_s.empty());
  ASSERT_TRUE(r.clocks);
  EXPECT_EQ(r.clocks->throttled_samples_discarded, 0);
  EXPECT_FALSE(r.clocks->clock_dropped);
}

// The CPU backend reads no clocks: nothing is judged, nothing discarded, no pause, no clocks
// object, and its results' timing rule has no throttle fields, as before the rule.
TEST(MeasureOpThrottle, TheCpuBackendIsUnchanged) {
  reset_device_lost();
  auto cpu = kernels::make_backend("cpu");
  Pauses pauses;
  const results::KernelResult r =
      measure_op(*cpu, make_gemm_op("gemm", {32, 32, 32}, DType::FP32), pauses.options(12), {});
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.samples_ms.size(), 12u);
  EXPECT_TRUE(pauses.asked_s.empty());
  EXPECT_FALSE(r.clocks);
  const results::TimingInfo t = timing_info(pauses.options(12).policy, "cpu");
  EXPECT_FALSE(t.throttle_threshold);
  EXPECT_FALSE(t.throttle_recovery_delay_s);
  const results::TimingInfo gpu = timing_info(pauses.options(12).policy, "cuda");
  EXPECT_EQ(gpu.throttle_threshold, 0.75);
  EXPECT_EQ(gpu.throttle_recovery_delay_s, 0.25);
}

}  // namespace
}  // namespace tb::runner
