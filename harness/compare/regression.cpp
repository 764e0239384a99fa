#include "harness/compare/regression.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "harness/common/errors.hpp"
#include "harness/compare/gate_notes.hpp"
#include "harness/compare/repetitions.hpp"
#include "harness/compare/u_test.hpp"

namespace tb::compare {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Same: return "same";
    case Verdict::Slower: return "slower";
    case Verdict::Faster: return "faster";
    case Verdict::Unjudged: return "unjudged";
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
std::vector<std::string> RegressionReport::rules_used() const {
  std::vector<std::string> rules;
  for (const auto& i : items)
    if (std::find(rules.begin(), rules.end(), i.rule) == rules.end()) rules.push_back(i.rule);
  return rules;
}

void check_regression_options(const RegressionOptions& o) {
  if (!std::isfinite(o.threshold) || o.threshold < 0 || o.threshold > 10)
    throw UsageError(fmt::format("--threshold must be between 0% and 1000% (got {}%)", o.threshold * 100));
  if (!std::isfinite(o.alpha) || !(o.alpha > 0) || o.alpha > 0.5)
    throw UsageError(fmt::format("--alpha must be a number in (0, 0.5], the level of every p-value rule (got {})",
                                 o.alpha));
  if (o.min_samples < 2) throw UsageError(fmt::format("min_samples must be at least 2 (got {})", o.min_samples));
}

namespace {

// Which rule the runs' medians get: the U test from `min_samples` runs a side, run ranges from
// kMinRunsToJudge, none below (the samples within the runs decide).
enum class RunsRule { UTest, Ranges, None };
RunsRule runs_rule(int nb, int nc, int min_samples) {
  if (nb >= min_samples && nc >= min_samples) return RunsRule::UTest;
  if (nb >= kMinRunsToJudge && nc >= kMinRunsToJudge) return RunsRule::Ranges;
  return RunsRule::None;
}

// The verdict from the evidence: beyond the threshold and beyond noise, where noise is the
// adjusted p of a p-value rule (<= alpha: a p-value is valid when P(p <= alpha) <= alpha, and an
// exact test's p can be alpha itself, as 1/20 is at 0.05) or the bands of the noise-band rule.
void settle(ItemVerdict& v, const RegressionOptions& o, int family_size) {
  if (v.rule == "unjudged") {
    v.verdict = Verdict::Unjudged;
    v.explanation = v.evidence;
    return;
  }
  bool significant = false;
  std::string why;
  if (v.in_family()) {
    const double p = v.adjusted_p_value.value_or(*v.p_value);
    significant = p <= o.alpha;
    why = o.correction == Correction::Holm && family_size > 1
              ? fmt::format("Holm-adjusted p = {:.3g} over {} items {} alpha {}", p, family_size,
                            significant ? "<=" : ">", o.alpha)
              : fmt::format("p {} alpha {}", significant ? "<=" : ">", o.alpha);
  } else {
    significant = v.bands_apart;
    why = significant ? "bands apart" : "bands overlap";
  }
  const bool beyond_threshold = std::fabs(v.change) > o.threshold;
  v.verdict = beyond_threshold && significant ? (v.change > 0 ? Verdict::Slower : Verdict::Faster) : Verdict::Same;
  v.explanation = fmt::format("{}, {}, threshold {:.1f}%", v.evidence, why, 100.0 * o.threshold);
}

ItemVerdict unjudged(const std::string& name, double baseline_ms, double current_ms, const std::string& why) {
  ItemVerdict v;
  v.name = v.key = name;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  if (baseline_ms > 0) v.change = current_ms / baseline_ms - 1.0;
  v.rule = "unjudged";
  v.noise_baseline = v.noise_current = -1;  // no noise estimate was used
  v.evidence = baseline_ms > 0 ? fmt::format("median {:.4g} -> {:.4g} ms ({:+.2f}%), but {}", baseline_ms, current_ms,
                                             100.0 * v.change, why)
                               : why;
  v.verdict = Verdict::Unjudged;
  v.explanation = v.evidence;
  return v;
}

}  // namespace

// Relative standard error of a sum of medians, Σ calls·median_k, from each kernel's rel_noise,
// assuming independent errors: sqrt(Σ (calls·median·noise)²) / Σ calls·median. Unknown (-1)
// where a kernel has a single sample: its noise is no estimate, 0 least of all.
double step_noise(const results::RunResults& r) {
  double sum_ms = 0, var = 0;
  for (const auto& k : r.kernels) {
    const auto noise = timing::known_rel_noise(k.stats);
    if (!noise) return -1;
    const double ms = static_cast<double>(k.calls_per_step) * k.stats.median_ms;
    sum_ms += ms;
    var += (ms * *noise) * (ms * *noise);
  }
  return sum_ms > 0 ? std::sqrt(var) / sum_ms : 0.0;
}

double smallest_p_over_runs(int nb, int nc, int min_samples, Ties ties) {
  switch (runs_rule(nb, nc, min_samples)) {
    case RunsRule::UTest:
      return smallest_u_test_p(static_cast<std::size_t>(nb), static_cast<std::size_t>(nc), ties);
    case RunsRule::Ranges: return 1.0 / binomial(nb + nc, nb);
    case RunsRule::None: break;
  }
  return 1.0;
}

int runs_needed(int family_size, double alpha, Correction correction, int min_samples) {
  const double target = correction == Correction::Holm ? alpha / std::max(family_size, 1) : alpha;
  for (int n = kMinRunsToJudge; n <= 1000; ++n)
    if (smallest_p_over_runs(n, n, min_samples, Ties::None) <= target) return n;
  return 0;
}

ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& o,
                   const std::vector<double>& baseline_runs, const std::vector<double>& current_runs) {
  if (!(baseline_ms > 0) || !(current_ms >= 0))
    return unjudged(name, baseline_ms, current_ms,
                    fmt::format("baseline median {} ms is not positive: nothing to compare", baseline_ms));
  ItemVerdict v;
  v.name = name;
  v.key = name;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  v.noise_baseline = noise_baseline;
  v.noise_current = noise_current;
  v.change = current_ms / baseline_ms - 1.0;
  const std::string pct = fmt::format("{:+.2f}%", 100.0 * v.change);
  const auto nb = static_cast<int>(baseline_runs.size()), nc = static_cast<int>(current_runs.size());
  const auto rule = runs_rule(nb, nc, o.min_samples);
  if (rule != RunsRule::None) {
    v.baseline_run_ms = baseline_runs;
    v.current_run_ms = current_runs;
  }

  // The U test on two sets (the runs' medians, or the raw samples), with its evidence.
  auto u_test = [&](const char* rule_name, const char* over, const std::vector<double>& a,
                    const std::vector<double>& b, const char* unit) {
    v.rule = rule_name;
    v.p_value = mann_whitney_u(a, b).p_value;
    v.smallest_p_value = smallest_u_test_p(a.size(), b.size());
    v.evidence = fmt::format("median {:.4g} -> {:.4g} ms ({}), U-test{} p = {:.3g} ({} vs {} {})", baseline_ms,
                             current_ms, pct, over, *v.p_value, a.size(), b.size(), unit);
  };
  if (rule == RunsRule::UTest) {
    u_test("u-test over runs", " over the runs' medians", baseline_runs, current_runs, "runs");
  } else if (rule == RunsRule::Ranges) {
    v.rule = "run ranges";
    const auto [b_lo, b_hi] = std::minmax_element(baseline_runs.begin(), baseline_runs.end());
    const auto [c_lo, c_hi] = std::minmax_element(current_runs.begin(), current_runs.end());
    const bool apart = v.change > 0 ? *c_lo > *b_hi : *c_hi < *b_lo;
    // One-sided, in the change's direction (a gate asks "slower?"): the chance that every run of
    // one side lands beyond every run of the other with no change at all, one ordering of
    // C(nb+nc, nb). Where the ranges overlap the rule saw nothing: p = 1, still one test of the
    // family.
    const double chance = smallest_p_over_runs(nb, nc, o.min_samples);
    v.smallest_p_value = chance;
    v.p_value = apart ? chance : 1.0;
    v.evidence = fmt::format("median {:.4g} -> {:.4g} ms ({}), runs {:.4g}..{:.4g} vs {:.4g}..{:.4g} ms ({} vs {} "
                             "runs: {})",
                             baseline_ms, current_ms, pct, *b_lo, *b_hi, *c_lo, *c_hi, nb, nc,
                             apart ? fmt::format("ranges apart, one-sided chance of that by noise p = {:.3g}", chance)
                                   : std::string("ranges overlap, p = 1"));
  } else if (baseline_samples.size() == 1 || current_samples.size() == 1 || noise_baseline < 0 || noise_current < 0) {
    return unjudged(name, baseline_ms, current_ms,
                    "a side has a single sample (no noise estimate): not judged; measure with more samples");
  } else if (static_cast<int>(baseline_samples.size()) >= o.min_samples &&
             static_cast<int>(current_samples.size()) >= o.min_samples) {
    u_test("u-test", "", baseline_samples, current_samples, "samples");
  } else {
    v.rule = "noise-band";
    const double slow_gap = current_ms * (1 - 2 * noise_current) - baseline_ms * (1 + 2 * noise_baseline);
    const double fast_gap = baseline_ms * (1 - 2 * noise_baseline) - current_ms * (1 + 2 * noise_current);
    v.bands_apart = v.change > 0 ? slow_gap > 0 : fast_gap > 0;
    v.evidence = fmt::format("median {:.4g} -> {:.4g} ms ({}), noise ±{:.2f}% / ±{:.2f}% (2 standard errors; "
                             "fewer than {} raw samples, no U-test)",
                             baseline_ms, current_ms, pct, 200.0 * noise_baseline, 200.0 * noise_current,
                             o.min_samples);
  }
  v.adjusted_p_value = v.p_value;
  settle(v, o, 1);
  return v;
}

