#include "harness/compare/kernel_items.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "harness/timing/sample_stats.hpp"

namespace tb::compare {

namespace {

std::vector<std::string> entries(const std::map<std::string, std::vector<std::string>>& by_key,
                                 const std::string& key) {
  const auto it = by_key.find(key);
  return it == by_key.end() ? std::vector<std::string>{} : it->second;
}

int failed_runs(const PooledRuns& side, const std::string& key) {
  const auto it = side.failed_runs.find(key);
  return it == side.failed_runs.end() ? 0 : it->second;
}

std::vector<double> run_medians(const PooledRuns& side, const std::string& key) {
  const auto it = side.run_medians.find(key);
  return it == side.run_medians.end() ? std::vector<double>{} : it->second;
}

// The kernel pooled over the runs that measured it; null where none did.
const results::KernelResult* pooled(const PooledRuns& side, const std::string& key) {
  const auto& ks = side.pooled.results.kernels;
  const auto it = std::find_if(ks.begin(), ks.end(), [&](const results::KernelResult& k) { return kernel_key(k) == key; });
  return it == ks.end() ? nullptr : &*it;
}

bool listed(const PooledRuns& side, const std::string& key) {
  return std::any_of(side.listed.begin(), side.listed.end(),
                     [&](const results::KernelResult& k) { return kernel_key(k) == key; });
}

// "1 of 4 baseline runs": with one run a side, "the current run" reads as the gate always said it.
std::string runs_text(int n, const PooledRuns& side, const char* which) {
  return fmt::format("{} of {} {} run{}", n, side.runs(), which, side.runs() == 1 ? "" : "s");
}

// "failed in 1 of 4 baseline runs (b1.json: oom (out of memory))"
std::string failed_text(const PooledRuns& side, const std::string& key, const char* which) {
  return fmt::format("failed in {} ({})", runs_text(failed_runs(side, key), side, which),
                     fmt::join(entries(side.failed_in, key), "; "));
}

ItemVerdict named(ItemVerdict v, const results::KernelResult& k, const std::string& key) {
  v.name = k.name;
  v.key = key;
  v.shape = k.shape;
  v.dtype = k.dtype;
  return v;
}

// An item with one side's measurements only: nothing to test, so its verdict is the case's.
ItemVerdict one_side(Verdict verdict, double baseline_ms, double current_ms, const std::string& reason,
                     const std::string& detail = "") {
  ItemVerdict v;
  v.baseline_ms = baseline_ms;
  v.current_ms = current_ms;
  v.rule = verdict == Verdict::StillFailing ? "failed" : "one side";
  v.verdict = verdict;
  v.noise_baseline = v.noise_current = -1;
  v.judgeable_with_runs = false;
  v.reason = reason;
  v.evidence = v.explanation = detail.empty() ? reason : fmt::format("{} ({})", reason, detail);
  return v;
}

// A collective's busbw at each side's time: busbw = factor x size / time (docs/comm.md), so the
// baseline kernel's own busbw x its median is factor x size, whatever the runs pooled.
void add_busbw(ItemVerdict& v, const results::KernelResult& baseline) {
  if (!baseline.busbw_gb_s || !(baseline.stats.median_ms > 0)) return;
  const double factor_size = *baseline.busbw_gb_s * baseline.stats.median_ms;
  if (v.baseline_ms > 0) v.baseline_busbw_gb_s = factor_size / v.baseline_ms;
  if (v.current_ms > 0) v.current_busbw_gb_s = factor_size / v.current_ms;
}

// A kernel too noisy to judge: its outliers (samples beyond median + 5σ̂, sample_stats.hpp) are
// the likeliest cause, where it has some.
void note_outliers(ItemVerdict& v, const timing::SampleStats& base, const timing::SampleStats& cur) {
  std::vector<std::string> parts;
  if (base.outliers > 0) parts.push_back(fmt::format("{} of {} baseline samples", base.outliers, base.samples));
  if (cur.outliers > 0) parts.push_back(fmt::format("{} of {} current samples", cur.outliers, cur.samples));
  if (parts.empty()) return;
  const std::string outliers = fmt::format("; {} are outliers (beyond median + 5 sigma: another process, a clock dip)",
                                           fmt::join(parts, " and "));
  const std::string advice = "; measure with more samples";
  for (auto* text : {&v.reason, &v.evidence}) {
    const auto at = text->rfind(advice);
    text->insert(at == std::string::npos ? text->size() : at, outliers);
  }
  v.explanation = v.evidence;
}

// Failed in a current run. Where the baseline measured it (or never listed it: a new kernel), the
// worst regression, whatever the other runs timed, which its evidence says; where every baseline
// run failed it too, nothing got worse.
ItemVerdict failed_tonight(const PooledRuns& b, const PooledRuns& c, const std::string& key) {
  const int cf = failed_runs(c, key), bf = failed_runs(b, key);
  const std::vector<double> measured = run_medians(c, key);
  const results::KernelResult* base = pooled(b, key);
  if (!base && bf > 0) {
    const std::string both = fmt::format("failed in {} and in {}", runs_text(bf, b, "baseline"),
                                         runs_text(cf, c, "current"));
    return one_side(Verdict::StillFailing, 0, 0,
                    fmt::format("{}: no baseline time to compare with, and nothing got worse: not a regression, "
                                "still a failure to fix",
                                both),
                    fmt::format("{}; {}", fmt::join(entries(b.failed_in, key), "; "),
                                fmt::join(entries(c.failed_in, key), "; ")));
  }
  ItemVerdict v = failed_item(key, base ? base->stats.median_ms : 0, entries(c.failed_in, key),
                              c.runs() == 1 ? "the current run" : runs_text(cf, c, "current"));
  std::string more;
  if (!measured.empty())
    more += fmt::format("; measured in {} (median {:.4g} ms): a failure in one run is a failure",
                        static_cast<int>(measured.size()) + cf == c.runs()
                            ? fmt::format("the other {}", measured.size())
                            : fmt::format("{} of them", measured.size()),
                        median_of(measured));
  if (bf > 0) more += fmt::format("; it {} too: flaky, and failing tonight all the same", failed_text(b, key, "baseline"));
  if (!base && listed(b, key))  // listed in the baseline, never measured there (skipped beside a failure)
    v.evidence = fmt::format("not measured in any baseline run ({}), {}", fmt::join(entries(b.unmeasured_in, key), "; "),
                             v.reason);
  v.evidence += more;
  v.explanation = v.evidence;
  return v;
}

}  // namespace

std::vector<ItemVerdict> kernel_items(const PooledRuns& b, const PooledRuns& c, const RegressionOptions& o,
                                      std::vector<std::string>& notes) {
  std::vector<const results::KernelResult*> kernels;
  std::set<std::string> seen;
  for (const auto* side : {&b, &c})
    for (const auto& k : side->listed)
      if (seen.insert(kernel_key(k)).second) kernels.push_back(&k);

  std::vector<ItemVerdict> items;
  for (const results::KernelResult* k : kernels) {
    const std::string key = kernel_key(*k);
    const results::KernelResult* base = pooled(b, key);
    const results::KernelResult* cur = pooled(c, key);
    const int bf = failed_runs(b, key);
    ItemVerdict v;
    if (failed_runs(c, key) > 0) {
      v = failed_tonight(b, c, key);
    } else if (!listed(c, key)) {
      // --allow-different-shapes let in a current side without it: the gate saw nothing of it.
      v = one_side(Verdict::Missing, base ? base->stats.median_ms : 0, 0,
                   fmt::format("{} in the baseline, missing from every current run ({}): it may be the regression "
                               "(dropped from the workload, or its time moved into another kernel) and nothing "
                               "measured it tonight; not judged, so the gate cannot pass: re-run with it, or take "
                               "tonight's kernel set as the new baseline",
                               base ? "measured" : "listed", fmt::join(c.origins, ", ")));
    } else if (!cur) {
      // Not measured by any current run (skipped or interrupted beside a failure): it may be
      // slower, so the gate cannot pass it.
      const std::string skipped = fmt::format("{}", fmt::join(entries(c.unmeasured_in, key), "; "));
      v = unjudged_item(key, base ? base->stats.median_ms : 0, 0, UnjudgedReason::NotMeasured,
                        fmt::format("not measured in the current run: {}", skipped));
      v.change = 0;
      v.evidence = v.explanation =
          base ? fmt::format("measured in the baseline (median {:.4g} ms), but {}", base->stats.median_ms, v.reason)
               : v.reason;
      v.judgeable_with_runs = false;
    } else if (!base && bf > 0) {
      v = one_side(Verdict::Fixed, 0, cur->stats.median_ms,
                   fmt::format("{}, measured in {} (median {:.4g} ms): no baseline time to compare with; not judged "
                               "until a baseline measures it",
                               failed_text(b, key, "baseline"),
                               runs_text(static_cast<int>(run_medians(c, key).size()), c, "current"),
                               cur->stats.median_ms));
    } else if (!base && !listed(b, key)) {
      v = one_side(Verdict::New, 0, cur->stats.median_ms,
                   fmt::format("in no baseline file ({}), measured tonight (median {:.4g} ms): nothing to compare "
                               "with; listed, not judged",
                               fmt::join(b.origins, ", "), cur->stats.median_ms));
    } else if (!base) {
      // Listed in the baseline but skipped in every run of it (after a lost device): unknown.
      v = unjudged_item(key, 0, cur->stats.median_ms, UnjudgedReason::NotMeasured,
                        fmt::format("not measured in any baseline run: {}; re-run the baseline",
                                    fmt::join(entries(b.unmeasured_in, key), "; ")));
      v.judgeable_with_runs = false;
    } else {
      // A single sample has no noise estimate, whether or not the file keeps its samples_ms.
      v = decide(k->name, base->stats.median_ms, cur->stats.median_ms, base->samples_ms, cur->samples_ms,
                 timing::known_rel_noise(base->stats).value_or(-1.0), timing::known_rel_noise(cur->stats).value_or(-1.0),
                 o, run_medians(b, key), run_medians(c, key));
      if (v.unjudged_reason == UnjudgedReason::TooNoisy) note_outliers(v, base->stats, cur->stats);
      if (bf > 0) {
        // The runs that measured it decide; the evidence, which settle() builds the explanation
        // from, and the notes say which did not.
        const std::string over =
            fmt::format("{}: judged over the {} that measured it", failed_text(b, key, "baseline"),
                        run_medians(b, key).size());
        v.evidence += "; " + over;
        v.explanation += "; " + over;
        notes.push_back(fmt::format("{}: {}", key, over));
      }
      for (const auto& [side, which] : {std::pair{&b, "baseline"}, std::pair{&c, "current"}})
        if (const auto skipped = entries(side->unmeasured_in, key); !skipped.empty())
          notes.push_back(fmt::format("{} was not measured in {}: judged over the {} runs that measured it", key,
                                      fmt::join(skipped, "; "), which));
    }
    // Every item with a side's time shows that side's busbw (format.cpp blanks a side without one).
    if (base) add_busbw(v, *base);
    v = named(std::move(v), *k, key);
    v.baseline_failures = entries(b.failed_in, key);
    v.current_failures = entries(c.failed_in, key);
    v.baseline_failed_runs = bf;
    v.current_failed_runs = failed_runs(c, key);
    items.push_back(std::move(v));
  }
  return items;
}

}  // namespace tb::compare
