#include "harness/timing/budget_eta.hpp"

#include <algorithm>

namespace tb::timing {

Eta estimate_remaining(const EtaInputs& in) {
  Eta eta;
  if (in.kernels_left == 0) return eta;
  const double left = static_cast<double>(in.kernels_left);
  TimingPolicy next = in.policy;
  if (in.budget_s > 0) {
    const double budget_left_s = std::max(0.0, in.budget_s - in.elapsed_s);
    // Below the minimum shares the budget no longer divides anything: each kernel left takes its
    // set-up, a sample or more and its check, which no share predicts.
    if (budget_left_s < left * kMinShareS) {
      eta.budget_spent = true;
      return eta;
    }
    next = within_budget(in.policy, budget_left_s, in.kernels_left);
    eta.bound_s = budget_left_s;
  }
  if (in.measured.empty()) return eta;
  const double cap_s = next.max_time_s;
  double sum_s = (std::min(next.min_time_s, cap_s) + cap_s) / 2;
  for (const auto& k : in.measured) {
    if (k.stopped_by_time && k.cap_s > 0)
      sum_s += cap_s * k.wall_s / k.cap_s;
    else
      sum_s += std::min(k.wall_s, cap_s);
  }
  eta.remaining_s = left * sum_s / static_cast<double>(in.measured.size() + 1);
  if (eta.bound_s > 0) eta.remaining_s = std::min(eta.remaining_s, eta.bound_s);
  return eta;
}

}  // namespace tb::timing
