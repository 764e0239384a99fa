// A results file's step agrees with itself (harness/results/step_consistency.hpp): on a step built
// by hand, each field edited alone is refused, naming the field.
#include <gtest/gtest.h>

#include <string>

#include "harness/common/errors.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb::results {
namespace {

// Two kernels: 3 calls x 10 ms + 1 call x 20 ms = 50 ms. 1e13 model FLOPs in 0.05 s on a
// 1000 TFLOP/s peak: 1e13 / 0.05 / 1e15 = 0.2; 1.2e13 hardware FLOPs: 0.24.
RunResults hand_step() {
  RunResults r;
  r.machine.peak_tflops = 1000;
  KernelResult a;
  a.name = "a";
  a.calls_per_step = 3;
  a.stats.median_ms = 10;
  KernelResult b;
  b.name = "b";
  b.calls_per_step = 1;
  b.stats.median_ms = 20;
  r.kernels = {a, b};
  StepResult s;
  s.step_ms = 50;
  s.model_flops = 1e13;
  s.hardware_flops = 1.2e13;
  s.mfu = 0.2;
  s.hfu = 0.24;
  r.step = s;
  return r;
}

std::string refusal(const RunResults& r) {
  try {
    require_consistent_step(r, "runs/x.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(StepConsistency, HandBuiltStepPasses) { EXPECT_EQ(refusal(hand_step()), ""); }

TEST(StepConsistency, NoStepOrNoPeakHasNothingToCheckMfuAgainst) {
  RunResults r = hand_step();
  r.step.reset();
  EXPECT_EQ(refusal(r), "");
  r = hand_step();
  r.machine.peak_tflops = 0;  // a CPU run without a known peak records no MFU
  r.step->mfu = 0.7;
  r.step->hfu = 0.8;
  EXPECT_EQ(refusal(r), "");
}

TEST(StepConsistency, StepTimeMustBeTheSumOfMeasuredKernels) {
  RunResults r = hand_step();
  r.step->step_ms = 60;
  EXPECT_NE(refusal(r).find("runs/x.json: step.step_ms 60 is not the sum of calls_per_step x median_ms over its "
                            "measured kernels (50)"),
            std::string::npos)
      << refusal(r);
  // A kernel that did not run adds nothing: the 50 ms of the others still sum up.
  r = hand_step();
  KernelResult failed;
  failed.name = "c";
  failed.status = "oom";
  failed.stats.median_ms = 7;
  r.kernels.push_back(failed);
  EXPECT_EQ(refusal(r), "");
}

TEST(StepConsistency, MfuMustBeModelFlopsOverTimeAndPeak) {
  RunResults r = hand_step();
  r.step->mfu = 0.21;
  EXPECT_NE(refusal(r).find("step.mfu 0.21 is not step.model_flops / step time / machine.peak_tflops (0.2)"),
            std::string::npos)
      << refusal(r);
  r = hand_step();
  r.step->hfu = 0.3;
  EXPECT_NE(refusal(r).find("step.hfu 0.3 is not step.hardware_flops / step time / machine.peak_tflops (0.24)"),
            std::string::npos)
      << refusal(r);
}

TEST(StepConsistency, MfuAboveOneOrAboveHfuIsImpossible) {
  RunResults r = hand_step();
  r.step->mfu = 3.0;
  EXPECT_NE(refusal(r).find("step.mfu 3 is above 1"), std::string::npos) << refusal(r);
  r = hand_step();
  r.step->hfu = 0.1;  // below the MFU's 0.2, checked before the hfu's own formula
  EXPECT_NE(refusal(r).find("step.mfu 0.2 exceeds step.hfu 0.1"), std::string::npos) << refusal(r);
}

}  // namespace
}  // namespace tb::results
