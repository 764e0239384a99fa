#include "harness/compare/side_by_side.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/measured_throughput.hpp"

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

Extrapolation extrapolate(const LabeledResults& run, const ModelConfig& model, const SideBySideOptions& o) {
  Extrapolation e;
  if (!run.results.step) {
    e.why_not = fmt::format("no measured step (a `trainbench {}` file)", run.results.workload.command);
    return e;
  }
  const MeasuredThroughput measured = throughput_from_results(run.results, run.origin);
  EstimateRequest req;
  req.model = model;
  req.sustained_tflops_per_gpu = measured.sustained_tflops_per_gpu;
  req.throughput_source = measured.source;
  req.sku = measured.sku;
  if (o.days) req.days = o.days;
  else req.gpus = o.gpus;
  const EstimateResult r = estimate(req);
  e.available = true;
  e.sustained_tflops = measured.sustained_tflops_per_gpu;
  e.pf_days = r.pf_days;
  e.gpu_hours = r.gpu_hours.value_or(0);
  e.gpus = r.gpus.value_or(0);
  e.wall_days = r.wall_days.value_or(0);
  e.energy_mwh = r.energy_mwh;
  e.cost = r.rental_cost;
  e.currency = r.rental_currency.value_or("");
  return e;
}

}  // namespace

SideBySide build_side_by_side(const std::vector<LabeledResults>& runs, const SideBySideOptions& o) {
  if (runs.empty()) throw UsageError("compare: give at least one results file");
  if (o.gpus <= 0) throw UsageError(fmt::format("--gpus must be positive (got {})", o.gpus));
  for (const auto& r : runs) require_complete_run(r);
  for (size_t i = 1; i < runs.size(); ++i) require_same_shapes(runs[0], runs[i], o.compatibility);

  SideBySide out;
  out.target_model = o.target_model;
  if (out.target_model.empty()) out.target_model = runs[0].results.workload.model;
  if (out.target_model.empty()) out.target_model = "gpt3-175b";
  const ModelConfig model = load_model(out.target_model);

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
    col.peak_tflops = r.machine.peak_tflops;
    col.peak_memory_tb_s = r.machine.peak_memory_tb_s;
    col.step = r.step;
    col.extrapolation = extrapolate(runs[i], model, o);
    out.runs.push_back(std::move(col));

    double step_ms = 0;
    for (const auto& k : r.kernels) step_ms += static_cast<double>(k.calls_per_step) * k.stats.median_ms;
    for (const auto& k : r.kernels) {
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
      c.step_share = step_ms > 0 ? static_cast<double>(k.calls_per_step) * k.stats.median_ms / step_ms : 0;
    }
  }
  return out;
}

}  // namespace tb::compare
