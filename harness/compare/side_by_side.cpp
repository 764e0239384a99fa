#include "harness/compare/side_by_side.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/repetitions.hpp"
#include "harness/compare/side_by_side_prices.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/estimate/layout_search.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/estimate/ranking.hpp"
#include "harness/results/convergence.hpp"
#include "harness/results/recorded_sku.hpp"

namespace tb::compare {

std::vector<std::string> run_labels(const std::vector<LabeledResults>& runs) {
  std::vector<std::string> labels;
  for (const auto& r : runs) {
    const std::string file = std::filesystem::path(r.origin).filename().string();
    const std::string device = r.results.machine.device_name.empty() ? r.results.machine.backend
                                                                     : r.results.machine.device_name;
    labels.push_back(fmt::format("{} ({})", device, file));
  }
  // Two files with one name in different folders: number them so charts keep them apart.
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t j = i + 1; j < labels.size(); ++j)
      if (labels[i] == labels[j]) labels[j] = fmt::format("{} #{}", labels[j], j + 1);
  return labels;
}

namespace {

// Index of the smallest value among usable runs that have one (harness/estimate/ranking.hpp);
// a tie is noted in `ties` under `what`.
template <typename Get>
std::optional<size_t> smallest(const std::vector<RunColumn>& runs, Get get, const char* what, const char* figure,
                               std::vector<Best::Tie>& ties) {
  std::vector<RankCandidate> candidates;
  for (const auto& r : runs)
    candidates.push_back({r.extrapolation.available ? get(r.extrapolation) : std::nullopt,
                          r.extrapolation.unusable.empty()});
  const Smallest s = tb::smallest(candidates);
  if (!s.tie.empty()) ties.push_back({what, figure, s.tie});
  return s.best;
}

Best best_runs(const std::vector<RunColumn>& runs) {
  Best b;
  b.gpu_hours = smallest(
      runs, [](const Extrapolation& e) { return std::optional<double>(e.gpu_hours); }, "fewest GPU-hours", "gpu_hours", b.ties);
  b.energy = smallest(runs, [](const Extrapolation& e) { return e.energy_mwh; }, "least energy", "energy", b.ties);
  std::vector<Bill> bills;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Extrapolation& e = runs[i].extrapolation;
    bills.push_back({run_letter(i), e.available ? e.cost : std::nullopt, e.currency,
                     e.available ? e.rental_and_electricity : std::nullopt, e.unusable.empty(),
                     e.available && e.electricity_cost ? e.electricity_currency : std::string()});
  }
  const CostRanking cost = rank_costs(bills);
  b.cost_what = cost.what;
  b.cost_ranked = cost.ranked;
  b.cost_totals = cost.totals;
  b.cost = cost.winner.smallest.best;
  b.cost_why_none = cost.winner.why_none;
  if (!cost.winner.smallest.tie.empty()) b.ties.push_back({cost.what, "cost", cost.winner.smallest.tie});
  return b;
}

