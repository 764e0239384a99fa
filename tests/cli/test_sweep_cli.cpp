// `trainbench sweep`: the best shape printed, the whole curve saved as results JSON and CSV.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

TEST(SweepCli, PrintsBestAndSavesTheCurve) {
  const std::string dir = testing::make_temp_dir("tb_sweep_");
  // A folder given with --out must exist (no typo becomes a folder: test_output_folder_cli.cpp).
  std::filesystem::create_directory(dir + "/sub");
  const std::string out = dir + "/sub/curve.json";
  const auto r = testing::run_trainbench({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "32:64:32",
                                          "--n-range", "48", "--k-range", "16,40", "--max-time", "0.1",
                                          "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("best: "), std::string::npos) << r.out;
  const auto run = results::read_results_file(out);
  EXPECT_EQ(run.workload.command, "sweep");
  ASSERT_EQ(run.kernels.size(), 4u);  // {32,64} × {48} × {16,40}
  double best = 0;
  for (const auto& k : run.kernels) {
    EXPECT_EQ(k.status, "ok") << k.error;
    EXPECT_TRUE(k.verified);
    best = std::max(best, k.tflops);
  }
  EXPECT_EQ(run.kernels[3].dims.at("m"), 64);
  EXPECT_EQ(run.kernels[3].dims.at("k"), 40);
  // The printed best is the saved curve's fastest kernel: "best: SHAPE DTYPE: X.XXX TFLOP/s ...",
  // its shape and its rate (printed to 3 decimals, so within half of 0.001).
  const results::KernelResult* fastest = &run.kernels[0];
  for (const auto& k : run.kernels)
    if (k.tflops > fastest->tflops) fastest = &k;
  EXPECT_DOUBLE_EQ(fastest->tflops, best);
  const size_t at = r.out.find("best: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string best_line = r.out.substr(at, r.out.find('\n', at) - at);
  const std::string head = "best: " + fastest->shape + " " + fastest->dtype + ": ";
  ASSERT_EQ(best_line.rfind(head, 0), 0u) << best_line << " (expected " << head << ")";
  const double printed = std::stod(best_line.substr(head.size()));
  EXPECT_NEAR(printed, fastest->tflops, 0.0005 + 1e-12) << best_line;
  EXPECT_NE(best_line.find(" TFLOP/s"), std::string::npos) << best_line;
  // mamf-finder's figure beside it: the fastest single sample of any shape, flops / min_ms.
  const results::KernelResult* quickest = &run.kernels[0];
  for (const auto& k : run.kernels)
    if (k.flops / k.stats.min_ms > quickest->flops / quickest->stats.min_ms) quickest = &k;
  const std::string sample_head = "fastest sample: " + quickest->shape + " " + quickest->dtype + ": ";
  const size_t sat = r.out.find(sample_head);
  ASSERT_NE(sat, std::string::npos) << r.out;
  const double sample_tflops = std::stod(r.out.substr(sat + sample_head.size()));
  EXPECT_NEAR(sample_tflops, quickest->flops / (quickest->stats.min_ms * 1e-3) / 1e12, 0.0005 + 1e-12);
  EXPECT_GE(sample_tflops + 0.0005, best);  // every kernel's fastest sample is at least its median's rate
  const std::string csv = testing::read_text(dir + "/sub/curve.csv");
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("m,n,k,layout,dtype,status,median_ms,tflops", 0), 0u) << header;
  int rows = 0;
  while (std::getline(lines, line)) ++rows;
  EXPECT_EQ(rows, 4);
  std::filesystem::remove_all(dir);
}

TEST(SweepCli, BadRangesExitTwo) {
  // A writable --out (checked first, with the flags): the ranges are refused before any measuring.
  const std::string out = testing::make_temp_dir("tb_sweep_") + "/x.json";
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--m-range", "64:32:16"}, {"--n-range", "0"}, {"--k-range", "1:2"}, {"--m-range", "a,b"}}) {
    const auto r = testing::run_trainbench({"sweep", "--device", "cpu", flag, value, "--out", out});
    EXPECT_EQ(r.exit_code, 2) << flag << " " << value << ": " << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
  }
  // A zero step is the step's fault, not the sizes'.
  const auto step = testing::run_trainbench({"sweep", "--device", "cpu", "--m-range", "64:128:0", "--out", out});
  EXPECT_EQ(step.exit_code, 2);
  EXPECT_NE(step.err.find("--m-range: the step (start:stop:step's third part) must be positive (got 0)"),
            std::string::npos)
      << step.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  std::filesystem::remove_all(std::filesystem::path(out).parent_path());
}

// The range product is capped before any list is built: 1:10^9:1 is a message, not bad_alloc.
TEST(SweepCli, TooManyShapesAreRefusedNamingTheRangeFlags) {
  for (const auto& ranges : std::vector<std::vector<std::string>>{
           {"--m-range", "1:1000000000:1"},
           {"--m-range", "1:9223372036854775807:1"},
           {"--m-range", "1:100:1", "--n-range", "1:200:1", "--k-range", "8"}}) {
    std::vector<std::string> args{"sweep", "--device", "cpu", "--dtype", "fp32", "--out", "/tmp/tb_never.json"};
    args.insert(args.end(), ranges.begin(), ranges.end());
    const auto r = testing::run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << ranges[1] << ": " << r.err;
    EXPECT_NE(r.err.find("--m-range/--n-range/--k-range"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("at most 10000"), std::string::npos) << r.err;
  }
}

// Cases beyond host memory are recorded "oom" with the bytes, each named, and the sweep goes on
// (no allocation is tried, so no OOM killer); the too-slow rule (KernelLimits) weighs only cases
// that fit, as gemm does.
TEST(SweepCli, CasesBeyondHostMemoryAreRecordedAndNamed) {
  const std::string out = testing::make_temp_dir("tb_sweep_") + "/s.json";
  // Terabytes each: beyond any host this suite runs on.
  const auto r = testing::run_trainbench({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "1000000,2000000",
                                          "--n-range", "1000000", "--k-range", "1000000", "--out", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("1000000x1000000x1000000 fwd fp32: oom"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GB of host memory"), std::string::npos) << r.err;
  std::filesystem::remove_all(std::filesystem::path(out).parent_path());
}

// The curve's CSV goes beside the results under the same stem: an --out ending in .csv would be
// overwritten by it, so it is refused before measuring, and nothing is written.
TEST(SweepCli, CsvOutIsRefused) {
  const std::string dir = testing::make_temp_dir("tb_sweep_");
  const auto r = testing::run_trainbench({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "16",
                                          "--n-range", "16", "--k-range", "16", "--out", dir + "/x.csv"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("x.json"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  const auto d = testing::run_trainbench({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "16",
                                          "--n-range", "16", "--k-range", "16", "--out", dir});
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_NE(d.err.find("is a directory"), std::string::npos) << d.err;
  std::filesystem::remove_all(dir);
}

TEST(SweepCli, PlantedWrongResultFailsTheSweep) {
  const std::string dir = testing::make_temp_dir("tb_sweep_");
  const auto r = testing::run_trainbench({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "16",
                                          "--n-range", "16", "--k-range", "16", "--max-time", "0.1", "--out",
                                          dir + "/s.json"},
                                         "TRAINBENCH_TEST_CORRUPT_OUTPUT=1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("verification FAILED"), std::string::npos) << r.err;
  EXPECT_EQ(results::read_results_file(dir + "/s.json").status, "failed");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tb
