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
//    Where each side has several runs (files, or --benchmark_repetitions within one), the runs
//    decide instead: with at least `min_samples` runs a side, the U test on the runs' medians;
//    with 3 or 4, "run ranges": every current run beyond every baseline run, whose chance under no
//    change, one-sided in the change's direction, is 1 / C(nb+nc, nb) (1 in 20 for 3 against 3;
//    the U test's p is two-sided). Its p is 1 where the ranges overlap. One run given twice on a
//    side is refused.
//  - Multiple comparisons: the items judged by a p-value (the three tests above) are one family,
//    and their p-values are adjusted by --correction (Holm by default, multiple_testing.hpp); an
//    item is beyond noise when its adjusted p <= alpha. Noise bands have no p-value: they are
//    outside the family, judged on their own (see docs/compare.md for why).
//  - A side with one sample has no noise estimate: its item is not judged (verdict "unjudged");
//    so is the step where the files' kernel sets differ (their steps sum other kernels). A gate in
//    which no item could be judged, or none could ever fail at these run counts, alpha and
//    correction, is refused.
//  - Faster beyond the same tests is reported as an improvement; it never fails the gate.
//  - A comparison in which nothing matched is refused: a gate that compared nothing cannot pass.
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/environment_diff.hpp"
#include "harness/compare/multiple_testing.hpp"

namespace tb::compare {

struct RegressionOptions {
  double threshold = 0.03;   // --threshold 3%
  double alpha = 0.05;       // --alpha: the level of every p-value rule (family-wise under Holm)
  Correction correction = Correction::Holm;  // --correction
  int min_samples = 5;       // below this on either side, the noise-band rule decides
  CompatibilityOptions compatibility;
};

// JSON and text spell them "same", "faster", "slower", "unjudged".
enum class Verdict { Same, Slower, Faster, Unjudged };
const char* to_string(Verdict verdict);

struct ItemVerdict {
  std::string name;             // kernel name, or "step"
  std::string key;              // kernel_key(), or "step"
  double baseline_ms = 0;       // median (step: step_ms)
  double current_ms = 0;
  double change = 0;            // current / baseline − 1
  std::string rule;             // "u-test", "u-test over runs", "run ranges", "noise-band" or "unjudged"
  std::optional<double> p_value;           // the test's own p; set exactly for the p-value rules
  std::optional<double> adjusted_p_value;  // after --correction over the family (the p itself with none)
  std::optional<double> smallest_p_value;  // the smallest p this test can give at these sample/run counts
  bool bands_apart = false;     // noise-band rule: the 2-standard-error bands do not overlap
  double noise_baseline = 0, noise_current = 0;  // relative standard error of each median; -1 unknown
  std::vector<double> baseline_run_ms, current_run_ms;  // each run's median, where the runs decide
  Verdict verdict = Verdict::Same;
  std::string evidence;         // the measurements the rule read
  std::string explanation;      // evidence, then why this verdict
  // False where no number of runs would judge it (a step summing other kernels than the other
  // side's): left out of the family that advice on runs a side counts.
  bool judgeable_with_runs = true;
  bool in_family() const { return p_value.has_value(); }
};

struct RegressionReport {
  std::string baseline_origin, current_origin;
  RegressionOptions options;
  std::vector<ItemVerdict> items;  // kernels in baseline order, then the step (when both have one)
  std::vector<std::string> notes;  // e.g. kernels missing from a file, unverified kernels, mixed setups
  // What changed on the machine since the baseline, over every file of each side, then each
  // kernel whose algorithm changed.
  std::vector<EnvironmentChange> environment;
  int baseline_runs = 1, current_runs = 1;     // runs per side (files or repetitions, the most of any kernel)
  int family_size = 0;                         // items judged by a p-value, adjusted together
  int regressions() const;
  int improvements() const;
  // The rules that decided, in the order of the items ("u-test", "noise-band", ...).
  std::vector<std::string> rules_used() const;
};

// Refuses (UsageError naming the flag and its accepted range) a threshold outside [0, 10] or an
// alpha outside (0, 0.5].
void check_regression_options(const RegressionOptions& options);

// Validates options (check_regression_options), refuses
// incomparable files (compatibility.hpp), then decides each matched kernel and the step.
RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& options);
// Several runs a side (compare --baseline B1 --baseline B2 C1 C2): each side pooled (pool_runs).
RegressionReport check_regressions(const std::vector<LabeledResults>& baseline,
                                   const std::vector<LabeledResults>& current, const RegressionOptions& options);

// Decides one pair of measurements as a family of one (its adjusted p is its p); the gate then
// adjusts the family's p-values together and settles each item again. Exposed for tests.
ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& options,
                   const std::vector<double>& baseline_runs = {}, const std::vector<double>& current_runs = {});

// The step's noise for the noise-band rule: the relative standard error of Σ calls·median over
// the run's kernels, sqrt(Σ (calls·median·rel_noise)²) / Σ calls·median (independent errors);
// -1 where a kernel has fewer than 2 samples (no noise estimate: the step is then unjudged).
// Exposed for tests.
double step_noise(const results::RunResults& run);

// Runs a side from which the runs decide, not the samples within them.
inline constexpr int kMinRunsToJudge = 3;

// The smallest p the runs' rule can give with nb against nc runs: 1 / C(nb+nc, nb) for run
// ranges (3 or 4 a side), the U test's bound from `min_samples` a side; 1 below 3 a side, where
// the runs do not decide. `ties` as for smallest_u_test_p.
double smallest_p_over_runs(int nb, int nc, int min_samples, Ties ties = Ties::Possible);

// The fewest runs a side (equal sides, from kMinRunsToJudge) with which an item of a family of
// `family_size` can be found slower at `alpha` under `correction`: the smallest p over runs is at
// most alpha / family_size (Holm's first step) or alpha (none), for timings (no ties). 0 if none
// up to 1000 can.
int runs_needed(int family_size, double alpha, Correction correction, int min_samples);

}  // namespace tb::compare
