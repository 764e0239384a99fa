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

// An existing file that is not what a flag writes is refused (exit 2) and left as it was: the
// reviewer's `gemm --out build/cli/trainbench` replaced the binary with a results file. Each
// flag's own earlier output is replaced as before (harness/results/output_kind.hpp).
TEST_F(OutputFolderCli, EveryOutputFlagRefusesToReplaceAFileOfAnotherKind) {
  const std::string input = dir_ + "/in.json";
  results::write_results_file(input, synthetic_run({}));
  const std::string binary = dir_ + "/trainbench";
  const std::string elf = std::string("\x7f" "ELF\x02\x01\x01\x00", 8) + std::string(32, 'x');
  write_text(binary, elf);
  const std::vector<std::string> cpu_quick{"--device", "cpu", "--min-time", "0", "--max-time", "0.1"};
  auto with = [&](std::vector<std::string> args, const std::vector<std::string>& extra) {
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // {command line, what the message says the file is not}
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {with({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--out", binary}, cpu_quick),
       "a trainbench results file"},
      {with({"gemm", "-m", "32", "-n", "32", "-k", "32", "--out", binary}, cpu_quick), "a trainbench results file"},
      {with({"gemm", "-m", "32", "-n", "32", "-k", "32", "--benchmark_out=" + binary}, cpu_quick),
       "a Google Benchmark output file"},
      {with({"attention", "--batch", "1", "--heads", "1", "--seq", "64", "--head-dim", "32", "--out", binary},
            cpu_quick),
       "a trainbench results file"},
      {with({"sweep", "--m-range", "32", "--n-range", "32", "--k-range", "32", "--out", binary}, cpu_quick),
       "a trainbench results file"},
      {with({"health", "--out", binary}, cpu_quick), "a trainbench results file"},
      {{"comm", "--backend", "mpi", "--sizes", "4K", "--out", binary}, "a trainbench results file"},
      {{"report", input, "-o", binary}, "an HTML file"},
      {{"export", "--format", "gbench", input, "-o", binary}, "a Google Benchmark JSON file"},
      {{"compare", "--baseline", input, input, "--junit", binary}, "a JUnit XML file"},
      // A results file is no export, no report and no JUnit file: each is refused over it.
      {{"export", "--format", "gbench", input, "-o", dir_ + "/other.json"}, "a Google Benchmark JSON file"},
  };
  results::write_results_file(dir_ + "/other.json", synthetic_run({}));
  for (const auto& [args, what] : cases) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("the file exists and is not " + what), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("give another path, or remove the file first"), std::string::npos) << args[0] << ": " << r.err;
  }
  EXPECT_EQ(read_text(binary), elf);
  // Its own kind of earlier output, or an empty file, is replaced.
  const std::string earlier = dir_ + "/gemm.json";
  results::write_results_file(earlier, synthetic_run({}));
  const auto again = run_trainbench(with({"gemm", "-m", "32", "-n", "32", "-k", "32", "--out", earlier}, cpu_quick));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(results::read_results_file(earlier).workload.command, "gemm");
  const std::string html = dir_ + "/report.html";
  write_text(html, "<!DOCTYPE html>\n<html><body>old</body></html>\n");
  const auto report = run_trainbench({"report", input, "-o", html});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(read_text(html).find("old</body>"), std::string::npos);
  const std::string empty = dir_ + "/empty.json";  // as mktemp leaves it
  write_text(empty, "");
  const auto exported = run_trainbench({"export", "--format", "gbench", input, "-o", empty});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(read_text(empty).find("\"benchmarks\""), std::string::npos);
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
