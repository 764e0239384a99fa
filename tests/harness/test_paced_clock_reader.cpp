// Clock readings during sampling: NVML is asked at most once per interval, the last reading
// stands in between, and every kernel's clocks still come from readings taken while it ran.
#include <gtest/gtest.h>

#include "harness/runner/device_state.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/runner/paced_clock_reader.hpp"
#include "tests/support/noop_kernel.hpp"

namespace tb::runner {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Each read reports a higher SM clock than the last, so a reading tells which read it came from.
struct CountingReads {
  int calls = 0;
  std::optional<kernels::ClockReading> read() {
    kernels::ClockReading r;
    r.sm_clock_mhz = 1000 + calls++;
    return r;
  }
};

TEST(PacedClockReader, ReadsAtMostOncePerIntervalAndRepeatsTheLastReading) {
  CountingReads device;
  TimePoint now{};
  PacedClockReader reader([&] { return device.read(); }, milliseconds(50), [&] { return now; });
  EXPECT_EQ(reader.reading()->sm_clock_mhz, 1000);  // the first call always reads
  now += milliseconds(49);
  EXPECT_EQ(reader.reading()->sm_clock_mhz, 1000);
  EXPECT_EQ(device.calls, 1);
  now += milliseconds(1);  // 50 ms after the first read
  EXPECT_EQ(reader.reading()->sm_clock_mhz, 1001);
  now += milliseconds(10);
  EXPECT_EQ(reader.reading()->sm_clock_mhz, 1001);
  EXPECT_EQ(device.calls, 2);
}

TEST(PacedClockReader, NoReadingStaysNoReading) {
  int calls = 0;
  TimePoint now{};
  PacedClockReader reader([&]() -> std::optional<kernels::ClockReading> { ++calls; return std::nullopt; },
                          milliseconds(50), [&] { return now; });
  EXPECT_FALSE(reader.reading());
  EXPECT_FALSE(reader.reading());
  EXPECT_EQ(calls, 1);
}

using testing::NoopKernel;

// Samples take no time at all: without pacing, every one of them would query the clocks.
class ClockedBackend final : public kernels::Backend {
 public:
  CountingReads device;
  kernels::DeviceInfo device_info() const override {
    kernels::DeviceInfo d;
    d.backend = "fake";
    return d;
  }
  std::unique_ptr<kernels::Kernel> prepare(const Op&, const kernels::PrepareOptions&) override {
    return std::make_unique<NoopKernel>();
  }
  double time_sample_ms(kernels::Kernel&) override { return 1.0; }
  void synchronize() override {}
  std::optional<kernels::ClockReading> read_clocks() override { return device.read(); }
  double free_memory_bytes() const override { return 1e12; }
};

TEST(PacedClockReader, EachKernelRecordsClocksReadWhileItRan) {
  reset_device_lost();
  ClockedBackend backend;
  MeasureOptions o;
  o.policy.warmup_launches = 0;
  o.policy.min_samples = o.policy.max_samples = 200;
  o.policy.min_time_s = 0;
  const auto first = measure_op(backend, make_gemm_op("first", {64, 64, 64}, DType::BF16), o, {});
  const int reads_first = backend.device.calls;
  const auto second = measure_op(backend, make_gemm_op("second", {64, 64, 64}, DType::BF16), o, {});
  ASSERT_EQ(first.status, "ok") << first.error;
  ASSERT_TRUE(first.clocks && second.clocks);
  EXPECT_EQ(first.samples_ms.size(), 200u);
  EXPECT_LT(reads_first, 200) << "200 instant samples fit in a few 50 ms intervals";
  // The second kernel's first sample read the clocks afresh, not the first kernel's last reading.
  EXPECT_GT(second.clocks->sm_clock_mhz_min, first.clocks->sm_clock_mhz_max);
  EXPECT_GT(backend.device.calls, reads_first);
}

}  // namespace
}  // namespace tb::runner
