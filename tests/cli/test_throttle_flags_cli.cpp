// --throttle-threshold and --throttle-recovery-delay on every command whose kernels go through
// measure_op: a value outside its range is one usage error (exit 2) naming the flag and what it
// accepts; the edges of each range are accepted.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/timing/stopping_rule.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::cli {
namespace {

using testing::run_trainbench;

void expect_usage(std::vector<std::string> args, const std::string& needle) {
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.err;
}

TEST(ThrottleFlagsCli, OutOfRangeValuesAreUsageErrorsNamingTheFlag) {
  const std::vector<std::string> gemm{"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu"};
  auto with = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  expect_usage(with(gemm, {"--throttle-threshold", "1.5"}),
               "--throttle-threshold must be a fraction of the default SM clock from 0 (never discard) to 1 (got 1.5)");
  expect_usage(with(gemm, {"--throttle-threshold", "-0.1"}), "--throttle-threshold");
  expect_usage(with(gemm, {"--throttle-threshold", "nan"}), "--throttle-threshold");
  expect_usage(with(gemm, {"--throttle-recovery-delay", "-1"}),
               "--throttle-recovery-delay must be from 0 to 60 seconds (got -1)");
  expect_usage(with(gemm, {"--throttle-recovery-delay", "500"}), "--throttle-recovery-delay");
  expect_usage(with(gemm, {"--throttle-recovery-delay", "soon"}), "--throttle-recovery-delay");
  // The other commands that measure kernels take them, and refuse alike.
  expect_usage({"attention", "--device", "cpu", "--throttle-threshold", "2"}, "--throttle-threshold");
  expect_usage({"sweep", "--device", "cpu", "--m-range", "16", "--n-range", "16", "--k-range", "16",
                "--throttle-recovery-delay", "-2"},
               "--throttle-recovery-delay");
  expect_usage({"run", "--model", "gpt2-small", "--device", "cpu", "--out", "/tmp/tb_throttle_flags_unwritten.json",
                "--throttle-threshold", "1.01"},
               "--throttle-threshold");
  expect_usage({"health", "--device", "cpu", "--throttle-threshold", "7"}, "--throttle-threshold");
}

// The edges are accepted: 0 (never discard) and 1, no pause and the longest; nvbench's defaults
// are the policy's. gemm on the CPU runs with them (nothing to discard there).
TEST(ThrottleFlagsCli, TheEdgesAreAcceptedAndTheDefaultsAreNvbenchs) {
  timing::TimingPolicy p;
  EXPECT_EQ(p.throttle_threshold, 0.75);
  EXPECT_EQ(p.throttle_recovery_delay_s, 0.05);
  using Edge = std::pair<double, double>;
  for (const auto& [threshold, delay] : std::vector<Edge>{{0, 0}, {1, timing::kMaxThrottleRecoveryDelayS}}) {
    p.throttle_threshold = threshold;
    p.throttle_recovery_delay_s = delay;
    EXPECT_NO_THROW(timing::validate(p)) << threshold << " " << delay;
  }
  p.throttle_threshold = 1.0000001;
  EXPECT_THROW(timing::validate(p), UsageError);
  const auto r = run_trainbench({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--dtype", "fp32",
                                 "--min-time", "0", "--max-time", "0.2", "--throttle-threshold", "1",
                                 "--throttle-recovery-delay", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace tb::cli
