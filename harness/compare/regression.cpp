#include "harness/compare/regression.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/compare/comm_side_by_side.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/gate_notes.hpp"
#include "harness/compare/host_conditions.hpp"
#include "harness/compare/kernel_items.hpp"
#include "harness/compare/repetitions.hpp"
#include "harness/compare/u_test.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::compare {

int RegressionReport::regressions() const {
  int n = 0;
  for (const auto& i : items) n += i.verdict == Verdict::Slower || i.verdict == Verdict::Failed;
  return n;
}
int RegressionReport::improvements() const {
  int n = 0;
  for (const auto& i : items) n += i.verdict == Verdict::Faster;
  return n;
}
int RegressionReport::unjudged() const {
  return static_cast<int>(
      std::count_if(items.begin(), items.end(), [](const ItemVerdict& i) { return i.verdict == Verdict::Unjudged; }));
}
int RegressionReport::inconclusive_items() const {
  return static_cast<int>(std::count_if(items.begin(), items.end(), leaves_inconclusive));
}
int RegressionReport::count(Verdict verdict) const {
  return static_cast<int>(
      std::count_if(items.begin(), items.end(), [verdict](const ItemVerdict& i) { return i.verdict == verdict; }));
}
// A regression found is certain whatever else could not be judged; without one, an item the
// measurements left unjudged could be the regression: the gate cannot pass, as it cannot pass a
// gate that judged nothing. Exit 3, its own code: the input was fine (not a usage error, 2), the
// measurements could not tell (docs/compare.md).
std::string RegressionReport::verdict() const {
  if (regressions() > 0) return "regression";
  return inconclusive_items() > 0 ? "inconclusive" : "no_regression";
}
int RegressionReport::exit_code() const {
  if (regressions() > 0) return kExitRuntime;
  return inconclusive_items() > 0 ? kExitInconclusive : kExitOk;
}
std::vector<std::string> RegressionReport::rules_used() const {
  std::vector<std::string> rules;
  for (const auto& i : items)
    if (std::find(rules.begin(), rules.end(), i.rule) == rules.end()) rules.push_back(i.rule);
  return rules;
}

bool RegressionReport::false_alarms_bounded() const {
  return options.correction == Correction::Holm && family_size > 0 &&
         std::none_of(items.begin(), items.end(),
                      [](const ItemVerdict& i) { return i.rule == "u-test" || i.rule == "noise-band"; });
}

void check_regression_options(const RegressionOptions& o) {
  if (!std::isfinite(o.threshold) || o.threshold < 0 || o.threshold > 10)
    throw UsageError(fmt::format("--threshold must be between 0% and 1000% (got {}%)", o.threshold * 100));
  if (!std::isfinite(o.alpha) || !(o.alpha > 0) || o.alpha > kMaxAlpha)
    throw UsageError(fmt::format("--alpha must be a number in (0, 0.5], the level of every p-value rule (got {})",
                                 o.alpha));
  if (o.min_samples < 2) throw UsageError(fmt::format("min_samples must be at least 2 (got {})", o.min_samples));
}

