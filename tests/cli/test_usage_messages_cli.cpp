// Usage errors as one clean message: an unknown flag of gemm, attention or sweep named with its
// near miss as every other command names one (their Google Benchmark flags among the candidates),
// no device or dtype note before a refusal, and a missing positional said as what to give.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"
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
  // compare says what it takes alike with no file and with one: two side by side, or --baseline and
  // one or more current runs (it once asked for "one or more" and then refused one).
  const std::string both = "give two or more results files to set side by side (trainbench compare A.json B.json "
                           "...), or --baseline BASE.json and one or more current runs' files to gate them "
                           "(trainbench compare --baseline BASE.json CURRENT.json ...)";
  expect_only({"compare"}, "compare: " + both);
  expect_only({"compare", "a.json"}, "compare: one results file (a.json) has nothing to compare with: " + both);
  const auto gate = run_trainbench({"compare", "--baseline", "a.json"});
  EXPECT_EQ(gate.exit_code, 2) << gate.err;
  EXPECT_EQ(gate.err, "trainbench: compare --baseline: give the current run's results file(s) after the baseline: "
                      "trainbench compare --baseline BASE.json CURRENT.json ...\n");
  // A missing flag keeps CLI11's naming of it, after the command.
  expect_only({"gemm", "-n", "8", "-k", "8"}, "gemm: -m is required; trainbench gemm --help lists the flags");
}

// An unknown --model names the flag, as --site's refusal does, in every command that takes one.
TEST(UsageMessagesCli, AnUnknownModelNamesTheFlag) {
  const std::string unknown = "--model: unknown model 'gpt9' (did you mean gpt1?)";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"run", "--device", "cpu", "--model", "gpt9"},
           {"estimate", "--model", "gpt9"},
           {"comm", "--backend", "mpi", "--model", "gpt9"},
           {"comm", "--backend", "mpi", "--sizes", "4K", "--model", "gpt9"},
           {"compare", "a.json", "b.json", "--model", "gpt9"},
           {"report", "a.json", "-o", "/tmp/tb_model_flag_report.html", "--model", "gpt9"}})
    expect_one_line_with(args, unknown);
  expect_one_line_with({"estimate", "--model", "nope/gpt9.toml"}, "--model: nope/gpt9.toml: no such model config file");
}

// The results files' schema version in every --out help is the one the files are written in.
TEST(UsageMessagesCli, OutHelpNamesTheCurrentSchemaVersion) {
  const std::string version = "schema v" + std::to_string(tb::results::kSchemaVersion);
  for (const std::string cmd : {"gemm", "attention", "comm", "health"}) {
    const auto r = run_trainbench({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("(JSON, " + version), std::string::npos) << cmd << ": " << r.out;
    if (tb::results::kSchemaVersion != 1) EXPECT_EQ(r.out.find("schema v1"), std::string::npos) << cmd;
  }
}

TEST(UsageMessagesCli, SweepHelpSaysGbenchFlagsPassThrough) {
  const auto r = run_trainbench({"sweep", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Google Benchmark flags pass through: --benchmark_format=json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tb