// `electricity_currency`: of o.electricity_price_per_kwh (check_prices_and_site).
Extrapolation extrapolate(const LabeledResults& run, std::optional<double> price, const ModelConfig& model,
                          const SideBySideOptions& o, const std::string& electricity_currency) {
  Extrapolation e;
  if (!run.results.step) {
    e.why_not = fmt::format("no measured step (a `trainbench {}` file)", run.results.workload.command);
    return e;
  }
  if (!(o.tokens > 0) && !(model.train_tokens > 0)) {
    e.why_not = fmt::format("{} publishes no training token count ([training] tokens in its config): give --tokens",
                            model.name);
    return e;
  }
  const MeasuredThroughput measured = throughput_from_results(run.results, run.origin);
  EstimateRequest req;
  req.model = model;
  req.tokens = o.tokens;
  req.sustained_tflops_per_gpu = measured.sustained_tflops_per_gpu;
  req.throughput_source = measured.source;
  req.throughput_measured = true;
  req.measured_power_w = measured.mean_power_w;
  req.sku = measured.sku;
  req.dtype = measured.peak_dtype;
  req.fp8_training = measured.workload.dtype == "fp8";  // TE's fp8 memory in its layouts
  if (o.days) req.days = o.days;
  else req.gpus = o.gpus;
  req.interruptions = o.interruptions;
  if (o.recompute != "auto") req.recompute = parse_recompute(o.recompute, "--recompute");
  // Prices and site as estimate takes them: a quote in --currency, else the SKU config's; the
  // site's PUE and tariff unless --pue and --electricity-price replace them.
  if (price) {
    req.gpu_hour_price = price;
    req.currency = o.currency;
  }
  req.pue = o.pue;
  req.site = o.site;
  if (o.electricity_price_per_kwh) {
    req.electricity_price_per_kwh = o.electricity_price_per_kwh;
    req.electricity_currency = electricity_currency;
  }
  EstimateResult r;
  if (o.layout_search) {
    if (!req.sku) {
      e.why_not = "no SKU config for this device: the layout search needs its memory and links";
      return e;
    }
    LayoutSearchRequest search;
    search.base = req;
    search.global_batch = o.global_batch;
    search.keep = 1;
    search.measured_tp = measured.tensor_parallel;
    search.measured_ep = measured.expert_parallel;
    if (o.recompute == "auto") search.recompute_modes = {Recompute::None, Recompute::Selective, Recompute::Full};
    const LayoutSearchResult found = search_layouts(search);
    if (found.ranked.empty()) {
      e.why_not = fmt::format("none of {} layouts fits {}{}", found.considered, req.sku->capacity_text(),
                              o.days ? " and finishes in time" : "");
      return e;
    }
    const LayoutChoice& best = found.ranked.front();
    r = best.result;
    // The search leaves the site out of its candidates; the chosen one is estimated with it, as
    // `estimate --layout auto --site` does, so its energy and cost carry the site's PUE and tariff.
    if (o.site) {
      EstimateRequest chosen = best.request;
      chosen.site = o.site;
      r = estimate(chosen);
    }
    e.layout = layout_summary(best.request);
  } else {
    r = estimate(req);
  }
  e.available = true;
  e.unusable = why_unusable(r);
  e.sustained_tflops = measured.sustained_tflops_per_gpu;
  e.pf_days = r.pf_days;
  e.gpu_hours = r.gpu_hours.value_or(0);
  e.gpus = r.gpus.value_or(0);
  e.servers = r.servers;
  e.gpus_per_server = r.gpus_per_server;
  e.wall_days = r.wall_days.value_or(0);
  e.energy_mwh = r.energy_mwh;
  e.pue = r.pue.value_or(1.0);
  e.electricity_cost = r.electricity_cost;
  e.electricity_currency = r.electricity_currency;
  e.rental_and_electricity = r.rental_and_electricity();
  e.power_w = r.power_w;
  e.power_measured = r.power_measured;
  e.cost = r.rental_cost;
  e.currency = r.rental_currency.value_or("");
  e.currency_assumed = r.rental_currency_assumed;
  e.answer = std::move(r);
  return e;
}

}  // namespace