namespace {

// A run compared with itself (the same file twice, or a copy: the same start, host and timings)
// can only pass: it measures nothing. Refused as one run given twice on one side is.
void refuse_a_run_on_both_sides(const PooledRuns& b, const PooledRuns& c) {
  for (std::size_t i = 0; i < b.fingerprints.size(); ++i)
    for (std::size_t j = 0; j < c.fingerprints.size(); ++j)
      if (b.fingerprints[i] == c.fingerprints[j])
        throw UsageError(fmt::format("{} (baseline) and {} (current) are the same run (started {} on {}, the same "
                                     "timings): a run compared with itself cannot fail; give tonight's run(s) after "
                                     "the baseline's",
                                     b.origins[i], c.origins[j], b.machines[i].utc_time, b.machines[i].host));
}

std::string run_advice(const RegressionReport& r, const std::string& command) {
  // With runs, every item a p-value can judge joins the family; one no runs can judge does not.
  const auto family = std::count_if(r.items.begin(), r.items.end(),
                                    [](const ItemVerdict& i) { return i.judgeable_with_runs; });
  const int n = runs_needed(static_cast<int>(family), r.options.alpha, r.options.correction, r.options.min_samples);
  // Separate files, not --benchmark_repetitions: repetitions share one moment of the host's load.
  const std::string how = command == "run" || command == "comm"
                              ? fmt::format("several `trainbench {}` files: --baseline repeated or a comma list, "
                                            "several current files",
                                            command)
                              : "separate files: --baseline repeated or a comma list, several current "
                                "files; --benchmark_repetitions within one file count as one run";
  // Tonight's one or two runs against the baseline's history: more baseline runs also let it fail.
  std::string history;
  if (r.baseline_runs >= kMinRunsToJudge && r.current_runs < kMinRunsToJudge)
    if (const int nb = baseline_runs_needed(r.current_runs, static_cast<int>(family), r.options.alpha,
                                            r.options.correction);
        nb > r.baseline_runs)  // fewer already given would name a count the baseline has passed
      history = fmt::format(", or {} or more baseline runs against {} current run{}", nb, r.current_runs,
                            r.current_runs == 1 ? "" : "s");
  if (n == 0) return fmt::format("more runs a side ({}){}", how, history);
  if (n == kMinRunsToJudge) return fmt::format("{} or more runs a side ({}){}", n, how, history);
  // Fewer runs give no p small enough: say why the count is not the 3 at which runs decide.
  return fmt::format("{} or more runs a side ({}; fewer cannot fail at --alpha {} with --correction {} over the {} "
                     "items runs can judge){}",
                     n, how, r.options.alpha, to_string(r.options.correction), family, history);
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
  // A failure tonight is judged by its status, not a p-value: a gate holding one can fail.
  const bool any_failed = std::any_of(report.items.begin(), report.items.end(),
                                      [](const ItemVerdict& i) { return i.verdict == Verdict::Failed; });
  if (!family.empty() && cannot.size() == family.size() && !any_band && !any_failed) {
    const bool none_would = o.correction == Correction::Holm && least <= o.alpha;
    // A larger --alpha only where the largest accepted one would reach the smallest p.
    const double level_at_max_alpha =
        o.correction == Correction::Holm ? kMaxAlpha / report.family_size : kMaxAlpha;
    const bool larger_alpha_would = o.alpha < kMaxAlpha && least <= level_at_max_alpha;
    throw GateRefusal(GateErrorKind::NeverFails, fmt::format(
        "{} vs {}: at {}, no item can ever be found slower: the smallest p their tests can give is {:.3g}, and {} "
        "needs {:.3g} or less; a gate that cannot fail cannot pass. Give {}{}{}",
        report.baseline_origin, report.current_origin, setting, least,
        o.correction == Correction::Holm ? "Holm's first step" : "each item", 
        o.correction == Correction::Holm ? o.alpha / report.family_size : o.alpha, run_advice(report, command),
        none_would ? ", or --correction none (each item at --alpha: false alarms grow with the number of kernels)"
                   : "",
        larger_alpha_would ? fmt::format(", or a larger --alpha (up to {:g})", kMaxAlpha) : ""));
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

// The step's noise is its kernels': unknown where one has a single sample. Which ones, so that the
// user knows what to measure longer.
ItemVerdict step_of_single_samples(const results::RunResults& b, const results::RunResults& c, double b_ms,
                                   double c_ms) {
  auto single = [](const results::RunResults& r) {
    std::vector<std::string> keys;
    for (const auto& k : r.kernels)
      if (!timing::known_rel_noise(k.stats)) keys.push_back(kernel_key(k));
    return keys;
  };
  std::vector<std::string> sides;
  for (const auto& [side, keys] : {std::pair{"baseline", single(b)}, std::pair{"current", single(c)}})
    if (!keys.empty()) sides.push_back(fmt::format("{} {}", side, fmt::join(keys, ", ")));
  return unjudged_item("step", b_ms, c_ms, UnjudgedReason::SingleSample,
                       fmt::format("the step's noise is unknown: a kernel has a single sample (no noise estimate) in "
                                   "the {}: not judged; measure with more samples",
                                   fmt::join(sides, "; and in the ")));
}

RegressionReport judge(const PooledRuns& base_side, const PooledRuns& cur_side, const RegressionOptions& o) {
  const LabeledResults& baseline = base_side.pooled;
  const LabeledResults& current = cur_side.pooled;
  require_same_device(baseline, current, o.compatibility);
  require_same_shapes(base_side.first, cur_side.first, o.compatibility);  // the pool leaves failed kernels out
  require_same_attention_impl(baseline, current, o.compatibility);
  refuse_a_run_on_both_sides(base_side, cur_side);
  // Failures in some baseline runs leave the others to judge; with none measured there is nothing.
  if (baseline.results.kernels.empty()) {
    const auto first = base_side.failed_in.empty() ? base_side.unmeasured_in.begin() : base_side.failed_in.begin();
    throw GateRefusal(GateErrorKind::Partial,
                      fmt::format("{}: the baseline measured no kernel: each failed or was not measured in every "
                                  "baseline run (the first, {}: {}); it has no timings to compare with — re-run it",
                                  baseline.origin, first->first, first->second.front()));
  }

  RegressionReport report;
  report.baseline_origin = baseline.origin;
  report.current_origin = current.origin;
  report.options = o;
  report.baseline_files = base_side.origins;
  report.current_files = cur_side.origins;
  report.environment = environment_changes(base_side.machines, cur_side.machines);
  for (auto& change : timing_changes(base_side.timings, cur_side.timings))
    report.environment.push_back(std::move(change));
  for (auto& change : algorithm_changes(base_side.algorithms, cur_side.algorithms))
    report.environment.push_back(std::move(change));
  if (auto busy = busy_host_note(base_side.machines, cur_side.machines)) report.notes.push_back(*busy);
  for (const auto& [key, medians] : base_side.run_medians)
    report.baseline_runs = std::max(report.baseline_runs, static_cast<int>(medians.size()));
  for (const auto& [key, medians] : cur_side.run_medians)
    report.current_runs = std::max(report.current_runs, static_cast<int>(medians.size()));
  for (const auto& [side, pooled] : {std::pair{"baseline", &base_side}, std::pair{"current", &cur_side}}) {
    for (auto& note : mixed_environment_notes(side, pooled->origins, pooled->machines)) report.notes.push_back(note);
    for (auto& note : mixed_timing_notes(side, pooled->origins, pooled->timings)) report.notes.push_back(note);
    for (auto& note : mixed_algorithm_notes(side, pooled->algorithms)) report.notes.push_back(note);
  }
  note_missing_kernels(base_side, cur_side, report.notes);
  note_unverified_kernels(base_side, cur_side, report.notes);

  report.items = kernel_items(base_side, cur_side, o, report.notes);
  // Only kernels one side has (--allow-different-shapes over unrelated files): nothing compared.
  if (std::all_of(report.items.begin(), report.items.end(),
                  [](const ItemVerdict& i) { return i.verdict == Verdict::Missing || i.verdict == Verdict::New; }))
    throw GateRefusal(GateErrorKind::Incomparable, fmt::format("{} and {} have no kernel in common (same name, shape and dtype): a gate that "
                                 "compared nothing cannot pass; give results of the same work",
                                 baseline.origin, current.origin));

  const auto& bs = baseline.results.step;
  const auto& cs = current.results.step;
  // A step is Σ calls × median over its file's kernels: steps over other kernel sets differ by
  // the kernels, not by the change.
  const bool same_kernels = base_side.same_kernels() && cur_side.same_kernels() &&
                            std::none_of(report.items.begin(), report.items.end(), [](const ItemVerdict& i) {
                              return i.verdict == Verdict::Missing || i.verdict == Verdict::New;
                            });
  if (bs && cs && (cur_side.has_failures() || !cur_side.unmeasured_in.empty())) {
    report.items.push_back(unjudged_item("step", bs->step_ms, cs->step_ms, UnjudgedReason::StepOfFailedKernels,
                                         "the current run's step misses the kernels that failed or were not "
                                         "measured (above), so it is not comparable; not judged"));
    report.items.back().judgeable_with_runs = false;
  } else if (bs && cs && base_side.step_ms.empty()) {
    // Baseline runs with failures are judged kernel by kernel; their steps sum fewer kernels.
    report.items.push_back(unjudged_item("step", bs->step_ms, cs->step_ms, UnjudgedReason::StepOfFailedKernels,
                                         "no baseline run measured every kernel (above): each baseline step misses "
                                         "a kernel, so it is not comparable; not judged"));
    report.items.back().judgeable_with_runs = false;
  } else if (bs && cs && !same_kernels) {
    report.items.push_back(unjudged_item("step", bs->step_ms, cs->step_ms, UnjudgedReason::OtherKernels,
                                         "the files measured different kernels (see the notes): a step sums its "
                                         "own kernels, so these steps are not comparable; not judged"));
    report.items.back().judgeable_with_runs = false;
  } else if (bs && cs) {
    report.items.push_back(decide("step", bs->step_ms, cs->step_ms, {}, {}, step_noise(baseline.results),
                                  step_noise(current.results), o, base_side.step_ms, cur_side.step_ms));
    if (report.items.back().unjudged_reason == UnjudgedReason::SingleSample)
      report.items.back() = step_of_single_samples(baseline.results, current.results, bs->step_ms, cs->step_ms);
  } else if (bs || cs) {
    report.notes.push_back("only one file has a measured step; the step was not compared");
  }
  // Failed items are judged: their failure is the verdict. Items of one side's measurements, or
  // failing on both, are not.
  if (std::all_of(report.items.begin(), report.items.end(), [](const ItemVerdict& i) {
        return i.rule == "unjudged" || i.rule == "one side" || i.verdict == Verdict::StillFailing;
      }))
    throw GateRefusal(GateErrorKind::NeverFails, fmt::format("{} vs {}: no item could be judged (the first, {}: {}): a gate that judged nothing "
                                 "cannot pass",
                                 baseline.origin, current.origin, report.items.front().key,
                                 report.items.front().reason));
  adjust_family(report, baseline.results.workload.command);
  if (report.baseline_runs < kMinRunsToJudge || report.current_runs < kMinRunsToJudge)
    hold_slowdowns_on_another_load(report, base_side.machines, cur_side.machines);
  if (report.baseline_runs >= kMinRunsToJudge && report.current_runs < kMinRunsToJudge)
    report.notes.push_back(fmt::format(
        "{} baseline runs vs {} current run{}: each item's current run median{} ranked among the baseline's run "
        "medians (a one-sided exact rank test, valid where tonight's runs are like the baseline's; its smallest p "
        "is 1/C({}, {}) = {:.3g}), not pooled samples; give {} for smaller p-values",
        report.baseline_runs, report.current_runs, report.current_runs == 1 ? "" : "s",
        report.current_runs == 1 ? "" : "s", report.baseline_runs + report.current_runs, report.current_runs,
        smallest_p_over_runs(report.baseline_runs, report.current_runs, o.min_samples),
        run_advice(report, baseline.results.workload.command)));
  else if (report.baseline_runs < kMinRunsToJudge || report.current_runs < kMinRunsToJudge)
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
  std::vector<LabeledResults> every_file = baseline;
  every_file.insert(every_file.end(), current.begin(), current.end());
  require_one_kind(every_file);  // a comm file beside a run file: no flag makes them comparable
  // Failures on either side are kept apart, kernel by kernel (kernel_items.hpp).
  return judge(pool_runs(baseline, o.compatibility), pool_runs(current, o.compatibility), o);
}

RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& o) {
  return check_regressions(std::vector<LabeledResults>{baseline}, std::vector<LabeledResults>{current}, o);
}

}  // namespace tb::compare
