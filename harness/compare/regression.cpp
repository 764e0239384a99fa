#include "harness/compare/regression.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "harness/common/errors.hpp"
#include "harness/compare/repetitions.hpp"
#include "harness/compare/u_test.hpp"

namespace tb::compare {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Same: return "same";
    case Verdict::Slower: return "SLOWER";
    case Verdict::Faster: return "faster";
  }
  return "?";
}

int RegressionReport::regressions() const {
  int n = 0;
  for (const auto& i : items) n += i.verdict == Verdict::Slower;
  return n;
}
int RegressionReport::improvements() const {
  int n = 0;
  for (const auto& i : items) n += i.verdict == Verdict::Faster;
  return n;
}

namespace {

void check_options(const RegressionOptions& o) {
  if (!std::isfinite(o.threshold) || o.threshold < 0 || o.threshold > 10)
    throw UsageError(fmt::format("--threshold must be between 0% and 1000% (got {}%)", o.threshold * 100));
  if (!std::isfinite(o.alpha) || !(o.alpha > 0) || o.alpha > 0.5)
    throw UsageError(fmt::format("--alpha must be in (0, 0.5] (got {})", o.alpha));
  if (o.min_samples < 2) throw UsageError(fmt::format("min_samples must be at least 2 (got {})", o.min_samples));
}

// Relative standard error of a sum of medians, Σ calls·median_k, from each kernel's rel_noise,
// assuming independent errors: sqrt(Σ (calls·median·noise)²) / Σ calls·median.
double step_noise(const results::RunResults& r) {
  double sum_ms = 0, var = 0;
  for (const auto& k : r.kernels) {
    const double ms = static_cast<double>(k.calls_per_step) * k.stats.median_ms;
    sum_ms += ms;
    var += (ms * k.stats.rel_noise) * (ms * k.stats.rel_noise);
  }
  return sum_ms > 0 ? std::sqrt(var) / sum_ms : 0.0;
}

}  // namespace

ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& o) {
  ItemVerdict v;
  v.name = name;
  v.key = name;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  v.noise_baseline = noise_baseline;
  v.noise_current = noise_current;
  if (!(baseline_ms > 0) || !(current_ms >= 0)) {
    v.rule = "none";
    v.explanation = fmt::format("baseline median {} ms is not positive: nothing to compare", baseline_ms);
    return v;
  }
  v.change = current_ms / baseline_ms - 1.0;
  const bool beyond_threshold = std::fabs(v.change) > o.threshold;
  const std::string pct = fmt::format("{:+.2f}%", 100.0 * v.change);

  bool significant = false;
  if (static_cast<int>(baseline_samples.size()) >= o.min_samples &&
      static_cast<int>(current_samples.size()) >= o.min_samples) {
    v.rule = "u-test";
    const auto u = mann_whitney_u(baseline_samples, current_samples);
    v.p_value = u.p_value;
    significant = u.p_value < o.alpha;
    v.explanation = fmt::format("median {:.4g} -> {:.4g} ms ({}), U-test p = {:.3g} ({} alpha {}; {} vs {} samples), "
                                "threshold {:.1f}%",
                                baseline_ms, current_ms, pct, u.p_value, significant ? "<" : ">=", o.alpha,
                                baseline_samples.size(), current_samples.size(), 100.0 * o.threshold);
  } else {
    v.rule = "noise-band";
    const double slow_gap = current_ms * (1 - 2 * noise_current) - baseline_ms * (1 + 2 * noise_baseline);
    const double fast_gap = baseline_ms * (1 - 2 * noise_baseline) - current_ms * (1 + 2 * noise_current);
    significant = v.change > 0 ? slow_gap > 0 : fast_gap > 0;
    v.explanation = fmt::format("median {:.4g} -> {:.4g} ms ({}), noise ±{:.2f}% / ±{:.2f}% (2 standard errors; "
                                "fewer than {} raw samples, no U-test), bands {}, threshold {:.1f}%",
                                baseline_ms, current_ms, pct, 200.0 * noise_baseline, 200.0 * noise_current,
                                o.min_samples, significant ? "apart" : "overlap", 100.0 * o.threshold);
  }
  if (beyond_threshold && significant) v.verdict = v.change > 0 ? Verdict::Slower : Verdict::Faster;
  return v;
}

RegressionReport check_regressions(const LabeledResults& baseline_file, const LabeledResults& current_file,
                                   const RegressionOptions& o) {
  check_options(o);
  require_complete_run(baseline_file);
  require_complete_run(current_file);
  const LabeledResults baseline = pool_repetitions(baseline_file), current = pool_repetitions(current_file);
  require_same_device(baseline, current, o.compatibility);
  require_same_shapes(baseline, current, o.compatibility);

  RegressionReport report;
  report.baseline_origin = baseline.origin;
  report.current_origin = current.origin;
  report.options = o;
  report.environment = environment_changes(baseline.results.machine, current.results.machine);
  std::map<std::string, const results::KernelResult*> by_key;
  for (const auto& k : current.results.kernels) by_key[kernel_key(k)] = &k;
  for (const auto& b : baseline.results.kernels) {
    const std::string key = kernel_key(b);
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      report.notes.push_back(fmt::format("{}: only in the baseline, not compared", key));
      continue;
    }
    const auto& c = *it->second;
    ItemVerdict v = decide(b.name, b.stats.median_ms, c.stats.median_ms, b.samples_ms, c.samples_ms,
                           b.stats.rel_noise, c.stats.rel_noise, o);
    v.key = key;
    report.items.push_back(std::move(v));
    by_key.erase(it);
  }
  for (const auto& [key, k] : by_key) report.notes.push_back(fmt::format("{}: only in the current run, not compared", key));

  const auto& bs = baseline.results.step;
  const auto& cs = current.results.step;
  if (bs && cs) {
    report.items.push_back(decide("step", bs->step_ms, cs->step_ms, {}, {}, step_noise(baseline.results),
                                  step_noise(current.results), o));
  } else if (bs || cs) {
    report.notes.push_back("only one file has a measured step; the step was not compared");
  }
  return report;
}

}  // namespace tb::compare
