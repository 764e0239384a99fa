// run's progress estimate on hand-worked cases, the two the reviewer saw among them: it follows
// the runner's budget shares and never promises more time than the budget has left.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/timing/budget_eta.hpp"

namespace tb::timing {
namespace {

EtaInputs inputs(double budget_s, double elapsed_s, size_t left) {
  EtaInputs in;
  in.policy.min_time_s = 0.05;  // run's defaults (cli/cmd_run.cpp)
  in.policy.max_time_s = 2.0;
  in.budget_s = budget_s;
  in.elapsed_s = elapsed_s;
  in.kernels_left = left;
  return in;
}

// The pseudo-kernel every estimate starts from: halfway between run's floor and its 2 s cap.
constexpr double kPrior = (0.05 + 2.0) / 2;

TEST(BudgetEta, NothingMeasuredGivesOnlyTheBudgetsBound) {
  const Eta none = estimate_remaining(inputs(0, 0, 23));
  EXPECT_EQ(none.remaining_s, 0);
  EXPECT_EQ(none.bound_s, 0);
  const Eta budget = estimate_remaining(inputs(100, 0.2, 23));
  EXPECT_EQ(budget.remaining_s, 0);
  EXPECT_DOUBLE_EQ(budget.bound_s, 99.8);
  EXPECT_EQ(estimate_remaining(inputs(100, 50, 0)).bound_s, 0);  // done: nothing left
}

// gpt2-small at seq 128, --budget 100: the first kernel took 2.1 s against its 2 s cap;
// elapsed/done x left said "~46 s left" and the run ended 19.7 s later, its other kernels
// converging in 0.9 s. One kernel is no pace: (2 x 2.1/2 + 1.025) / 2 x 22 = 34.4 s.
TEST(BudgetEta, OneFirstKernelDoesNotSetThePaceAlone) {
  EtaInputs in = inputs(100, 2.1, 22);
  in.measured = {{2.1, 2.0, true}};
  const Eta eta = estimate_remaining(in);
  EXPECT_NEAR(eta.remaining_s, 22 * (2.1 + kPrior) / 2, 1e-9);
  EXPECT_LT(eta.remaining_s, 2.1 / 1 * 22);  // the old rule's 46 s
  EXPECT_DOUBLE_EQ(eta.bound_s, 97.9);
}

// gpt2-small at seq 5000, --budget 100: five kernels of ~7.9 s each (one sample is longer than
// the cap), 39.5 s elapsed at [6/23]. The old rule said "~142 s left"; the budget has 60.5 s.
// Each predicts 2 x 7.9/2 = 7.9 s; (5 x 7.9 + 1.025)/6 x 18 = 122 s, cut to the 60.5 s left.
TEST(BudgetEta, NeverBeyondTheBudgetLeft) {
  EtaInputs in = inputs(100, 39.5, 18);
  for (int i = 0; i < 5; ++i) in.measured.push_back({7.9, 2.0, true});
  const Eta eta = estimate_remaining(in);
  EXPECT_DOUBLE_EQ(eta.bound_s, 60.5);
  EXPECT_DOUBLE_EQ(eta.remaining_s, 60.5);
  // With room in the budget, the same kernels predict themselves, under the bound.
  in.budget_s = 400;
  const Eta roomy = estimate_remaining(in);
  EXPECT_NEAR(roomy.remaining_s, 18 * (5 * 7.9 + kPrior) / 6, 1e-9);
  EXPECT_LT(roomy.remaining_s, roomy.bound_s);
}

// The budget's share below the cap: 6 s for 4 kernels is 1.5 s each (the floor then
// min(0.05, 0.75)); a kernel that converged in 10 s predicts 1.5 s, a like kernel being cut there.
TEST(BudgetEta, ConvergedKernelsPredictAtMostTheNextShare) {
  EtaInputs in = inputs(36, 30, 4);
  in.measured = {{10, 2, false}};
  EXPECT_NEAR(estimate_remaining(in).remaining_s, 4 * (1.5 + (0.05 + 1.5) / 2) / 2, 1e-9);
  // Stopped by time on a 2 s cap after 2.4 s: 1.5 x 2.4/2 = 1.8 s under the 1.5 s share.
  in.measured = {{2.4, 2, true}};
  EXPECT_NEAR(estimate_remaining(in).remaining_s, 4 * (1.8 + (0.05 + 1.5) / 2) / 2, 1e-9);
}

// gpt2-small at seq 5000: attention.bwd's one CPU sample took 85 s and left 18 kernels past the
// budget. Each then gets kMinShareS but takes its set-up, a sample and its check (30 s in all
// there): the shares' 0.9 s would say "<1 s left". The estimate says it is spent instead.
TEST(BudgetEta, ASpentBudgetGivesNoFigure) {
  EtaInputs in = inputs(100, 110, 18);
  in.measured = {{2.3, 2, true}, {2.4, 2, true}, {3.4, 2, true}, {17.2, 2, true}, {84.7, 2, true}};
  Eta eta = estimate_remaining(in);
  EXPECT_TRUE(eta.budget_spent);
  EXPECT_EQ(eta.remaining_s, 0);
  EXPECT_EQ(eta.bound_s, 0);
  // Less left than the minimum shares counts as spent; at them, not yet.
  in.elapsed_s = 100 - 18 * kMinShareS * 0.99;
  EXPECT_TRUE(estimate_remaining(in).budget_spent);
  in.elapsed_s = 100 - 18 * kMinShareS * 1.01;
  eta = estimate_remaining(in);
  EXPECT_FALSE(eta.budget_spent);
  EXPECT_GT(eta.remaining_s, 0);
  EXPECT_LE(eta.remaining_s, eta.bound_s);
}

// Without a budget the cap is --max-time; converged kernels predict their own time.
TEST(BudgetEta, WithoutABudgetTheMeanOfWhatKernelsTook) {
  EtaInputs in = inputs(0, 3, 10);
  in.measured = {{0.5, 2, false}, {1.5, 2, false}, {1.0, 2, false}};
  const Eta eta = estimate_remaining(in);
  EXPECT_EQ(eta.bound_s, 0);
  EXPECT_NEAR(eta.remaining_s, 10 * (0.5 + 1.5 + 1.0 + kPrior) / 4, 1e-9);
  in.measured.push_back({3, 2, true});  // cut at --max-time 2 after 3 s (one long sample)
  EXPECT_NEAR(estimate_remaining(in).remaining_s, 10 * (0.5 + 1.5 + 1.0 + 3 + kPrior) / 5, 1e-9);
}

}  // namespace
}  // namespace tb::timing
