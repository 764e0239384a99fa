// `trainbench gemm` as a user runs it: JSON fields, Google Benchmark pass-through, results
// file, a planted wrong result (exit 1), and bad input (exit 2, naming the flag).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "harness/results/results_io.hpp"
#include "kernels/cpu/gemm_kernel.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

using testing::run_trainbench;

std::vector<std::string> gemm_args(std::vector<std::string> extra) {
  std::vector<std::string> a{"gemm", "-m", "48", "-n", "40", "-k", "24", "--device", "cpu", "--dtype", "fp32",
                             "--min-time", "0", "--max-time", "0.3", "--max-samples", "50"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(GemmCli, JsonHasTheDocumentedFields) {
  for (const std::string layout : {"fwd", "dgrad", "wgrad"}) {
    const auto r = run_trainbench(gemm_args({"--layout", layout, "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("m"), 48);
    EXPECT_EQ(j.at("n"), 40);
    EXPECT_EQ(j.at("k"), 24);
    EXPECT_EQ(j.at("dtype"), "fp32");
    EXPECT_EQ(j.at("device"), "cpu");
    EXPECT_EQ(j.at("layout"), layout);
    EXPECT_GT(j.at("median_ms").get<double>(), 0);
    EXPECT_NEAR(j.at("tflops").get<double>(), 2.0 * 48 * 40 * 24 / (j.at("median_ms").get<double>() * 1e-3) / 1e12,
                1e-9);
    EXPECT_GE(j.at("samples").get<int>(), 10);
    EXPECT_TRUE(j.contains("rel_noise"));
    EXPECT_EQ(j.at("verified"), true);
    EXPECT_EQ(j.at("status"), "ok");
  }
}

TEST(GemmCli, TableByDefault) {
  const auto r = run_trainbench(gemm_args({}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("median ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TFLOP/s"), std::string::npos) << r.out;
}

TEST(GemmCli, PlantedWrongResultExitsOneAndIsRecorded) {
  const std::string dir = testing::make_temp_dir("tb_gemm_");
  const std::string out = dir + "/r.json";
  const auto r = run_trainbench(gemm_args({"--out", out}), "TRAINBENCH_TEST_CORRUPT_OUTPUT=1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("WRONG RESULT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tolerance"), std::string::npos) << r.err;
  const auto run = results::read_results_file(out);
  EXPECT_EQ(run.status, "failed");
  ASSERT_EQ(run.kernels.size(), 1u);
  EXPECT_FALSE(run.kernels[0].verified);
  EXPECT_EQ(run.kernels[0].status, "failed");
  std::filesystem::remove_all(dir);
}

TEST(GemmCli, ResultsFileHasMachineAndSamples) {
  const std::string dir = testing::make_temp_dir("tb_gemm_");
  const std::string out = dir + "/r.json";
  const auto r = run_trainbench(gemm_args({"--out", out}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto run = results::read_results_file(out);
  EXPECT_EQ(run.status, "complete");
  EXPECT_EQ(run.workload.command, "gemm");
  EXPECT_EQ(run.machine.backend, "cpu");
  EXPECT_NE(run.machine.command_line.find("gemm"), std::string::npos);
  EXPECT_FALSE(run.machine.utc_time.empty());
  ASSERT_EQ(run.kernels.size(), 1u);
  EXPECT_EQ(run.kernels[0].samples_ms.size(), static_cast<size_t>(run.kernels[0].stats.samples));
  std::filesystem::remove_all(dir);
}

TEST(GemmCli, GoogleBenchmarkJsonCarriesOurCounters) {
  const auto r = run_trainbench(gemm_args({"--benchmark_format=json", "--benchmark_repetitions=2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  int iterations = 0;
  for (const auto& b : j.at("benchmarks")) {
    if (b.at("run_type") != "iteration") continue;
    ++iterations;
    EXPECT_NE(b.at("name").get<std::string>().find("gemm/48x40x24/fwd/fp32"), std::string::npos);
    EXPECT_EQ(b.at("verified"), 1);
    EXPECT_GT(b.at("TFLOPS").get<double>(), 0);
    EXPECT_GE(b.at("samples").get<double>(), 10);
    EXPECT_TRUE(b.contains("rel_noise"));
    EXPECT_TRUE(b.contains("pct_of_peak"));
    // Manual time is the median of our samples.
    EXPECT_NEAR(b.at("real_time").get<double>(), b.at("median_ms").get<double>(), 1e-9);
  }
  EXPECT_EQ(iterations, 2);
}

// outliers is a count, set in every repetition, 0 included: Google Benchmark averages a counter
// over the repetitions that set it, so one set only where > 0 read {4, 0, 0} as a mean of 4. Two
// samples a repetition can have no outlier (both sit within 5 robust sigmas of their median), so
// every repetition's is 0, and so is the cv aggregate, which google/benchmark 1.7 wrote as NaN.
TEST(GemmCli, GoogleBenchmarkOutliersCounterIsSetEvenAtZeroAndTheJsonParses) {
  const std::string dir = testing::make_temp_dir("tb_gemm_");
  const auto r = run_trainbench({"gemm", "-m", "48", "-n", "40", "-k", "24", "--device", "cpu", "--dtype", "fp32",
                                 "--min-time", "0", "--max-time", "0.3", "--min-samples", "2", "--max-samples", "2",
                                 "--benchmark_format=json", "--benchmark_repetitions=3",
                                 "--benchmark_out=" + dir + "/gb.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& text : {r.out, testing::read_text(dir + "/gb.json")}) {
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(text)) << text;
    int iterations = 0;
    std::set<std::string> aggregates;
    for (const auto& b : j.at("benchmarks")) {
      ASSERT_TRUE(b.contains("outliers")) << b.dump();
      EXPECT_EQ(b.at("outliers").get<double>(), 0) << b.dump();
      if (b.at("run_type") == "iteration") {
        ++iterations;
        EXPECT_EQ(b.at("samples").get<double>(), 2);
      } else {
        aggregates.insert(b.at("aggregate_name").get<std::string>());
      }
    }
    EXPECT_EQ(iterations, 3);
    EXPECT_TRUE(aggregates.count("mean") && aggregates.count("cv")) << text;
  }
  std::filesystem::remove_all(dir);
}

TEST(GemmCli, GoogleBenchmarkOutFileAndFilter) {
  const std::string dir = testing::make_temp_dir("tb_gemm_");
  const auto r = run_trainbench(gemm_args({"--benchmark_out=" + dir + "/gb.json", "--benchmark_out_format=json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(testing::read_text(dir + "/gb.json"));
  EXPECT_EQ(j.at("benchmarks").size(), 1u);
  // A filter that selects nothing measured nothing: no "complete" file for a nightly job to trust.
  const auto none = run_trainbench(gemm_args({"--benchmark_filter=^nothing$", "--json", "--out", dir + "/none.json"}));
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/none.json"));
  std::filesystem::remove_all(dir);
}

// A 60 s gemm measurement sent `signal` once sampling has provably started (the harness's test
// mark; a fixed delay flaked on a loaded 2-core CI machine): its exit and the results file it kept.
struct Signalled {
  testing::CliResult cli;
  results::RunResults kept;
};
Signalled gemm_signalled_while_sampling(const std::string& signal) {
  const std::string dir = testing::make_temp_dir("tb_gemm_");
  const std::string out = dir + "/r.json";
  const std::string mark = dir + "/sampling", script = dir + "/signal_after_mark.sh";
  testing::write_text(script,
                      "\"$@\" & pid=$!\n"
                      "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
                      "sleep 0.2; kill -" + signal + " $pid; wait $pid\n");
  Signalled s;
  s.cli = run_trainbench({"gemm", "-m", "64", "-n", "64", "-k", "64", "--device", "cpu", "--dtype", "fp32",
                          "--min-time", "60", "--max-time", "60", "--max-samples", "100000000", "--out", out},
                         "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
  if (std::filesystem::exists(out)) s.kept = results::read_results_file(out);
  std::filesystem::remove_all(dir);
  return s;
}

TEST(GemmCli, InterruptKeepsWhatWasMeasured) {
  const Signalled s = gemm_signalled_while_sampling("INT");
  EXPECT_EQ(s.cli.exit_code, 130) << s.cli.err;  // Ctrl-C, as the shell reports it (and as `run` exits)
  EXPECT_NE(s.cli.err.find("interrupted"), std::string::npos) << s.cli.err;
  ASSERT_EQ(s.kept.kernels.size(), 1u);
  EXPECT_EQ(s.kept.kernels[0].status, "interrupted");
  EXPECT_GT(s.kept.kernels[0].stats.samples, 0);  // the samples taken are kept
  EXPECT_EQ(s.kept.status, "partial");            // interrupted, not failed
}

// A batch scheduler's SIGTERM (or `timeout`'s) keeps what was measured as Ctrl-C does, and exits
// 128 + 15, as a shell reports it, so that the job's log tells the kill from a user's Ctrl-C.
TEST(GemmCli, SigtermKeepsWhatWasMeasuredAndExits143) {
  const Signalled s = gemm_signalled_while_sampling("TERM");
  EXPECT_EQ(s.cli.exit_code, 143) << s.cli.err;
  EXPECT_NE(s.cli.err.find("interrupted"), std::string::npos) << s.cli.err;
  ASSERT_EQ(s.kept.kernels.size(), 1u);
  EXPECT_EQ(s.kept.kernels[0].status, "interrupted");
  EXPECT_GT(s.kept.kernels[0].stats.samples, 0);
}

void expect_usage(const std::vector<std::string>& args, const std::string& needle) {
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "wanted '" << needle << "' in: " << r.err;
}

TEST(GemmCli, BadInputExitsTwoNamingTheFlag) {
  expect_usage({"gemm", "-m", "0", "-n", "8", "-k", "8", "--device", "cpu"}, "-m must be a positive integer");
  expect_usage({"gemm", "-m", "8", "-n", "-4", "-k", "8", "--device", "cpu"}, "-n must be a positive integer");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "0", "--device", "cpu"}, "-k");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--dtype", "fp7"}, "--dtype");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--dtype", "fp7"}, "bf16");  // lists accepted values
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--layout", "sideways"}, "fwd, dgrad, wgrad");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "tpu"}, "--device");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--noise", "abc"}, "--noise");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--min-samples", "20", "--max-samples", "5"},
               "--max-samples");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--frobnicate"}, "--frobnicate");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--json", "--benchmark_format=json"}, "--json");
  expect_usage({"gemm", "-m", "x", "-n", "8", "-k", "8"}, "-m");
  expect_usage({"gemm", "-m", "99999999999999999999", "-n", "8", "-k", "8", "--device", "cpu"}, "-m");
  // Timing flags: a billion warm-ups would ignore --max-time; a min-time over the max-time
  // could never let the noise test stop.
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--warmup", "1000000000"}, "--warmup");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--min-time", "5", "--max-time", "0.01"},
               "--min-time");
  // Google Benchmark's own flags: a filter that selects nothing is no complete run, a repetition
  // count below 1 no measurement, an unwritable --benchmark_out a late "invalid file name".
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_filter=nomatch"},
               "--benchmark_filter=nomatch selects none of the 1 benchmark(s): gemm/8x8x8/fwd/");
  // Listing is no run (any true spelling of the flag), so its empty selection is no refusal.
  EXPECT_EQ(run_trainbench({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_list_tests=1"})
                .exit_code,
            0);
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_repetitions=0"},
               "--benchmark_repetitions=0");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_repetitions=-1"},
               "1 to 100000");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--benchmark_out=/proc/no/x.json"},
               "--benchmark_out");
  // A negative --max-time is named as given, not as the --min-time derived from it.
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--max-time", "-1"},
               "--max-time must be > 0 seconds (got -1)");
  // ...but one figure against the other's default is not a contradiction: a --max-time alone below
  // the default --min-time (0.5 s) is a budget, a --min-time alone above the default --max-time
  // (15 s) raises it (--max-samples ends this one at once).
  EXPECT_EQ(run_trainbench({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--max-time", "0.05"}).exit_code,
            0);
  EXPECT_EQ(run_trainbench({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--min-time", "20",
                            "--min-samples", "3", "--max-samples", "3"})
                .exit_code,
            0);
  // Over-memory: 1M³ fp32 is 12 TB, refused before allocating, with the bytes needed.
  expect_usage({"gemm", "-m", "1000000", "-n", "1000000", "-k", "1000000", "--device", "cpu", "--dtype", "fp32"},
               "does not fit");
  // cuBLASLt's candidates on the CPU's one OpenBLAS GEMM would be ignored silently.
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--candidates", "4"},
               "--candidates 4: it times cuBLASLt's top-k algorithms on a GPU");
  expect_usage({"sweep", "--device", "cpu", "--m-range", "16", "--n-range", "16", "--k-range", "16", "--candidates", "2"},
               "--candidates 2");
}

// --batch N: N GEMMs of one shape in one batched launch (a grouped GEMM of equal groups). Its
// FLOPs are N times one GEMM's, the JSON and results file say the batch, and bad values are
// refused naming the flag.
TEST(GemmCli, BatchMeasuresEveryGroupAndIsRecorded) {
  const std::string dir = testing::make_temp_dir("tb_gemm_batch_");
  const std::string out = dir + "/r.json";
  const auto r = run_trainbench(gemm_args({"--batch", "3", "--layout", "wgrad", "--json", "--out", out}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("batch"), 3);
  EXPECT_EQ(j.at("shape"), "3x 48x40x24 wgrad");
  EXPECT_DOUBLE_EQ(j.at("flops").get<double>(), 3 * 2.0 * 48 * 40 * 24);
  EXPECT_EQ(j.at("verified"), true);
  const auto run = results::read_results_file(out);
  ASSERT_EQ(run.kernels.size(), 1u);
  EXPECT_EQ(run.kernels[0].dims.at("batch"), 3);
  EXPECT_EQ(results::gemm_batch(run.kernels[0]), 3);
  // Every reader takes the file as written (their consistency checks count each group's FLOPs).
  const auto exported = run_trainbench({"export", out});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  const auto compared = run_trainbench({"compare", out, out});
  EXPECT_EQ(compared.exit_code, 0) << compared.err;
  // Without the flag, one GEMM.
  const auto single = run_trainbench(gemm_args({"--json"}));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(nlohmann::json::parse(single.out).at("batch"), 1);
  // A wrong value in the last group fails verification (exit 1), naming the group.
  const auto corrupt = run_trainbench(gemm_args({"--batch", "4"}), "TRAINBENCH_TEST_CORRUPT_OUTPUT=1");
  EXPECT_EQ(corrupt.exit_code, 1) << corrupt.err;
  EXPECT_NE(corrupt.err.find("group 3 of 4"), std::string::npos) << corrupt.err;
  std::filesystem::remove_all(dir);
}

TEST(GemmCli, BadBatchExitsTwoNamingTheFlag) {
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--batch", "0", "--device", "cpu"},
               "--batch must be a positive integer");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--batch", "-2", "--device", "cpu"}, "(got -2)");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--batch", "two", "--device", "cpu"}, "--batch");
  expect_usage({"gemm", "-m", "8", "-n", "8", "-k", "8", "--batch", "99999999999999999999", "--device", "cpu"},
               "--batch");
  // 10^6 groups of 1000^3 in fp32: 12 TB, refused before allocating with the flags that size it.
  expect_usage({"gemm", "-m", "1000", "-n", "1000", "-k", "1000", "--batch", "1000000", "--device", "cpu", "--dtype",
                "fp32"},
               "does not fit");
}

// A dtype the CPU's GEMMs cannot run is refused before measuring (exit 2), listing what can
// run; bf16 only where this OpenBLAS has cblas_sbgemm (as CpuGemm.Bf16WhereOpenBlasHasIt).
TEST(GemmCli, UnsupportedDtypeOnTheCpuExitsTwo) {
  std::vector<std::string> unsupported{"fp8", "fp16", "tf32"};
  if (!kernels::cpu::bf16_gemm_available()) unsupported.push_back("bf16");
  for (const auto& dtype : unsupported) {
    const auto r = run_trainbench({"gemm", "-m", "8", "-n", "8", "-k", "8", "--device", "cpu", "--dtype", dtype});
    EXPECT_EQ(r.exit_code, 2) << dtype << ": " << r.err;
    EXPECT_NE(r.err.find("--dtype " + dtype), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("fp32"), std::string::npos) << r.err;  // names what works
  }
}

}  // namespace
}  // namespace tb

