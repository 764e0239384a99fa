// The rule that judges one item of the regression gate, and its verdict (item_verdict.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "harness/compare/item_verdict.hpp"
#include "harness/compare/rank_among_runs.hpp"
#include "harness/compare/u_test.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::compare {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Same: return "same";
    case Verdict::Slower: return "slower";
    case Verdict::Faster: return "faster";
    case Verdict::Unjudged: return "unjudged";
    case Verdict::Failed: return "failed";
    case Verdict::StillFailing: return "still_failing";
    case Verdict::Fixed: return "fixed";
    case Verdict::Missing: return "missing";
    case Verdict::New: return "new";
  }
  return "?";
}

bool makes_inconclusive(UnjudgedReason reason) {
  return reason != UnjudgedReason::None && reason != UnjudgedReason::OtherKernels &&
         reason != UnjudgedReason::StepOfFailedKernels;
}

bool leaves_inconclusive(const ItemVerdict& item) {
  return item.verdict == Verdict::Missing ||
         (item.verdict == Verdict::Unjudged && makes_inconclusive(item.unjudged_reason));
}

namespace {

// Which rule the runs' medians get: the U test from `min_samples` runs a side, run ranges from
// kMinRunsToJudge, tonight's one or two runs ranked among a baseline of kMinRunsToJudge or more
// (history against tonight: pooled samples would treat one run's samples as independent), none
// below (the samples within the runs decide).
enum class RunsRule { UTest, Ranges, AmongBaseline, None };
RunsRule runs_rule(int nb, int nc, int min_samples) {
  if (nb >= min_samples && nc >= min_samples) return RunsRule::UTest;
  if (nb >= kMinRunsToJudge && nc >= kMinRunsToJudge) return RunsRule::Ranges;
  if (nb >= kMinRunsToJudge && nc >= 1) return RunsRule::AmongBaseline;
  return RunsRule::None;
}

}  // namespace

namespace {

// The smallest gap between the distinct run medians of both sides, where a side repeats one: the
// timer's tick, which a short kernel's medians land on (0.20 and 0.21 ms at 10 µs); 0 without
// repeats.
double run_tick_ms(const ItemVerdict& v) {
  auto repeats = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return std::adjacent_find(x.begin(), x.end()) != x.end();
  };
  if (!repeats(v.baseline_run_ms) && !repeats(v.current_run_ms)) return 0.0;
  std::vector<double> all = v.baseline_run_ms;
  all.insert(all.end(), v.current_run_ms.begin(), v.current_run_ms.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  double tick = 0;
  for (std::size_t i = 1; i < all.size(); ++i)
    if (tick == 0 || all[i] - all[i - 1] < tick) tick = all[i] - all[i - 1];
  return tick;
}

// Whether the runs' medians sit on a tick no finer than the threshold: a change of its size falls
// between ticks, and more runs would land on the same few values.
bool tick_at_least(const ItemVerdict& v, double threshold) {
  const double tick = run_tick_ms(v);
  return tick > 0 && v.baseline_ms > 0 && tick / v.baseline_ms >= threshold;
}

}  // namespace

