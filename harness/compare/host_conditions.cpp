#include "harness/compare/host_conditions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/health/health_check.hpp"

namespace tb::compare {

void hold_slowdowns_on_another_load(RegressionReport& report, const std::vector<results::MachineInfo>& b,
                                    const std::vector<results::MachineInfo>& c) {
  std::string why;
  const auto load = std::find_if(report.environment.begin(), report.environment.end(),
                                 [](const EnvironmentChange& e) { return e.field == "host_load"; });
  if (load != report.environment.end()) {
    why = fmt::format("the host's load differs between the sides (host_load: {} -> {})", load->baseline,
                      load->current);
  } else {
    auto busy_runs = [](const std::vector<results::MachineInfo>& side) {
      int n = 0;
      for (const auto& m : side) n += m.backend == "cpu" && health::host_busy(m.load_avg_1m, m.host_cpus);
      return n;
    };
    const int nb = busy_runs(b), nc = busy_runs(c);
    if (nb + nc > 0)
      why = fmt::format("the CPU backend's host was busy (load at least {:g} per CPU) in {} of {} baseline and {} of {} "
                        "current run(s), and other processes take the benchmark's cores",
                        health::kBusyHostLoadPerCpu, nb, b.size(), nc, c.size());
  }
  if (why.empty()) return;
  for (auto& item : report.items) {
    if (item.verdict != Verdict::Slower) continue;
    item.verdict = Verdict::Unjudged;
    item.unjudged_reason = UnjudgedReason::HostConditions;
    // With 3 or more baseline runs the baseline's spread was measured; tonight's 1 or 2 runs still
    // cannot show whether their load or the code moved them.
    const bool baseline_spread = report.baseline_runs >= 3;
    item.reason = fmt::format(
        "{:+.2f}% would be a regression, but {}, and with {} vs {} run(s) {}: load cannot be told from code; re-run "
        "both sides on a quiet host, or give 3 or more runs a side",
        100.0 * item.change, why, report.baseline_runs, report.current_runs,
        baseline_spread ? "tonight's run-to-run variance was not measured"
                        : "the run-to-run variance was not measured");
    item.explanation = fmt::format("{}, but {}", item.explanation, item.reason);
  }
}

}  // namespace tb::compare
