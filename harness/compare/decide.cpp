// The rule that judges one item of the regression gate, and its verdict (item_verdict.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/compare/item_verdict.hpp"
#include "harness/compare/u_test.hpp"
#include "harness/timing/sample_stats.hpp"

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

bool makes_inconclusive(UnjudgedReason reason) {
  return reason != UnjudgedReason::None && reason != UnjudgedReason::OtherKernels;
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

}  // namespace

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

double smallest_p_over_runs(int nb, int nc, int min_samples) {
  switch (runs_rule(nb, nc, min_samples)) {
    case RunsRule::UTest: return smallest_u_test_p(static_cast<std::size_t>(nb), static_cast<std::size_t>(nc));
    case RunsRule::Ranges: return 1.0 / binomial(nb + nc, nb);
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
  const std::string pct = fmt::format("{:+.2f}%", 100.0 * v.change);
  const auto nb = static_cast<int>(baseline_runs.size()), nc = static_cast<int>(current_runs.size());
  const auto rule = runs_rule(nb, nc, o.min_samples);
  if (rule != RunsRule::None) {
    v.baseline_run_ms = baseline_runs;
    v.current_run_ms = current_runs;
  }

  // The U test on two sets (the runs' medians, or the raw samples), with its evidence. Its floor
  // is this item's own: from the ties these values have (none: exactly 2 / C(n_a + n_b, n_a)),
  // not from ties they might have had, which would put it below what the test can reach.
  auto u_test = [&](const char* rule_name, const char* over, const std::vector<double>& a,
                    const std::vector<double>& b, const char* unit) {
    v.rule = rule_name;
    v.p_value = mann_whitney_u(a, b).p_value;
    v.smallest_p_value = smallest_u_test_p(a, b);
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
    v.evidence = fmt::format("median {:.4g} -> {:.4g} ms ({}), noise ±{:.2f}% / ±{:.2f}% (2 standard errors; "
                             "fewer than {} raw samples, no U-test)",
                             baseline_ms, current_ms, pct, 200.0 * noise_baseline, 200.0 * noise_current,
                             o.min_samples);
  }
  v.adjusted_p_value = v.p_value;
  settle(v, o, 1);
  return v;
}

}  // namespace tb::compare
