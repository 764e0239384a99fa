#pragma once
// The nightly regression gate: did a kernel or the step get slower beyond BOTH the threshold
// and the measurement noise? Rules (docs/compare.md):
//  - change = current median / baseline median − 1 (positive: slower).
//  - With at least `min_samples` raw samples on each side: the two-sided Mann-Whitney U test on
//    samples_ms (google/benchmark's compare.py tests repetitions the same way; we test the raw
//    samples).
//  - Otherwise (too few samples, and for the step, whose time is a sum of kernel medians):
//    slower when change > threshold AND the noise bands do not overlap:
//    current·(1 − 2·noise_c) > baseline·(1 + 2·noise_b), noise = relative standard error of the
//    median (SampleStats::rel_noise); 2 standard errors is about a 95% band for each median.
//  - Samples within one run cannot show run-to-run variance (clocks, placement, another process).
//    Where each side has several runs (files; a file's --benchmark_repetitions are one run), the runs
//    decide instead: with at least `min_samples` runs a side, the U test on the runs' medians;
//    with 3 or 4, "run ranges": every current run beyond every baseline run, whose chance under no
//    change, one-sided in the change's direction, is 1 / C(nb+nc, nb) (1 in 20 for 3 against 3;
//    the U test's p is two-sided). Its p is 1 where the ranges overlap. One run given twice on a
//    side is refused.
//    Where runs decide, the change is theirs too: the Hodges-Lehmann ratio of the run medians
//    (each run once, whatever its samples; its sign is the U test's direction), and an item that
//    is not significant is unjudged where the runs' spread would hide a change of the threshold's
//    size (or the change seen is beyond it): "same" only where a regression could have been seen.
//    Every verdict's direction is the test's.
//  - A kernel the baseline measured that failed in a current run (failed, oom, unsupported) is a
//    regression ("failed"), the other kernels judged as usual; one that failed in some baseline
//    runs is judged over the others; failing in every baseline run it is "still_failing" (failing
//    tonight too) or "fixed"; under --allow-different-shapes a kernel in no current file is
//    "missing" (inconclusive) and one in no baseline file "new" (kernel_items.hpp). A run only
//    interrupted (kernels skipped, interrupted) is refused on either side.
//  - Multiple comparisons: the items judged by a p-value (the three tests above) are one family,
//    and their p-values are adjusted by --correction (Holm by default, multiple_testing.hpp); an
//    item is beyond noise when its adjusted p <= alpha. Noise bands have no p-value: they are
//    outside the family, judged on their own (see docs/compare.md for why).
//  - A side with one sample has no noise estimate, and a 2-standard-error band of ±100% or more
//    reaches past 0 ms (it could never be told from noise): such items are not judged (verdict
//    "unjudged"), and with one of them and no regression the gate's verdict is "inconclusive",
//    never "no regression". The step where the files' kernel sets differ (--allow-different-shapes:
//    their steps sum other kernels) is unjudged too, without making the gate inconclusive: the
//    kernels themselves are items (a missing one does). A gate
//    in which no item could be judged, or none could ever fail at these run counts, alpha and
//    correction, is refused; so is a run compared with itself.
//  - Faster beyond the same tests is reported as an improvement; it never fails the gate.
//  - A comparison in which nothing matched is refused: a gate that compared nothing cannot pass.
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/environment_diff.hpp"
#include "harness/compare/item_verdict.hpp"
#include "harness/compare/multiple_testing.hpp"

namespace tb::compare {

struct RegressionReport {
  std::string baseline_origin, current_origin;    // each side for display: "b1.json + b2.json (2 runs)"
  std::vector<std::string> baseline_files, current_files;  // each side's files, in the order given
  RegressionOptions options;
  std::vector<ItemVerdict> items;  // kernels in baseline order, then the step (when both have one)
  std::vector<std::string> notes;  // e.g. kernels missing from a file, unverified kernels, mixed setups
  // What changed on the machine since the baseline, over every file of each side (and the timing
  // rule the kernels were measured under), then each kernel whose algorithm changed.
  std::vector<EnvironmentChange> environment;
  int baseline_runs = 1, current_runs = 1;     // runs per side (files, the most of any kernel)
  int family_size = 0;                         // items judged by a p-value, adjusted together
  int regressions() const;
  int improvements() const;
  int unjudged() const;  // every item not judged, for whatever reason
  // Items the measurements left unjudged (makes_inconclusive), and kernels missing tonight: with
  // no regression, the gate cannot say "no regression".
  int inconclusive_items() const;
  int count(Verdict verdict) const;  // items of this verdict (missing, new, still failing, fixed)
  // "regression" (an item slower: exit 1), "inconclusive" (none slower, but some could not be
  // judged: exit 3) or "no_regression" (exit 0).
  std::string verdict() const;
  int exit_code() const;
  // The rules that decided, in the order of the items ("u-test", "noise-band", ...).
  std::vector<std::string> rules_used() const;
  // Whether --alpha bounds the chance of any false alarm in this job: Holm over a family judged
  // by runs alone. Not where samples within a run decide (u-test, noise-band): they share one
  // run's conditions (pseudo-replication), so the run-to-run variance they leave out is unbounded.
  bool false_alarms_bounded() const;
};

// The largest --alpha check_regression_options accepts: the never-fails refusal advises a larger
// one only where this one would reach the smallest p the tests can give.
inline constexpr double kMaxAlpha = 0.5;

// Refuses (UsageError naming the flag and its accepted range) a threshold outside [0, 10] or an
// alpha outside (0, kMaxAlpha].
void check_regression_options(const RegressionOptions& options);

// Validates options (check_regression_options), refuses
// incomparable files (compatibility.hpp) and a run given on both sides, then decides each matched
// kernel and the step.
RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& options);
// Several runs a side (compare --baseline B1,B2 C1 C2): each side pooled (pool_runs).
RegressionReport check_regressions(const std::vector<LabeledResults>& baseline,
                                   const std::vector<LabeledResults>& current, const RegressionOptions& options);

}  // namespace tb::compare
