#include "harness/runner/gbench_reporter.hpp"

#include <cmath>

namespace tb::runner {

std::vector<benchmark::BenchmarkReporter::Run> with_finite_cv(std::vector<benchmark::BenchmarkReporter::Run> runs) {
  for (auto& run : runs) {
    if (run.run_type != benchmark::BenchmarkReporter::Run::RT_Aggregate || run.aggregate_name != "cv") continue;
    for (auto& [name, counter] : run.counters)
      if (!std::isfinite(counter.value)) counter.value = 0;
  }
  return runs;
}

FiniteCvReporter::FiniteCvReporter(benchmark::BenchmarkReporter* inner, bool owned)
    : inner_(inner), owned_(owned ? inner : nullptr) {}

FiniteCvReporter::~FiniteCvReporter() = default;

// Set on this reporter, not virtual: passed on before every call.
void FiniteCvReporter::share_streams() {
  inner_->SetOutputStream(&GetOutputStream());
  inner_->SetErrorStream(&GetErrorStream());
}

bool FiniteCvReporter::ReportContext(const Context& context) {
  share_streams();
  return inner_->ReportContext(context);
}

void FiniteCvReporter::ReportRuns(const std::vector<Run>& runs) {
  share_streams();
  inner_->ReportRuns(with_finite_cv(runs));
}

void FiniteCvReporter::Finalize() {
  share_streams();
  inner_->Finalize();
}

std::unique_ptr<benchmark::BenchmarkReporter> finite_cv_file_reporter(const std::string& out_format) {
  if (out_format != "json") return nullptr;
  return std::make_unique<FiniteCvReporter>(new benchmark::JSONReporter, true);
}

}  // namespace tb::runner
