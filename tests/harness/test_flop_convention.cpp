// MFU's FLOP convention in results files (harness/results/flop_convention.hpp): a causal attention
// kernel's hardware FLOPs in MFU's convention, and files of schema version 1, which counted its
// model FLOPs halved, read and converted to version 2 on a step built by hand.
#include <gtest/gtest.h>

#include <string>

#include "harness/common/errors.hpp"
#include "harness/model/model_config.hpp"
#include "harness/results/flop_convention.hpp"
#include "harness/results/results_io.hpp"
#include "harness/results/step_consistency.hpp"
#include "harness/workload/workload.hpp"

namespace tb::results {
namespace {

KernelResult kernel(const std::string& name, const std::string& kind, bool causal, int64_t calls, double median_ms,
                    double flops, double model_flops) {
  KernelResult k;
  k.name = name;
  k.kind = kind;
  k.causal = causal;
  k.dtype = "bf16";
  k.calls_per_step = calls;
  k.samples_ms = {median_ms};
  k.stats = timing::summarize(k.samples_ms);
  k.flops = flops;
  k.model_flops = model_flops;
  k.tflops = flops / (median_ms * 1e-3) / 1e12;
  k.pct_of_peak = 100 * k.tflops / 1000;  // of version_1_step's 1000 TFLOP/s peak
  return k;
}

// A GEMM (3 calls x 10 ms, 3e12 FLOPs of which 2.5e12 the model's) and a causal attention forward
// (1 call x 20 ms, executing 1e12 FLOPs: the half of 2e12 its mask leaves), on a 1000 TFLOP/s peak.
// Version 1 wrote the attention's model FLOPs as 1e12: step model FLOPs 3 x 2.5e12 + 1e12 =
// 8.5e12, MFU 8.5e12 / 0.05 s / 1e15 = 0.17; hardware FLOPs 3 x 3e12 + 1e12 = 1e13, HFU 0.2;
// sustained 1e13 / 0.05 s = 200 TFLOP/s.
RunResults version_1_step() {
  RunResults r;
  r.schema_version = 1;
  r.machine.backend = "cuda";
  r.machine.peak_tflops = 1000;
  r.machine.peak_dtype = "bf16";
  r.workload.dtype = "bf16";
  r.kernels = {kernel("qkv.fwd", "gemm", false, 3, 10, 3e12, 2.5e12),
               kernel("attention.fwd", "attention_fwd", true, 1, 20, 1e12, 1e12)};
  StepResult s;
  s.step_ms = 50;
  s.model_flops = 8.5e12;
  s.hardware_flops = 1e13;
  s.mfu = 0.17;
  s.hfu = 0.2;
  s.sustained_tflops = 200;
  r.step = s;
  return r;
}

std::string refusal(const RunResults& r) {
  try {
    require_consistent_step(r, "old.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(FlopConvention, CausalAttentionKernelsCountTwiceTheirFlopsForHfu) {
  EXPECT_DOUBLE_EQ(kernel_hardware_flops(kernel("a", "attention_fwd", true, 1, 1, 1e12, 2e12)), 2e12);
  EXPECT_DOUBLE_EQ(kernel_hardware_flops(kernel("a", "attention_bwd", true, 1, 1, 2.5e12, 4e12)), 5e12);
  EXPECT_DOUBLE_EQ(kernel_hardware_flops(kernel("a", "attention_fwd", false, 1, 1, 2e12, 2e12)), 2e12);
  EXPECT_DOUBLE_EQ(kernel_hardware_flops(kernel("g", "gemm", false, 1, 1, 3e12, 2.5e12)), 3e12);
}

// The rule on a results kernel is the workload's on its op (tb::hardware_flops): every op of a
// causal step, described as run writes it, gives the same FLOPs either way, and no op's model
// FLOPs pass its hardware FLOPs (HFU >= MFU).
TEST(FlopConvention, ResultsRuleMatchesTheWorkloads) {
  const Workload w = build_workload(load_model("gpt3-xl"), {.seq_len = 512});
  int attention = 0;
  for (const Op& op : w.ops) {
    KernelResult k;
    k.kind = to_string(op.kind);
    k.causal = is_attention(op.kind) && op.attention.causal;
    k.flops = op.flops;
    EXPECT_DOUBLE_EQ(kernel_hardware_flops(k), hardware_flops(op)) << op.name;
    EXPECT_LE(op.model_flops, hardware_flops(op)) << op.name;
    if (k.causal) ++attention;
  }
  EXPECT_EQ(attention, 2);
}

// Converted: the attention's model FLOPs 2e12; the step's model FLOPs 8.5e12 + 1e12 = 9.5e12,
// MFU 0.17 x 9.5 / 8.5 = 0.19 (= 9.5e12 / 0.05 s / 1e15); hardware FLOPs 1e13 + 1e12 = 1.1e13,
// HFU 0.2 x 1.1 = 0.22; sustained stays 200 (the kernels' own 1e13 FLOPs over 50 ms).
TEST(FlopConvention, VersionOneStepIsConvertedAndStaysConsistent) {
  RunResults r = version_1_step();
  convert_from_schema_1(r);
  EXPECT_EQ(r.schema_version, 2);
  EXPECT_DOUBLE_EQ(r.kernels[0].model_flops, 2.5e12);
  EXPECT_DOUBLE_EQ(r.kernels[1].model_flops, 2e12);
  EXPECT_DOUBLE_EQ(r.kernels[1].flops, 1e12);
  EXPECT_DOUBLE_EQ(r.step->model_flops, 9.5e12);
  EXPECT_NEAR(r.step->mfu, 0.19, 1e-15);
  EXPECT_DOUBLE_EQ(r.step->hardware_flops, 1.1e13);
  EXPECT_NEAR(r.step->hfu, 0.22, 1e-15);
  EXPECT_DOUBLE_EQ(r.step->sustained_tflops, 200);
  EXPECT_EQ(refusal(r), "");
  // A version 2 file is left as it is.
  RunResults v2 = r;
  convert_from_schema_1(v2);
  EXPECT_DOUBLE_EQ(v2.kernels[1].model_flops, 2e12);
  EXPECT_DOUBLE_EQ(v2.step->mfu, r.step->mfu);
}

// Through the reader, as estimate, compare, report and export read a file: version 1 on disk is
// version 2 in memory. A doctored version 1 MFU (0.18 where its FLOPs give 0.17) stays doctored,
// 0.18 x 9.5 / 8.5 = 0.201176 against 0.19, and is refused.
TEST(FlopConvention, ReaderConvertsVersionOneFilesAndStillRefusesADoctoredOne) {
  nlohmann::json j = to_json(version_1_step());
  EXPECT_EQ(j["schema_version"], 1);
  const RunResults read = from_json(j, "old.json");
  EXPECT_EQ(read.schema_version, 2);
  ASSERT_TRUE(read.step);
  EXPECT_DOUBLE_EQ(read.step->model_flops, 9.5e12);
  EXPECT_NEAR(read.step->mfu, 0.19, 1e-15);
  EXPECT_NO_THROW(require_consistent_results(read, "old.json"));

  j["step"]["mfu"] = 0.18;
  const RunResults doctored = from_json(j, "old.json");
  EXPECT_NE(refusal(doctored).find("old.json: step.mfu 0.201176"), std::string::npos) << refusal(doctored);
  EXPECT_NE(refusal(doctored).find("is not step.model_flops / step time / machine.peak_tflops (0.19)"),
            std::string::npos)
      << refusal(doctored);

  j = to_json(version_1_step());
  j["schema_version"] = 3;
  EXPECT_THROW(
      {
        try {
          from_json(j, "new.json");
        } catch (const UsageError& e) {
          EXPECT_NE(std::string(e.what()).find("results schema_version 3 is not supported; this trainbench reads "
                                               "versions 1 and 2"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      UsageError);
}

// A version 1 file whose step recorded no FLOPs (the fields were optional) still has its MFU
// scaled, by its kernels' sums: 0.17 x 9.5e12 / 8.5e12 = 0.19.
TEST(FlopConvention, VersionOneStepWithoutFlopsIsScaledByItsKernels) {
  RunResults r = version_1_step();
  r.step->model_flops = 0;
  r.step->hardware_flops = 0;
  convert_from_schema_1(r);
  EXPECT_DOUBLE_EQ(r.step->model_flops, 0);
  EXPECT_NEAR(r.step->mfu, 0.19, 1e-15);
  EXPECT_NEAR(r.step->hfu, 0.22, 1e-15);
}

}  // namespace
}  // namespace tb::results
