// The work column of both kernel tables: a memory-bound kernel's bytes in byte units. It once went
// through human_count, whose "B" is billions, and a 2 GB cross-entropy printed as "2.01 BB".
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "cli/kernel_table.hpp"
#include "cli/run_printer.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::cli {
namespace {

using testing::line_of;

// cross_entropy at seq 5000 over GPT-2's padded vocabulary: 5000 x 50304 logits in fp32 read,
// their gradient written, 8 bytes an element.
results::KernelResult memory_bound(const std::string& name, const std::string& shape, double bytes) {
  results::KernelResult k;
  k.name = name;
  k.shape = shape;
  k.dtype = "fp32";
  k.status = "ok";
  k.bytes = bytes;
  k.gbps = 100;
  k.stats.median_ms = bytes / 100e9 * 1e3;
  k.stats.samples = 10;
  k.stats.rel_noise = 0.004;
  k.verified = true;
  return k;
}

constexpr double kCrossEntropyBytes = 5000.0 * 50304 * 8;  // 2.012e9

TEST(KernelTableBytes, RunTablePrintsGigabytesNotBillions) {
  results::RunResults r;
  r.kernels = {memory_bound("cross_entropy", "5000x50304", kCrossEntropyBytes),
               memory_bound("layernorm.fwd", "128x768", 128.0 * 768 * 4)};
  std::ostringstream out;
  print_run_table(out, r);
  const std::string big = line_of(out.str(), "cross_entropy");
  EXPECT_NE(big.find(" 2.01 GB "), std::string::npos) << out.str();
  EXPECT_EQ(big.find("BB"), std::string::npos) << big;
  EXPECT_NE(line_of(out.str(), "layernorm.fwd").find(" 393 KB "), std::string::npos) << out.str();
}

TEST(KernelTableBytes, SingleKernelTablePrintsGigabytesNotBillions) {
  std::ostringstream out;
  print_kernel_table(out, {memory_bound("health.stream", "16384x16384", 3.0 * 16384 * 16384 * 2)});
  const std::string line = line_of(out.str(), "health.stream");
  EXPECT_NE(line.find(" 1.61 GB "), std::string::npos) << out.str();
  EXPECT_EQ(line.find("BB"), std::string::npos) << line;
}

}  // namespace
}  // namespace tb::cli
