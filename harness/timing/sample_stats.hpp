#pragma once
#include <optional>
// Statistics over timing samples. Pure functions, tested on synthetic samples.
#include <cstdint>
#include <span>
#include <vector>

namespace tb::timing {

struct SampleStats {
  int64_t samples = 0;
  double median_ms = 0;
  double mean_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double p10_ms = 0;
  double p90_ms = 0;
  double stddev_ms = 0;      // sample standard deviation (n − 1)
  double rel_stddev = 0;     // stddev / mean: the spread of one sample (nvbench's "noise")
  // Relative standard error of the median, 1.2533·σ/(√n·median) (asymptotic, normal samples):
  // the noise of the ESTIMATE, which more samples shrink. The stopping rule targets this.
  double rel_noise = 0;
};

// Linear interpolation between order statistics (numpy's default), q in [0, 1].
double quantile_sorted(std::span<const double> sorted, double q);
SampleStats summarize(std::span<const double> samples_ms);

// The median's relative standard error where there is one: fewer than two samples have no spread
// to estimate it from, and their rel_noise of 0 means unknown, not quiet.
inline std::optional<double> known_rel_noise(const SampleStats& s) {
  return s.samples >= 2 ? std::optional<double>(s.rel_noise) : std::nullopt;
}

}  // namespace tb::timing