// The verdict from the evidence: beyond the threshold and beyond noise, where noise is the
// adjusted p of a p-value rule (<= alpha: a p-value is valid when P(p <= alpha) <= alpha, and an
// exact test's p can be alpha itself, as 1/20 is at 0.05) or the bands of the noise-band rule.
void settle(ItemVerdict& v, const RegressionOptions& o, int family_size) {
  // A failure's verdict stands whatever the timings; one side's measurements have nothing to test.
  if (v.rule == "failed" || v.rule == "one side") return;
  if (v.rule == "unjudged") {
    v.verdict = Verdict::Unjudged;
    v.explanation = v.evidence;
    return;
  }
  v.unjudged_reason = UnjudgedReason::None;  // settled afresh over the family
  v.reason.clear();
  bool significant = false;
  bool against_direction = false;  // significant, but the test's direction is not the change's
  std::string why;
  if (v.in_family()) {
    const double p = v.adjusted_p_value.value_or(*v.p_value);
    significant = p <= o.alpha;
    why = o.correction == Correction::Holm && family_size > 1
              ? fmt::format("Holm-adjusted p = {:.3g} over {} items {} alpha {}", p, family_size,
                            significant ? "<=" : ">", o.alpha)
              : fmt::format("p {} alpha {}", significant ? "<=" : ">", o.alpha);
    // A two-sided p says the sides differ, not which way: the verdict's sign is the test's.
    const int sign = v.change > 0 ? 1 : v.change < 0 ? -1 : 0;
    if (significant && v.test_direction != 0 && sign != v.test_direction) {
      significant = false;
      against_direction = true;
      why += fmt::format(", but the test found the {} side larger, against the change's sign: not beyond noise",
                         v.test_direction > 0 ? "current" : "baseline");
    }
  } else {
    significant = v.bands_apart;
    why = significant ? "bands apart" : "bands overlap";
  }
  const bool beyond_threshold = std::fabs(v.change) > o.threshold;
  v.verdict = beyond_threshold && significant ? (v.change > 0 ? Verdict::Slower : Verdict::Faster) : Verdict::Same;
  v.explanation = fmt::format("{}, {}, threshold {:.1f}%", v.evidence, why, 100.0 * o.threshold);
  // The medians beyond the threshold one way, the test sure of the other: the samples changed
  // shape (a mode moved), and neither "same" nor "slower" is what they show.
  if (v.verdict == Verdict::Same && against_direction && v.change > o.threshold) {
    v.verdict = Verdict::Unjudged;
    v.unjudged_reason = UnjudgedReason::TooNoisy;
    v.reason = fmt::format("the median is {:+.2f}%, beyond the {:.1f}% threshold, while the test finds the {} side "
                           "larger ({}): the samples' distribution changed shape, and the gate cannot pass it as "
                           "the same; look at both files' samples_ms, or measure again",
                           100.0 * v.change, 100.0 * o.threshold, v.test_direction > 0 ? "current" : "baseline", why);
    v.explanation = fmt::format("{}, but {}", v.evidence, v.reason);
    return;
  }
  if (v.verdict != Verdict::Same) return;
  // A change beyond the threshold that the samples' U test does not confirm (a bimodal baseline,
  // +74% at p 0.295, once read "same", exit 0): seen, not confirmed, as where runs decide below.
  if (v.rule == "u-test" && o.threshold > 0 && v.change > o.threshold && !significant) {
    v.verdict = Verdict::Unjudged;
    v.unjudged_reason = UnjudgedReason::TooNoisy;
    v.reason = fmt::format("too noisy: the median's change, {:+.2f}%, is beyond the {:.1f}% threshold but not beyond "
                           "the samples' spread ({}): a regression cannot be told from noise; look at both files' "
                           "samples_ms, measure again, or give 3 or more runs a side",
                           100.0 * v.change, 100.0 * o.threshold, why);
    v.explanation = fmt::format("{}, but {}", v.evidence, v.reason);
    return;
  }
  if (!v.threshold_p_value) return;
  // Runs that cannot tell: "same" would pass a slowdown the runs' spread hides. Where a change
  // beyond the threshold is seen but not confirmed, or a change of the threshold's size would not
  // reach the level this item is held to if it were the only one (Holm's first step, alpha / m),
  // the item is not judged, as a noise band past 0 ms is not. An item that no data could bring to
  // that level is left to the note on items that can never fail.
  const double level = o.correction == Correction::Holm ? o.alpha / std::max(family_size, 1) : o.alpha;
  const bool can_reach = v.smallest_p_value.value_or(0.0) <= level;
  std::string reason;
  if (v.change > o.threshold && !significant)
    reason = fmt::format("too noisy between runs: the runs' change, {:+.2f}%, is beyond the {:.1f}% threshold but not "
                         "beyond their spread ({}): a regression cannot be told from run-to-run noise; give more runs "
                         "a side or measure on a quieter machine",
                         100.0 * v.change, 100.0 * o.threshold, why);
  else if (can_reach && !significant && *v.threshold_p_value > level && tick_at_least(v, o.threshold))
    reason = fmt::format("too noisy between runs: the runs' medians repeat on a tick of {:.3g} ms ({:.1f}% of the "
                         "median: the timer's resolution at this kernel's length), no finer than the {:.1f}% "
                         "threshold, so a change of the threshold's size would give p = {:.3g}, above the {:.3g} this "
                         "item needs; more runs cannot help: a --threshold above the tick can",
                         run_tick_ms(v), 100.0 * run_tick_ms(v) / v.baseline_ms, 100.0 * o.threshold,
                         *v.threshold_p_value, level);
  else if (can_reach && !significant && *v.threshold_p_value > level)
    reason = fmt::format("too noisy between runs: a change of the threshold's size, {:.1f}%, in these runs would give "
                         "p = {:.3g}, above the {:.3g} this item needs{}: the runs' spread hides a regression of that "
                         "size; give more runs a side or measure on a quieter machine",
                         100.0 * o.threshold, *v.threshold_p_value, level,
                         o.correction == Correction::Holm && family_size > 1
                             ? fmt::format(" (alpha {} over {} items, Holm's first step)", o.alpha, family_size)
                             : "");
  if (reason.empty()) return;
  v.verdict = Verdict::Unjudged;
  v.unjudged_reason = UnjudgedReason::TooNoisy;
  v.reason = reason;
  v.explanation = fmt::format("{}, but {}", v.evidence, reason);
}

