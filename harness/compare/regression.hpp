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
//  - Faster beyond the same tests is reported as an improvement; it never fails the gate.
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
  std::string rule;             // "u-test" or "noise-band"
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
  int regressions() const;
  int improvements() const;
};

// Validates options (threshold in [0, 10], alpha in (0, 0.5]) naming the flag, refuses
// incomparable files (compatibility.hpp), then decides each matched kernel and the step.
RegressionReport check_regressions(const LabeledResults& baseline, const LabeledResults& current,
                                   const RegressionOptions& options);

// Decides one pair of measurements; exposed for tests.
ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& options);

}  // namespace tb::compare
