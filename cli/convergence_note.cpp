#include "cli/convergence_note.hpp"

#include <fmt/format.h>

namespace tb::cli {

std::string unconverged_note(const std::vector<results::KernelResult>& kernels, double target_rel_noise,
                             const std::string& time_budget_hint) {
  size_t noisy = 0;
  const results::KernelResult* worst = nullptr;
  for (const auto& k : kernels)
    if (k.status == "ok" && k.stop_reason != "converged" && k.stats.rel_noise > target_rel_noise) {
      ++noisy;
      if (!worst || k.stats.rel_noise > worst->stats.rel_noise) worst = &k;
    }
  if (!worst) return "";
  const std::string way = worst->stop_reason == "max_samples" ? "a larger --max-samples"
                          : !time_budget_hint.empty()         ? time_budget_hint
                                                              : "a longer --max-time or a quieter machine";
  const std::string what = kernels.size() == 1 ? "the kernel" : fmt::format("{} of {} kernels", noisy, kernels.size());
  return fmt::format("trainbench: note: {} stopped before the noise reached the {:.2f}% target ({}{:.2f}% after {} "
                     "samples, stopped by {}): the median is less certain than asked; {} helps (nightly gates)\n",
                     what, 100 * target_rel_noise,
                     kernels.size() == 1 ? ""
                     : worst->shape.empty()
                         ? fmt::format("worst {} ", worst->name)
                         : fmt::format("worst {} {} ", worst->name, worst->shape),  // a sweep's names repeat
                     100 * worst->stats.rel_noise, worst->stats.samples, worst->stop_reason, way);
}

}  // namespace tb::cli
