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

namespace {

std::string has_or_have(const std::vector<std::string>& labels) {
  return fmt::format("{} {}", fmt::join(labels, ", "), labels.size() == 1 ? "has" : "have");
}

// smallest() needs two known figures: one price among several answers names no winner, and the
// line would vanish without a word. Say whose price is missing, or that the priced cannot be used.
std::string why_unranked(const std::vector<PricedCandidate>& c, const std::string& price) {
  if (c.size() < 2) return "";
  std::vector<std::string> priced, priced_usable, unpriced, quoted_unanswered;
  for (const auto& x : c) {
    if (x.value) priced.push_back(x.label);
    if (x.value && x.usable) priced_usable.push_back(x.label);
    if (!x.value && x.usable) unpriced.push_back(x.label);
    if (!x.value && x.quoted) quoted_unanswered.push_back(x.label);
  }
  if (priced.empty())
    return quoted_unanswered.empty() ? "" : fmt::format("{} a {} but no answer", has_or_have(quoted_unanswered), price);
  if (!unpriced.empty()) return fmt::format("{} no {}", has_or_have(unpriced), price);
  if (priced_usable.size() == 1) return fmt::format("only {} has a {}", priced_usable.front(), price);
  return fmt::format("{} a {} but no usable answer", has_or_have(priced), price);
}

}  // namespace

PricedSmallest smallest_priced(const std::vector<PricedCandidate>& c, const std::string& what,
                               const std::string& price) {
  std::vector<std::pair<std::string, std::string>> priced;
  for (const auto& x : c)
    if (x.value && x.usable) priced.emplace_back(x.label, x.currency);
  if (const std::string currencies = currencies_by_label(priced); !currencies.empty())
    return {{}, fmt::format("the {} are in {}", what, currencies)};
  std::vector<RankCandidate> values;
  for (const auto& x : c) values.push_back({x.value, x.usable});
  PricedSmallest out{smallest(values), ""};
  if (!out.smallest.best && out.smallest.tie.empty()) out.why_none = why_unranked(c, price);
  return out;
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
  r.winner = smallest_priced(c, "quotes", "--gpu-hour-price");
  return r;
}

}  // namespace tb
