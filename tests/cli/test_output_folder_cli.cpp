// An output path in a folder that does not exist is a typo until shown otherwise: `--out
// reslts/run.json` must not make a new folder after minutes of measuring. Every command with an
// output flag refuses it before any work (exit 2), naming the flag and the missing folder, and
// creates nothing (harness/results/output_path.hpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/results/results_io.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

class OutputFolderCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("tb_out_folder_"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(OutputFolderCli, EveryOutputFlagRefusesAMissingFolderAndCreatesNothing) {
  const std::string input = dir_ + "/in.json";
  results::write_results_file(input, synthetic_run({}));
  const std::string missing = dir_ + "/reslts";  // the typo: results/ was meant
  const std::string out = missing + "/out.json";
  const std::vector<std::string> cpu_quick{"--device", "cpu", "--min-time", "0", "--max-time", "0.1"};
  auto with = [&](std::vector<std::string> args, const std::vector<std::string>& extra) {
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // {command line, the flag its message must name}
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {with({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--out", out}, cpu_quick), "--out"},
      {with({"gemm", "-m", "32", "-n", "32", "-k", "32", "--out", out}, cpu_quick), "--out"},
      {with({"gemm", "-m", "32", "-n", "32", "-k", "32", "--benchmark_out=" + out}, cpu_quick), "--benchmark_out"},
      {with({"attention", "--batch", "1", "--heads", "1", "--seq", "64", "--head-dim", "32", "--out", out}, cpu_quick),
       "--out"},
      {with({"sweep", "--m-range", "32", "--n-range", "32", "--k-range", "32", "--out", out}, cpu_quick), "--out"},
      {with({"health", "--out", out}, cpu_quick), "--out"},
      {{"comm", "--backend", "mpi", "--sizes", "4K", "--out", out}, "--out"},
      {{"report", input, "-o", missing + "/r.html"}, "-o/--out"},
      {{"export", "--format", "gbench", input, "-o", out}, "-o/--out"},
      {{"compare", "--baseline", input, input, "--junit", missing + "/junit.xml"}, "--junit"},
  };
  for (const auto& [args, flag] : cases) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("folder " + missing + " does not exist"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("mkdir -p " + missing), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(missing)) << args[0] << " created " << missing;
    // The measuring commands refuse it as their flags are parsed, in one form ("--out: PATH: ..."),
    // before a backend is made: no note of one (the OpenBLAS or busy-host notes) comes first.
    if (flag == "--out") {
      EXPECT_EQ(r.err.rfind("trainbench: --out: " + out + ": folder " + missing + " does not exist", 0), 0u)
          << args[0] << ": " << r.err;
    }
  }
  // With the folder made first, the same output is written (the check is not a blanket refusal).
  std::filesystem::create_directory(missing);
  const auto ok = run_trainbench({"export", "--format", "gbench", input, "-o", out});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(std::filesystem::is_regular_file(out));
}

// Without --out, `run` writes under results/, a folder of its own choosing: that one it makes.
// Run from a fresh working directory, so that nothing lands in the repository's results/.
TEST_F(OutputFolderCli, RunMakesItsOwnDefaultResultsFolder) {
  const auto r = run_trainbench({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--device", "cpu",
                                 "--min-time", "0", "--max-time", "0.05", "--min-samples", "3", "--quiet",
                                 "--no-estimate"},
                                "cd '" + dir_ + "' &&");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(std::filesystem::is_directory(dir_ + "/results"));
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/results"))
    files += entry.path().extension() == ".json" ? 1 : 0;
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace tb::testing