namespace tb::testing {
namespace {

// Under `mpirun -np 2` every rank would measure the same device and write the same --out: the
// one-device commands refuse, saying what to run instead; one rank (-np 1) is no crowd.
TEST(GemmCli, SeveralRanksOfAOneDeviceCommandAreRefused) {
  for (const std::string env : {"OMPI_COMM_WORLD_SIZE=2", "PMI_SIZE=4", "SLURM_PROCID=0 SLURM_STEP_NUM_TASKS=8"}) {
    const auto r = run_trainbench({"gemm", "-m", "64", "-n", "64", "-k", "64", "--max-time", "0.1"}, env);
    EXPECT_EQ(r.exit_code, 2) << env;
    EXPECT_NE(r.err.find("started as "), std::string::npos) << env << ": " << r.err;
    EXPECT_NE(r.err.find("trainbench comm"), std::string::npos) << r.err;
  }
  const auto run = run_trainbench({"run", "--model", "gpt1", "--seq", "32", "--quiet"}, "OMPI_COMM_WORLD_SIZE=2");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("started as 2 ranks"), std::string::npos) << run.err;
  const auto one = run_trainbench({"gemm", "-m", "64", "-n", "64", "-k", "64", "--max-time", "0.1", "--json"},
                                  "OMPI_COMM_WORLD_SIZE=1");
  EXPECT_EQ(one.exit_code, 0) << one.err;
}

}  // namespace
}  // namespace tb::testing
