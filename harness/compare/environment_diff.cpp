#include "harness/compare/environment_diff.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <optional>
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
      // A Debug build, or a governor that lets the clock move, is a slow night's first suspect.
      {"build_type", [](const MachineInfo& m) { return m.build_type; }, nullptr},
      {"cpu_scaling_enabled",
       [](const MachineInfo& m) {
         return m.cpu_scaling_enabled ? std::string(*m.cpu_scaling_enabled ? "true" : "false") : std::string();
       },
       nullptr},
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

// One side's runs grouped by a field's text (`text` of each record, paired with its file): the
// mixed-setup notes of machines and of timing rules alike.
template <typename Record, typename Text>
Groups group_runs(const std::vector<std::string>& origins, const std::vector<Record>& records, const Text& text) {
  std::vector<std::pair<std::string, std::string>> values;
  for (size_t i = 0; i < records.size() && i < origins.size(); ++i) values.push_back({origins[i], text(records[i])});
  return group(values);
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

// Each side's distinct texts of a field, where the two sides' sets of them differ; nothing where
// they hold the same values (in whatever mix of runs).
struct SideValues {
  std::vector<std::string> baseline, current;
};
template <typename Record, typename Text>
std::optional<SideValues> differing_values(const std::vector<Record>& b, const std::vector<Record>& c, const Text& text) {
  auto texts = [&](const std::vector<Record>& side) {
    std::vector<std::string> t;
    for (const auto& r : side) t.push_back(text(r));
    return distinct(t);
  };
  SideValues v{texts(b), texts(c)};
  if (as_set(v.baseline) == as_set(v.current)) return std::nullopt;
  return v;
}

// The loads per CPU (load_avg_1m / host_cpus) of the runs that recorded one, sorted.
std::vector<double> loads_per_cpu(const std::vector<MachineInfo>& side) {
  std::vector<double> loads;
  for (const auto& m : side)
    if (m.load_avg_1m && m.host_cpus > 0) loads.push_back(*m.load_avg_1m / m.host_cpus);
  std::sort(loads.begin(), loads.end());
  return loads;
}

double median_of_sorted(const std::vector<double>& v) {
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// "1.40..2.30", or "1.40" for one value (sorted loads).
std::string load_span(const std::vector<double>& loads) {
  return loads.front() == loads.back() ? fmt::format("{:.2f}", loads.front())
                                       : fmt::format("{:.2f}..{:.2f}", loads.front(), loads.back());
}

std::string load_text(const std::vector<MachineInfo>& side, const std::vector<double>& loads) {
  const auto& m =
      *std::find_if(side.begin(), side.end(), [](const MachineInfo& x) { return x.load_avg_1m && x.host_cpus > 0; });
  const char* bucket = loads.front() >= health::kBusyHostLoadPerCpu  ? "busy"
                       : loads.back() < health::kBusyHostLoadPerCpu ? "quiet"
                                                                    : "quiet | busy";
  if (loads.size() == 1) return fmt::format("{}, load per CPU {} ({} CPUs)", bucket, load_span(loads), m.host_cpus);
  return fmt::format("{}, load per CPU {}, median {:.2f} ({} CPUs)", bucket, load_span(loads), median_of_sorted(loads),
                     m.host_cpus);
}

// Sides in the same bucket ("busy (load >= 1 on 2 CPUs)") whose loads per CPU are still far
// apart: their medians kLoadFactor or more apart, on a busy host (below kBusyHostLoadPerCpu the
// CPUs are idle part of the time whatever the figure). A host with twice the load takes twice
// the CPU time from the benchmark's threads. The median, not the range: back-to-back runs load
// the host for the next, so one quiet first run widens a range without changing the host.
std::optional<EnvironmentChange> load_change(const std::vector<MachineInfo>& b, const std::vector<MachineInfo>& c) {
  const auto bl = loads_per_cpu(b), cl = loads_per_cpu(c);
  if (bl.empty() || cl.empty() || std::max(bl.back(), cl.back()) < health::kBusyHostLoadPerCpu) return std::nullopt;
  const double bm = median_of_sorted(bl), cm = median_of_sorted(cl);
  if (!(std::min(bm, cm) > 0) || std::max(bm, cm) < kLoadFactor * std::min(bm, cm)) return std::nullopt;
  return EnvironmentChange{"host_load", load_text(b, bl), load_text(c, cl), ""};
}

}  // namespace

std::vector<EnvironmentChange> environment_changes(const std::vector<MachineInfo>& b, const std::vector<MachineInfo>& c) {
  std::vector<EnvironmentChange> out;
  for (const auto& f : fields()) {
    const auto values = differing_values(b, c, f.text);
    if (!values) {
      // Both sides "busy" can still be a much busier host: the bucket hides the figures.
      if (std::string(f.name) == "host_load")
        if (auto change = load_change(b, c)) out.push_back(std::move(*change));
      continue;
    }
    const auto& [bv, cv] = *values;
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
    if (!single && f.measured(b_lo) <= f.measured(c_hi) && f.measured(c_lo) <= f.measured(b_hi)) {
      // Overlapping loads across buckets (a quiet first run in the baseline, every run busy
      // tonight) can still be a much busier host most of the time: the medians decide.
      if (std::string(f.name) == "host_load")
        if (auto change = load_change(b, c)) out.push_back(std::move(*change));
      continue;
    }
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
    const Groups groups = group_runs(origins, machines, f.text);
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

std::optional<std::string> busy_host_note(const std::vector<MachineInfo>& b, const std::vector<MachineInfo>& c) {
  std::size_t busy = 0, runs = 0;
  for (const auto* side : {&b, &c})
    for (const auto& m : *side) {
      ++runs;
      busy += m.load_avg_1m && m.host_cpus > 0 && health::host_busy(m.load_avg_1m, m.host_cpus);
    }
  if (runs == 0 || busy != runs) return std::nullopt;
  const auto bl = loads_per_cpu(b), cl = loads_per_cpu(c);
  return fmt::format("all runs ran on a busy host (load per CPU {} in the baseline, {} in the current run(s); busy "
                     "from {:g}): differences may be load, not code; measure on a quiet host",
                     load_span(bl), load_span(cl), health::kBusyHostLoadPerCpu);
}

namespace {

// The stopping rule's fields as the results file names them (workload.timing), as printed; ""
// where a file has no timing (older files, comm).
struct TimingField {
  const char* name;
  std::function<std::string(const results::TimingInfo&)> text;
};

const std::vector<TimingField>& timing_fields() {
  static const std::vector<TimingField> all = {
      {"timing.budget_s",
       [](const results::TimingInfo& t) { return t.budget_s > 0 ? fmt::format("{:g} s", t.budget_s) : "0 (none)"; }},
      {"timing.noise", [](const results::TimingInfo& t) { return fmt::format("{:g}", t.noise); }},
      {"timing.min_samples", [](const results::TimingInfo& t) { return fmt::format("{}", t.min_samples); }},
      {"timing.max_samples", [](const results::TimingInfo& t) { return fmt::format("{}", t.max_samples); }},
      {"timing.min_time_s", [](const results::TimingInfo& t) { return fmt::format("{:g} s", t.min_time_s); }},
      {"timing.max_time_s", [](const results::TimingInfo& t) { return fmt::format("{:g} s", t.max_time_s); }},
      {"timing.warmup", [](const results::TimingInfo& t) { return fmt::format("{}", t.warmup); }},
      // Absent in files older than the rule (their throttled samples were kept) and in CPU runs (no
      // clocks, nothing discarded): an older GPU baseline shows a change of rule, said as such.
      {"timing.throttle_threshold",
       [](const results::TimingInfo& t) {
         return t.throttle_threshold ? fmt::format("{:g}", *t.throttle_threshold) : "not applied";
       }},
      {"timing.throttle_recovery_delay_s",
       [](const results::TimingInfo& t) {
         return t.throttle_recovery_delay_s ? fmt::format("{:g} s", *t.throttle_recovery_delay_s) : "none";
       }},
  };
  return all;
}

std::string timing_text(const TimingField& f, const std::optional<results::TimingInfo>& t) {
  return t ? f.text(*t) : std::string();
}

}  // namespace

std::vector<EnvironmentChange> timing_changes(const std::vector<std::optional<results::TimingInfo>>& b,
                                              const std::vector<std::optional<results::TimingInfo>>& c) {
  std::vector<EnvironmentChange> out;
  for (const auto& f : timing_fields()) {
    const auto values = differing_values(b, c, [&](const auto& t) { return timing_text(f, t); });
    if (!values) continue;
    auto joined = [](const std::vector<std::string>& v) {
      std::vector<std::string> shown_values;
      for (const auto& x : v) shown_values.push_back(shown(x));
      return fmt::format("{}", fmt::join(shown_values, " | "));
    };
    out.push_back({f.name, joined(values->baseline), joined(values->current), ""});
  }
  return out;
}

std::vector<std::string> mixed_timing_notes(const std::string& side, const std::vector<std::string>& origins,
                                            const std::vector<std::optional<results::TimingInfo>>& timings) {
  std::vector<std::string> notes;
  for (const auto& f : timing_fields()) {
    const Groups groups = group_runs(origins, timings, [&](const auto& t) { return timing_text(f, t); });
    if (groups.size() > 1)
      notes.push_back(fmt::format("the {}'s runs were measured under different timing rules, {}: {}; their medians "
                                  "are not of one measurement",
                                  side, f.name, describe(groups)));
  }
  return notes;
}

}  // namespace tb::compare
