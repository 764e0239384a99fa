// `trainbench report results/*.json` over what the README's workflows leave in results/: a run
// (SYNTHETIC), and real quick CPU health, sweep, gemm and comm files. Each kind gets its section,
// a kind without one is named and left out, and an unreadable file still refuses the report.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/report_page.hpp"
#include "tests/support/results_dir_test.hpp"

using tb::testing::read_text;
using tb::testing::run_trainbench;

namespace {

class ReportKindsCli : public tb::testing::ResultsDirTest {
 protected:
  ReportKindsCli() : ResultsDirTest("tb_report_kinds_cli_") {}
  nlohmann::json file_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }
};

// Quick timing for the real commands: a report test, not a measurement.
const std::vector<std::string> kQuick{"--min-time", "0", "--max-time", "0.05"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_F(ReportKindsCli, RunHealthSweepGemmAndCommFilesEachGetTheirSection) {
  const std::string run = write("run.json", tb::testing::synthetic_run({}));
  const std::string health = dir_ + "/node.json", sweep = dir_ + "/sweep.json", gemm = dir_ + "/gemm.json";
  // A busy host may find the CPU suspect (exit 1): the file is written either way.
  const auto h = run_trainbench(with({"health", "--device", "cpu", "--out", health}, kQuick));
  ASSERT_TRUE(h.exit_code == 0 || h.exit_code == 1) << h.err;
  ASSERT_EQ(run_trainbench(with({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "32:64:32", "--n-range",
                                 "48", "--k-range", "16,40", "--out", sweep},
                                kQuick))
                .exit_code,
            0);
  ASSERT_EQ(run_trainbench(with({"gemm", "-m", "48", "-n", "40", "-k", "24", "--device", "cpu", "--dtype", "fp32",
                                 "--out", gemm},
                                kQuick))
                .exit_code,
            0);
  std::vector<std::string> files{run, health, sweep, gemm};
  std::string comm;
#if TB_TEST_HAVE_MPI
  comm = dir_ + "/comm.json";
  ASSERT_EQ(run_trainbench(with({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K,8K", "-n", "1", "--out",
                                 comm},
                                kQuick))
                .exit_code,
            0);
  files.push_back(comm);
#endif
  // Before sections per kind, the run beside the health file was refused as "different workloads".
  const std::string html = dir_ + "/r.html";
  std::vector<std::string> args{"report"};
  args.insert(args.end(), files.begin(), files.end());
  const auto r = run_trainbench(with(args, {"-o", html, "--chartjs", tb::testing::write_fake_chartjs(dir_)}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto data = tb::testing::report_page_data(html);
  ASSERT_TRUE(data.is_object());

  ASSERT_EQ(data["side_by_side"]["runs"].size(), 1u);
  EXPECT_EQ(data["side_by_side"]["runs"][0]["origin"], run);

  ASSERT_EQ(data["health"].size(), 1u);
  EXPECT_EQ(data["health"][0]["origin"], health);
  EXPECT_EQ(data["health"][0]["health"]["verdict"], file_json(health)["health"]["verdict"]);
  EXPECT_EQ(data["health"][0]["health"]["checks"].size(), file_json(health)["health"]["checks"].size());

  // The sweep: every shape, fastest first, and the best is the fastest the file holds.
  ASSERT_EQ(data["sweeps"].size(), 1u);
  const auto& s = data["sweeps"][0];
  const auto sweep_kernels = file_json(sweep)["kernels"];
  ASSERT_EQ(s["shapes"].size(), sweep_kernels.size());
  double fastest = 0;
  for (const auto& k : sweep_kernels) fastest = std::max(fastest, k["tflops"].get<double>());
  EXPECT_DOUBLE_EQ(s["best"]["tflops"].get<double>(), fastest);
  for (size_t i = 1; i < s["shapes"].size(); ++i)
    EXPECT_GE(s["shapes"][i - 1]["tflops"].get<double>(), s["shapes"][i]["tflops"].get<double>());
  EXPECT_EQ(s["shapes_measured"], sweep_kernels.size());

  // gemm: its kernel row, the file's figures.
  ASSERT_EQ(data["kernel_files"].size(), 1u);
  const auto gemm_kernel = file_json(gemm)["kernels"][0];
  EXPECT_EQ(data["kernel_files"][0]["command"], "gemm");
  EXPECT_EQ(data["kernel_files"][0]["rows"][0]["shape"], gemm_kernel["shape"]);
  EXPECT_DOUBLE_EQ(data["kernel_files"][0]["rows"][0]["tflops"].get<double>(), gemm_kernel["tflops"].get<double>());

  // comm: nccl-tests' columns, busbw as the file holds it; one rank has no average to compare.
  if (!comm.empty()) {
    ASSERT_EQ(data["comm"].size(), 1u);
    const auto& c = data["comm"][0];
    const auto comm_kernels = file_json(comm)["kernels"];
    ASSERT_EQ(c["rows"].size(), comm_kernels.size());
    for (size_t i = 0; i < comm_kernels.size(); ++i) {
      EXPECT_EQ(c["rows"][i]["bytes"], comm_kernels[i]["dims"]["bytes"]);
      EXPECT_DOUBLE_EQ(c["rows"][i]["busbw_gb_s"].get<double>(), comm_kernels[i]["busbw_gb_s"].get<double>());
      EXPECT_DOUBLE_EQ(c["rows"][i]["algbw_gb_s"].get<double>(), comm_kernels[i]["algbw_gb_s"].get<double>());
    }
    EXPECT_EQ(c["rows"][0]["bytes"], 4096);
    EXPECT_EQ(c["ranks"], 1);
    EXPECT_TRUE(c["avg_busbw_gb_s"].is_null());
  }
  EXPECT_TRUE(data["not_drawn"].empty());
  EXPECT_TRUE(data["gate"].is_null());
}

// A kind without a section (a newer trainbench's command) is one line in the page and on stderr;
// the rest is drawn. With nothing drawable, the report is refused, naming the files.
TEST_F(ReportKindsCli, AKindWithoutASectionIsNamedNotARefusal) {
  auto odd = tb::testing::synthetic_run({});
  odd.workload.command = "memtest";
  const std::string run = write("run.json", tb::testing::synthetic_run({})), other = write("memtest.json", odd);
  const std::string html = dir_ + "/r.html", chartjs = tb::testing::write_fake_chartjs(dir_);
  const auto r = run_trainbench({"report", run, other, "-o", html, "--chartjs", chartjs});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(other + ": workload.command 'memtest' is a kind of results file this report has no section for"),
            std::string::npos)
      << r.err;
  const auto data = tb::testing::report_page_data(html);
  ASSERT_EQ(data["not_drawn"].size(), 1u);
  EXPECT_NE(data["not_drawn"][0].get<std::string>().find(other), std::string::npos);
  EXPECT_EQ(data["side_by_side"]["runs"].size(), 1u);

  std::filesystem::remove(html);
  const auto none = run_trainbench({"report", other, "-o", html, "--chartjs", chartjs});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("none of the files is of a kind the report draws"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find(other + " ('memtest')"), std::string::npos) << none.err;
  EXPECT_FALSE(std::filesystem::exists(html));
}

// Grouping by kind loosens nothing else: an unreadable file refuses the whole report (naming it),
// a health file at odds with itself is refused as a run would be, and two runs of different
// models are still refused as different workloads.
TEST_F(ReportKindsCli, UnreadableOrInconsistentFilesAndDifferentRunsAreStillRefused) {
  const std::string run = write("run.json", tb::testing::synthetic_run({}));
  const std::string html = dir_ + "/r.html", chartjs = tb::testing::write_fake_chartjs(dir_);
  const std::string truncated = dir_ + "/truncated.json";
  const std::string text = read_text(run);
  tb::testing::write_text(truncated, text.substr(0, text.size() / 2));
  auto r = run_trainbench({"report", run, truncated, "-o", html, "--chartjs", chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(truncated + ": results file is truncated or corrupted"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(html));

  auto edited = tb::results::to_json(tb::testing::synthetic_run({}));
  edited["workload"]["command"] = "health";
  for (auto& v : edited["kernels"][0]["samples_ms"]) v = v.get<double>() * 2;  // its median no longer theirs
  const std::string bad_health = dir_ + "/health.json";
  tb::testing::write_text(bad_health, edited.dump());
  r = run_trainbench({"report", run, bad_health, "-o", html, "--chartjs", chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(bad_health), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(html));

  tb::testing::SyntheticRunSpec small;
  small.model = "gpt2-small";
  small.tensor_parallel = 1;
  r = run_trainbench({"report", run, write("small.json", tb::testing::synthetic_run(small)), "-o", html, "--chartjs",
                      chartjs});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("measured different models"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--allow-different-shapes"), std::string::npos) << r.err;
}
