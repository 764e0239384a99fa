#pragma once
// `--gpu-hour-price KEY=PRICE` (repeatable), `--currency`, `--pue` and `--electricity-price`,
// shared by compare and report: rental quotes per GPU-hour, KEY a run letter (A, B, ...) or the
// SKU a results file records, and the site's figures. A price is read in --currency, else in its
// run's SKU config's currency (the electricity price: the one currency of the runs' configs and
// --site's), else USD, as estimate reads its own (cli/sku_quotes.hpp); the checks against the runs
// are harness/compare/side_by_side_prices.hpp.
#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/currency.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/estimate/estimate.hpp"

namespace tb::cli {

struct PriceFlags {
  std::vector<std::string> quotes;  // KEY=PRICE
  std::string currency;  // empty: not given (each price in its config's currency)
  std::optional<double> pue;                // the site's power usage effectiveness: scales energy
  std::optional<double> electricity_price;  // per kWh, in currency: the energy's cost
};

void add_price_flags(CLI::App* cmd, PriceFlags& flags);

// The flags onto a comparison's options: --currency checked (and refused without a price to name
// the currency of), the quotes' form (their keys and ranges are checked against the runs), --pue's
// range. A UsageError names the flag.
void apply_price_flags(const PriceFlags& flags, compare::SideBySideOptions& options);

// What a keyed price flag is called and allows, for its messages.
struct PriceKind {
  std::string flag;     // "--server-price"
  double usd_max;       // the largest believable price in USD, scaled to the quote's currency
  std::string unit;     // "per server"
  std::string example;  // "350000"
  std::string keys = "a run letter (A, B, ...) or a SKU name";  // what a KEY may be
};
// Past this a quote is a typo: the dearest GPU rents for tens of dollars an hour.
inline const PriceKind kGpuHourPriceKind{"--gpu-hour-price", kMaxGpuHourPriceUsd, "per GPU-hour", "2.5"};
// KEY=PRICE quotes of `kind`; a key twice or a bad form is a UsageError naming kind.flag. The
// range is the caller's to check (check_price_range), once it knows each key's currency.
std::map<std::string, double> parse_keyed_prices(const std::vector<std::string>& quotes, const PriceKind& kind);
// `price` (given as `what`: "h100-sxm=2.5") in (0, kind.usd_max] scaled to `currency`, or a
// UsageError naming the flag and the range in that currency.
void check_price_range(const PriceKind& kind, const std::string& what, double price, const std::string& currency);

}  // namespace tb::cli
