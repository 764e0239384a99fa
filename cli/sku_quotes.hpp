#pragma once
// estimate's price flags keyed by SKU: --gpu-hour-price and --server-price take one PRICE for every
// SKU, or KEY=PRICE per SKU with KEY the --gpu argument (a name or a path) or the SKU config's
// name. A price from the command line is read in --currency, else in the SKU config's currency
// (else USD, said in the output, and refused beside a --site that prices in another currency):
// one price for SKUs whose configs differ needs --currency.
#include <optional>
#include <string>
#include <vector>

#include "cli/price_flags.hpp"
#include "harness/hardware/sku_config.hpp"

namespace tb::cli {

// One SKU as its quotes may name it, and the currency a price for it is read in.
struct QuoteKey {
  std::string arg;       // as given to --gpu; "" where no --gpu named it (a site's SKU)
  std::string name;      // the SKU config's name; "" without a SKU (--tflops)
  std::string currency;  // --currency, else the config's, else USD
  // Whether `currency` was said: by --currency, or by a [price] table in the config. A config
  // without one is USD only by default, and one --electricity-price beside it takes the others'
  // currency (SkuConfig::price_table).
  bool currency_stated = false;
  bool named_by(const std::string& key) const { return (!arg.empty() && key == arg) || (!name.empty() && key == name); }
  // As messages list it: "h200", or "/tmp/a.toml (h100cn)" where the argument is a path.
  std::string label() const;
};

QuoteKey quote_key(const std::string& arg, const std::optional<SkuConfig>& sku, const std::optional<std::string>& currency);
// The keys of the SKUs given to --gpu, in order (their configs loaded).
std::vector<QuoteKey> sku_quote_keys(const std::vector<std::string>& args, const std::optional<std::string>& currency);

inline const PriceKind kEstimateGpuHourPriceKind{"--gpu-hour-price", kGpuHourPriceKind.usd_max, "per GPU-hour", "2.5",
                                                 "a SKU given to --gpu"};
// Past this a server quote is a typo: an 8-GPU server costs hundreds of thousands of dollars.
inline const PriceKind kServerPriceKind{"--server-price", 1e8, "per server", "350000", "a SKU given to --gpu"};

// The one currency a price for every SKU in `keys` is read in. Where their configs are in
// different currencies and no --currency says which, a UsageError naming `flag` (with the value
// typed) and listing them; `keyed`: the flag also takes KEY=PRICE, which the message offers.
std::string one_currency(const std::string& flag, const std::vector<QuoteKey>& keys, bool keyed = false);

// The price `quotes` give `sku` (one of `keys`), if any. Refused, naming kind.flag: a key naming no
// SKU, a SKU priced twice (by its path and its name), a bare price beside keyed ones, a price
// outside the kind's range in its currency, and one bare price for SKUs in different currencies.
std::optional<double> quoted_price(const std::vector<std::string>& quotes, const QuoteKey& sku,
                                   const std::vector<QuoteKey>& keys, const PriceKind& kind);

// The SKUs of `keys` that `quotes` price (a bare price: all; KEY=PRICE: those named) and whose
// currency is stated nowhere (no --currency, no [price] table), as messages label them: their
// quotes are read in USD (harness/common/currency.hpp's refuse_unstated_beside_site).
std::vector<std::string> unstated_quote_labels(const std::vector<std::string>& quotes, const std::vector<QuoteKey>& keys);

// --server-price onto `sku`: a purchase quote per server that overrides its [price] server, in
// --currency where given (else the config's).
void apply_server_price(SkuConfig& sku, const QuoteKey& key, const std::vector<std::string>& quotes,
                        const std::vector<QuoteKey>& keys, const std::optional<std::string>& currency);

}  // namespace tb::cli
