#include "harness/results/convergence.hpp"

namespace tb::results {

bool stopped_short(const KernelResult& k, std::optional<double> target) {
  if (k.status != "ok" || k.stop_reason == "converged") return false;
  // A file that never recorded why a kernel stopped ("" before stop_reason) claims nothing.
  if (!target) return !k.stop_reason.empty();
  const auto noise = timing::known_rel_noise(k.stats);
  return !noise || *noise > *target;
}

std::optional<double> noise_target(const RunResults& run) {
  return run.workload.timing ? std::optional<double>(run.workload.timing->noise) : std::nullopt;
}

}  // namespace tb::results
