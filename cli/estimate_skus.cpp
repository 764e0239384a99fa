#include "cli/estimate_skus.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/price_flags.hpp"
#include "cli/quantity_parse.hpp"
#include "harness/common/errors.hpp"
#include "harness/common/human_format.hpp"
#include "harness/estimate/estimate_json.hpp"

namespace tb::cli {

std::optional<double> quoted_price(const std::vector<std::string>& quotes, const std::string& sku,
                                   const std::vector<std::string>& skus) {
  return quoted_price(quotes, sku, skus,
                      {"--gpu-hour-price", kMaxGpuHourPrice, "per GPU-hour", "2.5", "a SKU given to --gpu"});
}

std::optional<double> quoted_price(const std::vector<std::string>& quotes, const std::string& sku,
                                   const std::vector<std::string>& skus, const PriceKind& kind) {
  if (quotes.empty()) return std::nullopt;
  if (quotes.size() == 1 && quotes[0].find('=') == std::string::npos) {
    const double price = parse_finite_number(quotes[0]).value_or(0);
    if (!(price > 0) || price > kind.max)
      throw UsageError(fmt::format("{} '{}': expected a PRICE in (0, {:g}] {}, or KEY=PRICE per SKU (h100-sxm={})",
                                   kind.flag, quotes[0], kind.max, kind.unit, kind.example));
    return price;
  }
  // estimate keys its quotes by SKU only (compare's run letters mean nothing here), and a bare
  // price, which stands for the one SKU, cannot sit beside per-SKU quotes.
  for (const auto& q : quotes)
    if (q.find('=') == std::string::npos)
      throw UsageError(fmt::format("{} '{}': a bare price applies to every SKU and cannot sit beside other quotes; "
                                   "give each as SKU=PRICE ({}={})",
                                   kind.flag, q, skus.empty() || skus.front().empty() ? "h100-sxm" : skus.front(),
                                   kind.example));
  const auto prices = parse_keyed_prices(quotes, kind);
  for (const auto& [key, price] : prices) {
    if (std::find(skus.begin(), skus.end(), key) == skus.end())
      throw UsageError(fmt::format("{} {}=...: '{}' is not one of the SKUs given to --gpu ({})", kind.flag, key, key,
                                   fmt::join(skus, ", ")));
    if (!(price > 0)) throw UsageError(fmt::format("{} {}={}: must be positive", kind.flag, key, price));
  }
  const auto it = prices.find(sku);
  return it == prices.end() ? std::nullopt : std::optional<double>(it->second);
}

std::vector<std::string> sku_quote_keys(const std::vector<std::string>& skus) {
  std::vector<std::string> keys = skus;
  for (const auto& name : skus) keys.push_back(load_sku(name).name);
  return keys;
}

namespace {

struct SkuRow {
  SkuConfig sku;
  std::optional<EstimateResult> result;
  std::optional<std::string> layout;
  std::string why_not;
};


// The smallest among rows whose answer is usable (the only usable one wins too); none with fewer
// than two rows to choose from, or when several share the smallest value (then `tie` lists them).
struct Smallest {
  std::optional<size_t> best;
  std::vector<size_t> tie;
};
Smallest smallest(const std::vector<SkuRow>& rows, const auto& get) {
  Smallest s;
  int known = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].result || !get(*rows[i].result)) continue;
    ++known;
    if (!why_unusable(*rows[i].result).empty()) continue;
    if (!s.best || *get(*rows[i].result) < *get(*rows[*s.best].result)) s.best = i;
  }
  if (known < 2 || !s.best) return {};
  const double min = *get(*rows[*s.best].result);
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].result && get(*rows[i].result) && why_unusable(*rows[i].result).empty() &&
        std::abs(*get(*rows[i].result) - min) <= 1e-9 * std::max(std::abs(min), 1e-300))
      s.tie.push_back(i);
  if (s.tie.size() < 2) s.tie.clear();
  else s.best.reset();
  return s;
}

}  // namespace

void apply_server_price(SkuConfig& sku, const std::string& alias, const std::vector<std::string>& quotes,
                        const std::vector<std::string>& skus, const std::optional<std::string>& currency) {
  auto price = quoted_price(quotes, sku.name, skus, kServerPriceKind);
  if (!price) price = quoted_price(quotes, alias, skus, kServerPriceKind);
  if (!price) return;
  sku.server_price = price;
  sku.server_price_currency = currency;  // the quote's (--currency), else the config's
  sku.server_price_source = "--server-price";
}

