// Both kernel tables say a kernel's throttling in its check column: samples discarded and
// retaken (nvbench's rule; the statistics are over the others), and CLOCK-DROPPED where throttled
// samples were kept because the wait ran out. A kernel without clocks (the CPU) says nothing.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/kernel_table.hpp"
#include "cli/run_printer.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::cli {
namespace {

using testing::line_of;

results::KernelResult measured(const std::string& name, std::optional<results::ClockSummary> clocks) {
  results::KernelResult k;
  k.name = name;
  k.shape = "64x64x64 fwd";
  k.dtype = "bf16";
  k.flops = 2.0 * 64 * 64 * 64;
  k.tflops = 1;
  k.verified = true;
  k.stats.median_ms = 0.5;
  k.stats.samples = 10;
  k.stats.rel_noise = 0.004;
  k.clocks = clocks;
  return k;
}

results::ClockSummary clocks(int64_t discarded, bool dropped) {
  results::ClockSummary c;
  c.sm_clock_mhz_min = 1900;
  c.sm_clock_mhz_max = 1980;
  c.throttled_samples_discarded = discarded;
  c.clock_dropped = dropped;
  return c;
}

TEST(ThrottleTable, TheCheckColumnSaysWhatWasDiscardedAndWhatWasKept) {
  EXPECT_EQ(throttle_text(measured("a", std::nullopt)), "");
  EXPECT_EQ(throttle_text(measured("a", clocks(0, false))), "");
  EXPECT_EQ(throttle_text(measured("a", clocks(1, false))), "1 throttled sample retaken");
  EXPECT_EQ(throttle_text(measured("a", clocks(3, false))), "3 throttled samples retaken");
  EXPECT_EQ(throttle_text(measured("a", clocks(0, true))), "CLOCK-DROPPED");
  EXPECT_EQ(throttle_text(measured("a", clocks(10, true))), "CLOCK-DROPPED, 10 throttled samples retaken");
}

TEST(ThrottleTable, BothTablesShowIt) {
  const std::vector<results::KernelResult> ks{measured("cool", clocks(0, false)), measured("hot", clocks(3, false)),
                                              measured("cpu", std::nullopt)};
  std::ostringstream single;
  print_kernel_table(single, ks);
  EXPECT_NE(line_of(single.str(), "hot ").find("verified, 3 throttled samples retaken"), std::string::npos)
      << single.str();
  EXPECT_EQ(line_of(single.str(), "cool ").find("throttled"), std::string::npos) << single.str();
  EXPECT_EQ(line_of(single.str(), "cpu ").find("throttled"), std::string::npos) << single.str();
  std::ostringstream dropped;
  print_kernel_table(dropped, {measured("hot", clocks(10, true))});
  EXPECT_NE(line_of(dropped.str(), "hot ").find("verified CLOCK-DROPPED, 10 throttled samples retaken"),
            std::string::npos)
      << dropped.str();
  results::RunResults run;
  run.kernels = ks;
  std::ostringstream step;
  print_run_table(step, run);
  EXPECT_NE(line_of(step.str(), "hot ").find("ok, 3 throttled samples retaken"), std::string::npos) << step.str();
  EXPECT_EQ(line_of(step.str(), "cpu ").find("throttled"), std::string::npos) << step.str();
}

}  // namespace
}  // namespace tb::cli
