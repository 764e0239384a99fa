// nvbench's throttle rule on one kernel's clock readings: a sample ran throttled when the SM clock
// read after it was under the threshold of the device's default clock (or of the highest reading,
// where that is higher or the default unknown); the summary covers the kept samples only.
#include <gtest/gtest.h>

#include "harness/runner/clock_tracker.hpp"

namespace tb::runner {
namespace {

kernels::ClockReading at(double mhz, double watts = 0, const std::string& reasons = "") {
  kernels::ClockReading r;
  r.sm_clock_mhz = mhz;
  r.power_w = watts;
  r.throttle_text = reasons;
  return r;
}

// H100 SXM's default SM clock, 1980 MHz: 0.75 × 1980 = 1485 MHz is the line.
TEST(ClockTracker, ThrottledIsUnderTheThresholdOfTheDefaultClock) {
  ClockTracker t(1980, 0.75);
  EXPECT_FALSE(t.record(at(1485)));
  EXPECT_TRUE(t.record(at(1484)));
  EXPECT_FALSE(t.record(at(1755)));
  ClockTracker stricter(1980, 0.9);  // 0.9 × 1980 = 1782
  EXPECT_TRUE(stricter.record(at(1755)));
  ClockTracker never(1980, 0);
  EXPECT_FALSE(never.record(at(210)));
}

// Default clock unknown (0): the highest reading so far is the reference, so the first never
// throttles; 1000 after 2000 is under 0.75 × 2000 = 1500.
TEST(ClockTracker, WithoutADefaultClockTheHighestReadingIsTheReference) {
  ClockTracker t(0, 0.75);
  EXPECT_FALSE(t.record(at(1000)));
  EXPECT_FALSE(t.record(at(2000)));
  EXPECT_TRUE(t.record(at(1000)));
}

TEST(ClockTracker, NoReadingNeverThrottlesAndSummarizesToNothing) {
  ClockTracker t(1980, 0.75);
  EXPECT_FALSE(t.record(std::nullopt));
  EXPECT_FALSE(t.record(std::nullopt));
  EXPECT_FALSE(t.summary({true, true}, 0));
}

// The discarded sample's 1000 MHz and 700 W are not the kernel's: min, max and power over the
// kept two; its throttle reason still said, since it is why there was a discard.
TEST(ClockTracker, SummaryIsOverTheKeptSamples) {
  ClockTracker t(1980, 0.75);
  ASSERT_TRUE(t.record(at(1000, 700, "hw_slowdown")));
  ASSERT_FALSE(t.record(at(1900, 600)));
  ASSERT_FALSE(t.record(at(1950, 650, "sw_power_cap")));
  const auto s = t.summary({false, true, true}, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sm_clock_mhz_min, 1900);
  EXPECT_EQ(s->sm_clock_mhz_max, 1950);
  EXPECT_EQ(s->power_w_max, 650);
  EXPECT_DOUBLE_EQ(s->power_w_mean, 625);
  EXPECT_FALSE(s->clock_dropped);
  EXPECT_EQ(s->throttled_samples_discarded, 1);
  EXPECT_EQ(s->throttle_reasons, "hw_slowdown;sw_power_cap");
}

// The discards ran out and a throttled sample was kept: flagged.
TEST(ClockTracker, AKeptThrottledSampleDropsTheClock) {
  ClockTracker t(1980, 0.75);
  ASSERT_TRUE(t.record(at(1200)));
  ASSERT_TRUE(t.record(at(1200)));
  const auto s = t.summary({false, true}, 1);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->clock_dropped);
  EXPECT_EQ(s->sm_clock_mhz_min, 1200);
}

}  // namespace
}  // namespace tb::runner