void estimate_skus(const EstimateRequest& base, const std::vector<std::string>& skus,
                   const std::vector<std::string>& quotes, const std::vector<std::string>& server_quotes,
                   const std::optional<LayoutSearchRequest>& search, bool json,
                   const std::function<void(EstimateRequest&)>& per_sku) {
  const std::vector<std::string> keys = sku_quote_keys(skus);
  std::vector<SkuRow> rows;
  for (const auto& name : skus) {
    SkuRow row{load_sku(name), std::nullopt, std::nullopt, ""};
    for (const SkuRow& earlier : rows)
      if (earlier.sku.name == row.sku.name)
        throw UsageError(fmt::format("--gpu: '{}' is the SKU {} again (its config's name); list each SKU once", name,
                                     row.sku.name));
    apply_server_price(row.sku, name, server_quotes, keys, base.currency);
    EstimateRequest req = base;
    req.sku = row.sku;
    req.gpu_hour_price = quoted_price(quotes, row.sku.name, keys);
    if (!req.gpu_hour_price) req.gpu_hour_price = quoted_price(quotes, name, keys);
    per_sku(req);
    if (search) {
      LayoutSearchRequest s = *search;
      s.base = req;
      s.keep = 1;
      const LayoutSearchResult found = search_layouts(s);
      if (found.ranked.empty()) {
        row.why_not = fmt::format("none of {} layouts fits {:.0f} GiB{}{}", found.considered, row.sku.memory_gb,
                                  req.days ? " and finishes in time" : "",
                                  found.soonest_fitting
                                      ? fmt::format(" (soonest: {:.1f} days; {} GPUs take {:.1f})", *found.soonest_days,
                                                    *found.soonest_fitting->result.gpus,
                                                    *found.soonest_fitting->result.wall_days)
                                      : "");
      } else {
        row.result = found.ranked.front().result;
        row.layout = layout_summary(found.ranked.front().request);
      }
    } else {
      row.result = estimate(req);
    }
    rows.push_back(std::move(row));
  }
  const auto by_hours = smallest(rows, [](const EstimateResult& e) { return e.gpu_hours; });
  const auto by_energy = smallest(rows, [](const EstimateResult& e) { return e.energy_mwh; });
  Smallest by_cost;
  const bool one_currency = std::all_of(rows.begin(), rows.end(), [&](const SkuRow& r) {
    return !r.result || !r.result->rental_currency || !rows[0].result || !rows[0].result->rental_currency ||
           *r.result->rental_currency == *rows[0].result->rental_currency;
  });
  if (one_currency) by_cost = smallest(rows, [](const EstimateResult& e) { return e.rental_cost; });

  if (json) {
    nlohmann::json out;
    out["assumption"] = "each SKU's datasheet peak times one assumed MFU: not a measurement";
    out["skus"] = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json j = r.result ? to_json(*r.result) : nlohmann::json::object();
      j["sku"] = r.sku.name;
      if (r.layout) j["layout"] = *r.layout;
      if (!r.why_not.empty()) j["why_not"] = r.why_not;
      out["skus"].push_back(j);
    }
    auto name = [&](const Smallest& s) { return s.best ? nlohmann::json(rows[*s.best].sku.name) : nlohmann::json(); };
    out["best"] = {{"gpu_hours", name(by_hours)}, {"energy", name(by_energy)}, {"cost", name(by_cost)}};
    auto tied = [&](const Smallest& s) {
      nlohmann::json names = nlohmann::json::array();
      for (size_t i : s.tie) names.push_back(rows[i].sku.name);
      return names;
    };
    out["ties"] = {{"gpu_hours", tied(by_hours)}, {"energy", tied(by_energy)}, {"cost", tied(by_cost)}};
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i].result && !why_unusable(*rows[i].result).empty()) out["skus"][i]["unusable"] = why_unusable(*rows[i].result);
    std::cout << out.dump(2) << "\n";
  } else {
    fmt::print("{} on {} SKUs at an assumed MFU (datasheet peaks, not measurements: `trainbench run` on each, then "
               "`compare`)\n",
               base.model.display_name, rows.size());
    const bool memory = std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) {
      return r.result && (r.result->memory || r.result->min_gpus_to_hold);
    });
    // With a layout, the TFLOP/s column is the GPU's own rate and the scaling column what
    // communication leaves of it: GPU-hours follow from both.
    const bool scaled = std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && r.result->scaling; });
    fmt::print("  {:<14} {:>8} {:>9}{} {:>7} {:>8} {:>7} {:>10} {:>9} {:>16}{}{}\n", "SKU", "peak", "TFLOP/s",
               scaled ? fmt::format(" {:>8}", "scaling") : "", "GPUs", "servers", "days", "GPU-hours", "MWh", "cost",
               memory ? fmt::format("  {:<28}", "memory") : "", search ? "  layout" : "");
    for (const auto& r : rows) {
      if (!r.result) {
        fmt::print("  {:<14} {}\n", r.sku.name, r.why_not);
        continue;
      }
      const EstimateResult& e = *r.result;
      std::string fit = why_unusable(e);
      if (fit.empty() && e.memory && e.memory->fit)
        fit = fmt::format("{} ({:.0f}%)", to_string(e.memory->fit->verdict), 100 * e.memory->fit->used_fraction);
      else if (fit.empty())
        fit = "holds the model";
      fmt::print("  {:<14} {:>8.0f} {:>9}{} {:>7} {:>8} {:>7} {:>10} {:>9} {:>16}{}{}\n", r.sku.name,
                 r.sku.peak_tflops_or_zero(base.dtype), human_value(e.sustained_tflops_per_gpu.value_or(0)),
                 scaled ? fmt::format(" {:>8}", e.scaling ? human_percent(e.scaling->efficiency) : std::string("ideal"))
                        : "",
                 e.gpus.value_or(0), e.servers ? std::to_string(*e.servers) : "-", human_value(e.wall_days.value_or(0)),
                 human_count(e.gpu_hours.value_or(0)), e.energy_mwh ? human_value(*e.energy_mwh) : "-",
                 e.rental_cost ? human_money(*e.rental_cost, *e.rental_currency) : "n/a (no price)",
                 memory ? fmt::format("  {:<28}", fit) : "", r.layout ? "  " + *r.layout : "");
    }
    auto best = [&](const std::string& what, const Smallest& s) {
      if (s.best) fmt::print("  {}: {}\n", what, rows[*s.best].sku.name);
      if (!s.tie.empty()) {
        std::vector<std::string> names;
        for (size_t i : s.tie) names.push_back(rows[i].sku.name);
        fmt::print("  {}: a tie between {}\n", what, fmt::join(names, ", "));
      }
    };
    best("fewest GPU-hours", by_hours);
    best("least energy", by_energy);
    // A winner among the priced SKUs only: the unpriced ones could be cheaper.
    std::vector<std::string> unpriced;
    for (const auto& r : rows)
      if (r.result && why_unusable(*r.result).empty() && !r.result->rental_cost) unpriced.push_back(r.sku.name);
    best(among_priced("lowest cost", unpriced), by_cost);
    // What the energy and cost columns count, since a buyer adds them up.
    fmt::print("  MWh: GPUs at TDP x PUE {:.2f}{}; cost: rental only (GPU-hours x the quote)\n",
               base.pue.value_or(1.0), base.pue ? "" : " (give --pue for the site's)");
    for (const auto& r : rows)
      if (r.result && r.result->electricity_cost)
        fmt::print("  {}: electricity {}{}\n", r.sku.name,
                   human_money(*r.result->electricity_cost, r.result->electricity_currency),
                   r.result->rental_and_electricity()
                       ? fmt::format("; rental + electricity {}",
                                     human_money(*r.result->rental_and_electricity(), r.result->electricity_currency))
                       : "");
    for (const auto& r : rows)
      if (r.result && r.result->energy_with_server_mwh)
        fmt::print("  {}: up to {} MWh with the rest of each server at its rating (+{:.0f} W per GPU, {})\n",
                   r.sku.name, human_value(*r.result->energy_with_server_mwh), *r.result->server_other_w,
                   r.sku.server_power_source);
    // Buying instead of renting: servers x the config's [price] server, where it has one.
    std::vector<std::string> server_currencies, unpriced_servers;
    for (const auto& r : rows) {
      if (!r.result || !why_unusable(*r.result).empty()) continue;
      if (!r.result->server_cost) {
        unpriced_servers.push_back(r.sku.name);
        continue;
      }
      fmt::print("  {}: servers to buy {} ({} x {})\n", r.sku.name,
                 human_money(*r.result->server_cost, r.sku.server_currency()), r.result->servers.value_or(0),
                 r.sku.server_source());
      server_currencies.push_back(r.sku.server_currency());
    }
    const size_t priced = server_currencies.size();
    const bool comparable = std::all_of(server_currencies.begin(), server_currencies.end(),
                                        [&](const std::string& c) { return c == server_currencies.front(); });
    if (priced >= 2 && comparable) {
      // As the other summary lines: ties said, and a winner among the priced only.
      best(among_priced("least to buy", unpriced_servers, "server price"),
           smallest(rows, [](const EstimateResult& e) { return e.server_cost; }));
    } else if (priced >= 2) {
      fmt::print("  least to buy: not named (the server prices are in different currencies)\n");
    }
    const bool layout = base.layout_given();
    if (!search && !layout)
      fmt::print("  scaling assumed ideal; --layout auto gives each SKU the layout its memory allows\n");
    else if (!search)
      fmt::print("  the same layout for every SKU, with its communication cost; --layout auto gives each the one its "
                 "memory allows\n");
    if (std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && !why_unusable(*r.result).empty(); }))
      fmt::print("  a SKU whose memory cannot hold the layout is no answer: left out of the best above (give it "
                 "--layout auto, or another --tp/--pp/--zero)\n");
    if (base.interruptions)
      fmt::print("  days, GPU-hours, energy and cost include interruptions (--mtbf-gpu-hours; goodput per SKU's GPU "
                 "count)\n");
  }
  if (std::none_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result.has_value(); }))
    set_exit_code(kExitRuntime);
}

}  // namespace tb::cli
