// The throughput a results file measured (harness/estimate/measured_throughput.hpp), on runs
// built by hand: the rate from the step's model FLOPs and time, the refusals naming the file, and
// what a file from an unknown machine still gives.
#include <gtest/gtest.h>

#include <string>

#include "harness/common/errors.hpp"
#include "harness/estimate/measured_throughput.hpp"

namespace tb {
namespace {

// A complete `run` on an H100: one kernel of 4e13 FLOPs (all of them the model's) in 100 ms, 400
// TFLOP/s, the whole step.
results::RunResults hand_run() {
  results::RunResults r;
  r.machine.backend = "cuda";
  r.machine.device_name = "hand-built H100";
  r.machine.sku = "h100-sxm";
  r.machine.peak_dtype = "bf16";
  r.workload.command = "run";
  r.workload.model = "gpt3-175b";
  r.workload.tensor_parallel = 8;
  r.workload.dtype = "bf16";
  results::KernelResult k;
  k.name = "whole.step";
  k.kind = "gemm";
  k.flops = k.model_flops = 4e13;
  k.tflops = 400;
  k.stats.median_ms = 100;
  k.stats.samples = 3;
  r.kernels.push_back(k);
  results::StepResult s;
  s.step_ms = 100;
  s.model_flops = 4e13;
  s.mfu = 0.4;
  r.step = s;
  return r;
}

std::string refusal(const results::RunResults& r) {
  try {
    throughput_from_results(r, "runs/x.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted; a refusal was expected";
  return "";
}

// 4e13 FLOP in 100 ms: 4e13 / 0.1 s = 4e14 FLOP/s = 400 TFLOP/s per GPU (1 TFLOP/s = 1e12 FLOP/s).
TEST(MeasuredThroughput, StepFlopsOverStepTime) {
  const MeasuredThroughput t = throughput_from_results(hand_run(), "runs/x.json");
  EXPECT_DOUBLE_EQ(t.sustained_tflops_per_gpu, 400.0);
  ASSERT_TRUE(t.mfu);
  EXPECT_DOUBLE_EQ(*t.mfu, 0.4);
  EXPECT_EQ(t.peak_dtype, DType::BF16);
  ASSERT_TRUE(t.sku);
  EXPECT_EQ(t.sku->name, "h100-sxm");
  EXPECT_EQ(t.tensor_parallel, 8);
  EXPECT_EQ(t.expert_parallel, 1);
  EXPECT_EQ(t.model, "gpt3-175b");
  EXPECT_EQ(t.backend, "cuda");
  EXPECT_NE(t.source.find("runs/x.json"), std::string::npos) << t.source;
  EXPECT_NE(t.source.find("step 100.000 ms"), std::string::npos) << t.source;
  EXPECT_FALSE(t.mean_power_w);  // no NVML readings in the file
  // Twice the time, half the rate: 4e13 / 0.2 s = 200 TFLOP/s (the step's own figure, not the
  // kernels').
  auto slower = hand_run();
  slower.step->step_ms = 200;
  slower.kernels[0].stats.median_ms = 200;
  slower.kernels[0].tflops = 200;
  EXPECT_DOUBLE_EQ(throughput_from_results(slower, "x").sustained_tflops_per_gpu, 200.0);
}

TEST(MeasuredThroughput, RefusesFailedPartialAndStepLessRunsNamingTheFile) {
  auto failed = hand_run();
  failed.status = "failed";
  std::string m = refusal(failed);
  EXPECT_NE(m.find("runs/x.json: the run failed"), std::string::npos) << m;

  auto partial = hand_run();
  partial.status = "partial";
  m = refusal(partial);
  EXPECT_NE(m.find("runs/x.json: the run is partial"), std::string::npos) << m;
  // A step marked incomplete in a file whose status says complete is partial too.
  auto incomplete = hand_run();
  incomplete.step->complete = false;
  m = refusal(incomplete);
  EXPECT_NE(m.find("runs/x.json: the run is partial"), std::string::npos) << m;

  // No step (a gemm file), a zero step time, zero model FLOPs: no throughput, the command named.
  auto gemm = hand_run();
  gemm.step.reset();
  gemm.workload.command = "gemm";
  m = refusal(gemm);
  EXPECT_NE(m.find("runs/x.json: no measured training step (made by `trainbench gemm`"), std::string::npos) << m;
  auto no_time = hand_run();
  no_time.step->step_ms = 0;
  m = refusal(no_time);
  EXPECT_NE(m.find("runs/x.json: no measured training step"), std::string::npos) << m;
  auto no_flops = hand_run();
  no_flops.step->model_flops = 0;
  m = refusal(no_flops);
  EXPECT_NE(m.find("runs/x.json: no measured training step"), std::string::npos) << m;
}

// Files written before a field existed, or by hand, hold 0 for tp and ep: one GPU's shapes.
TEST(MeasuredThroughput, ZeroParallelSizesReadAsOne) {
  auto r = hand_run();
  r.workload.tensor_parallel = 0;
  r.workload.expert_parallel = 0;
  const MeasuredThroughput t = throughput_from_results(r, "x");
  EXPECT_EQ(t.tensor_parallel, 1);
  EXPECT_EQ(t.expert_parallel, 1);
  r.workload.expert_parallel = 4;
  EXPECT_NE(throughput_from_results(r, "x").source.find(", ep 4"), std::string::npos);
}

// A machine whose SKU config is not here still has a usable throughput: no SKU, no throw.
TEST(MeasuredThroughput, UnknownSkuGivesNoSkuAndNoError) {
  auto r = hand_run();
  r.machine.sku = "no-such-gpu-9000";
  MeasuredThroughput t;
  ASSERT_NO_THROW(t = throughput_from_results(r, "x"));
  EXPECT_FALSE(t.sku);
  EXPECT_EQ(t.sku_name, "no-such-gpu-9000");
  EXPECT_DOUBLE_EQ(t.sustained_tflops_per_gpu, 400.0);
  r.machine.sku.clear();
  EXPECT_FALSE(throughput_from_results(r, "x").sku);
}

// The peak MFU refers to: machine.peak_dtype (bf16 for an fp8 step), else the run's dtype; a name
// that is no dtype is refused naming the file and the field.
TEST(MeasuredThroughput, PeakDtypeIsTheMachinesElseTheRunsAndABadOneIsNamed) {
  auto r = hand_run();
  r.workload.dtype = "fp8";
  r.machine.peak_dtype = "bf16";
  EXPECT_EQ(throughput_from_results(r, "x").peak_dtype, DType::BF16);
  r.machine.peak_dtype.clear();
  EXPECT_EQ(throughput_from_results(r, "x").peak_dtype, DType::FP8);
  r.machine.peak_dtype = "bf17";
  const std::string m = refusal(r);
  EXPECT_NE(m.find("runs/x.json"), std::string::npos) << m;
  EXPECT_NE(m.find("machine.peak_dtype 'bf17'"), std::string::npos) << m;
}

// Power over the step, time-weighted by calls × median: 2 calls × 30 ms at 500 W and 1 × 40 ms at
// 700 W give (60 × 500 + 40 × 700) / 100 = 580 W. With readings for less than 90% of the step
// (here 60 of 100 ms) there is no mean: it would stand for kernels it never saw.
TEST(MeasuredThroughput, MeanPowerIsTimeWeightedAndNeedsNinetyPercentOfTheStep) {
  std::vector<results::KernelResult> ks(2);
  ks[0].calls_per_step = 2;
  ks[0].stats.median_ms = 30;
  ks[0].clocks = results::ClockSummary{};
  ks[0].clocks->power_w_mean = 500;
  ks[1].calls_per_step = 1;
  ks[1].stats.median_ms = 40;
  ks[1].clocks = results::ClockSummary{};
  ks[1].clocks->power_w_mean = 700;
  ASSERT_TRUE(step_mean_power_w(ks));
  EXPECT_DOUBLE_EQ(*step_mean_power_w(ks), 580.0);
  ks[1].clocks.reset();
  EXPECT_FALSE(step_mean_power_w(ks));
  // A kernel that did not run is not part of the step: 60 ms of 60 covered, 500 W.
  ks[1].status = "oom";
  ASSERT_TRUE(step_mean_power_w(ks));
  EXPECT_DOUBLE_EQ(*step_mean_power_w(ks), 500.0);
}

// The step's optimizer share travels with its throughput: the source says the 1/M, and a step that
// charged the whole optimizer step to every micro-batch (M = 1) gets a note, an upper bound every
// extrapolation from it inherits. A file without such kernels gets neither.
TEST(MeasuredThroughput, TheOptimizerStepsShareIsSaid) {
  results::RunResults r = hand_run();
  EXPECT_EQ(throughput_from_results(r, "old.json").source.find("optimizer"), std::string::npos);
  EXPECT_EQ(optimizer_share_note(r), "");
  results::KernelResult adam;
  adam.name = "adam";
  adam.kind = "adam_update";
  adam.per_optimizer_step = true;
  adam.stats.median_ms = 1e-9;  // next to nothing: the hand step stays the sum of its kernels
  adam.stats.samples = 3;
  r.kernels.push_back(adam);
  r.workload.micro_batches = 96;
  EXPECT_NE(throughput_from_results(r, "m96.json").source.find(", the optimizer step at 1/96)"), std::string::npos)
      << throughput_from_results(r, "m96.json").source;
  EXPECT_EQ(optimizer_share_note(r), "");
  r.workload.micro_batches = 1;
  const std::string note = throughput_from_results(r, "m1.json").optimizer_note;
  EXPECT_NE(note.find("the step charges the whole optimizer step"), std::string::npos) << note;
  EXPECT_NE(note.find("an upper bound"), std::string::npos) << note;
  EXPECT_NE(note.find("run --micro-batches M"), std::string::npos) << note;
}

}  // namespace
}  // namespace tb
