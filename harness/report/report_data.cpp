#include "harness/report/report_data.hpp"

#include <algorithm>

#include "harness/common/human_format.hpp"
#include "harness/compare/format.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/report/run_provenance.hpp"

namespace tb::report {

using nlohmann::json;

std::string kernel_group(const std::string& kind) {
  if (kind == "gemm") return "GEMM";
  if (kind.rfind("attention", 0) == 0) return "attention";
  if (kind.find("norm") != std::string::npos) return "normalization";
  if (kind.rfind("gelu", 0) == 0 || kind.rfind("swiglu", 0) == 0) return "activation";
  if (kind == "residual_add") return "residual";
  if (kind == "cross_entropy") return "cross-entropy";
  if (kind == "adam_update") return "optimizer";
  return kind.empty() ? "other" : kind;
}

json report_data(const compare::SideBySide& c, const std::string& title) {
  std::vector<std::string> groups;
  for (const auto& k : c.kernels) {
    const std::string g = kernel_group(k.kind);
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }

  json runs = json::array();
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const auto& r = c.runs[i];
    json by_group = json::object();
    for (const auto& g : groups) by_group[g] = 0.0;
    double flops = 0, ms = 0;
    for (const auto& k : c.kernels) {
      const auto& cell = k.cells[i];
      if (!cell.present) continue;
      const double call_ms = cell.step_calls * cell.median_ms;
      by_group[kernel_group(k.kind)] = by_group[kernel_group(k.kind)].get<double>() + call_ms;
      flops += cell.step_calls * k.flops;
      ms += call_ms;
    }
    json step = nullptr;
    if (r.step)
      step = {{"step_ms", r.step->step_ms},       {"tokens_per_s", r.step->tokens_per_s}, {"mfu", r.step->mfu},
              {"hfu", r.step->hfu},               {"sustained_tflops", r.step->sustained_tflops}};
    const auto& e = r.extrapolation;
    json extrap = {{"available", e.available}, {"why_not", e.why_not}};
    if (e.available) {
      // Named as estimate --json names them (docs/estimate-json.md): per GPU, in the key.
      extrap.update({{"sustained_tflops_per_gpu", e.sustained_tflops},
                     {"pf_days", e.pf_days},
                     // As the CLI and compare print it (human_pf_days): one formatting for all three.
                     {"pf_days_text", human_pf_days(e.pf_days)},
                     {"gpu_hours", e.gpu_hours},
                     {"gpus", e.gpus},
                     {"servers", e.servers ? json(*e.servers) : json(nullptr)},
                     {"gpus_per_server", e.gpus_per_server},
                     {"wall_days", e.wall_days},
                     {"energy_mwh", e.energy_mwh ? json(*e.energy_mwh) : json(nullptr)},
                     {"power_w_per_gpu", e.power_w ? json(*e.power_w) : json(nullptr)},
                     {"power_basis", power_basis(e.power_measured)},
                     // estimate's names for the same figures (rental_cost, rental_currency).
                     {"rental_cost", e.cost ? json(*e.cost) : json(nullptr)},
                     {"rental_currency_assumed", e.currency_assumed},
                     {"pue", e.pue},
                     {"electricity_cost", e.electricity_cost ? json(*e.electricity_cost) : json(nullptr)},
                     {"electricity_currency", e.electricity_currency},
                     {"rental_and_electricity",
                      e.rental_and_electricity ? json(*e.rental_and_electricity) : json(nullptr)},
                     {"rental_currency", e.currency},
                     // Money as the CLI prints it (human_money): "21.97 billion CNY".
                     {"rental_cost_text", e.cost ? json(human_money(*e.cost, e.currency)) : json(nullptr)},
                     {"electricity_cost_text", e.electricity_cost
                                                   ? json(human_money(*e.electricity_cost, e.electricity_currency))
                                                   : json(nullptr)},
                     {"rental_and_electricity_text",
                      e.rental_and_electricity ? json(human_money(*e.rental_and_electricity, e.electricity_currency))
                                               : json(nullptr)},
                     {"layout", e.layout ? json(*e.layout) : json(nullptr)},
                     {"unusable", e.unusable.empty() ? json(nullptr) : json(e.unusable)},
                     // estimate --json's objects, by its writers (docs/estimate-json.md).
                     {"scaling", e.answer.scaling ? scaling_json(*e.answer.scaling) : json(nullptr)},
                     {"memory", e.answer.memory ? memory_json(*e.answer.memory) : json(nullptr)},
                     {"interruptions", e.answer.goodput ? interruptions_json(e.answer) : json(nullptr)}});
    }
    runs.push_back({{"letter", compare::run_letter(i)},  // as compare's text names the run: A, B, ...
                    {"label", r.label},
                    {"origin", r.origin},
                    {"device", r.device_name},
                    {"sku", r.sku},
                    {"model", r.model},
                    {"dtype", r.dtype},
                    // The shape its step was measured at: runs of other shapes sit side by side
                    // only under --allow-different-shapes.
                    {"workload",
                     {{"tensor_parallel", r.workload.tensor_parallel},
                      {"micro_batch", r.workload.micro_batch},
                      {"seq_len", r.workload.seq_len},
                      {"micro_batches", r.workload.micro_batches},
                      {"data_parallel", r.workload.data_parallel}}},
                    {"peak_tflops", r.peak_tflops},
                    {"peak_dtype", r.peak_dtype},
                    {"peak_tflops_fp8", r.peak_tflops_fp8},
                    {"peak_memory_tb_s", r.peak_memory_tb_s},
                    // Executed FLOPs over the measured kernels' time: defined even without a step.
                    {"kernels_tflops", ms > 0 ? flops / (ms * 1e-3) / 1e12 : 0.0},
                    {"group_ms", by_group},
                    {"step", step},
                    {"extrapolation", extrap},
                    {"status", r.partial ? "partial" : "complete"},
                    {"partial", partial_json(r)},
                    {"machine", machine_json(r.machine)},
                    {"noise_target", r.noise_target ? json(*r.noise_target) : json(nullptr)},
                    {"unconverged", unconverged_json(r)},
                    {"health", health_json(r.health)}});
  }

