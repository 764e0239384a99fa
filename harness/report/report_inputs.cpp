#include "harness/report/report_inputs.hpp"

#include <fmt/format.h>

namespace tb::report {

ReportInputs group_by_kind(std::vector<compare::LabeledResults> files) {
  ReportInputs in;
  for (auto& f : files) {
    const std::string& command = f.results.workload.command;
    if (command == "run") in.runs.push_back(std::move(f));
    else if (command == "health") in.health.push_back(std::move(f));
    else if (command == "sweep") in.sweeps.push_back(std::move(f));
    else if (command == "comm") in.comm.push_back(std::move(f));
    else if (command == "gemm" || command == "attention") in.kernels.push_back(std::move(f));
    else in.not_drawn.push_back({f.origin, command});
  }
  return in;
}

std::string not_drawn_line(const ReportInputs::Undrawn& file) {
  return fmt::format("{}: workload.command '{}' is a kind of results file this report has no section for (it draws "
                     "run, health, sweep, comm, gemm and attention files): left out",
                     file.origin, file.command);
}

}  // namespace tb::report
