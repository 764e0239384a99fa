#include "harness/compare/environment_diff.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "harness/health/health_check.hpp"

namespace tb::compare {

namespace {

using results::MachineInfo;

struct Field {
  const char* name;
  std::function<std::string(const MachineInfo&)> text;  // as printed; "" when not recorded
  // Set for figures measured afresh by every run (clocks, a CPU's estimated peak): they move a
  // little from run to run, so a side's several values are a range, not a mix of setups.
  std::function<double(const MachineInfo&)> measured;
};

std::string mhz(double v) { return v > 0 ? fmt::format("{:.0f} MHz", v) : std::string(); }

const std::vector<Field>& fields() {
  static const std::vector<Field> all = {
      {"driver_version", [](const MachineInfo& m) { return m.driver_version; }, nullptr},
      {"cuda_runtime_version", [](const MachineInfo& m) { return m.cuda_runtime_version; }, nullptr},
      {"cublas_version", [](const MachineInfo& m) { return m.cublas_version; }, nullptr},
      {"nccl_version", [](const MachineInfo& m) { return m.nccl_version; }, nullptr},
      {"blas_version", [](const MachineInfo& m) { return m.blas_version; }, nullptr},
      {"device_name", [](const MachineInfo& m) { return m.device_name; }, nullptr},
      {"sku", [](const MachineInfo& m) { return m.sku; }, nullptr},  // the peaks every % and MFU is judged against
      // A CPU's estimate moves with its clock.
      {"peak_tflops",
       [](const MachineInfo& m) { return m.peak_tflops > 0 ? fmt::format("{:.4g} TFLOP/s", m.peak_tflops) : ""; },
       [](const MachineInfo& m) { return m.peak_tflops; }},
      {"memory_gb", [](const MachineInfo& m) { return m.memory_gb > 0 ? fmt::format("{:.1f} GB", m.memory_gb) : ""; },
       nullptr},
      {"pci_bus_id", [](const MachineInfo& m) { return m.pci_bus_id; }, nullptr},
      {"sm_clock_mhz", [](const MachineInfo& m) { return mhz(m.sm_clock_mhz); },
       [](const MachineInfo& m) { return m.sm_clock_mhz; }},
      {"memory_clock_mhz", [](const MachineInfo& m) { return mhz(m.memory_clock_mhz); },
       [](const MachineInfo& m) { return m.memory_clock_mhz; }},
      {"host", [](const MachineInfo& m) { return m.host; }, nullptr},
      // Busy or quiet, not the figure: it differs every run. Measured afresh, too: back-to-back
      // runs of one setup load the host for the next (the previous run is in the 1-minute
      // average), so a side's loads are a range, not a mix of setups.
      {"host_load",
       [](const MachineInfo& m) {
         if (!m.load_avg_1m || m.host_cpus <= 0) return std::string();
         const bool busy = health::host_busy(m.load_avg_1m, m.host_cpus);
         return fmt::format("{} (load {} {:g} on {} CPUs)", busy ? "busy" : "quiet", busy ? ">=" : "<",
                            health::kBusyHostLoadPerCpu * m.host_cpus, m.host_cpus);
       },
       [](const MachineInfo& m) { return m.load_avg_1m && m.host_cpus > 0 ? *m.load_avg_1m / m.host_cpus : 0.0; }},
      {"os", [](const MachineInfo& m) { return m.os; }, nullptr},
      {"trainbench_version", [](const MachineInfo& m) { return m.trainbench_version; }, nullptr},
      {"git_commit", [](const MachineInfo& m) { return m.git_commit; }, nullptr},
  };
  return all;
}

// Distinct values in order of first appearance, each with the files that have it.
using Groups = std::vector<std::pair<std::string, std::vector<std::string>>>;
Groups group(const std::vector<std::pair<std::string, std::string>>& origin_value) {
  Groups out;
  for (const auto& [origin, value] : origin_value) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == value; });
    if (it == out.end()) it = out.insert(out.end(), {value, {}});
    if (std::find(it->second.begin(), it->second.end(), origin) == it->second.end()) it->second.push_back(origin);
  }
  return out;
}

std::string shown(const std::string& v) { return v.empty() ? "(not recorded)" : v; }

