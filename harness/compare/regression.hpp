#pragma once
// The nightly regression gate: did a kernel or the step get slower beyond BOTH the threshold
// and the measurement noise? Rules (docs/compare.md):
//  - change = current median / baseline median − 1 (positive: slower).
//  - With at least `min_samples` raw samples on each side: slower when change > threshold AND
//    the two-sided Mann-Whitney U test on samples_ms gives p < alpha (google/benchmark's
//    compare.py tests repetitions the same way; we test the raw samples).
//  - Otherwise (too few samples, and for the step, whose time is a sum of kernel medians):
//    slower when change > threshold AND the noise bands do not overlap:
//    current·(1 − 2·noise_c) > baseline·(1 + 2·noise_b), noise = relative standard error of the
//    median (SampleStats::rel_noise); 2 standard errors is about a 95% band for each median.
//  - Samples within one run cannot show run-to-run variance (clocks, placement, another process).
//    Where each side has several runs (files, or --benchmark_repetitions within one), the runs
//    decide instead: with at least `min_samples` runs a side, the U test on the runs' medians;
//    with 3 or 4, "run ranges": slower only when every current run is slower than every baseline
//    run and the chance of that under no change, one-sided in the change's direction,
//    1 / C(nb+nc, nb) (1 in 20 for 3 against 3), is at most alpha (the U test's p is two-sided).
//    One run given twice on a side is refused.
//  - A side with one sample has no noise estimate: its item is not judged (rule "unjudged"); a
//    gate in which no item could be judged is refused.
//  - Faster beyond the same tests is reported as an improvement; it never fails the gate.
//  - A comparison in which nothing matched is refused: a gate that compared nothing cannot pass.
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/environment_diff.hpp"

namespace tb::compare {

struct RegressionOptions {
  double threshold = 0.03;   // --threshold 3%
  double alpha = 0.05;       // --alpha: p-value cutoff of the U test
  int min_samples = 5;       // below this on either side, the noise-band rule decides
  CompatibilityOptions compatibility;
};

enum class Verdict { Same, Slower, Faster };
const char* to_string(Verdict verdict);

struct ItemVerdict {
  std::string name;             // kernel name, or "step"
  std::string key;              // kernel_key(), or "step"
  double baseline_ms = 0;       // median (step: step_ms)
  double current_ms = 0;
  double change = 0;            // current / baseline − 1
  std::string rule;             // "u-test", "noise-band", "u-test over runs", "run ranges" or "unjudged"
  std::optional<double> p_value;        // u-test
  double noise_baseline = 0, noise_current = 0;  // relative standard error of each median
  Verdict verdict = Verdict::Same;
  std::string explanation;      // one line: why this verdict
};

struct RegressionReport {
  std::string baseline_origin, current_origin;
  RegressionOptions options;
  std::vector<ItemVerdict> items;  // kernels in baseline order, then the step (when both have one)
  std::vector<std::string> notes;  // e.g. kernels present only on one side (allowed differences)
  std::vector<EnvironmentChange> environment;  // what changed on the machine since the baseline
  int baseline_runs = 1, current_runs = 1;     // runs per side (files or repetitions, the most of any kernel)
  int regressions() const;
  int improvements() const;
};

// Validates options (threshold in [0, 10], alpha in (0, 0.5]) naming the flag, refuses
// incomparable files (compatibility.hpp), then decides each matched kernel and the step.
RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& options);
// Several runs a side (compare --baseline B1 --baseline B2 C1 C2): each side pooled (pool_runs).
RegressionReport check_regressions(const std::vector<LabeledResults>& baseline,
                                   const std::vector<LabeledResults>& current, const RegressionOptions& options);

// Decides one pair of measurements; exposed for tests.
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

}  // namespace tb::compare
