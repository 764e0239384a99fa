#include "harness/common/currency.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "harness/common/errors.hpp"

namespace tb {

namespace {

// Rounded up from the exchange rates of 2024-25 (units per USD): a guard needs the order of
// magnitude only. AUD, CAD and SGD (1.3-1.6) stay at 1: the guards sit orders of magnitude above
// any real price, and a tenfold looser guard would let typos through.
const std::map<std::string, double>& factors() {
  static const std::map<std::string, double> table{
      {"USD", 1},     {"EUR", 1},     {"GBP", 1},     {"CHF", 1},     {"AUD", 1},     {"CAD", 1},
      {"SGD", 1},     {"CNY", 10},    {"HKD", 10},    {"DKK", 10},    {"BRL", 10},    {"SAR", 10},
      {"AED", 10},    {"SEK", 100},   {"NOK", 100},   {"ZAR", 100},   {"MXN", 100},   {"INR", 100},
      {"TWD", 100},   {"RUB", 100},   {"THB", 100},   {"PHP", 100},   {"JPY", 1000},  {"KRW", 10000},
      {"IDR", 100000}, {"VND", 100000}};
  return table;
}

}  // namespace

std::string checked_currency(const std::string& code, const std::string& where) {
  const bool letters =
      std::all_of(code.begin(), code.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  if (code.empty() || code.size() > 8 || !letters)
    throw UsageError(fmt::format("{}: '{}' is not a currency code (letters, e.g. USD, EUR, CNY)", where, code));
  std::string upper = code;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto& table = factors();
  if (table.find(upper) == table.end()) {
    std::vector<std::string> codes;
    for (const auto& [known, factor] : table) codes.push_back(known);
    throw UsageError(fmt::format("{}: unknown currency '{}'; accepted: {}", where, code, fmt::join(codes, ", ")));
  }
  return upper;
}

double currency_factor(const std::string& code) {
  std::string upper = code;  // a config may spell it "cny"
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto& table = factors();
  if (const auto it = table.find(upper); it != table.end()) return it->second;
  return std::max_element(table.begin(), table.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->second;
}

double price_limit(double usd_limit, const std::string& code) { return usd_limit * currency_factor(code); }

std::string price_range(double usd_limit, const std::string& code, const std::string& unit) {
  return fmt::format("(0, {:g}] {} {}", price_limit(usd_limit, code), code, unit);
}

std::string currencies_by_label(const std::vector<std::pair<std::string, std::string>>& label_and_currency) {
  std::vector<std::pair<std::string, std::vector<std::string>>> currencies;
  for (const auto& [label, currency] : label_and_currency) {
    auto it = std::find_if(currencies.begin(), currencies.end(), [&](const auto& p) { return p.first == currency; });
    if (it == currencies.end()) currencies.push_back({currency, {label}});
    else it->second.push_back(label);
  }
  if (currencies.size() < 2) return "";
  std::vector<std::string> parts;
  for (const auto& [currency, labels] : currencies) parts.push_back(fmt::format("{} ({})", currency, fmt::join(labels, ", ")));
  const std::string last = parts.back();
  parts.pop_back();
  return fmt::format("{} and {}", fmt::join(parts, ", "), last);
}

std::string agreed_currency(const std::string& flag, const std::vector<std::pair<std::string, std::string>>& configs,
                            const std::string& what, const std::string& hint) {
  const std::string currencies = currencies_by_label(configs);
  if (currencies.empty()) return configs.empty() ? "USD" : configs.front().second;
  std::vector<std::string> choices;  // each currency once, in order of appearance
  for (const auto& [label, currency] : configs)
    if (std::find(choices.begin(), choices.end(), "--currency " + currency) == choices.end())
      choices.push_back("--currency " + currency);
  const std::string last = choices.back();
  choices.pop_back();
  throw UsageError(fmt::format("{}: one price for {}, whose configs are in {}: give {} or {} to say which it is in{}",
                               flag, what, currencies, fmt::join(choices, ", "), last, hint));
}

void refuse_unstated_beside_site(const std::string& flag, const std::vector<std::string>& unstated,
                                 const std::string& site_name, const std::string& site_currency) {
  if (unstated.empty() || site_currency == "USD") return;
  throw UsageError(fmt::format("{}: {} {} no currency (no --currency, no [price] table), and --site {} prices in {}: "
                               "give --currency USD or --currency {} to say which the quote is in",
                               flag, fmt::join(unstated, ", "), unstated.size() == 1 ? "states" : "state", site_name,
                               site_currency, site_currency));
}

std::string usd_assumed_note(const std::string& flag, const std::vector<std::string>& unstated) {
  if (unstated.empty()) return "";
  return fmt::format("{} read in USD for {}: neither --currency nor a [price] table in {} SKU config{} states a "
                     "currency; give --currency if it is in another",
                     flag, fmt::join(unstated, ", "), unstated.size() == 1 ? "its" : "their",
                     unstated.size() == 1 ? "" : "s");
}

}  // namespace tb
