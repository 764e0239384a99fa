// One measurement, two Google Benchmark JSONs: the live pass-through of `gemm` and `export` of the
// results file it wrote must name the kernel alike (a dashboard fed both would otherwise plot two
// series), carry the same label and counters, and mark a --no-verify run's numbers.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

using nlohmann::json;
using testing::run_trainbench;

struct TwoOutputs {
  json live;       // gemm --benchmark_format=json on stdout
  json exported;   // export of the --out file
  json results;    // the --out file
};

TwoOutputs measure_and_export(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"gemm",      "-m",         "48",  "-n",         "40",  "-k",
                                "24",        "--device",   "cpu", "--dtype",    "fp32", "--min-time",
                                "0",         "--max-time", "0.3", "--max-samples", "50", "--benchmark_format=json",
                                "--out",     dir + "/r.json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto live = run_trainbench(args);
  EXPECT_EQ(live.exit_code, 0) << live.err;
  const auto exported = run_trainbench({"export", dir + "/r.json"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  return {json::parse(live.out), json::parse(exported.out), json::parse(testing::read_text(dir + "/r.json"))};
}

TEST(GbenchExportCli, LiveAndExportedNameLabelAndCountOneKernelAlike) {
  const std::string dir = testing::make_temp_dir("tb_gbench_export_");
  const auto o = measure_and_export(dir, {});
  const auto& live = o.live.at("benchmarks").at(0);
  const auto& exported = o.exported.at("benchmarks").at(0);
  EXPECT_EQ(live.at("name"), "gemm/48x40x24/fwd/fp32/iterations:1/manual_time");
  EXPECT_EQ(exported.at("name"), live.at("name"));
  EXPECT_EQ(exported.at("run_name"), live.at("run_name"));
  EXPECT_EQ(exported.at("iterations"), live.at("iterations"));
  EXPECT_EQ(exported.at("label"), live.at("label"));
  EXPECT_EQ(live.at("label"), "48x40x24 fwd fp32");
  for (const char* counter : {"samples", "median_ms", "verified", "TFLOPS", "pct_of_peak"})
    EXPECT_EQ(exported.at(counter), live.at(counter)) << counter;
  EXPECT_EQ(exported.at("verified"), 1);
  // The build type the binary recorded becomes Google Benchmark's word for it.
  const std::string build_type = o.results.at("machine").at("build_type");
  EXPECT_FALSE(build_type.empty());
  EXPECT_EQ(o.exported.at("context").at("trainbench_build_type"), build_type);
  if (build_type == "Release" || build_type == "RelWithDebInfo" || build_type == "MinSizeRel")
    EXPECT_EQ(o.exported.at("context").at("library_build_type"), "release");
  // cpu_scaling_enabled only where the run read a governor.
  EXPECT_EQ(o.exported.at("context").contains("cpu_scaling_enabled"),
            o.results.at("machine").contains("cpu_scaling_enabled"));
  std::filesystem::remove_all(dir);
}

TEST(GbenchExportCli, NoVerifyIsMarkedInBoth) {
  const std::string dir = testing::make_temp_dir("tb_gbench_export_nv_");
  const auto o = measure_and_export(dir, {"--no-verify"});
  const auto& live = o.live.at("benchmarks").at(0);
  const auto& exported = o.exported.at("benchmarks").at(0);
  EXPECT_EQ(live.at("verified"), 0);
  EXPECT_EQ(exported.at("verified"), 0);
  EXPECT_EQ(live.at("label"), "48x40x24 fwd fp32 UNVERIFIED");
  EXPECT_EQ(exported.at("label"), live.at("label"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tb
