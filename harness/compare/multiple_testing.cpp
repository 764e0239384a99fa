#include "harness/compare/multiple_testing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "harness/common/errors.hpp"
#include "harness/compare/u_test.hpp"

namespace tb::compare {

const char* to_string(Correction c) {
  switch (c) {
    case Correction::Holm: return "holm";
    case Correction::None: return "none";
  }
  return "?";
}

Correction parse_correction(const std::string& text, const std::string& flag) {
  if (text == "holm") return Correction::Holm;
  if (text == "none") return Correction::None;
  throw UsageError(fmt::format("{} '{}' is not a correction; accepted values: holm (the job's false-alarm chance held "
                               "to --alpha, the default), none (each item at --alpha: false alarms grow with the "
                               "number of kernels)",
                               flag, text));
}

std::vector<double> holm_adjusted(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> out(m);
  double running = 0;  // the max over earlier steps: a later item cannot be surer than an earlier one
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    out[order[i]] = running;
  }
  return out;
}

std::vector<double> adjusted(const std::vector<double>& p, Correction c) {
  return c == Correction::Holm ? holm_adjusted(p) : p;
}

double smallest_u_test_p(std::size_t n_a, std::size_t n_b) {
  // The same routine the gate runs, on untied sets entirely apart: whichever form (exact or
  // normal) the test takes at these sizes, this is its bound.
  std::vector<double> a(n_a), b(n_b);
  std::iota(a.begin(), a.end(), 0.0);
  std::iota(b.begin(), b.end(), static_cast<double>(n_a));
  return mann_whitney_u(a, b).p_value;
}

double smallest_u_test_p(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return 1.0;
  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::sort(pooled.begin(), pooled.end());
  // The rank sum of a side is least with the smallest values and most with the largest; with the
  // ties (and so the variance) fixed by the pooled values, those two deals are the extremes of U,
  // and the two-sided p is least at one of them.
  const auto split = [&](std::size_t n_first) {
    const std::span<const double> all(pooled);
    return mann_whitney_u(all.first(n_first), all.subspan(n_first)).p_value;
  };
  return std::min(split(a.size()), split(b.size()));
}

double binomial(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

}  // namespace tb::compare
