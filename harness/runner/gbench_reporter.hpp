#pragma once
// Google Benchmark's reporters, with its one output that is not JSON made JSON. google/benchmark
// 1.7 computes a counter's `cv` aggregate (over --benchmark_repetitions) as stddev / mean, so a
// counter that is 0 in every repetition (outliers, nearly always; verified after a wrong result)
// gives 0/0, which its JSON writer prints as the bare word NaN: the whole file unreadable. Later
// releases return 0 there (StatisticsCV: a zero mean has no spread to relate), and so do these.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace tb::runner {

// `runs` with every non-finite counter of a `cv` aggregate set to 0; the rest as they were.
std::vector<benchmark::BenchmarkReporter::Run> with_finite_cv(std::vector<benchmark::BenchmarkReporter::Run> runs);

// Hands everything on to `inner`, the runs through with_finite_cv, and `inner` the streams this
// reporter is given (Google Benchmark points a file reporter at --benchmark_out's file).
class FiniteCvReporter final : public benchmark::BenchmarkReporter {
 public:
  // `owned`: destroy `inner` with this reporter. Google Benchmark's default display reporter is a
  // process-wide instance (CreateDefaultDisplayReporter), not ours to destroy.
  FiniteCvReporter(benchmark::BenchmarkReporter* inner, bool owned);
  ~FiniteCvReporter() override;
  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  void share_streams();
  benchmark::BenchmarkReporter* inner_;
  std::unique_ptr<benchmark::BenchmarkReporter> owned_;
};

// The file reporter for --benchmark_out_format (json, the default, console or csv), wrapped; null
// where Google Benchmark's own writes no JSON (console, csv: "nan" is their text for it).
std::unique_ptr<benchmark::BenchmarkReporter> finite_cv_file_reporter(const std::string& out_format);

}  // namespace tb::runner
