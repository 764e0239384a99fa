// The Google Benchmark flags trainbench checks before any device work are the ones the linked
// library takes: each is consumed by benchmark::Initialize, and a misspelt one is not. Each in a
// child process (a death test): Initialize sets the library's global flags for good.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "tests/support/usage_message.hpp"

namespace tb::runner {
namespace {

// Whether Initialize takes `arg` (argc back to 1), as an exit code: 0 taken, 1 left over.
[[noreturn]] void exit_with_whether_taken(const std::string& arg) {
  std::string program = "trainbench", flag = arg;
  char* argv[] = {program.data(), flag.data(), nullptr};
  int argc = 2;
  benchmark::Initialize(&argc, argv);
  std::exit(argc == 1 ? 0 : 1);
}

TEST(GbenchFlagsDeathTest, EveryNamedFlagIsTheLinkedLibrarys) {
  // A value each flag's parser accepts (an invalid one would make Initialize exit on its own).
  const std::map<std::string, std::string> value = {{"--benchmark_filter", "."},
                                                    {"--benchmark_min_time", "0.01"},
                                                    {"--benchmark_min_warmup_time", "0"},
                                                    {"--benchmark_repetitions", "1"},
                                                    {"--benchmark_format", "json"},
                                                    {"--benchmark_out_format", "json"},
                                                    {"--benchmark_out", "/dev/null"},
                                                    {"--benchmark_color", "false"},
                                                    {"--benchmark_perf_counters", ""},
                                                    {"--benchmark_context", "a=b"},
                                                    {"--benchmark_time_unit", "ms"}};
  for (const auto& flag : gbench_flag_names()) {
    const auto v = value.find(flag);
    const std::string arg = flag + "=" + (v == value.end() ? "false" : v->second);
    EXPECT_EXIT(exit_with_whether_taken(arg), ::testing::ExitedWithCode(0), "") << arg;
  }
  EXPECT_EXIT(exit_with_whether_taken("--benchmark_formt=json"), ::testing::ExitedWithCode(1), "");
}

TEST(GbenchFlags, AMisspeltFlagIsRefusedWithItsNearMiss) {
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_format=json", "--benchmark_repetitions=3"}); }),
            "(no error)");
  const std::string typo = testing::message_of([] { check_gbench_args({"--benchmark_formt=json"}); });
  EXPECT_EQ(typo.rfind("no Google Benchmark flag --benchmark_formt (did you mean --benchmark_format?); it takes "
                       "--benchmark_list_tests, ",
                       0),
            0u)
      << typo;
  EXPECT_NE(testing::message_of([] { check_gbench_args({"--benchmark_repetitions=0"}); }).find("1 to 100000"),
            std::string::npos);
}

// Google Benchmark prints its usage and exits 0 on a value it does not know or a bare flag that
// needs one: `gemm --benchmark_format=jsno` measured nothing and passed.
TEST(GbenchFlags, AValueGoogleBenchmarkDoesNotKnowIsRefused) {
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_format=jsno"}); }),
            "--benchmark_format=jsno: accepted values are console, json, csv");
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_format=jsn"}); }),
            "--benchmark_format=jsn: accepted values are console, json, csv (did you mean json?)");
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_out_format=xml"}); }).rfind(
                "--benchmark_out_format=xml: accepted values are console, json, csv", 0),
            0u);
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_time_unit=sec"}); }).rfind(
                "--benchmark_time_unit=sec: accepted values are ns, us, ms, s", 0),
            0u);
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_format"}); }),
            "--benchmark_format needs a value: --benchmark_format=console|json|csv");
  EXPECT_EQ(testing::message_of([] { check_gbench_args({"--benchmark_filter"}); }),
            "--benchmark_filter needs a value: --benchmark_filter=VALUE");
  // A boolean flag stands alone; accepted values pass.
  EXPECT_EQ(testing::message_of([] {
              check_gbench_args({"--benchmark_list_tests", "--benchmark_out_format=csv", "--benchmark_time_unit=us"});
            }),
            "(no error)");
}

}  // namespace
}  // namespace tb::runner
