#pragma once
// `trainbench estimate --gpu A,B,C --mfu M`: the same training estimated on several SKUs from
// their datasheets at one assumed MFU, side by side, before any of them can be measured (then
// `run` on each and `compare` the results). With --layout auto each SKU gets the fastest layout
// its own memory allows.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/price_flags.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"

namespace tb::cli {

// --gpu-hour-price as estimate takes it: one PRICE for every SKU, or KEY=PRICE per SKU
// (repeatable). The price for `sku`, if any; a key naming none of `skus` is a UsageError.
std::optional<double> quoted_price(const std::vector<std::string>& quotes, const std::string& sku,
                                   const std::vector<std::string>& skus);
// What a quote's KEY may be for these --gpu arguments: each as given (a path) and its config name.
std::vector<std::string> sku_quote_keys(const std::vector<std::string>& skus);
// The same for any keyed price flag (--server-price).
std::optional<double> quoted_price(const std::vector<std::string>& quotes, const std::string& sku,
                                   const std::vector<std::string>& skus, const PriceKind& kind);

// `base` holds everything but the SKU (and, with `search`, the layout); `per_sku` finishes a
// request once its SKU is set (the SKU's links under --interconnect). Prints a table or JSON;
// exit status 1 when no SKU could be estimated (nothing fits, say).
void estimate_skus(const EstimateRequest& base, const std::vector<std::string>& skus,
                   const std::vector<std::string>& quotes, const std::vector<std::string>& server_quotes,
                   const std::optional<LayoutSearchRequest>& search, bool json,
                   const std::function<void(EstimateRequest&)>& per_sku);

// --server-price: a purchase quote per server, one PRICE or KEY=PRICE per SKU as --gpu-hour-price;
// it overrides the SKU config's [price] server (in `currency` where given).
inline const PriceKind kServerPriceKind{"--server-price", kMaxServerPrice, "per server", "350000",
                                        "a SKU given to --gpu"};
// `alias`: the --gpu argument the SKU was loaded from (a path), which keys its quote too.
void apply_server_price(SkuConfig& sku, const std::string& alias, const std::vector<std::string>& quotes,
                        const std::vector<std::string>& skus, const std::optional<std::string>& currency);

}  // namespace tb::cli
