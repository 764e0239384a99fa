#include "cli/estimate_skus.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <tuple>
#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/sku_quotes.hpp"
#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/common/human_format.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/estimate/ranking.hpp"

namespace tb::cli {

namespace {

struct SkuRow {
  SkuConfig sku;
  std::optional<EstimateResult> result;
  std::optional<std::string> layout;
  std::string why_not;
  bool usable() const { return result && why_unusable(*result).empty(); }
};

// Each SKU's estimate: with `search` its best layout, else the layout given (or ideal scaling).
std::vector<SkuRow> estimate_rows(const EstimateRequest& base, const std::vector<std::string>& skus,
                                  const std::vector<std::string>& quotes, const std::vector<std::string>& server_quotes,
                                  const std::optional<LayoutSearchRequest>& search,
                                  const std::function<void(EstimateRequest&)>& per_sku) {
  std::vector<SkuRow> rows;
  std::vector<QuoteKey> keys;
  for (const auto& name : skus) {
    rows.push_back({load_sku(name), std::nullopt, std::nullopt, ""});
    for (size_t i = 0; i + 1 < rows.size(); ++i)
      if (rows[i].sku.name == rows.back().sku.name)
        throw UsageError(fmt::format("--gpu: '{}' is the SKU {} again (its config's name); list each SKU once", name,
                                     rows.back().sku.name));
    keys.push_back(quote_key(name, rows.back().sku, base.currency));
  }
  // A SKU without the --dtype's tensor math (Ampere has no fp8) is no answer, but the others still
  // compare; where none has it the question itself is wrong.
  std::vector<std::string> lacking;
  for (auto& row : rows)
    if (!(row.sku.peak_tflops_or_zero(base.dtype) > 0)) {
      row.why_not = fmt::format("no {} peak: its config lists none (no {} tensor math, as on Ampere); left out of the "
                                "comparison",
                                to_string(base.dtype), to_string(base.dtype));
      lacking.push_back(row.sku.name);
    }
  if (lacking.size() == rows.size())
    throw UsageError(fmt::format("--dtype {}: none of --gpu {} has a {} peak in its config; give a --dtype they list",
                                 to_string(base.dtype), fmt::join(lacking, ","), to_string(base.dtype)));
  for (size_t i = 0; i < rows.size(); ++i) {
    SkuRow& row = rows[i];
    if (!row.why_not.empty()) continue;
    apply_server_price(row.sku, keys[i], server_quotes, keys, base.currency);
    EstimateRequest req = base;
    req.sku = row.sku;
    req.gpu_hour_price = quoted_price(quotes, keys[i], keys, kEstimateGpuHourPriceKind);
    per_sku(req);
    if (!search) {
      row.result = estimate(req);
      // A SKU too slow for the deadline is no answer; the others still are.
      try {
        if (req.days) refuse_gpus_beyond_bound(*row.result, *req.days, row.sku.name);
      } catch (const UsageError& e) {
        row.result.reset();
        row.why_not = e.what();
      }
      continue;
    }
    LayoutSearchRequest s = *search;
    s.base = req;
    s.keep = 1;
    const LayoutSearchResult found = search_layouts(s);
    if (found.ranked.empty()) {
      row.why_not = fmt::format("none of {} layouts fits {}{}{}", found.considered, row.sku.capacity_text(),
                                req.days ? " and finishes in time" : "",
                                found.soonest_fitting
                                    ? fmt::format(" (soonest: {:.1f} days; {} GPUs take {:.1f})", *found.soonest_days,
                                                  *found.soonest_fitting->result.gpus,
                                                  *found.soonest_fitting->result.wall_days)
                                    : "");
    } else {
      row.result = found.ranked.front().result;
      row.layout = layout_summary(found.ranked.front().request);
      // The search leaves the site out of its candidates; the chosen layout is estimated at it, as
      // one SKU's `estimate --layout auto --site` is, with --days the sites' deadline.
      if (req.site) {
        EstimateRequest chosen = found.ranked.front().request;
        chosen.site = req.site;
        chosen.days = req.days;
        chosen.gpus_meet_days = req.days && !req.gpus;
        row.result = estimate(chosen);
      }
    }
  }
  return rows;
}

// The winners, computed once for the text and the JSON alike.
struct Winners {
  Smallest gpu_hours, energy;
  CostRanking cost;
  PricedSmallest servers;
};

Winners winners(const std::vector<SkuRow>& rows) {
  auto candidates = [&](auto get) {
    std::vector<RankCandidate> c;
    for (const auto& r : rows) c.push_back({r.result ? get(*r.result) : std::nullopt, r.usable()});
    return c;
  };
  std::vector<Bill> bills;
  std::vector<PricedCandidate> servers;
  for (const auto& r : rows) {
    const EstimateResult* e = r.result ? &*r.result : nullptr;
    bills.push_back({r.sku.name, e ? e->rental_cost : std::nullopt, e ? e->rental_currency.value_or("") : "",
                     e ? e->rental_and_electricity() : std::nullopt, r.usable(),
                     e && e->electricity_cost ? e->electricity_currency : std::string()});
    servers.push_back({r.sku.name, e ? e->server_cost : std::nullopt, r.sku.server_currency(), r.usable(),
                       r.sku.server_price.has_value()});
  }
  return {smallest(candidates([](const EstimateResult& e) { return e.gpu_hours; })),
          smallest(candidates([](const EstimateResult& e) { return e.energy_mwh; })), rank_costs(bills),
          smallest_priced(servers, "server prices", "server price")};
}

// The usable SKUs without a figure: a winner is named among the priced only.
std::vector<std::string> unpriced(const std::vector<SkuRow>& rows, const auto& get) {
  std::vector<std::string> names;
  for (const auto& r : rows)
    if (r.usable() && !get(*r.result)) names.push_back(r.sku.name);
  return names;
}

void print_json(const std::vector<SkuRow>& rows, const Winners& w) {
  nlohmann::json out;
  out["assumption"] = "each SKU's datasheet peak times one assumed MFU: not a measurement";
  out["skus"] = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = r.result ? to_json(*r.result) : nlohmann::json::object();
    j["sku"] = r.sku.name;
    if (r.layout) j["layout"] = *r.layout;
    if (!r.why_not.empty()) j["why_not"] = r.why_not;
    if (r.result && !r.usable()) j["unusable"] = why_unusable(*r.result);
    out["skus"].push_back(j);
  }
  // As compare's `best` (run indices) but by SKU name, hence the key: `best_sku`; its ties as
  // compare's, {what, figure, skus}, `figure` the key of `best_sku` they stand in for.
  auto name = [&](const Smallest& s) { return s.best ? nlohmann::json(rows[*s.best].sku.name) : nlohmann::json(); };
  auto text_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  const Smallest& cost = w.cost.winner.smallest;
  nlohmann::json ties = nlohmann::json::array();
  for (const auto& [what, figure, s] : {std::tuple{std::string("fewest GPU-hours"), "gpu_hours", &w.gpu_hours},
                                        {std::string("least energy"), "energy", &w.energy},
                                        {w.cost.what, "cost", &cost},
                                        {std::string("least to buy"), "servers", &w.servers.smallest}}) {
    if (s->tie.empty()) continue;
    nlohmann::json names = nlohmann::json::array();
    for (size_t i : s->tie) names.push_back(rows[i].sku.name);
    ties.push_back({{"what", what}, {"figure", figure}, {"skus", names}});
  }
  out["best_sku"] = {{"gpu_hours", name(w.gpu_hours)},
                     {"energy", name(w.energy)},
                     {"cost", name(cost)},
                     {"cost_what", w.cost.what},
                     {"cost_ranked", w.cost.ranked},
                     {"cost_why_none", text_or_null(w.cost.winner.why_none)},
                     {"servers", name(w.servers.smallest)},
                     {"servers_why_none", text_or_null(w.servers.why_none)},
                     {"ties", ties}};
  std::cout << out.dump(2) << "\n";
}

std::string cost_cell(const EstimateResult& e) {
  return e.rental_cost ? human_money(*e.rental_cost, *e.rental_currency) : "n/a (no price)";
}

// One line per SKU; the name and cost columns as wide as their longest cell, so that a long
// price ("782.90 million KRW") never runs into the energy beside it.
void print_table(const EstimateRequest& base, const std::vector<SkuRow>& rows, bool search) {
  const bool memory = std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) {
    return r.result && (r.result->memory || r.result->min_gpus_to_hold);
  });
  // With a layout, the TFLOP/s column is the GPU's own rate and the scaling column what
  // communication leaves of it: GPU-hours follow from both.
  const bool scaled = std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && r.result->scaling; });
  size_t name_w = 14, cost_w = 4;
  for (const auto& r : rows) {
    name_w = std::max(name_w, r.sku.name.size());
    if (r.result) cost_w = std::max(cost_w, cost_cell(*r.result).size());
  }
  fmt::print("  {:<{}} {:>8} {:>9}{} {:>7} {:>8} {:>7} {:>10} {:>9}  {:>{}}{}{}\n", "SKU", name_w, "peak", "TFLOP/s",
             scaled ? fmt::format(" {:>8}", "scaling") : "", "GPUs", "servers", "days", "GPU-hours", "MWh", "cost",
             cost_w, memory ? fmt::format("  {:<28}", "memory") : "", search ? "  layout" : "");
  for (const auto& r : rows) {
    if (!r.result) {
      fmt::print("  {:<{}} {}\n", r.sku.name, name_w, r.why_not);
      continue;
    }
    const EstimateResult& e = *r.result;
    std::string fit = why_unusable(e);
    if (fit.empty() && e.memory && e.memory->fit)
      fit = fmt::format("{} ({:.0f}%)", to_string(e.memory->fit->verdict), 100 * e.memory->fit->used_fraction);
    else if (fit.empty())
      fit = "holds the model";
    fmt::print("  {:<{}} {:>8.0f} {:>9}{} {:>7} {:>8} {:>7} {:>10} {:>9}  {:>{}}{}{}\n", r.sku.name, name_w,
               r.sku.peak_tflops_or_zero(base.dtype), human_value(e.sustained_tflops_per_gpu.value_or(0)),
               scaled ? fmt::format(" {:>8}", e.scaling ? human_percent(e.scaling->efficiency) : std::string("ideal"))
                      : "",
               // No count without --gpus, --days or a layout: "-", not a count of 0 GPUs in 0 days.
               e.gpus ? std::to_string(*e.gpus) : "-", e.servers ? std::to_string(*e.servers) : "-",
               e.wall_days ? human_value(*e.wall_days) : "-",
               human_count(e.gpu_hours.value_or(0)), e.energy_mwh ? human_value(*e.energy_mwh) : "-", cost_cell(e),
               cost_w, memory ? fmt::format("  {:<28}", fit) : "", r.layout ? "  " + *r.layout : "");
  }
}

