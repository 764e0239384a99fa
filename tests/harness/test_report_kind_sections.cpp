// The report's sections for files that are not runs, from hand-built files: a sweep ranks only its
// measured shapes (a failed one last, never the best), comm's average bus bandwidth is nccl-tests'
// (over the sizes measured, none with one rank), and files are grouped by the command that wrote them.
#include <gtest/gtest.h>

#include "harness/report/kind_sections.hpp"
#include "harness/report/report_inputs.hpp"

using namespace tb::report;

namespace {

tb::results::KernelResult gemm_shape(int64_t m, double tflops, const std::string& status) {
  tb::results::KernelResult k;
  k.name = "sweep";
  k.kind = "gemm";
  k.dims = {{"m", m}, {"n", 64}, {"k", 64}};
  k.shape = std::to_string(m) + "x64x64 fwd";
  k.status = status;
  k.tflops = tflops;
  k.stats.samples = status == "ok" ? 10 : 0;
  k.stats.median_ms = status == "ok" ? 1.0 : 0.0;
  return k;
}

tb::results::KernelResult collective(int64_t bytes, double busbw, const std::string& status) {
  tb::results::KernelResult k;
  k.name = "allreduce." + std::to_string(bytes);
  k.kind = "allreduce";
  k.dims = {{"bytes", bytes}, {"ranks", 2}, {"count", bytes / 2}};
  k.status = status;
  k.stats.samples = status == "ok" ? 5 : 0;
  k.stats.median_ms = 0.01;
  k.algbw_gb_s = busbw;  // 2 ranks: all-reduce's factor 2(n-1)/n is 1
  k.busbw_gb_s = busbw;
  return k;
}

tb::compare::LabeledResults file(const std::string& command, std::vector<tb::results::KernelResult> kernels) {
  tb::compare::LabeledResults f{command + ".json", {}};
  f.results.workload.command = command;
  f.results.kernels = std::move(kernels);
  return f;
}

}  // namespace

TEST(ReportKindSections, ASweepRanksItsMeasuredShapesAndAFailedOneIsNeverTheBest) {
  const auto s = sweep_section(file("sweep", {gemm_shape(32, 1.0, "ok"), gemm_shape(48, 9.0, "failed"),
                                              gemm_shape(64, 3.0, "ok"), gemm_shape(96, 2.0, "ok")}));
  ASSERT_EQ(s["shapes"].size(), 4u);
  EXPECT_EQ(s["shapes_measured"], 3);
  EXPECT_EQ(s["best"]["m"], 64);
  std::vector<int64_t> order;
  for (const auto& x : s["shapes"]) order.push_back(x["m"].get<int64_t>());
  EXPECT_EQ(order, (std::vector<int64_t>{64, 96, 32, 48}));
  EXPECT_TRUE(s["shapes"][3]["median_ms"].is_null());  // not measured: no time to show

  const auto none = sweep_section(file("sweep", {gemm_shape(32, 0, "oom")}));
  EXPECT_TRUE(none["best"].is_null());
}

TEST(ReportKindSections, CommAveragesBusBandwidthOverMeasuredSizesAndNotForOneRank) {
  auto two = file("comm", {collective(4096, 10.0, "ok"), collective(8192, 30.0, "ok"), collective(16384, 0, "skipped")});
  two.results.machine.device_count = 2;
  const auto c = comm_section(two);
  EXPECT_DOUBLE_EQ(c["avg_busbw_gb_s"].get<double>(), 20.0);  // (10 + 30) / 2: the skipped size is no result
  ASSERT_EQ(c["rows"].size(), 3u);
  EXPECT_EQ(c["rows"][1]["bytes"], 8192);
  EXPECT_DOUBLE_EQ(c["rows"][1]["busbw_gb_s"].get<double>(), 30.0);
  EXPECT_TRUE(c["rows"][2]["busbw_gb_s"].is_null());
  // An in-place entry counts as nccl-tests' average counts it: (10 + 30 + 50) / 3.
  auto placed = two;
  auto in_place = collective(8192, 50.0, "ok");
  in_place.dims["in_place"] = 1;
  placed.results.kernels.insert(placed.results.kernels.begin() + 2, in_place);
  EXPECT_DOUBLE_EQ(comm_section(placed)["avg_busbw_gb_s"].get<double>(), 30.0);
  auto one = two;
  one.results.machine.device_count = 1;
  EXPECT_TRUE(comm_section(one)["avg_busbw_gb_s"].is_null());
}

TEST(ReportKindSections, FilesAreGroupedByTheirCommandInTheOrderGiven) {
  const auto in = group_by_kind({file("health", {}), file("run", {}), file("gemm", {}), file("memtest", {}),
                                 file("attention", {}), file("comm", {}), file("sweep", {}), file("run", {})});
  EXPECT_EQ(in.runs.size(), 2u);
  EXPECT_EQ(in.health.size(), 1u);
  EXPECT_EQ(in.sweeps.size(), 1u);
  EXPECT_EQ(in.comm.size(), 1u);
  ASSERT_EQ(in.kernels.size(), 2u);
  EXPECT_EQ(in.kernels[0].results.workload.command, "gemm");
  EXPECT_EQ(in.kernels[1].results.workload.command, "attention");
  ASSERT_EQ(in.not_drawn.size(), 1u);
  EXPECT_EQ(in.not_drawn[0].command, "memtest");
  EXPECT_NE(not_drawn_line(in.not_drawn[0]).find("memtest.json: workload.command 'memtest'"), std::string::npos);
}
