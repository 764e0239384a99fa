// `trainbench compare` on `trainbench comm` files, as a user runs it: two real one-rank MPI runs
// side by side (nccl-tests' columns, no % of a link nobody stated, no extrapolation table), the
// gate on them, the extrapolation flags refused, and a comm file beside a run file refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/report/synthetic_comm.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

namespace tb::testing {
namespace {

class CompareCommCli : public ResultsDirTest {
 protected:
  CompareCommCli() : ResultsDirTest("tb_compare_comm_") {}

  // A real one-rank run on host memory (MPI), quick.
  std::string measure(const std::string& name) {
    const std::string out = dir_ + "/" + name;
    const CliResult r = run_trainbench({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "4K,64K", "-n", "2",
                                        "-w", "1", "--min-samples", "5", "--max-samples", "20", "--min-time", "0",
                                        "--max-time", "5", "--out", out});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return out;
  }
};

TEST_F(CompareCommCli, TwoCommFilesSideBySideShowBusbwAndNoExtrapolationTable) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI: no host-memory collectives to run without a GPU";
#endif
  const std::string a = measure("a.json"), b = measure("b.json");
  const CliResult r = run_trainbench({"compare", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* column : {"A time (us)", "A algbw (GB/s)", "A busbw (GB/s)", "B busbw (GB/s)", "B/A busbw"})
    EXPECT_NE(r.out.find(column), std::string::npos) << column << "\n" << r.out;
  EXPECT_NE(line_of(r.out, "allreduce").find("4 KiB"), std::string::npos) << r.out;
  // One rank, host memory: no link to take a percentage of, so no such column (not 0.0).
  EXPECT_EQ(r.out.find("% peak"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("% link"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("TFLOP/s"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("PF-days"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no extrapolation: comm files measure collectives"), std::string::npos) << r.out;
  // One rank's all-reduce busbw is 0 (2(n-1)/n): no ratio of zeros.
  EXPECT_NE(r.out.find("one rank crosses no link"), std::string::npos) << r.out;

  const CliResult j = run_trainbench({"compare", a, b, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["kind"], "comm");
  ASSERT_EQ(doc["rows"].size(), 4u);  // 2 sizes, each out of place and in place (docs/comm.md)
  EXPECT_EQ(doc["rows"][0]["bytes"], 4096);
  EXPECT_FALSE(doc["rows"][0]["in_place"].get<bool>());
  EXPECT_TRUE(doc["rows"][1]["in_place"].get<bool>());
  EXPECT_NE(r.out.find("allreduce (in place)"), std::string::npos) << r.out;

  // The training extrapolation's flags have nothing to act on: refused, named.
  const CliResult flags = run_trainbench({"compare", a, b, "--gpus", "8"});
  EXPECT_EQ(flags.exit_code, 2) << flags.out;
  EXPECT_NE(flags.err.find("--gpus: comm files have no training step to extrapolate"), std::string::npos) << flags.err;

  // The gate on them judges each row (exit 0, 1 or 3, whatever one-rank noise does) and shows busbw.
  const CliResult gate = run_trainbench({"compare", "--baseline", a, b});
  EXPECT_NE(gate.exit_code, 2) << gate.out << gate.err;
  EXPECT_NE(gate.out.find("baseline busbw (GB/s)"), std::string::npos) << gate.out << gate.err;
}

TEST_F(CompareCommCli, ACommFileBesideARunFileIsOneClearRefusal) {
  const std::string comm = write("comm.json", synthetic_comm_run({}));
  const std::string run = write("run.json", synthetic_run({}));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"compare", comm, run},
           {"compare", run, comm, "--allow-different-shapes"},
           {"compare", "--baseline", comm, run, "--allow-different-shapes", "--allow-different-device"}}) {
    const CliResult r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(comm + " is a `trainbench comm` file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(run + " a `trainbench run` file"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tb::testing