ItemVerdict failed_item(const std::string& name, double baseline_ms, const std::vector<std::string>& failures,
                        const std::string& where) {
  ItemVerdict v;
  v.name = v.key = name;
  v.baseline_ms = baseline_ms;
  v.rule = "failed";
  v.verdict = Verdict::Failed;
  v.noise_baseline = v.noise_current = -1;
  v.reason = fmt::format("failed in {}: {}", where, fmt::join(failures, "; "));
  v.evidence = baseline_ms > 0 ? fmt::format("measured in the baseline (median {:.4g} ms), {}", baseline_ms, v.reason)
                                : fmt::format("not in the baseline (a new kernel), {}", v.reason);
  v.explanation = v.evidence;
  return v;
}

ItemVerdict unjudged_item(const std::string& name, double baseline_ms, double current_ms, UnjudgedReason reason,
                          const std::string& why) {
  ItemVerdict v;
  v.name = v.key = name;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  if (baseline_ms > 0) v.change = current_ms / baseline_ms - 1.0;
  v.rule = "unjudged";
  v.unjudged_reason = reason;
  v.reason = why;
  v.noise_baseline = v.noise_current = -1;  // no noise estimate was used
  v.evidence = baseline_ms > 0 ? fmt::format("median {:.4g} -> {:.4g} ms ({:+.2f}%), but {}", baseline_ms, current_ms,
                                             100.0 * v.change, why)
                               : why;
  v.verdict = Verdict::Unjudged;
  v.explanation = v.evidence;
  return v;
}