void print_best(const std::vector<SkuRow>& rows, const std::string& what, const Smallest& s) {
  if (s.best) fmt::print("  {}: {}\n", what, rows[*s.best].sku.name);
  if (!s.tie.empty()) {
    std::vector<std::string> names;
    for (size_t i : s.tie) names.push_back(rows[i].sku.name);
    fmt::print("  {}: a tie between {}\n", what, fmt::join(names, ", "));
  }
}

// Owning instead of renting: the servers bought plus the electricity they draw over the training,
// where both are known in one currency. The servers outlive the training, so this is an upper bound
// on its share of them; a cheaper server can lose it on power.
void print_owning(const std::vector<SkuRow>& rows) {
  std::vector<PricedCandidate> owning;
  for (const auto& r : rows) {
    std::optional<double> total;
    if (r.usable() && r.result->server_cost && r.result->electricity_cost &&
        r.result->electricity_currency == r.sku.server_currency())
      total = *r.result->server_cost + *r.result->electricity_cost;
    owning.push_back({r.sku.name, total, r.sku.server_currency(), r.usable(), r.sku.server_price.has_value()});
    if (total)
      fmt::print("  {}: servers + electricity over the training {}\n", r.sku.name,
                 human_money(*total, r.sku.server_currency()));
  }
  if (std::none_of(owning.begin(), owning.end(), [](const PricedCandidate& c) { return c.value.has_value(); })) return;
  const PricedSmallest least = smallest_priced(owning, "server prices", "server price and electricity");
  print_best(rows, "least to own (servers + electricity, the servers kept after the training)", least.smallest);
  if (!least.why_none.empty()) fmt::print("  least to own: none — {}\n", least.why_none);
}

