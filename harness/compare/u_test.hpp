#pragma once
// Mann-Whitney U test (Wilcoxon rank-sum) on two sets of timing samples: does one tend to be
// larger than the other? Distribution-free, so it suits GPU timings, which are skewed and have
// outliers. google/benchmark's tools/compare.py applies the same two-sided test to repetitions.
#include <cstddef>
#include <span>

namespace tb::compare {

struct UTestResult {
  double u_a = 0;          // U of the first sample: pairs (a, b) with a > b, ties counting 1/2
  double u_b = 0;          // n_a·n_b − u_a
  double p_value = 1;      // two-sided
  bool exact = false;      // exact permutation distribution (small samples, ties or not)
  std::size_t n_a = 0, n_b = 0;
};

// Exact distribution when both samples have at most kExactMaxSamples values: without ties the
// U distribution (as scipy.stats.mannwhitneyu's method="exact"), with ties the permutation
// distribution of the midrank sum over every deal of the pooled values (the conditional exact
// test; scipy would fall back to the normal form, which on 7 runs a side with one repeated median
// cannot go below 0.002). Otherwise the normal approximation with tie and continuity corrections
// (Mann & Whitney 1947; scipy's default use_continuity=True). Empty input is a UsageError.
inline constexpr std::size_t kExactMaxSamples = 30;
UTestResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

}  // namespace tb::compare
