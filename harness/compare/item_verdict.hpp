#pragma once
// One item of the regression gate (a kernel, or the step): the rule that judges it and its
// verdict. The rules and why they are what they are: regression.hpp and docs/compare.md.
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/multiple_testing.hpp"
#include "harness/results/run_results.hpp"

namespace tb::compare {

struct RegressionOptions {
  double threshold = 0.03;   // --threshold 3%
  double alpha = 0.05;       // --alpha: the level of every p-value rule (family-wise under Holm)
  Correction correction = Correction::Holm;  // --correction
  int min_samples = 5;       // below this on either side, the noise-band rule decides
  CompatibilityOptions compatibility;
};

// JSON and text spell them "same", "faster", "slower", "unjudged", "failed", "still_failing",
// "fixed", "missing", "new". Failed: a kernel the baseline measured that failed in a current run
// (wrong results, an error, out of memory, unsupported): a regression whatever its times, the
// worst kind. The last four have measurements on one side only (one_side_items.hpp):
// StillFailing, failed in every baseline run and in a current run (nothing got worse, nothing to
// time); Fixed, failed in every baseline run and measured tonight; Missing, measured in the
// baseline and in no current file (--allow-different-shapes): it may be the regression, so the
// gate is inconclusive; New, in no baseline file: listed, never judged.
enum class Verdict { Same, Slower, Faster, Unjudged, Failed, StillFailing, Fixed, Missing, New };
const char* to_string(Verdict verdict);

// Why an item was not judged. The first three are the measurements' doing: the gate could not
// tell whether the item got slower, so it cannot say "no regression" (its verdict is
// "inconclusive"). OtherKernels is the step of files with different kernel sets, which only
// --allow-different-shapes lets in: asked for, like the kernels it leaves out (named in the notes).
// NotMeasured: a kernel no current run measured (skipped or interrupted in a run accepted for its
// failed kernels): inconclusive like the first three. StepOfFailedKernels: the step of a current
// run whose kernels failed sums fewer kernels, the failures being the regression; or a baseline
// none of whose runs measured every kernel: the kernels are judged (or listed) one by one, so it is not.
// HostConditions: found slower with fewer than 3 runs on a side, while the host's load differs
// between the sides (environment_diff.hpp's host_load) or, on the CPU backend, a run started on a
// busy host: within-run samples, or one run, cannot tell load from code, so it is inconclusive.
enum class UnjudgedReason {
  None, NothingToCompare, SingleSample, TooNoisy, OtherKernels, NotMeasured, StepOfFailedKernels, HostConditions
};
// Whether an item unjudged for this reason leaves the gate's verdict inconclusive.
bool makes_inconclusive(UnjudgedReason reason);

struct ItemVerdict {
  std::string name;             // kernel name, or "step"
  std::string shape, dtype;     // the kernel's ("" for the step)
  std::string key;              // kernel_key(), or "step"
  double baseline_ms = 0;       // median (step: step_ms)
  double current_ms = 0;
  // Collectives (`comm` files): nccl-tests' busbw at baseline_ms and current_ms. Judged by time,
  // which for one size and rank count is busbw's inverse: a slower time is a lower busbw.
  std::optional<double> baseline_busbw_gb_s, current_busbw_gb_s;
  // current / baseline − 1 over the medians; where runs decide, the Hodges-Lehmann estimate of
  // the ratio (hodges_lehmann_change), whose sign is the U test's direction.
  double change = 0;
  std::string rule;             // "u-test", "u-test over runs", "run ranges", "rank among baseline runs",
                                // "noise-band", "unjudged", "failed" (failed, still failing) or
                                // "one side" (fixed, missing, new)
  std::optional<double> p_value;           // the test's own p; set exactly for the p-value rules
  std::optional<double> adjusted_p_value;  // after --correction over the family (the p itself with none)
  std::optional<double> smallest_p_value;  // the smallest p this test can give on this item's values
  // The side the p-value rule found larger: +1 current (slower), −1 baseline, 0 neither. A
  // verdict's direction must be the test's: medians can disagree with the samples' ranks.
  int test_direction = 0;
  // Where runs decide: the p their rule would give were the change exactly the threshold (the
  // current runs scaled by (1 + threshold) / (1 + change)). Above the level an item is held to,
  // the runs' spread hides a change of the threshold's size: not significant is then no "same".
  std::optional<double> threshold_p_value;
  bool bands_apart = false;     // noise-band rule: the 2-standard-error bands do not overlap
  double noise_baseline = 0, noise_current = 0;  // relative standard error of each median; -1 unknown
  std::vector<double> baseline_run_ms, current_run_ms;  // each run's median, where the runs decide
  // The runs (files) of each side in which the kernel failed (failed, oom, unsupported), each
  // "file: status (error)": a kernel that failed in some baseline runs is judged over the others.
  std::vector<std::string> baseline_failures, current_failures;
  int baseline_failed_runs = 0, current_failed_runs = 0;  // how many files of each side they are
  Verdict verdict = Verdict::Same;
  UnjudgedReason unjudged_reason = UnjudgedReason::None;
  std::string reason;           // why not judged, in words ("too noisy: ±160% ..."); "" when judged
  std::string evidence;         // the measurements the rule read
  std::string explanation;      // evidence, then why this verdict
  // False where no number of runs would judge it (a step summing other kernels than the other
  // side's): left out of the family that advice on runs a side counts.
  bool judgeable_with_runs = true;
  bool in_family() const { return p_value.has_value(); }
};

// Whether, with nothing slower or failed, this item leaves the gate inconclusive (exit 3): unjudged
// for the measurements' sake (makes_inconclusive), or missing tonight.
bool leaves_inconclusive(const ItemVerdict& item);

// Decides one pair of measurements as a family of one (its adjusted p is its p); the gate then
// adjusts the family's p-values together and settles each item again. Exposed for tests.
ItemVerdict decide(const std::string& name, double baseline_ms, double current_ms,
                   const std::vector<double>& baseline_samples, const std::vector<double>& current_samples,
                   double noise_baseline, double noise_current, const RegressionOptions& options,
                   const std::vector<double>& baseline_runs = {}, const std::vector<double>& current_runs = {});

// A kernel the baseline measured that failed in the current run: verdict Failed, rule "failed",
// `failures` ("c0.json: failed (verification FAILED: ...)") in its reason and evidence, which say
// where it failed: "failed in {where}: ..." ("the current run", "1 of 3 current runs").
ItemVerdict failed_item(const std::string& name, double baseline_ms, const std::vector<std::string>& failures,
                        const std::string& where = "the current run");

// An item shown but not judged, with the reason in words.
ItemVerdict unjudged_item(const std::string& name, double baseline_ms, double current_ms, UnjudgedReason reason,
                          const std::string& why);

// The verdict from the evidence and the item's (adjusted) p or bands, over a family of
// `family_size`; an unjudged item stays unjudged.
void settle(ItemVerdict& item, const RegressionOptions& options, int family_size);

// The step's noise for the noise-band rule: the relative standard error of Σ calls·median over
// the run's kernels, sqrt(Σ (calls·median·rel_noise)²) / Σ calls·median (independent errors);
// -1 where a kernel has fewer than 2 samples (no noise estimate: the step is then unjudged).
// Exposed for tests.
double step_noise(const results::RunResults& run);

// The median (the mean of the two middle values for an even count); 0 for none.
double median_of(std::vector<double> values);
// The Hodges-Lehmann estimate of the change between runs: the median of the nb·nc ratios
// current run / baseline run, minus 1 (Hodges & Lehmann 1963: the shift the rank-sum test
// estimates, on logarithms a ratio). Weights each run once, whatever its sample count, and is
// above 0 exactly when more pairs have the current run slower than faster: the U test's direction.
double hodges_lehmann_change(const std::vector<double>& baseline_runs, const std::vector<double>& current_runs);

// Runs a side from which the runs decide, not the samples within them.
inline constexpr int kMinRunsToJudge = 3;

// The smallest p the runs' rule can give with nb against nc untied runs: 1 / C(nb+nc, nb) for
// run ranges (3 or 4 a side) and for 1 or 2 current runs ranked among 3 or more baseline runs
// (rank_among_runs.hpp), the U test's 2 / C(nb+nc, nb) from `min_samples` a side; 1 where the
// baseline has fewer than 3, where the runs do not decide. Each item's own floor (smallest_u_test_p on its values)
// is the same up to 30 a side, ties or not: the test is exact with ties.
double smallest_p_over_runs(int nb, int nc, int min_samples);

// The fewest runs a side (equal sides, from kMinRunsToJudge) with which an item of a family of
// `family_size` can be found slower at `alpha` under `correction`: the smallest p over runs is at
// most alpha / family_size (Holm's first step) or alpha (none). 0 if none up to 1000 can.
int runs_needed(int family_size, double alpha, Correction correction, int min_samples);
// The fewest baseline runs against `current_runs` (1 or 2) current runs with which an item can be
// found slower (1 / C(nb + nc, nc) at most the level above); 0 if none up to 100000 can.
int baseline_runs_needed(int current_runs, int family_size, double alpha, Correction correction);

}  // namespace tb::compare
