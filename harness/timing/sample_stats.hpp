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
  // Samples slower than the outlier fence (fence_half_width_ms): OS hiccups, clock dips.
  int64_t outliers = 0;
  // Relative standard error of the median (median_rel_noise): the noise of the ESTIMATE, which
  // more samples shrink and a few slow ones barely move. The stopping rule targets this.
  double rel_noise = 0;
};

// 1/Φ⁻¹(3/4): 1.4826·MAD estimates σ for normal samples (Rousseeuw & Croux 1993, JASA 88:1273).
inline constexpr double kMadToSigma = 1.482602218505602;
// 2·Φ⁻¹(0.9): p90 − p10 of normal samples spans 2.5631σ.
inline constexpr double kInterdecileToSigma = 2.563103131089201;
// √(π/2): the median's standard error over the mean's for normal samples.
inline constexpr double kMedianEfficiency = 1.2533141373155;
// The fence is 5 robust σ from the median. Normal jitter passes that once in 3.5 million samples
// (one-sided tail 2.9e-7), so among the stopping rule's at most 10,000 samples one beyond it is an
// interruption, not the kernel's own spread; timing tails are heavier than normal, hence 5 rather
// than 3. It sits near Tukey's "far out" fence, Q3 + 3·IQR = median + 4.7σ for normal samples.
inline constexpr double kOutlierSigmas = 5.0;
// ... and never closer than 5% of the median: on a kernel steady to 0.2% a sample 2% slow is far
// in σ but no interruption worth naming, and with a coarse timer (most samples on one tick) the
// robust σ is 0 and every sample a tick away would otherwise count.
inline constexpr double kMinFenceFraction = 0.05;
// Beyond this share of samples outside the fence, and at least kModalSamples of them, the run is
// not "steady plus hiccups" but has modes (a clock that steps, a busy neighbour half the time):
// the median may sit in either, and the noise is no less than the order statistics around it say
// (median_rel_noise). One or two far samples in a short run are hiccups, whatever their share.
inline constexpr double kModalFraction = 0.10;
inline constexpr int64_t kModalSamples = 3;

// Linear interpolation between order statistics (numpy's default), q in [0, 1].
double quantile_sorted(std::span<const double> sorted, double q);
// The median of |x − median_ms| over the samples (any order).
double median_abs_deviation_ms(std::span<const double> samples_ms, double median_ms);
SampleStats summarize(std::span<const double> samples_ms);

// Half the width of the band around the median inside which samples are the kernel's own spread:
// max(5σ̂, 5% of the median), σ̂ = 1.4826·MAD, or where MAD is 0 (more than half the samples on
// one timer tick) the spread of the central 80%, (p90 − p10)/2.5631.
double fence_half_width_ms(const SampleStats& s);

// The median's relative standard error from sorted samples whose median, MAD and deciles are in
// `s`. The σ of the samples inside the fence: as efficient as the classic σ on steady samples
// (a MAD-based σ is 37% efficient, so a stopping rule that stops on its first dip under target
// would stop too early), and blind to hiccups beyond the fence. Where more than kModalFraction
// (and kModalSamples) lie beyond it, no less than the distribution-free error: the spread of the
// order statistics at n/2 ± 1.5√n (the sign test's interval of the median at 3 standard errors)
// over 6, which a median that can land in either of two modes makes wide.
double median_rel_noise(std::span<const double> sorted, const SampleStats& s);

// The median's relative standard error where there is one: fewer than two samples have no spread
// to estimate it from, and their rel_noise of 0 means unknown, not quiet.
inline std::optional<double> known_rel_noise(const SampleStats& s) {
  return s.samples >= 2 ? std::optional<double>(s.rel_noise) : std::nullopt;
}

}  // namespace tb::timing
