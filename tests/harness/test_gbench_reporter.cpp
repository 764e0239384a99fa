// Google Benchmark's JSON with --benchmark_repetitions: a counter 0 in every repetition (outliers,
// usually) has a cv aggregate of 0/0, which google/benchmark 1.7's JSON writer prints as a bare
// NaN. FiniteCvReporter writes it 0, as later releases compute it, and leaves the rest alone.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/runner/gbench_reporter.hpp"

namespace tb::runner {
namespace {

using GbRun = benchmark::BenchmarkReporter::Run;

GbRun run_of(const std::string& aggregate, double outliers, double tflops) {
  GbRun r;
  r.run_name.function_name = "gemm/48x40x24/fwd/fp32";
  r.family_index = 0;
  r.per_family_instance_index = 0;
  r.repetitions = 3;
  r.repetition_index = aggregate.empty() ? 0 : GbRun::no_repetition_index;
  r.run_type = aggregate.empty() ? GbRun::RT_Iteration : GbRun::RT_Aggregate;
  r.aggregate_name = aggregate;
  r.aggregate_unit = aggregate == "cv" ? benchmark::kPercentage : benchmark::kTime;
  r.iterations = 1;
  r.real_accumulated_time = r.cpu_accumulated_time = 1e-3;
  r.time_unit = benchmark::kMillisecond;
  r.counters["outliers"] = outliers;
  r.counters["TFLOPS"] = tflops;
  return r;
}

// What Google Benchmark hands a reporter for outliers {0, 0, 0}: the cv of the zeros is NaN.
std::vector<GbRun> zero_outliers_runs() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {run_of("", 0, 1.5), run_of("mean", 0, 1.5), run_of("stddev", 0, 0.1), run_of("cv", nan, 0.066)};
}

std::string report(benchmark::BenchmarkReporter& reporter, const std::vector<GbRun>& runs) {
  std::ostringstream out, err;
  reporter.SetOutputStream(&out);
  reporter.SetErrorStream(&err);
  reporter.ReportContext(benchmark::BenchmarkReporter::Context());
  reporter.ReportRuns(runs);
  reporter.Finalize();
  return out.str();
}

TEST(GbenchReporter, AZeroCountersCvIsWrittenZeroAndTheJsonParses) {
  // The library as it is: NaN, which no JSON reader takes.
  benchmark::JSONReporter plain;
  const std::string raw = report(plain, zero_outliers_runs());
  EXPECT_NE(raw.find("NaN"), std::string::npos) << raw;
  EXPECT_FALSE(nlohmann::json::accept(raw));

  FiniteCvReporter finite(new benchmark::JSONReporter, /*owned=*/true);
  const std::string text = report(finite, zero_outliers_runs());
  const auto j = nlohmann::json::parse(text);  // throws, failing the test, on a NaN
  const auto& b = j.at("benchmarks");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[3].at("aggregate_name"), "cv");
  EXPECT_EQ(b[3].at("outliers").get<double>(), 0);
  // The finite cv of another counter, and every other entry, as Google Benchmark computed them.
  EXPECT_DOUBLE_EQ(b[3].at("TFLOPS").get<double>(), 0.066);
  EXPECT_DOUBLE_EQ(b[1].at("TFLOPS").get<double>(), 1.5);
  EXPECT_EQ(b[0].at("outliers").get<double>(), 0);
}

TEST(GbenchReporter, OnlyCvAggregatesAreTouched) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<GbRun> runs = {run_of("", nan, 1), run_of("mean", nan, 1), run_of("cv", nan, nan)};
  const auto fixed = with_finite_cv(runs);
  EXPECT_TRUE(std::isnan(fixed[0].counters.at("outliers").value));  // an iteration's own value
  EXPECT_TRUE(std::isnan(fixed[1].counters.at("outliers").value));  // a mean of NaN is a finding
  EXPECT_EQ(fixed[2].counters.at("outliers").value, 0);
  EXPECT_EQ(fixed[2].counters.at("TFLOPS").value, 0);
}

TEST(GbenchReporter, FileReporterOnlyForJson) {
  EXPECT_NE(finite_cv_file_reporter("json"), nullptr);
  EXPECT_EQ(finite_cv_file_reporter("console"), nullptr);  // "nan" is their text for it
  EXPECT_EQ(finite_cv_file_reporter("csv"), nullptr);
}

}  // namespace
}  // namespace tb::runner