std::string describe(const Groups& groups) {
  std::vector<std::string> parts;
  for (const auto& [value, origins] : groups)
    parts.push_back(fmt::format("'{}' ({})", shown(value), fmt::join(origins, ", ")));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<std::string> distinct(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

std::vector<EnvironmentChange> environment_changes(const std::vector<MachineInfo>& b, const std::vector<MachineInfo>& c) {
  std::vector<EnvironmentChange> out;
  for (const auto& f : fields()) {
    std::vector<std::string> bt, ct;
    for (const auto& m : b) bt.push_back(f.text(m));
    for (const auto& m : c) ct.push_back(f.text(m));
    const auto bv = distinct(bt), cv = distinct(ct);
    if (as_set(bv) == as_set(cv)) continue;
    if (!f.measured) {
      out.push_back({f.name, fmt::format("{}", fmt::join(bv, " | ")), fmt::format("{}", fmt::join(cv, " | ")), ""});
      continue;
    }
    // Several runs of a figure that moves from run to run: a range, changed only when the two do
    // not overlap (one value a side: any difference, as printed).
    auto range = [&](const std::vector<MachineInfo>& side) {
      const auto [lo, hi] = std::minmax_element(side.begin(), side.end(), [&](const MachineInfo& x, const MachineInfo& y) {
        return f.measured(x) < f.measured(y);
      });
      return std::pair{*lo, *hi};
    };
    const auto [b_lo, b_hi] = range(b);
    const auto [c_lo, c_hi] = range(c);
    const bool single = bv.size() == 1 && cv.size() == 1;
    if (!single && f.measured(b_lo) <= f.measured(c_hi) && f.measured(c_lo) <= f.measured(b_hi)) continue;
    auto show = [&](const std::vector<std::string>& v, const MachineInfo& lo, const MachineInfo& hi) {
      return v.size() == 1 ? v.front() : fmt::format("{}..{}", f.text(lo), f.text(hi));
    };
    out.push_back({f.name, show(bv, b_lo, b_hi), show(cv, c_lo, c_hi), ""});
  }
  return out;
}

std::vector<EnvironmentChange> environment_changes(const MachineInfo& baseline, const MachineInfo& current) {
  return environment_changes(std::vector<MachineInfo>{baseline}, std::vector<MachineInfo>{current});
}

std::vector<std::string> mixed_environment_notes(const std::string& side, const std::vector<std::string>& origins,
                                                 const std::vector<MachineInfo>& machines) {
  std::vector<std::string> notes;
  for (const auto& f : fields()) {
    if (f.measured) continue;
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t i = 0; i < machines.size() && i < origins.size(); ++i) values.push_back({origins[i], f.text(machines[i])});
    const Groups groups = group(values);
    if (groups.size() > 1)
      notes.push_back(fmt::format("the {}'s runs differ in {}: {}; they are not runs of one setup, so the spread "
                                  "between them is not noise alone",
                                  side, f.name, describe(groups)));
  }
  return notes;
}

namespace {

std::vector<std::string> recorded(const std::vector<std::pair<std::string, std::string>>& runs) {
  std::vector<std::string> v;
  for (const auto& [origin, algorithm] : runs)
    if (!algorithm.empty()) v.push_back(algorithm);
  return distinct(v);
}

}  // namespace

std::vector<EnvironmentChange> algorithm_changes(const AlgorithmsByKernel& b, const AlgorithmsByKernel& c) {
  std::vector<EnvironmentChange> out;
  for (const auto& [key, runs] : b) {
    const auto it = c.find(key);
    if (it == c.end()) continue;
    const auto bv = recorded(runs), cv = recorded(it->second);
    if (bv.empty() || cv.empty() || as_set(bv) == as_set(cv)) continue;
    out.push_back({"algorithm", fmt::format("{}", fmt::join(bv, " | ")), fmt::format("{}", fmt::join(cv, " | ")), key});
  }
  return out;
}

std::vector<std::string> mixed_algorithm_notes(const std::string& side, const AlgorithmsByKernel& algorithms) {
  std::vector<std::string> notes;
  for (const auto& [key, runs] : algorithms) {
    std::vector<std::pair<std::string, std::string>> known;
    for (const auto& run : runs)
      if (!run.second.empty()) known.push_back(run);
    const Groups groups = group(known);
    if (groups.size() > 1)
      notes.push_back(fmt::format("{}: the {}'s runs ran different algorithms: {}", key, side, describe(groups)));
  }
  return notes;
}

}  // namespace tb::compare
