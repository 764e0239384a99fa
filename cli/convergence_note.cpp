#include "cli/convergence_note.hpp"

#include <fmt/format.h>

#include "harness/results/convergence.hpp"

namespace tb::cli {

std::string unconverged_note(const std::vector<results::KernelResult>& kernels, double target_rel_noise,
                             const std::string& time_budget_hint) {
  size_t noisy = 0;
  const results::KernelResult* worst = nullptr;
  // Unknown noise (one sample) is the worst kind.
  auto noise = [](const results::KernelResult& k) { return timing::known_rel_noise(k.stats).value_or(1e300); };
  for (const auto& k : kernels)
    if (results::stopped_short(k, target_rel_noise)) {
      ++noisy;
      if (!worst || noise(k) > noise(*worst)) worst = &k;
    }
  if (!worst) return "";
  const std::string way = worst->stop_reason == "max_samples" ? "a larger --max-samples"
                          : !time_budget_hint.empty()         ? time_budget_hint
                                                              : "a longer --max-time or a quieter machine";
  const std::string what = kernels.size() == 1 ? "the kernel" : fmt::format("{} of {} kernels", noisy, kernels.size());
  const std::string reached = !timing::known_rel_noise(worst->stats) ? std::string("unknown after 1 sample")
                                                       : fmt::format("{:.2f}% after {} samples", 100 * worst->stats.rel_noise,
                                                                     worst->stats.samples);
  return fmt::format("trainbench: note: {} stopped before the noise reached the {:.2f}% target ({}{}, stopped by {}): "
                     "the median is less certain than asked; {} helps (nightly gates)\n",
                     what, 100 * target_rel_noise,
                     kernels.size() == 1 ? ""
                     : worst->shape.empty()
                         ? fmt::format("worst {} ", worst->name)
                         : fmt::format("worst {} {} ", worst->name, worst->shape),  // a sweep's names repeat
                     reached, worst->stop_reason, way);
}

std::string noise_cell(const results::KernelResult& k, int width, int decimals) {
  const auto noise = timing::known_rel_noise(k.stats);
  const std::string cell = noise ? fmt::format("{:.{}f}%", 100 * *noise, decimals) : "-";
  return fmt::format("{:>{}}", cell, width);
}

std::string outliers_text(const results::KernelResult& k) {
  const int64_t n = k.stats.outliers;
  return n == 0 ? "" : fmt::format("{} outlier{}", n, n == 1 ? "" : "s");
}

}  // namespace tb::cli
