#include "harness/estimate/ranking.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "harness/common/currency.hpp"

namespace tb {

Smallest smallest(const std::vector<RankCandidate>& c) {
  Smallest s;
  int known = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c[i].value) continue;
    ++known;
    if (!c[i].usable) continue;
    if (!s.best || *c[i].value < *c[*s.best].value) s.best = i;
  }
  if (known < 2 || !s.best) return {};
  const double min = *c[*s.best].value;
  // Equal up to rounding: the same quote on the same GPU-hours is a tie, not a winner by 1 ulp.
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].value && c[i].usable && std::abs(*c[i].value - min) <= 1e-9 * std::max(std::abs(min), 1e-300))
      s.tie.push_back(i);
  if (s.tie.size() < 2) s.tie.clear();
  else s.best.reset();
  return s;
}

PricedSmallest smallest_priced(const std::vector<PricedCandidate>& c, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> priced;
  for (const auto& x : c)
    if (x.value && x.usable) priced.emplace_back(x.label, x.currency);
  if (const std::string currencies = currencies_by_label(priced); !currencies.empty())
    return {{}, fmt::format("the {} are in {}", what, currencies)};
  std::vector<RankCandidate> values;
  for (const auto& x : c) values.push_back({x.value, x.usable});
  return {smallest(values), ""};
}

CostRanking rank_costs(const std::vector<Bill>& bills) {
  CostRanking r;
  const bool any_priced = std::any_of(bills.begin(), bills.end(), [](const Bill& b) { return b.rental.has_value(); });
  r.totals = any_priced && std::all_of(bills.begin(), bills.end(), [](const Bill& b) {
               return !b.rental || b.rental_and_electricity.has_value();
             });
  if (r.totals) {
    r.what = "lowest rental + electricity";
    r.ranked = "rental + electricity";
  } else {
    std::vector<std::string> other;
    for (const auto& b : bills)
      if (b.rental && b.usable && !b.electricity_currency.empty() && b.electricity_currency != b.currency &&
          std::find(other.begin(), other.end(), b.electricity_currency) == other.end())
        other.push_back(b.electricity_currency);
    if (!other.empty()) {
      r.electricity_not_added = fmt::format("{}", fmt::join(other, ", "));
      r.what = fmt::format("lowest rental (electricity in {} not added)", r.electricity_not_added);
    }
  }
  std::vector<PricedCandidate> c;
  for (const auto& b : bills)
    c.push_back({b.label, r.totals ? b.rental_and_electricity : b.rental, b.currency, b.usable});
  r.winner = smallest_priced(c, "quotes");
  // One price among several answers names no winner (smallest() needs two): say whose are missing,
  // or the winner would vanish without a word.
  if (any_priced && !r.winner.smallest.best && r.winner.smallest.tie.empty() && r.winner.why_none.empty()) {
    std::vector<std::string> unpriced;
    for (const auto& b : bills)
      if (b.usable && !b.rental) unpriced.push_back(b.label);
    if (!unpriced.empty())
      r.winner.why_none = fmt::format("{} {} no --gpu-hour-price", fmt::join(unpriced, ", "),
                                      unpriced.size() == 1 ? "has" : "have");
  }
  return r;
}

}  // namespace tb
