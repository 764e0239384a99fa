#include "cli/price_flags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cli/quantity_parse.hpp"
#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"

namespace tb::cli {

void add_price_flags(CLI::App* cmd, PriceFlags& flags) {
  cmd->add_option("--gpu-hour-price", flags.quotes,
                  "Rental quote per GPU-hour, KEY=PRICE with KEY a run letter or SKU (repeatable): h100-sxm=2.5");
  cmd->add_option("--currency", flags.currency,
                  "Currency of the --gpu-hour-price quotes and --electricity-price (default: each run's SKU config's "
                  "[price] currency, else USD, said in the output, and refused beside a --site priced in another; for "
                  "--electricity-price the runs' and --site's, refused where they differ)");
  cmd->add_option("--pue", flags.pue,
                  "Power usage effectiveness of the site: scales every run's energy (default: --site's, else 1.0)");
  cmd->add_option("--electricity-price", flags.electricity_price,
                  "Electricity price per kWh, in --currency: each run's energy cost, and with a rental quote the two "
                  "together (default: --site's)");
}

void apply_price_flags(const PriceFlags& flags, compare::SideBySideOptions& o) {
  if (!flags.currency.empty()) {
    o.currency = checked_currency(flags.currency, "--currency");
    if (flags.quotes.empty() && !flags.electricity_price)
      throw UsageError("--currency names the currency of --gpu-hour-price and --electricity-price: give one of them");
  }
  o.gpu_hour_price = parse_keyed_prices(flags.quotes, kGpuHourPriceKind);
  check_pue(flags.pue);
  o.pue = flags.pue;
  o.electricity_price_per_kwh = flags.electricity_price;
}

std::map<std::string, double> parse_keyed_prices(const std::vector<std::string>& quotes, const PriceKind& kind) {
  std::map<std::string, double> prices;
  for (const auto& item : quotes) {
    const auto eq = item.find('=');
    const std::optional<double> quoted =
        eq != std::string::npos && eq > 0 ? parse_finite_number(item.substr(eq + 1)) : std::nullopt;
    if (!quoted)
      throw UsageError(fmt::format("{} '{}': expected KEY=PRICE, KEY {}, e.g. h100-sxm={}", kind.flag, item, kind.keys,
                                   kind.example));
    const std::string key = item.substr(0, eq);
    if (prices.count(key))
      throw UsageError(fmt::format("{}: {} is priced twice ({} and {}); give one quote per key", kind.flag, key,
                                   prices[key], *quoted));
    prices[key] = *quoted;
  }
  return prices;
}

void check_price_range(const PriceKind& kind, const std::string& what, double price, const std::string& currency) {
  if (!(price > 0) || price > price_limit(kind.usd_max, currency))
    throw UsageError(fmt::format("{} {}: the price must be in {}", kind.flag, what,
                                 price_range(kind.usd_max, currency, kind.unit)));
}


}  // namespace tb::cli
