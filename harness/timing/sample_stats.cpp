#include "harness/timing/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tb::timing {

double quantile_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

SampleStats summarize(std::span<const double> samples_ms) {
  SampleStats s;
  s.samples = static_cast<int64_t>(samples_ms.size());
  if (samples_ms.empty()) return s;
  std::vector<double> sorted(samples_ms.begin(), samples_ms.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  s.min_ms = sorted.front();
  s.max_ms = sorted.back();
  s.median_ms = quantile_sorted(sorted, 0.5);
  s.p10_ms = quantile_sorted(sorted, 0.1);
  s.p90_ms = quantile_sorted(sorted, 0.9);
  s.mean_ms = std::accumulate(sorted.begin(), sorted.end(), 0.0) / n;
  if (sorted.size() > 1) {
    double ss = 0;
    for (double x : sorted) ss += (x - s.mean_ms) * (x - s.mean_ms);
    s.stddev_ms = std::sqrt(ss / (n - 1));
  }
  if (s.mean_ms > 0) s.rel_stddev = s.stddev_ms / s.mean_ms;
  // √(π/2) ≈ 1.2533: the median's efficiency relative to the mean for normal samples.
  if (s.median_ms > 0) s.rel_noise = 1.2533141373155 * s.stddev_ms / (std::sqrt(n) * s.median_ms);
  return s;
}

}  // namespace tb::timing
