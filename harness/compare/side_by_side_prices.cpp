#include "harness/compare/side_by_side_prices.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/results/recorded_sku.hpp"

namespace tb::compare {

bool quote_names_run(const std::string& key, size_t index, const LabeledResults& run) {
  return key == run_letter(index) || (!run.results.machine.sku.empty() && key == run.results.machine.sku);
}

std::optional<double> quoted_price(size_t index, const LabeledResults& run, const SideBySideOptions& o) {
  // check_prices_and_site refuses a run priced by two keys, so the first that names it is its one.
  for (const auto& [key, price] : o.gpu_hour_price)
    if (quote_names_run(key, index, run)) return price;
  return std::nullopt;
}

namespace {

// Each key names a run, each run is priced once, each quote is believable in its run's currency.
void check_gpu_hour_prices(const std::vector<LabeledResults>& runs, const std::vector<std::string>& currencies,
                           const SideBySideOptions& o) {
  std::vector<std::string> valid;
  for (size_t i = 0; i < runs.size(); ++i) valid.push_back(run_letter(i));
  for (const auto& r : runs)
    if (!r.results.machine.sku.empty() && std::find(valid.begin(), valid.end(), r.results.machine.sku) == valid.end())
      valid.push_back(r.results.machine.sku);
  for (const auto& [key, price] : o.gpu_hour_price)
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      throw UsageError(fmt::format("--gpu-hour-price: '{}' is neither a run letter nor a SKU of these files; "
                                   "accepted keys: {}", key, fmt::join(valid, ", ")));
  // Two quotes for one run would leave one of them silently unused.
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<std::pair<std::string, double>> quotes;
    for (const auto& [key, price] : o.gpu_hour_price)
      if (quote_names_run(key, i, runs[i])) quotes.emplace_back(key, price);
    if (quotes.size() > 1) {
      // The letter is one key, the SKU the other: name them in that order.
      if (quotes[0].first != run_letter(i)) std::swap(quotes[0], quotes[1]);
      throw UsageError(fmt::format("--gpu-hour-price: run {} ({}) is priced twice, by {}={:g} and by its SKU {}={:g}; "
                                   "give one quote per run",
                                   run_letter(i), runs[i].origin, quotes[0].first, quotes[0].second, quotes[1].first,
                                   quotes[1].second));
    }
  }
  for (const auto& [key, price] : o.gpu_hour_price)
    for (size_t i = 0; i < runs.size(); ++i)
      if (quote_names_run(key, i, runs[i]) && (!(price > 0) || price > price_limit(kMaxGpuHourPriceUsd, currencies[i])))
        throw UsageError(fmt::format("--gpu-hour-price {}={:g}: the price must be in {}", key, price,
                                     price_range(kMaxGpuHourPriceUsd, currencies[i], "per GPU-hour")));
}

// A site of one SKU's GPUs prices that SKU's runs only, as estimate refuses a site of another GPU
// than --gpu or its results file: its network and power describe those servers.
void check_site_skus(const std::vector<LabeledResults>& runs, const SiteConfig& site) {
  if (!site.sku) return;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& m = runs[i].results.machine;
    if (m.sku == *site.sku) continue;
    std::string measured_on = fmt::format("{} (no SKU config)", m.device_name);
    if (m.backend == "cpu") measured_on = fmt::format("the CPU backend ({})", m.device_name);
    else if (results::recorded_sku(runs[i].results)) measured_on = m.sku;
    const auto any = site_presets_of_any_gpu();
    throw UsageError(fmt::format("--site {} is built of {} GPUs; run {} ({}) was measured on {}: its energy and cost at "
                                 "that site would describe neither; give a site of no one GPU{} or runs of {} only",
                                 site.name, *site.sku, run_letter(i), runs[i].origin, measured_on,
                                 any.empty() ? "" : fmt::format(" ({})", fmt::join(any, ", ")), *site.sku));
  }
}

}  // namespace

std::string check_prices_and_site(const std::vector<LabeledResults>& runs, const SideBySideOptions& o) {
  if (o.site) check_site_skus(runs, *o.site);
  std::vector<std::optional<SkuConfig>> skus;
  std::vector<std::string> currencies;  // of each run's quote: --currency, else its SKU config's, else USD
  for (const auto& r : runs) {
    skus.push_back(results::recorded_sku(r.results));
    currencies.push_back(o.currency ? *o.currency : skus.back() ? skus.back()->currency : std::string("USD"));
  }
  check_gpu_hour_prices(runs, currencies, o);
  // A quote for a run whose SKU config states no currency reads in USD; beside a site that prices in
  // another it could be in either (estimate's rule, cli/sku_quotes.hpp).
  if (o.site && !o.currency) {
    std::vector<std::string> unstated, typed;
    for (size_t i = 0; i < runs.size(); ++i)
      if (quoted_price(i, runs[i], o) && !(skus[i] && skus[i]->price_table)) unstated.push_back(run_letter(i));
    for (const auto& [key, price] : o.gpu_hour_price) typed.push_back(fmt::format("{}={:g}", key, price));
    refuse_unstated_beside_site(fmt::format("--gpu-hour-price {}", fmt::join(typed, ", ")), unstated, o.site->name,
                                o.site->currency);
  }
  if (!o.electricity_price_per_kwh) return "";
  std::string currency;
  if (o.currency) {
    currency = *o.currency;
  } else {
    // One price for every run's energy and the site's, in place of the site's own tariff: the
    // currency their configs share, where they share one. A SKU config without a [price] table
    // states no currency (its USD is a default), so it has none to disagree with: estimate's rule.
    std::vector<std::pair<std::string, std::string>> configs;
    for (size_t i = 0; i < runs.size(); ++i)
      if (skus[i] && skus[i]->price_table) configs.emplace_back(run_letter(i), skus[i]->currency);
    if (o.site) configs.emplace_back("site " + o.site->name, o.site->currency);
    currency = agreed_currency(fmt::format("--electricity-price {:g}", *o.electricity_price_per_kwh), configs,
                               o.site ? "every run and the site" : "every run");
  }
  check_electricity_price(o.electricity_price_per_kwh, currency);
  return currency;
}

}  // namespace tb::compare