  json kernels = json::array();
  for (const auto& k : c.kernels) {
    json cells = json::array();
    for (const auto& cell : k.cells)
      cells.push_back(cell.present ? json{{"median_ms", cell.median_ms},
                                          {"tflops", cell.tflops},
                                          {"gbps", cell.gbps},
                                          {"pct_of_peak", cell.pct_of_peak},
                                          {"step_share", cell.step_share},
                                          {"step_calls", cell.step_calls},
                                          {"samples", cell.samples},
                                          {"outliers", cell.outliers}}
                                   : json(nullptr));
    kernels.push_back({{"name", k.name},
                       {"shape", k.shape},
                       {"dtype", k.dtype},
                       {"kind", k.kind},
                       {"group", kernel_group(k.kind)},
                       {"calls_per_step", k.calls_per_step},
                       {"flops", k.flops},
                       {"bytes", k.bytes},
                       {"intensity", k.bytes > 0 ? k.flops / k.bytes : 0.0}});
    kernels.back()["cells"] = std::move(cells);
  }
  auto index_or_null = [](const std::optional<size_t>& i) { return i ? json(*i) : json(nullptr); };
  json ties = json::array();
  for (const auto& t : c.best.ties) ties.push_back({{"what", t.what}, {"figure", t.figure}, {"runs", t.runs}});
  const json best = {{"gpu_hours", index_or_null(c.best.gpu_hours)},
                     {"energy", index_or_null(c.best.energy)},
                     {"cost", index_or_null(c.best.cost)},
                     {"cost_what", c.best.cost_what},
                     {"cost_ranked", c.best.cost_ranked},
                     {"cost_why_none", c.best.cost_why_none.empty() ? json(nullptr) : json(c.best.cost_why_none)},
                     {"ties", ties}};
  return {{"title", title}, {"target_model", c.target_model}, {"groups", groups},
          {"runs", runs},   {"kernels", kernels},             {"best", best},
          {"deadline_days", c.deadline_days ? json(*c.deadline_days) : json(nullptr)},
          {"pue", c.pue},
          {"site", c.site ? json{{"name", c.site->name},
                                 {"pue", c.site->pue},
                                 {"electricity_price_per_kwh", c.site->electricity_price_per_kwh
                                                                   ? json(*c.site->electricity_price_per_kwh)
                                                                   : json(nullptr)},
                                 {"currency", c.site->currency},
                                 {"assumed", c.site->assumed}}
                          : json(nullptr)},
          {"electricity_source", c.electricity_source.empty() ? json(nullptr) : json(c.electricity_source)},
          {"notes", c.notes}};
}

}  // namespace tb::report
