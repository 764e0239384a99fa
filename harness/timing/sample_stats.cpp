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

double median_abs_deviation_ms(std::span<const double> samples_ms, double median_ms) {
  std::vector<double> deviations;
  deviations.reserve(samples_ms.size());
  for (double x : samples_ms) deviations.push_back(std::abs(x - median_ms));
  std::sort(deviations.begin(), deviations.end());
  return quantile_sorted(deviations, 0.5);
}

// MAD has a 50% breakdown point: up to half the samples can be arbitrarily slow and it stays
// bounded (Rousseeuw & Croux 1993). The price is implosion: when more than half the samples sit
// exactly on the median (a timer tick coarser than the kernel's jitter, e.g. CUDA events' 0.5 µs
// on a few-µs kernel) it is 0 though the samples vary, and 0 would read as "no noise, converged".
// Then the next-most robust spread we record: p90 − p10, whose breakdown is 10% a side, scaled to
// σ for normal samples. Only where the central 80% is one value too (at most a fifth of the samples
// differ) is σ left; it is what the estimator was before and errs on the noisy side: a kernel
// with spikes reads noisy, never quiet.
double robust_sigma_ms(const SampleStats& s) {
  if (s.mad_ms > 0) return kMadToSigma * s.mad_ms;
  if (s.p90_ms > s.p10_ms) return (s.p90_ms - s.p10_ms) / kInterdecileToSigma;
  return s.stddev_ms;
}

namespace {

double stddev_ms(std::span<const double> samples_ms, double mean_ms) {
  if (samples_ms.size() < 2) return 0;
  double ss = 0;
  for (double x : samples_ms) ss += (x - mean_ms) * (x - mean_ms);
  return std::sqrt(ss / static_cast<double>(samples_ms.size() - 1));
}

int64_t count_above(std::span<const double> sorted, double fence_ms) {
  return static_cast<int64_t>(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), fence_ms));
}

}  // namespace

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
  s.stddev_ms = stddev_ms(sorted, s.mean_ms);
  if (s.mean_ms > 0) s.rel_stddev = s.stddev_ms / s.mean_ms;
  s.mad_ms = median_abs_deviation_ms(sorted, s.median_ms);
  const double sigma_ms = robust_sigma_ms(s);
  if (sigma_ms > 0) s.outliers = count_above(sorted, s.median_ms + kOutlierSigmas * sigma_ms);
  if (s.median_ms > 0) s.rel_noise = kMedianEfficiency * sigma_ms / (std::sqrt(n) * s.median_ms);
  return s;
}

}  // namespace tb::timing
