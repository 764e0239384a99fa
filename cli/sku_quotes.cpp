#include "cli/sku_quotes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "cli/quantity_parse.hpp"
#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"

namespace tb::cli {

std::string QuoteKey::label() const {
  if (arg.empty() || arg == name) return name;
  return fmt::format("{} ({})", arg, name);
}

QuoteKey quote_key(const std::string& arg, const std::optional<SkuConfig>& sku, const std::optional<std::string>& currency) {
  return {arg, sku ? sku->name : "", currency ? *currency : sku ? sku->currency : std::string("USD"),
          currency.has_value() || (sku && sku->price_table)};
}

std::vector<QuoteKey> sku_quote_keys(const std::vector<std::string>& args, const std::optional<std::string>& currency) {
  std::vector<QuoteKey> keys;
  for (const auto& arg : args) keys.push_back(quote_key(arg, load_sku(arg), currency));
  return keys;
}

std::string one_currency(const std::string& flag, const std::vector<QuoteKey>& keys, bool keyed) {
  std::vector<std::pair<std::string, std::string>> by_label;
  for (const auto& k : keys) by_label.emplace_back(k.label(), k.currency);
  return agreed_currency(flag, by_label, "every SKU",
                         keyed ? " (or KEY=PRICE per SKU, each in its config's currency)" : "");
}

namespace {

std::string key_list(const std::vector<QuoteKey>& keys) {
  std::vector<std::string> labels;
  for (const auto& k : keys)
    if (!k.name.empty()) labels.push_back(k.label());
  return labels.empty() ? "none: give --gpu, or one PRICE" : fmt::format("{}", fmt::join(labels, ", "));
}

// KEY=PRICE quotes: each key names a SKU, once, at a believable price in that SKU's currency.
std::map<std::string, double> keyed_prices(const std::vector<std::string>& quotes, const std::vector<QuoteKey>& keys,
                                           const PriceKind& kind) {
  // estimate keys its quotes by SKU only (compare's run letters mean nothing here), and a bare
  // price, which stands for every SKU, cannot sit beside per-SKU quotes.
  for (const auto& q : quotes)
    if (q.find('=') == std::string::npos)
      throw UsageError(fmt::format("{} '{}': a bare price applies to every SKU and cannot sit beside other quotes; "
                                   "give each as SKU=PRICE ({}={})",
                                   kind.flag, q, keys.empty() || keys.front().name.empty() ? "h100-sxm" : keys.front().name,
                                   kind.example));
  const auto prices = parse_keyed_prices(quotes, kind);
  for (const auto& [key, price] : prices) {
    const auto sku = std::find_if(keys.begin(), keys.end(), [&](const QuoteKey& k) { return k.named_by(key); });
    if (sku == keys.end())
      throw UsageError(fmt::format("{} {}=...: '{}' is not one of the SKUs given to --gpu ({})", kind.flag, key, key,
                                   key_list(keys)));
    check_price_range(kind, fmt::format("{}={:g}", key, price), price, sku->currency);
  }
  // By its path and by its name: one of the two would be silently unused.
  for (const auto& k : keys)
    if (k.arg != k.name && prices.count(k.arg) && prices.count(k.name))
      throw UsageError(fmt::format("{}: {} is priced twice, by {}={:g} and {}={:g}; give one quote per SKU", kind.flag,
                                   k.label(), k.arg, prices.at(k.arg), k.name, prices.at(k.name)));
  return prices;
}

}  // namespace

std::optional<double> quoted_price(const std::vector<std::string>& quotes, const QuoteKey& sku,
                                   const std::vector<QuoteKey>& keys, const PriceKind& kind) {
  if (quotes.empty()) return std::nullopt;
  if (quotes.size() == 1 && quotes[0].find('=') == std::string::npos) {
    const std::string currency = one_currency(fmt::format("{} {}", kind.flag, quotes[0]), keys, /*keyed=*/true);
    const double price = parse_finite_number(quotes[0]).value_or(0);
    if (!(price > 0) || price > price_limit(kind.usd_max, currency))
      throw UsageError(fmt::format("{} '{}': expected a PRICE in {}, or KEY=PRICE per SKU (h100-sxm={})", kind.flag,
                                   quotes[0], price_range(kind.usd_max, currency, kind.unit), kind.example));
    return price;
  }
  const auto prices = keyed_prices(quotes, keys, kind);
  for (const auto& [key, price] : prices)
    if (sku.named_by(key)) return price;
  return std::nullopt;
}

std::vector<std::string> unstated_quote_labels(const std::vector<std::string>& quotes, const std::vector<QuoteKey>& keys) {
  std::vector<std::string> labels;
  for (const auto& k : keys) {
    if (k.currency_stated) continue;
    // A key naming no SKU is refused by quoted_price, with the SKUs it could name.
    const bool priced = std::any_of(quotes.begin(), quotes.end(), [&](const std::string& q) {
      const size_t eq = q.find('=');
      return eq == std::string::npos || k.named_by(q.substr(0, eq));
    });
    if (priced) labels.push_back(k.label().empty() ? "the GPU of --tflops" : k.label());
  }
  return labels;
}

void apply_server_price(SkuConfig& sku, const QuoteKey& key, const std::vector<std::string>& quotes,
                        const std::vector<QuoteKey>& keys, const std::optional<std::string>& currency) {
  const auto price = quoted_price(quotes, key, keys, kServerPriceKind);
  if (!price) return;
  sku.server_price = price;
  sku.server_price_currency = currency;  // the quote's (--currency), else the config's
  sku.server_price_source = "--server-price";
}

}  // namespace tb::cli
