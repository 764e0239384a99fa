// The CPU backend's OpenBLAS GEMMs against the fp64 reference in all three layouts, and
// measure_op's outcomes (ok, failed verification, unsupported, oom, interrupted) on them.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/hardware/cpu_peak.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/runner/measure_op.hpp"
#include "kernels/cpu/cpu_backend.hpp"
#include "kernels/cpu/gemm_kernel.hpp"
#include "tests/support/planted_error.hpp"

namespace tb {
namespace {

Op gemm_op(int64_t m, int64_t n, int64_t k, GemmLayout layout, DType dtype) {
  Op op;
  op.name = "g";
  op.kind = OpKind::Gemm;
  op.dtype = dtype;
  op.gemm = {m, n, k, layout};
  op.flops = op.model_flops = 2.0 * m * n * k;
  op.bytes = 4.0 * (m * k + k * n + m * n);
  return op;
}

runner::MeasureOptions fast() {
  runner::MeasureOptions o;
  o.policy.min_samples = 3;
  o.policy.max_samples = 20;
  o.policy.min_time_s = 0;
  o.policy.max_time_s = 1;
  return o;
}

class CpuGemmLayouts : public ::testing::TestWithParam<std::tuple<GemmLayout, DType>> {};

TEST_P(CpuGemmLayouts, MatchesTheReferenceOnNonSquareShapes) {
  const auto [layout, dtype] = GetParam();
  auto backend = kernels::cpu::make_backend();
  for (const auto& [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{37, 53, 29}, {64, 8, 130}, {1, 7, 3}}) {
    auto kernel = backend->prepare(gemm_op(m, n, k, layout, dtype), {});
    backend->time_sample_ms(*kernel);
    const kernels::VerifyResult v = kernel->verify();
    EXPECT_TRUE(v.passed) << to_string(layout) << " " << m << "x" << n << "x" << k << ": " << v.detail;
    EXPECT_EQ(v.elements_checked, m * n);  // small: every element checked
    EXPECT_GT(v.tolerance, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, CpuGemmLayouts,
                         ::testing::Combine(::testing::Values(GemmLayout::Forward, GemmLayout::DataGrad,
                                                              GemmLayout::WeightGrad),
                                            ::testing::Values(DType::FP32, DType::FP64)));

TEST(CpuGemm, Bf16WhereOpenBlasHasIt) {
  auto backend = kernels::cpu::make_backend();
  const Op op = gemm_op(33, 17, 65, GemmLayout::DataGrad, DType::BF16);
  if (!kernels::cpu::bf16_gemm_available()) {
    try {
      backend->prepare(op, {});
      FAIL() << "bf16 accepted without cblas_sbgemm";
    } catch (const kernels::UnsupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("fp32"), std::string::npos) << e.what();  // names what works
    }
    GTEST_SKIP() << "this OpenBLAS has no cblas_sbgemm; checked the refusal only";
  }
  auto kernel = backend->prepare(op, {});
  backend->time_sample_ms(*kernel);
  EXPECT_TRUE(kernel->verify().passed);
}

TEST(CpuGemm, EveryRotatedCopyComputesTheSameProduct) {
  auto backend = kernels::cpu::make_backend();
  auto kernel = backend->prepare(gemm_op(16, 16, 16, GemmLayout::Forward, DType::FP32), {});
  for (int i = 0; i < 5; ++i) {
    backend->time_sample_ms(*kernel);  // moves to the next copy first
    ASSERT_TRUE(kernel->verify().passed) << "copy " << i;
  }
}

TEST(CpuGemm, PlantedWrongValueIsCaught) {
  auto backend = kernels::cpu::make_backend();
  auto kernel = backend->prepare(gemm_op(40, 30, 20, GemmLayout::WeightGrad, DType::FP32), {});
  const kernels::VerifyResult v = tb::testing::expect_planted_error_caught(*kernel);
  EXPECT_GT(v.max_rel_error, 100 * v.tolerance);
}

TEST(CpuGemm, UnsupportedDtypesAndBadShapes) {
  auto backend = kernels::cpu::make_backend();
  EXPECT_THROW(backend->prepare(gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP8), {}), kernels::UnsupportedError);
  EXPECT_THROW(backend->prepare(gemm_op(8, 8, 8, GemmLayout::Forward, DType::TF32), {}), kernels::UnsupportedError);
  EXPECT_THROW(backend->prepare(gemm_op(0, 8, 8, GemmLayout::Forward, DType::FP32), {}), UsageError);
  EXPECT_THROW(backend->prepare(gemm_op(8, 8, -1, GemmLayout::Forward, DType::FP32), {}), UsageError);
  // 2^20 cubed in fp32 is 12 TB: refused before allocating (out of memory before too slow).
  EXPECT_THROW(backend->prepare(gemm_op(1 << 20, 1 << 20, 1 << 20, GemmLayout::Forward, DType::FP32), {}),
               kernels::OutOfMemoryError);
}

// What the memory check counts, by hand. 1000^3 in fp32 with no cache to defeat (one copy): A and
// B 4 MB each, C 4 MB; no float images beside fp32 inputs; then 10% and 0.25 GB of headroom. bf16
// inputs are 2 MB each, C stays fp32 (sbgemm), and the float reference images add 8 MB.
TEST(CpuGemm, MemoryCheckCountsInputsOutputReferenceAndHeadroom) {
  const Op fp32 = gemm_op(1000, 1000, 1000, GemmLayout::Forward, DType::FP32);
  EXPECT_DOUBLE_EQ(kernels::cpu::gemm_bytes_needed(fp32, 0), 12e6 * 1.1 + 256e6);
  const Op bf16 = gemm_op(1000, 1000, 1000, GemmLayout::Forward, DType::BF16);
  EXPECT_DOUBLE_EQ(kernels::cpu::gemm_bytes_needed(bf16, 0), (8e6 + 8e6) * 1.1 + 256e6);
  // Rotated copies: 2 x 20 MB of last-level cache over 12 MB a set is 4 copies (ceil 3.33).
  EXPECT_DOUBLE_EQ(kernels::cpu::gemm_bytes_needed(fp32, 20e6), 4 * 12e6 * 1.1 + 256e6);
}

TEST(CpuGemm, DeviceInfoDescribesTheCpu) {
  const kernels::DeviceInfo d = kernels::cpu::device_info();
  EXPECT_EQ(d.backend, "cpu");
  EXPECT_FALSE(d.name.empty());
  EXPECT_GE(d.sm_count, 1);
  EXPECT_GT(d.l2_cache_bytes, 0);
  EXPECT_NE(d.blas_version.find("OpenBLAS"), std::string::npos);
  EXPECT_GT(kernels::cpu::make_backend()->free_memory_bytes(), 0);
}

TEST(MeasureOp, OkResultCarriesStatisticsAndRates) {
  auto backend = kernels::cpu::make_backend();
  const Op op = gemm_op(48, 40, 32, GemmLayout::Forward, DType::FP32);
  SkuConfig sku;
  sku.name = "fake";
  sku.peak_tflops[DType::FP32] = 1.0;
  const auto r = runner::measure_op(*backend, op, fast(), sku);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_TRUE(r.verified);
  EXPECT_GE(r.stats.samples, 3);
  EXPECT_EQ(r.samples_ms.size(), static_cast<size_t>(r.stats.samples));
  EXPECT_FALSE(r.stop_reason.empty());
  EXPECT_NEAR(r.tflops, op.flops / (r.stats.median_ms * 1e-3) / 1e12, 1e-12);
  EXPECT_NEAR(r.gbps, op.bytes / (r.stats.median_ms * 1e-3) / 1e9, 1e-9);
  EXPECT_NEAR(r.pct_of_peak, 100 * r.tflops / 1.0, 1e-9);  // a percentage
  EXPECT_EQ(r.dims.at("m"), 48);
  EXPECT_EQ(r.layout, "fwd");
  EXPECT_NE(r.algorithm.find("sgemm"), std::string::npos);
}

TEST(MeasureOp, WrongResultFailsLoudly) {
  auto backend = kernels::cpu::make_backend();
  auto o = fast();
  o.corrupt_output_for_testing = true;
  const auto r = runner::measure_op(*backend, gemm_op(32, 32, 32, GemmLayout::DataGrad, DType::FP32), o, {});
  EXPECT_EQ(r.status, "failed");
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.error.find("verification FAILED"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tolerance"), std::string::npos);
  EXPECT_GT(r.max_rel_error, r.tolerance);
}

TEST(MeasureOp, RecordsUnsupportedAndOomAndRethrowsUsage) {
  auto backend = kernels::cpu::make_backend();
  EXPECT_EQ(runner::measure_op(*backend, gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP8), fast(), {}).status,
            "unsupported");
  // A 4 TB output with few FLOPs: out of memory before it could be too slow.
  const auto oom = runner::measure_op(*backend, gemm_op(1 << 20, 1 << 20, 1, GemmLayout::Forward, DType::FP32),
                                      fast(), {});
  EXPECT_EQ(oom.status, "oom");
  EXPECT_NE(oom.error.find("GB"), std::string::npos) << oom.error;
  EXPECT_THROW(runner::measure_op(*backend, gemm_op(8, 0, 8, GemmLayout::Forward, DType::FP32), fast(), {}),
               UsageError);
  auto bad_policy = fast();
  bad_policy.policy.max_samples = 1;
  EXPECT_THROW(runner::measure_op(*backend, gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP32), bad_policy, {}),
               UsageError);
}

TEST(MeasureOp, RecordsAKernelTooSlowForTheCpuAsUnsupported) {
  // Causal attention over 4M tokens: 4·s²·d/2 = 2.3e15 FLOP per call in 5 GB of tensors, an hour
  // at this CPU's peak; the backend refuses it before allocating, and `run` goes on to the next kernel.
  auto backend = kernels::cpu::make_backend();
  const AttentionShape shape{.batch = 1, .heads = 1, .kv_heads = 1, .seq = 1 << 22, .head_dim = 64, .causal = true};
  const Op op = make_attention_op("attention.fwd", shape, DType::FP32, false);
  if (op.flops / (estimate_local_cpu_peak().fp32_peak_tflops * 1e12) <= kMaxCpuSampleS)
    GTEST_SKIP() << "this CPU's estimated peak would run it within the limit";
  if (3 * op.bytes > backend->free_memory_bytes()) GTEST_SKIP() << "too little memory to weigh its time";
  const auto r = runner::measure_op(*backend, op, fast(), {});
  EXPECT_EQ(r.status, "unsupported");
  EXPECT_NE(r.error.find("--seq"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("600 s"), std::string::npos) << r.error;
}

// The unfused attention holds an s x s score matrix: at a million tokens 4.4 TB of it, though its
// own tensors are 168 MB. Refused before allocating; the fused one needs no such matrix.
TEST(MeasureOp, UnfusedAttentionsScoreMatrixCountsAgainstHostMemory) {
  auto backend = kernels::cpu::make_backend();
  const AttentionShape shape{.batch = 1, .heads = 1, .kv_heads = 1, .seq = 1 << 20, .head_dim = 8, .causal = true};
  const Op op = make_attention_op("attention.fwd", shape, DType::FP32, false);
  kernels::PrepareOptions unfused;
  unfused.attention_impl = "unfused";
  try {
    backend->prepare(op, unfused);
    ADD_FAILURE() << "a 4.4 TB score matrix was allocated";
  } catch (const kernels::OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("s x s scores"), std::string::npos) << e.what();
  }
}

TEST(MeasureOp, RecordsAMemoryBoundKernelBeyondHostMemoryAsOom) {
  // The cross-entropy of 2^24 tokens over a 2^16 vocabulary: 4 TB of fp32 logits. Allocating it
  // would meet the OOM killer; it is refused first, recorded as "oom" with the bytes.
  auto backend = kernels::cpu::make_backend();
  const Op op = make_memory_op("cross_entropy", OpKind::CrossEntropyForwardBackward, {1 << 24, 1 << 16}, DType::FP32, 2);
  const auto r = runner::measure_op(*backend, op, fast(), {});
  EXPECT_EQ(r.status, "oom");
  EXPECT_NE(r.error.find("GB of host memory"), std::string::npos) << r.error;
}

TEST(MeasureOp, InterruptStopsTheMeasurement) {
  auto backend = kernels::cpu::make_backend();
  runner::request_interrupt();
  const auto r = runner::measure_op(*backend, gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP32), fast(), {});
  runner::reset_interrupted();
  EXPECT_EQ(r.status, "interrupted");
  EXPECT_FALSE(r.verified);
}

