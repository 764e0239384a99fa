#pragma once
// Statistics over timing samples. Pure functions, tested on synthetic samples.
#include <cstdint>
#include <optional>
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
  // The classic spread, kept as recorded fields: one slow sample inflates both.
  double stddev_ms = 0;      // sample standard deviation (n − 1)
  double rel_stddev = 0;     // stddev / mean: the spread of one sample (nvbench's "noise")
  double mad_ms = 0;         // median absolute deviation from the median, unscaled
  // Samples slower than median + kOutlierSigmas·σ̂ (robust_sigma_ms): OS hiccups, clock dips.
  int64_t outliers = 0;
  // Relative standard error of the median, 1.2533·σ̂/(√n·median) (asymptotic, normal samples),
  // σ̂ the robust spread of robust_sigma_ms: the noise of the ESTIMATE, which more samples
  // shrink and a few slow samples barely move. The stopping rule targets this.
  double rel_noise = 0;
};

// 1/Φ⁻¹(3/4): 1.4826·MAD estimates σ for normal samples (Rousseeuw & Croux 1993, JASA 88:1273).
inline constexpr double kMadToSigma = 1.482602218505602;
// 2·Φ⁻¹(0.9): p90 − p10 of normal samples spans 2.5631σ.
inline constexpr double kInterdecileToSigma = 2.563103131089201;
// √(π/2): the median's standard error over the mean's for normal samples.
inline constexpr double kMedianEfficiency = 1.2533141373155;
// An outlier is slower than median + 5σ̂. Normal jitter passes that once in 3.5 million samples
// (one-sided tail 2.9e-7), so among the stopping rule's at most 10,000 samples one counted is an
// interruption, not the kernel's own spread; timing tails are heavier than normal, hence 5 rather
// than 3. It sits near Tukey's "far out" fence, Q3 + 3·IQR = median + 4.7σ for normal samples.
inline constexpr double kOutlierSigmas = 5.0;

// Linear interpolation between order statistics (numpy's default), q in [0, 1].
double quantile_sorted(std::span<const double> sorted, double q);
// The median of |x − median_ms| over the samples (any order).
double median_abs_deviation_ms(std::span<const double> samples_ms, double median_ms);
SampleStats summarize(std::span<const double> samples_ms);

// The robust σ behind rel_noise and the outlier fence, from recorded fields alone (so a reader
// of a results file gets the same one): 1.4826·MAD; where MAD is 0 yet the samples vary, the
// spread of the central 80%; where that is 0 too, the classic σ. See sample_stats.cpp for why.
double robust_sigma_ms(const SampleStats& s);

// The median's relative standard error where there is one: fewer than two samples have no spread
// to estimate it from, and their rel_noise of 0 means unknown, not quiet.
inline std::optional<double> known_rel_noise(const SampleStats& s) {
  return s.samples >= 2 ? std::optional<double>(s.rel_noise) : std::nullopt;
}

}  // namespace tb::timing
