// Ctrl-C in `sweep` and `health`: the case it stopped is "interrupted" with the samples it took,
// and the cases never started are "skipped: not measured: the run was interrupted at ...", as
// `run` and `comm` write them (docs/results-schema.md), not "interrupted" with 0 samples.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

// `args` (each case 60 s long) sent SIGINT once sampling has provably started (the harness's test
// mark); the exit code and the results file it kept at `--out`.
struct Interrupted {
  testing::CliResult cli;
  results::RunResults kept;
};
Interrupted interrupted_while_sampling(std::vector<std::string> args) {
  const std::string dir = testing::make_temp_dir("tb_interrupt_");
  const std::string out = dir + "/r.json";
  const std::string mark = dir + "/sampling", script = dir + "/interrupt_after_mark.sh";
  testing::write_text(script,
                      "\"$@\" & pid=$!\n"
                      "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
                      "sleep 0.2; kill -INT $pid; wait $pid\n");
  args.insert(args.end(), {"--device", "cpu", "--min-time", "60", "--max-time", "60", "--max-samples", "100000000",
                           "--out", out});
  Interrupted r;
  r.cli = testing::run_trainbench(args, "TB_PEAK_CACHE=off TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
  if (std::filesystem::exists(out)) r.kept = results::read_results_file(out);
  std::filesystem::remove_all(dir);
  return r;
}

void expect_rest_skipped(const Interrupted& r, size_t cases) {
  EXPECT_EQ(r.cli.exit_code, 130) << r.cli.out << r.cli.err;
  ASSERT_EQ(r.kept.kernels.size(), cases) << r.cli.err;
  const auto& first = r.kept.kernels[0];
  EXPECT_EQ(first.status, "interrupted");
  EXPECT_GT(first.stats.samples, 0);  // the samples taken are kept
  for (size_t i = 1; i < cases; ++i) {
    const auto& k = r.kept.kernels[i];
    EXPECT_EQ(k.status, "skipped") << i << ": " << k.error;
    EXPECT_EQ(k.error, "not measured: the run was interrupted at " + first.name + " " + first.shape) << i;
    EXPECT_EQ(k.stats.samples, 0) << i;
  }
}

TEST(InterruptSkippedCli, ASweepsShapesNeverStartedAreSkipped) {
  const Interrupted r =
      interrupted_while_sampling({"sweep", "--m-range", "64,96,128", "--n-range", "64", "--k-range", "64", "--dtype", "fp32"});
  expect_rest_skipped(r, 3);
  EXPECT_NE(r.cli.err.find("skipped: not measured: the run was interrupted at sweep"), std::string::npos) << r.cli.err;
}

TEST(InterruptSkippedCli, AHealthBatterysKernelsNeverStartedAreSkipped) {
  const Interrupted r = interrupted_while_sampling({"health"});
  expect_rest_skipped(r, 4);  // three GEMMs and the streaming op
  EXPECT_NE(r.cli.out.find("not measured to the end (interrupted)"), std::string::npos) << r.cli.out;
}

}  // namespace
}  // namespace tb