// Relative standard error of a sum of medians, Σ calls·median_k, from each kernel's rel_noise,
// assuming independent errors: sqrt(Σ (calls·median·noise)²) / Σ calls·median. Unknown (-1)
// where a kernel has a single sample: its noise is no estimate, 0 least of all.
double step_noise(const results::RunResults& r) {
  double sum_ms = 0, var = 0;
  for (const auto& k : r.kernels) {
    const auto noise = timing::known_rel_noise(k.stats);
    if (!noise) return -1;
    const double ms = results::step_calls(k, r.workload) * k.stats.median_ms;
    sum_ms += ms;
    var += (ms * *noise) * (ms * *noise);
  }
  return sum_ms > 0 ? std::sqrt(var) / sum_ms : 0.0;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double hodges_lehmann_change(const std::vector<double>& baseline_runs, const std::vector<double>& current_runs) {
  std::vector<double> ratios;
  for (double b : baseline_runs)
    for (double c : current_runs)
      if (b > 0) ratios.push_back(c / b);
  return ratios.empty() ? 0.0 : median_of(std::move(ratios)) - 1.0;
}

double smallest_p_over_runs(int nb, int nc, int min_samples) {
  switch (runs_rule(nb, nc, min_samples)) {
    case RunsRule::UTest: return smallest_u_test_p(static_cast<std::size_t>(nb), static_cast<std::size_t>(nc));
    case RunsRule::Ranges: return 1.0 / binomial(nb + nc, nb);
    case RunsRule::AmongBaseline: return smallest_rank_among_runs_p(nb, nc);
    case RunsRule::None: break;
  }
  return 1.0;
}

int runs_needed(int family_size, double alpha, Correction correction, int min_samples) {
  const double target = correction == Correction::Holm ? alpha / std::max(family_size, 1) : alpha;
  for (int n = kMinRunsToJudge; n <= 1000; ++n)
    if (smallest_p_over_runs(n, n, min_samples) <= target) return n;
  return 0;
}

int baseline_runs_needed(int current_runs, int family_size, double alpha, Correction correction) {
  const double target = correction == Correction::Holm ? alpha / std::max(family_size, 1) : alpha;
  for (int n = kMinRunsToJudge; n <= 100000; ++n)
    if (smallest_rank_among_runs_p(n, current_runs) <= target) return n;
  return 0;
}

ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& o,
                   const std::vector<double>& baseline_runs, const std::vector<double>& current_runs) {
  if (!(baseline_ms > 0) || !(current_ms >= 0))
    return unjudged_item(name, baseline_ms, current_ms, UnjudgedReason::NothingToCompare,
                         fmt::format("baseline median {} ms is not positive: nothing to compare", baseline_ms));
  ItemVerdict v;
  v.name = name;
  v.key = name;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  v.noise_baseline = noise_baseline;
  v.noise_current = noise_current;
  v.change = current_ms / baseline_ms - 1.0;
  const auto nb = static_cast<int>(baseline_runs.size()), nc = static_cast<int>(current_runs.size());
  const auto rule = runs_rule(nb, nc, o.min_samples);
  if (rule != RunsRule::None) {
    v.baseline_run_ms = baseline_runs;
    v.current_run_ms = current_runs;
    // The runs decide, so the runs measure the change, each once: pooled samples would weight a
    // run by its sample count (one slow run of 443 samples against six fast ones of 21 read +15%
    // where six of seven runs were 10% faster).
    v.baseline_ms = median_of(baseline_runs);
    v.current_ms = median_of(current_runs);
    v.change = hodges_lehmann_change(baseline_runs, current_runs);
  }
  const std::string pct = fmt::format("{:+.2f}%", 100.0 * v.change);
  const std::string medians =
      rule == RunsRule::None
          ? fmt::format("median {:.4g} -> {:.4g} ms ({})", v.baseline_ms, v.current_ms, pct)
          : fmt::format("median run {:.4g} -> {:.4g} ms, change {} (Hodges-Lehmann: the median of the {} current / "
                        "baseline run ratios)",
                        v.baseline_ms, v.current_ms, pct, nb * nc);
  // Current runs moved to a change of exactly the threshold: what the rule could see of one.
  std::vector<double> at_threshold = current_runs;
  for (auto& x : at_threshold) x *= (1.0 + o.threshold) / (1.0 + v.change);

  // The U test on two sets (the runs' medians, or the raw samples), with its evidence. Its floor
  // is this item's own: from the ties each side has, the other side wholly beyond it.
  auto u_test = [&](const char* rule_name, const char* over, const std::vector<double>& a,
                    const std::vector<double>& b, const char* unit) {
    v.rule = rule_name;
    const UTestResult u = mann_whitney_u(a, b);
    v.p_value = u.p_value;
    v.test_direction = u.u_b > u.u_a ? 1 : u.u_b < u.u_a ? -1 : 0;
    v.smallest_p_value = smallest_u_test_p(a, b);
    v.evidence = fmt::format("{}, U-test{} p = {:.3g} ({} vs {} {})", medians, over, *v.p_value, a.size(), b.size(),
                             unit);
  };
  if (rule == RunsRule::UTest) {
    u_test("u-test over runs", " over the runs' medians", baseline_runs, current_runs, "runs");
    if (o.threshold > 0) v.threshold_p_value = mann_whitney_u(baseline_runs, at_threshold).p_value;
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
    v.test_direction = apart ? (v.change > 0 ? 1 : -1) : 0;
    if (o.threshold > 0)
      v.threshold_p_value = *std::min_element(at_threshold.begin(), at_threshold.end()) > *b_hi ? chance : 1.0;
    v.evidence = fmt::format("{}, runs {:.4g}..{:.4g} vs {:.4g}..{:.4g} ms ({} vs {} runs: {})", medians, *b_lo, *b_hi,
                             *c_lo, *c_hi, nb, nc,
                             apart ? fmt::format("ranges apart, one-sided chance of that by noise p = {:.3g}", chance)
                                   : std::string("ranges overlap, p = 1"));
  } else if (rule == RunsRule::AmongBaseline) {
    // One-sided in the change's direction, as run ranges: a gate asks "slower?".
    v.rule = "rank among baseline runs";
    const int direction = v.change > 0 ? 1 : v.change < 0 ? -1 : 0;
    v.p_value = direction == 0 ? 1.0 : rank_among_runs_p(baseline_runs, current_runs, direction);
    v.test_direction = direction;
    v.smallest_p_value = smallest_rank_among_runs_p(nb, nc);
    if (o.threshold > 0) v.threshold_p_value = rank_among_runs_p(baseline_runs, at_threshold, 1);
    const auto [b_lo, b_hi] = std::minmax_element(baseline_runs.begin(), baseline_runs.end());
    const auto at_or_above = std::count_if(baseline_runs.begin(), baseline_runs.end(),
                                           [&](double b) { return b >= current_runs.front(); });
    v.evidence = fmt::format(
        "{}, {} ranked among {} baseline runs ({:.4g}..{:.4g} ms): {}one-sided exact rank p = {:.3g} (smallest "
        "possible 1/C({}, {}) = {:.3g})",
        medians, nc == 1 ? fmt::format("the current run ({:.4g} ms)", current_runs.front())
                         : fmt::format("the {} current runs ({})", nc, fmt::join(current_runs, ", ")),
        nb, *b_lo, *b_hi,
        nc == 1 && direction > 0 ? fmt::format("{} at or above it, (1 + {}) / ({} + 1) = ", at_or_above, at_or_above, nb)
                                 : "",
        *v.p_value, nb + nc, nc, *v.smallest_p_value);
  } else if (baseline_samples.size() == 1 || current_samples.size() == 1 || noise_baseline < 0 || noise_current < 0) {
    return unjudged_item(name, baseline_ms, current_ms, UnjudgedReason::SingleSample,
                         "a side has a single sample (no noise estimate): not judged; measure with more samples");
  } else if (static_cast<int>(baseline_samples.size()) >= o.min_samples &&
             static_cast<int>(current_samples.size()) >= o.min_samples) {
    u_test("u-test", "", baseline_samples, current_samples, "samples");
  } else if (2 * noise_baseline >= 1 || 2 * noise_current >= 1) {
    // A band of ±100% or more reaches past 0 ms: current·(1 − 2·noise_c) <= 0 can never exceed
    // the baseline's band, so the item could never be slower (nor, with the baseline's band so
    // wide, faster), whatever its medians. "same" would pass a 50x slowdown; it is not judged.
    const bool current_worse = noise_current >= noise_baseline;
    ItemVerdict u = unjudged_item(
        name, baseline_ms, current_ms, UnjudgedReason::TooNoisy,
        fmt::format("too noisy: ±{:.0f}% on the {} side (2 standard errors of its median, fewer than {} samples, no "
                    "U-test): its band reaches past 0 ms, so no change can be told from noise; measure with more "
                    "samples",
                    200.0 * (current_worse ? noise_current : noise_baseline), current_worse ? "current" : "baseline",
                    o.min_samples));
    u.noise_baseline = noise_baseline;
    u.noise_current = noise_current;
    return u;
  } else {
    v.rule = "noise-band";
    const double slow_gap = current_ms * (1 - 2 * noise_current) - baseline_ms * (1 + 2 * noise_baseline);
    const double fast_gap = baseline_ms * (1 - 2 * noise_baseline) - current_ms * (1 + 2 * noise_current);
    v.bands_apart = v.change > 0 ? slow_gap > 0 : fast_gap > 0;
    v.evidence = fmt::format("{}, noise ±{:.2f}% / ±{:.2f}% (2 standard errors; fewer than {} raw samples, no "
                             "U-test)",
                             medians, 200.0 * noise_baseline, 200.0 * noise_current, o.min_samples);
  }
  v.adjusted_p_value = v.p_value;
  settle(v, o, 1);
  return v;
}

}  // namespace tb::compare