// The winners, what the energy and cost columns count, and each SKU's electricity and servers.
void print_summary(const EstimateRequest& base, const std::vector<SkuRow>& rows, const Winners& w, bool search) {
  print_best(rows, "fewest GPU-hours", w.gpu_hours);
  print_best(rows, "least energy", w.energy);
  const auto unrented = unpriced(rows, [](const EstimateResult& e) { return e.rental_cost; });
  print_best(rows, among_priced(w.cost.what, unrented), w.cost.winner.smallest);
  if (!w.cost.winner.why_none.empty()) fmt::print("  {}: none — {}\n", w.cost.what, w.cost.winner.why_none);
  // Cloud quotes usually include power: the sum ranks quotes that exclude it (ranking.hpp).
  if (w.cost.totals)
    fmt::print("  (rental + electricity ranks GPU-hour quotes that exclude power; for quotes that include it, rank on "
               "the rental column)\n");
  // What the energy and cost columns count, since a buyer adds them up.
  fmt::print("  MWh: GPUs at TDP x PUE {:.2f}{}; cost: rental only (GPU-hours x the quote)\n",
             base.pue ? *base.pue : base.site ? base.site->pue : 1.0,
             base.pue    ? ""
             : base.site ? fmt::format(" (site {}'s{})", base.site->name, base.site->is_assumed("pue") ? ", assumed" : "")
                         : " (give --pue or --site for the site's)");
  // The tariff behind the electricity lines below, where it is the site's (the 500P's is assumed).
  if (!base.electricity_price_per_kwh && base.site && base.site->electricity_price_per_kwh &&
      std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && r.result->electricity_cost; }))
    fmt::print("  electricity at site {}'s {:g} {} per kWh{}\n", base.site->name, *base.site->electricity_price_per_kwh,
               base.site->currency, assumed_suffix(*base.site, "electricity_price_per_kwh"));
  // A quote whose currency nothing states is read in USD: said beside the figures it made.
  std::vector<std::string> rent_assumed, server_assumed;
  for (const auto& r : rows) {
    if (r.result && r.result->rental_currency_assumed) rent_assumed.push_back(r.sku.name);
    if (r.result && r.result->server_currency_assumed) server_assumed.push_back(r.sku.name);
  }
  if (!rent_assumed.empty()) fmt::print("  {}\n", usd_assumed_note("--gpu-hour-price", rent_assumed));
  if (!server_assumed.empty()) fmt::print("  {}\n", usd_assumed_note("--server-price", server_assumed));
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
      fmt::print("  {}: up to {} MWh with the rest of each server at its rating (+{:.0f} W per GPU, {})\n", r.sku.name,
                 human_value(*r.result->energy_with_server_mwh), *r.result->server_other_w, r.sku.server_power_source);
  // Buying instead of renting: servers x the config's [price] server (or --server-price).
  for (const auto& r : rows)
    if (r.usable() && r.result->server_cost)
      fmt::print("  {}: servers to buy {} ({} x {})\n", r.sku.name,
                 human_money(*r.result->server_cost, r.sku.server_currency()), r.result->servers.value_or(0),
                 r.sku.server_source());
  const auto unbought = unpriced(rows, [](const EstimateResult& e) { return e.server_cost; });
  print_best(rows, among_priced("least to buy", unbought, "server price"), w.servers.smallest);
  if (!w.servers.why_none.empty()) fmt::print("  least to buy: none — {}\n", w.servers.why_none);
  print_owning(rows);
  const bool layout = base.layout_given();
  if (!search && !layout)
    fmt::print("  scaling assumed ideal; --layout auto gives each SKU the layout its memory allows\n");
  else if (!search)
    fmt::print("  the same layout for every SKU, with its communication cost; --layout auto gives each the one its "
               "memory allows\n");
  if (std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && !r.usable(); }))
    fmt::print("  a SKU whose memory cannot hold the layout is no answer: left out of the best above (give it "
               "--layout auto, or another --tp/--pp/--zero)\n");
  if (base.interruptions)
    fmt::print("  days, GPU-hours, energy and cost include interruptions (--mtbf-gpu-hours; goodput per SKU's GPU "
               "count)\n");
}

