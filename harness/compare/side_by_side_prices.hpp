#pragma once
// The prices and the site a side-by-side comparison (`compare`, `report`) weighs its runs with,
// checked against the runs before any extrapolation, by estimate's rules (cli/sku_quotes.hpp):
// a --gpu-hour-price quote is read in --currency, else in the SKU config's currency of the run it
// prices, else USD, and its typo guard scales with that currency; --electricity-price is one
// price for every run and the site, read in --currency, else in the one currency their configs
// share (refused where they differ); a site built of one GPU SKU prices only runs of that SKU.
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/side_by_side.hpp"
#include "harness/hardware/sku_config.hpp"

namespace tb::compare {

// Whether --gpu-hour-price's `key` prices run `index`: its letter, or the SKU its file records.
// The one rule for reading a quote and for checking the quotes.
bool quote_names_run(const std::string& key, size_t index, const LabeledResults& run);

// The quote for run `index`: by its letter or by the SKU its file records.
std::optional<double> quoted_price(size_t index, const LabeledResults& run, const SideBySideOptions& options);

// Every check above, each refusal a UsageError naming the flag and what it accepts: a quote key
// that is neither a run letter nor a recorded SKU, a run priced twice (by letter and by SKU), a
// quote outside (0, 1e4 USD] per GPU-hour scaled to its run's currency, an electricity price
// without a currency where the configs disagree or outside (0, 100 USD] per kWh in its currency,
// and a site of another GPU than a run's. Returns the currency of --electricity-price (empty
// without one).
std::string check_prices_and_site(const std::vector<LabeledResults>& runs, const SideBySideOptions& options);

}  // namespace tb::compare
