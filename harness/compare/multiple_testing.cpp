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

namespace {

// Each value's rank within its own side, ties kept (1, 2, 2, 3 for 0.4, 0.5, 0.5, 0.7): what a
// side's values mean to a rank test, apart from the other side's.
std::vector<double> dense_ranks(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<double> out;
  for (double v : values)
    out.push_back(static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin() + 1));
  return out;
}

}  // namespace

double smallest_u_test_p(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return 1.0;
  // Each side keeps the ties it has (a timer's tick), and the other side moves wholly past it, as
  // a real change would move tonight's runs past the baseline's: the ties *between* the sides
  // (an identical candidate's, every value equal) are no limit on what a slower night can show.
  const std::vector<double> ra = dense_ranks(a), rb = dense_ranks(b);
  const double past_a = static_cast<double>(a.size()) + 1;
  std::vector<double> above = rb, below = rb;
  for (auto& x : above) x += past_a;
  for (auto& x : below) x -= static_cast<double>(b.size()) + 1;
  return std::min(mann_whitney_u(ra, above).p_value, mann_whitney_u(ra, below).p_value);
}

double binomial(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

}  // namespace tb::compare