namespace {

std::string run_advice(const RegressionReport& r, const std::string& command) {
  // With runs, every item a p-value can judge joins the family; one no runs can judge does not.
  const auto family = std::count_if(r.items.begin(), r.items.end(),
                                    [](const ItemVerdict& i) { return i.judgeable_with_runs; });
  const int n = runs_needed(static_cast<int>(family), r.options.alpha, r.options.correction, r.options.min_samples);
  const std::string how = command == "run"
                              ? "several `trainbench run` files: --baseline repeated or a comma list, several "
                                "current files"
                              : fmt::format("--baseline repeated, several current files, or --benchmark_repetitions={}",
                                            std::max(n, kMinRunsToJudge));
  if (n == 0) return fmt::format("more runs a side ({})", how);
  if (n == kMinRunsToJudge) return fmt::format("{} or more runs a side ({})", n, how);
  // Fewer runs give no p small enough: say why the count is not the 3 at which runs decide.
  return fmt::format("{} or more runs a side ({}; fewer cannot fail at --alpha {} with --correction {} over the {} "
                     "items runs can judge)",
                     n, how, r.options.alpha, to_string(r.options.correction), family);
}

// Holm over the items judged by a p-value, then each item settled; refuses a gate that cannot
// fail whatever the data, and notes the items that cannot.
void adjust_family(RegressionReport& report, const std::string& command) {
  const RegressionOptions& o = report.options;
  std::vector<std::size_t> family;
  std::vector<double> p, smallest;
  for (std::size_t i = 0; i < report.items.size(); ++i)
    if (report.items[i].in_family()) {
      family.push_back(i);
      p.push_back(*report.items[i].p_value);
      smallest.push_back(report.items[i].smallest_p_value.value_or(*report.items[i].p_value));
    }
  report.family_size = static_cast<int>(family.size());
  const std::vector<double> adj = adjusted(p, o.correction);
  // Holm is monotone in every p: with each item at the smallest p its test can give, the
  // adjusted values are the best any data could reach. Above alpha there, never below it.
  const std::vector<double> best = adjusted(smallest, o.correction);
  for (std::size_t j = 0; j < family.size(); ++j) report.items[family[j]].adjusted_p_value = adj[j];
  for (auto& item : report.items) settle(item, o, report.family_size);

  std::vector<std::string> cannot;
  double least = 1;
  for (std::size_t j = 0; j < family.size(); ++j) {
    least = std::min(least, smallest[j]);
    if (best[j] > o.alpha)
      cannot.push_back(fmt::format("{} (smallest p {:.3g})", report.items[family[j]].key, smallest[j]));
  }
  const bool any_band = std::any_of(report.items.begin(), report.items.end(),
                                    [](const ItemVerdict& i) { return i.rule == "noise-band"; });
  const std::string setting =
      fmt::format("{} vs {} run(s) a side, --alpha {}, --correction {}{}", report.baseline_runs, report.current_runs,
                  o.alpha, to_string(o.correction),
                  o.correction == Correction::Holm ? fmt::format(" over {} items", report.family_size) : "");
  if (!family.empty() && cannot.size() == family.size() && !any_band) {
    const bool none_would = o.correction == Correction::Holm && least <= o.alpha;
    throw UsageError(fmt::format(
        "{} vs {}: at {}, no item can ever be found slower: the smallest p their tests can give is {:.3g}, and {} "
        "needs {:.3g} or less; a gate that cannot fail cannot pass. Give {}{}, or a larger --alpha",
        report.baseline_origin, report.current_origin, setting, least,
        o.correction == Correction::Holm ? "Holm's first step" : "each item", 
        o.correction == Correction::Holm ? o.alpha / report.family_size : o.alpha, run_advice(report, command),
        none_would ? ", or --correction none (each item at --alpha: false alarms grow with the number of kernels)"
                   : ""));
  }
  if (!cannot.empty())
    report.notes.push_back(fmt::format("{} of {} items judged by a p-value can never be found slower at {}: {}; give "
                                       "{}",
                                       cannot.size(), family.size(), setting, fmt::join(cannot, ", "),
                                       run_advice(report, command)));
  std::vector<std::string> banded;
  for (const auto& i : report.items)
    if (i.rule == "noise-band") banded.push_back(i.key);
  if (!banded.empty() && o.correction == Correction::Holm && !family.empty())
    report.notes.push_back(fmt::format("{} judged by 2-standard-error bands (no p-value), outside the Holm family of "
                                       "{}: each can raise a false alarm on its own",
                                       banded.size() > 3 ? fmt::format("{} items", banded.size()) : fmt::format("{}", fmt::join(banded, ", ")),
                                       family.size()));
}

RegressionReport judge(const PooledRuns& base_side, const PooledRuns& cur_side, const RegressionOptions& o) {
  const LabeledResults& baseline = base_side.pooled;
  const LabeledResults& current = cur_side.pooled;
  require_same_device(baseline, current, o.compatibility);
  require_same_shapes(baseline, current, o.compatibility);
  require_same_attention_impl(baseline, current, o.compatibility);

  RegressionReport report;
  report.baseline_origin = baseline.origin;
  report.current_origin = current.origin;
  report.options = o;
  report.environment = environment_changes(base_side.machines, cur_side.machines);
  for (auto& change : algorithm_changes(base_side.algorithms, cur_side.algorithms))
    report.environment.push_back(std::move(change));
  auto runs_of = [](const PooledRuns& side, const std::string& key) {
    const auto it = side.run_medians.find(key);
    return it == side.run_medians.end() ? std::vector<double>{} : it->second;
  };
  for (const auto& [key, medians] : base_side.run_medians)
    report.baseline_runs = std::max(report.baseline_runs, static_cast<int>(medians.size()));
  for (const auto& [key, medians] : cur_side.run_medians)
    report.current_runs = std::max(report.current_runs, static_cast<int>(medians.size()));
  for (const auto& [side, pooled] : {std::pair{"baseline", &base_side}, std::pair{"current", &cur_side}}) {
    for (auto& note : mixed_environment_notes(side, pooled->origins, pooled->machines)) report.notes.push_back(note);
    for (auto& note : mixed_algorithm_notes(side, pooled->algorithms)) report.notes.push_back(note);
  }
  note_missing_kernels(base_side, cur_side, report.notes);
  note_unverified_kernels(base_side, cur_side, report.notes);

  std::map<std::string, const results::KernelResult*> by_key;
  for (const auto& k : current.results.kernels) by_key[kernel_key(k)] = &k;
  for (const auto& b : baseline.results.kernels) {
    const std::string key = kernel_key(b);
    auto it = by_key.find(key);
    if (it == by_key.end()) continue;  // noted above, naming the files without it
    const auto& c = *it->second;
    // A single sample has no noise estimate, whether or not the file keeps its samples_ms.
    ItemVerdict v = decide(b.name, b.stats.median_ms, c.stats.median_ms, b.samples_ms, c.samples_ms,
                           timing::known_rel_noise(b.stats).value_or(-1.0), timing::known_rel_noise(c.stats).value_or(-1.0),
                           o, runs_of(base_side, key), runs_of(cur_side, key));
    v.key = key;
    report.items.push_back(std::move(v));
  }
  if (report.items.empty())
    throw UsageError(fmt::format("{} and {} have no kernel in common (same name, shape and dtype): a gate that "
                                 "compared nothing cannot pass; give results of the same work",
                                 baseline.origin, current.origin));

  const auto& bs = baseline.results.step;
  const auto& cs = current.results.step;
  // A step is Σ calls × median over its file's kernels: steps over other kernel sets differ by
  // the kernels, not by the change.
  const bool same_kernels = base_side.same_kernels() && cur_side.same_kernels() &&
                            base_side.run_medians.size() == report.items.size() &&
                            cur_side.run_medians.size() == report.items.size();
  if (bs && cs && !same_kernels) {
    report.items.push_back(unjudged("step", bs->step_ms, cs->step_ms,
                                    "the files measured different kernels (see the notes): a step sums its own "
                                    "kernels, so these steps are not comparable; not judged"));
    report.items.back().judgeable_with_runs = false;
  } else if (bs && cs) {
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
  adjust_family(report, baseline.results.workload.command);
  if (report.baseline_runs < kMinRunsToJudge || report.current_runs < kMinRunsToJudge)
    report.notes.push_back(fmt::format(
        "{} vs {} run(s): samples within one run cannot show run-to-run variance, so a machine whose runs differ "
        "by more than the {:.1f}% threshold fails on that alone; give {} to let the runs decide",
        report.baseline_runs, report.current_runs, 100.0 * o.threshold,
        run_advice(report, baseline.results.workload.command)));
  return report;
}

}  // namespace

RegressionReport check_regressions(const std::vector<LabeledResults>& baseline,
                                   const std::vector<LabeledResults>& current, const RegressionOptions& o) {
  check_regression_options(o);
  return judge(pool_runs(baseline, o.compatibility), pool_runs(current, o.compatibility), o);
}

RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& o) {
  return check_regressions(std::vector<LabeledResults>{baseline}, std::vector<LabeledResults>{current}, o);
}

}  // namespace tb::compare
