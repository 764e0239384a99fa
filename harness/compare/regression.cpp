#include "harness/compare/regression.hpp"

#include <fmt/format.h>

#include <algorithm>
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

}  // namespace

// Relative standard error of a sum of medians, Σ calls·median_k, from each kernel's rel_noise,
// assuming independent errors: sqrt(Σ (calls·median·noise)²) / Σ calls·median. Unknown (-1)
// where a kernel has a single sample: its noise is no estimate, 0 least of all.
double step_noise(const results::RunResults& r) {
  double sum_ms = 0, var = 0;
  for (const auto& k : r.kernels) {
    if (k.stats.samples < 2) return -1;
    const double ms = static_cast<double>(k.calls_per_step) * k.stats.median_ms;
    sum_ms += ms;
    var += (ms * k.stats.rel_noise) * (ms * k.stats.rel_noise);
  }
  return sum_ms > 0 ? std::sqrt(var) / sum_ms : 0.0;
}

namespace {

// C(n, k) in double: at most a few thousand here (run counts below min_samples).
double binomial(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

}  // namespace

ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& o,
                   const std::vector<double>& baseline_runs, const std::vector<double>& current_runs) {
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
  const auto nb = static_cast<int>(baseline_runs.size()), nc = static_cast<int>(current_runs.size());

  bool significant = false;
  // The U test on two sets (the runs' medians, or the raw samples), with its evidence.
  auto u_test = [&](const char* rule, const char* over, const std::vector<double>& a, const std::vector<double>& b,
                    const char* unit) {
    v.rule = rule;
    const auto u = mann_whitney_u(a, b);
    v.p_value = u.p_value;
    significant = u.p_value < o.alpha;
    v.explanation = fmt::format("median {:.4g} -> {:.4g} ms ({}), U-test{} p = {:.3g} ({} alpha {}; {} vs {} {}), "
                                "threshold {:.1f}%",
                                baseline_ms, current_ms, pct, over, u.p_value, significant ? "<" : ">=", o.alpha,
                                a.size(), b.size(), unit, 100.0 * o.threshold);
  };
  if (nb >= o.min_samples && nc >= o.min_samples) {
    u_test("u-test over runs", " over the runs' medians", baseline_runs, current_runs, "runs");
  } else if (nb >= kMinRunsToJudge && nc >= kMinRunsToJudge) {
    v.rule = "run ranges";
    const auto [b_lo, b_hi] = std::minmax_element(baseline_runs.begin(), baseline_runs.end());
    const auto [c_lo, c_hi] = std::minmax_element(current_runs.begin(), current_runs.end());
    const bool apart = v.change > 0 ? *c_lo > *b_hi : *c_hi < *b_lo;
    // One-sided, in the change's direction (a gate asks "slower?"): the chance that every run of
    // one side lands beyond every run of the other with no change at all, one ordering of
    // C(nb+nc, nb). Held to --alpha; given only where the ranges are apart.
    const double chance = 1.0 / binomial(nb + nc, nb);
    significant = apart && chance <= o.alpha;
    if (apart) v.p_value = chance;
    v.explanation =
        apart ? fmt::format("median {:.4g} -> {:.4g} ms ({}), runs {:.4g}..{:.4g} vs {:.4g}..{:.4g} ms ({} vs {} runs: "
                            "ranges apart, one-sided chance of that by noise {:.3g} {} alpha {}), threshold {:.1f}%",
                            baseline_ms, current_ms, pct, *b_lo, *b_hi, *c_lo, *c_hi, nb, nc, chance,
                            significant ? "<=" : ">", o.alpha, 100.0 * o.threshold)
              : fmt::format("median {:.4g} -> {:.4g} ms ({}), runs {:.4g}..{:.4g} vs {:.4g}..{:.4g} ms ({} vs {} runs: "
                            "ranges overlap), threshold {:.1f}%",
                            baseline_ms, current_ms, pct, *b_lo, *b_hi, *c_lo, *c_hi, nb, nc, 100.0 * o.threshold);
  } else if (baseline_samples.size() == 1 || current_samples.size() == 1 || noise_baseline < 0 || noise_current < 0) {
    v.rule = "unjudged";
    v.explanation = fmt::format("median {:.4g} -> {:.4g} ms ({}), but a side has a single sample (no noise "
                                "estimate): not judged; measure with more samples",
                                baseline_ms, current_ms, pct);
    return v;
  } else if (static_cast<int>(baseline_samples.size()) >= o.min_samples &&
      static_cast<int>(current_samples.size()) >= o.min_samples) {
    u_test("u-test", "", baseline_samples, current_samples, "samples");
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

namespace {

RegressionReport judge(const PooledRuns& base_side, const PooledRuns& cur_side, const RegressionOptions& o) {
  const LabeledResults& baseline = base_side.pooled;
  const LabeledResults& current = cur_side.pooled;
  require_same_device(baseline, current, o.compatibility);
  require_same_shapes(baseline, current, o.compatibility);

  RegressionReport report;
  report.baseline_origin = baseline.origin;
  report.current_origin = current.origin;
  report.options = o;
  report.environment = environment_changes(baseline.results.machine, current.results.machine);
  auto runs_of = [](const PooledRuns& side, const std::string& key) {
    const auto it = side.run_medians.find(key);
    return it == side.run_medians.end() ? std::vector<double>{} : it->second;
  };
  for (const auto& [key, medians] : base_side.run_medians)
    report.baseline_runs = std::max(report.baseline_runs, static_cast<int>(medians.size()));
  for (const auto& [key, medians] : cur_side.run_medians)
    report.current_runs = std::max(report.current_runs, static_cast<int>(medians.size()));
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
    // A single sample has no noise estimate, whether or not the file keeps its samples_ms.
    ItemVerdict v = decide(b.name, b.stats.median_ms, c.stats.median_ms, b.samples_ms, c.samples_ms,
                           b.stats.samples < 2 ? -1.0 : b.stats.rel_noise, c.stats.samples < 2 ? -1.0 : c.stats.rel_noise,
                           o, runs_of(base_side, key), runs_of(cur_side, key));
    v.key = key;
    report.items.push_back(std::move(v));
    by_key.erase(it);
  }
  for (const auto& [key, k] : by_key) report.notes.push_back(fmt::format("{}: only in the current run, not compared", key));
  if (report.items.empty())
    throw UsageError(fmt::format("{} and {} have no kernel in common (same name, shape and dtype): a gate that "
                                 "compared nothing cannot pass; give results of the same work",
                                 baseline.origin, current.origin));

  const auto& bs = baseline.results.step;
  const auto& cs = current.results.step;
  if (bs && cs) {
    report.items.push_back(decide("step", bs->step_ms, cs->step_ms, {}, {}, step_noise(baseline.results),
                                  step_noise(current.results), o, base_side.step_ms, cur_side.step_ms));
  } else if (bs || cs) {
    report.notes.push_back("only one file has a measured step; the step was not compared");
  }
  if (std::all_of(report.items.begin(), report.items.end(), [](const ItemVerdict& i) { return i.rule == "unjudged"; }))
    throw UsageError(fmt::format("{} vs {}: no kernel could be judged (a side has a single sample, so no noise "
                                 "estimate): a gate that judged nothing cannot pass; measure with more samples "
                                 "(--min-samples)",
                                 baseline.origin, current.origin));
  if (report.baseline_runs < kMinRunsToJudge || report.current_runs < kMinRunsToJudge)
    report.notes.push_back(fmt::format(
        "{} vs {} run(s): samples within one run cannot show run-to-run variance, so a machine whose runs differ "
        "by more than the {:.1f}% threshold fails on that alone; give each side {} or more runs (--baseline "
        "repeated, several current files, or --benchmark_repetitions={}) to let the runs decide",
        report.baseline_runs, report.current_runs, 100.0 * o.threshold, kMinRunsToJudge, kMinRunsToJudge));
  return report;
}

}  // namespace

RegressionReport check_regressions(const std::vector<LabeledResults>& baseline,
                                   const std::vector<LabeledResults>& current, const RegressionOptions& o) {
  check_options(o);
  return judge(pool_runs(baseline, o.compatibility), pool_runs(current, o.compatibility), o);
}

RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& o) {
  return check_regressions(std::vector<LabeledResults>{baseline}, std::vector<LabeledResults>{current}, o);
}

}  // namespace tb::compare
