// `comm` records the host's load as every measuring command does, so that the regression gate's
// busy-host rule (harness/compare/host_conditions.hpp) reads comm files as it reads run files:
// without it, two identical comm runs on a busy host once read "29.68% slower", exit 1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/results_io.hpp"
#include "harness/timing/sample_stats.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// The same file with every sample `factor` times longer, its statistics and bandwidths recomputed
// from them so that readers accept it (a kernel's median must be its samples', GB/s its bytes over
// that median).
results::RunResults slower_by(results::RunResults run, double factor) {
  for (auto& k : run.kernels) {
    for (double& s : k.samples_ms) s *= factor;
    const double old_algbw = k.algbw_gb_s.value_or(0);
    k.stats = timing::summarize(k.samples_ms);
    k.gbps = k.bytes / (k.stats.median_ms * 1e-3) / 1e9;
    k.tflops = k.flops / (k.stats.median_ms * 1e-3) / 1e12;
    if (k.algbw_gb_s) k.algbw_gb_s = k.gbps;
    if (k.busbw_gb_s && old_algbw > 0) k.busbw_gb_s = *k.busbw_gb_s * k.gbps / old_algbw;
  }
  run.machine.utc_time = "2026-01-02T00:00:00Z";  // another run, not the baseline given twice
  return run;
}

// The host's load per CPU at the start of a run, as a file records it.
results::RunResults with_load(results::RunResults run, double load_per_cpu) {
  run.machine.load_avg_1m = load_per_cpu * run.machine.host_cpus;
  return run;
}

TEST(CommHostLoadCli, ACommFileRecordsTheLoadAndTheGateHoldsASlowdownOnABusyHost) {
#if !TB_TEST_HAVE_MPI
  GTEST_SKIP() << "built without MPI: no host-memory collectives to run without a GPU";
#endif
  const std::string dir = make_temp_dir("tb_comm_load_");
  const std::string out = dir + "/comm.json";
  const CliResult r = run_trainbench({"comm", "--backend", "mpi", "--op", "allreduce", "--sizes", "64K,1M", "-n", "2",
                                      "-w", "1", "--min-samples", "10", "--max-samples", "10", "--min-time", "0",
                                      "--max-time", "5", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto machine = nlohmann::json::parse(read_text(out)).at("machine");
  ASSERT_TRUE(machine.contains("load_avg_1m")) << machine.dump();
  EXPECT_GE(machine.at("load_avg_1m").get<double>(), 0.0);
  EXPECT_EQ(machine.at("host_cpus").get<int>(), static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));

  // Every size 30% slower, one run a side: on a quiet host a regression, on a busy one (the CPU
  // backend shares its cores with everything else) unjudged, as for run files.
  const results::RunResults measured = results::read_results_file(out);
  auto gate = [&](double load_per_cpu) {
    const std::string base = dir + "/base.json", cur = dir + "/cur.json";
    std::filesystem::remove(base);
    std::filesystem::remove(cur);
    results::write_results_file(base, with_load(measured, load_per_cpu));
    results::write_results_file(cur, with_load(slower_by(measured, 1.3), load_per_cpu));
    return run_trainbench({"compare", "--baseline", base, cur});
  };
  const CliResult quiet = gate(0.0);
  EXPECT_EQ(quiet.exit_code, 1) << quiet.out << quiet.err;
  EXPECT_NE(quiet.out.find("REGRESSION"), std::string::npos) << quiet.out;
  const CliResult busy = gate(1.0);
  EXPECT_EQ(busy.exit_code, 3) << busy.out << busy.err;
  EXPECT_NE(busy.out.find("the CPU backend's host was busy"), std::string::npos) << busy.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tb::testing
