#include "harness/report/kind_sections.hpp"

#include <algorithm>
#include <set>

#include "harness/comm/in_place.hpp"
#include "harness/report/run_provenance.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::report {

using nlohmann::json;

namespace {

json common(const compare::LabeledResults& f) {
  return {{"origin", f.origin}, {"device", f.results.machine.device_name}, {"machine", machine_json(f.results.machine)}};
}

// A kernel's figures only where it was measured: a skipped or interrupted one has no time to show.
bool measured(const results::KernelResult& k) { return k.status == "ok" || k.stats.samples > 0; }

json time_or_null(const results::KernelResult& k, double v) { return measured(k) ? json(v) : json(nullptr); }

int64_t dim(const results::KernelResult& k, const char* name) {
  const auto it = k.dims.find(name);
  return it == k.dims.end() ? 0 : it->second;
}

}  // namespace

json health_section(const compare::LabeledResults& f) {
  json s = common(f);
  s["health"] = health_json(f.results.health);
  return s;
}

json sweep_section(const compare::LabeledResults& f) {
  const auto& r = f.results;
  std::vector<const results::KernelResult*> order;
  for (const auto& k : r.kernels) order.push_back(&k);
  // As `sweep` ranks them: only verified, completed shapes, fastest first; the rest after, as given.
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    const bool ok_a = a->status == "ok", ok_b = b->status == "ok";
    if (ok_a != ok_b) return ok_a;
    return ok_a && a->tflops > b->tflops;
  });
  json shapes = json::array();
  int64_t ok = 0;
  for (const auto* k : order) {
    ok += k->status == "ok";
    const auto noise = timing::known_rel_noise(k->stats);
    shapes.push_back({{"m", dim(*k, "m")},
                      {"n", dim(*k, "n")},
                      {"k", dim(*k, "k")},
                      {"layout", k->layout},
                      {"shape", k->shape},
                      {"status", k->status},
                      {"error", k->error},
                      {"median_ms", time_or_null(*k, k->stats.median_ms)},
                      {"tflops", time_or_null(*k, k->tflops)},
                      {"pct_of_peak", time_or_null(*k, k->pct_of_peak)},
                      {"rel_noise", noise ? json(*noise) : json(nullptr)},
                      {"samples", k->stats.samples},
                      {"verified", k->verified}});
  }
  json s = common(f);
  s.update({{"dtype", r.workload.dtype},
            {"sku", r.machine.sku},
            {"peak_tflops", r.machine.peak_tflops},
            {"shapes", shapes},
            {"shapes_measured", ok},
            {"best", ok > 0 ? shapes[0] : json(nullptr)}});
  return s;
}

json comm_section(const compare::LabeledResults& f) {
  const auto& r = f.results;
  json rows = json::array();
  double busbw_sum = 0;
  int counted = 0;
  for (const auto& k : r.kernels) {
    const bool shown = measured(k);
    // nccl-tests' in-place measurement is an entry of its own: named so in the table.
    const bool in_place = comm::is_in_place(k);
    rows.push_back({{"name", in_place ? k.name + " (in place)" : k.name},
                    {"op", k.kind},
                    {"bytes", dim(k, "bytes")},
                    {"count", dim(k, "count")},
                    {"dtype", k.dtype},
                    {"time_us", shown ? json(k.stats.median_ms * 1e3) : json(nullptr)},
                    {"algbw_gb_s", shown && k.algbw_gb_s ? json(*k.algbw_gb_s) : json(nullptr)},
                    {"busbw_gb_s", shown && k.busbw_gb_s ? json(*k.busbw_gb_s) : json(nullptr)},
                    {"wrong", k.wrong_elements ? json(*k.wrong_elements) : json(nullptr)},
                    {"status", k.status},
                    {"error", k.error}});
    // `comm`'s closing average: both placements, as nccl-tests' "Avg bus bandwidth" takes them.
    if (k.status == "ok" && k.busbw_gb_s) busbw_sum += *k.busbw_gb_s, ++counted;
  }
  std::set<std::string> hosts;
  for (const auto& rank : r.ranks) hosts.insert(rank.host);
  const int ranks = std::max<int>(r.machine.device_count, static_cast<int>(r.ranks.size()));
  json s = common(f);
  s.update({{"ranks", ranks},
            {"hosts", hosts.empty() ? 1 : static_cast<int>(hosts.size())},
            {"backend", r.ranks.empty() ? r.machine.backend : r.ranks.front().backend},
            {"library", !r.machine.nccl_version.empty() ? "NCCL " + r.machine.nccl_version
                        : r.ranks.empty()                ? std::string()
                                                         : r.ranks.front().mpi_version},
            {"dtype", r.workload.dtype},
            {"rows", rows},
            // As `comm` closes its table; one rank moves nothing between GPUs, so no average is a bandwidth.
            {"avg_busbw_gb_s", ranks > 1 && counted > 0 ? json(busbw_sum / counted) : json(nullptr)}});
  return s;
}

json kernel_file_section(const compare::LabeledResults& f) {
  const auto& r = f.results;
  json rows = json::array();
  for (const auto& k : r.kernels)
    rows.push_back({{"name", k.name},
                    {"shape", k.shape},
                    {"dtype", k.dtype},
                    {"layout", k.layout},
                    {"status", k.status},
                    {"error", k.error},
                    {"median_ms", time_or_null(k, k.stats.median_ms)},
                    {"tflops", time_or_null(k, k.tflops)},
                    {"gbps", time_or_null(k, k.gbps)},
                    {"pct_of_peak", time_or_null(k, k.pct_of_peak)},
                    {"verified", k.verified},
                    {"samples", k.stats.samples},
                    {"algorithm", k.algorithm}});
  json s = common(f);
  s.update({{"command", r.workload.command},
            {"sku", r.machine.sku},
            {"peak_tflops", r.machine.peak_tflops},
            {"rows", rows}});
  return s;
}

}  // namespace tb::report
