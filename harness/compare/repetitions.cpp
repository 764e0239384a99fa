#include "harness/compare/repetitions.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/common/errors.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/results/kernel_status.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::compare {

LabeledResults pool_repetitions(const LabeledResults& run) {
  LabeledResults out = run;
  out.results.kernels.clear();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < run.results.kernels.size(); ++i) {
    const auto& k = run.results.kernels[i];
    auto [it, first] = index.emplace(kernel_key(k), out.results.kernels.size());
    if (first) {
      out.results.kernels.push_back(k);
      continue;
    }
    auto& pooled = out.results.kernels[it->second];
    // A step is Σ calls x median over its kernels: one listed twice is no repetition but a broken file.
    if (run.results.step)
      throw GateRefusal(GateErrorKind::Unreadable, fmt::format("{}: kernels[{}] repeats {} in a file with a step: a step lists each kernel once",
                                   run.origin, i, kernel_key(k)));
    if (k.samples_ms.empty() || pooled.samples_ms.empty())
      throw GateRefusal(GateErrorKind::Unreadable, fmt::format("{}: kernels[{}] repeats {} without samples_ms: repetitions are pooled by their "
                                   "samples",
                                   run.origin, i, kernel_key(k)));
    pooled.samples_ms.insert(pooled.samples_ms.end(), k.samples_ms.begin(), k.samples_ms.end());
    if (pooled.status == "ok" && k.status != "ok") {
      pooled.status = k.status;
      pooled.error = k.error;
    }
    pooled.verified = pooled.verified && k.verified;
    pooled.max_rel_error = std::max(pooled.max_rel_error, k.max_rel_error);
    if (pooled.stop_reason == "converged" && k.stop_reason != "converged") pooled.stop_reason = k.stop_reason;
    if (!pooled.samples_ms.empty()) {
      const double pct_per_rate = pooled.tflops > 0 ? pooled.pct_of_peak / pooled.tflops
                                  : pooled.gbps > 0  ? pooled.pct_of_peak / pooled.gbps
                                                     : 0.0;
      pooled.stats = timing::summarize(pooled.samples_ms);
      const double seconds = pooled.stats.median_ms * 1e-3;
      if (seconds > 0) {
        pooled.tflops = pooled.flops / seconds / 1e12;
        pooled.gbps = pooled.bytes / seconds / 1e9;
        pooled.pct_of_peak = pct_per_rate * (pooled.flops > 0 ? pooled.tflops : pooled.gbps);
      }
    }
  }
  return out;
}

std::string run_fingerprint(const LabeledResults& f) {
  std::string key = f.results.machine.utc_time + "|" + f.results.machine.host;
  for (const auto& k : f.results.kernels) key += fmt::format("|{}:{}", k.stats.median_ms, fmt::join(k.samples_ms, ","));
  return key;
}

