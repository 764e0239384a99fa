// The note for kernels that stopped before their noise reached the target: said only when the
// noise really is above it, with the flag that fits what stopped them.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/convergence_note.hpp"
#include "cli/kernel_table.hpp"
#include "cli/run_printer.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::cli {
namespace {

using testing::line_of;

results::KernelResult kernel(const std::string& name, const std::string& stop, double noise, int64_t samples,
                             const std::string& status = "ok") {
  results::KernelResult k;
  k.name = name;
  k.status = status;
  k.stop_reason = stop;
  k.stats.rel_noise = noise;
  k.stats.samples = samples;
  return k;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ConvergenceNote, SilentWhenConvergedOrWithinTheTarget) {
  EXPECT_EQ(unconverged_note({kernel("a", "converged", 0.004, 40)}, 0.01), "");
  // Stopped by the sample cap with its noise already under the target: nothing to say (gemm used to
  // say "less certain than asked" here).
  EXPECT_EQ(unconverged_note({kernel("a", "max_samples", 0.0033, 10000)}, 0.01), "");
  // A failed kernel's noise is no measurement's.
  EXPECT_EQ(unconverged_note({kernel("a", "time_budget", 0.5, 2, "failed")}, 0.01), "");
}

TEST(ConvergenceNote, OneKernelStoppedByTimeNamesItsNoiseSamplesAndMaxTime) {
  const std::string note = unconverged_note({kernel("attention.fwd", "time_budget", 0.1136, 3)}, 0.01);
  EXPECT_TRUE(has(note, "the kernel stopped before the noise reached the 1.00% target (11.36% after 3 samples, "
                        "stopped by time_budget)"))
      << note;
  EXPECT_TRUE(has(note, "a longer --max-time")) << note;
  EXPECT_EQ(note.back(), '\n');
}

TEST(ConvergenceNote, SeveralCountsTheNoisyAndNamesTheWorstsWayOut) {
  const std::vector<results::KernelResult> ks = {kernel("a", "converged", 0.005, 30),
                                                 kernel("b", "max_samples", 0.03, 10000),
                                                 kernel("c", "time_budget", 0.02, 12)};
  const std::string note = unconverged_note(ks, 0.01);
  EXPECT_TRUE(has(note, "2 of 3 kernels stopped")) << note;
  EXPECT_TRUE(has(note, "worst b 3.00% after 10000 samples, stopped by max_samples")) << note;
  EXPECT_TRUE(has(note, "a larger --max-samples")) << note;
  // A shared time budget (run's --budget) is the way out when time stopped the worst.
  const std::string budget = unconverged_note({kernel("c", "time_budget", 0.02, 12)}, 0.01, "--budget 0");
  EXPECT_TRUE(has(budget, "--budget 0 helps")) << budget;
}

// One sample has no spread: its rel_noise of 0 is unknown noise, not a converged kernel, and the
// worst of any kernels beside it.
TEST(ConvergenceNote, OneSampleIsUnknownNoiseNotQuiet) {
  const std::string one = unconverged_note({kernel("logits.fwd", "time_budget", 0.0, 1)}, 0.01);
  EXPECT_TRUE(has(one, "(unknown after 1 sample, stopped by time_budget)")) << one;
  const std::string two = unconverged_note(
      {kernel("a", "time_budget", 0.5, 4), kernel("logits.fwd", "time_budget", 0.0, 1), kernel("b", "converged", 0.001, 9)},
      0.01);
  EXPECT_TRUE(has(two, "2 of 3 kernels stopped")) << two;
  EXPECT_TRUE(has(two, "worst logits.fwd unknown after 1 sample")) << two;
  EXPECT_EQ(noise_cell(kernel("x", "time_budget", 0.0, 1), 6), "     -");
  EXPECT_EQ(noise_cell(kernel("x", "time_budget", 0.01234, 2), 6), " 1.23%");
  EXPECT_EQ(noise_cell(kernel("x", "time_budget", 0.01234, 2), 6, 1), "  1.2%");
}

// The robust noise no longer shows slow samples, so the tables say how many there were.
TEST(OutliersText, CountsWithTheRightNumber) {
  results::KernelResult k = kernel("x", "converged", 0.004, 200);
  EXPECT_EQ(outliers_text(k), "");
  k.stats.outliers = 1;
  EXPECT_EQ(outliers_text(k), "1 outlier");
  k.stats.outliers = 3;
  EXPECT_EQ(outliers_text(k), "3 outliers");
}

results::KernelResult measured(const std::string& name, int64_t outliers) {
  results::KernelResult k = kernel(name, "converged", 0.004, 200);
  k.shape = "1024x1024x1024 fwd";
  k.flops = 2.1e9;
  k.tflops = 2.1;
  k.stats.median_ms = 1.0;
  k.stats.outliers = outliers;
  k.verified = true;
  return k;
}

TEST(OutliersText, KernelTableSaysItAfterTheCheck) {
  std::ostringstream out;
  print_kernel_table(out, {measured("gemm.a", 3), measured("gemm.b", 0)});
  EXPECT_TRUE(has(line_of(out.str(), "gemm.a"), "verified, 3 outliers")) << out.str();
  EXPECT_FALSE(has(line_of(out.str(), "gemm.b"), "outlier")) << out.str();
}

TEST(OutliersText, RunTableSaysItAfterTheCheck) {
  results::RunResults r;
  r.kernels = {measured("qkv.fwd", 2), measured("proj.fwd", 0)};
  std::ostringstream out;
  print_run_table(out, r);
  EXPECT_TRUE(has(line_of(out.str(), "qkv.fwd"), "ok, 2 outliers")) << out.str();
  EXPECT_FALSE(has(line_of(out.str(), "proj.fwd"), "outlier")) << out.str();
}

}  // namespace
}  // namespace tb::cli
