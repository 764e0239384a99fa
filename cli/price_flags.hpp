#pragma once
// `--gpu-hour-price KEY=PRICE` (repeatable) and `--currency`, shared by compare and report: rental
// quotes per GPU-hour, KEY a run letter (A, B, ...) or the SKU a results file records.
#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::cli {

struct PriceFlags {
  std::vector<std::string> quotes;  // KEY=PRICE
  std::string currency = "USD";
  std::optional<double> pue;                // the site's power usage effectiveness: scales energy
  std::optional<double> electricity_price;  // per kWh, in currency: the energy's cost
};

// --pue in [1, 10] and --electricity-price in (0, 100] per kWh, or a UsageError naming the flag.
void check_energy_flags(const PriceFlags& flags);

void add_price_flags(CLI::App* cmd, PriceFlags& flags);
// Refuses anything but KEY=NUMBER, naming the flag; keys and signs are checked against the
// files later (compare::build_side_by_side).
// Past this a quote is a typo: the dearest GPU rents for tens of dollars an hour.
inline constexpr double kMaxGpuHourPrice = 1e4;
// KEY=PRICE quotes; a key twice, a bad form, or a price outside (0, kMaxGpuHourPrice] is a
// UsageError naming --gpu-hour-price.
std::map<std::string, double> parse_gpu_hour_prices(const std::vector<std::string>& quotes);
// Past this a server quote is a typo: an 8-GPU server costs hundreds of thousands of dollars.
inline constexpr double kMaxServerPrice = 1e8;
// What a keyed price flag is called and allows, for its messages.
struct PriceKind {
  std::string flag;     // "--server-price"
  double max;           // the largest believable price
  std::string unit;     // "per server"
  std::string example;  // "350000"
  std::string keys = "a run letter (A, B, ...) or a SKU name";  // what a KEY may be
};
// KEY=PRICE quotes of `kind`; a key twice, a bad form, or a price outside (0, kind.max] is a
// UsageError naming kind.flag.
std::map<std::string, double> parse_keyed_prices(const std::vector<std::string>& quotes, const PriceKind& kind);
// A currency code: letters only (USD, EUR, CNY), at most 8; else a UsageError naming `flag`.
// Returned upper-cased ("eur" is EUR), as currencies are printed.
std::string checked_currency(const std::string& code, const std::string& flag);

}  // namespace tb::cli
