// `trainbench run --out X` end to end, where X.partial.json is left from an earlier run or another
// run is writing X (cli/run_out_file.*): an earlier run's partial writes cleared when a run ends
// complete in X, anything else beside X kept, a second run refused before it measures, and a run
// killed with SIGKILL blocking nobody.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/output_lock.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// Small and quick: GPT-3 Small's widths at a short sequence, light timing.
const std::vector<std::string> kQuickRun = {"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64",
                                            "--device", "cpu", "--min-time", "0", "--max-time", "0.3",
                                            "--min-samples", "3", "--quiet", "--no-estimate"};

class RunOutFileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("tb_run_out_");
    out_ = dir_ + "/keep.json";
    partial_ = dir_ + "/keep.partial.json";
    lock_ = dir_ + "/keep.json.lock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CliResult quick_run(const std::string& env = "") const {
    auto args = kQuickRun;
    args.insert(args.end(), {"--out", out_});
    return run_trainbench(args, env);
  }
  std::string dir_, out_, partial_, lock_;
};

// An interrupted re-run left keep.partial.json; the complete run was then moved away, so the next
// run writes keep.json in place. When it ends complete, the older partial record beside it goes.
TEST_F(RunOutFileCli, AnEarlierRunsPartialFileIsRemovedWhenARunEndsCompleteInPlace) {
  const std::string started = "2026-01-02T03:04:05Z";
  write_text(partial_, nlohmann::json{{"schema_version", 1},
                                      {"status", "partial"},
                                      {"machine", {{"utc_time", started}}},
                                      {"workload", {{"command", "run"}}},
                                      {"kernels", nlohmann::json::array()}}
                           .dump());
  const CliResult r = quick_run();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(out_)).at("status"), "complete");
  EXPECT_FALSE(std::filesystem::exists(partial_)) << r.err;
  EXPECT_NE(r.err.find("trainbench: removed " + partial_ + ": an earlier run's partial writes (status partial, " +
                       "started " + started + "), older than this complete run in " + out_ + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(lock_)) << "a run that ended left its lock file";
}

// A file there that is not a results file is somebody's own: never removed, only named.
TEST_F(RunOutFileCli, AFileThatIsNotAResultsFileIsNeverRemoved) {
  const std::string notes = "notes on last night's run: node 3 was hot\n";
  write_text(partial_, notes);
  const CliResult r = quick_run();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(out_)).at("status"), "complete");
  EXPECT_EQ(read_text(partial_), notes);
  EXPECT_NE(r.err.find("trainbench: kept " + partial_ + " beside " + out_ +
                       ": it is not a trainbench results file"),
            std::string::npos)
      << r.err;
}

// The lock held by this test process stands for a run already writing keep.json: the second run
// refuses before it measures (no table, no file), exit 1, naming the file, the holder and what to do.
TEST_F(RunOutFileCli, ASecondRunOverTheSameFileRefusesBeforeMeasuring) {
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  const results::OutputLock held = results::OutputLock::acquire(out_, "--out", host, "2026-12-07T22:00:00Z", nullptr);
  ASSERT_TRUE(held.held());
  const CliResult r = quick_run();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--out " + out_ + " is being written by another run (pid " + std::to_string(::getpid()) +
                       " on " + host + ", started 2026-12-07T22:00:00Z), which holds " + lock_),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Let that run end, or give --out another file"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("Measuring"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out_));
  EXPECT_FALSE(std::filesystem::exists(partial_));
  EXPECT_EQ(nlohmann::json::parse(read_text(lock_)).at("pid").get<long long>(), static_cast<long long>(::getpid()))
      << "the refused run touched the holder's lock file";
}

// A run killed with SIGKILL (the OOM killer, `kill -9`) runs no code at its end: its lock file stays,
// but the kernel let go of the lock with the process, so the next run over the file goes ahead.
TEST_F(RunOutFileCli, ARunKilledWithSigkillDoesNotBlockTheNext) {
  const std::string mark = dir_ + "/sampling", script = dir_ + "/kill_after_mark.sh";
  write_text(script, "\"$@\" & pid=$!\n"
                     "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
                     "kill -KILL $pid; wait $pid\n");
  // Each kernel would sample for 60 s: the kill lands in the first.
  const CliResult killed = run_trainbench({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--device",
                                           "cpu", "--min-time", "60", "--max-time", "60", "--budget", "0", "--quiet",
                                           "--no-estimate", "--out", out_},
                                          "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
  ASSERT_EQ(killed.exit_code, 128 + 9) << killed.out << killed.err;
  ASSERT_TRUE(std::filesystem::exists(mark)) << "the run never reached its first sample";
  ASSERT_TRUE(std::filesystem::exists(lock_)) << "no lock file left behind: the case is not tested";
  const CliResult next = quick_run();
  ASSERT_EQ(next.exit_code, 0) << next.out << next.err;
  EXPECT_EQ(nlohmann::json::parse(read_text(out_)).at("status"), "complete");
  EXPECT_FALSE(std::filesystem::exists(lock_));
}

}  // namespace
}  // namespace tb::testing
