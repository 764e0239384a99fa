#include "harness/compare/rank_among_runs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/compare/multiple_testing.hpp"

namespace tb::compare {

namespace {

// U of the chosen runs against the rest: pairs (chosen > other), ties counting 1/2; doubled, so
// that it is an integer and compares exactly.
long twice_u(const std::vector<double>& pooled, const std::vector<bool>& chosen) {
  long u2 = 0;
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    if (!chosen[i]) continue;
    for (std::size_t j = 0; j < pooled.size(); ++j) {
      if (chosen[j]) continue;
      u2 += pooled[i] > pooled[j] ? 2 : pooled[i] == pooled[j] ? 1 : 0;
    }
  }
  return u2;
}

// Every choice of `k` of the pooled runs, from index `from`: counts those whose U is beyond `seen`.
void deal(const std::vector<double>& pooled, std::vector<bool>& chosen, std::size_t from, int k, long seen,
          int direction, long& beyond, long& total) {
  if (k == 0) {
    const long u2 = twice_u(pooled, chosen);
    beyond += direction > 0 ? u2 >= seen : u2 <= seen;
    ++total;
    return;
  }
  for (std::size_t i = from; i + static_cast<std::size_t>(k) <= pooled.size(); ++i) {
    chosen[i] = true;
    deal(pooled, chosen, i + 1, k - 1, seen, direction, beyond, total);
    chosen[i] = false;
  }
}

}  // namespace

double rank_among_runs_p(std::span<const double> baseline_runs, std::span<const double> current_runs, int direction) {
  if (baseline_runs.empty() || current_runs.empty() || current_runs.size() > 4)
    throw UsageError(fmt::format("the rank test of current runs among baseline runs takes 1 to 4 current runs and at "
                                 "least one baseline run (got {} and {})",
                                 current_runs.size(), baseline_runs.size()));
  std::vector<double> pooled(current_runs.begin(), current_runs.end());
  pooled.insert(pooled.end(), baseline_runs.begin(), baseline_runs.end());
  std::vector<bool> chosen(pooled.size(), false);
  for (std::size_t i = 0; i < current_runs.size(); ++i) chosen[i] = true;
  const long seen = twice_u(pooled, chosen);
  std::fill(chosen.begin(), chosen.end(), false);
  long beyond = 0, total = 0;
  deal(pooled, chosen, 0, static_cast<int>(current_runs.size()), seen, direction, beyond, total);
  return static_cast<double>(beyond) / static_cast<double>(total);
}

double smallest_rank_among_runs_p(int baseline_runs, int current_runs) {
  return 1.0 / binomial(baseline_runs + current_runs, current_runs);
}

}  // namespace tb::compare