TEST(RunCases, ReportsProgressAndKeepsOrder) {
  auto backend = kernels::cpu::make_backend();
  const std::vector<Op> ops{gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP32),
                            gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP8),
                            gemm_op(16, 8, 8, GemmLayout::WeightGrad, DType::FP32)};
  std::vector<std::string> events;
  const auto rs = runner::run_cases(*backend, ops, fast(), {},
                                    [&](size_t i, size_t n, const Op&, const results::KernelResult* done) {
                                      events.push_back(std::to_string(i) + "/" + std::to_string(n) +
                                                       (done ? ":" + done->status : ":start"));
                                    });
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[1].status, "unsupported");  // one failure does not stop the others
  EXPECT_EQ(rs[2].status, "ok");
  EXPECT_EQ(events, (std::vector<std::string>{"0/3:start", "0/3:ok", "1/3:start", "1/3:unsupported", "2/3:start",
                                              "2/3:ok"}));
}

TEST(GbenchRunner, RunsEveryCaseThroughGoogleBenchmark) {
  auto backend = kernels::cpu::make_backend();
  const std::vector<Op> ops{gemm_op(8, 8, 8, GemmLayout::Forward, DType::FP32),
                            gemm_op(16, 8, 8, GemmLayout::DataGrad, DType::FP64)};
  const auto rs = runner::run_with_google_benchmark(*backend, ops, fast(), {}, {});
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].status, "ok");
  EXPECT_EQ(rs[1].dtype, "fp64");
  EXPECT_EQ(runner::gbench_name(ops[1]), "g/16x8x8/dgrad/fp64");
}