PooledRuns pool_runs(const std::vector<LabeledResults>& files, const CompatibilityOptions& options) {
  if (files.empty()) throw UsageError("no results files on one side of the comparison");
  PooledRuns side;
  side.first = files.front();
  LabeledResults all = files.front();
  all.results.kernels.clear();
  bool every_step = true;
  std::set<std::string> runs_seen, listed;
  for (const auto& given : files) {
    require_complete_run(given, true);
    for (const auto& k : given.results.kernels)
      if (listed.insert(kernel_key(k)).second) side.listed.push_back(k);
    // The kernels that did not measure are reported apart; the rest are pooled as any run's.
    LabeledResults file = given;
    std::set<std::string> failed_here;
    std::erase_if(file.results.kernels, [&](const results::KernelResult& k) {
      if (k.status == "ok") return false;
      const bool failed = results::kernel_failed(k.status);
      if (failed) failed_here.insert(kernel_key(k));
      auto& where = failed ? side.failed_in : side.unmeasured_in;
      where[kernel_key(k)].push_back(
          fmt::format("{}: {}{}{}", given.origin, k.status, k.error.empty() ? "" : " (", k.error.empty() ? "" : k.error + ")"));
      return true;
    });
    for (const auto& key : failed_here) ++side.failed_runs[key];
    const bool measured_every_kernel = file.results.kernels.size() == given.results.kernels.size();
    if (&given != &files.front()) {
      require_same_device(files.front(), given, options);
      require_same_shapes(files.front(), given, options);
      require_same_attention_impl(files.front(), given, options);
    }
    // The same run twice would count as runs that agree: spread where there is none.
    const std::string fingerprint = run_fingerprint(given);
    if (!runs_seen.insert(fingerprint).second)
      throw UsageError(fmt::format("{}: the same run (started {} on {}, the same timings) is given twice on one side; "
                                   "give each run once",
                                   file.origin, file.results.machine.utc_time, file.results.machine.host));
    // Files are pooled by their samples: say which file lacks them, not an index into the pool.
    if (files.size() > 1)
      for (size_t i = 0; i < file.results.kernels.size(); ++i)
        if (file.results.kernels[i].samples_ms.empty())
          throw GateRefusal(GateErrorKind::Unreadable, fmt::format("{}: kernels[{}] ({}) has no samples_ms: several runs are pooled by their "
                                       "samples; give files written with them",
                                       file.origin, i, kernel_key(file.results.kernels[i])));
    // Repeats inside a file with a step are refused here, before its kernels join the others.
    const LabeledResults own = pool_repetitions(file);
    // One file is one run, whatever its --benchmark_repetitions: its repetitions ran back to back
    // under one moment of the host's load, so they cannot show run-to-run variance (three of them
    // once read "ranges apart, p = 0.05" between two identical builds). Their pooled median is the
    // run's.
    for (const auto& k : own.results.kernels) side.run_medians[kernel_key(k)].push_back(k.stats.median_ms);
    for (const auto& k : file.results.kernels) {
      const std::string key = kernel_key(k);
      side.algorithms[key].push_back({file.origin, k.algorithm});
      auto& unverified = side.unverified_in[key];
      if (!k.verified && std::find(unverified.begin(), unverified.end(), file.origin) == unverified.end())
        unverified.push_back(file.origin);
    }
    all.results.kernels.insert(all.results.kernels.end(), own.results.kernels.begin(), own.results.kernels.end());
    every_step = every_step && own.results.step.has_value();
    if (own.results.step && measured_every_kernel) side.step_ms.push_back(own.results.step->step_ms);
    side.origins.push_back(file.origin);
    side.machines.push_back(file.results.machine);
    side.timings.push_back(file.results.workload.timing);
    side.fingerprints.push_back(fingerprint);
  }
  std::erase_if(side.unverified_in, [](const auto& entry) { return entry.second.empty(); });
  // Which file lacks which kernel: a kernel pooled over fewer runs than the others, and a step
  // that sums other kernels than its neighbours', must be said, not found out.
  for (const auto& [key, medians] : side.run_medians)
    for (const auto& file : files)
      if (std::none_of(file.results.kernels.begin(), file.results.kernels.end(),
                       [&, &key = key](const results::KernelResult& k) { return kernel_key(k) == key; }))
        side.missing_from[key].push_back(file.origin);
  // Pooled across files as repetitions are within one: the step rides beside, not in, the pool.
  const auto step = all.results.step;
  all.results.step.reset();
  side.pooled = pool_repetitions(all);
  side.pooled.origin = files.size() == 1 ? files.front().origin
                                         : fmt::format("{} ({} runs)", fmt::join(side.origins, " + "), files.size());
  if (!every_step) {
    side.step_ms.clear();
  } else if (step && side.step_ms.empty()) {
    side.pooled.results.step = step;  // no run measured every kernel: shown, never judged
  } else if (step) {
    side.pooled.results.step = step;
    std::vector<double> sorted = side.step_ms;
    std::sort(sorted.begin(), sorted.end());
    side.pooled.results.step->step_ms = sorted[(sorted.size() - 1) / 2];  // lower median: one run's own step
  }
  return side;
}

}  // namespace tb::compare
