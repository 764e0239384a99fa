// A kernel's tflops, gbps and pct_of_peak agree with its flops, bytes, median and the recorded
// peak (harness/results/kernel_consistency.hpp): each field edited alone is refused, naming the
// file, the kernel, the field and both values; figures rounded as a person or another tool would
// write them pass.
#include <gtest/gtest.h>

#include <string>

#include "harness/common/errors.hpp"
#include "harness/results/kernel_consistency.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb::results {
namespace {

// By hand: a 4096 x 4096 x 4096 GEMM, 2 x 4096^3 = 1.37438953472e11 FLOPs, in 0.25 ms:
// 549.755813888 TFLOP/s, 55.5870... % of a 989 TFLOP/s bf16 peak. A residual add moving 3 x 2^28 B
// = 805306368 B in 0.4 ms: 2013.26592 GB/s, 60.0974...% of 3.35 TB/s.
RunResults hand_run() {
  RunResults r;
  r.machine.sku = "h100-sxm";
  r.machine.peak_tflops = 989;
  r.machine.peak_dtype = "bf16";
  r.machine.peak_memory_tb_s = 3.35;
  r.workload.command = "gemm";
  r.workload.dtype = "bf16";
  KernelResult g;
  g.name = "qkv.fwd";
  g.kind = "gemm";
  g.dtype = "bf16";
  g.dims = {{"m", 4096}, {"n", 4096}, {"k", 4096}};
  g.flops = 2.0 * 4096 * 4096 * 4096;
  g.bytes = 3.0 * 4096 * 4096 * 2;
  g.stats.median_ms = 0.25;
  g.tflops = 549.755813888;
  g.gbps = g.bytes / 0.25e-3 / 1e9;
  g.pct_of_peak = 100 * 549.755813888 / 989;
  KernelResult m;
  m.name = "residual";
  m.kind = "residual_add";
  m.dtype = "bf16";
  m.bytes = 805306368;
  m.stats.median_ms = 0.4;
  m.gbps = 2013.26592;
  m.pct_of_peak = 100 * 2013.26592 / 3350;
  r.kernels = {g, m};
  return r;
}

std::string refusal(const RunResults& r) {
  try {
    require_consistent_kernel_rates(r, "runs/x.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(KernelConsistency, HandBuiltKernelsPass) { EXPECT_EQ(refusal(hand_run()), ""); }

// The figures as a fixture or a report would round them (4 significant digits) still agree.
TEST(KernelConsistency, RoundedFiguresPass) {
  RunResults r = hand_run();
  r.kernels[0].tflops = 549.8;
  r.kernels[0].pct_of_peak = 55.59;
  r.kernels[1].gbps = 2013;
  r.kernels[1].pct_of_peak = 60.1;
  EXPECT_EQ(refusal(r), "");
}

// The reviewer's edit: 5 TFLOP/s at 99% of peak beside an unchanged median.
TEST(KernelConsistency, TflopsNotFlopsOverMedianIsRefused) {
  RunResults r = hand_run();
  r.kernels[0].tflops = 5.0;
  EXPECT_EQ(refusal(r),
            "runs/x.json: kernels[0] (qkv.fwd): tflops 5 is not flops / median_ms (1.37439e+11 / 0.25 ms = 549.756); "
            "the file was edited or written wrongly");
  // Through the check every reader calls, too.
  EXPECT_THROW(require_consistent_results(r, "runs/x.json"), UsageError);
}

TEST(KernelConsistency, PctOfPeakNotRateOverPeakIsRefused) {
  RunResults r = hand_run();
  r.kernels[0].pct_of_peak = 99;
  EXPECT_NE(refusal(r).find("kernels[0] (qkv.fwd): pct_of_peak 99 is not tflops over the bf16 peak of h100-sxm "
                            "(549.756 / 989 TFLOP/s = 55.587%)"),
            std::string::npos)
      << refusal(r);
  r = hand_run();
  r.kernels[1].pct_of_peak = 90;
  EXPECT_NE(refusal(r).find("kernels[1] (residual): pct_of_peak 90 is not gbps over machine.peak_memory_tb_s "
                            "(2013.27 / 3350 GB/s = 60.0975%)"),
            std::string::npos)
      << refusal(r);
}

TEST(KernelConsistency, GbpsNotBytesOverMedianIsRefused) {
  RunResults r = hand_run();
  r.kernels[1].gbps = 4000;
  EXPECT_NE(refusal(r).find("kernels[1] (residual): gbps 4000 is not bytes / median_ms (8.05306e+08 / 0.4 ms = "
                            "2013.27)"),
            std::string::npos)
      << refusal(r);
  // A memory-bound kernel's GB/s is its headline: 0 is no rounding of 2013.
  r.kernels[1].gbps = 0;
  EXPECT_NE(refusal(r).find("gbps 0 is not bytes / median_ms"), std::string::npos) << refusal(r);
}

// Setting flops to 1e15 (and tflops to match) still leaves a GEMM's flops at odds with its dims.
TEST(KernelConsistency, GemmFlopsNotTwoMnkIsRefused) {
  RunResults r = hand_run();
  r.kernels[0].flops = 1e15;
  r.kernels[0].tflops = 1e15 / 0.25e-3 / 1e12;
  EXPECT_NE(refusal(r).find("kernels[0] (qkv.fwd): flops 1000000000000000 is not 2 x m x n x k of its dims (1.37439e+11)"),
            std::string::npos)
      << refusal(r);
}

// A grouped GEMM (dims.batch, the experts of one MoE layer) executes 2·m·n·k per group: the
// MoE run of the program's own writing was refused when the check knew no batch.
TEST(KernelConsistency, AGroupedGemmsFlopsCountEveryGroup) {
  RunResults r = hand_run();
  KernelResult& g = r.kernels[0];
  g.dims["batch"] = 8;
  EXPECT_NE(refusal(r).find("flops 137438953472 is not 2 x batch x m x n x k of its dims (8 x 1.37439e+11 = "
                            "1.09951e+12)"),
            std::string::npos)
      << refusal(r);
  g.flops *= 8;
  g.bytes *= 8;
  g.tflops *= 8;
  g.gbps *= 8;
  g.pct_of_peak *= 8;
  EXPECT_EQ(refusal(r), "");
}

// No SKU, no peak: a percentage of nothing. A memory-bound kernel where the file records no
// bandwidth: likewise.
TEST(KernelConsistency, PctOfPeakWithoutARecordedPeakIsRefused) {
  RunResults r = hand_run();
  r.machine.sku = "";
  r.machine.peak_tflops = 0;
  r.machine.peak_memory_tb_s = 0;
  EXPECT_NE(refusal(r).find("kernels[0] (qkv.fwd): pct_of_peak 55.587"), std::string::npos) << refusal(r);
  EXPECT_NE(refusal(r).find("but the file records no peak"), std::string::npos) << refusal(r);
  r = hand_run();
  r.machine.peak_memory_tb_s = 0;
  EXPECT_NE(refusal(r).find("kernels[1] (residual): pct_of_peak 60.097"), std::string::npos) << refusal(r);
  EXPECT_NE(refusal(r).find("but machine.peak_memory_tb_s is 0"), std::string::npos) << refusal(r);
}

// An fp8 GEMM in an fp8 step (peak_dtype bf16): its percentage is of the SKU's fp8 peak, read from
// the recorded SKU's config (h100-sxm: 1979).
TEST(KernelConsistency, AnotherDtypesPeakComesFromTheRecordedSku) {
  RunResults r = hand_run();
  r.kernels[0].dtype = "fp8";
  r.kernels[0].pct_of_peak = 100 * 549.755813888 / 1979;
  EXPECT_EQ(refusal(r), "");
  r.kernels[0].pct_of_peak = 100 * 549.755813888 / 989;  // against the bf16 peak: wrong
  EXPECT_NE(refusal(r).find("is not tflops over the fp8 peak of h100-sxm (549.756 / 1979"),
            std::string::npos)
      << refusal(r);
  // No config of that name here: nothing to check the fp8 percentage against.
  r.machine.sku = "no-such-gpu";
  EXPECT_EQ(refusal(r), "");
}

// A kernel never measured (median 0) has no rates to derive; a collective's gbps is its algbw,
// bytes / median, and its pct_of_peak (busbw over a link figure the file does not hold) is left.
TEST(KernelConsistency, UnmeasuredKernelsAndCollectives) {
  RunResults r = hand_run();
  KernelResult oom;
  oom.name = "big";
  oom.kind = "gemm";
  oom.status = "oom";
  oom.dims = {{"m", 2}, {"n", 2}, {"k", 2}};
  oom.flops = 16;
  r.kernels.push_back(oom);
  EXPECT_EQ(refusal(r), "");

  RunResults c;
  c.workload.command = "comm";
  KernelResult ar;
  ar.name = "allreduce";
  ar.kind = "allreduce";
  ar.bytes = 1e9;
  ar.stats.median_ms = 10;
  ar.gbps = 100;
  ar.algbw_gb_s = 100;
  ar.pct_of_peak = 77;
  c.kernels = {ar};
  EXPECT_EQ(refusal(c), "");
  c.kernels[0].algbw_gb_s = 300;
  EXPECT_NE(refusal(c).find("kernels[0] (allreduce): algbw_gb_s 300 is not bytes / median_ms (100)"),
            std::string::npos)
      << refusal(c);
}

}  // namespace
}  // namespace tb::results