TEST(GbenchRunner, SplitsItsFlagsFromOthers) {
  std::vector<std::string> args{"--benchmark_filter", "gemm", "--json", "--benchmark_format=json", "-m"};
  const auto gb = runner::take_gbench_args(args);
  EXPECT_EQ(gb, (std::vector<std::string>{"--benchmark_filter=gemm", "--benchmark_format=json"}));
  EXPECT_EQ(args, (std::vector<std::string>{"--json", "-m"}));
  EXPECT_EQ(runner::gbench_flag_value(gb, "format"), "json");
  EXPECT_EQ(runner::gbench_flag_value(gb, "out"), "");
}

TEST(MachineInfo, ProvenanceOfACpuRun) {
  auto backend = kernels::cpu::make_backend();
  char arg0[] = "trainbench", arg1[] = "gemm";
  char* argv[] = {arg0, arg1};
  const results::MachineInfo m = runner::collect_machine_info(*backend, 2, argv);
  EXPECT_EQ(m.backend, "cpu");
  EXPECT_EQ(m.device_count, 1);
  EXPECT_EQ(m.command_line, "trainbench gemm");
  EXPECT_FALSE(m.host.empty());
  EXPECT_FALSE(m.os.empty());
  EXPECT_NE(m.blas_version.find("OpenBLAS"), std::string::npos);
  // 2026-11-25T11:39:37Z
  ASSERT_EQ(m.utc_time.size(), 20u);
  EXPECT_EQ(m.utc_time[10], 'T');
  EXPECT_EQ(m.utc_time.back(), 'Z');
  // The build's commit, stamped at build time: a 40-digit hash, "-dirty" when tracked files had
  // changed, or "unknown" outside git.
  const std::string c = runner::git_commit();
  const std::string hash = c.substr(0, 40);
  // Inside git (CI's fresh clone) the stamp must be there: "unknown" would be a broken stamp.
  if (std::filesystem::exists(std::filesystem::path(TB_SOURCE_DIR) / ".git")) EXPECT_NE(c, "unknown");
  EXPECT_TRUE(c == "unknown" || (hash.size() == 40 && hash.find_first_not_of("0123456789abcdef") == std::string::npos &&
                                 (c.size() == 40 || c.substr(40) == "-dirty")))
      << c;
  EXPECT_THROW(runner::sku_for(backend->device_info(), "no-such-gpu", runner::PeaksNeeded::compute), UsageError);
  const auto h100 = runner::sku_for(backend->device_info(), "h100-sxm", runner::PeaksNeeded::compute);
  ASSERT_TRUE(h100.has_value());
  EXPECT_DOUBLE_EQ(h100->peak_tflops.at(DType::BF16), 989);
}

}  // namespace
}  // namespace tb
