// run's progress line: the estimate when there is one, else what --budget allows, else nothing.
#include <gtest/gtest.h>

#include "cli/run_printer.hpp"

namespace tb::cli {
namespace {

runner::StepProgress progress(double remaining_s, double bound_s) {
  runner::StepProgress p;
  p.index = 5;
  p.total = 23;
  p.kernel = "attn_out.fwd";
  p.elapsed_s = 39.54;
  p.remaining_s = remaining_s;
  p.remaining_bound_s = bound_s;
  return p;
}

TEST(ProgressLine, EstimateBoundOrNeither) {
  EXPECT_EQ(progress_line(progress(34.4, 60.5)), "[6/23] attn_out.fwd     39.5 s elapsed, ~34 s left");
  EXPECT_EQ(progress_line(progress(0, 60.4)), "[6/23] attn_out.fwd     39.5 s elapsed, at most 60 s left (--budget)");
  EXPECT_EQ(progress_line(progress(0, 0)), "[6/23] attn_out.fwd     39.5 s elapsed");
  EXPECT_EQ(progress_line(progress(0.4, 0.6)), "[6/23] attn_out.fwd     39.5 s elapsed, <1 s left");
  runner::StepProgress spent = progress(0, 0);
  spent.budget_spent = true;
  EXPECT_EQ(progress_line(spent), "[6/23] attn_out.fwd     39.5 s elapsed, --budget spent: 18 kernels left at their "
                                  "minimum share");
}

}  // namespace
}  // namespace tb::cli
