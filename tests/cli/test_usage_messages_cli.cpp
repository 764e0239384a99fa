// Usage errors as one clean message: an unknown flag of gemm, attention or sweep named with its
// near miss as every other command names one (their Google Benchmark flags among the candidates),
// no device or dtype note before a refusal, and a missing positional said as what to give.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

using testing::run_trainbench;

// Exit 2 with exactly `line` on stderr, nothing before or after it (a note first would make two).
void expect_only(const std::vector<std::string>& args, const std::string& line) {
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "trainbench: " + line + "\n");
}

void expect_one_line_with(const std::vector<std::string>& args, const std::string& part) {
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << "wanted '" << part << "' in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.find("note"), std::string::npos) << r.err;
}

TEST(UsageMessagesCli, UnknownFlagsOfTheGbenchCommandsGetTheirNearMiss) {
  expect_only({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--layuot", "fwd"},
              "gemm: no flag --layuot (did you mean --layout?); trainbench gemm --help lists them");
  expect_only({"attention", "--device", "cpu", "--haeds", "4"},
              "attention: no flag --haeds (did you mean --heads?); trainbench attention --help lists them");
  expect_only({"sweep", "--device", "cpu", "--m-rang", "256"},
              "sweep: no flag --m-rang (did you mean --m-range?); trainbench sweep --help lists them");
  // As run answers the same typo: one wording for every command.
  expect_only({"run", "--modle", "gpt2-small"}, "run: no flag --modle (did you mean --model?); trainbench run --help lists them");
  // Google Benchmark's flags are candidates too: a dash for its underscore.
  expect_one_line_with({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark-format=json"},
                       "gemm: no flag --benchmark-format (did you mean --benchmark_format?)");
  // A word that is no flag at all.
  expect_one_line_with({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "stray"},
                       "gemm: unexpected argument 'stray'");
}

TEST(UsageMessagesCli, GbenchFlagTyposAreRefusedBeforeAnyNote) {
  for (const std::string& cmd : {"gemm", "attention", "sweep"}) {
    std::vector<std::string> args{cmd, "--device", "cpu", "--benchmark_formt=json"};
    if (cmd == "gemm") args.insert(args.end(), {"-m", "8", "-n", "8", "-k", "8"});
    expect_one_line_with(args, cmd + ": no Google Benchmark flag --benchmark_formt (did you mean --benchmark_format?); "
                                     "it takes --benchmark_list_tests, --benchmark_filter");
  }
  expect_one_line_with({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_repetitions=0"},
                       "gemm: --benchmark_repetitions=0: give a whole number of repetitions, 1 to 100000");
}

TEST(UsageMessagesCli, HealthRefusesAnUnknownSkuBeforeAnyNote) {
  const auto r = run_trainbench({"health", "--device", "cpu", "--sku", "nosuch"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("note"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("trainbench: ", 0), 0u) << r.err;
}

TEST(UsageMessagesCli, AMissingFileIsSaidAsWhatToGive) {
  expect_only({"report", "-o", "/tmp/r.html"},
              "report: give one or more results files: trainbench report A.json [B.json ...]");
  expect_only({"export"}, "export: give a results file: trainbench export A.json");
  expect_only({"compare"}, "compare: give one or more results files: trainbench compare A.json [B.json ...]");
  // A missing flag keeps CLI11's naming of it, after the command.
  expect_only({"gemm", "-n", "8", "-k", "8"}, "gemm: -m is required; trainbench gemm --help lists the flags");
}

TEST(UsageMessagesCli, SweepHelpSaysGbenchFlagsPassThrough) {
  const auto r = run_trainbench({"sweep", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Google Benchmark flags pass through: --benchmark_format=json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tb
