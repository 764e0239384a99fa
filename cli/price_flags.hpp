#pragma once
// `--gpu-hour-price KEY=PRICE` (repeatable) and `--currency`, shared by compare and report: rental
// quotes per GPU-hour, KEY a run letter (A, B, ...) or the SKU a results file records. The price
// kinds and their checks are estimate's too (cli/sku_quotes.hpp).
#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/common/currency.hpp"

namespace tb::cli {

struct PriceFlags {
  std::vector<std::string> quotes;  // KEY=PRICE
  std::string currency = "USD";
  std::optional<double> pue;                // the site's power usage effectiveness: scales energy
  std::optional<double> electricity_price;  // per kWh, in currency: the energy's cost
};

// --pue in [1, 10] and --electricity-price in (0, 100] USD per kWh scaled to `currency`
// (harness/common/currency.hpp), or a UsageError naming the flag. `currency`: the checked
// --currency.
void check_energy_flags(const PriceFlags& flags, const std::string& currency);

void add_price_flags(CLI::App* cmd, PriceFlags& flags);
// What a keyed price flag is called and allows, for its messages.
struct PriceKind {
  std::string flag;     // "--server-price"
  double usd_max;       // the largest believable price in USD, scaled to the quote's currency
  std::string unit;     // "per server"
  std::string example;  // "350000"
  std::string keys = "a run letter (A, B, ...) or a SKU name";  // what a KEY may be
};
// Past this a quote is a typo: the dearest GPU rents for tens of dollars an hour.
inline const PriceKind kGpuHourPriceKind{"--gpu-hour-price", 1e4, "per GPU-hour", "2.5"};
// KEY=PRICE quotes of --gpu-hour-price, all in `currency`; a key twice, a bad form, or a price
// outside (0, 1e4 USD] in `currency` is a UsageError naming the flag. Keys are checked against
// the files later (compare::build_side_by_side).
std::map<std::string, double> parse_gpu_hour_prices(const std::vector<std::string>& quotes, const std::string& currency);
// KEY=PRICE quotes of `kind`; a key twice or a bad form is a UsageError naming kind.flag. The
// range is the caller's to check (check_price_range), once it knows each key's currency.
std::map<std::string, double> parse_keyed_prices(const std::vector<std::string>& quotes, const PriceKind& kind);
// `price` (given as `what`: "h100-sxm=2.5") in (0, kind.usd_max] scaled to `currency`, or a
// UsageError naming the flag and the range in that currency.
void check_price_range(const PriceKind& kind, const std::string& what, double price, const std::string& currency);

}  // namespace tb::cli
