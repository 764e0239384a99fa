// Every command that measures into a results file holds `run`'s lock on it
// (cli/output_lock_flag.hpp): with the lock held (here by this test process, standing for a
// command already writing the file) a second refuses before it measures anything, exit 1, naming
// the file, the holder and what to do; with the lock let go the same command line measures and
// writes the file, and leaves no lock file behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/output_lock.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

struct LockedCommand {
  std::string name;
  std::vector<std::string> args;  // without the output flag
  std::string flag;               // "--out" or "--benchmark_out"
  bool needs_mpi = false;
};

// Small and quick on a CPU: each would measure for well under a second.
const std::vector<std::string> kQuickTiming = {"--min-time", "0", "--max-time", "0.1", "--min-samples", "3"};

std::vector<LockedCommand> locked_commands() {
  auto quick = [](std::vector<std::string> args) {
    args.insert(args.end(), kQuickTiming.begin(), kQuickTiming.end());
    return args;
  };
  return {
      {"gemm", quick({"gemm", "-m", "32", "-n", "32", "-k", "32", "--device", "cpu", "--dtype", "fp32"}), "--out"},
      {"gemm_benchmark_out",
       quick({"gemm", "-m", "32", "-n", "32", "-k", "32", "--device", "cpu", "--dtype", "fp32"}), "--benchmark_out"},
      {"attention",
       quick({"attention", "--device", "cpu", "--batch", "1", "--heads", "2", "--seq", "32", "--head-dim", "64"}),
       "--out"},
      {"sweep",
       quick({"sweep", "--device", "cpu", "--dtype", "fp32", "--m-range", "32", "--n-range", "32", "--k-range", "32"}),
       "--out"},
      {"health", quick({"health", "--device", "cpu", "--dtype", "fp32"}), "--out"},
      {"comm", {"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K", "-n", "2", "-w", "1",
                "--min-samples", "3", "--max-samples", "10", "--min-time", "0", "--max-time", "1"},
       "--out", true},
  };
}

// gtest names a failing case by this, not by the struct's bytes.
void PrintTo(const LockedCommand& command, std::ostream* os) { *os << command.name; }

class OutLockCli : public ::testing::TestWithParam<LockedCommand> {
 protected:
  void SetUp() override {
    if (GetParam().needs_mpi) {
#if !TB_TEST_HAVE_MPI
      GTEST_SKIP() << "built without MPI: comm has no host-memory collectives to run";
#endif
    }
    dir_ = make_temp_dir("tb_out_lock_");
    out_ = dir_ + "/kept.json";
    mark_ = dir_ + "/sampling";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  CliResult run_it() const {
    std::vector<std::string> args = GetParam().args;
    if (GetParam().flag == "--out") args.insert(args.end(), {"--out", out_});
    else args.push_back(GetParam().flag + "=" + out_);
    return run_trainbench(args, "TRAINBENCH_TEST_SAMPLING_MARK=" + mark_);
  }
  std::string dir_, out_, mark_;
};

TEST_P(OutLockCli, ASecondWriterRefusesBeforeMeasuringAndRunsOnceTheLockIsLetGo) {
  const std::string lock = out_ + ".lock";
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  {
    const results::OutputLock held =
        results::OutputLock::acquire(out_, GetParam().flag, host, "2026-12-08T01:00:00Z", nullptr);
    ASSERT_TRUE(held.held());
    const CliResult r = run_it();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(GetParam().flag + " " + out_ + " is being written by another run (pid " +
                         std::to_string(::getpid()) + " on " + host + ", started 2026-12-08T01:00:00Z), which holds " +
                         lock),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Let that run end, or give " + GetParam().flag + " another file"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(mark_)) << "it sampled before it refused";
    EXPECT_FALSE(std::filesystem::exists(out_));
    EXPECT_EQ(nlohmann::json::parse(read_text(lock)).at("pid").get<long long>(), static_cast<long long>(::getpid()))
        << "the refused command touched the holder's lock file";
  }
  // The same command line, unlocked: it measures, writes the file, and takes its lock file away.
  const CliResult r = run_it();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(mark_)) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out_)) << r.err;
  EXPECT_FALSE(std::filesystem::exists(lock)) << "a command that ended left its lock file";
}

// --out and --benchmark_out naming one file would be two writers in one command, each lock
// taken by it: a usage error before anything, not "another run" that is the command itself.
TEST(OutLockCli, BenchmarkOutOnTheOutFileIsAUsageError) {
  const std::string dir = make_temp_dir("tb_out_lock_same_");
  const std::string out = dir + "/both.json";
  const CliResult r = run_trainbench({"gemm", "-m", "32", "-n", "32", "-k", "32", "--device", "cpu", "--dtype", "fp32",
                                      "--out", out, "--benchmark_out=" + dir + "/./both.json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--benchmark_out " + dir + "/./both.json is --out's file too"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("another run"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".lock"));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(MeasuringCommands, OutLockCli, ::testing::ValuesIn(locked_commands()),
                         [](const ::testing::TestParamInfo<LockedCommand>& info) { return info.param.name; });

}  // namespace
}  // namespace tb::testing
