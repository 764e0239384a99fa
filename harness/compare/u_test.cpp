#include "harness/compare/u_test.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "harness/common/errors.hpp"

namespace tb::compare {

namespace {

// P(U ≤ u) under H0 for sample sizes m, n without ties: count the arrangements of m "a" and n
// "b" values whose U equals each value, by the recurrence f(m,n,u) = f(m−1,n,u−n) + f(m,n−1,u)
// (the largest value is either an a, beating all n b's, or a b). Counts as doubles: C(60,30) ≈
// 1.2e17 is exact enough for a p-value.
double exact_cdf(std::size_t m, std::size_t n, double u) {
  const std::size_t max_u = m * n;
  // counts[j][v]: arrangements of i a's and j b's with U = v, for the current i.
  std::vector<std::vector<double>> counts(n + 1, std::vector<double>(max_u + 1, 0.0));
  for (std::size_t j = 0; j <= n; ++j) counts[j][0] = 1.0;  // i = 0: U is 0
  for (std::size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> next(n + 1, std::vector<double>(max_u + 1, 0.0));
    next[0][0] = 1.0;  // j = 0: U is 0
    for (std::size_t j = 1; j <= n; ++j)
      for (std::size_t v = 0; v <= i * j; ++v)
        next[j][v] = (v >= j ? counts[j][v - j] : 0.0) + next[j - 1][v];
    counts.swap(next);
  }
  const auto& dist = counts[n];
  const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
  double below = 0;
  for (std::size_t v = 0; v <= max_u && static_cast<double>(v) <= u + 1e-9; ++v) below += dist[v];
  return below / total;
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace

UTestResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw UsageError("Mann-Whitney U test: both sample sets must be non-empty");
  UTestResult r;
  r.n_a = a.size();
  r.n_b = b.size();
  const std::size_t n = r.n_a + r.n_b;

  // Midranks over the pooled samples; tie groups feed the variance correction.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(n);
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end(), [](const auto& l, const auto& rr) { return l.first < rr.first; });
  double rank_sum_a = 0;
  double tie_term = 0;  // Σ (t³ − t) over tie groups
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) rank_sum_a += midrank;
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    i = j;
  }
  const double na = static_cast<double>(r.n_a), nb = static_cast<double>(r.n_b);
  r.u_a = rank_sum_a - na * (na + 1) / 2.0;
  r.u_b = na * nb - r.u_a;
  const double u_small = std::min(r.u_a, r.u_b);

  if (!ties && r.n_a <= kExactMaxSamples && r.n_b <= kExactMaxSamples) {
    r.exact = true;
    r.p_value = std::min(1.0, 2.0 * exact_cdf(r.n_a, r.n_b, u_small));
    return r;
  }
  const double mean_u = na * nb / 2.0;
  const double nn = na + nb;
  const double var_u = na * nb / 12.0 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (!(var_u > 0)) {  // every value identical: no evidence of any difference
    r.p_value = 1.0;
    return r;
  }
  const double z = (mean_u - u_small - 0.5) / std::sqrt(var_u);
  r.p_value = z <= 0 ? 1.0 : std::min(1.0, 2.0 * normal_sf(z));
  return r;
}

}  // namespace tb::compare