// The site's rating built of each SKU: its PUE and tariff are already in the columns above; here
// the data centers each SKU's throughput needs by the deadline, as `estimate --gpu X --site S`
// sizes them for one SKU. The site's cost is its config's, whatever GPU it is built of.
void print_sites(const EstimateRequest& base, const std::vector<SkuRow>& rows) {
  if (!base.site) return;
  const SiteConfig& site = *base.site;
  const auto first = std::find_if(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && r.result->at_peak; });
  if (first == rows.end()) return;
  const EstimateResult& any = *first->result;
  fmt::print("\nData centers: {} ({:g} PFLOPS, {}{} each whatever GPU it is built of), to finish in {:g} day(s)\n",
             site.display_name, site.peak_pflops, human_money(site.cost, site.currency), assumed_suffix(site, "cost"),
             *any.site_days);
  // The article's investment is fractional (7.28 sites); what is built is whole sites, priced beside it.
  fmt::print("  at peak (the article's arithmetic, any SKU): {} sites = {}; build {} = {}\n",
             human_sites(any.at_peak->sites_needed), human_money(any.at_peak->total_cost, any.currency),
             any.at_peak->sites_whole, human_money(any.at_peak->cost_whole_sites, any.currency));
  size_t name_w = 14;
  for (const auto& r : rows) name_w = std::max(name_w, r.sku.name.size());
  fmt::print("  {:<{}} {:>13} {:>12} {:>22} {:>6} {:>24}\n", "SKU", name_w, "GPUs per site", "sites needed",
             "investment (fraction)", "build", "cost of the sites built");
  bool goodput = false;
  for (const auto& r : rows) {
    if (!r.result || !r.result->at_measured) continue;
    const EstimateResult& e = *r.result;
    const SiteEstimate& m = *e.at_measured;
    fmt::print("  {:<{}} {:>13} {:>12} {:>22} {:>6} {:>24}\n", r.sku.name, name_w,
               e.gpus_per_site ? human_integer(static_cast<double>(*e.gpus_per_site)) : "-", human_sites(m.sites_needed),
               human_money(m.total_cost, e.currency), m.sites_whole, human_money(m.cost_whole_sites, e.currency));
    if (m.sites_whole_hold_gpus)
      fmt::print("    {}: build {} to hold the {} GPUs used{}; the work alone fills {}\n", r.sku.name, m.sites_whole,
                 human_integer(static_cast<double>(*m.sites_whole_hold_gpus)), e.scaling ? " (its layout's count)" : "",
                 human_sites(m.sites_needed));
    if (e.site_interruptions_unreachable) fmt::print("    {}: {}\n", r.sku.name, *e.site_interruptions_unreachable);
    goodput = goodput || e.site_goodput;
  }
  fmt::print("  sites needed: the model's FLOPs at the site's peak x MFU{}{}{}; GPUs per site: its rating / the "
             "SKU's bf16 peak\n",
             base.dtype == DType::BF16
                 ? ""
                 : fmt::format(" x the SKU's {} peak / its bf16 peak (the site is rated in bf16)", to_string(base.dtype)),
             std::any_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result && r.result->scaling; })
                 ? " x scaling"
                 : "",
             goodput ? " x goodput (interruptions at the sites' GPU count)" : "");
}

}  // namespace

void estimate_skus(const EstimateRequest& base, const std::vector<std::string>& skus,
                   const std::vector<std::string>& quotes, const std::vector<std::string>& server_quotes,
                   const std::optional<LayoutSearchRequest>& search, bool json,
                   const std::function<void(EstimateRequest&)>& per_sku) {
  const std::vector<SkuRow> rows = estimate_rows(base, skus, quotes, server_quotes, search, per_sku);
  const Winners w = winners(rows);
  if (json) {
    print_json(rows, w);
  } else {
    fmt::print("{} on {} SKUs at an assumed MFU (datasheet peaks, not measurements: `trainbench run` on each, then "
               "`compare`)\n",
               base.model.display_name, rows.size());
    print_table(base, rows, search.has_value());
    print_summary(base, rows, w, search.has_value());
    print_sites(base, rows);
  }
  if (std::none_of(rows.begin(), rows.end(), [](const SkuRow& r) { return r.result.has_value(); })) {
    fmt::print(stderr, "trainbench: estimate: none of the {} SKUs gives an answer (each row says why)\n", rows.size());
    set_exit_code(kExitRuntime);
  }
}

}  // namespace tb::cli
