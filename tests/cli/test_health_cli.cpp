// `trainbench health` end to end on the CPU backend: the battery runs and is verified, the
// verdict and exit code follow the judgement, bad flags exit 2 naming the flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

const std::vector<std::string> kQuick = {"--max-time", "0.05", "--min-time", "0"};

std::vector<std::string> health_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"health", "--device", "cpu"};
  a.insert(a.end(), kQuick.begin(), kQuick.end());
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(HealthCli, CpuBatteryRunsAndSaysThereIsNothingToJudgeAgainst) {
  const std::string dir = testing::make_temp_dir("tb_health_");
  // On a loaded machine a tiny CPU GEMM's noise passed 100% (seen in CI): noise on a CPU is shown,
  // not judged, so the verdict stays info however busy the machine is.
  const auto r = testing::run_trainbench(health_args({"--out", dir + "/h.json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("verdict: info"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("shown, not judged on a CPU"), std::string::npos) << r.out;
  const auto run = results::read_results_file(dir + "/h.json");
  EXPECT_EQ(run.workload.command, "health");
  ASSERT_EQ(run.kernels.size(), 4u);  // three GEMMs and the streaming op
  for (const auto& k : run.kernels) EXPECT_TRUE(k.verified) << k.name << " " << k.error;
  std::filesystem::remove_all(dir);
}

// With a peak cache (TB_PEAK_CACHE=FILE) that an earlier run filled, the CPU is judged against what it
// remembers (pass or suspect, exit 0 or 1: on a loaded test host either; the verdicts themselves are
// test_health_check.cpp's, on synthetic batteries), and the results file says where its peaks came
// from beside what this run measured itself: here a clock raised by a quarter in the file.
TEST(HealthCli, ACpuIsJudgedAgainstThePeaksRememberedInItsCache) {
  const std::string dir = testing::make_temp_dir("tb_health_"), cache = dir + "/peaks.json";
  const std::string env = "TB_PEAK_CACHE=" + cache;
  // A first run has only itself to go by: shown, not judged, and its peaks are its own.
  const auto first = testing::run_trainbench(health_args({"--out", dir + "/first.json"}), env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("verdict: info"), std::string::npos) << first.out;
  const auto own = results::read_results_file(dir + "/first.json").machine;
  EXPECT_EQ(own.peak_source, "cpu estimate, this run");
  ASSERT_TRUE(own.measured_memory_tb_s);
  EXPECT_DOUBLE_EQ(*own.measured_memory_tb_s, own.peak_memory_tb_s);

  auto peaks = nlohmann::json::parse(testing::read_text(cache));
  std::string clock_key;
  bool gemm_remembered = false;
  for (auto& [key, value] : peaks.at("peaks").items()) {
    if (key.ends_with("clock_mhz")) value = 1.25 * value.get<double>(), clock_key = key;
    gemm_remembered |= key.ends_with("health_gemm_tflops_fp32");
  }
  EXPECT_TRUE(gemm_remembered) << peaks.dump();
  testing::write_text(cache, peaks.dump());

  const auto r = testing::run_trainbench(health_args({"--out", dir + "/h.json", "--json"}), env);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(r.exit_code, j.at("verdict") == "suspect" ? 1 : 0) << r.out << r.err;
  size_t judged = 0;
  bool left_unjudged = false;
  for (const auto& c : j.at("checks")) {
    if (c.at("id") != "memory_bandwidth" && c.at("id") != "gemm") continue;
    ++judged;
    const std::string detail = c.at("detail"), status = c.at("status");
    left_unjudged |= status == "info";
    EXPECT_TRUE(status == "pass" || status == "suspect" || status == "info") << c.dump();
    // Info only for a shortfall on a busy host, which is said and not judged.
    if (status == "info") EXPECT_NE(detail.find("not judged: busy host"), std::string::npos) << detail;
    EXPECT_NE(detail.find(c.at("id") == "gemm" ? "of the best fp32 GEMM health measured on this machine"
                                               : "of the highest STREAM triad measured on this machine"),
              std::string::npos)
        << detail;
    EXPECT_NE(detail.find(cache), std::string::npos) << detail;
    // Below its threshold, the reason: a busy host (load or noise), or a quiet one slower than it was.
    if (status == "suspect")
      EXPECT_TRUE(detail.find("busy host") != std::string::npos ||
                  detail.find("the host was quiet") != std::string::npos)
          << detail;
  }
  EXPECT_EQ(judged, 2u);
  // A shortfall not judged is no "pass": the verdict is info at best (docs/health.md).
  if (left_unjudged) EXPECT_NE(j.at("verdict"), "pass") << r.out;
  const auto m = results::read_results_file(dir + "/h.json").machine;
  ASSERT_TRUE(m.measured_memory_tb_s);
  EXPECT_LE(*m.measured_memory_tb_s, m.peak_memory_tb_s);  // this run's own triad, the highest beside it
  if (!clock_key.empty()) {  // the clock was measured (no cpufreq max to read): this run's beside the cache's
    EXPECT_EQ(m.peak_source, "cpu estimate, the highest on this machine so far (" + cache + ")");
    ASSERT_TRUE(m.measured_clock_mhz);
    EXPECT_LT(*m.measured_clock_mhz, m.sm_clock_mhz);
    EXPECT_DOUBLE_EQ(m.sm_clock_mhz, peaks.at("peaks").at(clock_key).get<double>());
  }
  std::filesystem::remove_all(dir);
}

TEST(HealthCli, JudgedAgainstAnH100TheCpuIsSuspectAndExitsOne) {
  const std::string dir = testing::make_temp_dir("tb_health_");
  const auto r =
      testing::run_trainbench(health_args({"--sku", "h100-sxm", "--dtype", "fp32", "--json", "--out", dir + "/h.json"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("verdict"), "suspect");
  EXPECT_EQ(j.at("sku"), "h100-sxm");
  bool gemm_suspect = false;
  for (const auto& c : j.at("checks")) gemm_suspect |= c.at("id") == "gemm" && c.at("status") == "suspect";
  EXPECT_TRUE(gemm_suspect) << r.out;
  // The CPU's timing noise is the host's, not a GPU fault: with --sku too it is shown, not judged
  // (docs/health.md), so only gemm and memory_bandwidth speak to the H100's figures.
  for (const auto& c : j.at("checks")) {
    const std::string id = c.at("id");
    if (id == "noise" || id == "spikes" || id == "outliers") {
      EXPECT_EQ(c.at("status"), "info") << c.dump();
      EXPECT_NE(c.at("detail").get<std::string>().find("not judged on a CPU"), std::string::npos) << c.dump();
    }
  }
  // The saved file says the same: a fleet's files name the suspect card and why, read back.
  const auto saved = results::read_results_file(dir + "/h.json");
  EXPECT_EQ(saved.health.at("verdict"), "suspect");
  EXPECT_EQ(saved.health.at("checks"), j.at("checks"));
  std::filesystem::remove_all(dir);
}

// --gemm-threshold is a fraction of a [sustained] figure: h100-pcie has none, so its GEMM is judged
// against --gemm-peak-threshold x its datasheet peak, and a --gemm-threshold typed is said to be
// not applied rather than silently ignored. The detail names the flag that decided.
TEST(HealthCli, GemmThresholdWithoutASustainedFigureIsSaidNotApplied) {
  const auto r = testing::run_trainbench(
      health_args({"--sku", "h100-pcie", "--dtype", "fp32", "--json", "--gemm-threshold", "0.95",
                   "--gemm-peak-threshold", "0.5"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("note: --gemm-threshold 0.95 is not applied: it is a fraction of a [sustained] gemm_tflops "
                       "figure, and SKU h100-pcie has none for fp32; the GEMM is judged against "
                       "--gemm-peak-threshold 0.5 x its datasheet peak (51 TFLOP/s) instead"),
            std::string::npos)
      << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool seen = false;
  for (const auto& c : j.at("checks"))
    if (c.at("id") == "gemm") {
      seen = true;
      EXPECT_DOUBLE_EQ(c.at("reference").get<double>(), 0.5 * 51);
      EXPECT_NE(c.at("detail").get<std::string>().find("--gemm-peak-threshold"), std::string::npos) << c.dump();
    }
  EXPECT_TRUE(seen) << r.out;
  // Without the flag typed, nothing to say.
  const auto quiet = testing::run_trainbench(health_args({"--sku", "h100-pcie", "--dtype", "fp32", "--json"}));
  EXPECT_EQ(quiet.err.find("--gemm-threshold"), std::string::npos) << quiet.err;
}

TEST(HealthCli, PlantedWrongResultFails) {
  const auto r = testing::run_trainbench(health_args({"--json"}), "TRAINBENCH_TEST_CORRUPT_OUTPUT=1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("verdict"), "fail") << r.out;
}

// --max-outliers' help states the whole rule health applies (harness/health/health_check.hpp):
// the fraction alone would make one OS hiccup in 50 samples, or 2%-slow outliers, suspect.
TEST(HealthCli, MaxOutliersHelpStatesEveryCondition) {
  const auto r = testing::run_trainbench({"health", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("\n  --max-outliers");  // its own line, not --max-tail's mention
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string help = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  EXPECT_NE(help.find("more than this fraction of its samples are outliers"), std::string::npos) << help;
  EXPECT_NE(help.find("at least 2 of them"), std::string::npos) << help;
  EXPECT_NE(help.find("slowest sample is at least --max-tail above its median"), std::string::npos) << help;
}

TEST(HealthCli, BadFlagsExitTwoNamingTheFlag) {
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--gemm-threshold", "1.5"}, {"--gemm-peak-threshold", "0"}, {"--bandwidth-threshold", "0"}, {"--max-noise", "-1"}, {"--max-tail", "0"},
           {"--max-outliers", "2"}, {"--dtype", "bf17"},
           {"--dtype", "fp8"},  // the CPU's GEMMs cannot: refused, not measured into "verdict: fail"
           {"--sku", "no-such-gpu"}, {"--peer-tolerance", "0"}, {"--gpu-index", "3"}}) {
    const auto r = testing::run_trainbench(health_args({flag, value}));
    EXPECT_EQ(r.exit_code, 2) << flag << " " << value << ": " << r.err;
    EXPECT_NE(r.err.find(flag == "--sku" ? "no-such-gpu" : flag), std::string::npos) << r.err;
  }
  const auto all_cpu = testing::run_trainbench(health_args({"--all-gpus"}));  // health_args says --device cpu
  EXPECT_EQ(all_cpu.exit_code, 2) << all_cpu.err;
  EXPECT_NE(all_cpu.err.find("--all-gpus"), std::string::npos) << all_cpu.err;
}

}  // namespace
}  // namespace tb