SideBySide build_side_by_side(const std::vector<LabeledResults>& files, const SideBySideOptions& o) {
  if (files.empty()) throw UsageError("compare: give at least one results file");
  if (o.gpus <= 0) throw UsageError(fmt::format("--gpus must be positive (got {})", o.gpus));
  for (const auto& r : files) {
    if (o.accept_partial && r.results.status == "partial") require_measured_part(r);
    else require_complete_run(r);
  }
  std::vector<LabeledResults> runs;
  for (const auto& r : files) runs.push_back(pool_repetitions(r));
  for (size_t i = 1; i < runs.size(); ++i) require_same_shapes(runs[0], runs[i], o.compatibility);
  const std::string electricity_currency = check_prices_and_site(runs, o);

  SideBySide out;
  out.deadline_days = o.days;
  out.target_model = o.target_model;
  if (out.target_model.empty()) out.target_model = measured_model_ref(runs[0].results.workload, runs[0].origin);
  if (out.target_model.empty()) out.target_model = "gpt3-175b";
  const ModelConfig model = load_model(out.target_model);
  out.target_model = model.name;  // shown by name, also when it was loaded from a file
  out.tokens = o.tokens > 0 ? o.tokens : model.train_tokens;
  for (const auto& r : runs) {
    const std::string& measured = r.results.workload.model;
    if (!measured.empty() && measured != model.name)
      out.notes.push_back(fmt::format("{} measured {}'s kernels; extrapolating {} assumes its kernels run as fast "
                                      "(measure `trainbench run --model {}` for its own)",
                                      r.origin, measured, out.target_model, out.target_model));
    if (r.results.step && r.results.status != "partial") {  // a step measured at one sequence prices training at another
      const std::string seq_note = sequence_mismatch_note(r.results.workload.seq_len, model.seq_len, model.name);
      const std::string note = fmt::format("{}: {}", r.origin, seq_note);
      if (!seq_note.empty() && std::find(out.notes.begin(), out.notes.end(), note) == out.notes.end())
        out.notes.push_back(note);
    }
  }

  const auto labels = run_labels(runs);
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i].results;
    RunColumn col;
    col.origin = runs[i].origin;
    col.label = labels[i];
    col.device_name = r.machine.device_name;
    col.sku = r.machine.sku;
    col.model = r.workload.model;
    col.dtype = r.workload.dtype;
    col.peak_dtype = r.machine.peak_dtype;
    // A machine whose SKU config is not here has no fp8 roof drawn.
    if (r.workload.dtype == "fp8")
      if (const auto sku = results::recorded_sku(runs[i].results))
        col.peak_tflops_fp8 = sku->peak_tflops_or_zero(DType::FP8);
    col.peak_tflops = r.machine.peak_tflops;
    col.peak_memory_tb_s = r.machine.peak_memory_tb_s;
    col.workload = r.workload;
    col.machine = r.machine;
    col.noise_target = results::noise_target(r);
    for (const auto& k : r.kernels)
      if (results::stopped_short(k, col.noise_target)) col.unconverged.push_back(k);
    col.health = r.health;
    col.kernels_total = r.kernels.size();
    col.partial = r.status == "partial";
    if (col.partial) {
      // Its step sums only the kernels it measured: no step figures, nothing to extrapolate.
      for (const auto& k : r.kernels)
        if (k.status != "ok") col.not_measured.push_back(k);
      col.extrapolation.why_not = fmt::format("a partial run ({} of {} kernels measured): no step to extrapolate from",
                                              r.kernels.size() - col.not_measured.size(), r.kernels.size());
    } else {
      col.step = r.step;
      col.extrapolation = extrapolate(runs[i], quoted_price(i, runs[i], o), model, o, electricity_currency);
    }
    out.runs.push_back(std::move(col));

    double step_ms = 0;
    for (const auto& k : r.kernels)
      if (k.status == "ok") step_ms += results::step_calls(k, r.workload) * k.stats.median_ms;
    for (const auto& k : r.kernels) {
      if (k.status != "ok") continue;  // a partial run's kernels not measured have no cell
      const std::string key = kernel_key(k);
      auto [it, inserted] = row_of.emplace(key, out.kernels.size());
      if (inserted) {
        KernelRow row{key, k.name, k.kind, k.shape, k.dtype, k.flops, k.bytes, k.calls_per_step, {}};
        row.cells.resize(runs.size());
        out.kernels.push_back(std::move(row));
      }
      KernelCell& c = out.kernels[it->second].cells[i];
      c.present = true;
      c.median_ms = k.stats.median_ms;
      c.tflops = k.tflops;
      c.gbps = k.gbps;
      c.pct_of_peak = k.pct_of_peak;
      c.step_calls = results::step_calls(k, r.workload);
      c.step_share = step_ms > 0 ? c.step_calls * k.stats.median_ms / step_ms : 0;
      c.samples = k.stats.samples;
      c.outliers = k.stats.outliers;
    }
  }
  out.best = best_runs(out.runs);
  std::vector<std::string> assumed;  // runs whose quote reads in USD by default
  for (size_t i = 0; i < out.runs.size(); ++i)
    if (out.runs[i].extrapolation.currency_assumed) assumed.push_back(run_letter(i));
  if (!assumed.empty()) out.notes.push_back(usd_assumed_note("--gpu-hour-price", assumed));
  // estimate's rule: --pue, else the site's, else 1; --electricity-price, else the site's tariff.
  out.pue = o.pue ? *o.pue : o.site ? o.site->pue : 1.0;
  out.site = o.site;
  if (o.electricity_price_per_kwh) out.electricity_source = "--electricity-price";
  else if (o.site && o.site->electricity_price_per_kwh) out.electricity_source = "site " + o.site->name;
  // The site's figures weigh energy: with no run's power known there is nothing to weigh.
  const bool any_energy = std::any_of(out.runs.begin(), out.runs.end(),
                                      [](const RunColumn& r) { return r.extrapolation.energy_mwh.has_value(); });
  if ((o.pue || o.electricity_price_per_kwh || o.site) && !any_energy)
    out.notes.push_back(fmt::format("{} weigh energy, and no run has a power figure (no SKU TDP, no measured power): "
                                    "nothing to weigh",
                                    o.site ? fmt::format("--site {}'s PUE and electricity price", o.site->name)
                                           : std::string("--pue and --electricity-price")));
  return out;
}

}  // namespace tb::compare
