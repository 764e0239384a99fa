// A results file's step agrees with itself (harness/results/step_consistency.hpp): on a step built
// by hand, each field edited alone is refused, naming the field.
#include <gtest/gtest.h>

#include <string>

#include "harness/common/errors.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb::results {
namespace {

// Two GEMMs: 3 calls x 10 ms + 1 call x 20 ms = 50 ms. Each 3e12 FLOPs (2.5e12 of the model's):
// 3 x 3e12 + 3e12 = 1.2e13 hardware FLOPs, 3 x 2.5e12 + 2.5e12 = 1e13 model FLOPs. On a
// 1000 TFLOP/s peak: 1e13 / 0.05 s / 1e15 = 0.2 MFU; 1.2e13: 0.24 HFU; 1.2e13 / 0.05 s = 240
// TFLOP/s sustained. Kernel a: 3e12 / 10 ms = 300 TFLOP/s = 30% of peak; b: 150, 15%.
KernelResult hand_gemm(const std::string& name, int64_t calls, double median_ms, double tflops) {
  KernelResult k;
  k.name = name;
  k.kind = "gemm";
  k.calls_per_step = calls;
  k.stats.median_ms = median_ms;
  k.flops = 3e12;
  k.model_flops = 2.5e12;
  k.tflops = tflops;
  k.pct_of_peak = tflops / 10;
  return k;
}

RunResults hand_step() {
  RunResults r;
  r.machine.peak_tflops = 1000;
  r.kernels = {hand_gemm("a", 3, 10, 300), hand_gemm("b", 1, 20, 150)};
  StepResult s;
  s.step_ms = 50;
  s.model_flops = 1e13;
  s.hardware_flops = 1.2e13;
  s.sustained_tflops = 240;
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
                            "measured kernels, those with per_optimizer_step at 1/workload.micro_batches (50)"),
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

// Per GPU, as a run writes it: 2 x 1000 tokens in 0.05 s over tp 4 = 10000 tokens/s.
TEST(StepConsistency, TokensPerSecondMustBePerGpuTokensOverTime) {
  RunResults r = hand_step();
  r.workload.micro_batch = 2;
  r.workload.seq_len = 1000;
  r.workload.tensor_parallel = 4;
  r.step->tokens_per_s = 10000;
  EXPECT_EQ(refusal(r), "");
  r.step->tokens_per_s = 80000;  // the whole micro-batch on every GPU: not divided by tp
  EXPECT_NE(refusal(r).find("runs/x.json: step.tokens_per_s 80000 is not workload.micro_batch x workload.seq_len / "
                            "step time / workload.tensor_parallel (10000); the file was edited or written wrongly"),
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

// The step's FLOPs are its measured kernels': one kernel's flops edited alone (or the step's) is
// refused, naming both values; a kernel that did not run adds nothing.
TEST(StepConsistency, StepFlopsMustBeTheSumOfItsKernels) {
  RunResults r = hand_step();
  r.kernels[1].flops = 1e15;
  EXPECT_NE(refusal(r).find("runs/x.json: step.hardware_flops 12000000000000 is not the sum of calls_per_step x flops over "
                            "its measured kernels, a causal attention kernel's doubled (attention unmasked, as MFU "
                            "counts it) (1.009e+15)"),
            std::string::npos)
      << refusal(r);
  r = hand_step();
  r.step->model_flops = 2e13;
  EXPECT_NE(refusal(r).find("step.model_flops 20000000000000 is not the sum of calls_per_step x model_flops over its measured "
                            "kernels (1e+13)"),
            std::string::npos)
      << refusal(r);
  r = hand_step();
  r.step->sustained_tflops = 500;
  EXPECT_NE(refusal(r).find("step.sustained_tflops 500 is not the sum of calls_per_step x flops over its measured "
                            "kernels / step time (240)"),
            std::string::npos)
      << refusal(r);
  r = hand_step();
  KernelResult failed = hand_gemm("c", 5, 0, 0);
  failed.status = "oom";
  r.kernels.push_back(failed);
  EXPECT_EQ(refusal(r), "");
}

// An fp8 step's MFU is against the bf16 peak (docs/perf/mfu.md), so it may pass 1, up to the SKU's
// fp8/bf16 peak ratio (h100-sxm: 1979 / 989 = 2.00101); above that, or above 1 for any other
// step, it is refused. The hand step scaled: model FLOPs x7.5 give MFU 1.5, hardware FLOPs x7.5 HFU 1.8.
RunResults fp8_step(double mfu) {
  RunResults r = hand_step();
  r.workload.dtype = "fp8";
  r.machine.peak_dtype = "bf16";
  r.machine.sku = "h100-sxm";
  const double scale = mfu / 0.2;
  for (auto& k : r.kernels) {
    k.flops *= scale;
    k.model_flops *= scale;
  }
  r.step->model_flops = 1e13 * scale;
  r.step->hardware_flops = r.step->model_flops * 1.2;
  r.step->sustained_tflops *= scale;
  r.step->mfu = mfu;
  r.step->hfu = mfu * 1.2;
  return r;
}

TEST(StepConsistency, AnFp8StepAgainstTheBf16PeakMayPassOneUpToTheFp8Ratio) {
  EXPECT_EQ(refusal(fp8_step(1.5)), "");
  EXPECT_EQ(refusal(fp8_step(2.0)), "");  // just under 1979 / 989
  EXPECT_NEAR(step_mfu_bound(fp8_step(1.5)).bound, 1979.0 / 989.0, 1e-12);
  const std::string above = refusal(fp8_step(2.1));
  EXPECT_NE(above.find("runs/x.json: step.mfu 2.1 is above 2.00101, the fp8/bf16 peak ratio of h100-sxm (1979 / 989 "
                       "TFLOP/s)"),
            std::string::npos)
      << above;
}

TEST(StepConsistency, OnlyAnFp8StepJudgedAgainstBf16GetsTheRatio) {
  // A bf16 step on the same SKU: 1 is the bound.
  RunResults bf16 = fp8_step(1.5);
  bf16.workload.dtype = "bf16";
  EXPECT_NE(refusal(bf16).find("step.mfu 1.5 is above 1: the step cannot run faster than the peak"), std::string::npos)
      << refusal(bf16);
  // An fp8 step whose MFU is against the fp8 peak itself (peak_dtype fp8): 1 is the bound.
  RunResults own_peak = fp8_step(1.5);
  own_peak.machine.peak_dtype = "fp8";
  EXPECT_NE(refusal(own_peak).find("step.mfu 1.5 is above 1:"), std::string::npos) << refusal(own_peak);
  // A SKU without fp8 (Ampere) or without a config here: the fp8 peak is unknown, so 1 stays the
  // bound and the message says what was missing.
  RunResults a100 = fp8_step(1.5);
  a100.machine.sku = "a100-sxm-80g";
  EXPECT_NE(refusal(a100).find("step.mfu 1.5 is above 1: an fp8 step's MFU against the bf16 peak may reach the "
                               "fp8/bf16 peak ratio, but machine.sku 'a100-sxm-80g' has no fp8 peak in its config"),
            std::string::npos)
      << refusal(a100);
  RunResults unknown = fp8_step(1.5);
  unknown.machine.sku = "no-such-gpu";
  EXPECT_NE(refusal(unknown).find("machine.sku 'no-such-gpu' has no SKU config here"), std::string::npos)
      << refusal(unknown);
}

// The median check that compare and report ran on their own is the same function every reader
// calls (export and estimate --results included).
TEST(StepConsistency, AMedianThatIsNotItsSamplesMedianIsRefused) {
  RunResults r = hand_step();
  r.kernels[0].samples_ms = {9, 10, 11};
  r.kernels[1].samples_ms = {20, 19, 21};
  EXPECT_NO_THROW(require_consistent_results(r, "runs/x.json"));
  r.kernels[1].samples_ms = {20, 22, 21};  // median 21, the file says 20
  try {
    require_consistent_results(r, "runs/x.json");
    ADD_FAILURE() << "a median its samples do not have passed";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("runs/x.json: kernels[1] (b): median_ms 20 is not the median of its "
                                         "samples_ms (21); the file was edited or written wrongly"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tb::results

namespace tb::results {
namespace {

// The hand step plus an Adam update of 8 chunks x 2 ms, once per optimizer step of 4
// micro-batches: 50 + 8 x 2 / 4 = 54 ms. No FLOPs: MFU 1e13 / 0.054 s / 1e15, HFU 1.2e13 / ....
RunResults with_optimizer_step() {
  RunResults r = hand_step();
  KernelResult adam;
  adam.name = "adam";
  adam.kind = "adam_update";
  adam.calls_per_step = 8;
  adam.per_optimizer_step = true;
  adam.stats.median_ms = 2;
  adam.bytes = 30.0 * 1000;
  adam.gbps = adam.bytes / 2e-3 / 1e9;
  r.kernels.push_back(adam);
  r.workload.micro_batches = 4;
  r.step->step_ms = 54;
  r.step->sustained_tflops = 1.2e13 / 0.054 / 1e12;
  r.step->mfu = 1e13 / 0.054 / 1e15;
  r.step->hfu = 1.2e13 / 0.054 / 1e15;
  return r;
}

TEST(StepConsistency, OncePerOptimizerStepKernelsEnterTheStepAtOneMth) {
  EXPECT_EQ(refusal(with_optimizer_step()), "");
  RunResults full = with_optimizer_step();
  full.step->step_ms = 66;  // the Adam update charged in full to the micro-batch
  EXPECT_NE(refusal(full).find("step.step_ms 66 is not the sum of calls_per_step x median_ms over its measured "
                               "kernels, those with per_optimizer_step at 1/workload.micro_batches (54)"),
            std::string::npos)
      << refusal(full);
  RunResults flag_dropped = with_optimizer_step();
  flag_dropped.kernels.back().per_optimizer_step = false;  // its 16 ms would then be the micro-batch's
  EXPECT_NE(refusal(flag_dropped).find("step.step_ms 54"), std::string::npos);
  RunResults other_m = with_optimizer_step();
  other_m.workload.micro_batches = 2;  // 50 + 8 ms
  EXPECT_NE(refusal(other_m).find("(58)"), std::string::npos) << refusal(other_m);
}

}  // namespace
}  // namespace tb::results

namespace tb::results {
namespace {

// A causal attention forward beside GEMM a: 1 call x 20 ms executing 1e12 FLOPs, the half of
// 2e12 its mask leaves; the model counts all 2e12 (PaLM's convention). Step: 3 x 10 + 20 = 50 ms;
// model 3 x 2.5e12 + 2e12 = 9.5e12, MFU 9.5e12 / 0.05 s / 1e15 = 0.19; HFU's FLOPs 3 x 3e12 +
// 2 x 1e12 = 1.1e13, HFU 0.22; executed 3 x 3e12 + 1e12 = 1e13, sustained 200 TFLOP/s.
RunResults causal_step() {
  RunResults r = hand_step();
  KernelResult attention;
  attention.name = "attention.fwd";
  attention.kind = "attention_fwd";
  attention.causal = true;
  attention.calls_per_step = 1;
  attention.stats.median_ms = 20;
  attention.flops = 1e12;
  attention.model_flops = 2e12;
  r.kernels = {hand_gemm("a", 3, 10, 300), attention};
  r.step->model_flops = 9.5e12;
  r.step->hardware_flops = 1.1e13;
  r.step->mfu = 0.19;
  r.step->hfu = 0.22;
  r.step->sustained_tflops = 200;
  return r;
}

TEST(StepConsistency, CausalAttentionCountsUnmaskedInHfuButNotInTheSustainedRate) {
  EXPECT_EQ(refusal(causal_step()), "");
  RunResults r = causal_step();
  r.step->hardware_flops = 1e13;  // the kernels' own flops: schema version 1's hardware count
  r.step->hfu = 0.2;
  EXPECT_NE(refusal(r).find("step.hardware_flops 10000000000000 is not the sum of calls_per_step x flops over its measured "
                            "kernels, a causal attention kernel's doubled (attention unmasked, as MFU counts it) "
                            "(1.1e+13)"),
            std::string::npos)
      << refusal(r);
  r = causal_step();
  r.step->sustained_tflops = 220;  // HFU's FLOPs over the time: not what the kernels ran
  EXPECT_NE(refusal(r).find("step.sustained_tflops 220 is not the sum of calls_per_step x flops over its measured "
                            "kernels / step time (200)"),
            std::string::npos)
      << refusal(r);
}

// Attention alone, causal, its kernel at 0.8 of the 1000 TFLOP/s peak: 1e12 FLOPs in 1.25 ms. Its
// model FLOPs, 2e12, over 1.25 ms are 1.6 of the peak, which the bound allows: 1 x model /
// executed = 2. At 0.9 ms the kernel would run 1.11 of the peak: MFU 2e12 / 0.9 ms / 1e15 =
// 2.22222, above 2, refused.
TEST(StepConsistency, CausalStepsMfuBoundIsThePeakTimesModelOverExecutedFlops) {
  RunResults r = causal_step();
  r.kernels.erase(r.kernels.begin());
  r.kernels[0].stats.median_ms = 1.25;
  r.step->step_ms = 1.25;
  r.step->model_flops = 2e12;
  r.step->hardware_flops = 2e12;
  r.step->mfu = r.step->hfu = 1.6;
  r.step->sustained_tflops = 800;
  EXPECT_EQ(refusal(r), "");
  r.kernels[0].stats.median_ms = 0.9;
  r.step->step_ms = 0.9;
  r.step->mfu = r.step->hfu = 2e12 / 0.9e-3 / 1e15;
  r.step->sustained_tflops = 1e12 / 0.9e-3 / 1e12;
  EXPECT_NE(refusal(r).find("step.mfu 2.2222"), std::string::npos) << refusal(r);
  EXPECT_NE(refusal(r).find("is above 2: 1: the step cannot run faster than the peak"), std::string::npos)
      << refusal(r);
  EXPECT_NE(refusal(r).find("times the step's model / executed FLOPs 2 (causal attention counted unmasked)"),
            std::string::npos)
      << refusal(r);
}

}  // namespace
}  // namespace tb::results
